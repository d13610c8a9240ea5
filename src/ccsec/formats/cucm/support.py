"""What the CUCM page cannot hold (the support table) and what the sheet loses (the loss table).

Not expressible: Kerberos, tunnel mode, IKEv2, aggressive mode, more than one IKE or ESP
proposal, AES-GCM, explicit PRFs, AH, ESP integrity other than the IKE hash, algorithms or DH
groups outside the value table, pre-shared keys under FIPS or with characters other than
letters, digits and hyphens, more than one filter or a filter other than the host pair,
protocols other than TCP/UDP/any, ports without a protocol, permit/block actions, clear-text
fallback, disabled rules.

Lost on the way: IKE identities except the peer's, which only survives as the Certificate Name
(``<peer id>.pem`` [U]); the certificate's root CA (trust lives in the node's ipsec-trust
store, not on the page); DPD, initiate, QoS pre-classification, NAT keepalive and NAT-T (daemon
settings, not page fields); kilobyte lifetimes; connection type.  In transport mode the page's
two addresses are both the protected hosts and the IKE peers, so a rule's addresses are read
back as its (single, host-pair) filter's hosts.

Run by :class:`~ccsec.formats.base.Format`: ``unsupported`` goes through ``END_REFUSALS`` and,
per rule, the rows of :func:`page_refusals` in order; ``project`` applies ``LOSSES``.  The page
is one form per peer with one drop-down per algorithm, so most rows are "exactly one" or "not on
this release's drop-down"; the drop-down rows depend on the value table the format checks
against (``with_table``), which is why the rule table is built per table.

Rows that only make sense once an earlier row passed say so in their test (the page's one
Authentication Method before its key, the one filter before its hosts), so a rule gets the
reasons that apply to it and no knock-on ones.
"""

from __future__ import annotations

from functools import partial
from ipaddress import IPv4Address, IPv4Network

from ccsec.crypto import is_aead
from ccsec.formats.base import (
    HOST_LOSSES,
    EndRefusal,
    Loss,
    Projecting,
    Refusal,
    Subst,
    resolved_auth,
    when,
)
from ccsec.formats.cucm.values import (
    PROTOCOL_LABELS,
    PSK_RE,
    ValueTable,
    cert_identity,
    cert_name,
    one_line,
)
from ccsec.policy import Auth, EndPolicy, Filter, Identity, Rule, v4, v4net

# ------------------------------------------------------------------------------ helpers


def _host(net: IPv4Network) -> IPv4Address | None:
    """The single host a page address field names (``None`` for a subnet)."""
    return net.network_address if net.prefixlen == 32 else None


def _auth(rule: Rule) -> Auth | None:
    """The rule's one Authentication Method, when the page can take it at all (one method, not
    Kerberos) — the rows about its key only apply then."""
    if len(rule.auth) != 1 or rule.auth[0].method == "kerberos":
        return None
    return rule.auth[0]


def _psk(rule: Rule) -> Auth | None:
    auth = _auth(rule)
    return auth if auth is not None and auth.method == "psk" else None


def _filter(rule: Rule) -> Filter | None:
    """The rule's one filter (the page protects one host pair)."""
    return rule.filters[0] if len(rule.filters) == 1 else None


def _any_aead(rule: Rule) -> bool:
    """AES-GCM in the IKE proposal the page shows or in any ESP proposal."""
    return is_aead(rule.ike.proposals[0].encryption) or any(
        p.encryption is not None and is_aead(p.encryption) for p in rule.esp)


def _no_esp_cipher(rule: Rule) -> bool:
    """The first ESP proposal is AH (the page has ESP only)."""
    esp = rule.esp[0]
    return esp.ah is not None or esp.encryption is None


# ------------------------------------------------------------------- the end's rows


def _multiline_names(end: EndPolicy) -> list[Subst]:
    return [{"what": what} for what, text in (("owner", end.owner or ""),
                                              ("platform", end.platform or ""))
            if not one_line(text)]


END_REFUSALS: tuple[EndRefusal, ...] = (
    EndRefusal("multi-line-name", _multiline_names,
               "the end's {what} name spans lines; a sheet header holds one line"),
)

# ------------------------------------------------------------------ the rule's rows


def _no_psk_on_page(t: ValueTable, rule: Rule) -> list[Subst]:
    auth = _auth(rule)
    return [{"table": t.key, "title": t.title}] if auth and auth.method not in t.auth else []


def _psk_unreadable(rule: Rule) -> bool:
    auth = _psk(rule)
    return auth is not None and auth.psk is None


def _psk_characters(rule: Rule) -> bool:
    """The key holds a character the Preshared Key field refuses (a key still behind an
    ``env:``/``file:`` reference is checked when the sheet is rendered)."""
    auth = _psk(rule)
    psk = auth.psk if auth else None
    return psk is not None and psk.value is not None and not PSK_RE.match(psk.reveal())


