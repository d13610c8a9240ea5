"""The topology picture of the HTML report: sites, hosts, gateways, NAT devices, tunnels and host
paths as one inline SVG, drawn by ccsec (no Graphviz, no JavaScript, no network).

Layout (deterministic, readable from 2 to ~50 sites):

* central sites side by side in a top row; each lays its gateway, NAT device and hosts out in a
  row of chips, so every line can leave a chip from below without crossing another chip;
* remote sites on a grid below (at most six columns); each lays its NAT device and gateway in
  one row and its hosts in a column;
* between the two, an empty "fan" band where lines from the remote sites meet the central chips;
* a line from a remote chip leaves the box to the left into the column's gutter, where every
  line has its own lane (upper sites and upper chips take the inner lanes, so lanes never cross
  a stub), runs up to the fan and curves to its other end;
* paths inside one site are arcs: to the right of a remote site's host column, above a central
  site's chip row.

Every user string is escaped (``html.escape``); long names are shortened on the picture and
given in full in the element's ``<title>`` tooltip.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape

from ccsec.deployment.model import Deployment, Host, Site

#: status → legend label (colours live in report.css: ``.s-<status>``)
STATUSES: dict[str, str] = {
    "protected": "protected at both ends, compatible",
    "weak": "protected, but weaker than it should be",
    "broken": "configured, does not negotiate",
    "missing": "missing at one or both ends",
    "planned": "planned (no configuration audited)",
}

CHIP_H = 34
CHIP_W = 184
HOST_W = 196
NAT_W = 96
PAD = 8
HEADER_H = 42
REMOTE_W = 292
HOST_GAP = 8
CENTRAL_GAP = 48
LANE = 4.0
MIN_LANE = 2.4
GUTTER_LANES = 130.0  # pixels a gutter's lanes take before they are packed closer
MAX_COLUMNS = 6
CENTRAL_ROW_CHIPS = 8
CHAR_W = 6.6  # average glyph width of a chip's name (11 px, bold), for shortening labels
CHAR_W_SMALL = 5.3  # the same for the 9.5 px second line


@dataclass(frozen=True)
class Link:
    """One line of the picture: a host path or a site tunnel between two chips."""

    id: str
    kind: str  # "path" | "tunnel"
    a: str
    b: str
    status: str
    tooltip: str


@dataclass
class Chip:
    name: str
    kind: str  # host | gateway | nat
    site: str
    x: float
    y: float
    w: float
    h: float
    lines: tuple[str, str]
    tooltip: str
    href: str | None = None

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2


@dataclass
class Box:
    site: Site
    central: bool
    x: float = 0.0
    y: float = 0.0
    w: float = 0.0
    h: float = 0.0
    chips: list[Chip] = field(default_factory=list)
    #: central boxes: the height of the band above each chip row (for the intra-site arcs)
    arc_band: float = 0.0
    #: remote boxes: the spacing of the lanes in the gutter left of the box
    lane_w: float = LANE


@dataclass
class Drawing:
    width: float
    height: float
    boxes: list[Box]
    chips: dict[str, Chip]
    paths: list[tuple[Link, str]]  # (link, SVG path data)
    connectors: list[str]  # gateway ↔ NAT connectors


def shorten(text: str, width: float, char_w: float = CHAR_W) -> str:
    """``text`` cut to fit ``width`` pixels (with an ellipsis)."""
    fit = max(3, int(width / char_w))
    return text if len(text) <= fit else text[: fit - 1] + "…"


# ------------------------------------------------------------------------------ boxes


Spec = tuple[str, str, tuple[str, str], str, str]


def _hosts_by_site(dep: Deployment) -> dict[str, list[Host]]:
    """Hosts grouped by site once (not a scan of every host per site: 1,000-site
    deployments)."""
    out: dict[str, list[Host]] = {}
    for h in dep.hosts:
        out.setdefault(h.site, []).append(h)
    return out


def _chip_specs(site: Site, hosts: list[Host]) -> list[Spec]:
    """(name, kind, two label lines, tooltip, link target) of a site's chips, gateway first."""
    out: list[Spec] = []
    gw = site.gateway
    if site.nat is not None:
        tip = f"NAT device in front of {site.name}: public address {site.nat.public}"
        out.append((f"nat:{site.name}", "nat", ("NAT", str(site.nat.public)), tip, ""))
    if gw is not None:
        tip = (f"gateway {gw.name} ({gw.platform}, {gw.tunnel}), WAN {gw.wan}"
               + (f" — {gw.description}" if gw.description else ""))
        out.append((gw.name, "gateway", (gw.name, f"{gw.platform} · WAN {gw.wan}"), tip,
                    f"end-{gw.name}"))
    for h in hosts:
        roles = "/".join(r.value for r in h.roles)
        side = f" {h.side.upper()}" if h.side else ""
        tip = (f"{h.name}: {roles}{' side' + side if side else ''}, {h.platform}, {h.public}"
               + (f" / private {h.private}" if h.private else "")
               + (f" — {h.description}" if h.description else ""))
        out.append((h.name, "host", (h.name, f"{roles}{side} · {h.public}"), tip,
                    f"end-{h.name}"))
    return out


