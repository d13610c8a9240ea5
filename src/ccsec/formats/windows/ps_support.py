"""What the NetSecurity cmdlets cannot express (the support tables) and what a script loses.

A row per thing ``windows-powershell`` refuses, with its id and the reason in the cmdlets'
words; :class:`~ccsec.formats.base.Format` runs them in this order (the end's
header text; per rule a clashing name, then its rows — IKE, proposal by proposal, then ESP,
authentication, filters, action; last, rules that would share a main mode).  Values and limits
come from :mod:`.vocabulary` and ``crypto.CAPABILITIES["windows"]``.

Lost on the way (``LOSSES``, applied by ``project``): what no Windows store holds
(:data:`.support.WINDOWS_LOSSES`), the gateway fields of a host format, the default response
rule, and "no volume limit", which Windows does not have (ccsec writes the largest limit it
accepts and reads that back).
"""

from __future__ import annotations

from ccsec.crypto import CAPABILITIES, Encr, EspProposal, IkeProposal, is_aead
from ccsec.formats.base import (
    HOST_LOSSES,
    EndRefusal,
    ItemRefusal,
    Loss,
    Projecting,
    Refusal,
    RuleInEndRefusal,
    Subst,
    each,
    item_when,
    when,
)
from ccsec.formats.windows.support import (
    WINDOWS_LOSSES,
    aggressive,
    auth_methods,
    ca_problem_in,
    cert_without_ca,
    esp_proposals,
    esp_with_nothing,
    ike_proposals,
    integrity_without_esp,
    label,
    name_clashes,
    nat_t_off,
    port_without_tcp_udp,
    proposal_when,
    protocol_zero,
    psk_problem_in,
    text_problem,
)
from ccsec.formats.windows.text import has_control_character, ps_psk_problem, ps_text_problem
from ccsec.formats.windows.vocabulary import (
    DH_NAMES,
    MM_ENCR,
    MM_HASH,
    MM_MINUTES,
    NO_VOLUME_LIMIT_KB,
    QM_ENCR,
    QM_HASH,
    QM_KB,
    QM_MINUTES,
    SECURITY_PAIRS,
)
from ccsec.policy import Auth, EndPolicy, Rule

WINDOWS = CAPABILITIES["windows"]
GMAC_CIPHERS = (Encr.AES128GMAC, Encr.AES256GMAC)

# ------------------------------------------------------------------------------ the end


def _header_names(end: EndPolicy) -> list[Subst]:
    """The owner and platform go into the script's header comment, one line each."""
    return [{"what": what} for what, value in (("owner", end.owner), ("platform", end.platform))
            if value and has_control_character(value)]


def _main_mode_conflicts(end: EndPolicy) -> list[Subst]:
    """Rules whose main-mode rules would have the same scope but different settings.

    Windows keeps one main-mode SA per address pair and keying module, chosen by the main-mode
    rule whose scope matches; two rules between the same addresses must agree on it.
    """
    out = []
    first: dict[tuple[str, str, int], Rule] = {}
    for r in end.rules:
        other = first.setdefault((str(r.local_address), str(r.peer_address), r.ike.version), r)
        if other is not r and (other.ike, other.auth) != (r.ike, r.auth):
            out.append({"rule": f"rule {r.name}", "local": str(r.local_address),
                        "peer": str(r.peer_address), "other": other.name})
    return out


END_REFUSALS: tuple[EndRefusal, ...] = (
    EndRefusal("header-control-character", _header_names,
               "{policy}: the {what} name contains a control character, which would end the "
               "script's header comment"),
)

RULE_IN_END_REFUSALS: tuple[RuleInEndRefusal, ...] = (name_clashes("Windows object names"),)

LATE_END_REFUSALS: tuple[EndRefusal, ...] = (
    EndRefusal("one-main-mode-per-address-pair", _main_mode_conflicts,
               "{rule}: it shares IKE addresses {local} -> {peer} with rule {other} but not its "
               "main-mode settings (proposals, lifetime, authentication) — Windows negotiates "
               "one main mode per address pair"),
)

# ------------------------------------------------------------------------------ a rule


def _minutes_outside(seconds: int, bounds: tuple[int, int]) -> list[Subst]:
    """One occurrence unless ``seconds`` is a whole number of minutes within ``bounds``."""
    lo, hi = bounds
    if seconds % 60 == 0 and lo <= seconds // 60 <= hi:
        return []
    return [{"seconds": str(seconds), "range": f"{lo}..{hi}"}]


def _methods_refused(rule: Rule) -> list[Subst]:
    """Authentication methods Windows' keying module for this IKE version does not take."""
    v = rule.ike.version
    methods = sorted({a.method for a in rule.auth} - WINDOWS.ike.get(v, frozenset()))
    return [{"version": str(v), "methods": " or ".join(methods)}] if methods else []


def _mm_encryption(rule: Rule, p: IkeProposal) -> list[Subst]:
    if is_aead(p.encryption) or p.encryption in MM_ENCR:
        return []
    return [{"value": p.encryption.value, **label(p)}]


