"""One PNG per counter group (processor, memory, disk, cache, ipsec, other), thresholds marked.

matplotlib with the Agg backend (no display needed); one subplot per counter, each threshold a
dashed line labelled with its source.  Every PNG is drawn in memory first and only then are all
written (:func:`ccsec.fileio.write_new_files`): a plot that fails leaves nothing behind.  Counter
names come from the file, so they are drawn as plain text (a ``$`` would start matplotlib's
math mode) and cut to a readable length.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

from ccsec.errors import Problem, UserError
from ccsec.fileio import write_new_files
from ccsec.monitor.judge import series_thresholds
from ccsec.monitor.perf import PerfData, Series, group_of

if TYPE_CHECKING:  # matplotlib is imported when a plot is drawn (it is slow to import)
    from matplotlib.axes import Axes

MAX_PANELS = 16
#: longest label drawn (counter paths from a file can be of any length)
MAX_LABEL = 120


def _text(value: str) -> str:
    """File text as matplotlib draws it literally: ``$`` escaped (no math mode), cut."""
    cut = value if len(value) <= MAX_LABEL else value[:MAX_LABEL] + "…"
    return cut.replace("$", r"\$")


def _panel(ax: Axes, s: Series, cpus: int) -> None:
    pts = [(t, v) for t, v in zip(s.times, s.values, strict=True) if v is not None]
    if pts:
        # matplotlib's stubs leave out datetime x values, which its date converter accepts
        ax.plot([p[0] for p in pts], [p[1] for p in pts], linewidth=1)  # type: ignore[arg-type]
    for t in series_thresholds(s):
        ax.axhline(t.limit(cpus), linestyle="--", color="red", linewidth=0.8,
                   label=_text(f"{t.stat} {t.op} {t.limit(cpus):g}: {t.source}"))
    ax.set_title(_text(s.column.label), fontsize=8)
    ax.tick_params(labelsize=6)
    if series_thresholds(s):
        ax.legend(fontsize=6, loc="best")


def render_plots(data: PerfData, cpus: int = 1) -> dict[str, bytes]:
    """``<group>.png`` → PNG bytes, every group drawn before any is written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups: dict[str, list[Series]] = {}
    for s in data.series:
        if any(v is not None for v in s.values):
            groups.setdefault(group_of(s.column), []).append(s)
    out: dict[str, bytes] = {}
    for group, series in sorted(groups.items()):
        series = series[:MAX_PANELS]
        fig, axes = plt.subplots(len(series), 1, figsize=(10, 2.2 * len(series)), squeeze=False)
        try:
            for ax, s in zip(axes[:, 0], series, strict=True):
                _panel(ax, s, cpus)
            fig.suptitle(_text(f"{Path(data.file).name}: {group}"), fontsize=10)
            fig.autofmt_xdate()
            fig.tight_layout()
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=100)
        except (ValueError, OverflowError, RuntimeError) as exc:
            # matplotlib refusing a value the file holds (a date or number it cannot place)
            why = (str(exc).splitlines() or [type(exc).__name__])[0]
            raise UserError(Problem(f"cannot plot the {group} counters: {why}",
                                    file=data.file, fix="check the values of those counters, "
                                    "or judge without -o")) from None
        finally:
            plt.close(fig)
        out[f"{group}.png"] = buf.getvalue()
    return out


def plot(data: PerfData, out_dir: str | Path, cpus: int = 1, force: bool = True) -> list[Path]:
    """Write ``<group>.png`` files into ``out_dir`` (all or none; an existing PNG is replaced
    only with ``force``); returns their paths."""
    return write_new_files(out_dir, render_plots(data, cpus), force)
