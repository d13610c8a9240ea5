"""Every format ccsec reads or writes, one row each: the only place format facts live.

A row says where the format's code is, which end platforms it is for, whether those ends get it
by default (and whether it is skipped with a note when it cannot express a policy), whether
ccsec renders it or only reads it, which platform a file of it implies when the file does not
say, and how a file of it is recognised by its content.  Everything else asks this table: the
renderer's choice of formats per end, ``ccsec render --format``, the audit's format detection
and importers, and the platform an imported end is judged as.  (The shape follows Aerleon's
generator table: behaviour lives in the format modules, the wiring is data.)

Modules are imported on first use, so a command touching one format does not pay for the others.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import import_module
from typing import cast

from ccsec.errors import Problem, UserError
from ccsec.formats.base import Format, Reader


@dataclass(frozen=True)
class Sniff:
    """How a file is recognised by its content (file names in real audits are whatever the
    customer's backup tool chose).  Patterns match within one line (a blank or tab, never
    any whitespace across line ends): "any whitespace" after ``^``, retried at every line start
    of a file of blank lines, costs lines² steps.  ``words``: at least one must occur before
    ``pattern`` runs
    (``str.find`` is ~100x faster than a multi-line regex over a 200 KB head, and most files
    are other formats); ``json``: the test is on a JSON document's first 4 KB.  ``rank``
    orders the tests (the first match wins)."""

    rank: int
    pattern: re.Pattern[str] | None = None
    words: tuple[str, ...] = ()
    json: bool = False

    def matches(self, head: str, is_json: bool) -> bool:
        if self.json != is_json:
            return False
        text = head[:4096] if self.json else head
        if self.words and not any(w in text for w in self.words):
            return False
        return self.pattern is None or self.pattern.search(text) is not None


@dataclass(frozen=True)
class Row:
    """One format (or, with ``module=None``, a companion file the audit recognises and reads
    as part of another: ipsec.secrets beside an ipsec.conf, the index ccsec writes)."""

    name: str
    module: str | None
    #: end platforms the format is for (rendered for them when the user names no format)
    platforms: tuple[str, ...] = ()
    #: rendered for those platforms unless the user picks formats
    default: bool = True
    #: a default that is skipped, with the reason, when it cannot express a policy
    best_effort: bool = False
    #: what to do when the format cannot express an end's policy (shown once, with the reason)
    when_refused: str = ""
    #: ccsec writes it (a :class:`Format`); otherwise import only (a :class:`Reader`)
    renders: bool = True
    #: the platform a file of this format implies when it does not say
    implies: str = ""
    sniff: Sniff | None = None


_SECRET_WORDS = ("PSK", "RSA", "ECDSA", "EAP", "XAUTH", "P12", "PIN", "NTLM", "PKCS8")

ROWS: tuple[Row, ...] = (
    Row("windows-powershell", "ccsec.formats.windows.powershell", ("windows",), implies="windows",
        sniff=Sniff(50, re.compile(r"(?i)\bNew-NetIPsec(Rule|MainModeCryptoSet|"
                                   r"QuickModeCryptoSet|Phase1AuthSet)\b"))),
    Row("windows-netsh", "ccsec.formats.windows.netsh", ("windows",), best_effort=True,
        when_refused="netsh ipsec static knows only IKEv1 with 3DES/SHA-1 and DH 1, 2, 14: "
        "render it with --profile legacy, or deploy the windows-powershell file instead",
        implies="windows",
        sniff=Sniff(60, re.compile(r"(?im)^[ \t]*(?:netsh[ \t]+)?(?:ipsec[ \t]+static[ \t]+)?"
                                   r"(?:add|set)[ \t]+"
                                   r"(?:policy|filterlist|filteraction|filter|rule)"
                                   r"[ \t]+\w+=|^[ \t]*pushd[ \t]+ipsec"))),
    Row("cucm", "ccsec.formats.cucm.render", ("cucm",), implies="cucm",
        sniff=Sniff(70, re.compile(r"(?im)^[ \t]*(Policy Group Name|PolicyGroup)[ \t]*:"))),
    Row("ios", "ccsec.formats.ios.render", ("ios",), implies="ios",
        sniff=Sniff(80, re.compile(r"(?m)^(crypto[ \t]+(isakmp|ikev2|ipsec|map|keyring|"
                                   r"dynamic-map|pki)\b|interface[ \t]+\S|hostname[ \t]+\S|"
                                   r"ip[ \t]+access-list[ \t])"))),
    Row("strongswan", "ccsec.formats.strongswan.swanctl", ("linux", "strongswan"),
        implies="strongswan",
        sniff=Sniff(20, re.compile(r"(?m)^[ \t]*(connections|secrets|authorities)[ \t]*\{"),
                    ("connections", "secrets", "authorities"))),
    Row("ipsec-conf", "ccsec.formats.strongswan.ipsec_conf", default=False, renders=False,
        implies="strongswan",
        sniff=Sniff(30, re.compile(r"(?m)^(conn|config)[ \t]+\S+[ \t]*\r?$"), ("conn", "config"))),
    Row("windows-collector", "ccsec.formats.windows.collector", default=False, renders=False,
        implies="windows", sniff=Sniff(0, words=('"ccsec-windows-collector/',), json=True)),
    # companions: recognised so that they are read with the file they belong to, not skipped
    Row("strongswan-conf", None, default=False, renders=False,
        sniff=Sniff(25, re.compile(r"(?m)^\s*(charon|charon-systemd|libstrongswan|starter)\s*\{"),
                    ("charon", "libstrongswan", "starter"))),
    Row("ipsec-secrets", None, default=False, renders=False,
        sniff=Sniff(40, re.compile(r"(?m)^[^#\n]*:[ \t]*(PSK|RSA|ECDSA|EAP|XAUTH|P12|PIN|"
                                   r"NTLM|PKCS8)\s"), _SECRET_WORDS)),
    Row("ccsec-index", None, default=False, renders=False,
        sniff=Sniff(10, re.compile(r'"generator"\s*:\s*"ccsec '), json=True)),
)

BY_NAME: dict[str, Row] = {r.name: r for r in ROWS}
_SNIFFED: tuple[Row, ...] = tuple(sorted((r for r in ROWS if r.sniff),
                                         key=lambda r: r.sniff.rank if r.sniff else 0))


def names() -> list[str]:
    """The formats ccsec renders, in table order (``--format`` choices)."""
    return [r.name for r in ROWS if r.renders]


def readers() -> list[str]:
    """Every format the audit imports (rendered ones and import-only ones)."""
    return [r.name for r in ROWS if r.module is not None]


def row(name: str) -> Row:
    found = BY_NAME.get(name)
    if found is None or found.module is None:
        raise UserError(Problem(f"unknown format '{name}'", field="--format",
                                fix=f"use one of: {', '.join(names())}"))
    return found


@cache
def reader(name: str) -> Reader:
    """The parser of a format (import-only formats included)."""
    module = row(name).module
    assert module is not None  # row() refuses companions
    return cast(Reader, import_module(module).FORMAT)


def get(name: str) -> Format:
    """A format ccsec renders (its renderer and parser)."""
    found = row(name)
    if not found.renders:
        raise UserError(Problem(f"ccsec reads {name} but does not write it", field="--format",
                                fix=f"use one of: {', '.join(names())}"))
    return cast(Format, reader(name))


def defaults_for(platform: str | None) -> tuple[str, ...]:
    """The formats an end of ``platform`` gets when the user names none (``--format all``)."""
    return tuple(r.name for r in ROWS if r.renders and r.default and platform in r.platforms)


def for_platform(name: str, platform: str | None) -> bool:
    """Whether format ``name`` is one of ``platform``'s (``--format`` selects only those)."""
    return platform in BY_NAME[name].platforms


