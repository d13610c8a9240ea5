"""IKEv1: the accepted main-mode transforms, adaptively; then one aggressive-mode question.

An IKEv1 SA payload carries one proposal with up to 255 transforms, each one complete
combination (encryption, key length, hash, authentication method, group — RFC 2409 App. A); the
responder answers with the one transform it chose, or NO_PROPOSAL_CHOSEN (RFC 2408 §4.2).  So:

1. offer as many still-undecided combinations as fit one packet;
2. an SA answer names one accepted combination: record it, offer the rest again;
3. NO_PROPOSAL_CHOSEN: every combination offered is refused.

Each accepted combination costs one packet and each refusal decides a whole packet's worth, so
the count is ``accepted + ⌈refused / per-packet⌉`` instead of one per combination.

Aggressive mode (RFC 2409 §5.4) sends SA, KE, Nonce and the identity in the first message; a
responder that accepts answers with its own and HASH_R, which with a pre-shared key is an offline
dictionary attack on that key.  The probe asks once (with a combination main mode accepted, or
one offer per group when main mode accepted none), reads the answer and never sends the third
message: nothing is ever authenticated.  The hash itself is not kept.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
import struct
from collections.abc import Callable
from dataclasses import dataclass

from ccsec.crypto import Encr, IkeProposal, Integ
from ccsec.probe import iana, wire
from ccsec.probe.groups import key_exchange
from ccsec.probe.result import Aggressive, Nat, VendorId, VersionResult
from ccsec.probe.space import V1Space
from ccsec.probe.transport import Channel, OtherVersion, Stopped, Unreachable
from ccsec.probe.vendors import V1_SENT, fragmentation_v1, identify, natt_supported, rfc3947

Combination = tuple[Encr, Integ, int]
LIFETIME_S = 28800
#: the hash functions of the IKEv1 NAT-D payload, by negotiated hash (RFC 3947 §3.2)
_HASHLIB = {Integ.MD5: "md5", Integ.SHA1: "sha1", Integ.SHA256: "sha256",
            Integ.SHA384: "sha384", Integ.SHA512: "sha512"}


def attributes(c: Combination, auth: int) -> list[tuple[int, int]]:
    enc, hsh, group = c
    w = iana.encr_v1(enc)
    h = iana.hash_v1(hsh)
    assert w is not None and h is not None
    attrs = [(iana.ATTR_ENCR, w.number)]
    if w.key_bits:
        attrs.append((iana.ATTR_KEY_LENGTH, w.key_bits))
    return [*attrs, (iana.ATTR_HASH, h), (iana.ATTR_AUTH, auth), (iana.ATTR_GROUP, group),
            (iana.ATTR_LIFE_TYPE, 1), (iana.ATTR_LIFE_DURATION, LIFETIME_S)]


def combination_of(t: wire.V1Transform) -> Combination | None:
    """The responder's chosen transform in the vocabulary (None: not something offered)."""
    a = t.attributes
    enc = iana.encr_from_v1().get(iana.WireEncr(a.get(iana.ATTR_ENCR, 0),
                                                a.get(iana.ATTR_KEY_LENGTH, 0)))
    hsh = iana.integ_from_v1().get(a.get(iana.ATTR_HASH, 0))
    group = a.get(iana.ATTR_GROUP)
    if enc is None or hsh is None or group is None:
        return None
    return enc, hsh, group


def proposal(c: Combination) -> IkeProposal:
    return IkeProposal(encryption=c[0], integrity=c[1], group=c[2])


def _ours(spi: bytes) -> Callable[[bytes], bool]:
    """Answers to the request with initiator SPI ``spi`` (late retransmissions of earlier
    answers are not)."""

    def accept(data: bytes) -> bool:
        try:
            h = wire.header(data)
        except wire.WireError:
            return False
        return h.spi_i == spi
    return accept


