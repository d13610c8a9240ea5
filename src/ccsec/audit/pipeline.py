"""The one way to run an audit: the CLI (``ccsec audit``), the API (``api.audit``) and the
report (``ccsec report``) all call :func:`run`, so they read, pair, judge and waive alike.

An audit is a pure function of its inputs — the configurations, the deployment, the waivers and
today's date — and keeps no state between runs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from ccsec.audit.context import Unreadable
from ccsec.audit.engine import AuditResult, planned_ends, run_audit
from ccsec.audit.inventory import Inventory, load_directory
from ccsec.audit.resolve import HostsTable, resolve_names
from ccsec.audit.waivers import load as load_waivers
from ccsec.deployment.model import Deployment
from ccsec.errors import Problem, UserError
from ccsec.plan import plan
from ccsec.policy import PolicySet


def nothing_recognised(configs: Path, inv: Inventory) -> Problem:
    """An audit that read no configuration is an input error, not a clean result: a typo in
    ``--configs`` must not turn a CI job green."""
    reasons: dict[str, int] = {}
    for s in inv.skipped:
        key = s.reason.split(":", 1)[0] if s.unreadable else s.reason
        reasons[key] = reasons.get(key, 0) + 1
    why = "; ".join(f"{n} {r}" for r, n in sorted(reasons.items(), key=lambda kv: -kv[1])[:3])
    broken = [f"{s.path}" + (f":{s.line}" if s.line else "") + f": {s.reason}"
              for s in inv.skipped if s.unreadable][:3]
    return Problem(f"no configuration ccsec reads was recognised in {configs}: looked at "
                   f"{inv.files} file(s)" + (f" ({why})" if why else "") +
                   ("; cannot read " + "; ".join(broken) if broken else ""), field="--configs",
                   fix="point --configs at the running configurations (IOS, swanctl.conf, "
                   "ipsec.conf, netsh or PowerShell exports, CUCM sheets, collector JSON); "
                   "`ccsec -v audit …` says why each file was skipped")


def run(configs: str | Path | None = None, deployment: Deployment | None = None, *,
        deployment_file: str | None = None, waivers: str | Path | None = None,
        profile: str | None = None, planned: PolicySet | None = None,
        today: date | None = None,
        on_inventory: Callable[[Inventory], None] | None = None,
        hosts: HostsTable | None = None,
        include_dirs: tuple[Path, ...] = (),
        load_deployment: Callable[[], Deployment] | None = None) -> AuditResult:
    """Audit the configurations under ``configs`` (a directory or one file); with a
    ``deployment``, coverage of every path too.  Without ``configs`` the deployment's own
    planned policy (``planned``, when the caller has it already; else planned now with
    ``profile``, default the deployment's) is audited.

    ``deployment_file`` is where findings about the deployment point; ``waivers`` a YAML file of
    accepted findings; ``on_inventory`` receives what was read (progress, ``--verbose``);
    ``hosts`` resolves the host names configurations give for their peers (``--hosts``);
    ``include_dirs`` are directories outside ``configs`` that strongSwan ``include`` statements
    may read from (``--include-dir``; by default includes stay inside ``configs``).
    ``load_deployment`` gives the deployment instead of ``deployment``: it is loaded while
    worker processes read the configurations (the CLI's way: half a second at 1,000 sites)."""
    accepted = load_waivers(Path(waivers)) if waivers else None
    waivers_file = str(waivers or "waivers")
    if configs is None:
        if deployment is None and load_deployment is not None:
            deployment = load_deployment()
        if deployment is None:
            raise UserError(Problem("nothing to audit", field="--configs",
                                    fix="give a deployment, a directory of configurations, "
                                        "or both"))
        ends = planned_ends(planned or plan(deployment, profile))
        return run_audit(ends, deployment, deployment_file, accepted, today, waivers_file)
    inv = load_directory(Path(configs), deployment, include_dirs=include_dirs,
                         load=load_deployment)
    deployment = inv.deployment
    resolve_names(inv.ends, hosts)
    if on_inventory is not None:
        on_inventory(inv)
    if not inv.ends:
        raise UserError(nothing_recognised(Path(configs), inv))
    unreadable = [Unreadable(s.path, s.reason, s.line) for s in inv.skipped if s.unreadable]
    result = run_audit(inv.ends, deployment, deployment_file, accepted, today, waivers_file,
                       unreadable)
    result.skipped = list(inv.skipped)
    return result
