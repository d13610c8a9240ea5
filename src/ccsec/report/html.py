"""The report as one self-contained HTML file: inline CSS, JS and SVG, PNG plots as data: URIs.

Rules this module keeps:

* every string that came from outside (deployment names and descriptions, config file names,
  finding messages, lab JSON values) goes through :func:`html.escape` — there is no other way
  into the page than :func:`esc`;
* nothing is fetched: a Content-Security-Policy allows no network at all, and only the one
  inline style sheet and the one inline script, by hash (so injected markup could not run even
  if escaping were ever missed);
* the essentials work without JavaScript (every table is in the HTML, the picture fits its box
  by its ``viewBox``; the script adds sorting, filtering, copy buttons, zoom and pan, and
  unpacks the policies of a report packed for size — :mod:`ccsec.report.policy_section`);
* printed, every ``<details>`` is open and the controls are hidden (report.css ``@media print``,
  and the script opens them on ``beforeprint``).
"""

from __future__ import annotations

import base64
import hashlib
from importlib.resources import files
from typing import Any

from ccsec.paths import CATALOG_TITLES
from ccsec.report import findings_section, policy_section
from ccsec.report.build import PATH_STATUSES, Report
from ccsec.report.markup import badge, esc, proof_badge, table
from ccsec.report.topology import STATUSES, Link, level_for, svg


def asset(name: str) -> str:
    return files("ccsec").joinpath(f"data/{name}").read_text(encoding="utf-8")


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


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
    if r.probe:
        links.append(("probe", "Probe"))
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
        paths_val = '<span class="planned-only">planned, not audited</span>'
        paths_note = (f'<span class="num" id="paths-total">{total}</span> '
                      + esc("paths planned: pass --configs (or --lab) to check them"))
        cls = "neutral"
    else:
        prot = s["paths_protected_both_ends"]
        paths_val = (f'<span class="num" id="paths-protected">{prot}</span> / '
                     f'<span class="num" id="paths-total">{total}</span>')
        paths_note = esc(", ".join(f"{st[k]} {k}" for k in PATH_STATUSES if st[k]))
        cls = "good" if prot == total and not st["weaker"] else "bad"
    if s["sessions_total"] is None:
        sess_val = '<span class="planned-only">not audited</span>'
        sess_note = esc("pass --configs to negotiate each pair of configured peers")
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


def _legend(r: Report, level: str) -> str:
    counts = r.summary()["path_status"]
    items = "".join(
        f'<li class="legend-{esc(k)}{"" if counts.get(k) else " absent"}">'
        '<svg width="34" height="12" aria-hidden="true">'
        f'<line x1="2" y1="6" x2="32" y2="6" class="link link-tunnel s-{esc(k)}"/></svg>'
        f'<span><strong>{esc(k)}</strong> ({counts.get(k, 0)}): {esc(v)}</span></li>'
        for k, v in STATUSES.items())
    how = ("thick: site tunnel (tunnel mode, gateway to gateway); thin: host path (transport "
           "mode)")
    if level == "sites":
        how += ("; each remote site is a tile: its border takes the worst status of its paths, "
                "its bar their share; lines to the central sites are bundled per column (one "
                "lane per central end and status)")
    return (f'<ul class="legend">{items}<li class="legend-note">{esc(how)}. Hover a line or a '
            "site for details, click it for its rows.</li></ul>")


def _topology(r: Report) -> str:
    level = level_for(r.dep)
    picture = svg(r.dep, _links(r), level)
    tools = ('<div class="toolbar js-only" id="zoom-tools">'
             '<button type="button" id="zoom-in" aria-label="zoom in">+</button>'
             '<button type="button" id="zoom-out" aria-label="zoom out">−</button>'
             '<button type="button" id="zoom-fit">Fit</button>'
             '<span class="zoom-note">drag to pan; Ctrl + wheel or the buttons to zoom</span>'
             "</div>")
    what = ("Sites with their gateways, NAT devices and hosts; every site tunnel and host path "
            "coloured by its status." if level == "hosts" else
            f"{len(r.dep.sites)} sites: the central sites with their chips, each remote site as "
            "one tile; lines coloured by status.")
    return (f'<section id="topology"><h2>Topology</h2><p class="hint">{esc(what)}</p>'
            f'{_legend(r, level)}{tools}<div class="topo-box" id="topo-box">{picture}</div>'
            "</section>")


