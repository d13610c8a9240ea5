"""Peer compatibility findings: one rule per way a session fails (the two ends of a path must
match: mirror filters, a common proposal, compatible authentication).

The sessions themselves come from :func:`ccsec.audit.negotiate.negotiate`; this family turns
each non-established session (and each established one that will break at rekey or was
narrowed) into a finding on both ends, located at the rule's line.  NAT causes are left to the
``nat`` family, phase-1 proposal/version failures use ``IPSEC-IKE-003``.
"""

from __future__ import annotations

from collections.abc import Iterable

from ccsec.audit.context import AuditContext, SessionRecord
from ccsec.audit.negotiate import Status
from ccsec.checks.common import SEED_EACH_END, SEED_PATHS, SEED_POLICY
from ccsec.checks.ike import PHASE1
from ccsec.findings.model import CheckRule, Finding, Location, Severity, finding, rule

F = "peers"
#: a policy for each end of each path, and the two must match
B2 = SEED_EACH_END

MISSING = rule(
    "IPSEC-PEER-001", "Peer end point missing or unreachable", Severity.HIGH, F,
    "One end has a rule for the path but the other end has none, aims at another address, is "
    "disabled, passes the traffic in clear, or sits behind a shut interface: no SA can form.",
    "Configure the missing end (ccsec render produces both ends) and check addresses and "
    "interface state.",
    (B2, SEED_PATHS))
AUTH = rule(
    "IPSEC-PEER-002", "Authentication methods or trust do not match", Severity.HIGH, F,
    "The ends share no authentication method, use Kerberos where it cannot work (non-Windows "
    "end, other AD domain), trust different root CAs, or expect identities the other end does "
    "not send.",
    "Use one method on both ends: Kerberos inside one AD domain, certificates from one root CA "
    "otherwise; align local/remote identities.",
    (B2, SEED_POLICY, "RFC 7296 §2.15"))
KEY = rule(
    "IPSEC-PEER-003", "Pre-shared keys differ between the peers", Severity.HIGH, F,
    "Both ends authenticate with pre-shared keys and the keys are not equal (compared without "
    "printing either), so IKE authentication fails (IKEv1: main mode message 5/6 cannot be "
    "decrypted; IKEv2: AUTHENTICATION_FAILED).",
    "Set the same key on both ends — better, replace the PSK with certificates.",
    (B2, "RFC 7296 §2.15"))
PHASE2 = rule(
    "IPSEC-PEER-004", "IPsec phase 2 (quick mode / CHILD_SA) cannot complete", Severity.HIGH, F,
    "IKE succeeds but the ends disagree on tunnel vs transport, share no ESP/AH proposal, or "
    "(IKEv1) on the PFS group: no traffic is protected.",
    "Align mode, ESP proposals and PFS group on both ends.",
    (B2, "RFC 7296 §1.3 (CREATE_CHILD_SA)", "RFC 2409 §5.5 (quick mode PFS)"))
TS = rule(
    "IPSEC-PEER-005", "Traffic selectors do not match", Severity.HIGH, F,
    "IKEv1 needs mirror-image filters / crypto ACLs; IKEv2 lets the responder narrow but needs "
    "overlapping selectors.",
    "Make the filters mirror images (permit ip A B on one end, permit ip B A on the other).",
    (B2, "RFC 2409 §5.5 (quick mode: identities of the protected traffic)", "RFC 7296 §2.9"))
REKEY = rule(
    "IPSEC-PEER-006", "PFS differs: the IKEv2 CHILD_SA fails at its first rekey",
    Severity.MEDIUM, F,
    "IKEv2's first CHILD_SA reuses the IKE keys, so the tunnel comes up; the first rekey "
    "carries a key exchange with one end's PFS group and the other end refuses it — an outage "
    "every SA lifetime.",
    "Set the same PFS group on both ends (or none on both).",
    (B2, "RFC 7296 §1.3.2 (rekeying CHILD_SAs with a key exchange)", "RFC 7296 §1.3.3"))
NARROWED = rule(
    "IPSEC-PEER-007", "Responder narrowed the traffic selectors", Severity.LOW, F,
    "The SA protects less than one end's rule lists; traffic outside the narrowed selectors is "
    "not covered by this SA.",
    "Make both ends list the same selectors.",
    (B2, "RFC 7296 §2.9"))
MODE_FALLBACK = rule(
    "IPSEC-PEER-008", "One end asks for transport mode, the SA falls back to tunnel mode",
    Severity.LOW, F,
    "The two rules disagree on the IPsec mode. IKEv2 negotiates the mode with a notify; when "
    "one end does not accept transport mode the CHILD_SA is created in tunnel mode, so the SA "
    "differs from what one end's policy says (observed between strongSwan ends in the ccsec "
    "differential lab test).",
    "Give both ends the same mode (transport for host paths, tunnel for site tunnels).",
    (B2, "RFC 7296 §1.3.1 (USE_TRANSPORT_MODE)", SEED_PATHS))

BY_STATUS: dict[Status, CheckRule] = {
    Status.MISSING_END_POINT: MISSING,
    Status.IKE_PHASE1_FAILED: PHASE1,
    Status.AUTH_MISMATCH: AUTH,
    Status.IKE_PHASE1_KEY_MISMATCH: KEY,
    Status.IPSEC_PHASE2_FAILED: PHASE2,
    Status.TS_MISMATCH: TS,
}
#: causes the nat family reports instead
NAT_CAUSES = frozenset({"nat-t", "ah-nat"})


def _at(rec: SessionRecord, which: str) -> tuple[str, Location]:
    side = rec.a if which == "a" else rec.b
    if side is None:  # a one-sided session has no b end
        return "", Location("")
    end, r = side
    return end.subject(r), end.where(r)


def check(ctx: AuditContext) -> Iterable[Finding]:
    out: list[Finding] = []
    # a path with one end only is reported once, by the coverage family
    one_sided = {row.path for row in ctx.coverage if row.status == "one-sided"}
    for rec in ctx.sessions:
        s = rec.session
        if rec.b is None and rec.path in one_sided:
            continue
        sides = ["a"] + (["b"] if rec.b is not None else [])
        if s.status is not Status.ESTABLISHED:
            if s.cause in NAT_CAUSES:
                continue
            r = BY_STATUS[s.status]
            for which in sides:
                subject, loc = _at(rec, which)
                out.append(finding(r, subject, f"{s.a} ↔ {s.b}: {s.status.value}: {s.reason}",
                                   loc))
            continue
        for which in sides:
            subject, loc = _at(rec, which)
            if s.rekey_failure:
                out.append(finding(REKEY, subject, f"{s.a} ↔ {s.b}: {s.rekey_failure}", loc))
            if s.narrowed:
                out.append(finding(NARROWED, subject, f"{s.a} ↔ {s.b}: {s.narrowed}", loc))
            if s.mode_fallback:
                out.append(finding(MODE_FALLBACK, subject, f"{s.a} ↔ {s.b}: {s.mode_fallback}",
                                   loc))
    return out


__all__ = ["BY_STATUS", "check"]
