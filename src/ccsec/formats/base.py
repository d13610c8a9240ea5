"""What every format module provides: render, parse, and an honest account of what it loses.

A format is a renderer and a parser side by side.  ``parse(render(p))`` must equal
``project(p)``: the policy with exactly the fields the format cannot carry reset to what its
parser reports for them (documented per format).  ``unsupported(p)`` lists what the format
cannot express at all (Kerberos on IOS, a double quote in a netsh description…); rendering such
a policy raises :class:`UnsupportedError`, never a silent substitute.

Every rendered file starts with the same header: what generated it, for which end, and whether
it was proven on a real IPsec stack or checked by syntax only.  A machine-readable
``ccsec-meta`` line carries the policy name, owner and free-text description (JSON, ASCII only,
so nothing in a description can break out of the comment).
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar, Generic, Literal, TypeVar

from pydantic import ValidationError

from ccsec import __version__
from ccsec.errors import Problem, UnsupportedError, has_unsafe, shown
from ccsec.formats.facts import DeviceFacts, FormatFacts
from ccsec.policy import IDENT_RE, Auth, EndPolicy, Rule
from ccsec.secrets import Secret, SecretResolver

META_TAG = "ccsec-meta:"
T = TypeVar("T")
#: the facts of a file whose format tells nothing beyond its policy (shared: facts are frozen)
NO_FACTS = DeviceFacts()


@dataclass(frozen=True)
class Note:
    """Something a parser noticed but did not turn into policy (unknown line, placeholder…)."""

    line: int | None
    severity: Literal["info", "warning"]
    message: str

    def __post_init__(self) -> None:
        # notes quote lines of the file they are about: one line, no control characters
        if has_unsafe(self.message):
            object.__setattr__(self, "message", shown(self.message, None))


def plain_reason(exc: Exception) -> str:
    """One line for a value error, in words: pydantic's own text spans several lines and ends in
    a link to its documentation, which no user of ccsec needs; a model validator's message
    ("an AEAD cipher takes no separate integrity algorithm") is the reason itself."""
    if isinstance(exc, ValidationError):
        out = []
        what = {"Rule": "rule", "Filter": "filter", "Identity": "identity", "Ike": "IKE",
                "IkeProposal": "IKE proposal", "EspProposal": "ESP proposal",
                "Auth": "authentication"}.get(exc.title, exc.title)
        for e in exc.errors():
            msg = str(e.get("msg", "")).removeprefix("Value error, ")
            where = ".".join(str(x) for x in e.get("loc", ()))
            out.append(f"{what} {where}: {msg}" if where else f"{what}: {msg}")
        return "; ".join(out) or "invalid value"
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@dataclass
class Parsed:
    """A parser's result: the policies found, notes, and the line of each object it read."""

    policies: list[EndPolicy]
    notes: list[Note] = field(default_factory=list)
    #: "<rule name>" or "<rule name>/<aspect>" (ike, esp, auth, filters…) → line number
    locations: dict[str, int] = field(default_factory=dict)
    source: str = "<text>"
    format: str = ""
    #: what the device is beyond its policy, as the audit's checks read it (rules that are
    #: down, NAT that translates protected traffic, key sizes…)
    facts: DeviceFacts = NO_FACTS
    #: what only this format knows (e.g. IOS: interfaces, crypto maps, NAT rules)
    format_facts: FormatFacts | None = None