@dataclass
class MainMode:
    """The main-mode enumeration (its result is filled in as it goes)."""

    channel: Channel
    space: V1Space
    auth: int
    result: VersionResult
    nat: Nat
    vendor_ids: list[VendorId]

    def _message(self, spi: bytes, combos: list[Combination]) -> bytes:
        payloads = [(wire.V1_SA, wire.v1_sa([attributes(c, self.auth) for c in combos]))]
        payloads += [(wire.V1_VID, v) for v in V1_SENT]
        return wire.message(spi, bytes(8), 0x10, wire.MAIN_MODE, 0, payloads)

    def _fit(self, pending: list[Combination]) -> int:
        """How many of the pending combinations fit one packet (1–255)."""
        limit = self.channel.limits.max_packet
        low, high = 1, min(255, len(pending))
        while low < high:
            mid = (low + high + 1) // 2
            if len(self._message(bytes(8), pending[:mid])) <= limit:
                low = mid
            else:
                high = mid - 1
        return low

    def run(self) -> None:
        pending = self.space.combinations()
        start = self.channel.sent
        try:
            while pending:
                n = self._fit(pending)
                chunk = pending[:n]
                chosen = self._ask(chunk)
                if chosen is None:
                    del pending[:n]
                else:
                    pending.remove(chosen)
                    self.result.accepted.append(proposal(chosen))
            self.result.complete = True
        except OtherVersion as exc:
            self.result.complete = True  # decided: nothing is accepted in this version
            self.result.anomalies.append(str(exc))
        except (Stopped, Unreachable) as exc:
            self.result.stopped = str(exc)
        finally:
            self.result.packets = self.channel.sent - start

    def _ask(self, chunk: list[Combination]) -> Combination | None:
        """One offer: the combination chosen, or None for NO_PROPOSAL_CHOSEN."""
        spi = secrets.token_bytes(8)
        answer = self.channel.exchange(self._message(spi, chunk), _ours(spi))
        if answer is None:
            what = "the first request" if not self.result.answered else "a request"
            raise Stopped(f"no answer to {what} after {1 + self.channel.limits.retries} tries")
        self.result.answered = True
        try:
            msg = wire.parse(answer)
        except wire.WireError as exc:
            self.result.anomalies.append(f"unreadable answer: {exc}")
            raise Stopped("the responder's answer could not be read") from None
        if msg.header.major != 1:
            raise OtherVersion(f"the target answered IKEv1 with an IKE {msg.header.major}.x "
                               "message: no IKEv1 on this port")
        sa = msg.first(wire.V1_SA)
        if sa is None:
            notes = [wire.v1_notify_of(b) for b in msg.all(wire.V1_NOTIFY)]
            if any(n.kind == wire.N_NO_PROPOSAL_CHOSEN for n in notes):
                return None
            raise Stopped("the responder refused with " + (
                ", ".join(n.name for n in notes) or "an answer without an SA"))
        transforms = wire.v1_transforms(sa)
        if len(transforms) != 1:
            raise Stopped(f"the responder chose {len(transforms)} transforms instead of one")
        chosen = combination_of(transforms[0])
        if chosen is None or chosen not in chunk:
            raise Stopped("the responder chose a transform that was not offered: "
                          f"{transforms[0].attributes}")
        self.channel.opened()
        self._observe(msg)
        return chosen

    def _observe(self, msg: wire.Message) -> None:
        vids = msg.all(wire.V1_VID)
        for vid in vids:
            seen = identify(vid)
            if not any(v.hex == seen.hex and v.ike == 1 for v in self.vendor_ids):
                self.vendor_ids.append(VendorId(hex=seen.hex, name=seen.name,
                                                vendor=seen.vendor, ike=1))
        self.result.fragmentation = fragmentation_v1(vids)
        if natt_supported(vids):
            self.nat.supported = True
            flavour = "RFC 3947" if rfc3947(vids) else "a pre-RFC draft"
            note = f"IKEv1 NAT-T vendor ID ({flavour})"
            if note not in self.nat.evidence:
                self.nat.evidence.append(note)
        elif self.nat.supported is None:
            self.nat.supported = False


def nat_d(hash_alg: Integ, spi_i: bytes, spi_r: bytes, address: str, port: int) -> bytes:
    """NAT-D: HASH(CKY-I | CKY-R | IP | Port) with the negotiated hash (RFC 3947 §3.2)."""
    ip = ipaddress.ip_address(address).packed
    return hashlib.new(_HASHLIB[hash_alg], spi_i + spi_r + ip + struct.pack("!H", port),
                       usedforsecurity=False).digest()


