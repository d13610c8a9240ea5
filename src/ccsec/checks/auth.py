"""Authentication checks: PSK use and storage, aggressive mode, key and signature strength,
Kerberos across AD domains (the contact center guide's IPsec chapter; RFC 8247 §3; RFC 7296
§2.15)."""

from __future__ import annotations

from collections.abc import Iterable

from ccsec.audit.context import AuditContext
from ccsec.audit.model import ImportedEnd
from ccsec.checks.common import SEED_CUCM, SEED_POLICY, SEED_PSK, Collector
from ccsec.findings.model import Finding, Severity, rule
from ccsec.findings.sources import CISCO_NGE, IKE_SCAN, MS_AUTH_PROPOSAL, cve
from ccsec.policy import Rule

F = "auth"
PSK_ENTROPY = "RFC 7296 §2.15 (pre-shared key entropy) [S]"
CVE_PSK = cve("CVE-2018-5389", "offline dictionary attack on weak pre-shared keys [S]")

PSK_PROD = rule(
    "IPSEC-AUTH-001", "Pre-shared key authentication in production", Severity.MEDIUM, F,
    "Cisco's contact center guide: a PSK is a relatively weak method, stored in plain text; "
    "use it for testing only. "
    "Weak PSKs are open to offline dictionary attacks (CVE-2018-5389) in IKEv1 and IKEv2; "
    "severity is high with IKEv1.",
    "Use certificates (a named root CA) or, between Windows hosts of one AD domain, Kerberos.",
    (SEED_PSK, PSK_ENTROPY, CVE_PSK,),
    unverified="RFC 7296 §2.15 and CVE-2018-5389 were read via secondary sources [S]")
PSK_CLEAR = rule(
    "IPSEC-AUTH-002", "Pre-shared key stored in clear text", Severity.MEDIUM, F,
    "The key is readable by anyone who can read the configuration or its backups (Windows "
    "policy store, netsh/PowerShell output, IOS 'key 0', swanctl/ipsec.secrets).",
    "Move to certificates; on IOS at least encrypt keys (key config-key password-encrypt + "
    "password encryption aes → type 6); keep secrets files 0600.",
    (SEED_PSK, MS_AUTH_PROPOSAL.at("-PreSharedKey: the key is stored in the policy in clear "
                                   "text")))
AGGRESSIVE_PSK = rule(
    "IPSEC-AUTH-003", "IKEv1 aggressive mode with a pre-shared key", Severity.CRITICAL, F,
    "Aggressive mode sends the identity in clear and a hash an eavesdropper cracks offline "
    "(ike-scan --pskcrack / psk-crack); CVE-2002-1623.",
    "Use main mode (IOS: crypto isakmp aggressive-mode disable; strongSwan aggressive = no) or, "
    "better, IKEv2 with certificates.",
    (IKE_SCAN.at(), cve("CVE-2002-1623", "IKEv1 aggressive mode discloses a crackable PSK "
                        "hash")),
    unverified="IOS default for answering aggressive mode is [U]")
RSA_SHORT = rule(
    "IPSEC-AUTH-004", "RSA key shorter than 2048 bits", Severity.MEDIUM, F,
    "RFC 8247 §3.1.1: RSA keys < 2048 bits SHOULD NOT be used; Cisco classes RSA-1024 Avoid.",
    "Issue 2048-bit (or 3072-bit) RSA or ECDSA P-256/P-384 certificates.",
    ("RFC 8247 §3.1.1", CISCO_NGE.at("RSA-1024: Avoid")))
DSS = rule(
    "IPSEC-AUTH-005", "DSS signature authentication (IKEv2 method 3)", Severity.MEDIUM, F,
    "RFC 8247 §3.1: DSS is SHOULD NOT — bound to SHA-1, about RSA-1024 strength.",
    "Use RSA-PSS or ECDSA signatures (RFC 7427).",
    ("RFC 8247 §3.1 (method 3 SHOULD NOT)",))
