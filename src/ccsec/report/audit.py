"""Audit output for people: findings by severity (shared with every command), then the
sessions each pair of peers would negotiate, then coverage of the deployment's paths.

Grouped (the default) the sessions and coverage tables list what is *not* fine — a session
that does not establish, a path that is not protected — and count the rest in one line: at
1,000 sites that is 14,000 rows nobody reads.  ``group=False`` (``--no-group``) lists every
row.  Tables fit the terminal without cutting names or addresses."""

from __future__ import annotations

from rich.console import Console

from ccsec.audit.engine import AuditResult
from ccsec.audit.negotiate import Status
from ccsec.findings.columns import Column, fit, terminal_width
from ccsec.findings.group import names_of
from ccsec.findings.text import print_findings

STATUS_STYLE = {Status.ESTABLISHED: "green"}

_SESSIONS = (Column("a", atomic=True), Column("b", atomic=True), Column("status", atomic=True),
             Column("reason"))
_COVERAGE = (Column("path", atomic=True), Column("catalog", drop=1),
             Column("a", atomic=True, drop=2), Column("b", atomic=True, drop=2),
             Column("status", atomic=True), Column("detail"))


def print_audit(result: AuditResult, console: Console, configs: str = "", group: bool = True,
                wide: bool = False) -> None:
    ends = result.context.ends
    width = terminal_width(console)
    console.print(f"[bold]ccsec audit[/] {configs}: {len(ends):,} configuration(s), "
                  f"{sum(len(e.policy.rules) for e in ends):,} rule(s), "
                  f"{len(result.sessions):,} session(s)")
    dep = result.context.deployment
    names = names_of(dep, (c.path for c in result.coverage)) if dep is not None else ()
    print_findings(result.findings, console, group=group, wide=wide, names=names)
    if result.waived:
        console.print(f"[dim]{len(result.waived)} finding(s) waived[/]")
    up = [s for s in result.sessions if s.status is Status.ESTABLISHED]
    shown = result.sessions if not group else [s for s in result.sessions
                                               if s.status is not Status.ESTABLISHED]
    if group:
        console.print(f"sessions: {len(up):,} of {len(result.sessions):,} established"
                      + ("" if len(shown) == 0 else f"; {len(shown):,} not:"))
    if shown:
        rows = [[s.a, s.b, f"[{STATUS_STYLE.get(s.status, 'red')}]{s.status.value}[/]",
                 s.reason] for s in shown]
        fit(_SESSIONS, rows, width, wide, title=f"sessions ({len(shown):,})").print(console)
    if result.coverage:
        ok = [r for r in result.coverage if r.status == "protected"]
        rows_cov = result.coverage if not group else [r for r in result.coverage
                                                      if r.status != "protected"]
        if group:
            console.print(f"coverage: {len(ok):,} of {len(result.coverage):,} paths protected"
                          + ("" if not rows_cov else f"; {len(rows_cov):,} not:"))
        if rows_cov:
            rows = [[r.path, r.catalog, r.a, r.b,
                     f"[{'green' if r.status == 'protected' else 'red'}]{r.status}[/]", r.detail]
                    for r in rows_cov]
            fit(_COVERAGE, rows, width, wide,
                title=f"coverage of the deployment's paths ({len(rows_cov):,})").print(console)
    skipped: dict[str, list[str]] = {}
    for skip in result.skipped:
        if not skip.unreadable:
            skipped.setdefault(skip.reason, []).append(skip.path)
    for reason, paths in skipped.items():
        if group:
            listed = ", ".join(paths[:5]) + (f" and {len(paths) - 5:,} more"
                                             if len(paths) > 5 else "")
            console.print(f"skipped {len(paths):,} file(s): {reason} ({listed})",
                          style="dim", markup=False)
        else:
            for path in paths:
                console.print(f"skipped {path}: {reason}", style="dim", markup=False)
