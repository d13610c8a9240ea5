"""Findings out for people and scripts: rich tables, the one JSON shape, the exit code.

Shared by every command that judges something (audit, logs, perf, posture, phones), so the
output shape, the severity colours and the ``--fail-on`` exit code are the same everywhere.
SARIF is in :mod:`ccsec.findings.sarif`.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.table import Table

from ccsec.findings.model import Finding, Severity

COLOURS = {Severity.CRITICAL: "bold red", Severity.HIGH: "red", Severity.MEDIUM: "yellow",
           Severity.LOW: "cyan", Severity.INFO: "dim"}


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (-f.severity.rank, f.rule, f.subject, f.message))


def print_findings(findings: list[Finding], console: Console, title: str = "findings") -> None:
    """One table per severity, most severe first."""
    if not findings:
        console.print(f"[green]{title}: none[/]")
        return
    for sev in Severity:
        group = [f for f in sort_findings(findings) if f.severity == sev]
        if not group:
            continue
        table = Table(title=f"{title}: {sev.value} ({len(group)})", title_style=COLOURS[sev],
                      show_lines=False)
        for col in ("rule", "subject", "finding", "fix", "where"):
            table.add_column(col, overflow="fold")
        for f in group:
            where = ""
            if f.location:
                where = f.location.file + (f":{f.location.line}" if f.location.line else "")
            table.add_row(f.rule, f.subject, f.message, f.fix, where)
        console.print(table)


def findings_json(findings: Iterable[Finding]) -> list[dict[str, object]]:
    return [f.to_json() for f in sort_findings(findings)]


def exit_code(findings: Iterable[Finding], fail_on: Severity | None) -> int:
    """1 when any finding is at or above ``fail_on`` (0 when ``fail_on`` is None)."""
    if fail_on is None:
        return 0
    return 1 if any(f.severity.at_least(fail_on) for f in findings) else 0
