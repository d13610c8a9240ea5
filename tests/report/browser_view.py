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
from dataclasses import dataclass
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
    seen["subjectCucmItems"] = page.eval_on_selector_all(
        f"{FINDING_ROWS} ul.subjects > li",
        "lis => lis.filter(li => !li.hidden && !li.closest('tr').hidden).length")
    page.click("#f-reset")
    page.wait_for_timeout(50)
    seen["afterReset"] = _visible_findings(page)
    return seen


def _sort_by_subject(page: Page) -> list[str]:
    """Sorted by the subjects column: each row's first subject, in the order shown."""
    page.click("#findings-table th:nth-child(4)")
    return page.eval_on_selector_all(f"{FINDING_ROWS} td:nth-child(4)",
                                     "tds => tds.map(t => t.getAttribute('data-value'))")


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


NODES_IN_VIEW = """() => {
  const svg = document.getElementById("topology-svg");
  const box = document.getElementById("topo-box").getBoundingClientRect();
  const s = svg.getBoundingClientRect();
  // what of the picture shows: the svg, clipped by its box
  const view = {left: Math.max(s.left, box.left), top: Math.max(s.top, box.top),
                right: Math.min(s.right, box.right), bottom: Math.min(s.bottom, box.bottom)};
  const nodes = [...svg.querySelectorAll("[data-node]")].map((el) => {
    const r = el.getBoundingClientRect();
    return {name: el.getAttribute("data-node"), left: r.left, top: r.top, right: r.right,
            bottom: r.bottom};
  });
  const out = nodes.filter((n) => n.left < view.left - 0.5 || n.top < view.top - 0.5 ||
                           n.right > view.right + 0.5 || n.bottom > view.bottom + 0.5);
  const font = (sel) => {
    const el = svg.querySelector(sel);
    return el ? parseFloat(getComputedStyle(el).fontSize) * s.width / svg.viewBox.baseVal.width
      : null;
  };
  return {nodes: nodes.length, outside: out.slice(0, 10), outsideCount: out.length,
          svg: {width: s.width, height: s.height}, box: {width: box.width},
          level: svg.getAttribute("data-level"),
          pageScrollsSideways: document.documentElement.scrollWidth > window.innerWidth,
          // the size a chip's or tile's name is drawn at, in CSS pixels
          nameFontPx: font(".tile-name") || font(".chip-name")};
}"""

COLOURS = """() => {
  const out = {};
  for (const el of document.querySelectorAll("#topology-svg path.link")) {
    const s = el.getAttribute("data-status");
    (out[s] = out[s] || new Set()).add(getComputedStyle(el).stroke);
  }
  const legend = {};
  for (const li of document.querySelectorAll("ul.legend li[class^=legend-] line")) {
    legend[li.closest("li").className.split(" ")[0].replace("legend-", "")] =
      getComputedStyle(li).stroke;
  }
  return {lines: Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...v]])), legend};
}"""


@dataclass(frozen=True)
class View:
    """One look at a report's picture: the file, the window width, where the screenshot goes,
    and whether to also zoom, pan and click a tile."""

    report: Path
    width: int
    screenshot: Path
    act: bool = False


def topology_views(chromium: str, views: list[View]) -> list[dict[str, Any]]:
    """Each view in a fresh browser context ``width`` px wide (one browser for all): where
    every node of the picture is against the picture's visible box, the colour of each
    status, a screenshot of the topology section."""
    out = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True,
                                     chromium_sandbox=False, args=CHROMIUM_ARGS,
                                     timeout=60_000)
        try:
            for view in views:
                context = browser.new_context(viewport={"width": view.width, "height": 1000})
                try:
                    out.append(_look_at_picture(context.new_page(), view))
                finally:
                    context.close()
        finally:
            browser.close()
    return out


def _look_at_picture(page: Page, view: View) -> dict[str, Any]:
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(view.report.resolve().as_uri(), wait_until="load")
    page.wait_for_selector("html[data-ready='1']", timeout=30_000)
    page.locator("#topology").screenshot(path=str(view.screenshot))
    seen: dict[str, Any] = page.evaluate(NODES_IN_VIEW)
    seen["colours"] = page.evaluate(COLOURS)
    seen["screenshot"] = str(view.screenshot)
    if view.act:
        seen["acted"] = _zoom_pan_and_tile(page)
    seen["errors"] = errors
    return seen


def _view_box(page: Page) -> list[float]:
    return [float(v) for v in page.get_attribute("#topology-svg", "viewBox").split()]


def _zoom_pan_and_tile(page: Page) -> dict[str, Any]:
    """Zoom in with the button, pan by dragging, fit again; click the first site tile."""
    out: dict[str, Any] = {"full": _view_box(page)}
    page.click("#zoom-in")
    out["zoomed"] = _view_box(page)
    box = page.locator("#topology-svg").bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + 200
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 120, y - 80, steps=5)
    page.mouse.up()
    out["panned"] = _view_box(page)
    page.click("#zoom-fit")
    out["fit"] = _view_box(page)
    tile = page.locator("#topology-svg a.tile-link").first
    if tile.count():
        out["site"] = tile.get_attribute("data-site")
        tile.click()
        out["pathRows"] = page.eval_on_selector_all(
            "#paths-table tbody tr", "rows => rows.filter(r => !r.hidden)"
            ".map(r => r.getAttribute('data-sites'))")
        out["pathCount"] = (page.text_content("#p-count") or "").strip()
    # a packed end unpacks when opened
    packed = page.locator("#policies details.end.packed").first
    if packed.count():
        packed.locator("summary").click()
        page.wait_for_selector("#policies details.end.packed[data-filled='1'] pre.policy",
                               state="attached", timeout=15_000)
        out["unpacked"] = page.eval_on_selector_all(
            "#policies details.end.packed[data-filled='1'] pre.policy",
            "ps => ps.map(p => [p.getAttribute('data-format'), p.textContent.length])")
    return out


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
