"""ccsec lab up | status | verify | faults | down | run | witness | export — prove the policy
on real strongSwan."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from ccsec.cli.common import STATE, ForceOpt, console, err, load_deployment, print_json
from ccsec.crypto import PROFILES
from ccsec.lab import FAULTS

# The lab's modules (vici, namespaces, captures) are imported inside the commands: every other
# ccsec command would otherwise pay ~0.25 s at start for them.

lab_app = typer.Typer(
    name="lab",
    help="Build the deployment as network namespaces running real strongSwan (one charon per "
    "IPsec end, configured with the strongswan renderer's output), prove every path and site "
    "tunnel (SAs up, traffic flows, zero clear text on the wire, NAT-T exactly behind NAT), "
    "break it under traffic, and remove it. Needs root and the Debian packages of "
    "`make system-deps`.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

DeploymentArg = Annotated[
    str, typer.Argument(help="deployment YAML file (or 'demo' for the bundled example)")
]
ProfileOpt = Annotated[
    str | None,
    typer.Option("--profile", help=f"override the file's profile: {', '.join(PROFILES)}"),
]
HostsOpt = Annotated[
    list[str] | None,
    typer.Option("--hosts", help="run only these hosts (repeatable or comma-separated; "
                 "default: all hosts)"),
]
NoHostsOpt = Annotated[bool, typer.Option("--no-hosts", help="run the gateways only")]
DatapathOpt = Annotated[
    str, typer.Option("--datapath", help="auto (kernel ESP if the kernel has it, else "
                      "userspace kernel-libipsec) | libipsec | kernel")]
LabOpt = Annotated[str | None, typer.Option("--lab", help="lab id (default: the only lab)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]
OnlyOpt = Annotated[
    list[str] | None,
    typer.Option("--only", help=f"run only these faults (repeatable): "
                 f"{', '.join(FAULTS)}"),
]


def _hosts(hosts: list[str] | None, no_hosts: bool) -> list[str] | None:
    if no_hosts:
        return []
    if not hosts:
        return None
    return [h.strip() for item in hosts for h in item.split(",") if h.strip()]


def _check(profile: str | None, datapath: str) -> None:
    if profile is not None and profile not in PROFILES:
        raise typer.BadParameter(f"unknown profile '{profile}'; use one of {', '.join(PROFILES)}")
    if datapath not in ("auto", "libipsec", "kernel"):
        raise typer.BadParameter("--datapath is auto, libipsec or kernel")


def _base(deployment: str) -> Path:
    """Where ``file:`` key references are resolved: next to the deployment file."""
    p = Path(deployment)
    return p.resolve().parent if p.exists() else Path.cwd()


INTERRUPTED_DOWN = "interrupted: everything the lab had made was removed"
INTERRUPTED_UP = "interrupted: the lab is still up (ccsec lab down removes it)"


@contextmanager
def progress(on_interrupt: str) -> Iterator[Callable[[str], None]]:
    """A spinner on stderr whose text follows the lab's steps (never on stdout)."""
    try:
        with _bar() as step:
            yield step
    except KeyboardInterrupt:
        err.print(f"ccsec lab: {on_interrupt}")
        raise


@contextmanager
def _bar() -> Iterator[Callable[[str], None]]:
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err, transient=False) as bar:
        task = bar.add_task("starting", total=None)
        last: list[str] = []

        def step(message: str) -> None:
            if last:
                bar.console.print(f"  [dim]done[/] {last[-1]}")
            last.append(message)
            bar.update(task, description=message)

        yield step
        bar.update(task, description="done")


def _finish(doc: dict[str, Any], json_out: bool) -> None:
    from ccsec.lab.report import print_report

    if json_out:
        print_json(doc)
    else:
        print_report(console, doc, STATE.wide)
    if not doc["ok"]:
        raise typer.Exit(1)


@lab_app.command()
def up(deployment: DeploymentArg, profile: ProfileOpt = None, hosts: HostsOpt = None,
       no_hosts: NoHostsOpt = False, datapath: DatapathOpt = "auto",
       lab: Annotated[str | None, typer.Option("--lab", help="choose the lab id")] = None,
       json_out: JsonOpt = False) -> None:
    """Build and start the lab; it keeps running until `ccsec lab down`."""
    from ccsec.lab.build import up as lab_up
    from ccsec.lab.report import document, print_substitutions
    from ccsec.lab.sas import check_up, snapshot
    from ccsec.lab.state import describe, interruptible

    _check(profile, datapath)
    dep = load_deployment(deployment)
    with interruptible(), progress(INTERRUPTED_DOWN) as step:
        state = lab_up(dep, profile=profile, hosts=_hosts(hosts, no_hosts), datapath=datapath,
                       lab_id=lab, base=_base(deployment), step=step)
    snap = snapshot(state)
    down_ids = [c.id for c in state.checks if not check_up(state, c, snap)]
    doc = {**describe(state), "substitutions": document(state)["substitutions"],
           "timings_s": state.timings, "checks": [c.id for c in state.checks],
           "not_established": down_ids, "reinitiated_at_start": state.kicked}
    if json_out:
        print_json(doc)
        return
    print_substitutions(console, state)
    if down_ids:
        console.print(f"[yellow]not established[/] after {state.timings.get('total_s', 0):g} s: "
                      f"{', '.join(down_ids)} (ccsec lab status shows the SAs)")
    console.print(f"[bold]lab {state.id} is up[/]: {len(state.namespaces())} namespaces, "
                  f"{len(state.charons)} charons, {len(state.checks)} paths and tunnels; "
                  f"{state.timings.get('total_s', 0):g} s")
    console.print(f"next: ccsec lab status, ccsec lab verify, ccsec lab faults, "
                  f"ccsec lab down --lab {state.id}")


