"""The report of a real lab run: ``api.lab_run`` proves the demo on strongSwan in network
namespaces (root + the lab's Debian packages, as tests/lab), and ``ccsec report --lab`` shows
its JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from htmlkit import parse

from ccsec import api
from ccsec.lab.state import STATE_ENV

pytestmark = pytest.mark.lab


def test_report_of_a_real_lab_run(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(STATE_ENV, str(tmp_path / "lab-state"))
    dep = api.load("demo")
    doc = api.lab_run(dep)
    assert {r["id"] for r in doc["results"]} == {p.id for p in api.paths(dep)}
    lab = tmp_path / "lab.json"
    lab.write_text(json.dumps(doc))
    out = tmp_path / "r.html"
    res = cli("report", "demo", "--lab", str(lab), "-o", str(out), "--json")
    assert res.code == 0, res.err
    summary = json.loads(res.out)
    proven = sum(1 for r in doc["results"] if r["established"] and r["traffic"]
                 and r["cleartext_packets"] == 0)
    assert summary["lab"]["proven"] == proven == summary["path_status"]["protected"]
    page = parse(out.read_text())
    rows = [e for e in page.elements if e.tag == "tr" and e.attrs.get("id", "").startswith(
        "path-")]
    assert len(rows) == len(doc["results"])
    assert doc["datapath"]["name"] in page.by_id("lab").text
