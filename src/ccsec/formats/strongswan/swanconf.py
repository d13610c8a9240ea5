"""The strongswan.conf / swanctl.conf file grammar, read and written exactly as charon does.

Follows ``src/libstrongswan/settings/settings_lexer.l``: ``name { … }`` sections, one
``key = value`` per line, ``#`` comments, ``include <glob>``, values that end at a newline, ``#``
or ``}`` unless double-quoted, and in quoted strings the escapes ``\\n \\r \\t`` and ``\\<c>``.
Sections with the same name merge; a later key overrides an earlier one (as in charon).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ccsec.errors import ParseError, Problem
from ccsec.formats.base import Note
from ccsec.formats.strongswan.include import Includer, Refused

UNQUOTED = re.compile(r"[A-Za-z0-9._:/@%*|+,\-\[\]]+")  # fullmatch: "$" would allow a final "\n"


@dataclass
class Value:
    text: str
    line: int


@dataclass
class Section:
    name: str
    line: int
    items: dict[str, Section | Value] = field(default_factory=dict)
    #: ``# ccsec-…`` comments found directly inside this section: (tag, payload)
    meta: list[tuple[str, str]] = field(default_factory=list)
    references: list[str] = field(default_factory=list)

    def sections(self) -> list[Section]:
        return [v for v in self.items.values() if isinstance(v, Section)]

    def section(self, name: str) -> Section | None:
        item = self.items.get(name)
        return item if isinstance(item, Section) else None

    def value(self, key: str, default: str | None = None) -> str | None:
        item = self.items.get(key)
        return item.text if isinstance(item, Value) else default

    def line_of(self, key: str) -> int:
        item = self.items.get(key)
        return item.line if item is not None else self.line

    def merge(self, other: Section) -> None:
        for key, item in other.items.items():
            mine = self.items.get(key)
            if isinstance(mine, Section) and isinstance(item, Section):
                mine.merge(item)
            else:
                self.items[key] = item
        self.meta += other.meta


def quote(value: str) -> str:
    """A value as charon reads it back unchanged: bare when safe, else a quoted string."""
    if value and UNQUOTED.fullmatch(value):
        return value
    out = value.replace("\\", "\\\\").replace('"', '\\"')
    out = out.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return f'"{out}"'


#: runs the lexer takes in one step (a Python loop per character reads 1 MB/s; these regexes
#: keep a 10 MB file within seconds)
_BLANKS = re.compile(r"[ \t\r]+")
_NAME = re.compile(r'[^#{}="\r\n\t ]+')
_BARE = re.compile(r'[^#}"\r\n\t ]+')
_QUOTED_RUN = re.compile(r'[^"\\\r\n]+')
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t"}


class _Lexer:
    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.pos = 0
        self.line = 1

    def error(self, message: str) -> ParseError:
        return ParseError(Problem(message, self.source, self.line,
                                  fix="check braces, quotes and one key = value per line"))

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def advance(self) -> str:
        c = self.text[self.pos]
        self.pos += 1
        if c == "\n":
            self.line += 1
        return c

    def blanks(self) -> None:
        m = _BLANKS.match(self.text, self.pos)
        if m:
            self.pos = m.end()

    def quoted(self) -> str:
        """After an opening quote: the string up to the closing quote, escapes applied."""
        out: list[str] = []
        text = self.text
        while True:
            run = _QUOTED_RUN.match(text, self.pos)
            if run:
                out.append(run.group())
                self.pos = run.end()
            if self.pos >= len(text):
                raise self.error("unterminated string")
            c = self.advance()
            if c == '"':
                return "".join(out)
            if c == "\r":
                continue
            if c == "\\":
                if self.pos >= len(text):
                    raise self.error("unterminated string")
                nxt = self.advance()
                if nxt == "\r" and self.peek() == "\n":
                    self.advance()
                    continue
                if nxt == "\n":
                    continue
                out.append(_ESCAPES.get(nxt, nxt))
            else:
                out.append(c)  # a newline inside the string (counted by advance)

    def value(self) -> str:
        """After '=': value parts up to newline, '#' or '}', joined by single spaces."""
        parts: list[str] = []
        text = self.text
        while self.pos < len(text):
            c = text[self.pos]
            if c in "#}\n":
                break
            if c in " \t\r":
                self.blanks()
            elif c == '"':
                self.pos += 1
                parts.append(self.quoted())
            else:
                m = _BARE.match(text, self.pos)
                assert m is not None  # c is none of the characters that end a bare part
                parts.append(m.group())
                self.pos = m.end()
        return " ".join(parts)

    def name(self) -> str:
        m = _NAME.match(self.text, self.pos)
        if m is None:
            return ""
        self.pos = m.end()
        return m.group()


#: ``include(pattern, line)`` → (text, source, the includer of that file) per included file
Include = Callable[[str, int], list[tuple[str, str, "Include"]]]


def parse_conf(
    text: str,
    source: str = "<text>",
    include: Include | None = None,
) -> Section:
    """Parse swanctl.conf text into a section tree. ``include(pattern, line)`` returns the
    (text, source, includer) of each included file; without it, includes raise a
    ParseError."""
    lx = _Lexer(text, source)
    root = Section("", 1)
    stack = [root]
    pending: list[tuple[str, int]] = []  # NAME tokens waiting for '{' or '='
    while lx.pos < len(lx.text):
        c = lx.peek()
        if c in " \t\r":
            lx.blanks()
        elif c == "#":
            start = lx.pos
            end = lx.text.find("\n", start)
            lx.pos = len(lx.text) if end < 0 else end
            comment = lx.text[start + 1:lx.pos].strip()
            if comment.startswith("ccsec-") and " " in comment:
                tag, payload = comment.split(" ", 1)
                stack[-1].meta.append((tag, payload))
        elif c == "\n":
            if pending:
                raise lx.error(f"'{pending[0][0]}' needs '{{' or '= value' on the same line")
            lx.advance()
        elif c == "{":
            lx.advance()
            if not pending:
                raise lx.error("'{' without a section name")
            name, line = pending[0]
            refs = [n for n, _ in pending[1:] if n != ":"]
            pending = []
            section = Section(name.rstrip(":"), line, references=[r.strip(",") for r in refs])
            stack.append(section)
            if len(stack) > MAX_NESTING:
                raise lx.error(f"sections nested deeper than {MAX_NESTING}")
        elif c == "}":
            lx.advance()
            if pending:
                raise lx.error(f"'{pending[0][0]}' has no value")
            if len(stack) == 1:
                raise lx.error("'}' without an open section")
            done = stack.pop()
            _add(stack[-1], done)
        elif c == "=":
            lx.advance()
            if len(pending) != 1:
                raise lx.error("'=' needs exactly one key name before it")
            key, line = pending.pop()
            stack[-1].items[key] = Value(lx.value(), line)
        elif c == '"':
            raise lx.error("unexpected string (a quoted value must follow '=')")
        else:
            line = lx.line
            token = lx.name()
            if token == "include" and not pending and lx.peek() in (" ", "\t"):
                lx.advance()
                pattern = lx.value()
                if include is None:
                    raise lx.error(f"include {pattern}: no file context to resolve it")
                for inc_text, inc_source, inc_include in include(pattern, line):
                    sub = parse_conf(inc_text, inc_source, inc_include)
                    stack[-1].merge(sub)
                continue
            pending.append((token, line))
    if pending:
        raise lx.error(f"'{pending[0][0]}' has no value")
    if len(stack) != 1:
        raise ParseError(Problem(f"section '{stack[-1].name}' is not closed", source,
                                 stack[-1].line, fix="add the missing '}'"))
    return root


def _add(parent: Section, section: Section) -> None:
    existing = parent.items.get(section.name)
    if isinstance(existing, Section):
        existing.merge(section)
    else:
        parent.items[section.name] = section


#: sections within sections (charon's own files use four or five levels)
MAX_NESTING = 64
#: settings that section references may copy in all: ``b : a`` copies a's settings into b, so
#: references to references to large sections multiply (each level can double the tree)
MAX_COPIES = 100_000


class _TooMany(Exception):
    """Section references would copy more than MAX_COPIES settings."""


def resolve_references(root: Section) -> list[tuple[int, str]]:
    """Apply section references in place, as charon's settings do (``name : a.b, c.d {``): a
    section inherits every key and subsection of the sections it references that it does not
    set itself, subsections merging level by level (``children.net`` of the referencing section
    takes the referenced ``children.net``'s keys it lacks).  References are full key paths
    from the root.  Returns (line, problem) for references that name nothing or loop."""
    problems: list[tuple[int, str]] = []
    done: set[int] = set()
    budget = [MAX_COPIES]

    def find(path: str) -> Section | None:
        node: Section | None = root
        for part in path.split("."):
            node = node.section(part) if node is not None else None
        return node

    def visit(sec: Section, stack: tuple[int, ...]) -> None:
        if id(sec) in done:
            return
        if len(stack) > MAX_NESTING:  # a chain of references to references: not followed
            problems.append((sec.line, f"'{sec.name}': references nested deeper than "
                                       f"{MAX_NESTING}"))
            done.add(id(sec))
            return
        for ref in sec.references:
            target = find(ref)
            if target is None:
                problems.append((sec.line, f"'{sec.name} : {ref}': {ref} is not defined"))
                continue
            if id(target) in stack or target is sec:
                problems.append((sec.line, f"'{sec.name} : {ref}' refers to itself"))
                continue
            visit(target, (*stack, id(sec)))
            _inherit(sec, target, budget)
        done.add(id(sec))
        for sub in sec.sections():
            visit(sub, (*stack, id(sec)))

    try:
        visit(root, ())
    except _TooMany:
        problems.append((root.line, f"section references copy more than {MAX_COPIES:,} "
                                    "settings (references to references multiply): not "
                                    "all applied"))
    return problems


def _inherit(sec: Section, base: Section, budget: list[int]) -> None:
    for key, item in base.items.items():
        mine = sec.items.get(key)
        if mine is None:
            sec.items[key] = _copy(item, budget)
        elif isinstance(mine, Section) and isinstance(item, Section):
            _inherit(mine, item, budget)


def _copy(item: Section | Value, budget: list[int]) -> Section | Value:
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooMany
    if isinstance(item, Value):
        return Value(item.text, item.line)
    out = Section(item.name, item.line, meta=list(item.meta), references=list(item.references))
    out.items = {k: _copy(v, budget) for k, v in item.items.items()}
    return out


def file_includer(includer: Includer, notes: list[Note]) -> Include:
    """Resolve ``include`` globs relative to the including file, confined by ``includer``
    (:mod:`ccsec.formats.strongswan.include`); a refused include becomes a warning note and
    the rest of the file is read."""

    def include(pattern: str, line: int) -> list[tuple[str, str, Include]]:
        where = "" if len(includer.chain) == 1 else f"{includer.chain[-1].name}: "
        out: list[tuple[str, str, Include]] = []
        try:
            for path in includer.matches(pattern):
                nested = includer.within(path)
                out.append((includer.read(path), str(path), file_includer(nested, notes)))
        except Refused as exc:
            notes.append(Note(line, "warning", f"{where}{exc}; what it holds is not audited"))
            return []
        return out

    return include
