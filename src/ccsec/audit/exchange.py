"""The vocabulary of a negotiation: outcomes (:class:`Status`, :class:`Session`), what the
configs cannot say (:class:`Side`, :class:`Context`), and one participant of a direction
(``Peer``) with the exception that stops the exchange at a step (``Stop``).

Shared by :mod:`ccsec.audit.negotiate` (the exchange, step by step) and its two step modules,
:mod:`ccsec.audit.ike_steps` (phase 1: version, exchange, proposals, authentication) and
:mod:`ccsec.audit.child_steps` (phase 2: mode, ESP, PFS, traffic selectors, NAT).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from ccsec.crypto import EspProposal, IkeProposal
from ccsec.formats.facts import SharedKey
from ccsec.policy import (
    ANY_ADDRESS,
    Address,
    EndPolicy,
    Rule,
)

ANY = ANY_ADDRESS


class Status(StrEnum):
    """Outcome of one session, in the order the exchange reaches each step."""

    ESTABLISHED = "ESTABLISHED"
    MISSING_END_POINT = "MISSING_END_POINT"
    IKE_PHASE1_FAILED = "IKE_PHASE1_FAILED"
    AUTH_MISMATCH = "AUTH_MISMATCH"
    IKE_PHASE1_KEY_MISMATCH = "IKE_PHASE1_KEY_MISMATCH"
    IPSEC_PHASE2_FAILED = "IPSEC_PHASE2_FAILED"
    TS_MISMATCH = "TS_MISMATCH"


End = tuple[EndPolicy, Rule]


@dataclass(frozen=True)
class Side:
    """What the configs cannot tell about one end (all optional)."""

    #: IKE versions the end accepts as responder (strongSwan ``version = 0`` → {1, 2});
    #: None = only the rule's own version
    versions: frozenset[int] | None = None
    #: the address the *other* end sees for this one (the NAT's public address)
    public: Address | None = None
    #: where this end is in this session, when its rule does not say (strongSwan
    #: ``local_addrs`` unset: the address its peer sends IKE to)
    address: Address | None = None
    #: the keys the end holds per identity (strongSwan ``secrets``/ipsec.secrets): the PSK and
    #: EAP/XAUTH passwords are chosen per session, as the daemon does
    keys: tuple[SharedKey, ...] = ()
    #: the interface carrying this rule is shut down (IOS ``shutdown``), its crypto map is not
    #: applied, or the device is off; a string says which
    down: bool | str = False
    #: responds to IKEv1 aggressive mode; None = platform default (IOS yes unless
    #: ``crypto isakmp aggressive-mode disable``; Windows/CUCM no; strongSwan only when the
    #: connection is aggressive and not PSK)
    accepts_aggressive: bool | None = None
    #: the AD domain of a Windows host (Kerberos needs one domain)
    domain: str | None = None
    #: can start negotiation (None: any rule with a concrete peer address can)
    initiates: bool | None = None


@dataclass(frozen=True)
class Context:
    """The path between the ends: a NAT, and per-end facts (:class:`Side`)."""

    a: Side = field(default_factory=Side)
    b: Side = field(default_factory=Side)
    #: a NAT translates addresses between the two ends (NAT-T needed)
    nat: bool = False


@dataclass(frozen=True)
class Session:
    """The predicted outcome for one pair of rules."""

    a: str
    b: str
    status: Status
    reason: str
    ike_version: int | None = None
    ike: IkeProposal | None = None
    esp: EspProposal | None = None
    pfs: int | None = None
    auth: str | None = None
    #: IKEv2 PFS mismatch: established now, the first CHILD_SA rekey fails
    rekey_failure: str | None = None
    #: the responder narrowed the selectors (IKEv2)
    narrowed: str | None = None
    #: directions tried, e.g. ("a", "b") = a initiated and b initiated
    directions: tuple[str, ...] = ()
    #: the failed step, machine-readable: address, unusable, version, exchange, proposal,
    #: method, kerberos, psk, ca, identity, mode, pfs, esp, ts, nat-t, ah-nat, initiator
    cause: str = ""
    #: IKEv2: one end asked for transport mode and the CHILD_SA runs as a tunnel instead
    mode_fallback: str | None = None

    @property
    def established(self) -> bool:
        return self.status is Status.ESTABLISHED

    def to_json(self) -> dict[str, str]:
        return {"a": self.a, "b": self.b, "status": self.status.value, "reason": self.reason}


def label(end: End) -> str:
    """``owner:rule`` — how sessions name an end."""
    policy, rule = end
    return f"{policy.owner or policy.name}:{rule.name}"


class IkeOnly(Exception):
    """The exchange ends after authentication: an IKE-only (mediation) connection."""


class Stop(Exception):
    def __init__(self, status: Status, reason: str, cause: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.cause = cause


@dataclass(frozen=True)
class Peer:
    """One participant of a direction: its end, name and facts."""

    end: End
    name: str
    side: Side

    @property
    def policy(self) -> EndPolicy:
        return self.end[0]

    @property
    def rule(self) -> Rule:
        return self.end[1]

    @property
    def platform(self) -> str:
        return self.end[0].platform or ""


#: platforms whose IKE daemon is strongSwan's charon (the lab runs it; see check_ts_v1 & co.)
STRONGSWAN = frozenset({"strongswan", "linux"})


def is_strongswan(p: Peer) -> bool:
    return p.platform in STRONGSWAN


def address_of(p: Peer) -> Address:
    """Where an end is in this session: its rule's address, else where its peer found it."""
    local = p.rule.local_address
    if not local.is_unspecified or p.side.address is None:
        return local
    return p.side.address