def _paths(r: Report) -> str:
    rows = []
    for row in r.paths:
        p = row.path
        a, b = p.ends
        rows.append(
            f'<tr id="path-{esc(p.id)}" data-status="{esc(row.status)}" '
            f'data-sites="{esc(" ".join(sorted({a.site, b.site})))}">'
            f"<td><code>{esc(p.id)}</code></td>"
            f'<td data-value="{esc(p.catalog)}">{esc(p.catalog)} · '
            f"{esc(CATALOG_TITLES[p.catalog])}</td>"
            f"<td>{esc(a.host)} <small>{esc(a.address)}</small></td>"
            f"<td>{esc(b.host)} <small>{esc(b.address)}</small></td>"
            f"<td>{esc(p.mode)}</td><td>{esc(p.auth)}</td>"
            f"<td>{'yes' if p.crosses_nat else ''}</td>"
            f'<td data-value="{esc(row.status)}">{badge(row.status)}</td>'
            f"<td>{esc(row.detail)}</td></tr>")
    cols = [("id", "text"), ("catalog", "text"), ("end A", "text"), ("end B", "text"),
            ("mode", "text"), ("auth", "text"), ("NAT", "text"), ("status", "text"),
            ("detail", "")]
    present = [k for k in PATH_STATUSES if any(row.status == k for row in r.paths)]
    opts = "".join(f'<option value="{esc(k)}">{esc(k)}</option>' for k in present)
    form = ('<form class="filters js-only" id="path-filters" role="search">'
            f'<label>status <select id="p-status"><option value="">all</option>{opts}</select>'
            '</label><label>host, site or path <input id="p-text" type="search" '
            'autocomplete="off"></label><button type="reset">clear</button>'
            f'<output id="p-count" aria-live="polite">{len(rows)} of {len(rows)} shown</output>'
            "</form>")
    return (f'<section id="paths"><h2>Paths <small>({len(r.paths)})</small></h2>{form}'
            + table(cols, rows, "sortable", "paths-table") + "</section>")


def _sessions(r: Report) -> str:
    if r.sessions is None:
        return ""
    rows = [f'<tr data-status="{esc(s.status.value)}"><td>{esc(s.a)}</td><td>{esc(s.b)}</td>'
            f'<td>{badge("protected" if s.established else "failed", s.status.value)}</td>'
            f"<td>{esc(s.reason)}</td></tr>" for s in r.sessions]
    cols = [("a", "text"), ("b", "text"), ("status", "text"), ("reason", "")]
    return (f'<section id="sessions"><h2>Sessions <small>({len(r.sessions)})</small></h2>'
            f'<p class="hint">What each pair of configured peers would negotiate.</p>'
            + table(cols, rows, "sortable", "sessions-table") + "</section>")


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
            f"<td>{badge('protected' if _ok(x) else 'failed', 'ok' if _ok(x) else 'FAIL')}"
            "</td></tr>" for x in lab.results]
    cols = [("id", "text"), ("kind", "text"), ("ends", "text"), ("established", "text"),
            ("traffic", "text"), ("clear-text packets", "num"), ("NAT-T", "text"),
            ("result", "text")]
    faults = ""
    if lab.faults:
        frows = [f"<tr><td>{esc(f['fault'])}</td><td>{esc(f['recovery_s'])}</td>"
                 f"<td>{esc(f['cleartext_packets'])}</td>"
                 f"<td>{badge('protected' if int(f['cleartext_packets'] or 0) == 0 else 'failed', 'closed' if int(f['cleartext_packets'] or 0) == 0 else 'LEAKED')}</td></tr>"  # noqa: E501
                 for f in lab.faults]
        faults = ("<h3>Faults under traffic</h3>"
                  + table([("fault", "text"), ("recovery (s)", "num"),
                            ("clear-text packets", "num"), ("fail-closed", "")], frows,
                           "sortable", "faults-table"))
    dp = f"<p>Data path: {esc(lab.datapath)}</p>" if lab.datapath else ""
    return (f'<section id="lab"><h2>Lab results <small>({len(lab.results)})</small></h2>'
            f'<p class="hint">From {esc(lab.file)}: real strongSwan in network namespaces '
            f"(<code>ccsec lab run</code>).</p>{dp}"
            + table(cols, rows, "sortable", "lab-table") + faults + "</section>")


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
            + table(cols, rows, "sortable", "perf-table") + f'<div class="plots">{figs}</div>'
            "</section>")


