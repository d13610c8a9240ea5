"""The report of `ccsec synth --sites 300 --seed 7` (planned only): under 5 MB (it was 38 MB),
its picture one tile per remote site, its findings a handful of rows (they were 7,245), its
policies packed yet all there."""

from __future__ import annotations

import base64
import gzip
import json
from collections import Counter

from htmlkit import parse
from scale import report_of

LIMIT = 5 * 1024 * 1024


def test_300_site_report_is_under_5_mb_and_complete() -> None:
    built = report_of(300, 7)
    assert built.size < LIMIT, f"{built.size / 1e6:.1f} MB"
    page = parse(built.report.read_text(encoding="utf-8"))
    svg = page.by_id("topology-svg")
    assert svg.attrs["data-level"] == "sites"
    tiles = [e for e in page.find("rect") if e.attrs.get("class", "").startswith("tile s-")]
    assert len(tiles) == 300
    assert {t.attrs["data-status"] for t in tiles} == {"planned"}
    # every path is in the paths table, once
    rows = [e for e in page.find("tr") if e.attrs.get("id", "").startswith("path-")]
    assert len(rows) == len({r.attrs["id"] for r in rows}) > 4000
    # the picture accounts for every path: stubs, single lines and inside the tiles
    lines = [e for e in page.find("path") if "data-role" in e.attrs]
    drawn = sum(int(e.attrs["data-count"]) for e in lines if e.attrs["data-role"] != "trunk")
    assert drawn + sum(int(t.attrs["data-inside"]) for t in tiles) == len(rows)
    # findings: a handful of rows, every finding under one
    groups = [e for e in page.find("tr") if e.attrs.get("class") == "finding"]
    total = sum(int(g.attrs["data-count"]) for g in groups)
    assert len(groups) <= 5 and total > 7000
    by_severity = Counter()
    for g in groups:
        by_severity[g.attrs["data-severity"]] += int(g.attrs["data-count"])
    for sev, n in by_severity.items():
        assert page.by_id(f"findings-{sev}").text == str(n)
    # planned only, and said so
    assert "planned, not audited" in page.by_id("card-paths").text
    # every end's policy is there, packed
    ends = [e for e in page.find("details") if "packed" in e.attrs.get("class", "")]
    doc = json.loads(gzip.decompress(base64.b64decode(page.by_id("policy-data").text)))
    assert len(ends) == len(doc["ends"]) > 1500
    assert all(texts for texts in doc["ends"])