def aggressive(channel: Channel, space: V1Space, accepted: list[IkeProposal], auth: int,
               identity: str, nat: Nat) -> Aggressive:
    """Does the target answer aggressive mode with HASH_R? (see the module docstring)"""
    out = Aggressive(tried=True, auth="psk" if auth == iana.AUTH_PSK else "rsa",
                     identity=identity)
    if accepted:
        first = accepted[0]
        assert first.integrity is not None
        offers = [[(first.encryption, first.integrity, first.group)]]
    else:
        offers = [[c for c in space.combinations() if c[2] == g][:255] for g in space.groups]
    start = channel.sent
    try:
        for combos in offers:
            answered = _aggressive_once(channel, combos, auth, identity, out, nat)
            if answered:
                break
    except (Stopped, Unreachable) as exc:
        out.detail = f"not decided: {exc}"
    finally:
        out.packets = channel.sent - start
    return out


def _id_payload(identity: str) -> bytes:
    try:
        ip = ipaddress.ip_address(identity)
    except ValueError:
        return wire.v1_id(wire.ID_FQDN, identity.encode("utf-8"))
    kind = wire.ID_IPV4_ADDR if ip.version == 4 else wire.ID_IPV6_ADDR
    return wire.v1_id(kind, ip.packed)


def _aggressive_once(channel: Channel, combos: list[Combination], auth: int, identity: str,
                     out: Aggressive, nat: Nat) -> bool:
    """One aggressive-mode offer; True when the question is decided by it."""
    spi = secrets.token_bytes(8)
    group = combos[0][2]
    payloads = [(wire.V1_SA, wire.v1_sa([attributes(c, auth) for c in combos])),
                (wire.V1_KE, key_exchange(group)), (wire.V1_NONCE, secrets.token_bytes(32)),
                (wire.V1_ID, _id_payload(identity))]
    payloads += [(wire.V1_VID, v) for v in V1_SENT]
    data = wire.message(spi, bytes(8), 0x10, wire.AGGRESSIVE, 0, payloads)
    answer = channel.exchange(data, _ours(spi))
    if answer is None:
        out.accepted = False
        out.detail = "no answer to aggressive mode"
        return True
    try:
        msg = wire.parse(answer)
    except wire.WireError as exc:
        out.detail = f"unreadable answer: {exc}"
        return True
    sa = msg.first(wire.V1_SA)
    if sa is None or wire.V1_HASH not in msg.types():
        notes = [wire.v1_notify_of(b).name for b in msg.all(wire.V1_NOTIFY)]
        out.accepted = False
        out.detail = "refused: " + (", ".join(notes) or "an answer without SA and HASH")
        return not (len(combos) > 1 and "NO_PROPOSAL_CHOSEN" in notes)
    channel.opened()
    chosen = combination_of(wire.v1_transforms(sa)[0])
    out.accepted = True
    out.proposal = proposal(chosen) if chosen else None
    out.detail = ("answered with its identity and HASH_R"
                  + (" (a pre-shared-key hash that can be attacked offline)"
                     if auth == iana.AUTH_PSK else ""))
    if chosen is not None:
        _nat_from_aggressive(channel, msg, chosen[1], spi, nat)
    return True


def _nat_from_aggressive(channel: Channel, msg: wire.Message, hash_alg: Integ, spi: bytes,
                         nat: Nat) -> None:
    """RFC 3947 §3.2: the first NAT-D is the hash of the address the responder sends to (the
    probe as it sees it), the others of its own addresses."""
    hashes = msg.all(wire.V1_NAT_D) or msg.all(wire.V1_NAT_D_DRAFT)
    if len(hashes) < 2:
        return
    spi_r = msg.header.spi_r
    nat.probe_behind_nat = hashes[0] != nat_d(hash_alg, spi, spi_r, *channel.local)
    nat.target_behind_nat = nat_d(hash_alg, spi, spi_r, *channel.remote) not in hashes[1:]
    if "IKEv1 NAT-D payloads (aggressive mode)" not in nat.evidence:
        nat.evidence.append("IKEv1 NAT-D payloads (aggressive mode)")


def enumerate_v1(channel: Channel, space: V1Space, auth: int, nat: Nat,
                 vendor_ids: list[VendorId]) -> VersionResult:
    """Every main-mode combination of ``space`` the target accepts."""
    result = VersionResult(version=1, exhaustive=space.exhaustive, space=space.to_json())
    MainMode(channel, space, auth, result, nat, vendor_ids).run()
    return result
