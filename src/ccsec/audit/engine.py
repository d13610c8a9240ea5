"""The audit pipeline: imported ends → sessions → coverage → every check family → waivers.

``run_audit`` works on ends already in memory (tests, the planner's own output); ``ccsec
audit`` reads them from a directory first (:mod:`ccsec.audit.inventory`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from importlib import import_module

from ccsec.audit import coverage
from ccsec.audit.context import AuditContext, CoverageRow
from ccsec.audit.model import ImportedEnd
from ccsec.audit.negotiate import Session
from ccsec.audit.pairing import pair
from ccsec.audit.waivers import Waiver
from ccsec.audit.waivers import apply as apply_waivers
from ccsec.checks import AUDIT_FAMILIES
from ccsec.checks.model import Finding, Location, finding
from ccsec.deployment.model import Deployment
from ccsec.gcpause import gc_paused
from ccsec.policy import PolicySet
from ccsec.report.findings import sort_findings


@dataclass
class AuditResult:
    findings: list[Finding]
    sessions: list[Session]
    coverage: list[CoverageRow]
    context: AuditContext
    waived: list[tuple[Finding, Waiver]] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        """Exactly ``{"findings", "sessions", "coverage"}`` (issue #3)."""
        return {
            "findings": [_finding_json(f) for f in sort_findings(self.findings)],
            "sessions": [s.to_json() for s in self.sessions],
            "coverage": [c.to_json() for c in self.coverage],
        }


def _finding_json(f: Finding) -> dict[str, object]:
    return {
        "rule": f.rule,
        "severity": f.severity.value,
        "subject": f.subject,
        "message": f.message,
        "fix": f.fix,
        "location": {"file": f.location.file if f.location else None,
                     "line": f.location.line if f.location else None},
    }


@gc_paused
def run_audit(ends: list[ImportedEnd], deployment: Deployment | None = None,
              deployment_file: str | None = None, waivers: list[Waiver] | None = None,
              today: date | None = None, waivers_file: str = "waivers",
              unreadable: list[tuple[str, str, int | None]] | None = None) -> AuditResult:
    """Audit ``ends`` (optionally against a deployment); pure apart from the checks' imports.
    ``unreadable`` lists (file, reason, line) of files an importer rejected."""
    from ccsec.checks.ops import UNREADABLE

    ctx = AuditContext(list(ends), deployment, deployment_file)
    ctx.sessions = pair(ctx.ends, deployment)
    coverage.compute(ctx)
    findings: list[Finding] = [finding(UNREADABLE, path, reason, Location(path, line))
                               for path, reason, line in unreadable or []]
    for name in AUDIT_FAMILIES:
        findings += import_module(name).check(ctx)
    waived: list[tuple[Finding, Waiver]] = []
    if waivers:
        findings, waived = apply_waivers(findings, waivers, today, waivers_file)
    sessions = sorted((r.session for r in ctx.sessions), key=lambda s: (s.a, s.b))
    return AuditResult(sort_findings(findings), sessions, ctx.coverage, ctx, waived)


def planned_ends(ps: PolicySet) -> list[ImportedEnd]:
    """The planner's own output as imported ends (audit the plan without rendering)."""
    return [ImportedEnd(policy=e, source=f"plan:{e.owner}", format=e.platform or "",
                        host=e.owner) for e in ps.ends]
