// ccsec report: sorting, filtering, copy buttons, zoom and pan of the topology, unpacking of
// packed policies, and print support.  Everything essential is already in the HTML (except
// the policies of a report packed for size, which say so); this script only adds convenience.
// Text from the report reaches the page through textContent only, never as markup.
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");
  function each(selector, fn, scope) {
    Array.prototype.forEach.call((scope || document).querySelectorAll(selector), fn);
  }

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

  each("table.sortable", function (table) {
    each("th[data-sort]", function (th) {
      th.tabIndex = 0;
      th.title = "sort by " + th.textContent;
      th.addEventListener("click", function () { sortBy(table, th); });
      th.addEventListener("keydown", function (ev) {
        if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); sortBy(table, th); }
      });
    }, table);
  });

  // ---------------------------------------------------------------- finding filters
  // one row per rule and cause; the subject filter keeps a row when one of its subjects
  // matches, and shows only the subjects that match
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
    Array.prototype.forEach.call(rows, function (row) {
      var any = false;
      each("ul.subjects > li", function (li) {
        var hit = !q || li.textContent.toLowerCase().indexOf(q) !== -1;
        li.hidden = !hit;
        if (hit) { any = true; }
      }, row);
      var ok = (!s || row.getAttribute("data-severity") === s) &&
        (!r || row.getAttribute("data-rule") === r) && any;
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    if (count) { count.textContent = shown + " of " + rows.length + " rows shown"; }
  }
  [sev, rule].forEach(function (el) { if (el) { el.addEventListener("change", applyFilters); } });
  if (subject) { subject.addEventListener("input", applyFilters); }
  if (form) {
    form.addEventListener("submit", function (ev) { ev.preventDefault(); });
    form.addEventListener("reset", function () { setTimeout(applyFilters, 0); });
  }
  each(".sev-count[data-severity]", function (a) {
    a.addEventListener("click", function () {
      if (sev) { sev.value = a.getAttribute("data-severity"); applyFilters(); }
    });
  });

  // ---------------------------------------------------------------- path filters
  var pStatus = document.getElementById("p-status");
  var pText = document.getElementById("p-text");
  var pCount = document.getElementById("p-count");
  var pForm = document.getElementById("path-filters");
  var pSite = "";  // a tile's site: its paths exactly, not every name that contains it

  function applyPathFilters() {
    var rows = document.querySelectorAll("#paths-table tbody tr");
    var st = pStatus ? pStatus.value : "";
    var q = pText ? pText.value.trim().toLowerCase() : "";
    var shown = 0;
    var site = pSite && q === pSite.toLowerCase() ? pSite : "";
    Array.prototype.forEach.call(rows, function (row) {
      var sites = row.getAttribute("data-sites") || "";
      var ok = (!st || row.getAttribute("data-status") === st) &&
        (site ? sites.split(" ").indexOf(site) !== -1
          : (!q || (sites + " " + row.textContent).toLowerCase().indexOf(q) !== -1));
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    if (pCount) { pCount.textContent = shown + " of " + rows.length + " shown"; }
  }
  if (pStatus) { pStatus.addEventListener("change", applyPathFilters); }
  if (pText) {
    pText.addEventListener("input", function () { pSite = ""; applyPathFilters(); });
  }
  if (pForm) {
    pForm.addEventListener("submit", function (ev) { ev.preventDefault(); });
    pForm.addEventListener("reset", function () { setTimeout(applyPathFilters, 0); });
  }
  // a site's tile in the picture shows that site's paths
  each("#topology-svg a.tile-link", function (a) {
    a.addEventListener("click", function () {
      pSite = a.getAttribute("data-site");
      if (pText) { pText.value = pSite; }
      if (pStatus) { pStatus.value = ""; }
      applyPathFilters();
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

  function addCopy(pre) {
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
  }
  each("pre.policy", addCopy);

  // ---------------------------------------------------------------- packed policies
  var packedData = document.getElementById("policy-data");
  var unpacked = null;  // the parsed texts, once unpacked
  var unpacking = null;  // the promise of them

  function unpack() {
    if (unpacking) { return unpacking; }
    var b64 = (packedData.content ? packedData.content.textContent : packedData.textContent)
      .trim();
    var bin = atob(b64);
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i += 1) { bytes[i] = bin.charCodeAt(i); }
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    unpacking = new Response(stream).text().then(function (text) {
      unpacked = JSON.parse(text);
      return unpacked;
    });
    return unpacking;
  }

  function proofBadge(proof) {
    var span = document.createElement("span");
    span.className = "proof " + (proof === "lab" ? "proof-lab" : "proof-syntax");
    span.textContent = proof === "lab" ? "lab-proven" : "syntax only";
    return span;
  }

  function fill(end, data) {
    if (end.getAttribute("data-filled")) { return; }
    end.setAttribute("data-filled", "1");
    var owner = end.getAttribute("data-end");
    var note = end.querySelector(".packed-note");
    var at = note ? note.nextSibling : null;
    data.ends[parseInt(end.getAttribute("data-packed"), 10)].forEach(function (pair) {
      var fmt = pair[0], meta = data.formats[fmt] || ["", ""];
      var det = document.createElement("details");
      det.className = "fmt";
      var sum = document.createElement("summary");
      var code = document.createElement("code");
      code.textContent = fmt;
      sum.appendChild(code);
      sum.appendChild(document.createTextNode(" — " + meta[0] + " "));
      sum.appendChild(proofBadge(meta[1]));
      var pre = document.createElement("pre");
      pre.className = "policy";
      pre.setAttribute("data-end", owner);
      pre.setAttribute("data-format", fmt);
      var text = document.createElement("code");
      text.textContent = pair[1];
      pre.appendChild(text);
      det.appendChild(sum);
      det.appendChild(pre);
      end.insertBefore(det, at);
      addCopy(pre);
    });
    if (note) { note.remove(); }
  }

  function openPacked(end) {
    if (!packedData || end.getAttribute("data-filled")) { return; }
    if (unpacked) { fill(end, unpacked); return; }
    if (typeof DecompressionStream === "undefined") {
      end.querySelector(".packed-note").textContent = "This browser cannot unpack the " +
        "policies (no DecompressionStream): ccsec render DEPLOYMENT -o DIR writes them.";
      return;
    }
    unpack().then(function (data) { fill(end, data); }, function () {
      end.querySelector(".packed-note").textContent = "The packed policies could not be " +
        "read: ccsec render DEPLOYMENT -o DIR writes them.";
    });
  }
  each("details.end.packed", function (end) {
    end.addEventListener("toggle", function () { if (end.open) { openPacked(end); } });
  });

  // ---------------------------------------------------------------- details
  function setAll(open) {
    each("#policies details", function (d) { d.open = open; });
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

  // ---------------------------------------------------------------- zoom and pan
  // the picture fits its box through its viewBox; zooming and panning move the viewBox
  var svg = document.getElementById("topology-svg");
  var resetView = function () {};
  if (svg && svg.viewBox && svg.viewBox.baseVal) {
    var full = { x: 0, y: 0, w: svg.viewBox.baseVal.width, h: svg.viewBox.baseVal.height };
    var view = { x: 0, y: 0, w: full.w, h: full.h };
    var applyView = function () {
      view.w = Math.min(full.w, Math.max(full.w / 40, view.w));
      view.h = view.w * full.h / full.w;
      view.x = Math.min(Math.max(view.x, 0), full.w - view.w);
      view.y = Math.min(Math.max(view.y, 0), full.h - view.h);
      svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].map(function (n) {
        return n.toFixed(1);
      }).join(" "));
      svg.classList.toggle("zoomed", view.w < full.w - 0.5);
    };
    var toPicture = function (clientX, clientY) {
      var box = svg.getBoundingClientRect();
      return { x: view.x + (clientX - box.left) * view.w / box.width,
               y: view.y + (clientY - box.top) * view.h / box.height };
    };
    var zoomBy = function (factor, at) {
      var p = at || { x: view.x + view.w / 2, y: view.y + view.h / 2 };
      var w = Math.min(full.w, Math.max(full.w / 40, view.w / factor));
      view.x = p.x - (p.x - view.x) * w / view.w;
      view.y = p.y - (p.y - view.y) * w / view.w;
      view.w = w;
      applyView();
    };
    resetView = function () { view = { x: 0, y: 0, w: full.w, h: full.h }; applyView(); };
    svg.addEventListener("wheel", function (ev) {
      if (!ev.ctrlKey && !ev.metaKey) { return; }
      ev.preventDefault();
      zoomBy(ev.deltaY < 0 ? 1.25 : 0.8, toPicture(ev.clientX, ev.clientY));
    }, { passive: false });
    var drag = null;
    var dragged = false;
    svg.addEventListener("pointerdown", function (ev) {
      if (ev.button !== 0) { return; }
      drag = { x: ev.clientX, y: ev.clientY, vx: view.x, vy: view.y };
      dragged = false;
    });
    svg.addEventListener("pointermove", function (ev) {
      if (!drag) { return; }
      var dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
      if (!dragged && Math.abs(dx) + Math.abs(dy) < 4) { return; }
      if (!dragged) { svg.setPointerCapture(ev.pointerId); svg.classList.add("panning"); }
      dragged = true;
      var box = svg.getBoundingClientRect();
      view.x = drag.vx - dx * view.w / box.width;
      view.y = drag.vy - dy * view.h / box.height;
      applyView();
    });
    var endDrag = function () { drag = null; svg.classList.remove("panning"); };
    svg.addEventListener("pointerup", endDrag);
    svg.addEventListener("pointercancel", endDrag);
    // a drag is not a click on the line or chip it ended on
    svg.addEventListener("click", function (ev) {
      if (dragged) { ev.preventDefault(); ev.stopPropagation(); dragged = false; }
    }, true);
    var zin = document.getElementById("zoom-in");
    var zout = document.getElementById("zoom-out");
    var zfit = document.getElementById("zoom-fit");
    if (zin) { zin.addEventListener("click", function () { zoomBy(1.5); }); }
    if (zout) { zout.addEventListener("click", function () { zoomBy(1 / 1.5); }); }
    if (zfit) { zfit.addEventListener("click", resetView); }
  }

  // ---------------------------------------------------------------- printing
  // every details open (packed ends filled if already unpacked), the whole picture;
  // afterwards as they were
  var wasOpen = [];
  window.addEventListener("beforeprint", function () {
    wasOpen = [];
    resetView();
    each("details", function (d) {
      wasOpen.push([d, d.open]);
      if (unpacked && d.classList.contains("packed")) { fill(d, unpacked); }
      d.open = true;
    });
  });
  window.addEventListener("afterprint", function () {
    wasOpen.forEach(function (pair) { pair[0].open = pair[1]; });
    wasOpen = [];
  });

  applyFilters();
  applyPathFilters();
  root.setAttribute("data-ready", "1");
}());