def _mm_hash(rule: Rule, p: IkeProposal) -> list[Subst]:
    if p.integrity is None or p.integrity in MM_HASH:
        return []
    return [{"value": p.integrity.value, **label(p)}]


def _mm_group(rule: Rule, p: IkeProposal) -> list[Subst]:
    return [] if p.group in DH_NAMES else [{"group": str(p.group), **label(p)}]


IKE_PROPOSAL_REFUSALS: tuple[ItemRefusal[IkeProposal], ...] = (
    ItemRefusal("main-mode-aead", proposal_when(lambda p: is_aead(p.encryption)),
                "{rule}: IKE proposal {label} uses AEAD in main mode, which Windows offers in "
                "quick mode only"),
    ItemRefusal("main-mode-encryption", _mm_encryption,
                "{rule}: IKE encryption {value} ({label}) is not a "
                "New-NetIPsecMainModeCryptoProposal -Encryption value"),
    ItemRefusal("main-mode-hash", _mm_hash,
                "{rule}: IKE integrity {value} ({label}) is not a -Hash value (MD5, SHA1, "
                "SHA256, SHA384)"),
    ItemRefusal("prf", proposal_when(lambda p: p.prf is not None),
                "{rule}: IKE proposal {label} names a PRF, which Windows cannot set"),
    ItemRefusal("dh-group", _mm_group,
                "{rule}: DH group {group} ({label}) is not a -KeyExchange value (DH1, DH2, DH14, "
                "DH19, DH20, DH24)"),
)


def _qm_encryption(rule: Rule, p: EspProposal) -> list[Subst]:
    if p.encryption is None or p.encryption in GMAC_CIPHERS or p.encryption in QM_ENCR:
        return []
    return [{"value": p.encryption.value, **label(p)}]


def _esp_hash(rule: Rule, p: EspProposal) -> list[Subst]:
    if p.integrity is None or p.integrity in QM_HASH:
        return []
    return [{"value": p.integrity.value, **label(p)}]


def _ah_hash(rule: Rule, p: EspProposal) -> list[Subst]:
    return [] if p.ah is None or p.ah in QM_HASH else [{"value": p.ah.value, **label(p)}]


def _ah_with_ikev2_transport(rule: Rule, p: EspProposal) -> list[Subst]:
    if p.ah is not None and rule.ike.version == 2 and rule.mode == "transport":
        return [label(p)]
    return []


ESP_PROPOSAL_REFUSALS: tuple[ItemRefusal[EspProposal], ...] = (
    ItemRefusal("gmac-cipher", proposal_when(lambda p: p.encryption in GMAC_CIPHERS),
                "{rule}: ESP {label} (ENCR_NULL_AUTH_AES_GMAC) has no Windows form: Windows "
                "writes GMAC as an ESP hash with null encryption [V] — use null encryption with "
                "AES-GMAC integrity"),
    ItemRefusal("quick-mode-encryption", _qm_encryption,
                "{rule}: ESP encryption {value} ({label}) is not a "
                "New-NetIPsecQuickModeCryptoProposal -Encryption value"),
    ItemRefusal("esp-hash", _esp_hash,
                "{rule}: ESP integrity {value} ({label}) is not an -ESPHash value"),
    ItemRefusal("ah-hash", _ah_hash,
                "{rule}: AH integrity {value} ({label}) is not an -AHHash value"),
    ItemRefusal("integrity-without-esp", proposal_when(integrity_without_esp),
                "{rule}: proposal {label} has ESP integrity without ESP"),
    ItemRefusal("esp-with-nothing", proposal_when(esp_with_nothing),
                "{rule}: proposal {label} is ESP with neither encryption nor integrity"),
    ItemRefusal("ah-ikev2-transport", _ah_with_ikev2_transport,
                "{rule}: AH is not supported with the transport-mode IKEv2 keying module [D] "
                "({label})"),
)

AUTH_REFUSALS: tuple[ItemRefusal[Auth], ...] = (
    ItemRefusal("certificate-without-ca", item_when(lambda r, a: cert_without_ca(a)),
                "{rule}: certificate authentication needs the root CA's name "
                "(New-NetIPsecAuthProposal -Authority is mandatory)"),
    ItemRefusal("ca-text", ca_problem_in(ps_text_problem),
                "{rule}: the CA name contains {problem}"),
    ItemRefusal("psk-text", psk_problem_in(ps_psk_problem),
                "{rule}: the pre-shared key contains {problem} — choose another key"),
)


def _pfs_group(rule: Rule) -> list[Subst]:
    g = rule.pfs_group
    return [] if g is None or g in DH_NAMES else [{"group": str(g)}]


def _volume(rule: Rule) -> list[Subst]:
    kb, (lo, hi) = rule.lifetime_kb, QM_KB
    return [] if kb is None or lo <= kb <= hi else [{"kb": str(kb), "range": f"{lo}..{hi}"}]


