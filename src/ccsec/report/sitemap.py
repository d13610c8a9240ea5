"""The topology at site level (many remote sites): central sites keep their chips, every remote
site becomes one tile, and lines are bundled.

Why this and not one line per path: a contact center is a hub and spokes — every remote site
talks to the same few central chips (routers, gateways) in the same way, so 4,000 lines of
300 sites say nothing that 300 coloured tiles and a few dozen bundles do not, and they hide
the few lines that differ.  What the picture keeps:

* a tile per remote site (name, hosts, gateway platform, NAT), its border in the worst status
  of every path that touches the site, and a bar of those statuses in proportion — a failed
  path anywhere in a site shows on its tile;
* bundles: in the gutter left of each column of tiles, one lane per (central chip, status,
  kind); a stub joins each tile to every lane its paths run in, and each lane runs up through
  the fan band to its central chip.  A site whose path to ``rtr-a`` failed has a stub into a
  red lane, and only that site does;
* paths between two central sites: one line each, as at host level; paths inside a remote
  site are counted in its tile's bar (they are listed in the paths table).

Tiles run down the columns in the deployment file's order, so each column is a contiguous run
of sites.  Every line says what it stands for in its tooltip; the stubs' ``data-count`` add up,
with the tiles' inside counts and the single lines, to every path of the deployment.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from ccsec.deployment.model import Deployment, Site
from ccsec.report import central
from ccsec.report.central import spread
from ccsec.report.chips import chip_specs, hosts_by_site, nat_name, site_of_ends
from ccsec.report.drawing import CHAR_W, Chip, Drawing, Line, Link, Tile, status_rank
from ccsec.report.hostmap import TARGET_W

TILE_H = 44.0
TILE_GAP = 8.0
MIN_TILE_W = 140.0
MAX_TILE_W = 176.0
PATH_LANE = 4.0
TUNNEL_LANE = 6.5
GUTTER_PAD = 14.0
#: a gutter's lanes take at most this much; more lanes are packed closer (down to MIN_STEP)
MAX_LANES_W = 72.0
MIN_STEP = 2.0


@dataclass
class _Bundle:
    """The paths of one column between one central chip and the column's tiles, of one
    status and kind."""

    chip: str
    status: str
    kind: str
    column: int
    #: tile index → path ids
    stubs: dict[int, list[str]] = field(default_factory=dict)
    x: float = 0.0

    @property
    def key(self) -> tuple[str, str, str, int]:
        return (self.chip, self.status, self.kind, self.column)


@dataclass
class _Pair:
    """Paths between two remote sites, of one status and kind: a lane in each column."""

    tiles: tuple[int, int]
    status: str
    kind: str
    paths: list[str] = field(default_factory=list)
    xs: tuple[float, float] = (0.0, 0.0)


def _scale(kinds: list[str]) -> float:
    """How much a gutter with lanes of ``kinds`` packs them (1: not at all)."""
    natural = sum(TUNNEL_LANE if k == "tunnel" else PATH_LANE for k in kinds)
    return 1.0 if natural <= MAX_LANES_W else MAX_LANES_W / natural


def _step(kind: str, scale: float) -> float:
    return max(MIN_STEP, (TUNNEL_LANE if kind == "tunnel" else PATH_LANE) * scale)


def _tile_w(sites: list[Site]) -> float:
    need = max((len(s.name) * CHAR_W + 20 for s in sites), default=MIN_TILE_W)
    return max(MIN_TILE_W, min(MAX_TILE_W, math.ceil(need)))


def _wan_end(dep: Deployment, name: str, site_name: str, kind: str) -> str:
    """The chip a line of ``name`` leaves from: a tunnel of a gateway behind NAT leaves from
    the NAT device."""
    site = dep.site(site_name)
    if kind == "tunnel" and site.nat is not None and site.gateway is not None \
            and site.gateway.name == name:
        return nat_name(site)
    return name


def tile_text(site: Site, hosts: int) -> str:
    """A tile's second line (a site behind NAT also gets a NAT tag on the tile)."""
    gw = site.gateway
    parts = [f"{hosts} host{'s' if hosts != 1 else ''}"]
    if gw is not None:
        parts.append(gw.platform)
    return " · ".join(parts)


