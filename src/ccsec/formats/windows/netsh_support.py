"""What ``netsh ipsec static`` cannot express (the support tables) and what a script loses.

A row per thing ``windows-netsh`` refuses, with its id and the reason in the words of netsh's
built-in help; :class:`~ccsec.formats.base.Format` runs them in this order (the
policy's description; per rule a clashing name, then its rows — IKE, proposal by proposal, ESP,
PFS, security, authentication, filters; last, PFS groups the policy-wide main mode cannot
serve).  The online page's AES strings contradict the help grammar [V]: ccsec reads them but
never generates them, so the algorithm rows follow the help text.

Lost on the way (``LOSSES``, applied by ``project``): what no Windows store holds
(:data:`.support.WINDOWS_LOSSES`), the gateway fields of a host format, and what netsh keeps per
*policy* rather than per rule — the IKE methods and lifetime (:class:`PolicyMainMode`) — and a
transport rule's addresses, which netsh has only as its first filter.
"""

from __future__ import annotations

from dataclasses import dataclass

from ccsec.crypto import EspProposal, IkeProposal
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
    resolved_auth,
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
from ccsec.formats.windows.text import ca_problem, netsh_psk_problem, netsh_text_problem
from ccsec.formats.windows.vocabulary import (
    NETSH_DEFAULT_MM_LIFETIME_MIN,
    NETSH_ESP_CONF,
    NETSH_MM_ENCR,
    NETSH_MM_GROUP,
    NETSH_MM_INTEG,
    NETSH_QM_HASH,
)
from ccsec.policy import Address, Auth, EndPolicy, Ike, Rule

# ------------------------------------------------------------------- the policy's main mode


def ike_union(end: EndPolicy) -> tuple[IkeProposal, ...]:
    """The policy's mmsecmethods: every rule's IKE proposals, in order, each once."""
    return tuple(dict.fromkeys(p for r in end.rules for p in r.ike.proposals))


