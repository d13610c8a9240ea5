"""The deployment as namespaces and links: pure planning, no side effects (unit-testable).

Per site: a gateway namespace (``lan0`` + ``wan0``; a plain router when the site has no
gateway), a switch namespace holding the site LAN bridge (so the gateway's fail-closed forward
policy never sees host-to-host traffic of its own LAN), a probe namespace (a non-IPsec LAN
client that drives site-tunnel traffic) and, with ``nat:``, a NAT namespace masquerading the
gateway.  One namespace per selected host.  An ``internet`` namespace joins the sites.

The internet is the leak tests' worst case (lab recipe, "direct" variant): it holds routes to
every site prefix, so a clear-text packet that escaped a gateway *would* be delivered.  Every
WAN link is point-to-point: the site side has its deployment address as a /32 and reaches a lab
router address (outside every deployment prefix) on-link, so any WAN addressing works.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from ipaddress import IPv4Address, IPv4Network
from typing import Literal

from pydantic import BaseModel, ConfigDict

from ccsec.deployment.model import Deployment, Site
from ccsec.deployment.validate import gateway_lan
from ccsec.lab.errors import lab_error

NodeKind = Literal["internet", "nat", "gateway", "router", "switch", "host", "probe"]
#: lab-internal address pools (RFC 6598 shared space, then RFC 2544 benchmarking space)
POOLS = (IPv4Network("100.64.0.0/10"), IPv4Network("198.18.0.0/15"))
SCAN_LIMIT = 65536


class _M(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Node(_M):
    ns: str
    kind: NodeKind
    #: deployment object: host or gateway name, site name for routers/switches/probes/NATs
    name: str
    site: str | None = None


class Link(_M):
    a_ns: str
    a_if: str
    b_ns: str
    b_if: str


class CapturePoint(_M):
    ns: str
    iface: str
    kind: Literal["wan", "lan"]
    site: str
    label: str


class SiteLayout(_M):
    name: str
    gateway: str | None
    gw_ns: str
    switch_ns: str
    probe_ns: str
    probe: IPv4Address
    lan: IPv4Address
    #: the gateway's address in each further site prefix: charon installs every TUN route with
    #: a source address inside the local selector, and fails ("installing trap failed") if
    #: the gateway has none there
    lan_more: tuple[IPv4Address, ...] = ()
    wan: IPv4Address
    prefixes: tuple[IPv4Network, ...]
    nat_ns: str | None = None
    nat_public: IPv4Address | None = None


class Topology(_M):
    prefix: str
    nodes: tuple[Node, ...]
    links: tuple[Link, ...]
    #: per namespace: ``ip`` batch lines run after the links exist
    config: dict[str, tuple[tuple[str, ...], ...]]
    sysctls: dict[str, dict[str, str]]
    #: per NAT namespace: its nftables masquerade ruleset
    nat_rules: dict[str, str]
    captures: tuple[CapturePoint, ...]
    sites: dict[str, SiteLayout]
    #: selected host → namespace
    hosts: dict[str, str]
    internet_ns: str

    def node(self, ns: str) -> Node:
        return next(n for n in self.nodes if n.ns == ns)

    def ns_of(self, owner: str) -> str:
        """The namespace of a host or gateway (by its deployment name)."""
        if owner in self.hosts:
            return self.hosts[owner]
        for s in self.sites.values():
            if s.gateway == owner:
                return s.gw_ns
        raise KeyError(owner)


def nat_ruleset(port_range: tuple[int, int] | None = None) -> str:
    """The NAT namespace's masquerade; with a port range, UDP gets new source ports (rebinding).

    nft needs ``meta l4proto udp`` before a port range (lab recipe, pitfall 12).
    """
    ranged = ""
    if port_range:
        ranged = (f'    oifname "wan0" meta l4proto udp masquerade to :{port_range[0]}-'
                  f"{port_range[1]}\n")
    return (
        "table ip ccsec_nat {\n"
        "  chain postrouting {\n"
        "    type nat hook postrouting priority srcnat; policy accept;\n"
        f'{ranged}    oifname "wan0" masquerade\n'
        "  }\n"
        "}\n"
    )


class _Addresses:
    """Deployment addresses in use, and lab addresses allocated around them."""

    def __init__(self, dep: Deployment) -> None:
        self.nets = [p for s in dep.sites for p in s.prefixes]
        self.used: set[IPv4Address] = set()
        for h in dep.hosts:
            self.used.add(h.public)
            if h.private is not None:
                self.used.add(h.private)
        for i, s in enumerate(dep.sites):
            if s.gateway is not None:
                self.used |= {s.gateway.wan, gateway_lan(dep, i)}
            if s.nat is not None:
                self.used.add(s.nat.public)

    def outside(self) -> IPv4Address:
        """A free address outside every site prefix (for lab routers and routerless sites)."""
        for pool in POOLS:
            if any(pool.overlaps(n) and pool.subnet_of(n) for n in self.nets):
                continue
            for n, addr in enumerate(pool.hosts()):
                if n >= SCAN_LIMIT:
                    break
                if addr not in self.used and not any(addr in p for p in self.nets):
                    self.used.add(addr)
                    return addr
        raise lab_error("no free lab address outside the deployment's prefixes",
                        fix="the lab needs one free address in 100.64.0.0/10 or 198.18.0.0/15")

    def inside(self, prefix: IPv4Network, from_top: bool) -> IPv4Address:
        """A free address of ``prefix`` (lowest or highest first)."""
        hosts = prefix.hosts()
        if from_top:
            top = int(prefix.broadcast_address) - (1 if prefix.prefixlen < 31 else 0)
            hosts = (IPv4Address(top - k) for k in range(prefix.num_addresses))
        for n, addr in enumerate(hosts):
            if n >= SCAN_LIMIT or addr not in prefix:
                break
            if addr not in self.used and addr != prefix.network_address:
                self.used.add(addr)
                return addr
        raise lab_error(f"no free address left in {prefix} for the lab's LAN probe",
                        fix="leave one address of the site's first prefix unused")


def _plen(addr: IPv4Address, site: Site) -> int:
    return next(p.prefixlen for p in site.prefixes if addr in p)


def select_hosts(dep: Deployment, hosts: Iterable[str] | None) -> list[str]:
    """The hosts the lab runs: all by default, else exactly the named ones (checked)."""
    known = [h.name for h in dep.hosts]
    if hosts is None:
        return known
    wanted = list(dict.fromkeys(hosts))
    unknown = [h for h in wanted if h not in known]
    if unknown:
        raise lab_error(f"unknown host(s) in --hosts: {', '.join(unknown)}",
                        fix=f"use names from the deployment: {', '.join(known) or '(none)'}")
    return [h for h in known if h in wanted]


def build(dep: Deployment, prefix: str, hosts: Iterable[str] | None = None) -> Topology:
    """Plan every namespace, link, address and route for ``dep`` (nothing is created here)."""
    alloc = _Addresses(dep)
    inet_addr = alloc.outside()
    nat_inside = alloc.outside()
    inet = f"{prefix}inet"
    nodes = [Node(ns=inet, kind="internet", name="internet")]
    links: list[Link] = []
    config: dict[str, list[tuple[str, ...]]] = {inet: [("link", "set", "lo", "up")]}
    captures: list[CapturePoint] = []
    sites: dict[str, SiteLayout] = {}
    nat_rules: dict[str, str] = {}
    for i, site in enumerate(dep.sites):
        layout = _site(dep, i, site, prefix, alloc, nat_inside, inet_addr)
        sites[site.name] = layout
        nodes += _site_nodes(site, layout)
        links += _site_links(layout, i, inet)
        config.update(_site_config(layout, inet_addr, nat_inside))
        config[inet] += _internet_side(layout, i, inet_addr)
        captures.append(CapturePoint(ns=inet, iface=f"s{i}", kind="wan", site=site.name,
                                     label=f"internet<->{site.name}"))
        if layout.nat_ns:
            nat_rules[layout.nat_ns] = nat_ruleset()
            captures.append(CapturePoint(ns=layout.nat_ns, iface="lan0", kind="wan",
                                         site=site.name, label=f"nat<->{site.name} gateway"))
        captures.append(CapturePoint(ns=layout.switch_ns, iface="br0", kind="lan",
                                     site=site.name, label=f"{site.name} LAN"))
    host_ns: dict[str, str] = {}
    for name in select_hosts(dep, hosts):
        h = dep.host(name)
        ns = f"{prefix}h-{h.name}"
        host_ns[h.name] = ns
        layout = sites[h.site]
        site = dep.site(h.site)
        nodes.append(Node(ns=ns, kind="host", name=h.name, site=h.site))
        port = f"h{len(host_ns) - 1}"
        links.append(Link(a_ns=ns, a_if="eth0", b_ns=layout.switch_ns, b_if=port))
        config[layout.switch_ns].extend([("link", "set", port, "master", "br0"),
                                         ("link", "set", port, "up")])
        addrs = [h.public] + ([h.private] if h.private is not None else [])
        config[ns] = [("link", "set", "lo", "up"), ("link", "set", "eth0", "up")]
        config[ns] += [("addr", "add", f"{a}/{_plen(a, site)}", "dev", "eth0") for a in addrs]
        config[ns].append(("route", "add", "default", "via", str(layout.lan), "dev", "eth0"))
    return Topology(
        prefix=prefix,
        nodes=tuple(nodes),
        links=tuple(links),
        config={k: tuple(v) for k, v in config.items()},
        sysctls={n.ns: _sysctls(n.kind) for n in nodes},
        nat_rules=nat_rules,
        captures=tuple(captures),
        sites=sites,
        hosts=host_ns,
        internet_ns=inet,
    )


def _site(dep: Deployment, i: int, site: Site, prefix: str, alloc: _Addresses,
          nat_inside: IPv4Address, inet_addr: IPv4Address) -> SiteLayout:
    first = site.prefixes[0]
    if site.gateway is not None:
        gw_ns, lan, wan = f"{prefix}gw-{site.gateway.name}", gateway_lan(dep, i), site.gateway.wan
    else:
        gw_ns, lan, wan = f"{prefix}rt-{site.name}", alloc.inside(first, False), alloc.outside()
    return SiteLayout(
        name=site.name,
        gateway=site.gateway.name if site.gateway else None,
        gw_ns=gw_ns,
        switch_ns=f"{prefix}sw-{site.name}",
        probe_ns=f"{prefix}pr-{site.name}",
        probe=alloc.inside(first, True),
        lan=lan,
        lan_more=tuple(alloc.inside(p, False) for p in site.prefixes[1:]),
        wan=wan,
        prefixes=tuple(site.prefixes),
        nat_ns=f"{prefix}nat-{site.name}" if site.nat else None,
        nat_public=site.nat.public if site.nat else None,
    )


def _site_nodes(site: Site, s: SiteLayout) -> Iterator[Node]:
    yield Node(ns=s.gw_ns, kind="gateway" if s.gateway else "router",
               name=s.gateway or site.name, site=site.name)
    yield Node(ns=s.switch_ns, kind="switch", name=site.name, site=site.name)
    yield Node(ns=s.probe_ns, kind="probe", name=site.name, site=site.name)
    if s.nat_ns:
        yield Node(ns=s.nat_ns, kind="nat", name=site.name, site=site.name)


def _site_links(s: SiteLayout, i: int, inet: str) -> list[Link]:
    out = [
        Link(a_ns=s.gw_ns, a_if="lan0", b_ns=s.switch_ns, b_if="gw"),
        Link(a_ns=s.probe_ns, a_if="eth0", b_ns=s.switch_ns, b_if="pr"),
    ]
    if s.nat_ns:
        out += [Link(a_ns=s.gw_ns, a_if="wan0", b_ns=s.nat_ns, b_if="lan0"),
                Link(a_ns=s.nat_ns, a_if="wan0", b_ns=inet, b_if=f"s{i}")]
    else:
        out.append(Link(a_ns=s.gw_ns, a_if="wan0", b_ns=inet, b_if=f"s{i}"))
    return out


def _site_config(s: SiteLayout, inet_addr: IPv4Address,
                 nat_inside: IPv4Address) -> dict[str, list[tuple[str, ...]]]:
    first = s.prefixes[0]
    up = nat_inside if s.nat_ns else inet_addr
    gw: list[tuple[str, ...]] = [("link", "set", n, "up") for n in ("lo", "lan0", "wan0")]
    gw.append(("addr", "add", f"{s.lan}/{first.prefixlen}", "dev", "lan0"))
    gw += [("addr", "add", f"{a}/{p.prefixlen}", "dev", "lan0")
           for a, p in zip(s.lan_more, s.prefixes[1:], strict=True)]
    gw += [("addr", "add", f"{s.wan}/32", "dev", "wan0"),
           ("route", "add", f"{up}/32", "dev", "wan0"),
           ("route", "add", "default", "via", str(up), "dev", "wan0")]
    sw: list[tuple[str, ...]] = [("link", "add", "br0", "type", "bridge"),
                                 ("link", "set", "br0", "up")]
    for port in ("gw", "pr"):
        sw += [("link", "set", port, "master", "br0"), ("link", "set", port, "up")]
    probe: list[tuple[str, ...]] = [
        ("link", "set", "lo", "up"), ("link", "set", "eth0", "up"),
        ("addr", "add", f"{s.probe}/{first.prefixlen}", "dev", "eth0"),
        ("route", "add", "default", "via", str(s.lan), "dev", "eth0"),
    ]
    out = {s.gw_ns: gw, s.switch_ns: sw, s.probe_ns: probe}
    if s.nat_ns and s.nat_public:
        nat: list[tuple[str, ...]] = [("link", "set", n, "up") for n in ("lo", "lan0", "wan0")]
        nat += [("addr", "add", f"{nat_inside}/32", "dev", "lan0"),
                ("route", "add", f"{s.wan}/32", "dev", "lan0")]
        # worst case: the NAT router also routes (does not translate) traffic to the site
        nat += [("route", "add", str(p), "via", str(s.wan), "dev", "lan0", "onlink")
                for p in s.prefixes]
        nat += [("addr", "add", f"{s.nat_public}/32", "dev", "wan0"),
                ("route", "add", f"{inet_addr}/32", "dev", "wan0"),
                ("route", "add", "default", "via", str(inet_addr), "dev", "wan0")]
        out[s.nat_ns] = nat
    return out


def _internet_side(s: SiteLayout, i: int, inet_addr: IPv4Address) -> list[tuple[str, ...]]:
    dev = f"s{i}"
    reach = s.nat_public or s.wan
    out: list[tuple[str, ...]] = [
        ("link", "set", dev, "up"),
        ("addr", "add", f"{inet_addr}/32", "dev", dev),
        ("route", "add", f"{reach}/32", "dev", dev),
    ]
    # worst case for leak tests: the internet delivers clear text to every site prefix
    out += [("route", "add", str(p), "via", str(reach), "dev", dev, "onlink") for p in s.prefixes]
    return out


def _sysctls(kind: NodeKind) -> dict[str, str]:
    out = {
        "net.ipv6.conf.all.disable_ipv6": "1",  # IPv4-only lab: quiet captures
        "net.ipv6.conf.default.disable_ipv6": "1",
        "net.ipv4.conf.all.rp_filter": "0",
        "net.ipv4.conf.default.rp_filter": "0",
    }
    if kind in ("internet", "nat", "gateway", "router"):
        out["net.ipv4.ip_forward"] = "1"
    if kind == "switch":
        # the bridge is a plain switch: never hand bridged frames to (any) netfilter
        out["net.bridge.bridge-nf-call-iptables"] = "0"
    return out

