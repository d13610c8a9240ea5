"""What each node of the topology says: the chips of a site (NAT device, gateway, hosts) with
their two label lines, tooltip and link target, and how wide their labels need them."""

from __future__ import annotations

from dataclasses import dataclass

from ccsec.deployment.model import Deployment, Host, Site
from ccsec.report.drawing import CHAR_W, CHAR_W_SMALL


@dataclass(frozen=True)
class Spec:
    """A chip before it is placed."""

    name: str
    kind: str  # host | gateway | nat
    lines: tuple[str, str]
    tooltip: str
    href: str

    def natural_w(self) -> float:
        """The width its two label lines need (before any shortening)."""
        return max(len(self.lines[0]) * CHAR_W, len(self.lines[1]) * CHAR_W_SMALL) + 16


def hosts_by_site(dep: Deployment) -> dict[str, list[Host]]:
    """Hosts grouped by site once (not a scan of every host per site: 1,000-site
    deployments)."""
    out: dict[str, list[Host]] = {}
    for h in dep.hosts:
        out.setdefault(h.site, []).append(h)
    return out


def site_of_ends(dep: Deployment) -> dict[str, str]:
    """Host and gateway name → its site."""
    out = {h.name: h.site for h in dep.hosts}
    for s, g in dep.gateways():
        out[g.name] = s.name
    return out


def chip_specs(site: Site, hosts: list[Host]) -> list[Spec]:
    """A site's chips, NAT device and gateway first."""
    out: list[Spec] = []
    gw = site.gateway
    if site.nat is not None:
        tip = f"NAT device in front of {site.name}: public address {site.nat.public}"
        out.append(Spec(nat_name(site), "nat", ("NAT", str(site.nat.public)), tip, ""))
    if gw is not None:
        tip = (f"gateway {gw.name} ({gw.platform}, {gw.tunnel}), WAN {gw.wan}"
               + (f" — {gw.description}" if gw.description else ""))
        out.append(Spec(gw.name, "gateway", (gw.name, f"{gw.platform} · {gw.wan}"), tip,
                        f"end-{gw.name}"))
    for h in hosts:
        roles = "/".join(r.value for r in h.roles)
        side = f" {h.side.upper()}" if h.side else ""
        tip = (f"{h.name}: {roles}{' side' + side if side else ''}, {h.platform}, {h.public}"
               + (f" / private {h.private}" if h.private else "")
               + (f" — {h.description}" if h.description else ""))
        out.append(Spec(h.name, "host", (h.name, f"{roles}{side} · {h.public}"), tip,
                        f"end-{h.name}"))
    return out


def nat_name(site: Site) -> str:
    return f"nat:{site.name}"


def site_lines(site: Site) -> tuple[str, str]:
    """A site box's two label lines: name, then kind and its first prefixes."""
    nets = ", ".join(str(p) for p in site.prefixes[:2])
    more = f" (+{len(site.prefixes) - 2})" if len(site.prefixes) > 2 else ""
    return site.name, f"{site.kind} · {nets}{more}"


def site_tooltip(site: Site) -> str:
    return f"site {site.name} ({site.kind})" + (
        f" — {site.description}" if site.description else "")
