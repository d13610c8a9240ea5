"""Static IKE negotiation: will two ends establish an SA, and if not, where does it stop?

:func:`negotiate` is a **pure function** of two ends — each an ``(EndPolicy, Rule)`` pair, as
every parser produces them — and a :class:`Context` with what the two configs cannot say (a NAT
in between, interfaces that are shut, strongSwan ``version = 0``).  It walks the exchange in the
order real IKE does and reports the first step that fails, as one :class:`Status`:

1. ``MISSING_END_POINT`` — an end is disabled, passes/blocks instead of negotiating, sits behind a
   shut interface, or aims its IKE at an address where the other end is not.
2. ``IKE_PHASE1_FAILED`` — no common IKE version (strongSwan ``version = 0`` accepts both and
   initiates IKEv2), main vs aggressive mode (except against strongSwan: see 3), or no
   common phase-1 proposal.  IKEv1: one
   proposal (a complete transform: cipher, hash, group) must match entirely; IKEv2: each
   proposal is matched per transform type — parsers expand multi-algorithm proposals into
   single-algorithm ones, so an exact match of expanded proposals is exactly that.
3. ``AUTH_MISMATCH`` — no common authentication method (IKEv1 negotiates it inside the proposal,
   so on the wire this shows as NO_PROPOSAL_CHOSEN; IKEv2 needs each side to accept the other's
   method), Kerberos with a non-Windows end or across AD domains, certificates trusted from
   different root CAs (two strongSwan ends must also spell the CA's DN in the same RDN order),
   configured identities that do not match, or -- strongSwan responders -- IKEv1 main vs
   aggressive mode, which charon refuses only when it authenticates (AUTHENTICATION_FAILED).
4. ``IKE_PHASE1_KEY_MISMATCH`` — both ends use pre-shared keys and the keys differ (compared with
   :class:`~ccsec.secrets.Secret` equality; no key or digest is ever put into the reason).
5. ``IPSEC_PHASE2_FAILED`` — tunnel vs transport (IKEv2 between two strongSwan ends instead
   establishes in tunnel mode: :attr:`Session.mode_fallback`), no common ESP/AH proposal,
   PFS (IKEv1: a side that sets a PFS group requires the same group from the other; an IOS
   responder without ``set pfs`` accepts any offer), ESP blocked by a NAT without NAT-T, AH
   across NAT.
   IKEv2 carries no key exchange for the first CHILD_SA (it reuses the IKE keys), so a PFS
   mismatch does not stop establishment: the session is ``ESTABLISHED`` and
   :attr:`Session.rekey_failure` says the first rekey will fail.  No PFS on both sides is fine.
6. ``TS_MISMATCH`` — traffic selectors.  IKEv1 depends on the responder: the exact mirror of
   one of its filters (Windows, unknown), a subset of a mirrored crypto ACL entry (IOS), or
   any overlap, narrowed like IKEv2 (strongSwan, when the initiator is strongSwan too); see
   :func:`_check_ts_v1`.  IKEv2: the responder narrows to the intersection of the
   initiator's selectors and its own; the session establishes when both intersections are
   non-empty (narrowing allowed), and :attr:`Session.narrowed` says when the result is smaller
   than what an end asked for.

Both directions are tried (either end may initiate: traffic hits a trap/crypto ACL on either
side).  A session is ``ESTABLISHED`` only when every direction that can start works; when one
direction fails the failure is reported with "works only when X initiates".

The responder's proposal preference wins (strongSwan ``prefer_configured_proposals = yes``, the
default, and IOS, which walks its own policies in priority order); :attr:`Session.ike` and
:attr:`Session.esp` are what the successful direction selected.

Platforms matter: where stacks behave differently the end's ``EndPolicy.platform`` decides
(``strongswan``/``linux`` = charon; ``ios``; anything else is held to the strict generic rule).
The strongSwan behaviour modelled here was settled by the differential test
(``tests/lab/test_lab_differential.py``): generated pairs with one difference each (phase-1 and
phase-2 proposals, PSK, CA, IKE version, selectors, PFS, mode) are negotiated on strongSwan
5.9.8 in the lab, each end initiating once, and compared with ``negotiate`` run with only that
end initiating; IKEv2 PFS pairs also force a CHILD_SA rekey to check
:attr:`Session.rekey_failure`.  Known limits, all documented in the reason text: IKE lifetimes
are not compared; an IOS transform set ``mode transport`` without ``require`` falls back to
tunnel on IOS only; strongSwan's responder refuses aggressive-mode PSK unless
``charon.i_dont_care_about_security_and_use_aggressive_mode_psk`` is set (modelled by
:attr:`Side.accepts_aggressive`); IOS and Windows behaviour is documented, not lab-run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from ipaddress import ip_network

from ccsec.audit.auth_rounds import Party, applies, check_rounds, first_method
from ccsec.crypto import DH_GROUPS, EspProposal, IkeProposal, dh_label, is_aead
from ccsec.formats.facts import SharedKey
from ccsec.formats.strongswan.identity import id_matches
from ccsec.formats.strongswan.keys import best_key
from ccsec.policy import (
    ANY_ADDRESS,
    Address,
    Auth,
    AuthMethod,
    EndPolicy,
    Filter,
    Identity,
    Network,
    Rule,
    subnet,
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


# ------------------------------------------------------------------------------ one direction


@dataclass(frozen=True)
class _Try:
    status: Status
    reason: str
    version: int | None = None
    ike: IkeProposal | None = None
    esp: EspProposal | None = None
    pfs: int | None = None
    auth: str | None = None
    rekey_failure: str | None = None
    narrowed: str | None = None
    cause: str = ""
    mode_fallback: str | None = None


class _IkeOnly(Exception):
    """The exchange ends after authentication: an IKE-only (mediation) connection."""


class _Stop(Exception):
    def __init__(self, status: Status, reason: str, cause: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.cause = cause


@dataclass(frozen=True)
class _P:
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


#: platforms whose IKE daemon is strongSwan's charon (the lab runs it; see _check_ts_v1 & co.)
STRONGSWAN = frozenset({"strongswan", "linux"})


def _strongswan(p: _P) -> bool:
    return p.platform in STRONGSWAN


def _unusable(p: _P) -> str | None:
    r = p.rule
    if p.side.down:
        what = p.side.down if isinstance(p.side.down, str) else "its interface is shut down"
        return f"{p.name} cannot negotiate: {what} (no IKE packet reaches it)"
    if not r.enabled:
        return f"{p.name}'s rule is disabled"
    if r.action != "negotiate":
        what = "passes the traffic in clear text" if r.action == "permit" else "blocks the traffic"
        return f"{p.name} {what} (filter action {r.action}) instead of negotiating IPsec"
    return None


def address_of(p: _P) -> Address:
    """Where an end is in this session: its rule's address, else where its peer found it."""
    local = p.rule.local_address
    if not local.is_unspecified or p.side.address is None:
        return local
    return p.side.address


