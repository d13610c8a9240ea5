"""What an IOS gateway configuration cannot express, row by row, in IOS's own words.

The support tables (:data:`END_REFUSALS`, :data:`REFUSALS`) are run by
:meth:`ccsec.formats.base.Format.unsupported`: one sentence per problem, naming the rule.
Rendering a refused end raises :class:`~ccsec.errors.UnsupportedError`; ccsec never writes a
substitute (no PSK for Kerberos, no crypto map for a transport rule).

In short: Kerberos (no Kerberos on IOS), transport mode (a router cannot enforce host-to-host
transport, platform-syntax §1), permit/block actions, clear-text fallback (request/none),
disabled rules, aggressive mode, more than one authentication method, AEAD in IKEv1, an IKEv1
PRF other than the hash's, algorithms/groups outside ``crypto.CAPABILITIES["ios"]``, more than 6
transform sets, one-way filters, ports without TCP/UDP, protocol 0, identities IOS cannot send
(IKEv1 key-id, a DN without certificates), text IOS cannot read (non-ASCII, ``?``, blanks
in a key or name), values outside IOS's ranges (lifetimes, DPD, NAT keepalive), ends without
gateway facts or rules, duplicate rule names.

Most rows look at one rule.  Where a rule holds several items (IKE proposals, filters,
identities), a row checks them item by item (:func:`~ccsec.formats.base.each`) so that the
messages about one proposal or filter stay together, in the order IOS users have always read
them.
"""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import IPv4Address

from ccsec.crypto import CAPABILITIES, DH_GROUPS, EspProposal, IkeProposal, is_aead
from ccsec.formats.base import (
    EndRefusal,
    ItemRefusal,
    Refusal,
    RuleInEndRefusal,
    Subst,
    each,
    item_when,
    when,
)
from ccsec.formats.ios.device import v1_proposal
from ccsec.formats.ios.tree import (
    DESCRIPTION_MAX,
    encode_description,
    is_placeholder,
    is_unicast,
    text_problem,
)
from ccsec.policy import EndPolicy, Filter, Identity, Rule

CAP = CAPABILITIES["ios"]
#: IOS ranges (platform-syntax.md §5.1/§5.2 [D]; SA lifetime/volume ranges from `?` [V])
IKEV1_LIFETIME = (60, 86400)
IKEV2_LIFETIME = (120, 86400)
SA_SECONDS = (120, 2592000)
SA_KILOBYTES = (2560, 4294967295)
DPD_RANGE = (10, 3600)
NAT_KEEPALIVE = (5, 3600)
#: words IOS would take as a keyword where a key is expected (any unique prefix of them)
_KEY_KEYWORDS = ("local", "remote", "hex", "address", "hostname", "key", "no-xauth")



# ----------------------------------------------------------------- rows per item of a rule


# --------------------------------------------------------------------- the end's rows


def interface_ok(name: str) -> bool:
    """A name IOS reads as one interface (type letters, then a number: ``GigabitEthernet0/1``)."""
    head = name.rstrip("0123456789/.:")
    return (text_problem(name, "x") is None and " " not in name and head != name
            and head.replace("-", "").isalpha())


def _bad_interfaces(end: EndPolicy) -> list[Subst]:
    return [{"what": what, "value": value}
            for what, value in (("wan_interface", end.wan_interface),
                                ("lan_interface", end.lan_interface))
            if value is not None and not interface_ok(value)]


def _repeated_names(end: EndPolicy) -> list[list[Subst]]:
    """Per rule: one occurrence when an earlier rule already has its name (every IOS object
    is named after its rule)."""
    seen: set[str] = set()
    out: list[list[Subst]] = []
    for r in end.rules:
        out.append([{}] if r.name in seen else [])
        seen.add(r.name)
    return out


END_REFUSALS: tuple[EndRefusal, ...] = (
    EndRefusal("no-rules", lambda end: [] if end.rules else [{}],
               "the end has no tunnel rules: an IOS gateway config would be empty"),
    EndRefusal("gateway-facts",
               lambda end: [{}] if None in (end.tunnel_style, end.wan_interface,
                                            end.lan_interface) else [],
               "IOS renders a site gateway: the end needs wan_interface, lan_interface and "
               "tunnel_style (give the site a gateway with platform: ios)"),
    EndRefusal("interface-name", _bad_interfaces, "{what} {value!r} is not an IOS interface name"),
)

