"""strongSwan's shared secrets (swanctl.conf ``secrets``, ipsec.secrets): the value encodings
and the choice of a key for a pair of identities, as charon's credential manager makes it.

A secret is a string, ``0x`` + hex or ``0s`` + base64 (swanctl.conf(5) ``secrets``); two
configurations that write the same bytes differently share the key.  Each secret names the
identities that own it (none: any); for a session charon takes the secret whose owners match
both its own and the peer's identity best — both, then one, then a secret without owners
(``shared_key`` lookups in ``credential_manager.c``: ``ID_MATCH_PERFECT`` ranks above a
wildcard match).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable

from ccsec.formats.facts import SharedKey
from ccsec.formats.strongswan.identity import id_matches
from ccsec.policy import Identity
from ccsec.secrets import Secret, literal


def decode(value: str) -> Secret | None:
    """A secret value as the bytes it stands for (``None``: empty or not decodable)."""
    text = value
    head = text.strip()[:2].lower()
    try:
        if head == "0x":
            raw = binascii.unhexlify(text.strip()[2:].replace(":", ""))
            return literal(raw.decode("latin-1")) if raw else None
        if head == "0s":
            raw = base64.b64decode(text.strip()[2:], validate=False)
            return literal(raw.decode("latin-1")) if raw else None
    except (binascii.Error, ValueError):
        return literal(text) if text else None
    return literal(text) if text else None


def best_key(keys: Iterable[SharedKey], kind: str, me: Identity | None,
             other: Identity | None) -> SharedKey | None:
    """The key charon uses for ``me`` talking to ``other`` (``None``: no key fits)."""
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
