"""Large inputs (~10 MB each) for every reader, deterministic: the hardening bench's corpus.

Configurations are ccsec's own renderings of one end holding thousands of rules (a central
router of a big contact center): the demo's first Windows end, its rules cloned with their own
names and addresses, rendered by each format's renderer (so the file is realistic and every
reader reads all of it).  ipsec.conf, the logs, the perfmon CSV, the collector file and the
phone export are built from their test fixtures' shapes; the deployment is ``ccsec synth``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

from common import ROOT, src_path

src_path()

TARGET = 10 * 1024 * 1024
FIXTURES = ROOT / "tests" / "ops" / "fixtures"


def _clone_rules(n: int, platform: str, profile: str | None = None):  # type: ignore[no-untyped-def]
    """An end of ``platform`` with ``n`` rules: the end of that platform with the most rules
    in the demo plan (the Linux lab example for strongSwan), its rules cloned under new names
    and addresses."""
    from ccsec.deployment import load, loads
    from ccsec.deployment.demo import demo_text
    from ccsec.plan import plan
    from ccsec.policy import Filter

    dep = load(ROOT / "examples" / "linux-test.yaml") if platform == "strongswan" else \
        loads(demo_text())
    ends = [e for e in plan(dep, profile).ends if e.platform == platform]
    end = max(ends, key=lambda e: len(e.rules))
    rules = []
    for i in range(n):
        base = end.rules[i % len(end.rules)]
        remote = IPv4Address(int(IPv4Address("10.128.0.0")) + i)
        filters = tuple(Filter(local=f.local, remote=IPv4Network(f"{remote}/32"),
                               protocol=f.protocol, local_port=f.local_port,
                               remote_port=f.remote_port, mirrored=f.mirrored)
                        for f in base.filters)
        update: dict[str, object] = {"name": f"r{i}-{base.name}"[:80], "filters": filters}
        if base.peer_address is not None and base.mode == "tunnel":
            update["peer_address"] = IPv4Address(int(IPv4Address("100.64.0.0")) + i)
        rules.append(base.model_copy(update=update))
    return end.model_copy(update={"rules": tuple(rules)})


def _render(fmt: str, platform: str, profile: str | None = None) -> Callable[[int], str]:
    def make(n: int) -> str:
        from ccsec.formats import registry
        from ccsec.formats.base import RenderContext
        from ccsec.secrets import SecretResolver

        env = {"CCSEC_LAB_PSK": "bench-Key-0123456789"}
        ctx = RenderContext("bench", "recommended", SecretResolver(ROOT, env=env))
        return registry.get(fmt).render(_clone_rules(n, platform, profile), ctx)

    return make


def _collector(n: int) -> str:
    from gen_windows_export import export_text

    return export_text(_clone_rules(n, "windows"), ["10.1.1.10"], "icm.example")


def _ipsec_conf(n: int) -> str:
    out = ["config setup\n    charondebug=\"ike 1\"\n", "conn %default\n    keyexchange=ikev2\n"
           "    ike=aes256-sha256-modp2048!\n    esp=aes256gcm16-modp2048!\n"]
    for i in range(n):
        a, b = IPv4Address("10.0.0.0") + i, IPv4Address("172.16.0.0") + i
        out.append(f"conn c{i}\n    left=192.0.2.1\n    right={IPv4Address('100.64.0.0') + i}\n"
                   f"    leftsubnet={a}/32\n    rightsubnet={b}/32\n    authby=secret\n"
                   f"    auto=route\n    ikelifetime=8h\n    lifetime=1h\n")
    return "".join(out)


def _charon(n: int) -> str:
    lines = (FIXTURES / "charon" / "real" / "v2-psk-mismatch" / "a-filelog.log").read_text(
        encoding="utf-8").splitlines()
    out = []
    for i in range(n):
        out += [line.replace("<", f"<r{i}-", 1) for line in lines]
    return "\n".join(out) + "\n"


def _perf(n: int) -> str:
    counters = ["\\Processor(_Total)\\% Processor Time", "\\Memory\\Available MBytes",
                "\\System\\Processor Queue Length", "\\LogicalDisk(C:)\\% Free Space",
                "\\IPsec Driver\\Active Security Associations"]
    head = '"(PDH-CSV 4.0) (Coordinated Universal Time)(0)",' + ",".join(
        f'"\\\\HOST{c}"' for c in counters)
    rng = random.Random(7)
    rows = [head]
    for i in range(n):
        t = f"{1 + i // 86400 % 12:02d}/{1 + i // 3600 % 28:02d}/2025 " \
            f"{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}.000"
        rows.append(f'"{t}",' + ",".join(f'"{rng.uniform(0, 100):.4f}"' for _ in counters))
    return "\n".join(rows) + "\n"


def _posture(n: int) -> str:
    doc = json.loads((FIXTURES / "posture" / "pg1a-good-constructed.json").read_text(
        encoding="utf-8"))
    doc["hotfixes"] = [{"HotFixID": f"KB{5000000 + i}", "Description": "Security Update",
                        "InstalledOn": "2025-01-01T00:00:00"} for i in range(n)]
    return json.dumps(doc, indent=2)


def _phones(n: int) -> str:
    rows = ["DEVICE NAME,DESCRIPTION,DEVICE TYPE,DEVICE POOL,DEVICE SECURITY PROFILE,"
            "PC PORT,PC VOICE VLAN ACCESS,SPAN TO PC PORT,GRATUITOUS ARP"]
    rows += [f"SEP{i:012X},Agent phone {i},Cisco 8841,DP-{i % 50},"
             "Cisco 8841 - Standard SIP Non-Secure Profile,Enabled,Enabled,Enabled,Disabled"
             for i in range(n)]
    return "\n".join(rows) + "\n"


def _deployment(n: int) -> str:
    from ccsec.synth import SynthOptions, synthesize

    return synthesize(SynthOptions(sites=n, seed=7))


#: reader → (file name, generator of a text from a count, count per probe)
GENERATORS: dict[str, tuple[str, Callable[[int], str], int]] = {
    "ios": ("ios.cfg", _render("ios", "ios"), 200),
    "strongswan": ("swanctl.conf", _render("strongswan", "strongswan"), 200),
    "ipsec-conf": ("ipsec.conf", _ipsec_conf, 1000),
    "windows-powershell": ("ipsec.ps1", _render("windows-powershell", "windows"), 200),
    "windows-netsh": ("ipsec.cmd", _render("windows-netsh", "windows", "legacy"), 200),
    "cucm": ("cucm-ipsec.txt", _render("cucm", "cucm"), 200),
    "windows-collector": ("ccsec-host.json", _collector, 200),
    "deployment": ("deployment.yaml", _deployment, 20),
    "logs": ("charon.log", _charon, 20),
    "perf": ("perf.csv", _perf, 2000),
    "posture": ("ccsec-posture.json", _posture, 2000),
    "phones": ("phones.csv", _phones, 2000),
}


def make(reader: str, out_dir: Path, target: int = TARGET) -> Path:
    """Write ``out_dir/<file>`` of about ``target`` bytes for ``reader`` (a probe at a small
    count, scaled linearly); returns its path."""
    name, gen, probe = GENERATORS[reader]
    n = max(1, int(probe * target / len(gen(probe).encode())))
    path = out_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(gen(n), encoding="utf-8")
    return path