def best_effort(name: str) -> bool:
    return BY_NAME[name].best_effort


def when_refused(name: str) -> str:
    """What to do when format ``name`` cannot express a policy ("" when nothing general)."""
    return BY_NAME[name].when_refused


def implied_platform(name: str) -> str:
    """The platform a file of format ``name`` implies ("" for an unknown name)."""
    found = BY_NAME.get(name)
    return found.implies if found else ""


_CCSEC_HEADER = re.compile(r"\ufeff?(?:#|!|//|;) generated by ccsec \S+ - ([^\r\n]+)")


@cache
def _titles() -> dict[str, str]:
    """The header title of every format ccsec writes → its name."""
    return {get(name).title: name for name in names()}


#: how much of a file the sniffers look at
HEAD = 200_000
#: a run of comment and blank lines at the start of a file (``#``, ``!``, ``;``, ``rem``, ``::``)
_LEADING_COMMENTS = re.compile(r"(?:[ \t]*(?:[#!;]|::|rem\b)[^\n]*\n|[ \t]*\r?\n)*", re.I)


def _sniff_head(head: str) -> str | None:
    is_json = head.lstrip().startswith(("{", "["))
    for r in _SNIFFED:
        if r.sniff is not None and r.sniff.matches(head, is_json):
            return r.name
    return None


def sniff(text: str) -> str | None:
    """The format (or companion) of a configuration text, or None when it is none ccsec
    reads.  A file that starts with ccsec's own header names its format there (checked
    first: one match on the first line instead of every sniffer over the head — the bulk of
    an audit of rendered output); otherwise the rows' sniffers run in rank order on the first
    :data:`HEAD` characters — and,
    when a file opens with a longer comment block (ccsec's own netsh script for an end with
    thousands of rules lists every undo command first), on as much text after it."""
    own = _CCSEC_HEADER.match(text, 0, 400)
    if own is not None and own.group(1) in _titles():
        return _titles()[own.group(1)]
    found = _sniff_head(text[:HEAD])
    if found is None and len(text) > HEAD:
        comments = _LEADING_COMMENTS.match(text)
        if comments is not None and comments.end() > HEAD // 2:
            found = _sniff_head(text[comments.end():comments.end() + HEAD])
    return found
