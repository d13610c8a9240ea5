"""NetSecurity objects (rules, main-mode rules, crypto and authentication sets) → policy.

The modern Windows store holds connection security rules that *name* their sets: a
quick-mode crypto set and a phase-1 authentication set per rule, and a main-mode rule whose
address scope picks the main-mode crypto set (and, when the rule names none, the phase-1
authentication set).  This module holds that object model (:class:`NetSecurityStore`, filled
by the PowerShell interpreter in :mod:`.ps_interpreter`), the mapping between a model rule
and its Windows objects that the renderer writes and the builder reads back (object names,
the address × address × port product of one Windows rule), and :class:`PolicyBuilder`, which
turns a store into one :class:`EndPolicy` per ``-Group``.

The collector importer (:mod:`.collector`) reads the same objects as Windows reports them and
shares the vocabulary, the filter product and the default sets with this builder, but not the
builder itself: a collector file is the store Windows kept (already accepted, enum values
possibly raw CIM numbers, a broken rule is skipped with a warning), while a script is a request
to create objects (values checked as the cmdlets check them, a broken rule is a
:class:`ParseError` with its line); where Windows fills a gap the two also assume differently
(see :mod:`.collector`), and tests pin both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from ipaddress import IPv4Address, IPv4Network
from pathlib import PurePath
from typing import Any, Generic, Literal, TypeVar

from pydantic import ValidationError

from ccsec.crypto import EspProposal, IkeProposal
from ccsec.errors import ParseError, Problem, shown_repr
from ccsec.formats.base import FilterBudget, Note, Parsed, check_product, meta_str
from ccsec.formats.facts import PowerShellFacts
from ccsec.formats.names import UniqueNames
from ccsec.formats.windows.vocabulary import (
    DEFAULT_MM,
    DEFAULT_MM_MINUTES,
    DEFAULT_QM,
    DEFAULT_QM_KB,
    DEFAULT_QM_MINUTES,
    SECURITY_PAIRS,
)
from ccsec.policy import Auth, EndPolicy, Filter, Ike, Rule, Security, to_ident, v4net

# ------------------------------------------------------- ccsec's names for a rule's objects

SUFFIX_MM, SUFFIX_AUTH, SUFFIX_QM, SUFFIX_MMRULE = (
    ".MainModeCrypto", ".Phase1Auth", ".QuickModeCrypto", ".MainModeRule")
#: ``R.2``, ``R.3`` …: the extra New-NetIPsecRule objects of rule R (rule names hold no dot)
PART_RE = re.compile(r"^(.+)\.([2-9]|[1-9][0-9]+)$")


def object_names(rule: str) -> tuple[str, str, str, str]:
    """Rule R's main-mode crypto set, phase-1 auth set, quick-mode crypto set, main-mode rule."""
    return (rule + SUFFIX_MM, rule + SUFFIX_AUTH, rule + SUFFIX_QM, rule + SUFFIX_MMRULE)


def filter_groups(filters: tuple[Filter, ...]) -> list[tuple[Filter, ...]]:
    """The filters as New-NetIPsecRule objects: one when they form a full product, else one each.

    A Windows rule is LocalAddress × RemoteAddress × LocalPort × RemotePort for one protocol;
    :func:`expand` writes that product in this same order, so the split is exact both ways.
    """
    locals_ = list(dict.fromkeys(v4net(f.local) for f in filters))
    remotes = list(dict.fromkeys(v4net(f.remote) for f in filters))
    lports = list(dict.fromkeys(f.local_port for f in filters))
    rports = list(dict.fromkeys(f.remote_port for f in filters))
    protos = {f.protocol for f in filters}
    if len(protos) == 1:
        product = expand(locals_, remotes, protos.pop(), lports, rports)
        if product == filters:
            return [filters]
    return [(f,) for f in filters]


def expand(locals_: list[IPv4Network], remotes: list[IPv4Network], proto: int | None,
           lports: list[int | None], rports: list[int | None]) -> tuple[Filter, ...]:
    """The model filters of one Windows rule, in the canonical product order."""
    check_product("the rule's addresses and ports", len(locals_), len(remotes), len(lports),
                  len(rports))
    return tuple(Filter(local=lo, remote=re_, protocol=proto, local_port=lp, remote_port=rp)
                 for lo in locals_ for re_ in remotes for lp in lports for rp in rports)