def _reaches(src: _P, dst: _P) -> bool:
    """``src`` addresses its IKE to where ``dst`` is (own address or NAT public address)."""
    target = src.rule.peer_address
    return target in (address_of(dst), dst.side.public) or (
        dst.rule.local_address.is_unspecified and dst.side.address is None)


def _accepts_from(res: _P, ini: _P) -> bool:
    """The responder's rule is for this initiator (or for any peer: dynamic map, %any, a
    range of peers it accepts)."""
    expected = res.rule.peer_address
    if res.rule.peer_name is not None:
        return False  # a host name nobody resolved answers no one
    seen = [a for a in (address_of(ini), ini.side.public) if a is not None]
    if expected.is_unspecified and not res.rule.peer_alternatives:
        return True
    if expected in seen or any(a.is_unspecified for a in seen):
        return True
    return any(a.version == n.version and a in n for a in seen
               for n in res.rule.peer_alternatives)


def _check_addresses(ini: _P, res: _P) -> None:
    if not _reaches(ini, res):
        seen = f" (or {res.side.public})" if res.side.public else ""
        raise _Stop(
            Status.MISSING_END_POINT,
            f"{ini.name} sends IKE to {ini.rule.peer_address}, but {res.name} is at "
            f"{address_of(res)}{seen}",
            "address",
        )
    if not _accepts_from(res, ini):
        expected = res.rule.peer_name or res.rule.peer_address
        raise _Stop(
            Status.MISSING_END_POINT,
            f"{res.name} expects its peer at {expected}, not "
            f"{ini.name} at {ini.side.public or address_of(ini)}: it has no "
            "configuration for this initiator",
            "address",
        )


def _versions(p: _P) -> frozenset[int]:
    return p.side.versions or frozenset({p.rule.ike.version})


def _accepts_aggressive(p: _P) -> bool:
    if p.side.accepts_aggressive is not None:
        return p.side.accepts_aggressive
    if p.platform == "ios":
        return True  # IOS answers aggressive mode unless `crypto isakmp aggressive-mode disable`
    if p.platform in ("windows", "cucm"):
        return False
    psk = any(a.method == "psk" for a in p.rule.auth)
    return p.rule.ike.exchange == "aggressive" and not psk


def _check_version(ini: _P, res: _P) -> int:
    v = ini.rule.ike.version
    if v not in _versions(res):
        accepted = " and ".join(f"IKEv{x}" for x in sorted(_versions(res)))
        raise _Stop(
            Status.IKE_PHASE1_FAILED,
            f"{ini.name} initiates IKEv{v}, {res.name} accepts only {accepted}",
            "version",
        )
    return v


