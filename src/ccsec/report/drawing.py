"""What the topology picture is made of, shared by its two layouts (hosts, sites) and the SVG
writer: statuses and their order, lines, chips, site boxes, tiles and the drawing itself.

Coordinates are SVG user units; the page scales the whole picture to its box (``viewBox``), so
a unit is a CSS pixel only when the picture is shown at its natural size.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ccsec.deployment.model import Site

#: status → legend text, in the audit's own words (coverage of the deployment's paths); the
#: colours live in report.css as ``.s-<status>``
STATUSES: dict[str, str] = {
    "protected": "protected at both ends, compatible",
    "weaker": "protected, but weaker than the profile asks",
    "failed": "configured at both ends, does not negotiate",
    "one-sided": "configured at one end only",
    "missing": "configured at neither end",
    "planned": "planned, not audited",
}

#: worst first: the colour of a line or tile that stands for several paths
WORST_FIRST = ("failed", "missing", "one-sided", "weaker", "planned", "protected")
_RANK = {s: i for i, s in enumerate(WORST_FIRST)}


def worst(statuses: Iterable[str]) -> str:
    """The worst of ``statuses`` (``protected`` for none)."""
    return min(statuses, key=lambda s: _RANK.get(s, 0), default="protected")


def status_rank(status: str) -> int:
    """0 for the worst status; sorts problems first."""
    return _RANK.get(status, 0)


CHAR_W = 6.6  # average glyph width of a chip's name (11 px, bold), for shortening labels
CHAR_W_SMALL = 5.3  # the same for the 9.5 px second line


def shorten(text: str, width: float, char_w: float = CHAR_W) -> str:
    """``text`` cut to fit ``width`` pixels (with an ellipsis)."""
    fit = max(3, int(width / char_w))
    return text if len(text) <= fit else text[: fit - 1] + "…"


@dataclass(frozen=True)
class Link:
    """One path of the deployment as the picture receives it: a host path or a site tunnel
    between two ends (host or gateway names), with its status."""

    id: str
    kind: str  # "path" | "tunnel"
    a: str
    b: str
    status: str
    tooltip: str


@dataclass(frozen=True)
class Line:
    """One drawn line: a single path (host level) or a bundle of paths of one status (site
    level).  ``paths`` are the ids it stands for; ``count`` how many paths (a bundle's stub and
    its trunk both name the same paths, so only stubs and single lines are counted)."""

    kind: str  # "path" | "tunnel"
    status: str
    data: str  # SVG path data
    tooltip: str
    href: str
    paths: tuple[str, ...] = ()
    count: int = 0
    role: str = "single"  # single | stub | trunk


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
    """A site drawn with its chips (always for central sites; remote sites at host level)."""

    site: Site
    central: bool
    x: float = 0.0
    y: float = 0.0
    w: float = 0.0
    h: float = 0.0
    chips: list[Chip] = field(default_factory=list)
    #: remote boxes: the spacing of the lanes in the gutter left of the box
    lane_w: float = 4.0


@dataclass
class Tile:
    """A remote site collapsed to one node (site level): name, what it holds, and a bar of
    the statuses of every path that touches it."""

    site: Site
    x: float
    y: float
    w: float
    h: float
    hosts: int
    #: status → number of paths touching the site
    statuses: dict[str, int]
    #: paths inside the site (not drawn as lines: counted in the bar)
    inside: int
    tooltip: str

    @property
    def status(self) -> str:
        return worst(self.statuses) if self.statuses else "planned"


@dataclass
class Drawing:
    width: float
    height: float
    level: str  # "hosts" | "sites"
    boxes: list[Box]
    chips: dict[str, Chip]
    lines: list[Line]
    connectors: list[str]  # gateway ↔ NAT connectors (SVG path data)
    tiles: list[Tile] = field(default_factory=list)

    def nodes(self) -> list[tuple[str, float, float, float, float]]:
        """(name, x, y, w, h) of every node (site box, chip, tile): what must be in view."""
        out = [(f"site:{b.site.name}", b.x, b.y, b.w, b.h) for b in self.boxes]
        out += [(c.name, c.x, c.y, c.w, c.h) for c in self.chips.values()]
        out += [(f"site:{t.site.name}", t.x, t.y, t.w, t.h) for t in self.tiles]
        return out
