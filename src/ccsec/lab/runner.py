"""``lab run``: up + verify (+ faults) + down, always down, even on errors and Ctrl-C."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ccsec.deployment.model import Deployment
from ccsec.lab.build import up
from ccsec.lab.faults import run_faults
from ccsec.lab.report import document
from ccsec.lab.state import LabState, interruptible, teardown
from ccsec.lab.verify import verify


def run(
    dep: Deployment,
    *,
    profile: str | None = None,
    hosts: list[str] | None = None,
    datapath: str = "auto",
    faults: bool = False,
    only_faults: list[str] | None = None,
    base: Path | None = None,
    keep: bool = False,
    step: Callable[[str], None] | None = None,
    on_up: Callable[[LabState], None] | None = None,
) -> dict[str, Any]:
    """The whole proof for one deployment; returns the report document."""
    say = step or (lambda _m: None)
    with interruptible():
        state = up(dep, profile=profile, hosts=hosts, datapath=datapath, base=base, step=say)
        try:
            if on_up is not None:
                on_up(state)
            say(f"verifying {len(state.checks)} paths and tunnels")
            v = verify(state)
            fault_results = (run_faults(state, only=only_faults, step=say)
                             if faults or only_faults else [])
            return document(state, v.results, v.links, fault_results)
        finally:
            if not keep:
                say("tearing the lab down")
                teardown(state)
