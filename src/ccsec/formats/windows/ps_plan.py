"""Statement plans: how a statement of a given shape binds its cmdlet's parameters, worked
out once per shape instead of once per statement.

A rendered deployment repeats a few statement shapes thousands of times — the same cmdlet,
the same parameters, only the names and addresses differ.  A line's *shape*
(:class:`~ccsec.formats.windows.ps_lexer.Line`) is its tokens with each *slot* — a quoted
string or bare word right after a ``-Param`` — left open; statements of lines of the same
shapes differ only in the slots' texts, and the binder (:meth:`.Interpreter.bind`) never
looks at those texts: it hands them to the cmdlet.  :func:`compile_plan` runs the binder's
rules over a shape once and keeps what they decide — which parameter each value goes to,
where the value comes from (a slot, a constant, a variable and its members, a list of those,
a splatted table), the line of each — as a :class:`Plan`; the interpreter then binds a
statement of that shape by following the plan (``Interpreter._run_plan``).

Only the shapes the binder reads without a doubt are planned: ``[$var =] Cmdlet`` with named
parameters, switches and splats, for the cmdlets of :data:`.ps_cmdlets.CMDLETS` and the
removals.  Anything else — a positional value, a bracket, a pipe, a parameter the cmdlet
does not take, a missing value — gets no plan (:data:`NO_PLAN`) and goes through the
interpreter token by token, which also names the error.  Everything that depends on the
script's state (variables, duplicates, a splatted table, the store) is still decided when
the statement runs, in the binder's order.  ``Interpreter.plans`` switches plans off so a
test can compare both ways.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ccsec.formats.windows.ps_cmdlets import (
    CMDLETS,
    KEYWORDS,
    REMOVE_KINDS,
    CmdletSpec,
    resolve_param,
)
from ccsec.formats.windows.ps_lexer import Line, Tok
from ccsec.formats.windows.ps_values import NUMBER, BadStatement, Dyn

#: where one value comes from: ``("slot", k, None)`` (the text of the statement's slot k,
#: counted over its lines in order),
#: ``("const", value, None)`` (text written in the shape itself, a switch's ``True`` or the
#: Dyn of text expanded at run time), ``("var", name, members)`` (a variable and the
#: ``.Member`` reads after it)
Source = tuple[str, Any, Any]


#: the kinds of :class:`Step`
SLOT, CONST, VAR, LIST, SPLAT = range(5)


@dataclass(frozen=True, slots=True)
class Step:
    """One parameter as the binder takes it.

    ``kind`` :data:`SLOT`: ``-Name`` takes the statement's slot ``a`` (counted over its
    lines in order: :attr:`.LineRun.values`);
    :data:`CONST`: the value ``a``; :data:`VAR`: variable ``a`` with the members ``b`` read
    after it; :data:`LIST`: a comma list of ``sources``, flattened; :data:`SPLAT`: ``@a``.
    ``line``: the parameter's line, relative to the statement's first."""

    kind: int
    name: str
    line: int
    a: Any = None
    b: Any = None
    sources: tuple[Source, ...] = ()


def _step(name: str, line: int, sources: list[Source]) -> Step:
    if len(sources) > 1:
        return Step(LIST, name, line, sources=tuple(sources))
    kind, a, b = sources[0]
    return Step({"slot": SLOT, "const": CONST, "var": VAR}[kind], name, line, a, b)


@dataclass(frozen=True)
class Plan:
    """How a statement of one shape runs: the variable it assigns (lower case) and the
    cmdlet it calls (``spec``) with the parameters of ``steps``, or — ``remove_kind`` — the
    ``Remove-NetIPsec…`` of that kind of object."""

    target: str | None
    cmdlet: str
    spec: CmdletSpec | None
    steps: tuple[Step, ...]
    remove_kind: str = ""
    #: the steps as tuples (kind, name, line, a, b, sources), for the loop that runs them
    rows: tuple[tuple[int, str, int, Any, Any, tuple[Source, ...]], ...] = field(init=False)
    #: a proposal cmdlet whose every value is a slot or a constant: its outcome depends on
    #: the statement's slot texts alone (``Interpreter._run_plan`` keeps it by them)
    pure: bool = field(init=False)
    #: a number no other plan of this process has (plans are dropped when too many)
    serial: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rows", tuple((s.kind, s.name, s.line, s.a, s.b, s.sources)
                                               for s in self.steps))
        object.__setattr__(self, "pure", self.spec is not None and self.spec.handler in PURE
                           and all(s.kind in (SLOT, CONST) for s in self.steps))
        object.__setattr__(self, "serial", next(_SERIALS))


#: the proposal cmdlets: their result, notes and errors depend on their values alone
PURE = frozenset({"mm_proposal", "qm_proposal", "auth_proposal"})
_SERIALS = itertools.count()


#: a shape that gets no plan: the interpreter reads its statements token by token
NO_PLAN = Plan(None, "", None, ())
#: plans by the shape numbers of a statement's lines; bounded, per process
PLANS: dict[tuple[int, ...], Plan] = {}
PLANS_MAX = 50_000


def plan_for(key: tuple[int, ...], lines: Sequence[Line]) -> Plan:
    """The plan of a statement of these lines, whose shape numbers are ``key`` (made the
    first time its shape is met)."""
    plan = PLANS.get(key)
    if plan is None:
        if len(PLANS) >= PLANS_MAX:
            PLANS.clear()
        plan = PLANS[key] = compile_plan(lines)
    return plan


#: a token of a shape, and the number of its text among the statement's slots when it is one
_Shaped = tuple[Tok, int | None]


def _shaped(lines: Sequence[Line]) -> list[_Shaped]:
    """The statement's tokens as its shape has them (line numbers relative to its first)."""
    out: list[_Shaped] = []
    slot = 0
    for li, rec in enumerate(lines):
        for kind, text, dyn, colon, space in rec.shape:
            if kind == "nl":
                continue  # only a line's last token; a statement of whole lines drops it
            if text is None:
                out.append((Tok(kind, "", li, dyn, colon, space), slot))
                slot += 1
            else:
                out.append((Tok(kind, text, li, dyn, colon, space), None))
    return out


