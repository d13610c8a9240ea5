"""The path catalog: each entry 1–8 and the site-tunnel rule, on deployments written per test."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

from builders import CENTRAL, REMOTE, host, make
from ccsec.paths import derive, host_paths, site_tunnels


def ids(dep) -> list[str]:
    return [p.id for p in derive(dep)]


def test_catalog_1_nam_to_cicm() -> None:
    dep = make([host("nam", ["nam-router"], "10.1.1.1"), host("cicm", ["cicm-router"], "10.1.1.2")])
    (p,) = host_paths(dep)
    assert (p.id, p.catalog, p.mode) == ("p1-nam-cicm", 1, "transport")
    assert [e.host for e in p.ends] == ["nam", "cicm"]


def test_catalog_2_and_3_router_pair_public_and_private() -> None:
    dep = make([
        host("r-b", ["router", "logger"], "10.1.1.2", pair="cc", side="b", private="10.1.2.2"),
        host("r-a", ["router", "logger"], "10.1.1.1", pair="cc", side="a", private="10.1.2.1"),
    ])
    paths = host_paths(dep)
    assert [(p.id, p.catalog) for p in paths] == [("p2-r-a-r-b", 2), ("p3-r-a-r-b-priv", 3)]
    private = paths[1]
    assert [str(e.address) for e in private.ends] == ["10.1.2.1", "10.1.2.2"]
    assert {e.network for e in private.ends} == {"private"}


def test_catalog_3_needs_a_private_address_on_both_sides() -> None:
    dep = make([
        host("r-a", ["router"], "10.1.1.1", pair="cc", side="a", private="10.1.2.1"),
        host("r-b", ["router"], "10.1.1.2", pair="cc", side="b"),
    ])
    assert [p.catalog for p in host_paths(dep)] == [2]


def test_catalog_2_logger_pair() -> None:
    dep = make([host("l-a", ["logger"], "10.1.1.1", pair="lg", side="a"),
                host("l-b", ["logger"], "10.1.1.2", pair="lg", side="b")])
    assert ids(dep) == ["p2-l-a-l-b"]


def test_catalog_4_every_router_to_every_pg() -> None:
    routers = [host(f"r{i}", ["router"], f"10.1.1.{i}") for i in (1, 2)]
    pgs = [host(f"pg{i}", ["pg"], f"10.2.1.{i}", site="rs") for i in (1, 2, 3)]
    paths = [p for p in host_paths(make(routers + pgs)) if p.catalog == 4]
    assert len(paths) == 6
    assert {(p.ends[0].host, p.ends[1].host) for p in paths} == {
        (r, pg) for r in ("r1", "r2") for pg in ("pg1", "pg2", "pg3")
    }
    assert all(p.ends[0].network == "public" for p in paths)


def test_catalog_5_and_6_admin_servers() -> None:
    dep = make([
        host("rl", ["router", "logger"], "10.1.1.1"),
        host("aw", ["aw", "hds"], "10.1.3.1"),
        host("dds", ["dds"], "10.1.3.2"),
    ])
    assert [(p.id, p.catalog) for p in host_paths(dep)] == [("p5-rl-aw", 5), ("p6-rl-dds", 6)]


def test_catalog_7_pg_pair_public_and_private() -> None:
    dep = make([
        host("pg-a", ["pg"], "10.2.1.1", site="rs", pair="p", side="a", private="10.2.2.1"),
        host("pg-b", ["pg"], "10.2.1.2", site="rs", pair="p", side="b", private="10.2.2.2"),
    ])
    assert [(p.id, p.catalog) for p in host_paths(dep)] == [
        ("p7-pg-a-pg-b", 7), ("p7-pg-a-pg-b-priv", 7)]


def test_catalog_8_pg_to_cucm_of_the_same_site_only() -> None:
    dep = make([
        host("pg", ["pg"], "10.2.1.1", site="rs"),
        host("cm-rs", ["cucm"], "10.2.5.1", site="rs", domain="uc.t.example"),
        host("cm-dc", ["cucm"], "10.1.5.1", site="dc", domain="uc.t.example"),
    ])
    (p,) = host_paths(dep)
    assert (p.id, p.catalog, p.auth) == ("p8-pg-cm-rs", 8, "certificate")
    assert p.ends[1].platform == "cucm"


def test_one_path_per_pair_of_interfaces() -> None:
    # a host that is router AND logger is one end, not two; a host never pairs with itself
    dep = make([host("rl", ["router", "logger", "aw"], "10.1.1.1"),
                host("aw2", ["aw"], "10.1.3.1")])
    assert ids(dep) == ["p5-rl-aw2"]


def test_roles_without_paths() -> None:
    dep = make([host("cti", ["cti"], "10.1.1.1"), host("dialer", ["dialer"], "10.1.1.2"),
                host("web", ["web-collab"], "10.1.1.3")])
    assert ids(dep) == []


def test_tunnel_for_each_pair_of_crossed_sites() -> None:
    third = {"name": "rs2", "kind": "remote", "prefixes": ["10.3.0.0/16"],
             "gateway": {"name": "gw-rs2", "platform": "strongswan", "wan": "198.51.100.3"}}
    dep = make([
        host("r", ["router"], "10.1.1.1"),
        host("pg1", ["pg"], "10.2.1.1", site="rs"),
        host("pg2", ["pg"], "10.2.1.2", site="rs"),
        host("pg3", ["pg"], "10.3.1.1", site="rs2"),
    ], sites=[CENTRAL, REMOTE, third])
    tunnels = site_tunnels(dep)
    assert [t.id for t in tunnels] == ["t-dc-rs", "t-dc-rs2"]
    t = tunnels[0]
    assert (t.catalog, t.mode) == ("tunnel", "tunnel")
    assert [(e.host, str(e.address)) for e in t.ends] == [("gw-dc", "198.51.100.1"),
                                                          ("gw-rs", "198.51.100.2")]
    assert t.protects == ((IPv4Network("10.1.0.0/16"),), (IPv4Network("10.2.0.0/16"),))


def test_no_tunnel_for_same_site_paths() -> None:
    dep = make([host("r-a", ["router"], "10.1.1.1", pair="c", side="a"),
                host("r-b", ["router"], "10.1.1.2", pair="c", side="b")])
    assert site_tunnels(dep) == []


def test_tunnel_behind_nat_uses_the_nat_address() -> None:
    natted = dict(REMOTE, nat={"public": "203.0.113.9"})
    dep = make([host("r", ["router"], "10.1.1.1"), host("pg", ["pg"], "10.2.1.1", site="rs")],
               sites=[CENTRAL, natted])
    (t,) = site_tunnels(dep)
    assert t.nat_end == 1 and t.crosses_nat
    assert t.peer_address == (IPv4Address("203.0.113.9"), IPv4Address("198.51.100.1"))
    # the host path rides inside the tunnel, exempt from NAT
    assert not host_paths(dep)[0].crosses_nat


def test_protection_selects_what_is_listed() -> None:
    hosts = [host("r", ["router"], "10.1.1.1"), host("pg", ["pg"], "10.2.1.1", site="rs")]
    assert ids(make(hosts, protection="transport")) == ["p4-r-pg"]
    assert ids(make(hosts, protection="tunnel")) == ["t-dc-rs"]
    assert ids(make(hosts, protection="both")) == ["p4-r-pg", "t-dc-rs"]


def test_transport_only_across_nat_is_marked() -> None:
    natted = dict(REMOTE, nat={"public": "203.0.113.9"})
    dep = make([host("r", ["router"], "10.1.1.1"), host("pg", ["pg"], "10.2.1.1", site="rs")],
               sites=[CENTRAL, natted], protection="transport")
    (p,) = derive(dep)
    assert p.crosses_nat and p.nat_end == 1
    # the central end reaches the NATed host at the NAT's public address (found by the lab)
    assert p.peer_address == (IPv4Address("203.0.113.9"), IPv4Address("10.1.1.1"))


def test_paths_json_shape(cli, tmp_path) -> None:
    import json

    res = cli("paths", "demo", "--json")
    assert res.code == 0
    doc = json.loads(res.out)
    assert len(doc) == 13
    for item in doc:
        assert {"id", "catalog", "mode", "auth", "ends"} <= set(item)
        assert [set(e) >= {"host", "address"} for e in item["ends"]] == [True, True]
    tunnel = doc[-1]
    assert tunnel["catalog"] == "tunnel"
    assert tunnel["ends"][0] == {"host": "rtr-east", "address": "198.51.100.1", "network": "wan",
                                 "site": "dc-east", "platform": "ios"}
