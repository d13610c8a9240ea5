"""Support-table rows the Windows formats need beyond :mod:`ccsec.formats.base`, and their runner.

:class:`~ccsec.formats.base.Format` reports the end's rows, then each rule's rows in table
order.  The Windows formats report in an order users already read, which that runner cannot
produce from flat rows:

* a rule's reasons go proposal by proposal and method by method, as the cmdlets and the netsh
  grammar take them (proposal 1's encryption, then its hash…, then proposal 2's): :func:`each`
  groups :class:`ItemRefusal` rows into one ordinary :class:`~ccsec.formats.base.Refusal` that
  checks every item in turn;
* a rule whose name an earlier rule already uses is told so just before its own reasons, but
  finding the earlier rule needs the whole end: :class:`RuleInEndRefusal`;
* conflicts between rules (one main mode per address pair, one policy-wide PFS group) come after
  every rule's own reasons: :attr:`WindowsFormat.LATE_END_REFUSALS`.

:class:`WindowsFormat` runs these beside the base class's tables; everything it reports is a
table row with an id and a reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from ccsec.formats.base import EndRefusal, Format, Refusal, Subst
from ccsec.policy import EndPolicy, Rule

T = TypeVar("T")


@dataclass(frozen=True)
class ItemRefusal(Generic[T]):
    """A row checked on one item of a rule (an IKE or ESP proposal, an authentication method).

    ``find(rule, item)`` yields one substitution dict per occurrence; ``reason`` is formatted
    with it and with ``{rule}`` ("rule <name>") and ``{name}``, like a rule's own rows.
    """

    id: str
    find: Callable[[Rule, T], Iterable[Subst]]
    reason: str

    def messages(self, rule: Rule, item: T) -> list[str]:
        return [self.message(rule, s) for s in self.find(rule, item)]

    def message(self, rule: Rule, s: Subst) -> str:
        return self.reason.format(rule=f"rule {rule.name}", name=rule.name, **s)


@dataclass(frozen=True)
class ItemGroup(Refusal):
    """A :class:`~ccsec.formats.base.Refusal` whose occurrences are its item rows' messages,
    item by item; ``rows`` and ``items`` stay readable (which rows a table has, which fire)."""

    rows: tuple[ItemRefusal[Any], ...] = field(kw_only=True)
    items: Callable[[Rule], Iterable[Any]] = field(kw_only=True)


def each(id: str, items: Callable[[Rule], Iterable[T]],
         rows: tuple[ItemRefusal[T], ...]) -> ItemGroup:
    """The rows checked on every item of ``items(rule)`` in turn, as one rule row."""

    def find(rule: Rule) -> Iterator[Subst]:
        for item in items(rule):
            for row in rows:
                for s in row.find(rule, item):
                    yield {"message": row.message(rule, s)}

    return ItemGroup(id, find, "{message}", rows=rows, items=items)


def item_when(test: Callable[[T], bool]) -> Callable[[Rule, T], list[Subst]]:
    """A yes/no item row: one occurrence when ``test(item)`` holds."""
    return lambda rule, item: [{}] if test(item) else []


@dataclass(frozen=True)
class RuleInEndRefusal:
    """A rule's row that needs the rule's end (a name an earlier rule already uses), reported
    just before the rule's own rows.  ``find(end)`` yields, for each rule of ``end`` in order,
    that rule's occurrences — one pass over the end, however many rules it has."""

    id: str
    find: Callable[[EndPolicy], Sequence[Iterable[Subst]]]
    reason: str

    def messages(self, end: EndPolicy) -> list[list[str]]:
        """Per rule of ``end``, in order: its messages."""
        return [[self.reason.format(rule=f"rule {r.name}", name=r.name, **s) for s in found]
                for r, found in zip(end.rules, self.find(end), strict=True)]


class WindowsFormat(Format):
    """A format whose support tables also have rule-in-end rows and late end rows.

    Reports, in order: the end's rows (``END_REFUSALS``); per rule its rule-in-end rows
    (``RULE_IN_END_REFUSALS``) then its own rows (``REFUSALS``, item groups included); then the
    rows about conflicts between rules (``LATE_END_REFUSALS``).
    """

    RULE_IN_END_REFUSALS: ClassVar[tuple[RuleInEndRefusal, ...]] = ()
    LATE_END_REFUSALS: ClassVar[tuple[EndRefusal, ...]] = ()

    def unsupported(self, end: EndPolicy) -> list[str]:
        out = [m for row in self.END_REFUSALS for m in row.messages(end)]
        before = [row.messages(end) for row in self.RULE_IN_END_REFUSALS]
        for i, rule in enumerate(end.rules):
            out += [m for per_rule in before for m in per_rule[i]]
            out += [m for row in self.REFUSALS for m in row.messages(rule)]
        return out + [m for row in self.LATE_END_REFUSALS for m in row.messages(end)]
