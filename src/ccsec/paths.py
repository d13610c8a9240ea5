"""The path catalog (MISSION A2/A3): which connections carry customer data and must be protected.

From host roles, ccsec derives the eight supported transport-mode paths of the ICM/CCE security
guide ("IPsec and NAT support", supported communication paths 1–8) — each path is one pair of
interfaces — plus one site tunnel (tunnel mode, between the two sites' gateways) for every pair of
sites that some path crosses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from typing import Literal

from ccsec.deployment.model import Deployment, Gateway, Host, Role, Site

Network = Literal["public", "private", "wan"]

CATALOG_TITLES: dict[int | str, str] = {
    1: "NAM Router ↔ CICM Router",
    2: "Router/Logger side A ↔ side B, public network",
    3: "Router/Logger side A ↔ side B, private network",
    4: "Router ↔ Peripheral Gateway",
    5: "Router/Logger ↔ Admin & Data Server / HDS",
    6: "Router/Logger ↔ admin, real-time & historical, detail data server",
    7: "PG side A ↔ side B",
    8: "PG ↔ Communications Manager",
    "tunnel": "site-to-site tunnel between gateways",
}

SEED_SECTION = "000 「転送モードでの IPSec のサポート」 supported communication paths"


@dataclass(frozen=True)
class PathEnd:
    """One end: a host interface, or a gateway's WAN address for a site tunnel."""

    host: str
    address: IPv4Address
    network: Network
    site: str
    platform: str

    def to_json(self) -> dict[str, str]:
        return {
            "host": self.host,
            "address": str(self.address),
            "network": self.network,
            "site": self.site,
            "platform": self.platform,
        }


@dataclass(frozen=True)
class Path:
    """A protected connection. ``ends[0]`` is the more central end (router before PG…)."""

    id: str
    catalog: int | Literal["tunnel"]
    mode: Literal["transport", "tunnel"]
    auth: Literal["kerberos", "certificate", "psk"]
    ends: tuple[PathEnd, PathEnd]
    #: prefixes each end protects: the host /32 for host paths, the site prefixes for tunnels
    protects: tuple[tuple[IPv4Network, ...], tuple[IPv4Network, ...]]
    #: the address each end uses to reach the other (differs from the end's own address behind NAT)
    peer_address: tuple[IPv4Address, IPv4Address]
    #: a NAT lies between the two ends (index of the NATed end, or None)
    nat_end: int | None = None
    psk_ref: str | None = field(default=None, repr=False)

    @property
    def title(self) -> str:
        return CATALOG_TITLES[self.catalog]

    @property
    def crosses_nat(self) -> bool:
        return self.nat_end is not None

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "catalog": self.catalog,
            "mode": self.mode,
            "auth": self.auth,
            "ends": [e.to_json() for e in self.ends],
            "title": self.title,
            "nat": self.crosses_nat,
        }


def _pairs(hosts: list[Host]) -> dict[str, dict[str, Host]]:
    pairs: dict[str, dict[str, Host]] = {}
    for h in hosts:
        if h.pair and h.side:
            pairs.setdefault(h.pair, {})[h.side] = h
    return pairs


def _candidates(dep: Deployment) -> list[tuple[int, Host, Network, Host, Network]]:
    """Every (catalog, end, network, end, network) the roles call for, in catalog order."""
    hosts = dep.hosts
    out: list[tuple[int, Host, Network, Host, Network]] = []
    nam = [h for h in hosts if h.has(Role.NAM_ROUTER)]
    cicm = [h for h in hosts if h.has(Role.CICM_ROUTER)]
    out += [(1, a, "public", b, "public") for a in nam for b in cicm]
    for sides in _pairs(hosts).values():
        a, b = sides.get("a"), sides.get("b")
        if a is None or b is None:
            continue
        if a.has(Role.ROUTER, Role.LOGGER) and b.has(Role.ROUTER, Role.LOGGER):
            out.append((2, a, "public", b, "public"))
            if a.private and b.private:
                out.append((3, a, "private", b, "private"))
    routers = [h for h in hosts if h.has(Role.ROUTER)]
    pgs = [h for h in hosts if h.has(Role.PG)]
    out += [(4, r, "public", p, "public") for r in routers for p in pgs]
    central = [h for h in hosts if h.has(Role.ROUTER, Role.LOGGER)]
    admin = [h for h in hosts if h.has(Role.AW, Role.HDS, Role.DDS)]
    out += [(6 if d.has(Role.DDS) else 5, c, "public", d, "public") for c in central for d in admin]
    for sides in _pairs(hosts).values():
        a, b = sides.get("a"), sides.get("b")
        if a is not None and b is not None and a.has(Role.PG) and b.has(Role.PG):
            out.append((7, a, "public", b, "public"))
            if a.private and b.private:
                out.append((7, a, "private", b, "private"))
    cucms: dict[str, list[Host]] = {}  # by site: a PG only pairs with its own site's nodes
    for h in hosts:
        if h.has(Role.CUCM):
            cucms.setdefault(h.site, []).append(h)
    out += [(8, p, "public", c, "public") for p in pgs for c in cucms.get(p.site, ())]
    return out


def _address(h: Host, network: Network) -> IPv4Address:
    addr = h.private if network == "private" else h.public
    assert addr is not None  # _candidates only picks private when both ends have one
    return addr


