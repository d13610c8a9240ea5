"""``ccsec lab export --containerlab DIR``: the lab as a containerlab topology, validated against
containerlab's published JSON schema (vendored in tests/data/containerlab with its BSD-3-Clause
notice) for the demo and a 20-site synthetic deployment, and checked for what the schema cannot
say: every link endpoint is a node's own interface, every node's files exist, the nodes are the
lab's namespaces, the checks are the lab's.  Not run: there is no container engine here.

The schema is draft-07; a few of its ``pattern`` values use ECMAScript/Go Unicode classes
(``\\p{L}``) that Python's ``re`` cannot compile, all on management addresses and port
forwards an export never sets, so the schema is used to validate, not meta-checked."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from ccsec.deployment import load, loads
from ccsec.deployment.demo import demo_text
from ccsec.lab.containerlab import TOPOLOGY_FILE, export
from ccsec.lab.topology import build as build_topology

SCHEMA = Path(__file__).resolve().parents[1] / "data" / "containerlab" / "clab.schema.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))


def _written(cli, deployment: str, out: Path) -> dict:
    res = cli("lab", "export", deployment, "--containerlab", str(out), "--json")
    assert res.code == 0, res.err
    return json.loads(res.out)


def _check(out: Path, validator: jsonschema.Draft7Validator) -> dict:
    doc = YAML(typ="safe").load((out / TOPOLOGY_FILE).read_text(encoding="utf-8"))
    errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(doc)]
    assert errors == []
    nodes = doc["topology"]["nodes"]
    ends = [tuple(ep.split(":")) for link in doc["topology"]["links"]
            for ep in link["endpoints"]]
    assert all(n in nodes for n, _ in ends)
    assert all(len(i) <= 15 and i != "eth0" for _, i in ends)  # eth0: containerlab's mgmt
    assert not [e for e, k in Counter(ends).items() if k > 1]  # one link per interface
    for name, spec in nodes.items():
        start = out / "nodes" / name / "start.sh"
        assert spec["binds"] == [f"nodes/{name}:/ccsec:ro"] and start.is_file()
        assert subprocess.run(["sh", "-n", str(start)], check=False).returncode == 0
    assert subprocess.run(["sh", "-n", str(out / "verify.sh")], check=False).returncode == 0
    return doc


def test_demo_export_validates_and_is_the_lab(cli, tmp_path: Path, validator) -> None:
    out = tmp_path / "clab"
    index = _written(cli, "demo", out)
    doc = _check(out, validator)
    dep = loads(demo_text(), "demo.yaml")
    topo = build_topology(dep, "")
    assert set(doc["topology"]["nodes"]) == {n.ns for n in topo.nodes} == set(index["nodes"])
    assert len(doc["topology"]["links"]) == len(topo.links)
    nat_nodes = [n for n, s in doc["topology"]["nodes"].items()
                 if s["labels"]["ccsec-kind"] == "nat"]
    assert nat_nodes and all((out / "nodes" / n / "nat.nft").is_file() for n in nat_nodes)
    gw = out / "nodes" / "gw-rtr-east"
    assert "connections {" in (gw / "swanctl" / "swanctl.conf").read_text(encoding="utf-8")
    assert (gw / "swanctl" / "swanctl.conf").stat().st_mode & 0o077 == 0  # may hold a key
    assert "load = " in (conf := (gw / "strongswan.conf").read_text(encoding="utf-8"))
    assert "kernel-libipsec kernel-netlink" in conf
    verify = (out / "verify.sh").read_text(encoding="utf-8")
    assert all(f"# {c} (" in verify for c in index["checks"]) and index["checks"]
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "validated against containerlab's JSON schema" in readme and "not run" in readme


def test_twenty_site_synthetic_export_validates(cli, tmp_path: Path, validator) -> None:
    path = tmp_path / "synth.yaml"
    assert cli("synth", "--sites", "20", "-o", str(path)).code == 0
    out = tmp_path / "clab"
    index = _written(cli, str(path), out)
    doc = _check(out, validator)
    topo = build_topology(load(path), "")
    assert len(doc["topology"]["nodes"]) == len(topo.nodes) == len(index["nodes"]) > 200
    assert len(index["checks"]) > 200


def test_a_schema_violation_is_caught(validator) -> None:
    """The validation can fail: an unknown node property and a bad kind."""
    bad = {"name": "x", "topology": {"nodes": {"a": {"kind": "linux", "bogus": 1},
                                               "b": {"kind": "no-such-kind"}}}}
    assert len(list(validator.iter_errors(bad))) == 2


def test_export_refuses_a_directory_it_did_not_write(cli, tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    res = cli("lab", "export", "demo", "--containerlab", str(out))
    assert res.code == 2 and (out / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_kernel_datapath_maps_no_tun(tmp_path: Path) -> None:
    files = export(loads(demo_text(), "demo.yaml"), datapath="kernel", base=tmp_path)
    topo = files[TOPOLOGY_FILE].text
    assert "/dev/net/tun" not in topo
    conf = files["nodes/gw-rtr-east/strongswan.conf"].text
    load_line = next(ln for ln in conf.splitlines() if ln.strip().startswith("load ="))
    assert "kernel-libipsec" not in load_line and "kernel-netlink" in load_line
