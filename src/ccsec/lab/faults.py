"""``lab faults``: break the lab under traffic and prove it stays closed and recovers.

Each fault runs with captures on every WAN link (and the LANs of affected host paths) and a
10/s ping on every affected flow.  While the fault lasts a TCP marker is also tried on each
affected flow.  Reported per fault: recovery time (from the repair — restart, new NAT mapping,
rekey — until every affected flow carried 5 replies in a row) and the number of clear-text
packets of protected flows plus marker copies seen on the wire, which must be 0.

1. ``gateway-charon-kill``: SIGKILL a gateway's charon (no DELETE sent), restart it.
2. ``nat-rebinding``: the NAT switches UDP to new source ports and forgets its mappings
   (``masquerade to :40000-40100`` + ``conntrack -F``; recipe §NAT rebinding; the renderer's
   ``mobike = no`` is what lets the responder follow).
3. ``rekey``: vici rekey of the CHILD and IKE SAs of a tunnel and a host path, under traffic.
4. ``host-charon-stop``: stop one host's charon (SIGTERM), then start it again.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import vici

from ccsec.lab import FAULTS, charon
from ccsec.lab.build import initiate_waiting, kick, start_charon
from ccsec.lab.capture import Capture, capturing
from ccsec.lab.errors import lab_error
from ccsec.lab.firewall import apply
from ccsec.lab.proc import in_ns, run
from ccsec.lab.sas import instance, snapshot, wait_up
from ccsec.lab.state import CharonRecord, CheckSpec, LabState, save
from ccsec.lab.topology import nat_ruleset
from ccsec.lab.traffic import PingMonitor, tcp_marker
from ccsec.lab.verify import capture_points, marker_for

HOLD_S = 2.0
RECOVER_TIMEOUT_S = 60.0
BASELINE_TIMEOUT_S = 5.0
REBIND_PORTS = (40000, 40100)


@dataclass
class FaultResult:
    fault: str
    target: str
    flows: list[str]
    recovery_s: float | None = None
    cleartext_packets: int = 0
    marker_copies: int = 0
    lost_pings: int = 0
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        recovered = self.recovery_s is not None
        return {
            "fault": self.fault,
            "recovery_s": None if self.recovery_s is None else round(self.recovery_s, 2),
            "cleartext_packets": self.cleartext_packets + self.marker_copies,
            # extensions
            "target": self.target,
            "recovered": recovered,
            "flows": self.flows,
            "lost_pings": self.lost_pings,
            "marker_copies": self.marker_copies,
            "notes": self.notes,
            "ok": recovered and self.cleartext_packets + self.marker_copies == 0,
        }


# ----------------------------------------------------------------------------- helpers


def combined_cleartext(checks: list[CheckSpec], caps: list[Capture]) -> int:
    """Clear-text packets of *any* protected flow (each packet counted once)."""
    wan = " or ".join(sorted({f"({c.wan_filter})" for c in checks}))
    total = sum(c.count(wan) for c in caps if c.point.kind == "wan") if wan else 0
    for cap in (c for c in caps if c.point.kind == "lan"):
        lan = " or ".join(sorted({f"({c.lan_filter})" for c in checks
                                  if c.lan_filter and cap.point.site in c.sites}))
        total += cap.count(lan) if lan else 0
    return total


def _affected(state: LabState, owner: str) -> list[CheckSpec]:
    """Checks whose SA involves ``owner``, plus host paths nested in its tunnels."""
    direct = [c for c in state.checks if owner in c.ends]
    tunnels = [c for c in direct if c.kind == "tunnel"]
    return direct + [c for c in state.checks
                     if c.kind == "path" and c not in direct and _crosses(state, c, tunnels)]


def _crosses(state: LabState, path: CheckSpec, tunnels: list[CheckSpec]) -> bool:
    """Does the host path ride inside one of these site tunnels?"""
    assert state.topology is not None
    gw = {state.topology.sites[s].gateway for s in path.sites}
    return any(t.kind == "tunnel" and set(t.ends) == gw for t in tunnels)


def _wait_recovered(monitors: list[PingMonitor], t0: float, timeout: float) -> float | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = [m.recovered_since(t0) for m in monitors]
        if all(g is not None for g in got):
            return max((g for g in got if g is not None), default=0.0)
        time.sleep(0.2)
    return None


def _baseline(monitors: list[PingMonitor]) -> None:
    deadline = time.monotonic() + BASELINE_TIMEOUT_S
    while time.monotonic() < deadline and not all(m.replies for m in monitors):
        time.sleep(0.1)


def _try_markers(checks: list[CheckSpec]) -> list[bytes]:
    """While the fault lasts, an application tries to talk on each affected flow."""
    out = []
    for c in checks:
        marker = marker_for(c)
        tcp_marker(c.a.ns, c.a.address, c.b.ns, c.b.address, marker, timeout=1.0)
        out.append(marker)
    return out


def run_fault(state: LabState, result: FaultResult, checks: list[CheckSpec],
              inject: Callable[[], None], repair: Callable[[], None] | None) -> FaultResult:
    """Captures + monitors around one fault; ``repair`` (if any) runs after ``HOLD_S``."""
    points = capture_points(state, checks)
    monitors = [PingMonitor(c.a.ns, c.a.address, c.b.address, c.id) for c in checks]
    directory = Path(state.workdir) / "pcap"
    with capturing(points, directory, f"fault-{result.fault}") as caps:
        try:
            for m in monitors:
                m.start()
            _baseline(monitors)
            t_fault = time.time()
            inject()
            markers: list[bytes] = []
            if repair is not None:
                markers = _try_markers(checks)
                time.sleep(max(0.0, HOLD_S - (time.time() - t_fault)))
                t0 = time.time()
                repair()
            else:
                t0 = t_fault
            result.recovery_s = _wait_recovered(monitors, t0, RECOVER_TIMEOUT_S)
            result.lost_pings = sum(m.lost_since(t_fault) for m in monitors)
        finally:
            for m in monitors:
                m.stop()
    result.cleartext_packets = combined_cleartext(state.checks, caps)
    result.marker_copies = sum(c.occurrences(mk) for c in caps for mk in markers)
    return result


def settle(state: LabState, result: FaultResult) -> None:
    """Before the next fault: every path and tunnel up again (bounded; kicked if needed)."""
    ok, _ = wait_up(state, state.checks, 15.0)
    if not ok:
        kicked = kick(state, state.checks)
        ok, _ = wait_up(state, state.checks, 30.0)
        result.notes.append(f"re-initiated after the fault: {', '.join(kicked)}")
    if not ok:
        result.notes.append("not every path and tunnel was up again within 45 s")


# ----------------------------------------------------------------------------- faults


def _restart(state: LabState, rec: CharonRecord, result: FaultResult) -> None:
    start_charon(state, rec)
    waiting = initiate_waiting(state, rec)
    if waiting:
        result.notes.append("acquire emulated (libipsec sends none): initiated "
                            + ", ".join(waiting))


def gateway_kill(state: LabState, owner: str) -> FaultResult:
    rec = state.charon(owner)
    checks = _affected(state, owner)
    result = FaultResult("gateway-charon-kill", owner, [c.id for c in checks])

    def inject() -> None:
        ref = rec.ref()
        if ref is not None:
            ref.stop(2.0, signal.SIGKILL)

    return run_fault(state, result, checks, inject, lambda: _restart(state, rec, result))


def host_stop(state: LabState, owner: str) -> FaultResult:
    rec = state.charon(owner)
    checks = [c for c in state.checks if owner in c.ends]
    result = FaultResult("host-charon-stop", owner, [c.id for c in checks])

    def inject() -> None:
        ref = rec.ref()
        if ref is not None:
            ref.stop(5.0)

    return run_fault(state, result, checks, inject, lambda: _restart(state, rec, result))


def nat_rebinding(state: LabState, nat_ns: str) -> FaultResult:
    checks = [c for c in state.checks if c.nat_ns == nat_ns]
    checks += [c for c in state.checks if c.kind == "path" and c not in checks
               and any(_crosses(state, c, [t]) for t in checks)]
    result = FaultResult("nat-rebinding", nat_ns, [c.id for c in checks])

    def inject() -> None:
        rules = "delete table ip ccsec_nat\n" + nat_ruleset(REBIND_PORTS)
        apply(nat_ns, rules)
        run(in_ns(nat_ns, "conntrack", "-F"), timeout=10, check=False)

    out = run_fault(state, result, checks, inject, None)
    out.notes.append(f"NAT now maps UDP to ports {REBIND_PORTS[0]}-{REBIND_PORTS[1]}")
    return out


def rekey(state: LabState, targets: list[CheckSpec]) -> FaultResult:
    result = FaultResult("rekey", ", ".join(c.id for c in targets), [c.id for c in targets])
    before = _spis(state, targets)

    def starter(c: CheckSpec) -> CharonRecord:
        return next(state.charon(o) for o in c.ends if c.id in state.charon(o).initiates)

    def inject() -> None:
        # CHILD_SAs first; the IKE SAs only once the new CHILD_SAs are in (an IKEv1
        # reauthentication racing a quick-mode rekey can leave the path without an SA)
        for c in targets:
            rec = starter(c)
            with charon.session(instance(rec)) as s:
                for child in rec.children.get(c.id, [c.id]):
                    s.rekey({"child": child})
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            now = _spis(state, targets)
            if all(now.get(c.id, set()) - before.get(c.id, set()) for c in targets):
                break
            time.sleep(0.1)
        for c in targets:
            with charon.session(instance(starter(c))) as s:
                s.rekey({"ike": c.id})

    try:
        out = run_fault(state, result, targets, inject, None)
    except vici.exception.CommandException as exc:
        raise lab_error(f"vici rekey failed: {exc}") from None
    time.sleep(0.5)
    after = _spis(state, targets)
    changed = [c.id for c in targets if after.get(c.id) and after[c.id] != before.get(c.id)]
    out.notes.append(f"new CHILD_SA SPIs on {len(changed)}/{len(targets)} rekeyed SAs")
    if len(changed) != len(targets):
        out.recovery_s = None
        out.notes.append("rekey did not replace every CHILD_SA")
    return out


def _spis(state: LabState, checks: list[CheckSpec]) -> dict[str, set[str]]:
    snap = snapshot(state)
    return {c.id: {ch.spi_in for s in snap.get(c.ends[0]) or [] if s.name == c.id
                   for ch in s.children if ch.state == "INSTALLED"} for c in checks}


@dataclass(frozen=True)
class Targets:
    """What each fault hits, unless the user chose."""

    gateway: str | None
    nat: str | None
    rekey: list[CheckSpec]
    host: str | None


def default_targets(state: LabState) -> Targets:
    """The first tunnel's central gateway (a responder: the slow case), the first NAT, the
    first tunnel and first host path for the rekey, the first host path's first end."""
    tunnels = [c for c in state.checks if c.kind == "tunnel"]
    paths = [c for c in state.checks if c.kind == "path"]
    nats = [c.nat_ns for c in tunnels + paths if c.nat_ns]
    return Targets(
        gateway=tunnels[0].ends[0] if tunnels else None,
        nat=nats[0] if nats else None,
        rekey=tunnels[:1] + paths[:1],
        host=paths[0].ends[0] if paths else None,
    )


