"""A small PowerShell lexer for ccsec's own generated scripts (no PowerShell tokenizer here).

It checks what a reviewer of a generated script must be able to trust:

* quotes, here-strings, block comments, parentheses, braces and brackets are balanced
  (so the script parses the way it reads);
* no interpolation: a double-quoted string never contains ``$`` (ccsec writes literals in
  single quotes, and values are never formatted into a script);
* read-only: every ``Verb-Noun`` command outside strings/comments uses an allowed verb
  (``ALLOWED_VERBS``); ``New-Object`` is the only ``New-`` command; no ``Invoke-Expression``;
  external ``netsh`` calls only ``show``.

It is a lexer for the subset ccsec emits, not a full PowerShell parser: it knows single- and
double-quoted strings (with ``''`` and backtick escapes), ``@'…'@`` / ``@"…"@`` here-strings,
``#`` and ``<#…#>`` comments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ALLOWED_VERBS = frozenset({"Get", "ConvertTo", "ConvertFrom", "Select", "Where", "ForEach",
                           "Sort", "Measure", "Test", "Join", "Split", "Write", "Out",
                           "Format", "Group", "Compare"})
_VERB_NOUN = re.compile(r"(?<![\w$.-])([A-Z][A-Za-z]+)-([A-Z][A-Za-z0-9]+)\b")
_PAIRS = {")": "(", "}": "{", "]": "["}


@dataclass(frozen=True)
class Problem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class _Lexer:
    def __init__(self, text: str) -> None:
        self.t = text
        self.i = 0
        self.line = 1
        self.code: list[str] = []  # the script with strings and comments blanked
        self.problems: list[Problem] = []
        self.stack: list[tuple[str, int]] = []

    def _advance(self, n: int = 1, keep: bool = False) -> None:
        chunk = self.t[self.i:self.i + n]
        self.line += chunk.count("\n")
        self.code.append(chunk if keep else re.sub(r"[^\n]", " ", chunk))
        self.i += n

    def _until(self, end: str, what: str, start: int) -> None:
        j = self.t.find(end, self.i)
        if j < 0:
            self.problems.append(Problem(start, f"unterminated {what}"))
            self._advance(len(self.t) - self.i)
        else:
            self._advance(j + len(end) - self.i)

    def _single(self) -> None:
        start = self.line
        self._advance()
        while self.i < len(self.t):
            if self.t.startswith("''", self.i):
                self._advance(2)
            elif self.t[self.i] == "'":
                self._advance()
                return
            else:
                self._advance()
        self.problems.append(Problem(start, "unterminated single-quoted string"))

    def _double(self) -> None:
        start = self.line
        self._advance()
        while self.i < len(self.t):
            c = self.t[self.i]
            if c == "`" or self.t.startswith('""', self.i):
                self._advance(2)
            elif c == '"':
                self._advance()
                return
            else:
                if c == "$":
                    self.problems.append(Problem(self.line, "interpolation ($) inside a "
                                                 "double-quoted string"))
                self._advance()
        self.problems.append(Problem(start, "unterminated double-quoted string"))

    def _here(self, quote: str) -> None:
        start = self.line
        body_start = self.i + 2
        m = re.compile(r"\n" + re.escape(quote) + "@").search(self.t, body_start)
        if quote == '"' and "$" in self.t[body_start:m.start() if m else len(self.t)]:
            self.problems.append(Problem(start, "interpolation ($) inside a here-string"))
        if not m:
            self.problems.append(Problem(start, "unterminated here-string"))
            self._advance(len(self.t) - self.i)
        else:
            self._advance(m.end() - self.i)

    def _bracket(self, c: str) -> None:
        if c in "({[":
            self.stack.append((c, self.line))
        else:
            if not self.stack or self.stack[-1][0] != _PAIRS[c]:
                self.problems.append(Problem(self.line, f"unbalanced '{c}'"))
            else:
                self.stack.pop()
        self._advance(keep=True)

    def run(self) -> None:
        t = self.t
        while self.i < len(t):
            c = t[self.i]
            if t.startswith("<#", self.i):
                self._until("#>", "block comment", self.line)
            elif c == "#":
                j = t.find("\n", self.i)
                self._advance((j if j >= 0 else len(t)) - self.i)
            elif t.startswith("@'", self.i) or t.startswith('@"', self.i):
                self._here(t[self.i + 1])
            elif c == "'":
                self._single()
            elif c == '"':
                self._double()
            elif c == "`":
                self._advance(2, keep=True)
            elif c in "(){}[]":
                self._bracket(c)
            else:
                self._advance(keep=True)
        for c, line in self.stack:
            self.problems.append(Problem(line, f"'{c}' is never closed"))


def code_only(text: str) -> str:
    """The script with strings and comments blanked out (line structure kept)."""
    lx = _Lexer(text)
    lx.run()
    return "".join(lx.code)


def check(text: str, read_only: bool = True) -> list[Problem]:
    """Every problem of one generated script (empty list = passes); ``read_only=False`` keeps
    the quoting/balance/interpolation checks but allows commands that change the host (the
    logging scripts are meant to)."""
    lx = _Lexer(text)
    lx.run()
    problems = list(lx.problems)
    code = "".join(lx.code)
    for n, line in enumerate(code.splitlines(), 1):
        if not read_only:
            continue
        for m in _VERB_NOUN.finditer(line):
            verb, noun = m.group(1), m.group(2)
            if verb == "New" and noun == "Object":
                continue
            if verb not in ALLOWED_VERBS:
                problems.append(Problem(n, f"command {verb}-{noun} is not read-only"))
        if re.search(r"(?i)\b(?:iex|invoke-expression)\b", line):
            problems.append(Problem(n, "Invoke-Expression is not allowed"))
        if re.search(r"(?i)(?<![\w$])netsh(?:\.exe)?\b", line) and not re.search(r"\bshow\b", line):
            problems.append(Problem(n, "netsh is only allowed with `show`"))
    return sorted(problems, key=lambda p: p.line)
