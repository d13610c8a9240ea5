"""The central sites of the picture: one box per site, side by side at the top, each with its
chips in one row — or, when one row would be wider than the site's share of the picture, two:
the chips whose lines leave the site in the bottom row (so those lines drop straight out of the
box), the others above them.

Paths inside a central site never cross a chip: two chips of one row are joined by an arc in
the band above that row (nested by span, so arcs do not lie on top of each other); chips of
neighbouring rows by an S-curve whose control points stay inside the band between the rows;
chips rows apart by a line that drops through the gap beside the upper chip (the rows above
the bottom one hold chips of one width, so their gaps line up).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from ccsec.deployment.model import Site
from ccsec.report.chips import Spec
from ccsec.report.drawing import Box, Chip, Line, Link

PAD = 8
HEADER_H = 42
CHIP_H = 34
CHIP_GAP = 10
NAT_W = 96.0
MIN_CHIP_W = 120.0
MAX_CHIP_W = 184.0
CENTRAL_GAP = 40.0
TOP = 24.0


def chip_width(specs: Iterable[Spec]) -> float:
    """One width for a site's chips: what the longest label needs, within bounds."""
    need = max((s.natural_w() for s in specs if s.kind != "nat"), default=MIN_CHIP_W)
    return max(MIN_CHIP_W, min(MAX_CHIP_W, math.ceil(need)))


def levels(spans: list[tuple[int, int]]) -> list[int]:
    """Nesting level of each arc of one row: shorter spans inside longer ones, a second arc on
    the same span outside the first.  Rows hold a handful of chips, so the pairwise scan stays
    small (it is per row, never over the whole deployment)."""
    order = sorted(range(len(spans)), key=lambda i: (spans[i][1] - spans[i][0], spans[i], i))
    placed: list[tuple[int, int, int]] = []
    out = [0] * len(spans)
    for i in order:
        lo, hi = spans[i]
        inner = [lv for (a, b, lv) in placed if lo <= a and b <= hi]
        out[i] = (max(inner) + 1) if inner else 0
        placed.append((lo, hi, out[i]))
    return out


def spread(i: int, n: int, span: float, step: float) -> float:
    """Offset of the i-th of n lines leaving one edge, centred, at most ``step`` apart."""
    if n <= 1:
        return 0.0
    gap = min(step, span / (n - 1))
    return (i - (n - 1) / 2) * gap


def _rows(specs: list[Spec], down: set[str], per_row: int) -> list[list[Spec]]:
    """One row when it fits; else the chips with lines out of the site in the bottom row
    (with the gateway beside its NAT device, which the gateway's connector needs) and the
    others in rows of ``per_row`` above it."""
    if len(specs) <= per_row:
        return [specs]
    leaving = {s.name for s in specs if s.name in down}
    if any(s.kind == "nat" for s in specs if s.name in leaving):
        leaving |= {s.name for s in specs if s.kind == "gateway"}
    bottom = [s for s in specs if s.name in leaving]
    top = [s for s in specs if s.name not in leaving]
    if not top or not bottom:
        return [specs]
    return [top[i:i + per_row] for i in range(0, len(top), per_row)] + [bottom]


def _row_links(rows: list[list[Spec]], links: list[Link]) -> tuple[list[list[tuple[int, int]]],
                                                                     int]:
    """Spans of the same-row links, per row, and how many links join two rows."""
    where = {s.name: (r, i) for r, row in enumerate(rows) for i, s in enumerate(row)}
    spans: list[list[tuple[int, int]]] = [[] for _ in rows]
    between = 0
    for lk in links:
        ra, ia = where[lk.a]
        rb, ib = where[lk.b]
        if ra == rb:
            spans[ra].append((min(ia, ib), max(ia, ib)))
        else:
            between += 1
    return spans, between


