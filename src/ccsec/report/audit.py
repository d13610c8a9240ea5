"""Audit output for people: findings by severity (shared with every command), then the
sessions each pair of peers would negotiate, then coverage of the deployment's paths."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ccsec.audit.engine import AuditResult
from ccsec.audit.negotiate import Status
from ccsec.findings.text import print_findings

STATUS_STYLE = {Status.ESTABLISHED: "green"}


def print_audit(result: AuditResult, console: Console, configs: str = "") -> None:
    ends = result.context.ends
    console.print(f"[bold]ccsec audit[/] {configs}: {len(ends)} configuration(s), "
                  f"{sum(len(e.policy.rules) for e in ends)} rule(s), "
                  f"{len(result.sessions)} session(s)")
    print_findings(result.findings, console)
    if result.waived:
        console.print(f"[dim]{len(result.waived)} finding(s) waived[/]")
    table = Table(title=f"sessions ({len(result.sessions)})")
    for col in ("a", "b", "status", "reason"):
        table.add_column(col, overflow="fold")
    for s in result.sessions:
        style = STATUS_STYLE.get(s.status, "red")
        table.add_row(s.a, s.b, f"[{style}]{s.status.value}[/]", s.reason)
    console.print(table)
    if result.coverage:
        cov = Table(title=f"coverage of the deployment's paths ({len(result.coverage)})")
        for col in ("path", "catalog", "a", "b", "status", "detail"):
            cov.add_column(col, overflow="fold")
        for row in result.coverage:
            style = "green" if row.status == "protected" else "red"
            cov.add_row(row.path, row.catalog, row.a, row.b, f"[{style}]{row.status}[/]",
                        row.detail)
        console.print(cov)
    for skip in result.skipped:
        if not skip.unreadable:
            console.print(f"[dim]skipped {skip.path}: {skip.reason}[/]")
