"""What a person sees of a ccsec HTML report in a real browser, as plain data for the tests.

Playwright's Python package drives Debian's own chromium (``/usr/bin/chromium``, or
``CCSEC_CHROMIUM``) through ``executable_path``: no browser download and no Node.js or npm on
the machine, because the wheel carries its own driver.  The flags are the ones this machine
type needs: no sandbox (the tests run as root), and no background networking, component update
or sync, whose connections a closed network refuses.  Each run gets a fresh profile directory.

:func:`look_at` returns the same keys the assertions in ``test_browser.py`` read.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Any

from playwright.sync_api import ConsoleMessage, Page, Request, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

VIEWPORT = {"width": 1400, "height": 1000}
CHROMIUM_ARGS = ["--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
SUMMARY_IDS = ("paths-protected", "paths-total", "sessions-established", "sessions-total",
               "findings-critical", "findings-high", "findings-medium", "findings-low",
               "findings-info")
FINDING_ROWS = "#findings-table tbody tr.finding"
FIRST_POLICY = "#policies details.end >> nth=0"

def look_at(chromium: str, report: Path, screenshot: Path) -> dict[str, Any]:
    """Open ``report`` headless, use it as a reviewer would, save ``screenshot``; what was seen."""
    out: dict[str, Any] = {"console": [], "pageErrors": [], "requests": [],
                           "failedRequests": []}
    with tempfile.TemporaryDirectory(prefix="ccsec-chromium-") as profile, \
            sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=chromium, headless=True,
            chromium_sandbox=False,  # --no-sandbox: the tests run as root
            args=CHROMIUM_ARGS, viewport=VIEWPORT, timeout=60_000)
        try:
            page = context.pages[0] if context.pages else context.new_page()
            _record(page, out)
            page.goto(report.resolve().as_uri(), wait_until="load")
            page.wait_for_selector("html[data-ready='1']", timeout=15_000)
            # what a reviewer sees first: header, summary, topology and the top of the findings
            page.screenshot(path=str(screenshot), full_page=True,
                            clip={"x": 0, "y": 0, "width": 1400, "height": 1900})
            out["screenshot"] = str(screenshot)
            out["summary"] = {i: _text(page, f"#{i}") for i in SUMMARY_IDS}
            out["svg"] = _svg(page)
            out["filter"], out["sortedSubjects"] = _filters(page), _sort_by_subject(page)
            out["copyLabel"] = _copy_first_policy(page)
            out["print"] = _printed(page)
            nojs = context.new_page()
            context.new_cdp_session(nojs).send("Emulation.setScriptExecutionDisabled",
                                                {"value": True})
            out["noJs"] = _without_javascript(nojs, report)
            nojs.close()
        finally:
            context.close()
    return out


def _record(page: Page, out: dict[str, Any]) -> None:
    """Console errors and warnings, page errors, and every request (made or failed)."""

    def console(msg: ConsoleMessage) -> None:
        if msg.type in ("error", "warning"):
            out["console"].append({"type": msg.type, "text": msg.text})

    def request(req: Request) -> None:
        out["requests"].append(req.url[:60])

    def failed(req: Request) -> None:
        out["failedRequests"].append(req.url[:120])

    page.on("console", console)
    page.on("pageerror", lambda err: out["pageErrors"].append(str(err)))
    page.on("request", request)
    page.on("requestfailed", failed)


def _text(page: Page, selector: str) -> str | None:
    """The trimmed text of the first match, or None when nothing matches."""
    loc = page.locator(selector)
    if not loc.count():
        return None
    return (loc.first.text_content() or "").strip()


def _svg(page: Page) -> dict[str, Any]:
    box = page.locator("#topology-svg").bounding_box()
    return {
        "width": box["width"] if box else 0,
        "height": box["height"] if box else 0,
        "links": page.locator("#topology-svg path.link").count(),
        "tunnels": page.locator("#topology-svg path.link-tunnel").count(),
        "sites": page.locator("#topology-svg rect.site-box").count(),
        "chips": page.locator("#topology-svg rect.chip").count(),
        "statuses": page.eval_on_selector_all(
            "#topology-svg path.link", "els => els.map(e => e.getAttribute('data-status'))"),
        # drawn for real: the browser's own geometry of the first link is not empty
        "firstLinkLength": page.eval_on_selector("#topology-svg path.link",
                                                 "p => p.getTotalLength()"),
    }


def _visible_findings(page: Page) -> int:
    return page.eval_on_selector_all(
        FINDING_ROWS, "rows => rows.filter(r => !r.hidden && r.offsetParent !== null).length")


def _filters(page: Page) -> dict[str, Any]:
    """Visible finding rows under each filter: severity, rule, subject text, then reset."""
    seen: dict[str, Any] = {"all": _visible_findings(page)}
    page.select_option("#f-severity", "low")
    seen["low"] = _visible_findings(page)
    seen["lowCount"] = _text(page, "#f-count")
    page.select_option("#f-severity", "")
    rules = page.eval_on_selector_all(
        "#f-rule option", "os => os.map(o => o.value).filter(Boolean)")
    seen["firstRule"] = rules[0] if rules else None
    if rules:
        page.select_option("#f-rule", rules[0])
        seen["rule"] = _visible_findings(page)
        page.select_option("#f-rule", "")
    page.fill("#f-subject", "cucm")
    seen["subjectCucm"] = _visible_findings(page)
    page.click("#f-reset")
    page.wait_for_timeout(50)
    seen["afterReset"] = _visible_findings(page)
    return seen


def _sort_by_subject(page: Page) -> list[str]:
    page.click("#findings-table th:nth-child(3)")
    return page.eval_on_selector_all(f"{FINDING_ROWS} td:nth-child(3)",
                                     "tds => tds.map(t => t.textContent)")


def _copy_first_policy(page: Page) -> str | None:
    """The first policy's copy button: it works or falls back, without an error."""
    page.click(f"{FIRST_POLICY} >> summary")
    page.click(f"{FIRST_POLICY} >> details.fmt >> nth=0 >> summary")
    page.click(f"{FIRST_POLICY} >> button.copy >> nth=0")
    # the label is asserted by the test: a timeout here only means that it did not change
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(
            "() => document.querySelector('#policies button.copy').textContent !== 'Copy'",
            timeout=5_000)
    return _text(page, f"{FIRST_POLICY} >> button.copy")


