"""Phase 2 of a static negotiation: tunnel vs transport, the ESP/AH proposal, PFS, traffic
selectors (IKEv1 by responder platform, IKEv2 narrowing), virtual IPs and NAT traversal.  Each
check raises ``Stop`` at the first step that fails (see :mod:`ccsec.audit.negotiate`)."""

from __future__ import annotations

from ipaddress import ip_network

from ccsec.audit.exchange import (
    Peer,
    Status,
    Stop,
    is_strongswan,
)
from ccsec.crypto import EspProposal, dh_label
from ccsec.policy import (
    Address,
    Filter,
    Network,
    subnet,
)


def check_mode(ini: Peer, res: Peer, version: int) -> str | None:
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
    if version == 2 and is_strongswan(ini) and is_strongswan(res):
        transport = ini if ini.rule.mode == "transport" else res
        return (f"{why}: the transport-mode request is declined and {transport.name} (strongSwan) "
                "accepts a tunnel, so the CHILD_SA runs in tunnel mode")
    if version == 1 and is_strongswan(res):
        why += (f" ({res.name} answers INVALID_ID_INFORMATION: strongSwan finds no CHILD_SA "
                "config with this mode, and its log says 'no matching CHILD_SA config found')")
    raise Stop(Status.IPSEC_PHASE2_FAILED, why, "mode")


def _esp_key(p: EspProposal) -> tuple[object, ...]:
    return (p.encryption, p.integrity, p.ah)


def _groups(p: Peer) -> list[int]:
    """The PFS groups an end offers or accepts, its own first (0 = no PFS)."""
    return list(dict.fromkeys([p.rule.pfs_group or 0, *p.rule.pfs_alternatives]))


def check_pfs_v1(ini: Peer, res: Peer) -> int | None:
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

    raise Stop(
        Status.IPSEC_PHASE2_FAILED,
        f"PFS differs in quick mode: {ini.name} offers {name(gi)}, {res.name} requires "
        f"{name(gr)} (IKEv1: a side that sets a PFS group requires the same group)",
        "pfs",
    )


def check_esp(ini: Peer, res: Peer) -> EspProposal:
    """(IKEv1 carries the PFS group inside each quick-mode proposal; it is checked on its own
    first, so the transforms are compared here.)"""
    offered = {_esp_key(x) for x in ini.rule.esp}
    for mine in res.rule.esp:
        if _esp_key(mine) in offered:
            return mine
    a = ", ".join(x.label() for x in ini.rule.esp)
    b = ", ".join(x.label() for x in res.rule.esp)
    raise Stop(
        Status.IPSEC_PHASE2_FAILED,
        f"no common ESP/AH proposal: {ini.name} offers {a}; {res.name} accepts {b}",
        "esp",
    )


def pfs_v2(ini: Peer, res: Peer) -> str | None:
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


def _own(p: Peer) -> Address | None:
    """The address an end's dynamic selector stands for: its own configured address.  Where
    the configuration does not say it, the address its peer aims at may be a NAT's, and charon
    behind a NAT proposes its private address (accepted by the peer's dynamic selector), so
    the selector stays open."""
    local = p.rule.local_address
    return None if local.is_unspecified else local


def session_filters(p: Peer, other: Peer) -> list[Filter]:
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


def check_vips(ini: Peer, res: Peer) -> str | None:
    """An initiator that asks for a virtual IP needs a responder with a pool for it."""
    if not ini.rule.virtual_ips:
        return None
    families = {a.version for a in ini.rule.virtual_ips}
    served = {n.version for n in res.rule.pools}
    if families & served:
        missing_ = families - served
        return (f"{res.name} has no IPv{missing_.pop()} pool for the virtual IP {ini.name} also "
                "requests") if missing_ else None
    if is_strongswan(ini) and is_strongswan(res):
        raise Stop(
            Status.IPSEC_PHASE2_FAILED,
            f"{ini.name} requests a virtual IP and {res.name} has no pool to assign it from: "
            "strongSwan logs 'configuration payload negotiation failed, no CHILD_SA built'",
            "vip",
        )
    return f"{ini.name} requests a virtual IP; whether {res.name} assigns one is not modelled"


