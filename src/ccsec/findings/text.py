"""Findings out for people and scripts: rich tables, the one JSON shape, the exit code.

Shared by every command that judges something (audit, logs, perf, posture, phones), so the
output shape, the severity colours and the ``--fail-on`` exit code are the same everywhere.
SARIF is in :mod:`ccsec.findings.sarif`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from rich.console import Console

from ccsec.findings.columns import Column, fit, terminal_width
from ccsec.findings.group import FindingGroup, group_findings, subject_list
from ccsec.findings.model import Finding, Severity

COLOURS = {Severity.CRITICAL: "bold red", Severity.HIGH: "red", Severity.MEDIUM: "yellow",
           Severity.LOW: "cyan", Severity.INFO: "dim"}


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (-f.severity.rank, f.rule, f.subject, f.message))


#: findings table: rule and subject stay whole, the fix is the first thing left out
_FLAT = (Column("rule", atomic=True), Column("subject", atomic=True), Column("finding"),
         Column("fix", drop=2), Column("where", atomic=True, drop=1))
_GROUPED = (Column("rule", atomic=True), Column("n", justify="right"), Column("finding"),
            Column("subjects"), Column("fix", drop=2), Column("where", atomic=True, drop=1))


def _where(f: Finding) -> str:
    if f.location is None:
        return ""
    return f.location.file + (f":{f.location.line}" if f.location.line else "")


def _block(g: FindingGroup) -> str:
    """One group as lines a person (or grep) reads: rule, count, cause; then its subjects,
    the fix and the first place."""
    where = _where(g.findings[0]) + (f" (and {len(g) - 1:,} more)" if len(g) > 1 else "")
    return (f"{g.rule}  {len(g):,}×  {g.message}\n"
            f"  subjects: {subject_list(g, limit=25)}\n"
            f"  fix: {g.fix}\n" + (f"  where: {where}\n" if g.findings[0].location else ""))


def print_findings(findings: list[Finding], console: Console, title: str = "findings",
                   group: bool = True, wide: bool = False,
                   names: Collection[str] = ()) -> None:
    """One table per severity, most severe first.  Grouped (the default): one row per rule
    and cause with its subjects listed, so 46 identical rows read as one; ``group=False``:
    one row per finding.  ``names`` (the deployment's, :func:`~ccsec.findings.group.names_of`)
    are taken out of messages to find their cause, as the HTML report does.  Tables fit the
    terminal (see :mod:`ccsec.findings.columns`)."""
    if not findings:
        console.print(f"[green]{title}: none[/]")
        return
    groups = group_findings(findings, names)
    width = terminal_width(console)
    for sev in Severity:
        mine = [g for g in groups if g.severity == sev]
        if not mine:
            continue
        count = sum(len(g) for g in mine)
        heading = f"{title}: {sev.value} ({count:,}"
        if group and width is None:  # a file or pipe: one block per group, no wide columns
            heading += f" in {len(mine):,} group{'s' if len(mine) > 1 else ''})"
            console.file.write(heading + "\n" + "".join(_block(g) for g in mine))
            console.file.flush()
            continue
        if group:
            rows = [[g.rule, f"{len(g):,}", g.message, subject_list(g), g.fix,
                     _where(g.findings[0]) + (" …" if len(g) > 1 else "")] for g in mine]
            fitted = fit(_GROUPED, rows, width, wide, title=heading + f" in {len(mine):,} "
                         f"group{'s' if len(mine) > 1 else ''})", title_style=COLOURS[sev])
        else:
            rows = [[f.rule, f.subject, f.message, f.fix, _where(f)]
                    for g in mine for f in g.findings]
            fitted = fit(_FLAT, rows, width, wide, title=heading + ")",
                         title_style=COLOURS[sev])
        fitted.print(console)


def findings_json(findings: Iterable[Finding]) -> list[dict[str, object]]:
    return [f.to_json() for f in sort_findings(findings)]


def exit_code(findings: Iterable[Finding], fail_on: Severity | None) -> int:
    """1 when any finding is at or above ``fail_on`` (0 when ``fail_on`` is None)."""
    if fail_on is None:
        return 0
    return 1 if any(f.severity.at_least(fail_on) for f in findings) else 0
