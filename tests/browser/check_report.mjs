// Opens a ccsec HTML report in Debian's chromium (headless, via playwright-core) and prints what
// a person would see as JSON on stdout; tests/report/test_browser.py asserts on it.
//   node check_report.mjs REPORT.html SCREENSHOT.png
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const [, , reportPath, screenshotPath] = process.argv;
if (!reportPath || !screenshotPath) {
  console.error("usage: node check_report.mjs REPORT.html SCREENSHOT.png");
  process.exit(2);
}
const executablePath = process.env.CCSEC_CHROMIUM || "/usr/bin/chromium";
const profile = mkdtempSync(join(tmpdir(), "ccsec-chromium-"));
const out = { console: [], pageErrors: [], requests: [], failedRequests: [] };

const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  chromiumSandbox: false, // --no-sandbox: CI runs as root
  args: ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
  viewport: { width: 1400, height: 1000 },
  timeout: 60000,
});
try {
  const page = context.pages()[0] || await context.newPage();
  page.on("console", (msg) => {
    if (msg.type() === "error" || msg.type() === "warning") {
      out.console.push({ type: msg.type(), text: msg.text() });
    }
  });
  page.on("pageerror", (err) => out.pageErrors.push(String(err)));
  page.on("request", (req) => out.requests.push(req.url().slice(0, 60)));
  page.on("requestfailed", (req) => out.failedRequests.push(req.url().slice(0, 120)));

  await page.goto(pathToFileURL(reportPath).href, { waitUntil: "load" });
  await page.waitForSelector("html[data-ready='1']", { timeout: 15000 });

  // what a reviewer sees first: header, summary, topology and the top of the findings
  await page.screenshot({ path: screenshotPath, fullPage: true,
    clip: { x: 0, y: 0, width: 1400, height: 1900 } });
  out.screenshot = screenshotPath;

  const text = async (sel) => (await page.locator(sel).count())
    ? (await page.locator(sel).first().textContent()).trim() : null;
  out.summary = {};
  for (const id of ["paths-protected", "paths-total", "sessions-established", "sessions-total",
    "findings-critical", "findings-high", "findings-medium", "findings-low", "findings-info"]) {
    out.summary[id] = await text(`#${id}`);
  }

  const svg = page.locator("#topology-svg");
  const box = await svg.boundingBox();
  out.svg = {
    width: box ? box.width : 0,
    height: box ? box.height : 0,
    links: await page.locator("#topology-svg path.link").count(),
    tunnels: await page.locator("#topology-svg path.link-tunnel").count(),
    sites: await page.locator("#topology-svg rect.site-box").count(),
    chips: await page.locator("#topology-svg rect.chip").count(),
    statuses: await page.$$eval("#topology-svg path.link",
      (els) => els.map((e) => e.getAttribute("data-status"))),
    // drawn for real: the browser's own geometry of the first link is not empty
    firstLinkLength: await page.$eval("#topology-svg path.link", (p) => p.getTotalLength()),
  };

  const visible = () => page.$$eval("#findings-table tbody tr.finding",
    (rows) => rows.filter((r) => !r.hidden && r.offsetParent !== null).length);
  out.filter = { all: await visible() };
  await page.selectOption("#f-severity", "low");
  out.filter.low = await visible();
  out.filter.lowCount = await text("#f-count");
  await page.selectOption("#f-severity", "");
  const rules = await page.$$eval("#f-rule option", (os) => os.map((o) => o.value).filter(Boolean));
  out.filter.firstRule = rules[0] || null;
  if (rules[0]) {
    await page.selectOption("#f-rule", rules[0]);
    out.filter.rule = await visible();
    await page.selectOption("#f-rule", "");
  }
  await page.fill("#f-subject", "cucm");
  out.filter.subjectCucm = await visible();
  await page.click("#f-reset");
  await page.waitForTimeout(50);
  out.filter.afterReset = await visible();

  // sorting by subject puts the rows in order
  await page.click("#findings-table th:nth-child(3)");
  out.sortedSubjects = await page.$$eval("#findings-table tbody tr.finding td:nth-child(3)",
    (tds) => tds.map((t) => t.textContent));

  // copy button of the first policy: works or falls back, without an error
  await page.click("#policies details.end >> nth=0 >> summary");
  await page.click("#policies details.end >> nth=0 >> details.fmt >> nth=0 >> summary");
  await page.click("#policies details.end >> nth=0 >> button.copy >> nth=0");
  await page.waitForFunction(() => document.querySelector("#policies button.copy")
    .textContent !== "Copy", null, { timeout: 5000 }).catch(() => null);
  out.copyLabel = await text("#policies details.end >> nth=0 >> button.copy");

  // print: every policy readable, no controls
  await page.click("#collapse-all");
  await page.emulateMedia({ media: "print" });
  out.print = {
    closedPolicyHeight: await page.$eval("#policies details.end:not([open]) pre.policy",
      (p) => p.getBoundingClientRect().height),
    buttonsShown: await page.$$eval("button", (bs) => bs.filter((b) => b.offsetParent !== null).length),
    navShown: await page.$eval("nav", (n) => n.offsetParent !== null),
  };
  await page.emulateMedia({ media: "screen" });


  // without JavaScript: the essentials are there, the script-only controls are not
  const nojs = await context.newPage();
  const cdp = await context.newCDPSession(nojs);
  await cdp.send("Emulation.setScriptExecutionDisabled", { value: true });
  await nojs.goto(pathToFileURL(reportPath).href, { waitUntil: "load" });
  out.noJs = await nojs.evaluate(() => ({
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
  }));
  await nojs.close();
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(out, null, 1) + "\n");