def _probe(r: Report) -> str:
    """What a live gateway accepted (``ccsec probe``); its findings are in the findings table."""
    if r.probe is None:
        return ""
    p = r.probe
    parts = []
    for v in p.versions():
        state = "complete" if v.complete else f"incomplete: {v.stopped}"
        ratio = f" ({100 * v.ratio:.2f} %)" if v.ratio is not None else ""
        rows = [f"<tr><td><code>{esc(x.label())}</code></td></tr>"
                for x in sorted(v.accepted, key=lambda x: x.label())]
        parts.append(f"<h3>IKEv{v.version}: {len(v.accepted)} accepted proposals</h3>"
                     f"<p>{esc(state)}; {v.packets} packets sent, an exhaustive "
                     f"one-combination-per-packet scan needs {v.exhaustive}{esc(ratio)}.</p>"
                     + (table([("accepted proposal", "text")], rows, "sortable")
                        if rows else "<p>none</p>"))
    if p.aggressive is not None and p.aggressive.tried:
        parts.append(f"<p>IKEv1 aggressive mode ({esc(p.aggressive.auth)}): "
                     f"{esc(p.aggressive.detail)}</p>")
    nat = "unknown" if p.nat.supported is None else _yes(p.nat.supported)
    parts.append(f"<p>NAT traversal offered: {esc(nat)}"
                 + (f" ({esc('; '.join(p.nat.evidence))})" if p.nat.evidence else "") + "</p>")
    if p.drift is not None:
        d = p.drift
        drift = [f"<li>{esc(k)} not planned: {esc(', '.join(v))}</li>" for k, v in d.extra.items()]
        drift += [f"<li>{esc(k)} planned but refused: {esc(', '.join(v))}</li>"
                  for k, v in d.missing.items()]
        parts.append(f"<p>Against the plan for {esc(d.end)}:</p>"
                     + (f"<ul>{''.join(drift)}</ul>" if drift else "<p>no drift</p>"))
    return (f'<section id="probe"><h2>Live probe of {esc(p.target)}</h2>'
            f'<p class="hint">{esc(p.address)} UDP {p.port}, probed {esc(p.started)} with '
            "<code>ccsec probe</code> (IKE only, never authenticated); its findings are in the "
            "findings table.</p>" + "".join(parts) + "</section>")


def _proof(r: Report) -> str:
    rows = [f"<tr><td><code>{esc(x['format'])}</code></td><td>{esc(x['title'])}</td>"
            f"<td>{proof_badge(x['proof'])}</td><td>{esc(x['note'])}</td></tr>"
            for x in r.proof]
    return ('<section id="proof"><h2>How far each format was proven</h2>'
            '<p class="hint"><strong>lab-proven</strong>: ccsec ran this output on real '
            "strongSwan in network namespaces (SAs established, traffic flowed, zero clear-text "
            "packets on the wire). <strong>syntax only</strong>: the output is pinned to the "
            "platform's documented syntax (golden files, round-trip parsing) and was "
            "<em>not</em> run on that platform.</p>"
            + table([("format", ""), ("what", ""), ("proof", ""), ("how", "")], rows)
            + "</section>")


# ------------------------------------------------------------------------------ page


def page(r: Report) -> str:
    """The whole HTML document."""
    css = asset("report.css")
    js = asset("report.js")
    csp = ("default-src 'none'; img-src data:; "
           f"style-src {_csp_hash(css)}; script-src {_csp_hash(js)}; "
           "base-uri 'none'; form-action 'none'")
    body = "".join([
        _header(r), _nav(r), "<main>", _summary(r), _topology(r), findings_section.section(r),
        _paths(r),
        _sessions(r), _lab(r), _perf(r), _probe(r), _proof(r), policy_section.section(r), "</main>",
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
