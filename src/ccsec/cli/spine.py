"""ccsec paths | plan | render | schema | demo | init — from a deployment file to rendered
policy."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ccsec.cli.common import (
    PROOF_HELP,
    STATE,
    console,
    detail,
    load_deployment,
    print_json,
    progress,
    say,
)
from ccsec.crypto import PROFILES, STRONGSWAN_DEFAULT, STRONGSWAN_OLDEST, strongswan_target
from ccsec.deployment.demo import demo_text
from ccsec.deployment.model import Deployment
from ccsec.errors import Problem, UserError
from ccsec.fileio import OutFile, check_target, write_tree
from ccsec.formats.base import RenderContext
from ccsec.formats.registry import get as get_format
from ccsec.formats.registry import names as format_names
from ccsec.paths import derive
from ccsec.plan import plan as make_plan
from ccsec.policy import EndPolicy, PolicySet
from ccsec.render import RenderResult, output_files, render_policy_set
from ccsec.secrets import SecretResolver

DeploymentArg = Annotated[
    str, typer.Argument(help="deployment YAML file (or 'demo' for the bundled example)")
]
ProfileOpt = Annotated[
    str | None,
    typer.Option("--profile", help=f"override the file's profile: {', '.join(PROFILES)}"),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]


def _check_profile(profile: str | None) -> None:
    if profile is not None and profile not in PROFILES:
        raise typer.BadParameter(f"unknown profile '{profile}'; use one of {', '.join(PROFILES)}")


def paths(deployment: DeploymentArg, json_out: JsonOpt = False) -> None:
    """Every path that must be protected (catalog 1–8) and every site tunnel."""
    dep = load_deployment(deployment)
    found = derive(dep)
    if json_out:
        print_json([p.to_json() for p in found])
        return
    table = Table(title=f"{dep.deployment}: {len(found)} protected paths "
                  f"(protection: {dep.protection})")
    for col in ("id", "catalog", "mode", "auth", "end A", "end B", "NAT"):
        table.add_column(col)
    for p in found:
        a, b = p.ends
        table.add_row(p.id, str(p.catalog), p.mode, p.auth, f"{a.host} {a.address}",
                      f"{b.host} {b.address}", "yes" if p.crosses_nat else "")
    console.print(table)


@dataclass(frozen=True)
class EndSummary:
    """One row of ``ccsec plan``: what an end gets, in words."""

    end: str | None
    platform: str | None
    rules: int
    ike_versions: list[int]
    auth: list[str]
    ike: list[str]
    esp: list[str]
    pfs: list[int]
    modes: list[str]

    @classmethod
    def of(cls, end: EndPolicy) -> EndSummary:
        rs = end.rules
        return cls(end.owner, end.platform, len(rs), sorted({r.ike.version for r in rs}),
                   sorted({a.method for r in rs for a in r.auth}),
                   sorted({p.label() for r in rs for p in r.ike.proposals}),
                   sorted({p.label() for r in rs for p in r.esp}),
                   sorted({r.pfs_group for r in rs if r.pfs_group}),
                   sorted({r.mode for r in rs}))


def _plan_summary(ps: PolicySet) -> list[EndSummary]:
    return [EndSummary.of(end) for end in ps.ends]


def plan(deployment: DeploymentArg, profile: ProfileOpt = None, json_out: JsonOpt = False) -> None:
    """The policy each host and gateway gets: rules, IKE/ESP proposals, authentication."""
    _check_profile(profile)
    dep = load_deployment(deployment)
    ps = make_plan(dep, profile)
    rows = _plan_summary(ps)
    if json_out:
        print_json({"deployment": ps.deployment, "profile": ps.profile,
                    "ends": [asdict(r) for r in rows]})
        return
    table = Table(title=f"{ps.deployment}: profile {ps.profile}, {len(ps.ends)} ends, "
                  f"{sum(len(e.rules) for e in ps.ends)} rules")
    for col in ("end", "platform", "rules", "IKE", "auth", "IKE proposals", "ESP", "PFS"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            str(r.end), str(r.platform), str(r.rules),
            ",".join(f"v{v}" for v in r.ike_versions),
            ", ".join(r.auth), "\n".join(r.ike), "\n".join(r.esp),
            ",".join(str(g) for g in r.pfs) or "none",
        )
    console.print(table)


def _strongswan_version(given: str | None, dep: Deployment) -> str | None:
    """``--strongswan-version``, else the deployment's; a release ccsec cannot write for is a
    clear error (exit 2)."""
    if given is None:
        return dep.strongswan_version
    try:
        strongswan_target(given)
    except ValueError as exc:
        raise UserError(Problem(str(exc), field="--strongswan-version",
                                fix=f"give a release such as {STRONGSWAN_DEFAULT}, "
                                f"{STRONGSWAN_OLDEST} or later")) from None
    return given


def _render(dep: Deployment, profile: str | None, formats: list[str] | None,
            base: Path, strongswan_version: str | None = None
            ) -> tuple[PolicySet, RenderResult, RenderContext]:
    ps = make_plan(dep, profile)
    ctx = RenderContext(dep.deployment, ps.profile, SecretResolver(base),
                        strongswan_version=_strongswan_version(strongswan_version, dep))
    with progress(len(ps.ends), "rendering") as advance:
        return ps, render_policy_set(ps, ctx, formats or None, on_end=advance), ctx


def _report_render(out: Path, result: RenderResult) -> None:
    table = Table(title=f"rendered into {out}")
    for col in ("end", "format", "file", "proof", "key inside"):
        table.add_column(col)
    for f in result.files:
        table.add_row(f.end, f.format, f.path, f.proof, "yes (0600)" if f.secret else "")
        if f.proof != "lab":
            detail(f"{f.path}: syntax only — {get_format(f.format).proof_note}")
    say(table)
    for s in result.skipped:
        console.print(f"[yellow]skipped[/] {s.format} for {s.end}: {s.reason}")
    say(PROOF_HELP)


def render(
    deployment: DeploymentArg,
    out: Annotated[Path, typer.Option("-o", "--out", help="output directory")],
    fmt: Annotated[
        list[str] | None,
        typer.Option("--format", help=f"formats to render (repeatable): {', '.join(format_names())}"
                     "; default: each end's own platform formats"),
    ] = None,
    profile: ProfileOpt = None,
    strongswan_version: Annotated[
        str | None,
        typer.Option("--strongswan-version",
                     help="the oldest strongSwan release the swanctl.conf files must load on "
                     f"(default: the deployment's strongswan_version, else {STRONGSWAN_DEFAULT}"
                     "); keys of later releases are not written"),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Write each end's policy in its platform's formats: OUT/<end>/<file> + OUT/index.json.

    Files that hold a pre-shared key are written with mode 0600; nothing is written if any
    end cannot be rendered.
    """
    _check_profile(profile)
    check_target(out)
    dep = load_deployment(deployment)
    base = Path(deployment).resolve().parent
    ps, result, ctx = _render(dep, profile, fmt, base, strongswan_version)
    files = output_files(ps, result, ctx)
    write_tree(out, files)
    if json_out:
        print_json(json.loads(files["index.json"].text))
    else:
        _report_render(out, result)


