"""The PowerShell lexer for the script subset ccsec reads: tokens and top-level statements.

What it reads: bare words and numbers, ``-Param`` and ``-Param:value`` (en/em dashes too),
single- and double-quoted strings with every quote character PowerShell accepts
(:data:`~ccsec.formats.windows.text.SINGLE_QUOTES`, doubled quotes, backtick escapes),
here-strings, ``$var``/``${…}``/``$scope:var``, ``.Member`` after a value, brackets and
operators, comments and block comments, backtick line continuations.  ``"…$x…"`` and other
text PowerShell expands at run time is marked ``dynamic``.  Statements end at a line end or
``;`` unless a bracket is open or the line ends in ``|``, ``,`` or ``=``.

The scan is linear (no backtracking regexes, no recursion): one regex takes the common tokens
(:data:`_FAST`), the character rules take the rest.  A malformed script is a
:class:`ParseError` naming the line.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_right
from collections.abc import Iterator
from operator import attrgetter
from typing import NamedTuple, cast

from ccsec.errors import ParseError, Problem
from ccsec.formats.windows.text import DASHES, DOUBLE_QUOTES, SINGLE_QUOTES


class Tok(NamedTuple):
    """One PowerShell token of the subset ccsec reads.

    kind: ``word`` (bare word / command name / number), ``param`` (``-Name``; ``colon`` for
    ``-Name:value``), ``str`` (quoted; ``text`` is the decoded value), ``var`` (``$name``),
    ``member`` (``.Name`` right after a value), ``op`` (``( ) { } [ ] @( $( @{ , ; | & =``),
    ``nl`` (end of line).  ``dynamic`` marks text PowerShell expands at run time.

    A tuple (immutable, built in C from the line cache): a 1,000-site audit makes five
    million of them.
    """

    kind: str
    text: str
    line: int
    dynamic: bool = False
    colon: bool = False
    space: bool = True


_SPACE = re.compile(r"[ \t\f\v\u00a0\u0085\u1680\u2000-\u200a\u202f\u205f\u3000\ufeff]+")
_WORD = re.compile(r"[^\s;|&(){}\[\],`$\"'\u2018\u2019\u201a\u201b\u201c\u201d\u201e]+")
_SQ_BODY = re.compile(r"[^'\u2018\u2019\u201a\u201b]*")
_DQ_BODY = re.compile(r"[^\"\u201c\u201d\u201e`$]*")
_VAR = re.compile(r"(?:[A-Za-z]+:)?[A-Za-z0-9_]+|[_?^$]")
_NAME = re.compile(r"[^\W\d]\w*")
_HERE_END = {q: re.compile(r"(\r\n|\n|\r)[" + q + r"]@")
             for q in (SINGLE_QUOTES, DOUBLE_QUOTES)}
_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "e": "\x1b", "f": "\f", "n": "\n", "r": "\r",
            "t": "\t", "v": "\v"}
_OPS = "(){}[],;|&="
MAX_DEPTH = 64
#: One match per common token, tried first at every position; anything it does not take for
#: certain (here-strings, escapes, ``$(``, members, doubled quotes, a word running into a quote
#: or ``$``…) is left to the character rules below, which decide as before.  The character
#: classes are the ones of the rules they stand for; possessive quantifiers (``*+``) keep a
#: failed look-ahead from shortening a word or string instead of rejecting it.
_SQ, _DQ = SINGLE_QUOTES, DOUBLE_QUOTES
_WORD_CHARS = r"[^\s;|&(){}\[\],`$" + _DQ + _SQ + "]"
_FAST = re.compile(
    r"(?P<sp>" + _SPACE.pattern + ")?+"
    r"(?:(?P<nl>\r\n|\n|\r)"
    r"|(?P<cm>#[^\r\n]*+|`(?:\r\n|\n|\r))"
    r"|(?P<param>[" + DASHES + r"][^\W\d]\w*+:?)"
    r"|(?P<var>\$(?:" + _VAR.pattern + "))"
    r"|(?P<op>\|\||&&|[(){}\[\],;|&=])"
    r"|(?P<sq>[" + _SQ + "][^" + _SQ + "]*+[" + _SQ + "](?![" + _SQ + "]))"
    r"|(?P<dq>[" + _DQ + "][^`$" + _DQ + "]*+[" + _DQ + "](?![" + _DQ + "]))"
    r"|(?P<word>(?![" + DASHES + "@=.#<])" + _WORD_CHARS + "++(?![`$" + _SQ + _DQ + "]))"
    r"|$)"
)


class _Lexer:
    """A linear scan over the PowerShell subset (no backtracking regexes, no recursion)."""

    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.n = len(text)
        self.newlines = [m.start() for m in re.finditer("\n", text)]
        self.out: list[Tok] = []

    def line(self, pos: int) -> int:
        return bisect_right(self.newlines, pos - 1) + 1

    def fail(self, pos: int, message: str) -> ParseError:
        return ParseError(Problem(message, self.source, self.line(pos),
                                  fix="see about_Quoting_Rules / about_Parsing"))

    def run(self) -> list[Tok]:
        text, i, space = self.text, 0, True
        while i < self.n:
            i, space = self._fast(i, space)
            if i >= self.n:
                break
            c = text[i]
            m = _SPACE.match(text, i)
            if m:
                i, space = m.end(), True
                continue
            start = i
            if c in "\r\n":
                i += 2 if text.startswith("\r\n", i) else 1
                self.emit("nl", "\n", start, space)
                space = True
                continue
            if c == "`" and i + 1 < self.n and text[i + 1] in "\r\n":
                i += 3 if text.startswith("\r\n", i + 1) else 2
                space = True
                continue
            if c == "#":
                i = self._line_end(i)
                space = True
                continue
            if c == "<" and text.startswith("#", i + 1):
                end = text.find("#>", i + 2)
                if end < 0:
                    raise self.fail(i, "block comment <# … is never closed with #>")
                i, space = end + 2, True
                continue
            i = self._token(i, space)
            space = False
        return self.out

    def _fast(self, i: int, space: bool) -> tuple[int, bool]:
        """Take the common tokens from ``i`` on with :data:`_FAST`; return where it stopped
        (a token the character rules must read, or the end) and the pending space flag.

        The line number is carried along instead of looked up per token: ``\n`` only occurs
        in line ends, backtick continuations and strings, which add their own."""
        text, append = self.text, self.out.append
        line = bisect_right(self.newlines, i - 1) + 1
        # Pattern.scanner is CPython's (undocumented) match-in-place loop, absent from typeshed
        scan = _FAST.scanner(text, i).match  # type: ignore[attr-defined]
        while (f := scan()) is not None:
            kind = f.lastgroup
            if kind is None or kind == "sp":  # only (spaces and) the end of the text was left
                return f.end(), space or kind == "sp"
            start, i = f.span(kind)
            if start != f.start():
                space = True  # spaces before the token
            if kind == "word" or kind == "op":
                append(Tok(kind, f.group(kind), line, False, False, space))
            elif kind == "param":
                value = f.group(kind)
                if not (value[1].isalpha() or value[1] == "_"):
                    return start, space  # ``-²``: a word, to the character rules
                colon = value[-1] == ":"
                append(Tok("param", value[1:-1] if colon else value[1:], line, False, colon,
                           space))
            elif kind == "nl":
                append(Tok("nl", "\n", line, False, False, space))
                line += text[start] == "\n" or text[i - 1] == "\n"
                space = True
                continue
            elif kind == "var":
                append(Tok("var", f.group(kind)[1:], line, False, False, space))
            elif kind == "cm":  # a comment, or a backtick continuing the line
                line += text[i - 1] == "\n"
                space = True
                continue
            else:  # sq, dq
                value = f.group(kind)
                append(Tok("str", value[1:-1], line, False, False, space))
                line += value.count("\n")
            space = False
        return i, space

    def _line_end(self, i: int) -> int:
        while i < self.n and self.text[i] not in "\r\n":
            i += 1
        return i

    def emit(self, kind: str, text: str, pos: int, space: bool, dynamic: bool = False,
             colon: bool = False) -> None:
        self.out.append(Tok(kind, text, self.line(pos), dynamic, colon, space))

    def _token(self, i: int, space: bool) -> int:
        text, c = self.text, self.text[i]
        nxt = text[i + 1] if i + 1 < self.n else ""
        if c in SINGLE_QUOTES:
            value, j = self.single(i)
            self.emit("str", value, i, space)
            return j
        if c in DOUBLE_QUOTES:
            value, dyn, j = self.double(i)
            self.emit("str", value, i, space, dyn)
            return j
        if c == "@" and nxt and nxt in SINGLE_QUOTES + DOUBLE_QUOTES:
            return self.here(i, space)
        if c in "@$" and nxt and nxt in "({":
            self.emit("op", c + nxt, i, space)
            return i + 2
        if c == "$":
            return self._var(i, space)
        if c in _OPS:
            double = c in "|&" and nxt == c
            self.emit("op", c * 2 if double else c, i, space)
            return i + (2 if double else 1)
        if c in DASHES and (nxt.isalpha() or nxt == "_"):
            m = _NAME.match(text, i + 1)
            assert m is not None
            colon = text.startswith(":", m.end())
            self.emit("param", m.group(), i, space, colon=colon)
            return m.end() + (1 if colon else 0)
        if (c == "." and not space and self.out and self.out[-1].kind in ("var", "member")) \
                or (c == "." and not space and self.out and self.out[-1].text in (")", "]")):
            m = _NAME.match(text, i + 1)
            if m:
                self.emit("member", m.group(), i, space)
                return m.end()
        return self.word(i, space)

    def _var(self, i: int, space: bool) -> int:
        text = self.text
        if text.startswith("{", i + 1):
            end = text.find("}", i + 2)
            if end < 0:
                raise self.fail(i, "${… is never closed")
            self.emit("var", text[i + 2:end], i, space)
            return end + 1
        m = _VAR.match(text, i + 1)
        if not m:
            return self.word(i, space)
        self.emit("var", m.group(), i, space)
        return m.end()

    def word(self, i: int, space: bool) -> int:
        text, start, parts, dyn = self.text, i, [], False
        while i < self.n:
            m = _WORD.match(text, i)
            if m:
                parts.append(m.group())
                i = m.end()
                continue
            c = text[i]
            if c == "`" and i + 1 < self.n and text[i + 1] not in "\r\n":
                parts.append(text[i + 1])
                i += 2
            elif c in SINGLE_QUOTES:
                value, i = self.single(i)
                parts.append(value)
            elif c in DOUBLE_QUOTES:
                value, d, i = self.double(i)
                parts.append(value)
                dyn = dyn or d
            elif c == "$":
                parts.append(c)
                dyn = True
                i += 1
            else:
                break
        if i == start:  # a lone character no rule takes (cannot happen; keep the scan moving)
            parts.append(text[i])
            i += 1
        self.emit("word", "".join(parts), start, space, dyn)
        return i

    def single(self, i: int) -> tuple[str, int]:
        """A '…' string from ``i`` (any of the five quote characters; doubled = literal)."""
        text, j, parts = self.text, i + 1, []
        while True:
            m = _SQ_BODY.match(text, j)
            assert m is not None
            parts.append(m.group())
            j = m.end()
            if j >= self.n:
                raise self.fail(i, "a single-quoted string is never closed")
            if j + 1 < self.n and text[j + 1] in SINGLE_QUOTES:
                parts.append(text[j + 1])
                j += 2
                continue
            return "".join(parts), j + 1

    def double(self, i: int) -> tuple[str, bool, int]:
        """A "…" string: backtick escapes decoded; ``$`` expansion marks it dynamic."""
        text, j, parts, dyn = self.text, i + 1, [], False
        while True:
            m = _DQ_BODY.match(text, j)
            assert m is not None
            parts.append(m.group())
            j = m.end()
            if j >= self.n:
                raise self.fail(i, "a double-quoted string is never closed")
            c = text[j]
            if c == "`":
                if j + 1 >= self.n:
                    raise self.fail(i, "a double-quoted string is never closed")
                e = text[j + 1]
                parts.append(_ESCAPES.get(e, e))
                j += 2
            elif c == "$":
                nxt = text[j + 1] if j + 1 < self.n else ""
                dyn = dyn or nxt.isalnum() or nxt in "_({:?^$"
                parts.append(c)
                j += 1
            elif j + 1 < self.n and text[j + 1] in DOUBLE_QUOTES:
                parts.append(text[j + 1])
                j += 2
            else:
                return "".join(parts), dyn, j + 1

    def here(self, i: int, space: bool) -> int:
        """@'…'@ / @"…"@: the opening quote ends its line, the closing one starts a line."""
        text = self.text
        quotes = SINGLE_QUOTES if text[i + 1] in SINGLE_QUOTES else DOUBLE_QUOTES
        j = i + 2
        m = _SPACE.match(text, j)
        if m:
            j = m.end()
        if j >= self.n or text[j] not in "\r\n":
            raise self.fail(i, "a here-string's opening @' or @\" must end its line")
        j += 2 if text.startswith("\r\n", j) else 1
        end = _HERE_END[quotes].search(text, j - 1)
        if not end:
            raise self.fail(i, "a here-string is never closed ('@ or \"@ at the start of a line)")
        body = text[j:end.start()] if end.start() >= j else ""
        dyn = False
        if quotes is DOUBLE_QUOTES:
            dyn = "$" in body
            body = re.sub(r"`(.)", lambda mm: _ESCAPES.get(mm.group(1), mm.group(1)), body)
        self.emit("str", body, i, space, dyn)
        return end.end()


#: a here-string (or a block comment, ``<#``) makes lines depend on the lines before them
_HERE = re.compile(r"@[" + SINGLE_QUOTES + DOUBLE_QUOTES + r"]")
#: one token of a cached line, without its line number: (kind, text, dynamic, colon, space)
_Proto = tuple[str, str, bool, bool, bool]
#: a token of a line's *shape*: a :data:`_Proto`, or — for a plain value right after a
#: ``-Param`` (a *slot*) — the same with ``None`` for its text
_ShapeTok = tuple[str, str | None, bool, bool, bool]


class Line(NamedTuple):
    """What the line cache keeps of a line.

    ``protos``: its tokens; ``plain``: no bracket and no ``;``, a line end only as its last
    token — so that splitting statements needs to look at nothing but its last token
    (:func:`script_units`), which ``ends`` (whether the line has a line end token), ``has``
    (whether it has any other token) and ``continues`` (whether that last other token
    continues the statement onto the next line) say; ``shape``: the tokens with each slot's
    text left out, and ``shape_id`` a number for it (lines of one shape have one number);
    ``literals``: the slots' texts, in order.  Statements of lines of the same shapes bind
    their parameters the same way (:mod:`.ps_plan`)."""

    protos: tuple[_Proto, ...]
    plain: bool
    ends: bool
    has: bool
    continues: bool
    shape_id: int
    literals: tuple[str, ...]
    shape: tuple[_ShapeTok, ...]


#: the tokens of each line met before, without its line number: 71 % of the bytes of a
#: rendered 1,000-site tree are lines seen earlier (the same proposals, the same
#: ``-PolicyStore … -Group …`` line per object).  Bounded; per process.
_LINES: dict[str, Line] = {}
_LINES_MAX = 200_000
#: shape → its number; numbers are never reused (a cleared table starts new ones), so a
#: number kept elsewhere never names another shape
_SHAPES: dict[tuple[_ShapeTok, ...], int] = {}
_SHAPE_IDS = itertools.count()
_new = tuple.__new__
#: operators that open or close a bracket or end a statement: a line holding one is not plain
_STRUCTURE = frozenset({"(", "@(", "$(", "{", "@{", "[", ")", "}", "]", ";"})


def _fast_line(line: str) -> tuple[_Proto, ...] | None:
    """The tokens of one line when :data:`_FAST` takes all of it — what :meth:`_Lexer._fast`
    would append, without a lexer object or line numbers; ``None`` when the character rules
    must read some of it (then the lexer reads the line)."""
    out: list[_Proto] = []
    append = out.append
    space = True
    scan = _FAST.scanner(line).match  # type: ignore[attr-defined]
    while (f := scan()) is not None:
        kind = f.lastgroup
        if kind is None or kind == "sp":
            return tuple(out) if f.end() >= len(line) else None
        if f.start(kind) != f.start():
            space = True
        if kind == "word" or kind == "op":
            append((kind, f.group(kind), False, False, space))
        elif kind == "param":
            value = f.group(kind)
            if not (value[1].isalpha() or value[1] == "_"):
                return None
            colon = value[-1] == ":"
            append(("param", value[1:-1] if colon else value[1:], False, colon, space))
        elif kind == "nl":
            append(("nl", "\n", False, False, space))
            space = True
            continue
        elif kind == "var":
            append(("var", f.group(kind)[1:], False, False, space))
        elif kind == "cm":
            space = True
            continue
        else:  # sq, dq
            append(("str", f.group(kind)[1:-1], False, False, space))
        space = False
    return None


#: what precedes a comment on a comment line (the characters of :data:`_SPACE`), and the
#: tokens of such a line: a ``#`` comment runs to the line end, which is all that is left
SPACE_CHARS = " \t\f\v\u00a0\u0085\u1680" + "".join(map(chr, range(0x2000, 0x200b))) + \
    "\u202f\u205f\u3000\ufeff"
_COMMENT_LINE: tuple[_Proto, ...] = (("nl", "\n", False, False, True),)


def _lex_line(piece: str, last: bool, source: str) -> Line:
    """The cached form of one line (``piece`` without its ``\n``; ``last``: the text's final
    piece, which has none).  A :class:`ParseError` goes to the caller."""
    line = piece if last else piece + "\n"
    toks: tuple[_Proto, ...]
    shape: tuple[_ShapeTok, ...]
    literals: tuple[str, ...]
    if piece.lstrip(SPACE_CHARS).startswith("#") and "\r" not in piece:
        # a comment line (22,000 different ones at 1,000 sites): only its line end, if any
        toks = () if last else _COMMENT_LINE
        shape, literals, plain = toks, (), True
    elif (simple := _simple_line(line)) is not None:
        toks, shape, literals = simple
        plain = True
    else:
        fast = _fast_line(line)
        toks = fast if fast is not None else tuple(
            (t.kind, t.text, t.dynamic, t.colon, t.space) for t in _Lexer(line, source).run())
        shape, literals, plain = _shape(toks)
    shape_id = _SHAPES.get(shape)
    if shape_id is None:
        if len(_SHAPES) >= _LINES_MAX:
            _SHAPES.clear()
        shape_id = _SHAPES[shape] = next(_SHAPE_IDS)
    ends = bool(toks) and toks[-1][0] == "nl"
    has = len(toks) > ends
    continues = has and _continues_proto(toks[-1 - ends])
    return _new(Line, (toks, plain, ends, has, continues, shape_id, literals, shape))


def _shape(toks: tuple[_Proto, ...]) -> tuple[tuple[_ShapeTok, ...], tuple[str, ...], bool]:
    """The shape of a line, the texts of its slots — a quoted string or a bare word (not
    ``@name``), not expanded at run time, right after a ``-Param`` on the same line — and
    whether the line is plain (:class:`Line`)."""
    shape: list[_ShapeTok] = []
    literals: list[str] = []
    after_param = False
    plain = True
    last = len(toks) - 1
    for k, (kind, text, dyn, colon, space) in enumerate(toks):
        if after_param and not dyn and (kind == "str" or
                                        (kind == "word" and not text.startswith("@"))):
            shape.append((kind, None, dyn, colon, space))
            literals.append(text)
        else:
            shape.append((kind, text, dyn, colon, space))
            if (kind == "op" and text in _STRUCTURE) or (kind == "nl" and k < last):
                plain = False
        after_param = kind == "param"
    return tuple(shape), tuple(literals), plain


#: a token of a *simple* line: ``-Param``, ``@name``, a '…' string on one line, or a bare word
#: of the characters rendered names, numbers and addresses are made of
_SIMPLE_TOK = (r"(?:-[A-Za-z][A-Za-z0-9]*|@[A-Za-z][A-Za-z0-9]*|'[^\r\n" + _SQ + r"]*'"
               r"|[A-Za-z0-9][A-Za-z0-9._:/-]*)")
#: a simple line: such tokens, each after spaces, then a backtick continuation (after a space)
#: or the line end — most of the lines a renderer writes (``-Name '…' -DisplayName '…' ``)
_SIMPLE_PART = re.compile(r"( *)(" + _SIMPLE_TOK + ")")
_SimpleLine = tuple[tuple[_Proto, ...], tuple[_ShapeTok, ...], tuple[str, ...]]


def _simple_line(line: str) -> _SimpleLine | None:
    """The tokens of a simple line — what :func:`_fast_line` gives for it, without a match
    per token — with its shape and slots (:func:`_shape`; a simple line is plain); ``None``
    for any other line.  One scan: the tokens found must cover the line up to its tail, each
    after at least one space (the first after any)."""
    if line.endswith(" `\n"):
        body = line[:-2].rstrip(" ")
        end: _Proto | None = None
    elif line.endswith("\n"):
        body = line[:-1].rstrip(" ")
        end = ("nl", "\n", False, False, len(line) - 1 > len(body))
    else:
        return None
    out: list[_Proto] = []
    shape: list[_ShapeTok] = []
    literals: list[str] = []
    after_param = False
    covered = 0
    for spaces, tok in _SIMPLE_PART.findall(body):
        if not spaces and out:
            return None  # two tokens without a space between them
        covered += len(spaces) + len(tok)
        c = tok[0]
        if c == "-":
            proto: _Proto = ("param", tok[1:], False, False, True)
            shape.append(proto)
            out.append(proto)
            after_param = True
            continue
        if c == "'":
            proto = ("str", tok[1:-1], False, False, True)
        else:
            proto = ("word", tok, False, False, True)
        out.append(proto)
        if after_param and c != "@":
            shape.append((proto[0], None, False, False, True))
            literals.append(proto[1])
        else:
            shape.append(proto)
        after_param = False
    if not out or covered != len(body):
        return None  # no token, or something between them no token rule takes
    if end is not None:
        out.append(end)
        shape.append(end)
    return tuple(out), tuple(shape), tuple(literals)


def spans_lines(text: str) -> bool:
    """Whether ``text`` must go through the lexer at once: a here-string or block comment
    (lines that depend on the lines before them) or a lone CR (a line end ``split`` misses)."""
    return bool(_HERE.search(text)) or "<#" in text or \
        ("\r" in text and text.count("\r") != text.count("\r\n"))


def remember(piece: str, rec: Line) -> None:
    """Keep ``rec`` as the cached form of the line ``piece`` (:data:`_LINES`, bounded)."""
    if len(_LINES) >= _LINES_MAX:
        _LINES.clear()
    _LINES[piece] = rec


def cached_line(piece: str, source: str) -> Line:
    """The cached form of a line that is not a text's last (lexed and kept when new)."""
    rec = _LINES.get(piece)
    if rec is None:
        rec = _lex_line(piece, False, source)
        remember(piece, rec)
    return rec


def _cached_lines(text: str, source: str) -> list[Line] | None:
    """Every line of ``text`` through :data:`_LINES`; ``None`` when the text must go through
    the lexer at once (a construct spanning lines, a lone CR, or any error — which the whole
    text lexer then names with its line)."""
    if spans_lines(text):
        return None
    pieces = text.split("\n")
    last = pieces.pop()
    out: list[Line | None] = list(map(_LINES.get, pieces))  # keyed without their "\n"
    if None in out:
        for k, rec in enumerate(out):
            if rec is None:
                try:
                    out[k] = cached_line(pieces[k], source)  # maybe met earlier in this text
                except ParseError:
                    return None
    try:
        out.append(_lex_line(last, True, source))
    except ParseError:
        return None
    return cast(list[Line], out)


def tokenize(text: str, source: str = "<text>") -> list[Tok]:
    """The tokens of a PowerShell script (the subset in this module's docstring).

    Line by line through :data:`_LINES` when no construct spans lines (here-strings, block
    comments, a quoted string running over a line end: those, and any error, take the whole
    text through the lexer at once — which also names the error's line); the tokens are the
    same either way (``tests/ux/test_ux_speed.py`` compares them)."""
    lines = _cached_lines(text, source)
    if lines is None:
        return _Lexer(text, source).run()
    out: list[Tok] = []
    for n, (toks, *_) in enumerate(lines, 1):
        out.extend([_new(Tok, (kind, value, n, dyn, colon, space))
                    for kind, value, dyn, colon, space in toks])
    return out


class LineRun(NamedTuple):
    """A statement made of whole plain lines outside any bracket: its first line and the
    cached :class:`Line` of each of its lines (a line with no token of its own included)."""

    line: int
    lines: list[Line]

    def tokens(self) -> list[Tok]:
        """The statement's tokens (what :func:`statements` gives for it)."""
        out: list[Tok] = []
        for n, rec in enumerate(self.lines, self.line):
            protos = rec.protos
            if protos and protos[-1][0] == "nl":
                protos = protos[:-1]
            out.extend([_new(Tok, (kind, value, n, dyn, colon, space))
                        for kind, value, dyn, colon, space in protos])
        return out

    @property
    def key(self) -> tuple[int, ...]:
        """The shape numbers of its lines (statements with one key bind alike)."""
        return tuple(map(_SHAPE_ID, self.lines))

    @property
    def values(self) -> tuple[str, ...]:
        """The texts of its lines' slots, in order (:attr:`Line.literals` one after another)."""
        return tuple(itertools.chain.from_iterable(map(_LITERALS, self.lines)))


_SHAPE_ID = attrgetter("shape_id")
_LITERALS = attrgetter("literals")


def script_statements(text: str, source: str = "<text>") -> Iterator[list[Tok]]:
    """``statements(tokenize(text, source), source)``, the same statements and errors in the
    same order, faster (``tests/ux/test_ux_speed.py`` compares the two ways)."""
    for stmt in script_units(text, source):
        yield stmt if isinstance(stmt, list) else stmt.tokens()


def script_units(text: str, source: str = "<text>") -> Iterator[list[Tok] | LineRun]:
    """The statements of :func:`script_statements`; one made of whole plain lines (no
    bracket, no ``;``) outside any bracket comes as a :class:`LineRun` — split by each line's
    last token alone, its tokens made only if asked for — the others as tokens."""
    lines = _cached_lines(text, source)
    if lines is None:
        yield from statements(_Lexer(text, source).run(), source)
        return
    split = Splitter(source)
    out: list[list[Tok] | LineRun] = []
    for n, rec in enumerate(lines, 1):
        try:
            split.feed(n, rec, out)
        except ParseError:
            yield from out  # the statements the line ended before its bracket error
            raise
        if out:
            yield from out
            out.clear()
    split.finish(out)
    yield from out


class Splitter:
    """The split of cached lines into statements, a line at a time (what :func:`statements`
    does with their tokens): whole plain lines outside any bracket are gathered into a
    :class:`LineRun` by each line's flags alone; any other line goes token by token."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.stack: list[Tok] = []
        self.current: list[Tok] = []  # a statement split token by token
        self.start = 0  # the first line of a statement of whole plain lines (0: none)
        self.run: list[Line] = []  # the lines of that statement so far
        self.continues = False  # whether that statement's last token continues it

    def idle(self) -> bool:
        """Whether the next line starts a statement (nothing open, nothing gathered)."""
        return not self.start and not self.stack and not self.current

    def feed(self, n: int, rec: Line, out: list[list[Tok] | LineRun]) -> None:
        """Take line ``n``; append the statements it ends to ``out``.  A bracket error is a
        :class:`ParseError` (after the statements before it)."""
        if rec.plain and not self.stack and not self.current:
            if rec.has:
                if not self.start:
                    self.start = n
                self.continues = rec.continues
            elif not self.start:
                return  # no statement yet: an empty line, a comment, a lone continuation
            self.run.append(rec)
            if rec.ends and not self.continues:
                out.append(_new(LineRun, (self.start, self.run)))
                self.start = 0
                self.run = []
            return
        current = self.current
        if self.start:
            current = self.current = LineRun(self.start, self.run).tokens()
            self.start = 0
            self.run = []
        protos = rec.protos
        if rec.plain and not self.stack:
            if protos and protos[-1][0] == "nl":
                current.extend([_new(Tok, (kind, value, n, dyn, colon, space))
                                for kind, value, dyn, colon, space in protos[:-1]])
                if current and not _continues(current[-1]):
                    out.append(current)
                    self.current = []
            else:
                current.extend([_new(Tok, (kind, value, n, dyn, colon, space))
                                for kind, value, dyn, colon, space in protos])
            return
        for kind, value, dyn, colon, space in protos:
            tok = _new(Tok, (kind, value, n, dyn, colon, space))
            if _split(tok, self.stack, self.source):
                if self.current and not _continues(self.current[-1]):
                    out.append(self.current)
                    self.current = []
                continue
            self.current.append(tok)

    def finish(self, out: list[list[Tok] | LineRun]) -> None:
        """The end of the text: the statements still open, or a bracket never closed."""
        if self.stack:
            raise _never_closed(self.stack, self.source)
        if self.current:
            out.append(self.current)
        if self.start:
            out.append(LineRun(self.start, self.run))


def _continues_proto(proto: _Proto) -> bool:
    """:func:`_continues` of a cached token."""
    return proto[0] == "op" and proto[1] in ("|", ",", "=")


_OPEN = {"(": ")", "@(": ")", "$(": ")", "{": "}", "@{": "}", "[": "]"}


def statements(tokens: list[Tok], source: str) -> Iterator[list[Tok]]:
    """Top-level statements: a line or ``;`` ends one unless a bracket is open or the line
    ends in ``|``, ``,`` or ``=`` (PowerShell continues those onto the next line)."""
    stack: list[Tok] = []
    current: list[Tok] = []
    for tok in tokens:
        if _split(tok, stack, source):
            if current and not _continues(current[-1]):
                yield current
                current = []
            continue
        current.append(tok)  # line ends inside brackets separate statements of @( ) / $( )
    if stack:
        raise _never_closed(stack, source)
    if current:
        yield current


def _split(tok: Tok, stack: list[Tok], source: str) -> bool:
    """Track the brackets ``tok`` opens or closes on ``stack``; whether ``tok`` is a line end
    or ``;`` outside every bracket (a place where a statement may end)."""
    if tok.kind == "op" and tok.text in _OPEN:
        stack.append(tok)
        if len(stack) > MAX_DEPTH:
            raise ParseError(Problem(f"brackets nested deeper than {MAX_DEPTH}", source,
                                     tok.line))
    elif tok.kind == "op" and tok.text in (")", "}", "]"):
        if not stack or _OPEN[stack[-1].text] != tok.text:
            raise ParseError(Problem(f"unexpected '{tok.text}'", source, tok.line,
                                     fix="check the brackets of this statement"))
        stack.pop()
    return not stack and (tok.kind == "nl" or (tok.kind == "op" and tok.text == ";"))


def _never_closed(stack: list[Tok], source: str) -> ParseError:
    return ParseError(Problem(f"'{stack[-1].text}' is never closed", source, stack[-1].line,
                              fix="check the brackets of this statement"))


def _continues(tok: Tok) -> bool:
    """Whether a statement ending in ``tok`` goes on past the end of the line."""
    return tok.kind == "op" and tok.text in ("|", ",", "=")


def split_at(tokens: list[Tok], sep: str) -> list[list[Tok]]:
    """``tokens`` split at ``sep`` operators outside brackets (and at line ends for ``;``)."""
    out: list[list[Tok]] = [[]]
    depth = 0
    for tok in tokens:
        if tok.kind == "op" and tok.text in _OPEN:
            depth += 1
        elif tok.kind == "op" and tok.text in (")", "}", "]"):
            depth -= 1
        if depth == 0 and tok.kind == "nl":
            if sep == ";" and out[-1] and not _continues(out[-1][-1]):
                out.append([])
            continue
        if depth == 0 and tok.kind == "op" and tok.text == sep:
            out.append([])
            continue
        out[-1].append(tok)
    return [part for part in out if part] if sep == ";" else out


def group_end(tokens: list[Tok], start: int) -> int:
    """Index of the bracket closing the one opened at ``start``."""
    depth = 0
    for k in range(start, len(tokens)):
        tok = tokens[k]
        if tok.kind == "op" and tok.text in _OPEN:
            depth += 1
        elif tok.kind == "op" and tok.text in (")", "}", "]"):
            depth -= 1
            if depth == 0:
                return k
    return len(tokens) - 1


def command_names(text: str) -> list[str]:
    """Every command a script invokes, in order (nested calls included) — for reviews/tests."""
    out: list[str] = []
    for stmt in statements(tokenize(text), "<text>"):
        _collect_commands(stmt, out)
    return out


def _collect_commands(tokens: list[Tok], out: list[str]) -> None:
    command_position, brackets = True, 0
    for tok in tokens:
        if tok.kind == "op" and tok.text in ("[", "]"):
            brackets += 1 if tok.text == "[" else -1
            continue
        if brackets:
            continue
        if tok.kind == "nl" or (tok.kind == "op" and tok.text in _COMMAND_STARTS):
            command_position = True
            continue
        if tok.kind == "word" and command_position:
            out.append(tok.text)
        command_position = False


_COMMAND_STARTS = frozenset({"(", "@(", "$(", "{", "|", "=", ";", "&", "&&", "||"})
