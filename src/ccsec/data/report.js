// ccsec report: sorting, filtering, copy buttons, fit-to-width and print support.
// Everything essential is already in the HTML; this script only adds convenience.
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");

  // ---------------------------------------------------------------- sortable tables
  function cellValue(row, index, kind) {
    var cell = row.cells[index];
    if (!cell) { return kind === "num" ? -Infinity : ""; }
    var raw = cell.hasAttribute("data-value") ? cell.getAttribute("data-value") : cell.textContent;
    if (kind === "num") {
      var n = parseFloat(String(raw).replace(/,/g, ""));
      return isNaN(n) ? -Infinity : n;
    }
    return String(raw).trim().toLowerCase();
  }

  function sortBy(table, th) {
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var kind = th.getAttribute("data-sort");
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    if (kind === "num" && !th.hasAttribute("aria-sort")) { ascending = false; }
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a, index, kind), y = cellValue(b, index, kind);
      var c = x < y ? -1 : (x > y ? 1 : 0);
      return ascending ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    Array.prototype.forEach.call(th.parentNode.children, function (h) {
      h.removeAttribute("aria-sort");
    });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }

  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("th[data-sort]").forEach(function (th) {
      th.tabIndex = 0;
      th.title = "sort by " + th.textContent;
      th.addEventListener("click", function () { sortBy(table, th); });
      th.addEventListener("keydown", function (ev) {
        if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); sortBy(table, th); }
      });
    });
  });

  // ---------------------------------------------------------------- finding filters
  var sev = document.getElementById("f-severity");
  var rule = document.getElementById("f-rule");
  var subject = document.getElementById("f-subject");
  var count = document.getElementById("f-count");
  var form = document.getElementById("finding-filters");

  function applyFilters() {
    var rows = document.querySelectorAll("#findings-table tbody tr.finding");
    var s = sev ? sev.value : "", r = rule ? rule.value : "";
    var q = subject ? subject.value.trim().toLowerCase() : "";
    var shown = 0;
    rows.forEach(function (row) {
      var ok = (!s || row.getAttribute("data-severity") === s) &&
        (!r || row.getAttribute("data-rule") === r) &&
        (!q || (row.getAttribute("data-subject") || "").toLowerCase().indexOf(q) !== -1);
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    if (count) { count.textContent = shown + " of " + rows.length + " shown"; }
  }
  [sev, rule].forEach(function (el) { if (el) { el.addEventListener("change", applyFilters); } });
  if (subject) { subject.addEventListener("input", applyFilters); }
  if (form) {
    form.addEventListener("submit", function (ev) { ev.preventDefault(); });
    form.addEventListener("reset", function () { setTimeout(applyFilters, 0); });
  }
  document.querySelectorAll(".sev-count[data-severity]").forEach(function (a) {
    a.addEventListener("click", function () {
      if (sev) { sev.value = a.getAttribute("data-severity"); applyFilters(); }
    });
  });

  // ---------------------------------------------------------------- copy buttons
  function fallbackCopy(pre) {
    var range = document.createRange();
    range.selectNodeContents(pre.querySelector("code") || pre);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    try { return document.execCommand("copy"); } catch (e) { return false; }
  }

  document.querySelectorAll("pre.policy").forEach(function (pre) {
    var btn = document.createElement("button");
    btn.type = "button";
    btn.className = "copy";
    btn.textContent = "Copy";
    btn.setAttribute("aria-label", "copy " + (pre.getAttribute("data-format") || "policy") +
      " of " + (pre.getAttribute("data-end") || ""));
    btn.addEventListener("click", function () {
      var text = (pre.querySelector("code") || pre).textContent;
      var done = function (ok) {
        btn.textContent = ok ? "Copied" : "Selected: press Ctrl+C";
        setTimeout(function () { btn.textContent = "Copy"; }, 1800);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { done(true); },
          function () { done(fallbackCopy(pre)); });
      } else {
        done(fallbackCopy(pre));
      }
    });
    pre.insertBefore(btn, pre.firstChild);
  });

  // ---------------------------------------------------------------- details and picture
  function setAll(open) {
    document.querySelectorAll("#policies details").forEach(function (d) { d.open = open; });
  }
  var expand = document.getElementById("expand-all");
  var collapse = document.getElementById("collapse-all");
  if (expand) { expand.addEventListener("click", function () { setAll(true); }); }
  if (collapse) { collapse.addEventListener("click", function () { setAll(false); }); }

  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    if (el && el.tagName === "DETAILS") { el.open = true; }
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();

  var fit = document.getElementById("fit-toggle");
  var scroll = document.getElementById("topo-scroll");
  if (scroll && scroll.scrollWidth > scroll.clientWidth) {
    // a wide picture opens on its centre, where the central sites are
    scroll.scrollLeft = (scroll.scrollWidth - scroll.clientWidth) / 2;
  }
  if (fit && scroll) {
    fit.addEventListener("click", function () {
      var on = scroll.classList.toggle("fit");
      fit.setAttribute("aria-pressed", on ? "true" : "false");
      fit.textContent = on ? "Actual size" : "Fit to width";
    });
  }

  // printing: every details open, as they were afterwards
  var wasOpen = [];
  window.addEventListener("beforeprint", function () {
    wasOpen = [];
    document.querySelectorAll("details").forEach(function (d) {
      wasOpen.push([d, d.open]);
      d.open = true;
    });
  });
  window.addEventListener("afterprint", function () {
    wasOpen.forEach(function (pair) { pair[0].open = pair[1]; });
    wasOpen = [];
  });

  applyFilters();
  root.setAttribute("data-ready", "1");
}());
