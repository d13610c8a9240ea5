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
from pathlib import Path

from ccsec.errors import ParseError, Problem

UNQUOTED = re.compile(r"^[A-Za-z0-9._:/@%*|+,\-\[\]]+$")


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
    if value and UNQUOTED.match(value):
        return value
    out = value.replace("\\", "\\\\").replace('"', '\\"')
    out = out.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return f'"{out}"'


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

    def quoted(self) -> str:
        """After an opening quote: the string up to the closing quote, escapes applied."""
        out: list[str] = []
        while True:
            if self.pos >= len(self.text):
                raise self.error("unterminated string")
            c = self.advance()
            if c == '"':
                return "".join(out)
            if c == "\r":
                continue
            if c == "\\":
                if self.pos >= len(self.text):
                    raise self.error("unterminated string")
                nxt = self.advance()
                if nxt == "\r" and self.peek() == "\n":
                    self.advance()
                    continue
                if nxt == "\n":
                    continue
                out.append({"n": "\n", "r": "\r", "t": "\t"}.get(nxt, nxt))
            else:
                out.append(c)

    def value(self) -> str:
        """After '=': value parts up to newline, '#' or '}', joined by single spaces."""
        parts: list[str] = []
        while self.pos < len(self.text):
            c = self.peek()
            if c in "#}\n":
                break
            if c in " \t\r":
                self.advance()
            elif c == '"':
                self.advance()
                parts.append(self.quoted())
            else:
                start = self.pos
                while self.pos < len(self.text) and self.text[self.pos] not in '#}"\r\n\t ':
                    self.pos += 1
                parts.append(self.text[start:self.pos])
        return " ".join(parts)

    def name(self) -> str:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in '#{}="\r\n\t ':
            self.pos += 1
        return self.text[start:self.pos]


def parse_conf(
    text: str,
    source: str = "<text>",
    include: Callable[[str, int], list[tuple[str, str]]] | None = None,
) -> Section:
    """Parse swanctl.conf text into a section tree. ``include(pattern, line)`` returns the
    (text, source) of each included file; without it, includes raise a ParseError."""
    lx = _Lexer(text, source)
    root = Section("", 1)
    stack = [root]
    pending: list[tuple[str, int]] = []  # NAME tokens waiting for '{' or '='
    while lx.pos < len(lx.text):
        c = lx.peek()
        if c in " \t\r":
            lx.advance()
        elif c == "#":
            start = lx.pos
            while lx.pos < len(lx.text) and lx.text[lx.pos] != "\n":
                lx.pos += 1
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
            if token == "include" and not pending and lx.peek() in " \t":
                lx.advance()
                pattern = lx.value()
                if include is None:
                    raise lx.error(f"include {pattern}: no file context to resolve it")
                for inc_text, inc_source in include(pattern, line):
                    sub = parse_conf(inc_text, inc_source, include)
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


def resolve_references(root: Section) -> list[tuple[int, str]]:
    """Apply section references in place, as charon's settings do (``name : a.b, c.d {``): a
    section inherits every key and subsection of the sections it references that it does not
    set itself, subsections merging level by level (``children.net`` of the referencing section
    takes the referenced ``children.net``'s keys it lacks).  References are full key paths
    from the root.  Returns (line, problem) for references that name nothing or loop."""
    problems: list[tuple[int, str]] = []
    done: set[int] = set()

    def find(path: str) -> Section | None:
        node: Section | None = root
        for part in path.split("."):
            node = node.section(part) if node is not None else None
        return node

    def visit(sec: Section, stack: tuple[int, ...]) -> None:
        if id(sec) in done:
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
            _inherit(sec, target)
        done.add(id(sec))
        for sub in sec.sections():
            visit(sub, (*stack, id(sec)))

    visit(root, ())
    return problems


def _inherit(sec: Section, base: Section) -> None:
    for key, item in base.items.items():
        mine = sec.items.get(key)
        if mine is None:
            sec.items[key] = _copy(item)
        elif isinstance(mine, Section) and isinstance(item, Section):
            _inherit(mine, item)


def _copy(item: Section | Value) -> Section | Value:
    if isinstance(item, Value):
        return Value(item.text, item.line)
    out = Section(item.name, item.line, meta=list(item.meta), references=list(item.references))
    out.items = {k: _copy(v) for k, v in item.items.items()}
    return out


def file_includer(base: Path) -> Callable[[str, int], list[tuple[str, str]]]:
    """Resolve ``include`` globs relative to ``base`` (the including file's directory)."""

    def include(pattern: str, line: int) -> list[tuple[str, str]]:
        p = Path(pattern)
        root = p.parent if p.is_absolute() else base / p.parent
        files = sorted(root.glob(p.name))
        return [(f.read_text(encoding="utf-8", errors="replace"), str(f)) for f in files]

    return include
