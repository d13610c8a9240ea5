"""strongSwan's shared secrets (swanctl.conf ``secrets``, ipsec.secrets): the value encodings
and the choice of a key for a pair of identities, as charon's credential manager makes it.

A secret is a string, ``0x`` + hex or ``0s`` + base64 (swanctl.conf(5) ``secrets``); two
configurations that write the same bytes differently share the key.  Each secret names the
identities that own it (none: any); for a session charon takes the secret whose owners match
both its own and the peer's identity best — both, then one, then a secret without owners
(``shared_key`` lookups in ``credential_manager.c``: ``ID_MATCH_PERFECT`` ranks above a
wildcard match).

ccsec writes swanctl.conf too, and every other platform it writes for (IOS, PowerShell, netsh,
the CUCM sheet) takes a key as typed — so a key that itself begins with ``0x`` or ``0s``
(``0x41424344``) would be four bytes ``ABCD`` on the strongSwan end and ten characters on the
other.  :func:`swanctl_value` writes such a key hex-encoded (its exact UTF-8 bytes), so both
ends hold the same bytes; :func:`decode` reads bytes back as UTF-8 (bytes that are not UTF-8
survive as surrogate escapes, so equal bytes stay equal).
"""

from __future__ import annotations

import base64
import binascii
from collections import OrderedDict
from collections.abc import Iterable
from ipaddress import ip_address

from ccsec.formats.facts import SharedKey
from ccsec.formats.strongswan.identity import id_matches
from ccsec.policy import Identity
from ccsec.secrets import Secret, literal

#: the prefixes strongSwan decodes (compared case-insensitively)
_PREFIXES = ("0x", "0s")


def swanctl_value(key: str) -> str:
    """The ``secret`` value swanctl decodes back to exactly ``key``."""
    if key[:2].lower() in _PREFIXES:
        return "0x" + key.encode("utf-8", errors="surrogateescape").hex()
    return key


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="surrogateescape")


def decode(value: str) -> Secret | None:
    """A secret value as the bytes it stands for (``None``: empty or not decodable)."""
    text = value
    head = text.strip()[:2].lower()
    try:
        if head == "0x":
            raw = binascii.unhexlify(text.strip()[2:].replace(":", ""))
            return literal(_text(raw)) if raw else None
        if head == "0s":
            raw = base64.b64decode(text.strip()[2:], validate=False)
            return literal(_text(raw)) if raw else None
    except (binascii.Error, ValueError):
        return literal(text) if text else None
    return literal(text) if text else None


def best_key(keys: Iterable[SharedKey], kind: str, me: Identity | None,
             other: Identity | None) -> SharedKey | None:
    """The key charon uses for ``me`` talking to ``other`` (``None``: no key fits).

    A device's keys as a tuple (what readers store) are looked at through an index: only the
    keys whose owners can match one of the two identities, in their order — a hub with 10,000
    keys and 10,000 connections would otherwise compare every key per connection."""
    if isinstance(keys, tuple) and len(keys) > _INDEX_FROM:
        keys = _index(keys).candidates((me, other))
    best: tuple[int, SharedKey] | None = None
    for key in keys:
        if key.kind != kind:
            continue
        if not key.owners:
            score = 0
        else:
            score = sum(1 for ident in (me, other)
                        if ident is not None and any(id_matches(o, ident) for o in key.owners))
            if score == 0:
                continue
        if best is None or score > best[0]:
            best = (score, key)
    return best[1] if best else None


def key_named(keys: tuple[SharedKey, ...], name: str) -> SharedKey | None:
    """The first key the configuration names ``name`` (swanctl ``secrets.<name>``)."""
    if len(keys) > _INDEX_FROM:
        found = _index(keys).by_name.get(name)
        return None if found is None else keys[found]
    return next((k for k in keys if k.name == name), None)


#: below this many keys a scan is as fast as an index
_INDEX_FROM = 16
#: indexes kept (the key tables of the devices being read; each holds its tuple alive, so an
#: ``id`` is never reused while its entry exists)
_INDEX_CACHE = 64
_INDEXES: OrderedDict[int, _KeyIndex] = OrderedDict()


def _index(keys: tuple[SharedKey, ...]) -> _KeyIndex:
    found = _INDEXES.get(id(keys))
    if found is not None and found.keys is keys:
        _INDEXES.move_to_end(id(keys))
        return found
    made = _INDEXES[id(keys)] = _KeyIndex(keys)
    while len(_INDEXES) > _INDEX_CACHE:
        _INDEXES.popitem(last=False)
    return made


def _exact(ident: Identity) -> tuple[str, str] | None:
    """The form in which an identity equals an owner without wildcards (None: a DN, which
    compares RDN by RDN, or a wildcard pattern)."""
    if ident.kind == "dn":
        return None
    if ident.kind == "address":
        return "address", str(ip_address(ident.value))
    if ident.kind == "keyid":
        return "keyid", ident.value.lower().lstrip("#").replace(":", "")
    return ident.kind, ident.value.casefold().rstrip(".")


class _KeyIndex:
    """Keys by name and by exact owner; keys without owners, with wildcard or DN owners are
    candidates for every identity (a real configuration has few of them)."""

    def __init__(self, keys: tuple[SharedKey, ...]) -> None:
        self.keys = keys
        self.by_name: dict[str, int] = {}
        self.exact: dict[tuple[str, str], list[int]] = {}
        self.rest: list[int] = []
        for i, key in enumerate(keys):
            if key.name:
                self.by_name.setdefault(key.name, i)
            forms = [None if "*" in o.value else _exact(o) for o in key.owners]
            if key.owners and all(f is not None for f in forms):
                for form in dict.fromkeys(forms):
                    assert form is not None
                    self.exact.setdefault(form, []).append(i)
            else:
                self.rest.append(i)

    def candidates(self, idents: Iterable[Identity | None]) -> list[SharedKey]:
        found = set(self.rest)
        for ident in idents:
            form = _exact(ident) if ident is not None else None
            if form is not None:
                found.update(self.exact.get(form, ()))
        return [self.keys[i] for i in sorted(found)]
