"""How model text enters a Windows script, and what each script syntax cannot carry.

Every name, description, CA name and key a Windows renderer writes goes through one function
here, so what could break out of a string is decided in one file for both syntaxes:

* PowerShell (NetSecurity): a single-quoted literal holds anything but a NUL; the five
  characters PowerShell treats as a single quote are doubled (:func:`ps_literal`);
* netsh: a double-quoted value has no escape for ``"`` (``rootca`` has its own, ``\\'``), and
  a script line holds no line break or other control character (:func:`netsh_value`).

What both share is here once: the unpaired-surrogate and empty-key sentences.  (The
case-insensitive name clash both stores refuse is a support-table row: :mod:`.support`.)
"""

from __future__ import annotations

import unicodedata

from ccsec.errors import Problem, UnsupportedError

#: PowerShell treats these alike (CharExtensions.IsSingleQuote / IsDoubleQuote / IsDash)
SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"
DOUBLE_QUOTES = '"\u201c\u201d\u201e'
DASHES = "-\u2013\u2014\u2015"

EMPTY_KEY = "nothing (it is empty)"


def _surrogate(ch: str) -> str:
    return f"an unpaired surrogate U+{ord(ch):04X} (not encodable)"


def has_control_character(value: str) -> bool:
    """Whether ``value`` holds a control character or an unpaired surrogate."""
    return any(unicodedata.category(c) in ("Cc", "Cs") for c in value)


# ------------------------------------------------------------------------------ PowerShell


def ps_text_problem(value: str) -> str | None:
    """Why ``value`` cannot be a PowerShell single-quoted literal (``None`` when it can).

    A single-quoted string holds anything, line breaks included; only a NUL (Windows stores
    these values as C strings) and unpaired surrogates (not encodable in UTF-8) are refused.
    """
    if value.isascii() and "\0" not in value:  # the common case: nothing to look up
        return None
    for ch in value:
        if ch == "\0":
            return "a NUL character (Windows would cut the text there)"
        if unicodedata.category(ch) == "Cs":
            return _surrogate(ch)
    return None


def ps_literal(value: str) -> str:
    """``value`` as a PowerShell single-quoted literal: the one way model text enters a script.

    Inside single quotes PowerShell expands nothing; a quote character ends the string unless
    the next character is a quote too, which then stands for itself.  Doubling each of the
    five quote characters therefore round-trips any text.
    """
    if value.isascii() and "\0" not in value:  # of the five quotes only ' is ASCII
        return "'" + value.replace("'", "''") + "'"
    problem = ps_text_problem(value)
    if problem:
        raise UnsupportedError(Problem(f"a PowerShell string contains {problem}"))
    return "'" + value.translate(_DOUBLED) + "'"


#: each of the five single-quote characters written twice
_DOUBLED = {ord(q): q + q for q in SINGLE_QUOTES}


def ps_psk_problem(key: str) -> str | None:
    """Why a pre-shared key cannot be written to New-NetIPsecAuthProposal (``None`` if it can)."""
    if not key:
        return EMPTY_KEY
    if has_control_character(key):
        return "a control character (line break, tab, NUL…)"
    return None


# ----------------------------------------------------------------------------------- netsh


def netsh_text_problem(value: str) -> str | None:
    """Why ``value`` cannot stand inside a double-quoted netsh value (``None`` when it can).

    netsh has no escape for ``"`` outside ``rootca``; a script line ends at a line break; other
    control characters are refused rather than silently dropped.  A trailing backslash would
    escape the closing quote under Windows command-line rules [V].
    """
    plain = value.isascii() and value.isprintable()  # no control character, no surrogate
    for ch in "" if plain and '"' not in value else value:
        if ch == '"':
            return "a double quote (netsh has no escape for it)"
        category = unicodedata.category(ch)
        if category == "Cc":
            return (f"control character U+{ord(ch):04X} (a netsh script line cannot hold line "
                    "breaks or control characters)")
        if category == "Cs":
            return _surrogate(ch)
    if value.endswith("\\"):
        return "a trailing backslash (it would escape the closing quote [V])"
    return None


def netsh_value(value: str) -> str:
    """``value`` as a double-quoted netsh value; refuses what netsh cannot carry."""
    problem = netsh_text_problem(value)
    if problem:
        raise UnsupportedError(Problem(f"a netsh value contains {problem}"))
    return f'"{value}"'


def netsh_psk_problem(key: str) -> str | None:
    """Why a pre-shared key cannot be written as netsh ``psk="…"`` (``None`` when it can)."""
    return EMPTY_KEY if not key else netsh_text_problem(key)


def ca_problem(ca: str) -> str | None:
    """Why a CA name cannot be written as a ``rootca`` string (``None`` when it can)."""
    problem = netsh_text_problem(ca.replace('"', ""))
    if problem:
        return problem
    if "\\'" in ca:
        return "the sequence \\' (rootca's escape for a double quote; it would read back as \")"
    lowered = ca.lower()
    if "certmap:" in lowered or "excludecaname:" in lowered:
        return "'certmap:' or 'excludecaname:' (rootca's option syntax)"
    if ca != ca.rstrip() or not ca.strip():
        return "trailing white space or nothing else"
    return None


def rootca_value(ca: str) -> str:
    """The ``rootca`` string: embedded double quotes become ``\\'`` (§3.1)."""
    problem = ca_problem(ca)
    if problem:
        raise UnsupportedError(Problem(f"a CA name contains {problem}"))
    return f'"{ca.replace(chr(34), chr(92) + chr(39))} certmap:no excludecaname:no"'
