"""ccsec as a library: the same pipeline as the CLI, as functions that return typed objects.

>>> from ccsec import api
>>> dep = api.load("demo")                        # a path to a deployment YAML, or "demo"
>>> [p.id for p in api.paths(dep)][:2]
['p2-rgr-a-rgr-b', 'p3-rgr-a-rgr-b-priv']
>>> ps = api.plan(dep, profile="strict")          # raises ccsec.errors.PlanError if impossible
Traceback (most recent call last):
...
ccsec.errors.PlanError: path p8-pg1-a-cucm-1: no ... supported by both ends ...

Everything raises :class:`ccsec.errors.UserError` subclasses for bad input (with file, line,
field and a fix), like the CLI.  Optional parts are imported lazily: pandas only for
:meth:`AuditResult.to_dataframe`, the lab only for :func:`lab_run`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import TYPE_CHECKING, Any, Literal

from ccsec.deployment import Deployment
from ccsec.errors import Problem, UserError
from ccsec.findings.text import sort_findings
from ccsec.formats.base import RenderContext
from ccsec.paths import Path, derive, load_deployment
from ccsec.plan import plan as _plan
from ccsec.policy import PolicySet
from ccsec.render import RenderResult, render_policy_set
from ccsec.secrets import SecretResolver

if TYPE_CHECKING:
    import pandas as pd

    from ccsec.audit.context import CoverageRow
    from ccsec.audit.engine import AuditResult as EngineResult
    from ccsec.audit.negotiate import Session
    from ccsec.findings.model import Finding

__all__ = ["AuditResult", "audit", "lab_run", "load", "paths", "plan", "render", "report"]


def load(path: str | FsPath, strict: bool = False) -> Deployment:
    """A deployment file (YAML), validated; ``"demo"`` is the bundled example.  With
    ``strict`` its warnings (a pair with one side, a server inside an agent network…) raise
    too; :func:`ccsec.paths.warnings_of` lists them otherwise."""
    return load_deployment(path, strict=strict)


def paths(dep: Deployment) -> list[Path]:
    """Every path the deployment's ``protection`` asks for: catalog 1–8 and site tunnels."""
    return derive(dep)


def plan(dep: Deployment, profile: str | None = None) -> PolicySet:
    """Both ends of every path: ``profile`` is legacy | recommended | strict (default: the
    deployment's own)."""
    return _plan(dep, profile)


def render(policy_set: PolicySet, format: str | None = None, *, base: str | FsPath | None = None,
           env: dict[str, str] | None = None, redact_keys: bool = False,
           strongswan_version: str | None = None) -> RenderResult:
    """Render every end in ``format`` (None: each end's platform formats, as ``ccsec render``).

    Keys are resolved from ``env`` (default: the process environment) and ``file:`` references
    relative to ``base``; with ``redact_keys=True`` no key is read and every key shows as
    ``<redacted>`` (for reports and reviews).  ``strongswan_version``: the oldest strongSwan
    release the swanctl.conf files must load on (default 5.9.5).  Returns the files in
    memory (``.files`` with ``end``, ``format``, ``path``, ``text``, ``proof``; ``.skipped``
    with the reason)."""
    if redact_keys:
        from ccsec.report.policies import redact, redacted_context

        result = render_policy_set(policy_set, redacted_context(policy_set),
                                   [format] if format else None)
        ends = {e.owner or e.name: e for e in policy_set.ends}
        result.files = [type(f)(f.end, f.format, f.path, redact(f.text, ends[f.end]), f.secret,
                                f.proof) for f in result.files]
        return result
    resolver = SecretResolver(FsPath(base) if base else None, env=env)
    ctx = RenderContext(policy_set.deployment, policy_set.profile, resolver,
                        strongswan_version=strongswan_version)
    return render_policy_set(policy_set, ctx, [format] if format else None)


TABLES = ("findings", "sessions", "coverage")