SHA1_SIG = rule(
    "IPSEC-AUTH-006", "SHA-1 signatures", Severity.HIGH, F,
    "RFC 8247 §3.2: SHA-1 MUST NOT be used for signatures (sha1WithRSAEncryption, dsa-with-sha1, "
    "ecdsa-with-sha1, RSASSA-PSS with default parameters).",
    "Re-issue certificates signed with SHA-256 and require SHA-2 signatures "
    "(strongSwan: rsa/pss-sha256, ecdsa-sha256).",
    ("RFC 8247 §3.2 (SHA1 MUST NOT)",))
RSA_V15 = rule(
    "IPSEC-AUTH-007", "RSA PKCS#1 v1.5 signatures (method 1) instead of RFC 7427",
    Severity.INFO, F,
    "RFC 8247 §3.1 expects method 1 to be downgraded in favour of the RFC 7427 Digital "
    "Signature method (RSASSA-PSS).",
    "strongSwan: auth = pubkey (RFC 7427) with rsa/pss constraints.",
    ("RFC 8247 §3.1", "RFC 8247 §3.2",))
KERBEROS_DOMAINS = rule(
    "IPSEC-AUTH-008", "Kerberos-only authentication toward a peer outside the host's AD domain",
    Severity.MEDIUM, F,
    "Kerberos needs both computers in one AD domain (or a trust); Cisco's guide: Communications "
    "Manager outside the ICM domain cannot use Kerberos — use X.509 certificates.",
    "Use certificates (a named root CA) for this rule, or add certificate auth after Kerberos.",
    (SEED_CUCM, SEED_POLICY))


PSK_SHARED = rule(
    "IPSEC-AUTH-009", "One pre-shared key for several peers", Severity.HIGH, F,
    "Whoever holds the key can authenticate as any of the peers that share it: one leaked or "
    "cracked key opens every tunnel that uses it, and a peer can impersonate another. A group "
    "key also cannot be revoked for one peer.",
    "Give every peer its own random key (IOS: one keyring entry per peer address; strongSwan: "
    "one secret per identity pair), or use certificates.",
    (PSK_ENTROPY, "RFC 4107 §2.1 (guidelines for cryptographic key management: automated, "
     "per-pair keys) [S]"),
    unverified="RFC 7296 §2.15 and RFC 4107 were read via secondary sources [S]")


def _peer_label(r: Rule) -> str | None:
    if not r.peer_address.is_unspecified:
        return str(r.peer_address)
    if r.peer_id is not None:
        return r.peer_id.value
    return r.peer_name


def _shared_psks(c: Collector, end: ImportedEnd) -> None:
    """A key (compared by value, never shown) that serves two or more distinct peers: in the
    device's key table (owners other than the device's own identities), or in two rules aimed
    at different peer addresses.  The two sources are not mixed: a table entry names a peer by
    identity where a rule names it by address."""
    own = {str(r.local_address) for r in end.policy.rules} | \
        {r.local_id.value for r in end.policy.rules if r.local_id is not None}
    table: dict[object, set[str]] = {}
    for k in end.facts.shared_keys:
        if k.kind == "psk" and k.secret.value is not None:
            table.setdefault(k.secret, set()).update(o.value for o in k.owners
                                                     if o.value not in own)
    by_rules: dict[object, tuple[set[str], Rule]] = {}
    for r in end.policy.rules:
        if r.peer_address.is_unspecified:
            continue
        for a in r.auth:
            if a.method == "psk" and a.psk is not None and a.psk.value is not None:
                peers, _ = by_rules.setdefault(a.psk, (set(), r))
                peers.add(str(r.peer_address))
    reported: set[object] = set()
    for key, (peers, r) in by_rules.items():
        if len(peers) >= 2:
            reported.add(key)
            c.add(PSK_SHARED, end, r, _shared_text(peers), "auth")
    for key, peers in table.items():
        if len(peers) >= 2 and key not in reported:
            first = next((r for r in end.policy.rules for a in r.auth if a.psk == key), None)
            c.add(PSK_SHARED, end, first, _shared_text(peers), "auth")


def _shared_text(peers: set[str]) -> str:
    names = sorted(peers)
    shown = ", ".join(names[:6]) + (f" … ({len(names)} in all)" if len(names) > 6 else "")
    return f"the same pre-shared key serves {len(names)} peers: {shown}"


