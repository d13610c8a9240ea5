#!/usr/bin/env python3
"""Every reader on a ~10 MB input: wall time and peak memory, each in a fresh process.

Goal (issue 15): each 10 MB input reads (and, for configurations, audits) in under 10 s with
peak memory under 1 GB.  The inputs come from ``gen_big_inputs.py`` (ccsec's own renderings of
an end with thousands of rules, fixture-shaped logs and exports, a synthetic deployment) and are
kept in ``bench/out/big/``.  Each reader runs in a child process as the CLI runs it: a
configuration through the whole audit pipeline (read, sniff, parse, pair, check), a deployment
through the loader with the path catalog's rules, a log through parsing and diagnosis, a
perfmon CSV through parsing and the thresholds, a collector file through the posture checks, a
phone export through its checks.  A child over the time limit is killed and reported.

``--compare REV`` runs the same inputs against a git revision too (its ``src/`` exported with
``git archive``), interleaved with this checkout, and prints the ratios.

usage: big_input_bench.py [--readers ios,strongswan,…] [--compare REV] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from common import OUT, ROOT, append, table

GOAL_SECONDS = 10.0
GOAL_MB = 1024
LIMIT_SECONDS = 300

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
reader, path = sys.argv[1], Path(sys.argv[2])
t = time.perf_counter()
count = 0
if reader == "deployment":
    from ccsec.paths import load_deployment
    count = len(load_deployment(str(path)).sites)
elif reader == "logs":
    from ccsec.monitor.logs import parse_file
    from ccsec.monitor.logs.diagnose import diagnose, negotiations, timelines
    negs = negotiations([parse_file(path)])
    count = len(diagnose(negs)) + len(timelines(negs))
elif reader == "perf":
    from ccsec.monitor.judge import judge
    from ccsec.monitor.perf import parse_csv, stats
    from ccsec.textio import read_text
    data = parse_csv(read_text(path), str(path))
    count = len([stats(s) for s in data.series]) + len(judge(data, 4))
elif reader == "posture":
    from ccsec.checks.posture import PostureOptions, check_host
    from ccsec.collector.posture import load_export
    count = len(check_host(load_export(path), None, PostureOptions()))
elif reader == "phones":
    from ccsec.checks.phones import check, monitoring_from
    from ccsec.collector.phones import parse
    from ccsec.textio import read_text
    items = parse(read_text(path), str(path))
    count = len(check(items, str(path), monitoring_from(None, None).bind(items)))
else:
    from ccsec.audit.pipeline import run
    result = run(path)
    count = sum(len(e.policy.rules) for e in result.context.ends)
    assert not result.skipped, [s.reason for s in result.skipped]
seconds = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "count": count,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

UNIT = {"deployment": "sites", "logs": "diagnoses + timelines", "perf": "series + findings",
        "posture": "findings", "phones": "findings"}


def inputs(readers: list[str]) -> dict[str, Path]:
    """The ~10 MB input of each reader (made once, kept in bench/out/big/)."""
    from gen_big_inputs import GENERATORS, make

    out = {}
    for reader in readers:
        folder = OUT / "big" / reader
        path = folder / GENERATORS[reader][0]
        if not path.exists():
            print(f"making {path}", file=sys.stderr)
            make(reader, folder)
        out[reader] = path
    return out


def run_child(reader: str, path: Path, src: Path) -> dict[str, object]:
    """One reader on one input in a fresh process (killed after LIMIT_SECONDS)."""
    env = {**os.environ, "PYTHONPATH": str(src), "CCSEC_JOBS": "1"}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", CHILD, reader, str(path)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, errs = proc.communicate(timeout=LIMIT_SECONDS)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return {"error": f"killed after {LIMIT_SECONDS} s", "wall": time.perf_counter() - start}
    if proc.returncode != 0:
        last = (errs.strip().splitlines() or ["?"])[-1]
        return {"error": f"exit {proc.returncode}: {last[:120]}",
                "wall": time.perf_counter() - start}
    return json.loads(out.strip().splitlines()[-1])


def export_revision(rev: str) -> Path:
    import tarfile

    into = OUT / "big" / f"rev-{rev}"
    if not (into / "src").exists():
        into.mkdir(parents=True, exist_ok=True)
        data = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", rev, "src"],
                              check=True, capture_output=True).stdout
        (into / "src.tar").write_bytes(data)
        with tarfile.open(into / "src.tar") as t:
            t.extractall(into, filter="data")
    return into / "src"


def _cell(r: dict[str, object], key: str, fmt: str) -> str:
    if "error" in r:
        return str(r["error"]) if key == "seconds" else "-"
    return format(r[key], fmt)


def main() -> None:
    from gen_big_inputs import GENERATORS

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--readers", default=",".join(GENERATORS))
    ap.add_argument("--compare", metavar="REV")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    readers = args.readers.split(",")
    paths = inputs(readers)
    here = ROOT / "src"
    old = export_revision(args.compare) if args.compare else None
    rows, ratio_rows, met = [], [], True
    for reader in readers:
        path = paths[reader]
        size = path.stat().st_size / 1024 / 1024
        lines = path.read_bytes().count(b"\n")
        before = run_child(reader, path, old) if old else None
        now = run_child(reader, path, here)
        ok = "error" not in now and float(str(now["seconds"])) < GOAL_SECONDS \
            and float(str(now["rss_mb"])) < GOAL_MB
        met = met and ok
        rows.append([reader, f"{size:.1f}", f"{lines:,}", _cell(now, "seconds", ".2f"),
                     _cell(now, "rss_mb", ".0f"),
                     f"{now.get('count', '-')} {UNIT.get(reader, 'rules')}",
                     "yes" if ok else "**no**"])
        if before is not None:
            ratio = (f"{float(str(before['seconds'])) / float(str(now['seconds'])):.1f}x"
                     if "error" not in before and "error" not in now else "-")
            ratio_rows.append([reader, _cell(before, "seconds", ".2f"),
                               _cell(before, "rss_mb", ".0f"), _cell(now, "seconds", ".2f"),
                               _cell(now, "rss_mb", ".0f"), ratio])
        print(rows[-1], file=sys.stderr)
    body = ("Each input ~10 MB, one fresh process per reader (`CCSEC_JOBS=1`); seconds = the "
            "reader's work in the child (imports excluded), peak RSS of the child.\n\n")
    body += table(["reader", "MB", "lines", "seconds", "peak RSS MB", "read",
                   f"< {GOAL_SECONDS:.0f} s and < 1 GB"], rows)
    if ratio_rows:
        body += (f"\n\nSame inputs, ccsec at {args.compare} vs this checkout (interleaved per "
                 "reader, one run each):\n\n")
        body += table(["reader", f"{args.compare} s", f"{args.compare} MB", "now s", "now MB",
                       "speed-up"], ratio_rows)
    body += (f"\n\nGoal (every reader, 10 MB: < {GOAL_SECONDS:.0f} s, < 1 GB): "
             f"{'**met**' if met else '**not met**'}.  The machine has 2 cores shared with "
             "other work: expect noise of up to 2x between runs.")
    append("hardening: every reader on a 10 MB input" +
           (f" (ccsec at {args.compare} vs this checkout)" if args.compare else ""), body,
           write=not args.no_write)


if __name__ == "__main__":
    main()
