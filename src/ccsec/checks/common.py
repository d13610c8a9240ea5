"""Helpers the configuration check families share: citations of the contact center guide and a
per-rule hit collector.

A check may see the same weakness in several proposals of one rule; the collector folds them
into one finding per (end, rule, check rule) so a report lists each problem once with every
place it occurs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ccsec.audit.model import ImportedEnd
from ccsec.findings.model import CheckRule, Finding, Severity, finding
from ccsec.findings.sources import CCE_IPSEC, cve
from ccsec.policy import Rule

#: the contact center guide's IPsec chapter, section by section (every rule that rests on it)
SEED_POLICY = CCE_IPSEC.at("IPsec Support in Transport Mode › IPsec Policy Configuration "
                           "(documented defaults: SHA-1/3DES, Diffie-Hellman group 2)")
SEED_LOGJAM = CCE_IPSEC.at("IPsec Policy Configuration › key exchange security methods, note: "
                           "Diffie-Hellman ≥ 2048 bits against Logjam (CVE-2015-4000)")
SEED_PSK = CCE_IPSEC.at("IPsec Policy Configuration, note: pre-shared keys are weak, stored in "
                        "plain text, for testing only")
SEED_NAT = CCE_IPSEC.at("NAT Support")
SEED_NAT_T = CCE_IPSEC.at("IPsec and NAT Transparency")
SEED_TUNNEL = CCE_IPSEC.at("IPsec Support in Tunnel Mode (QoS classification before "
                           "encryption)")
SEED_PATHS = CCE_IPSEC.at("IPsec Support in Transport Mode › Supported Communication Paths 1–8")
SEED_CUCM = CCE_IPSEC.at("IPsec Connections to Unified Communications Manager (no Kerberos "
                         "across domains: X.509 certificates)")
SEED_EACH_END = CCE_IPSEC.at("IPsec Policy Configuration: a policy for each communication path "
                             "and each end (each server)")
LOGJAM = cve("CVE-2015-4000", "Logjam")


@dataclass
class _Hit:
    rule: CheckRule
    end: ImportedEnd
    ipsec_rule: Rule | None
    aspect: str | None
    severity: Severity | None
    what: list[str] = field(default_factory=list)
    fix: str | None = None


class Collector:
    """Folds repeated hits of one check rule on one (end, rule) into one finding."""

    def __init__(self) -> None:
        self._hits: dict[tuple[int, str, str], _Hit] = {}

    def add(self, r: CheckRule, end: ImportedEnd, rule: Rule | None, what: str,
            aspect: str | None = None, severity: Severity | None = None,
            fix: str | None = None) -> None:
        key = (id(end), rule.name if rule is not None else "", r.id)
        hit = self._hits.get(key)
        if hit is None:
            hit = self._hits[key] = _Hit(r, end, rule, aspect, severity, fix=fix)
        if severity is not None and (hit.severity is None or severity.rank > hit.severity.rank):
            hit.severity = severity
        if what not in hit.what:
            hit.what.append(what)

    def findings(self) -> list[Finding]:
        out = []
        for h in self._hits.values():
            out.append(finding(h.rule, h.end.subject(h.ipsec_rule), "; ".join(h.what),
                               h.end.where(h.ipsec_rule, h.aspect), fix=h.fix,
                               severity=h.severity))
        return out
