"""ccsec paths | plan | render | schema | demo | init — from a deployment file to rendered
policy."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ccsec.cli.common import (
    PROOF_HELP,
    STATE,
    ForceOpt,
    console,
    detail,
    keep,
    load_deployment,
    print_json,
    progress,
    say,
    stages,
)
from ccsec.cli.complete import complete_profile, complete_render_format
from ccsec.crypto import PROFILES, STRONGSWAN_DEFAULT, STRONGSWAN_OLDEST, strongswan_target
from ccsec.deployment.demo import demo_text
from ccsec.deployment.model import Deployment
from ccsec.errors import Problem, UserError
from ccsec.fileio import MARKER, OutFile, TreeWriter, check_target, write_tree
from ccsec.findings.columns import Column, fit, terminal_width
from ccsec.formats.base import RenderContext
from ccsec.formats.registry import get as get_format
from ccsec.formats.registry import names as format_names
from ccsec.paths import derive
from ccsec.plan import plan as make_plan
from ccsec.policy import EndPolicy, PolicySet
from ccsec.render import (
    Encoded,
    Rendered,
    RenderResult,
    Skipped,
    index_json,
    name_ends,
    output_files,
    paths_index,
    render_policy_set,
    selection,
)
from ccsec.secrets import SecretResolver

DeploymentArg = Annotated[
    str, typer.Argument(help="deployment YAML file (or 'demo' for the bundled example)")
]
ProfileOpt = Annotated[
    str | None,
    typer.Option("--profile", metavar="PROFILE", autocompletion=complete_profile,
                 help=f"override the file's profile: {', '.join(PROFILES)}"),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]


def _check_profile(profile: str | None) -> None:
    if profile is not None and profile not in PROFILES:
        raise typer.BadParameter(f"unknown profile '{profile}'; use one of {', '.join(PROFILES)}")


#: ``ccsec paths``: ids and ends stay whole; the catalog number goes first when narrow
_PATH_COLUMNS = (Column("id", atomic=True), Column("catalog", drop=2),
                 Column("auth", atomic=True, drop=1), Column("end A", atomic=True),
                 Column("end B", atomic=True), Column("NAT", atomic=True))


def paths(deployment: DeploymentArg, json_out: JsonOpt = False) -> None:
    """Every path that must be protected (catalog 1–8) and every site tunnel (catalog
    "tunnel" is tunnel mode, every numbered path transport mode)."""
    dep = load_deployment(deployment)
    with stages(f"deriving the paths of {len(dep.hosts):,} hosts"):
        found = derive(dep)
    keep(found)
    if json_out:
        print_json([p.to_json() for p in found])
        return
    rows = []
    for p in found:
        a, b = p.ends
        rows.append([p.id, str(p.catalog), p.auth, f"{a.host}\n{a.address}",
                     f"{b.host}\n{b.address}", "yes" if p.crosses_nat else ""])
    fit(_PATH_COLUMNS, rows, terminal_width(console), STATE.wide,
        title=f"{dep.deployment}: {len(found):,} protected paths "
        f"(protection: {dep.protection})").print(console)


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


#: ``ccsec plan``: names and proposals stay whole; platform and IKE versions go first
_PLAN_COLUMNS = (Column("end", atomic=True), Column("platform", drop=3),
                 Column("rules", justify="right"), Column("IKE", drop=2),
                 Column("auth", atomic=True, drop=1), Column("IKE proposals", atomic=True),
                 Column("ESP", atomic=True), Column("PFS", atomic=True, drop=4))


def _plan_summary(ps: PolicySet) -> list[EndSummary]:
    return [EndSummary.of(end) for end in ps.ends]


def plan(deployment: DeploymentArg, profile: ProfileOpt = None, json_out: JsonOpt = False) -> None:
    """The policy each host and gateway gets: rules, IKE/ESP proposals, authentication."""
    _check_profile(profile)
    dep = load_deployment(deployment)
    with stages(f"planning {len(dep.hosts):,} hosts"):
        ps = make_plan(dep, profile)
    keep(ps)
    rows = _plan_summary(ps)
    if json_out:
        print_json({"deployment": ps.deployment, "profile": ps.profile,
                    "ends": [asdict(r) for r in rows]})
        return
    table_rows = [[str(r.end), str(r.platform), str(r.rules),
                   ",".join(f"v{v}" for v in r.ike_versions), "\n".join(r.auth),
                   "\n".join(r.ike), "\n".join(r.esp),
                   ",".join(str(g) for g in r.pfs) or "none"] for r in rows]
    fit(_PLAN_COLUMNS, table_rows, terminal_width(console), STATE.wide,
        title=f"{ps.deployment}: profile {ps.profile}, {len(ps.ends):,} ends, "
        f"{sum(len(e.rules) for e in ps.ends):,} rules").print(console)


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
            base: Path, strongswan_version: str | None = None,
            on_file: Callable[[Rendered], None] | None = None
            ) -> tuple[PolicySet, RenderResult, RenderContext, Encoded]:
    selection(formats)  # an unknown --format fails before the plan is made
    target = _strongswan_version(strongswan_version, dep)
    with stages(f"planning {len(dep.hosts):,} hosts") as step:
        ps = make_plan(dep, profile)
        step("rendering")
    ctx = RenderContext(dep.deployment, ps.profile, SecretResolver(base),
                        strongswan_version=target)
    encoded: list[Encoded] = []  # index.json's paths, encoded while the workers render
    with progress(len(ps.ends), "rendering") as advance:
        result = render_policy_set(ps, ctx, formats or None, on_end=advance,
                                   on_refused=_refusal_details, on_file=on_file,
                                   meanwhile=lambda: encoded.append(paths_index(ps)))
    return ps, result, ctx, encoded[0]


def _refusal_details(group: Skipped) -> None:
    """--verbose: every reason a format could not express some ends, one line each."""
    for reason in group.reasons:
        detail(f"{group.format}: {reason}")


def _report_render(out: Path, result: RenderResult) -> None:
    """What was written, per format (the file list is ``index.json``), then one line per
    format and cause that was not rendered, then the ends no selected format is for."""
    by_format: dict[str, list[Rendered]] = {}
    for f in result.files:
        by_format.setdefault(f.format, []).append(f)
    table = Table(title=f"rendered into {out}: {len(result.files):,} files "
                  f"(list and hashes: {out / 'index.json'})")
    for col in ("format", "ends", "file", "proof", "keys inside"):
        table.add_column(col)
    for name, files in by_format.items():
        keys = sum(f.secret for f in files)
        table.add_row(name, name_ends([f.end for f in files], limit=3),
                      get_format(name).file_name, files[0].proof,
                      f"{keys} (0600)" if keys else "")
        for f in files:
            if f.proof != "lab":
                detail(f"{f.path}: syntax only — {get_format(name).proof_note}")
    say(table)
    for s in result.skipped:
        say(f"[yellow]not rendered[/]: {s.format} for {len(s.ends):,} end(s) "
            f"({name_ends(list(s.ends))}): {s.reason}" + (f" — {s.fix}" if s.fix else ""),
            markup=True, soft_wrap=True)
    if result.unselected:
        say(f"{len(result.unselected):,} other end(s) skipped ({name_ends(result.unselected)}): "
            f"their platforms have no {' or '.join(result.selected or ())} format",
            soft_wrap=True)
    say(PROOF_HELP)


def render(
    deployment: DeploymentArg,
    out: Annotated[Path, typer.Option("-o", "--out", metavar="DIR", help="output directory")],
    fmt: Annotated[
        list[str] | None,
        typer.Option("--format", metavar="FORMAT", autocompletion=complete_render_format,
                     help="render only these formats (repeatable), each for the ends whose "
                     f"platform has it: {', '.join(format_names())}; 'all' (the default): "
                     "every format of each end's platform"),
    ] = None,
    profile: ProfileOpt = None,
    strongswan_version: Annotated[
        str | None,
        typer.Option("--strongswan-version", metavar="RELEASE",
                     help="the oldest strongSwan release the swanctl.conf files must load on "
                     f"(default: the deployment's strongswan_version, else {STRONGSWAN_DEFAULT}"
                     "); keys of later releases are not written"),
    ] = None,
    json_out: JsonOpt = False,
    force: ForceOpt = False,
) -> None:
    """Write each end's policy in its platform's formats: OUT/<end>/<file> + OUT/index.json.

    Files that hold a pre-shared key are written with mode 0600; nothing is written if any
    end cannot be rendered.  An existing OUT is replaced only with --force, and only when it
    is an unchanged tree ccsec wrote.
    """
    _check_profile(profile)
    check_target(out, force)
    dep = load_deployment(deployment)
    base = Path(deployment).resolve().parent
    # each end's files go into the output's stage while the next ends are rendered; the
    # tree replaces OUT only once everything is written (an error leaves OUT as it was)
    with TreeWriter(out, force) as writer:
        digests: dict[str, str] = {}

        def write(f: Rendered) -> None:
            digests[f.path] = writer.add(f.path, OutFile(f.text, f.secret))

        ps, result, ctx, paths = _render(dep, profile, fmt, base, strongswan_version,
                                         on_file=write)
        keep(ps, result, ctx, digests)
        with stages(f"writing the index of {len(result.files):,} files into {out}"):
            index = index_json(ps, result, ctx, digests, paths)
            writer.add(MARKER, OutFile(index))
            writer.finish()
    if json_out:
        print_json(json.loads(index))
    else:
        _report_render(out, result)


def schema() -> None:
    """The JSON Schema of the deployment file."""
    print_json(Deployment.model_json_schema())


def demo(
    out: Annotated[Path, typer.Option("-o", "--out", help="output directory")] = Path("ccsec-demo"),
    json_out: JsonOpt = False,
    force: ForceOpt = False,
) -> None:
    """Render the bundled example deployment (central controller A/B, AW/HDS, a remote PG site
    behind NAT with Communications Manager in another domain) into ./ccsec-demo/."""
    check_target(out, force)
    dep = load_deployment("demo")
    found = derive(dep)
    ps, result, ctx, _ = _render(dep, None, None, Path.cwd())
    files = output_files(ps, result, ctx)
    files["deployment.yaml"] = OutFile(demo_text())
    write_tree(out, files, force)
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
    app.command(help=inspect.cleandoc(render.__doc__ or "") + "\n\n" + PROOF_HELP)(render)
    app.command()(schema)
    app.command()(demo)
    app.command()(init)