def _check_exchange(ini: _P, res: _P) -> None:
    """IKEv1 main vs aggressive mode.

    Most responders refuse the other exchange type outright (phase 1).  strongSwan's charon
    negotiates the proposal first and refuses when it looks for a peer config to authenticate
    against, so the initiator gets AUTHENTICATION_FAILED: "Aggressive Mode PSK disabled for
    security reasons" (unless ``charon.i_dont_care_about_security_and_use_aggressive_mode_psk``,
    modelled by :attr:`Side.accepts_aggressive`), or "found 1 matching config, but none allows
    pre-shared key authentication using Main Mode" for a main-mode initiator against an
    aggressive connection (lab-observed, strongSwan 5.9.8: tests/lab/test_lab_differential.py).
    """
    mode = ini.rule.ike.exchange
    if mode == "aggressive":
        refused = not _accepts_aggressive(res)
        why = f"{ini.name} uses IKEv1 aggressive mode, {res.name} answers main mode only"
    else:
        refused = res.rule.ike.exchange == "aggressive" and res.platform != "ios"
        why = f"{ini.name} uses IKEv1 main mode, {res.name} is set to aggressive mode"
    if not refused:
        return
    if _strongswan(res):
        raise _Stop(
            Status.AUTH_MISMATCH,
            f"{why}: strongSwan agrees on the proposal, then finds no connection that allows "
            f"this authentication in {mode} mode and answers AUTHENTICATION_FAILED",
            "exchange",
        )
    raise _Stop(Status.IKE_PHASE1_FAILED, why, "exchange")


def _ike_key(p: IkeProposal, version: int) -> tuple[object, ...]:
    if version == 1:
        return (p.encryption, p.integrity, p.group)
    return (p.encryption, p.integrity, p.effective_prf, p.group, p.additional_ke)


#: id(proposals) → (proposals, keys in order): strongSwan's default list expands to thousands
#: of single-algorithm proposals that many rules share, so their keys are computed once
_KEYS: dict[tuple[int, int], tuple[tuple[IkeProposal, ...], list[tuple[object, ...]],
                                   frozenset[tuple[object, ...]]]] = {}


def _ike_keys(props: tuple[IkeProposal, ...], version: int
              ) -> tuple[list[tuple[object, ...]], frozenset[tuple[object, ...]]]:
    hit = _KEYS.get((id(props), version))
    if hit is None or hit[0] is not props:
        keys = [_ike_key(x, version) for x in props if version == 2 or not is_aead(x.encryption)]
        if len(_KEYS) > 4096:
            _KEYS.clear()
        hit = (props, keys, frozenset(keys))
        _KEYS[(id(props), version)] = hit
    return hit[1], hit[2]


def _check_ike(ini: _P, res: _P, version: int) -> IkeProposal:
    _, offered = _ike_keys(ini.rule.ike.proposals, version)
    mine_keys, _ = _ike_keys(res.rule.ike.proposals, version)
    usable = [x for x in res.rule.ike.proposals if version == 2 or not is_aead(x.encryption)]
    for mine, key in zip(usable, mine_keys, strict=True):
        if key in offered:
            return mine
    a = _labels(ini.rule.ike.proposals)
    b = _labels(res.rule.ike.proposals)
    how = (
        "IKEv1 needs one whole transform (cipher, hash, group) in common"
        if version == 1
        else "IKEv2 needs one proposal with a common algorithm of each type"
    )
    raise _Stop(
        Status.IKE_PHASE1_FAILED,
        f"no common IKE proposal ({how}): {ini.name} offers {a}; {res.name} accepts {b}",
        "proposal",
    )


def _labels(props: tuple[IkeProposal, ...], most: int = 8) -> str:
    shown = ", ".join(x.label() for x in props[:most])
    return shown + (f" … ({len(props)} in all)" if len(props) > most else "")


def _methods(p: _P) -> list[str]:
    return [a.method for a in p.rule.auth]


def _auth_of(p: _P, method: AuthMethod) -> Auth:
    """The rule's auth entry of ``method`` (a strongSwan end that proves itself one way and
    requires another has only its own method here: an empty entry stands for the other)."""
    return next((a for a in p.rule.auth if a.method == method), Auth(method=method))


def _check_auth(ini: _P, res: _P, version: int) -> str:
    common = [m for m in _methods(ini) if m in _methods(res)]
    if not common:
        wire = (
            " (IKEv1 negotiates the method inside the proposal: NO_PROPOSAL_CHOSEN on the wire)"
            if version == 1
            else ""
        )
        raise _Stop(
            Status.AUTH_MISMATCH,
            f"no common authentication method: {ini.name} uses "
            f"{'/'.join(_methods(ini))}, {res.name} uses {'/'.join(_methods(res))}{wire}",
            "method",
        )
    method = common[0]
    if method == "kerberos":
        for p in (ini, res):
            if p.platform not in ("windows", ""):
                raise _Stop(
                    Status.AUTH_MISMATCH,
                    f"Kerberos is a Windows method; {p.name} runs {p.platform}",
                    "kerberos",
                )
        if ini.side.domain and res.side.domain and ini.side.domain != res.side.domain:
            raise _Stop(
                Status.AUTH_MISMATCH,
                f"Kerberos across AD domains: {ini.name} is in {ini.side.domain}, "
                f"{res.name} in {res.side.domain} (use certificates)",
                "kerberos",
            )
    return method


def _session_psk(p: _P, other: _P) -> object:
    """The key an end uses towards ``other``: the one its rule names when the rule says who
    the peer is (the reader chose it for that peer); for a rule open to any peer, chosen among
    the end's keys by both identities, as charon does (a gateway holds one key per client)."""
    own = _auth_of(p, "psk").psk
    open_peer = p.rule.peer_id is None and p.rule.peer_address.is_unspecified
    if not p.side.keys or (own is not None and not open_peer):
        return own
    me = _effective_local_id(p, "psk")
    them = _effective_local_id(other, "psk")
    key = best_key(p.side.keys, "psk", me, them)
    return key.secret if key else None


