"""Helpers the configuration check families share: citations and a per-rule hit collector.

A check may see the same weakness in several proposals of one rule; the collector folds them
into one finding per (end, rule, check rule) so a report lists each problem once with every
place it occurs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ccsec.audit.model import ImportedEnd
from ccsec.findings.model import CheckRule, Finding, Severity, finding
from ccsec.policy import Rule

SEED_POLICY = ("seed 000 「IPSec ポリシーの設定」 (IPsec policy configuration: SHA1/3DES, "
               "DH group 2)")
SEED_LOGJAM = ("seed 000 「キー交換のセキュリティ方式」 note: DH ≥ 2048 bits against Logjam "
               "(CVE-2015-4000)")
SEED_PSK = "seed 000 「IPSec ポリシーの設定」 note: PSK is weak, stored in plain text, test only"
SEED_NAT = "seed 000 「NAT のサポート」 (NAT support)"
SEED_NAT_T = "seed 000 「IPSec と NAT の透過性」 (IPsec and NAT transparency)"
SEED_TUNNEL = ("seed 000 「トンネルモードでの IPSec のサポート」 (tunnel mode, QoS before "
               "encryption)")
SEED_PATHS = "seed 000 「転送モードでの IPSec のサポート」 supported communication paths 1–8"
SEED_CUCM = ("seed 000 「Unified Communications Manager への IPSec 接続」 (no Kerberos across "
             "domains)")
GUIDE = "algorithm-guidance.md §1.7 (audit-rule table)"


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