def _tile_tooltip(site: Site, hosts: int, statuses: Counter[str], inside: int) -> str:
    gw = site.gateway
    what = [f"site {site.name} (remote): {hosts} host{'s' if hosts != 1 else ''}"]
    if gw is not None:
        what.append(f"gateway {gw.name} ({gw.platform}, {gw.tunnel}), WAN {gw.wan}")
    if site.nat is not None:
        what.append(f"behind NAT {site.nat.public}")
    total = sum(statuses.values())
    counts = ", ".join(f"{n} {s}" for s, n in sorted(statuses.items(),
                                                      key=lambda kv: status_rank(kv[0])))
    text = "; ".join(what) + f" — {total} paths: {counts or 'none'} ({inside} inside the site)"
    return text + (f" — {site.description}" if site.description else "")


def layout(dep: Deployment, links: list[Link]) -> Drawing:
    """Central boxes with chips, remote tiles on a grid, bundled lines (pure; deterministic)."""
    site_of = site_of_ends(dep)
    links = [lk for lk in links if lk.a in site_of and lk.b in site_of]
    by_site = hosts_by_site(dep)
    central_sites = [s for s in dep.sites if s.kind == "central"]
    remote_sites = [s for s in dep.sites if s.kind != "central"]
    tile_of = {s.name: i for i, s in enumerate(remote_sites)}

    # every path: inside a tile, a bundle stub, a remote pair, or a line between central chips
    statuses: list[Counter[str]] = [Counter() for _ in remote_sites]
    inside = [0] * len(remote_sites)
    to_central: list[tuple[Link, str, int]] = []  # (link, central chip, tile)
    pairs: dict[tuple[int, int, str, str], _Pair] = {}
    central_links: list[Link] = []
    down: set[str] = set()
    for lk in links:
        sa, sb = site_of[lk.a], site_of[lk.b]
        ta, tb = tile_of.get(sa), tile_of.get(sb)
        for t in {ta, tb} - {None}:
            assert t is not None
            statuses[t][lk.status] += 1
        if ta is not None and ta == tb:
            inside[ta] += 1
        elif ta is not None and tb is not None:
            key = (min(ta, tb), max(ta, tb), lk.status, lk.kind)
            pairs.setdefault(key, _Pair((key[0], key[1]), lk.status, lk.kind)).paths.append(
                lk.id)
        elif ta is None and tb is None:
            central_links.append(lk)
            if sa != sb:
                down |= {_wan_end(dep, lk.a, sa, lk.kind), _wan_end(dep, lk.b, sb, lk.kind)}
        else:
            end, tile = (lk.a, tb) if ta is None else (lk.b, ta)
            assert tile is not None
            chip = _wan_end(dep, end, site_of[end], lk.kind)
            down.add(chip)
            to_central.append((lk, chip, tile))

    specs = {s.name: chip_specs(s, by_site.get(s.name, [])) for s in central_sites}
    budget = (TARGET_W - central.CENTRAL_GAP * max(len(central_sites) - 1, 0)) / max(
        len(central_sites), 1)
    boxes = [central.build_box(s, specs[s.name], [lk for lk in central_links
                                                  if site_of[lk.a] == site_of[lk.b] == s.name],
                               down, budget) for s in central_sites]

    # grid: as many columns as the picture's width holds (the target, or the central row when
    # that is wider), given the gutters' lanes
    tile_w = _tile_w(remote_sites)
    lane_kinds = {(chip, lk.status, lk.kind) for lk, chip, _ in to_central}
    kinds = [k for _, _, k in lane_kinds]
    est_gutter = GUTTER_PAD + sum(_step(k, _scale(kinds)) for k in kinds)
    n = len(remote_sites)
    room = max(TARGET_W, central.row_width(boxes)) - 24
    cols = max(1, min(n, int(room // (tile_w + est_gutter + 10))))
    rows = math.ceil(n / cols) if n else 0
    col_of = [i // rows for i in range(n)] if rows else []
    row_of = [i % rows for i in range(n)] if rows else []
    cols = max(col_of, default=0) + 1

    bundles: dict[tuple[str, str, str, int], _Bundle] = {}
    for lk, chip, tile in to_central:
        bundle = bundles.setdefault((chip, lk.status, lk.kind, col_of[tile]),
                                    _Bundle(chip, lk.status, lk.kind, col_of[tile]))
        bundle.stubs.setdefault(tile, []).append(lk.id)
    pair_lanes: dict[int, list[tuple[_Pair, int]]] = {}
    for p in pairs.values():
        for side, t in enumerate(p.tiles):
            pair_lanes.setdefault(col_of[t], []).append((p, side))

    # place the central row first: the lanes are ordered by their chip's x
    scales, gutters = [], []
    for c in range(cols):
        kinds = ([b.kind for b in bundles.values() if b.column == c]
                 + [p.kind for p, _ in pair_lanes.get(c, [])])
        scales.append(_scale(kinds))
        gutters.append(GUTTER_PAD + sum(_step(k, scales[c]) for k in kinds))
    grid_w = sum(gutters) + cols * (tile_w + 10)
    width = max(grid_w + 32, central.row_width(boxes) + 48, 480.0)
    central_bottom = central.place_row(boxes, width)
    chips: dict[str, Chip] = {c.name: c for b in boxes for c in b.chips}
    trunks = len(bundles) + 2 * len(pairs)
    fan = (90 + min(trunks, 200) * 0.6) if boxes or pairs else 0.0
    grid_top = central_bottom + fan + (24 if boxes else 0)

    x = (width - grid_w) / 2
    col_x = []
    for c in range(cols):
        x += gutters[c]
        col_x.append(x)
        x += tile_w + 10
    tiles = []
    for i, s in enumerate(remote_sites):
        tx, ty = col_x[col_of[i]], grid_top + row_of[i] * (TILE_H + TILE_GAP)
        hosts = len(by_site.get(s.name, []))
        tiles.append(Tile(s, tx, ty, tile_w, TILE_H, hosts, dict(statuses[i]), inside[i],
                          _tile_tooltip(s, hosts, statuses[i], inside[i])))
    height = max(grid_top + rows * (TILE_H + TILE_GAP) + 16, central_bottom + 24)

    # lanes: inner (near the tiles) for the rightmost chips, so a column's curves do not cross
    for c in range(cols):
        own = sorted((b for b in bundles.values() if b.column == c),
                     key=lambda b: (-chips[b.chip].cx, b.kind, status_rank(b.status)))
        lane_x = col_x[c] - GUTTER_PAD / 2
        for b in own:
            step = _step(b.kind, scales[c])
            b.x = lane_x - step / 2
            lane_x -= step
        for p, side in sorted(pair_lanes.get(c, []), key=lambda ps: ps[0].tiles):
            step = _step(p.kind, scales[c])
            xs = list(p.xs)
            xs[side] = lane_x - step / 2
            p.xs = (xs[0], xs[1])
            lane_x -= step

    lines = _central_lines(boxes, central_links, site_of, chips, central_bottom, grid_top)
    lines += _bundle_lines(list(bundles.values()), tiles, chips, central_bottom, grid_top)
    lines += _pair_lines(list(pairs.values()), tiles, grid_top, central_bottom)
    connectors = []
    for box in boxes:
        gw, nat = box.site.gateway, chips.get(nat_name(box.site))
        if gw is not None and nat is not None:
            gw_chip = chips[gw.name]
            connectors.append(f"M{gw_chip.x:.1f},{gw_chip.cy:.1f} H{nat.x + nat.w:.1f}")
    return Drawing(width, height, "sites", boxes, chips, lines, connectors, tiles)


def _central_lines(boxes: list, links: list[Link], site_of: dict[str, str],
                   chips: dict[str, Chip], central_bottom: float, grid_top: float
                   ) -> list[Line]:
    """Paths within and between central sites: one line each."""
    out = []
    for b in boxes:
        own = [lk for lk in links if site_of[lk.a] == site_of[lk.b] == b.site.name]
        out += [central.single(lk, d) for lk, d in central.inside_lines(b, own)]
    for lk in links:
        if site_of[lk.a] == site_of[lk.b]:
            continue
        a, b = chips[lk.a], chips[lk.b]
        dip = central_bottom + 10 + min(abs(b.cx - a.cx) / 6, (grid_top - central_bottom) * 0.4)
        out.append(central.single(lk, (
            f"M{a.cx:.1f},{a.y + a.h:.1f} V{central_bottom + 4:.1f} "
            f"C{a.cx:.1f},{dip:.1f} {b.cx:.1f},{dip:.1f} {b.cx:.1f},{central_bottom + 4:.1f} "
            f"V{b.y + b.h:.1f}")))
    return out


def _stub_ys(tiles: list[Tile], bundles: list[_Bundle]) -> dict[tuple[int, int], float]:
    """Where each stub meets its tile: spread over the tile's left edge, in lane order."""
    per_tile: dict[int, list[int]] = {}
    for k, b in enumerate(bundles):
        for t in b.stubs:
            per_tile.setdefault(t, []).append(k)
    out = {}
    for t, ks in per_tile.items():
        ks.sort(key=lambda k: bundles[k].x)
        tile = tiles[t]
        for i, k in enumerate(ks):
            out[(t, k)] = tile.y + tile.h / 2 + spread(i, len(ks), tile.h - 14, 6.0)
    return out


def _bundle_lines(bundles: list[_Bundle], tiles: list[Tile], chips: dict[str, Chip],
                  central_bottom: float, grid_top: float) -> list[Line]:
    """Each bundle: a trunk from its chip down its lane, and a stub to each of its tiles."""
    bundles.sort(key=lambda b: (b.column, b.x))
    stub_y = _stub_ys(tiles, bundles)
    leaving: dict[str, list[int]] = {}
    for k, b in enumerate(bundles):
        leaving.setdefault(b.chip, []).append(k)
    exit_x = {}
    for name, ks in leaving.items():
        ks.sort(key=lambda k: bundles[k].x)
        chip = chips[name]
        for i, k in enumerate(ks):
            exit_x[k] = chip.cx + spread(i, len(ks), chip.w - 16, 4.0)
    fan_mid = (central_bottom + grid_top) / 2
    out = []
    for k, b in enumerate(bundles):
        chip = chips[b.chip]
        ex, lx = exit_x[k], b.x
        ys = [stub_y[(t, k)] for t in b.stubs]
        first = min(b.stubs)
        last = max(b.stubs)
        n = sum(len(v) for v in b.stubs.values())
        span = (tiles[first].site.name if first == last
                else f"{tiles[first].site.name} … {tiles[last].site.name}")
        what = "site tunnels" if b.kind == "tunnel" else "host paths"
        tip = (f"{b.chip} ↔ {len(b.stubs)} site{'s' if len(b.stubs) != 1 else ''} ({span}): "
               f"{n} {what}, {b.status}")
        out.append(Line(b.kind, b.status,
                        f"M{ex:.1f},{chip.y + chip.h:.1f} V{central_bottom + 4:.1f} "
                        f"C{ex:.1f},{fan_mid:.1f} {lx:.1f},{fan_mid:.1f} {lx:.1f},"
                        f"{grid_top - 6:.1f} V{max(ys):.1f}",
                        tip, "#paths", (), n, "trunk"))
        for t, ids in sorted(b.stubs.items()):
            tile = tiles[t]
            y = stub_y[(t, k)]
            out.append(Line(b.kind, b.status, f"M{lx:.1f},{y:.1f} H{tile.x:.1f}",
                            f"{tile.site.name} ↔ {b.chip}: {len(ids)} {what}, {b.status} "
                            f"({', '.join(ids)})",
                            f"#path-{ids[0]}", tuple(ids), len(ids), "stub"))
    return out


def _pair_lines(pairs: list[_Pair], tiles: list[Tile], grid_top: float,
                central_bottom: float) -> list[Line]:
    """Paths between two remote sites: up each one's lane and over the top of the grid."""
    out = []
    top = grid_top - 6
    for p in pairs:
        ta, tb = (tiles[t] for t in p.tiles)
        (ax, bx), ay, by = p.xs, ta.y + ta.h / 2, tb.y + tb.h / 2
        rise = top - 14 - min(abs(bx - ax) / 8, max(grid_top - central_bottom - 40, 10))
        what = "site tunnels" if p.kind == "tunnel" else "host paths"
        out.append(Line(p.kind, p.status,
                        f"M{ta.x:.1f},{ay:.1f} H{ax:.1f} V{top:.1f} "
                        f"C{ax:.1f},{rise:.1f} {bx:.1f},{rise:.1f} {bx:.1f},{top:.1f} "
                        f"V{by:.1f} H{tb.x:.1f}",
                        f"{ta.site.name} ↔ {tb.site.name}: {len(p.paths)} {what}, {p.status} "
                        f"({', '.join(p.paths)})",
                        f"#path-{p.paths[0]}", tuple(p.paths), len(p.paths), "single"))
    return out