def _printed(page: Page) -> dict[str, Any]:
    """Printed: every policy readable (a collapsed one laid out in full), no controls."""
    page.click("#collapse-all")
    page.emulate_media(media="print")
    seen = {
        "closedPolicyHeight": page.eval_on_selector(
            "#policies details.end:not([open]) pre.policy",
            "p => p.getBoundingClientRect().height"),
        "buttonsShown": page.eval_on_selector_all(
            "button", "bs => bs.filter(b => b.offsetParent !== null).length"),
        "navShown": page.eval_on_selector("nav", "n => n.offsetParent !== null"),
    }
    page.emulate_media(media="screen")
    return seen


NO_JS_VIEW = """() => ({
  ready: document.documentElement.getAttribute("data-ready"),
  findingRows: [...document.querySelectorAll("#findings-table tbody tr")]
    .filter((r) => r.offsetParent !== null).length,
  pathRows: [...document.querySelectorAll("#paths-table tbody tr")]
    .filter((r) => r.offsetParent !== null).length,
  svgLinks: document.querySelectorAll("#topology-svg path.link").length,
  filterShown: document.getElementById("finding-filters").offsetParent !== null,
  buttons: [...document.querySelectorAll("button")].filter((b) => b.offsetParent !== null)
    .length,
  summary: document.getElementById("paths-total").textContent,
})"""


def _without_javascript(page: Page, report: Path) -> dict[str, Any]:
    """``page`` has scripts disabled: the essentials are there, script-only controls are not."""
    page.goto(report.resolve().as_uri(), wait_until="load")
    return page.evaluate(NO_JS_VIEW)
