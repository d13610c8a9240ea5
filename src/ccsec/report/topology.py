"""The topology picture of the HTML report: sites, hosts, gateways, NAT devices, tunnels and host
paths as one inline SVG, drawn by ccsec (no Graphviz, no network).

Two levels of detail, chosen by size:

* **hosts** (up to :data:`HOST_LEVEL_SITES` remote sites and :data:`HOST_LEVEL_NODES` chips):
  every host, gateway and NAT device is a chip and every path its own line
  (:mod:`ccsec.report.hostmap`);
* **sites** (beyond): central sites keep their chips, each remote site is one tile coloured by
  the worst status of its paths, and the lines to the central chips are bundled per column
  (:mod:`ccsec.report.sitemap`, which says why).

Why a threshold on remote sites rather than regions: the deployment model has no region, and
the picture must stay readable at the width of a laptop window — nine or more remote sites of
hosts need about four columns of 300 px boxes, the most a 1280 px window shows with legible
labels.

The picture is laid out for a 1,180-unit wide box and carries its ``viewBox``: the page scales
it down to any narrower box (never up), and the report's script adds zoom and pan.  Every user
string is escaped (``html.escape``); long names are shortened on the picture and given in full
in the element's ``<title>`` tooltip.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from ccsec.deployment.model import Deployment
from ccsec.report import hostmap, sitemap
from ccsec.report.chips import site_lines, site_tooltip
from ccsec.report.drawing import (
    CHAR_W,
    CHAR_W_SMALL,
    STATUSES,
    WORST_FIRST,
    Box,
    Chip,
    Drawing,
    Line,
    Link,
    Tile,
    shorten,
    status_rank,
)
from ccsec.report.sitemap import tile_text

__all__ = ["HOST_LEVEL_NODES", "HOST_LEVEL_SITES", "STATUSES", "WORST_FIRST", "Link", "layout",
           "svg"]

HOST_LEVEL_SITES = 8
HOST_LEVEL_NODES = 90


def level_for(dep: Deployment) -> str:
    """"hosts" while every chip of every site can be shown legibly, else "sites"."""
    remote = sum(1 for s in dep.sites if s.kind != "central")
    nodes = len(dep.hosts) + sum(1 for _ in dep.gateways()) + sum(
        1 for s in dep.sites if s.nat is not None)
    return "hosts" if remote <= HOST_LEVEL_SITES and nodes <= HOST_LEVEL_NODES else "sites"


def layout(dep: Deployment, links: list[Link], level: str | None = None) -> Drawing:
    """The drawing of ``dep`` at ``level`` (default: :func:`level_for`)."""
    if (level or level_for(dep)) == "hosts":
        return hostmap.layout(dep, links)
    return sitemap.layout(dep, links)


# ------------------------------------------------------------------------------- SVG


def _text(x: float, y: float, text: str, cls: str, width: float,
          char_w: float = CHAR_W) -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" class="{cls}">'
            f"{escape(shorten(text, width, char_w))}</text>")


def _chip_svg(c: Chip) -> str:
    body = (f'<rect x="{c.x:.1f}" y="{c.y:.1f}" width="{c.w:.1f}" height="{c.h:.1f}" '
            f'rx="5" class="chip chip-{c.kind}" data-node="{escape(c.name)}"/>'
            + _text(c.x + 7, c.y + 14, c.lines[0], "chip-name", c.w - 12)
            + _text(c.x + 7, c.y + 27, c.lines[1], "chip-sub", c.w - 10, CHAR_W_SMALL))
    inner = f"<title>{escape(c.tooltip)}</title>{body}"
    if c.href:
        return f'<a href="#{escape(c.href)}" class="chip-link">{inner}</a>'
    return f'<g class="chip-g">{inner}</g>'


def _box_svg(b: Box) -> str:
    name, sub = site_lines(b.site)
    return (f'<g class="site site-{"central" if b.central else "remote"}">'
            f"<title>{escape(site_tooltip(b.site))}</title>"
            f'<rect x="{b.x:.1f}" y="{b.y:.1f}" width="{b.w:.1f}" height="{b.h:.1f}" rx="8" '
            f'class="site-box" data-node="site:{escape(b.site.name)}"/>'
            + _text(b.x + 10, b.y + 18, name, "site-name", b.w - 20)
            + _text(b.x + 10, b.y + 33, sub, "site-sub", b.w - 20, CHAR_W_SMALL + 0.4)
            + "</g>")


def _bar_svg(t: Tile) -> str:
    """The tile's bar: its paths' statuses in proportion, worst on the left."""
    total = sum(t.statuses.values())
    if not total:
        return ""
    x, y, w = t.x + 7, t.y + t.h - 9, t.w - 14
    out = []
    for status in sorted(t.statuses, key=status_rank):
        part = w * t.statuses[status] / total
        out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(part, 1.0):.1f}" height="4" '
                   f'class="bar s-{escape(status)}"/>')
        x += part
    return "".join(out)


def _tile_svg(t: Tile) -> str:
    name = t.site.name
    nat = ""
    if t.site.nat is not None:
        nat = (f'<rect x="{t.x + t.w - 33:.1f}" y="{t.y + 5:.1f}" width="27" height="13" rx="3" '
               f'class="tile-nat"/><text x="{t.x + t.w - 29:.1f}" y="{t.y + 15:.1f}" '
               'class="tile-nat-text">NAT</text>')
    name_w = t.w - (48 if nat else 12)
    return (f'<a href="#paths" class="tile-link" data-site="{escape(name)}">'
            f"<title>{escape(t.tooltip)}</title>"
            f'<rect x="{t.x:.1f}" y="{t.y:.1f}" width="{t.w:.1f}" height="{t.h:.1f}" rx="5" '
            f'class="tile s-{escape(t.status)}" data-node="site:{escape(name)}" '
            f'data-status="{escape(t.status)}" data-inside="{t.inside}"/>'
            + _text(t.x + 7, t.y + 15, name, "tile-name", name_w) + nat
            + _text(t.x + 7, t.y + 28, tile_text(t.site, t.hosts), "tile-sub", t.w - 12,
                    CHAR_W_SMALL)
            + _bar_svg(t) + "</a>")


def _line_svg(ln: Line) -> str:
    ident = f' data-path="{escape(ln.paths[0])}"' if ln.role == "single" and \
        len(ln.paths) == 1 else ""
    return (f'<a href="{escape(ln.href)}" class="link-a">'
            f'<path d="{ln.data}" class="link link-{ln.kind} link-{ln.role} '
            f's-{escape(ln.status)}"{ident} data-status="{escape(ln.status)}" '
            f'data-role="{ln.role}" data-count="{ln.count}">'
            f"<title>{escape(ln.tooltip)}</title></path></a>")


def svg(dep: Deployment, links: Iterable[Link], level: str | None = None) -> str:
    """The whole picture as an inline ``<svg>`` element: natural size in ``width`` and
    ``height``, scaled to its box by the page through the ``viewBox``."""
    links = list(links)
    d = layout(dep, links, level)
    tunnels = sum(1 for lk in links if lk.kind == "tunnel")
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" id="topology-svg" class="topology" '
             f'viewBox="0 0 {d.width:.0f} {d.height:.0f}" width="{d.width:.0f}" '
             f'height="{d.height:.0f}" preserveAspectRatio="xMidYMin meet" role="img" '
             f'data-level="{d.level}" aria-labelledby="topology-title">'
             f'<title id="topology-title">{escape(dep.deployment)}: {len(dep.sites)} sites, '
             f"{tunnels} site tunnels, {len(links) - tunnels} host paths"
             f"{' (remote sites shown as tiles)' if d.level == 'sites' else ''}</title>"
             '<g id="topology-view">']
    parts += [_box_svg(b) for b in d.boxes]
    parts += [f'<path d="{c}" class="nat-link"/>' for c in d.connectors]
    # tunnels under host paths, both under the chips and tiles
    for kind in ("tunnel", "path"):
        parts += [_line_svg(ln) for ln in d.lines if ln.kind == kind]
    parts += [_chip_svg(c) for c in d.chips.values()]
    parts += [_tile_svg(t) for t in d.tiles]
    parts.append("</g></svg>")
    return "".join(parts)
