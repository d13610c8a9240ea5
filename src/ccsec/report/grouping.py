"""Findings grouped for the report: one row per rule and cause, its subjects listed beneath.

ccsec's own 300-site plan yields 7,245 findings of four causes; one row each is what a
reader can act on.  A *cause* is the rule, the severity, the fix and the message with the names of
the deployment's objects (hosts, gateways, sites, agent networks, paths) taken out — so "the
peer cucm1-00001 is Communications Manager" and "the peer cucm2-00007 is …" are one cause,
while "Windows Kerberos authentication runs over IKEv1" stays another cause of the same rule.

Written here because the text output's grouping (``ccsec.findings.group``) had not landed
when the report needed it; once it has, the report uses it, so there is one rule.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import cached_property

from ccsec.deployment.model import Deployment
from ccsec.findings.model import Finding, Severity

#: what stands in a cause for a name taken out of the message
NAMED = "…"
_TOKEN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?")


@dataclass(frozen=True)
class FindingGroup:
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


def names_of(dep: Deployment, path_ids: Iterable[str] = ()) -> frozenset[str]:
    """Every name a finding's message may carry for one subject."""
    out = {h.name for h in dep.hosts} | {s.name for s in dep.sites}
    out |= {g.name for _, g in dep.gateways()}
    out |= {n.name for n in dep.agent_networks}
    out |= set(path_ids)
    return frozenset(out)


def cause_of(message: str, names: Collection[str]) -> str:
    """``message`` with every name of ``names`` replaced by :data:`NAMED`."""
    return _TOKEN.sub(lambda m: NAMED if m.group(0) in names else m.group(0), message)


def adds_to(message: str, subject: str, names: Collection[str]) -> bool:
    """The message names something its subject does not (then a grouped row shows it)."""
    return any(m.group(0) in names and m.group(0) not in subject
               for m in _TOKEN.finditer(message))


def group(findings: Iterable[Finding], names: Collection[str]) -> list[FindingGroup]:
    """Groups most severe first, then by rule and cause; subjects sorted within a group."""
    found: dict[tuple[str, Severity, str, str], list[Finding]] = {}
    for f in findings:
        key = (f.rule, f.severity, cause_of(f.message, names), f.fix)
        found.setdefault(key, []).append(f)
    groups = [FindingGroup(rule, sev, cause, fix,
                           tuple(sorted(items, key=lambda f: (f.subject, f.message))))
              for (rule, sev, cause, fix), items in found.items()]
    return sorted(groups, key=lambda g: (-g.severity.rank, g.rule, g.cause, g.fix))
