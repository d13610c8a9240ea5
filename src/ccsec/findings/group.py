"""Findings grouped by rule and cause, for people: one row instead of dozens of identical ones.

ccsec's own demo produced 24 low ``IPSEC-IKE-004`` rows that differ only in their subject, each
repeating the same message, fix and citations; a 300-site plan produces 7,245 findings of four
causes.  A reader wants "this rule fired for this reason on these 20 subjects".  The text output
and the HTML report both group through :func:`group_findings`; JSON and SARIF keep one result
per subject (SARIF's model is one result per location, and scripts filter by subject).

A *cause* is the rule, the severity, the fix and the message with the names of the
deployment's objects (hosts, gateways, sites, agent networks, paths — ``names``, see
:func:`names_of`) taken out: "the peer cucm1-00001 is Communications Manager" and "the peer
cucm2-00007 is …" are one cause, while another sentence of the same rule stays another cause.
Without names (no deployment) the message itself is the cause.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import cached_property

from ccsec.deployment.model import Deployment
from ccsec.findings.model import Finding, Location, Severity

#: what stands in a cause for a name taken out of the message
NAMED = "…"
_TOKEN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?")


@dataclass(frozen=True)
class FindingGroup:
    """Findings of one rule with one cause; ``findings`` sorted by subject."""

    rule: str
    severity: Severity
    cause: str
    fix: str
    findings: tuple[Finding, ...]

    @cached_property
    def same_message(self) -> bool:
        """Every finding says the same (then the cause is shown as the message)."""
        return all(f.message == self.findings[0].message for f in self.findings)

    @property
    def message(self) -> str:
        return self.findings[0].message if self.same_message else self.cause

    @property
    def subjects(self) -> list[str]:
        return [f.subject for f in self.findings]

    @property
    def locations(self) -> list[Location]:
        """Where each finding is, in subject order (findings without a place are left out)."""
        return [f.location for f in self.findings if f.location is not None]

    def __len__(self) -> int:
        return len(self.findings)


def names_of(dep: Deployment, path_ids: Iterable[str] = ()) -> frozenset[str]:
    """Every name a finding's message may carry for one subject."""
    out = {h.name for h in dep.hosts} | {s.name for s in dep.sites}
    out |= {g.name for _, g in dep.gateways()}
    out |= {n.name for n in dep.agent_networks}
    out |= set(path_ids)
    return frozenset(out)


def cause_of(message: str, names: Collection[str]) -> str:
    """``message`` with every name of ``names`` replaced by :data:`NAMED`."""
    if not names:
        return message
    return _TOKEN.sub(lambda m: NAMED if m.group(0) in names else m.group(0), message)


def adds_to(message: str, subject: str, names: Collection[str]) -> bool:
    """The message names something its subject does not (then a grouped row shows it)."""
    return any(m.group(0) in names and m.group(0) not in subject
               for m in _TOKEN.finditer(message))


def group_findings(findings: Iterable[Finding],
                   names: Collection[str] = ()) -> list[FindingGroup]:
    """Groups, most severe first, then by rule id, cause and fix; subjects in name order."""
    buckets: dict[tuple[str, Severity, str, str], list[Finding]] = {}
    # one cause per distinct message: a 1,000-site audit has 27,000 findings, 84 messages
    causes: dict[str, str] = {}
    for f in findings:
        cause = causes.get(f.message)
        if cause is None:
            cause = causes[f.message] = cause_of(f.message, names)
        buckets.setdefault((f.rule, f.severity, cause, f.fix), []).append(f)
    groups = [
        FindingGroup(rule, sev, cause, fix,
                     tuple(sorted(members, key=lambda f: (f.subject, _line(f), f.message))))
        for (rule, sev, cause, fix), members in buckets.items()
    ]
    groups.sort(key=lambda g: (-g.severity.rank, g.rule, g.cause, g.fix))
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
