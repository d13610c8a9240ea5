"""The policies section: every end's generated policy in every format its platform takes.

Up to :data:`PACK_AT` characters of policy text the policies are plain HTML (readable without
JavaScript, printable).  Beyond that — 300 sites make 20 MB of it, most of a 38 MB report — the
texts travel packed: one JSON list, gzip-compressed and base64-encoded in an inert
``<template>``; each end's ``<details>`` is in the HTML with its summary line, and the report's
script unpacks the texts (the browser's own ``DecompressionStream``, no library, nothing
fetched) the first time an end is opened.  Policies of that many ends compress well, since
the ends of one role differ only in names and addresses: 19.3 MB of text at 300 sites is
0.5 MB of gzip (0.66 MB in base64).  Without JavaScript the packed
section says so and names the command that writes the same files (``ccsec render``).
"""

from __future__ import annotations

import base64
import gzip
import json
import re

from ccsec.report.build import Report
from ccsec.report.markup import esc, proof_badge
from ccsec.report.policies import EndTexts

#: characters of policy text shown as plain HTML; more is packed
PACK_AT = 1_000_000
#: distinct reasons a skipped format's note lists
SHOW_CAUSES = 12
_RULE = re.compile(r"^rule \S+: ")


def _ordered(r: Report) -> list[tuple[EndTexts, str, str]]:
    """(end, what it is, its site): gateways first, then hosts, each by name."""
    site_of = {h.name: h.site for h in r.dep.hosts}
    gateways = {g.name: s.name for s, g in r.dep.gateways()}
    ends = sorted(r.ends, key=lambda x: (x.owner not in gateways, x.owner))
    return [(e, "gateway" if e.owner in gateways else "host",
             gateways.get(e.owner) or site_of.get(e.owner, "")) for e in ends]


def _summary(e: EndTexts, what: str, where: str) -> str:
    formats = ", ".join(t.format for t in e.texts) or "none"
    return (f"<summary><strong>{esc(e.owner)}</strong> <small>{esc(what)} · "
            f"{esc(e.platform)} · site {esc(where)} · {e.rules} rules · "
            f"{len(e.texts)} formats ({esc(formats)})</small></summary>")


def _skipped(e: EndTexts) -> str:
    """The formats an end could not get, pointing to the one note that says why."""
    return "".join(f'<p class="skipped"><code>{esc(fmt)}</code> not rendered: '
                   f'<a href="#skipped-{esc(fmt)}">why</a></p>' for fmt, _ in e.skipped)


def _causes(reason: str) -> list[str]:
    """One end's reasons, without the rule each one names (they repeat per rule)."""
    return [_RULE.sub("", part) for part in reason.split("; ")]


def _skip_notes(ends: list[EndTexts]) -> str:
    """One note per format some ends could not get: how many, and each distinct reason once
    (a Windows format the profile cannot express would otherwise repeat the same reasons for
    every rule of every Windows end: 6 MB at 300 sites)."""
    by_format: dict[str, tuple[list[str], dict[str, None]]] = {}
    for e in ends:
        for fmt, reason in e.skipped:
            owners, causes = by_format.setdefault(fmt, ([], {}))
            owners.append(e.owner)
            causes.update(dict.fromkeys(_causes(reason)))
    out = []
    for fmt, (owners, causes) in sorted(by_format.items()):
        shown = list(causes)[:SHOW_CAUSES]
        more = len(causes) - len(shown)
        items = "".join(f"<li>{esc(c)}</li>" for c in shown)
        if more:
            items += f"<li>… and {more} more</li>"
        names = ", ".join(owners[:8]) + (f" and {len(owners) - 8} more" if len(owners) > 8
                                          else "")
        out.append(f'<div class="skip-note" id="skipped-{esc(fmt)}"><p><code>{esc(fmt)}'
                   f"</code> is not rendered for {len(owners)} "
                   f"end{'s' if len(owners) != 1 else ''} ({esc(names)}):</p>"
                   f"<ul>{items}</ul></div>")
    return "".join(out)


def _plain(e: EndTexts, what: str, where: str) -> str:
    inner = "".join(
        f'<details class="fmt"><summary><code>{esc(t.format)}</code> — '
        f"{esc(t.file_name)} {proof_badge(t.proof)}</summary>"
        f'<pre class="policy" data-end="{esc(e.owner)}" data-format="{esc(t.format)}">'
        f"<code>{esc(t.text)}</code></pre></details>" for t in e.texts)
    return (f'<details class="end" id="end-{esc(e.owner)}">{_summary(e, what, where)}'
            f"{inner}{_skipped(e)}</details>")


def _packed(e: EndTexts, what: str, where: str, index: int) -> str:
    return (f'<details class="end packed" id="end-{esc(e.owner)}" data-packed="{index}" '
            f'data-end="{esc(e.owner)}">{_summary(e, what, where)}'
            '<p class="packed-note">Unpacking…</p>'
            f"{_skipped(e)}</details>")


def payload(ends: list[EndTexts]) -> str:
    """The packed texts: base64 of gzip of ``{"formats": {name: [file, proof]}, "ends":
    [[[format, text], …], …]}`` in the order of the ``data-packed`` indexes.  Deterministic
    (no timestamp in the gzip header), so one input gives one report."""
    formats = {t.format: [t.file_name, t.proof] for e in ends for t in e.texts}
    doc = {"formats": formats, "ends": [[[t.format, t.text] for t in e.texts] for e in ends]}
    raw = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(gzip.compress(raw, compresslevel=9, mtime=0)).decode("ascii")


def size(r: Report) -> int:
    """Characters of policy text in the report."""
    return sum(len(t.text) for e in r.ends for t in e.texts)


def section(r: Report) -> str:
    ordered = _ordered(r)
    packed = size(r) > PACK_AT
    if packed:
        blocks = [_packed(e, what, where, i) for i, (e, what, where) in enumerate(ordered)]
        data = (f'<template id="policy-data" data-encoding="gzip+base64">'
                f"{payload([e for e, _, _ in ordered])}</template>")
        note = ('<p class="hint packed-hint">At this size the policies are packed in the page '
                "(gzip); opening an end unpacks it. <span class=\"nojs-only\">This needs "
                "JavaScript: <code>ccsec render DEPLOYMENT -o DIR</code> writes the same files."
                "</span></p>")
    else:
        blocks = [_plain(e, what, where) for e, what, where in ordered]
        data = note = ""
    return ('<section id="policies"><h2>Generated policy per host and gateway '
            f"<small>({len(ordered)})</small></h2>"
            '<p class="hint">Each end in every format its platform takes (what '
            "<code>ccsec render</code> writes). Pre-shared keys are never in this report: "
            f"they show as <code>&lt;redacted&gt;</code>.</p>{note}"
            + _skip_notes([e for e, _, _ in ordered]) +
            '<div class="toolbar js-only"><button type="button" id="expand-all">Expand all'
            '</button> <button type="button" id="collapse-all">Collapse all</button></div>'
            + "".join(blocks) + data + "</section>")
