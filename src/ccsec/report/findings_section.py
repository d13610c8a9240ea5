"""The findings section: one row per rule and cause (:mod:`ccsec.findings.group`), its
subjects in a list that opens, filters by severity, rule and subject."""

from __future__ import annotations

from collections.abc import Collection

from ccsec.findings.group import NAMED, FindingGroup, adds_to, group_findings, names_of
from ccsec.findings.model import CATALOG, Finding, Severity
from ccsec.report.build import Report
from ccsec.report.markup import esc, table

SEVERITY_RANK = {s.value: s.rank for s in Severity}


def _citations(rule: str) -> str:
    if rule not in CATALOG:
        return ""
    return "<br>".join(esc(c) for c in CATALOG.get(rule).citations)


def _where(f: Finding) -> str:
    if not f.location:
        return ""
    return f.location.file + (f":{f.location.line}" if f.location.line else "")


def _subject_item(f: Finding, g: FindingGroup, names: Collection[str]) -> str:
    """A subject, where it was found, and its message when the message names more than the
    subject does."""
    where = _where(f)
    said = "" if g.same_message or not adds_to(f.message, f.subject, names) else \
        f" — {esc(f.message)}"
    return (f"<li>{esc(f.subject)}" + (f" <small>{esc(where)}</small>" if where else "")
            + f"{said}</li>")


def _group_row(g: FindingGroup, names: Collection[str]) -> str:
    """One rule and cause: its subjects in a list that opens."""
    n = len(g.findings)
    if n == 1:
        subjects = f'<ul class="subjects">{_subject_item(g.findings[0], g, names)}</ul>'
    else:
        items = "".join(_subject_item(f, g, names) for f in g.findings)
        subjects = (f'<details class="subjects"><summary>{n} subjects</summary>'
                    f'<ul class="subjects">{items}</ul></details>')
    return (f'<tr class="finding" data-severity="{esc(g.severity.value)}" '
            f'data-rule="{esc(g.rule)}" data-count="{n}">'
            f'<td data-value="{SEVERITY_RANK[g.severity.value]}">'
            f'<span class="sev sev-{esc(g.severity.value)}">{esc(g.severity.value)}</span></td>'
            f'<td class="nowrap"><code>{esc(g.rule)}</code></td>'
            f"<td>{esc(g.message)}</td>"
            f'<td class="subject-cell" data-value="{esc(g.findings[0].subject)}">{subjects}</td>'
            f"<td>{esc(g.fix)}</td>"
            f'<td class="cite">{_citations(g.rule)}</td></tr>')


def section(r: Report) -> str:
    names = names_of(r.dep, (row.path.id for row in r.paths))
    groups = group_findings(r.findings, names)
    total = len(r.findings)
    sev_opts = "".join(f'<option value="{esc(s.value)}">{esc(s.value)}</option>'
                       for s in Severity)
    rules = sorted({g.rule for g in groups})
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
        f'<output id="f-count" aria-live="polite">{len(groups)} of {len(groups)} rows shown'
        "</output></form>")
    cols = [("severity", "num"), ("rule", "text"), ("finding", "text"), ("subjects", "text"),
            ("fix", ""), ("citation", "")]
    body = (table(cols, (_group_row(g, names) for g in groups), "sortable findings",
                   "findings-table") if groups else '<p class="none">No findings.</p>')
    return (f'<section id="findings"><h2>Findings <small>({total} in {len(groups)} rows)'
            f'</small></h2><p class="hint">Judging {esc(r.findings_source)}. One row per rule '
            "and cause, its subjects listed beneath (where a name differs, the finding shows "
            f"{esc(NAMED)} for it). Each row names the rule (<code>ccsec explain RULE</code> "
            "prints it in full), its fix and its sources.</p>"
            f"{form}{body}</section>")
