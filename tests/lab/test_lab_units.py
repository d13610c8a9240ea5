"""The lab's pure parts: topology planning, policy substitutions, daemon settings, log reading.

These need no root: they check what the lab *would* build and run.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

import pytest
from pairlab import classify

from ccsec.crypto import EspProposal, Integ
from ccsec.deployment import Deployment, load
from ccsec.errors import UnsupportedError
from ccsec.formats.base import RenderContext
from ccsec.formats.strongswan.swanconf import parse_conf
from ccsec.formats.strongswan.swanctl import FORMAT
from ccsec.lab.capture import clear_host_ipsec, clear_in_tunnel
from ccsec.lab.charon import Instance, strongswan_conf
from ccsec.lab.errors import LabError
from ccsec.lab.firewall import gateway_ruleset, host_ruleset
from ccsec.lab.topology import build, nat_ruleset, select_hosts
from ccsec.lab.transform import lab_ca_name, lab_ends, transform_end
from ccsec.policy import PolicySet

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def multi() -> Deployment:
    return load(EXAMPLES / "multi-site.yaml")


def test_topology_names_are_prefixed_unique_and_short(demo: Deployment) -> None:
    t = build(demo, "ccsec-abc123-")
    names = [n.ns for n in t.nodes]
    assert len(names) == len(set(names))
    assert all(n.startswith("ccsec-abc123-") for n in names)
    ifaces = {lk.a_if for lk in t.links} | {lk.b_if for lk in t.links}
    assert all(len(i) <= 15 for i in ifaces)
    # two labs never share a namespace name
    other = {n.ns for n in build(demo, "ccsec-def456-").nodes}
    assert not other & set(names)


def test_topology_has_every_role_of_the_deployment(demo: Deployment) -> None:
    t = build(demo, "ccsec-x-")
    kinds = sorted(n.kind for n in t.nodes)
    assert kinds.count("host") == len(demo.hosts)
    assert kinds.count("gateway") == 2 and kinds.count("nat") == 1
    assert kinds.count("internet") == 1 and kinds.count("switch") == 2
    osaka = t.sites["pg-osaka"]
    assert osaka.nat_ns is not None and osaka.nat_public == IPv4Address("203.0.113.7")
    assert osaka.wan == IPv4Address("192.168.100.2")  # the gateway keeps its own WAN address
    assert osaka.lan == IPv4Address("10.20.0.1")  # validate.gateway_lan: first address


def test_internet_is_the_leak_tests_worst_case(demo: Deployment) -> None:
    """The internet routes every site prefix (clear text *would* be delivered)."""
    t = build(demo, "ccsec-x-")
    routes = [" ".join(line) for line in t.config[t.internet_ns]]
    for site in demo.sites:
        for prefix in site.prefixes:
            assert any(r.startswith(f"route add {prefix} via") for r in routes), prefix


def test_gateway_gets_an_address_in_every_site_prefix(multi: Deployment) -> None:
    t = build(multi, "ccsec-x-")
    west = t.sites["dc-west"]
    assert len(west.lan_more) == 1 and west.lan_more[0] in IPv4Network("172.16.1.0/24")
    used = {h.public for h in multi.hosts} | {h.private for h in multi.hosts if h.private}
    assert west.lan_more[0] not in used and west.probe not in used


def test_lab_addresses_avoid_the_deployment(multi: Deployment) -> None:
    t = build(multi, "ccsec-x-")
    inet = [line for line in t.config[t.internet_ns] if line[:2] == ("addr", "add")]
    router = IPv4Address(inet[0][2].split("/")[0])
    assert not any(router in p for s in multi.sites for p in s.prefixes)


def test_select_hosts(demo: Deployment) -> None:
    assert select_hosts(demo, None) == [h.name for h in demo.hosts]
    assert select_hosts(demo, ["pg1-a", "rgr-a"]) == ["rgr-a", "pg1-a"]
    with pytest.raises(LabError, match="nope"):
        select_hosts(demo, ["nope"])
    t = build(demo, "ccsec-x-", ["rgr-a"])
    assert list(t.hosts) == ["rgr-a"]


def test_nat_ruleset_port_range_needs_l4proto() -> None:
    assert "masquerade to" not in nat_ruleset()
    ranged = nat_ruleset((40000, 40100))
    assert "meta l4proto udp masquerade to :40000-40100" in ranged


# ----------------------------------------------------------------------------- transforms


def test_kerberos_becomes_a_certificate_from_the_deployment_ca(demo_ps: PolicySet) -> None:
    ends, subs = lab_ends(demo_ps, {e.owner for e in demo_ps.ends if e.owner}, "libipsec",
                          lab_ca_name("CN=ACME Root CA, O=ACME"))
    methods = {a.method for e in ends for r in e.rules for a in r.auth}
    assert methods == {"certificate"}
    cas = {a.ca for e in ends for r in e.rules for a in r.auth}
    assert cas == {"CN=ACME Root CA, O=ACME"}
    assert any("Kerberos" in s.change for s in subs)
    # every substituted end renders, and the rendered ca_id is the deployment's root CA, its
    # RDNs in the order the certificate encodes them (strongSwan's order)
    text = FORMAT.render(next(e for e in ends if e.owner == "rgr-a"),
                         RenderContext("t", "recommended"))
    assert 'ca_id = "O=ACME, CN=ACME Root CA"' in text


def test_transport_becomes_host_to_host_tunnel_only_without_kernel_esp(
        demo_ps: PolicySet) -> None:
    rgr = demo_ps.end("rgr-a")
    lib, subs = transform_end(rgr, "libipsec", "CN=x")
    assert {r.mode for r in lib.rules} == {"tunnel"}
    assert [f.local for r in lib.rules for f in r.filters] == \
        [f.local for r in rgr.rules for f in r.filters]  # same /32 selectors
    assert any("transport mode" in s.change for s in subs)
    kern, subs = transform_end(rgr, "kernel", "CN=x")
    assert {r.mode for r in kern.rules} == {"transport"}
    assert not any("transport mode" in s.change for s in subs)


def test_substitutions_change_nothing_else(demo_ps: PolicySet) -> None:
    pg = demo_ps.end("pg1-a")
    lab, _ = transform_end(pg, "libipsec", "CN=ACME Root CA, O=ACME")
    for before, after in zip(pg.rules, lab.rules, strict=True):
        keep = {"auth", "mode"}
        assert before.model_dump(exclude=keep) == after.model_dump(exclude=keep)


def test_rules_with_a_missing_peer_are_left_out_and_reported(demo_ps: PolicySet) -> None:
    ends, subs = lab_ends(demo_ps, {"rgr-a", "rgr-b", "rtr-east", "rtr-osaka"}, "libipsec",
                          "CN=x")
    rgr_a = next(e for e in ends if e.owner == "rgr-a")
    assert {r.name for r in rgr_a.rules} == {"p2-rgr-a-rgr-b", "p3-rgr-a-rgr-b-priv"}
    assert any("pg1-a is not in the lab" in s.change for s in subs)


def test_ah_is_refused_on_libipsec(demo_ps: PolicySet) -> None:
    end = demo_ps.end("rtr-east")
    rule = end.rules[0].model_copy(update={"esp": (EspProposal(encryption=None,
                                                               ah=Integ.SHA256),)})
    with pytest.raises(UnsupportedError, match="no AH"):
        transform_end(end.model_copy(update={"rules": (rule,)}), "libipsec", "CN=x")


# ----------------------------------------------------------------------------- settings


def test_daemon_settings_order_libipsec_before_netlink(tmp_path: Path) -> None:
    text = strongswan_conf(Instance("gw", "ns", tmp_path), "libipsec", 20)
    root = parse_conf(text)
    charon = root.section("charon")
    assert charon is not None
    load = (charon.value("load") or "").split()
    assert load.index("kernel-libipsec") < load.index("kernel-netlink")
    assert charon.value("keep_alive") == "20s"
    plugins = charon.section("plugins")
    assert plugins is not None
    assert plugins.section("kernel-libipsec").value("allow_peer_ts") == "yes"  # type: ignore[union-attr]
    kernel = parse_conf(strongswan_conf(Instance("gw", "ns", tmp_path), "kernel", None))
    assert "kernel-libipsec" not in (kernel.section("charon").value("load") or "")  # type: ignore[union-attr]


def test_fail_closed_rulesets() -> None:
    gw = gateway_ruleset([IPv4Network("10.1.0.0/16")],
                         [IPv4Network("10.20.0.0/16"), IPv4Network("10.30.0.0/16")], "libipsec")
    assert "policy drop" in gw
    assert 'iifname "lan0" oifname "ipsec0" ip saddr { 10.1.0.0/16 } ip daddr ' \
           "{ 10.20.0.0/16, 10.30.0.0/16 } accept" in gw
    host = host_ruleset("libipsec")
    assert 'oifname "ipsec0" accept' in host and "meta mark 0x42" in host


def test_capture_filters() -> None:
    inner = clear_in_tunnel([IPv4Network("10.1.0.0/16"), IPv4Network("10.20.0.0/16")])
    assert inner == "ip and (net 10.1.0.0/16 or net 10.20.0.0/16)"
    host = clear_host_ipsec(IPv4Address("10.1.1.10"), IPv4Address("10.1.1.11"))
    assert "not (udp port 500 or udp port 4500" in host


@pytest.mark.parametrize(("lines", "status"), [
    (["<x|1> received NO_PROPOSAL_CHOSEN error notify"], "IKE_PHASE1_FAILED"),
    (["<x|1> IKE_SA x[1] established between 1.1.1.1[a]...2.2.2.2[b]",
      "<x|1> received NO_PROPOSAL_CHOSEN error notify"], "IPSEC_PHASE2_FAILED"),
    (["<x|1> IKE_SA x[1] established between 1.1.1.1[a]...2.2.2.2[b]",
      "<x|1> received TS_UNACCEPTABLE notify, no CHILD_SA built"], "TS_MISMATCH"),
    (["<x|1> could not decrypt payloads"], "IKE_PHASE1_KEY_MISMATCH"),
    (["<x|1> received AUTHENTICATION_FAILED notify error"], "AUTH_MISMATCH"),
    (["<x|1> giving up after 3 retransmits"], "MISSING_END_POINT"),
    (["<x|1> sending packet"], None),
])
def test_classify_log_lines(lines: list[str], status: str | None) -> None:
    got = classify(lines)
    assert (got[0] if got else None) == status


def test_planned_policy_is_what_the_lab_renders(demo_ps: PolicySet) -> None:
    """No second generator: the lab's file for an end is the renderer's text of its policy."""
    ends, _ = lab_ends(demo_ps, {"rtr-east", "rtr-osaka"}, "libipsec", "CN=ACME Root CA, O=ACME")
    east = next(e for e in ends if e.owner == "rtr-east")
    # tunnels need no substitution: the lab runs exactly the planned gateway policy
    assert east == demo_ps.end("rtr-east")
