#!/usr/bin/env python3
"""The audit core's CPU on a rendered 1,000-site tree: this checkout and an earlier revision.

Issue 16 (speed): ``run_audit`` of the rendered ``ccsec synth --sites 1000 --pgs-per-site 1
--nat-fraction 0.2 --seed 7 --central-sites 2`` deployment (or of a deployment and tree given
with ``--deployment``/``--configs``, e.g. plain ``ccsec synth --sites 1000 --seed 7``: 6,007
ends, 28,030 rules), after the configurations are read.  Each repetition runs one fresh process
per revision (interleaved), with the cyclic collector off as the CLI runs it; the deployment is
loaded and the tree read (:func:`ccsec.audit.inventory.load_directory`) before the clock
starts.  The process then times ``run_audit`` as a whole, and once more stage by stage on a
fresh context: the pairing's index (``Pairer()``) and its walk with the negotiations left out
(what the main process does while workers negotiate), ``pair`` whole, ``coverage.compute``,
each audit family's ``check`` — CPU seconds (``time.process_time``), since the machine's 2 cores
are shared with other work.  Each process also prints a digest of everything the audit said
(sessions with their contexts, coverage rows, findings): the revisions must agree.

usage: audit_core_bench.py [--compare REV] [--reps 5] [--deployment FILE --configs DIR]
                           [--no-write]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from big_input_bench import export_revision
from common import OUT, ROOT, append, run_child, spread, table

SYNTH = ("--sites", "1000", "--pgs-per-site", "1", "--nat-fraction", "0.2", "--seed", "7",
         "--central-sites", "2")

CHILD = r"""
import gc, hashlib, json, sys, time
gc.disable()
from pathlib import Path
from ccsec.paths import load_deployment
from ccsec.audit import coverage
from ccsec.audit.context import AuditContext
from ccsec.audit.engine import audit_checks, run_audit
from ccsec.audit.inventory import load_directory
from ccsec.audit.pairing import Pairer, _walk, pair
dep_file, out = sys.argv[1], sys.argv[2]


class Kept:  # a stream that keeps the pairs the walk finds (no negotiation)
    def __init__(self):
        self.items = []

    def add(self, item):
        self.items.append(item)


dep = load_deployment(dep_file)
inv = load_directory(Path(out), dep)
checks = audit_checks()
c = time.process_time()
result = run_audit(inv.ends, dep, "d1000.yaml")
times = {"run_audit": time.process_time() - c}
ctx = AuditContext(list(inv.ends), dep, "d1000.yaml", [])
c = time.process_time()
p = Pairer(ctx.ends, dep)
times["Pairer()"] = time.process_time() - c
c = time.process_time()
_walk(p, ctx.ends, Kept())
times["walk, no negotiation"] = time.process_time() - c
times["Pairer() + walk"] = times["Pairer()"] + times["walk, no negotiation"]
del p
c = time.process_time()
ctx.sessions = pair(ctx.ends, dep)
times["pair"] = time.process_time() - c
c = time.process_time()
coverage.compute(ctx)
times["coverage.compute"] = time.process_time() - c
for check in checks:
    c = time.process_time()
    list(check(ctx))
    times[check.__module__] = time.process_time() - c
said = repr(([(s.session, s.path, s.context, s.a[0].source, s.a[1].name,
               s.b[0].source if s.b else None, s.b[1].name if s.b else None)
              for s in result.context.sessions], result.coverage, result.context.weaker,
             [f.to_json() for f in result.findings]))
print(json.dumps({"cpu": times, "findings": len(result.findings),
                  "sessions": len(result.sessions),
                  "digest": hashlib.sha256(said.encode()).hexdigest()[:16]}))
"""


def inputs() -> tuple[Path, Path]:
    """The synthetic deployment and its rendered tree (made once under bench/out/)."""
    folder = OUT / "audit-core"
    dep, tree = folder / "d1000.yaml", folder / "out"
    ccsec = [sys.executable, "-m", "ccsec"]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    if not dep.exists():
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run([*ccsec, "synth", *SYNTH, "-o", str(dep)], env=env, check=True,
                       capture_output=True)
    if not tree.exists():
        subprocess.run([*ccsec, "render", str(dep), "-o", str(tree)], env=env, check=True,
                       capture_output=True)
    return dep, tree


def child(src: Path, dep: Path, tree: Path) -> dict[str, object]:
    return run_child(src, CHILD, dep, tree)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--compare", metavar="REV", default="main")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--deployment", type=Path, help="a deployment already rendered…")
    ap.add_argument("--configs", type=Path, help="…into this tree (instead of bench/out's)")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    if (args.deployment is None) != (args.configs is None):
        ap.error("--deployment and --configs go together")
    dep, tree = (args.deployment, args.configs) if args.deployment else inputs()
    revs = {args.compare: export_revision(args.compare), "this checkout": ROOT / "src"}
    cpu: dict[tuple[str, str], list[float]] = {}
    counts: dict[str, tuple[object, object]] = {}
    digests: dict[str, set[object]] = {}
    for _ in range(args.reps):
        for rev, src in revs.items():
            r = child(src, dep, tree)
            for stage, seconds in dict(r["cpu"]).items():  # type: ignore[call-overload]
                cpu.setdefault((stage, rev), []).append(float(seconds))
            counts[rev] = (r["findings"], r["sessions"])
            digests.setdefault(rev, set()).add(r.get("digest"))
    stages = list(dict.fromkeys(stage for stage, _ in cpu))
    rows = []
    for stage in stages:
        before, now = (sorted(cpu[(stage, rev)]) for rev in revs)
        ratio = before[len(before) // 2] / max(now[len(now) // 2], 1e-9)
        rows.append([stage, spread(before, digits=3), spread(now, digits=3), f"{ratio:.1f}x"])
    same = len(digests[args.compare] | digests["this checkout"]) == 1
    made = f"`{dep.name}` rendered into `{tree.name}`" if args.deployment else \
        f"`ccsec synth {' '.join(SYNTH)}` rendered with `ccsec render`"
    body = (f"{made}; CPU seconds "
            f"(process_time, gc off), median [min–max] of {args.reps} fresh processes per "
            "revision, interleaved; `run_audit` whole, then each stage again on a fresh "
            f"context.  Findings / sessions: {counts[args.compare]} at {args.compare}, "
            f"{counts['this checkout']} now; everything the audit says (sessions with their "
            f"contexts, coverage, findings) is {'identical' if same else 'NOT identical'} "
            "between the two.\n\n")
    body += table(["stage", f"{args.compare} CPU s", "now CPU s", "speed-up"], rows)
    body += ("\n\nThe machine has 2 cores shared with other work: CPU time is steadier than "
             "wall time, but still drifts with cache pressure; ratios are within one run.")
    append(f"audit core: run_audit CPU before/after on the 1,000-site tree (ccsec at "
           f"{args.compare} vs this checkout)", body, write=not args.no_write)


if __name__ == "__main__":
    main()