def _check_psk(ini: _P, res: _P) -> str | None:
    a, b = _session_psk(ini, res), _session_psk(res, ini)
    if a is None or b is None:
        who = ini.name if a is None else res.name
        return f"{who}'s pre-shared key is stored in a form ccsec cannot read; equality unverified"
    if a != b:
        raise _Stop(
            Status.IKE_PHASE1_KEY_MISMATCH,
            f"the pre-shared keys of {ini.name} and {res.name} differ",
            "psk",
        )
    return None


@lru_cache(maxsize=4096)  # pure, and every certificate session compares the same few CAs
def normalize_dn(dn: str) -> tuple[tuple[str, str], ...]:
    """A DN as a sorted set of (TYPE, value) — Windows and strongSwan print RDNs in different
    orders and spacing; values compare case-insensitively."""
    parts: list[tuple[str, str]] = []
    for rdn in _split_dn(dn):
        key, _, value = rdn.partition("=")
        parts.append((key.strip().upper(), value.strip().casefold()))
    return tuple(sorted(parts))


def _split_dn(dn: str) -> list[str]:
    out, cur, esc = [], [], False
    for c in dn:
        if esc:
            cur.append(c)
            esc = False
        elif c == "\\":
            esc = True
        elif c in ",/" and cur:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(c)
    if cur:
        out.append("".join(cur))
    return [p for p in (s.strip() for s in out) if p]


@lru_cache(maxsize=4096)
def ordered_dn(dn: str) -> tuple[tuple[str, str], ...]:
    """A DN as strongSwan compares it: RDN by RDN in order, values case-insensitive."""
    parts = (rdn.partition("=") for rdn in _split_dn(dn))
    return tuple((k.strip().upper(), v.strip().casefold()) for k, _, v in parts)


def _check_ca(ini: _P, res: _P) -> str | None:
    a, b = _auth_of(ini, "certificate").ca, _auth_of(res, "certificate").ca
    if a and b and normalize_dn(a) != normalize_dn(b):
        raise _Stop(
            Status.AUTH_MISMATCH,
            f"{ini.name} trusts root CA '{a}', {res.name} trusts '{b}': each end's "
            "certificate must chain to the CA the other end trusts",
            "ca",
        )
    if a and b and _strongswan(ini) and _strongswan(res) and ordered_dn(a) != ordered_dn(b):
        # Windows and strongSwan print one DN in opposite RDN orders, so across platforms the
        # order is ignored; but charon matches ``ca_id`` against the CA certificate's subject
        # RDN by RDN, so of two strongSwan ends naming one CA in two orders, one names it
        # wrongly and refuses its peer ("constraint check failed: peer not authenticated by
        # CA"; lab-observed, strongSwan 5.9.8; letter case is ignored)
        raise _Stop(
            Status.AUTH_MISMATCH,
            f"{ini.name} names its root CA '{a}', {res.name} '{b}': the same RDNs in another "
            "order, and strongSwan matches ca_id RDN by RDN in order, so one of them does "
            "not match the CA certificate",
            "ca",
        )
    if not a or not b:
        return "one end names no root CA: certificate trust unverified"
    return None


def _id_key(ident: Identity) -> tuple[str, object]:
    if ident.kind == "dn":
        return ("dn", normalize_dn(ident.value))
    return (ident.kind, ident.value.casefold().rstrip("."))


def _effective_local_id(p: _P, method: str) -> Identity | None:
    if p.rule.local_id is not None:
        return p.rule.local_id
    if method == "psk":  # strongSwan, IOS and Windows default to the IP address for PSK
        return Identity(kind="address", value=str(address_of(p)))
    return None


def _check_ids(ini: _P, res: _P, method: str) -> None:
    if method == "kerberos":
        return
    for expecter, sender in ((res, ini), (ini, res)):
        expected = expecter.rule.peer_id
        sent = _effective_local_id(sender, method)
        if expected is None or sent is None:
            continue
        if expected.kind == "address" and sent.kind == "address" and \
                sender.rule.local_id is None and address_of(sender).is_unspecified:
            continue  # the sender's address is not known here
        if not id_matches(expected, sent) and _id_key(expected) != _id_key(sent):
            raise _Stop(
                Status.AUTH_MISMATCH,
                f"{expecter.name} expects peer identity {expected.kind} "
                f"'{expected.value}', {sender.name} sends {sent.kind} '{sent.value}'",
                "identity",
            )


