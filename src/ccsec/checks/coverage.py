"""Coverage checks (with a deployment): every derived path protected at both ends and as
strong as planned; every config attached to a deployment host or gateway (the guide's supported
communication paths, a policy for each path and each end).

The rows themselves are computed by :mod:`ccsec.audit.coverage`; a path whose two rules exist
but do not negotiate is reported by the ``peers`` family on those rules.
"""

from __future__ import annotations

from collections.abc import Iterable

from ccsec.audit.context import AuditContext, SessionRecord
from ccsec.checks.common import SEED_EACH_END, SEED_LOGJAM, SEED_PATHS, SEED_TUNNEL
from ccsec.findings.model import Finding, Location, Severity, finding, rule

F = "coverage"

UNPROTECTED = rule(
    "IPSEC-COV-001", "Required path not protected at either end", Severity.HIGH, F,
    "Cisco's guide lists the server paths that carry customer data (catalog 1–8) and the WAN "
    "between "
    "sites is protected by a site tunnel; no configuration found protects this one.",
    "Render the policy for both ends (ccsec render) and deploy it.",
    (SEED_PATHS, SEED_TUNNEL))
ONE_SIDED = rule(
    "IPSEC-COV-002", "Path protected at one end only", Severity.HIGH, F,
    "One end requires IPsec for the path, the other has no rule: the path either fails "
    "(require) or runs in clear text (request).",
    "Add the mirror-image rule at the other end (ccsec render gives both).",
    (SEED_PATHS, SEED_EACH_END))
WEAKER = rule(
    "IPSEC-COV-003", "Path negotiates a weaker proposal than planned", Severity.MEDIUM, F,
    "Both ends establish, but with a lower IKE version, a weaker IKE/ESP proposal or a weaker "
    "(or no) PFS group than the deployment's profile plans for this path.",
    "Remove the weaker proposals from both ends (ccsec diff shows the planned configuration).",
    ("RFC 8221 §5 (ESP algorithm requirement levels)",
     "RFC 8247 §2.4 (Diffie-Hellman group requirement levels)", SEED_LOGJAM))
UNATTACHED = rule(
    "IPSEC-COV-004", "Configuration not attached to any deployment host or gateway",
    Severity.INFO, F,
    "None of the file's addresses belongs to a host or gateway of the deployment, so its rules "
    "are audited on their own but count for no path.",
    "Add the device to the deployment file, or remove the stray config from the directory.",
    (SEED_EACH_END,))


def check(ctx: AuditContext) -> Iterable[Finding]:
    out: list[Finding] = []
    if ctx.deployment is None:
        return out
    dep_loc = Location(ctx.deployment_file or "deployment", None)
    # the first session of each path (and the first one-sided one), found once, not per row
    first: dict[str | None, SessionRecord] = {}
    lone: dict[str | None, SessionRecord] = {}
    for s in ctx.sessions:
        first.setdefault(s.path, s)
        if s.b is None:
            lone.setdefault(s.path, s)
    for row in ctx.coverage:
        subject = f"{row.path} ({row.a} ↔ {row.b})"
        if row.status == "missing":
            out.append(finding(UNPROTECTED, subject, row.detail, dep_loc))
        elif row.status == "one-sided":
            rec = lone.get(row.path)
            loc = rec.a[0].where(rec.a[1]) if rec else dep_loc
            out.append(finding(ONE_SIDED, subject, row.detail, loc))
        elif row.status == "weaker":
            rec = first.get(row.path)
            loc = rec.a[0].where(rec.a[1], "ike") if rec else dep_loc
            out.append(finding(WEAKER, subject, row.detail, loc))
    for end in ctx.ends:
        if end.host is None:
            out.append(finding(UNATTACHED, end.subject(),
                               f"{end.source} ({end.format}) matches no deployment address",
                               Location(end.source, None)))
    return out