@dataclass(frozen=True)
class RenderContext:
    """Everything a renderer needs besides the policy itself."""

    deployment: str = ""
    profile: str = ""
    resolver: SecretResolver | None = None
    #: the oldest strongSwan release the swanctl.conf files must load on (None: the default of
    #: :data:`ccsec.crypto.STRONGSWAN_DEFAULT`); later releases' keys are not written
    strongswan_version: str | None = None

    def reveal(self, secret: Secret | None, where: str) -> str:
        """The key for a config that must contain it (resolving ``env:``/``file:`` now)."""
        if secret is None:
            raise UnsupportedError(Problem("a pre-shared key is present but unreadable",
                                           field=where, fix="re-enter the key"))
        if secret.value is None:
            if self.resolver is None:
                raise UnsupportedError(Problem(f"pre-shared key {secret.ref} is not resolved",
                                               field=where))
            secret = self.resolver.resolve(secret, where)
        return secret.reveal()

    def resolve(self, secret: Secret | None) -> Secret | None:
        if secret is None or secret.value is not None or self.resolver is None:
            return secret
        return self.resolver.resolve(secret)


# ---------------------------------------------------------------- support and loss tables

#: substitutions of one refusal: ``{rule}`` is always there; a row adds its own (``{value}``…)
Subst = dict[str, str]


@dataclass(frozen=True)
class Refusal:
    """A row of a format's support table: one thing the format cannot express, and its reason
    in that format's words.  ``find`` yields one substitution dict per occurrence (a boolean
    test yields one empty dict, see :func:`when`); ``reason`` is formatted with it."""

    id: str
    find: Callable[[Rule], Iterable[Subst]]
    reason: str

    def messages(self, rule: Rule) -> list[str]:
        return [self.reason.format(rule=f"rule {rule.name}", name=rule.name, **s)
                for s in self.find(rule)]

    def fires(self, rule: Rule) -> bool:
        """Whether :meth:`messages` would say anything about ``rule``, without formatting."""
        return bool(self.tester(rule))

    @cached_property
    def tester(self) -> Callable[[Rule], object]:
        """:meth:`fires` as one call, true when the row refuses: a yes/no row's own test
        (:func:`when`), else whether ``find`` yields — a render asks every row of every rule
        (28,000 rules at 1,000 sites), and the wrappers around a yes/no test cost more than
        the test."""
        return _tester(self.find)


@dataclass(frozen=True)
class EndRefusal:
    """Like :class:`Refusal`, for what spans a whole end (names clashing, one policy-wide
    main-mode set…)."""

    id: str
    find: Callable[[EndPolicy], Iterable[Subst]]
    reason: str

    def messages(self, end: EndPolicy) -> list[str]:
        return [self.reason.format(policy=f"policy {end.name}", **s) for s in self.find(end)]


def _fires(found: Iterable[Subst]) -> bool:
    """Whether a row's ``find`` yields an occurrence (generators stop at the first)."""
    return next(iter(found), None) is not None


@dataclass(frozen=True)
class _When:
    """A yes/no row's ``find``: one occurrence when ``test`` holds (:func:`when`,
    :func:`item_when`); the test stays readable, so that asking whether the row fires is
    one call."""

    test: Callable[..., object]

    def __call__(self, *args: Any) -> list[Subst]:
        return [{}] if self.test(*args) else []


def when(test: Callable[[Rule], bool]) -> Callable[[Rule], Iterable[Subst]]:
    """A yes/no refusal: one occurrence when ``test`` holds."""
    return _When(test)


@dataclass(frozen=True)
class ItemRefusal(Generic[T]):
    """A row checked on one item of a rule (an IKE or ESP proposal, a filter, an identity, an
    authentication method, a key).  ``find(rule, item)`` yields one substitution dict per
    occurrence; ``reason`` is formatted with it, the item's own substitutions (its group's
    ``label``), ``{rule}`` ("rule <name>") and ``{name}``."""

    id: str
    find: Callable[[Rule, T], Iterable[Subst]]
    reason: str

    def messages(self, rule: Rule, item: T, label: Subst | None = None) -> list[str]:
        return [self.reason.format(rule=f"rule {rule.name}", name=rule.name,
                                   **{**(label or {}), **s})
                for s in self.find(rule, item)]


def item_when(test: Callable[[Rule, T], bool]) -> Callable[[Rule, T], Iterable[Subst]]:
    """A yes/no item row: one occurrence when ``test(rule, item)`` holds."""
    return _When(test)


