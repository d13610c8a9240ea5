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
   :func:`check_ts_v1`.  IKEv2: the responder narrows to the intersection of the
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

from dataclasses import dataclass

from ccsec.audit.auth_rounds import Party, applies, check_rounds, first_method
from ccsec.audit.child_steps import (
    check_esp,
    check_mode,
    check_nat,
    check_pfs_v1,
    check_ts_v1,
    check_ts_v2,
    check_vips,
    pfs_v2,
    session_filters,
)
from ccsec.audit.exchange import (
    ANY,
    Context,
    End,
    IkeOnly,
    Peer,
    Session,
    Side,
    Status,
    Stop,
    address_of,
    is_strongswan,
    label,
)
from ccsec.audit.ike_steps import (
    check_auth,
    check_ca,
    check_exchange,
    check_ids,
    check_ike,
    check_psk,
    check_version,
    normalize_dn,
    ordered_dn,
)
from ccsec.crypto import DH_GROUPS, EspProposal, IkeProposal

__all__ = ["ANY", "Context", "End", "Session", "Side", "Status", "label", "missing", "negotiate",
           "normalize_dn", "ordered_dn", "session_filters"]


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


def _unusable(p: Peer) -> str | None:
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


def _reaches(src: Peer, dst: Peer) -> bool:
    """``src`` addresses its IKE to where ``dst`` is (own address or NAT public address)."""
    target = src.rule.peer_address
    return target in (address_of(dst), dst.side.public) or (
        dst.rule.local_address.is_unspecified and dst.side.address is None)


def _accepts_from(res: Peer, ini: Peer) -> bool:
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


def check_addresses(ini: Peer, res: Peer) -> None:
    if not _reaches(ini, res):
        seen = f" (or {res.side.public})" if res.side.public else ""
        raise Stop(
            Status.MISSING_END_POINT,
            f"{ini.name} sends IKE to {ini.rule.peer_address}, but {res.name} is at "
            f"{address_of(res)}{seen}",
            "address",
        )
    if not _accepts_from(res, ini):
        expected = res.rule.peer_name or res.rule.peer_address
        raise Stop(
            Status.MISSING_END_POINT,
            f"{res.name} expects its peer at {expected}, not "
            f"{ini.name} at {ini.side.public or address_of(ini)}: it has no "
            "configuration for this initiator",
            "address",
        )


def _attempt(ini: Peer, res: Peer, ctx: Context) -> _Try:
    notes: list[str] = []
    version = ike = esp = pfs = method = fallback = None
    try:
        for p in (ini, res):
            why = _unusable(p)
            if why:
                raise Stop(Status.MISSING_END_POINT, why, "unusable")
        check_addresses(ini, res)
        version = check_version(ini, res)
        if version == 1 and not is_strongswan(res):
            check_exchange(ini, res)
        ike = check_ike(ini, res, version)
        if version == 1 and is_strongswan(res):
            check_exchange(ini, res)  # charon refuses it later, at authentication
        method = first_method(ini.rule, res.rule) if applies(ini.rule, res.rule) else \
            check_auth(ini, res, version)
        if method == "psk":
            notes.append(check_psk(ini, res) or "")
        check_ids(ini, res, method)
        rounds = check_rounds(Party(ini.name, ini.rule, ini.side.keys),
                              Party(res.name, res.rule, res.side.keys), version)
        if rounds.failure is not None:
            raise Stop(Status.AUTH_MISMATCH, rounds.failure, rounds.cause)
        notes += rounds.notes
        if ini.rule.ike_only or res.rule.ike_only:
            raise IkeOnly()
        if method == "certificate":
            notes.append(check_ca(ini, res) or "")
        fallback = check_mode(ini, res, version)
        pfs = check_pfs_v1(ini, res) if version == 1 else ini.rule.pfs_group
        esp = check_esp(ini, res)
        check_nat(ini, res, esp, ctx.nat)
        notes.append(check_vips(ini, res) or "")
        fi, fr = session_filters(ini, res), session_filters(res, ini)
        narrowed = check_ts_v1(ini, res, fi, fr) if version == 1 else \
            check_ts_v2(ini, res, fi, fr)
    except Stop as stop:
        return _Try(stop.status, stop.reason, version, ike, esp, pfs, method, cause=stop.cause)
    except IkeOnly:
        assert ike is not None
        only = ini.name if ini.rule.ike_only else res.name
        reason = "; ".join(n for n in [f"IKEv{version} {ike.label()}: IKE SA only ({only} is a "
                                       "mediation connection without CHILD_SA)", *notes] if n)
        return _Try(Status.ESTABLISHED, reason, version, ike, None, None, method)
    rekey = pfs_v2(ini, res) if version == 2 else None
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


def _can_initiate(p: Peer) -> bool:
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
    pa = Peer(a, na, ctx.a)
    pb = Peer(b, nb, ctx.b)
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