def _off_page(t: ValueTable, rule: Rule) -> dict[str, str]:
    """Field → value of what the first IKE/ESP proposal (the only ones the page shows) and the
    PFS group hold that is not on table ``t``'s drop-downs."""
    ike, esp = rule.ike.proposals[0], rule.esp[0]
    out = {}
    if not _any_aead(rule) and ike.encryption not in t.encryption:
        out["encryption"] = ike.encryption.value
    if ike.integrity is not None and ike.integrity not in t.hashes:
        out["hash"] = ike.integrity.value
    if ike.group not in t.phase1_dh:
        out["p1_dh"] = str(ike.group)
    if (not _no_esp_cipher(rule) and esp.encryption is not None
            and not is_aead(esp.encryption) and esp.encryption not in t.esp):
        out["esp"] = esp.encryption.value
    if rule.pfs_group is not None and rule.pfs_group not in t.phase2_dh:
        out["p2_dh"] = str(rule.pfs_group)
    return out


def _not_on_page(field: str, t: ValueTable, rule: Rule) -> list[Subst]:
    value = _off_page(t, rule).get(field)
    return [] if value is None else [{"value": value, "table": t.key}]


def _esp_integrity_differs(rule: Rule) -> list[Subst]:
    ike, esp = rule.ike.proposals[0], rule.esp[0]
    if esp.integrity == ike.integrity or (esp.encryption and is_aead(esp.encryption)):
        return []
    return [{"esp": esp.integrity.value if esp.integrity else "none",
             "ike": ike.integrity.value if ike.integrity else "none"}]


def _one_way(rule: Rule) -> bool:
    f = _filter(rule)
    return f is not None and not f.mirrored


def _not_hosts(rule: Rule) -> bool:
    f = _filter(rule)
    return f is not None and (_host(v4net(f.local)) is None or _host(v4net(f.remote)) is None)


def _bad_protocol(rule: Rule) -> list[Subst]:
    f = _filter(rule)
    return [{"protocol": str(f.protocol)}] if f and f.protocol not in PROTOCOL_LABELS else []


def _port_without_protocol(rule: Rule) -> bool:
    f = _filter(rule)
    return f is not None and f.protocol is None and bool(f.local_port or f.remote_port)


def page_refusals(t: ValueTable) -> tuple[Refusal, ...]:
    """What the page cannot hold, checked against value table ``t``, in the order a rule's
    reasons are reported (authentication, key exchange, proposals, filter, rule settings)."""
    return (
        Refusal("one-auth", when(lambda r: len(r.auth) != 1),
                "{rule}: the page takes exactly one Authentication Method"),
        Refusal("kerberos", when(lambda r: len(r.auth) == 1 and r.auth[0].method == "kerberos"),
                "{rule}: the page has no Kerberos (Unified CM is never in the AD domain): use "
                "certificates (pki: root_ca)"),
        Refusal("no-psk-on-page", partial(_no_psk_on_page, t),
                "{rule}: the {table} page ({title}) has no pre-shared keys: use certificates"),
        Refusal("psk-unreadable", when(_psk_unreadable),
                "{rule}: the pre-shared key is unreadable"),
        Refusal("psk-characters", when(_psk_characters),
                "{rule}: the Preshared Key field takes letters, digits and hyphens only; "
                "generate a key from those characters"),
        Refusal("ike-version", when(lambda r: r.ike.version != 1),
                "{rule}: the page has no IKE version field; ccsec assumes IKEv1 [U] and cannot "
                "promise IKEv2"),
        Refusal("aggressive", when(lambda r: r.ike.exchange != "main"),
                "{rule}: aggressive mode cannot be set on the page (main mode assumed [U])"),
        Refusal("one-ike", when(lambda r: len(r.ike.proposals) != 1),
                "{rule}: the page takes exactly one IKE proposal (one Encryption Algorithm, "
                "Hash Algorithm and Phase One DH)"),
        Refusal("one-esp", when(lambda r: len(r.esp) != 1),
                "{rule}: the page takes exactly one ESP proposal (one ESP Algorithm)"),
        Refusal("aead", when(_any_aead), "{rule}: the page offers no AES-GCM"),
        Refusal("encryption", partial(_not_on_page, "encryption", t),
                "{rule}: Encryption Algorithm {value} is not on the {table} page"),
        Refusal("prf", when(lambda r: r.ike.proposals[0].prf is not None),
                "{rule}: the page has no PRF choice"),
        Refusal("hash", partial(_not_on_page, "hash", t),
                "{rule}: Hash Algorithm {value} is not on the {table} page"),
        Refusal("phase1-dh", partial(_not_on_page, "p1_dh", t),
                "{rule}: Phase One DH {value} is not on the {table} page"),
        Refusal("ah", when(_no_esp_cipher), "{rule}: the page has no AH"),
        Refusal("esp", partial(_not_on_page, "esp", t),
                "{rule}: ESP Algorithm {value} is not on the {table} page"),
        Refusal("esp-integrity", _esp_integrity_differs,
                "{rule}: ESP integrity is not selectable on the page (assumed to follow Hash "
                "Algorithm [U]), but this rule's ESP integrity {esp} differs from its IKE hash "
                "{ike}"),
        Refusal("phase2-dh", partial(_not_on_page, "p2_dh", t),
                "{rule}: Phase Two DH {value} is not on the {table} page"),
        Refusal("one-filter", when(lambda r: len(r.filters) != 1),
                "{rule}: a policy protects one host pair: the page takes one filter (split the "
                "rule into one policy per host pair)"),
        Refusal("hosts", when(_not_hosts),
                "{rule}: Source and Destination Address take single IPv4 hosts, not subnets"),
        Refusal("one-way", when(_one_way),
                "{rule}: a policy always covers both directions (mirrored filter)"),
        Refusal("protocol", _bad_protocol,
                "{rule}: Protocol takes TCP, UDP or Any, not protocol {protocol}"),
        Refusal("port-without-protocol", when(_port_without_protocol),
                "{rule}: a port needs Protocol TCP or UDP"),
        Refusal("tunnel", when(lambda r: r.mode != "transport"),
                "{rule}: the page offers Transport mode only (no tunnel endpoints)"),
        Refusal("action", lambda r: [{"action": r.action}] if r.action != "negotiate" else [],
                "{rule}: a '{action}' rule has no form on the page (every policy negotiates "
                "security)"),
        Refusal("clear-fallback", when(lambda r: r.fallback_to_clear),
                "{rule}: clear-text fallback (request/none security) cannot be set on the page"),
        Refusal("disabled", when(lambda r: not r.enabled),
                "{rule}: ccsec does not hand out a sheet for a disabled policy (Enable Policy "
                "is always ticked)"),
    )