@lru_cache(maxsize=1024)
def _ike(version: Literal[1, 2], proposals: tuple[IkeProposal, ...], lifetime_s: int) -> Ike:
    """The IKE settings of a rule: one frozen object per value set (a deployment's rules
    share a few; the model refuses a bad one each time, as lru_cache keeps no exceptions)."""
    return Ike(version=version, proposals=proposals, lifetime_s=lifetime_s)


def same_as_main_mode(proposals: tuple[IkeProposal, ...]) -> int | None:
    """The PFS group of ``-PerfectForwardSecrecyGroup SameAsMainMode``: the first main-mode
    proposal's group (the one Windows offers first) [V]."""
    return proposals[0].group if proposals else None


# ------------------------------------------------------------------ the objects of a store


@dataclass(eq=False)
class MmProposal:
    line: int
    proposal: IkeProposal | None  # None: not usable (a note says why)

    def at(self, line: int) -> MmProposal:
        """The same proposal made on ``line``."""
        return MmProposal(line, self.proposal)


@dataclass(eq=False)
class QmProposal:
    line: int
    proposal: EspProposal | None
    minutes: int
    kb: int

    def at(self, line: int) -> QmProposal:
        """The same proposal made on ``line``."""
        return QmProposal(line, self.proposal, self.minutes, self.kb)


@dataclass(eq=False)
class AuthProposal:
    line: int
    auth: Auth | None

    def at(self, line: int) -> AuthProposal:
        """The same proposal made on ``line``."""
        return AuthProposal(line, self.auth)


P = TypeVar("P", MmProposal, QmProposal, AuthProposal)


@dataclass(eq=False)
class ObjSet(Generic[P]):
    """A stored set: main-mode crypto, quick-mode crypto, phase-1 or phase-2 auth."""

    kind: str
    name: str
    display: str
    group: str | None
    line: int
    items: list[P] = field(default_factory=list)
    minutes: int = DEFAULT_MM_MINUTES
    pfs: int | Literal["mm"] | None = None  # DH group, "mm" (SameAsMainMode) or None


@dataclass(eq=False)
class MainModeRule:
    name: str
    display: str
    group: str | None
    line: int
    local: list[IPv4Network]
    remote: list[IPv4Network]
    mm: ObjSet[MmProposal] | None
    auth: ObjSet[AuthProposal] | None


@dataclass(eq=False)
class WinRule:
    """What one New-NetIPsecRule says, values already checked."""

    name: str
    group: str | None
    line: int
    description: str = ""
    enabled: bool = True
    mode: str = "transport"
    inbound: Security = "none"
    outbound: Security = "none"
    key_modules: tuple[str, ...] = ("default",)
    interfaces: frozenset[str] = frozenset({"any"})
    locals_: list[IPv4Network] = field(default_factory=list)
    remotes: list[IPv4Network] = field(default_factory=list)
    protocol: int | None = None
    lports: list[int | None] = field(default_factory=lambda: [None])
    rports: list[int | None] = field(default_factory=lambda: [None])
    tunnel_local: IPv4Address | None = None
    tunnel_remote: IPv4Address | None = None
    qm: ObjSet[QmProposal] | None = None
    p1: ObjSet[AuthProposal] | None = None
    filter_line: int = 0


#: what a store keeps by name
StoreObject = ObjSet[Any] | MainModeRule | WinRule

#: kind of object → what a message calls it
KIND_NAMES = {"mmcrypto": "main-mode crypto set", "qmcrypto": "quick-mode crypto set",
              "p1auth": "phase-1 authentication set", "p2auth": "phase-2 authentication set",
              "mmrule": "main-mode rule", "rule": "connection security rule"}


@dataclass
class NetSecurityStore:
    """A policy store as a script leaves it: objects by kind and casefolded name, the
    connection security and main-mode rules in creation order, the ``-Default`` sets, and
    every ``-PolicyStore`` the script writes to."""

    objects: dict[str, dict[str, StoreObject]] = field(
        default_factory=lambda: {k: {} for k in KIND_NAMES})
    rules: list[WinRule] = field(default_factory=list)
    mm_rules: list[MainModeRule] = field(default_factory=list)
    defaults: dict[str, ObjSet[Any]] = field(default_factory=dict)
    policy_stores: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------- builder


