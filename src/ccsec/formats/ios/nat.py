"""Does source NAT leave a rule's protected traffic alone?

IOS translates before it encrypts, so a dynamic ``ip nat inside source`` rule whose ACL (or
route-map) permits a protected flow breaks the tunnel for it: the crypto ACL no longer matches
the translated packet.  Each protected flow is evaluated first-match against the NAT ACEs
(through :class:`~ccsec.formats.ios.acl.AceIndex`, so a hub with thousands of rules and a long
NAT ACL stays linear): a deny exempts it, a permit translates it, and an ACE that covers only
part of the flow makes the rule ``partial``.
"""

from __future__ import annotations

from dataclasses import replace

from ccsec.formats.facts import IosNatRule, NatStatus
from ccsec.formats.ios.acl import Ace, AceIndex, Acl
from ccsec.formats.ios.log import Log
from ccsec.formats.ios.tree import contains, overlaps
from ccsec.policy import Filter, Rule, v4net


def with_exemptions(nat: IosNatRule, rules: list[Rule], acls: dict[str, Acl],
                    route_maps: dict[str, list[tuple[str, list[str]]]], log: Log) -> IosNatRule:
    """``nat`` with, for every rule, whether its traffic bypasses the translation."""
    index = AceIndex(nat_aces(nat, acls, route_maps, log))
    return replace(nat, exempt={r.name: nat_status(index, r.filters) for r in rules})


def nat_aces(nat: IosNatRule, acls: dict[str, Acl],
             route_maps: dict[str, list[tuple[str, list[str]]]], log: Log) -> list[Ace]:
    """The ACEs that decide translation (a route-map: its permit entries' ACLs, in order)."""
    names: list[str] = []
    if nat.acl:
        names = [nat.acl]
    elif nat.route_map:
        entries = route_maps.get(nat.route_map)
        if entries is None:
            log.dangling("route-map", nat.route_map, nat.line)
        for action, acl_names in entries or []:
            names += acl_names if action == "permit" else []
    out: list[Ace] = []
    for n in names:
        acl = acls.get(n)
        if acl is None:
            log.dangling("access-list", n, nat.line)
            continue
        out += acl.aces
    return out


def nat_status(index: AceIndex, filters: tuple[Filter, ...]) -> NatStatus:
    """Does NAT leave a rule's traffic alone? exempt | translated | partial."""
    results = {_flow_decision(index.candidates(v4net(f.remote)), f) for f in filters}
    if results == {"exempt"}:
        return "exempt"
    if results == {"translated"}:
        return "translated"
    return "partial"


def _flow_decision(aces: list[Ace], f: Filter) -> NatStatus:
    """First-match evaluation of one protected flow against a NAT ACL."""
    for ace in aces:
        if not (overlaps(ace.src, v4net(f.local)) and overlaps(ace.dst, v4net(f.remote))):
            continue
        if _disjoint(ace.protocol, f.protocol) or _disjoint(ace.sport, f.local_port) or \
                _disjoint(ace.dport, f.remote_port):
            continue
        covers = (contains(ace.src, v4net(f.local)) and contains(ace.dst, v4net(f.remote))
                  and ace.protocol in (None, f.protocol) and ace.sport in (None, f.local_port)
                  and ace.dport in (None, f.remote_port))
        if not covers:
            return "partial"
        return "translated" if ace.action == "permit" else "exempt"
    return "exempt"


def _disjoint(a: int | None, b: int | None) -> bool:
    return a is not None and b is not None and a != b
