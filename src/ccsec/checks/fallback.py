"""Filter-action checks: no fall back to clear text, no inbound passthrough, the default
response rule never active, rules that exist but are off (the IPsec policy wizard steps of
Cisco's contact center guide).

"No clear-text fallback" is spelled differently per platform; the
parsers map each to the model's inbound/outbound security: netsh ``soft=yes`` / ``inpass=yes``,
PowerShell Request, strongSwan without a trap policy (``start_action = none``, ``auto = add``).
"""

from __future__ import annotations

from collections.abc import Iterable

from ccsec.audit.context import AuditContext
from ccsec.checks.common import Collector
from ccsec.findings.model import Finding, Location, Severity, finding, rule
from ccsec.findings.sources import (
    CCE_IPSEC,
    CUCM_IPSEC,
    MS_NETSH_IPSEC,
    MS_NEW_IPSEC_RULE,
    STRONGSWAN_SWANCTL,
)

F = "fallback"
WIZARD = CCE_IPSEC.at("IPsec Policy Configuration, steps 3 and 5 (do not activate the default "
                      "response rule; negotiate security; do not communicate with computers "
                      "that do not support IPsec)")
#: how each platform says "require": the vendors' own pages
REQUIRE = (MS_NEW_IPSEC_RULE.at("-InboundSecurity / -OutboundSecurity Require"),
           MS_NETSH_IPSEC.at("add filteraction: soft, inpass"),
           STRONGSWAN_SWANCTL.at("connections.<conn>.children.<child>.start_action = trap"))

CLEAR_OUT = rule(
    "IPSEC-FB-001", "Outbound traffic falls back to clear text (Request mode / soft / no trap)",
    Severity.HIGH, F,
    "When the peer does not answer IKE the traffic leaves unencrypted: Windows Request "
    "(netsh soft=yes), strongSwan without a trap policy. Cisco's guide requires 'do not "
    "communicate with computers that do not support IPsec'.",
    "Require security both ways: netsh soft=no inpass=no; PowerShell -InboundSecurity Require "
    "-OutboundSecurity Require; strongSwan start_action = trap (auto = route).",
    (WIZARD, *REQUIRE))
CLEAR_IN = rule(
    "IPSEC-FB-002", "Inbound clear text accepted (passthrough / Request inbound)",
    Severity.MEDIUM, F,
    "The end accepts unprotected packets from the peer (netsh inpass=yes, PowerShell "
    "-InboundSecurity Request/None), so an attacker on the path can inject clear traffic.",
    "Set inbound security to Require (netsh inpass=no; -InboundSecurity Require).",
    (WIZARD, *REQUIRE[:2]))
DEFAULT_RULE = rule(
    "IPSEC-FB-003", "Default response rule activated", Severity.LOW, F,
    "Cisco's guide, wizard step 3: do not activate the default response rule. Windows Vista and "
    "later ignore it [D], so the risk is on older hosts only.",
    "netsh ipsec static set policy name=<p> activatedefaultrule=no",
    (WIZARD, MS_NETSH_IPSEC.at("set policy activatedefaultrule (ignored on Windows Vista and "
                               "later) [D]")))
DISABLED = rule(
    "IPSEC-FB-004", "IPsec rule present but disabled", Severity.MEDIUM, F,
    "The policy exists but does not apply (Windows Enabled False, CUCM 'Enable Policy' "
    "unchecked), so the path it was written for is not protected.",
    "Enable the rule (Set-NetIPsecRule -Enabled True; CUCM: tick Enable Policy) or delete it.",
    (CUCM_IPSEC.at("Enable Policy"), MS_NEW_IPSEC_RULE.at("-Enabled")))


def check(ctx: AuditContext) -> Iterable[Finding]:
    c = Collector()
    out: list[Finding] = []
    for end, r in ctx.rules():
        if not r.enabled:
            c.add(DISABLED, end, r, "the rule is disabled")
            continue
        if r.action != "negotiate":
            continue
        if r.outbound != "require":
            c.add(CLEAR_OUT, end, r, f"outbound security is {r.outbound}: traffic goes out in "
                  "clear text while no SA exists")
        if r.inbound != "require":
            c.add(CLEAR_IN, end, r, f"inbound security is {r.inbound}: clear packets from the "
                  "peer are accepted")
    for end in ctx.ends:
        if end.policy.default_response_rule:
            out.append(finding(DEFAULT_RULE, end.subject(),
                               f"policy {end.policy.name} activates the default response rule",
                               Location(end.source, end.locations.get("policy"))))
    return out + c.findings()