def _check_mode(ini: _P, res: _P, version: int) -> str | None:
    """Tunnel vs transport: a failure, except IKEv2 between two strongSwan ends.

    IKEv2 asks for transport mode with a USE_TRANSPORT_MODE notify; a responder that declines
    answers without it and the CHILD_SA is a tunnel (RFC 7296 §1.3.1; the initiator *may*
    then delete it).  charon does not delete it: a transport-mode strongSwan end takes the
    tunnel as initiator and as responder (lab-observed, strongSwan 5.9.8, host-to-host rules),
    so the session establishes -- in tunnel mode, which the note says.  IKEv1 carries the
    mode in the quick-mode proposal and charon looks for a CHILD_SA config with that mode:
    none, so it answers INVALID_ID_INFORMATION ("no matching CHILD_SA config found"), which
    in its log looks like a selector mismatch.
    """
    if ini.rule.mode == res.rule.mode:
        return None
    why = f"{ini.name} wants {ini.rule.mode} mode, {res.name} {res.rule.mode} mode"
    if version == 2 and _strongswan(ini) and _strongswan(res):
        transport = ini if ini.rule.mode == "transport" else res
        return (f"{why}: the transport-mode request is declined and {transport.name} (strongSwan) "
                "accepts a tunnel, so the CHILD_SA runs in tunnel mode")
    if version == 1 and _strongswan(res):
        why += (f" ({res.name} answers INVALID_ID_INFORMATION: strongSwan finds no CHILD_SA "
                "config with this mode, and its log says 'no matching CHILD_SA config found')")
    raise _Stop(Status.IPSEC_PHASE2_FAILED, why, "mode")


def _esp_key(p: EspProposal) -> tuple[object, ...]:
    return (p.encryption, p.integrity, p.ah)


def _groups(p: _P) -> list[int]:
    """The PFS groups an end offers or accepts, its own first (0 = no PFS)."""
    return list(dict.fromkeys([p.rule.pfs_group or 0, *p.rule.pfs_alternatives]))


def _check_pfs_v1(ini: _P, res: _P) -> int | None:
    gi, gr = ini.rule.pfs_group, res.rule.pfs_group
    if gi == gr:
        return gi
    if gr is None and res.platform == "ios":
        return gi  # IOS: "if the local configuration does not specify PFS, it accepts any offer"
    offered = set(_groups(ini))
    common = [g for g in _groups(res) if g in offered]
    if common:  # the responder picks its own first choice among what was offered
        return common[0] or None

    def name(g: int | None) -> str:
        return "no PFS" if g is None else f"PFS {dh_label(g)}"

    raise _Stop(
        Status.IPSEC_PHASE2_FAILED,
        f"PFS differs in quick mode: {ini.name} offers {name(gi)}, {res.name} requires "
        f"{name(gr)} (IKEv1: a side that sets a PFS group requires the same group)",
        "pfs",
    )


def _check_esp(ini: _P, res: _P) -> EspProposal:
    """(IKEv1 carries the PFS group inside each quick-mode proposal; it is checked on its own
    first, so the transforms are compared here.)"""
    offered = {_esp_key(x) for x in ini.rule.esp}
    for mine in res.rule.esp:
        if _esp_key(mine) in offered:
            return mine
    a = ", ".join(x.label() for x in ini.rule.esp)
    b = ", ".join(x.label() for x in res.rule.esp)
    raise _Stop(
        Status.IPSEC_PHASE2_FAILED,
        f"no common ESP/AH proposal: {ini.name} offers {a}; {res.name} accepts {b}",
        "esp",
    )


def _pfs_v2(ini: _P, res: _P) -> str | None:
    gi, gr = ini.rule.pfs_group, res.rule.pfs_group
    if gi == gr or set(_groups(ini)) & set(_groups(res)):
        return None

    def name(g: int | None) -> str:
        return "none" if g is None else dh_label(g)

    return (
        f"PFS differs ({ini.name}: {name(gi)}, {res.name}: {name(gr)}): IKEv2's first "
        "CHILD_SA reuses the IKE keys, so it establishes; the first rekey "
        f"(after ~{min(ini.rule.lifetime_s, res.rule.lifetime_s)} s) sends a key exchange "
        "the other end refuses and the CHILD_SA is lost"
    )


# ---- traffic selectors

#: (network, protocol, first port, last port); None = any
TS = tuple[Network, int | None, int | None, int | None]


def _ts(f: Filter, local: bool) -> TS:
    if local:
        return (f.local, f.protocol, f.local_port, f.local_port_max or f.local_port)
    return (f.remote, f.protocol, f.remote_port, f.remote_port_max or f.remote_port)


def _contains(x: TS, y: TS) -> bool:
    if not subnet(y[0], x[0]):
        return False
    if x[1] is not None and x[1] != y[1]:
        return False
    return x[2] is None or (y[2] is not None and y[3] is not None and x[3] is not None
                            and x[2] <= y[2] and y[3] <= x[3])


def _intersect(x: TS, y: TS) -> TS | None:
    if x[0].version != y[0].version or not x[0].overlaps(y[0]):
        return None
    net = x[0] if x[0].prefixlen >= y[0].prefixlen else y[0]
    proto = _meet(x[1], y[1])
    if proto is False:
        return None
    if x[2] is None:
        lo, hi = y[2], y[3]
    elif y[2] is None:
        lo, hi = x[2], x[3]
    else:
        lo, hi = max(x[2], y[2]), min(x[3] or x[2], y[3] or y[2])
        if lo > hi:
            return None
    return (net, proto if isinstance(proto, int) else None, lo, hi)