def _firewall_action(rule: Rule) -> list[Subst]:
    return [] if rule.action == "negotiate" else [{"action": rule.action}]


def _security_pair(rule: Rule) -> list[Subst]:
    pair = (rule.inbound, rule.outbound)
    if rule.action != "negotiate" or pair in SECURITY_PAIRS:
        return []
    return [{"inbound": rule.inbound, "outbound": rule.outbound}]


REFUSALS: tuple[Refusal, ...] = (
    Refusal("description-text", text_problem(ps_text_problem, lambda r: r.description),
            "{rule}: the description contains {problem}"),
    Refusal("aggressive-mode", when(aggressive),
            "{rule}: Windows has no aggressive mode (main mode only)"),
    Refusal("ike-auth-method", _methods_refused,
            "{rule}: Windows IKEv{version} cannot authenticate with {methods} (IKEv2 is "
            "certificate-only [D]; PSK over IKEv2 is only reported to work [O]) — use IKEv1 or "
            "certificates"),
    each("ike-proposal", ike_proposals, IKE_PROPOSAL_REFUSALS),
    Refusal("ike-lifetime", lambda r: _minutes_outside(r.ike.lifetime_s, MM_MINUTES),
            "{rule}: IKE lifetime {seconds}s is not a whole number of minutes in {range} "
            "(-MaxMinutes)"),
    each("esp-proposal", esp_proposals, ESP_PROPOSAL_REFUSALS),
    Refusal("pfs-group", _pfs_group,
            "{rule}: PFS group {group} is not a -PerfectForwardSecrecyGroup value (DH1, DH2, "
            "DH14, DH19, DH20, DH24)"),
    Refusal("child-lifetime", lambda r: _minutes_outside(r.lifetime_s, QM_MINUTES),
            "{rule}: IPsec SA lifetime {seconds}s is not a whole number of minutes in {range} "
            "(-MaxMinutes)"),
    Refusal("volume-limit", _volume,
            "{rule}: IPsec SA volume limit {kb} KB is outside {range} (-MaxKiloBytes)"),
    each("auth-method", auth_methods, AUTH_REFUSALS),
    Refusal("one-way-filter", when(lambda r: any(not f.mirrored for f in r.filters)),
            "{rule}: connection security rules are always mirrored (no one-way filters)"),
    Refusal("port-without-tcp-udp", when(port_without_tcp_udp),
            "{rule}: Windows takes ports only with protocol TCP or UDP"),
    Refusal("protocol-0", when(protocol_zero),
            "{rule}: protocol 0 (HOPOPT) may read as 'any' on Windows [V] — name another "
            "protocol or none"),
    Refusal("firewall-action", _firewall_action,
            "{rule}: action {action} is a firewall rule (New-NetFirewallRule), not a "
            "connection security rule — ccsec writes only negotiate rules here"),
    Refusal("exemption", when(lambda r: r.action == "negotiate"
                              and (r.inbound, r.outbound) == ("none", "none")),
            "{rule}: security none/none is Windows' 'do not authenticate' exemption, not a "
            "negotiate rule — use action permit in a firewall rule"),
    Refusal("security-pair", _security_pair,
            "{rule}: inbound {inbound} with outbound {outbound} is not a pair New-NetIPsecRule "
            "accepts (None/None, Request/None, Request/Request, Require/Request, "
            "Require/Require)"),
    Refusal("nat-t-off", when(nat_t_off),
            "{rule}: Windows has no per-rule switch to turn NAT traversal off "
            "(Set-NetFirewallSetting -AllowIPsecThroughNAT is machine-wide)"),
)

# ----------------------------------------------------------------------------- losses


def _auth_read_back(at: Projecting) -> tuple[Auth, ...]:
    """Each method as New-NetIPsecAuthProposal holds it: its key (resolved) or its CA, and
    nothing of another method's."""
    assert at.rule is not None
    out = []
    for a in at.rule.auth:
        if a.method == "psk":
            out.append(Auth(method="psk", psk=at.ctx.resolve(a.psk)))
        elif a.method == "certificate":
            out.append(Auth(method="certificate", ca=a.ca))
        else:
            out.append(Auth(method="kerberos"))
    return tuple(out)


def _volume_read_back(at: Projecting) -> int:
    assert at.rule is not None
    kb = at.rule.lifetime_kb
    return NO_VOLUME_LIMIT_KB if kb is None else kb


LOSSES: tuple[Loss, ...] = (
    *HOST_LOSSES,
    Loss("end.default_response_rule", "the modern store has no default response rule", False),
    Loss("rule.auth", "keys come back resolved; an authentication proposal holds only its own "
         "method's key or CA", _auth_read_back),
    *WINDOWS_LOSSES,
    Loss("rule.lifetime_kb", "Windows always has a volume limit: 'none' is written as the "
         "largest -MaxKiloBytes it accepts", _volume_read_back),
)
