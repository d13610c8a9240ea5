"""The path catalog: which connections carry customer data and must be protected.

From host roles, ccsec derives the eight supported transport-mode paths of the ICM/CCE security
guide ("IPsec and NAT support", supported communication paths 1–8) — each path is one pair of
interfaces — plus one site tunnel (tunnel mode, between the two sites' gateways) for every pair of
sites that some path crosses.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path as FsPath
from typing import Literal

from ccsec.deployment.demo import demo_text
from ccsec.deployment.load import load, loads
from ccsec.deployment.locate import locate
from ccsec.deployment.model import Deployment, Gateway, Host, Role, Site
from ccsec.deployment.validate import Check, Issue, advise
from ccsec.errors import DeploymentError, Problem

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
    clusters = cucm_clusters(dep)
    by_site = clusters_by_site(clusters)
    out += [(8, p, "public", c, "public") for p in pgs
            for name in pg_clusters(p, clusters, by_site) for c in clusters[name]]
    return out


def cluster_of(h: Host) -> str:
    """The Communications Manager cluster of a cucm node: its ``cluster:``, or one implicit
    cluster per site for nodes that name none (``site:NAME``, a name no user can write)."""
    return h.cluster or f"site:{h.site}"


def cucm_clusters(dep: Deployment) -> dict[str, list[Host]]:
    """Every Communications Manager cluster and its nodes, in file order."""
    clusters: dict[str, list[Host]] = {}
    for h in dep.hosts:
        if h.has(Role.CUCM):
            clusters.setdefault(cluster_of(h), []).append(h)
    return clusters


def clusters_by_site(clusters: dict[str, list[Host]]) -> dict[str, list[str]]:
    """Site → the clusters with a node there, in cluster order."""
    out: dict[str, list[str]] = {}
    for name, nodes in clusters.items():
        for site in dict.fromkeys(n.site for n in nodes):
            out.setdefault(site, []).append(name)
    return out


def pg_clusters(pg: Host, clusters: dict[str, list[Host]],
                by_site: dict[str, list[str]]) -> list[str]:
    """The clusters a PG talks to (catalog path 8 goes to every node of each): the one it
    names with ``cluster:``, else every cluster with a node in the PG's own site."""
    if pg.cluster is not None:
        return [pg.cluster] if pg.cluster in clusters else []
    return by_site.get(pg.site, [])


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


#: the host paths of the last deployment asked about.  Loading a deployment checks them
#: (:func:`catalog_issues`), then the plan, the audit's coverage and the report derive them
#: again — 0.3 s each at 1,000 sites.  A deployment is frozen, so its paths never change; the
#: identity test keeps any other deployment (a copy with changes too) from getting them.
_LAST: tuple[Deployment, tuple[Path, ...]] | None = None


def host_paths(dep: Deployment) -> list[Path]:
    """Catalog paths 1–8, one per pair of interfaces, deterministic order (a new list each
    call: the caller may change it)."""
    global _LAST
    if _LAST is None or _LAST[0] is not dep:
        _LAST = (dep, tuple(_host_paths(dep)))
    return list(_LAST[1])


def _host_paths(dep: Deployment) -> list[Path]:
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
            first, second = _site_order(dep, a, b)
            crossings.setdefault((first.name, second.name), None)
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


# ----------------------------------------------------------- deployment rules


