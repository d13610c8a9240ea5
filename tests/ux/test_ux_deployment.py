"""Modelling mistakes (issue 16, item 3) and Communications Manager clusters (item 4)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ccsec import api
from ccsec.errors import DeploymentError
from ccsec.paths import derive, warnings_of

HEAD = """\
deployment: t
pki: {root_ca: "CN=Root CA"}
domains: [icm.example.com]
protection: transport
sites:
  - {name: dc, kind: central, prefixes: [10.1.0.0/16],
     gateway: {name: rtr-dc, platform: ios, wan: 198.51.100.1}}
  - {name: br, kind: remote, prefixes: [10.2.0.0/16],
     gateway: {name: rtr-br, platform: ios, wan: 198.51.100.2}}
hosts:
  - {name: rgr-a, site: dc, roles: [router, logger], pair: cc, side: a,
     domain: icm.example.com, public: 10.1.1.10, private: 10.1.2.10}
  - {name: rgr-b, site: dc, roles: [router, logger], pair: cc, side: b,
     domain: icm.example.com, public: 10.1.1.11, private: 10.1.2.11}
"""
Write = Callable[..., Path]


def _load(write_yaml: Write, extra: str, strict: bool = False):
    return api.load(write_yaml(HEAD + extra), strict=strict)


def _errors(write_yaml: Write, extra: str) -> list[str]:
    with pytest.raises(DeploymentError) as exc:
        _load(write_yaml, extra)
    return [str(p) for p in exc.value.problems]


def test_the_base_file_is_clean(write_yaml: Write) -> None:
    dep = _load(write_yaml, "")
    assert warnings_of(dep, write_yaml(HEAD)) == []


def test_names_differing_only_in_case_are_an_error(write_yaml: Write) -> None:
    errors = _errors(write_yaml, "  - {name: RGR-A, site: dc, roles: [aw], "
                     "domain: icm.example.com, public: 10.1.3.10}\n")
    assert len(errors) == 1
    assert "deployment.yaml:15: hosts[RGR-A].name: name 'RGR-A' differs from 'rgr-a' only in " \
        "case" in errors[0] and "fix:" in errors[0]


def test_a_gateway_wan_inside_another_sites_prefix_is_an_error(write_yaml: Write) -> None:
    text = HEAD.replace("wan: 198.51.100.1", "wan: 10.2.200.1")
    with pytest.raises(DeploymentError) as exc:
        api.load(write_yaml(text))
    msgs = [str(p) for p in exc.value.problems]
    assert any(":7: sites[dc].gateway.wan: WAN address 10.2.200.1 lies inside prefix "
               "10.2.0.0/16 of site 'br'" in m for m in msgs), msgs


def test_a_one_sided_pair_is_a_warning_and_an_error_with_strict(write_yaml: Write) -> None:
    extra = ("  - {name: pg1-a, site: br, roles: [pg], pair: pg1, side: a, "
             "domain: icm.example.com, public: 10.2.1.10}\n")
    dep = _load(write_yaml, extra)
    path = write_yaml(HEAD + extra)
    (w,) = warnings_of(dep, path)
    assert w.line == 15 and w.field == "hosts[pg1-a].pair"
    assert "pair 'pg1' has only side a (pg1-a)" in w.message and "side-b" in (w.fix or "")
    with pytest.raises(DeploymentError, match="because of --strict"):
        _load(write_yaml, extra, strict=True)


def test_a_server_inside_an_agent_network_is_a_warning(write_yaml: Write) -> None:
    extra = ("  - {name: pg1-a, site: br, roles: [pg], domain: icm.example.com, "
             "public: 10.2.64.10}\nagent_networks:\n"
             "  - {name: agents, site: br, prefix: 10.2.64.0/20}\n")
    dep = _load(write_yaml, extra)
    (w,) = warnings_of(dep, write_yaml(HEAD + extra))
    assert w.field == "hosts[pg1-a].public" and w.line == 15
    assert "server address 10.2.64.10 lies inside agent network 'agents'" in w.message


def test_a_private_network_on_one_side_only_is_a_warning(write_yaml: Write) -> None:
    text = HEAD.replace(", private: 10.1.2.11", "")
    dep = api.load(write_yaml(text))
    (w,) = warnings_of(dep, write_yaml(text))
    assert "rgr-a has a private address but its other side rgr-b has none" in w.message
    assert not any(p.id.endswith("-priv") for p in derive(dep))


def test_warnings_on_the_command_line(cli, write_yaml: Write) -> None:
    path = write_yaml(HEAD + "  - {name: pg1-a, site: br, roles: [pg], pair: pg1, side: a, "
                      "domain: icm.example.com, public: 10.2.1.10}\n")
    res = cli("paths", str(path))
    assert res.code == 0 and res.err.startswith("ccsec: warning: ") and ":15: " in res.err
    assert cli("-q", "paths", str(path)).err == ""
    strict = cli("--strict", "paths", str(path))
    assert strict.code == 2 and "ccsec: error:" in strict.err and strict.out == ""


# ------------------------------------------------------------------- clusters (item 4)

CLUSTER = """\
  - {name: pg1-a, site: br, roles: [pg], pair: pg1, side: a, domain: icm.example.com,
     public: 10.2.1.10}
  - {name: pg1-b, site: br, roles: [pg], pair: pg1, side: b, domain: icm.example.com,
     public: 10.2.1.11}
  - {name: pg2-a, site: dc, roles: [pg], domain: icm.example.com, public: 10.1.4.10,
     cluster: uc-east}
  - {name: cm-pub, site: dc, roles: [cucm], public: 10.1.5.10, cluster: uc-east}
  - {name: cm-sub1, site: br, roles: [cucm], public: 10.2.5.10, cluster: uc-east}
  - {name: cm-sub2, site: br, roles: [cucm], public: 10.2.5.11, cluster: uc-east}
  - {name: cm-lab, site: dc, roles: [cucm], public: 10.1.5.20}