def _tester(find: Callable[..., Iterable[Subst]]) -> Callable[..., object]:
    """Whether a row's ``find`` (of a rule, or of a rule and an item) yields, as one call: a
    yes/no row's own test, else the first occurrence of ``find``."""
    if isinstance(find, _When):
        return find.test
    return lambda *args: _fires(find(*args))


@dataclass(frozen=True)
class ItemGroup(Refusal):
    """A rule row whose occurrences are its item rows' messages, item by item, so that the
    reasons about one proposal (filter, identity…) stay together in the order the platform's
    own grammar takes them.  With ``first`` only the first item row that fires counts for an
    item (its problems exclude each other).  ``rows`` and ``items`` stay readable: a test can
    ask which rows a table has and which of them fire."""

    rows: tuple[ItemRefusal[Any], ...] = field(kw_only=True)
    items: Callable[[Rule], Iterable[Any]] = field(kw_only=True)
    label: Callable[[Any], Subst] | None = field(default=None, kw_only=True)
    first: bool = field(default=False, kw_only=True)

    @cached_property
    def tester(self) -> Callable[[Rule], object]:
        """Whether any item row refuses any item: what :meth:`occurrences` would yield
        something for (with ``first`` too — it keeps the first row that fires), without
        formatting a message per item and row."""
        tests = [_tester(row.find) for row in self.rows]
        items = self.items

        def refuses(rule: Rule) -> bool:
            for item in items(rule):
                for test in tests:
                    if test(rule, item):
                        return True
            return False

        return refuses

    def occurrences(self, rule: Rule) -> Iterator[tuple[str, str]]:
        """(item row id, message) for every item of ``rule`` in turn."""
        for item in self.items(rule):
            label = self.label(item) if self.label else None
            for row in self.rows:
                found = row.messages(rule, item, label)
                yield from ((row.id, m) for m in found)
                if self.first and found:
                    break


def each(id: str, items: Callable[[Rule], Iterable[T]], rows: tuple[ItemRefusal[T], ...], *,
         reason: str = "{message}", label: Callable[[T], Subst] | None = None,
         first: bool = False) -> ItemGroup:
    """The rows checked on every item of ``items(rule)`` in turn, as one rule row; ``reason``
    wraps each item message (``{message}``, with ``{rule}``/``{name}``)."""

    def find(rule: Rule) -> Iterator[Subst]:
        return ({"message": m} for _, m in group.occurrences(rule))

    group = ItemGroup(id, find, reason, rows=rows, items=items, label=label, first=first)
    return group


@dataclass(frozen=True)
class RuleInEndRefusal:
    """A rule's row that needs the rule's whole end (a name an earlier rule already uses),
    reported just before the rule's own rows.  ``find(end)`` yields, for each rule of ``end``
    in order, that rule's occurrences — one pass over the end, however many rules it has."""

    id: str
    find: Callable[[EndPolicy], Sequence[Iterable[Subst]]]
    reason: str

    def messages(self, end: EndPolicy) -> list[list[str]]:
        """Per rule of ``end``, in order: its messages."""
        return [[self.reason.format(rule=f"rule {r.name}", name=r.name, **s) for s in found]
                for r, found in zip(end.rules, self.find(end), strict=True)]


@dataclass(frozen=True)
class Loss:
    """A row of a format's loss table: one field its parser cannot read back as the policy
    holds it, and what it reads instead.  ``field`` is ``end.<name>`` or ``rule.<name>``;
    ``value`` is the constant read back, or a function of :class:`Projecting` (the rule, its
    end, the render context and the format's own device view)."""

    field: str
    why: str
    value: object = None

    @property
    def scope(self) -> str:
        return self.field.split(".", 1)[0]

    @property
    def name(self) -> str:
        return self.field.split(".", 1)[1]

    def read_back(self, at: Projecting) -> object:
        return self.value(at) if callable(self.value) else self.value