@lab_app.command()
def status(lab: LabOpt = None, json_out: JsonOpt = False) -> None:
    """The SA table of every namespace's charon (via vici), like ipsecmon."""
    from ccsec.lab.report import print_status, sa_rows
    from ccsec.lab.sas import snapshot
    from ccsec.lab.state import describe, find

    state = find(lab)
    rows = sa_rows(state, snapshot(state))
    if json_out:
        print_json({**describe(state), "sas": rows})
        return
    print_status(console, state, rows, STATE.wide)


@lab_app.command()
def verify(lab: LabOpt = None, json_out: JsonOpt = False) -> None:
    """Prove every path and site tunnel: SAs up, traffic flows, zero clear text, NAT-T."""
    from ccsec.lab.report import document, print_substitutions
    from ccsec.lab.state import find, interruptible
    from ccsec.lab.verify import verify as lab_verify

    state = find(lab)
    with interruptible(), progress(INTERRUPTED_UP) as step:
        step(f"verifying {len(state.checks)} paths and tunnels")
        v = lab_verify(state)
    if not json_out:
        print_substitutions(console, state)
    _finish(document(state, v.results, v.links), json_out)


@lab_app.command()
def faults(lab: LabOpt = None, only: OnlyOpt = None,
           gateway: Annotated[str | None, typer.Option(
               "--gateway", help="gateway whose charon is killed (default: the first "
               "tunnel's central end)")] = None,
           host: Annotated[str | None, typer.Option(
               "--host", help="host whose charon is stopped (default: the first path's "
               "first end)")] = None,
           json_out: JsonOpt = False) -> None:
    """Break the lab under traffic (charon kill, NAT rebinding, rekey, host stop): recovery
    time and clear-text packets on the wire (must be 0) for each."""
    from ccsec.lab import faults as lab_faults
    from ccsec.lab.report import document
    from ccsec.lab.state import find, interruptible, save

    state = find(lab)
    with interruptible(), progress(INTERRUPTED_UP) as step:
        results = lab_faults.run_faults(state, only=only, gateway=gateway, host=host, step=step)
    save(state)
    doc = document(state, faults=results)
    doc["ok"] = all(f["ok"] for f in results)
    _finish(doc, json_out)


@lab_app.command()
def down(lab: LabOpt = None,
         all_labs: Annotated[bool, typer.Option("--all", help="remove every ccsec lab")] = False,
         json_out: JsonOpt = False) -> None:
    """Remove the lab's processes, namespaces (with their veths) and files. Idempotent."""
    from ccsec.lab.errors import lab_error
    from ccsec.lab.state import all_ids, load_for_teardown, teardown

    running = all_ids()
    if all_labs:
        ids = running
    elif lab is not None:
        ids = [lab]  # even without a state file: its namespaces are found by the lab's prefix
    elif len(running) > 1:
        raise lab_error(f"several labs are running: {', '.join(running)}",
                        fix="choose one with --lab ID, or remove all with --all")
    else:
        ids = running
    removed: dict[str, list[str]] = {}
    for lab_id in ids:
        removed[lab_id] = teardown(load_for_teardown(lab_id))
    if json_out:
        print_json({"removed": removed})
        return
    if not removed:
        console.print("no ccsec lab to remove")
    for lab_id, items in removed.items():
        console.print(f"lab {lab_id}: removed {len(items)} items (charons, namespaces, files)")


