#!/usr/bin/env python3
"""ciscoconfparse2's side of bench/ios_bench.py, run by the interpreter of its own venv.

ciscoconfparse2 is GPL-3.0 and pins hier-config 2.3.1 (ccsec needs 3.x), so it never shares a
process or an environment with ccsec: this file imports nothing from ccsec.  It times, in one
process, the anchors' query (parser-anchors.md §3, method c: parse, ``find_objects(r"^crypto
map")`` and every child's ``.text``) and its own read + splitlines floor, over the files listed
in FILELIST, after one warm-up file (the import and first-call caches stay out of the timing).

usage: ccp2_worker.py FILELIST  → one JSON line on stdout
"""

from __future__ import annotations

import gc
import json
import sys
import time


def floor(path: str) -> tuple[int, int]:
    with open(path) as f:
        f.read().splitlines()
    return 0, 0


def ccp2(path: str) -> tuple[int, int]:
    from ciscoconfparse2 import CiscoConfParse

    with open(path) as f:
        lines = f.read().splitlines()
    parse = CiscoConfParse(config=lines, syntax="ios")
    n = k = 0
    for obj in parse.find_objects(r"^crypto map"):
        n += 1
        for c in obj.children:
            _ = c.text
            k += 1
    return n, k


def timed(fn, files: list[str]) -> tuple[float, int, int]:  # type: ignore[no-untyped-def]
    gc.collect()
    t = time.perf_counter()
    n = k = 0
    for p in files:
        a, b = fn(p)
        n, k = n + a, k + b
    return time.perf_counter() - t, n, k


def main() -> None:
    with open(sys.argv[1]) as f:
        files = [line.strip() for line in f if line.strip()]
    from importlib.metadata import version

    ccp2(files[0])  # warm-up: import + first-call caches
    floor_s, _, _ = timed(floor, files)
    wall, entries, children = timed(ccp2, files)
    print(json.dumps({"ccp2": wall, "floor": floor_s, "entries": entries, "children": children,
                      "version": version("ciscoconfparse2"),
                      "hier_config": version("hier-config")}))


if __name__ == "__main__":
    main()
