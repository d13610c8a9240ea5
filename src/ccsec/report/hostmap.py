"""The topology at host level (few remote sites): every host, gateway and NAT device is a chip
and every path its own line.

* central sites in a row at the top (:mod:`ccsec.report.central`);
* remote sites on a grid below (at most four columns); each lays its NAT device and gateway in
  one row and its hosts in a column;
* between the two, an empty "fan" band where lines from the remote sites meet the central chips;
* a line from a remote chip leaves the box to the left into the column's gutter, where every
  line has its own lane (upper sites and upper chips take the inner lanes, so lanes never cross
  a stub), runs up to the fan and curves to its other end;
* paths inside a remote site are arcs to the right of its host column.
"""

from __future__ import annotations

import math

from ccsec.deployment.model import Deployment, Site
from ccsec.report import central
from ccsec.report.central import CHIP_H, HEADER_H, NAT_W, PAD, spread
from ccsec.report.chips import Spec, chip_specs, hosts_by_site, nat_name, site_of_ends
from ccsec.report.drawing import Box, Chip, Drawing, Line, Link

HOST_GAP = 8
LANE = 4.0
MIN_LANE = 2.4
GUTTER_LANES = 130.0  # pixels a gutter's lanes take before they are packed closer
MAX_COLUMNS = 4
#: the width the layout aims at: the picture shows at natural size in a 1280-px window
TARGET_W = 1180.0


def _remote_box(site: Site, specs: list[Spec], arc_depth: int) -> Box:
    """Remote site: NAT + gateway in one row under the header, hosts in a column below, room
    on the right for the arcs of the site's own paths."""
    host_w = central.chip_width(specs)
    wan = [s for s in specs if s.kind in ("nat", "gateway")]
    wan_w = sum(NAT_W if s.kind == "nat" else host_w for s in wan) + 6 * max(len(wan) - 1, 0)
    arcs = 14 + 8 * arc_depth if arc_depth else 0
    box = Box(site, central=False, w=PAD * 2 + max(host_w + arcs, wan_w))
    y = float(HEADER_H)
    if wan:
        x = float(PAD)
        for s in wan:
            w = NAT_W if s.kind == "nat" else host_w
            box.chips.append(Chip(s.name, s.kind, site.name, x, y, w, CHIP_H, s.lines,
                                  s.tooltip, s.href or None))
            x += w + 6
        y += CHIP_H + 10
    for s in specs:
        if s.kind != "host":
            continue
        box.chips.append(Chip(s.name, s.kind, site.name, PAD, y, host_w, CHIP_H, s.lines,
                              s.tooltip, s.href or None))
        y += CHIP_H + HOST_GAP
    box.h = max(y + 4, HEADER_H + 20)
    return box


def _columns(n: int) -> int:
    if n <= 0:
        return 1
    return min(n, math.ceil(math.sqrt(n)) + 1, MAX_COLUMNS)


def _wan_chip(chips: dict[str, Chip], name: str, site: Site) -> Chip:
    """Tunnels leave through the NAT device when the site has one."""
    nat = chips.get(nat_name(site))
    return nat if nat is not None and chips[name].kind == "gateway" else chips[name]


def _depths(links: list[Link], specs: dict[str, list[Spec]], site_of: dict[str, str]
            ) -> dict[str, int]:
    """Nesting depth of the arcs inside each site (to size the boxes)."""
    by_site: dict[str, list[tuple[int, int]]] = {}
    index = {s.name: i for site_specs in specs.values() for i, s in enumerate(site_specs)}
    for lk in links:
        if site_of[lk.a] == site_of[lk.b]:
            by_site.setdefault(site_of[lk.a], []).append(
                (min(index[lk.a], index[lk.b]), max(index[lk.a], index[lk.b])))
    return {s: max(central.levels(spans), default=-1) + 1 for s, spans in by_site.items()}