def _meet(a: int | None, b: int | None) -> int | bool | None:
    if a is None:
        return b
    if b is None or a == b:
        return a
    return False


def _fmt_ts(ts: TS) -> str:
    net, proto, lo, hi = ts
    if proto is None:
        return str(net)
    if lo is None:
        return f"{net}[{proto}]"
    return f"{net}[{proto}/{lo}]" if hi in (None, lo) else f"{net}[{proto}/{lo}-{hi}]"


def _pairs(filters: tuple[Filter, ...] | list[Filter]) -> list[tuple[TS, TS]]:
    return [(_ts(f, True), _ts(f, False)) for f in filters]


def _host(a: Address) -> Network:
    return ip_network(a)


def _own(p: _P) -> Address | None:
    """The address an end's dynamic selector stands for: its own configured address.  Where
    the configuration does not say it, the address its peer aims at may be a NAT's, and charon
    behind a NAT proposes its private address (accepted by the peer's dynamic selector), so
    the selector stays open."""
    local = p.rule.local_address
    return None if local.is_unspecified else local


def session_filters(p: _P, other: _P) -> list[Filter]:
    """``p``'s filters with its dynamic sides resolved for this session (strongSwan
    ``dynamic``): a side that asked for a virtual IP gets an address of the other end's pool;
    a peer that got one from ``p``'s pool is that pool; otherwise the IKE address of that side,
    when known here."""
    out: list[Filter] = []
    for f in p.rule.filters:
        if not f.dynamic:
            out.append(f)
            continue
        locals_ = [f.local]
        remotes = [f.remote]
        if f.local_dynamic:
            if p.rule.virtual_ips and other.rule.pools:
                locals_ = [n for n in other.rule.pools if n.version == f.local.version] or \
                    locals_
            elif not p.rule.virtual_ips and (mine := _own(p)) is not None:
                locals_ = [_host(mine)]
        if f.remote_dynamic:
            if other.rule.virtual_ips and p.rule.pools:
                remotes = [n for n in p.rule.pools if n.version == f.remote.version] or remotes
            elif not other.rule.virtual_ips and (theirs := _own(other)) is not None:
                remotes = [_host(theirs)]
        out += [f.model_copy(update={"local": lo, "remote": re}) for lo in locals_
                for re in remotes if lo.version == re.version]
    return out


def _check_vips(ini: _P, res: _P) -> str | None:
    """An initiator that asks for a virtual IP needs a responder with a pool for it."""
    if not ini.rule.virtual_ips:
        return None
    families = {a.version for a in ini.rule.virtual_ips}
    served = {n.version for n in res.rule.pools}
    if families & served:
        missing_ = families - served
        return (f"{res.name} has no IPv{missing_.pop()} pool for the virtual IP {ini.name} also "
                "requests") if missing_ else None
    if _strongswan(ini) and _strongswan(res):
        raise _Stop(
            Status.IPSEC_PHASE2_FAILED,
            f"{ini.name} requests a virtual IP and {res.name} has no pool to assign it from: "
            "strongSwan logs 'configuration payload negotiation failed, no CHILD_SA built'",
            "vip",
        )
    return f"{ini.name} requests a virtual IP; whether {res.name} assigns one is not modelled"


def _v1_answer(ini: _P, res: _P, local: TS, remote: TS,
               res_pairs: list[tuple[TS, TS]]) -> tuple[TS, TS] | None:
    """What the responder answers to the proposal ``local <-> remote`` (initiator's view), or
    None when it refuses; see :func:`_check_ts_v1`."""
    if (remote, local) in res_pairs:
        return local, remote  # the exact mirror: every stack accepts it
    if _strongswan(res):
        for r_local, r_remote in res_pairs:
            ni, nr = _intersect(local, r_remote), _intersect(remote, r_local)
            if ni is not None and nr is not None:
                return ni, nr
    elif res.platform == "ios" and any(
        _contains(r_remote, local) and _contains(r_local, remote) for r_local, r_remote in res_pairs
    ):
        return local, remote
    return None


