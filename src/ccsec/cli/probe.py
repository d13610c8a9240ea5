"""ccsec probe — ask a live gateway, over IKE only, which IKE proposals it really accepts.

Exit codes as everywhere: 0, or 1 when a finding reaches ``--fail-on``; 2 on a usage or input
error (a target that does not resolve, an unknown end, a bad option value).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from ccsec.cli.common import console, load_deployment, print_json, stages
from ccsec.errors import Problem, UserError


class OutFormat(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"


class Versions(StrEnum):
    v1 = "1"
    v2 = "2"
    both = "both"


def _groups(value: str | None) -> tuple[int, ...] | None:
    if value is None:
        return None
    from ccsec.probe.iana import KE_GROUPS

    try:
        groups = tuple(int(x) for x in value.split(",") if x.strip())
    except ValueError:
        raise typer.BadParameter("a comma-separated list of DH group numbers, e.g. 14,19,20") \
            from None
    unknown = [g for g in groups if g not in KE_GROUPS]
    if unknown or not groups:
        raise typer.BadParameter(f"groups a probe can offer: {', '.join(map(str, KE_GROUPS))}")
    return groups


def _end(deployment: str | None, end: str | None):
    """The planned EndPolicy of ``--as END`` (both options or neither)."""
    if deployment is None and end is None:
        return None
    if deployment is None or end is None:
        raise UserError(Problem("--deployment and --as go together", field="--as",
                                fix="ccsec probe TARGET --deployment D.yaml --as END"))
    from ccsec.plan import plan

    ps = plan(load_deployment(deployment))
    names = sorted(e.owner or e.name for e in ps.ends)
    chosen = next((e for e in ps.ends if (e.owner or e.name) == end), None)
    if chosen is None:
        raise UserError(Problem(f"no end '{end}' in {deployment}", field="--as",
                                fix=f"one of: {', '.join(names)}"))
    return chosen


def probe(
    target: Annotated[str, typer.Argument(
        metavar="TARGET", help="the gateway's address or name (the only destination of every "
        "packet)")],
    port: Annotated[int, typer.Option("--port", min=1, max=65535,
                                      help="UDP port (4500: with the non-ESP marker)")] = 500,
    ike: Annotated[Versions, typer.Option("--ike", help="IKE versions to ask: 1 | 2 | both")] =
    Versions.both,
    deployment: Annotated[str | None, typer.Option(
        "--deployment", help="deployment YAML (or 'demo'): compare with what ccsec planned")] =
    None,
    end: Annotated[str | None, typer.Option(
        "--as", help="the end (gateway or host) of the deployment this target is")] = None,
    fmt: Annotated[OutFormat, typer.Option("--format", help="text | json | sarif")] =
    OutFormat.text,
    json_out: Annotated[bool, typer.Option("--json", help="same as --format json")] = False,
    fail_on: Annotated[str | None, typer.Option(
        "--fail-on", help="exit 1 when a finding is at or above: critical, high, medium, low, "
        "info")] = None,
    rate: Annotated[float, typer.Option("--rate", min=0.1, help="packets per second, at most")] =
    10.0,
    budget: Annotated[int, typer.Option("--budget", min=1, help="packets for the whole probe")] =
    2000,
    timeout: Annotated[float, typer.Option("--timeout", min=1, help="seconds for the whole "
                                           "probe")] = 600.0,
    wait: Annotated[float, typer.Option("--wait", min=0.1, help="seconds to wait for one "
                                        "answer")] = 2.0,
    retries: Annotated[int, typer.Option("--retries", min=0, max=10,
                                         help="retransmissions of an unanswered request")] = 2,
    half_open: Annotated[int, typer.Option(
        "--half-open", min=1, help="accepted requests (half-open SAs on the gateway) per hold "
        "window; strongSwan ignores a peer at 5")] = 4,
    half_open_hold: Annotated[float, typer.Option(
        "--half-open-hold", min=0.0, help="seconds a half-open SA lives on the gateway "
        "(strongSwan: 30)")] = 30.0,
    max_packet: Annotated[int, typer.Option("--max-packet", min=512, max=65000,
                                            help="bytes of one IKE message")] = 3000,
    groups: Annotated[str | None, typer.Option(
        "--groups", help="only these DH groups, e.g. 14,19,20 (default: all 22 groups)")] =
    None,
    v1_auth: Annotated[str, typer.Option("--v1-auth", help="IKEv1 authentication method "
                                         "offered: psk | rsa")] = "psk",
    identity: Annotated[str | None, typer.Option(
        "--id", help="identity sent in IKEv1 aggressive mode (default: the probe's address)")] =
    None,
    no_aggressive: Annotated[bool, typer.Option("--no-aggressive",
                                                help="do not ask IKEv1 aggressive mode")] = False,
) -> None:
    """Ask a live gateway which IKE proposals it accepts (IKEv2 and IKEv1, adaptively, far
    fewer packets than one per combination), whether it answers aggressive mode, NAT-T and
    fragmentation support, vendor IDs; judged with the audit's rules and, with --deployment
    and --as, against ccsec's plan. Sends only IKE, only to TARGET, never authenticates."""
    from ccsec.cli.audit import _severity
    from ccsec.findings.sarif import sarif
    from ccsec.findings.text import exit_code
    from ccsec.probe.run import Options
    from ccsec.probe.run import probe as run_probe
    from ccsec.probe.text import print_result
    from ccsec.probe.transport import Limits

    threshold = _severity(fail_on)
    if v1_auth not in ("psk", "rsa"):
        raise typer.BadParameter("--v1-auth is psk or rsa")
    planned = _end(deployment, end)
    versions = {"1": (1,), "2": (2,), "both": (2, 1)}[ike.value]
    opts = Options(target=target, port=port, versions=versions,
                   limits=Limits(rate=rate, budget=budget, wait_s=wait, retries=retries,
                                 timeout_s=timeout, half_open=half_open,
                                 half_open_hold_s=half_open_hold, max_packet=max_packet),
                   v1_auth=v1_auth, identity=identity, groups=_groups(groups),
                   aggressive=not no_aggressive)
    with stages(f"probing {target}"):
        result = run_probe(opts, end=planned, deployment=deployment or "")
    if json_out:
        fmt = OutFormat.json
    if fmt is OutFormat.json:
        print_json(result.to_json())
    elif fmt is OutFormat.sarif:
        print_json(sarif(result.findings, fallback_file=deployment or f"probe/{target}",
                         category="ccsec-probe"))
    else:
        print_result(result, console)
    raise typer.Exit(exit_code(result.findings, threshold))


def register(app: typer.Typer) -> None:
    app.command()(probe)