@dataclass(frozen=True)
class Projecting:
    """What a loss function may look at."""

    end: EndPolicy
    rule: Rule | None
    ctx: RenderContext
    #: the format's view of the whole device (e.g. IOS proposals merged per router)
    device: object = None


def resolved_auth(at: Projecting) -> tuple[Auth, ...]:
    """Keys come back resolved: a file holds the key, never the ``env:``/``file:`` reference."""
    assert at.rule is not None
    return tuple(a.model_copy(update={"psk": at.ctx.resolve(a.psk)}) for a in at.rule.auth)


def _ipv6(rule: Rule) -> bool:
    nets = [n for f in rule.filters for n in (f.local, f.remote)]
    return any(a.version == 6 for a in (rule.local_address, rule.peer_address, *nets))


#: rows every format that writes IPv4 only carries
IPV6_REFUSAL = Refusal("ipv6", when(_ipv6),
                       "{rule}: IPv6 addresses are read from real configurations; this format "
                       "is written for IPv4 only")
PORT_RANGE_REFUSAL = Refusal("port-range", when(lambda r: any(f.has_range for f in r.filters)),
                             "{rule}: a port range has no form in this format (one port per "
                             "filter)")
#: what only a real configuration says (ccsec's planner never produces it), so no format writes
#: it: dynamic selectors, virtual IPs and pools, several authentication rounds, a peer host name
READ_ONLY_REFUSALS: tuple[Refusal, ...] = (
    Refusal("dynamic-selector", when(lambda r: any(f.dynamic for f in r.filters)),
            "{rule}: a dynamic traffic selector (the IKE address) is read, not written"),
    Refusal("virtual-ip", when(lambda r: bool(r.virtual_ips or r.pools)),
            "{rule}: virtual IPs and address pools are read, not written"),
    Refusal("auth-rounds", when(lambda r: bool(r.auth_rounds)),
            "{rule}: separate authentication rounds (EAP, XAUTH) are read, not written"),
    Refusal("peer-name", when(lambda r: r.peer_name is not None or bool(r.peer_alternatives)),
            "{rule}: a peer host name or several peer addresses are read, not written"),
    Refusal("pfs-alternatives", when(lambda r: bool(r.pfs_alternatives)),
            "{rule}: several PFS groups are read, not written"),
    Refusal("mediation", when(lambda r: r.ike_only or r.mediated),
            "{rule}: IKE-only and mediated connections are read, not written"),
)
#: the rows of a format that writes neither IPv6 nor port ranges
IPV4_ONLY_REFUSALS: tuple[Refusal, ...] = (IPV6_REFUSAL, PORT_RANGE_REFUSAL, *READ_ONLY_REFUSALS)

#: the gateway-only fields a host format never writes (so reads back empty)
HOST_LOSSES: tuple[Loss, ...] = (
    Loss("end.wan_interface", "a host format has no WAN interface"),
    Loss("end.lan_interface", "a host format has no LAN interface"),
    Loss("end.tunnel_style", "a host format has no crypto-map/VTI choice"),
    Loss("end.source_nat", "a host format has no NAT of its own", False),
)


class Reader(ABC):
    """A parser for one configuration format: what every format ccsec reads provides.

    Formats ccsec also writes are :class:`Format` (a renderer beside the parser); the import-only
    ones (ipsec.conf, the Windows collector JSON) are plain readers.  Which platforms each is for
    and how a file of it is recognised is data in :mod:`ccsec.formats.registry`."""

    name: ClassVar[str]
    title: ClassVar[str]

    @abstractmethod
    def parse(self, text: str, source: str = "<text>") -> Parsed:
        """Read a file of this format (ccsec's own output or a real-world one)."""


