#!/usr/bin/env python3
"""CPU of the Windows PowerShell and CUCM readers on a rendered deployment tree, this checkout
against a baseline checkout, side by side in one run (issue 16, speed goal).

The tree is what ``ccsec render DEPLOYMENT -o TREE`` writes (the 1,000-site deployment:
2,008 ``ipsec.ps1`` and 2,997 ``cucm-ipsec.txt``).  Each measurement is a fresh process
(``python -c`` with ``PYTHONPATH`` at one checkout's ``src``) that reads every file of one
format first (not timed), disables the collector as the CLI does (``gc.disable()``), then
times ``registry.reader(fmt).parse(text, path)`` over all of them with
``time.process_time()`` — CPU time, since the machine's two cores are shared.  Every
repetition runs baseline and this checkout one after the other (interleaved); the table gives
the median [min–max] and the ratio of the medians.  The processes also hash what they read
(policies, notes, locations, facts, errors) so that the two checkouts are seen to agree.

Usage::

    python bench/reader_bench.py --tree /tmp/out --baseline /work/main/src [--reps 5]
        [--no-write]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, append, spread, table

#: format → the file name it reads in a rendered tree
FILES = {"windows-powershell": "ipsec.ps1", "cucm": "cucm-ipsec.txt"}

#: the measuring process: read the files, time the parse, hash the results
CHILD = r"""
import gc, hashlib, json, sys, time
from pathlib import Path
from ccsec.errors import UserError
from ccsec.formats import registry
fmt, name, tree = sys.argv[1:4]
paths = sorted(str(p) for p in Path(tree).rglob(name))
texts = [Path(p).read_bytes().decode("utf-8", errors="replace").lstrip("\ufeff")
         for p in paths]
reader = registry.reader(fmt)
gc.disable()
results = []
t0 = time.process_time()
for text, path in zip(texts, paths):
    try:
        results.append(reader.parse(text, path))
    except UserError as exc:
        results.append(exc)
cpu = time.process_time() - t0
digest = hashlib.sha256()
for r in results:
    if isinstance(r, UserError):
        digest.update(repr([(p.message, p.line) for p in r.problems]).encode())
    else:
        digest.update(repr(([p.model_dump() for p in r.policies], r.notes, r.locations,
                            r.format_facts)).encode())
print(json.dumps({"cpu": cpu, "files": len(paths), "sha": digest.hexdigest()[:16]}))
"""


def measure(src: Path, fmt: str, tree: Path) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-c", CHILD, fmt, FILES[fmt], str(tree)],
                         env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tree", type=Path, required=True, help="a tree ccsec render wrote")
    ap.add_argument("--baseline", type=Path, required=True,
                    help="the src directory of the checkout to compare against")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--formats", nargs="+", default=list(FILES), choices=list(FILES))
    ap.add_argument("--no-write", action="store_true", help="print, do not append RESULTS.md")
    args = ap.parse_args()
    checkouts = {"baseline": args.baseline.resolve(), "this checkout": ROOT / "src"}
    rows = []
    for fmt in args.formats:
        cpu: dict[str, list[float]] = {k: [] for k in checkouts}
        seen: dict[str, set[str]] = {k: set() for k in checkouts}
        files = 0
        for _ in range(args.reps):
            for label, src in checkouts.items():
                r = measure(src, fmt, args.tree)
                cpu[label].append(float(r["cpu"]))  # type: ignore[arg-type]
                seen[label].add(str(r["sha"]))
                files = int(r["files"])  # type: ignore[call-overload]
        same = "yes" if seen["baseline"] == seen["this checkout"] and \
            len(seen["baseline"]) == 1 else "NO"
        base = sorted(cpu["baseline"])[len(cpu["baseline"]) // 2]
        new = sorted(cpu["this checkout"])[len(cpu["this checkout"]) // 2]
        rows.append([fmt, files, spread(cpu["baseline"]), spread(cpu["this checkout"]),
                     f"{base / new:.2f}x", same])
    body = (table(["reader", "files", "baseline CPU s", "this checkout CPU s", "speed-up",
                   "same results"], rows)
            + f"\n\n{args.reps} repetitions, interleaved, one fresh process each; CPU time "
            "(time.process_time) of the parse calls only, gc disabled; 2 shared cores: "
            "expect noise.\n")
    append("PowerShell/CUCM readers: CPU before/after on the 1,000-site tree", body,
           write=not args.no_write)


if __name__ == "__main__":
    main()
