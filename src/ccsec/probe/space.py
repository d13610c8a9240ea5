"""What a probe asks about: every IKE algorithm of the vocabulary that has a standard number.

The same space defines the yardstick: an exhaustive scan that offers one combination per
packet (as ike-scan does for IKEv1) needs one packet per element of the product below; the
probe reports that count next to the packets it really sent.

IKEv2 (RFC 7296 §3.3): a non-AEAD IKE SA combines encryption × integrity × PRF × DH group; an
AEAD one (RFC 5282) encryption × PRF × DH group, with no integrity transform.  IKEv1 (RFC 2409
App. A): encryption × hash × DH group (the PRF is the HMAC of the hash), with the
authentication method fixed for the whole scan (pre-shared key unless asked otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

from ccsec.crypto import Encr, Integ, Prf, is_aead
from ccsec.probe import iana
from ccsec.probe.groups import supported


@dataclass(frozen=True)
class V2Space:
    plain: tuple[Encr, ...]
    aead: tuple[Encr, ...]
    integs: tuple[Integ, ...]
    prfs: tuple[Prf, ...]
    groups: tuple[int, ...]

    @property
    def exhaustive(self) -> int:
        """Packets a one-combination-per-packet scan of this space sends."""
        return (prod((len(self.plain), len(self.integs), len(self.prfs), len(self.groups)))
                + prod((len(self.aead), len(self.prfs), len(self.groups))))

    def to_json(self) -> dict[str, object]:
        return {"encryption": [e.value for e in (*self.plain, *self.aead)],
                "integrity": [i.value for i in self.integs], "prf": [p.value for p in self.prfs],
                "groups": list(self.groups), "combinations": self.exhaustive}


@dataclass(frozen=True)
class V1Space:
    encs: tuple[Encr, ...]
    hashes: tuple[Integ, ...]
    groups: tuple[int, ...]

    @property
    def exhaustive(self) -> int:
        return len(self.encs) * len(self.hashes) * len(self.groups)

    def combinations(self) -> list[tuple[Encr, Integ, int]]:
        """Every combination, groups outermost (one KE group per aggressive-mode offer)."""
        return [(e, h, g) for g in self.groups for e in self.encs for h in self.hashes]

    def to_json(self) -> dict[str, object]:
        return {"encryption": [e.value for e in self.encs],
                "integrity": [h.value for h in self.hashes], "groups": list(self.groups),
                "combinations": self.exhaustive}


def _groups(only: tuple[int, ...] | None) -> tuple[int, ...]:
    chosen = iana.KE_GROUPS if only is None else only
    return tuple(g for g in chosen if supported(g) and iana.group_known(g))


def v2_space(groups: tuple[int, ...] | None = None) -> V2Space:
    """The full IKEv2 space (``groups`` narrows the DH groups, e.g. for a quick look)."""
    encs = [e for e in Encr if iana.encr_v2(e) is not None]  # GMAC has no IKE number
    return V2Space(
        plain=tuple(e for e in encs if not is_aead(e)),
        aead=tuple(e for e in encs if is_aead(e)),
        integs=tuple(i for i in Integ if iana.integ_v2(i) is not None),
        prfs=tuple(p for p in Prf if iana.prf_v2(p) is not None),
        groups=_groups(groups),
    )


def v1_space(groups: tuple[int, ...] | None = None) -> V1Space:
    return V1Space(
        encs=tuple(e for e in Encr if iana.encr_v1(e) is not None),
        hashes=tuple(i for i in Integ if iana.hash_v1(i) is not None),
        groups=_groups(groups),
    )