def schema() -> None:
    """The JSON Schema of the deployment file."""
    print_json(Deployment.model_json_schema())


def demo(
    out: Annotated[Path, typer.Option("-o", "--out", help="output directory")] = Path("ccsec-demo"),
    json_out: JsonOpt = False,
) -> None:
    """Render the bundled example deployment (central controller A/B, AW/HDS, a remote PG site
    behind NAT with Communications Manager in another domain) into ./ccsec-demo/."""
    check_target(out)
    dep = load_deployment("demo")
    found = derive(dep)
    ps, result, ctx = _render(dep, None, None, Path.cwd())
    files = output_files(ps, result, ctx)
    files["deployment.yaml"] = OutFile(demo_text())
    write_tree(out, files)
    if json_out:
        print_json({"out": str(out), **json.loads(files["index.json"].text)})
        return
    say(f"[bold]{dep.deployment}[/]: {len(dep.sites)} sites, {len(dep.hosts)} hosts, "
        f"{len(found)} protected paths (profile {dep.profile})")
    if not STATE.quiet:
        paths("demo")
    _report_render(out, result)
    say(f"next: [bold]ccsec paths {out}/deployment.yaml[/], "
        f"[bold]ccsec plan {out}/deployment.yaml[/], "
        f"[bold]ccsec report {out}/deployment.yaml --configs {out} -o report.html[/]")


def init(
    file: Annotated[Path, typer.Argument(help="the deployment file to create")] =
    Path("deployment.yaml"),
) -> None:
    """Write an annotated starter deployment file (every role explained in comments); never
    overwrites a file."""
    from importlib.resources import files as package_files

    text = package_files("ccsec").joinpath("data/starter.yaml").read_text(encoding="utf-8")
    try:
        with open(file, "x", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    except FileExistsError:
        raise UserError(Problem(f"{file} already exists", field="FILE",
                                fix="choose another name (ccsec init never overwrites)")) from None
    except OSError as exc:
        raise UserError(Problem(f"cannot create {file}: {exc.strerror}", field="FILE")) from None
    say(f"wrote {file}: edit it, then run [bold]ccsec paths {file}[/] and "
        f"[bold]ccsec report {file} -o report.html[/]")


def register(app: typer.Typer) -> None:
    app.command()(paths)
    app.command()(plan)
    app.command(help=(render.__doc__ or "") + "\n\n" + PROOF_HELP)(render)
    app.command()(schema)
    app.command()(demo)
    app.command()(init)