"""


def _p8(dep) -> set[tuple[str, str]]:
    return {(p.ends[0].host, p.ends[1].host) for p in derive(dep) if p.catalog == 8}


def test_a_cluster_spans_sites_and_each_pg_reaches_all_its_nodes(write_yaml: Write) -> None:
    dep = _load(write_yaml, CLUSTER)
    nodes = {"cm-pub", "cm-sub1", "cm-sub2"}
    # pg1-a/b name no cluster: the cluster with a node in their site — all of its nodes,
    # the publisher in the other site included
    assert {(pg, n) for pg, n in _p8(dep) if pg.startswith("pg1")} == \
        {(pg, n) for pg in ("pg1-a", "pg1-b") for n in nodes}
    # pg2-a names uc-east: its nodes only, not cm-lab (a cluster of its own in the same site)
    assert {n for pg, n in _p8(dep) if pg == "pg2-a"} == nodes


def test_without_cluster_names_a_site_is_one_cluster_as_before(demo) -> None:
    assert _p8(demo) == {("pg1-a", "cucm-1"), ("pg1-b", "cucm-1")}


def test_cluster_mistakes_are_errors(write_yaml: Write) -> None:
    errors = _errors(write_yaml, CLUSTER.replace("cluster: uc-east}\n  - {name: cm-pub",
                                                 "cluster: uc-west}\n  - {name: cm-pub"))
    assert any("hosts[pg2-a].cluster: no Communications Manager node belongs to cluster "
               "'uc-west'" in e and "use one of: uc-east" in e for e in errors), errors
    errors = _errors(write_yaml, "  - {name: aw-1, site: dc, roles: [aw], domain: "
                     "icm.example.com, public: 10.1.3.10, cluster: uc}\n")
    assert "cluster: is for Communications Manager nodes and PGs" in errors[0]


def test_a_pg_with_no_cluster_in_reach_is_a_warning(write_yaml: Write) -> None:
    extra = ("  - {name: pg1-a, site: br, roles: [pg], domain: icm.example.com, "
             "public: 10.2.1.10}\n"
             "  - {name: cm-pub, site: dc, roles: [cucm], public: 10.1.5.10, cluster: uc}\n")
    dep = _load(write_yaml, extra)
    (w,) = warnings_of(dep, write_yaml(HEAD + extra))
    assert "PG pg1-a gets no path to Communications Manager (catalog 8)" in w.message
    assert "cluster: NAME (clusters: uc)" in (w.fix or "")


def test_schema_and_init_describe_the_cluster(cli, tmp_path: Path) -> None:
    import json

    schema = json.loads(cli("schema").out)
    assert "cluster" in json.dumps(schema["$defs"]["Host"]["properties"]["cluster"])
    assert cli("init", str(tmp_path / "d.yaml")).code == 0
    text = (tmp_path / "d.yaml").read_text()
    assert "cluster: uc-main" in text and "catalog 8" in text
    assert cli("paths", str(tmp_path / "d.yaml")).err == ""
