#!/usr/bin/env python3
"""The deployment loader at 1,000 sites: this checkout and an earlier revision, side by side.

Goal (issue 16, item 8): a 1,000-site deployment (``ccsec synth --sites 1000 --seed 7``) loads in
under 1 s, errors still naming file:line: field.  Three stages, each timed in a fresh process
per repetition, the revisions interleaved within each repetition:

* ``load`` — ``ccsec.deployment.load`` (YAML → validated model, the loader's own rules);
  imports are done before the clock starts;
* ``load + catalog rules`` — ``ccsec.paths.load_deployment``, what every command calls;
* ``error`` — the same file with one bad value in its last host: the time to the located error
  (the revision before the one-pass composer re-read such a file with ruamel's line-tracking
  round-trip loader).

usage: load_bench.py [--compare REV] [--reps 5] [--sites 1000] [--no-write]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from big_input_bench import export_revision
from common import OUT, ROOT, append, run_child, spread, src_path, table

CHILD = r"""
import json, sys, time
from pathlib import Path
stage, path = sys.argv[1], sys.argv[2]
from ccsec.deployment import load
from ccsec.paths import load_deployment
fn = load if stage == "load" else load_deployment
t, c = time.perf_counter(), time.process_time()  # imports excluded: the loader's own work
error = ""
try:
    fn(path)
except Exception as exc:
    error = str(exc).splitlines()[0]
print(json.dumps({"seconds": time.perf_counter() - t, "cpu": time.process_time() - c,
                  "error": error}))
"""

STAGES = (("load", "load", "ok"), ("load + catalog rules", "checked", "ok"),
          ("error", "checked", "bad"))


def files(sites: int) -> dict[str, Path]:
    src_path()
    from ccsec.synth import SynthOptions, synthesize

    folder = OUT / "load"
    folder.mkdir(parents=True, exist_ok=True)
    ok, bad = folder / f"synth-{sites}.yaml", folder / f"synth-{sites}-bad.yaml"
    text = synthesize(SynthOptions(sites=sites, seed=7))
    ok.write_text(text, encoding="utf-8")
    head, _, tail = text.rpartition("roles: [")
    bad.write_text(head + "roles: [nonsense, " + tail, encoding="utf-8")
    return {"ok": ok, "bad": bad}


def child(src: Path, stage: str, path: Path) -> dict[str, object]:
    return run_child(src, CHILD, stage, path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--compare", metavar="REV", default="main")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--sites", type=int, default=1000)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    paths = files(args.sites)
    revs = {args.compare: export_revision(args.compare), "this checkout": ROOT / "src"}
    times: dict[tuple[str, str], list[float]] = {}
    cpu: dict[tuple[str, str], list[float]] = {}
    errors: dict[tuple[str, str], str] = {}
    for _ in range(args.reps):
        for label, stage, which in STAGES:
            for rev, src in revs.items():
                r = child(src, stage, paths[which])
                times.setdefault((label, rev), []).append(float(str(r["seconds"])))
                cpu.setdefault((label, rev), []).append(float(str(r["cpu"])))
                errors[(label, rev)] = str(r["error"])
    rows = []
    for label, _, which in STAGES:
        before, now = (sorted(times[(label, rev)]) for rev in revs)
        cpu_before, cpu_now = (sorted(cpu[(label, rev)]) for rev in revs)
        ratio = before[len(before) // 2] / now[len(now) // 2]
        rows.append([label, spread(before, digits=2), spread(now, digits=2), f"{ratio:.1f}x",
                     spread(cpu_before, digits=2), spread(cpu_now, digits=2),
                     errors[(label, "this checkout")][:90] if which == "bad" else "-"])
    yaml_reader = "ruamel.yaml.clibz installed" if _has_clibz() else "no ruamel.yaml.clibz"
    size = paths["ok"].stat().st_size / 1e6
    body = (f"`ccsec synth --sites {args.sites} --seed 7` ({size:.1f} MB); seconds, median "
            f"[min–max] of {args.reps} fresh processes per stage and revision, interleaved "
            f"({yaml_reader}: the earlier revision's fastest path).\n\n")
    body += table(["stage", f"{args.compare} wall s", "now wall s", "speed-up (wall)",
                   f"{args.compare} CPU s", "now CPU s", "error this checkout reports"], rows)
    mine = sorted(times[("load", "this checkout")])
    best = mine[len(mine) // 2]
    body += (f"\n\nGoal (1,000 sites load in < 1 s): {'**met**' if best < 1 else '**not met**'} "
             f"({best:.2f} s median wall).  The machine has 2 cores shared with other work: "
             "when it is busy, wall time is several times the CPU time the process got.")
    append(f"hardening: the deployment loader at {args.sites:,} sites (ccsec at {args.compare} "
           "vs this checkout)", body, write=not args.no_write)


def _has_clibz() -> bool:
    try:
        from ruamel.yaml.cyaml import CSafeLoader  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    main()
