"""strongSwan's identity syntax, shared by swanctl.conf (``id``, ``id-N``) and ipsec.conf
(``leftid``/``rightid``).

strongSwan guesses an identity's type from its text (an IP address, ``@``-prefixed FQDN, a
string with ``=`` is a DN, anything else an FQDN) unless a ``fqdn:``/``keyid:``/``asn1dn:``/
``ipv4:`` prefix says it; ccsec writes the prefix exactly when the guess would be wrong.
"""

from __future__ import annotations

from ipaddress import ip_address
from typing import Literal

from ccsec.policy import Identity

#: explicit type prefixes ccsec reads (``src/libstrongswan/utils/identification.c``)
PREFIXES: tuple[tuple[str, Literal["fqdn", "keyid", "dn", "address"]], ...] = (
    ("fqdn:", "fqdn"), ("keyid:", "keyid"), ("asn1dn:", "dn"), ("ipv4:", "address"))


def render_id(ident: Identity) -> str:
    """The identity as strongSwan reads it back as the same type."""
    if ident.kind == "keyid":
        return f"keyid:{ident.value}"
    if ident.kind == "fqdn":
        v = ident.value
        looks_else = "=" in v or "@" in v or ":" in v or is_ip(v)
        return f"fqdn:{v}" if looks_else else v
    if ident.kind == "dn" and "=" not in ident.value:
        return f"asn1dn:{ident.value}"
    return ident.value


def parse_id(text: str | None) -> Identity | None:
    """The identity a config value names; ``None`` for a missing value or ``%any``."""
    if text is None or text in ("%any", ""):
        return None
    for prefix, kind in PREFIXES:
        if text.startswith(prefix):
            return Identity(kind=kind, value=text[len(prefix):])
    if text.startswith("@"):
        return Identity(kind="fqdn", value=text[1:].lstrip("#"))
    if is_ip(text):
        return Identity(kind="address", value=text)
    if "=" in text:
        return Identity(kind="dn", value=text)
    return Identity(kind="fqdn", value=text)


def is_ip(text: str) -> bool:
    try:
        ip_address(text)
    except ValueError:
        return False
    return True
