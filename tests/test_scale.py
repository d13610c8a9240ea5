"""Scale: synthetic deployments (ccsec synth), the fast deployment loader, and complexity.

Complexity is asserted as operation counts, never seconds: the number of Python lines of ccsec
executed by a step (``sys.settrace``), at two sizes five times apart.  Linear work with a fixed
part grows by less than 5x; anything quadratic (a scan of every site per site, of every
session per rule…) grows by far more — the code before the scale work grew 9-12x in the audit
and 5.1-5.2x in the loader and planner at these sizes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib import import_module
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any

import pytest

from ccsec.audit.engine import planned_ends, run_audit
from ccsec.deployment import Deployment, load, loads
from ccsec.deployment.demo import demo_text
from ccsec.errors import DeploymentError, UserError
from ccsec.formats.base import RenderContext
from ccsec.formats.ios.importer import parse as ios_parse
from ccsec.plan import plan
from ccsec.render import render_policy_set
from ccsec.secrets import SecretResolver
from ccsec.synth import MAX_SITES, SynthOptions, _Builder, generate, synthesize
from conftest import EXAMPLES

#: the module (the package re-exports its ``load`` function under the same name)
loader = import_module("ccsec.deployment.load")

# --------------------------------------------------------------------------- synth


@pytest.mark.parametrize("opts", [
    SynthOptions(sites=1),
    SynthOptions(sites=7, pgs_per_site=3, nat_fraction=1.0, central_sites=1, nam_cicm=True),
    SynthOptions(sites=40, nat_fraction=0.0, strongswan_fraction=1.0, seed=9),
    SynthOptions(sites=60, nat_fraction=0.5, strongswan_fraction=0.0, seed=3),
])
def test_synth_loads_and_plans(opts: SynthOptions) -> None:
    made = generate(opts)
    dep = loads(made.text, "synth.yaml")
    assert len(dep.sites) == made.sites == opts.sites + opts.central_sites
    assert len(dep.hosts) == made.hosts
    remote = [s for s in dep.sites if s.kind == "remote"]
    assert all(s.gateway is not None for s in dep.sites)
    pgs = [h for h in dep.hosts if "pg" in h.roles]
    assert len(pgs) == 2 * opts.pgs_per_site * opts.sites
    assert all(h.private is not None and h.pair for h in pgs)
    assert {h.site for h in dep.hosts if "cucm" in h.roles} >= {s.name for s in remote}
    assert len(dep.agent_networks) >= opts.sites
    nat = sum(s.nat is not None for s in remote)
    if opts.nat_fraction in (0.0, 1.0):
        assert nat == opts.nat_fraction * opts.sites
    platforms = {s.gateway.platform for s in remote if s.gateway}
    if opts.strongswan_fraction in (0.0, 1.0):
        assert platforms == {"strongswan" if opts.strongswan_fraction else "ios"}
    ps = plan(dep)
    assert {e.owner for e in ps.ends} >= {h.name for h in pgs}


def test_synth_mix_at_scale_and_ten_servers_per_site() -> None:
    dep = loads(synthesize(SynthOptions(sites=1000, nat_fraction=0.2)), "synth.yaml")
    servers = len(dep.hosts) + len(dep.gateways())
    assert 9_000 <= servers <= 11_000
    remote = [s for s in dep.sites if s.kind == "remote"]
    nat = sum(s.nat is not None for s in remote)
    ios = sum(s.gateway is not None and s.gateway.platform == "ios" for s in remote)
    assert 120 <= nat <= 280 and 500 <= ios <= 700  # 20 % NAT, 60 % IOS, for seed 1
    publics = [s.nat.public for s in remote if s.nat]
    assert len(set(publics)) == len(publics)


def test_synth_renders_every_format(tmp_path: Path) -> None:
    dep = loads(synthesize(SynthOptions(sites=4, nat_fraction=0.5, nam_cicm=True)))
    ps = plan(dep)
    result = render_policy_set(ps, RenderContext(dep.deployment, ps.profile,
                                                 SecretResolver(tmp_path)))
    assert {f.format for f in result.files} == {"windows-powershell", "cucm", "ios",
                                                "strongswan"}


def test_synth_same_seed_same_bytes_other_seed_other_file() -> None:
    a = synthesize(SynthOptions(sites=30, seed=5))
    assert a == synthesize(SynthOptions(sites=30, seed=5))
    assert a != synthesize(SynthOptions(sites=30, seed=6))


def test_synth_address_plan_holds_at_the_limit() -> None:
    """The last site of the largest file still gets addresses inside their pools."""
    b = _Builder(SynthOptions(sites=MAX_SITES))
    b.central()
    b.remote(0)
    b.remote(MAX_SITES - 1)
    first, last = b.sites[-2], b.sites[-1]
    central_wan = {IPv4Address(str(s["gateway"]["wan"])) for s in b.sites[:2]}  # type: ignore[index]
    for site in (first, last):
        prefix = IPv4Network(str(site["prefixes"][0]))  # type: ignore[index]
        assert prefix.subnet_of(IPv4Network("10.16.0.0/12")) or prefix.subnet_of(
            IPv4Network("10.0.0.0/8"))
        wan = IPv4Address(str(site["gateway"]["wan"]))  # type: ignore[index]
        assert wan in IPv4Network("198.18.0.0/15") or wan in IPv4Network("100.64.0.0/10")
        assert wan not in central_wan
    assert IPv4Network(str(last["prefixes"][0])).network_address < IPv4Address("10.255.0.0")  # type: ignore[index]


@pytest.mark.parametrize("bad", [
    {"sites": 0}, {"sites": MAX_SITES + 1}, {"sites": 2, "pgs_per_site": 0},
    {"sites": 2, "nat_fraction": 1.5}, {"sites": 2, "central_sites": 3},
])
def test_synth_refuses_options_the_plan_cannot_serve(bad: dict[str, Any]) -> None:
    with pytest.raises(UserError) as exc:
        synthesize(SynthOptions(**bad))
    assert "fix:" in str(exc.value)


def test_synth_cli_writes_atomically(cli, tmp_path: Path) -> None:
    out = tmp_path / "dep.yaml"
    out.write_text("old", encoding="utf-8")
    res = cli("synth", "--sites", "5", "--seed", "2", "--nat-fraction", "0.4", "-o", str(out))
    assert res.code == 2 and "--force" in res.err and out.read_text(encoding="utf-8") == "old"
    res = cli("synth", "--sites", "5", "--seed", "2", "--nat-fraction", "0.4", "-o", str(out),
              "--force")
    assert res.code == 0, res.err
    assert out.read_text(encoding="utf-8") == synthesize(
        SynthOptions(sites=5, seed=2, nat_fraction=0.4))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dep.yaml"]  # no temp file left
    assert load(out).deployment == "synthetic-5-sites-seed-2"
    res = cli("synth", "--sites", "0", "-o", str(tmp_path / "x.yaml"))
    assert res.code == 2 and "--sites" in res.err and not (tmp_path / "x.yaml").exists()


# ------------------------------------------------------------------ the fast loader


def _ruamel(text: str) -> Deployment:
    """The same document as ruamel.yaml's round-trip loader reads it (the loader before the
    one-pass composer; the reference for what a document means)."""
    from ruamel.yaml import YAML

    def plain(node: Any) -> Any:
        if isinstance(node, dict):
            return {str(k): plain(v) for k, v in node.items()}
        if isinstance(node, list):
            return [plain(v) for v in node]
        return node

    return Deployment.model_validate(plain(YAML(typ="rt").load(text)))


@pytest.mark.parametrize("text", [
    demo_text(), *(p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("*.yaml"))),
    synthesize(SynthOptions(sites=12, nat_fraction=0.5, nam_cicm=True)),
])
def test_loader_reads_what_ruamel_reads(text: str, monkeypatch) -> None:
    fast = loads(text)
    assert fast == _ruamel(text)
    yamlsafe = import_module("ccsec.yamlsafe")
    monkeypatch.setattr(yamlsafe, "_Loader", import_module("yaml").SafeLoader)  # no libyaml
    assert loads(text) == fast


@pytest.mark.parametrize("text, where", [
    ("deployment: x\nsites:\n  - {name: a, kind: remote, prefixes: [10.0.0.0/8]}\n"
     "  - {name: a, kind: remote, prefixes: [11.0.0.0/8]}\n", ":4:"),
    ("deployment: x\nsites: [\n", ":"),
    ("deployment: x\nsites:\n  - {name: a, kind: remote, prefixes: [10.0.0.0/8]}\n"
     "hosts:\n  - {name: h, site: a, roles: [pg], public: 10.1.1.1, color: red}\n", ":5:"),
])
def test_loader_errors_are_located(text: str, where: str) -> None:
    with pytest.raises(DeploymentError) as exc:
        loads(text, "d.yaml")
    assert f"d.yaml{where}" in str(exc.value)


def test_overlap_index_reports_every_earlier_prefix_in_order() -> None:
    text = ("deployment: x\nsites:\n"
            "  - {name: a, kind: remote, prefixes: [10.1.0.0/16]}\n"
            "  - {name: b, kind: remote, prefixes: [10.1.2.0/24]}\n"
            "  - {name: c, kind: remote, prefixes: [10.0.0.0/8]}\n"
            "  - {name: d, kind: remote, prefixes: [192.0.2.0/24], nat: {public: 10.1.2.3}}\n")
    with pytest.raises(DeploymentError) as exc:
        loads(text, "d.yaml")
    msgs = [p.message for p in exc.value.problems]
    assert "prefix 10.1.2.0/24 overlaps 10.1.0.0/16 of site 'a'" in msgs
    assert [m for m in msgs if m.startswith("prefix 10.0.0.0/8")] == [
        "prefix 10.0.0.0/8 overlaps 10.1.0.0/16 of site 'a'",
        "prefix 10.0.0.0/8 overlaps 10.1.2.0/24 of site 'b'"]
    assert [m for m in msgs if m.startswith("NAT public")] == [
        f"NAT public address 10.1.2.3 is inside prefix {q} of site '{s}'"
        for q, s in (("10.1.0.0/16", "a"), ("10.1.2.0/24", "b"), ("10.0.0.0/8", "c"))]


# ---------------------------------------------------------------------- complexity


def _lines(fn: Callable[..., object], *args: object) -> int:
    """How many lines of ccsec's own code ``fn(*args)`` executes."""
    count = 0

    def local(frame: Any, event: str, arg: object) -> Any:
        nonlocal count
        if event == "line":
            count += 1
        return local

    def calls(frame: Any, event: str, arg: object) -> Any:
        return local if "/ccsec/" in frame.f_code.co_filename else None

    sys.settrace(calls)
    try:
        fn(*args)
    finally:
        sys.settrace(None)
    return count


