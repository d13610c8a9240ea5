#!/usr/bin/env python3
"""Cost of the lab and of each profile (issue [lab] point 4).  Needs root, like the lab.

Measures, in one run, side by side:

1. bring-up time (nothing → every path and tunnel established) of the demo deployment and of a
   synthetic 10-site deployment generated below;
2. ESP throughput per profile (legacy / recommended / strict) against plain forwarding on the
   same topology: iperf3 TCP from one site's LAN probe to the other's, 4-second runs, median of
   3, the four labs up at once and their runs interleaved.  A two-site deployment without
   Communications Manager is used for every profile, because strict (ECP-384) does not plan
   for CUCM;
3. IKE handshakes per second per DH group: IKEv2, PSK (so the DH dominates), AES-256/SHA-256,
   sequential initiations between two namespaces.

Appends a dated section with the machine description and the exact command to
bench/RESULTS.md (``--no-write`` prints it only).  Usage::

    python bench/lab_bench.py [--quick] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))
# the two-end lab of the differential test lives with the tests (test-only code)
sys.path.insert(0, str(ROOT / "tests" / "lab"))

from pairlab import PairLab  # noqa: E402
from pydantic import SecretStr  # noqa: E402

from ccsec import __version__  # noqa: E402
from ccsec.crypto import DH_GROUPS, Encr, EspProposal, IkeProposal, Integ  # noqa: E402
from ccsec.deployment import Deployment, loads  # noqa: E402
from ccsec.deployment.demo import demo_text  # noqa: E402
from ccsec.lab.build import up  # noqa: E402
from ccsec.lab.proc import in_ns, run  # noqa: E402
from ccsec.lab.sas import snapshot  # noqa: E402
from ccsec.lab.state import LabState, interruptible, teardown  # noqa: E402
from ccsec.policy import Auth, EndPolicy, Filter, Identity, Ike, Rule  # noqa: E402
from ccsec.secrets import Secret  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS.md"
IPERF_SECONDS = 4  # each iperf3 run stays under the 5 s bound
RUNS = 3
DH_BENCH = (14, 15, 16, 19, 20, 21, 31, 2)


# ----------------------------------------------------------------------------- deployments


def synthetic(sites: int = 10) -> Deployment:
    """A central site and ``sites - 1`` PG sites; every third PG site behind NAT, gateways
    alternating IOS / strongSwan, Windows PG pairs and a Communications Manager per site."""
    site_list: list[dict[str, Any]] = [{
        "name": "dc", "kind": "central", "prefixes": ["10.0.0.0/16"],
        "gateway": {"name": "gw-dc", "platform": "ios", "wan": "198.51.100.1"},
    }]
    hosts: list[dict[str, Any]] = [
        {"name": "rgr-a", "site": "dc", "roles": ["router", "logger"], "pair": "cc",
         "side": "a", "domain": "icm.bench.example", "public": "10.0.1.10"},
        {"name": "rgr-b", "site": "dc", "roles": ["router", "logger"], "pair": "cc",
         "side": "b", "domain": "icm.bench.example", "public": "10.0.1.11"},
    ]
    for i in range(1, sites):
        name = f"pg{i:02d}"
        site: dict[str, Any] = {
            "name": f"site-{name}", "kind": "remote", "prefixes": [f"10.{i}.0.0/16"],
            "gateway": {"name": f"gw-{name}", "platform": "ios" if i % 2 else "strongswan",
                        "wan": f"198.51.100.{10 + i}"},
        }
        if i % 3 == 0:
            site["gateway"]["wan"] = f"192.168.{i}.2"
            site["nat"] = {"public": f"203.0.113.{10 + i}"}
        site_list.append(site)
        for side, last in (("a", 10), ("b", 11)):
            hosts.append({"name": f"{name}-{side}", "site": f"site-{name}", "roles": ["pg"],
                          "pair": name, "side": side, "domain": "icm.bench.example",
                          "public": f"10.{i}.1.{last}"})
        hosts.append({"name": f"cucm-{name}", "site": f"site-{name}", "roles": ["cucm"],
                      "domain": "uc.bench.example", "public": f"10.{i}.5.10"})
    doc = {
        "deployment": f"bench-{sites}-sites", "environment": "production",
        "profile": "recommended", "protection": "both",
        "domains": ["icm.bench.example", "uc.bench.example"],
        "pki": {"root_ca": "CN=Bench Root CA, O=ccsec bench"},
        "sites": site_list, "hosts": hosts,
    }
    return loads(json.dumps(doc), f"synthetic-{sites}-sites.yaml")  # JSON is YAML


def two_sites(protection: str) -> Deployment:
    """Two strongSwan gateways and two Linux hosts: every profile plans for it."""
    doc = {
        "deployment": "bench-throughput", "environment": "production",
        "profile": "recommended", "protection": protection,
        "pki": {"root_ca": "CN=Bench Root CA, O=ccsec bench"},
        "sites": [
            {"name": "hq", "kind": "central", "prefixes": ["10.10.0.0/16"],
             "gateway": {"name": "gw-hq", "platform": "strongswan", "wan": "198.51.100.1"}},
            {"name": "br", "kind": "remote", "prefixes": ["10.30.0.0/16"],
             "gateway": {"name": "gw-br", "platform": "strongswan", "wan": "198.51.100.2"}},
        ],
        "hosts": [
            {"name": "rtr", "site": "hq", "roles": ["router"], "os": "linux",
             "public": "10.10.1.10"},
            {"name": "pg", "site": "br", "roles": ["pg"], "os": "linux", "public": "10.30.1.10"},
        ],
    }
    return loads(json.dumps(doc), "bench-two-sites.yaml")


# ----------------------------------------------------------------------------- measurements


def bring_up(dep: Deployment, runs: int) -> list[LabState]:
    """``runs`` complete bring-ups (each torn down again); the states keep the timings."""
    out = []
    for _ in range(runs):
        state = up(dep)
        teardown(state)
        out.append(state)
    return out


def iperf(state: LabState) -> float:
    """Mbit/s received, LAN probe of the first site → LAN probe of the second (bounded)."""
    assert state.topology is not None
    a, b = list(state.topology.sites.values())[:2]
    server = subprocess.Popen(
        in_ns(b.probe_ns, "timeout", "20", "iperf3", "-s", "-1", "-B", str(b.probe)),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        time.sleep(0.5)
        done = run(in_ns(a.probe_ns, "iperf3", "-c", str(b.probe), "-B", str(a.probe),
                         "-t", str(IPERF_SECONDS), "-J"), timeout=IPERF_SECONDS + 15,
                   check=False)
        result = json.loads(done.stdout or "{}")
        return float(result["end"]["sum_received"]["bits_per_second"]) / 1e6
    finally:
        try:
            server.wait(5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(2)


def esp_of(state: LabState) -> str:
    snap = snapshot(state)
    for sas in snap.values():
        for ike in sas or []:
            for c in ike.children:
                if c.state == "INSTALLED":
                    return "/".join(x for x in (c.encr, c.integ) if x) + f" (IKEv{ike.version})"
    return "-"


def throughput(profiles: list[str | None], runs: int) -> list[dict[str, Any]]:
    """iperf3 through the site tunnel per profile (None = plain forwarding, no IPsec).

    All labs run at once (unique prefixes) and the runs are interleaved round by round, so a
    busy neighbour on a shared machine slows every profile alike instead of one of them.
    """
    states: list[LabState] = []
    try:
        for profile in profiles:
            dep = two_sites("transport" if profile is None else "tunnel")
            state = up(dep, profile=profile, hosts=[])
            states.append(state)
            if profile is not None and not state.checks:
                raise RuntimeError("the bench deployment planned no tunnel")
        rates: list[list[float]] = [[] for _ in profiles]
        for _ in range(runs):
            for i, state in enumerate(states):
                rates[i].append(iperf(state))
        return [{"path": p or "plain forwarding (no IPsec)",
                 "esp": "-" if p is None else esp_of(st), "runs": r,
                 "median": statistics.median(r)}
                for p, st, r in zip(profiles, states, rates, strict=True)]
    finally:
        for state in states:
            teardown(state)


def _pair_end(name: str, local: str, peer: str, group: int) -> tuple[EndPolicy, Rule]:
    rule = Rule(
        name="bench", mode="tunnel",
        local_address=IPv4Address(local), peer_address=IPv4Address(peer),
        local_id=Identity(kind="address", value=local),
        peer_id=Identity(kind="address", value=peer),
        filters=(Filter(local=IPv4Network(f"{local}/32"), remote=IPv4Network(f"{peer}/32")),),
        auth=(Auth(method="psk", psk=Secret(value=SecretStr("ccsec-bench-psk-0123456789"))),),
        ike=Ike(version=2, proposals=(IkeProposal(encryption=Encr.AES256,
                                                  integrity=Integ.SHA256, group=group),)),
        esp=(EspProposal(encryption=Encr.AES256GCM),),
    )
    end = EndPolicy(name=name, owner=name, platform="strongswan", rules=(rule,))
    return end, rule


def handshakes(group: int, count: int, limit_s: float) -> dict[str, Any]:
    a = _pair_end("bench-a", "192.0.2.1", "192.0.2.2", group)
    b = _pair_end("bench-b", "192.0.2.2", "192.0.2.1", group)
    times: list[float] = []
    with PairLab(a, b, datapath="auto") as lab:
        lab.handshake("a")  # warm-up (first connection loads lazily)
        deadline = time.monotonic() + limit_s
        while len(times) < count and time.monotonic() < deadline:
            took = lab.handshake("a")
            if took is None:
                break
            times.append(took)
    info = DH_GROUPS[group]
    med = statistics.median(times) if times else None
    return {"group": group, "name": f"{info.keyword} ({info.kind} {info.bits})",
            "handshakes": len(times), "median_ms": None if med is None else med * 1000,
            "per_s": None if med is None else 1 / med}


# ----------------------------------------------------------------------------- report


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    ver = run(["dpkg-query", "-W", "-f=${Version}", "charon-systemd"], check=False).stdout
    swan = f"strongSwan charon-systemd {ver.strip() or '?'}"
    return (f"{cpu}, {os.cpu_count()} vCPU{mem}; Linux {platform.release()}; {swan}; "
            f"Python {platform.python_version()}; ccsec {__version__}")


def fmt(x: float | None, digits: int = 0) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def section(command: str, ups: list[dict[str, Any]], tput: list[dict[str, Any]],
            dh: list[dict[str, Any]], datapath: str) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"## {now} — lab benchmarks", "", f"- machine: {machine()}",
             f"- command: `{command}` (as root)", f"- ESP data path: {datapath}", "",
             "### Lab bring-up (nothing → every path and tunnel established)", "",
             "| deployment | sites | namespaces | charons | paths + tunnels | runs (s) | "
             "median s |", "|---|---|---|---|---|---|---|"]
    for u in ups:
        lines.append(f"| {u['name']} | {u['sites']} | {u['namespaces']} | {u['charons']} | "
                     f"{u['checks']} | {' / '.join(f'{t:.2f}' for t in u['runs'])} | "
                     f"**{statistics.median(u['runs']):.2f}** |")
    base = next((t["median"] for t in tput if t["esp"] == "-"), None)
    lines += ["", f"### ESP throughput: iperf3 TCP, LAN probe → LAN probe across the WAN, "
              f"{IPERF_SECONDS} s per run, median of {len(tput[0]['runs']) if tput else 0}",
              "", "| path | negotiated ESP | runs (Mbit/s) | median Mbit/s | share of plain |",
              "|---|---|---|---|---|"]
    for t in tput:
        share = f"{100 * t['median'] / base:.1f} %" if base and t["esp"] != "-" else "100 %"
        lines.append(f"| {t['path']} | {t['esp']} | "
                     f"{' / '.join(f'{r:.0f}' for r in t['runs'])} | **{t['median']:.0f}** | "
                     f"{share} |")
    lines += ["", "### IKE handshakes per DH group (IKEv2, PSK, aes256-sha256, one initiator, "
              "sequential; IKE_SA_INIT + IKE_AUTH + first CHILD_SA)", "",
              "| DH group | handshakes | median ms | per second |", "|---|---|---|---|"]
    for d in dh:
        lines.append(f"| {d['group']} {d['name']} | {d['handshakes']} | "
                     f"{fmt(d['median_ms'], 1)} | **{fmt(d['per_s'], 1)}** |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 run each, fewer handshakes")
    parser.add_argument("--no-write", action="store_true", help="print, do not append")
    args = parser.parse_args()
    runs = 1 if args.quick else RUNS
    command = "python bench/lab_bench.py" + (" --quick" if args.quick else "")
    datapath = "?"
    with interruptible():
        ups = []
        for name, dep in (("demo", loads(demo_text(), "demo.yaml")), ("synthetic 10 sites",
                                                                     synthetic(10))):
            print(f"bring-up: {name}", file=sys.stderr)
            states = bring_up(dep, runs)
            s = states[0]
            ups.append({"name": name, "sites": len(dep.sites), "namespaces": len(s.namespaces()),
                        "charons": len(s.charons), "checks": len(s.checks),
                        "runs": [st.timings["total_s"] for st in states]})
            datapath = f"{s.datapath} ({s.datapath_evidence})"
        print("throughput: plain, legacy, recommended, strict (interleaved)", file=sys.stderr)
        tput = throughput([None, "legacy", "recommended", "strict"], runs)
        dh = []
        for group in DH_BENCH:
            print(f"handshakes: group {group}", file=sys.stderr)
            dh.append(handshakes(group, 5 if args.quick else 20, 15.0))
    text = section(command, ups, tput, dh, datapath)
    print(text)
    if not args.no_write:
        header = "" if RESULTS.exists() else "# Benchmark results\n\nAppended by the bench " \
                                              "scripts; newest last.\n\n"
        with RESULTS.open("a", encoding="utf-8") as fh:
            fh.write(header + text + "\n")
        print(f"appended to {RESULTS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