@lab_app.command()
def run(deployment: DeploymentArg, profile: ProfileOpt = None, hosts: HostsOpt = None,
        no_hosts: NoHostsOpt = False, datapath: DatapathOpt = "auto",
        with_faults: Annotated[bool, typer.Option("--faults", help="also run every fault")] = False,
        only: OnlyOpt = None,
        keep: Annotated[bool, typer.Option("--keep", help="leave the lab running")] = False,
        json_out: JsonOpt = False) -> None:
    """up + verify (+ faults) + down, with a report; exit 1 if any check fails."""
    from ccsec.lab.runner import run as lab_run

    _check(profile, datapath)
    dep = load_deployment(deployment)
    with progress(INTERRUPTED_DOWN) as step:
        doc = lab_run(dep, profile=profile, hosts=_hosts(hosts, no_hosts), datapath=datapath,
                      faults=with_faults, only_faults=only, base=_base(deployment), keep=keep,
                      step=step)
    if not json_out:
        console.print(f"[bold]data path[/]: {doc['datapath']['name']} — "
                      f"{doc['datapath']['evidence']}")
        for s in doc["substitutions"]:
            console.print(f"  substitution: {s['change']}: {s['reason']} "
                          f"({len(s['where'])} ends/rules)", soft_wrap=True)
    _finish(doc, json_out)


PathOpt = Annotated[
    list[str] | None,
    typer.Option("--path", help="a path or site tunnel id (repeatable; default: the first "
                 "site tunnel and the first host path)"),
]


@lab_app.command()
def witness(deployment: DeploymentArg, path: PathOpt = None, profile: ProfileOpt = None,
            json_out: JsonOpt = False) -> None:
    """A second IKE implementation as witness: libreswan's pluto negotiates each path, both
    ways, with the strongSwan end ccsec rendered; exit 1 if one does not negotiate."""
    from ccsec.lab import witness as lab_witness
    from ccsec.plan import plan as make_plan

    _check(profile, "auto")
    dep = load_deployment(deployment)
    paths = path or lab_witness.default_paths(dep, profile)
    lab_witness.check_paths(make_plan(dep, profile), paths)  # before the spinner starts
    with progress(INTERRUPTED_DOWN) as step:
        found = lab_witness.run_witness(dep, paths, profile=profile, base=_base(deployment),
                                        step=step)
    doc = lab_witness.document(found)
    if json_out:
        print_json(doc)
    else:
        for r in found.runs:
            pluto = r.libreswan
            console.print(
                f"{r.path}: {r.initiator} initiates, IKEv{r.ike_version} — "
                f"strongSwan ({r.strongswan_end}) IKE SA {'up' if r.strongswan_ike else 'NO'}, "
                f"libreswan ({r.libreswan_end}) IKE SA "
                f"{'up' if pluto and pluto.ike else 'NO'}, CHILD SA "
                f"{'negotiated' if r.negotiated else 'NOT negotiated'}"
                + (" (pluto's kernel has no ESP to install it)"
                   if pluto and pluto.kernel_refused else ""), soft_wrap=True)
            if not r.negotiated:
                for line in r.evidence:
                    console.print(f"  {line}", soft_wrap=True, markup=False)
    if not found.ok:
        raise typer.Exit(1)


@lab_app.command()
def export(deployment: DeploymentArg,
           containerlab: Annotated[Path, typer.Option(
               "--containerlab", help="directory to write the containerlab topology, the "
               "nodes' files, verify.sh and a Dockerfile into")],
           profile: ProfileOpt = None, hosts: HostsOpt = None, no_hosts: NoHostsOpt = False,
           datapath: Annotated[str, typer.Option(
               "--datapath", help="libipsec (nodes map /dev/net/tun; runs everywhere) | kernel "
               "(the host kernel's ESP)")] = "libipsec",
           image: Annotated[str, typer.Option(
               "--image", help="container image of every node (build it from the exported "
               "Dockerfile, or push it where your cluster pulls from)")] =
           "ccsec-strongswan-lab:bookworm",
           json_out: JsonOpt = False, force: ForceOpt = False) -> None:
    """Write the same lab as a containerlab topology: one container per namespace, the
    rendered files mounted, the links, NAT nodes, and the checks as verify.sh. Runs on any
    host with containerlab, and unchanged on Kubernetes through clabernetes.  An existing
    directory is replaced only with --force, and only when it is an unchanged tree ccsec
    wrote."""
    from ccsec.fileio import check_target, write_tree
    from ccsec.lab.containerlab import TOPOLOGY_FILE
    from ccsec.lab.containerlab import export as export_lab

    _check(profile, "auto" if datapath not in ("libipsec", "kernel") else datapath)
    if datapath not in ("libipsec", "kernel"):
        raise typer.BadParameter("--datapath is libipsec or kernel")
    check_target(containerlab, force)
    dep = load_deployment(deployment)
    files = export_lab(dep, profile=profile, hosts=_hosts(hosts, no_hosts),
                       datapath="kernel" if datapath == "kernel" else "libipsec", image=image,
                       base=_base(deployment))
    out = write_tree(containerlab, files, force)
    index = json.loads(files["index.json"].text)
    if json_out:
        print_json({"out": str(out), **index})
        return
    console.print(f"containerlab topology written: {out / TOPOLOGY_FILE} "
                  f"({len(index['nodes'])} nodes, {len(index['checks'])} checks); "
                  f"see {out / 'README.md'}", markup=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.add_typer(lab_app, name="lab")