def _on_host(end: ImportedEnd, r: Rule) -> bool:
    return r.name in end.facts.psk_clear_on_host


def _constraints(end: ImportedEnd, r: Rule) -> list[str]:
    return [c.lower() for c in end.facts.auth_constraints.get(r.name, ())]


def _rsa_bits(constraint: str) -> int | None:
    parts = constraint.replace("/", "-").split("-")
    for i, p in enumerate(parts[:-1]):
        if p == "rsa" and parts[i + 1].isdigit():
            return int(parts[i + 1])
    return None


def _signature_checks(c: Collector, end: ImportedEnd, r: Rule) -> None:
    for con in _constraints(end, r):
        bits = _rsa_bits(con)
        if bits is not None and bits < 2048:
            c.add(RSA_SHORT, end, r, f"authentication constraint '{con}': RSA {bits} bits", "auth")
        if "sha1" in con.split("-") or con.endswith("sha1") or "sha1" in con.split("/"):
            c.add(SHA1_SIG, end, r, f"authentication constraint '{con}' allows SHA-1 signatures",
                  "auth")
        if con.startswith(("dsa", "dss")) or "-dsa" in con:
            c.add(DSS, end, r, f"authentication constraint '{con}' is DSS", "auth")
        if (con == "rsasig" or con.startswith("rsa")) and "pss" not in con and r.ike.version == 2:
            c.add(RSA_V15, end, r, f"authentication '{con}' uses RSA PKCS#1 v1.5 (method 1)",
                  "auth")
    for name, bits in end.facts.rsa_key_bits.items():
        if bits < 2048 and _uses_cert(r):
            c.add(RSA_SHORT, end, r, f"RSA key pair {name}: {bits} bits", "auth")


def _uses_cert(r: Rule) -> bool:
    return any(a.method == "certificate" for a in r.auth)


def _kerberos(ctx: AuditContext, c: Collector, end: ImportedEnd, r: Rule) -> None:
    methods = [a.method for a in r.auth]
    if "kerberos" not in methods or "certificate" in methods:
        return
    mine = ctx.host(end.host)
    peer = ctx.host_at(r.peer_address)
    if mine is None or peer is None:
        return
    if peer.platform != "windows":
        c.add(KERBEROS_DOMAINS, end, r, f"peer {peer.name} runs {peer.platform}, which has no "
              "Kerberos", "auth")
    elif mine.domain is None or peer.domain is None or mine.domain != peer.domain:
        c.add(KERBEROS_DOMAINS, end, r, f"{mine.name} is in {mine.domain or 'no domain'}, peer "
              f"{peer.name} in {peer.domain or 'no domain'}", "auth")


def check(ctx: AuditContext) -> Iterable[Finding]:
    c = Collector()
    test = ctx.environment == "test"
    for end, r in ctx.rules():
        if r.action != "negotiate":
            continue
        psk = [a for a in r.auth if a.method == "psk"]
        if psk and not test:
            sev = Severity.HIGH if r.ike.version == 1 else None
            c.add(PSK_PROD, end, r, "rule authenticates with a pre-shared key "
                  f"(IKEv{r.ike.version}, {ctx.environment})", "auth", severity=sev)
        if any(a.psk is not None and a.psk.value is not None for a in psk):
            c.add(PSK_CLEAR, end, r, f"the key is readable in {end.source}", "auth",
                  severity=Severity.INFO if test else None)
        elif psk and _on_host(end, r):
            c.add(PSK_CLEAR, end, r, "Windows keeps the pre-shared key in clear text in its "
                  "policy store (the collector did not copy it)", "auth",
                  severity=Severity.INFO if test else None)
        if psk and r.ike.version == 1 and r.ike.exchange == "aggressive":
            c.add(AGGRESSIVE_PSK, end, r, "IKEv1 aggressive mode with a pre-shared key", "ike")
        _signature_checks(c, end, r)
        _kerberos(ctx, c, end, r)
    for end in ctx.ends:
        _shared_psks(c, end)
    return c.findings()
