#!/usr/bin/env python3
"""``make fuzz``: every reader under atheris for N inputs; crashes kept as regression cases.

usage: python tests/fuzz/run.py [--runs 100000] [--targets a,b] [--jobs 2] [--max-len 16384]
                                [--record]

Each target runs in its own process (``atheris_main.py``) with its seeds (the tests' own data,
:func:`targets.seeds`), ``-timeout=5`` (an input over 5 s is a failure) and a 2 GB memory
limit.  A crash or timeout input is copied to ``tests/fuzz/crashes/<target>/`` — the short
fuzz test of ``make test`` replays every file there, so each one stays a regression case once
fixed — and the target is started again for the runs left.  The table at the end gives inputs
tried, crashes and timeouts per target; ``--record`` appends it to ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CRASHES = HERE / "crashes"
sys.path.insert(0, str(HERE.parent))

from fuzz.targets import TARGETS, seeds  # noqa: E402

_DONE = re.compile(r"Done (\d+) runs in (\d+) second")
_PROGRESS = re.compile(r"^#(\d+)\s", re.M)
_ARTIFACT = re.compile(r"Test unit written to (\S+)")


@dataclass
class Outcome:
    target: str
    runs: int = 0
    seconds: float = 0.0
    crashes: list[str] = field(default_factory=list)
    timeouts: list[str] = field(default_factory=list)
    error: str = ""


def _keep(target: str, artifact: Path) -> str:
    """Copy a failing input into the regression corpus; its name there."""
    data = artifact.read_bytes()
    name = hashlib.sha1(data).hexdigest()[:16]
    dest = CRASHES / target / name
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)
    return f"{target}/{name}"


def fuzz(target: str, runs: int, max_len: int, timeout: int) -> Outcome:
    out = Outcome(target)
    with tempfile.TemporaryDirectory(prefix=f"ccsec-fuzz-{target}-") as tmp:
        work = Path(tmp)
        corpus, seed_dir, artifacts = work / "corpus", work / "seeds", work / "artifacts"
        for d in (corpus, seed_dir, artifacts):
            d.mkdir()
        for i, seed in enumerate(seeds()[target]):
            (seed_dir / f"seed-{i:04d}").write_bytes(seed[:max_len])
        start = time.monotonic()
        restarts = 0
        while out.runs < runs and restarts < 50:
            cmd = [sys.executable, str(HERE / "atheris_main.py"), target,
                   f"-runs={runs - out.runs}", f"-timeout={timeout}", "-rss_limit_mb=2048",
                   f"-max_len={max_len}", "-print_final_stats=1",
                   f"-artifact_prefix={artifacts}/", str(corpus), str(seed_dir)]
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
            log = proc.stdout + proc.stderr
            done = _DONE.search(log)
            if done:
                out.runs += int(done.group(1))
                break
            progress = [int(n) for n in _PROGRESS.findall(log)]
            out.runs += max(progress, default=0)
            written = _ARTIFACT.findall(log)
            if not written:
                out.error = (log.strip().splitlines() or ["no output"])[-1][:200]
                break
            for path in written:
                kept = _keep(target, Path(path))
                (out.timeouts if "timeout-" in path or "slow-unit" in path
                 else out.crashes).append(kept)
            restarts += 1
        out.seconds = time.monotonic() - start
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=100_000)
    ap.add_argument("--targets", default=",".join(TARGETS))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--max-len", type=int, default=16_384)
    ap.add_argument("--timeout", type=int, default=5)
    ap.add_argument("--record", action="store_true", help="append the table to bench/RESULTS.md")
    args = ap.parse_args()
    names = args.targets.split(",")
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        outcomes = list(pool.map(lambda t: fuzz(t, args.runs, args.max_len, args.timeout),
                                 names))
    rows = [[o.target, f"{o.runs:,}", f"{o.seconds / 60:.1f}", str(len(o.crashes)),
             str(len(o.timeouts)), ", ".join(o.crashes + o.timeouts) or o.error or "-"]
            for o in outcomes]
    table = ["| reader | inputs | minutes | crashes | inputs over 5 s | kept as |",
             "|---|---|---|---|---|---|"] + ["| " + " | ".join(r) + " |" for r in rows]
    print("\n".join(table))
    failed = any(o.crashes or o.timeouts or o.error or o.runs < args.runs for o in outcomes)
    if args.record:
        sys.path.insert(0, str(ROOT / "bench"))
        from common import append

        append(f"hardening: fuzzing every reader ({args.runs:,} inputs each, atheris)",
               "Coverage-guided (atheris/libFuzzer, ccsec instrumented), mutations alternating "
               "between libFuzzer's and tests/fuzz/mutate.py; seeds: the tests' own data; "
               f"`-timeout={args.timeout}`, `-rss_limit_mb=2048`, `-max_len={args.max_len}`, "
               f"{args.jobs} targets at a time on the shared 2-core machine.\n\n"
               + "\n".join(table) + "\n\nResult: " +
               ("**failures above** (fix them; their inputs are regression cases)" if failed
                else "**0 crashes, 0 inputs over 5 s**"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
