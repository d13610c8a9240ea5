"""The audit core: imported ends → sessions → coverage → every check family → waivers.

:func:`run_audit` judges ends already in memory (tests, the lab's differential check); every
command and the API go through :func:`ccsec.audit.run.run`, which reads the ends first.  The
check families are loaded by name from :data:`ccsec.findings.families.AUDIT_FAMILIES`, so this
module depends only on what lies below the checks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from ccsec.audit import coverage
from ccsec.audit.context import AuditContext, CoverageRow, Unreadable
from ccsec.audit.model import ImportedEnd
from ccsec.audit.negotiate import Session
from ccsec.audit.pairing import pair
from ccsec.audit.waivers import Waiver
from ccsec.audit.waivers import apply as apply_waivers
from ccsec.deployment.model import Deployment
from ccsec.findings.families import AFTER_COVERAGE, AUDIT_FAMILIES, load
from ccsec.findings.model import Finding
from ccsec.findings.text import sort_findings
from ccsec.gcpause import gc_paused
from ccsec.policy import PolicySet
from ccsec.workers import default_workers, fork_map, shared

if TYPE_CHECKING:
    from ccsec.audit.inventory import Skipped

#: a family's entry point: the findings of one audit context
Check = Callable[[AuditContext], Iterable[Finding]]


@dataclass
class AuditResult:
    findings: list[Finding]
    sessions: list[Session]
    coverage: list[CoverageRow]
    context: AuditContext
    waived: list[tuple[Finding, Waiver]] = field(default_factory=list)
    #: files under ``--configs`` that were not audited (not a configuration, or unreadable)
    skipped: list[Skipped] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        """Exactly ``{"findings", "sessions", "coverage"}``; a finding has the one shape of
        :meth:`ccsec.findings.model.Finding.to_json`."""
        return {
            "findings": [f.to_json() for f in sort_findings(self.findings)],
            "sessions": [s.to_json() for s in self.sessions],
            "coverage": [c.to_json() for c in self.coverage],
        }


def audit_checks() -> list[Check]:
    """Every audit family's ``check``, in table order."""
    return [module.check for module in load(AUDIT_FAMILIES)]


#: sessions from which the families that do not need coverage run in forked processes beside
#: coverage (1,000 sites: 0.8 s of checks beside 0.4 s of coverage)
PARALLEL_MIN_SESSIONS = 2000
def _judge_one(index: int) -> list[Finding]:
    checks, ctx = shared()  # (the early families' checks, the context after pairing)
    return list(checks[index](ctx))


def _judge(ctx: AuditContext, workers: int | None) -> list[Finding]:
    """Coverage, then every family's findings in table order.  The families that do not read
    coverage (:data:`~ccsec.findings.families.AFTER_COVERAGE`) run in forked processes, one
    family at a time per worker, while this process computes coverage and judges the
    families that need it — when the audit is large; the findings are the same either way."""
    modules = load(AUDIT_FAMILIES)
    early = [m for m in modules if m.__name__ not in AFTER_COVERAGE]
    n = default_workers() if workers is None else workers
    late: dict[str, list[Finding]] = {}

    def after_coverage() -> None:
        coverage.compute(ctx)
        late.update((m.__name__, list(m.check(ctx))) for m in modules
                    if m.__name__ in AFTER_COVERAGE)

    found = fork_map(_judge_one, range(len(early)),
                     n if len(ctx.sessions) >= PARALLEL_MIN_SESSIONS else 1,
                     meanwhile=after_coverage, shared=([m.check for m in early], ctx))
    by_family = dict(zip((m.__name__ for m in early), found, strict=True))
    by_family.update(late)
    return [f for m in modules for f in by_family[m.__name__]]


@gc_paused
def run_audit(ends: list[ImportedEnd], deployment: Deployment | None = None,
              deployment_file: str | None = None, waivers: list[Waiver] | None = None,
              today: date | None = None, waivers_file: str = "waivers",
              unreadable: list[Unreadable] | None = None,
              workers: int | None = None) -> AuditResult:
    """Audit ``ends`` (optionally against a deployment): a pure function of its arguments.
    ``workers``: processes for a large audit (default :func:`ccsec.workers.default_workers`;
    the result is the same for any number)."""
    ctx = AuditContext(list(ends), deployment, deployment_file, list(unreadable or []))
    ctx.sessions = pair(ctx.ends, deployment, workers)
    findings = _judge(ctx, workers)
    waived: list[tuple[Finding, Waiver]] = []
    if waivers:
        findings, waived = apply_waivers(findings, waivers, today, waivers_file)
    sessions = sorted((r.session for r in ctx.sessions), key=lambda s: (s.a, s.b))
    return AuditResult(sort_findings(findings), sessions, ctx.coverage, ctx, waived)


def planned_ends(ps: PolicySet) -> list[ImportedEnd]:
    """The planner's own output as imported ends (audit the plan without rendering)."""
    return [ImportedEnd(policy=e, source=f"plan:{e.owner}", format=e.platform or "",
                        host=e.owner) for e in ps.ends]
