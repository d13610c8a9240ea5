"""ccsec report: what the HTML holds, that it is self-contained, escapes everything and never
holds a key; statuses agree with the audit computed on its own."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from htmlkit import Page, parse
from mixed import DEPLOYMENT as MIXED
from mixed import mixed_configs

from conftest import EXAMPLES, LAB_PSK, ROOT

PERF_CSV = ROOT / "tests" / "ops" / "fixtures" / "perf" / "typeperf-busy-en-us.csv"


def _audit_json(cli, deployment: str, configs: Path) -> dict:
    res = cli("audit", deployment, "--configs", str(configs), "--json")
    assert res.code == 0, res.err
    return json.loads(res.out)


def _report(cli, tmp_path: Path, deployment: str, *extra: str, name: str = "r.html"
            ) -> tuple[Page, str, dict]:
    out = tmp_path / name
    res = cli("report", deployment, *extra, "-o", str(out), "--json")
    assert res.code == 0, res.err
    html = out.read_text(encoding="utf-8")
    return parse(html), html, json.loads(res.out)


def _rows(page: Page, table: str) -> list:
    ids = {e.attrs.get("id") for e in page.elements}
    assert table in ids
    return [e for e in page.elements if e.tag == "tr" and "data-status" in e.attrs
            and e.attrs.get("id", "").startswith("path-")] if table == "paths-table" else \
        [e for e in page.elements if e.tag == "tr" and e.attrs.get("class") == "finding"]


@pytest.fixture
def demo_configs(cli, tmp_path: Path) -> Path:
    out = tmp_path / "configs"
    assert cli("-q", "render", "demo", "-o", str(out)).code == 0
    return out


def test_demo_report_agrees_with_the_audit(cli, tmp_path: Path, demo_configs: Path) -> None:
    page, _, summary = _report(cli, tmp_path, "demo", "--configs", str(demo_configs))
    doc = _audit_json(cli, "demo", demo_configs)
    cov = Counter(c["status"] for c in doc["coverage"])
    assert summary["paths_total"] == len(doc["coverage"]) == 13
    assert summary["paths_protected_both_ends"] == cov["protected"] + cov["weaker"]
    assert summary["sessions_total"] == len(doc["sessions"])
    assert summary["sessions_established"] == sum(s["status"] == "ESTABLISHED"
                                                  for s in doc["sessions"])
    assert summary["findings"]["low"] == sum(f["severity"] == "low" for f in doc["findings"])
    # the numbers on the page are the summary's
    assert page.by_id("paths-protected").text == str(summary["paths_protected_both_ends"])
    assert page.by_id("sessions-total").text == str(len(doc["sessions"]))
    assert len(_rows(page, "paths-table")) == len(doc["coverage"])
    # findings: one row per rule and cause (the demo's messages name no other host), every
    # finding listed once under its row
    rows = _rows(page, "findings-table")
    causes = Counter((f["rule"], f["severity"], f["message"]) for f in doc["findings"])
    assert len(rows) == len(causes) < len(doc["findings"])
    assert sorted(int(r.attrs["data-count"]) for r in rows) == sorted(causes.values())
    items = [e for e in page.elements if e.tag == "li" and e.text.split(" ")[0] in
             {f["subject"] for f in doc["findings"]}]
    assert len(items) == len(doc["findings"])
    assert all(r.attrs["data-severity"] in {"critical", "high", "medium", "low", "info"}
               for r in rows)
    # every end has its policy in each format its platform takes, with a proof badge
    pres = page.find("pre", class_="policy")
    index = json.loads((demo_configs / "index.json").read_text())
    assert {(p.attrs["data-end"], p.attrs["data-format"]) for p in pres} == {
        (f["end"], f["format"]) for f in index["files"]}
    assert "syntax only" in page.text and "lab-proven" in page.text


def test_planned_only_without_configs(cli, tmp_path: Path) -> None:
    page, _, summary = _report(cli, tmp_path, "demo")
    assert summary["paths_protected_both_ends"] is None and summary["sessions_total"] is None
    assert {r.attrs["data-status"] for r in _rows(page, "paths-table")} == {"planned"}
    statuses = {e.attrs["data-status"] for e in page.find("path") if "data-status" in e.attrs}
    assert statuses == {"planned"}
    assert "planned policy" in summary["findings_source"]
    # the summary says so in words, not "— / 13"
    card = page.by_id("card-paths").text
    assert "planned, not audited" in card and "—" not in card
    assert page.by_id("paths-total").text == "13"
    assert "not audited" in page.by_id("card-sessions").text
    assert "—" not in page.by_id("card-sessions").text
    # and so does the summary the command prints
    res = cli("report", "demo", "-o", str(tmp_path / "again.html"))
    assert res.code == 0 and "planned, not audited (13 paths)" in res.out


def test_self_contained_with_a_strict_policy(cli, tmp_path: Path, demo_configs: Path) -> None:
    page, html, _ = _report(cli, tmp_path, "demo", "--configs", str(demo_configs), "--perf",
                            str(PERF_CSV))
    assert not page.find("link") and not page.find("iframe") and not page.find("object")
    assert len(page.find("script")) == 1 and len(page.find("style")) == 1
    assert "src" not in page.find("script")[0].attrs
    for e in page.elements:
        for attr in ("src", "href", "xlink:href", "action"):
            if attr in e.attrs:
                assert e.attrs[attr].startswith(("#", "data:image/png;base64,")), e
    # the policy allows nothing but its own inline style and script (by hash) and data: images
    csp = next(m.attrs["content"] for m in page.find("meta")
               if m.attrs.get("http-equiv") == "Content-Security-Policy")
    for kind in ("style", "script"):
        digest = base64.b64encode(hashlib.sha256("".join(page.raw[kind]).encode()).digest())
        assert f"{kind}-src 'sha256-{digest.decode()}'" in csp
    assert "default-src 'none'" in csp and "img-src data:" in csp
    assert not re.search(r"\sstyle=", html)  # inline style attributes would break the CSP


def test_hostile_strings_are_shown_as_text(cli, tmp_path: Path, demo_configs: Path) -> None:
    evil_name = "acme <script>alert(1)</script> \" ' & </style>"
    evil_desc = "<img src=x onerror=alert(2)> ]]> --> <svg onload=alert(3)>"
    evil_site = "</title></g><script>alert(4)</script>"
    evil_host = "\"><a href=javascript:alert(5)>x</a>"
    text = (ROOT / "src/ccsec/data/demo.yaml").read_text()
    text = text.replace("deployment: acme-contact-center", f"deployment: {json.dumps(evil_name)}")
    text = text.replace("description: Demo deployment bundled with ccsec",
                        f"description: {json.dumps(evil_desc)}")
    text = text.replace("kind: central\n", f"kind: central\n    description: "
                        f"{json.dumps(evil_site)}\n", 1)
    text = text.replace("public: 10.1.3.20}", f"public: 10.1.3.20, description: "
                        f"{json.dumps(evil_host)}}}")
    dep = tmp_path / "evil.yaml"
    dep.write_text(text)
    # a configuration file with a hostile name: its findings' locations show it
    evil_file = demo_configs / "x\"><img src=y onerror=alert(6)>"
    evil_file.mkdir()
    shutil.copy(demo_configs / "rgr-a" / "ipsec.ps1", evil_file / "ipsec.ps1")
    page, html, _ = _report(cli, tmp_path, str(dep), "--configs", str(demo_configs))
    assert len(page.find("script")) == 1 and not page.find("img") and not page.find("iframe")
    for e in page.elements:
        assert not any(k.startswith("on") for k in e.attrs), e
        assert not e.attrs.get("href", "#").lower().startswith("javascript")
    shown = page.text
    for s in (evil_name, evil_desc, evil_site, evil_host):
        assert s in shown or s in "".join(e.text for e in page.find("title"))
    assert "<img src=y onerror" not in html and "<img src=x" not in html
    assert 'img src=y onerror=alert(6)>/ipsec.ps1' in shown  # the file name, as text


def test_keys_never_reach_the_report(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CCSEC_LAB_PSK", LAB_PSK)
    configs = tmp_path / "configs"
    assert cli("-q", "render", str(EXAMPLES / "linux-test.yaml"), "-o", str(configs)).code == 0
    rendered = "".join(p.read_text() for p in configs.rglob("*.conf"))
    assert LAB_PSK in rendered  # the configs audited do hold the key …
    page, html, _ = _report(cli, tmp_path, str(EXAMPLES / "linux-test.yaml"), "--configs",
                            str(configs))
    assert LAB_PSK not in html  # … the report never does
    assert any("secret = <redacted>" in p.text for p in page.find("pre", class_="policy"))
    # and no key is needed to make a report
    monkeypatch.delenv("CCSEC_LAB_PSK")
    _, html2, _ = _report(cli, tmp_path, str(EXAMPLES / "linux-test.yaml"), name="r2.html")
    assert "&lt;redacted&gt;" in html2


def _set_proposals(conf: Path, old: str, new: str) -> None:
    text = conf.read_text()
    assert old in text
    conf.write_text(text.replace(old, new))


def test_statuses_follow_coverage(cli, tmp_path: Path, monkeypatch) -> None:
    """The picture's statuses are the audit's coverage words: a removed end → one-sided or
    missing; findings of medium or higher make a protected path weaker; the summary counts
    protected + weaker as protected at both ends."""
    monkeypatch.setenv("CCSEC_LAB_PSK", LAB_PSK)
    dep = str(EXAMPLES / "linux-test.yaml")
    configs = tmp_path / "configs"
    assert cli("-q", "render", dep, "-o", str(configs)).code == 0
    confs = sorted(configs.rglob("swanctl.conf"))
    assert len(confs) >= 3
    confs[0].unlink()
    doc = _audit_json(cli, dep, configs)
    page, _, summary = _report(cli, tmp_path, dep, "--configs", str(configs))
    shown = {r.attrs["id"].removeprefix("path-"): r.attrs["data-status"]
             for r in _rows(page, "paths-table")}
    expected = {c["path"]: c["status"] for c in doc["coverage"]}
    assert {"one-sided", "missing"} & set(expected.values())
    # findings of medium or higher on a protected path's session make it weaker
    for path, status in expected.items():
        if status == "protected" and shown[path] == "weaker":
            continue
        assert shown[path] == status, path
    assert summary["paths_protected_both_ends"] == sum(
        1 for s in shown.values() if s in ("protected", "weaker"))
    assert summary["paths_protected_both_ends"] < summary["paths_total"]


def test_lab_results_and_malformed_lab_json(cli, tmp_path: Path) -> None:
    from ccsec.api import load, paths

    found = paths(load("demo"))
    results = [{"id": p.id, "kind": "tunnel" if p.mode == "tunnel" else "path",
                "ends": [e.host for e in p.ends], "established": True, "traffic": True,
                "cleartext_packets": 0, "nat_t": p.crosses_nat, "problems": [], "extra": 1}
               for p in found]
    results[1]["cleartext_packets"] = 3
    lab = tmp_path / "lab.json"
    lab.write_text(json.dumps({"results": results, "ok": False, "datapath": {"name": "libipsec"},
                               "faults": [{"fault": "rekey", "recovery_s": 0.4,
                                           "cleartext_packets": 0, "more": "x"}]}))
    page, _, summary = _report(cli, tmp_path, "demo", "--lab", str(lab))
    assert summary["lab"] == {"results": len(found), "proven": len(found) - 1, "faults": 1}
    shown = {r.attrs["id"].removeprefix("path-"): r.attrs["data-status"]
             for r in _rows(page, "paths-table")}
    assert shown[found[1].id] == "failed"
    assert Counter(shown.values()) == {"protected": len(found) - 1, "failed": 1}
    assert "libipsec" in page.by_id("lab").text and "rekey" in page.by_id("lab").text
    del results[0]["traffic"]
    lab.write_text(json.dumps({"results": results}))
    res = cli("report", "demo", "--lab", str(lab), "-o", str(tmp_path / "x.html"))
    assert res.code == 2 and "result 1 has no traffic" in res.err and "lab run --json" in res.err
    lab.write_text("{not json")
    res = cli("report", "demo", "--lab", str(lab), "-o", str(tmp_path / "x.html"))
    assert res.code == 2 and "not JSON" in res.err and not (tmp_path / "x.html").exists()


def test_perf_plots_are_inline_pngs(cli, tmp_path: Path) -> None:
    from ccsec.monitor.perf import parse_csv
    from ccsec.monitor.plot import plot
    from ccsec.textio import read_text

    page, _, summary = _report(cli, tmp_path, "demo", "--perf", str(PERF_CSV))
    imgs = page.find("img")
    groups = plot(parse_csv(read_text(PERF_CSV), str(PERF_CSV)), tmp_path / "plots")
    assert len(imgs) == len(groups) > 0
    for img in imgs:
        data = base64.b64decode(img.attrs["src"].removeprefix("data:image/png;base64,"))
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert summary["findings"]["high"] >= 1  # the busy host's thresholds are findings


def test_every_status_at_once_each_in_its_colour(cli, tmp_path: Path, capsys) -> None:
    """One audit with every coverage status: each is counted in the summary and the legend,
    drawn with its own class, and report.css gives each class its own colour."""
    configs = mixed_configs(tmp_path / "configs")
    capsys.readouterr()  # what rendering printed
    page, _, summary = _report(cli, tmp_path, str(MIXED), "--configs", str(configs))
    doc = _audit_json(cli, str(MIXED), configs)
    audited = Counter(c["status"] for c in doc["coverage"])
    assert set(audited) == {"protected", "weaker", "failed", "one-sided", "missing"}
    st = summary["path_status"]
    for status in ("failed", "one-sided", "missing"):
        assert st[status] == audited[status], status
    assert st["weaker"] >= audited["weaker"] >= 1  # findings may make more paths weaker
    drawn = Counter(e.attrs["data-status"] for e in page.find("path")
                    if "data-status" in e.attrs)
    assert dict(drawn) == {k: v for k, v in st.items() if v}
    legend = {e.attrs["class"].split()[0]: e.text for e in page.find("li")
              if e.attrs.get("class", "").startswith("legend-") and "note" not in
              e.attrs["class"]}
    for status, n in st.items():
        assert f"{status} ({n})" in legend[f"legend-{status}"], status
    css = "".join(page.raw["style"])
    colours = {}
    for status in st:
        m = re.search(rf"--{status}: (#[0-9a-f]{{6}})", css)
        assert m and re.search(rf"\.link\.s-{status} {{ stroke: var\(--{status}\)", css), status
        colours[status] = m.group(1)
    assert len(set(colours.values())) == len(colours)  # one colour per status


def test_large_reports_pack_their_policies(cli, tmp_path: Path, monkeypatch) -> None:
    """Beyond PACK_AT characters the policies travel gzip+base64 in an inert template, each
    end's summary still in the HTML; unpacked they are the plain report's texts exactly."""
    import gzip

    from ccsec.report import policy_section

    plain, _, _ = _report(cli, tmp_path, "demo", name="plain.html")
    monkeypatch.setattr(policy_section, "PACK_AT", 1000)
    page, html, _ = _report(cli, tmp_path, "demo", name="packed.html")
    assert not page.find("pre", class_="policy")
    packed = [e for e in page.find("details") if "packed" in e.attrs.get("class", "")]
    ends = [e for e in plain.find("details") if e.attrs.get("class") == "end"]
    assert [e.attrs["id"] for e in packed] == [e.attrs["id"] for e in ends]
    doc = json.loads(gzip.decompress(base64.b64decode(page.by_id("policy-data").text)))
    want: dict[str, dict[str, str]] = {}
    for pre in plain.find("pre", class_="policy"):
        want.setdefault(pre.attrs["data-end"], {})[pre.attrs["data-format"]] = pre.text
    got = {e.attrs["data-end"]: dict(doc["ends"][int(e.attrs["data-packed"])]) for e in packed}
    assert got == want
    assert set(doc["formats"]) == {f for texts in want.values() for f in texts}
    # without JavaScript the section says how to get the same files
    assert "ccsec render DEPLOYMENT -o DIR" in page.by_id("policies").text
    # and one input gives one report
    _, again, _ = _report(cli, tmp_path, "demo", name="packed2.html")
    strip = re.compile(r"generated[^<]*|\d{4}-\d\d-\d\d \d\d:\d\d UTC")
    assert strip.sub("", again) == strip.sub("", html)


def test_a_format_an_end_cannot_take_is_explained_once(cli, tmp_path: Path) -> None:
    """netsh cannot express the recommended profile: one note says why (each reason once,
    without the rule it repeats for), every Windows end points to it."""
    from ccsec.api import load

    page, _, _ = _report(cli, tmp_path, "demo")
    notes = [e for e in page.find("div") if e.attrs.get("class") == "skip-note"]
    assert [n.attrs["id"] for n in notes] == ["skipped-windows-netsh"]
    reasons = [e.text for e in page.elements if e.tag == "li" and "mmsecmethods" in e.text]
    assert reasons and len(reasons) == len(set(reasons))
    assert not any(r.startswith("rule ") for r in reasons)
    links = [e for e in page.find("a") if e.attrs.get("href") == "#skipped-windows-netsh"]
    windows = {h.name for h in load("demo").hosts if h.platform == "windows"}
    assert len(links) == len(windows) > 0
