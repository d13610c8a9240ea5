"""The topology picture's layout at both levels of detail: nothing overlaps, every path is
accounted for exactly once, no straight stretch of a line runs through a site it does not
belong to, it is deterministic, fits the width it is laid out for, and stays small at 300
sites."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from html import unescape

import pytest
from synth import synthetic

from ccsec.deployment import Deployment, loads
from ccsec.paths import derive
from ccsec.report.drawing import STATUSES, WORST_FIRST, Box, Chip, Drawing, Tile, worst
from ccsec.report.hostmap import TARGET_W
from ccsec.report.topology import HOST_LEVEL_SITES, Link, layout, level_for, svg
from ccsec.synth import SynthOptions, synthesize

HOST_SIZES = [(2, 1), (3, 1), (6, 2), (9, 1)]
SITE_SIZES = [(10, 1), (20, 2), (50, 2), (50, 5), (120, 2)]
STATUS_CYCLE = list(STATUSES)


def _links(dep: Deployment, mixed: bool = False) -> list[Link]:
    """Every path as a link; ``mixed``: statuses cycle through all of them."""
    return [Link(p.id, "tunnel" if p.mode == "tunnel" else "path", p.ends[0].host,
                 p.ends[1].host, STATUS_CYCLE[i % len(STATUS_CYCLE)] if mixed else "planned",
                 p.id) for i, p in enumerate(derive(dep))]


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


def _rect(x: Box | Chip | Tile) -> tuple[float, float, float, float]:
    return (x.x, x.y, x.w, x.h)


def _segments(data: str) -> list[tuple[float, float, float, float]]:
    """The straight stretches (M/H/V) of an SVG path; curves are skipped but move the pen."""
    segs = []
    x = y = 0.0
    for cmd, args in re.findall(r"([MHVC])([^MHVC]*)", data):
        nums = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", args)]
        if cmd == "M":
            x, y = nums
        elif cmd == "H":
            segs.append((x, y, nums[0], y))
            x = nums[0]
        elif cmd == "V":
            segs.append((x, y, x, nums[0]))
            y = nums[0]
        elif cmd == "C":
            x, y = nums[-2], nums[-1]
    return segs


def _crosses(seg: tuple[float, float, float, float], r: Box | Tile | Chip) -> bool:
    x1, y1, x2, y2 = seg
    lo_x, hi_x = sorted((x1, x2))
    lo_y, hi_y = sorted((y1, y2))
    return lo_x < r.x + r.w - 0.5 and hi_x > r.x + 0.5 and \
        lo_y < r.y + r.h - 0.5 and hi_y > r.y + 0.5


def _nodes_apart(d: Drawing) -> None:
    """Boxes and tiles do not overlap; chips sit inside their box and apart; all inside the
    canvas."""
    areas = [_rect(b) for b in d.boxes] + [_rect(t) for t in d.tiles]
    for a, b in itertools.combinations(areas, 2):
        assert not _overlap(a, b), (a, b)
    for box in d.boxes:
        for c in box.chips:
            assert box.x <= c.x and c.x + c.w <= box.x + box.w, c.name
            assert box.y <= c.y and c.y + c.h <= box.y + box.h, c.name
        for a, b in itertools.combinations(box.chips, 2):
            assert not _overlap(_rect(a), _rect(b)), (a.name, b.name)
    for _, x, y, w, h in d.nodes():
        assert x >= 0 and y >= 0 and x + w <= d.width and y + h <= d.height


@pytest.mark.parametrize(("n", "central"), HOST_SIZES)
def test_host_level_layout_is_clean(n: int, central: int) -> None:
    dep = loads(synthetic(n, central), f"synth-{n}.yaml")
    assert level_for(dep) == "hosts"
    links = _links(dep)
    d = layout(dep, links)
    assert d.level == "hosts" and len(d.boxes) == n and not d.tiles
    _nodes_apart(d)
    # one line per path, each exactly once
    assert sorted(ln.paths[0] for ln in d.lines) == sorted(lk.id for lk in links)
    assert all(ln.role == "single" and ln.count == 1 for ln in d.lines)
    box_of = {b.site.name: b for b in d.boxes}
    site_of = {h.name: h.site for h in dep.hosts} | {g.name: s.name for s, g in dep.gateways()}
    by_id = {lk.id: lk for lk in links}
    for ln in d.lines:
        lk = by_id[ln.paths[0]]
        own = {site_of[lk.a], site_of[lk.b]}
        for seg in _segments(ln.data):
            for name, box in box_of.items():
                if name not in own:
                    assert not _crosses(seg, box), (lk.id, name, seg)
    # laid out for a laptop window: at most about the target width
    assert d.width <= TARGET_W + 200


@pytest.mark.parametrize(("n", "central"), SITE_SIZES)
def test_site_level_layout_accounts_for_every_path(n: int, central: int) -> None:
    dep = loads(synthetic(n, central), f"synth-{n}.yaml")
    assert level_for(dep) == "sites"
    links = _links(dep, mixed=True)
    d = layout(dep, links)
    assert d.level == "sites"
    assert len(d.tiles) == n - central and all(b.central for b in d.boxes)
    _nodes_apart(d)
    # every path counted once: single lines, stubs of bundles, and inside the tiles
    singles = [p for ln in d.lines if ln.role == "single" for p in ln.paths]
    stubbed = [p for ln in d.lines if ln.role == "stub" for p in ln.paths]
    assert sum(ln.count for ln in d.lines if ln.role != "trunk") == len(singles) + len(stubbed)
    inside = sum(t.inside for t in d.tiles)
    assert len(singles) + len(stubbed) + inside == len(links)
    assert len(set(singles) | set(stubbed)) == len(singles) + len(stubbed)
    # a tile's statuses are those of every path touching its site, its colour the worst
    site_of = {h.name: h.site for h in dep.hosts} | {g.name: s.name for s, g in dep.gateways()}
    for t in d.tiles:
        want = Counter(lk.status for lk in links
                       if t.site.name in (site_of[lk.a], site_of[lk.b]))
        assert t.statuses == dict(want), t.site.name
        assert t.status == worst(want)
    # a bundle's lines are in one status, and only stubs of that status join it
    assert {ln.status for ln in d.lines} <= set(STATUSES)
    # no straight stretch runs through a tile it does not end at, or through a site box
    for ln in d.lines:
        x0, y0 = (float(v) for v in re.match(r"M(-?[\d.]+),(-?[\d.]+)", ln.data).groups())
        for seg in _segments(ln.data):
            for box in d.boxes:
                starts_in = box.x <= x0 <= box.x + box.w and box.y <= y0 <= box.y + box.h
                if ln.role == "single" or starts_in:
                    continue  # a line out of a central chip starts inside its own box
                assert not _crosses(seg, box), (ln.tooltip, box.site.name)
            for t in d.tiles:
                end = ln.role != "trunk" and abs(seg[2] - t.x) < 0.6 and \
                    t.y <= seg[1] <= t.y + t.h
                if not end:
                    assert not _crosses(seg, t), (ln.tooltip, t.site.name, seg)
    # the grid of tiles fits the target width, or the central row's when that is wider; only
    # a row of many central sites makes the picture wider
    grid = max(t.x + t.w for t in d.tiles) - min(t.x for t in d.tiles)
    central = max(b.x + b.w for b in d.boxes) - min(b.x for b in d.boxes)
    assert grid <= max(TARGET_W, central)
    assert d.width <= max(TARGET_W + 200, central + 48)


def test_threshold_between_the_levels() -> None:
    at = loads(synthetic(HOST_LEVEL_SITES + 1, 1), "s.yaml")
    over = loads(synthetic(HOST_LEVEL_SITES + 2, 1), "s.yaml")
    assert level_for(at) == "hosts" and level_for(over) == "sites"
    # either level can be asked for
    assert layout(over, _links(over), "hosts").level == "hosts"


def test_worst_status_order() -> None:
    assert worst(["protected", "weaker"]) == "weaker"
    assert worst(["weaker", "one-sided", "protected"]) == "one-sided"
    assert worst(["missing", "failed"]) == "failed"
    assert worst(["planned", "protected"]) == "planned"
    assert set(WORST_FIRST) == set(STATUSES)


def test_layout_is_deterministic_and_every_link_is_drawn() -> None:
    dep = loads(synthetic(6, 2), "s.yaml")
    links = _links(dep)
    one, two = svg(dep, links), svg(dep, list(reversed(links)))
    assert one == svg(dep, links)
    drawn = re.findall(r'data-path="([^"]+)"', one)
    assert sorted(drawn) == sorted(lk.id for lk in links)
    assert sorted(drawn) == sorted(re.findall(r'data-path="([^"]+)"', two))


def test_300_sites_are_tiles_and_small() -> None:
    """`ccsec synth --sites 300 --seed 7`: one tile per remote site, a few dozen bundles, and
    a picture a browser draws at once (it was a 2.7 MB wall of 4,213 lines)."""
    dep = loads(synthesize(SynthOptions(sites=300, seed=7)), "s300.yaml")
    links = _links(dep, mixed=True)
    picture = svg(dep, links)
    assert 'data-level="sites"' in picture
    assert picture.count('class="tile s-') == 300
    lines = re.findall(r'data-role="(\w+)"', picture)
    assert Counter(lines)["trunk"] <= 200  # bundles, not one line per path
    assert len(picture) < 1_200_000
    d = layout(dep, links)
    assert max(t.x + t.w for t in d.tiles) - min(t.x for t in d.tiles) <= d.width - 48
    assert d.width < 1.25 * TARGET_W  # shown at 80 % or more of its size in a 1280 px window
    # the columns are contiguous runs of sites in file order
    xs = [t.x for t in d.tiles]
    assert xs == sorted(xs)


def test_long_names_are_shortened_on_the_picture_and_whole_in_the_tooltip() -> None:
    long_host = "h" + "x" * 61 + "1"
    text = synthetic(2, 1).replace("name: aw-1,", f"name: {long_host},")
    dep = loads(text, "s.yaml")
    picture = svg(dep, _links(dep))
    labels = [unescape(t) for t in re.findall(r'class="chip-name">([^<]*)<', picture)]
    assert any(lbl.startswith("hxxx") and lbl.endswith("…") for lbl in labels)
    assert long_host in picture  # in the chip's <title>


def test_nat_device_sits_between_gateway_and_wan() -> None:
    dep = loads(synthetic(4, 1, nat_every=1), "s.yaml")
    links = {lk.id: lk for lk in _links(dep)}
    d = layout(dep, list(links.values()))
    for box in d.boxes:
        if box.site.nat is None:
            continue
        nat = d.chips[f"nat:{box.site.name}"]
        gw = d.chips[box.site.gateway.name]
        assert nat.x + nat.w <= gw.x and abs(nat.cy - gw.cy) < 1  # left of it, same row
        tunnels = [ln.data for ln in d.lines if ln.kind == "tunnel"
                   and gw.name in (links[ln.paths[0]].a, links[ln.paths[0]].b)]
        assert tunnels and all(f"H{nat.x:.1f}" in t for t in tunnels)  # tunnels leave via NAT


def test_a_crowded_central_site_wraps_lines_leaving_from_the_bottom_row() -> None:
    """A central site too wide for one row puts the chips with lines out of the site in the
    bottom row, so no line out of the site starts above another chip of it, and the others in
    rows above; no line inside the site runs through a chip."""
    dep = loads(synthetic(3, 1).replace(
        "hosts:\n", "hosts:\n" + "".join(
            f"  - {{name: srv-{i}, site: dc-01, roles: [aw, hds], domain: icm.example, "
            f"public: 10.1.4.{i + 10}}}\n" for i in range(8))), "s.yaml")
    links = _links(dep)
    d = layout(dep, links)
    box = next(b for b in d.boxes if b.central)
    rows = sorted({c.y for c in box.chips})
    assert len(rows) == 3 and box.w <= TARGET_W
    site_of = {h.name: h.site for h in dep.hosts} | {g.name: s.name for s, g in dep.gateways()}
    out_of_site = {n for lk in links if site_of[lk.a] != site_of[lk.b] for n in (lk.a, lk.b)}
    mine = {c.name for c in box.chips}
    assert out_of_site & mine
    for c in box.chips:
        if c.name in out_of_site:
            assert c.y == rows[-1], c.name
    assert any(c.y == rows[0] for c in box.chips)
    # no straight stretch of a line inside the site runs through a chip it does not join
    by_id = {lk.id: lk for lk in links}
    for ln in d.lines:
        lk = by_id[ln.paths[0]]
        for seg in _segments(ln.data):
            for c in box.chips:
                if c.name not in (lk.a, lk.b):
                    assert not _crosses(seg, c), (lk.id, c.name, seg)
