"""ccsec logging | logs | perf | collector | posture | phones | ports — operating the system.

Scripts (logging, perf collector, collector windows) go to stdout so they can be redirected to a
file; the summary table goes to stderr.  Commands that judge print rich tables (``--json`` for
scripts) and exit 1 when a finding reaches ``--fail-on``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypedDict

import typer

from ccsec.cli.common import (
    STATE,
    ForceOpt,
    console,
    err,
    load_deployment,
    print_json,
    say,
)
from ccsec.findings.columns import Column, print_literal
from ccsec.findings.model import Finding, Severity
from ccsec.findings.text import exit_code, findings_json, print_findings

if TYPE_CHECKING:
    from rich.console import Console

    from ccsec.monitor.perf import PerfData


class PostureRow(TypedDict):
    """One host of ``ccsec posture`` (table row and ``--json`` object)."""

    file: str
    host: str
    deployment_host: str | None
    newest_hotfix: str | None
    wsus: str | None
    defender: bool
    hips: list[str]
    firewall_off: list[str]
    collector_errors: list[str]


class PhoneRow(TypedDict):
    """One phone of ``ccsec phones`` (table row and ``--json`` object)."""

    line: int
    device: str
    model: str
    pool: str
    security: str | None
    monitoring: str
    pc_port: bool | None
    voice_vlan: bool | None
    span: bool | None
    garp: bool | None

JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]
FailOpt = Annotated[
    str | None,
    typer.Option("--fail-on", help="exit 1 when a finding has this severity or higher: "
                 + ", ".join(s.value for s in Severity)),
]
DeploymentOpt = Annotated[
    str | None,
    typer.Option("--deployment", "-d", help="deployment YAML (or 'demo') to tie results to"),
]


#: every table here fits the terminal without cutting what must stay whole (ids, addresses,
#: ports, file names); the most expendable columns are left out first, ``--wide`` keeps all
_LOG_FILE_COLUMNS = (Column("file"), Column("format", atomic=True),
                     Column("format verified", drop=2), Column("events", justify="right"),
                     Column("skipped lines", justify="right", drop=1))
_TIMELINE_COLUMNS = (Column("time", atomic=True), Column("where", atomic=True, drop=1),
                     Column("logged by", atomic=True), Column("event", atomic=True),
                     Column("text"))
_PERF_COLUMNS = (Column("counter"), Column("group", atomic=True, drop=6),
                 Column("n", justify="right", drop=5), Column("missing", justify="right", drop=4),
                 Column("min", justify="right", atomic=True, drop=3),
                 Column("avg", justify="right", atomic=True, drop=2),
                 Column("p95", justify="right", atomic=True),
                 Column("max", justify="right", atomic=True))
_POSTURE_COLUMNS = (Column("file", atomic=True, drop=3), Column("host", atomic=True),
                    Column("deployment host", atomic=True, drop=4),
                    Column("newest hotfix", atomic=True), Column("WSUS"),
                    Column("Defender", atomic=True), Column("HIPS", drop=2),
                    Column("firewall off"), Column("collector errors", drop=1))
_PHONE_COLUMNS = (Column("line", atomic=True, justify="right", drop=3),
                  Column("device", atomic=True), Column("model", atomic=True, drop=2),
                  Column("pool", atomic=True, drop=4), Column("security", atomic=True),
                  Column("monitoring", atomic=True, drop=5), Column("PC port"),
                  Column("PC voice VLAN"), Column("span to PC"), Column("GARP", drop=1))
_PORT_COLUMNS = (Column("path", atomic=True), Column("listener"), Column("address"),
                 Column("client", drop=4), Column("proto", atomic=True, drop=2),
                 Column("ports"), Column("purpose", drop=1), Column("note", drop=3))


def _table(out: Console, columns: tuple[Column, ...], rows: list[list[str]],
           title: str) -> None:
    print_literal(out, columns, rows, title, STATE.wide)


def _severity(value: str | None) -> Severity | None:
    if value is None:
        return None
    try:
        return Severity(value.lower())
    except ValueError:
        raise typer.BadParameter(f"unknown severity '{value}'; use one of "
                                 + ", ".join(s.value for s in Severity),
                                 param_hint="'--fail-on'") from None


def _finish(findings: list[Finding], fail_on: Severity | None, json_out: bool,
            extra: dict[str, object] | None = None, title: str = "findings") -> None:
    if json_out:
        print_json({**(extra or {}), "findings": findings_json(findings)})
    else:
        print_findings(findings, console, title)
    code = exit_code(findings, fail_on)
    if code:
        raise typer.Exit(code)


# ---------------------------------------------------------------------- logging

def logging_cmd(
    action: Annotated[str, typer.Argument(help="enable | disable")],
    target: Annotated[str, typer.Option("--target", help="windows-legacy | windows | strongswan")],
    json_out: JsonOpt = False,
) -> None:
    """Print the script that turns IKE logging on (or off again) — ccsec never changes a host.

    windows-legacy: the Oakley.log registry value + Policy Agent restart (the guide's steps);
    windows: auditpol by subcategory GUID + netsh wfp net events; strongswan: charon loggers."""
    from ccsec.monitor import logscripts

    if action not in ("enable", "disable"):
        raise typer.BadParameter(f"unknown action '{action}'; use enable or disable")
    if target not in logscripts.TARGETS:
        raise typer.BadParameter(f"unknown target '{target}'; use one of "
                                 + ", ".join(logscripts.TARGETS))
    text = logscripts.script(action, target)
    if json_out:
        print_json({"action": action, "target": target, "kind": logscripts.KIND[target],
                    "script": text})
        return
    other = "disable" if action == "enable" else "enable"
    _table(err, (Column("target", atomic=True), Column("script"), Column("undo")),
           [[target, logscripts.KIND[target], f"ccsec logging {other} --target {target}"]],
           title=f"ccsec logging {action} --target {target}")
    typer.echo(text, nl=False)


# ------------------------------------------------------------------------- logs

def logs(
    files: Annotated[list[Path], typer.Argument(help="charon logs, Oakley.log, Windows event "
                                                "exports, ccsec collector files")],
    deployment: DeploymentOpt = None,
    json_out: JsonOpt = False,
    fail_on: FailOpt = None,
) -> None:
    """Per-peer timeline of IKE negotiations and one diagnosis per failure; with --deployment
    each diagnosis names the path, the end that deviates from its plan, and the fix."""
    from ccsec.monitor.logs import parse_file
    from ccsec.monitor.logs.diagnose import PlanIndex, diagnose, negotiations, timelines
    from ccsec.plan import plan

    threshold = _severity(fail_on)
    parsed = [parse_file(f) for f in files]
    index = None
    if deployment:
        dep = load_deployment(deployment)
        index = PlanIndex(dep, plan(dep), deployment)
    negs = negotiations(parsed)
    found = diagnose(negs, index)
    lines = timelines(negs)
    name = index.name if index else (lambda a: a or "?")
    files_info = [{"file": p.file, "format": p.fmt, "verified": p.verified,
                   "events": len(p.events), "skipped_lines": p.skipped} for p in parsed]
    if json_out:
        tl = [{"ends": [name(t.pair[0]), name(t.pair[1])], "outcome": t.outcome,
               "events": [{"time": e.time.isoformat() if e.time else None, "file": e.file,
                           "line": e.line, "logged_by": name(e.local), "kind": e.kind.value,
                           "text": e.text} for e in t.events]} for t in lines]
        _finish(found, threshold, True, {"files": files_info, "timelines": tl})
        return
    _table(console, _LOG_FILE_COLUMNS,
           [[str(fi["file"]), str(fi["format"]),
             "yes (real samples)" if fi["verified"] else "no (from documentation)",
             str(fi["events"]), str(fi["skipped_lines"])] for fi in files_info],
           title="log files")
    for t in lines:
        _table(console, _TIMELINE_COLUMNS,
               [[e.time.strftime("%m-%d %H:%M:%S") if e.time else "", e.where, name(e.local),
                 e.kind.value, e.text] for e in t.events],
               title=f"{name(t.pair[0])} ↔ {name(t.pair[1])}: {t.outcome}")
    _finish(found, threshold, False, title="diagnosis")


# ------------------------------------------------------------------------- perf

perf_app = typer.Typer(help="performance counters: collector commands and judging the CSV",
                       no_args_is_help=True)


@perf_app.command("collector")
def perf_collector(
    interval: Annotated[int, typer.Option("--interval", min=1, max=3600,
                                          help="seconds between samples")] = 15,
    samples: Annotated[int, typer.Option("--samples", min=1, help="number of samples")] = 240,
    json_out: JsonOpt = False,
) -> None:
    """Print typeperf/logman commands with the correct Windows counter paths (the guide's list,
    corrected, plus the IPsec counter sets)."""
    from ccsec.monitor.perf import COUNTERS, IPSEC_COUNTERS, collector_commands, counter_file

    script = collector_commands(interval, samples)
    rows = [{"guide": c.guide, "path": c.path, "group": c.group, "confidence": c.mark}
            for c in COUNTERS + IPSEC_COUNTERS]
    if json_out:
        print_json({"counters": rows, "counter_file": counter_file(), "script": script})
        return
    _table(err, (Column("guide says"), Column("collect"),
                 Column("group", atomic=True, drop=2), Column("confidence", atomic=True, drop=1)),
           [[r["guide"] or "-", r["path"], r["group"], r["confidence"]] for r in rows],
           title="counters (guide wording → real PDH path)")
    typer.echo(script, nl=False)


@perf_app.command("judge")
def perf_judge(
    file: Annotated[Path, typer.Argument(help="typeperf/logman/relog CSV (PDH-CSV 4.0)")],
    out: Annotated[Path | None, typer.Option("-o", "--out", help="write PNG plots here")] = None,
    cpus: Annotated[int, typer.Option("--cpus", min=1, help="logical CPUs of the host "
                                      "(per-CPU thresholds)")] = 1,
    json_out: JsonOpt = False,
    fail_on: FailOpt = None,
    force: ForceOpt = False,
) -> None:
    """Per-counter min/avg/p95/max, the documented thresholds (with their source) as findings,
    and one PNG per counter group with the thresholds marked."""
    from ccsec.monitor.judge import judge
    from ccsec.monitor.perf import group_of, parse_csv, stats
    from ccsec.textio import read_text

    threshold = _severity(fail_on)
    data = parse_csv(read_text(file), str(file))
    rows = []
    for s in data.series:
        st = stats(s)
        rows.append({"counter": s.column.label, "machine": s.column.machine,
                     "group": group_of(s.column), "n": st.n if st else 0,
                     "missing": st.missing if st else len(s.values),
                     "min": st.min if st else None, "avg": st.avg if st else None,
                     "p95": st.p95 if st else None, "max": st.max if st else None})
    found = judge(data, cpus)
    plots = [str(p) for p in (_plots(data, out, cpus, force) if out else [])]
    if json_out:
        _finish(found, threshold, True, {"file": str(file), "decimal": data.decimal,
                                         "time_zone": data.zone, "bias_minutes":
                                         data.bias_minutes, "counters": rows, "plots": plots})
        return
    _table(console, _PERF_COLUMNS,
           [[str(r["counter"]), str(r["group"]), str(r["n"]), str(r["missing"]),
             *[f"{r[k]:,.2f}" if r[k] is not None else "-" for k in ("min", "avg", "p95", "max")]]
            for r in rows],
           title=f"{file}: {len(data.series[0].values) if data.series else 0} samples, "
           f"zone {data.zone}, decimal '{data.decimal}'")
    for p in plots:
        console.print(f"plot: {p}")
    _finish(found, threshold, False, title="thresholds")


def _plots(data: PerfData, out: Path, cpus: int, force: bool) -> list[Path]:
    """The PNGs, all drawn before any is written; an existing PNG is replaced only with
    --force, and nothing else in the directory is touched."""
    from ccsec.monitor.plot import plot

    return plot(data, out, cpus, force)


# -------------------------------------------------------------------- collector

collector_app = typer.Typer(help="read-only collectors to run on hosts", no_args_is_help=True)


@collector_app.command("windows")
def collector_windows(
    schema: Annotated[bool, typer.Option("--schema", help="print the JSON Schema of the file the "
                                         "script writes instead")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Print ONE read-only PowerShell script that writes ccsec-<HOST>.json: NetIPsec policy
    (ActiveStore, netsh ipsec static), hotfixes, Windows Update/WSUS policy, Defender, HIPS
    agents, firewall profiles, IPsec events. Pre-shared keys are never collected."""
    from ccsec.collector.schema import CollectorExport
    from ccsec.collector.windows import HIPS_SERVICES, script

    if schema:
        print_json(CollectorExport.model_json_schema(by_alias=True))
        return
    sections = (("ipsec", "Get-NetIPsec* -PolicyStore ActiveStore, netsh ipsec static "
                 "show all (PSKs redacted)"), ("hotfixes", "Get-HotFix, WUA history"),
                ("windows_update", "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\"
                 "WindowsUpdate"), ("defender", "Get-MpPreference, Get-MpComputerStatus"),
                ("hips", "Get-Service " + ", ".join(HIPS_SERVICES) + " [U]"),
                ("firewall_profiles", "Get-NetFirewallProfile"),
                ("ipsec_events", "Get-WinEvent Security 4650-4655, 4960-4984, 5451-5453"))
    if json_out:
        print_json({"writes": "ccsec-<HOST>.json", "sections": [
            {"section": sec, "source": src} for sec, src in sections], "script": script()})
        return
    _table(err, (Column("section", atomic=True), Column("source")),
           [[sec, src] for sec, src in sections],
           title="ccsec collector windows → ccsec-<HOST>.json (run elevated)")
    typer.echo(script(), nl=False)


# ---------------------------------------------------------------------- posture

def _busy(value: str) -> tuple[int, int]:
    try:
        a, b = value.split("-")
        ha, ma = (int(x) for x in a.split(":"))
        hb, mb = (int(x) for x in b.split(":"))
        if not (0 <= ha < 24 and 0 <= hb <= 24 and 0 <= ma < 60 and 0 <= mb < 60):
            raise ValueError
    except ValueError:
        raise typer.BadParameter(f"'{value}' is not HH:MM-HH:MM") from None
    return ha * 60 + ma, hb * 60 + mb


def posture(
    exports: Annotated[list[Path] | None, typer.Argument(help="collector files "
                                                         "(ccsec-<HOST>.json)")] = None,
    deployment: DeploymentOpt = None,
    max_patch_age: Annotated[int, typer.Option("--max-patch-age", min=1,
                                               help="days since the newest update")] = 45,
    max_definition_age: Annotated[int, typer.Option("--max-definition-age", min=0,
                                                    help="days of AV definitions")] = 2,
    busy_hours: Annotated[str, typer.Option("--busy-hours", help="no scheduled scans in this "
                                            "window, HH:MM-HH:MM")] = "07:00-20:00",
    icm_root: Annotated[str, typer.Option("--icm-root", help="ICM install root to be excluded "
                                          "from scans")] = "C:\\icm",
    json_out: JsonOpt = False,
    fail_on: FailOpt = None,
) -> None:
    """Host posture (patches/WSUS, antivirus settings per Cisco, HIPS, firewall) from collector
    files, and segmentation from the deployment."""
    from ccsec.checks.posture import PostureOptions, check_host, match_host, segmentation
    from ccsec.collector.posture import load_export

    threshold = _severity(fail_on)
    if not exports and not deployment:
        raise typer.BadParameter("pass collector files and/or --deployment")
    opts = PostureOptions(max_patch_age, max_definition_age, _busy(busy_hours), icm_root)
    dep = load_deployment(deployment) if deployment else None
    hosts = [load_export(p) for p in exports or []]
    found: list[Finding] = segmentation(dep, deployment) if dep and deployment else []
    rows: list[PostureRow] = []
    for hx in hosts:
        found += check_host(hx, dep, opts)
        h = match_host(hx.data, dep)
        d = hx.data
        newest = max((x.installed_on or "" for x in d.hotfixes), default="")[:10]
        rows.append(PostureRow(file=hx.file, host=d.host.computer_name,
                     deployment_host=h.name if h else None, newest_hotfix=newest or None,
                     wsus=d.windows_update.wu_server, defender=d.defender.available,
                     hips=[s.name for s in d.hips.found],
                     firewall_off=[p.name for p in d.firewall_profiles
                                   if (p.enabled or "").lower() in ("false", "0")],
                     collector_errors=[e.section for e in d.errors]))
    if json_out:
        _finish(found, threshold, True, {"hosts": rows})
        return
    _table(console, _POSTURE_COLUMNS,
           [[str(r["file"]), str(r["host"]), str(r["deployment_host"] or "-"),
             str(r["newest_hotfix"] or "-"), str(r["wsus"] or "-"),
             "yes" if r["defender"] else "no", ", ".join(r["hips"]) or "-",
             ", ".join(r["firewall_off"]) or "-", ", ".join(r["collector_errors"]) or "-"]
            for r in rows],
           title="hosts")
    _finish(found, threshold, False, title="posture")


# ----------------------------------------------------------------------- phones

def phones(
    export: Annotated[Path, typer.Argument(help="Communications Manager phone export (CSV)")],
    deployment: DeploymentOpt = None,
    monitoring: Annotated[str | None, typer.Option(
        "--monitoring", help="desktop (CTI OS/desktop silent monitoring or PC-based recording) "
        "| cm (Communications Manager-based) | none; default from the deployment's agent "
        "networks, else desktop")] = None,
    numeric_encoding: Annotated[str | None, typer.Option(
        "--numeric-encoding", help="'vendorconfig': read 0/1 as in SEP*.cnf.xml "
        "(0 = Enabled) [U]")] = None,
    json_out: JsonOpt = False,
    fail_on: FailOpt = None,
) -> None:
    """Phone settings that break monitoring/recording, and device security modes the contact
    center does not support."""
    from ccsec.checks.phones import check, monitoring_from
    from ccsec.collector.phones import parse
    from ccsec.textio import read_text

    threshold = _severity(fail_on)
    if monitoring not in (None, "desktop", "cm", "none"):
        raise typer.BadParameter("--monitoring must be desktop, cm or none")
    if numeric_encoding not in (None, "vendorconfig"):
        raise typer.BadParameter("--numeric-encoding must be vendorconfig")
    dep = load_deployment(deployment) if deployment else None
    items = parse(read_text(export), str(export), numeric=numeric_encoding == "vendorconfig")
    mon = monitoring_from(dep, monitoring).bind(items)
    found = check(items, str(export), mon)

    def fmt(v: bool | None) -> str:
        return "-" if v is None else ("enabled" if v else "disabled")

    rows = [PhoneRow(line=p.line, device=p.name, model=p.model, pool=p.pool,
                     security=p.security or p.security_text or None, monitoring=mon.of(p),
                     pc_port=p.settings.get("pc_port"), voice_vlan=p.settings.get("voice_vlan"),
                     span=p.settings.get("span"), garp=p.settings.get("garp"))
            for p in items]
    if json_out:
        _finish(found, threshold, True, {"phones": rows})
        return
    _table(console, _PHONE_COLUMNS,
           [[str(r["line"]), str(r["device"]), str(r["model"]), str(r["pool"] or "-"),
             str(r["security"] or "-"), str(r["monitoring"]), fmt(r["pc_port"]),
             fmt(r["voice_vlan"]), fmt(r["span"]), fmt(r["garp"])] for r in rows],
           title=f"{export}: {len(items)} phones")
    _finish(found, threshold, False, title="phones")


# ------------------------------------------------------------------------ ports

def _slots(values: list[str] | None) -> dict[str, int]:
    out = {}
    for v in values or []:
        host, _, n = v.partition("=")
        if not host or n not in ("1", "2", "3"):
            raise typer.BadParameter(f"'{v}' is not HOST=1|2|3")
        out[host] = int(n)
    return out


def ports(
    deployment: Annotated[str, typer.Argument(help="deployment YAML (or 'demo')")],
    fmt: Annotated[str, typer.Option("--format", help="text | csv | json")] = "text",
    instance: Annotated[int, typer.Option("--instance", min=0, max=24,
                                          help="ICM instance number: port = base + 40 × "
                                          "instance")] = 0,
    pg_slot: Annotated[list[str] | None, typer.Option(
        "--pg-slot", help="HOST=N: the PG is the Nth installed on its box (PG1/PG2/PG3; "
        "default 1)")] = None,
    secure: Annotated[bool, typer.Option("--secure", help="15.0 secure-mode ports")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="same as --format json")] = False,
) -> None:
    """For every derived path the TCP/UDP ports each side listens on (instance-aware) and the
    IKE/NAT-T/ESP ports; components that must not be firewall-segmented are called out."""
    from ccsec.ports import do_not_segment, matrix

    if fmt not in ("text", "csv", "json"):
        raise typer.BadParameter("--format must be text, csv or json")
    if json_out:
        fmt = "json"
    dep = load_deployment(deployment)
    slots = _slots(pg_slot)
    unknown = [h for h in slots if h not in {x.name for x in dep.hosts}]
    if unknown:
        raise typer.BadParameter(f"--pg-slot names unknown hosts: {', '.join(unknown)}")
    entries = matrix(dep, instance, secure, slots)
    callouts = do_not_segment(dep)
    if fmt == "json":
        print_json({"deployment": dep.deployment, "instance": instance, "secure": secure,
                    "pg_slots": slots, "entries": [e.to_json() for e in entries],
                    "do_not_segment": callouts})
        return
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(entries[0].to_json()) if entries else ["path"],
                           lineterminator="\n")
        w.writeheader()
        for e in entries:
            w.writerow(e.to_json())
        typer.echo(buf.getvalue(), nl=False)
        return
    _table(console, _PORT_COLUMNS,
           [[e.path, e.listener, e.listener_address, e.client, e.protocol, e.ports, e.purpose,
             e.note] for e in entries],
           title=f"{dep.deployment}: ports per path (instance {instance}, "
           f"{'secure' if secure else 'non-secure'} mode)")
    if callouts:
        _table(console, (Column("host", atomic=True), Column("role", atomic=True),
                         Column("reason")),
               [[c["host"], c["role"], c["reason"]] for c in callouts],
               title="do not segment with a firewall")
    say(f"source: {entries[0].source if entries else ''}")


def register(app: typer.Typer) -> None:
    app.command("logging")(logging_cmd)
    app.command()(logs)
    app.add_typer(perf_app, name="perf")
    app.add_typer(collector_app, name="collector")
    app.command()(posture)
    app.command()(phones)
    app.command()(ports)

