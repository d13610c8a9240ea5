"""``lab verify``: for every derived path and site tunnel, prove it on the wire.

For each check: the SA is established at both ends; traffic really flows (ICMP echo and a TCP
marker, bounded) *and* went through that SA (its packet counters moved); captures on every WAN
link (and, for host paths, on the LANs of their sites) hold zero packets of the flow in clear
text and zero copies of the marker; NAT-T is engaged exactly where a NAT is — proven by
``nat-local=yes`` on the NATed end, plus the NAT's conntrack table (libipsec always
encapsulates, so ``nat-remote`` proves nothing: recipe pitfall 4).
"""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ccsec.lab.capture import Capture, capturing, summary
from ccsec.lab.proc import in_ns, run
from ccsec.lab.sas import Snapshot, check_up, nat_local, snapshot
from ccsec.lab.state import CheckSpec, LabState
from ccsec.lab.topology import CapturePoint
from ccsec.lab.traffic import ping, tcp_marker

PINGS = 3
WORKERS = 6


@dataclass
class Traffic:
    received: int
    tcp: bool
    marker: bytes


@dataclass
class Verification:
    results: list[dict[str, object]] = field(default_factory=list)
    links: list[dict[str, object]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (all(r["ok"] for r in self.results)
                and all(lk["other"] == 0 for lk in self.links if lk["kind"] == "wan"))


def capture_points(state: LabState, checks: list[CheckSpec]) -> list[CapturePoint]:
    """Every WAN link, plus the LAN of each site that a host path of ``checks`` touches."""
    assert state.topology is not None
    sites = {s for c in checks if c.lan_filter for s in c.sites}
    return [p for p in state.topology.captures
            if p.kind == "wan" or (p.kind == "lan" and p.site in sites)]


def marker_for(check: CheckSpec) -> bytes:
    """A marker nobody could guess or see by accident: check id + 96 random bits."""
    return f"CCSEC-PLAINTEXT-MARKER {check.id} {secrets.token_hex(12)}".encode()


def send_traffic(check: CheckSpec) -> Traffic:
    marker = marker_for(check)
    got = ping(check.a.ns, check.a.address, check.b.address, count=PINGS)
    tcp = tcp_marker(check.a.ns, check.a.address, check.b.ns, check.b.address, marker)
    return Traffic(got, tcp, marker)


def cleartext(check: CheckSpec, caps: list[Capture], marker: bytes | None) -> tuple[int, int, int]:
    """(WAN clear-text packets, LAN clear-text packets, marker copies) of one check's flow.

    Only the links of the check's own sites are read: a leak between two sites crosses both
    sites' WAN links (the internet routes every prefix straight to its site).  A site tunnel
    protects the WAN only; its LAN carries the probe's clear text by design.
    """
    mine = [c for c in caps if c.point.site in check.sites]
    wan = sum(c.count(check.wan_filter) for c in mine if c.point.kind == "wan")
    lan = 0
    if check.lan_filter:
        lan = sum(c.count(check.lan_filter) for c in mine if c.point.kind == "lan")
    scope = [c for c in mine if c.point.kind == "wan" or check.lan_filter]
    seen = sum(c.occurrences(marker) for c in scope) if marker else 0
    return wan, lan, seen


def conntrack_nat_t(nat_ns: str | None) -> int | None:
    """NAT-T flows the NAT really translated (UDP 4500 entries in its conntrack table)."""
    if nat_ns is None:
        return None
    out = run(in_ns(nat_ns, "conntrack", "-L", "-p", "udp"), timeout=10, check=False).stdout
    return sum(1 for line in out.splitlines() if "dport=4500" in line)


def _esp_packets(state: LabState, check: CheckSpec, snap: Snapshot) -> int:
    owner = check.ends[0]
    return sum(c.packets_in + c.packets_out for s in snap.get(owner) or []
               if s.name == check.id for c in s.children)


#: charon log text that says why an IKE or CHILD SA did not come up
_WHY = ("no matching peer config", "no peer config found", "constraint check failed",
        "AUTHENTICATION_FAILED", "NO_PROPOSAL_CHOSEN", "no acceptable proposal",
        "TS_UNACCEPTABLE", "not authenticated",
        "no trusted", "no private key", "failed to establish", "no IKE config found",
        "INVALID_ID_INFORMATION", "peer requested")
WHY_LINES = 3


def why_not_up(state: LabState, check: CheckSpec) -> list[str]:
    """The last charon log lines of the check's two ends that say why its SAs failed."""
    out = []
    for owner in check.ends:
        log = Path(state.charon(owner).dir) / "charon.log"
        try:
            lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        hits = [ln for ln in lines if any(w in ln for w in _WHY)]
        out += [f"{owner}: {ln.strip()}" for ln in hits[-WHY_LINES:]]
    return out


def _result(state: LabState, check: CheckSpec, before: Snapshot, after: Snapshot,
            traffic: Traffic, caps: list[Capture]) -> dict[str, object]:
    established = check_up(state, check, after)
    esp = _esp_packets(state, check, after) - _esp_packets(state, check, before)
    flowed = traffic.received == PINGS and traffic.tcp and esp > 0
    wan, lan, seen = cleartext(check, caps, traffic.marker)
    esp_seen = sum(c.count(check.seen_filter) for c in caps
                   if c.point.kind == check.seen_on and c.point.site in check.sites)
    nat_t = nat_local(check, after)
    problems = []
    if not established:
        problems.append("SA not established at both ends")
        problems += why_not_up(state, check)
    if traffic.received < PINGS:
        problems.append(f"ICMP: {traffic.received}/{PINGS} replies")
    if not traffic.tcp:
        problems.append("TCP marker did not arrive")
    if esp <= 0:
        problems.append("the SA's packet counters did not move: traffic bypassed it")
    if esp_seen == 0:
        problems.append(f"no ESP-in-UDP of this flow in the {check.seen_on} captures: "
                        "they cannot vouch for it")
    if wan or lan or seen:
        problems.append(f"clear text on the wire: WAN {wan}, LAN {lan}, marker copies {seen}")
    if nat_t != check.nat_expected:
        problems.append(f"NAT-T {'engaged' if nat_t else 'not engaged'} but a NAT is "
                        f"{'present' if check.nat_expected else 'absent'}")
    return {
        "id": check.id,
        "kind": check.kind,
        "ends": list(check.ends),
        "established": established,
        "traffic": flowed,
        "cleartext_packets": wan + lan + seen,
        "nat_t": nat_t,
        # extensions
        "catalog": check.catalog,
        "nat_expected": check.nat_expected,
        "nat_conntrack_entries": conntrack_nat_t(check.nat_ns),
        "icmp_replies": f"{traffic.received}/{PINGS}",
        "tcp_marker": traffic.tcp,
        "esp_packets": esp,
        "esp_in_udp_captured": esp_seen,
        "cleartext_wan": wan,
        "cleartext_lan": lan,
        "marker_copies": seen,
        "ok": not problems,
        "problems": problems,
    }


def verify(state: LabState, checks: list[CheckSpec] | None = None) -> Verification:
    """Run every check (or the given ones) with captures on; bounded in time."""
    todo = list(state.checks if checks is None else checks)
    before = snapshot(state)
    out = Verification()
    directory = Path(state.workdir) / "pcap"
    with (capturing(capture_points(state, todo), directory, "verify") as caps,
          ThreadPoolExecutor(max_workers=WORKERS) as pool):
        sent = list(pool.map(send_traffic, todo))
    after = snapshot(state)
    out.results = [_result(state, c, before, after, t, caps)
                   for c, t in zip(todo, sent, strict=True)]
    out.links = [summary(c) for c in caps]
    return out