@dataclass
class AuditResult:
    """What ``ccsec audit`` finds: findings, the session each pair of peers would negotiate,
    and (with a deployment) how each derived path is covered."""

    findings: list[Finding]
    sessions: list[Session]
    coverage: list[CoverageRow] = field(default_factory=list)
    #: the engine's full result (context with the imported ends, waived findings)
    raw: EngineResult | None = field(default=None, repr=False)

    def to_json(self) -> dict[str, object]:
        """Exactly the JSON of ``ccsec audit --json``: ``{"findings", "sessions",
        "coverage"}``."""
        return {"findings": [f.to_json() for f in sort_findings(self.findings)],
                "sessions": [s.to_json() for s in self.sessions],
                "coverage": [c.to_json() for c in self.coverage]}

    def to_dataframe(self, table: Literal["findings", "sessions", "coverage"] = "findings"
                     ) -> pd.DataFrame:
        """One table as a pandas DataFrame (one row per finding / session / path)."""
        if table not in TABLES:
            raise UserError(Problem(f"unknown table '{table}'", field="table",
                                    fix=f"use one of: {', '.join(TABLES)}"))
        try:
            import pandas as pd
        except ImportError:
            raise UserError(Problem("pandas is not installed", field="to_dataframe",
                                    fix="pip install pandas (or use .to_json())")) from None
        rows: list[dict[str, object]]
        if table == "findings":
            rows = [{"rule": f.rule, "severity": f.severity.value, "subject": f.subject,
                     "message": f.message, "fix": f.fix,
                     "file": f.location.file if f.location else None,
                     "line": f.location.line if f.location else None}
                    for f in sort_findings(self.findings)]
        elif table == "sessions":
            rows = [dict(s.to_json()) for s in self.sessions]
        else:
            rows = [c.to_json() for c in self.coverage]
        columns = {"findings": ["rule", "severity", "subject", "message", "fix", "file", "line"],
                   "sessions": ["a", "b", "status", "reason"],
                   "coverage": ["path", "catalog", "a", "b", "status", "session", "detail"]}
        return pd.DataFrame(rows, columns=columns[table])


def audit(dep: Deployment | None = None, configs: str | FsPath | None = None,
          *, waivers: str | FsPath | None = None,
          deployment_file: str | None = None) -> AuditResult:
    """Audit a directory (or file) of configurations; with a deployment, coverage of every
    path too.  Without ``configs`` the deployment's own planned policy is audited.
    ``deployment_file`` is where findings about the deployment point (as ``ccsec audit``)."""
    from ccsec.audit.pipeline import run

    res = run(configs, dep, deployment_file=deployment_file, waivers=waivers)
    return AuditResult(res.findings, res.sessions, res.coverage, res)


def report(dep: Deployment, out: str | FsPath, *, configs: str | FsPath | None = None,
           lab: str | FsPath | None = None, perf: str | FsPath | None = None,
           waivers: str | FsPath | None = None,
           source: str = "") -> dict[str, Any]:
    """Write the HTML report (as ``ccsec report``); returns its summary numbers."""
    from ccsec.fileio import atomic_write
    from ccsec.report.build import build
    from ccsec.report.html import page

    rep = build(dep, source or dep.deployment, configs=FsPath(configs) if configs else None,
                lab=FsPath(lab) if lab else None, perf=FsPath(perf) if perf else None,
                waivers=FsPath(waivers) if waivers else None)
    atomic_write(FsPath(out), page(rep))
    return rep.summary()


def lab_run(dep: Deployment, *, profile: str | None = None, hosts: list[str] | None = None,
            faults: bool = False, base: str | FsPath | None = None,
            **options: Any) -> dict[str, Any]:
    """Prove the deployment on real strongSwan (as ``ccsec lab run``; needs root and the
    lab's Debian packages).  Returns the lab's report document: ``{"results": [...],
    "faults": [...], "ok": bool, ...}``.  Always tears the lab down."""
    from ccsec.lab.runner import run

    return run(dep, profile=profile, hosts=hosts, faults=faults,
               base=FsPath(base) if base else None, **options)
