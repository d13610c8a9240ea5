"""What every bench script shares: the machine line, timing statistics, markdown tables and the
dated section appended to bench/RESULTS.md.

The machine is shared and noisy (parser-anchors.md: identical work drifts up to 1.5-2x over
minutes), so the scripts interleave the methods they compare inside each repetition, repeat,
and report the median with [min-max]; ratios are taken between methods of the same run.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS.md"
OUT = ROOT / "bench" / "out"  # scratch (git-ignored): corpora, rendered trees, the ccp2 venv


def src_path() -> None:
    """Import ccsec from this checkout, also when the bench runs outside the venv's install."""
    if str(ROOT / "src") not in sys.path:
        sys.path.insert(0, str(ROOT / "src"))


def _first(path: str, key: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.startswith(key):
                    return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def machine() -> str:
    """CPU model, cores, RAM, kernel, Python — one line for the results file."""
    cpu = _first("/proc/cpuinfo", "model name") or platform.processor() or "unknown CPU"
    mem = _first("/proc/meminfo", "MemTotal")
    ram = f"{int(mem.split()[0]) / 2**20:.0f} GiB RAM" if mem else "RAM unknown"
    return (f"{cpu}, {os.cpu_count()} cores, {ram}; Linux {platform.release()}; "
            f"Python {platform.python_version()}")


def command() -> str:
    """The command line that ran this script, as typed from the checkout root."""
    script = Path(sys.argv[0]).resolve()
    try:
        shown = str(script.relative_to(ROOT))
    except ValueError:
        shown = str(script)
    return " ".join(["python", shown, *(shlex.quote(a) for a in sys.argv[1:])])


def stats(values: Sequence[float]) -> tuple[float, float, float]:
    """(median, min, max)."""
    return statistics.median(values), min(values), max(values)


def spread(values: Sequence[float], unit: float = 1.0, digits: int = 3) -> str:
    """``median [min-max]`` scaled by ``unit``."""
    med, lo, hi = stats(values)
    return f"{med * unit:.{digits}f} [{lo * unit:.{digits}f}–{hi * unit:.{digits}f}]"


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def append(title: str, body: str, write: bool = True) -> str:
    """The dated section (title, machine, command, body); appended to RESULTS.md unless
    ``write`` is False.  Whatever the file already holds (other scripts' sections) stays."""
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = (f"\n## {when} — {title}\n\n- machine: {machine()}\n- command: `{command()}`\n\n"
               f"{body.rstrip()}\n")
    print(section)
    if write:
        header = "" if RESULTS.exists() else ("# Benchmark results\n\nAppended by the bench "
                                              "scripts; newest last.\n")
        with RESULTS.open("a", encoding="utf-8") as fh:
            fh.write(header + section)
        print(f"appended to {RESULTS}", file=sys.stderr)
    return section


def run_child(src: Path, script: str, *args: object) -> dict[str, object]:
    """``script`` in a fresh interpreter with ``src`` first on the path; the JSON object its
    last line of output prints (how the benches time one revision's code in isolation)."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run([sys.executable, "-c", script, *map(str, args)], env=env,
                         capture_output=True, text=True, check=True).stdout
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return result