def _check_ts_v1(ini: _P, res: _P, ini_filters: list[Filter], res_filters: list[Filter]
                 ) -> str | None:
    """IKEv1 quick mode: one proposed selector pair, which the responder accepts or refuses.

    The classic rule is the exact mirror image, and that is what a responder of unknown or
    Windows platform is held to.  Two platforms do more:

    - strongSwan (charon, ``quick_mode.c``: ``select_ts`` narrows the proposal to its
      configured selectors, ``get_ts`` on the initiator accepts any answer that overlaps its
      proposal) answers with the intersection of the proposal and its own selectors, and a
      strongSwan initiator installs that narrowed pair -- as in IKEv2.  Lab-observed on
      strongSwan 5.9.8 both ways (narrower, wider, protocol- and port-restricted selectors).
    - IOS accepts a proposal its crypto ACL *permits* (a subset of a mirrored entry): "the
      peer should specify a data flow that is permitted by a crypto access list" (Cisco crypto
      map documentation; reference/platform-syntax.md §5.5: non-mirrored ACLs work "when one
      side is a subset and the subset side initiates") [U: not run on real IOS here].

    A narrowed answer goes back to an initiator that expected its own proposal; only a
    strongSwan initiator is known to accept that, so with any other initiator a narrowing
    answer is a mismatch [U].
    """
    notes: list[str] = []
    res_pairs = _pairs(res_filters)
    for local, remote in _pairs(ini_filters):  # each filter: a quick mode of its own
        answer = _v1_answer(ini, res, local, remote, res_pairs)
        if answer is not None and (answer[1], answer[0]) not in res_pairs:
            part = f"{res.name} protects only part of what its own rule lists"
            notes += [] if part in notes else [part]
        if answer == (local, remote):
            continue
        if answer is not None and _strongswan(ini):
            notes.append(f"{res.name} narrowed {ini.name}'s proposal to "
                         f"{_fmt_ts(answer[0])} <-> {_fmt_ts(answer[1])} (strongSwan, IKEv1)")
            continue
        theirs = "; ".join(f"{_fmt_ts(r)} <-> {_fmt_ts(lo)}" for lo, r in res_pairs)
        if answer is not None:
            why = (f"{res.name} (strongSwan) would narrow it to {_fmt_ts(answer[0])} <-> "
                   f"{_fmt_ts(answer[1])}, which an IKEv1 initiator other than strongSwan "
                   "does not take back")
        elif _strongswan(res):
            why = f"it does not overlap {res.name}'s selectors ({theirs})"
        elif res.platform == "ios":
            why = f"{res.name}'s crypto ACL does not permit it ({theirs})"
        else:
            why = (f"IKEv1 needs mirror-image selectors and {res.name} has no exact "
                   f"mirror ({theirs})")
        raise _Stop(
            Status.TS_MISMATCH,
            f"{ini.name} proposes {_fmt_ts(local)} <-> {_fmt_ts(remote)}: {why}",
            "ts",
        )
    return "; ".join(notes) or None


def _narrow(proposed: list[TS], config: list[TS]) -> list[TS]:
    out: list[TS] = []
    for p in proposed:
        for c in config:
            x = _intersect(p, c)
            if x is not None and x not in out:
                out.append(x)
    return out


def _check_ts_v2(ini: _P, res: _P, ini_filters: list[Filter], res_filters: list[Filter]
                 ) -> str | None:
    tsi = list(dict.fromkeys(_ts(f, True) for f in ini_filters))
    tsr = list(dict.fromkeys(_ts(f, False) for f in ini_filters))
    res_remote = list(dict.fromkeys(_ts(f, False) for f in res_filters))
    res_local = list(dict.fromkeys(_ts(f, True) for f in res_filters))
    got_i, got_r = _narrow(tsi, res_remote), _narrow(tsr, res_local)
    if not got_i or not got_r:
        raise _Stop(
            Status.TS_MISMATCH,
            f"traffic selectors do not overlap: {ini.name} proposes "
            f"{', '.join(map(_fmt_ts, tsi))} <-> {', '.join(map(_fmt_ts, tsr))}; "
            f"{res.name} allows {', '.join(map(_fmt_ts, res_remote))} <-> "
            f"{', '.join(map(_fmt_ts, res_local))}",
            "ts",
        )
    notes = []
    if set(got_i) != set(tsi) or set(got_r) != set(tsr):
        notes.append(
            f"{res.name} narrowed {ini.name}'s selectors to "
            f"{', '.join(map(_fmt_ts, got_i))} <-> {', '.join(map(_fmt_ts, got_r))}"
        )
    if set(got_i) != set(res_remote) or set(got_r) != set(res_local):
        notes.append(f"{res.name} protects only part of what its own rule lists")
    return "; ".join(notes) or None


def _check_nat(ini: _P, res: _P, esp: EspProposal, nat: bool) -> None:
    if not nat:
        return
    off = [p.name for p in (ini, res) if not p.rule.nat_traversal]
    if off:
        raise _Stop(
            Status.IPSEC_PHASE2_FAILED,
            f"a NAT lies between the ends and NAT traversal is off on {', '.join(off)}: "
            "IKE may pass, ESP (IP protocol 50) does not cross the NAT",
            "nat-t",
        )
    if esp.ah is not None:
        raise _Stop(
            Status.IPSEC_PHASE2_FAILED,
            "AH across NAT: AH authenticates the IP header the NAT rewrites "
            "(use ESP; ESP-NULL if only integrity is needed)",
            "ah-nat",
        )


