"""ccsec audit | rules | explain | diff — judge real configurations against the guidance.

``audit`` exits 0 when nothing reaches ``--fail-on``, 1 when something does, 2 on a usage or
input error (unreadable deployment, missing directory, malformed waivers file).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ccsec.cli.common import (
    STATE,
    console,
    import_notes,
    keep,
    load_deployment,
    print_json,
    stages,
)
from ccsec.cli.complete import (
    SEVERITIES,
    complete_audit_format,
    complete_family,
    complete_profile,
    complete_rule_id,
    complete_severity,
)
from ccsec.errors import Problem, UserError
from ccsec.findings.columns import Column, fit, terminal_width
from ccsec.findings.model import Severity


class OutFormat(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"


def _severity(value: str | None) -> Severity | None:
    if value is None:
        return None
    try:
        return Severity(value.lower())
    except ValueError:
        raise typer.BadParameter(f"unknown severity '{value}'; use one of: "
                                 f"{', '.join(SEVERITIES)}", param_hint="'--fail-on'") from None


def _out_format(value: str) -> OutFormat:
    try:
        return OutFormat(value.lower())
    except ValueError:
        raise typer.BadParameter(f"unknown output format '{value}'; use one of: "
                                 f"{', '.join(f.value for f in OutFormat)}",
                                 param_hint="'--format'") from None


def audit(
    deployment: Annotated[str | None, typer.Argument(
        help="deployment YAML (optional): adds coverage of every path and NAT facts")] = None,
    configs: Annotated[Path | None, typer.Option(
        "--configs", metavar="DIR", help="directory (or file) of configurations: IOS, "
        "swanctl.conf, ipsec.conf+ipsec.secrets, netsh, PowerShell, CUCM sheets, collector "
        "JSON")] = None,
    fmt: Annotated[str, typer.Option("--format", metavar="FORMAT",
                                     autocompletion=complete_audit_format,
                                     help="text | json | sarif")] = "text",
    fail_on: Annotated[str | None, typer.Option(
        "--fail-on", metavar="SEVERITY", autocompletion=complete_severity,
        help=f"exit 1 when a finding is at or above: {', '.join(SEVERITIES)}")] = None,
    waivers: Annotated[Path | None, typer.Option(
        "--waivers", metavar="FILE",
        help="YAML file of accepted findings (rule, subject, reason, expires)")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="same as --format json")] = False,
    include_dir: Annotated[list[Path] | None, typer.Option(
        "--include-dir", help="a directory outside --configs that strongSwan `include` "
        "statements may read from (repeatable; by default includes stay inside --configs)")] =
    None,
    no_group: Annotated[bool, typer.Option(
        "--no-group", help="text: one row per finding instead of one per rule and cause")] =
    False,
    hosts: Annotated[Path | None, typer.Option(
        "--hosts", metavar="FILE", help="hosts file (address name…) resolving the host names "
        "configurations give for their peers; without it such names stay unresolved")] = None,
) -> None:
    """Audit real configurations: weak algorithms, PSKs, fallbacks, NAT, whether every pair of
    peers negotiates (sessions), and — with a deployment — whether every path is covered."""
    from ccsec.audit.pipeline import run
    from ccsec.audit.resolve import load_hosts
    from ccsec.findings.sarif import sarif
    from ccsec.findings.text import exit_code
    from ccsec.report.audit import print_audit

    threshold = _severity(fail_on)
    out_format = OutFormat.json if json_out else _out_format(fmt)
    if configs is None:
        raise UserError(Problem("no configurations given", field="--configs",
                                fix="ccsec audit [DEPLOYMENT] --configs DIR"))
    with stages(f"reading configurations in {configs}") as step:
        # the deployment is loaded while worker processes read the configurations
        result = run(configs, deployment_file=deployment, waivers=waivers,
                     on_inventory=lambda inv: step(f"auditing {len(inv.ends)} configurations"),
                     hosts=load_hosts(hosts), include_dirs=tuple(include_dir or ()),
                     load_deployment=(lambda: load_deployment(deployment)) if deployment
                     else None)
    keep(result)
    import_notes(result.context.ends, result.skipped)
    if out_format is OutFormat.json:
        print_json(result.to_json())
    elif out_format is OutFormat.sarif:
        root = configs if configs.is_dir() else configs.parent
        log = sarif(result.findings, fallback_file=deployment or str(configs),
                    category="ccsec-audit", root=root.resolve())
        print_json(log)
    else:
        print_audit(result, console, str(configs), group=not no_group, wide=STATE.wide)
    raise typer.Exit(exit_code(result.findings, threshold))


def rules(
    json_out: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    family: Annotated[str | None, typer.Option("--family", metavar="FAMILY",
                                               autocompletion=complete_family,
                                               help="only this family")] = None,
) -> None:
    """The rule catalog: every check ccsec runs, with severity and sources."""
    from ccsec.findings.families import load_all
    from ccsec.findings.model import CATALOG

    load_all()
    families = sorted({r.family for r in CATALOG.all()})
    if family is not None and family not in families:
        raise typer.BadParameter(f"unknown family '{family}'; use one of: {', '.join(families)}",
                                 param_hint="'--family'")
    found = [r for r in CATALOG.all() if family is None or r.family == family]
    if json_out:
        print_json([r.to_json() for r in found])
        return
    fit((Column("id", atomic=True), Column("severity", drop=2), Column("family", drop=1),
         Column("title")), [[r.id, r.severity.value, r.family, r.title] for r in found],
        terminal_width(console), STATE.wide,
        title=f"ccsec rule catalog ({len(found)} rules)").print(console)


def explain(rule_id: Annotated[str | None, typer.Argument(
                metavar="RULE", autocompletion=complete_rule_id,
                help="rule id, e.g. IPSEC-DH-002 (none: what the evidence markers mean)")] = None,
            json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """One rule in full: why it matters, how to fix it, where it comes from, and what the
    evidence markers ([U], [D], [O], [V], [P], [S]) in its text mean."""
    from ccsec.findings.families import load_all
    from ccsec.findings.model import CATALOG
    from ccsec.findings.sources import MARKERS

    if rule_id is None:
        if json_out:
            print_json({"markers": MARKERS})
            return
        console.print("Evidence markers in rule texts, findings and rendered files:",
                      markup=False)
        for mark, meaning in MARKERS.items():
            console.print(f"  {mark}  {meaning}", markup=False)
        console.print("One rule in full: ccsec explain RULE (the ids: ccsec rules)",
                      markup=False)
        return
    load_all()
    r = CATALOG.get(rule_id)
    text = " ".join((r.title, r.rationale, r.fix, r.unverified, *r.citations))
    used = {m: meaning for m, meaning in MARKERS.items() if m in text}
    if json_out:
        print_json({**r.to_json(), "markers": used})
        return
    console.print(f"[bold]{r.id}[/] — {r.title}", markup=True)
    console.print(f"severity: {r.severity.value}    family: {r.family}", markup=False)
    console.print(f"\nwhy: {r.rationale}", markup=False)
    console.print(f"\nfix: {r.fix}", markup=False)
    console.print("\nsources:", markup=False)
    for c in r.citations:
        console.print(f"  - {c}", markup=False, soft_wrap=True)
    if r.unverified:
        console.print(f"\nunverified: {r.unverified}", markup=False)
    if used:
        console.print("\nmarkers:", markup=False)
        for mark, meaning in used.items():
            console.print(f"  {mark}  {meaning}", markup=False)


def diff(
    deployment: Annotated[str, typer.Argument(help="deployment YAML (or 'demo')")],
    configs: Annotated[Path, typer.Option("--configs", metavar="DIR",
                                          help="directory of running configs")],
    profile: Annotated[str | None, typer.Option("--profile", metavar="PROFILE",
                                                autocompletion=complete_profile,
                                                help="override the profile")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Planned vs running, per device; for IOS the remediation commands (hier_config).
    Exit 1 when any device drifts from its plan."""
    from ccsec.audit.drift import drift
    from ccsec.audit.inventory import load_directory
    from ccsec.audit.pipeline import nothing_recognised

    dep = load_deployment(deployment)
    with stages(f"reading configurations in {configs}") as step:
        inv = load_directory(configs, dep)
        if not inv.ends:
            raise UserError(nothing_recognised(configs, inv))
        step(f"comparing {len(inv.ends):,} configurations with the plan")
        reports = drift(dep, inv.ends, profile, configs)
    code = 0 if all(r.in_sync for r in reports) else 1
    if json_out:
        print_json({"devices": [r.to_json() for r in reports]})
        raise typer.Exit(code)
    for r in reports:
        state = "[green]in sync[/]" if r.in_sync else "[red]drift[/]"
        console.print(f"[bold]{r.device}[/] ({r.format or 'no config found'}) {state}")
        for d in r.differences:
            console.print(f"  - {d}", markup=False, soft_wrap=True)
        if r.remediation:
            console.print("  remediation (review before applying; keys shown as <redacted>):",
                          markup=False)
            console.print("\n".join("    " + line for line in r.remediation), markup=False)
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command()(audit)
    app.command()(rules)
    app.command()(explain)
    app.command()(diff)
