#!/usr/bin/env python3
"""Plan + render (every end's formats) + audit of the rendered output, at 10, 100 and 1,000
sites (issue [scale] point 2, first bullet).

For each size a synthetic deployment is written with ``ccsec synth`` (seed 1, ~10 servers per
site), then a **fresh process per size** runs the stages a user runs (``ccsec render`` then
``ccsec audit DEPLOYMENT --configs OUT``), timing each:

* load — read and validate the deployment file;
* plan — paths and both ends' policies;
* render — every end in its platform's formats (in memory);
* index — ``index.json`` (hashes of every file);
* write — the output tree to disk (``fileio.write_tree``: one fsync per file, then a rename);
* import — read the tree back (format sniffing and every format's parser);
* audit — pairing, negotiation, coverage and every check family.

``pipeline`` is load + plan + render + index + import + audit: the work ccsec does.  The disk
write is reported beside it: it is bound by fsync on this machine's disk, not by ccsec.  Peak
memory is the worker's ``ru_maxrss``.  Growth is the ratio between sizes 10x apart (linear work
with a fixed part: below 10x).

``--cli`` measures what a user waits for instead: each stage is a command in a fresh process
(process start to exit, output to /dev/null), on ``ccsec synth --sites N --seed 7``:

* load — ``python -c 'ccsec.api.load(FILE)'`` (no command only loads);
* paths, plan — ``ccsec paths FILE``, ``ccsec plan FILE``;
* render — ``ccsec render FILE -o OUT`` (every format of each end, written to disk);
* audit — ``ccsec audit FILE --configs OUT`` (the rendered tree read back and judged).

With ``--compare REV`` both revisions run each command on the same file, interleaved, and the
goal line checks render + audit of 1,000 sites (≤ 10 s) and 100 → 1,000 growth (≤ 11x).

Usage::

    python bench/scale_bench.py [--sizes 10,100,1000] [--reps 1] [--no-write]
    python bench/scale_bench.py --cli --compare 82954cf --sizes 100,300,1000
    python bench/scale_bench.py --rev GIT-REV ...   # measure another revision's src/ instead
    python bench/scale_bench.py --compare GIT-REV ...  # that revision and this checkout, side
                                                       # by side in one run (interleaved)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from itertools import pairwise
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT, ROOT, append, spread, src_path, table

STAGES = ("load", "plan", "render", "index", "write", "import", "audit")
PIPELINE = ("load", "plan", "render", "index", "import", "audit")
GOAL_SECONDS = 10.0
GOAL_GROWTH = 11.0


# ------------------------------------------------------------------------------- worker


def yaml_loader() -> str:
    """Which YAML reader ``ccsec.deployment.load`` uses in this process (this checkout, or an
    older revision under ``--compare``)."""
    safe = sys.modules.get("ccsec.yamlsafe")
    if safe is not None:
        c = getattr(safe, "_Loader", None).__name__ == "CSafeLoader"  # type: ignore[union-attr]
        return "one-pass composer on " + ("libyaml events (PyYAML)" if c else
                                          "PyYAML's pure-Python events")
    mod = sys.modules.get("ccsec.deployment.load")
    if mod is None or not hasattr(mod, "_fast"):
        return "round-trip (pure Python)"
    return "libyaml (ruamel.yaml.clibz)" if getattr(mod, "_CLoader", None) else \
        "safe (pure Python)"


def pure_yaml_load_seconds(deployment: Path) -> float | None:
    """The load stage again without libyaml, when libyaml was used (both numbers reported)."""
    safe = sys.modules.get("ccsec.yamlsafe")
    mod = sys.modules.get("ccsec.deployment.load")
    if mod is None:
        return None
    if safe is not None:
        import yaml

        if safe._Loader is yaml.SafeLoader:  # type: ignore[attr-defined]
            return None
        holder, attr, pure = safe, "_Loader", yaml.SafeLoader
    elif getattr(mod, "_CLoader", None):
        holder, attr, pure = mod, "_CLoader", None
    else:
        return None
    saved = getattr(holder, attr)
    setattr(holder, attr, pure)
    try:
        t = time.perf_counter()
        mod.load(deployment)  # type: ignore[attr-defined]
        return time.perf_counter() - t
    finally:
        setattr(holder, attr, saved)


def worker(deployment: Path, workdir: Path, profile: Path | None = None) -> dict[str, object]:
    """One size in this (fresh) process: every stage timed, counts, peak RSS; with ``profile``
    each stage also runs under pyinstrument and its call tree goes to that file."""
    from ccsec.audit.engine import run_audit
    from ccsec.audit.inventory import load_directory
    from ccsec.deployment import load
    from ccsec.fileio import write_tree
    from ccsec.formats.base import RenderContext
    from ccsec.plan import plan
    from ccsec.render import output_files, render_policy_set
    from ccsec.secrets import SecretResolver

    seconds: dict[str, float] = {}
    trees: list[str] = []

    def timed(stage: str, fn, *args):  # type: ignore[no-untyped-def]
        if profile is not None:
            from pyinstrument import Profiler

            prof = Profiler(interval=0.002)
            prof.start()
        t = time.perf_counter()
        value = fn(*args)
        seconds[stage] = time.perf_counter() - t
        if profile is not None:
            prof.stop()
            trees.append(f"==== {stage}\n" + prof.output_text(color=False))
        return value

    dep = timed("load", load, deployment)
    ps = timed("plan", plan, dep)
    ctx = RenderContext(dep.deployment, ps.profile, SecretResolver(deployment.parent))
    result = timed("render", render_policy_set, ps, ctx)
    files = timed("index", output_files, ps, result, ctx)
    out = workdir / "out"
    timed("write", write_tree, out, files)
    inv = timed("import", load_directory, out, dep)
    audit = timed("audit", run_audit, inv.ends, dep, str(deployment))
    if profile is not None:
        profile.write_text("\n".join(trees), encoding="utf-8")
    formats: dict[str, int] = {}
    for f in result.files:
        formats[f.format] = formats.get(f.format, 0) + 1
    return {
        "seconds": seconds,
        "sites": len(dep.sites), "hosts": len(dep.hosts), "gateways": len(dep.gateways()),
        "paths": len(ps.paths), "ends": len(ps.ends),
        "rules": sum(len(e.rules) for e in ps.ends),
        "files": len(result.files), "skipped": len(result.skipped), "formats": formats,
        "rendered_mb": sum(len(f.text.encode()) for f in result.files) / 1e6,
        "imported_ends": len(inv.ends), "findings": len(audit.findings),
        "sessions": len(audit.sessions), "coverage": len(audit.coverage),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "yaml": yaml_loader(), "load_pure_yaml": pure_yaml_load_seconds(deployment),
    }


# ------------------------------------------------------------------------------- parent


def export_revision(rev: str, into: Path) -> Path:
    """``src/`` of a git revision, extracted with ``git archive`` (no change to the checkout)."""
    into.mkdir(parents=True, exist_ok=True)
    data = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", rev, "src"],
                          check=True, capture_output=True).stdout
    tar = into / "src.tar"
    tar.write_bytes(data)
    with tarfile.open(tar) as t:
        t.extractall(into, filter="data")
    return into / "src"


def deployment_file(sites: int) -> Path:
    src_path()
    from ccsec.synth import SynthOptions, synthesize

    path = OUT / "scale" / f"synth-{sites}-sites.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = synthesize(SynthOptions(sites=sites, seed=1))
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


def run_size(sites: int, src: Path, profile: bool = False) -> dict[str, object]:
    deployment = deployment_file(sites)
    with tempfile.TemporaryDirectory(prefix="ccsec-scale-", dir=OUT) as tmp:
        env = dict(os.environ, PYTHONPATH=str(src))
        extra = ["--profile-to", str(OUT / f"profile-{sites}-sites.txt")] if profile else []
        proc = subprocess.run([sys.executable, __file__, "--worker", str(deployment),
                               "--workdir", tmp, *extra], env=env, capture_output=True,
                              text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"worker for {sites} sites failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def pipeline(r: dict[str, object]) -> float:
    s = r["seconds"]
    assert isinstance(s, dict)
    return sum(s[k] for k in PIPELINE)


def report(sizes: list[int], runs: dict[int, list[dict[str, object]]], label: str) -> str:
    rows = []
    for n in sizes:
        rs = runs[n]
        first = rs[0]
        cells: list[object] = [f"{n:,}", f"{first['hosts']:,} + {first['gateways']:,}",
                               f"{first['paths']:,} / {first['rules']:,}",
                               f"{first['files']:,} ({first['rendered_mb']:.1f} MB)"]
        cells += [spread([r["seconds"][k] for r in rs], digits=2) for k in STAGES]  # type: ignore[index]
        cells.append("**" + spread([pipeline(r) for r in rs], digits=2) + "**")
        cells.append(f"{max(float(r['peak_rss_mb']) for r in rs):,.0f}")  # type: ignore[arg-type]
        rows.append(cells)
    body = [f"{label}: seconds per stage, median [min–max] of {len(runs[sizes[0]])} run(s), "
            "each size in a fresh process.\n",
            table(["sites", "hosts + gateways", "paths / rules", "files rendered",
                   *STAGES, "pipeline (no write)", "peak RSS MB"], rows)]
    growth = []
    for small, large in pairwise(sizes):
        if large != small * 10:
            continue
        med = {n: sorted(pipeline(r) for r in runs[n])[len(runs[n]) // 2] for n in (small, large)}
        per_stage = ", ".join(
            f"{k} {_median(runs[large], k) / max(_median(runs[small], k), 1e-9):.1f}x"
            for k in STAGES)
        growth.append([f"{small:,} → {large:,}", f"{med[large] / med[small]:.1f}x", per_stage])
    if growth:
        body += ["\nGrowth per 10x sites:\n", table(["sizes", "pipeline", "per stage"], growth)]
    counts = [[f"{n:,}", runs[n][0]["ends"], runs[n][0]["skipped"],
               ", ".join(f"{k} {v}" for k, v in sorted(runs[n][0]["formats"].items())),  # type: ignore[union-attr]
               runs[n][0]["imported_ends"], runs[n][0]["sessions"], runs[n][0]["coverage"],
               runs[n][0]["findings"]] for n in sizes]
    body += ["\nWhat each size holds:\n",
             table(["sites", "ends", "skipped (best-effort format)", "files by format",
                    "imported ends", "sessions", "coverage rows", "findings"], counts)]
    loaders = {str(r["yaml"]) for rs in runs.values() for r in rs}
    body.append(f"\nDeployment YAML read by: {', '.join(sorted(loaders))}.")
    pure = [(n, r["load_pure_yaml"]) for n in sizes for r in runs[n][:1]
            if r.get("load_pure_yaml") is not None]
    if pure:
        body.append("Load stage without libyaml (pure-Python YAML, same process): "
                    + ", ".join(f"{n:,} sites {v:.2f} s" for n, v in pure) + ".")
    if 1000 in runs and 100 in runs:
        big = sorted(pipeline(r) for r in runs[1000])[len(runs[1000]) // 2]
        g = big / sorted(pipeline(r) for r in runs[100])[len(runs[100]) // 2]
        body += ["\nGoals: 1,000 sites ≤ 10 s: "
                 f"{'**met**' if big <= GOAL_SECONDS else '**not met**'} ({big:.1f} s pipeline); "
                 f"growth per 10x ≤ 11x: {'**met**' if g <= GOAL_GROWTH else '**not met**'} "
                 f"(100 → 1,000: {g:.1f}x)."]
    return "\n".join(body)


# ------------------------------------------------------------------------- through the CLI

CLI_STAGES = ("load", "paths", "plan", "render", "audit")
#: the load both revisions have (``ccsec.api.load``: the file read and validated)
_LOAD = "import sys; from ccsec import api; api.load(sys.argv[1])"


def cli_deployment(sites: int) -> Path:
    """``ccsec synth --sites N --seed 7`` of this checkout (the same file for both revisions)."""
    src_path()
    from ccsec.synth import SynthOptions, synthesize

    path = OUT / "scale" / f"synth-{sites}-sites-seed-7.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = synthesize(SynthOptions(sites=sites, seed=7))
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


def cli_run(sites: int, src: Path, keep: Path) -> dict[str, float]:
    """Every CLI stage once, each in a fresh process; wall seconds per stage.  The rendered
    tree stays under ``keep`` until the whole run is over: deleting 6,000 files makes this
    machine's disk discard their blocks for seconds after the deletion returns, and a render
    started then was measured 2-3x slower (system time) — the deletion's cost, not ccsec's."""
    deployment = cli_deployment(sites)
    env = dict(os.environ, PYTHONPATH=str(src), CCSEC_JOBS=os.environ.get("CCSEC_JOBS", ""))
    env.pop("COLUMNS", None)
    seconds: dict[str, float] = {}
    tmp = tempfile.mkdtemp(prefix="ccsec-cli-", dir=keep)
    out = str(Path(tmp) / "out")
    commands = {
        "load": [sys.executable, "-c", _LOAD, str(deployment)],
        "paths": [sys.executable, "-m", "ccsec", "paths", str(deployment)],
        "plan": [sys.executable, "-m", "ccsec", "plan", str(deployment)],
        "render": [sys.executable, "-m", "ccsec", "render", str(deployment), "-o", out],
        "audit": [sys.executable, "-m", "ccsec", "audit", str(deployment), "--configs", out],
    }
    for stage, argv in commands.items():
        # each command starts on a quiet disk: what the previous one left to flush is
        # not counted in this one's time; a command's own writes are (render syncs its
        # tree before it exits)
        os.sync()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        proc = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, check=False)
        seconds[stage] = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        # CPU of the command and its workers (user + system): what it costs, whatever
        # else the machine runs meanwhile
        seconds[f"{stage} cpu"] = (after.ru_utime - before.ru_utime
                                   + after.ru_stime - before.ru_stime)
        if proc.returncode not in ((0, 1) if stage == "audit" else (0,)):
            raise SystemExit(f"{stage} at {sites} sites ({src}) failed with "
                             f"{proc.returncode}:\n{proc.stderr[-4000:]}")
    return seconds


def cli_report(sizes: list[int], runs: dict[str, dict[int, list[dict[str, float]]]]) -> str:
    """Per stage and size: each revision's median [min–max] wall seconds, side by side."""
    labels = list(runs)
    med = {lab: {n: {k: statistics.median(r[k] for r in runs[lab][n])
                     for k in CLI_STAGES} for n in sizes} for lab in labels}
    rows = []
    for n in sizes:
        for k in (*CLI_STAGES, "render + audit"):
            cells: list[object] = [f"{n:,}", k]
            for lab in labels:
                values = [r[k] if k in r else r["render"] + r["audit"] for r in runs[lab][n]]
                cells.append(spread(values, digits=2))
            if len(labels) == 2:
                a = med[labels[0]][n]
                b = med[labels[1]][n]
                va = a[k] if k in a else a["render"] + a["audit"]
                vb = b[k] if k in b else b["render"] + b["audit"]
                cells.append(f"{va / max(vb, 1e-9):.1f}x")
            rows.append(cells)
    header = ["sites", "stage", *labels] + (["speed-up"] if len(labels) == 2 else [])
    body = [f"Wall seconds from process start to exit, median [min–max] of "
            f"{len(runs[labels[0]][sizes[0]])} run(s), revisions interleaved per size.\n",
            table(header, rows), "\nCPU seconds (user + system, the command and its worker "
            "processes), median of the runs — the work done, less sensitive to what else "
            "the machine runs than wall time:\n", _cpu_table(sizes, runs)]
    now = labels[-1]
    if 1000 in sizes:
        total = med[now][1000]["render"] + med[now][1000]["audit"]
        line = (f"\nGoals ({now}): render + audit of 1,000 sites ≤ 10 s: "
                f"{'**met**' if total <= GOAL_SECONDS else '**not met**'} ({total:.1f} s)")
        if 100 in sizes:
            small = med[now][100]["render"] + med[now][100]["audit"]
            growth = total / small
            line += (f"; 100 → 1,000 sites ≤ 11x: "
                     f"{'**met**' if growth <= GOAL_GROWTH else '**not met**'} ({growth:.1f}x)")
        body.append(line + ".")
    return "\n".join(body)


