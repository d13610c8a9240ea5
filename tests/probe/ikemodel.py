"""A model IKE responder behind a fake socket: any accepted set, answered as RFC 7296 §2.7 /
RFC 2408 §4.2 say, so the probe's enumerations can be tested on sets no real configuration
makes (not unions of products), with cookies and drops, in milliseconds.

It answers the IKE_SA_INIT the probe sends: NO_PROPOSAL_CHOSEN when no offered combination is
accepted; otherwise the most preferred accepted combination among those offered (a fixed random
preference order), as INVALID_KE_PAYLOAD when the KE payload is for another group, else as an SA
with the proposal number echoed.  IKEv1: the chosen transform, or an INFORMATIONAL
NO_PROPOSAL_CHOSEN.  Every request is recorded.
"""

from __future__ import annotations

import itertools
import struct
from collections import deque

from ccsec.crypto import IkeProposal
from ccsec.probe import iana, wire
from ccsec.probe.ikev1 import combination_of, proposal


def _v2_combinations(p: wire.V2Proposal) -> list[IkeProposal]:
    kinds: dict[int, list[wire.V2Transform]] = {}
    for t in p.transforms:
        kinds.setdefault(t.kind, []).append(t)
    encs = [iana.encr_from_v2()[iana.WireEncr(t.number, t.key_bits)]
            for t in kinds.get(iana.TRANSFORM_ENCR, [])]
    integs = [iana.integ_from_v2()[t.number] for t in kinds.get(iana.TRANSFORM_INTEG, [])] \
        or [None]
    prfs = [iana.prf_from_v2()[t.number] for t in kinds.get(iana.TRANSFORM_PRF, [])]
    groups = [t.number for t in kinds.get(iana.TRANSFORM_KE, [])]
    return [IkeProposal(encryption=e, integrity=i, prf=x, group=g)
            for e, i, x, g in itertools.product(encs, integs, prfs, groups)]


class ModelResponder:
    """A fake connected UDP socket whose peer is the model responder."""

    def __init__(self, accepted: list[IkeProposal], *, version: int = 2,
                 cookie_every: int = 0, drop_every: int = 0) -> None:
        #: preference order: the first accepted combination offered wins
        self.accepted = list(accepted)
        self.version = version
        self.cookie_every = cookie_every
        self.drop_every = drop_every
        self.requests: list[bytes] = []
        self._queue: deque[bytes] = deque()
        self._cookies: set[bytes] = set()

    # socket interface used by the probe's channel
    def getsockname(self) -> tuple[str, int]:
        return "192.0.2.2", 40000

    def getpeername(self) -> tuple[str, int]:
        return "192.0.2.1", 500

    def settimeout(self, _t: float) -> None:
        pass

    def close(self) -> None:
        pass

    def send(self, data: bytes) -> int:
        self.requests.append(data)
        if self.drop_every and len(self.requests) % self.drop_every == 0:
            return len(data)
        answer = self._answer(wire.parse(data))
        if answer is not None:
            self._queue.append(answer)
        return len(data)

    def recv(self, _n: int) -> bytes:
        if not self._queue:
            raise TimeoutError
        return self._queue.popleft()

    # the responder
    def _answer(self, msg: wire.Message) -> bytes | None:
        return self._v2(msg) if msg.header.major == 2 else self._v1(msg)

    def _reply_v2(self, req: wire.Message, payloads: list[tuple[int, bytes]]) -> bytes:
        return wire.message(req.header.spi_i, b"\x01" * 8, 0x20, wire.IKE_SA_INIT,
                            wire.V2_RESPONSE, payloads)

    def _v2(self, msg: wire.Message) -> bytes:
        notifies = [wire.v2_notify_of(b) for b in msg.all(wire.V2_NOTIFY)]
        cookie = next((n.data for n in notifies if n.kind == wire.N_COOKIE), None)
        if self.cookie_every and len(self.requests) % self.cookie_every == 0 \
                and cookie not in self._cookies:
            token = struct.pack("!I", len(self.requests)) * 4
            self._cookies.add(token)
            return self._reply_v2(msg, [(wire.V2_NOTIFY, wire.v2_notify(wire.N_COOKIE, token))])
        sa, ke = msg.first(wire.V2_SA), msg.first(wire.V2_KE)
        assert sa is not None and ke is not None
        ke_group = struct.unpack("!H", ke[:2])[0]
        offered = {p.number: set(_v2_combinations(p)) for p in wire.v2_proposals(sa)}
        for choice in self.accepted:
            number = next((n for n, combos in offered.items() if choice in combos), None)
            if number is None:
                continue
            if choice.group != ke_group:
                return self._reply_v2(msg, [(wire.V2_NOTIFY, wire.v2_notify(
                    wire.N_INVALID_KE_PAYLOAD, struct.pack("!H", choice.group)))])
            enc = iana.encr_v2(choice.encryption)
            assert enc is not None and choice.prf is not None
            transforms = [(iana.TRANSFORM_ENCR, enc.number, enc.key_bits),
                          (iana.TRANSFORM_PRF, iana.prf_v2(choice.prf) or 0, 0)]
            if choice.integrity is not None:
                transforms.append((iana.TRANSFORM_INTEG, iana.integ_v2(choice.integrity) or 0,
                                   0))
            transforms.append((iana.TRANSFORM_KE, choice.group, 0))
            sa_body = wire.v2_proposal(number, transforms, last=True)
            return self._reply_v2(msg, [(wire.V2_SA, sa_body),
                                        (wire.V2_KE, wire.v2_ke(choice.group, ke[4:])),
                                        (wire.V2_NONCE, bytes(32))])
        return self._reply_v2(msg, [(wire.V2_NOTIFY, wire.v2_notify(wire.N_NO_PROPOSAL_CHOSEN))])

    def _v1(self, msg: wire.Message) -> bytes:
        sa = msg.first(wire.V1_SA)
        assert sa is not None
        transforms = wire.v1_transforms(sa)
        offered = {combination_of(t): t for t in transforms}
        for choice in self.accepted:
            assert choice.integrity is not None
            key = (choice.encryption, choice.integrity, choice.group)
            if key in offered and proposal(key) == choice:
                attrs = sorted(offered[key].attributes.items())
                body = wire.v1_sa([attrs])
                return wire.message(msg.header.spi_i, b"\x01" * 8, 0x10, wire.MAIN_MODE, 0,
                                    [(wire.V1_SA, body)])
        note = struct.pack("!IBBH", wire.DOI_IPSEC, 1, 0, wire.N_NO_PROPOSAL_CHOSEN)
        return wire.message(msg.header.spi_i, bytes(8), 0x10, wire.INFORMATIONAL_V1, 0,
                            [(wire.V1_NOTIFY, note)])
