"""Findings grouped by rule and cause, for people: one row instead of dozens of identical ones.

ccsec's own demo produced 24 low ``IPSEC-IKE-004`` rows that differ only in their subject, each
repeating the same message, fix and citations; a 1,000-site audit produces tens of thousands.
A reader wants "this rule fired for this reason on these 20 subjects".  The text output and the
HTML report group through :func:`group_findings`; JSON and SARIF keep one result per subject
(SARIF's model is one result per location, and scripts filter by subject).

Findings belong to one group when rule, severity, message and fix are equal: the message is
the cause (messages that name the subject, such as "the peer cucm-1 is …", stay apart, which is
right — they are different causes).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ccsec.findings.model import Finding, Location, Severity


@dataclass(frozen=True)
class FindingGroup:
    """Findings of one rule with one cause; ``findings`` sorted by subject."""

    rule: str
    severity: Severity
    message: str
    fix: str
    findings: tuple[Finding, ...]

    @property
    def subjects(self) -> list[str]:
        return [f.subject for f in self.findings]

    @property
    def locations(self) -> list[Location]:
        """Where each finding is, in subject order (findings without a place are left out)."""
        return [f.location for f in self.findings if f.location is not None]

    def __len__(self) -> int:
        return len(self.findings)


def group_findings(findings: Iterable[Finding]) -> list[FindingGroup]:
    """Groups, most severe first, then by rule id and message; subjects in name order."""
    buckets: dict[tuple[str, Severity, str, str], list[Finding]] = {}
    for f in findings:
        buckets.setdefault((f.rule, f.severity, f.message, f.fix), []).append(f)
    groups = [
        FindingGroup(rule, sev, message, fix,
                     tuple(sorted(members, key=lambda f: (f.subject, _line(f)))))
        for (rule, sev, message, fix), members in buckets.items()
    ]
    groups.sort(key=lambda g: (-g.severity.rank, g.rule, g.message))
    return groups


def _line(f: Finding) -> tuple[str, int]:
    if f.location is None:
        return "", 0
    return f.location.file, f.location.line or 0


def subject_list(group: FindingGroup, limit: int = 12) -> str:
    """The subjects as one line for a table cell: all of them up to ``limit``, then a count
    ("a, b, c and 1,204 more") — the full list is in ``--no-group`` and JSON output."""
    subjects = group.subjects
    if len(subjects) <= limit:
        return ", ".join(subjects)
    return f"{', '.join(subjects[:limit])} and {len(subjects) - limit:,} more"
