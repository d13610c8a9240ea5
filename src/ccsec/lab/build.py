"""``lab up``: deployment → plan → each end's own platform file, read back as its platform runs
it → lab policy → rendered swanctl.conf → namespaces + charons.

Order matters and is chosen for fail-fast and fail-closed:

1. everything that can fail on the input (plan, substitutions, rendering, keys) happens before
   the topology exists (only the data-path probe's scratch namespace comes first);
2. the lab is recorded (state file) before anything is created, so ``down`` can always clean up;
3. the fail-closed nftables are in place before any charon starts;
4. gateways come up first and their tunnels establish, then the hosts (whose IKE rides inside
   the site tunnels when protection is ``both``).

Any error or interrupt during ``up`` tears down what was made and re-raises.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from ipaddress import IPv4Network
from pathlib import Path
from typing import NamedTuple

import vici

from ccsec.deployment.model import Deployment
from ccsec.formats.base import RenderContext
from ccsec.formats.strongswan.swanctl import FORMAT, starts_at_load
from ccsec.lab import charon, firewall, netns, pki
from ccsec.lab.capture import clear_host_ipsec, clear_in_tunnel, encrypted
from ccsec.lab.datapath import detect
from ccsec.lab.errors import lab_error
from ccsec.lab.platforms import IOS_LAB_DOMAIN, Played, play
from ccsec.lab.sas import check_up, end_up, instance, snapshot, wait_up
from ccsec.lab.state import (
    CharonRecord,
    CheckSpec,
    Endpoint,
    LabState,
    new_id,
    new_state,
    save,
    teardown,
)
from ccsec.lab.topology import Topology, select_hosts
from ccsec.lab.topology import build as build_topology
from ccsec.lab.transform import Datapath, Substitution, lab_ca_name, lab_ends
from ccsec.paths import Path as CcPath
from ccsec.plan import certificate_subject, plan
from ccsec.policy import EndPolicy, PolicySet, v4net
from ccsec.secrets import SecretResolver

TOOLS = ("ip", "nft", "tcpdump", "swanctl", "pki", "conntrack", "ping", "timeout")
TUNNEL_WAIT_S = 30.0
HOST_WAIT_S = 45.0
#: after this, connections that are still down are initiated once more (see kick)
KICK_AFTER_S = 10.0

Step = Callable[[str], None]


def preflight() -> None:
    """Root, tools and the TUN device: checked before anything is made."""
    if os.geteuid() != 0:
        raise lab_error("the lab needs root (network namespaces, nftables, charon)",
                        fix="run ccsec lab as root (e.g. sudo)")
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if not Path(charon.CHARON).exists():
        missing.append(charon.CHARON)
    if missing:
        raise lab_error(f"missing tools: {', '.join(missing)}",
                        fix="install the lab's Debian packages: make system-deps")
    if not Path("/dev/net/tun").exists():
        raise lab_error("/dev/net/tun is missing (kernel-libipsec needs a TUN device)",
                        fix="load the tun module (modprobe tun)")


# ----------------------------------------------------------------------------- checks


def _path_check(dep: Deployment, p: CcPath, topo: Topology) -> CheckSpec:
    e0, e1 = p.ends
    nat_owner = p.ends[p.nat_end].host if p.nat_end is not None else None
    nat_site = p.ends[p.nat_end].site if p.nat_end is not None else None
    nat_ns = topo.sites[nat_site].nat_ns if nat_site else None
    if p.catalog == "tunnel":
        sa, sb = topo.sites[e0.site], topo.sites[e1.site]
        return CheckSpec(
            id=p.id, kind="tunnel", catalog="tunnel", ends=(e0.host, e1.host),
            a=Endpoint(ns=sa.probe_ns, address=sa.probe),
            b=Endpoint(ns=sb.probe_ns, address=sb.probe),
            nat_expected=p.crosses_nat, nat_end=nat_owner, nat_ns=nat_ns,
            sites=[e0.site, e1.site],
            wan_filter=clear_in_tunnel([*sa.prefixes, *sb.prefixes]),
            seen_filter=encrypted(sa.nat_public or sa.wan, sb.nat_public or sb.wan),
            seen_on="wan",
        )
    inside_tunnel = dep.tunnel and e0.site != e1.site
    wan = (clear_in_tunnel([IPv4Network(e0.address), IPv4Network(e1.address)])
           if inside_tunnel else clear_host_ipsec(e0.address, e1.address))
    return CheckSpec(
        id=p.id, kind="path", catalog=str(p.catalog), ends=(e0.host, e1.host),
        a=Endpoint(ns=topo.hosts[e0.host], address=e0.address),
        b=Endpoint(ns=topo.hosts[e1.host], address=e1.address),
        nat_expected=p.crosses_nat, nat_end=nat_owner, nat_ns=nat_ns,
        sites=list(dict.fromkeys([e0.site, e1.site])),
        wan_filter=wan, lan_filter=clear_host_ipsec(e0.address, e1.address),
        seen_filter=encrypted(e0.address, e1.address), seen_on="lan",
    )


def derive_checks(dep: Deployment, ps: PolicySet, topo: Topology,
                  running: set[str]) -> list[CheckSpec]:
    """One check per derived path and site tunnel whose two ends both run in the lab."""
    return [_path_check(dep, p, topo) for p in ps.paths
            if p.ends[0].host in running and p.ends[1].host in running]


# ----------------------------------------------------------------------------- charons


def _record(end: EndPolicy, topo: Topology, workdir: Path, n: int,
            paths: dict[str, CcPath], gateways: set[str], starters: set[str],
            ctx: RenderContext) -> CharonRecord:
    """``starters``: the connections this end is planned to start (the end behind NAT)."""
    owner = end.owner or end.name
    behind = []
    for r in end.rules:
        path = paths.get(r.name)
        if path is not None and path.nat_end is not None and path.ends[path.nat_end].host != owner:
            behind.append(r.name)
    keep = [r.nat_keepalive_s for r in end.rules if r.nat_keepalive_s]
    return CharonRecord(
        owner=owner, ns=topo.ns_of(owner), dir=str(workdir / f"c{n:02d}-{owner[:20]}"),
        kind="gateway" if owner in gateways else "host",
        keep_alive_s=min(keep) if keep else None,
        initiates=[r.name for r in end.rules if r.name in starters],
        starts_itself=[r.name for r in end.rules if starts_at_load(r, ctx)],
        peer_behind_nat=behind,
    )


def start_charon(state: LabState, rec: CharonRecord) -> None:
    """Launch one charon, record its pid at once, wait until it answers, load its config."""
    inst = instance(rec)
    ref = charon.launch(inst)
    rec.pid, rec.started = ref.pid, ref.started
    save(state)
    charon.wait_ready(inst, ref)
    charon.load(inst)
    rec.children = charon.list_children(inst)


def load_waves(state: LabState, recs: list[CharonRecord]) -> list[list[CharonRecord]]:
    """Load order: an end that initiates a connection comes after that connection's peer.

    An IKE initiator that reaches a peer whose config is not loaded yet gets
    NO_PROPOSAL_CHOSEN and gives up for good (and libipsec never retries on traffic), so
    responders are loaded first.  Ends in one wave load in parallel; a cycle ends up in the
    last wave, and :func:`kick` initiates whatever is still down.
    """
    peers = {c.id: c.ends for c in state.checks}
    mine = {r.owner for r in recs}
    needs = {r.owner: {p for conn in r.initiates for p in peers.get(conn, ())
                       if p != r.owner and p in mine} for r in recs}
    waves: list[list[CharonRecord]] = []
    done: set[str] = set()
    left = list(recs)
    while left:
        wave = [r for r in left if needs[r.owner] <= done] or left
        waves.append(wave)
        done |= {r.owner for r in wave}
        left = [r for r in left if r.owner not in done]
    return waves


def start_all(state: LabState, recs: list[CharonRecord]) -> None:
    """Start several charons side by side, then load their configs wave by wave."""
    refs = []
    for rec in recs:
        ref = charon.launch(instance(rec))
        rec.pid, rec.started = ref.pid, ref.started
        refs.append(ref)
    save(state)
    for rec, ref in zip(recs, refs, strict=True):
        charon.wait_ready(instance(rec), ref)
    with ThreadPoolExecutor(max_workers=4) as pool:
        for wave in load_waves(state, recs):
            list(pool.map(lambda r: charon.load(instance(r)), wave))
    for rec in recs:
        rec.children = charon.list_children(instance(rec))
    save(state)


def _initiate(rec: CharonRecord, conn: str, child: str, timeout_ms: int) -> bool:
    try:
        with charon.session(instance(rec), timeout=timeout_ms / 1000 + 2) as s:
            for _ in s.initiate({"child": child, "ike": conn, "timeout": timeout_ms,
                                 "loglevel": -1}):
                pass
    except (OSError, vici.exception.SessionException, vici.exception.CommandException):
        return False
    return True


def start_waiting(state: LabState, checks: list[CheckSpec]) -> list[str]:
    """Initiate, right after loading, what the planned initiator's platform would start on
    its first packet (a trap policy, a crypto map): kernel-libipsec raises no acquire."""
    waiting = [c for c in checks
               if any(c.id in state.charon(o).initiates
                      and c.id not in state.charon(o).starts_itself for o in c.ends)]
    return kick(state, waiting) if waiting else []


def kick(state: LabState, checks: list[CheckSpec], timeout_ms: int = 3000) -> list[str]:
    """Initiate, from the rule's initiating end, every check that is not up (an operator's
    ``swanctl --initiate``); returns the ids that were kicked."""
    snap = snapshot(state, {o for c in checks for o in c.ends})
    jobs: list[tuple[CharonRecord, str, str]] = []
    kicked = []
    for c in checks:
        starter = next((state.charon(o) for o in c.ends if c.id in state.charon(o).initiates),
                       None)
        if starter is None or check_up(state, c, snap):
            continue
        jobs += [(starter, c.id, child) for child in starter.children.get(c.id, [c.id])]
        kicked.append(c.id)
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda j: _initiate(j[0], j[1], j[2], timeout_ms), jobs))
    return kicked


def initiate_waiting(state: LabState, rec: CharonRecord, timeout_ms: int = 3000) -> list[str]:
    """Initiate the children that are down and that this end only *traps*.

    libipsec sends no acquire when a trap policy matches (lab recipe pitfall 5), so a restarted
    end would never renegotiate on traffic as a kernel data path would; the lab does that
    acquire's job.  Skipped where the configuration starts the SA by itself, where the peer
    is behind NAT (unreachable for initiation) and where the SA is already up.  Returns the
    children that were initiated.
    """
    sas = snapshot(state, [rec.owner]).get(rec.owner) or []
    done = []
    for conn, children in rec.children.items():
        if conn in rec.starts_itself or conn in rec.peer_behind_nat or end_up(rec, conn, sas):
            continue
        for child in children:
            _initiate(rec, conn, child, timeout_ms)
            done.append(child)
    return done


# ----------------------------------------------------------------------------- ends


def play_all(dep: Deployment, ps: PolicySet, owners: set[str],
             ctx: RenderContext) -> list[Played]:
    """Every end the lab runs, as its platform runs its own file (:mod:`.platforms`)."""
    domain = dep.domains[0] if dep.domains else IOS_LAB_DOMAIN
    return [play(e, ctx, certificate_subject(dep, e.owner or e.name), domain)
            for e in ps.ends if e.owner in owners]


STARTED = ("SA started by the lab (swanctl --initiate), and restarted after a dead peer or a "
           "DELETE, where the platform starts it on the first packet",
           "kernel-libipsec raises no acquire for a trap policy or crypto map (strongSwan "
           "documentation: kernel-libipsec plugin); the planned initiator starts it and starts "
           "it again, as its traffic would")


def _lab_starts(ends: list[EndPolicy], starters: set[tuple[str | None, str]]
                ) -> tuple[list[EndPolicy], list[Substitution]]:
    """The planned initiator's rules that its platform starts on traffic only, made to
    initiate (charon restarts them after DPD or a DELETE: ``dpd_action = restart``,
    ``close_action = start``; the first start is :func:`start_waiting`'s), one substitution
    each."""
    out, subs = [], []
    for e in ends:
        rules = []
        for r in e.rules:
            if (e.owner, r.name) in starters and not r.initiate:
                subs.append(Substitution(end=e.owner or e.name, rule=r.name, change=STARTED[0],
                                         reason=STARTED[1]))
                r = r.model_copy(update={"initiate": True})
            rules.append(r)
        out.append(e.model_copy(update={"rules": tuple(rules)}))
    return out, subs


class LabPolicy(NamedTuple):
    """What the lab's charons run: the ends strongSwan plays, every change made to get there,
    and the planned initiator of each rule as ``(owner, rule)``."""

    ends: list[EndPolicy]
    subs: list[Substitution]
    starters: set[tuple[str | None, str]]


def lab_policy(dep: Deployment, ps: PolicySet, owners: set[str], dp: Datapath, ca_dn: str,
               ctx: RenderContext) -> LabPolicy:
    """Each end as its platform runs its own file, then changed where this lab cannot run it;
    one function so that ``lab up`` and ``lab export`` run the same lab."""
    played = play_all(dep, ps, owners, ctx)
    by_owner = {p.end.owner: p.end for p in played}
    # the ends the lab does not run stay in the set: lab_ends names them as missing peers
    ends, subs = lab_ends(PolicySet(ps.deployment, ps.profile,
                                    [by_owner.get(e.owner, e) for e in ps.ends], ps.paths),
                          owners, dp, ca_dn)
    starters = {(e.owner, r.name) for e in ps.ends for r in e.rules if r.initiate}
    ends, started = _lab_starts(ends, starters)
    return LabPolicy(ends, [s for p in played for s in p.subs] + subs + started, starters)


# ----------------------------------------------------------------------------- up


def _apply_topology(topo: Topology) -> None:
    netns.add_all(n.ns for n in topo.nodes)
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda ns: netns.sysctl(ns, topo.sysctls[ns]), topo.sysctls))
    netns.batch(["link", "add", lk.a_if, "netns", lk.a_ns, "type", "veth", "peer", "name",
                 lk.b_if, "netns", lk.b_ns] for lk in topo.links)
    # switches first: the bridge must exist before a port is enslaved
    order = sorted(topo.config, key=lambda ns: topo.node(ns).kind != "switch")
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda ns: netns.batch(topo.config[ns], ns), order))
    for ns, rules in topo.nat_rules.items():
        firewall.apply(ns, rules)


def _fail_closed(state: LabState, ends: list[EndPolicy], topo: Topology) -> None:
    for end in ends:
        rec = state.charon(end.owner or end.name)
        if rec.kind == "gateway":
            site = next(s for s in topo.sites.values() if s.gateway == rec.owner)
            remote = [v4net(f.remote) for r in end.rules for f in r.filters]
            rules = firewall.gateway_ruleset(site.prefixes, remote, state.datapath)
        else:
            rules = firewall.host_ruleset(state.datapath)
        firewall.apply(rec.ns, rules)


def up(
    dep: Deployment,
    *,
    profile: str | None = None,
    hosts: list[str] | None = None,
    datapath: str = "auto",
    lab_id: str | None = None,
    base: Path | None = None,
    step: Step | None = None,
) -> LabState:
    """Build and start the lab; on any failure (or Ctrl-C) remove what was made, re-raise."""
    say = step or (lambda _m: None)
    preflight()
    t0 = time.monotonic()
    ps = plan(dep, profile)
    select_hosts(dep, hosts)  # unknown names fail before anything is made
    lab = new_id(lab_id)
    state: LabState | None = None
    try:
        state = new_state(lab, dep.deployment, ps.profile, "libipsec", "")
        scratch = f"{state.prefix}esp"
        state.extra_ns.append(scratch)
        save(state)
        dp, evidence = detect(scratch, datapath)
        state.datapath, state.datapath_evidence = dp, evidence
        _build(state, dep, ps, hosts, base or Path.cwd(), say)
        state.timings["total_s"] = round(time.monotonic() - t0, 3)
        state.status = "up"
        save(state)
        return state
    except BaseException:
        if state is not None:
            say("cleaning up after a failed start")
            teardown(state)
        raise


def _build(state: LabState, dep: Deployment, ps: PolicySet, hosts: list[str] | None,
           base: Path, say: Step) -> None:
    t = time.monotonic()
    dp: Datapath = state.datapath
    topo = build_topology(dep, state.prefix, hosts)
    gateways = {s.gateway for s in topo.sites.values() if s.gateway}
    owners = gateways | set(topo.hosts)
    ca_dn = lab_ca_name(dep.pki.root_ca if dep.pki else None)
    ctx = RenderContext(dep.deployment, ps.profile, SecretResolver(base),
                        strongswan_version=dep.strongswan_version)
    say("rendering every end's own platform file and reading it back")
    ends, subs, starters = lab_policy(dep, ps, owners, dp, ca_dn, ctx)
    state.substitutions = subs
    say("rendering every end's swanctl.conf with the strongswan renderer")
    texts = {(e.owner or e.name): FORMAT.render(e, ctx) for e in ends}
    work = Path(state.workdir)
    paths = {p.id: p for p in ps.paths}
    state.charons = [_record(e, topo, work, n, paths, gateways,
                             {r for o, r in starters if o == e.owner}, ctx)
                     for n, e in enumerate(ends)]
    running = {c.owner for c in state.charons}
    state.checks = derive_checks(dep, ps, topo, running)
    state.topology = topo
    save(state)  # write-ahead: every namespace is recorded before it exists
    state.timings["plan_render_s"] = round(time.monotonic() - t, 3)

    t = time.monotonic()
    say(f"building {len(topo.nodes)} namespaces and {len(topo.links)} links")
    _apply_topology(topo)
    _fail_closed(state, ends, topo)
    state.timings["topology_s"] = round(time.monotonic() - t, 3)

    t = time.monotonic()
    creds: dict[str, pki.Credential] = {}
    ca_pem = None
    if any(pki.needs_certificate(e) for e in ends):
        say("making the lab CA and certificates with pki")
        ca = pki.make_ca(work / "pki", ca_dn)
        creds = pki.issue_all(ca, ends, work / "pki")
        ca_pem = ca.cert
    for e in ends:
        rec = state.charon(e.owner or e.name)
        cred = creds.get(rec.owner)
        charon.prepare(instance(rec), dp, rec.keep_alive_s, texts[rec.owner], ca_pem,
                       cred.key if cred else None, cred.cert if cred else None)
    state.timings["pki_s"] = round(time.monotonic() - t, 3)

    t = time.monotonic()
    gw_recs = [c for c in state.charons if c.kind == "gateway"]
    host_recs = [c for c in state.charons if c.kind == "host"]
    tunnels = [c for c in state.checks if c.kind == "tunnel"]
    if gw_recs:
        say(f"starting {len(gw_recs)} gateway charons")
        start_all(state, gw_recs)
        start_waiting(state, tunnels)
        say(f"waiting for {len(tunnels)} site tunnels")
        _, waited = wait_up(state, tunnels, TUNNEL_WAIT_S)
        state.timings["tunnels_up_s"] = round(waited, 3)
    if host_recs:
        say(f"starting {len(host_recs)} host charons")
        start_all(state, host_recs)
        start_waiting(state, [c for c in state.checks if c.kind == "path"])
    state.timings["charons_s"] = round(time.monotonic() - t, 3)
    t = time.monotonic()
    say(f"waiting for {len(state.checks)} paths and tunnels to establish")
    ok, waited = wait_up(state, state.checks, KICK_AFTER_S)
    if not ok:
        state.kicked = kick(state, state.checks)
        ok, more = wait_up(state, state.checks, HOST_WAIT_S)
        waited += more
    state.timings["established_s"] = round(waited, 3)
