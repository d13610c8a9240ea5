"""Log diagnosis rules: one rule per way an IKE negotiation fails.

The rules fire from :mod:`ccsec.monitor.logs.diagnose`, which reads charon logs, Oakley.log and
Windows security events into one event vocabulary; with a deployment the finding names the
path, the end that deviates from its planned policy and the exact fix.
"""

from __future__ import annotations

from ccsec.findings.model import Severity, rule
from ccsec.findings.sources import (
    CCE_IPSEC,
    MS_IKE_ERRORS,
    MS_WFP_AUDITING,
    STRONGSWAN_SOURCE,
    VYOS_IPSEC_TROUBLESHOOTING,
)

FAMILY = "logs"
SEED = CCE_IPSEC.at("IPsec Activity › Enable IPsec Logging (the log shows where negotiation "
                    "fails)")
CHARON = STRONGSWAN_SOURCE.at("libcharon IKE tasks: the log messages quoted")
CHARON_DOC = VYOS_IPSEC_TROUBLESHOOTING.at()
WINEVENTS = MS_WFP_AUDITING.at()
WINERRORS = MS_IKE_ERRORS.at()

IKE_PROPOSAL = rule(
    "LOG-001", "IKE (main mode) proposal mismatch: no proposal chosen", Severity.HIGH, FAMILY,
    "The two ends share no IKE proposal (encryption, integrity/PRF and DH group together), so "
    "no IKE SA can be built and the path stays unprotected or blocked.",
    "Make both ends offer a common IKE proposal: render both ends from the same deployment and "
    "profile (`ccsec render`).",
    (SEED, CHARON, CHARON_DOC, WINEVENTS, WINERRORS, "RFC 7296 §2.7 (NO_PROPOSAL_CHOSEN)"),
)
ESP_PROPOSAL = rule(
    "LOG-002", "ESP (quick mode / CHILD_SA) proposal mismatch", Severity.HIGH, FAMILY,
    "IKE succeeded but the two ends share no ESP proposal, so no IPsec SA protects the traffic.",
    "Give both ends a common ESP proposal (and PFS group): render both from one deployment.",
    (SEED, CHARON, CHARON_DOC, WINEVENTS, WINERRORS, "RFC 7296 §2.7, §1.3"),
)
AUTH = rule(
    "LOG-003", "IKE authentication failed", Severity.HIGH, FAMILY,
    "The peers reached authentication and one refused the other's credentials (certificate, "
    "Kerberos, identity or key).",
    "Check both ends use the authentication method and identities of the planned policy "
    "(Kerberos in one domain, certificates from the deployment's root CA otherwise).",
    (SEED, CHARON, CHARON_DOC, WINEVENTS, WINERRORS, "RFC 7296 §2.15"),
)
PSK = rule(
    "LOG-004", "Pre-shared key mismatch", Severity.HIGH, FAMILY,
    "The two ends hold different pre-shared keys (IKEv2: MAC mismatched / AUTHENTICATION_FAILED; "
    "IKEv1: payloads cannot be decrypted after the key exchange). PSK is weak and stored in clear "
    "text — the guide allows it for testing only.",
    "Set the same key on both ends from the deployment's secret reference (psk: env:NAME or "
    "file:PATH) and re-render; in production use Kerberos or certificates.",
    (SEED, CCE_IPSEC.at("IPsec Policy Configuration, note: pre-shared keys for testing only"),
     CHARON, WINERRORS),
)
TS = rule(
    "LOG-005", "Traffic selectors (filters) unacceptable", Severity.HIGH, FAMILY,
    "The responder has no rule whose filters cover what the initiator asked to protect, so the "
    "CHILD_SA is refused (the filters of the two ends are not mirror images).",
    "Make the filter lists mirror each other (source/destination swapped, protocol any): render "
    "both ends from the same path.",
    (SEED, CHARON, "RFC 7296 §2.9"),
)
TIMEOUT = rule(
    "LOG-006", "Peer not responding (negotiation timed out)", Severity.MEDIUM, FAMILY,
    "The initiator retransmitted and gave up: the peer's IKE service is down or UDP 500/4500 is "
    "blocked between the ends.",
    "Check the peer's IKE service (IKEEXT / PolicyAgent / charon) and that UDP 500, UDP 4500 and "
    "ESP (IP 50) pass every firewall between the ends (`ccsec ports`).",
    (SEED, CHARON, CHARON_DOC, WINEVENTS, WINERRORS, "RFC 7296 §2.1"),
)
NAT_T = rule(
    "LOG-007", "NAT between the ends but NAT traversal not negotiated", Severity.HIGH, FAMILY,
    "NAT was detected and the negotiation then died on UDP 4500 (or the peer never offered "
    "NAT-T): ESP cannot cross a NAT without UDP encapsulation.",
    "Enable NAT traversal on both ends and open UDP 4500 through the NAT device; AH cannot cross "
    "NAT at all.",
    (CCE_IPSEC.at("IPsec and NAT Transparency"), CHARON, "RFC 3948 §2 (UDP-encapsulated ESP)",
     "RFC 7296 §2.23 (NAT traversal)"),
)
NO_POLICY = rule(
    "LOG-008", "No IPsec policy for this peer", Severity.HIGH, FAMILY,
    "The responder has no IKE config / policy for the initiator's address (Windows: No policy "
    "configured), so every negotiation from it is refused.",
    "Apply the responder's policy for this path, or remove the initiator's rule if the path is "
    "not meant to be protected.",
    (SEED, CHARON, CHARON_DOC, WINEVENTS, WINERRORS),
)
INVALID_KE = rule(
    "LOG-009", "DH group guess rejected (INVALID_KE_PAYLOAD), negotiation retried", Severity.LOW,
    FAMILY,
    "The initiator's first DH group is not one the responder accepts; IKEv2 recovers with an "
    "extra round trip, but a weak first group means the policies differ.",
    "Order the DH groups the same on both ends (strongest common group first).",
    (CHARON, "RFC 7296 §1.2, §3.10.1"),
    unverified="the initiator-side message text was a community note [P] before the lab capture",
)
KERNEL = rule(
    "LOG-010", "Local IPsec stack refused the SA or policy", Severity.MEDIUM, FAMILY,
    "The negotiation succeeded but the local kernel/driver could not install the SA or policy, "
    "so the peer sees the CHILD_SA refused.",
    "Check the IPsec stack of the end that logged it (kernel modules, routes, the IPsec driver).",
    (CHARON, CHARON_DOC, WINEVENTS, WINERRORS),
)
CLEARTEXT = rule(
    "LOG-011", "Clear-text packet received where IPsec is required", Severity.HIGH, FAMILY,
    "Windows event 4963: a peer sent clear text on traffic this host's policy says must be "
    "secured — the peer's policy is missing/changed, or the packet is spoofed.",
    "Apply the peer's policy for this path; investigate the source if it is not a known peer.",
    (WINEVENTS, WINERRORS),
)
INTEGRITY = rule(
    "LOG-012", "IPsec packets failed integrity/replay/SPI checks", Severity.MEDIUM, FAMILY,
    "Windows events 4960–4962/4965/4976–4978: packets failed integrity or replay checks or "
    "carried a wrong SPI — network corruption, an interop problem or tampering.",
    "Look for faulty NICs/offload or middleboxes on the path; repeated events from one peer "
    "warrant a capture.",
    (WINEVENTS, WINERRORS),
)
SERVICE = rule(
    "LOG-013", "IPsec keying service not running", Severity.HIGH, FAMILY,
    "Windows events 5453/5479/5483/5484: IKEEXT is not started or the IPsec services stopped, so "
    "no negotiation can succeed (and traffic may flow unprotected).",
    "Start the IKE and AuthIP IPsec Keying Modules (IKEEXT) and IPsec Policy Agent services and "
    "set them to start automatically.",
    (WINEVENTS, WINERRORS),
)
OTHER = rule(
    "LOG-014", "IKE negotiation failed (other reason)", Severity.MEDIUM, FAMILY,
    "A negotiation failed for a reason ccsec does not classify further; the reason is quoted.",
    "Read the quoted reason and the lines around the location; compare both ends' policies.",
    (SEED, CHARON, CHARON_DOC, WINEVENTS, WINERRORS),
)

ALL = (IKE_PROPOSAL, ESP_PROPOSAL, AUTH, PSK, TS, TIMEOUT, NAT_T, NO_POLICY, INVALID_KE, KERNEL,
       CLEARTEXT, INTEGRITY, SERVICE, OTHER)