def _site_lines(site: Site) -> tuple[str, str]:
    nets = ", ".join(str(p) for p in site.prefixes[:2])
    more = f" (+{len(site.prefixes) - 2})" if len(site.prefixes) > 2 else ""
    return site.name, f"{site.kind} · {nets}{more}"


def _remote_box(site: Site, specs: list[Spec]) -> Box:
    """Remote site: NAT + gateway in one row under the header, hosts in a column below."""
    box = Box(site, central=False, w=REMOTE_W)
    y = HEADER_H
    wan = [s for s in specs if s[1] in ("nat", "gateway")]
    if wan:
        x = PAD
        for name, kind, lines, tip, href in wan:
            w = NAT_W if kind == "nat" else REMOTE_W - PAD - x
            if kind == "gateway" and len(wan) == 1:
                w = HOST_W
            box.chips.append(Chip(name, kind, site.name, x, y, w, CHIP_H, lines, tip,
                                  href or None))
            x += w + 6
        y += CHIP_H + 10
    for name, kind, lines, tip, href in specs:
        if kind != "host":
            continue
        box.chips.append(Chip(name, kind, site.name, PAD, y, HOST_W, CHIP_H, lines, tip,
                              href or None))
        y += CHIP_H + HOST_GAP
    box.h = max(y + 4, HEADER_H + 20)
    return box


def _central_box(site: Site, specs: list[Spec], arc_levels: int) -> Box:
    """Central site: a band for the intra-site arcs, then the chips in rows of eight."""
    box = Box(site, central=True)
    band = 18 + 9 * arc_levels if arc_levels else 8
    box.arc_band = band
    per_row = min(max(len(specs), 1), CENTRAL_ROW_CHIPS)
    rows = max(1, math.ceil(len(specs) / per_row))
    for i, (name, kind, lines, tip, href) in enumerate(specs):
        row, col = divmod(i, per_row)
        w = float(NAT_W) if kind == "nat" else CHIP_W
        x = PAD + col * (CHIP_W + 10)
        y = HEADER_H + band + row * (CHIP_H + band)
        box.chips.append(Chip(name, kind, site.name, x, y, w, CHIP_H, lines, tip,
                              href or None))
    box.w = max(PAD * 2 + per_row * (CHIP_W + 10) - 10, 200)
    box.h = HEADER_H + rows * (CHIP_H + band) + 6
    return box


# ---------------------------------------------------------------------------- routing


def _levels(spans: list[tuple[int, int]]) -> list[int]:
    """Nesting level of each arc of one site: shorter spans inside longer ones, a second arc
    on the same span outside the first.  Sites hold a handful of hosts, so the pairwise scan
    stays small (it is per site, never over the whole deployment)."""
    order = sorted(range(len(spans)), key=lambda i: (spans[i][1] - spans[i][0], spans[i], i))
    placed: list[tuple[int, int, int]] = []
    levels = [0] * len(spans)
    for i in order:
        lo, hi = spans[i]
        inner = [lv for (a, b, lv) in placed if lo <= a and b <= hi]
        levels[i] = (max(inner) + 1) if inner else 0
        placed.append((lo, hi, levels[i]))
    return levels


