"""Operational checks on router configs and on what the importers could not read: QoS
classification before encryption, NAT-T switched off, crypto engines without hardware / NGE,
and every configuration line ccsec did not understand (reported, never silently skipped).
"""

from __future__ import annotations

from collections.abc import Iterable

from ccsec.audit.context import AuditContext
from ccsec.checks.common import SEED_EACH_END, SEED_NAT_T, SEED_TUNNEL, Collector
from ccsec.findings.model import Finding, Location, Severity, finding, rule
from ccsec.findings.sources import CISCO_NGE

F = "ops"
T116055 = CISCO_NGE.at("which crypto engines support NGE algorithms: Cisco technote 116055")

QOS = rule(
    "IPSEC-OPS-001", "QoS not classified before encryption (qos pre-classify missing)",
    Severity.LOW, F,
    "Cisco's guide: in a QoS network classify on the packet header before the traffic is "
    "encapsulated and encrypted; after encryption IOS sees only the ESP header.",
    "Add 'qos pre-classify' to the crypto map entry or the tunnel interface.",
    (SEED_TUNNEL,))
NATT_OFF = rule(
    "IPSEC-OPS-002", "NAT traversal disabled", Severity.INFO, F,
    "NAT-T is on by default and negotiated only when a NAT is detected; switching it off breaks "
    "the path as soon as a NAT appears (no NAT between the peers is known here).",
    "Remove 'no crypto ipsec nat-transparency udp-encapsulation'.",
    (SEED_NAT_T, "RFC 3947 §3 (NAT-Traversal is negotiated only when both ends support it)"))
ENGINE = rule(
    "IPSEC-OPS-003", "Crypto engine without hardware acceleration or NGE support",
    Severity.INFO, F,
    "Cisco's contact center design guidance recommends hardware encryption on the routers "
    "(router CPU and throughput) [S]; technote 116055 lists engines "
    "without NGE (AES-GCM, SHA-2, ECDH/ECDSA) support (7200 VAM/VSA, ISR G1, 6500/7600 VPN-SPA).",
    "Enable the accelerator (crypto engine accelerator) or move the tunnel to an NGE-capable "
    "platform; size the link for software crypto.",
    (T116055, SEED_TUNNEL),
    unverified="show crypto engine output differs per platform family [V]")
UNREAD = rule(
    "IPSEC-OPS-005", "Configuration line not read (placeholder, unknown or unsupported)",
    Severity.INFO, F,
    "An importer met a line it does not turn into policy — a template placeholder, a command "
    "ccsec does not model, or a value it cannot check. The audit cannot judge what it did not "
    "read.",
    "Fill in placeholders; check the line by hand or file an issue for the missing support.",
    (SEED_EACH_END,))

UNREADABLE = rule(
    "IPSEC-OPS-006", "Configuration file could not be read", Severity.LOW, F,
    "The file looks like a configuration ccsec reads but its importer rejected it, so nothing "
    "in it was audited.",
    "Fix the syntax error the message names (or export the configuration again).",
    (SEED_EACH_END,))


def _engines(ctx: AuditContext) -> list[Finding]:
    out = []
    for end in ctx.ends:
        for e in end.facts.crypto_engines:
            if e.hardware is False or e.nge is False:
                what = "software only" if e.hardware is False else "no NGE support"
                out.append(finding(ENGINE, end.subject(), f"{e.name}: {what}",
                                   Location(end.source, e.line)))
    return out


def check(ctx: AuditContext) -> Iterable[Finding]:
    c = Collector()
    out: list[Finding] = []
    nat_rules = {(id(e), r.name) for rec in ctx.sessions if rec.context.nat and rec.b
                 for e, r in (rec.a, rec.b)}
    for end, r in ctx.rules():
        if r.action != "negotiate":
            continue
        if end.platform == "ios" and r.mode == "tunnel" and not r.qos_preclassify:
            c.add(QOS, end, r, "tunnel without qos pre-classify")
        if not r.nat_traversal and (id(end), r.name) not in nat_rules:
            c.add(NATT_OFF, end, r, "NAT traversal is switched off")
    for end in ctx.ends:
        for note in end.notes:
            sev = Severity.LOW if note.severity == "warning" else Severity.INFO
            out.append(finding(UNREAD, end.subject(), note.message,
                               Location(end.source, note.line), severity=sev))
    out += [finding(UNREADABLE, u.file, u.reason, Location(u.file, u.line))
            for u in ctx.unreadable]
    return out + c.findings() + _engines(ctx)