def mm_minutes(end: EndPolicy) -> int:
    """The policy's mmlifetime: the shortest IKE lifetime of its rules, in whole minutes."""
    if not end.rules:
        return NETSH_DEFAULT_MM_LIFETIME_MIN
    return max(1, -(-min(r.ike.lifetime_s for r in end.rules) // 60))


@dataclass(frozen=True)
class PolicyMainMode:
    """The one main mode a netsh policy gives every rule (its device view for ``project``)."""

    ike: Ike

    @classmethod
    def of(cls, end: EndPolicy) -> PolicyMainMode:
        return cls(Ike(version=1, exchange="main", proposals=ike_union(end),
                       lifetime_s=mm_minutes(end) * 60))


# ------------------------------------------------------------------------------ the end


def _pfs_not_main_mode(end: EndPolicy) -> list[Subst]:
    """``qmpfs=yes`` reuses the main-mode group: PFS is exact only when the policy-wide main
    mode has that one group."""
    groups = {p.group for p in ike_union(end)}
    shown = ", ".join(str(g) for g in sorted(groups))
    return [{"rule": f"rule {r.name}", "pfs": str(r.pfs_group), "groups": shown}
            for r in end.rules if r.pfs_group is not None and groups != {r.pfs_group}]


END_REFUSALS: tuple[EndRefusal, ...] = (
    EndRefusal("policy-description-text",
               text_problem(netsh_text_problem, lambda e: e.description),
               "{policy}: the description contains {problem} — remove it from the description"),
)

RULE_IN_END_REFUSALS: tuple[RuleInEndRefusal, ...] = (name_clashes("netsh names"),)

LATE_END_REFUSALS: tuple[EndRefusal, ...] = (
    EndRefusal("pfs-not-main-mode-group", _pfs_not_main_mode,
               "{rule}: PFS group {pfs} differs from the policy's main-mode group(s) {groups} "
               "(netsh qmpfs=yes reuses the main-mode group) — use the main-mode group for PFS "
               "or no PFS"),
)

# ------------------------------------------------------------------------------ a rule


def _mm_encryption(rule: Rule, p: IkeProposal) -> list[Subst]:
    return [] if p.encryption in NETSH_MM_ENCR else [{"value": p.encryption.value, **label(p)}]


def _mm_integrity(rule: Rule, p: IkeProposal) -> list[Subst]:
    if p.integrity in NETSH_MM_INTEG:
        return []
    return [{"value": p.integrity.value if p.integrity else "none", **label(p)}]


def _mm_group(rule: Rule, p: IkeProposal) -> list[Subst]:
    return [] if p.group in NETSH_MM_GROUP else [{"group": str(p.group), **label(p)}]


IKE_PROPOSAL_REFUSALS: tuple[ItemRefusal[IkeProposal], ...] = (
    ItemRefusal("mmsecmethods-encryption", _mm_encryption,
                "{rule}: IKE encryption {value} ({label}) is not in netsh's mmsecmethods "
                "grammar (DES or 3DES only)"),
    ItemRefusal("mmsecmethods-integrity", _mm_integrity,
                "{rule}: IKE integrity {value} ({label}) is not in netsh's mmsecmethods grammar "
                "(MD5 or SHA1 only)"),
    ItemRefusal("prf", proposal_when(lambda p: p.prf is not None),
                "{rule}: IKE proposal {label} names a PRF, which netsh cannot express"),
    ItemRefusal("dh-group", _mm_group,
                "{rule}: DH group {group} ({label}) is not one of netsh's groups 1, 2, 14 "
                "(netsh 3 = IANA 14)"),
)


def _esp_encryption(rule: Rule, p: EspProposal) -> list[Subst]:
    if p.encryption is None or p.encryption in NETSH_ESP_CONF:
        return []
    return [{"value": p.encryption.value, **label(p)}]


def _esp_integrity(rule: Rule, p: EspProposal) -> list[Subst]:
    if p.integrity is None or p.integrity in NETSH_QM_HASH:
        return []
    return [{"value": p.integrity.value, **label(p)}]


def _ah_integrity(rule: Rule, p: EspProposal) -> list[Subst]:
    return [] if p.ah is None or p.ah in NETSH_QM_HASH else [{"value": p.ah.value, **label(p)}]


ESP_PROPOSAL_REFUSALS: tuple[ItemRefusal[EspProposal], ...] = (
    ItemRefusal("qmsecmethods-encryption", _esp_encryption,
                "{rule}: ESP encryption {value} ({label}) is not in netsh's qmsecmethods "
                "grammar (DES, 3DES or None only)"),
    ItemRefusal("qmsecmethods-integrity", _esp_integrity,
                "{rule}: ESP integrity {value} ({label}) is not in netsh's qmsecmethods grammar "
                "(MD5, SHA1 or None only)"),
    ItemRefusal("qmsecmethods-ah", _ah_integrity,
                "{rule}: AH integrity {value} ({label}) is not in netsh's qmsecmethods grammar "
                "(MD5 or SHA1 only)"),
    ItemRefusal("integrity-without-esp", proposal_when(integrity_without_esp),
                "{rule}: proposal {label} has ESP integrity without ESP, which netsh cannot "
                "express"),
    ItemRefusal("esp-with-nothing", proposal_when(esp_with_nothing),
                "{rule}: proposal {label} would be ESP[None,None] (neither encryption nor "
                "integrity), which netsh rejects"),
)

AUTH_REFUSALS: tuple[ItemRefusal[Auth], ...] = (
    ItemRefusal("certificate-without-ca", item_when(lambda r, a: cert_without_ca(a)),
                "{rule}: certificate authentication needs the root CA's name for netsh "
                "rootca="),
    ItemRefusal("rootca-text", ca_problem_in(ca_problem),
                "{rule}: the CA name contains {problem}, which netsh rootca= cannot carry"),
    ItemRefusal("psk-text", psk_problem_in(netsh_psk_problem),
                "{rule}: the pre-shared key contains {problem} — choose a key netsh can quote"),
)


def _pfs_group(rule: Rule) -> list[Subst]:
    g = rule.pfs_group
    return [] if g is None or g in NETSH_MM_GROUP else [{"group": str(g)}]


def _method_twice(rule: Rule) -> list[Subst]:
    """``kerberos=`` and ``psk=`` are tags: a rule has each at most once."""
    return [{"method": m} for m in ("kerberos", "psk")
            if sum(a.method == m for a in rule.auth) > 1]


REFUSALS: tuple[Refusal, ...] = (
    Refusal("description-text", text_problem(netsh_text_problem, lambda r: r.description),
            "{rule}: the description contains {problem} — remove it from the description"),
    Refusal("ike-version", lambda r: [{"version": str(r.ike.version)}] if r.ike.version != 1
            else [],
            "{rule}: netsh ipsec static negotiates IKEv1 only, the rule needs IKEv{version}"),
    Refusal("aggressive-mode", when(aggressive),
            "{rule}: the legacy IPsec store has no aggressive mode (main mode only)"),
    each("ike-proposal", ike_proposals, IKE_PROPOSAL_REFUSALS),
    each("esp-proposal", esp_proposals, ESP_PROPOSAL_REFUSALS),
    Refusal("pfs-group", _pfs_group,
            "{rule}: PFS group {group} is not one of netsh's groups 1, 2, 14"),
    Refusal("security-none", when(lambda r: "none" in (r.inbound, r.outbound)),
            "{rule}: security 'none' has no filter-action form (soft=/inpass= choose between "
            "require and request) — use action permit instead"),
    Refusal("nat-t-off", when(nat_t_off),
            "{rule}: netsh has no per-rule switch to turn NAT traversal off"),
    Refusal("method-twice", _method_twice, "{rule}: netsh takes {method}= once per rule"),
    each("auth-method", auth_methods, AUTH_REFUSALS),
    Refusal("tunnel-one-way-filter",
            when(lambda r: r.mode == "tunnel" and any(not f.mirrored for f in r.filters)),
            "{rule}: a one-way filter in tunnel mode has no netsh form (ccsec writes a tunnel "
            "rule as two one-way rules from mirrored filters)"),
    Refusal("port-without-tcp-udp", when(port_without_tcp_udp),
            "{rule}: netsh filters take ports only with protocol TCP or UDP"),
    Refusal("protocol-0", when(protocol_zero),
            "{rule}: protocol 0 reads as 'any protocol' in netsh"),
)

# ----------------------------------------------------------------------------- losses


def _main_mode(at: Projecting) -> Ike:
    assert isinstance(at.device, PolicyMainMode)
    return at.device.ike


def _first_filter_local(at: Projecting) -> Address:
    assert at.rule is not None
    r = at.rule
    return r.filters[0].local.network_address if r.mode == "transport" else r.local_address


def _first_filter_remote(at: Projecting) -> Address:
    assert at.rule is not None
    r = at.rule
    return r.filters[0].remote.network_address if r.mode == "transport" else r.peer_address


LOSSES: tuple[Loss, ...] = (
    *HOST_LOSSES,
    Loss("rule.auth", "keys come back resolved", resolved_auth),
    *WINDOWS_LOSSES,
    Loss("rule.ike", "the IKE methods and lifetime belong to the policy (mmsecmethods, "
         "mmlifetime): every rule reads back their ordered union and the shortest lifetime in "
         "whole minutes", _main_mode),
    Loss("rule.nat_traversal", "netsh has no per-rule NAT-T switch (refused when off)", True),
    Loss("rule.local_address", "a transport rule's IKE address is its first filter's local "
         "side (netsh has no other place for it)", _first_filter_local),
    Loss("rule.peer_address", "a transport rule's IKE peer is its first filter's far end "
         "(netsh has no other place for it)", _first_filter_remote),
)