RULE_IN_END_REFUSALS: tuple[RuleInEndRefusal, ...] = (
    RuleInEndRefusal("duplicate-name", _repeated_names,
                     "{rule}: two rules share this name (IOS object names clash)"),
)


# ------------------------------------------------------------------- IKE and ESP proposals


def _proposal_label(p: IkeProposal) -> Subst:
    return {"proposal": p.label()}


#: per IKE proposal, the first that applies
IKE_PROPOSAL_ROWS: tuple[ItemRefusal[IkeProposal], ...] = (
    ItemRefusal("ikev1-aead", item_when(lambda r, p: r.ike.version == 1 and is_aead(p.encryption)),
                "IKEv1 has no AEAD cipher ({proposal})"),
    ItemRefusal("ikev1-prf",
                item_when(lambda r, p: r.ike.version == 1 and v1_proposal(p).prf is not None),
                "IKEv1 on IOS derives the PRF from the hash ({proposal})"),
    ItemRefusal("ike-algorithms", item_when(lambda r, p: not CAP.allows_ike(p, r.ike.version)),
                "IKE proposal {proposal} is outside what IOS negotiates"),
)


def _esp_outside_words(rule: Rule) -> list[Subst]:
    return [{"proposal": p.label()} for p in rule.esp if not _transform_words(p)]


def _transform_words(p: EspProposal) -> bool:
    """IOS has transform-set words for the proposal (and it protects something: ESP or AH)."""
    return CAP.allows_esp(p) and not (p.encryption is None and p.ah is None)


def _pfs_outside(rule: Rule) -> list[Subst]:
    g = rule.pfs_group
    return [{"group": DH_GROUPS[g].keyword}] if g is not None and g not in CAP.pfs_groups else []


# ------------------------------------------------------------------ keys and names


def _key_text(rule: Rule, key: str) -> list[Subst]:
    problem = text_problem(key, "the pre-shared key")
    return [{"text": problem.replace(repr(key), "(value hidden)")}] if problem else []


def _reads_as_keyword(key: str) -> bool:
    low = key.lower()
    return (len(key) == 1 and key.isdigit()) or any(w.startswith(low) for w in _KEY_KEYWORDS)


#: why IOS would misread a pre-shared key, the first that applies (the value is never shown)
KEY_ROWS: tuple[ItemRefusal[str], ...] = (
    ItemRefusal("psk-text", _key_text, "{text}"),
    ItemRefusal("psk-blank", item_when(lambda r, key: " " in key),
                "the pre-shared key contains a blank (IOS reads one word)"),
    ItemRefusal("psk-placeholder", item_when(lambda r, key: is_placeholder(key)),
                "the pre-shared key looks like a template placeholder (<...>, X.X.X.X)"),
    ItemRefusal("psk-keyword", item_when(lambda r, key: _reads_as_keyword(key)),
                "the pre-shared key reads as an IOS keyword; choose a longer key"),
)


def key_problem(rule: Rule, key: str) -> str | None:
    """Why IOS would misread ``key`` as ``rule``'s pre-shared key (None when it reads it
    verbatim): the policy's own keys are checked by the table, keys behind ``env:``/``file:``
    when the renderer resolves them."""
    found = next(each("key", lambda r: [key], KEY_ROWS, first=True).occurrences(rule), None)
    return found[1] if found else None


def _psk_unreadable(rule: Rule) -> bool:
    auth = rule.auth[0] if rule.auth else None
    return auth is not None and auth.method == "psk" and auth.psk is None


def _literal_key(rule: Rule) -> list[str]:
    """The rule's pre-shared key when the policy holds its value (not only a reference)."""
    auth = rule.auth[0] if rule.auth else None
    if auth is None or auth.method != "psk" or auth.psk is None or auth.psk.value is None:
        return []
    return [auth.psk.reveal()]