def build_box(site: Site, specs: list[Spec], inside: list[Link], down: set[str],
              budget: float) -> Box:
    """A central site's box, chips placed relative to it; ``inside`` are the site's own paths,
    ``down`` the chips with lines out of the site, ``budget`` the width it may take."""
    w = chip_width(specs)
    per_row = max(2, int((budget - 2 * PAD + CHIP_GAP) // (w + CHIP_GAP)))
    rows = _rows(specs, down, per_row)
    spans, between = _row_links(rows, inside)
    box = Box(site, central=True)
    y = float(HEADER_H)
    width = 0.0
    for r, row in enumerate(rows):
        depth = max(levels(spans[r]), default=-1) + 1
        band = 18 + 9 * depth if depth else 8
        if r > 0 and between:
            band = max(band, 30 + 9 * depth)
        y += band
        x = float(PAD)
        for s in row:
            cw = NAT_W if s.kind == "nat" else w
            box.chips.append(Chip(s.name, s.kind, site.name, x, y, cw, CHIP_H, s.lines,
                                  s.tooltip, s.href or None))
            x += cw + CHIP_GAP
        width = max(width, x - CHIP_GAP + PAD)
        y += CHIP_H
    box.w = max(width, 200.0)
    box.h = y + 8
    return box


def place_row(boxes: list[Box], width: float) -> float:
    """Central boxes side by side, centred in ``width``; chips to absolute coordinates.
    Returns the bottom of the row."""
    total = sum(b.w for b in boxes) + CENTRAL_GAP * max(len(boxes) - 1, 0)
    x = (width - total) / 2
    for b in boxes:
        b.x, b.y = x, TOP
        x += b.w + CENTRAL_GAP
        for c in b.chips:
            c.x += b.x
            c.y += b.y
    return TOP + max((b.h for b in boxes), default=0.0)


def row_width(boxes: list[Box]) -> float:
    return sum(b.w for b in boxes) + CENTRAL_GAP * max(len(boxes) - 1, 0)


def inside_lines(box: Box, inside: list[Link]) -> list[tuple[Link, str]]:
    """SVG path data of every path inside one central box (chips already absolute)."""
    by_name = {c.name: c for c in box.chips}
    rows = sorted({c.y for c in box.chips})
    index = {}
    for y in rows:
        for i, c in enumerate(sorted((c for c in box.chips if c.y == y), key=lambda c: c.x)):
            index[c.name] = i
    row_of = {c.name: rows.index(c.y) for c in box.chips}
    same = [lk for lk in inside if by_name[lk.a].y == by_name[lk.b].y]
    spans = [(min(index[lk.a], index[lk.b]), max(index[lk.a], index[lk.b])) for lk in same]
    level = dict(zip((lk.id for lk in same), levels(spans), strict=True))
    # S-curves: spread their ends over each chip's edge, ordered by the other end's x
    cross = [lk for lk in inside if by_name[lk.a].y != by_name[lk.b].y]
    ends: dict[str, list[tuple[float, str]]] = {}
    for lk in cross:
        for me, other in ((lk.a, lk.b), (lk.b, lk.a)):
            ends.setdefault(me, []).append((by_name[other].cx, lk.id))
    offset: dict[tuple[str, str], float] = {}
    for name, items in ends.items():
        items.sort()
        chip = by_name[name]
        for k, (_, ident) in enumerate(items):
            offset[(name, ident)] = spread(k, len(items), chip.w - 16, 4.0)
    # lines that skip a row share the gap beside their upper chip: spread them over it
    skipping = [lk for lk in cross if abs(row_of[lk.a] - row_of[lk.b]) > 1]
    gap_offset: dict[str, float] = {}
    by_gap: dict[tuple[str, bool], list[str]] = {}
    for lk in skipping:
        up, low = sorted((by_name[lk.a], by_name[lk.b]), key=lambda c: c.y)
        by_gap.setdefault((up.name, low.cx <= up.cx), []).append(lk.id)
    for ids in by_gap.values():
        for k, ident in enumerate(ids):
            gap_offset[ident] = spread(k, len(ids), CHIP_GAP - 3, 2.5)
    out = []
    for lk in inside:
        a, b = by_name[lk.a], by_name[lk.b]
        if lk.id in level:
            lift = 12 + 9 * level[lk.id]
            out.append((lk, f"M{a.cx:.1f},{a.y:.1f} C{a.cx:.1f},{a.y - lift:.1f} "
                            f"{b.cx:.1f},{b.y - lift:.1f} {b.cx:.1f},{b.y:.1f}"))
            continue
        up, low = (a, b) if a.y < b.y else (b, a)
        ux = up.cx + offset[(up.name, lk.id)]
        lx = low.cx + offset[(low.name, lk.id)]
        top, bottom = up.y + up.h, low.y
        if row_of[low.name] - row_of[up.name] == 1:
            mid = (top + bottom) / 2
            out.append((lk, f"M{ux:.1f},{top:.1f} C{ux:.1f},{mid:.1f} {lx:.1f},{mid:.1f} "
                            f"{lx:.1f},{bottom:.1f}"))
            continue
        below = rows[row_of[up.name] + 1]
        y1 = (top + below) / 2
        gx = up.x - CHIP_GAP / 2 if low.cx <= up.cx else up.x + up.w + CHIP_GAP / 2
        gx += gap_offset[lk.id]
        y2 = bottom - (bottom - max(y for y in rows if y < low.y) - CHIP_H) / 2
        out.append((lk, f"M{ux:.1f},{top:.1f} V{y1:.1f} H{gx:.1f} V{y2:.1f} H{lx:.1f} "
                        f"V{bottom:.1f}"))
    return out


def single(lk: Link, data: str) -> Line:
    """The line of one path."""
    return Line(lk.kind, lk.status, data, lk.tooltip, f"#path-{lk.id}", (lk.id,), 1)