def run_faults(state: LabState, only: list[str] | None = None, gateway: str | None = None,
               host: str | None = None,
               step: Callable[[str], None] | None = None) -> list[dict[str, object]]:
    """Every fault that applies to this lab (or the named ones), one after the other; each
    leaves the lab recovered (or says it could not) before the next."""
    say = step or (lambda _m: None)
    wanted = only or list(FAULTS)
    unknown = [f for f in wanted if f not in FAULTS]
    if unknown:
        raise lab_error(f"unknown fault(s): {', '.join(unknown)}", fix=f"use {', '.join(FAULTS)}")
    t = default_targets(state)
    gw, hs = gateway or t.gateway, host or t.host
    owners = {c.owner: c.kind for c in state.charons}
    for chosen, kind in ((gateway, "gateway"), (host, "host")):
        if chosen is not None and owners.get(chosen) != kind:
            choices = ", ".join(o for o, k in owners.items() if k == kind)
            raise lab_error(f"'{chosen}' is not a {kind} running a charon in this lab",
                            fix=f"use one of: {choices}")
    jobs: list[tuple[str, Callable[[], FaultResult]]] = []
    if "gateway-charon-kill" in wanted and gw:
        jobs.append(("gateway-charon-kill", lambda: gateway_kill(state, gw)))
    if "nat-rebinding" in wanted and t.nat:
        nat = t.nat
        jobs.append(("nat-rebinding", lambda: nat_rebinding(state, nat)))
    if "rekey" in wanted and t.rekey:
        jobs.append(("rekey", lambda: rekey(state, t.rekey)))
    if "host-charon-stop" in wanted and hs:
        jobs.append(("host-charon-stop", lambda: host_stop(state, hs)))
    out = []
    for name, job in jobs:
        say(f"fault: {name}")
        result = job()
        settle(state, result)
        save(state)
        out.append(result.to_json())
    return out
