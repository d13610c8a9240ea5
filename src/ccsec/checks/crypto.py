"""Algorithm checks: RFC 8221 (ESP/AH), RFC 8247 (IKEv2), RFC 9395/IANA "Deprecated", Cisco NGE.

Every algorithm row of those tables gets exactly one verdict (``VERDICTS``), so the catalog is
data, and a test walks every row.  Severities follow the requirement levels: MUST NOT /
Deprecated → high or critical, SHOULD NOT → medium, MUST- / Cisco "Legacy" → low, best practice →
info.

DH groups are judged by *group*, never by modulus size alone: groups 22/23/24 are "2048-ish"
or smaller MODP groups with short prime-order subgroups that RFC 8247 §2.4 marks MUST NOT (22)
and SHOULD NOT (23, 24) — a "≥ 2048 bits" rule would wrongly pass 23 and 24.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial

from ccsec.audit import shortcuts
from ccsec.audit.context import AuditContext
from ccsec.audit.model import ImportedEnd
from ccsec.checks.common import LOGJAM, SEED_LOGJAM, SEED_POLICY, Collector
from ccsec.crypto import (
    CAPABILITIES,
    DH_GROUPS,
    ENCR,
    INTEG,
    PRF,
    Encr,
    EspProposal,
    IkeProposal,
    Integ,
    Prf,
    dh_label,
    is_aead,
)
from ccsec.findings.model import CheckRule, Finding, Severity, rule
from ccsec.findings.sources import CISCO_NGE, IANA_IKEV2, NIST_800_77, RFC9395
from ccsec.policy import EndPolicy, Rule

F = "crypto"
NGE = CISCO_NGE.at()
NGE_DH = CISCO_NGE.at("DH-768, DH-1024: Avoid")

ENC_DES = rule(
    "IPSEC-ENC-001", "Single DES encryption", Severity.CRITICAL, F,
    "DES (56-bit key) is brute-forceable: RFC 8221 §5 and RFC 8247 §2.1 say MUST NOT; Cisco NGE "
    "classes it Avoid.",
    "Use AES-GCM (ESP) or AES-CBC with HMAC-SHA-256 (IOS: esp-gcm 256 / encryption aes 256; "
    "Windows: AES256; strongSwan: aes256gcm16 / aes256-sha256).",
    ("RFC 8221 §5 (ENCR_DES MUST NOT)", "RFC 8247 §2.1 (ENCR_DES MUST NOT)", NGE,))
ENC_3DES_ESP = rule(
    "IPSEC-ENC-002", "3DES in ESP (quick mode / transform set)", Severity.MEDIUM, F,
    "RFC 8221 §5 downgraded ENCR_3DES to SHOULD NOT; Cisco NGE classes it Legacy; NIST SP "
    "800-131A r2 disallows TDEA encryption after 2023 [U]. It is the Windows quick-mode "
    "default documented in Cisco's contact center guide.",
    "Use AES-GCM-16 (128/256) for ESP, or AES-CBC-256 with HMAC-SHA-256 where GCM is missing "
    "(CUCM: ESP Algorithm AES 256).",
    ("RFC 8221 §5 (ENCR_3DES SHOULD NOT)", NGE, SEED_POLICY,),
    unverified="NIST SP 800-131A r2 TDEA date is [U]")
ENC_3DES_IKE = rule(
    "IPSEC-ENC-003", "3DES in IKE (main mode / ISAKMP policy / IKE proposal)", Severity.LOW, F,
    "RFC 8247 §2.1 downgraded ENCR_3DES in IKE to MAY; Cisco NGE classes it Legacy; it is the "
    "IKE default documented in Cisco's contact center guide.",
    "Use AES-256 (CBC with SHA-256, or GCM with a SHA-2 PRF on IKEv2).",
    ("RFC 8247 §2.1 (ENCR_3DES MAY, downgraded from MUST-)", NGE, SEED_POLICY,))
ENC_OBSOLETE = rule(
    "IPSEC-ENC-004", "Obsolete cipher (Blowfish, CAST, IDEA, 3IDEA, RC5, DES-IV32/64)",
    Severity.HIGH, F,
    "RFC 8221 §5 says MUST NOT for Blowfish, 3IDEA, DES-IV32/64; RFC 9395 marks RC5, IDEA, CAST, "
    "Blowfish, 3IDEA, DES-IV32/64 Deprecated in the IANA registry.",
    "Use AES-GCM or AES-CBC.",
    ("RFC 8221 §5", RFC9395, IANA_IKEV2.at("Transform Type 1 (encryption)", "[S]")),
    unverified="RFC 9395 body not read; IANA status column read from a mirror [S]")
ENC_NULL_IKE = rule(
    "IPSEC-ENC-005", "ENCR_NULL in IKE", Severity.CRITICAL, F,
    "An IKE SA without encryption exposes identities and keys material: RFC 8247 §2.1 MUST NOT "
    "(RFC 7296 §5 already forbade it).",
    "Remove 'null' from the IKE proposals.",
    ("RFC 8247 §2.1 (ENCR_NULL MUST NOT)",))
ENC_NULL_ESP = rule(
    "IPSEC-ENC-006", "ESP without confidentiality (ESP-NULL / GMAC-only) on a customer-data path",
    Severity.HIGH, F,
    "ENCR_NULL and ENCR_NULL_AUTH_AES_GMAC authenticate but do not encrypt; the paths ccsec "
    "protects carry customer data Cisco's guide asks to protect with integrity and "
    "encryption.",
    "Use an encrypting ESP transform (AES-GCM or AES-CBC + HMAC-SHA-256).",
    ("RFC 8221 §5 (ENCR_NULL: integrity-only use)", SEED_POLICY,))
ENC_NO_INTEG = rule(
    "IPSEC-ENC-007", "Encryption without integrity", Severity.CRITICAL, F,
    "RFC 8221 §4: encryption without authentication MUST NOT be used; AUTH_NONE is allowed only "
    "with AEAD ciphers (§6).",
    "Add an integrity transform (esp-sha256-hmac / -ESPHash SHA256 / -sha256) or use AES-GCM.",
    ("RFC 8221 §4", "RFC 8221 §6 (AUTH_NONE MUST NOT unless AEAD)",))
ENC_AH_ESP = rule(
    "IPSEC-ENC-008", "ESP+AH bundle", Severity.LOW, F,
    "RFC 8221 §4 calls ESP+AH NOT RECOMMENDED: slowest, smaller MTU, and AH breaks behind NAT.",
    "Use ESP alone (AEAD, or ESP with an integrity transform).",
    ("RFC 8221 §4 (ESP+AH NOT RECOMMENDED)",))
ENC_NON_AEAD = rule(
    "IPSEC-ENC-009", "ESP uses a non-AEAD cipher although both ends support AES-GCM",
    Severity.INFO, F,
    "RFC 8221 §5 raised AES-GCM-16 to MUST and expects AEAD to replace AES-CBC; Cisco NGE "
    "classes AES-GCM as Next Generation Encryption.",
    "Offer AES-GCM-16 first (IOS esp-gcm 256, Windows AESGCM256, strongSwan aes256gcm16).",
    ("RFC 8221 §5 (ENCR_AES_GCM_16 MUST)", NGE,))
ENC_ODD_SIZE = rule(
    "IPSEC-ENC-010", "AES-192, or AES-GCM with an 8/12-octet ICV", Severity.INFO, F,
    "RFC 8221 §5 note 1 and RFC 8247 §2.1 keep 192-bit AES keys and 8/12-octet GCM ICVs at MAY "
    "(only 128/256-bit keys with 16-octet ICVs are MUST/SHOULD): less interoperable.",
    "Use AES-128 or AES-256; GCM with the 16-octet ICV (aes256gcm16).",
    ("RFC 8221 §5 note [1]", "RFC 8247 §2.1",))

INT_MD5 = rule(
    "IPSEC-INT-001", "MD5 integrity or PRF", Severity.HIGH, F,
    "AUTH_HMAC_MD5_96 and PRF_HMAC_MD5 are MUST NOT (RFC 8221 §6, RFC 8247 §2.2/§2.3); Cisco "
    "classes MD5 Avoid and HMAC-MD5 Legacy.",
    "Use SHA-256 or better (IOS hash sha256 / esp-sha256-hmac; Windows SHA256).",
    ("RFC 8221 §6", "RFC 8247 §2.2 (PRF_HMAC_MD5 MUST NOT)", "RFC 8247 §2.3", NGE,))
INT_SHA1 = rule(
    "IPSEC-INT-002", "SHA-1 integrity or PRF", Severity.LOW, F,
    "AUTH_HMAC_SHA1_96 and PRF_HMAC_SHA1 are MUST- (expected to lose MUST status) in RFC 8221 §6 "
    "and RFC 8247 §2.2/§2.3; Cisco classes HMAC-SHA-1 Acceptable. It is the default "
    "documented in Cisco's contact center guide.",
    "Use SHA-256 (or an AEAD cipher with a SHA-2 PRF).",
    ("RFC 8221 §6 (AUTH_HMAC_SHA1_96 MUST-)", "RFC 8247 §2.2–§2.3 (MUST-)", NGE, SEED_POLICY,))
INT_OBSOLETE = rule(
    "IPSEC-INT-003", "Obsolete MAC (DES-MAC, KPDK-MD5, HMAC-MD5-128, HMAC-SHA1-160)",
    Severity.HIGH, F,
    "RFC 8247 §2.3 says MUST NOT for AUTH_DES_MAC and AUTH_KPDK_MD5; the IANA registry marks "
    "these and HMAC-MD5-128/HMAC-SHA1-160 Deprecated.",
    "Use HMAC-SHA-256 or better.",
    ("RFC 8221 §6", "RFC 8247 §2.3", IANA_IKEV2.at("Transform Type 3 (integrity)", "[S]")))
INT_TIGER = rule(
    "IPSEC-INT-004", "PRF_HMAC_TIGER", Severity.HIGH, F,
    "RFC 9395 marks PRF_HMAC_TIGER Deprecated in the IANA registry.",
    "Use prfsha256 or better.",
    (RFC9395, IANA_IKEV2.at("Transform Type 2 (PRF)", "[S]")),
    unverified="RFC 9395 body not read; IANA status column read from a mirror [S]")
INT_GMAC = rule(
    "IPSEC-INT-005", "AES-GMAC as the ESP integrity transform", Severity.INFO, F,
    "RFC 8221 §6: AUTH_AES_*_GMAC should only be used for AH; for integrity-only ESP use "
    "ENCR_NULL_AUTH_AES_GMAC, for encrypted ESP use AES-GCM.",
    "Windows: pair -Encryption AESGCMn with -ESPHash AESGMACn, or use SHA256.",
    ("RFC 8221 §6 (AUTH_AES_128/256_GMAC MAY, AH only)",))

DH_1_22 = rule(
    "IPSEC-DH-001", "DH group 1 (768-bit MODP) or 22 (1024-bit MODP, 160-bit subgroup)",
    Severity.CRITICAL, F,
    "RFC 8247 §2.4: group 1 is breakable in hours and group 22 has unpublished seeds and is too "
    "weak: MUST NOT; both Deprecated in IANA. Logjam-class precomputation (CVE-2015-4000).",
    "Use group 19 or 20 (or 14): IOS group 19, Windows DH19, strongSwan ecp256.",
    ("RFC 8247 §2.4 (groups 1, 22 MUST NOT)", LOGJAM, SEED_LOGJAM, NGE_DH))
DH_2 = rule(
    "IPSEC-DH-002", "DH group 2 (1024-bit MODP) — Logjam", Severity.HIGH, F,
    "The default documented in Cisco's contact center guide, which itself says to use DH ≥ 2048 "
    "bits against Logjam (CVE-2015-4000). RFC 8247 §2.4: SHOULD NOT, 'expected … to be "
    "downgraded to MUST NOT'; Cisco NGE: Avoid.",
    "Use group 19 or 20 (or 14): IOS group 19 / set pfs group19, Windows DH19, strongSwan ecp256.",
    ("RFC 8247 §2.4 (group 2 SHOULD NOT)", LOGJAM, SEED_LOGJAM, SEED_POLICY, NGE_DH))
DH_5 = rule(
    "IPSEC-DH-003", "DH group 5 (1536-bit MODP) — below 2048 bits", Severity.MEDIUM, F,
    "RFC 8247 §2.4: SHOULD NOT ('vulnerable … by a nation-state-level attack'); below the "
    "2048-bit floor Cisco's contact center guide sets against Logjam.",
    "Use group 19 or 20 (or 14).",
    ("RFC 8247 §2.4 (group 5 SHOULD NOT)", LOGJAM, SEED_LOGJAM))
DH_23_24 = rule(
    "IPSEC-DH-004", "DH group 23 or 24 (2048-bit MODP with a short prime-order subgroup)",
    Severity.MEDIUM, F,
    "RFC 8247 §2.4: SHOULD NOT, expected to become MUST NOT (RFC 6989 checks required). They are "
    "'2048-bit' groups, so a bits-only rule would pass them; older Cisco text calls 24 NGE, FTD "
    "6.7 removed it [S].",
    "Use group 19 or 20 (or 14); Windows: DH19/DH20 rather than DH24.",
    ("RFC 8247 §2.4 (groups 23, 24 SHOULD NOT)", "RFC 6989 §2.2"),
    unverified="Cisco FTD 6.7 removal of group 24 is [S]")
DH_NO_PFS = rule(
    "IPSEC-DH-005", "No PFS for the Child SA / quick mode", Severity.MEDIUM, F,
    "Without a PFS group every Child SA key derives from the IKE SA's key material: one broken IKE "
    "key exposes all traffic it protected (RFC 8221 §3 rationale; NIST SP 800-77r1 [U]).",
    "Set a PFS group equal to the IKE group (IOS set pfs group19; Windows "
    "-PerfectForwardSecrecyGroup DH19; strongSwan esp_proposals aes256gcm16-ecp256).",
    ("RFC 8221 §3", NIST_800_77.at(mark="[U]")),
    unverified="the NIST SP 800-77r1 recommendation was not read in its text [U]")
DH_WEAK_PFS = rule(
    "IPSEC-DH-006", "PFS group weaker than the IKE group", Severity.LOW, F,
    "Child SA keys are then only as strong as the weaker PFS group (RFC 8247 §2.4/§5: the DH group "
    "is the parameter to choose most conservatively).",
    "Use the IKE group for PFS as well.",
    ("RFC 8247 §2.4", "RFC 8247 §5",))

#: every algorithm → the rule that judges it (None: acceptable, no finding)
ENCR_ESP_VERDICT: dict[Encr, CheckRule] = {
    Encr.DES: ENC_DES, Encr.TDES: ENC_3DES_ESP, Encr.BLOWFISH: ENC_OBSOLETE,
    Encr.CAST128: ENC_OBSOLETE, Encr.IDEA: ENC_OBSOLETE, Encr.NULL: ENC_NULL_ESP,
    Encr.AES128GMAC: ENC_NULL_ESP, Encr.AES256GMAC: ENC_NULL_ESP,
    Encr.AES192: ENC_ODD_SIZE, Encr.AES192GCM: ENC_ODD_SIZE, Encr.AES128GCM8: ENC_ODD_SIZE,
    Encr.AES128GCM12: ENC_ODD_SIZE, Encr.AES256GCM8: ENC_ODD_SIZE,
    Encr.AES256GCM12: ENC_ODD_SIZE,
}
ENCR_IKE_VERDICT: dict[Encr, CheckRule] = {
    **ENCR_ESP_VERDICT, Encr.TDES: ENC_3DES_IKE, Encr.NULL: ENC_NULL_IKE,
}
INTEG_VERDICT: dict[Integ, CheckRule] = {
    Integ.MD5: INT_MD5, Integ.SHA1: INT_SHA1, Integ.MD5_128: INT_OBSOLETE,
    Integ.SHA1_160: INT_OBSOLETE, Integ.DESMAC: INT_OBSOLETE, Integ.KPDKMD5: INT_OBSOLETE,
}
PRF_VERDICT: dict[Prf, CheckRule] = {Prf.MD5: INT_MD5, Prf.SHA1: INT_SHA1, Prf.TIGER: INT_TIGER}
GROUP_VERDICT: dict[int, CheckRule] = {1: DH_1_22, 22: DH_1_22, 2: DH_2, 5: DH_5, 23: DH_23_24,
                                    24: DH_23_24}
#: obsolete IANA ciphers ccsec's vocabulary has no member for (importers report them by name)
OBSOLETE_NAMES = frozenset({"3idea", "rc5", "des_iv32", "des_iv64", "desiv32", "desiv64",
                            "des-iv32", "des-iv64", "rc4"})


def _status(info: object, kind: str) -> str:
    level = getattr(info, kind, None)
    nge = getattr(info, "nge", None)
    dep = getattr(info, "deprecated", None)
    bits = [f"{'RFC 8221' if kind == 'esp' else 'RFC 8247'}: {level}" if level else "",
            f"Cisco: {nge}" if nge else "", f"IANA Deprecated ({dep})" if dep else ""]
    return ", ".join(b for b in bits if b)


#: what the IKE proposals of one tuple say, judged once per distinct algorithm: strongSwan's
#: default list expands to thousands of proposals that many rules share
_IKE_FINDINGS: dict[int, tuple[tuple[IkeProposal, ...], list[tuple[CheckRule, str]]]] = {}


def ike_findings(props: tuple[IkeProposal, ...]) -> list[tuple[CheckRule, str]]:
    """(rule, what) per weak algorithm among ``props`` (one per algorithm, the first proposal
    named): the audit's verdicts on configured proposals and ``ccsec probe``'s on accepted
    ones."""
    hit = _IKE_FINDINGS.get(id(props))
    if hit is not None and hit[0] is props:
        return hit[1]
    seen: dict[tuple[str, object], tuple[CheckRule, IkeProposal, int]] = {}

    def note(kind: str, alg: object, verdict: CheckRule | None, p: IkeProposal) -> None:
        if verdict is None:
            return
        key = (kind, alg)
        found = seen.get(key)
        seen[key] = (verdict, found[1] if found else p, (found[2] if found else 0) + 1)

    for p in props:
        note("encr", p.encryption, ENCR_IKE_VERDICT.get(p.encryption), p)
        if p.integrity is not None:
            note("integ", p.integrity, INTEG_VERDICT.get(p.integrity), p)
        if p.prf is not None:
            note("prf", p.prf, PRF_VERDICT.get(p.prf), p)
        note("group", p.group, GROUP_VERDICT.get(p.group), p)
    out: list[tuple[CheckRule, str]] = []
    for (kind, _), (verdict, p, count) in seen.items():
        more = f" (and {count - 1} more proposals with it)" if count > 1 else ""
        where = f"IKE proposal {p.label()}{more}"
        if kind == "encr":
            info = ENCR[p.encryption]
            out.append((verdict, f"{where}: {info.iana} ({_status(info, 'ike')})"))
        elif kind == "integ":
            assert p.integrity is not None
            info = INTEG[p.integrity]
            out.append((verdict, f"{where}: {info.iana} ({_status(info, 'ike')})"))
        elif kind == "prf":
            assert p.prf is not None
            info = PRF[p.prf]
            out.append((verdict, f"{where}: {info.iana} ({_status(info, 'ike')})"))
        else:
            g = DH_GROUPS[p.group]
            out.append((verdict, f"{where}: {dh_label(p.group)} (RFC 8247 §2.4: {g.ike}"
                        + (f", Cisco: {g.nge}" if g.nge else "") + ")"))
    if len(_IKE_FINDINGS) > 4096:
        _IKE_FINDINGS.clear()
    _IKE_FINDINGS[id(props)] = (props, out)
    return out


def _ike(c: Collector, end: ImportedEnd, r: Rule) -> None:
    for verdict, what in ike_findings(r.ike.proposals):
        c.add(verdict, end, r, what, "ike")


def _group(c: Collector, end: ImportedEnd, r: Rule, group: int, where: str, aspect: str) -> None:
    v = GROUP_VERDICT.get(group)
    if v is not None:
        info = DH_GROUPS[group]
        c.add(v, end, r, f"{where}: {dh_label(group)} (RFC 8247 §2.4: {info.ike}"
              + (f", Cisco: {info.nge}" if info.nge else "") + ")", aspect)


def _esp(c: Collector, end: ImportedEnd, r: Rule, p: EspProposal) -> None:
    where = f"ESP proposal {p.label()}"
    if p.encryption is not None:
        v = ENCR_ESP_VERDICT.get(p.encryption)
        if v is not None:
            c.add(v, end, r, f"{where}: {ENCR[p.encryption].iana} "
                  f"({_status(ENCR[p.encryption], 'esp')})", "esp")
        if not is_aead(p.encryption) and p.integrity is None and p.ah is None \
                and p.encryption is not Encr.NULL:
            c.add(ENC_NO_INTEG, end, r, f"{where}: {ENCR[p.encryption].iana} without an "
                  "integrity transform", "esp")
    for integ in (p.integrity, p.ah):
        if integ is None:
            continue
        v = INTEG_VERDICT.get(integ)
        if v is not None:
            c.add(v, end, r, f"{where}: {INTEG[integ].iana} ({_status(INTEG[integ], 'esp')})",
                  "esp")
        if integ in (Integ.AES128GMAC, Integ.AES256GMAC) and integ == p.integrity:
            c.add(INT_GMAC, end, r, f"{where}: {INTEG[integ].iana} as ESP integrity", "esp")
    if p.ah is not None and p.encryption is not None:
        c.add(ENC_AH_ESP, end, r, f"{where}: AH ({INTEG[p.ah].iana}) + ESP bundle", "esp")


def _aead_possible(ctx: AuditContext, end: ImportedEnd, r: Rule) -> bool:
    platforms = {end.platform} | {p.platform for p, _ in ctx.peers(end, r)}
    for name in platforms:
        cap = CAPABILITIES.get(name)
        if cap is None or not any(is_aead(e) and ENCR[e].esp == "MUST" for e in cap.esp_encr):
            return False
    return True


def _pfs(c: Collector, end: ImportedEnd, r: Rule) -> None:
    if r.pfs_group is None:
        c.add(DH_NO_PFS, end, r, "no PFS group: Child SA keys derive from the IKE SA", "esp")
        return
    _group(c, end, r, r.pfs_group, "PFS", "esp")
    weakest_ike = min((DH_GROUPS[p.group].strength for p in r.ike.proposals), default=0)
    if DH_GROUPS[r.pfs_group].strength < weakest_ike:
        c.add(DH_WEAK_PFS, end, r, f"PFS {dh_label(r.pfs_group)} is weaker than the IKE "
              "group(s) " + ", ".join(sorted({dh_label(p.group) for p in r.ike.proposals})),
              "esp")


def check(ctx: AuditContext) -> Iterable[Finding]:
    c = Collector()
    #: (proposals, ike_only, ESP proposals, PFS group) → what the rule's own settings yield
    #: (shortcut: a 1,000-site tree has a handful of distinct settings over 28,000 rules)
    judged: dict[tuple[object, ...], _Judged] = {}
    for end, r in ctx.rules():
        if r.action != "negotiate":
            continue
        if not shortcuts.FAST:
            _judge(c, end, r, partial(_aead_possible, ctx, end, r))
            continue
        key = (r.ike.proposals, r.ike_only, r.esp, r.pfs_group)
        found = judged.get(key)
        if found is None:
            found = judged[key] = _Judged(r)
        found.replay(c, end, r, partial(_aead_possible, ctx, end, r))
        if r.ike_only:
            continue
        for name in _obsolete_names(end, r):
            c.add(ENC_OBSOLETE, end, r, f"obsolete cipher '{name}' in the configuration", "esp")
    return c.findings()


def _judge(c: Collector, end: ImportedEnd, r: Rule, aead_possible: Callable[[], bool]) -> None:
    """Every finding of one negotiating rule (the long way)."""
    _ike(c, end, r)
    if r.ike_only:
        return  # no CHILD_SA: its ESP proposals are placeholders
    for e in r.esp:
        _esp(c, end, r, e)
    if _non_aead(r) and aead_possible():
        c.add(ENC_NON_AEAD, end, r, "ESP offers no AES-GCM although both ends support it",
              "esp")
    _pfs(c, end, r)
    for name in _obsolete_names(end, r):
        c.add(ENC_OBSOLETE, end, r, f"obsolete cipher '{name}' in the configuration", "esp")


def _non_aead(r: Rule) -> bool:
    """ESP offers ciphers, none of them AEAD."""
    return not any(e.encryption is not None and is_aead(e.encryption) for e in r.esp) \
        and any(e.encryption not in (None, Encr.NULL) for e in r.esp)


class _Recorder(Collector):
    """Keeps what the judging functions add, in order, to be replayed for other rules."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[CheckRule, str, str | None]] = []

    def add(self, r: CheckRule, end: ImportedEnd, rule: Rule | None, what: str,
            aspect: str | None = None, severity: Severity | None = None,
            fix: str | None = None) -> None:
        assert severity is None and fix is None  # the judging functions set neither
        self.calls.append((r, what, aspect))


