"""Cross-field rules of the deployment file, each reported at the exact field it is about.

Pydantic checks each field on its own; these rules need the whole file (a name used twice, an
address outside its site, a pair with two side-A hosts, a key in production…).  Every rule
returns :class:`Issue` objects whose ``loc`` is a path into the YAML document, which the loader
turns into ``file:line``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from typing import Any

from ccsec.crypto import CAPABILITIES
from ccsec.deployment.model import PRIVATE_NETWORK_ROLES, Deployment, Host, Role

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Issue:
    loc: Loc
    message: str
    fix: str


def _in_prefixes(addr: IPv4Address, prefixes: list[IPv4Network]) -> bool:
    return any(addr in p for p in prefixes)


def _names(dep: Deployment) -> Iterator[Issue]:
    seen: dict[str, Loc] = {}
    for i, s in enumerate(dep.sites):
        if s.name in seen:
            yield Issue(("sites", i, "name"), f"duplicate site name '{s.name}'",
                        "give every site a unique name")
        seen.setdefault(s.name, ("sites", i, "name"))
    ends: dict[str, Loc] = {}
    items: list[tuple[str, Loc]] = [(h.name, ("hosts", i, "name")) for i, h in enumerate(dep.hosts)]
    items += [
        (s.gateway.name, ("sites", i, "gateway", "name"))
        for i, s in enumerate(dep.sites)
        if s.gateway is not None
    ]
    folded: dict[str, str] = {}
    for name, loc in items:
        if name in ends:
            yield Issue(loc, f"duplicate name '{name}' (hosts and gateways share one namespace)",
                        "rename one of them: each name becomes an output directory")
        elif name.lower() in folded:
            first = folded[name.lower()]
            yield Issue(loc, f"name '{name}' differs from '{first}' only in case",
                        "rename one of them: Windows, DNS and the audit's matching of "
                        "configurations to hosts ignore case, and each name becomes an "
                        "output directory")
        ends.setdefault(name, loc)
        folded.setdefault(name.lower(), name)
    nets: set[str] = set()
    for i, n in enumerate(dep.agent_networks):
        if n.name in nets:
            yield Issue(("agent_networks", i, "name"), f"duplicate agent network '{n.name}'",
                        "give every agent network a unique name")
        nets.add(n.name)


def _address_uses(dep: Deployment) -> Iterator[tuple[IPv4Address, Loc]]:
    for i, h in enumerate(dep.hosts):
        yield h.public, ("hosts", i, "public")
        if h.private is not None:
            yield h.private, ("hosts", i, "private")
    for i, s in enumerate(dep.sites):
        if s.gateway is not None:
            yield s.gateway.wan, ("sites", i, "gateway", "wan")
            yield gateway_lan(dep, i), ("sites", i, "gateway", "lan")
        if s.nat is not None:
            yield s.nat.public, ("sites", i, "nat", "public")


def gateway_lan(dep: Deployment, site_index: int) -> IPv4Address:
    """The gateway's LAN address: as given, else the first address of the site's first prefix."""
    site = dep.sites[site_index]
    assert site.gateway is not None
    if site.gateway.lan is not None:
        return site.gateway.lan
    return next(site.prefixes[0].hosts())


def describe(dep: Deployment, loc: Loc) -> str:
    """A location as the user reads it: ``hosts[rgr-b].public`` rather than ``hosts.1.public``."""
    out = ""
    items: Any = dep  # walks models and lists alike, by attribute name or index
    for part in loc:
        if isinstance(part, int):
            items = items[part]
            name = getattr(items, "name", None)
            out += f"[{name}]" if name else f"[{part}]"
        else:
            items = getattr(items, part, None)
            out += ("." if out else "") + part
    return out


def _addresses(dep: Deployment) -> Iterator[Issue]:
    seen: dict[IPv4Address, Loc] = {}
    for addr, loc in _address_uses(dep):
        if addr in seen:
            other = describe(dep, seen[addr])
            yield Issue(loc, f"address {addr} is already used by {other}",
                        "every interface needs its own address")
        seen.setdefault(addr, loc)


class _Prefixes:
    """Prefixes seen so far, indexed so that finding the ones overlapping a new prefix does
    not scan them all (1,000-site files): each prefix is filed under its own key
    ``(length, address >> host bits)`` and under the key of every shorter prefix containing
    it.  Look-ups return matches in the order they were added, as a scan would."""

    def __init__(self) -> None:
        self.items: list[tuple[IPv4Network, str]] = []
        self.exact: dict[tuple[int, int], list[int]] = {}
        self.inside: dict[tuple[int, int], list[int]] = {}
        self.lengths: set[int] = set()

    @staticmethod
    def _key(value: int, plen: int) -> tuple[int, int]:
        return plen, value >> (32 - plen)

    def add(self, net: IPv4Network, owner: str) -> None:
        n, value, plen = len(self.items), int(net.network_address), net.prefixlen
        self.items.append((net, owner))
        self.exact.setdefault(self._key(value, plen), []).append(n)
        for shorter in range(plen):
            self.inside.setdefault(self._key(value, shorter), []).append(n)
        self.lengths.add(plen)

    def _containing(self, value: int, limit: int) -> set[int]:
        return {n for plen in self.lengths if plen <= limit
                for n in self.exact.get(self._key(value, plen), ())}

    def overlapping(self, net: IPv4Network) -> list[tuple[IPv4Network, str]]:
        """Earlier prefixes overlapping ``net`` (for CIDR blocks: one contains the other)."""
        value, plen = int(net.network_address), net.prefixlen
        found = self._containing(value, plen) | set(self.inside.get(self._key(value, plen), ()))
        return [self.items[n] for n in sorted(found)]

    def containing(self, addr: IPv4Address) -> list[tuple[IPv4Network, str]]:
        return [self.items[n] for n in sorted(self._containing(int(addr), 32))]


def _prefixes(dep: Deployment) -> Iterator[Issue]:
    owners = _Prefixes()
    for i, s in enumerate(dep.sites):
        for j, p in enumerate(s.prefixes):
            for q, other in owners.overlapping(p):
                yield Issue(("sites", i, "prefixes", j),
                            f"prefix {p} overlaps {q} of site '{other}'",
                            "site prefixes must be disjoint (they become tunnel selectors)")
            owners.add(p, s.name)
        if s.gateway is not None:
            lan = gateway_lan(dep, i)
            if not _in_prefixes(lan, s.prefixes):
                yield Issue(("sites", i, "gateway", "lan"),
                            f"gateway LAN address {lan} is outside the site's prefixes",
                            "use an address inside the site's prefixes")
            if _in_prefixes(s.gateway.wan, s.prefixes):
                yield Issue(("sites", i, "gateway", "wan"),
                            f"WAN address {s.gateway.wan} lies inside the site's own prefixes",
                            "the WAN address belongs to the provider network, not the LAN")
        if s.nat is not None:
            for q, other in owners.containing(s.nat.public):
                yield Issue(("sites", i, "nat", "public"),
                            f"NAT public address {s.nat.public} is inside prefix {q} of "
                            f"site '{other}'", "use the NAT device's outside address")
    for i, s in enumerate(dep.sites):  # against every site's prefixes, later ones included
        if s.gateway is None:
            continue
        for q, other in owners.containing(s.gateway.wan):
            if other != s.name:
                yield Issue(("sites", i, "gateway", "wan"),
                            f"WAN address {s.gateway.wan} lies inside prefix {q} of site "
                            f"'{other}'",
                            "the WAN address is the provider side of this gateway; a tunnel "
                            f"to '{other}' would carry its own IKE traffic — fix the address "
                            "or that site's prefixes")


def _host_refs(dep: Deployment) -> Iterator[Issue]:
    sites = {s.name: s for s in dep.sites}
    for i, h in enumerate(dep.hosts):
        site = sites.get(h.site)
        if site is None:
            yield Issue(("hosts", i, "site"), f"unknown site '{h.site}'",
                        f"use one of: {', '.join(sites) or '(no sites defined)'}")
        else:
            for field in ("public", "private"):
                addr = getattr(h, field)
                if addr is not None and not _in_prefixes(addr, site.prefixes):
                    pfx = ", ".join(str(p) for p in site.prefixes)
                    yield Issue(("hosts", i, field),
                                f"address {addr} is outside site '{site.name}' prefixes ({pfx})",
                                "fix the address or add its prefix to the site")
        if h.domain is not None and h.domain not in dep.domains:
            yield Issue(("hosts", i, "domain"), f"unknown domain '{h.domain}'",
                        "add it to the top-level domains: list, or fix the spelling")
        if h.private is not None and not any(r in PRIVATE_NETWORK_ROLES for r in h.roles):
            roles = ", ".join(r.value for r in h.roles)
            yield Issue(("hosts", i, "private"),
                        f"role(s) {roles} have no private network",
                        "only router, logger, nam-router, cicm-router and pg hosts have a private "
                        "address; remove it")
        if (h.pair is None) != (h.side is None):
            missing = "side" if h.side is None else "pair"
            yield Issue(("hosts", i, missing),
                        f"'pair' and 'side' go together; {missing} is missing",
                        "give both pair: NAME and side: a|b, or neither")
        if h.os is not None and h.os.value not in CAPABILITIES:
            yield Issue(("hosts", i, "os"), f"unknown os '{h.os}'", "use windows, linux or cucm")
    for i, n in enumerate(dep.agent_networks):
        site = sites.get(n.site)
        if site is None:
            yield Issue(("agent_networks", i, "site"), f"unknown site '{n.site}'",
                        f"use one of: {', '.join(sites)}")
        elif not any(n.prefix.subnet_of(p) for p in site.prefixes):
            yield Issue(("agent_networks", i, "prefix"),
                        f"agent network {n.prefix} is outside site '{site.name}' prefixes",
                        "agent networks are part of their site's address space")


def _pairs(dep: Deployment) -> Iterator[Issue]:
    by_pair: dict[str, dict[str, tuple[int, Host]]] = {}
    for i, h in enumerate(dep.hosts):
        if h.pair is None or h.side is None:
            continue
        sides = by_pair.setdefault(h.pair, {})
        if h.side in sides:
            other = sides[h.side][1].name
            yield Issue(("hosts", i, "side"),
                        f"pair '{h.pair}' already has side {h.side} ({other})",
                        "a redundant pair has one side a and one side b")
            continue
        sides[h.side] = (i, h)
    for sides in by_pair.values():
        if "a" in sides and "b" in sides:
            (_, a), (j, b) = sides["a"], sides["b"]
            if set(a.roles) != set(b.roles):
                yield Issue(("hosts", j, "roles"),
                            f"side b ({b.name}) has roles {sorted(r.value for r in b.roles)} but "
                            f"side a ({a.name}) has {sorted(r.value for r in a.roles)}",
                            "both sides of a redundant pair run the same roles")


def _clusters(dep: Deployment) -> Iterator[Issue]:
    """``cluster:`` names a Communications Manager cluster: on a cucm node its own, on a PG the
    one it talks to; a PG cannot name a cluster no node belongs to."""
    known = {h.cluster for h in dep.hosts if h.cluster and Role.CUCM in h.roles}
    for i, h in enumerate(dep.hosts):
        if h.cluster is None or Role.CUCM in h.roles:
            continue
        if Role.PG not in h.roles:
            yield Issue(("hosts", i, "cluster"),
                        f"cluster: is for Communications Manager nodes and PGs, not for "
                        f"roles {', '.join(r.value for r in h.roles)}",
                        "remove it (or give the host the cucm or pg role)")
        elif h.cluster not in known:
            yield Issue(("hosts", i, "cluster"),
                        f"no Communications Manager node belongs to cluster '{h.cluster}'",
                        f"use one of: {', '.join(sorted(known))}" if known else
                        "add cluster: NAME to the cucm hosts of that cluster")


def _secrets(dep: Deployment) -> Iterator[Issue]:
    if dep.environment != "production":
        return
    fix = "use certificates (pki: root_ca) in production, or set environment: test for a lab"
    if dep.psk is not None:
        yield Issue(("psk",), "pre-shared keys are refused in production (weak, stored in clear "
                    "text; the guide allows them for testing only)", fix)
    for i, s in enumerate(dep.sites):
        if s.gateway is not None and s.gateway.psk is not None:
            yield Issue(("sites", i, "gateway", "psk"),
                        "pre-shared keys are refused in production", fix)


def _gateways(dep: Deployment) -> Iterator[Issue]:
    for i, s in enumerate(dep.sites):
        if s.nat is not None and s.gateway is None and dep.tunnel:
            yield Issue(("sites", i, "nat"), "a site behind NAT needs a gateway for its tunnel",
                        "add gateway: {name, platform, wan} to the site")
        g = s.gateway
        if g is not None and g.tunnel == "vti" and g.platform != "ios":
            yield Issue(("sites", i, "gateway", "tunnel"), "tunnel: vti is an IOS option",
                        "use tunnel: crypto-map, or platform: ios")


RULES = (_names, _addresses, _prefixes, _host_refs, _pairs, _clusters, _secrets, _gateways)


# --------------------------------------------------------------------------- warnings


def _one_sided_pairs(dep: Deployment) -> Iterator[Issue]:
    """A redundant pair with one side gets none of its side-to-side paths (2, 3, 7); a
    simplex lab may mean it, a typo in ``pair:`` does not."""
    by_pair: dict[str, list[int]] = {}
    for i, h in enumerate(dep.hosts):
        if h.pair is not None:
            by_pair.setdefault(h.pair, []).append(i)
    for name, members in by_pair.items():
        if len(members) == 1:
            i = members[0]
            h = dep.hosts[i]
            other = "b" if h.side == "a" else "a"
            yield Issue(("hosts", i, "pair"),
                        f"pair '{name}' has only side {h.side} ({h.name}): its side-to-side "
                        "paths (catalog 2, 3, 7) are not derived",
                        f"add the side-{other} host with pair: {name}, or remove pair: and "
                        "side: for a simplex host")


def _servers_in_agent_networks(dep: Deployment) -> Iterator[Issue]:
    """A server inside an agent (desktop) network: its traffic is judged as desktop traffic
    (silent monitoring, NAT) — usually a prefix typed too wide."""
    if not dep.agent_networks:
        return
    nets = _Prefixes()
    for n in dep.agent_networks:
        nets.add(n.prefix, n.name)
    for i, h in enumerate(dep.hosts):
        for field in ("public", "private"):
            addr = getattr(h, field)
            if addr is None:
                continue
            for prefix, name in nets.containing(addr):
                yield Issue(("hosts", i, field),
                            f"server address {addr} lies inside agent network '{name}' "
                            f"({prefix})",
                            "narrow the agent network's prefix, or move the server out of the "
                            "desktop range")


#: rules whose findings a user might mean: reported as warnings (errors with ``--strict``)
WARNINGS = (_one_sided_pairs, _servers_in_agent_networks)


def advise(dep: Deployment, checks: Sequence[Check] = ()) -> list[Issue]:
    """Warnings about a valid deployment (and the later layers' ``checks`` of the same kind):
    what is legal but most often a mistake."""
    return [issue for rule in (*WARNINGS, *checks) for issue in rule(dep)]


#: a rule over the whole deployment (here, or one a later layer adds: see ``loads(checks=)``)
Check = Callable[[Deployment], Iterable[Issue]]


def validate(dep: Deployment, checks: Sequence[Check] = ()) -> list[Issue]:
    """All cross-field issues; the later layers' ``checks`` (the path catalog's: a crossed
    site needs a gateway, certificates need a CA) run only when the basics are sound."""
    issues = [issue for rule in RULES for issue in rule(dep)]
    if not issues:
        issues = [issue for check in checks for issue in check(dep)]
    return issues
