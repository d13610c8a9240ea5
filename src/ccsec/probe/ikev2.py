"""IKEv2: the full set of IKE proposals a responder accepts, adaptively, with IKE_SA_INIT only.

An IKE_SA_INIT request may carry several proposals, each with many transforms of every type;
the responder picks one proposal and one transform per type (RFC 7296 §2.7) — or answers
NO_PROPOSAL_CHOSEN, or INVALID_KE_PAYLOAD naming the group it wants when the KE payload is for
another one (§1.2).  So one request asks "is anything in this *box* (encryptions × integrities ×
PRFs × groups) acceptable, and if so which?", and the search is:

1. offer every open box at once (one proposal per box; AEAD and non-AEAD ciphers in separate
   boxes, as §3.3 requires), with a KE payload for the group last asked for;
2. an SA answer names one accepted combination t in box B: record t and replace B by B − {t},
   written as at most four disjoint boxes (other encryptions; t's encryption with other
   integrities; … with other PRFs; … with other groups);
3. NO_PROPOSAL_CHOSEN: every box offered is empty — close them all;
4. INVALID_KE_PAYLOAD(g): the responder wants group g.  From then on the open boxes are
   *focused*: each box holding g is split into its g part and the rest, and only the g parts
   are offered (with a KE for g) until a refusal closes them; then the rest is offered again.
   So a wrong KE guess costs one packet per accepted group, not one per combination.

Each accepted combination costs one answer, and a refusal closes every box offered at once, so
the packets needed grow with the accepted set (about ``accepted + 2 × accepted groups``), not
with the space: far below the exhaustive one-combination-per-packet count (reported beside it).
The probe never sends IKE_AUTH: no SA is ever authenticated.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
import struct
from dataclasses import dataclass, field, replace

from ccsec.crypto import Encr, IkeProposal, Integ, Prf
from ccsec.probe import iana, wire
from ccsec.probe.groups import ke_size, key_exchange
from ccsec.probe.result import Nat, VendorId, VersionResult
from ccsec.probe.space import V2Space
from ccsec.probe.transport import Channel, OtherVersion, Stopped, Unreachable
from ccsec.probe.vendors import identify

#: RFC 7427 §7 hash algorithm numbers
SIGNATURE_HASHES = {1: "SHA1", 2: "SHA2-256", 3: "SHA2-384", 4: "SHA2-512", 5: "Identity"}


@dataclass(frozen=True)
class Box:
    """Encryptions × integrities × PRFs × groups (``integs`` empty: AEAD ciphers)."""

    encs: tuple[Encr, ...]
    integs: tuple[Integ, ...]
    prfs: tuple[Prf, ...]
    groups: tuple[int, ...]

    def __contains__(self, p: object) -> bool:
        return (isinstance(p, IkeProposal) and p.encryption in self.encs
                and p.prf in self.prfs and p.group in self.groups
                and (p.integrity in self.integs if self.integs else p.integrity is None))

    def without(self, p: IkeProposal) -> list[Box]:
        """This box minus one combination, as disjoint boxes (none of them empty): other
        encryptions; p's encryption with other integrities; … with other PRFs; … with other
        groups."""
        e = (p.encryption,)
        i = (p.integrity,) if p.integrity is not None else ()
        prf = (p.prf,) if p.prf is not None else ()
        parts = [
            replace(self, encs=tuple(x for x in self.encs if x != p.encryption)),
            replace(self, encs=e, integs=tuple(x for x in self.integs if x != p.integrity)),
            Box(e, i, tuple(x for x in self.prfs if x != p.prf), self.groups),
            Box(e, i, prf, tuple(x for x in self.groups if x != p.group)),
        ]
        if not self.integs:
            del parts[1]  # AEAD: no integrity dimension
        return [b for b in parts if b.encs and b.prfs and b.groups
                and (b.integs or not self.integs)]

    def halves(self) -> list[Box]:
        """Two boxes that split the longest dimension (for a box too large for one packet)."""
        longest = max(len(self.encs), len(self.integs), len(self.prfs), len(self.groups))
        if len(self.encs) == longest:
            m = len(self.encs) // 2
            return [replace(self, encs=self.encs[:m]), replace(self, encs=self.encs[m:])]
        if len(self.integs) == longest:
            m = len(self.integs) // 2
            return [replace(self, integs=self.integs[:m]), replace(self, integs=self.integs[m:])]
        if len(self.prfs) == longest:
            m = len(self.prfs) // 2
            return [replace(self, prfs=self.prfs[:m]), replace(self, prfs=self.prfs[m:])]
        m = len(self.groups) // 2
        return [replace(self, groups=self.groups[:m]), replace(self, groups=self.groups[m:])]

    def transforms(self) -> list[tuple[int, int, int]]:
        out = []
        for e in self.encs:
            w = iana.encr_v2(e)
            assert w is not None
            out.append((iana.TRANSFORM_ENCR, w.number, w.key_bits))
        for p in self.prfs:
            out.append((iana.TRANSFORM_PRF, iana.prf_v2(p) or 0, 0))
        for i in self.integs:
            out.append((iana.TRANSFORM_INTEG, iana.integ_v2(i) or 0, 0))
        for g in self.groups:
            out.append((iana.TRANSFORM_KE, g, 0))
        return out


def initial_boxes(space: V2Space) -> list[Box]:
    boxes = [Box(space.plain, space.integs, space.prfs, space.groups),
             Box(space.aead, (), space.prfs, space.groups)]
    return [b for b in boxes if b.encs and b.prfs and b.groups]


def nat_hash(spi_i: bytes, spi_r: bytes, address: str, port: int) -> bytes:
    """NAT_DETECTION_*_IP data: SHA-1(SPIi | SPIr | IP | port) (RFC 7296 §2.23)."""
    ip = ipaddress.ip_address(address).packed
    return hashlib.sha1(spi_i + spi_r + ip + struct.pack("!H", port),
                        usedforsecurity=False).digest()


@dataclass
class _Offer:
    """One IKE_SA_INIT request: the boxes it offers (proposal n = boxes[n-1]) and its bytes."""

    boxes: list[Box]
    spi: bytes
    group: int
    ke: bytes
    nonce: bytes
    data: bytes


@dataclass
class Enumeration:
    """The state of one IKEv2 enumeration (also what the caller reads afterwards)."""

    channel: Channel
    space: V2Space
    result: VersionResult
    nat: Nat
    vendor_ids: list[VendorId]
    _ke: dict[int, bytes] = field(default_factory=dict)

    def _build(self, boxes: list[Box], group: int, cookie: bytes | None = None,
               spi: bytes | None = None, ke: bytes | None = None,
               nonce: bytes | None = None) -> _Offer:
        spi = spi or secrets.token_bytes(8)
        if ke is None:
            # one public value per group for the whole enumeration: RFC 7296 §2.12 lets an
            # initiator reuse its DH exponential, and the probe never uses the shared secret
            ke = self._ke.get(group) or self._ke.setdefault(group, key_exchange(group))
        nonce = nonce if nonce is not None else secrets.token_bytes(32)
        local, remote = self.channel.local, self.channel.remote
        zero = bytes(8)
        payloads: list[tuple[int, bytes]] = []
        if cookie is not None:
            payloads.append((wire.V2_NOTIFY, wire.v2_notify(wire.N_COOKIE, cookie)))
        payloads += [
            (wire.V2_SA, wire.v2_sa([b.transforms() for b in boxes])),
            (wire.V2_KE, wire.v2_ke(group, ke)),
            (wire.V2_NONCE, nonce),
            (wire.V2_NOTIFY, wire.v2_notify(wire.N_NAT_DETECTION_SOURCE_IP,
                                            nat_hash(spi, zero, *local))),
            (wire.V2_NOTIFY, wire.v2_notify(wire.N_NAT_DETECTION_DESTINATION_IP,
                                            nat_hash(spi, zero, *remote))),
            (wire.V2_NOTIFY, wire.v2_notify(wire.N_FRAGMENTATION_SUPPORTED)),
            (wire.V2_NOTIFY, wire.v2_notify(wire.N_SIGNATURE_HASH_ALGORITHMS,
                                            struct.pack("!HHHH", 1, 2, 3, 4))),
        ]
        data = wire.message(spi, zero, 0x20, wire.IKE_SA_INIT, wire.V2_INITIATOR, payloads)
        return _Offer(boxes, spi, group, ke, nonce, data)

    def _fit(self, boxes: list[Box], group: int) -> list[Box]:
        """The leading boxes that fit one packet (none when the first alone does not); at
        most 255 (the proposal number is one byte)."""
        limit = self.channel.limits.max_packet
        chosen: list[Box] = []
        for box in boxes[:255]:
            if len(self._build([*chosen, box], group).data) > limit:
                break
            chosen.append(box)
        return chosen

    def _ask(self, offer: _Offer) -> wire.Message | None:
        def ours(data: bytes) -> bool:
            try:
                h = wire.header(data)
            except wire.WireError:
                return False
            return h.spi_i == offer.spi and (h.major != 2 or (
                h.exchange == wire.IKE_SA_INIT and bool(h.flags & wire.V2_RESPONSE)))

        answer = self.channel.exchange(offer.data, ours)
        if answer is None:
            return None
        self.result.answered = True
        try:
            return wire.parse(answer)
        except wire.WireError as exc:
            self.result.anomalies.append(f"unreadable answer: {exc}")
            raise Stopped("the responder's answer could not be read") from None

    def run(self, first_group: int) -> None:
        open_boxes = initial_boxes(self.space)
        group, wanted = first_group, False
        start = self.channel.sent
        try:
            while open_boxes:
                if not any(group in b.groups for b in open_boxes):
                    # no box holds the group last used: guess the one with the smallest key
                    # exchange value (a wrong guess costs one INVALID_KE_PAYLOAD round trip)
                    group = min({g for b in open_boxes for g in b.groups}, key=ke_size)
                    wanted = False
                batch = self._next_batch(open_boxes, group, wanted)
                group, wanted = self._settle(batch, group, open_boxes)
            self.result.complete = True
        except OtherVersion as exc:
            self.result.complete = True  # decided: nothing is accepted in this version
            self.result.anomalies.append(str(exc))
        except (Stopped, Unreachable) as exc:
            self.result.stopped = str(exc)
        finally:
            self.result.packets = self.channel.sent - start

    def _next_batch(self, open_boxes: list[Box], group: int, wanted: bool) -> list[Box]:
        """The boxes to offer next.  For a group the responder is known to want: that group's
        boxes alone while any is open (so the answer cannot be INVALID_KE_PAYLOAD); for a
        guessed group, everything still open."""
        for at in reversed(range(len(open_boxes)) if wanted else ()):
            box = open_boxes[at]
            if group in box.groups and len(box.groups) > 1:
                rest = tuple(g for g in box.groups if g != group)
                open_boxes[at:at + 1] = [replace(box, groups=(group,)),
                                         replace(box, groups=rest)]
        while True:
            pool = [b for b in open_boxes if b.groups == (group,)] or open_boxes
            batch = self._fit(pool, group)
            if batch:
                return batch
            # the first box alone is larger than a packet: halve it in place and try again
            first = pool[0]
            if max(len(first.encs), len(first.integs), len(first.prfs), len(first.groups)) < 2:
                limit = self.channel.limits.max_packet
                raise Stopped(f"--max-packet {limit} is too small for one proposal with a "
                              f"group {group} key exchange")
            at = open_boxes.index(first)
            open_boxes[at:at + 1] = first.halves()

    def _settle(self, batch: list[Box], group: int,
                open_boxes: list[Box]) -> tuple[int, bool]:
        """One offer of ``batch``, answered with a choice, a refusal or the group the responder
        wants; returns the KE group to offer next and whether the responder wants it."""
        offer = self._build(batch, group)
        for _ in range(3):  # the first answer, and up to two cookie round trips
            msg = self._ask(offer)
            if msg is None:
                what = "the first request" if not self.result.answered else "a request"
                raise Stopped(f"no answer to {what} after {1 + self.channel.limits.retries} "
                              "tries")
            if msg.header.major != 2:
                raise OtherVersion(f"the target answered IKEv2 with an IKE "
                                   f"{msg.header.major}.x message: no IKEv2 on this port")
            notifies = [wire.v2_notify_of(b) for b in msg.all(wire.V2_NOTIFY)]
            kinds = {n.kind: n for n in notifies}
            if wire.N_COOKIE not in kinds:
                break
            # RFC 7296 §2.6: the same request again, with the cookie first
            offer = self._build(batch, group, kinds[wire.N_COOKIE].data, spi=offer.spi,
                                ke=offer.ke, nonce=offer.nonce)
        else:
            raise Stopped("the responder kept asking for a cookie")
        if wire.N_INVALID_KE_PAYLOAD in kinds:
            data = kinds[wire.N_INVALID_KE_PAYLOAD].data
            wanted = struct.unpack("!H", data[:2])[0] if len(data) >= 2 else 0
            if wanted == group or not any(wanted in b.groups for b in batch):
                raise Stopped(f"INVALID_KE_PAYLOAD asked for group {wanted}, which the offer "
                              "does not make acceptable")
            return wanted, True
        if wire.N_NO_PROPOSAL_CHOSEN in kinds:
            for box in batch:
                open_boxes.remove(box)
            return group, False
        sa = msg.first(wire.V2_SA)
        if sa is None:
            errors = [n.name for n in notifies if n.kind < 16384]
            raise Stopped("the responder refused with " + (", ".join(errors) or
                                                          "an answer without an SA"))
        self.channel.opened()
        self._accept(msg, offer, sa, open_boxes)
        return group, True

    def _accept(self, msg: wire.Message, offer: _Offer, sa: bytes,
                open_boxes: list[Box]) -> None:
        proposals = wire.v2_proposals(sa)
        if len(proposals) != 1:
            raise Stopped(f"the responder chose {len(proposals)} proposals instead of one")
        chosen = proposals[0]
        p = _proposal(chosen)
        if p is None:
            raise Stopped("the responder chose transforms that were not offered: "
                          + ", ".join(f"{t.kind}/{t.number}" for t in chosen.transforms))
        box = offer.boxes[chosen.number - 1] if 0 < chosen.number <= len(offer.boxes) else None
        if box is None or p not in box:
            box = next((b for b in offer.boxes if p in b), None)
            self.result.anomalies.append(f"proposal number {chosen.number} does not hold "
                                         f"{p.label()}")
            if box is None:
                raise Stopped(f"the responder chose {p.label()}, which was not offered")
        self.result.accepted.append(p)
        at = open_boxes.index(box)
        open_boxes[at:at + 1] = box.without(p)
        self._observe(msg, offer)

    def _observe(self, msg: wire.Message, offer: _Offer) -> None:
        """NAT detection, fragmentation, signature hashes, vendor IDs (accepting answers)."""
        notifies = [wire.v2_notify_of(b) for b in msg.all(wire.V2_NOTIFY)]
        for n in notifies:
            if n.kind >= 16384 and n.name not in self.result.notifies:
                self.result.notifies.append(n.name)
        kinds = {n.kind: n for n in notifies}
        self.result.fragmentation = wire.N_FRAGMENTATION_SUPPORTED in kinds
        sig = kinds.get(wire.N_SIGNATURE_HASH_ALGORITHMS)
        if sig is not None:
            values = struct.unpack(f"!{len(sig.data) // 2}H", sig.data[:len(sig.data) // 2 * 2])
            self.result.signature_hashes = [SIGNATURE_HASHES.get(v, str(v)) for v in values]
        src, dst = kinds.get(wire.N_NAT_DETECTION_SOURCE_IP), \
            kinds.get(wire.N_NAT_DETECTION_DESTINATION_IP)
        if src is not None and dst is not None:
            spi_r = msg.header.spi_r
            self.nat.supported = True
            if "IKEv2 NAT_DETECTION notifies" not in self.nat.evidence:
                self.nat.evidence.append("IKEv2 NAT_DETECTION notifies")
            self.nat.probe_behind_nat = dst.data != nat_hash(offer.spi, spi_r,
                                                             *self.channel.local)
            self.nat.target_behind_nat = src.data != nat_hash(offer.spi, spi_r,
                                                              *self.channel.remote)
        elif self.nat.supported is None:
            self.nat.supported = False
        for vid in msg.all(wire.V2_VID):
            seen = identify(vid)
            if not any(v.hex == seen.hex and v.ike == 2 for v in self.vendor_ids):
                self.vendor_ids.append(VendorId(hex=seen.hex, name=seen.name,
                                                vendor=seen.vendor, ike=2))


def _proposal(chosen: wire.V2Proposal) -> IkeProposal | None:
    """The responder's choice in the vocabulary (None: something not in the vocabulary)."""
    by_kind: dict[int, list[wire.V2Transform]] = {}
    for t in chosen.transforms:
        by_kind.setdefault(t.kind, []).append(t)
    try:
        (enc,) = by_kind[iana.TRANSFORM_ENCR]
        (prf,) = by_kind[iana.TRANSFORM_PRF]
        (ke,) = by_kind[iana.TRANSFORM_KE]
        integ = by_kind.get(iana.TRANSFORM_INTEG, [])
    except (KeyError, ValueError):
        return None
    e = iana.encr_from_v2().get(iana.WireEncr(enc.number, enc.key_bits))
    p = iana.prf_from_v2().get(prf.number)
    i = None
    if integ and integ[0].number != 0:
        if len(integ) != 1:
            return None
        i = iana.integ_from_v2().get(integ[0].number)
        if i is None:
            return None
    if e is None or p is None:
        return None
    try:
        return IkeProposal(encryption=e, integrity=i, prf=p, group=ke.number)
    except ValueError:
        return None


def enumerate_v2(channel: Channel, space: V2Space, nat: Nat,
                 vendor_ids: list[VendorId]) -> VersionResult:
    """Every IKEv2 proposal of ``space`` the target accepts (see the module docstring)."""
    result = VersionResult(version=2, exhaustive=space.exhaustive, space=space.to_json())
    first = 19 if 19 in space.groups else space.groups[0]
    Enumeration(channel, space, result, nat, vendor_ids).run(first)
    return result
