"""Statement templates: a statement whose lines have the shapes of one met before is read by
one regex match instead of line by line (issue 16, speed goal).

A rendered deployment writes the same statements thousands of times with other names and
addresses — ``$mmCrypto = New-NetIPsecMainModeCryptoSet `` and the four lines after it, per
rule.  Line by line (:func:`.ps_lexer.script_units`) each of those lines is looked up in the
line cache, lexed when new (the names make most of them new: 146,000 different lines at
1,000 sites) and split into statements token flag by token flag.  A :class:`Template` is
what the split learnt from such a statement: its first line's exact text (the key), and for
the lines after it one regex that matches exactly the lines the lexer gives the same shapes
(:class:`.ps_lexer.Line`), capturing the texts of their slots.  When a statement starts with
a known first line and the regex matches the lines that follow, the statement is a
:class:`TemplateRun` — the same statement the line-by-line split would give (same lines,
shapes and slot texts, hence the same plan and values), made without lexing its lines.

Why a match is the same statement: a line's shape decides everything the split looks at
(whether the line is plain, has tokens, ends the statement), and a regex line accepts only
texts the lexer reads to that shape with those slot texts:

* a line whose tokens are all of the *simple* kinds (:func:`.ps_lexer._simple_line`:
  ``-Param``, ``@name``, a one-line ``'…'`` string, a bare word of name/number/address
  characters, spaces between them) becomes those tokens with one or more spaces between,
  each slot a group of its token class, each other token its own text — a text that matches
  is a simple line with exactly these tokens;
* any other line (variables, commas, members…) must be its own text again.

Nothing is learnt from a statement whose first line is new (a template keyed by it would
hardly be met again), a statement with lines after its first is learnt when its first line
and shapes are met the second time, and a text teaches at most :data:`LEARN_PER_TEXT`
templates, so a script of all-different statements compiles no regex; when fewer than half
of :data:`TRIAL` statements in a row matched a template, the rest of the text is split line
by line.  A text with a construct spanning lines, or with a line the lexer rejects, is read
exactly as before (:func:`.ps_lexer.script_units`).  ``enabled`` switches templates off so
a test can compare both ways (``tests/ux/test_ux_speed_ps.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from operator import itemgetter
from typing import NamedTuple

from ccsec.errors import ParseError
from ccsec.formats.windows import ps_lexer
from ccsec.formats.windows.ps_lexer import (
    Line,
    LineRun,
    Splitter,
    Tok,
    spans_lines,
    statements,
)
from ccsec.formats.windows.text import SINGLE_QUOTES

#: read statements through templates; a test turns this off to compare both ways
enabled = True

#: a slot as a regex group: a one-line '…' string (its text inside the quotes), a bare word
_STR_SLOT = "'([^\r\n" + SINGLE_QUOTES + "]*)'"
_WORD_SLOT = "([A-Za-z0-9][A-Za-z0-9._:/-]*)"
#: the texts a simple line's fixed tokens have (:data:`.ps_lexer._SIMPLE_TOK`)
_PARAM_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_FIXED_WORD = re.compile(r"@[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9][A-Za-z0-9._:/-]*")
_STR_TEXT = re.compile("[^\r\n" + SINGLE_QUOTES + "]*")
#: the most templates a first line gets (a variant is learnt when no template matched: of
#: other shapes, or with other text on a line matched by its text — ``-PfsGroup DH14`` after
#: ``None``); more would cost failed matches on every statement and a regex each to learn
PER_LINE = 8
#: statements per trial: when less than half of them matched a template, the rest of the
#: text is read line by line (:func:`_by_lines`: its statements do not recur, and a line is
#: cheaper split with the others than walked to)
TRIAL = 64
#: the most templates one text teaches (a regex each): a script of statements that recur
#: only a few times each costs no more than a few regexes
LEARN_PER_TEXT = 32
#: bounds, per process: first lines with templates; statements met once (first line, shapes)
TEMPLATES_MAX = 20_000
_MET_MAX = 50_000


class Template(NamedTuple):
    """A statement's shapes, learnt from one statement of whole plain lines.

    ``lines``: the cached lines of the statement it was learnt from (their shapes are every
    matching statement's); ``key``: their shape numbers; ``rest``: the regex of the lines
    after the first (each with its line end), ``None`` for a one-line statement; ``size``:
    its number of lines; ``consts``: the slot texts of the lines matched by their own text;
    ``order``: how a match's slot texts are its regex's groups and ``consts`` — the groups
    (:data:`_GROUPS`), the groups then ``consts`` (:data:`_GROUPS_CONSTS`), or ``values``
    picks them from the groups followed by ``consts`` (:data:`_PICKED`)."""

    lines: tuple[Line, ...]
    key: tuple[int, ...]
    rest: re.Pattern[str] | None
    size: int
    consts: tuple[str, ...]
    order: int
    values: Callable[[tuple[str, ...]], tuple[str, ...]]


class TemplateRun(NamedTuple):
    """A statement read through a :class:`Template`: what :class:`.ps_lexer.LineRun` gives
    for it (its first line, shape numbers, slot texts, tokens), from the match."""

    line: int
    template: Template
    values: tuple[str, ...]
    key: tuple[int, ...]  # the template's
    text: str
    start: int
    end: int
    source: str

    @property
    def lines(self) -> tuple[Line, ...]:
        """Lines of the same shapes (the template's)."""
        return self.template.lines

    def tokens(self) -> list[Tok]:
        """The statement's tokens, from its own lines (lexed through the line cache)."""
        pieces = self.text[self.start:self.end - 1].split("\n")
        return LineRun(self.line, [ps_lexer.cached_line(p, self.source) for p in pieces]
                       ).tokens()


#: the orders of :attr:`Template.order`
_GROUPS, _GROUPS_CONSTS, _PICKED = range(3)
#: first line's text → the templates of statements starting with it, newest first
_TEMPLATES: dict[str, list[Template]] = {}
#: (first line, shape numbers) of statements met once
_MET: set[tuple[str, tuple[int, ...]]] = set()

Unit = list[Tok] | LineRun | TemplateRun
_new = tuple.__new__


def script_units(text: str, source: str = "<text>") -> Iterator[Unit]:
    """:func:`.ps_lexer.script_units` — the same statements, errors and order — with the
    statements that match a template as :class:`TemplateRun`."""
    units, error = units_of(text, source)
    yield from units
    if error is not None:
        raise error


def units_of(text: str, source: str = "<text>") -> tuple[Iterable[Unit], ParseError | None]:
    """:func:`script_units` as the statements and the error after them (``None``: none, or
    the statements raise it themselves) — a reader runs them without a generator between."""
    if not enabled or spans_lines(text):
        return ps_lexer.script_units(text, source), None
    walked = _walk(text, source)
    if walked is None:  # a line the lexer rejects alone: the whole text names the error
        return _whole(text, source), None
    return walked



def _whole(text: str, source: str) -> Iterator[list[Tok]]:
    """The statements of the whole text through the lexer at once (lexed when first asked)."""
    yield from statements(ps_lexer._Lexer(text, source).run(), source)


def _walk(text: str, source: str) -> tuple[list[Unit], ParseError | None] | None:
    """The statements of ``text`` in order and the bracket error after them (nothing comes
    after one); ``None`` when some line does not lex alone.  Every line is lexed (or
    matched) before the first statement runs, as :func:`.ps_lexer._cached_lines` does."""
    out: list[Unit] = []
    error: ParseError | None = None
    units: list[list[Tok] | LineRun] = []
    split = Splitter(source)
    failed = False  # a bracket error was met: the rest is only lexed
    run_pos, run_hit = 0, False  # where the open statement of whole lines starts
    lines, learn, templates, blank = ps_lexer._LINES, _learn, _TEMPLATES, ps_lexer.SPACE_CHARS
    pos, n = 0, 1
    learnt = 0  # templates learnt from this text
    matched = missed = 0  # statements of this trial that matched a template, and did not
    while (end := text.find("\n", pos)) >= 0:
        piece = text[pos:end]
        if not failed and not split.start and not split.current and not split.stack:
            for t in templates.get(piece, ()):
                if t.rest is None:
                    stop, values = end + 1, t.consts
                else:
                    m = t.rest.match(text, end + 1)
                    if m is None:
                        continue
                    stop = m.end()
                    if t.order == _GROUPS:
                        values = m.groups()
                    elif t.order == _GROUPS_CONSTS:
                        values = m.groups() + t.consts
                    else:
                        values = t.values(m.groups() + t.consts)
                out.append(_new(TemplateRun, (n, t, values, t.key, text, pos, stop, source)))
                matched += 1
                n += t.size
                pos = stop
                break
            else:
                stop = -1
            if stop >= 0:
                continue
            bare = piece.lstrip(blank)
            if not bare or (bare[0] == "#" and "\r" not in piece):
                pos = end + 1  # an empty or comment line between statements: no token but
                n += 1  # its line end (ps_lexer._lex_line), which the splitter skips here
                continue
            missed += 1
            if missed + matched == TRIAL:
                if matched * 2 < TRIAL:  # the statements do not recur: the rest line by line
                    return _by_lines(text, pos, n, split, out)
                matched = missed = 0
        rec = lines.get(piece)
        hit = rec is not None
        if rec is None:
            try:
                rec = ps_lexer._lex_line(piece, False, source)
            except ParseError:
                return None
            ps_lexer.remember(piece, rec)
        if not failed:
            opened = split.start
            if rec.plain and not rec.has and not opened and not split.current \
                    and not split.stack:
                pos = end + 1  # an empty or comment line between statements (as feed skips)
                n += 1
                continue
            try:
                split.feed(n, rec, units)
            except ParseError as exc:
                error = exc
                failed = True
            if units:
                last = units[-1]
                if type(last) is LineRun and learnt < LEARN_PER_TEXT:
                    if opened:
                        learnt += learn(text, run_pos, end + 1, last, run_hit)
                    else:
                        learnt += learn(text, pos, end + 1, last, hit)
                out.extend(units)
                units.clear()
            elif not opened and split.start:
                run_pos, run_hit = pos, hit
        pos = end + 1
        n += 1
    try:
        rec = ps_lexer._lex_line(text[pos:], True, source)
    except ParseError:
        return None
    if not failed:
        error = _split_rest(split, [(n, rec)], units)
        out.extend(units)
    return out, error


def _by_lines(text: str, pos: int, n: int, split: Splitter, out: list[Unit]
              ) -> tuple[list[Unit], ParseError | None] | None:
    """The walk's result with the text from ``pos`` (line ``n``, where a statement may
    start) split line by line as :func:`.ps_lexer.script_units` does; ``None`` when a line
    does not lex alone."""
    lines = ps_lexer._cached_lines(text[pos:], split.source)
    if lines is None:
        return None
    units: list[list[Tok] | LineRun] = []
    error = _split_rest(split, enumerate(lines, n), units)
    out.extend(units)
    return out, error


def _split_rest(split: Splitter, lines: Iterable[tuple[int, Line]],
                units: list[list[Tok] | LineRun]) -> ParseError | None:
    """The last lines of a text through ``split`` into ``units``, then its end; the error
    that stopped it (the units before it are kept)."""
    try:
        for k, rec in lines:
            split.feed(k, rec, units)
        split.finish(units)
    except ParseError as exc:
        return exc
    return None


def _learn(text: str, start: int, stop: int, run: LineRun, hit: bool) -> bool:
    """Learn a template from the statement ``run`` (``text[start:stop]``, ending in a line
    end) when its first line was met before (``hit``) and, for several lines, its shapes too;
    whether it did."""
    if not hit:
        return False
    count = len(run.lines)
    first = text[start:text.find("\n", start)]
    key = run.key
    if count > 1:
        met = (first, key)
        if met not in _MET:
            if len(_MET) >= _MET_MAX:
                _MET.clear()
            _MET.add(met)
            return False
    known = _TEMPLATES.get(first)
    if known is not None and len(known) >= PER_LINE:
        return False  # enough variants of statements starting so (each costs a failed match)
    template = _template(text[start:stop - 1].split("\n"), tuple(run.lines), key)
    if known is None:
        if len(_TEMPLATES) >= TEMPLATES_MAX:
            _TEMPLATES.clear()
        known = _TEMPLATES[first] = []
    known.insert(0, template)
    return True


def _template(pieces: list[str], recs: tuple[Line, ...], key: tuple[int, ...]) -> Template:
    """The template of a statement of these lines (texts without their line ends)."""
    consts: list[str] = list(recs[0].literals)  # the first line is matched by its text
    where: list[tuple[bool, int]] = [(False, k) for k in range(len(consts))]
    parts: list[str] = []
    groups = 0
    for piece, rec in zip(pieces[1:], recs[1:], strict=True):
        pattern = _simple_pattern(rec) if rec.literals else None
        if pattern is None:
            parts.append(re.escape(piece) + "\n")
            where += [(False, len(consts) + k) for k in range(len(rec.literals))]
            consts += rec.literals
        else:
            parts.append(pattern)
            where += [(True, groups + k) for k in range(len(rec.literals))]
            groups += len(rec.literals)
    order = [k if grouped else groups + k for grouped, k in where]
    how = _PICKED
    if order == list(range(groups + len(consts))):
        how = _GROUPS_CONSTS if consts else _GROUPS
    rest = re.compile("".join(parts)) if parts else None
    return Template(recs, key, rest, len(recs), tuple(consts), how, _picker(order))


def _picker(order: list[int]) -> Callable[[tuple[str, ...]], tuple[str, ...]]:
    """A function that takes the items ``order`` names from a tuple, as a tuple."""
    if len(order) >= 2:
        return itemgetter(*order)
    if order:
        k = order[0]
        return lambda items: (items[k],)
    return lambda items: ()


def _simple_pattern(rec: Line) -> str | None:
    """The regex of the lines the lexer reads as simple lines of ``rec``'s shape, each slot
    a group; ``None`` when a token of the shape is not of the simple kinds."""
    toks = list(rec.shape)
    tail = " +`\n"  # a backtick continuation after a space
    if toks and toks[-1][0] == "nl":
        tail = " +\n" if toks.pop()[4] else "\n"  # spaces before the line end, or none
    if not toks:
        return None
    out: list[str] = []
    for kind, text, dynamic, colon, space in toks:
        if dynamic or colon or not space:
            return None
        if text is None:
            out.append(_STR_SLOT if kind == "str" else _WORD_SLOT)
        elif kind == "param" and _PARAM_NAME.fullmatch(text):
            out.append("-" + text)
        elif kind == "word" and _FIXED_WORD.fullmatch(text):
            out.append(re.escape(text))
        elif kind == "str" and _STR_TEXT.fullmatch(text):
            out.append("'" + re.escape(text) + "'")
        else:
            return None
    return " *" + " +".join(out) + tail
