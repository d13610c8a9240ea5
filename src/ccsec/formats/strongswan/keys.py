"""Pre-shared keys as strongSwan reads them, so both ends of a path hold the same bytes.

strongSwan does not take every key value literally: swanctl's ``load-creds`` decodes a
``secret`` that starts with ``0x`` as hex and one that starts with ``0s`` as Base64 (either
case; ``src/swanctl/commands/load_creds.c``), and the stroke reader of ``ipsec.secrets`` does
the same for an unquoted value longer than two characters (``extract_secret`` in
``stroke_cred.c``), while a quoted one is literal.  Every other platform ccsec writes (IOS,
PowerShell, netsh, the CUCM sheet) takes the key as typed — so the key ``0x41424344`` would be
four bytes ``ABCD`` on the strongSwan end and ten characters on the other.

:func:`swanctl_value` writes such a key hex-encoded (its exact UTF-8 bytes), every other key as
is; :func:`swanctl_key` and :func:`stroke_key` read values back as strongSwan does.
"""

from __future__ import annotations

import base64
import binascii

#: the prefixes strongSwan decodes (compared case-insensitively)
_PREFIXES = ("0x", "0s")


def _text(data: bytes) -> str:
    """Key bytes as the text the policy model holds (bytes that are not UTF-8 survive as
    surrogate escapes, so equal bytes stay equal)."""
    return data.decode("utf-8", errors="surrogateescape")


def swanctl_value(key: str) -> str:
    """The ``secret`` value swanctl decodes back to exactly ``key``."""
    if key[:2].lower() in _PREFIXES:
        return "0x" + key.encode("utf-8", errors="surrogateescape").hex()
    return key


def _decode(value: str) -> str | None:
    """A ``0x``/``0s`` value decoded (None when it is not valid hex/Base64)."""
    body = value[2:]
    try:
        if value[:2].lower() == "0x":
            digits = "".join(body.split()).replace(":", "")
            if len(digits) % 2:
                digits = "0" + digits
            return _text(bytes.fromhex(digits))
        return _text(base64.b64decode("".join(body.split()), validate=True))
    except (ValueError, binascii.Error):
        return None


def swanctl_key(value: str) -> str | None:
    """The key a swanctl.conf ``secret`` value stands for (None: undecodable)."""
    if value[:2].lower() in _PREFIXES:
        return _decode(value)
    return value


def stroke_key(value: str, quoted: bool) -> str | None:
    """The key an ipsec.secrets PSK value stands for (None: undecodable)."""
    if not quoted and len(value) > 2 and value[:2].lower() in _PREFIXES:
        return _decode(value)
    return value