class Format(Reader):
    """A renderer/parser pair for one configuration format."""

    file_name: ClassVar[str]
    comment: ClassVar[str] = "#"
    #: how far the output was proven: "lab" (run on real strongSwan) or "syntax"
    proof: ClassVar[Literal["lab", "syntax"]] = "syntax"
    proof_note: ClassVar[str]
    #: rendered files may contain a key (written 0600)
    may_hold_secrets: ClassVar[bool] = True
    #: what the format cannot express, row by row (run by :meth:`unsupported`).  Class
    #: attributes as a rule; a format whose rows depend on how it was built sets them per
    #: instance in ``__init__`` (CUCM: the drop-down rows of the value table it checks against)
    END_REFUSALS: tuple[EndRefusal, ...] = ()
    #: per rule, before its own rows: rows that need the whole end (a repeated name)
    RULE_IN_END_REFUSALS: tuple[RuleInEndRefusal, ...] = ()
    REFUSALS: tuple[Refusal, ...] = ()
    #: after every rule: conflicts between rules (one main mode per address pair…)
    LATE_END_REFUSALS: tuple[EndRefusal, ...] = ()
    #: what the policy model can hold only because real configurations say it (IPv6, port
    #: ranges, dynamic selectors…): checked before the format's own rows; a format that writes
    #: some of it narrows this tuple
    MODEL_REFUSALS: tuple[Refusal, ...] = IPV4_ONLY_REFUSALS
    #: what its parser reads back differently (run by :meth:`project`; the round-trip test
    #: checks that ``project`` changes these fields and no others)
    LOSSES: tuple[Loss, ...] = ()

    def unsupported(self, end: EndPolicy) -> list[str]:
        """Why this format cannot express ``end`` (empty when it can): every row of the
        support tables — what the model holds only from real configurations (IPv6…) first,
        the end's rows; per rule its rule-in-end rows then its own rows (item groups item by
        item); then the rows about conflicts between rules.  When the model rows refuse,
        they are the answer: the format's own rows may assume what they rule out (IPv4)."""
        model = self.model_refusals(end)
        if model:
            return model
        out = [m for row in self.END_REFUSALS for m in row.messages(end)]
        before = [row.messages(end) for row in self.RULE_IN_END_REFUSALS]
        for i, rule in enumerate(end.rules):
            out += [m for per_rule in before for m in per_rule[i]]
            out += [m for row in self.REFUSALS for m in row.messages(rule)]
        return out + [m for row in self.LATE_END_REFUSALS for m in row.messages(end)]

    def expressible(self, end: EndPolicy) -> bool:
        """Whether :meth:`unsupported` would find nothing, stopping at the first refusal: a
        render asks it for every end of a best-effort format, and formatting every message
        of a thousand refused ends only to skip them costs seconds."""
        if type(self).unsupported is not Format.unsupported:  # its own reasons: ask them
            return not self.unsupported(end)
        model = [row.tester for row in self.MODEL_REFUSALS]
        if any(test(rule) for rule in end.rules for test in model):
            return False
        if any(_fires(row.find(end)) for row in self.END_REFUSALS):
            return False
        for in_end in self.RULE_IN_END_REFUSALS:
            if any(_fires(found) for found in in_end.find(end)):
                return False
        tests = [row.tester for row in self.REFUSALS]
        for rule in end.rules:
            for test in tests:
                if test(rule):
                    return False
        return not any(_fires(row.find(end)) for row in self.LATE_END_REFUSALS)

    def row_ids(self) -> list[str]:
        """Every row id of the support tables in report order; item rows as
        ``<group>/<row>`` (a test asks that every row has a case that fires it)."""
        out = [row.id for row in self.END_REFUSALS]
        out += [row.id for row in self.RULE_IN_END_REFUSALS]
        for row in self.REFUSALS:
            out += ([f"{row.id}/{sub.id}" for sub in row.rows] if isinstance(row, ItemGroup)
                    else [row.id])
        return out + [row.id for row in self.LATE_END_REFUSALS]

    def fired(self, end: EndPolicy) -> set[str]:
        """The ids of the rows (as :meth:`row_ids` names them) that refuse ``end``."""
        out = {row.id for row in (*self.END_REFUSALS, *self.LATE_END_REFUSALS)
               if row.messages(end)}
        out |= {row.id for row in self.RULE_IN_END_REFUSALS if any(row.messages(end))}
        for rule in end.rules:
            for row in self.REFUSALS:
                if isinstance(row, ItemGroup):
                    out |= {f"{row.id}/{sub}" for sub, _ in row.occurrences(rule)}
                elif row.messages(rule):
                    out.add(row.id)
        return out

    def model_refusals(self, end: EndPolicy) -> list[str]:
        """The rows of :attr:`MODEL_REFUSALS` (a format that overrides :meth:`unsupported`
        starts with these)."""
        return [m for rule in end.rules for row in self.MODEL_REFUSALS
                for m in row.messages(rule)]

    def device_view(self, end: EndPolicy, ctx: RenderContext) -> object:
        """What loss functions need to know about the whole end (default: nothing)."""
        return None

    def project(self, end: EndPolicy, ctx: RenderContext) -> EndPolicy:
        """``end`` as this format's parser will read it back: every row of :attr:`LOSSES`
        applied (rule rows to each rule, then end rows)."""
        device = self.device_view(end, ctx)
        rule_losses = [loss for loss in self.LOSSES if loss.scope == "rule"]
        rules = tuple(self._project_rule(Projecting(end, r, ctx, device), rule_losses)
                      for r in end.rules)
        at = Projecting(end, None, ctx, device)
        return end.model_copy(update={"rules": rules, **{
            loss.name: loss.read_back(at) for loss in self.LOSSES if loss.scope == "end"}})

    @staticmethod
    def _project_rule(at: Projecting, losses: list[Loss]) -> Rule:
        assert at.rule is not None
        return at.rule.model_copy(update={loss.name: loss.read_back(at) for loss in losses})

    @abstractmethod
    def render_body(self, end: EndPolicy, ctx: RenderContext) -> list[str]:
        """The configuration lines (the header is added by :meth:`render`)."""

    @abstractmethod
    def parse(self, text: str, source: str = "<text>") -> Parsed:
        """Read a file of this format (ccsec's own output or a real-world one)."""

    def render(self, end: EndPolicy, ctx: RenderContext, checked: bool = False) -> str:
        """The file for ``end``; ``checked``: the caller ran :meth:`unsupported` already and
        it found nothing (a render of thousands of ends checks each once, not twice)."""
        reasons = [] if checked else self.unsupported(end)
        if reasons:
            raise UnsupportedError(
                [Problem(r, field=f"{self.name} for {end.owner or end.name}") for r in reasons]
            )
        lines = self.header(end, ctx) + self.render_body(end, ctx)
        return "\n".join(lines) + "\n"

    def header(self, end: EndPolicy, ctx: RenderContext) -> list[str]:
        c = self.comment
        meta = {
            "name": end.name,
            "owner": end.owner,
            "platform": end.platform,
            "description": end.description,
        }
        proof = (
            "proven on strongSwan in the ccsec lab (ccsec lab run)"
            if self.proof == "lab"
            else "syntax only: " + self.proof_note
        )
        profile = ctx.profile if ctx.profile.isidentifier() else json_comment(ctx.profile)
        return [
            f"{c} generated by ccsec {__version__} - {self.title}",
            f"{c} end: {end.owner or '-'} ({end.platform or '-'}) policy {end.name}"
            + (f", profile {profile}" if ctx.profile else ""),
            f"{c} proof: {proof}",
            f"{c} {META_TAG} {json_comment_obj(meta)}",
        ]


