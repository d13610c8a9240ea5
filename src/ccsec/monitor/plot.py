"""One PNG per counter group (processor, memory, disk, cache, ipsec, other), thresholds marked.

matplotlib with the Agg backend (no display needed); one subplot per counter, each threshold a
dashed line labelled with its source.  Files are written atomically.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from ccsec.monitor.judge import series_thresholds
from ccsec.monitor.perf import PerfData, Series, group_of

if TYPE_CHECKING:  # matplotlib is imported when a plot is drawn (it is slow to import)
    from matplotlib.axes import Axes

MAX_PANELS = 16


def _panel(ax: Axes, s: Series, cpus: int) -> None:
    pts = [(t, v) for t, v in zip(s.times, s.values, strict=True) if v is not None]
    if pts:
        # matplotlib's stubs leave out datetime x values, which its date converter accepts
        ax.plot([p[0] for p in pts], [p[1] for p in pts], linewidth=1)  # type: ignore[arg-type]
    for t in series_thresholds(s):
        ax.axhline(t.limit(cpus), linestyle="--", color="red", linewidth=0.8,
                   label=f"{t.stat} {t.op} {t.limit(cpus):g}: {t.source}")
    ax.set_title(s.column.label, fontsize=8)
    ax.tick_params(labelsize=6)
    if series_thresholds(s):
        ax.legend(fontsize=6, loc="best")


def plot(data: PerfData, out_dir: str | Path, cpus: int = 1) -> list[Path]:
    """Write ``<group>.png`` files into ``out_dir``; returns their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    groups: dict[str, list[Series]] = {}
    for s in data.series:
        if any(v is not None for v in s.values):
            groups.setdefault(group_of(s.column), []).append(s)
    written = []
    for group, series in sorted(groups.items()):
        series = series[:MAX_PANELS]
        fig, axes = plt.subplots(len(series), 1, figsize=(10, 2.2 * len(series)), squeeze=False)
        for ax, s in zip(axes[:, 0], series, strict=True):
            _panel(ax, s, cpus)
        fig.suptitle(f"{Path(data.file).name}: {group}", fontsize=10)
        fig.autofmt_xdate()
        fig.tight_layout()
        target = out / f"{group}.png"
        fd, tmp = tempfile.mkstemp(prefix=f".{group}.", suffix=".png", dir=out)
        os.close(fd)
        try:
            fig.savefig(tmp, format="png", dpi=100)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        finally:
            plt.close(fig)
            Path(tmp).unlink(missing_ok=True)
        written.append(target)
    return written
