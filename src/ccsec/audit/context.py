"""Everything a check may look at: the imported ends, the sessions between them, the
deployment (when given) and what the audit derived from it (coverage).

Checks are functions ``check(ctx) -> Iterable[Finding]`` in the ``ccsec.checks.*`` family
modules; they read this object only, never files.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from ccsec.audit.model import ImportedEnd
from ccsec.audit.negotiate import Context, Session
from ccsec.deployment.model import Deployment, Host
from ccsec.policy import Rule


@dataclass
class SessionRecord:
    """One predicted session and the two rules behind it (``b`` is None: end missing)."""

    session: Session
    a: tuple[ImportedEnd, Rule]
    b: tuple[ImportedEnd, Rule] | None
    context: Context = field(default_factory=Context)
    #: the deployment path this session serves (None: not matched to one)
    path: str | None = None

    def involves(self, end: ImportedEnd, rule: Rule) -> bool:
        return (self.a[0] is end and self.a[1] is rule) or (
            self.b is not None and self.b[0] is end and self.b[1] is rule)

    def peer_of(self, end: ImportedEnd, rule: Rule) -> tuple[ImportedEnd, Rule] | None:
        if self.a[0] is end and self.a[1] is rule:
            return self.b
        return self.a


@dataclass
class CoverageRow:
    """How one derived path (catalog 1–8 or a site tunnel) is covered by the configs found."""

    path: str
    catalog: str
    a: str
    b: str
    status: str  # protected | one-sided | missing | failed | weaker
    session: str | None
    detail: str

    def to_json(self) -> dict[str, object]:
        return {"path": self.path, "catalog": self.catalog, "a": self.a, "b": self.b,
                "status": self.status, "session": self.session, "detail": self.detail}


@dataclass(frozen=True)
class Unreadable:
    """A file that looked like a configuration but whose importer rejected it."""

    file: str
    reason: str
    line: int | None = None


@dataclass
class AuditContext:
    ends: list[ImportedEnd]
    deployment: Deployment | None = None
    #: the deployment file (findings about the deployment point at it)
    deployment_file: str | None = None
    #: files nothing was audited in (the ops family reports each)
    unreadable: list[Unreadable] = field(default_factory=list)
    sessions: list[SessionRecord] = field(default_factory=list)
    coverage: list[CoverageRow] = field(default_factory=list)
    #: "<path id>" -> planned/negotiated comparison note (filled by coverage)
    weaker: dict[str, str] = field(default_factory=dict)
    #: look-up indexes built on first use (checks ask per rule; 1,000-site deployments)
    _by_rule: dict[tuple[int, int], list[SessionRecord]] = field(
        default_factory=dict, init=False, repr=False, compare=False)
    _by_rule_of: tuple[int, int, int] | None = field(
        default=None, init=False, repr=False, compare=False)
    _hosts: dict[str, Host] | None = field(default=None, init=False, repr=False, compare=False)
    _at: dict[object, Host] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def environment(self) -> str:
        """production unless the deployment says test (no deployment: assume production)."""
        return self.deployment.environment if self.deployment else "production"

    def rules(self) -> Iterator[tuple[ImportedEnd, Rule]]:
        for end in self.ends:
            for r in end.policy.rules:
                yield end, r

    def sessions_of(self, end: ImportedEnd, rule: Rule) -> list[SessionRecord]:
        """The sessions a rule takes part in, in session order.

        Indexed by rule identity; the index is rebuilt whenever ``sessions`` was replaced or
        changed length (coverage appends and prunes sessions before the checks run)."""
        ss = self.sessions
        version = (id(ss), len(ss), id(ss[-1]) if ss else 0)
        if self._by_rule_of != version:
            index: dict[tuple[int, int], list[SessionRecord]] = {}
            for s in ss:
                ka = (id(s.a[0]), id(s.a[1]))
                index.setdefault(ka, []).append(s)
                if s.b is not None:
                    kb = (id(s.b[0]), id(s.b[1]))
                    if kb != ka:
                        index.setdefault(kb, []).append(s)
            self._by_rule, self._by_rule_of = index, version
        return list(self._by_rule.get((id(end), id(rule)), ()))

    def peers(self, end: ImportedEnd, rule: Rule) -> list[tuple[ImportedEnd, Rule]]:
        out = []
        for s in self.sessions_of(end, rule):
            p = s.peer_of(end, rule)
            if p is not None:
                out.append(p)
        return out

    def host(self, name: str | None) -> Host | None:
        if self.deployment is None or name is None:
            return None
        if self._hosts is None:
            self._hosts = {}
            for h in self.deployment.hosts:
                self._hosts.setdefault(h.name, h)
        return self._hosts.get(name)

    def host_at(self, address: object) -> Host | None:
        """The deployment host with this address (public or private; the first in file order
        when two share one)."""
        if self.deployment is None:
            return None
        if address is None:  # matches a host without a private address, as a scan would
            return next((h for h in self.deployment.hosts if h.private is None), None)
        if self._at is None:
            self._at = {}
            for h in self.deployment.hosts:
                self._at.setdefault(h.public, h)
                if h.private is not None:
                    self._at.setdefault(h.private, h)
        try:
            return self._at.get(address)
        except TypeError:  # an unhashable value is nobody's address
            return None
