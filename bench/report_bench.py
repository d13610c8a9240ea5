#!/usr/bin/env python3
"""The HTML report at 100, 300 and 1,000 sites: how long ``ccsec report`` takes and how big the
file is, and what its sections weigh (issue [ux] item 7: under 5 MB at 300 sites).

For each size a synthetic deployment is written with ``ccsec synth --seed 7``, then
``ccsec report FILE -o OUT`` (planned only: no ``--configs``) runs as a user runs it: a fresh
process, timed from start to exit.  With ``--compare REV`` the same command also runs on
``src/`` of that git revision, interleaved with this checkout size by size, so the ratio of
the two comes from one run on the same (shared, noisy) machine.

Usage::

    python bench/report_bench.py [--sizes 100,300,1000] [--reps 1] [--compare GIT-REV]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT, ROOT, append, spread, src_path, table
from scale_bench import export_revision

#: runs ccsec's CLI and reports the process's peak memory on stderr's last line
RUN = ("import resource, sys\nfrom ccsec.cli import main\nrc = main(sys.argv[1:])\n"
       "print('maxrss', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
       "sys.exit(rc)\n")
SECTIONS = ("topology", "findings", "paths", "policies")


def deployment(sites: int) -> Path:
    src_path()
    from ccsec.synth import SynthOptions, synthesize

    path = OUT / "report" / f"synth-{sites}-sites-seed-7.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = synthesize(SynthOptions(sites=sites, seed=7))
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


def run(src: Path, dep: Path, out: Path) -> dict[str, float]:
    """One ``ccsec report`` in a fresh process: wall seconds, bytes written, peak RSS MB."""
    out.unlink(missing_ok=True)
    env = dict(os.environ, PYTHONPATH=str(src))
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", RUN, "-q", "report", str(dep), "-o", str(out)],
                          env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"ccsec report failed ({proc.returncode}): {proc.stderr[-2000:]}")
    rss = next(int(line.split()[1]) for line in reversed(proc.stderr.splitlines())
               if line.startswith("maxrss"))
    return {"seconds": seconds, "bytes": out.stat().st_size, "rss": rss / 1024}


def sections(html: Path) -> dict[str, int]:
    """Bytes of each big section of a report."""
    text = html.read_text(encoding="utf-8")
    starts = sorted((m.start(), m.group(1)) for m in re.finditer(r'<section id="([a-z]+)"',
                                                                   text))
    starts.append((len(text), ""))
    sizes = {name: end - start for (start, name), (end, _) in pairwise(starts)}
    return {k: sizes.get(k, 0) for k in SECTIONS}


def mb(n: float) -> str:
    return f"{n / 1e6:.2f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100,300,1000")
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--compare", help="also run src/ of this git revision, interleaved")
    ap.add_argument("--no-write", action="store_true", help="print, do not append to RESULTS")
    a = ap.parse_args()
    sizes = [int(s) for s in a.sizes.split(",")]
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="ccsec-report-bench-", dir=OUT))
    try:
        variants = [("this checkout", ROOT / "src")]
        if a.compare:
            variants.insert(0, (f"ccsec at {a.compare}", export_revision(a.compare, tmp / "rev")))
        results: dict[tuple[str, int], list[dict[str, float]]] = {}
        parts: dict[int, dict[str, int]] = {}
        for sites in sizes:
            dep = deployment(sites)
            for _ in range(a.reps):
                for name, src in variants:
                    out = tmp / f"report-{sites}-{len(results)}.html"
                    results.setdefault((name, sites), []).append(run(src, dep, out))
                    if name == "this checkout":
                        parts[sites] = sections(out)
                    out.unlink()
                    print(f"{name}, {sites} sites: {results[(name, sites)][-1]}",
                          file=sys.stderr)
        rows = []
        for sites in sizes:
            for name, _ in variants:
                rs = results[(name, sites)]
                rows.append([f"{sites:,}", name, spread([r["seconds"] for r in rs], digits=1),
                             "**" + mb(rs[-1]["bytes"]) + "**", f"{max(r['rss'] for r in rs):.0f}"])
        body = [f"`ccsec report FILE -o OUT` on `ccsec synth --sites N --seed 7` (planned only), "
                f"one fresh process per run, start to exit; {a.reps} run(s) per size, median "
                "[min–max] seconds. The machine is shared by other jobs (2 cores): expect noise "
                "in the times; the sizes are exact.", "",
                table(["sites", "ccsec", "seconds", "report MB", "peak RSS MB"], rows), ""]
        if a.compare:
            ratio = []
            for sites in sizes:
                old = results[(variants[0][0], sites)][-1]
                new = results[("this checkout", sites)][-1]
                ratio.append([f"{sites:,}", f"{old['bytes'] / new['bytes']:.1f}x smaller",
                              f"{old['seconds'] / new['seconds']:.2f}x"])
            body += ["Side by side (same run):", "",
                     table(["sites", "size", "time old / new"], ratio), ""]
        body += ["What the report of this checkout is made of (MB):", "",
                 table(["sites", *SECTIONS], [[f"{s:,}", *(mb(parts[s][k]) for k in SECTIONS)]
                                              for s in sizes])]
        append(f"report: size and time of `ccsec report` at {', '.join(map(str, sizes))} sites",
               "\n".join(body), write=not a.no_write)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
