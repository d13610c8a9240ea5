"""IKE messages as bytes: the few payloads a probe sends and reads, for IKEv1 and IKEv2.

Why an encoder of our own: scapy has ISAKMP and IKEv2 layers, but it is GPL-2.0 and ccsec is
Apache-2.0 with a no-GPL-dependency rule; and a probe needs only the IKE header, SA (proposal /
transform / attributes), KE, Nonce, Notify, Vendor ID, Identification and NAT-D — a few hundred
lines that the tests pin against real strongSwan.

Layouts: the header and generic payload header are RFC 7296 §3.1–3.2 (identical in RFC 2408
§3.1–3.2 apart from the version byte and flags); the IKEv2 SA is §3.3, KE §3.4, Notify §3.10;
the IKEv1 SA/Proposal/Transform/attributes are RFC 2408 §3.4–3.6 and RFC 2409 App. A, its
Notification RFC 2408 §3.14, Identification RFC 2407 §4.6.2, NAT-D RFC 3947 §3.2.

Every reader raises :class:`WireError` on anything malformed: a probe reports an answer it could
not read, it never crashes on one.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

HEADER = struct.Struct("!8s8sBBBBII")
HEADER_LEN = HEADER.size  # 28
#: the 4 zero bytes that precede IKE on UDP port 4500 (RFC 3948 §2.2)
NON_ESP_MARKER = b"\x00\x00\x00\x00"

# exchange types
IKE_SA_INIT = 34
MAIN_MODE = 2  # "Identity Protection"
AGGRESSIVE = 4
INFORMATIONAL_V1 = 5
# header flags
V2_INITIATOR, V2_RESPONSE = 0x08, 0x20
# payload types, IKEv2
V2_SA, V2_KE, V2_IDI, V2_NONCE, V2_NOTIFY, V2_VID = 33, 34, 35, 40, 41, 43
# payload types, IKEv1
V1_SA, V1_PROPOSAL, V1_TRANSFORM, V1_KE, V1_ID, V1_HASH = 1, 2, 3, 4, 5, 8
V1_NONCE, V1_NOTIFY, V1_DELETE, V1_VID = 10, 11, 12, 13
V1_NAT_D, V1_NAT_D_DRAFT = 20, 130
# IKEv2 notify types used here (RFC 7296 §3.10.1, RFC 7383 §2.3, RFC 7427 §4)
N_INVALID_SYNTAX = 7
N_NO_PROPOSAL_CHOSEN = 14
N_INVALID_KE_PAYLOAD = 17
N_AUTHENTICATION_FAILED = 24
N_NAT_DETECTION_SOURCE_IP = 16388
N_NAT_DETECTION_DESTINATION_IP = 16389
N_COOKIE = 16390
N_FRAGMENTATION_SUPPORTED = 16430
N_SIGNATURE_HASH_ALGORITHMS = 16431
# IKEv1 DOI and situation (RFC 2407 §4.2, §4.6.1)
DOI_IPSEC, SIT_IDENTITY_ONLY = 1, 1
PROTO_ISAKMP, KEY_IKE = 1, 1
# Identification types (RFC 2407 §4.6.2.1)
ID_IPV4_ADDR, ID_FQDN, ID_IPV6_ADDR = 1, 2, 5

#: notify type names for reports (IKEv1 and IKEv2 share the error range 1–16383)
NOTIFY_NAMES: dict[int, str] = {
    1: "UNSUPPORTED_CRITICAL_PAYLOAD", 4: "INVALID_IKE_SPI", 5: "INVALID_MAJOR_VERSION",
    7: "INVALID_SYNTAX", 9: "INVALID_MESSAGE_ID", 11: "INVALID_SPI",
    13: "ATTRIBUTES_NOT_SUPPORTED", 14: "NO_PROPOSAL_CHOSEN", 16: "PAYLOAD_MALFORMED",
    17: "INVALID_KE_PAYLOAD", 18: "INVALID_ID_INFORMATION", 24: "AUTHENTICATION_FAILED",
    16384: "INITIAL_CONTACT", 16388: "NAT_DETECTION_SOURCE_IP",
    16389: "NAT_DETECTION_DESTINATION_IP", 16390: "COOKIE", 16404: "MULTIPLE_AUTH_SUPPORTED",
    16406: "REDIRECT_SUPPORTED", 16418: "CHILDLESS_IKEV2_SUPPORTED",
    16430: "IKEV2_FRAGMENTATION_SUPPORTED",
    16431: "SIGNATURE_HASH_ALGORITHMS", 16435: "USE_PPK",
    16438: "INTERMEDIATE_EXCHANGE_SUPPORTED",
}


class WireError(ValueError):
    """A message that is not well-formed IKE."""


# --------------------------------------------------------------------------- writing


def _generic(next_type: int, body: bytes) -> bytes:
    return struct.pack("!BBH", next_type, 0, 4 + len(body)) + body


def message(spi_i: bytes, spi_r: bytes, version: int, exchange: int, flags: int,
            payloads: Sequence[tuple[int, bytes]], message_id: int = 0) -> bytes:
    """Header + chained payloads (each ``(type, body)``; the chain is written here)."""
    parts = []
    for n, (_, body) in enumerate(payloads):
        nxt = payloads[n + 1][0] if n + 1 < len(payloads) else 0
        parts.append(_generic(nxt, body))
    data = b"".join(parts)
    first = payloads[0][0] if payloads else 0
    return HEADER.pack(spi_i, spi_r, first, version, exchange, flags, message_id,
                       HEADER_LEN + len(data)) + data


def v2_transform(kind: int, number: int, key_bits: int = 0, last: bool = False) -> bytes:
    attrs = struct.pack("!HH", 0x8000 | 14, key_bits) if key_bits else b""
    return struct.pack("!BBHBBH", 0 if last else 3, 0, 8 + len(attrs), kind, 0, number) + attrs


def v2_proposal(number: int, transforms: Sequence[tuple[int, int, int]],
                last: bool) -> bytes:
    """One IKE proposal (protocol IKE, no SPI) of ``(type, id, key bits)`` transforms."""
    body = b"".join(v2_transform(t, i, k, n == len(transforms) - 1)
                    for n, (t, i, k) in enumerate(transforms))
    return struct.pack("!BBHBBBB", 0 if last else 2, 0, 8 + len(body), number, 1, 0,
                       len(transforms)) + body


def v2_sa(proposals: Sequence[Sequence[tuple[int, int, int]]]) -> bytes:
    """An SA payload body; proposals are numbered 1, 2, … in order (RFC 7296 §3.3.1)."""
    return b"".join(v2_proposal(n + 1, p, n == len(proposals) - 1)
                    for n, p in enumerate(proposals))


def v2_ke(group: int, data: bytes) -> bytes:
    return struct.pack("!HH", group, 0) + data


def v2_notify(kind: int, data: bytes = b"") -> bytes:
    return struct.pack("!BBH", 0, 0, kind) + data


def v1_attribute(kind: int, value: int) -> bytes:
    """A basic (TV) attribute when the value fits 16 bits, else a variable (TLV) one."""
    if value < 0x10000:
        return struct.pack("!HH", 0x8000 | kind, value)
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return struct.pack("!HH", kind, len(raw)) + raw


def v1_sa(transforms: Sequence[Sequence[tuple[int, int]]]) -> bytes:
    """An IKEv1 SA body: DOI IPsec, identity-only situation, one ISAKMP proposal whose
    transforms (numbered 1, 2, …) carry the given ``(attribute class, value)`` lists."""
    parts = []
    for n, attrs in enumerate(transforms):
        body = struct.pack("!BBH", n + 1, KEY_IKE, 0) + b"".join(
            v1_attribute(k, v) for k, v in attrs)
        parts.append(_generic(0 if n == len(transforms) - 1 else V1_TRANSFORM, body))
    proposal = struct.pack("!BBBB", 1, PROTO_ISAKMP, 0, len(transforms)) + b"".join(parts)
    return struct.pack("!II", DOI_IPSEC, SIT_IDENTITY_ONLY) + _generic(0, proposal)


def v1_id(kind: int, data: bytes) -> bytes:
    """IKEv1 Identification (UDP/500, as main and aggressive mode initiators send it)."""
    return struct.pack("!BBH", kind, 17, 500) + data


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Header:
    spi_i: bytes
    spi_r: bytes
    next_payload: int
    version: int
    exchange: int
    flags: int
    message_id: int
    length: int

    @property
    def major(self) -> int:
        return self.version >> 4


@dataclass(frozen=True)
class Message:
    header: Header
    payloads: tuple[tuple[int, bytes], ...]

    def all(self, kind: int) -> list[bytes]:
        return [body for t, body in self.payloads if t == kind]

    def first(self, kind: int) -> bytes | None:
        return next((body for t, body in self.payloads if t == kind), None)

    def types(self) -> set[int]:
        return {t for t, _ in self.payloads}


def header(data: bytes) -> Header:
    if len(data) < HEADER_LEN:
        raise WireError(f"{len(data)} bytes: shorter than an IKE header")
    return Header(*HEADER.unpack_from(data))


def parse(data: bytes) -> Message:
    """Header and the payload chain (bodies unparsed; IKEv2 SK payloads are left opaque)."""
    h = header(data)
    if h.length > len(data) or h.length < HEADER_LEN:
        raise WireError(f"length field {h.length} does not match the {len(data)} bytes read")
    return Message(h, tuple(_chain(data[HEADER_LEN:h.length], h.next_payload)))


def _chain(data: bytes, first: int) -> Iterator[tuple[int, bytes]]:
    kind, pos = first, 0
    while kind:
        if pos + 4 > len(data):
            raise WireError(f"payload {kind} runs past the end of the message")
        nxt, _, length = struct.unpack_from("!BBH", data, pos)
        if length < 4 or pos + length > len(data):
            raise WireError(f"payload {kind} has a bad length {length}")
        yield kind, data[pos + 4:pos + length]
        kind, pos = nxt, pos + length


@dataclass(frozen=True)
class V2Transform:
    kind: int
    number: int
    key_bits: int = 0


@dataclass(frozen=True)
class V2Proposal:
    number: int
    protocol: int
    transforms: tuple[V2Transform, ...]


def v2_proposals(body: bytes) -> list[V2Proposal]:
    out, pos = [], 0
    while pos < len(body):
        if pos + 8 > len(body):
            raise WireError("truncated proposal")
        last, _, length, number, protocol, spi_size, count = struct.unpack_from(
            "!BBHBBBB", body, pos)
        if length < 8 or pos + length > len(body):
            raise WireError(f"proposal {number} has a bad length {length}")
        transforms = _v2_transforms(body[pos + 8 + spi_size:pos + length], count)
        out.append(V2Proposal(number, protocol, transforms))
        pos += length
        if last == 0:
            break
    return out


def _v2_transforms(data: bytes, count: int) -> tuple[V2Transform, ...]:
    out, pos = [], 0
    for _ in range(count):
        if pos + 8 > len(data):
            raise WireError("truncated transform")
        _, _, length, kind, _, number = struct.unpack_from("!BBHBBH", data, pos)
        if length < 8 or pos + length > len(data):
            raise WireError(f"transform has a bad length {length}")
        key_bits = 0
        for attr, value in _attributes(data[pos + 8:pos + length]):
            if attr == 14:
                key_bits = value
        out.append(V2Transform(kind, number, key_bits))
        pos += length
    return tuple(out)


def _attributes(data: bytes) -> Iterator[tuple[int, int]]:
    pos = 0
    while pos + 4 <= len(data):
        kind, value = struct.unpack_from("!HH", data, pos)
        if kind & 0x8000:
            yield kind & 0x7FFF, value
            pos += 4
        else:
            raw = data[pos + 4:pos + 4 + value]
            if len(raw) != value:
                raise WireError("truncated variable-length attribute")
            yield kind, int.from_bytes(raw, "big")
            pos += 4 + value
    if pos != len(data):
        raise WireError("trailing bytes after the attributes")


@dataclass(frozen=True)
class Notify:
    kind: int
    data: bytes

    @property
    def name(self) -> str:
        return NOTIFY_NAMES.get(self.kind, f"notify {self.kind}")


def v2_notify_of(body: bytes) -> Notify:
    if len(body) < 4:
        raise WireError("truncated notify")
    _, spi_size, kind = struct.unpack_from("!BBH", body)
    return Notify(kind, body[4 + spi_size:])


def v1_notify_of(body: bytes) -> Notify:
    if len(body) < 8:
        raise WireError("truncated notification")
    _, _, spi_size, kind = struct.unpack_from("!IBBH", body)
    return Notify(kind, body[8 + spi_size:])


@dataclass(frozen=True)
class V1Transform:
    number: int
    attributes: dict[int, int] = field(default_factory=dict)


def v1_transforms(body: bytes) -> list[V1Transform]:
    """The transforms of every proposal of an IKEv1 SA body."""
    if len(body) < 8:
        raise WireError("truncated SA payload")
    doi, _ = struct.unpack_from("!II", body)
    if doi != DOI_IPSEC:
        raise WireError(f"SA with DOI {doi}, not IPsec")
    out: list[V1Transform] = []
    for kind, proposal in _chain(body[8:], V1_PROPOSAL):
        if kind != V1_PROPOSAL or len(proposal) < 4:
            raise WireError("malformed proposal payload")
        _, _, spi_size, count = struct.unpack_from("!BBBB", proposal)
        for tkind, transform in _chain(proposal[4 + spi_size:], V1_TRANSFORM if count else 0):
            if tkind != V1_TRANSFORM or len(transform) < 4:
                raise WireError("malformed transform payload")
            out.append(V1Transform(transform[0], dict(_attributes(transform[4:]))))
    return out