def _ca_text(rule: Rule) -> list[Subst]:
    auth = rule.auth[0] if rule.auth else None
    if auth is None or auth.method != "certificate" or auth.ca is None:
        return []
    problem = text_problem(auth.ca, "the CA name")
    return [{"problem": problem}] if problem else []


# ----------------------------------------------------------------------------- filters


def _filter_label(f: Filter) -> Subst:
    return {"filter": f"{f.local}->{f.remote}"}


FILTER_ROWS: tuple[ItemRefusal[Filter], ...] = (
    ItemRefusal("one-way", item_when(lambda r, f: not f.mirrored),
                "filter {filter} is one-way; IOS crypto ACLs and tunnel selectors are mirrored"),
    ItemRefusal("port-protocol",
                item_when(lambda r, f: bool(f.local_port or f.remote_port)
                      and f.protocol not in (6, 17)),
                "filter {filter}: a port needs TCP or UDP in an ACL"),
    ItemRefusal("protocol-0", item_when(lambda r, f: f.protocol == 0),
                "filter {filter}: IOS reads protocol 0 as 'ip' (any)"),
)


# -------------------------------------------------------------------------- identities


#: an identity with the side of the tunnel it names ("local" or "peer")
Side = tuple[str, Identity]


def _identities(rule: Rule) -> list[Side]:
    return [(side, ident) for side, ident in (("local", rule.local_id), ("peer", rule.peer_id))
            if ident is not None]


def _identity_label(item: Side) -> Subst:
    return {"side": item[0], "value": item[1].value}


def _identity_text(rule: Rule, item: Side) -> list[Subst]:
    side, ident = item
    problem = text_problem(ident.value, f"the {side} identity")
    return [{"text": problem}] if problem else []


def _identity_blank(rule: Rule, item: Side) -> bool:
    ident = item[1]
    return (text_problem(ident.value, "x") is None and ident.kind != "dn"
            and " " in ident.value)


def _certificate(rule: Rule) -> bool:
    return bool(rule.auth) and rule.auth[0].method == "certificate"


IDENTITY_ROWS: tuple[ItemRefusal[Side], ...] = (
    ItemRefusal("identity-text", _identity_text, "{text}"),
    ItemRefusal("identity-blank", item_when(_identity_blank),
                "the {side} identity {value!r} contains a blank"),
    ItemRefusal("dn-without-certificate",
                item_when(lambda r, i: i[1].kind == "dn" and not _certificate(r)),
                "a DN {side} identity needs certificate authentication on IOS"),
    ItemRefusal("ikev1-keyid", item_when(lambda r, i: r.ike.version == 1 and i[1].kind == "keyid"),
                "IKEv1 on IOS has no key-id {side} identity"),
)


def _v1_local(rule: Rule, kind: str) -> Identity | None:
    local = rule.local_id
    return local if rule.ike.version == 1 and local is not None and local.kind == kind else None


def _v1_other_address(rule: Rule) -> bool:
    local = _v1_local(rule, "address")
    return local is not None and local.value != str(rule.local_address)


# ------------------------------------------------------------------------------ ranges


def outside(value: Callable[[Rule], int | None],
            limits: Callable[[Rule], tuple[int, int]]) -> Callable[[Rule], list[Subst]]:
    """A row for a value IOS takes only within ``limits`` (an unset value is fine)."""

    def find(rule: Rule) -> list[Subst]:
        v, (lo, hi) = value(rule), limits(rule)
        return [{"value": str(v), "range": f"{lo}-{hi}"}] if v is not None and not (
            lo <= v <= hi) else []

    return find


def _ike_lifetime_range(rule: Rule) -> tuple[int, int]:
    return IKEV1_LIFETIME if rule.ike.version == 1 else IKEV2_LIFETIME


def _not_unicast(rule: Rule) -> list[Subst]:
    return [{"what": what, "address": str(addr)}
            for what, addr in (("peer", rule.peer_address), ("local", rule.local_address))
            if isinstance(addr, IPv4Address) and not is_unicast(addr)]