def host_auth(dep: Deployment, a: Host, b: Host) -> Literal["kerberos", "certificate", "psk"]:
    """Kerberos inside one AD domain between Windows hosts; certificates otherwise; PSK in test."""
    if dep.environment == "test" and dep.psk:
        return "psk"
    both_windows = a.platform == "windows" and b.platform == "windows"
    if both_windows and a.domain is not None and a.domain == b.domain:
        return "kerberos"
    return "certificate"


def _nat_end(dep: Deployment, site_a: str, site_b: str) -> int | None:
    if site_a == site_b:
        return None
    if dep.site(site_b).nat is not None:
        return 1
    if dep.site(site_a).nat is not None:
        return 0
    return None


def _host_net(cache: dict[IPv4Address, IPv4Network], addr: IPv4Address) -> IPv4Network:
    net = cache.get(addr)
    if net is None:
        net = cache[addr] = IPv4Network(addr)
    return net


def host_paths(dep: Deployment) -> list[Path]:
    """Catalog paths 1–8, one per pair of interfaces, deterministic order."""
    seen: set[frozenset[tuple[str, str]]] = set()
    paths: list[Path] = []
    nets: dict[IPv4Address, IPv4Network] = {}  # one /32 per address, shared by its paths
    for catalog, a, net_a, b, net_b in _candidates(dep):
        if a.name == b.name:
            continue
        key = frozenset({(a.name, net_a), (b.name, net_b)})
        if key in seen:
            continue
        seen.add(key)
        suffix = "-priv" if net_a == "private" else ""
        addr_a, addr_b = _address(a, net_a), _address(b, net_b)
        auth = host_auth(dep, a, b)
        # with site tunnels the host traffic rides inside the tunnel, exempt from NAT
        nat_end = None if dep.tunnel else _nat_end(dep, a.site, b.site)
        # across a NAT, IKE from the NATed host arrives from the NAT's public address
        reach = [addr_b, addr_a]
        if nat_end is not None:
            nat = dep.site((a, b)[nat_end].site).nat
            assert nat is not None
            reach[1 - nat_end] = nat.public
        paths.append(
            Path(
                id=f"p{catalog}-{a.name}-{b.name}{suffix}",
                catalog=catalog,
                mode="transport",
                auth=auth,
                ends=(
                    PathEnd(a.name, addr_a, net_a, a.site, a.platform),
                    PathEnd(b.name, addr_b, net_b, b.site, b.platform),
                ),
                protects=((_host_net(nets, addr_a),), (_host_net(nets, addr_b),)),
                peer_address=(reach[0], reach[1]),
                nat_end=nat_end,
                psk_ref=dep.psk if auth == "psk" else None,
            )
        )
    return paths


def _site_order(dep: Deployment, x: str, y: str) -> tuple[Site, Site]:
    sx, sy = dep.site(x), dep.site(y)
    key = lambda s: (s.kind != "central", dep.site_position(s.name))  # noqa: E731
    return (sx, sy) if key(sx) <= key(sy) else (sy, sx)


def tunnel_psk(dep: Deployment, ga: Gateway, gb: Gateway) -> str | None:
    if dep.environment != "test":
        return None
    return ga.psk or gb.psk or dep.psk


def wan_reach(site: Site) -> IPv4Address:
    """The address the rest of the WAN uses for this site's gateway (its NAT's, if any)."""
    assert site.gateway is not None
    return site.nat.public if site.nat else site.gateway.wan


def site_tunnels(dep: Deployment, paths: list[Path] | None = None) -> list[Path]:
    """One tunnel per pair of sites crossed by a host path. Sites without a gateway are skipped
    here; ``validate`` reports them."""
    crossings: dict[tuple[str, str], None] = {}  # ordered set: first crossing first
    for p in paths if paths is not None else host_paths(dep):
        a, b = p.ends[0].site, p.ends[1].site
        if a != b:
            pair = tuple(s.name for s in _site_order(dep, a, b))
            crossings.setdefault(pair, None)  # type: ignore[arg-type]
    tunnels = []
    for name_a, name_b in crossings:
        sa, sb = dep.site(name_a), dep.site(name_b)
        ga, gb = sa.gateway, sb.gateway
        if ga is None or gb is None:
            continue
        psk = tunnel_psk(dep, ga, gb)
        tunnels.append(
            Path(
                id=f"t-{sa.name}-{sb.name}",
                catalog="tunnel",
                mode="tunnel",
                auth="psk" if psk else "certificate",
                ends=(
                    PathEnd(ga.name, ga.wan, "wan", sa.name, ga.platform),
                    PathEnd(gb.name, gb.wan, "wan", sb.name, gb.platform),
                ),
                protects=(tuple(sa.prefixes), tuple(sb.prefixes)),
                peer_address=(wan_reach(sb), wan_reach(sa)),
                nat_end=_nat_end(dep, sa.name, sb.name),
                psk_ref=psk,
            )
        )
    return tunnels


def derive(dep: Deployment) -> list[Path]:
    """The paths the deployment's ``protection`` asks for: host paths, tunnels, or both."""
    hosts = host_paths(dep)
    out: list[Path] = list(hosts) if dep.transport else []
    if dep.tunnel:
        out += site_tunnels(dep, hosts)
    return out