# ------------------------------------------------------------------------ the losses


def _rule(at: Projecting) -> Rule:
    assert at.rule is not None
    return at.rule


def _host_pair(rule: Rule) -> tuple[IPv4Address, IPv4Address] | None:
    """The one filter's two hosts: in transport mode they are also the IKE peers."""
    f = _filter(rule)
    if f is None:
        return None
    local, remote = _host(v4net(f.local)), _host(v4net(f.remote))
    return (local, remote) if local is not None and remote is not None else None


def _local_address(at: Projecting) -> IPv4Address:
    pair = _host_pair(_rule(at))
    return pair[0] if pair else v4(_rule(at).local_address)


def _peer_address(at: Projecting) -> IPv4Address:
    pair = _host_pair(_rule(at))
    return pair[1] if pair else v4(_rule(at).peer_address)


def _peer_id(at: Projecting) -> Identity | None:
    rule = _rule(at)
    if not any(a.method == "certificate" for a in rule.auth):
        return None
    return cert_identity(cert_name(rule.peer_id, _peer_address(at)))


def _auth_read_back(at: Projecting) -> tuple[Auth, ...]:
    return tuple(a.model_copy(update={"ca": None}) for a in resolved_auth(at))


LOSSES: tuple[Loss, ...] = (
    *HOST_LOSSES,
    Loss("end.default_response_rule", "the page has no default response rule", False),
    Loss("rule.auth", "keys come back resolved; the root CA is trusted in the node's "
         "ipsec-trust store, not named on the page", _auth_read_back),
    Loss("rule.local_id", "the page has no local identity"),
    Loss("rule.peer_id", "the peer identity survives only as the Certificate Name "
         "(<peer id>.pem [U]), read back as that certificate's subject CN=<peer id>, and only "
         "with certificates", _peer_id),
    Loss("rule.local_address", "transport mode: Source Address is both the protected host "
         "and the IKE peer", _local_address),
    Loss("rule.peer_address", "transport mode: Destination Address is both the protected host "
         "and the IKE peer", _peer_address),
    Loss("rule.lifetime_kb", "the page has no kilobyte lifetime"),
    Loss("rule.connection_type", "the page has no connection type", "all"),
    Loss("rule.nat_traversal", "NAT-T is a daemon setting, not a page field", True),
    Loss("rule.nat_keepalive_s", "the NAT keepalive is a daemon setting, not a page field"),
    Loss("rule.qos_preclassify", "the page has no QoS pre-classification", False),
    Loss("rule.dpd_s", "DPD is a daemon setting, not a page field"),
    Loss("rule.initiate", "the page has no initiate choice", False),
)