def layout(dep: Deployment, links: list[Link]) -> Drawing:
    """Place every box and chip and route every link (pure; deterministic)."""
    site_of = site_of_ends(dep)
    links = [lk for lk in links if lk.a in site_of and lk.b in site_of]
    by_site = hosts_by_site(dep)
    specs = {s.name: chip_specs(s, by_site.get(s.name, [])) for s in dep.sites}
    central_sites = [s for s in dep.sites if s.kind == "central"]
    remote_sites = [s for s in dep.sites if s.kind != "central"]
    inter = [lk for lk in links if site_of[lk.a] != site_of[lk.b]]

    # which central chips have lines out of their site (they go to the bottom row)
    down = set()
    for lk in inter:
        for name in (lk.a, lk.b):
            site = dep.site(site_of[name])
            down.add(nat_name(site) if lk.kind == "tunnel" and site.nat is not None
                     and site.gateway is not None and site.gateway.name == name else name)
    budget = (TARGET_W - central.CENTRAL_GAP * max(len(central_sites) - 1, 0)) / max(
        len(central_sites), 1)
    central_boxes = [
        central.build_box(s, specs[s.name], [lk for lk in links if site_of[lk.a] == s.name
                                             and site_of[lk.b] == s.name], down, budget)
        for s in central_sites]
    depth = _depths(links, specs, site_of)
    remote_boxes = [_remote_box(s, specs[s.name], depth.get(s.name, 0)) for s in remote_sites]
    boxes_by_site = {b.site.name: b for b in central_boxes + remote_boxes}

    # inter-site link ends on remote sites, grouped by grid column
    cols = _columns(len(remote_boxes))
    col_of = {b.site.name: i % cols for i, b in enumerate(remote_boxes)}
    row_of = {b.site.name: i // cols for i, b in enumerate(remote_boxes)}
    chips_local = {c.name: c for b in central_boxes + remote_boxes for c in b.chips}
    remote_ends: dict[int, list[tuple[Link, int]]] = {i: [] for i in range(cols)}
    for lk in inter:
        for i, end_site in enumerate((site_of[lk.a], site_of[lk.b])):
            if end_site in col_of:
                remote_ends[col_of[end_site]].append((lk, i))

    def end_key(item: tuple[Link, int]) -> tuple[int, float, str]:
        lk, i = item
        name = lk.a if i == 0 else lk.b
        site = site_of[name]
        chip = _wan_chip(chips_local, name, dep.site(site)) if lk.kind == "tunnel" else \
            chips_local[name]
        return (row_of[site], chip.y, lk.id)

    lanes: dict[tuple[str, int], int] = {}
    lane_count = [0] * cols
    for col in range(cols):
        for n, item in enumerate(sorted(remote_ends[col], key=end_key)):
            lanes[(item[0].id, item[1])] = n
        lane_count[col] = len(remote_ends[col])

    # the remote grid, centred under the central row when narrower; a crowded gutter packs its
    # lanes closer, down to MIN_LANE
    lane_w = [max(MIN_LANE, min(LANE, GUTTER_LANES / n)) if n else LANE for n in lane_count]
    for i, b in enumerate(remote_boxes):
        b.lane_w = lane_w[i % cols]
    gutters = [16 + lane_w[c] * n for c, n in enumerate(lane_count)]
    col_w = [max((b.w for i, b in enumerate(remote_boxes) if i % cols == c), default=0.0)
             for c in range(cols)]
    col_x: list[float] = []
    x = 0.0
    for col in range(cols):
        x += gutters[col]
        col_x.append(x)
        x += col_w[col] + 12
    grid_w = x
    width = max(grid_w + 32, central.row_width(central_boxes) + 48, 480)
    col_x = [cx + (width - grid_w) / 2 for cx in col_x]
    central_bottom = central.place_row(central_boxes, width)
    fan = 0.0 if not central_boxes and not inter else 90 + min(len(inter), 200) * 0.5
    grid_top = central_bottom + fan + (24 if central_boxes else 0)
    rows = math.ceil(len(remote_boxes) / cols) if remote_boxes else 0
    row_h = [max((b.h for i, b in enumerate(remote_boxes) if i // cols == r), default=0)
             for r in range(rows)]
    y = grid_top
    for r in range(rows):
        for i, b in enumerate(remote_boxes):
            if i // cols == r:
                b.x, b.y = col_x[i % cols], y
                for c in b.chips:
                    c.x += b.x
                    c.y += b.y
        y += row_h[r] + 22
    height = max(y + 8, central_bottom + 24)
    chips = {c.name: c for b in central_boxes + remote_boxes for c in b.chips}

    connectors = []
    for b in central_boxes + remote_boxes:
        gw, nat = b.site.gateway, chips.get(nat_name(b.site))
        if gw is not None and nat is not None:
            gw_chip = chips[gw.name]
            connectors.append(f"M{gw_chip.x:.1f},{gw_chip.cy:.1f} H{nat.x + nat.w:.1f}")

    lines = _route(dep, links, chips, boxes_by_site, site_of, lanes, grid_top, central_bottom)
    return Drawing(width, height, "hosts", central_boxes + remote_boxes, chips, lines,
                   connectors)


def _route(dep: Deployment, links: list[Link], chips: dict[str, Chip],
           boxes: dict[str, Box], site_of: dict[str, str], lanes: dict[tuple[str, int], int],
           grid_top: float, central_bottom: float) -> list[Line]:
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

    data: dict[str, str] = {}
    for b in boxes.values():
        own = [lk for lk in links if site_of[lk.a] == site_of[lk.b] == b.site.name]
        if not own:
            continue
        if b.central:
            data.update((lk.id, d) for lk, d in central.inside_lines(b, own))
        else:
            data.update(_remote_arcs(b, own))
    out: list[Line] = []
    for lk in links:
        if lk.id in data:
            out.append(central.single(lk, data[lk.id]))
            continue
        pts = []
        for i in (0, 1):
            chip = ends[(lk.id, i)]
            box = boxes[chip.site]
            k, n = slot[(lk.id, i)]
            if box.central:
                ex = chip.cx + spread(k, n, chip.w - 16, 3.0)
                pts.append(("c", ex, chip.y + chip.h, 0.0))
            else:
                lane_x = box.x - 8 - box.lane_w * lanes[(lk.id, i)]
                sy = chip.cy + spread(k, n, chip.h - 10, 3.0)
                pts.append(("r", lane_x, sy, chip.x))
        out.append(central.single(lk, _inter(pts[0], pts[1], grid_top, central_bottom)))
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


def _remote_arcs(box: Box, own: list[Link]) -> list[tuple[str, str]]:
    """Paths inside a remote site: arcs right of the host column, nested by span."""
    idx = {c.name: i for i, c in enumerate(box.chips)}
    by_name = {c.name: c for c in box.chips}
    spans = [(min(idx[lk.a], idx[lk.b]), max(idx[lk.a], idx[lk.b])) for lk in own]
    out = []
    for lk, level in zip(own, central.levels(spans), strict=True):
        a, b = by_name[lk.a], by_name[lk.b]
        reach = 12 + 8 * level
        x1, x2 = a.x + a.w, b.x + b.w
        out.append((lk.id, f"M{x1:.1f},{a.cy:.1f} C{x1 + reach:.1f},{a.cy:.1f} "
                           f"{x2 + reach:.1f},{b.cy:.1f} {x2:.1f},{b.cy:.1f}"))
    return out
