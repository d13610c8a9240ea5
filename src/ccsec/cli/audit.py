"""ccsec audit | rules | explain | diff — judge real configurations against the guidance.

``audit`` exits 0 when nothing reaches ``--fail-on``, 1 when something does, 2 on a usage or
input error (unreadable deployment, missing directory, malformed waivers file).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ccsec.cli.common import console, import_notes, load_deployment, print_json, stages
from ccsec.deployment.model import Deployment
from ccsec.errors import Problem, UserError


class OutFormat(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"


SEVERITIES = ("critical", "high", "medium", "low", "info")


def _severity(value: str | None):
    from ccsec.findings.model import Severity

    if value is None:
        return None
    try:
        return Severity(value.lower())
    except ValueError:
        raise typer.BadParameter(f"use one of: {', '.join(SEVERITIES)}") from None


def _deployment(path: str | None) -> tuple[Deployment | None, str | None]:
    if path is None:
        return None, None
    return load_deployment(path), path


def audit(
    deployment: Annotated[str | None, typer.Argument(
        help="deployment YAML (optional): adds coverage of every path and NAT facts")] = None,
    configs: Annotated[Path | None, typer.Option(
        "--configs", help="directory (or file) of configurations: IOS, swanctl.conf, "
        "ipsec.conf+ipsec.secrets, netsh, PowerShell, CUCM sheets, collector JSON")] = None,
    fmt: Annotated[OutFormat, typer.Option("--format", help="text | json | sarif")] =
    OutFormat.text,
    fail_on: Annotated[str | None, typer.Option(
        "--fail-on", help=f"exit 1 when a finding is at or above: {', '.join(SEVERITIES)}")] =
    None,
    waivers: Annotated[Path | None, typer.Option(
        "--waivers", help="YAML file of accepted findings (rule, subject, reason, expires)")] =
    None,
    json_out: Annotated[bool, typer.Option("--json", help="same as --format json")] = False,
    hosts: Annotated[Path | None, typer.Option(
        "--hosts", help="hosts file (address name…) resolving the host names configurations "
        "give for their peers; without it such names stay unresolved")] = None,
) -> None:
    """Audit real configurations: weak algorithms, PSKs, fallbacks, NAT, whether every pair of
    peers negotiates (sessions), and — with a deployment — whether every path is covered."""
    from ccsec.audit.pipeline import run
    from ccsec.audit.resolve import load_hosts
    from ccsec.findings.sarif import sarif
    from ccsec.findings.text import exit_code
    from ccsec.report.audit import print_audit

    threshold = _severity(fail_on)
    if configs is None:
        raise UserError(Problem("no configurations given", field="--configs",
                                fix="ccsec audit [DEPLOYMENT] --configs DIR"))
    if json_out:
        fmt = OutFormat.json
    dep, dep_file = _deployment(deployment)
    with stages(f"reading configurations in {configs}") as step:
        result = run(configs, dep, deployment_file=dep_file, waivers=waivers,
                     on_inventory=lambda inv: step(f"auditing {len(inv.ends)} configurations"),
                     hosts=load_hosts(hosts))
    import_notes(result.context.ends, result.skipped)
    if fmt is OutFormat.json:
        print_json(result.to_json())
    elif fmt is OutFormat.sarif:
        root = configs if configs.is_dir() else configs.parent
        log = sarif(result.findings, fallback_file=dep_file or str(configs),
                    category="ccsec-audit", root=root.resolve())
        print_json(log)
    else:
        print_audit(result, console, str(configs))
    raise typer.Exit(exit_code(result.findings, threshold))


def rules(
    json_out: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    family: Annotated[str | None, typer.Option("--family", help="only this family")] = None,
) -> None:
    """The rule catalog: every check ccsec runs, with severity and sources."""
    from ccsec.findings.families import load_all
    from ccsec.findings.model import CATALOG

    load_all()
    found = [r for r in CATALOG.all() if family is None or r.family == family]
    if json_out:
        print_json([r.to_json() for r in found])
        return
    table = Table(title=f"ccsec rule catalog ({len(found)} rules)")
    for col in ("id", "severity", "family", "title"):
        table.add_column(col, overflow="fold")
    for r in found:
        table.add_row(r.id, r.severity.value, r.family, r.title)
    console.print(table)


def explain(rule_id: Annotated[str, typer.Argument(help="rule id, e.g. IPSEC-DH-002")],
            json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """One rule in full: why it matters, how to fix it, where it comes from."""
    from ccsec.findings.families import load_all
    from ccsec.findings.model import CATALOG

    load_all()
    r = CATALOG.get(rule_id)
    if json_out:
        print_json(r.to_json())
        return
    console.print(f"[bold]{r.id}[/] — {r.title}", markup=True)
    console.print(f"severity: {r.severity.value}    family: {r.family}", markup=False)
    console.print(f"\nwhy: {r.rationale}", markup=False)
    console.print(f"\nfix: {r.fix}", markup=False)
    console.print("\nsources:", markup=False)
    for c in r.citations:
        console.print(f"  - {c}", markup=False)
    if r.unverified:
        console.print(f"\nunverified: {r.unverified}", markup=False)


def diff(
    deployment: Annotated[str, typer.Argument(help="deployment YAML (or 'demo')")],
    configs: Annotated[Path, typer.Option("--configs", help="directory of running configs")],
    profile: Annotated[str | None, typer.Option("--profile", help="override the profile")] =
    None,
    json_out: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Planned vs running, per device; for IOS the remediation commands (hier_config)."""
    from ccsec.audit.drift import drift
    from ccsec.audit.inventory import load_directory

    dep = load_deployment(deployment)
    inv = load_directory(configs, dep)
    reports = drift(dep, inv.ends, profile, configs)
    if json_out:
        print_json({"devices": [r.to_json() for r in reports]})
        return
    for r in reports:
        state = "[green]in sync[/]" if r.in_sync else "[red]drift[/]"
        console.print(f"[bold]{r.device}[/] ({r.format or 'no config found'}) {state}")
        for d in r.differences:
            console.print(f"  - {d}", markup=False, soft_wrap=True)
        if r.remediation:
            console.print("  remediation (review before applying; keys shown as <redacted>):",
                          markup=False)
            console.print("\n".join("    " + line for line in r.remediation), markup=False)


def register(app: typer.Typer) -> None:
    app.command()(audit)
    app.command()(rules)
    app.command()(explain)
    app.command()(diff)