def _long_description(rule: Rule) -> list[Subst]:
    too_long = bool(rule.description) and (
        len(encode_description(rule.description)) > DESCRIPTION_MAX)
    return [{"max": str(DESCRIPTION_MAX)}] if too_long else []


# --------------------------------------------------------------------- the rule's rows

REFUSALS: tuple[Refusal, ...] = (
    Refusal("kerberos", when(lambda r: any(a.method == "kerberos" for a in r.auth)),
            "{rule}: IOS has no Kerberos authentication — use certificates (pki: root_ca) for "
            "paths through an IOS gateway; ccsec never substitutes a PSK"),
    Refusal("one-auth", when(lambda r: len(r.auth) != 1),
            "{rule}: IOS takes one authentication method per tunnel"),
    Refusal("transport", when(lambda r: r.mode != "tunnel"),
            "{rule}: a router cannot enforce a host-to-host transport rule; "
            "IOS renders tunnel mode only"),
    Refusal("action", lambda r: [{"action": r.action}] if r.action != "negotiate" else [],
            "{rule}: action {action} has no IOS crypto form (crypto ACL permit = protect)"),
    Refusal("clear-fallback", when(lambda r: r.fallback_to_clear),
            "{rule}: IOS has no clear-text fallback (request/none); use require/require"),
    Refusal("disabled", when(lambda r: not r.enabled), "{rule}: a disabled rule has no IOS form"),
    Refusal("aggressive", when(lambda r: r.ike.exchange != "main"),
            "{rule}: ccsec renders IKEv1 main mode only (aggressive mode exposes the PSK hash)"),
    each("ike-proposal", lambda r: r.ike.proposals, IKE_PROPOSAL_ROWS,
         reason="{rule}: {message}", label=_proposal_label, first=True),
    Refusal("esp-words", _esp_outside_words,
            "{rule}: ESP proposal {proposal} is outside the IOS transform set words"),
    Refusal("transform-sets",
            lambda r: [{"count": str(len(r.esp)), "max": str(CAP.max_esp)}]
            if len(r.esp) > CAP.max_esp else [],
            "{rule}: {count} ESP proposals; a crypto map entry takes at most {max} transform "
            "sets"),
    Refusal("pfs", _pfs_outside, "{rule}: PFS {group} is not an IOS 'set pfs' group"),
    Refusal("psk-unreadable", when(_psk_unreadable),
            "{rule}: the pre-shared key is unreadable (e.g. an IOS type-6 key)"),
    each("psk-misread", _literal_key, KEY_ROWS, reason="{rule}: {message}", first=True),
    Refusal("ca-text", _ca_text, "{rule}: {problem}"),
    each("filter", lambda r: r.filters, FILTER_ROWS, reason="{rule}: {message}",
         label=_filter_label),
    each("identity", _identities, IDENTITY_ROWS, reason="{rule}: {message}",
         label=_identity_label),
    Refusal("ikev1-local-address", when(_v1_other_address),
            "{rule}: IKEv1 on IOS sends its own address as an address identity"),
    Refusal("ike-lifetime", outside(lambda r: r.ike.lifetime_s, _ike_lifetime_range),
            "{rule}: IKE lifetime {value}s is outside IOS's {range}"),
    Refusal("sa-lifetime", outside(lambda r: r.lifetime_s, lambda r: SA_SECONDS),
            "{rule}: SA lifetime {value}s is outside IOS's {range}"),
    Refusal("sa-volume", outside(lambda r: r.lifetime_kb, lambda r: SA_KILOBYTES),
            "{rule}: SA volume {value} KB is outside IOS's {range}"),
    Refusal("dpd", outside(lambda r: r.dpd_s, lambda r: DPD_RANGE),
            "{rule}: DPD interval {value}s is outside IOS's {range}"),
    Refusal("nat-keepalive", outside(lambda r: r.nat_keepalive_s, lambda r: NAT_KEEPALIVE),
            "{rule}: NAT keepalive {value}s is outside IOS's {range}"),
    Refusal("unicast", _not_unicast, "{rule}: {what} address {address} is not a unicast address"),
    Refusal("description-length", _long_description,
            "{rule}: the description is longer than IOS's {max} characters once encoded"),
)
