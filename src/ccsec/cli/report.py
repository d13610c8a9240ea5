"""ccsec report — one self-contained HTML file a reviewer would rather read than 200 table rows."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from ccsec.cli.common import (
    ForceOpt,
    import_notes,
    keep,
    load_deployment,
    print_json,
    progress,
    say,
)
from ccsec.crypto import PROFILES
from ccsec.fileio import atomic_write, check_file_target

if TYPE_CHECKING:
    from ccsec.deployment.model import Deployment
    from ccsec.paths import Path as CatalogPath

#: a file we may overwrite starts with our own generator tag
GENERATOR_TAG = '<meta name="generator" content="ccsec '


def _is_report(out: Path) -> bool:
    """Whether ``out`` is a report ccsec wrote (the only kind of file --force replaces)."""
    try:
        with open(out, "rb") as fh:
            head = fh.read(4096).decode("utf-8", errors="replace")
    except OSError:
        return False
    return GENERATOR_TAG in head


def _check_out(out: Path, force: bool) -> None:
    """Replace an earlier report only with --force, never another file."""
    check_file_target(out, force, owned=_is_report, what="report (such as report.html)",
                      kind="ccsec report")


def _print_summary(summary: dict[str, object], out: Path) -> None:
    table = Table(title=f"report written: {out}")
    table.add_column("what")
    table.add_column("value")
    protected = summary["paths_protected_both_ends"]
    total = summary["paths_total"]
    table.add_row("paths protected at both ends",
                  f"{protected} / {total}" if protected is not None
                  else f"planned, not audited ({total} paths)")
    if summary["sessions_total"] is not None:
        table.add_row("sessions established",
                      f"{summary['sessions_established']} / {summary['sessions_total']}")
    findings = summary["findings"]
    assert isinstance(findings, dict)
    table.add_row("findings", ", ".join(f"{v} {k}" for k, v in findings.items() if v) or "none")
    say(table)


def report(
    deployment: Annotated[str, typer.Argument(help="deployment YAML (or 'demo')")],
    out: Annotated[Path, typer.Option("-o", "--out", help="the HTML file to write")],
    configs: Annotated[Path | None, typer.Option(
        "--configs", help="directory of configurations to audit (as `ccsec audit`): statuses "
        "and sessions come from them")] = None,
    lab: Annotated[Path | None, typer.Option(
        "--lab", help="the JSON of `ccsec lab run --json`")] = None,
    perf: Annotated[Path | None, typer.Option(
        "--perf", help="a perfmon CSV (as `ccsec perf judge`): plots and thresholds")] = None,
    cpus: Annotated[int, typer.Option("--cpus", min=1, help="logical CPUs of the perf host")] = 1,
    probe: Annotated[Path | None, typer.Option(
        "--probe", help="the JSON of `ccsec probe --json`: accepted sets and findings")] = None,
    profile: Annotated[str | None, typer.Option(
        "--profile", help=f"override the file's profile: {', '.join(PROFILES)}")] = None,
    waivers: Annotated[Path | None, typer.Option(
        "--waivers", help="YAML file of accepted findings (as `ccsec audit --waivers`)")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
    force: ForceOpt = False,
) -> None:
    """Write one self-contained HTML report: summary, topology picture, findings (sortable,
    filterable), sessions, lab results, perf plots, and every end's policy in every format
    (keys redacted). No network: everything is inline."""
    from ccsec.report.build import build
    from ccsec.report.html import page

    if profile is not None and profile not in PROFILES:
        raise typer.BadParameter(f"unknown profile '{profile}'; use one of {', '.join(PROFILES)}")
    _check_out(out, force)
    dep = load_deployment(deployment)
    n_ends = len({e.host for p in _derived(dep) for e in p.ends})

    with progress(n_ends, "rendering policies") as advance:
        advance("auditing the configurations" if configs else "auditing the plan", 0)
        rep = build(dep, deployment, configs=configs, lab=lab, perf=perf, cpus=cpus,
                    profile=profile, waivers=waivers, probe=probe, tick=advance,
                    on_configs=lambda inv: import_notes(inv.ends, inv.skipped))
    keep(rep)
    atomic_write(out, page(rep))
    summary = rep.summary()
    if json_out:
        print_json({"report": str(out), **summary})
        return
    _print_summary(summary, out)


def _derived(dep: Deployment) -> list[CatalogPath]:
    from ccsec.paths import derive

    return derive(dep)


def register(app: typer.Typer) -> None:
    app.command()(report)