def catalog_issues(dep: Deployment) -> Iterator[Issue]:
    """Deployment rules that need the derived paths: a gateway for every crossed site, the
    same tunnel style at both ends of a VTI, a CA where a path needs certificates.  They live
    here, above the deployment package, and the loader runs them through ``checks=``."""
    paths = host_paths(dep)
    site_index = {s.name: i for i, s in enumerate(dep.sites)}
    host_index = {h.name: i for i, h in enumerate(dep.hosts)}
    if dep.tunnel:
        reported: set[str] = set()
        for p in paths:
            for end in p.ends:
                a, b = p.ends[0].site, p.ends[1].site
                if a == b or end.site in reported:
                    continue
                if dep.sites[site_index[end.site]].gateway is None:
                    reported.add(end.site)
                    yield Issue(("sites", site_index[end.site]),
                                f"path {p.id} crosses site '{end.site}', which has no gateway "
                                "for its site tunnel",
                                "add gateway: {name, platform, wan}, or set protection: transport")
        crossed: dict[str, list[str]] = {}  # site → the other site of each path, in order
        for p in paths:
            a, b = p.ends[0].site, p.ends[1].site
            if a != b:
                crossed.setdefault(a, []).append(b)
                crossed.setdefault(b, []).append(a)
        for i, s in enumerate(dep.sites):
            if s.gateway is not None and s.gateway.tunnel == "vti":
                for far in crossed.get(s.name, ()):
                    other = dep.site(far).gateway
                    if other is not None and other.tunnel != "vti":
                        yield Issue(("sites", i, "gateway", "tunnel"),
                                    f"a VTI needs a VTI at the other end ({other.name} uses "
                                    f"{other.tunnel})",
                                    "use the same tunnel style at both ends")
                        break
    if dep.pki is None:
        fix = "add pki: {root_ca: \"CN=…\"} (or, for a lab only, environment: test with psk:)"
        if dep.transport:
            for p in paths:
                if p.auth == "certificate":
                    why = ("different AD domains" if {e.platform for e in p.ends} == {"windows"}
                           else "Kerberos needs two Windows hosts in one AD domain")
                    yield Issue(("hosts", host_index[p.ends[1].host]),
                                f"path {p.id} needs certificates ({why}) but no root CA is named",
                                fix)
                    break
        if dep.tunnel:
            for t in site_tunnels(dep, paths):
                if t.auth == "certificate":
                    yield Issue(("sites", site_index[t.ends[0].site], "gateway"),
                                f"site tunnel {t.id} authenticates with certificates, but no "
                                "root CA is named", fix)
                    break


def catalog_warnings(dep: Deployment) -> Iterator[Issue]:
    """Paths a user probably expected but the file does not give: a PG with no
    Communications Manager cluster while the deployment has one, a private network on one
    side of a pair only.  Warnings: a user may mean them (``--strict`` makes them errors)."""
    clusters = cucm_clusters(dep)
    by_site = clusters_by_site(clusters)
    for i, h in enumerate(dep.hosts):
        if clusters and h.has(Role.PG) and h.cluster is None and \
                not pg_clusters(h, clusters, by_site):
            named = sorted(c for c in clusters if not c.startswith("site:"))
            yield Issue(("hosts", i, "roles"),
                        f"PG {h.name} gets no path to Communications Manager (catalog 8): no "
                        f"cluster has a node in site '{h.site}'",
                        "name the cluster it talks to with cluster: NAME"
                        + (f" (clusters: {', '.join(named)})" if named else
                           " and give its cucm nodes the same cluster: NAME"))
    for sides in _pairs(dep.hosts).values():
        a, b = sides.get("a"), sides.get("b")
        if a is None or b is None or (a.private is None) == (b.private is None):
            continue
        if not (a.has(Role.ROUTER, Role.LOGGER, Role.PG) and b.has(Role.ROUTER, Role.LOGGER,
                                                                    Role.PG)):
            continue
        has, lacks = (a, b) if a.private is not None else (b, a)
        yield Issue(("hosts", dep.hosts.index(lacks), "public"),
                    f"{has.name} has a private address but its other side {lacks.name} has "
                    "none: the private-network path between them is not derived",
                    f"add private: to {lacks.name}, or remove it from {has.name}")


#: the checks :func:`ccsec.deployment.loads` runs for every command that derives paths
DEPLOYMENT_CHECKS: tuple[Check, ...] = (catalog_issues,)
#: the warnings of the same layer (:func:`deployment_warnings`)
DEPLOYMENT_WARNINGS: tuple[Check, ...] = (catalog_warnings,)


def deployment_warnings(dep: Deployment) -> list[Issue]:
    """What is valid but most often a mistake (a pair with one side, a server inside an agent
    network, a PG without Communications Manager…), each at the field it is about."""
    return advise(dep, DEPLOYMENT_WARNINGS)


def load_deployment(source: str | FsPath, strict: bool = False) -> Deployment:
    """A deployment file validated with the path catalog's rules too (what every command and
    the API load); the word ``demo`` means the bundled example.  ``strict``: the warnings
    (:func:`warnings_of`) are errors too."""
    if str(source) == "demo" and not FsPath(source).exists():
        dep = loads(demo_text(), "demo.yaml", checks=DEPLOYMENT_CHECKS)
    else:
        dep = load(source, checks=DEPLOYMENT_CHECKS)
    if strict:
        problems = warnings_of(dep, source)
        if problems:
            raise DeploymentError([replace(p, fix=f"{p.fix} (an error because of --strict)")
                                   for p in problems])
    return dep


def warnings_of(dep: Deployment, source: str | FsPath) -> list[Problem]:
    """The deployment's warnings, each at its file:line and field."""
    return locate(deployment_warnings(dep), dep, source)