def _cpu_table(sizes: list[int], runs: dict[str, dict[int, list[dict[str, float]]]]) -> str:
    labels = list(runs)
    rows = []
    for n in sizes:
        for k in ("render", "audit"):
            cpu = [statistics.median(r[f"{k} cpu"] for r in runs[lab][n]) for lab in labels]
            rows.append([f"{n:,}", k, *(f"{c:.2f}" for c in cpu)])
    return table(["sites", "stage", *labels], rows)


def cli_main(a: argparse.Namespace, sizes: list[int]) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="ccsec-rev-", dir=OUT)) if a.compare or a.rev else None
    keep = Path(tempfile.mkdtemp(prefix="ccsec-cli-", dir=OUT))
    try:
        variants: list[tuple[str, Path]] = []
        if tmp is not None:
            rev = a.compare or a.rev
            variants.append((f"ccsec at {rev}", export_revision(rev, tmp)))
        if a.compare or not a.rev:
            variants.append(("ccsec (this checkout)", ROOT / "src"))
        runs: dict[str, dict[int, list[dict[str, float]]]] = {
            label: {n: [] for n in sizes} for label, _ in variants}
        for rep in range(a.reps):
            for n in sizes:
                for label, src in variants:
                    r = cli_run(n, src, keep)
                    runs[label][n].append(r)
                    print(f"rep {rep + 1} {n} sites, {label}: "
                          f"{ {k: round(v, 2) for k, v in r.items() if 'cpu' not in k} }",
                          file=sys.stderr,
                          flush=True)
    finally:
        shutil.rmtree(keep, ignore_errors=True)  # every rendered tree, once all is measured
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    what = " vs ".join(label for label, _ in variants)
    append(f"CLI: load, paths, plan, render, audit at {', '.join(f'{n:,}' for n in sizes)} "
           f"sites ({what})", cli_report(sizes, runs), write=not a.no_write)


