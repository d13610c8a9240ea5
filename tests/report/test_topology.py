"""The topology picture's layout from 2 to 50 sites: nothing overlaps, every path is drawn once,
no straight stretch of a line runs through a site it does not belong to, and it is
deterministic."""

from __future__ import annotations

import itertools
import re
from html import unescape

import pytest
from synth import synthetic

from ccsec.deployment import loads
from ccsec.paths import derive
from ccsec.report.topology import Box, Chip, Link, layout, svg

SIZES = [(2, 1), (3, 1), (8, 2), (20, 2), (50, 2), (50, 5)]


def _links(dep) -> list[Link]:
    return [Link(p.id, "tunnel" if p.mode == "tunnel" else "path", p.ends[0].host,
                 p.ends[1].host, "planned", p.id) for p in derive(dep)]


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


def _rect(x: Box | Chip) -> tuple[float, float, float, float]:
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


def _crosses(seg: tuple[float, float, float, float], box: Box) -> bool:
    x1, y1, x2, y2 = seg
    lo_x, hi_x = sorted((x1, x2))
    lo_y, hi_y = sorted((y1, y2))
    return lo_x < box.x + box.w - 0.5 and hi_x > box.x + 0.5 and \
        lo_y < box.y + box.h - 0.5 and hi_y > box.y + 0.5


@pytest.mark.parametrize(("n", "central"), SIZES)
def test_layout_is_clean(n: int, central: int) -> None:
    dep = loads(synthetic(n, central), f"synth-{n}.yaml")
    links = _links(dep)
    d = layout(dep, links)
    assert len(d.boxes) == n
    for a, b in itertools.combinations(d.boxes, 2):
        assert not _overlap(_rect(a), _rect(b)), (a.site.name, b.site.name)
    for box in d.boxes:
        for c in box.chips:
            assert box.x <= c.x and c.x + c.w <= box.x + box.w, c.name
            assert box.y <= c.y and c.y + c.h <= box.y + box.h, c.name
        for a, b in itertools.combinations(box.chips, 2):
            assert not _overlap(_rect(a), _rect(b)), (a.name, b.name)
    assert sorted(lk.id for lk, _ in d.paths) == sorted(lk.id for lk in links)
    box_of = {b.site.name: b for b in d.boxes}
    for lk, data in d.paths:
        own = {dep.host(h).site if h in {x.name for x in dep.hosts} else
               next(s.name for s, g in dep.gateways() if g.name == h) for h in (lk.a, lk.b)}
        for seg in _segments(data):
            for name, box in box_of.items():
                if name not in own:
                    assert not _crosses(seg, box), (lk.id, name, seg)
    # everything inside the canvas, and a canvas a screen can scroll comfortably
    for box in d.boxes:
        assert box.x >= 0 and box.y >= 0
        assert box.x + box.w <= d.width and box.y + box.h <= d.height
    assert d.width <= 3600 and d.height <= 3000


def test_layout_is_deterministic_and_every_link_is_drawn() -> None:
    dep = loads(synthetic(20, 2), "s.yaml")
    links = _links(dep)
    one, two = svg(dep, links), svg(dep, list(reversed(links)))
    assert one == svg(dep, links)
    drawn = re.findall(r'data-path="([^"]+)"', one)
    assert sorted(drawn) == sorted(lk.id for lk in links)
    assert sorted(drawn) == sorted(re.findall(r'data-path="([^"]+)"', two))


def test_remote_sites_fill_a_grid_of_at_most_six_columns() -> None:
    dep = loads(synthetic(50, 2), "s.yaml")
    d = layout(dep, _links(dep))
    remote = [b for b in d.boxes if not b.central]
    columns = sorted({round(b.x) for b in remote})
    rows = sorted({round(b.y) for b in remote})
    assert len(columns) == 6 and len(rows) == 8
    central = [b for b in d.boxes if b.central]
    assert max(b.y + b.h for b in central) < min(rows)  # central sites on top


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
    d = layout(dep, _links(dep))
    for box in d.boxes:
        if box.site.nat is None:
            continue
        nat = d.chips[f"nat:{box.site.name}"]
        gw = d.chips[box.site.gateway.name]
        assert nat.x + nat.w <= gw.x and abs(nat.cy - gw.cy) < 1  # left of it, same row
        tunnels = [data for lk, data in d.paths if lk.kind == "tunnel" and gw.name in
                   (lk.a, lk.b)]
        assert tunnels and all(f"H{nat.x:.1f}" in t for t in tunnels)  # tunnels leave via NAT
