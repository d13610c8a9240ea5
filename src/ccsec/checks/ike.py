"""IKE checks: IKEv1 in use (and when a platform forces it), manual keying, IKE versions a
responder accepts; the phase-1 failure rule the peer checks emit.

Windows Kerberos (AuthIP/IKEv1; Microsoft documents Windows IKEv2 as certificate-only) and the
CUCM IPsec page (no IKE-version field; IKEv1 assumed [U]) force IKEv1.  The planner's
``recommended`` profile uses IKEv1 exactly there, so "IKEv1 forced by a platform constraint"
is graded LOW with the constraint named, while IKEv1 where both ends could run IKEv2 stays
MEDIUM (RFC 9395 deprecates IKEv1).
"""

from __future__ import annotations

from collections.abc import Iterable

from ccsec.audit.context import AuditContext
from ccsec.audit.model import ImportedEnd
from ccsec.checks.common import Collector
from ccsec.findings.model import Finding, Location, Severity, finding, rule
from ccsec.findings.sources import CUCM_IPSEC, MS_IPSEC_ALGORITHMS, RFC9395, STRONGSWAN_SWANCTL
from ccsec.policy import Rule

F = "ike"

IKEV1 = rule(
    "IPSEC-IKE-001", "IKEv1 in use where both ends could run IKEv2", Severity.MEDIUM, F,
    "RFC 9395 moved IKEv1 to Historic; RFC 8247 §1.4 calls it deprecated. IKEv2 has fewer "
    "round trips, built-in NAT-T/DPD, and no aggressive mode.",
    "Switch the rule to IKEv2 (IOS crypto ikev2 proposal/profile; strongSwan version = 2; "
    "Windows -KeyModule IKEv2 with certificate authentication).",
    (RFC9395, "RFC 8247 §1.4",),
    unverified="RFC 9395 body (normative wording on IKEv1 use) not read [U]")
MANUAL = rule(
    "IPSEC-IKE-002", "Manual keying (no IKE)", Severity.HIGH, F,
    "RFC 8221 §3: manual keying SHOULD NOT be used — no PFS, no rekey, SPI/IV uniqueness not "
    "ensured.",
    "Replace 'crypto map … ipsec-manual' entries with ipsec-isakmp entries (IKEv2).",
    ("RFC 8221 §3", "RFC 4301 §4.5 (manual keying: no anti-replay, no rekey)"))
PHASE1 = rule(
    "IPSEC-IKE-003", "IKE phase 1 cannot complete between the peers", Severity.HIGH, F,
    "The two ends share no IKE version, exchange mode or phase-1 proposal (RFC 7296 §2.7 / RFC "
    "2409 negotiation), so no SA is ever established and the path is unprotected or down.",
    "Give both ends one common IKE proposal (same cipher, integrity/PRF and DH group) and IKE "
    "version; `ccsec plan` renders a matching pair.",
    ("RFC 7296 §2.7 (proposal selection)",))
FORCED = rule(
    "IPSEC-IKE-004", "IKEv1 forced by a platform constraint (Windows Kerberos, CUCM)",
    Severity.LOW, F,
    "IKEv1 is deprecated (RFC 9395), but this end cannot do better: Windows Kerberos runs over "
    "IKEv1/AuthIP and Windows IKEv2 is certificate-only [D]; the CUCM IPsec page has no IKE "
    "version choice (IKEv1 assumed [U]). Reported so the exception stays visible.",
    "Accept it (waiver) or remove the constraint: certificates + IKEv2 between Windows hosts, "
    "or IPsec for CUCM in the network infrastructure (Cisco's own recommendation).",
    (RFC9395, MS_IPSEC_ALGORITHMS.at("IKEv2 authentication methods: certificates [D]"),
     CUCM_IPSEC.at("IPSec Policy Configuration fields (no IKE version) [U]")),
    unverified="CUCM IKE version is [U]; Windows IKEv2 with PSK is reported working [O]")
ANY_VERSION = rule(
    "IPSEC-IKE-005", "Responder also accepts IKEv1 (strongSwan version = 0 / keyexchange = ike)",
    Severity.LOW, F,
    "The connection initiates IKEv2 but answers IKEv1 too, so a peer (or attacker) can keep "
    "using the deprecated protocol.",
    "Set version = 2 (swanctl) or keyexchange = ikev2 (ipsec.conf).",
    (RFC9395, STRONGSWAN_SWANCTL.at("connections.<conn>.version")))


def forced_reason(ctx: AuditContext, end: ImportedEnd, r: Rule) -> str | None:
    """Why this rule cannot use IKEv2 (None: nothing on either end forces IKEv1)."""
    methods = [a.method for a in r.auth]
    if "kerberos" in methods:
        return "Windows Kerberos authentication runs over IKEv1/AuthIP only"
    if end.platform == "cucm":
        return "the CUCM IPsec page has no IKE version choice (IKEv1 assumed [U])"
    if end.platform == "windows" and "certificate" not in methods:
        return "Windows IKEv2 accepts certificate authentication only [D]"
    peers = [(p.platform, p.label) for p, _ in ctx.peers(end, r)]
    host = ctx.host_at(r.peer_address)
    if host is not None:
        peers.append((host.platform, host.name))
    # the peer is named by the finding's subject: one message per cause groups the findings
    for platform, _name in peers:
        if platform == "cucm":
            return "the peer is Communications Manager (IKEv1 only [U])"
        if platform == "windows" and "certificate" not in methods:
            return "the peer is Windows and IKEv2 there is certificate-only [D]"
    return None


def check(ctx: AuditContext) -> Iterable[Finding]:
    c = Collector()
    for end, r in ctx.rules():
        if r.action != "negotiate":
            continue
        if r.ike.version == 1:
            why = forced_reason(ctx, end, r)
            if why:
                c.add(FORCED, end, r, f"IKEv1: {why}", "ike")
            else:
                c.add(IKEV1, end, r, "IKEv1 although nothing on either end requires it", "ike")
        elif end.any_version(r):
            c.add(ANY_VERSION, end, r, "initiates IKEv2 but accepts IKEv1 as responder", "ike")
    out = c.findings()
    for end in ctx.ends:
        for m in end.facts.manual_keying:
            out.append(finding(MANUAL, end.subject(), f"{m.name}: manually keyed SAs (no IKE)",
                               Location(end.source, m.line)))
    return out
