"""Errors a user can cause, and how they are shown.

Every error a user can provoke (a bad deployment file, an unreadable config, a format that cannot
express a policy) is a :class:`UserError`.  The CLI prints ``str(error)`` — one line per problem,
naming file, line and field and saying how to fix it — and exits 2, without a traceback.
Programming errors are *not* UserErrors and keep their tracebacks.

Messages echo text the user wrote (names, values, file names, lines of a configuration).  Such
text is shown only through :func:`shown`: control characters (a newline would split the one-line
error, an ESC sequence would reach the terminal), bidirectional overrides and line separators
become visible escapes, and very long values are cut.  :class:`Problem` applies it to every part
of a message, so no caller can forget it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: C0 and C1 controls, DEL, line/paragraph separators, bidi embeddings/overrides/isolates and
#: zero-width joiners or marks that can hide or reorder text on a terminal
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e"
                     "\u2060-\u2069\ufeff]")
#: the longest piece of user text a message echoes (the rest is elided)
MAX_SHOWN = 200


def has_unsafe(text: str) -> bool:
    """Whether ``text`` holds a character :func:`shown` would escape (a control character,
    a line separator, a bidi override…): such text cannot be one line of a config or message."""
    return _UNSAFE.search(text) is not None


def _escape(match: re.Match[str]) -> str:
    c = match.group()
    if c in "\n\r\t":
        return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}[c]
    code = ord(c)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(text: object, limit: int | None = MAX_SHOWN) -> str:
    """``text`` as it may appear in a message: one line, no control characters, at most
    ``limit`` characters of it (``None``: no cut)."""
    s = str(text)
    if limit is not None and len(s) > limit:
        s = s[:limit] + f"… ({len(s) - limit} more characters)"
    return _UNSAFE.sub(_escape, s)


def shown_repr(text: str, limit: int = MAX_SHOWN) -> str:
    """``text`` quoted, for messages that show a value between quotes."""
    return "'" + shown(text, limit).replace("'", "\\'") + "'"


@dataclass(frozen=True)
class Problem:
    """One located problem: ``file:line: field: message — fix``."""

    message: str
    file: str | None = None
    line: int | None = None
    field: str | None = None
    fix: str | None = None

    def __str__(self) -> str:
        # every part may carry user text: each is escaped (file names and fields are not cut,
        # so that the location stays exact; messages carry their own cut values)
        where = ""
        if self.file:
            where = shown(self.file, None)
            where = where if self.line is None else f"{where}:{self.line}"
            where += ": "
        field = f"{shown(self.field, None)}: " if self.field else ""
        fix = f" — fix: {shown(self.fix, None)}" if self.fix else ""
        return f"{where}{field}{shown(self.message, 2000)}{fix}"


class UserError(Exception):
    """Base class for errors caused by input; shown without traceback, exit code 2."""

    exit_code = 2

    def __init__(self, problems: list[Problem] | Problem | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        # the same problem found twice (one key file behind many rules) is reported once
        self.problems: list[Problem] = list(dict.fromkeys(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


class DeploymentError(UserError):
    """The deployment file is malformed or inconsistent."""


class PlanError(UserError):
    """The deployment is valid but no policy can be planned for it (e.g. no common proposal)."""


class UnsupportedError(UserError):
    """A format cannot express something the policy needs (Kerberos on IOS, a quote in netsh…)."""


class ParseError(UserError):
    """A configuration file could not be read as the format it claims to be."""


class SecretError(UserError):
    """A secret reference could not be resolved (unset variable, unreadable file)."""
