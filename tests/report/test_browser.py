"""The report in a real browser: Debian's chromium, headless, driven by Playwright for Python.

Setup is automatic: ``make test`` installs chromium (scripts/system-deps.sh, as root) and the
``playwright`` wheel (the ``dev`` extra), whose bundled driver needs no Node.js and whose
browser is Debian's own (no browser download).  A missing chromium is a failure, never a skip:
CI must run this test.  What the page shows is read by ``browser_view``; the screenshots are
kept in tests/artifacts/: report-demo.png (the top of the page), and the topology of the demo,
of a report with every status and of the 300-site synthetic deployment at 1280 and 1920 px
(report-<name>-<width>.png).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest
from browser_view import View, look_at, topology_views
from htmlkit import parse
from mixed import DEPLOYMENT as MIXED
from mixed import mixed_configs
from scale import report_of

from conftest import ROOT

ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = os.environ.get("CCSEC_CHROMIUM", "/usr/bin/chromium")
PERF_CSV = ROOT / "tests" / "ops" / "fixtures" / "perf" / "typeperf-busy-en-us.csv"


@pytest.fixture(scope="module")
def browser_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict]:
    """Render the demo, write its report (with the rendered configs and a perf CSV), open it."""
    from ccsec.cli import main

    _need_chromium()
    tmp = tmp_path_factory.mktemp("browser")
    configs, report = tmp / "configs", tmp / "report.html"
    assert main(["-q", "render", "demo", "-o", str(configs)]) == 0
    assert main(["-q", "report", "demo", "--configs", str(configs), "--perf", str(PERF_CSV),
                 "-o", str(report)]) == 0
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "report-demo.png"
    shot.unlink(missing_ok=True)
    seen = look_at(CHROMIUM, report, shot)
    # what the page must show, computed independently by the audit command's JSON and by
    # reading the HTML without a browser
    expected = _expected(configs)
    page = parse(report.read_text(encoding="utf-8"))
    expected["rows"] = [e for e in page.elements
                        if e.tag == "tr" and e.attrs.get("class") == "finding"]
    # each row's subjects cell, in the same order
    expected["subjects"] = [e.text for e in page.find("td", class_="subject-cell")]
    return seen, expected


def _need_chromium() -> None:
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/system-deps.sh, "
                    "run by `make test`, does it as root)")


def _expected(configs: Path) -> dict:
    import io
    from contextlib import redirect_stdout

    from ccsec.cli import main
    from ccsec.monitor.judge import judge
    from ccsec.monitor.perf import parse_csv
    from ccsec.textio import read_text

    buf = io.StringIO()
    with redirect_stdout(buf):
        main(["audit", "demo", "--configs", str(configs), "--json"])
    doc = json.loads(buf.getvalue())
    perf = judge(parse_csv(read_text(PERF_CSV), str(PERF_CSV)), 1)
    findings = doc["findings"] + [f.to_json() for f in perf]
    return {"doc": doc, "findings": findings}


def test_no_console_errors_and_no_network(browser_run) -> None:
    seen, _ = browser_run
    assert seen["console"] == [] and seen["pageErrors"] == []
    assert seen["failedRequests"] == []
    # the file itself is the only request: CSS, JS, SVG and plots are inline
    assert all(u.startswith(("file://", "data:")) for u in seen["requests"]), seen["requests"]


def test_summary_numbers(browser_run) -> None:
    seen, exp = browser_run
    doc = exp["doc"]
    cov = Counter(c["status"] for c in doc["coverage"])
    s = seen["summary"]
    assert int(s["paths-total"]) == len(doc["coverage"])
    assert int(s["paths-protected"]) == cov["protected"] + cov["weaker"]
    assert int(s["sessions-total"]) == len(doc["sessions"])
    assert int(s["sessions-established"]) == sum(x["status"] == "ESTABLISHED"
                                                 for x in doc["sessions"])
    sev = Counter(f["severity"] for f in exp["findings"])
    for level in ("critical", "high", "medium", "low", "info"):
        assert int(s[f"findings-{level}"]) == sev[level], level


def test_svg_renders_every_path(browser_run) -> None:
    seen, exp = browser_run
    svg = seen["svg"]
    assert svg["width"] > 300 and svg["height"] > 200
    assert svg["links"] == len(exp["doc"]["coverage"])
    assert svg["tunnels"] == sum(1 for c in exp["doc"]["coverage"] if c["catalog"] == "tunnel")
    assert svg["sites"] == 2 and svg["firstLinkLength"] > 10
    # demo: 1 NAT + 2 gateways + 6 hosts
    assert svg["chips"] == 9
    assert set(svg["statuses"]) == {"protected"}


def test_filtering_and_sorting(browser_run) -> None:
    """Rows are groups (rule and cause); the filters show the rows the HTML holds for each
    choice, and those rows hold exactly the audit's findings of that choice."""
    seen, exp = browser_run
    found, rows = exp["findings"], exp["rows"]
    f = seen["filter"]
    assert f["all"] == len(rows) == f["afterReset"] and len(rows) < len(found)
    low = [r for r in rows if r.attrs["data-severity"] == "low"]
    assert f["low"] == len(low) and f["lowCount"] == f"{len(low)} of {len(rows)} rows shown"
    assert 0 < len(low) < len(rows)  # the filter really hides rows
    assert sum(int(r.attrs["data-count"]) for r in low) == sum(
        1 for x in found if x["severity"] == "low")
    assert f["rule"] == sum(1 for r in rows if r.attrs["data-rule"] == f["firstRule"])
    # the subject filter keeps the rows with a subject naming cucm, and only those subjects
    cucm = [t for t in exp["subjects"] if "cucm" in t.lower()]
    assert f["subjectCucm"] == len(cucm) > 0
    assert f["subjectCucmItems"] == sum(1 for x in found if "cucm" in x["subject"].lower())
    assert seen["sortedSubjects"] == sorted(seen["sortedSubjects"], key=str.lower)