def compile_plan(lines: Sequence[Line]) -> Plan:
    """The plan of a shape, following ``Interpreter._statement``, ``expression``,
    ``command`` and ``bind`` step by step; :data:`NO_PLAN` where they would do anything but
    bind named parameters of a known cmdlet (or remove objects)."""
    toks = _shaped(lines)
    target = None
    if len(toks) > 2 and toks[0][0].kind == "var" and toks[1][0].kind == "op" \
            and toks[1][0].text == "=":
        target = toks[0][0].text.lower()
        toks = toks[2:]
    head, head_slot = toks[0]
    if head.kind != "word" or head_slot is not None or head.dynamic \
            or NUMBER.match(head.text) or head.text.lower() in KEYWORDS \
            or head.text.lower() == "param":
        return NO_PLAN
    if any(t.kind == "op" and t.text in ("|", "[", "&", ".") for t, _ in toks):
        return NO_PLAN
    name = head.text.rsplit("\\", 1)[-1]
    low = name.lower()
    if low in REMOVE_KINDS:
        return Plan(target, name, None, (), remove_kind=REMOVE_KINDS[low])
    spec = CMDLETS.get(low)
    if spec is None:
        return NO_PLAN
    try:
        steps = _bind_steps(spec, name, toks[1:])
    except BadStatement:
        return NO_PLAN
    return NO_PLAN if steps is None else Plan(target, name, spec, tuple(steps))


def _bind_steps(spec: CmdletSpec, cmdlet: str, toks: list[_Shaped]) -> list[Step] | None:
    """``Interpreter.bind``'s decisions for these tokens, or ``None`` where it would bind a
    positional value or fail (a BadStatement from :func:`resolve_param` means the same)."""
    steps: list[Step] = []
    i, n = 0, len(toks)
    while i < n:
        t, slot = toks[i]
        if t.kind == "word" and slot is None and t.text.startswith("@") and len(t.text) > 1:
            steps.append(Step(SPLAT, "", t.line, t.text))
            i += 1
            continue
        if t.kind != "param":
            return None  # a positional value
        name = resolve_param(spec, cmdlet, t)
        if name.lower() in spec.switches and not t.colon:
            steps.append(Step(CONST, name, t.line, True))
            i += 1
            continue
        if i + 1 >= n or (toks[i + 1][0].kind == "param" and not t.colon):
            return None  # "needs a value"
        unit = _unit(toks, i + 1)
        if unit is None:
            return None
        sources, i = unit
        steps.append(_step(name, t.line, sources))
    return steps


def _unit(toks: list[_Shaped], i: int) -> tuple[list[Source], int] | None:
    """``Interpreter.unit``: one element or a comma list of them, where each element is a
    slot, text, or a variable with its members; ``None`` for anything else."""
    sources: list[Source] = []
    n = len(toks)
    while True:
        t, slot = toks[i]
        source: Source
        if t.kind in ("str", "word"):
            if slot is not None:
                source = ("slot", slot, None)
            else:
                source = ("const", Dyn("text expanded at run time") if t.dynamic else t.text,
                          None)
            i += 1
            if i < n and toks[i][0].kind == "member" and not toks[i][0].space:
                return None  # a member of text
        elif t.kind == "var":
            i += 1
            members: list[str] = []
            while i < n and toks[i][0].kind == "member" and not toks[i][0].space:
                members.append(toks[i][0].text)
                i += 1
            source = ("var", t.text, tuple(members))
        else:
            return None
        sources.append(source)
        if i < n and toks[i][0].kind == "op" and toks[i][0].text == ",":
            i += 1
            if i >= n:
                return None  # "a list ends in ','"
            continue
        return sources, i
