"""The replayed netsh store → policy: one :class:`EndPolicy` per netsh policy.

A netsh rule is one filter list + one filter action + authentication, under a policy that
holds the IKE methods and lifetime.  Tunnel rules are one-way in netsh (§3.4): ccsec writes a
two-way tunnel rule ``R`` as ``R.out`` + ``R.in`` with mirror-image filter lists, and reads
such a pair — by those names, or a hand-written pair by its mirror-image filters — back as one
rule.  Values the script left out take netsh's defaults with a note ([V] where unverified);
which policy is assigned goes to ``NetshFacts.assigned`` (``Parsed.format_facts``).
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from typing import Literal

from ccsec.crypto import EspProposal
from ccsec.errors import ParseError, Problem
from ccsec.formats.base import FilterBudget, Note, Parsed, meta_str
from ccsec.formats.facts import NetshFacts
from ccsec.formats.names import UniqueNames
from ccsec.formats.windows.netsh_grammar import BadLine, reason
from ccsec.formats.windows.netsh_store import NetshStore, NFilterAction, NFilterList, NPolicy, NRule
from ccsec.formats.windows.vocabulary import (
    NETSH_DEFAULT_MM,
    NETSH_DEFAULT_QM,
    NETSH_DEFAULT_QM_LIFETIME_KB,
    NETSH_DEFAULT_QM_LIFETIME_S,
)
from ccsec.policy import Auth, EndPolicy, Filter, Ike, Rule, to_ident

#: ccsec's names for the two one-way halves of tunnel rule R: ``R.out`` and ``R.in``
OUT, IN = ".out", ".in"

#: a filter list as (src, dst, protocol, srcport, dstport) rows, to find mirror images
FiltersKey = tuple[tuple[IPv4Network, IPv4Network, int | None, int | None, int | None], ...]


@dataclass
class RuleView:
    """One model rule in the making: a netsh rule, or a merged .out/.in tunnel pair."""

    name: str
    out: NRule
    back: NRule | None = None

#: the shortest quick-mode lifetime ccsec reads from a netsh script (the policy model took 60 s
#: as its floor before it allowed the short lifetimes of other platforms)
WINDOWS_MIN_LIFETIME_S = 60


class NetshBuilder:
    """Turns the replayed store into EndPolicies (one per netsh policy)."""

    def __init__(self, store: NetshStore, parsed: Parsed, meta: dict[str, object]) -> None:
        self.store = store
        self.parsed = parsed
        self.meta = meta
        self.notes = parsed.notes
        self.budget = FilterBudget()

    def build(self) -> None:
        store = self.store
        used = UniqueNames(fold=True)
        assigned = [p.name for p in store.policies.values() if p.assigned]
        for p in store.policies.values():
            name = _unique(to_ident(p.name, "policy"), used)
            try:
                self.parsed.policies.append(self.policy(p, name))
            except ValueError as exc:
                raise ParseError(Problem(f"policy {p.name}: {reason(exc)}", store.source,
                                         p.line)) from None
        self.parsed.format_facts = NetshFacts(assigned=assigned[0] if assigned else None,
                                              store=store.location)
        if assigned:
            self.notes.append(Note(None, "info", f"policy {assigned[0]} is assigned (active)"))
        elif store.policies:
            self.notes.append(Note(None, "info", "no policy is assigned: the script stores "
                                   "policies without activating them"))

    def policy(self, p: NPolicy, name: str) -> EndPolicy:
        ike_line = p.ike_line or p.line
        mm = p.mmsec
        if mm is None:
            mm = NETSH_DEFAULT_MM
            if p.rules:
                self.notes.append(Note(p.line, "warning", f"policy {p.name}: no mmsecmethods; "
                                       "the built-in defaults are assumed [V] — confirm with "
                                       "`netsh ipsec static show policy`"))
        if p.defaultrule is None:
            self.notes.append(Note(p.line, "warning", f"policy {p.name}: activatedefaultrule "
                                   "not given; netsh's default (yes) is assumed [V]"))
        ike = Ike(version=1, exchange="main", proposals=mm, lifetime_s=p.mmlifetime * 60)
        rules = []
        used = UniqueNames(fold=True)
        for view in self.views(p):
            rule = self.rule(view, ike, _unique(to_ident(view.name, "rule"), used))
            rules.append(rule)
            loc = self.parsed.locations
            if rule.name not in loc:
                fa = view.out.filteraction
                filters = view.out.filterlist.filters
                loc[rule.name] = view.out.line
                loc[f"{rule.name}/ike"] = ike_line
                loc[f"{rule.name}/esp"] = fa.qm_line or fa.line
                loc[f"{rule.name}/auth"] = view.out.auth_line or view.out.line
                loc[f"{rule.name}/filters"] = filters[0].line if filters else view.out.line
        matches_meta = meta_str(self.meta, "name") in (p.name, name)
        return EndPolicy(
            name=name,
            description=p.description,
            owner=meta_str(self.meta, "owner") if matches_meta else None,
            platform=meta_str(self.meta, "platform") if matches_meta else None,
            default_response_rule=True if p.defaultrule is None else p.defaultrule,
            rules=tuple(rules),
        )

    def views(self, p: NPolicy) -> list[RuleView]:
        """Rules in script order; one-way tunnel rules that mirror each other become one view.

        ccsec's own pairs are found by name (``X.out`` + ``X.in``); hand-written pairs (§3.4)
        by their mirror-image filter lists, the first in the script being the outbound one.
        """
        rules = list(p.rules.values())
        by_name = p.rules
        paired: dict[int, NRule] = {}
        taken: set[int] = set()
        for r in rules:
            if r.tunnel is None or not r.name.lower().endswith(OUT) or id(r) in taken:
                continue
            back = by_name.get((r.name[: -len(OUT)] + IN).casefold())
            if back is not None and id(back) not in taken and _mirror(r, back):
                paired[id(r)] = back
                taken |= {id(r), id(back)}
        waiting: dict[tuple[int, FiltersKey], NRule] = {}
        for r in rules:
            if r.tunnel is None or id(r) in taken:
                continue
            key = _pair_key(r, reverse=True)
            first = waiting.get(key)
            if first is not None and _mirror(first, r):
                paired[id(first)] = r
                taken |= {id(first), id(r)}
                del waiting[key]
                self.notes.append(Note(r.line, "info", f"tunnel rules {first.name} and "
                                       f"{r.name} read as one two-way tunnel rule"))
            else:
                waiting.setdefault(_pair_key(r, reverse=False), r)
        views = []
        for r in rules:
            back = paired.get(id(r))
            if back is not None:
                ccsec_pair = back.name.casefold() == (r.name[: -len(OUT)] + IN).casefold()
                views.append(RuleView(r.name[: -len(OUT)] if ccsec_pair else r.name, r, back))
            elif id(r) not in taken:
                views.append(RuleView(r.name, r))
        return views

    def rule(self, view: RuleView, ike: Ike, name: str) -> Rule:
        r = view.out
        fa = r.filteraction
        try:
            return self._rule(view, ike, name)
        except ValueError as exc:
            raise ParseError(Problem(f"rule {r.name} (filter action {fa.name}): "
                                     f"{reason(exc)}", self.store.source, r.line)) from None

    def _rule(self, view: RuleView, ike: Ike, name: str) -> Rule:
        r = view.out
        fa = r.filteraction
        nfilters = r.filterlist.filters
        if not nfilters:
            raise BadLine(f"filter list {r.filterlist.name} holds no filter ccsec can read")
        self.budget.take(len(nfilters))  # rules sharing one list multiply it
        mode: Literal["transport", "tunnel"]
        if view.back is not None:
            filters = [Filter(local=f.src, remote=f.dst, protocol=f.protocol,
                              local_port=f.srcport, remote_port=f.dstport) for f in nfilters]
            assert view.back.tunnel is not None and r.tunnel is not None  # _mirror() checked
            local, peer, mode = view.back.tunnel, r.tunnel, "tunnel"
        else:
            filters = [Filter(local=f.src, remote=f.dst, protocol=f.protocol,
                              local_port=f.srcport, remote_port=f.dstport,
                              mirrored=f.mirrored) for f in nfilters]
            local, peer = nfilters[0].src.network_address, nfilters[0].dst.network_address
            mode = "transport"
            if r.tunnel is not None:
                mode, local, peer = "tunnel", IPv4Address("0.0.0.0"), r.tunnel
                self.notes.append(Note(r.line, "warning", f"tunnel rule {r.name} has no "
                                       "mirror-image rule: read as a one-way tunnel with an "
                                       "unknown local endpoint"))
        esp, life_s, life_kb = self.esp(fa)
        pfs = None
        if fa.qmpfs:
            pfs = ike.proposals[0].group
            if len({p.group for p in ike.proposals}) > 1:
                self.notes.append(Note(fa.line, "warning", f"filter action {fa.name}: qmpfs=yes "
                                       "reuses the negotiated main-mode group; ccsec records "
                                       f"the first one ({pfs})"))
        auth = r.auth
        if not auth:
            auth = [Auth(method="kerberos")]
            self.notes.append(Note(r.line, "warning", f"rule {r.name}: no authentication "
                                   "method; netsh's dynamic default (Kerberos) is assumed [V]"))
        if life_s is not None and life_s < WINDOWS_MIN_LIFETIME_S:
            raise ValueError(f"lifetime_s: {life_s} s is shorter than the {WINDOWS_MIN_LIFETIME_S}"
                             " s a Windows quick mode takes")
        return Rule(
            name=name,
            description=r.description,
            mode=mode,
            local_address=local,
            peer_address=peer,
            filters=tuple(filters),
            action=fa.action,
            inbound="request" if fa.inpass else "require",
            outbound="request" if fa.soft else "require",
            auth=tuple(auth),
            ike=ike,
            esp=esp,
            pfs_group=pfs,
            lifetime_s=life_s,
            lifetime_kb=life_kb,
            connection_type=r.conntype,
            enabled=r.activate,
        )

    def esp(self, fa: NFilterAction) -> tuple[tuple[EspProposal, ...], int, int | None]:
        qm = fa.qm
        if qm is None:
            if fa.action == "negotiate":
                self.notes.append(Note(fa.line, "warning", f"filter action {fa.name}: no "
                                       "qmsecmethods; the built-in defaults are assumed [V]"))
            return NETSH_DEFAULT_QM, NETSH_DEFAULT_QM_LIFETIME_S, NETSH_DEFAULT_QM_LIFETIME_KB
        if qm.mixed_lifetimes:
            self.notes.append(Note(fa.qm_line, "warning", f"filter action {fa.name}: offers "
                                   "differ in lifetime; ccsec records the first offer's"))
        if qm.life_s is None and qm.life_kb is None:
            self.notes.append(Note(fa.qm_line, "info", f"filter action {fa.name}: no lifetime; "
                                   f"the defaults {NETSH_DEFAULT_QM_LIFETIME_KB}k/"
                                   f"{NETSH_DEFAULT_QM_LIFETIME_S}s are assumed [V]"))
            return qm.proposals, NETSH_DEFAULT_QM_LIFETIME_S, NETSH_DEFAULT_QM_LIFETIME_KB
        if qm.life_s is None:
            self.notes.append(Note(fa.qm_line, "info", f"filter action {fa.name}: no lifetime "
                                   f"in seconds; {NETSH_DEFAULT_QM_LIFETIME_S}s assumed [V]"))
        return qm.proposals, qm.life_s or NETSH_DEFAULT_QM_LIFETIME_S, qm.life_kb


def _filters_key(fl: NFilterList, reverse: bool) -> FiltersKey:
    if reverse:
        return tuple((f.dst, f.src, f.protocol, f.dstport, f.srcport) for f in fl.filters)
    return tuple((f.src, f.dst, f.protocol, f.srcport, f.dstport) for f in fl.filters)


def _pair_key(r: NRule, reverse: bool) -> tuple[int, FiltersKey]:
    return (id(r.filteraction), _filters_key(r.filterlist, reverse))


def _mirror(out: NRule, back: NRule) -> bool:
    """Two one-way tunnel rules that together form one two-way rule."""
    return (
        out.tunnel is not None and back.tunnel is not None
        and out.filterlist is not back.filterlist
        and out.filteraction is back.filteraction
        and bool(out.filterlist.filters)
        and _filters_key(out.filterlist, False) == _filters_key(back.filterlist, True)
        and not any(f.mirrored for f in (*out.filterlist.filters, *back.filterlist.filters))
        and (out.conntype, out.activate, out.auth) == (back.conntype, back.activate, back.auth)
    )


def _unique(name: str, used: UniqueNames) -> str:
    return used.take(name)