def test_copy_and_print(browser_run) -> None:
    seen, _ = browser_run
    assert seen["copyLabel"] in ("Copied", "Selected: press Ctrl+C")
    # printed: a collapsed policy is laid out in full, no button and no navigation shown
    assert seen["print"]["closedPolicyHeight"] > 100
    assert seen["print"]["buttonsShown"] == 0 and seen["print"]["navShown"] is False


def test_usable_without_javascript(browser_run) -> None:
    seen, exp = browser_run
    nojs = seen["noJs"]
    assert nojs["ready"] is None  # the script really did not run
    assert nojs["findingRows"] == len(exp["rows"])
    assert nojs["pathRows"] == nojs["svgLinks"] == len(exp["doc"]["coverage"])
    assert nojs["summary"] == seen["summary"]["paths-total"]
    assert nojs["filterShown"] is False and nojs["buttons"] == 0  # no control that cannot work


def test_screenshot_saved(browser_run) -> None:
    seen, _ = browser_run
    shot = Path(seen["screenshot"])
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
    assert shot.parent == ARTIFACTS


# ------------------------------------------------------------------- the picture at two widths

WIDTHS = (1280, 1920)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The demo audited, multi-site with every status, and 300 synthetic sites planned."""
    from ccsec.cli import main

    _need_chromium()
    tmp = tmp_path_factory.mktemp("pictures")
    configs = tmp / "demo-configs"
    assert main(["-q", "render", "demo", "-o", str(configs)]) == 0
    out = {"demo": tmp / "demo.html", "mixed": tmp / "mixed.html"}
    assert main(["-q", "report", "demo", "--configs", str(configs), "-o", str(out["demo"])]) == 0
    mixed = mixed_configs(tmp / "mixed-configs")
    assert main(["-q", "report", str(MIXED), "--configs", str(mixed), "-o",
                 str(out["mixed"])]) == 0
    out["300"] = report_of(300, 7).report
    return out


@pytest.fixture(scope="module")
def views(reports: dict[str, Path]) -> dict[tuple[str, int], dict]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    keys = [(name, width) for name in reports for width in WIDTHS]
    views = []
    for name, width in keys:
        shot = ARTIFACTS / f"report-{name}-{width}.png"
        shot.unlink(missing_ok=True)
        views.append(View(reports[name], width, shot, act=(name, width) == ("300", 1280)))
    return dict(zip(keys, topology_views(CHROMIUM, views), strict=True))


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["demo", "mixed", "300"])
def test_every_node_inside_the_visible_picture(views, name: str, width: int) -> None:
    """Every site box, chip and tile lies inside the picture's visible box (measured by the
    browser), the page never scrolls sideways, and names are drawn at a legible size."""
    seen = views[(name, width)]
    assert seen["errors"] == []
    assert seen["nodes"] >= {"demo": 11, "mixed": 20, "300": 300}[name]
    assert seen["outsideCount"] == 0, seen["outside"]
    assert seen["svg"]["width"] <= seen["box"]["width"]
    assert not seen["pageScrollsSideways"]
    assert seen["level"] == ("sites" if name == "300" else "hosts")
    assert seen["nameFontPx"] >= 8.5, seen["nameFontPx"]
    shot = Path(seen["screenshot"])
    assert shot.parent == ARTIFACTS and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_each_status_in_its_own_colour_as_in_the_legend(views) -> None:
    colours = views[("mixed", 1280)]["colours"]
    lines, legend = colours["lines"], colours["legend"]
    assert set(lines) == {"protected", "weaker", "failed", "one-sided", "missing"}
    for status, drawn in lines.items():
        assert len(drawn) == 1, (status, drawn)  # one colour per status
        assert drawn[0] == legend[status], status  # the legend's
    assert len({c[0] for c in lines.values()}) == len(lines)  # and no two alike
    planned = views[("300", 1280)]["colours"]
    assert set(planned["lines"]) == {"planned"}
    assert planned["lines"]["planned"][0] == planned["legend"]["planned"]


def test_zoom_pan_tile_and_unpacking(views) -> None:
    acted = views[("300", 1280)]["acted"]
    full, zoomed, panned, fit = acted["full"], acted["zoomed"], acted["panned"], acted["fit"]
    assert zoomed[2] < full[2] and zoomed[3] < full[3]  # zoomed in
    assert panned[2:] == zoomed[2:] and panned[:2] != zoomed[:2]  # dragged, same zoom
    assert fit == full
    # a tile shows its site's paths, and only those
    site, rows = acted["site"], acted["pathRows"]
    assert rows and all(site in r.split() for r in rows)
    assert acted["pathCount"].startswith(f"{len(rows)} of ")
    # an end of the packed policies unpacks when opened
    assert acted["unpacked"] and all(n > 100 for _, n in acted["unpacked"])