def _attempt(ini: _P, res: _P, ctx: Context) -> _Try:
    notes: list[str] = []
    version = ike = esp = pfs = method = fallback = None
    try:
        for p in (ini, res):
            why = _unusable(p)
            if why:
                raise _Stop(Status.MISSING_END_POINT, why, "unusable")
        _check_addresses(ini, res)
        version = _check_version(ini, res)
        if version == 1 and not _strongswan(res):
            _check_exchange(ini, res)
        ike = _check_ike(ini, res, version)
        if version == 1 and _strongswan(res):
            _check_exchange(ini, res)  # charon refuses it later, at authentication
        method = first_method(ini.rule, res.rule) if applies(ini.rule, res.rule) else \
            _check_auth(ini, res, version)
        if method == "psk":
            notes.append(_check_psk(ini, res) or "")
        _check_ids(ini, res, method)
        rounds = check_rounds(Party(ini.name, ini.rule, ini.side.keys),
                              Party(res.name, res.rule, res.side.keys), version)
        if rounds.failure is not None:
            raise _Stop(Status.AUTH_MISMATCH, rounds.failure, rounds.cause)
        notes += rounds.notes
        if ini.rule.ike_only or res.rule.ike_only:
            raise _IkeOnly()
        if method == "certificate":
            notes.append(_check_ca(ini, res) or "")
        fallback = _check_mode(ini, res, version)
        pfs = _check_pfs_v1(ini, res) if version == 1 else ini.rule.pfs_group
        esp = _check_esp(ini, res)
        _check_nat(ini, res, esp, ctx.nat)
        notes.append(_check_vips(ini, res) or "")
        fi, fr = session_filters(ini, res), session_filters(res, ini)
        narrowed = _check_ts_v1(ini, res, fi, fr) if version == 1 else \
            _check_ts_v2(ini, res, fi, fr)
    except _Stop as stop:
        return _Try(stop.status, stop.reason, version, ike, esp, pfs, method, cause=stop.cause)
    except _IkeOnly:
        assert ike is not None
        only = ini.name if ini.rule.ike_only else res.name
        reason = "; ".join(n for n in [f"IKEv{version} {ike.label()}: IKE SA only ({only} is a "
                                       "mediation connection without CHILD_SA)", *notes] if n)
        return _Try(Status.ESTABLISHED, reason, version, ike, None, None, method)
    rekey = _pfs_v2(ini, res) if version == 2 else None
    if version == 2 and pfs != res.rule.pfs_group:
        pfs = None
    if ctx.nat:
        notes.append("NAT traversal (UDP 4500) engages")
    reason = "; ".join(
        n
        for n in [
            f"IKEv{version} {ike.label()}, {esp.label()}"
            + (f", PFS {DH_GROUPS[pfs].keyword}" if pfs else ", no PFS"),
            *notes,
            fallback or "",
            narrowed or "",
            rekey or "",
        ]
        if n
    )
    return _Try(Status.ESTABLISHED, reason, version, ike, esp, pfs, method, rekey, narrowed,
                mode_fallback=fallback)


def _can_initiate(p: _P) -> bool:
    if p.side.initiates is not None:
        return p.side.initiates
    return p.rule.peer_address != ANY and p.rule.outbound != "none"


# ------------------------------------------------------------------------------ both directions


def negotiate(
    a: End, b: End, ctx: Context | None = None, names: tuple[str, str] | None = None
) -> Session:
    """Predict whether ``a`` and ``b`` establish an IPsec SA, and why not.

    ``a`` and ``b`` are ``(EndPolicy, Rule)`` pairs; ``ctx`` adds the NAT and per-end facts.
    Every direction that can start is tried (``a`` initiating, then ``b``); the session is
    ``ESTABLISHED`` only when all of them work.  ``names`` overrides how the two ends are named
    in the session (default ``owner:rule``).  Pure: no I/O, no global state.
    """
    ctx = ctx or Context()
    na, nb = names or (label(a), label(b))
    pa = _P(a, na, ctx.a)
    pb = _P(b, nb, ctx.b)
    directions = [(x, y) for x, y in ((pa, pb), (pb, pa)) if _can_initiate(x)]
    if not directions:
        return Session(
            pa.name,
            pb.name,
            Status.MISSING_END_POINT,
            "neither end can start the negotiation (both wait for a peer: wildcard "
            "peer address or no outbound policy)",
            cause="initiator",
        )
    # the end that is configured to start goes first (e.g. the end behind NAT)
    directions.sort(key=lambda d: not d[0].rule.initiate)
    tries = [(ini, _attempt(ini, res, ctx)) for ini, res in directions]
    ok = [t for _, t in tries if t.status is Status.ESTABLISHED]
    failed = [(ini, t) for ini, t in tries if t.status is not Status.ESTABLISHED]
    initiators = tuple("a" if ini is pa else "b" for ini, _ in tries)
    if failed:
        ini, t = failed[0]
        reason = t.reason
        if ok:
            other = next(i for i, x in tries if x.status is Status.ESTABLISHED)
            reason = (
                f"when {ini.name} initiates: {t.reason}; works only when {other.name} initiates"
            )
        return Session(
            pa.name,
            pb.name,
            t.status,
            reason,
            t.version,
            t.ike,
            t.esp,
            t.pfs,
            t.auth,
            directions=initiators,
            cause=t.cause,
        )
    t = ok[0]
    return Session(
        pa.name,
        pb.name,
        Status.ESTABLISHED,
        t.reason,
        t.version,
        t.ike,
        t.esp,
        t.pfs,
        t.auth,
        t.rekey_failure,
        t.narrowed,
        initiators,
        mode_fallback=t.mode_fallback,
    )


def missing(a: End | str, expected: str, why: str) -> Session:
    """A session whose other end was not found at all."""
    return Session(
        a if isinstance(a, str) else label(a),
        expected,
        Status.MISSING_END_POINT,
        why,
        cause="absent",
    )
