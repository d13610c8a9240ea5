"""A probe result → findings, through the rule catalog ``ccsec audit`` uses.

Algorithms are judged by the crypto family's own function (:func:`ccsec.checks.crypto.
ike_findings`: RFC 8221/8247, IANA "Deprecated", Cisco NGE), exactly as ``ccsec audit`` judges
a configured proposal list: one finding per weak algorithm and IKE version, naming one accepted
proposal that carries it and how many more do.  An aggressive-mode answer to a
pre-shared-key offer is IPSEC-AUTH-003; a gateway that answers both IKE versions is
IPSEC-IKE-005; one that offers no NAT traversal is IPSEC-OPS-002.  What only a probe sees has
the probe family (:mod:`ccsec.checks.probe`): drift from the plan, IKEv1 without IKEv2, a
partial enumeration.
"""

from __future__ import annotations

from ccsec.checks.auth import AGGRESSIVE_PSK
from ccsec.checks.crypto import ike_findings
from ccsec.checks.ike import ANY_VERSION
from ccsec.checks.ops import NATT_OFF
from ccsec.checks.probe import EXTRA, INCOMPLETE, MISSING, V1_ONLY
from ccsec.findings.model import Finding, finding
from ccsec.probe.result import ProbeResult, VersionResult

#: how many proposals a drift finding names before it counts the rest
SHOWN = 8


def _shown(labels: list[str]) -> str:
    head = ", ".join(labels[:SHOWN])
    return head + (f" … ({len(labels)} in all)" if len(labels) > SHOWN else "")


def _version(result: ProbeResult, v: VersionResult) -> list[Finding]:
    subject = f"{result.target}:{result.port} IKEv{v.version}"
    out = [finding(rule, subject, f"accepted {what}")
           for rule, what in ike_findings(tuple(v.accepted))]
    if v.answered and not v.complete:
        out.append(finding(INCOMPLETE, subject, f"stopped after {v.packets} packets: "
                           f"{v.stopped}; {len(v.accepted)} accepted proposals seen so far"))
    return out


def judge(result: ProbeResult) -> list[Finding]:
    """Every finding the probe's observations support (drift included when present)."""
    subject = f"{result.target}:{result.port}"
    out: list[Finding] = []
    for v in result.versions():
        out += _version(result, v)
    v1 = len(result.ikev1.accepted) if result.ikev1 is not None else 0
    v2 = len(result.ikev2.accepted) if result.ikev2 is not None else 0
    if v1 and v2:
        out.append(finding(ANY_VERSION, subject, "answers IKEv2 and also IKEv1 main mode "
                           f"({v1} IKEv1 proposals accepted)"))
    elif v1 and result.ikev2 is not None and result.ikev2.complete:
        out.append(finding(V1_ONLY, subject, "accepts IKEv1 main mode but no IKEv2 proposal "
                           "on this port"))
    agg = result.aggressive
    if agg is not None and agg.accepted and agg.auth == "psk":
        offered = f" ({agg.proposal.label()})" if agg.proposal else ""
        out.append(finding(AGGRESSIVE_PSK, subject, "answers IKEv1 aggressive mode with a "
                           f"pre-shared-key transform{offered} for identity '{agg.identity}': "
                           "its HASH_R can be attacked offline"))
    if (v1 or v2) and result.nat.supported is False:
        out.append(finding(NATT_OFF, subject, "no NAT traversal offered (no NAT_DETECTION "
                           "notifies, no NAT-T vendor ID)"))
    if result.drift is not None:
        d = result.drift
        for version, labels in d.extra.items():
            out.append(finding(EXTRA, f"{subject} {version}", f"accepts {len(labels)} "
                               f"proposals not planned for {d.end}: {_shown(labels)}"))
        for version, labels in d.missing.items():
            out.append(finding(MISSING, f"{subject} {version}", f"refuses {len(labels)} "
                               f"proposals planned for {d.end}: {_shown(labels)}"))
    return out