#: the longest ``ccsec-meta`` line read (ccsec writes a few hundred characters)
MAX_META = 16_384
_META_BAD = re.compile(r'["\x00-\x1f\x7f-\x9f\u2028\u2029]')
#: what each key ccsec writes may hold: anything else in a meta line is dropped, so a hand-
#: edited or hostile header can never make an importer build an invalid policy
_META_KEYS: dict[str, Callable[[str], bool]] = {
    "name": lambda v: IDENT_RE.match(v) is not None,
    "owner": lambda v: 0 < len(v) <= 253 and not _META_BAD.search(v),
    "platform": lambda v: 0 < len(v) <= 40 and not _META_BAD.search(v),
    "description": lambda v: len(v) <= 4096,
}
def _bounded_number(text: str) -> float:
    if len(text) > 100:
        raise ValueError("number too long")
    return float(text)


def read_meta(lines: list[str], comment: str) -> dict[str, object]:
    """The ``ccsec-meta`` JSON of a rendered file, or ``{}`` for a file ccsec did not write:
    only the keys ccsec writes, each only when its value is one ccsec could have written (an
    identifier for ``name``, a short line of text for ``owner`` and ``platform``, bounded text
    for ``description``)."""
    tag = f"{comment} {META_TAG}"
    for line in lines[:20]:
        if line.startswith(tag):
            payload = line[len(tag):]
            if len(payload) > MAX_META:
                return {}
            try:
                meta = json.loads(payload, parse_int=_bounded_number,
                                  parse_float=_bounded_number)
            except (ValueError, RecursionError):
                return {}
            if not isinstance(meta, dict):
                return {}
            return {k: v for k, v in meta.items()
                    if k in _META_KEYS and isinstance(v, str) and _META_KEYS[k](v)}
    return {}