class _Judged:
    """What a rule's IKE proposals, ESP proposals and PFS group yield, recorded once: the
    findings before and after the AES-GCM question (which depends on the rule's peers)."""

    def __init__(self, r: Rule) -> None:
        before, after = _Recorder(), _Recorder()
        dummy = ImportedEnd(policy=EndPolicy(name="judged"), source="", format="")
        _ike(before, dummy, r)
        self.ike_only = r.ike_only
        self.non_aead = False
        if not r.ike_only:
            for e in r.esp:
                _esp(before, dummy, r, e)
            self.non_aead = _non_aead(r)
            _pfs(after, dummy, r)
        self.before, self.after = before.calls, after.calls

    def replay(self, c: Collector, end: ImportedEnd, r: Rule,
               aead_possible: Callable[[], bool]) -> None:
        for rule_, what, aspect in self.before:
            c.add(rule_, end, r, what, aspect)
        if self.non_aead and aead_possible():
            c.add(ENC_NON_AEAD, end, r, "ESP offers no AES-GCM although both ends support it",
                  "esp")
        for rule_, what, aspect in self.after:
            c.add(rule_, end, r, what, aspect)


def _obsolete_names(end: ImportedEnd, r: Rule) -> list[str]:
    """Cipher names an importer saw but ccsec's vocabulary does not hold (facts
    ``obsolete_algorithms``: {rule: [name, …]})."""
    return list(end.facts.obsolete_algorithms.get(r.name, ()))
