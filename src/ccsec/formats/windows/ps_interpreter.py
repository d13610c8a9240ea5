"""Runs a NetSecurity PowerShell script against a model of the policy store (no side effects).

The subset: straight-line statements of the NetSecurity cmdlets (:mod:`.ps_cmdlets`),
variables assigned from them and used as ``$var`` or ``$var.Name``, inline ``(New-… )`` and
``@(…)``, ``param()`` defaults, casts, ``-Param:value``, unique parameter-name prefixes and
aliases, ``Open-NetGPO``/``-GPOSession``/``Save-NetGPO``, ``-Default`` sets and the built-in
default set names, ``Remove-NetIPsec…`` of objects the script made.  What ccsec does not
evaluate (control flow, property assignments, ``Set-…`` after creation, unknown commands)
becomes a :class:`Note` with its line; anything the cmdlet itself would reject — a dangling
set name, a duplicate object, a malformed value — is a :class:`ParseError` naming the line.

The result is a :class:`~ccsec.formats.windows.netsecurity.NetSecurityStore`, which
:class:`~ccsec.formats.windows.netsecurity.PolicyBuilder` turns into policy.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from ipaddress import IPv4Address, IPv4Network
from typing import Any, ClassVar, Literal, TypeAlias, cast

from pydantic import ValidationError

from ccsec.crypto import IkeProposal
from ccsec.errors import ParseError, Problem
from ccsec.formats.base import Note, Parsed
from ccsec.formats.dn import from_encoding_order
from ccsec.formats.windows.netsecurity import (
    KIND_NAMES,
    AuthProposal,
    MainModeRule,
    MmProposal,
    NetSecurityStore,
    ObjSet,
    P,
    QmProposal,
    StoreObject,
    WinRule,
)
from ccsec.formats.windows.ps_cmdlets import (
    CMDLETS,
    KEYWORDS,
    QUIET,
    READ_ONLY,
    REMOVE_KINDS,
    REMOVE_SPEC,
    CmdletSpec,
    resolve_param,
    safe_name,
)
from ccsec.formats.windows.ps_lexer import LineRun, Tok, group_end, split_at
from ccsec.formats.windows.ps_plan import (
    CONST,
    LIST,
    NO_PLAN,
    PLANS,
    PURE,
    SLOT,
    VAR,
    Plan,
    Source,
    plan_for,
)
from ccsec.formats.windows.ps_templates import TemplateRun
from ccsec.formats.windows.ps_values import (
    DH_IN,
    ENCR_WORDS,
    HASH_WORDS,
    MM_ENCR_IN,
    MM_HASH_IN,
    NUMBER,
    QUAD,
    SECURITY_IN,
    BadStatement,
    Dyn,
    GpoSession,
    Splat,
    Value,
    as_bool,
    as_enum,
    as_int,
    as_ipv4,
    as_port,
    as_protocol,
    as_strings,
    as_text,
    esp_proposal,
    flatten,
    literal_name,
    member_of,
    names_algorithm,
)
from ccsec.formats.windows.vocabulary import (
    DEFAULT_MM_MINUTES,
    DEFAULT_QM_KB,
    DEFAULT_QM_MINUTES,
    DEFAULT_SET_NAMES,
    PROTO_OUT,
    QM_KB,
    QM_MINUTES,
    SECURITY,
)
from ccsec.policy import Auth
from ccsec.secrets import literal

#: a cmdlet handler: named values, the line of each, positional values → the cmdlet's result
Handler: TypeAlias = Callable[[dict[str, Value], dict[str, int], list[Value]], Value]

#: address keywords Windows resolves at run time (ccsec needs explicit addresses)
_ADDRESS_KEYWORDS = ("localsubnet", "dns", "dhcp", "wins", "defaultgateway", "internet",
                     "intranet", "intranetremoteaccess", "playtodevice", "captiveportaladdresses",
                     "localhost")


#: value types a proposal's outcome is remembered for (hashable, compared by value)
_KEYABLE = frozenset({str, bool, Dyn})
#: (cmdlet, its values) → (result, notes as (severity, message), error message): a
#: deployment's scripts repeat a few proposals thousands of times.  Bounded; per process.
_OUTCOMES: dict[tuple[object, ...], tuple[Any, tuple[tuple[Any, str], ...], str | None]] = {}
_OUTCOMES_MAX = 50_000


_Outcome: TypeAlias = tuple[Any, tuple[tuple[Any, str], ...], str | None]
#: (plan serial, slot texts) of a :attr:`.Plan.pure` statement → the ``-PolicyStore`` it
#: names (or ``None``) and its outcome: such a statement is not bound again.  Bounded.
_BOUND: dict[tuple[int, tuple[str, ...]], tuple[str | None, _Outcome]] = {}


def _remember(key: tuple[object, ...], outcome: _Outcome) -> None:
    if len(_OUTCOMES) >= _OUTCOMES_MAX:
        _OUTCOMES.clear()
    _OUTCOMES[key] = outcome


def _bind(memo: tuple[int, tuple[str, ...]], store: str | None, outcome: _Outcome) -> None:
    if len(_BOUND) >= _OUTCOMES_MAX:
        _BOUND.clear()
    _BOUND[memo] = (store, outcome)


_new = tuple.__new__
#: -KeyExchange / -PerfectForwardSecrecyGroup words; -InboundSecurity / -OutboundSecurity words
_GROUP_WORDS = (*DH_IN, "none", "sameasmainmode")
_SECURITY_WORDS = tuple(SECURITY)


class Interpreter:
    """Runs the statements of a script against a model of the policy store (no side effects)."""

    #: :meth:`bind` takes ``-Name value`` (one plain value) without the general value reader;
    #: a test turns this off to compare both ways on the same scripts
    fast_bind: ClassVar[bool] = True
    #: a statement of whole plain lines follows the plan of its shape (:mod:`.ps_plan`), and a
    #: proposal cmdlet given the same values as before repeats that outcome
    #: (:data:`_OUTCOMES`); a test turns this off to compare both ways on the same scripts
    plans: ClassVar[bool] = True

    def __init__(self, source: str, parsed: Parsed) -> None:
        self.source = source
        self.parsed = parsed
        self.vars: dict[str, Value] = {}
        self.store = NetSecurityStore()
        self.line = 0
        self.handlers: dict[str, Handler] = {
            "mm_proposal": self._mm_proposal, "qm_proposal": self._qm_proposal,
            "auth_proposal": self._auth_proposal, "mm_set": self._mm_set,
            "qm_set": self._qm_set, "p1_set": self._p1_set, "p2_set": self._p2_set,
            "mm_rule": self._mm_rule, "ipsec_rule": self._ipsec_rule,
            "open_gpo": self._open_gpo, "save_gpo": self._save_gpo,
        }

    # ------------------------------------------------------------- plumbing

    def note(self, severity: Literal["info", "warning"], message: str,
             line: int | None = None) -> None:
        self.parsed.notes.append(Note(line or self.line, severity, message))

    def run(self, stmt: list[Tok] | LineRun | TemplateRun) -> None:
        try:
            if not isinstance(stmt, list):  # a statement of whole plain lines
                plan = NO_PLAN
                if self.plans:
                    key = stmt.key
                    plan = PLANS.get(key) or plan_for(key, stmt.lines)
                self.line = stmt.line
                if plan is not NO_PLAN:
                    self._run_plan(plan, stmt)
                    return
                stmt = stmt.tokens()
            self.line = stmt[0].line
            self._statement(stmt)
        except BadStatement as exc:
            line = exc.line if exc.line is not None else self.line
            raise ParseError(Problem(exc.message, self.source, line,
                                     fix="see the cmdlet reference (Microsoft Learn: "
                                     "NetSecurity module)")) from None

    def _run_plan(self, plan: Plan, stmt: LineRun | TemplateRun) -> None:
        """What :meth:`_statement` does with a statement of this plan's shape: bind as
        :meth:`bind` does (values, duplicates, splats, the store, in its order), then call the
        cmdlet and assign its result."""
        if plan.remove_kind:
            if self.store.objects[plan.remove_kind]:
                self._statement(stmt.tokens())  # objects to remove: the general way
            elif plan.target is not None:
                self.vars[plan.target] = None
            return
        spec = plan.spec
        assert spec is not None
        memo = None
        if plan.pure:
            memo = (plan.serial, stmt.values)
            known = _BOUND.get(memo)
            if known is not None:
                named_store, outcome = known
                if named_store is not None:
                    self._store(named_store)
                result = self._replay(outcome)
                if plan.target is not None:
                    self.vars[plan.target] = result
                return
        named: dict[str, Value] = {}
        lines: dict[str, int] = {}
        slots, base = stmt.values, stmt.line
        value: Value
        for kind, name, offset, a, b, sources in plan.rows:
            line = base + offset
            if kind == SLOT:
                value = slots[a]
            elif kind == CONST:
                value = a
            elif kind == VAR:
                value = self.lookup(a)
                for member in b:
                    value = member_of(value, member)
            elif kind == LIST:
                value = flatten([self._source(s, slots) for s in sources])
            else:
                self._splat(spec, plan.cmdlet, _new(Tok, ("word", a, line, False, False, True)),
                            named, lines)
                continue
            if name in named:
                raise BadStatement(f"{plan.cmdlet} -{name} is given twice", line)
            named[name] = value
            lines[name] = line
        store = named.get("PolicyStore")
        if isinstance(store, str):
            self._store(store)
        if spec.handler in PURE:
            result = self._pure(spec.handler, named, lines, memo,
                                store if isinstance(store, str) else None)
        else:
            result = self.handlers[spec.handler](named, lines, [])
        if plan.target is not None:
            self.vars[plan.target] = result

    def _source(self, source: Source, slots: tuple[str, ...]) -> Value:
        kind, a, b = source
        if kind == "slot":
            return slots[a]
        if kind == "const":
            return cast(Value, a)
        value = self.lookup(a)
        for member in b:
            value = member_of(value, member)
        return value

    def _pure(self, handler: str, named: dict[str, Value], lines: dict[str, int],
              memo: tuple[int, tuple[str, ...]] | None = None, store: str | None = None
              ) -> Value:
        """A proposal cmdlet's result, notes or error — which depend on its values alone —
        repeated from :data:`_OUTCOMES` when it met the same values before (with this
        statement's line); the outcome is also kept under ``memo`` (:data:`_BOUND`) with the
        statement's ``store``."""
        if not _KEYABLE.issuperset(map(type, named.values())):
            return self.handlers[handler](named, lines, [])
        key = (handler, *named.items())
        known = _OUTCOMES.get(key)
        if known is not None:
            if memo is not None:
                _bind(memo, store, known)
            return self._replay(known)
        before = len(self.parsed.notes)
        try:
            result = self.handlers[handler](named, lines, [])
        except BadStatement as exc:
            if exc.line is None:
                _remember(key, (None, (), exc.message))
                if memo is not None:
                    _bind(memo, store, (None, (), exc.message))
            raise
        made = self.parsed.notes[before:]
        if all(note.line == self.line for note in made):
            outcome = (result, tuple((n.severity, n.message) for n in made), None)
            _remember(key, outcome)
            if memo is not None:
                _bind(memo, store, outcome)
        return result

    def _replay(self, outcome: _Outcome) -> Value:
        """A remembered outcome on this statement's line: its error, or its notes and result."""
        result, notes, error = outcome
        if error is not None:
            raise BadStatement(error)
        for severity, message in notes:
            self.parsed.notes.append(Note(self.line, severity, message))
        return cast(Value, result.at(self.line))

    def _statement(self, stmt: list[Tok]) -> None:
        start = 0
        while stmt[start].kind == "op" and stmt[start].text == "[":
            start = group_end(stmt, start) + 1  # [void](…), [CmdletBinding()] param(…)
            if start >= len(stmt):
                return
        stmt = stmt[start:] if start else stmt
        first = stmt[0]
        low = first.text.lower() if first.kind == "word" else ""
        if low == "param" and len(stmt) > 1 and stmt[1].text == "(":
            self._param_block(stmt[2:group_end(stmt, 1)])
            return
        if first.kind == "var" and len(stmt) > 1 and stmt[1].kind == "op" and stmt[1].text == "=":
            self.vars[first.text.lower()] = self.expression(stmt[2:])
            return
        if first.kind == "var" and len(stmt) > 1 and stmt[1].kind == "member":
            self.note("warning", "an assignment to an object property is not evaluated "
                      "(ccsec reads what the New- cmdlets create)")
            return
        if low in KEYWORDS:
            self.note("warning", f"the '{low}' statement is not evaluated (ccsec reads "
                      "straight-line scripts)")
            return
        self.pipeline(_stages(stmt))

    def _param_block(self, tokens: list[Tok]) -> None:
        for part in split_at(tokens, ","):
            names = [k for k, t in enumerate(part) if t.kind == "var"]
            if not names:
                continue
            k = names[0]
            name = part[k].text.lower()
            if k + 2 < len(part) and part[k + 1].kind == "op" and part[k + 1].text == "=":
                self.vars[name], _ = self.unit(part, k + 2)
            else:
                self.vars[name] = Dyn(f"${part[k].text} is a script parameter")

    # ---------------------------------------------------------- expressions

    def expression(self, tokens: list[Tok]) -> Value:
        if not tokens:
            return None
        stages = _stages(tokens)
        head = tokens[0]
        if len(stages) > 1 or (head.kind == "word" and not NUMBER.match(head.text)) \
                or (head.kind == "op" and head.text in ("&", ".")):
            return self.pipeline(stages)
        value, i = self.unit(tokens, 0)
        if i < len(tokens):
            return Dyn("an expression ccsec does not evaluate")
        return value

    def unit(self, toks: list[Tok], i: int) -> tuple[Value, int]:
        """One argument: an element, or a comma-separated list of them."""
        values: list[Value] = []
        while True:
            value, i = self.element(toks, i)
            values.append(value)
            if i < len(toks) and toks[i].kind == "op" and toks[i].text == ",":
                i += 1
                if i >= len(toks):
                    raise BadStatement("a list ends in ','", toks[-1].line)
                continue
            break
        if len(values) == 1:
            return values[0], i
        return flatten(values), i

    def element(self, toks: list[Tok], i: int) -> tuple[Value, int]:
        # casts ([int]480, [string][int]'x'…) are skipped in a loop: a chain of thousands of
        # them is one value, not thousands of nested calls
        while toks[i].kind == "op" and toks[i].text == "[":
            end = group_end(toks, i)
            if end + 1 >= len(toks) or toks[end + 1].space:
                break
            i = end + 1
        t = toks[i]
        value: Value
        if t.kind in ("str", "word"):
            value = Dyn("text expanded at run time") if t.dynamic else t.text
            i += 1
        elif t.kind == "var":
            value = self.lookup(t.text)
            i += 1
        elif t.kind == "op" and t.text in ("(", "@(", "$("):
            end = group_end(toks, i)
            inner = toks[i + 1:end]
            if t.text == "$(":
                value = Dyn("a $( ) subexpression")
            elif t.text == "(":
                value = self.expression([x for x in inner if x.kind != "nl"])
            else:
                value = flatten([self.expression(s) for s in split_at(inner, ";")])
            i = end + 1
        elif t.kind == "op" and t.text == "@{":
            end = group_end(toks, i)
            value, i = self._hashtable(toks[i + 1:end]), end + 1
        elif t.kind == "op" and t.text == "{":
            value, i = Dyn("a script block"), group_end(toks, i) + 1
        elif t.kind == "op" and t.text == "[":
            value, i = Dyn("a type literal"), group_end(toks, i) + 1
        else:
            raise BadStatement(f"unexpected '{t.text}' where a value belongs", t.line)
        while i < len(toks) and toks[i].kind == "member" and not toks[i].space:
            value = member_of(value, toks[i].text)
            i += 1
        return value, i

    def _hashtable(self, inner: list[Tok]) -> Value:
        """``@{ Name = value; … }``: parameter names and values to splat (``@name``); any
        other hash table is only known at run time."""
        params: list[tuple[str, Value]] = []
        for entry in split_at(inner, ";"):
            if (len(entry) < 3 or entry[0].kind not in ("word", "str")
                    or entry[1].kind != "op" or entry[1].text != "="):
                return Dyn("a hash table ccsec does not evaluate")
            value, k = self.unit(entry, 2)
            if k < len(entry):
                return Dyn("a hash table ccsec does not evaluate")
            params.append((entry[0].text, value))
        return Splat(tuple(params))

    def _splat(self, spec: CmdletSpec, cmdlet: str, tok: Tok, named: dict[str, Value],
               lines: dict[str, int]) -> None:
        """``@name``: the parameters of a hash table, as if each were written out."""
        table = self.lookup(tok.text[1:])
        if not isinstance(table, Splat):
            self.note("info", f"the parameters splatted from {safe_name(tok.text)} are only "
                      "known at run time")
            return
        for key, value in table.params:
            name = spec.bound.get(key) or resolve_param(spec, cmdlet, Tok("param", key, tok.line))
            if name in named:
                raise BadStatement(f"{cmdlet} -{name} is given twice", tok.line)
            named[name] = value
            lines[name] = tok.line

    def lookup(self, name: str) -> Value:
        low = name.lower()
        if low in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[low]
        if low in self.vars:
            return self.vars[low]
        if ":" in low:
            return Dyn(f"${name} is read at run time")
        return Dyn(f"${name} is never assigned in this script")

    # -------------------------------------------------------------- commands

    def pipeline(self, stages: list[list[Tok]]) -> Value:
        if any(not s for s in stages):
            raise BadStatement("an empty pipeline element ('|' with nothing on one side)")
        result = self.command(stages[0])
        for stage in stages[1:]:
            head = stage[0]
            low = head.text.lower() if head.kind == "word" else ""
            if low in REMOVE_KINDS:
                if self.store.objects[REMOVE_KINDS[low]]:
                    self.note("warning", f"objects piped into {head.text} are not evaluated: "
                              "the parsed policy may still hold them")
                result = None
            elif low in QUIET:
                result = None if low == "out-null" else result
            else:
                self.note("warning", f"a pipeline into {safe_name(head.text)} is not evaluated")
                result = Dyn("a pipeline result")
        return result

    def command(self, tokens: list[Tok]) -> Value:
        head = tokens[0]
        if head.kind == "op" and head.text in ("&", "."):
            self.note("warning", "a command run through '&' or '.' is not evaluated")
            return Dyn("a dynamic command")
        if head.kind != "word":
            return self.expression(tokens)
        name = head.text.rsplit("\\", 1)[-1]
        low = name.lower()
        spec = CMDLETS.get(low)
        if spec is not None:
            named, lines, positional = self.bind(spec, name, tokens[1:])
            return self.handlers[spec.handler](named, lines, positional)
        if low in REMOVE_KINDS:
            self._remove(REMOVE_KINDS[low], name, tokens[1:])
            return None
        if low in QUIET:
            return None
        if READ_ONLY.match(low):
            return Dyn(f"{safe_name(name)} reads the store at run time")
        if low.startswith(("set-netipsec", "rename-netipsec", "copy-netipsec", "enable-netipsec",
                           "disable-netipsec")):
            self.note("warning", f"{safe_name(name)} changes objects after they were created; "
                      "ccsec reads what the New- cmdlets create and does not apply it")
        elif low.startswith(("set-netfirewall", "set-netipsecdosp")):
            self.note("info", f"{safe_name(name)} sets machine-wide options outside the policy "
                      "model")
        else:
            self.note("warning", f"{safe_name(name)} is not a NetSecurity cmdlet ccsec evaluates")
        return Dyn("an unknown command")

    def bind(self, spec: CmdletSpec, cmdlet: str,
             toks: list[Tok]) -> tuple[dict[str, Value], dict[str, int], list[Value]]:
        """Named values by canonical parameter name, the line of each, positional values."""
        named: dict[str, Value] = {}
        lines: dict[str, int] = {}
        positional: list[Value] = []
        i, n = 0, len(toks)
        while i < n:
            t = toks[i]
            if t.kind == "word" and t.text.startswith("@") and len(t.text) > 1:
                self._splat(spec, cmdlet, t, named, lines)
                i += 1
                continue
            if self.fast_bind and t.kind == "param" and i + 1 < n:
                # the common shape, ``-Name value`` with one plain value before the next
                # parameter or the end: what unit() would return, without the calls
                v = toks[i + 1]
                if (v.kind == "str" or v.kind == "word" or v.kind == "var") and not v.dynamic \
                        and (i + 2 == n or toks[i + 2].kind == "param"):
                    name = resolve_param(spec, cmdlet, t)
                    if name.lower() not in spec.switches or t.colon:
                        if name in named:
                            raise BadStatement(f"{cmdlet} -{name} is given twice", t.line)
                        named[name] = self.lookup(v.text) if v.kind == "var" else v.text
                        lines[name] = t.line
                        i += 2
                        continue
            if t.kind != "param":
                value, i = self.unit(toks, i)
                if len(positional) >= len(spec.positional):
                    raise BadStatement(f"{cmdlet} takes no further positional value: name "
                                       "the parameter", t.line)
                key = spec.positional[len(positional)]
                positional.append(value)
                named.setdefault(key, value)
                lines.setdefault(key, t.line)
                continue
            name = resolve_param(spec, cmdlet, t)
            if name.lower() in spec.switches and not t.colon:
                value, i = True, i + 1
            else:
                if i + 1 >= len(toks) or (toks[i + 1].kind == "param" and not t.colon):
                    raise BadStatement(f"{cmdlet} -{name} needs a value", t.line)
                value, i = self.unit(toks, i + 1)
            if name in named:
                raise BadStatement(f"{cmdlet} -{name} is given twice", t.line)
            named[name] = value
            lines[name] = t.line
        store = named.get("PolicyStore")
        if isinstance(store, str):
            self._store(store)
        return named, lines, positional

    def _store(self, store: str) -> None:
        if store not in self.store.policy_stores:
            self.store.policy_stores.append(store)

    def _remove(self, kind: str, cmdlet: str, toks: list[Tok]) -> None:
        """Remove-NetIPsec… of objects this script created earlier (a clean-up is a no-op)."""
        if not self.store.objects[kind]:
            return
        named, _, _ = self.bind(REMOVE_SPEC, cmdlet, toks)
        names = as_strings(named.get("Name", named.get("IPsecRuleName")), "Name", split=False)
        groups = as_strings(named.get("Group"), "Group", split=False)
        if not (names or groups or named.get("All")):
            self.note("warning", f"{cmdlet} without -Name/-Group/-All is not evaluated")
            return
        objects = self.store.objects[kind]
        for key, obj in list(objects.items()):
            if named.get("All") or key in {n.casefold() for n in names} or obj.group in groups:
                del objects[key]
                if isinstance(obj, WinRule):
                    self.store.rules.remove(obj)
                elif isinstance(obj, MainModeRule):
                    self.store.mm_rules.remove(obj)

    def add(self, kind: str, name: str, obj: StoreObject, line: int) -> None:
        key = name.casefold()
        if key in self.store.objects[kind]:
            raise BadStatement(f"{KIND_NAMES[kind]} '{name}' is created twice (Windows refuses "
                               "a duplicate name)", line)
        self.store.objects[kind][key] = obj

    def ref(self, kind: str, value: Value, line: int) -> ObjSet[Any] | None:
        """The set a rule names (``None``: Windows' default set)."""
        what = KIND_NAMES[kind]
        if value is None:
            return None
        if isinstance(value, ObjSet):
            if value.kind != kind:
                raise BadStatement(f"a {KIND_NAMES[value.kind]} is given where a {what} "
                                   "belongs", line)
            return value
        if isinstance(value, Dyn):
            raise BadStatement(f"cannot tell which {what} is meant: {value.why}", line)
        if not isinstance(value, str):
            raise BadStatement(f"a {what} is named by its -Name (a string)", line)
        key = value.strip().casefold()
        if DEFAULT_SET_NAMES.get(key) == kind:
            return self.store.defaults.get(kind)
        obj = self.store.objects[kind].get(key)
        if not isinstance(obj, ObjSet):  # sets are the only objects stored under set kinds
            raise BadStatement(f"{what} '{value[:80]}' is never created before this line "
                               "(dangling reference)", line)
        return obj

    # -------------------------------------------------------------- handlers

    def _mm_proposal(self, named: dict[str, Value], lines: dict[str, int],
                     _: list[Value]) -> MmProposal:
        enc = as_enum(named.get("Encryption", "AES256"), ENCR_WORDS, "Encryption")
        hsh = as_enum(named.get("Hash", "SHA384"), HASH_WORDS, "Hash")
        group = as_enum(named.get("KeyExchange", "None"), _GROUP_WORDS,
                        "KeyExchange")
        for param, default in (("Encryption", "AES256"), ("Hash", "SHA384")):
            if param not in named:
                self.note("info", f"main-mode proposal without -{param}: the documented "
                          f"default {default} is assumed")
        problem = None
        if enc not in MM_ENCR_IN:
            problem = f"-Encryption {enc} is not valid in main mode"
        elif hsh not in MM_HASH_IN:
            problem = f"-Hash {hsh} is not valid in main mode"
        elif group not in DH_IN:
            problem = "it has no Diffie-Hellman group (-KeyExchange)"
        if problem:
            self.note("warning", f"main-mode proposal skipped: {problem}")
            return MmProposal(self.line, None)
        return MmProposal(self.line, IkeProposal(encryption=MM_ENCR_IN[enc],
                                                 integrity=MM_HASH_IN[hsh], group=DH_IN[group]))

    def _qm_proposal(self, named: dict[str, Value], lines: dict[str, int],
                     _: list[Value]) -> QmProposal:
        minutes = as_int(named.get("MaxMinutes", DEFAULT_QM_MINUTES), "MaxMinutes", 1)
        kb = as_int(named.get("MaxKiloBytes", DEFAULT_QM_KB), "MaxKiloBytes", 1)
        if not QM_MINUTES[0] <= minutes <= QM_MINUTES[1] or not QM_KB[0] <= kb <= QM_KB[1]:
            self.note("warning", "quick-mode proposal lifetime is outside the documented "
                      f"range ({QM_MINUTES[0]}..{QM_MINUTES[1]} min, {QM_KB[0]}..{QM_KB[1]} KB)")
        encap = self._encapsulation(named)
        proposal, problem = esp_proposal(encap, named)
        if problem:
            self.note("warning", f"quick-mode proposal skipped: {problem}")
        return QmProposal(self.line, proposal, minutes, kb)

    def _encapsulation(self, named: dict[str, Value]) -> frozenset[str]:
        if "Encapsulation" in named:
            values = as_strings(named["Encapsulation"], "Encapsulation")
            bad = [v for v in values if v.lower() not in ("ah", "esp", "none")]
            if bad:
                raise BadStatement(f"-Encapsulation {bad[0][:40]!r}: expected AH, ESP or AH, "
                                   "ESP")
            return frozenset(v.lower() for v in values)
        esp = any(names_algorithm(named, p) for p in ("Encryption", "ESPHash"))
        ah = names_algorithm(named, "AHHash")
        encap = frozenset(({"ah"} if ah else set()) | ({"esp"} if esp or not ah else set()))
        self.note("info", "quick-mode proposal without -Encapsulation (documented default "
                  f"None): read as {' + '.join(sorted(encap)).upper()} from its algorithms [V]")
        return encap

    def _auth_proposal(self, named: dict[str, Value], lines: dict[str, int],
                       _: list[Value]) -> AuthProposal:
        if named.get("User") is True:
            self.note("warning", "a user authentication proposal (-User) belongs to phase 2; "
                      "ccsec models computer authentication only — skipped")
            return AuthProposal(self.line, None)
        if named.get("Kerberos") is True:
            if "Proxy" in named:
                self.note("info", "Kerberos proxy (-Proxy) is not part of the policy model")
            return AuthProposal(self.line, Auth(method="kerberos"))
        if named.get("Cert") is True or "Authority" in named:
            return AuthProposal(self.line, self._cert(named))
        if "PreSharedKey" in named:
            key = named["PreSharedKey"]
            if not isinstance(key, str) or not key:
                self.note("warning", "the pre-shared key is empty or computed at run time: "
                          "read as present but unreadable")
                return AuthProposal(self.line, Auth(method="psk", psk=None))
            return AuthProposal(self.line, Auth(method="psk", psk=literal(key)))
        for method in ("Ntlm", "Anonymous"):
            if named.get(method) is True:
                self.note("warning", f"{method} authentication has no place in the policy "
                          "model — skipped")
                return AuthProposal(self.line, None)
        raise BadStatement("New-NetIPsecAuthProposal names no method (-Kerberos, -Cert, "
                           "-PreSharedKey, -Ntlm, -Anonymous)")

    def _cert(self, named: dict[str, Value]) -> Auth:
        ca = named.get("Authority")
        if not isinstance(ca, str) or not ca.strip():
            raise BadStatement("certificate authentication needs -Authority (the CA's name)")
        kind = as_enum(named.get("AuthorityType", "Root"), ("root", "intermediate", "invalid"),
                       "AuthorityType")
        if kind != "root":
            self.note("warning", f"-AuthorityType {kind}: the policy model names a root CA; "
                      "read as the trusted CA")
        extra = sorted(k for k in ("Signing", "SubjectName", "SubjectNameType", "Thumbprint",
                                   "ExtendedKeyUsage", "ExcludeCAName", "AccountMapping",
                                   "FollowRenewal", "Health") if k in named)
        if extra:
            self.note("info", f"certificate criteria {', '.join('-' + e for e in extra)} are "
                      "not part of the policy model")
        try:
            return Auth(method="certificate", ca=from_encoding_order(ca))
        except ValidationError:
            raise BadStatement("the -Authority value holds a control character or a double "
                               "quote, which the policy model refuses in a CA name") from None

    def _set(self, kind: str, named: dict[str, Value], item_type: type[P],
             label: str) -> ObjSet[P]:
        name = named.get("Name")
        if name is None:
            name = f"<{kind} created on line {self.line}>"
        elif not isinstance(name, str):
            raise BadStatement(f"the {KIND_NAMES[kind]}'s -Name is computed at run time")
        display = named.get("DisplayName")
        group = named.get("Group")
        obj: ObjSet[P] = ObjSet(kind, name, display if isinstance(display, str) else name,
                                group if isinstance(group, str) else None, self.line)
        items: list[P] = []
        for item in flatten([named.get("Proposal")]) if "Proposal" in named else []:
            if isinstance(item, Dyn):
                raise BadStatement(f"-Proposal: {item.why}")
            if not isinstance(item, item_type):
                raise BadStatement(f"-Proposal of a {KIND_NAMES[kind]} takes {label} objects")
            items.append(item)
        if not items:
            raise BadStatement(f"a {KIND_NAMES[kind]} needs -Proposal")
        obj.items = items
        self.add(kind, name, obj, self.line)
        if named.get("Default") is True:
            self.store.defaults[kind] = obj
        return obj

    def _mm_set(self, named: dict[str, Value], lines: dict[str, int],
                _: list[Value]) -> ObjSet[MmProposal]:
        obj = self._set("mmcrypto", named, MmProposal, "New-NetIPsecMainModeCryptoProposal")
        if "MaxMinutes" in named:
            obj.minutes = as_int(named["MaxMinutes"], "MaxMinutes", 0)
            if obj.minutes == 0:
                obj.minutes = DEFAULT_MM_MINUTES
                self.note("info", "-MaxMinutes 0 leaves the main-mode lifetime unset: "
                          f"{DEFAULT_MM_MINUTES} minutes assumed [V]")
        else:
            self.note("info", "main-mode crypto set without -MaxMinutes: "
                      f"{DEFAULT_MM_MINUTES} minutes assumed (the page says 4800) [V]")
        return obj

    def _qm_set(self, named: dict[str, Value], lines: dict[str, int],
                _: list[Value]) -> ObjSet[QmProposal]:
        obj = self._set("qmcrypto", named, QmProposal, "New-NetIPsecQuickModeCryptoProposal")
        pfs = as_enum(named.get("PerfectForwardSecrecyGroup", "None"), _GROUP_WORDS,
                      "PerfectForwardSecrecyGroup")
        same: Literal["mm"] | None = "mm" if pfs == "sameasmainmode" else None
        obj.pfs = DH_IN.get(pfs, same)
        return obj

    def _p1_set(self, named: dict[str, Value], lines: dict[str, int],
                _: list[Value]) -> ObjSet[AuthProposal]:
        return self._set("p1auth", named, AuthProposal, "New-NetIPsecAuthProposal")

    def _p2_set(self, named: dict[str, Value], lines: dict[str, int],
                _: list[Value]) -> ObjSet[AuthProposal]:
        return self._set("p2auth", named, AuthProposal, "New-NetIPsecAuthProposal")

    def _mm_rule(self, named: dict[str, Value], lines: dict[str, int],
                 _: list[Value]) -> MainModeRule:
        name = literal_name(named, "Name", f"<main-mode rule on line {self.line}>")
        rule = MainModeRule(
            name=name,
            display=as_text(named.get("DisplayName")) or name,
            group=as_text(named.get("Group")),
            line=self.line,
            local=self._nets(named.get("LocalAddress", "Any"), "LocalAddress"),
            remote=self._nets(named.get("RemoteAddress", "Any"), "RemoteAddress"),
            mm=self.ref("mmcrypto", named.get("MainModeCryptoSet"),
                        lines.get("MainModeCryptoSet", self.line)),
            auth=self.ref("p1auth", named.get("Phase1AuthSet"),
                          lines.get("Phase1AuthSet", self.line)),
        )
        self.add("mmrule", name, rule, self.line)
        self.store.mm_rules.append(rule)
        return rule

    def _ipsec_rule(self, named: dict[str, Value], lines: dict[str, int],
                    _: list[Value]) -> WinRule:
        display = as_text(named.get("DisplayName"))
        name = literal_name(named, "IPsecRuleName", display or f"rule-line-{self.line}")
        w = WinRule(name=name, group=as_text(named.get("Group")), line=self.line)
        description = named.get("Description", "")
        if isinstance(description, str):
            w.description = description
        else:
            self.note("warning", f"rule {name}: the description is computed at run time "
                      "(read as empty)")
        w.enabled = as_bool(named.get("Enabled", True), "Enabled")
        w.mode = as_enum(named.get("Mode", "Transport"), ("transport", "tunnel", "none"), "Mode")
        w.inbound = SECURITY_IN[as_enum(named.get("InboundSecurity", "None"), _SECURITY_WORDS,
                                        "InboundSecurity")]
        w.outbound = SECURITY_IN[as_enum(named.get("OutboundSecurity", "None"), _SECURITY_WORDS,
                                         "OutboundSecurity")]
        w.key_modules = tuple(
            as_enum(v, ("default", "ikev1", "ikev2", "authip"), "KeyModule")
            for v in as_strings(named.get("KeyModule", "Default"), "KeyModule"))
        w.interfaces = frozenset(
            as_enum(v, ("any", "wired", "wireless", "remoteaccess"), "InterfaceType")
            for v in as_strings(named.get("InterfaceType", "Any"), "InterfaceType"))
        self._rule_filters(w, named)
        w.filter_line = lines.get("LocalAddress", lines.get("RemoteAddress", self.line))
        if w.mode == "tunnel":
            w.tunnel_local = self._endpoint(named.get("LocalTunnelEndpoint"),
                                            "LocalTunnelEndpoint", allow_any=True)
            w.tunnel_remote = self._endpoint(named.get("RemoteTunnelEndpoint"),
                                             "RemoteTunnelEndpoint", allow_any=False)
        w.qm = self.ref("qmcrypto", named.get("QuickModeCryptoSet"),
                        lines.get("QuickModeCryptoSet", self.line))
        w.p1 = self.ref("p1auth", named.get("Phase1AuthSet"),
                        lines.get("Phase1AuthSet", self.line))
        if self.ref("p2auth", named.get("Phase2AuthSet"),
                    lines.get("Phase2AuthSet", self.line)) is not None:
            self.note("warning", f"rule {name}: second (user/health) authentication "
                      "(-Phase2AuthSet) is not part of the policy model")
        ignored = sorted(k for k in ("Profile", "Platform", "InterfaceAlias", "User", "Machine",
                                     "RemoteTunnelHostname", "AllowWatchKey", "AllowSetKey",
                                     "ForwardPathLifetime", "EncryptedTunnelBypass",
                                     "RequireAuthorization") if k in named
                         and not (k == "Profile" and str(named[k]).lower() == "any"))
        if ignored:
            self.note("info", f"rule {name}: {', '.join('-' + k for k in ignored)} are not part "
                      "of the policy model")
        self.add("rule", name, w, self.line)
        self.store.rules.append(w)
        return w

    def _rule_filters(self, w: WinRule, named: dict[str, Value]) -> None:
        w.locals_ = self._nets(named.get("LocalAddress", "Any"), "LocalAddress")
        w.remotes = self._nets(named.get("RemoteAddress", "Any"), "RemoteAddress")
        w.protocol = as_protocol(named.get("Protocol", "Any"))
        for param in ("LocalPort", "RemotePort"):
            if param not in named:
                continue
            ports = [as_port(v, param) for v in as_strings(named[param], param)]
            if ports != [None] and w.protocol not in PROTO_OUT:
                raise BadStatement(f"-{param} needs -Protocol TCP or UDP (ICMP type/code and "
                                   "keyword ports are not part of the policy model)")
            setattr(w, "lports" if param == "LocalPort" else "rports",
                    list(dict.fromkeys(ports)))

    def _nets(self, value: Value, param: str) -> list[IPv4Network]:
        if isinstance(value, str):
            nets, ipv6 = _text_nets(value, param)
        else:
            nets, ipv6 = _nets_of(as_strings(value, param), param)
        for _ in range(ipv6):
            self.note("warning", f"-{param}: IPv6 address skipped (the policy model is IPv4)")
        if not nets:
            raise BadStatement(f"-{param} names no IPv4 address")
        return list(nets)

    def _endpoint(self, value: Value, param: str, allow_any: bool) -> IPv4Address:
        if value is None:
            if allow_any:
                return IPv4Address("0.0.0.0")
            raise BadStatement(f"a tunnel rule needs -{param}")
        items = as_strings(value, param)
        if len(items) > 1:
            self.note("warning", f"-{param} lists several endpoints: the first is read")
        if allow_any and items[0].lower() == "any":
            return IPv4Address("0.0.0.0")
        nets = as_ipv4(items[0], param)
        if nets[0].prefixlen != 32:
            raise BadStatement(f"-{param} must be one address")
        return nets[0].network_address

    def _open_gpo(self, named: dict[str, Value], lines: dict[str, int],
                  _: list[Value]) -> GpoSession | Dyn:
        store = named.get("PolicyStore")
        if isinstance(store, str):
            self._store(store)
            return GpoSession(store)
        return Dyn("a GPO session opened at run time")

    def _save_gpo(self, named: dict[str, Value], lines: dict[str, int], _: list[Value]) -> None:
        return None


def _nets_of(items: list[str], param: str) -> tuple[tuple[IPv4Network, ...], int]:
    """The IPv4 networks of an address parameter's items, without repeats, and how many
    IPv6 items it skipped."""
    out: list[IPv4Network] = []
    ipv6 = 0
    for item in items:
        low = item.lower()
        if low == "any":
            out.append(IPv4Network("0.0.0.0/0"))
        elif low in _ADDRESS_KEYWORDS:
            raise BadStatement(f"-{param} {item}: address keywords are resolved by Windows "
                               "at run time; ccsec needs explicit addresses")
        elif ":" in item:
            ipv6 += 1
        else:
            out += as_ipv4(item, param)
    return tuple(dict.fromkeys(out)), ipv6


@lru_cache(maxsize=65536)  # a deployment's scripts name the same addresses again and again
def _text_nets(value: str, param: str) -> tuple[tuple[IPv4Network, ...], int]:
    if QUAD.fullmatch(value):  # one address: what _nets_of gives for it, without the steps
        return (as_ipv4(value, param)[0],), 0
    return _nets_of(as_strings(value, param), param)


def _stages(tokens: list[Tok]) -> list[list[Tok]]:
    """``split_at(tokens, "|")`` — most statements hold no pipe and no line end, and are then
    one stage as they are."""
    for t in tokens:
        if t.kind == "nl" or (t.kind == "op" and t.text == "|"):
            return split_at(tokens, "|")
    return [tokens]
