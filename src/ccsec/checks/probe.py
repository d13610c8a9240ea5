"""Rules only a live probe can fire: what a gateway accepts on the wire against ccsec's plan,
a gateway that speaks only IKEv1, and a probe that could not finish.

The algorithm verdicts of a probed gateway are the crypto family's own (RFC 8221/8247), and an
aggressive-mode answer to a pre-shared-key offer is IPSEC-AUTH-003: a probe judges what it
observed with the same catalog as ``ccsec audit`` judges files.
"""

from __future__ import annotations

from ccsec.findings.model import Severity, rule

F = "probe"
RFC7296_27 = "RFC 7296 §2.7 (the responder accepts one proposal of those offered)"
RFC7296_33 = "RFC 7296 §3.3 (proposals and transforms)"
RFC9395 = "RFC 9395 §1 (IKEv1 deprecated; RFCs 2407–2409 moved to Historic)"

EXTRA = rule(
    "IPSEC-PROBE-001", "Gateway accepts IKE proposals ccsec did not plan for it",
    Severity.MEDIUM, F,
    "What a gateway accepts from any peer is its real attack surface: a proposal outside the "
    "plan (often an old default left in place) lets a peer — or a man in the middle that "
    "strips the better offers — negotiate it, whatever the planned peers prefer.",
    "Remove the extra proposals from the gateway's IKE policy (render its files again with "
    "`ccsec render` and deploy them), or plan them explicitly.",
    (RFC7296_27, RFC7296_33))
MISSING = rule(
    "IPSEC-PROBE-002", "Gateway refuses IKE proposals ccsec planned for it", Severity.HIGH, F,
    "The planned peers offer these proposals; a gateway that refuses them fails phase 1 with "
    "every peer that offers nothing else (NO_PROPOSAL_CHOSEN).",
    "Deploy the rendered configuration of this end, or re-plan the deployment with a profile "
    "the gateway supports.",
    (RFC7296_27, RFC7296_33))
INCOMPLETE = rule(
    "IPSEC-PROBE-003", "Probe stopped early: the accepted set is partial", Severity.INFO, F,
    "A limit (packet budget, time limit, no answer, a responder that rate-limits half-open "
    "SAs) ended the enumeration before every combination was decided; the other findings "
    "judge only what was seen.",
    "Probe again with a larger --budget or --timeout, a slower --rate, or from an address the "
    "gateway does not throttle.",
    (RFC7296_27,))
V1_ONLY = rule(
    "IPSEC-PROBE-004", "Gateway answers IKEv1 but not IKEv2", Severity.MEDIUM, F,
    "IKEv1 is deprecated (RFC 9395): it has no built-in NAT traversal, DPD or EAP, more round "
    "trips, and aggressive mode; every current platform in a contact center can run IKEv2.",
    "Enable IKEv2 on the gateway (IOS: crypto ikev2 proposal/policy/profile; strongSwan "
    "version = 2) and move the peers over.",
    (RFC9395,))