def _v1_answer(ini: Peer, res: Peer, local: TS, remote: TS,
               res_pairs: list[tuple[TS, TS]]) -> tuple[TS, TS] | None:
    """What the responder answers to the proposal ``local <-> remote`` (initiator's view), or
    None when it refuses; see :func:`check_ts_v1`."""
    if (remote, local) in res_pairs:
        return local, remote  # the exact mirror: every stack accepts it
    if is_strongswan(res):
        for r_local, r_remote in res_pairs:
            ni, nr = _intersect(local, r_remote), _intersect(remote, r_local)
            if ni is not None and nr is not None:
                return ni, nr
    elif res.platform == "ios" and any(
        _contains(r_remote, local) and _contains(r_local, remote) for r_local, r_remote in res_pairs
    ):
        return local, remote
    return None


def check_ts_v1(ini: Peer, res: Peer, ini_filters: list[Filter], res_filters: list[Filter]
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
        if answer is not None and is_strongswan(ini):
            notes.append(f"{res.name} narrowed {ini.name}'s proposal to "
                         f"{_fmt_ts(answer[0])} <-> {_fmt_ts(answer[1])} (strongSwan, IKEv1)")
            continue
        theirs = "; ".join(f"{_fmt_ts(r)} <-> {_fmt_ts(lo)}" for lo, r in res_pairs)
        if answer is not None:
            why = (f"{res.name} (strongSwan) would narrow it to {_fmt_ts(answer[0])} <-> "
                   f"{_fmt_ts(answer[1])}, which an IKEv1 initiator other than strongSwan "
                   "does not take back")
        elif is_strongswan(res):
            why = f"it does not overlap {res.name}'s selectors ({theirs})"
        elif res.platform == "ios":
            why = f"{res.name}'s crypto ACL does not permit it ({theirs})"
        else:
            why = (f"IKEv1 needs mirror-image selectors and {res.name} has no exact "
                   f"mirror ({theirs})")
        raise Stop(
            Status.TS_MISMATCH,
            f"{ini.name} proposes {_fmt_ts(local)} <-> {_fmt_ts(remote)}: {why}",
            "ts",
        )
    return "; ".join(notes) or None


def _narrow(proposed: list[TS], config: list[TS]) -> list[TS]:
    out: dict[TS, None] = {}  # duplicates dropped, order kept (a list scan was cubic)
    for p in proposed:
        for c in config:
            x = _intersect(p, c)
            if x is not None:
                out.setdefault(x)
    return list(out)


def check_ts_v2(ini: Peer, res: Peer, ini_filters: list[Filter], res_filters: list[Filter]
                 ) -> str | None:
    tsi = list(dict.fromkeys(_ts(f, True) for f in ini_filters))
    tsr = list(dict.fromkeys(_ts(f, False) for f in ini_filters))
    res_remote = list(dict.fromkeys(_ts(f, False) for f in res_filters))
    res_local = list(dict.fromkeys(_ts(f, True) for f in res_filters))
    got_i, got_r = _narrow(tsi, res_remote), _narrow(tsr, res_local)
    if not got_i or not got_r:
        raise Stop(
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


def check_nat(ini: Peer, res: Peer, esp: EspProposal, nat: bool) -> None:
    if not nat:
        return
    off = [p.name for p in (ini, res) if not p.rule.nat_traversal]
    if off:
        raise Stop(
            Status.IPSEC_PHASE2_FAILED,
            f"a NAT lies between the ends and NAT traversal is off on {', '.join(off)}: "
            "IKE may pass, ESP (IP protocol 50) does not cross the NAT",
            "nat-t",
        )
    if esp.ah is not None:
        raise Stop(
            Status.IPSEC_PHASE2_FAILED,
            "AH across NAT: AH authenticates the IP header the NAT rewrites "
            "(use ESP; ESP-NULL if only integrity is needed)",
            "ah-nat",
        )