@pytest.fixture(scope="module")
def sizes() -> list[tuple[str, Deployment]]:
    texts = [synthesize(SynthOptions(sites=n, nam_cicm=True)) for n in (10, 50)]
    return [(t, loads(t)) for t in texts]


def _growth(step: Callable[[str, Deployment], int], sizes: list[tuple[str, Deployment]]
            ) -> float:
    small, large = (step(text, dep) for text, dep in sizes)
    return large / small


def test_loading_and_validation_grow_linearly(sizes) -> None:
    assert _growth(lambda text, _: _lines(loads, text), sizes) < 5.0


def test_planning_grows_linearly(sizes) -> None:
    assert _growth(lambda _, dep: _lines(plan, dep), sizes) < 5.0


def test_audit_grows_linearly(sizes) -> None:
    def audit(_: str, dep: Deployment) -> int:
        return _lines(run_audit, planned_ends(plan(dep)), dep)

    assert _growth(audit, sizes) < 5.0


def _hub(peers: int) -> str:
    """An IOS hub with ``peers`` crypto map entries, keys and ACLs."""
    lines = ["hostname hub", "crypto isakmp policy 10", " encr aes 256", " hash sha256",
             " authentication pre-share", " group 14",
             "crypto ipsec transform-set TS esp-aes 256 esp-sha256-hmac", " mode tunnel"]
    for p in range(1, peers + 1):
        peer = f"198.18.{p // 256}.{p % 256}"
        lines += [f"crypto isakmp key k{p} address {peer}",
                  f"crypto map VPN {p * 10} ipsec-isakmp", f" set peer {peer}",
                  " set transform-set TS", f" match address ACL{p}",
                  f"ip access-list extended ACL{p}",
                  f" permit ip 10.0.0.0 0.0.0.255 10.{p // 256}.{p % 256}.0 0.0.0.255"]
    lines += ["interface GigabitEthernet0/0", " ip address 198.51.100.1 255.255.255.0",
              " crypto map VPN", "end"]
    return "\n".join(lines) + "\n"


def test_ios_import_grows_linearly() -> None:
    small, large = (_lines(ios_parse, _hub(n)) for n in (100, 500))
    assert large / small < 5.0
    assert len(ios_parse(_hub(500)).policies[0].rules) == 500