def _columns(n: int) -> int:
    if n <= 0:
        return 1
    return min(n, math.ceil(math.sqrt(n)) + 1, MAX_COLUMNS)


@dataclass
class _End:
    """Where one end of an inter-site line leaves its site."""

    chip: Chip
    box: Box
    lane_x: float = 0.0
    stub_y: float = 0.0
    exit_x: float = 0.0


def _wan_chip(chips: dict[str, Chip], name: str, site: Site) -> Chip:
    """Tunnels leave through the NAT device when the site has one."""
    nat = chips.get(f"nat:{site.name}")
    return nat if nat is not None and chips[name].kind == "gateway" else chips[name]


def layout(dep: Deployment, links: list[Link]) -> Drawing:
    """Place every box and chip and route every link (pure; deterministic)."""
    site_of_chip: dict[str, str] = {h.name: h.site for h in dep.hosts}
    for s, g in dep.gateways():
        site_of_chip[g.name] = s.name
    links = [lk for lk in links if lk.a in site_of_chip and lk.b in site_of_chip]
    central_sites = [s for s in dep.sites if s.kind == "central"]
    remote_sites = [s for s in dep.sites if s.kind != "central"]

    # intra-site arcs of central sites need their nesting depth before the boxes are sized
    by_site = _hosts_by_site(dep)
    specs = {s.name: _chip_specs(s, by_site.get(s.name, [])) for s in dep.sites}
    central_boxes = []
    for s in central_sites:
        order = [spec[0] for spec in specs[s.name]]
        idx = {n: i for i, n in enumerate(order)}
        spans = [(min(idx[lk.a], idx[lk.b]), max(idx[lk.a], idx[lk.b])) for lk in links
                 if lk.a in idx and lk.b in idx]
        depth = max(_levels(spans), default=-1) + 1
        central_boxes.append(_central_box(s, specs[s.name], depth))
    remote_boxes = [_remote_box(s, specs[s.name]) for s in remote_sites]
    boxes_by_site = {b.site.name: b for b in central_boxes + remote_boxes}

    # inter-site link ends on remote sites, grouped by grid column
    cols = _columns(len(remote_boxes))
    col_of = {b.site.name: i % cols for i, b in enumerate(remote_boxes)}
    row_of = {b.site.name: i // cols for i, b in enumerate(remote_boxes)}
    chips_local: dict[str, Chip] = {}
    for b in central_boxes + remote_boxes:
        for c in b.chips:
            chips_local[c.name] = c
    remote_ends: dict[int, list[tuple[Link, int]]] = {i: [] for i in range(cols)}
    for lk in links:
        sa, sb = site_of_chip[lk.a], site_of_chip[lk.b]
        if sa == sb:
            continue
        for i, site in enumerate((sa, sb)):
            if site in col_of:
                remote_ends[col_of[site]].append((lk, i))

    def end_key(item: tuple[Link, int]) -> tuple[int, float, str]:
        lk, i = item
        name = lk.a if i == 0 else lk.b
        site = site_of_chip[name]
        chip = _wan_chip(chips_local, name, dep.site(site)) if lk.kind == "tunnel" else \
            chips_local[name]
        return (row_of[site], chip.y, lk.id)

    lanes: dict[tuple[str, int], int] = {}
    lane_count = [0] * cols
    for col in range(cols):
        for n, item in enumerate(sorted(remote_ends[col], key=end_key)):
            lanes[(item[0].id, item[1])] = n
        lane_count[col] = len(remote_ends[col])

    # place remote grid (centred under the central row when narrower); a crowded gutter packs
    # its lanes closer, down to MIN_LANE
    lane_w = [max(MIN_LANE, min(LANE, GUTTER_LANES / n)) if n else LANE for n in lane_count]
    for i, b in enumerate(remote_boxes):
        b.lane_w = lane_w[i % cols]
    gutters = [16 + lane_w[c] * n for c, n in enumerate(lane_count)]
    col_x: list[float] = []
    x = 0.0
    for col in range(cols):
        x += gutters[col]
        col_x.append(x)
        x += REMOTE_W + 12
    grid_w = x
    central_w = sum(b.w for b in central_boxes) + CENTRAL_GAP * max(len(central_boxes) - 1, 0)
    width = max(grid_w + 48, central_w + 48, 480)
    col_x = [cx + (width - grid_w) / 2 for cx in col_x]
    top = 24.0
    cx = (width - central_w) / 2
    for b in central_boxes:
        b.x, b.y = cx, top
        cx += b.w + CENTRAL_GAP
    central_bottom = top + max((b.h for b in central_boxes), default=0)
    inter = sum(1 for lk in links if site_of_chip[lk.a] != site_of_chip[lk.b])
    fan = 0.0 if not central_boxes and not inter else 90 + min(inter, 200) * 0.5
    grid_top = central_bottom + fan + (24 if central_boxes else 0)
    rows = math.ceil(len(remote_boxes) / cols) if remote_boxes else 0
    row_h = [max((b.h for i, b in enumerate(remote_boxes) if i // cols == r), default=0)
             for r in range(rows)]
    y = grid_top
    for r in range(rows):
        for i, b in enumerate(remote_boxes):
            if i // cols == r:
                b.x, b.y = col_x[i % cols], y
        y += row_h[r] + 22
    height = max(y + 8, central_bottom + 24)

    # chips to absolute coordinates
    chips: dict[str, Chip] = {}
    for b in central_boxes + remote_boxes:
        for c in b.chips:
            c.x += b.x
            c.y += b.y
            chips[c.name] = c

    connectors = []
    for b in central_boxes + remote_boxes:
        gw, nat = b.site.gateway, chips.get(f"nat:{b.site.name}")
        if gw is not None and nat is not None:
            gw_chip = chips[gw.name]
            connectors.append(f"M{gw_chip.x:.1f},{gw_chip.cy:.1f} H{nat.x + nat.w:.1f}")

    routed = _route(dep, links, chips, boxes_by_site, site_of_chip, lanes, grid_top,
                    central_bottom)
    return Drawing(width, height, central_boxes + remote_boxes, chips, routed, connectors)


def _spread(i: int, n: int, span: float, step: float) -> float:
    """Offset of the i-th of n lines leaving one chip, centred, at most ``step`` apart."""
    if n <= 1:
        return 0.0
    gap = min(step, span / (n - 1))
    return (i - (n - 1) / 2) * gap


def _route(dep: Deployment, links: list[Link], chips: dict[str, Chip],
           boxes: dict[str, Box], site_of: dict[str, str], lanes: dict[tuple[str, int], int],
           grid_top: float, central_bottom: float) -> list[tuple[Link, str]]:
    # how many lines leave each chip (to spread them over the chip's edge)
    leaving: dict[str, list[tuple[str, int]]] = {}
    ends: dict[tuple[str, int], Chip] = {}
    for lk in links:
        if site_of[lk.a] == site_of[lk.b]:
            continue
        for i, name in enumerate((lk.a, lk.b)):
            chip = chips[name]
            if lk.kind == "tunnel":
                chip = _wan_chip(chips, name, dep.site(site_of[name]))
            ends[(lk.id, i)] = chip
            leaving.setdefault(chip.name, []).append((lk.id, i))
    slot: dict[tuple[str, int], tuple[int, int]] = {}
    for name, items in leaving.items():
        box = boxes[chips[name].site]
        if box.central:
            items.sort(key=lambda k: _other_x(k, ends, lanes, boxes))
        else:
            items.sort(key=lambda k: lanes.get(k, 0))
        for k, key in enumerate(items):
            slot[key] = (k, len(items))

    levels = _arc_levels(links, chips, boxes, site_of)
    out: list[tuple[Link, str]] = []
    for lk in links:
        sa, sb = site_of[lk.a], site_of[lk.b]
        if sa == sb:
            out.append((lk, _arc(chips[lk.a], chips[lk.b], boxes[sa], levels[lk.id])))
            continue
        pts = []
        for i in (0, 1):
            chip = ends[(lk.id, i)]
            box = boxes[chip.site]
            k, n = slot[(lk.id, i)]
            if box.central:
                ex = chip.cx + _spread(k, n, chip.w - 16, 3.0)
                pts.append(("c", ex, chip.y + chip.h, 0.0))
            else:
                lane_x = box.x - 8 - box.lane_w * lanes[(lk.id, i)]
                sy = chip.cy + _spread(k, n, chip.h - 10, 3.0)
                pts.append(("r", lane_x, sy, chip.x))
        out.append((lk, _inter(pts[0], pts[1], grid_top, central_bottom)))
    return out


def _other_x(key: tuple[str, int], ends: dict[tuple[str, int], Chip],
             lanes: dict[tuple[str, int], int], boxes: dict[str, Box]) -> float:
    other = (key[0], 1 - key[1])
    chip = ends[other]
    box = boxes[chip.site]
    if box.central:
        return chip.cx
    return box.x - 8 - box.lane_w * lanes.get(other, 0)


def _inter(p: tuple[str, float, float, float], q: tuple[str, float, float, float],
           grid_top: float, central_bottom: float) -> str:
    """SVG path data between two sites: central ends leave downwards, remote ends through
    their lane up to the top of the grid; the two meet in the fan band."""
    if p[0] == "r" and q[0] == "c":
        p, q = q, p
    fan_mid = (central_bottom + grid_top) / 2
    if p[0] == "c" and q[0] == "r":
        _, ex, ey, _ = p
        _, lx, sy, chip_x = q
        top = grid_top - 6
        return (f"M{ex:.1f},{ey:.1f} V{central_bottom + 4:.1f} "
                f"C{ex:.1f},{fan_mid:.1f} {lx:.1f},{fan_mid:.1f} {lx:.1f},{top:.1f} "
                f"V{sy:.1f} H{chip_x:.1f}")
    if p[0] == "c" and q[0] == "c":
        _, ax, ay, _ = p
        _, bx, by, _ = q
        dip = central_bottom + 10 + min(abs(bx - ax) / 6, (grid_top - central_bottom) * 0.6)
        return (f"M{ax:.1f},{ay:.1f} V{central_bottom + 4:.1f} "
                f"C{ax:.1f},{dip:.1f} {bx:.1f},{dip:.1f} {bx:.1f},{central_bottom + 4:.1f} "
                f"V{by:.1f}")
    _, ax, ay, acx = p
    _, bx, by, bcx = q
    top = grid_top - 6
    rise = top - 14 - min(abs(bx - ax) / 8, max(grid_top - central_bottom - 40, 10))
    return (f"M{acx:.1f},{ay:.1f} H{ax:.1f} V{top:.1f} "
            f"C{ax:.1f},{rise:.1f} {bx:.1f},{rise:.1f} {bx:.1f},{top:.1f} "
            f"V{by:.1f} H{bcx:.1f}")


def _arc_levels(links: list[Link], chips: dict[str, Chip], boxes: dict[str, Box],
                site_of: dict[str, str]) -> dict[str, int]:
    """Nesting level of every intra-site link (computed once per site: linear overall)."""
    by_site: dict[str, list[Link]] = {}
    for lk in links:
        if site_of[lk.a] == site_of[lk.b]:
            by_site.setdefault(site_of[lk.a], []).append(lk)
    out: dict[str, int] = {}
    for site, same in by_site.items():
        idx = {c.name: i for i, c in enumerate(boxes[site].chips)}
        spans = [(min(idx[lk.a], idx[lk.b]), max(idx[lk.a], idx[lk.b])) for lk in same]
        for lk, level in zip(same, _levels(spans), strict=True):
            out[lk.id] = level
    return out


def _arc(a: Chip, b: Chip, box: Box, level: int) -> str:
    """A path inside one site: an arc right of the host column (remote) or above the chips
    (central), nested by span so arcs of one site do not lie on top of each other."""
    if box.central:
        lift = 12 + 9 * level
        return (f"M{a.cx:.1f},{a.y:.1f} C{a.cx:.1f},{a.y - lift:.1f} {b.cx:.1f},"
                f"{b.y - lift:.1f} {b.cx:.1f},{b.y:.1f}")
    reach = 12 + 8 * level
    x1, x2 = a.x + a.w, b.x + b.w
    return (f"M{x1:.1f},{a.cy:.1f} C{x1 + reach:.1f},{a.cy:.1f} {x2 + reach:.1f},{b.cy:.1f} "
            f"{x2:.1f},{b.cy:.1f}")


# ------------------------------------------------------------------------------- SVG


def _text(x: float, y: float, text: str, cls: str, width: float,
          char_w: float = CHAR_W) -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" class="{cls}">'
            f"{escape(shorten(text, width, char_w))}</text>")


def _chip_svg(c: Chip) -> str:
    body = (f'<rect x="{c.x:.1f}" y="{c.y:.1f}" width="{c.w:.1f}" height="{c.h:.1f}" '
            f'rx="5" class="chip chip-{c.kind}"/>'
            + _text(c.x + 7, c.y + 14, c.lines[0], "chip-name", c.w - 12)
            + _text(c.x + 7, c.y + 27, c.lines[1], "chip-sub", c.w - 10, CHAR_W_SMALL))
    inner = f"<title>{escape(c.tooltip)}</title>{body}"
    if c.href:
        return f'<a href="#{escape(c.href)}" class="chip-link">{inner}</a>'
    return f'<g class="chip-g">{inner}</g>'


def _box_svg(b: Box) -> str:
    name, sub = _site_lines(b.site)
    tip = f"site {b.site.name} ({b.site.kind})" + (
        f" — {b.site.description}" if b.site.description else "")
    return (f'<g class="site site-{"central" if b.central else "remote"}">'
            f"<title>{escape(tip)}</title>"
            f'<rect x="{b.x:.1f}" y="{b.y:.1f}" width="{b.w:.1f}" height="{b.h:.1f}" rx="8" '
            f'class="site-box"/>'
            + _text(b.x + 10, b.y + 18, name, "site-name", b.w - 20)
            + _text(b.x + 10, b.y + 33, sub, "site-sub", b.w - 20, CHAR_W_SMALL + 0.4)
            + "</g>")


def svg(dep: Deployment, links: Iterable[Link]) -> str:
    """The whole picture as an inline ``<svg>`` element (fixed size; the page scrolls it)."""
    d = layout(dep, list(links))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" id="topology-svg" class="topology" '
             f'viewBox="0 0 {d.width:.0f} {d.height:.0f}" width="{d.width:.0f}" '
             f'height="{d.height:.0f}" role="img" '
             f'aria-labelledby="topology-title">'
             f'<title id="topology-title">{escape(dep.deployment)}: {len(dep.sites)} sites, '
             f"{sum(1 for lk, _ in d.paths if lk.kind == 'tunnel')} site tunnels, "
             f"{sum(1 for lk, _ in d.paths if lk.kind == 'path')} host paths</title>"]
    parts += [_box_svg(b) for b in d.boxes]
    parts += [f'<path d="{c}" class="nat-link"/>' for c in d.connectors]
    # tunnels under host paths, both under the chips
    for kind in ("tunnel", "path"):
        for lk, data in d.paths:
            if lk.kind != kind:
                continue
            parts.append(f'<a href="#path-{escape(lk.id)}" class="link-a">'
                         f'<path d="{data}" class="link link-{kind} s-{escape(lk.status)}" '
                         f'data-path="{escape(lk.id)}" data-status="{escape(lk.status)}">'
                         f"<title>{escape(lk.tooltip)}</title></path></a>")
    parts += [_chip_svg(c) for c in d.chips.values()]
    parts.append("</svg>")
    return "".join(parts)