def _median(rs: list[dict[str, object]], stage: str) -> float:
    values = sorted(r["seconds"][stage] for r in rs)  # type: ignore[index]
    return values[len(values) // 2]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10,100,1000", help="comma-separated site counts")
    ap.add_argument("--reps", type=int, default=1, help="runs per size (median reported)")
    ap.add_argument("--rev", help="measure src/ of this git revision instead of the checkout")
    ap.add_argument("--compare", metavar="REV", help="measure REV and this checkout in one run, "
                    "interleaved per size and repetition, and report before/after ratios")
    ap.add_argument("--no-write", action="store_true", help="print only, leave RESULTS.md")
    ap.add_argument("--profile", action="store_true",
                    help="also write each size's pyinstrument call trees to "
                    "bench/out/profile-N-sites.txt (timings then include the profiler)")
    ap.add_argument("--cli", action="store_true",
                    help="time each stage as a command in a fresh process (what a user waits "
                    "for): load, paths, plan, render, audit")
    ap.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--profile-to", type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        print(json.dumps(worker(a.worker, a.workdir, a.profile_to)))
        return
    sizes = [int(x) for x in a.sizes.split(",")]
    OUT.mkdir(parents=True, exist_ok=True)
    if a.cli:
        cli_main(a, sizes)
        return
    rev = a.compare or a.rev
    tmp = Path(tempfile.mkdtemp(prefix="ccsec-rev-", dir=OUT)) if rev else None
    try:
        other = export_revision(rev, tmp) if rev and tmp else None
        variants: list[tuple[str, Path]] = []
        if a.compare and other:
            variants = [(f"ccsec at {a.compare}", other), ("ccsec (this checkout)", ROOT / "src")]
        elif other:
            variants = [(f"ccsec at {a.rev}", other)]
        else:
            variants = [("ccsec (this checkout)", ROOT / "src")]
        runs = {label: {n: [] for n in sizes} for label, _ in variants}
        for rep in range(a.reps):
            for n in sizes:
                for label, src in variants:
                    r = run_size(n, src, a.profile)
                    runs[label][n].append(r)
                    print(f"rep {rep + 1} {n} sites, {label}: pipeline {pipeline(r):.2f} s "
                          f"{ {k: round(v, 2) for k, v in r['seconds'].items()} }",  # type: ignore[union-attr]
                          file=sys.stderr, flush=True)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    body = "\n\n".join(report(sizes, runs[label], label) for label, _ in variants)
    if len(variants) == 2:
        body += "\n\n" + compare(sizes, runs[variants[0][0]], runs[variants[1][0]],
                                  variants[0][0], variants[1][0])
    what = f"{variants[0][0]} vs this checkout, one run" if len(variants) == 2 \
        else variants[0][0]
    append(f"scale: plan + render + audit at {', '.join(f'{n:,}' for n in sizes)} sites "
           f"({what})", body, write=not a.no_write)


def compare(sizes: list[int], before: dict[int, list[dict[str, object]]],
            after: dict[int, list[dict[str, object]]], b_label: str, a_label: str) -> str:
    """Before ÷ after per stage and size, from the medians of the same run."""
    rows = []
    for n in sizes:
        cells: list[object] = [f"{n:,}"]
        for k in STAGES:
            cells.append(f"{_median(before[n], k) / max(_median(after[n], k), 1e-9):.1f}x")
        b = sorted(pipeline(r) for r in before[n])[len(before[n]) // 2]
        c = sorted(pipeline(r) for r in after[n])[len(after[n]) // 2]
        cells.append(f"**{b / max(c, 1e-9):.1f}x** ({b:.2f} s → {c:.2f} s)")
        rows.append(cells)
    return (f"Speed-up, {b_label} ÷ {a_label} (medians of this run; > 1 = faster now):\n\n"
            + table(["sites", *STAGES, "pipeline (no write)"], rows))

if __name__ == "__main__":
    main()
