"""The report as one self-contained HTML file: inline CSS, JS and SVG, PNG plots as data: URIs.

Rules this module keeps:

* every string that came from outside (deployment names and descriptions, config file names,
  finding messages, lab JSON values) goes through :func:`html.escape` — there is no other way
  into the page than :func:`esc`;
* nothing is fetched: a Content-Security-Policy allows no network at all, and only the one
  inline style sheet and the one inline script, by hash (so injected markup could not run even
  if escaping were ever missed);
* the essentials work without JavaScript (every table is in the HTML; the script only adds
  sorting, filtering, copy buttons and "fit to width");
* printed, every ``<details>`` is open and the controls are hidden (report.css ``@media print``,
  and the script opens them on ``beforeprint``).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from html import escape
from importlib.resources import files
from typing import Any

from ccsec.findings.model import CATALOG, Finding, Severity
from ccsec.findings.text import sort_findings
from ccsec.paths import CATALOG_TITLES
from ccsec.report.build import Report
from ccsec.report.topology import STATUSES, Link, svg

SEVERITY_RANK = {s.value: s.rank for s in Severity}


def esc(value: object) -> str:
    """Escape anything for HTML text and double- or single-quoted attributes."""
    return escape("" if value is None else str(value), quote=True)


def asset(name: str) -> str:
    return files("ccsec").joinpath(f"data/{name}").read_text(encoding="utf-8")


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _table(cols: Iterable[tuple[str, str]], rows: Iterable[str], cls: str = "",
           table_id: str = "") -> str:
    """A table; ``cols`` are (label, sort type: text | num | sev | '')."""
    head = "".join(
        f'<th scope="col" data-sort="{esc(kind)}">{esc(label)}</th>' if kind
        else f'<th scope="col">{esc(label)}</th>' for label, kind in cols)
    ident = f' id="{esc(table_id)}"' if table_id else ""
    return (f'<div class="table-wrap"><table class="{esc(cls)}"{ident}><thead><tr>{head}</tr>'
            f"</thead><tbody>{''.join(rows)}</tbody></table></div>")


def _badge(status: str, text: str | None = None) -> str:
    return f'<span class="badge s-{esc(status)}">{esc(text or status)}</span>'


# ---------------------------------------------------------------------------- sections


def _header(r: Report) -> str:
    d = r.dep
    facts = [("deployment file", r.source), ("environment", d.environment),
             ("profile", r.profile), ("protection", d.protection),
             ("sites", str(len(d.sites))), ("hosts", str(len(d.hosts))),
             ("configurations audited", r.configs or "none (the planned policy is shown)"),
             ("generated", f"{r.generated} by {r.generator}")]
    items = "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in facts)
    desc = f'<p class="description">{esc(d.description)}</p>' if d.description else ""
    return (f'<header><p class="kicker">ccsec IPsec report</p><h1>{esc(d.deployment)}</h1>'
            f'{desc}<dl class="facts">{items}</dl></header>')


def _nav(r: Report) -> str:
    links = [("summary", "Summary"), ("topology", "Topology"), ("findings", "Findings"),
             ("paths", "Paths")]
    if r.sessions is not None:
        links.append(("sessions", "Sessions"))
    if r.lab:
        links.append(("lab", "Lab"))
    if r.perf:
        links.append(("perf", "Performance"))
    links += [("proof", "Proof levels"), ("policies", "Policies")]
    return ('<nav aria-label="sections"><ul>'
            + "".join(f'<li><a href="#{a}">{esc(t)}</a></li>' for a, t in links)
            + "</ul></nav>")


def _card(ident: str, label: str, value: str, note: str, cls: str = "") -> str:
    return (f'<div class="card {esc(cls)}" id="{esc(ident)}"><div class="card-label">'
            f'{esc(label)}</div><div class="card-value">{value}</div>'
            f'<div class="card-note">{note}</div></div>')


def _summary(r: Report) -> str:
    s = r.summary()
    total = s["paths_total"]
    st = s["path_status"]
    if s["paths_protected_both_ends"] is None:
        paths_val = ('<span class="num">—</span> / '
                     f'<span class="num" id="paths-total">{total}</span>')
        paths_note = esc("planned only: pass --configs (or --lab) to check them")
        cls = "neutral"
    else:
        prot = s["paths_protected_both_ends"]
        paths_val = (f'<span class="num" id="paths-protected">{prot}</span> / '
                     f'<span class="num" id="paths-total">{total}</span>')
        parts = [f"{st[k]} {k}" for k in ("protected", "weak", "broken", "missing", "planned")
                 if st[k]]
        paths_note = esc(", ".join(parts))
        cls = "good" if prot == total and not st["weak"] else "bad"
    if s["sessions_total"] is None:
        sess_val = '<span class="num">—</span>'
        sess_note = esc("no configurations audited")
        sess_cls = "neutral"
    else:
        ok, n = s["sessions_established"], s["sessions_total"]
        sess_val = (f'<span class="num" id="sessions-established">{ok}</span> / '
                    f'<span class="num" id="sessions-total">{n}</span>')
        sess_note = esc("predicted by negotiating each pair of configured peers")
        sess_cls = "good" if ok == n else "bad"
    sev = s["findings"]
    chips = "".join(
        f'<a class="sev-count sev-{esc(k)}" href="#findings" data-severity="{esc(k)}">'
        f'<span class="num" id="findings-{esc(k)}">{v}</span> {esc(k)}</a>'
        for k, v in sev.items())
    worst = next((k for k, v in sev.items() if v), None)
    f_cls = {"critical": "bad", "high": "bad", "medium": "warn"}.get(worst or "", "good")
    cards = [
        _card("card-paths", "Paths protected at both ends", paths_val, paths_note, cls),
        _card("card-sessions", "Sessions established", sess_val, sess_note, sess_cls),
        _card("card-findings", "Findings by severity", f'<div class="sev-row">{chips}</div>',
              esc(f"judging {s['findings_source']}"), f_cls),
    ]
    if r.lab:
        lab = s["lab"]
        cards.append(_card("card-lab", "Proven in the lab",
                           f'<span class="num" id="lab-proven">{lab["proven"]}</span> / '
                           f'<span class="num">{lab["results"]}</span>',
                           esc(f"{lab['faults']} faults injected"),
                           "good" if lab["proven"] == lab["results"] else "bad"))
    return (f'<section id="summary"><h2>Summary</h2><div class="cards">{"".join(cards)}</div>'
            "</section>")


def _links(r: Report) -> list[Link]:
    out = []
    for row in r.paths:
        p = row.path
        a, b = p.ends
        kind = "tunnel" if p.mode == "tunnel" else "path"
        tip = (f"{p.id} — {p.title}: {a.host} ({a.address}) ↔ {b.host} ({b.address}); "
               f"{p.mode}, {p.auth}{', crosses NAT' if p.crosses_nat else ''} — {row.status}: "
               f"{row.detail}")
        out.append(Link(p.id, kind, a.host, b.host, row.status, tip))
    return out


def _legend() -> str:
    items = "".join(
        f'<li><svg width="34" height="12" aria-hidden="true"><line x1="2" y1="6" x2="32" y2="6" '
        f'class="link link-tunnel s-{esc(k)}"/></svg>{esc(k)}: {esc(v)}</li>'
        for k, v in STATUSES.items())
    return (f'<ul class="legend">{items}<li class="legend-note">thick: site tunnel (tunnel mode, '
            "gateway to gateway); thin: host path (transport mode); hover a line for details, "
            "click it for its row</li></ul>")


def _topology(r: Report) -> str:
    picture = svg(r.dep, _links(r))
    return (f'<section id="topology"><h2>Topology</h2>'
            f'<p class="hint">Sites with their gateways, NAT devices and hosts; every site tunnel '
            f"and host path coloured by its status.</p>{_legend()}"
            f'<div class="toolbar js-only"><button type="button" id="fit-toggle" '
            f'aria-pressed="false">Fit to width</button></div>'
            f'<div class="topo-scroll" id="topo-scroll">{picture}</div></section>')


def _paths(r: Report) -> str:
    rows = []
    for row in r.paths:
        p = row.path
        a, b = p.ends
        rows.append(
            f'<tr id="path-{esc(p.id)}" data-status="{esc(row.status)}">'
            f"<td><code>{esc(p.id)}</code></td>"
            f'<td data-value="{esc(p.catalog)}">{esc(p.catalog)} · '
            f"{esc(CATALOG_TITLES[p.catalog])}</td>"
            f"<td>{esc(a.host)} <small>{esc(a.address)}</small></td>"
            f"<td>{esc(b.host)} <small>{esc(b.address)}</small></td>"
            f"<td>{esc(p.mode)}</td><td>{esc(p.auth)}</td>"
            f"<td>{'yes' if p.crosses_nat else ''}</td>"
            f'<td data-value="{esc(row.status)}">{_badge(row.status)}</td>'
            f"<td>{esc(row.detail)}</td></tr>")
    cols = [("id", "text"), ("catalog", "text"), ("end A", "text"), ("end B", "text"),
            ("mode", "text"), ("auth", "text"), ("NAT", "text"), ("status", "text"),
            ("detail", "")]
    return (f'<section id="paths"><h2>Paths <small>({len(r.paths)})</small></h2>'
            + _table(cols, rows, "sortable", "paths-table") + "</section>")


def _citations(rule: str) -> str:
    if rule not in CATALOG:
        return ""
    return "<br>".join(esc(c) for c in CATALOG.get(rule).citations)


def _finding_row(f: Finding) -> str:
    loc = ""
    if f.location:
        loc = f.location.file + (f":{f.location.line}" if f.location.line else "")
    return (f'<tr class="finding" data-severity="{esc(f.severity.value)}" '
            f'data-rule="{esc(f.rule)}" data-subject="{esc(f.subject)}">'
            f'<td data-value="{SEVERITY_RANK[f.severity.value]}">'
            f'<span class="sev sev-{esc(f.severity.value)}">{esc(f.severity.value)}</span></td>'
            f'<td class="nowrap"><code>{esc(f.rule)}</code></td><td>{esc(f.subject)}</td>'
            f"<td>{esc(f.message)}</td><td>{esc(f.fix)}</td>"
            f'<td class="cite">{_citations(f.rule)}</td><td><small>{esc(loc)}</small></td></tr>')


def _findings(r: Report) -> str:
    found = sort_findings(r.findings)
    sev_opts = "".join(f'<option value="{esc(s.value)}">{esc(s.value)}</option>'
                       for s in Severity)
    rules = sorted({f.rule for f in found})
    rule_opts = "".join(f'<option value="{esc(x)}">{esc(x)}</option>' for x in rules)
    form = (
        '<form class="filters js-only" id="finding-filters" role="search">'
        '<label>severity <select id="f-severity"><option value="">all</option>'
        f"{sev_opts}</select></label>"
        f'<label>rule <select id="f-rule"><option value="">all</option>{rule_opts}</select>'
        "</label>"
        '<label>subject <input id="f-subject" type="search" placeholder="host, path…" '
        'autocomplete="off"></label>'
        '<button type="reset" id="f-reset">clear</button>'
        f'<output id="f-count" aria-live="polite">{len(found)} of {len(found)} shown</output>'
        "</form>")
    cols = [("severity", "num"), ("rule", "text"), ("subject", "text"), ("finding", "text"),
            ("fix", ""), ("citation", ""), ("where", "text")]
    body = (_table(cols, (_finding_row(f) for f in found), "sortable findings",
                   "findings-table") if found else '<p class="none">No findings.</p>')
    return (f'<section id="findings"><h2>Findings <small>({len(found)})</small></h2>'
            f'<p class="hint">Judging {esc(r.findings_source)}. Each finding names the rule '
            "(<code>ccsec explain RULE</code> prints it in full), its fix and its sources.</p>"
            f"{form}{body}</section>")


def _sessions(r: Report) -> str:
    if r.sessions is None:
        return ""
    rows = [f'<tr data-status="{esc(s.status.value)}"><td>{esc(s.a)}</td><td>{esc(s.b)}</td>'
            f'<td>{_badge("protected" if s.established else "broken", s.status.value)}</td>'
            f"<td>{esc(s.reason)}</td></tr>" for s in r.sessions]
    cols = [("a", "text"), ("b", "text"), ("status", "text"), ("reason", "")]
    return (f'<section id="sessions"><h2>Sessions <small>({len(r.sessions)})</small></h2>'
            f'<p class="hint">What each pair of configured peers would negotiate.</p>'
            + _table(cols, rows, "sortable", "sessions-table") + "</section>")


def _yes(v: Any) -> str:
    return "yes" if v else "NO"


def _lab(r: Report) -> str:
    if r.lab is None:
        return ""
    lab = r.lab
    rows = [f"<tr><td><code>{esc(x['id'])}</code></td><td>{esc(x['kind'])}</td>"
            f"<td>{esc(' ↔ '.join(str(e) for e in x['ends']) if isinstance(x['ends'], list) else x['ends'])}</td>"  # noqa: E501
            f"<td>{_yes(x['established'])}</td><td>{_yes(x['traffic'])}</td>"
            f"<td>{esc(x['cleartext_packets'])}</td><td>{_yes(x['nat_t'])}</td>"
            f"<td>{_badge('protected' if _ok(x) else 'broken', 'ok' if _ok(x) else 'FAIL')}"
            "</td></tr>" for x in lab.results]
    cols = [("id", "text"), ("kind", "text"), ("ends", "text"), ("established", "text"),
            ("traffic", "text"), ("clear-text packets", "num"), ("NAT-T", "text"),
            ("result", "text")]
    faults = ""
    if lab.faults:
        frows = [f"<tr><td>{esc(f['fault'])}</td><td>{esc(f['recovery_s'])}</td>"
                 f"<td>{esc(f['cleartext_packets'])}</td>"
                 f"<td>{_badge('protected' if int(f['cleartext_packets'] or 0) == 0 else 'broken', 'closed' if int(f['cleartext_packets'] or 0) == 0 else 'LEAKED')}</td></tr>"  # noqa: E501
                 for f in lab.faults]
        faults = ("<h3>Faults under traffic</h3>"
                  + _table([("fault", "text"), ("recovery (s)", "num"),
                            ("clear-text packets", "num"), ("fail-closed", "")], frows,
                           "sortable", "faults-table"))
    dp = f"<p>Data path: {esc(lab.datapath)}</p>" if lab.datapath else ""
    return (f'<section id="lab"><h2>Lab results <small>({len(lab.results)})</small></h2>'
            f'<p class="hint">From {esc(lab.file)}: real strongSwan in network namespaces '
            f"(<code>ccsec lab run</code>).</p>{dp}"
            + _table(cols, rows, "sortable", "lab-table") + faults + "</section>")


def _ok(x: dict[str, Any]) -> bool:
    return bool(x.get("established")) and bool(x.get("traffic")) and \
        int(x.get("cleartext_packets") or 0) == 0


def _num(v: Any) -> str:
    return "-" if v is None else f"{v:,.2f}"


def _perf(r: Report) -> str:
    if r.perf is None:
        return ""
    p = r.perf
    rows = [f"<tr><td>{esc(c['counter'])}</td><td>{esc(c['group'])}</td><td>{esc(c['n'])}</td>"
            + "".join(f'<td class="r">{esc(_num(c[k]))}</td>' for k in ("min", "avg", "p95",
                                                                         "max"))
            + "</tr>" for c in p.counters]
    cols = [("counter", "text"), ("group", "text"), ("n", "num"), ("min", "num"),
            ("avg", "num"), ("p95", "num"), ("max", "num")]
    figs = "".join(f'<figure><img alt="{esc(g)} counters of {esc(p.file)}" '
                   f'src="{p.data_uri(png)}"><figcaption>{esc(g)}</figcaption></figure>'
                   for g, png in p.plots)
    return (f'<section id="perf"><h2>Performance counters</h2><p class="hint">From '
            f"{esc(p.file)}; thresholds are judged in the findings above.</p>"
            + _table(cols, rows, "sortable", "perf-table") + f'<div class="plots">{figs}</div>'
            "</section>")


def _proof(r: Report) -> str:
    rows = [f"<tr><td><code>{esc(x['format'])}</code></td><td>{esc(x['title'])}</td>"
            f"<td>{_proof_badge(x['proof'])}</td><td>{esc(x['note'])}</td></tr>"
            for x in r.proof]
    return ('<section id="proof"><h2>How far each format was proven</h2>'
            '<p class="hint"><strong>lab-proven</strong>: ccsec ran this output on real '
            "strongSwan in network namespaces (SAs established, traffic flowed, zero clear-text "
            "packets on the wire). <strong>syntax only</strong>: the output is pinned to the "
            "platform's documented syntax (golden files, round-trip parsing) and was "
            "<em>not</em> run on that platform.</p>"
            + _table([("format", ""), ("what", ""), ("proof", ""), ("how", "")], rows)
            + "</section>")


def _proof_badge(proof: str) -> str:
    if proof == "lab":
        return '<span class="proof proof-lab">lab-proven</span>'
    return '<span class="proof proof-syntax">syntax only</span>'


def _policies(r: Report) -> str:
    site_of = {h.name: h.site for h in r.dep.hosts}
    kinds = {g.name: s.name for s, g in r.dep.gateways()}
    blocks = []
    for e in sorted(r.ends, key=lambda x: (x.owner not in kinds, x.owner)):
        where = kinds.get(e.owner) or site_of.get(e.owner, "")
        what = "gateway" if e.owner in kinds else "host"
        inner = []
        for t in e.texts:
            inner.append(
                f'<details class="fmt"><summary><code>{esc(t.format)}</code> — '
                f"{esc(t.file_name)} {_proof_badge(t.proof)}</summary>"
                f'<pre class="policy" data-end="{esc(e.owner)}" data-format="{esc(t.format)}">'
                f"<code>{esc(t.text)}</code></pre></details>")
        for fmt, reason in e.skipped:
            inner.append(f'<p class="skipped"><code>{esc(fmt)}</code> not rendered: '
                         f"{esc(reason)}</p>")
        blocks.append(
            f'<details class="end" id="end-{esc(e.owner)}"><summary><strong>{esc(e.owner)}'
            f"</strong> <small>{esc(what)} · {esc(e.platform)} · site {esc(where)} · "
            f"{e.rules} rules · {len(e.texts)} formats</small></summary>"
            f'{"".join(inner)}</details>')
    return ('<section id="policies"><h2>Generated policy per host and gateway</h2>'
            '<p class="hint">Each end in every format its platform takes (what '
            "<code>ccsec render</code> writes). Pre-shared keys are never in this report: "
            "they show as <code>&lt;redacted&gt;</code>.</p>"
            '<div class="toolbar js-only"><button type="button" id="expand-all">Expand all'
            '</button> <button type="button" id="collapse-all">Collapse all</button></div>'
            + "".join(blocks) + "</section>")


# ------------------------------------------------------------------------------ page


def page(r: Report) -> str:
    """The whole HTML document."""
    css = asset("report.css")
    js = asset("report.js")
    csp = ("default-src 'none'; img-src data:; "
           f"style-src {_csp_hash(css)}; script-src {_csp_hash(js)}; "
           "base-uri 'none'; form-action 'none'")
    body = "".join([
        _header(r), _nav(r), "<main>", _summary(r), _topology(r), _findings(r), _paths(r),
        _sessions(r), _lab(r), _perf(r), _proof(r), _policies(r), "</main>",
        f'<footer>Generated by {esc(r.generator)} on {esc(r.generated)}. Every string from the '
        "deployment and the configurations is shown as text; no key is included.</footer>",
    ])
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(csp)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="{esc(r.generator)}">'
        f"<title>{esc(r.dep.deployment)} — ccsec IPsec report</title>"
        f"<style>{css}</style></head>"
        f"<body>{body}<script>{js}</script></body></html>\n"
    )