class PolicyBuilder:
    """Turns a NetSecurity store into EndPolicies (one per -Group)."""

    def __init__(self, store: NetSecurityStore, parsed: Parsed, meta: dict[str, object],
                 source: str) -> None:
        self.store = store
        self.parsed = parsed
        self.meta = meta
        self.source = source
        self.mm_rule_of: dict[int, MainModeRule | None] = {}
        self.budget = FilterBudget()
        #: (group, Windows rule name) -> index in its group's list, for folding R.2 into R
        self.index: dict[tuple[str | None, str], int] = {}

    def note(self, line: int, severity: Literal["info", "warning"], message: str) -> None:
        self.parsed.notes.append(Note(line, severity, message))

    def build(self) -> None:
        by_group: dict[str | None, list[tuple[WinRule, Rule]]] = {}
        for w in self.store.rules:
            rule = self._rule(w)
            pairs = by_group.setdefault(w.group, [])
            if not self._merge(pairs, w, rule):
                self.index.setdefault((w.group, w.name), len(pairs))
                pairs.append((w, rule))
        meta_name = meta_str(self.meta, "name")
        if not by_group:
            by_group[meta_name] = []
        stem = PurePath(self.source).stem if not self.source.startswith("<") else "ipsec"
        used = UniqueNames(stem=76)
        for group, pairs in by_group.items():
            default = meta_name or to_ident(f"imported-{stem}", collapse=True)
            name = default if group is None else to_ident(group, collapse=True)
            is_meta = meta_name is not None and group in (None, meta_name)
            rules = self._unique(pairs)
            name = used.take(name)
            self.parsed.policies.append(EndPolicy(
                name=name,
                description=(meta_str(self.meta, "description", "") or "") if is_meta else "",
                owner=meta_str(self.meta, "owner") if is_meta else None,
                platform=meta_str(self.meta, "platform") if is_meta else None,
                rules=tuple(rules),
            ))
        self.parsed.format_facts = PowerShellFacts(policy_stores=tuple(self.store.policy_stores))

    def _merge(self, rules: list[tuple[WinRule, Rule]], w: WinRule, rule: Rule) -> bool:
        """Fold ccsec's extra filter rules ``R.2``, ``R.3``… back into rule ``R``."""
        m = PART_RE.match(w.name)
        k = self.index.get((w.group, m.group(1))) if m else None
        if k is None:
            return False
        bw, base = rules[k]
        if rule.model_copy(update={"name": base.name, "filters": base.filters}) != base:
            return False
        rules[k] = (bw, base.model_copy(update={"filters": base.filters + rule.filters}))
        return True

    def _unique(self, pairs: list[tuple[WinRule, Rule]]) -> list[Rule]:
        out: list[Rule] = []
        seen = UniqueNames(fold=True, stem=76)
        for w, rule in pairs:
            name = seen.take(rule.name)
            if name != w.name:
                self.note(w.line, "info", f"rule name {shown_repr(w.name, 80)} read as {name}")
                rule = rule.model_copy(update={"name": name})
            out.append(rule)
            self._locate(w, name)
        return out

    def _locate(self, w: WinRule, name: str) -> None:
        loc = self.parsed.locations
        loc.setdefault(name, w.line)
        mm_rule = self._main_mode_rule(w)
        mm = mm_rule.mm if mm_rule and mm_rule.mm else None
        loc.setdefault(f"{name}/ike", mm.line if mm else (mm_rule.line if mm_rule else w.line))
        loc.setdefault(f"{name}/esp", w.qm.line if w.qm else w.line)
        auth = w.p1 or (mm_rule.auth if mm_rule else None)
        loc.setdefault(f"{name}/auth", auth.line if auth else w.line)
        loc.setdefault(f"{name}/filters", w.filter_line or w.line)

    # ---------------------------------------------------------------- one rule

    def _rule(self, w: WinRule) -> Rule:
        mm_rule = self._main_mode_rule(w)
        proposals, ike_minutes = self._ike(w, mm_rule)
        esp, pfs, life_min, life_kb = self._esp(w, proposals)
        local, peer = self._addresses(w, mm_rule)
        action: Literal["negotiate", "permit"] = "negotiate"
        if (w.inbound, w.outbound) == ("none", "none"):
            action = "permit"
            self.note(w.line, "info", f"rule {w.name[:80]}: security None/None exempts the "
                      "traffic (read as action permit)")
        elif (w.inbound, w.outbound) not in SECURITY_PAIRS:
            self.note(w.line, "warning", f"rule {w.name[:80]}: inbound {w.inbound} with "
                      f"outbound {w.outbound} is a pair New-NetIPsecRule rejects")
        if w.mode == "none":
            self.note(w.line, "warning", f"rule {w.name[:80]}: -Mode None read as transport")
        try:
            self.budget.take(len(w.locals_) * len(w.remotes) * len(w.lports) * len(w.rports))
            return Rule(
                name=to_ident(w.name, collapse=True),
                description=w.description,
                mode="tunnel" if w.mode == "tunnel" else "transport",
                local_address=local,
                peer_address=peer,
                filters=expand(w.locals_, w.remotes, w.protocol, w.lports, w.rports),
                action=action,
                inbound=w.inbound,
                outbound=w.outbound,
                auth=self._auth(w, mm_rule),
                ike=_ike(self._version(w), proposals, ike_minutes * 60),
                esp=esp,
                pfs_group=pfs,
                lifetime_s=life_min * 60,
                lifetime_kb=life_kb,
                connection_type=self._connection_type(w),
                enabled=w.enabled,
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(x) for x in first.get("loc", ()))
            raise ParseError(Problem(f"rule {w.name[:80]}: {where}: {first.get('msg', '')}",
                                     self.source, w.line)) from None
        except ValueError as exc:  # a product of addresses and ports too large to build
            raise ParseError(Problem(f"rule {w.name[:80]}: {exc}", self.source, w.line,
                                     fix="split the rule")) from None

    def _main_mode_rule(self, w: WinRule) -> MainModeRule | None:
        """The main-mode rule for ``w``: ccsec's name for it, else the first whose scope
        covers the rule's IKE addresses."""
        if id(w) not in self.mm_rule_of:
            self.mm_rule_of[id(w)] = self._find_main_mode_rule(w)
        return self.mm_rule_of[id(w)]

    def _find_main_mode_rule(self, w: WinRule) -> MainModeRule | None:
        by_name = self.store.objects["mmrule"]
        base = PART_RE.match(w.name)
        for name in (w.name, base.group(1) if base else None):
            found = by_name.get((name + SUFFIX_MMRULE).casefold()) if name is not None else None
            if isinstance(found, MainModeRule):
                return found
        if w.mode == "tunnel" and w.tunnel_local is not None and w.tunnel_remote is not None:
            here = IPv4Network(w.tunnel_local)
            there = IPv4Network(w.tunnel_remote)
        else:
            here, there = w.locals_[0], w.remotes[0]
        for r in self.store.mm_rules:
            if any(here.subnet_of(n) for n in r.local) and \
                    any(there.subnet_of(n) for n in r.remote):
                return r
        return None

    def _ike(self, w: WinRule, mm_rule: MainModeRule | None
             ) -> tuple[tuple[IkeProposal, ...], int]:
        mm = mm_rule.mm if mm_rule and mm_rule.mm else self.store.defaults.get("mmcrypto")
        if mm is None:
            self.note(w.line, "warning", f"rule {w.name[:80]}: no main-mode crypto set applies "
                      "(no main-mode rule covers it): Windows' default set is assumed [V]")
            return DEFAULT_MM, DEFAULT_MM_MINUTES
        props = tuple(dict.fromkeys(p.proposal for p in mm.items if p.proposal is not None))
        if not props:
            raise ParseError(Problem(f"main-mode crypto set '{mm.name[:80]}' has no usable "
                                     "proposal (see the notes)", self.source, mm.line))
        return props, mm.minutes

    def _esp(self, w: WinRule, mm: tuple[IkeProposal, ...]
             ) -> tuple[tuple[EspProposal, ...], int | None, int, int]:
        qm = w.qm or self.store.defaults.get("qmcrypto")
        if qm is None:
            self.note(w.line, "warning", f"rule {w.name[:80]}: no quick-mode crypto set: "
                      "Windows' default set is assumed [V]")
            return DEFAULT_QM, None, DEFAULT_QM_MINUTES, DEFAULT_QM_KB
        usable = [p for p in qm.items if p.proposal is not None]
        if not usable:
            raise ParseError(Problem(f"quick-mode crypto set '{qm.name[:80]}' has no usable "
                                     "proposal (see the notes)", self.source, qm.line))
        lives = {(p.minutes, p.kb) for p in usable}
        if len(lives) > 1:
            self.note(qm.line, "warning", f"quick-mode crypto set '{qm.name[:80]}': its "
                      "proposals differ in lifetime; the first one's is read")
        pfs = qm.pfs
        if pfs == "mm":
            if len({p.group for p in mm}) > 1:
                self.note(qm.line, "warning", "PFS SameAsMainMode with main-mode proposals of "
                          "several groups: the first group is read")
            pfs = same_as_main_mode(mm)
        esp = tuple(dict.fromkeys(p.proposal for p in usable if p.proposal is not None))
        return esp, pfs, usable[0].minutes, usable[0].kb

    def _auth(self, w: WinRule, mm_rule: MainModeRule | None) -> tuple[Auth, ...]:
        p1 = w.p1
        if mm_rule and mm_rule.auth is not None:
            if p1 is not None and p1 is not mm_rule.auth:
                self.note(w.line, "warning", f"rule {w.name[:80]} and its main-mode rule name "
                          "different phase-1 authentication sets: the rule's is read")
            p1 = p1 or mm_rule.auth
        p1 = p1 or self.store.defaults.get("p1auth")
        if p1 is None:
            self.note(w.line, "warning", f"rule {w.name[:80]}: no phase-1 authentication set: "
                      "Windows' default (computer Kerberos) is assumed [V]")
            return (Auth(method="kerberos"),)
        auth = tuple(p.auth for p in p1.items if p.auth is not None)
        if not auth:
            raise ParseError(Problem(f"phase-1 authentication set '{p1.name[:80]}' has no "
                                     "method the policy model knows (see the notes)",
                                     self.source, p1.line))
        return auth

    def _version(self, w: WinRule) -> Literal[1, 2]:
        modules = set(w.key_modules)
        if modules == {"ikev2"}:
            return 2
        if modules == {"ikev1"}:
            return 1
        self.note(w.line, "warning", f"rule {w.name[:80]}: -KeyModule "
                  f"{', '.join(sorted(modules))} lets Windows choose the keying module (Default "
                  "= IKEv1 + AuthIP, IKEv1 + IKEv2 from Windows 11 24H2); read as IKEv1")
        return 1

    def _connection_type(self, w: WinRule) -> Literal["all", "lan", "dialup"]:
        kinds = w.interfaces
        if "any" in kinds or kinds == {"wired", "wireless", "remoteaccess"}:
            return "all"
        if kinds == {"remoteaccess"}:
            return "dialup"
        if kinds <= {"wired", "wireless"}:
            if kinds != {"wired", "wireless"}:
                self.note(w.line, "info", f"rule {w.name[:80]}: -InterfaceType "
                          f"{next(iter(kinds)).capitalize()} read as connection type lan "
                          "(wired and wireless)")
            return "lan"
        self.note(w.line, "warning", f"rule {w.name[:80]}: -InterfaceType "
                  f"{', '.join(sorted(kinds))} read as connection type all")
        return "all"

    def _addresses(self, w: WinRule, mm_rule: MainModeRule | None
                   ) -> tuple[IPv4Address, IPv4Address]:
        if w.mode == "tunnel":
            assert w.tunnel_local is not None and w.tunnel_remote is not None
            return w.tunnel_local, w.tunnel_remote
        if mm_rule is not None and len(mm_rule.local) == 1 and len(mm_rule.remote) == 1:
            here, there = mm_rule.local[0], mm_rule.remote[0]
            if here.prefixlen == 32 and there.prefixlen == 32:
                return here.network_address, there.network_address
        return w.locals_[0].network_address, w.remotes[0].network_address
