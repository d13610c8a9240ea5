"""ccsec synth — synthetic deployments of any size (benchmarks, scale tests, demos of fan-out)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ccsec.cli.common import ForceOpt, say
from ccsec.fileio import atomic_write, check_file_target
from ccsec.synth import MAX_PG_PAIRS, MAX_SITES


def synth(
    sites: Annotated[int, typer.Option("--sites", help=f"remote PG sites (1..{MAX_SITES})")],
    out: Annotated[Path, typer.Option("-o", "--out", help="the deployment file to write")],
    pgs_per_site: Annotated[int, typer.Option(
        "--pgs-per-site", help=f"PG pairs per remote site (1..{MAX_PG_PAIRS})")] = 1,
    nat_fraction: Annotated[float, typer.Option(
        "--nat-fraction", help="share of remote sites behind NAT (0..1)")] = 0.2,
    seed: Annotated[int, typer.Option("--seed", help="same seed, byte-identical file")] = 1,
    central_sites: Annotated[int, typer.Option(
        "--central-sites", help="1: sides A and B in one central site; 2: one site each")] = 2,
    nam_cicm: Annotated[bool, typer.Option(
        "--nam-cicm", help="add a NAM/CICM pair (catalog path 1)")] = False,
    strongswan_fraction: Annotated[float, typer.Option(
        "--strongswan-fraction", help="share of remote gateways on strongSwan, the rest IOS")]
    = 0.4,
    force: ForceOpt = False,
) -> None:
    """Write a realistic synthetic deployment: central controller (Router/Logger sides A and B
    with their private network, AW/HDS, DDS, optional NAM/CICM), and N remote sites with PG
    pairs, Communications Manager, CTI, dialer, agent networks, some behind NAT, IOS or
    strongSwan gateways.  About ten servers per site.  Deterministic for a seed.  An existing
    file is replaced only with --force."""
    check_file_target(out, force, what="deployment file")
    from ccsec.synth import SynthOptions, generate

    opts = SynthOptions(sites=sites, pgs_per_site=pgs_per_site, nat_fraction=nat_fraction,
                        seed=seed, central_sites=central_sites, nam_cicm=nam_cicm,
                        strongswan_fraction=strongswan_fraction)
    made = generate(opts)
    atomic_write(out, made.text)
    say(f"wrote {out}: {made.sites} sites, {made.hosts} hosts, {made.gateways} gateways, "
        f"{made.agent_networks} agent networks (seed {seed}); next: [bold]ccsec plan {out}[/]")


def register(app: typer.Typer) -> None:
    app.command()(synth)
