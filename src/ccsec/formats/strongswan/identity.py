"""strongSwan's identity syntax, shared by swanctl.conf (``id``, ``id-N``, ``eap_id``) and
ipsec.conf (``leftid``/``rightid``, ipsec.secrets selectors).

strongSwan guesses an identity's type from its text (``identification_create_from_string``):
an IP address; ``@`` prefixed = FQDN (``@#`` = key id in hex); text with ``@`` = RFC 822
address (``user@fqdn``); text with ``=`` = a distinguished name; anything else an FQDN — unless
a type prefix (``fqdn:``, ``email:``/``rfc822:``/``userfqdn:``, ``keyid:``, ``asn1dn:``,
``ipv4:``/``ipv6:``…) says it.  ccsec writes the prefix exactly when the guess would be wrong.

A distinguished name is written and read in strongSwan's RDN order, the certificate's encoding
order (``C=CH, O=…, CN=…``); the policy model holds it as RFC 4514 writes it (``CN=…, O=…,
C=CH``), so :func:`render_id` and :func:`parse_id` turn it round (:mod:`ccsec.formats.dn`).

Wildcards: ``%any`` (and an absent identity) match anything; ``*`` in an FQDN or RFC 822
address matches any run of characters, and a DN matches when each RDN matches in order, ``*``
matching any value (``identification_t.matches``).
"""

from __future__ import annotations

import fnmatch
from functools import lru_cache
from ipaddress import ip_address
from typing import Literal

from ccsec.formats.dn import compared_rdns, encoding_order, from_encoding_order
from ccsec.policy import Identity

Kind = Literal["fqdn", "email", "keyid", "dn", "address"]
#: explicit type prefixes (``src/libstrongswan/utils/identification.c``)
PREFIXES: tuple[tuple[str, Kind], ...] = (
    ("fqdn:", "fqdn"), ("dns:", "fqdn"), ("email:", "email"), ("rfc822:", "email"),
    ("userfqdn:", "email"), ("keyid:", "keyid"), ("asn1dn:", "dn"), ("ipv4:", "address"),
    ("ipv6:", "address"), ("%any6", "address"))


def render_id(ident: Identity) -> str:
    """The identity as strongSwan reads it back as the same type."""
    if ident.kind == "keyid":
        return f"keyid:{ident.value}"
    if ident.kind == "fqdn":
        v = ident.value
        looks_else = "=" in v or "@" in v or ":" in v or is_ip(v)
        return f"fqdn:{v}" if looks_else else v
    if ident.kind == "email":
        v = ident.value
        return v if "@" in v and "=" not in v and not v.startswith("@") else f"email:{v}"
    if ident.kind == "dn" and "=" not in ident.value:
        return f"asn1dn:{ident.value}"
    if ident.kind == "dn":
        return encoding_order(ident.value)
    return ident.value


def parse_id(text: str | None) -> Identity | None:
    """The identity a config value names; ``None`` for a missing value or ``%any``."""
    if text is None:
        return None
    text = text.strip()
    if text in ("%any", "", "%any6", "%any4", "*"):
        return None
    for prefix, kind in PREFIXES:
        if text.lower().startswith(prefix) and prefix.endswith(":"):
            value = text[len(prefix):]
            if kind == "address" and not is_ip(value):
                return Identity(kind="fqdn", value=value)
            return Identity(kind=kind, value=value or text)
    if text in ("@", "@#", "@@"):
        raise ValueError(f"identity '{text}' is empty")
    if text.startswith("@#"):
        return Identity(kind="keyid", value=text[2:])
    if text.startswith("@@"):
        return Identity(kind="email", value=text[2:])
    if text.startswith("@"):
        return Identity(kind="fqdn", value=text[1:])
    if is_ip(text):
        return Identity(kind="address", value=text)
    if "=" in text:
        return Identity(kind="dn", value=from_encoding_order(text))
    if "@" in text:
        return Identity(kind="email", value=text)
    return Identity(kind="fqdn", value=text)


def is_ip(text: str) -> bool:
    try:
        ip_address(text)
    except ValueError:
        return False
    return True


def id_matches(pattern: Identity | None, ident: Identity | None) -> bool:
    """Whether ``ident`` (what a peer sends) satisfies ``pattern`` (what a config requires);
    ``None`` on either side is ``%any``/unknown and matches."""
    if pattern is None or ident is None:
        return True
    return _matches(pattern.kind, pattern.value, ident.kind, ident.value)


@lru_cache(maxsize=8192)
def _matches(pkind: str, pvalue: str, kind: str, value: str) -> bool:
    if pkind == "dn" or kind == "dn":
        if pkind != kind:
            return False
        want, got = dn_rdns(pvalue), dn_rdns(value)
        return len(want) == len(got) and all(
            wk == gk and (wv == "*" or fnmatch.fnmatchcase(gv, wv))
            for (wk, wv), (gk, gv) in zip(want, got, strict=True))
    if pkind == "address" and kind == "address":
        return ip_address(pvalue) == ip_address(value)
    if pkind != kind and not ({pkind, kind} <= {"fqdn", "email"} and "*" in pvalue):
        return False
    if pkind == "keyid":
        return pvalue.lower().lstrip("#").replace(":", "") == \
            value.lower().lstrip("#").replace(":", "")
    p, v = pvalue.casefold().rstrip("."), value.casefold().rstrip(".")
    return fnmatch.fnmatchcase(v, p) if "*" in p else p == v


def dn_rdns(dn: str) -> tuple[tuple[str, str], ...]:
    """A DN's RDNs in order as (TYPE, value), values case-folded (strongSwan compares them
    case-insensitively); ``,`` and ``/`` separate RDNs, ``\\`` escapes."""
    rdns = []
    for part in compared_rdns(dn):
        key, _, value = part.partition("=")
        key = {"E": "EMAIL", "EMAILADDRESS": "EMAIL"}.get(key.strip().upper(), key.strip().upper())
        rdns.append((key, value.strip().casefold()))
    return tuple(rdns)
