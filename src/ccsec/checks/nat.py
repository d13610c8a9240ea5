"""NAT checks (Cisco's contact center guide: "NAT Support" and "IPsec and NAT Transparency").

A NAT between two ends is known from the deployment (a site with ``nat:``) or inferred by the
pairing (an end aims at an address that is not the peer's own).  Session-level NAT failures
(NAT-T off, AH) are reported here rather than as generic phase-2 failures.
"""

from __future__ import annotations

from collections.abc import Iterable

from ccsec.audit.context import AuditContext
from ccsec.checks.common import SEED_NAT, SEED_NAT_T, Collector
from ccsec.deployment.model import Deployment
from ccsec.findings.model import Finding, Location, Severity, finding, rule
from ccsec.findings.sources import IOS_NAT_ORDER

F = "nat"
RFC3948 = "RFC 3948 §2 (UDP encapsulation of ESP, port 4500)"

NO_NATT = rule(
    "IPSEC-NAT-001", "NAT between the peers but NAT traversal disabled", Severity.HIGH, F,
    "IPsec through NAT/PAT needs NAT-T (UDP 4500); without it ESP (IP protocol 50) does not "
    "cross the NAT and the path fails (Cisco's guide: NAT-T is detected and negotiated when "
    "both ends support it).",
    "Re-enable NAT-T (IOS: crypto ipsec nat-transparency udp-encapsulation; Windows: "
    "AllowIPsecThroughNAT Server/Both).",
    (SEED_NAT_T, RFC3948, "RFC 3947 §3 (NAT-Traversal negotiation in IKE)"))
AH_NAT = rule(
    "IPSEC-NAT-002", "AH across NAT", Severity.HIGH, F,
    "AH authenticates the IP header that a NAT rewrites, so AH never survives a NAT (RFC 8221 "
    "§5 prefers ESP-NULL over AH for this reason).",
    "Use ESP (AEAD, or ESP with integrity; ESP-NULL if only integrity is wanted).",
    (SEED_NAT_T, "RFC 8221 §5 (ENCR_NULL note)", "RFC 3715 §2.1 (AH and NAT are incompatible)"))
TRANSPORT_NAT = rule(
    "IPSEC-NAT-003", "Transport mode across NAT", Severity.MEDIUM, F,
    "UDP-encapsulated transport mode (RFC 3948 §3) needs checksum fix-ups and per-platform "
    "opt-ins (Windows AssumeUDPEncapsulationContextOnSendRule [U]); site-to-site traffic should "
    "ride the gateways' tunnel, which is exempt from NAT.",
    "Carry host-to-host paths inside the site tunnel (protection: both) or avoid the NAT.",
    (SEED_NAT, "RFC 3948 §3 (transport mode: checksum fix-up)"),
    unverified="Windows NAT-T registry opt-in for transport mode is [U]")
SILENT_MONITOR = rule(
    "IPSEC-NAT-004", "Agent desktops behind NAT use silent monitoring", Severity.MEDIUM, F,
    "Cisco's guide: agent desktops are supported across NAT except when silent monitoring is "
    "used — "
    "silent monitoring is not supported across NAT.",
    "Carry the agent network inside the site tunnel (no translation), move monitoring to "
    "Communications Manager-based silent monitoring, or turn silent monitoring off there.",
    (SEED_NAT,))
NO_EXEMPTION = rule(
    "IPSEC-NAT-005", "Protected traffic is translated before encryption (no NAT exemption)",
    Severity.HIGH, F,
    "IOS runs outbound NAT before the crypto map: without a deny for the protected prefixes in "
    "the NAT ACL the traffic is translated and no longer matches the crypto ACL.",
    "Add 'deny ip <local> <remote>' lines for the tunnel prefixes at the top of the NAT ACL "
    "(or a route-map that excludes them).",
    (IOS_NAT_ORDER.at(), SEED_NAT))


def _agents(dep: Deployment) -> list[tuple[str, str]]:
    """(network, why) for agent networks whose monitored traffic crosses a NAT."""
    out = []
    for i, n in enumerate(dep.agent_networks):
        if not n.silent_monitoring:
            continue
        site = dep.site(n.site)
        carried = dep.tunnel and site.gateway is not None and any(
            n.prefix.subnet_of(p) for p in site.prefixes)
        if n.behind_nat:
            out.append((f"{i}:{n.name}", "the network is marked behind_nat"))
        elif site.nat is not None and not carried:
            out.append((f"{i}:{n.name}", f"site {site.name} is behind NAT ({site.nat.public}) and "
                        "no site tunnel carries the agents' traffic untranslated"))
    return out


def _exemptions(ctx: AuditContext) -> list[Finding]:
    out = []
    for end in ctx.ends:
        for item in end.facts.nat_exemption_missing:
            what = item.what or item.rule or "NAT rule"
            out.append(finding(NO_EXEMPTION, end.subject(), f"{what} translates traffic the "
                               "crypto ACL protects", Location(end.source, item.line)))
    return out


def check(ctx: AuditContext) -> Iterable[Finding]:
    c = Collector()
    for rec in ctx.sessions:
        if not rec.context.nat or rec.b is None:
            continue
        for end, r in (rec.a, rec.b):
            if not r.nat_traversal:
                c.add(NO_NATT, end, r, f"NAT between {rec.session.a} and {rec.session.b}; NAT "
                      "traversal is off here")
            if any(p.ah is not None for p in r.esp):
                c.add(AH_NAT, end, r, f"AH offered across the NAT between {rec.session.a} and "
                      f"{rec.session.b}", "esp")
            if r.mode == "transport":
                c.add(TRANSPORT_NAT, end, r, f"transport mode across the NAT between "
                      f"{rec.session.a} and {rec.session.b}")
    out = c.findings() + _exemptions(ctx)
    if ctx.deployment is not None:
        for key, why in _agents(ctx.deployment):
            _, name = key.split(":", 1)
            out.append(finding(SILENT_MONITOR, f"agent_networks[{name}]",
                               f"agent network {name} uses silent monitoring and {why}",
                               Location(ctx.deployment_file or "deployment", None)))
    return out