#: the most filters (or proposals) one rule may expand to: readers build products of lists a
#: file spells out, and 5,000 local × 5,000 remote addresses would be 25 million filters
MAX_PRODUCT = 10_000


def check_product(what: str, *sizes: int) -> None:
    """Refuse a product of lists over :data:`MAX_PRODUCT` before it is built (a ValueError,
    which each reader reports for the rule or file it is reading)."""
    total = 1
    for size in sizes:
        total *= max(size, 1)
    if total > MAX_PRODUCT:
        raise ValueError(f"{what}: {total:,} combinations, more than {MAX_PRODUCT:,}")


#: filters one file may expand to in all: rules that share one netsh filter list or one
#: PowerShell address variable multiply it (50,000 rules × a 10,000-filter list)
MAX_FILTERS = 200_000


class FilterBudget:
    """Counts the filters a reader builds for one file; over :data:`MAX_FILTERS` is a
    ValueError for the rule that crosses it."""

    def __init__(self) -> None:
        self.used = 0

    def take(self, count: int) -> None:
        self.used += count
        if self.used > MAX_FILTERS:
            raise ValueError(f"more than {MAX_FILTERS:,} filters in one file (rules sharing "
                             "a large filter list or address list)")


def device_name(value: str | None) -> str | None:
    """A name a device gives itself (IOS ``hostname``, a CUCM node) as an end's owner, or None
    when it cannot be one (control characters, quotes, too long: a damaged file)."""
    if value is None or not _META_KEYS["owner"](value):
        return None
    return value


def meta_str(meta: dict[str, object], key: str, default: str | None = None) -> str | None:
    value = meta.get(key, default)
    return value if isinstance(value, str) else default


def json_comment(value: str) -> str:
    """A free-text value as a one-line JSON string (safe inside any line comment).

    ASCII only, and ``?`` escaped too: pasted into an IOS CLI, a ``?`` opens context help even
    on a comment line [V]."""
    return json_comment_obj(value)


def json_comment_obj(value: object) -> str:
    return json.dumps(value, ensure_ascii=True, sort_keys=True).replace("?", "\\u003f")


def unjson_comment(text: str) -> str | None:
    """The string a :func:`json_comment` wrote, or None for anything else — including what
    Python's JSON reader raises on besides malformed text (a 15,000-digit number: ValueError;
    deep nesting: RecursionError; found by ``make fuzz``)."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, str) else None
