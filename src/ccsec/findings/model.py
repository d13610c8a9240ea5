"""What every judgement produces: rules with ids, severities, citations, and their findings.

A :class:`CheckRule` is the catalog entry (``ccsec rules`` lists them, ``ccsec explain ID``
prints one); a :class:`Finding` is one occurrence on one subject.  Every command that judges
something — audit, logs, perf, posture, phones — produces Findings through this module, so
they all share one output path (text, JSON, SARIF) and one ``--fail-on`` threshold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from ccsec.errors import Problem, UserError


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def at_least(self, threshold: Severity) -> bool:
        return self.rank >= threshold.rank


_RANK = {Severity.INFO: 0, Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3,
         Severity.CRITICAL: 4}

#: SARIF result level and GitHub "security-severity" per severity (GitHub code scanning's
#: SARIF support: security-severity ≥ 9.0 critical, 7.0–8.9 high, 4.0–6.9 medium, < 4 low)
SARIF_LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
               Severity.LOW: "note", Severity.INFO: "note"}
SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5",
                     Severity.LOW: "2.5"}


@dataclass(frozen=True)
class CheckRule:
    """One catalog entry. ``citations`` name the seed section / RFC § / vendor doc."""

    id: str
    title: str
    severity: Severity
    family: str
    rationale: str
    fix: str
    citations: tuple[str, ...]
    #: which part of the rule rests on an unverified fact ([U]/[V] in the references), if any
    unverified: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "severity": self.severity.value,
            "family": self.family,
            "rationale": self.rationale,
            "fix": self.fix,
            "citations": list(self.citations),
            "unverified": self.unverified,
        }


@dataclass(frozen=True)
class Location:
    file: str
    line: int | None = None


@dataclass(frozen=True)
class Finding:
    """One rule firing on one subject (a device, host, path, session…)."""

    rule: str
    severity: Severity
    subject: str
    message: str
    fix: str
    location: Location | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "subject": self.subject,
            "message": self.message,
            "fix": self.fix,
            # one shape everywhere: an object, with nulls when the finding has no place
            "location": {"file": self.location.file if self.location else None,
                         "line": self.location.line if self.location else None},
        }


class Catalog:
    """All rules by id; ids are unique across families."""

    def __init__(self) -> None:
        self._rules: dict[str, CheckRule] = {}

    def add(self, rule: CheckRule) -> CheckRule:
        if rule.id in self._rules and self._rules[rule.id] != rule:
            raise ValueError(f"duplicate rule id {rule.id}")
        self._rules[rule.id] = rule
        return rule

    def get(self, rule_id: str) -> CheckRule:
        rule = self._rules.get(rule_id) or self._rules.get(rule_id.upper())
        if rule is None:
            raise UserError(Problem(f"no rule with id '{rule_id}'",
                                    fix="list the catalog with `ccsec rules`"))
        return rule

    def all(self) -> list[CheckRule]:
        return sorted(self._rules.values(), key=lambda r: r.id)

    def __contains__(self, rule_id: str) -> bool:
        return rule_id in self._rules


CATALOG = Catalog()


def rule(
    id: str,
    title: str,
    severity: Severity,
    family: str,
    rationale: str,
    fix: str,
    citations: tuple[str, ...] | list[str],
    unverified: str = "",
) -> CheckRule:
    """Define and register a rule (module-level constants in each check family)."""
    return CATALOG.add(CheckRule(id, title, severity, family, rationale, fix, tuple(citations),
                                 unverified))


def finding(
    r: CheckRule,
    subject: str,
    message: str,
    location: Location | None = None,
    fix: str | None = None,
    severity: Severity | None = None,
) -> Finding:
    """A finding of rule ``r``; severity and fix default to the rule's."""
    return Finding(r.id, severity or r.severity, subject, message, fix or r.fix, location)


def worst(findings: list[Finding]) -> Severity | None:
    return max((f.severity for f in findings), key=lambda s: s.rank, default=None)
