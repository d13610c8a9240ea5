"""The report in a real browser: Debian's chromium, headless, driven by Playwright for Python.

Setup is automatic: ``make test`` installs chromium (scripts/system-deps.sh, as root) and the
``playwright`` wheel (the ``dev`` extra), whose bundled driver needs no Node.js and whose
browser is Debian's own (no browser download).  A missing chromium is a failure, never a skip:
CI must run this test.  What the page shows is read by ``browser_view.look_at``; the
screenshot is kept in tests/artifacts/report-demo.png.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest
from browser_view import look_at

from conftest import ROOT

ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = os.environ.get("CCSEC_CHROMIUM", "/usr/bin/chromium")
PERF_CSV = ROOT / "tests" / "ops" / "fixtures" / "perf" / "typeperf-busy-en-us.csv"


@pytest.fixture(scope="module")
def browser_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict]:
    """Render the demo, write its report (with the rendered configs and a perf CSV), open it."""
    from ccsec.cli import main

    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/system-deps.sh, "
                    "run by `make test`, does it as root)")
    tmp = tmp_path_factory.mktemp("browser")
    configs, report = tmp / "configs", tmp / "report.html"
    assert main(["-q", "render", "demo", "-o", str(configs)]) == 0
    assert main(["-q", "report", "demo", "--configs", str(configs), "--perf", str(PERF_CSV),
                 "-o", str(report)]) == 0
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "report-demo.png"
    shot.unlink(missing_ok=True)
    seen = look_at(CHROMIUM, report, shot)
    # what the page must show, computed independently by the audit command's JSON
    expected = _expected(configs)
    return seen, expected


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
    seen, exp = browser_run
    found = exp["findings"]
    f = seen["filter"]
    assert f["all"] == len(found) == f["afterReset"]
    low = sum(1 for x in found if x["severity"] == "low")
    assert f["low"] == low and f["lowCount"] == f"{low} of {len(found)} shown"
    assert 0 < low < len(found)  # the filter really hides rows
    assert f["rule"] == sum(1 for x in found if x["rule"] == f["firstRule"])
    assert f["subjectCucm"] == sum(1 for x in found if "cucm" in x["subject"].lower())
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
    assert nojs["findingRows"] == len(exp["findings"])
    assert nojs["pathRows"] == nojs["svgLinks"] == len(exp["doc"]["coverage"])
    assert nojs["summary"] == seen["summary"]["paths-total"]
    assert nojs["filterShown"] is False and nojs["buttons"] == 0  # no control that cannot work


def test_screenshot_saved(browser_run) -> None:
    seen, _ = browser_run
    shot = Path(seen["screenshot"])
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
    assert shot.parent == ARTIFACTS
