#!/usr/bin/env python3
"""Every benchmark, one after the other (``make bench``); each appends its dated section to
bench/RESULTS.md.  Never part of ``make test``.

1. scale_bench.py — plan + render + audit at 10, 100 and 1,000 sites;
2. ios_bench.py — IOS import against ciscoconfparse2 (own venv, created on first run),
   hier_config 3.x and the floor;
3. import_bench.py — swanctl.conf, Windows export and PowerShell import against the floor;
4. lab_bench.py, when present — the lab's costs (needs root; skipped otherwise, with a note).

A failing script does not stop the others; the exit code is non-zero if any failed.
Arguments after ``--`` are passed to every script (e.g. ``-- --no-write``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SCRIPTS = ("scale_bench.py", "ios_bench.py", "import_bench.py")


def run(script: str, extra: list[str]) -> tuple[str, float, int]:
    t = time.perf_counter()
    print(f"\n=== {script} {' '.join(extra)}", flush=True)
    code = subprocess.run([sys.executable, str(BENCH / script), *extra], check=False).returncode
    return script, time.perf_counter() - t, code


def main() -> int:
    extra = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else []
    results = [run(s, extra) for s in SCRIPTS]
    lab = BENCH / "lab_bench.py"
    if lab.exists():
        if os.geteuid() == 0:
            results.append(run(lab.name, extra))
        else:
            print(f"\n=== {lab.name} skipped: the lab needs root", flush=True)
    print("\n=== summary")
    for script, seconds, code in results:
        print(f"{script:18s} {seconds:7.1f} s  {'ok' if code == 0 else f'FAILED ({code})'}")
    return 1 if any(code for _, _, code in results) else 0


if __name__ == "__main__":
    sys.exit(main())
