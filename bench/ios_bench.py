#!/usr/bin/env python3
"""IOS import speed, side by side in one run: ccsec against ciscoconfparse2, hier_config 3.x
and a bare read + line split (issue [scale] point 2, second bullet; anchors in
shared/reference/parser-anchors.md).

Corpus (bench/out/ios/): N hand-varied running-configs from bench/gen_ios_corpus.py (the
anchors' generator, seed 42) plus every IOS gateway config ccsec renders for a synthetic
300-site deployment (two central hubs with ~300 crypto map entries each and ~180 branch
routers); and, as a second scenario, one 2,000-peer hub (17.6k lines).

Methods, each called once per file (open, read, parse, query):

* floor — ``read().splitlines()``, nothing else;
* ccsec tree — ccsec's tree stage (``ios.tree.parse_tree``: the line split, top-level lines,
  crypto sections only) plus the anchors' query (every ``crypto map`` entry and its child
  lines);
* ccsec import — the full importer (``ios.importer.parse``): every crypto object, ACL, interface
  and NAT rule into the policy model and the audit facts — far more than the query;
* hier_config 3.x — ``get_hconfig(Platform.CISCO_IOS, text)`` + the query;
* ciscoconfparse2 — ``CiscoConfParse(lines, syntax="ios")`` + the query, in its own venv
  (bench/out/venv-ccp2, created here; GPL-3.0 and pinning hier-config 2.3.1, it never shares a
  process with ccsec) as a subprocess, timed inside that process (import and warm-up excluded).

Every repetition runs all methods one after the other (interleaved); the table gives the median
[min–max] and the ratios are medians of the per-repetition ratios.  The query counts (entries,
children) must agree between methods, so they did the same work.

Usage::

    python bench/ios_bench.py [--n 500] [--reps 3] [--hub-reps 5] [--no-write]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ccp2_worker import floor as m_floor  # the same floor in both processes
from common import OUT, ROOT, append, spread, src_path, table
from gen_ios_corpus import write_corpus, write_hub

src_path()

CCP2_VENV = OUT / "venv-ccp2"
CCP2_PIN = "ciscoconfparse2==0.9.18"  # the version parser-anchors.md measured
CMAP = "crypto map "
Method = Callable[[str], tuple[int, int]]


# ------------------------------------------------------------------------------ methods


def m_tree(path: str) -> tuple[int, int]:
    from ccsec.formats.ios.tree import parse_tree

    with open(path) as f:
        nodes, _ = parse_tree(f.read())
    n = k = 0
    for node in nodes:
        if node.text.startswith(CMAP):
            n += 1
            for c in node.children:
                _ = c.text
                k += 1
    return n, k


def m_import(path: str) -> tuple[int, int]:
    from ccsec.formats.facts import IosFacts
    from ccsec.formats.ios.importer import parse

    with open(path) as f:
        parsed = parse(f.read(), path)
    facts = parsed.format_facts
    assert isinstance(facts, IosFacts)
    entries = sum(len(m.entries) for m in facts.crypto_maps.values())
    return entries, sum(len(p.rules) for p in parsed.policies)


def m_hc3(path: str) -> tuple[int, int]:
    from hier_config import Platform, get_hconfig

    with open(path) as f:
        hc = get_hconfig(Platform.CISCO_IOS, f.read())
    n = k = 0
    for obj in hc.get_children(startswith=CMAP):
        n += 1
        for c in obj.children:
            _ = c.text
            k += 1
    return n, k


METHODS: dict[str, Method] = {"floor": m_floor, "ccsec tree": m_tree,
                              "ccsec import": m_import, "hier_config 3.x": m_hc3}
NOTES = {"ccsec import": "entries / rules imported",
         "ccsec tree": "entries / children", "hier_config 3.x": "entries / children",
         "ciscoconfparse2": "entries / children", "floor": "-"}


def timed(fn: Method, files: list[str]) -> tuple[float, tuple[int, int]]:
    gc.collect()
    t = time.perf_counter()
    n = k = 0
    for p in files:
        a, b = fn(p)
        n, k = n + a, k + b
    return time.perf_counter() - t, (n, k)


# ------------------------------------------------------------------------ ciscoconfparse2


def ccp2_python() -> Path | None:
    """The ciscoconfparse2 venv's interpreter, created on first use (None: not installable)."""
    py = CCP2_VENV / "bin" / "python"
    if py.exists():
        return py
    t = time.perf_counter()
    print(f"creating {CCP2_VENV} with {CCP2_PIN} (first run only)…", file=sys.stderr)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(CCP2_VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        CCP2_PIN], check=True)
    except (subprocess.CalledProcessError, OSError) as exc:
        print(f"ciscoconfparse2 is not available ({exc}); its column stays empty",
              file=sys.stderr)
        return None
    print(f"ciscoconfparse2 venv ready in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    return py


def run_ccp2(py: Path, files: list[str], listing: Path) -> dict[str, object]:
    listing.write_text("\n".join(files) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([str(py), str(ROOT / "bench" / "ccp2_worker.py"), str(listing)],
                          capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"ciscoconfparse2 worker failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.splitlines()[-1])  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------- corpus


def rendered_gateways(into: Path, sites: int = 300) -> list[str]:
    """The ios.cfg of every IOS gateway of a synthetic deployment, as ccsec renders it."""
    from ccsec.deployment import loads
    from ccsec.formats.base import RenderContext
    from ccsec.plan import plan
    from ccsec.render import render_policy_set
    from ccsec.secrets import SecretResolver
    from ccsec.synth import SynthOptions, synthesize

    dep = loads(synthesize(SynthOptions(sites=sites, seed=7)))
    ps = plan(dep)
    result = render_policy_set(ps, RenderContext(dep.deployment, ps.profile,
                                                 SecretResolver(into)), ["ios"])
    into.mkdir(parents=True, exist_ok=True)
    out = []
    for f in result.files:
        path = into / f"{f.end}.cfg"
        path.write_text(f.text, encoding="utf-8")
        out.append(str(path))
    return sorted(out)


def corpus(n: int) -> tuple[list[str], str]:
    base = OUT / "ios"
    generated = write_corpus(str(base / f"generated-{n}"), n, seed=42)
    rendered = rendered_gateways(base / "rendered")
    files = generated + rendered
    size = sum(os.path.getsize(p) for p in files)
    lines = sum(Path(p).read_text(encoding="utf-8").count("\n") for p in files)
    what = (f"{len(generated)} generated + {len(rendered)} rendered by ccsec = {len(files):,} "
            f"configs, {size / 1e6:.2f} MB, {lines:,} lines")
    return files, what


# ---------------------------------------------------------------------------- running


def scenario(name: str, files: list[str], reps: int, py: Path | None) -> tuple[str, list[list]]:
    size = sum(os.path.getsize(p) for p in files)
    lines = sum(Path(p).read_text(encoding="utf-8").count("\n") for p in files)
    for fn in METHODS.values():  # warm-up: imports, first-call caches
        fn(files[0])
    walls: dict[str, list[float]] = {m: [] for m in [*METHODS, "ciscoconfparse2"]}
    checks: dict[str, tuple[int, int]] = {}
    ccp2_floor: list[float] = []
    versions = ""
    listing = OUT / "ios" / f"{name}.list"
    for rep in range(reps):
        for m, fn in METHODS.items():
            wall, check = timed(fn, files)
            walls[m].append(wall)
            checks[m] = check
        if py is not None:
            r = run_ccp2(py, files, listing)
            walls["ciscoconfparse2"].append(float(r["ccp2"]))  # type: ignore[arg-type]
            ccp2_floor.append(float(r["floor"]))  # type: ignore[arg-type]
            checks["ciscoconfparse2"] = (int(r["entries"]), int(r["children"]))  # type: ignore[call-overload]
            versions = f"ciscoconfparse2 {r['version']} (with hier-config {r['hier_config']})"
        print(f"[{name}] rep {rep + 1}: " + ", ".join(
            f"{m} {w[-1]:.3f}s" for m, w in walls.items() if w), file=sys.stderr, flush=True)
    rows = []
    for m, w in walls.items():
        if not w:
            continue
        per_floor = [a / b for a, b in zip(w, walls["floor"], strict=True)] if m != \
            "ciscoconfparse2" else [a / b for a, b in zip(w, ccp2_floor, strict=True)]
        vs_import = ""
        if walls["ciscoconfparse2"] and m != "ciscoconfparse2":
            ratios = [c / a for c, a in zip(walls["ciscoconfparse2"], w, strict=True)]
            vs_import = f"{statistics.median(ratios):.1f}x"
        med = statistics.median(w)
        rows.append([m, spread(w), f"{len(files) / med:,.0f}", f"{size / 1e6 / med:.2f}",
                     f"{med / lines * 1e6:.2f}", f"{statistics.median(per_floor):.1f}x",
                     vs_import, f"{checks[m][0]:,} / {checks[m][1]:,} ({NOTES[m]})"])
    from importlib.metadata import version

    info = f"hier_config {version('hier-config')}" + (f", {versions}" if versions else "")
    return info, rows


def verdict(rows: list[list], name: str) -> str:
    by = {r[0]: r for r in rows}
    imp = by.get("ccsec import")
    if imp is None:
        return ""
    floor_x = float(imp[5].rstrip("x"))
    out = [f"{name}: ccsec import is {imp[5]} the read+split floor (goal ≤ 3x: "
           f"{'**met**' if floor_x <= 3 else '**not met**'})"]
    if imp[6]:
        fast = float(imp[6].rstrip("x"))
        out.append(f"{imp[6]} faster than ciscoconfparse2 (goal ≥ 5x: "
                   f"{'**met**' if fast >= 5 else '**not met**'})")
    tree = by.get("ccsec tree")
    if tree is not None:
        out.append(f"the tree stage alone is {tree[5]} the floor")
    return "; ".join(out) + "."


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=500, help="generated configs in the corpus")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--hub-reps", type=int, default=5)
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args()
    (OUT / "ios").mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    py = ccp2_python()
    setup = time.perf_counter() - t
    files, what = corpus(a.n)
    hub = [write_hub(str(OUT / "ios" / "hub"), 2000, seed=42)]
    header = ["method", "wall s, median [min–max]", "configs/s", "MB/s", "µs/line",
              "× floor (same process)", "ciscoconfparse2 ÷ method", "query check"]
    info, rows = scenario("corpus", files, a.reps, py)
    _, hub_rows = scenario("hub-2000", hub, a.hub_reps, py)
    body = [f"Versions: {info}. ciscoconfparse2 venv set-up this run: {setup:.0f} s "
            "(0 when it already existed).\n",
            f"**Corpus** ({what}), {a.reps} interleaved repetitions:\n", table(header, rows),
            f"\n**One hub, 2,000 crypto map entries** (17,611 lines), {a.hub_reps} "
            "repetitions:\n", table(header, hub_rows),
            "\n" + verdict(rows, "Corpus") + " " + verdict(hub_rows, "Hub")]
    append("IOS import: ccsec vs ciscoconfparse2, hier_config 3.x and the floor",
           "\n".join(body), write=not a.no_write)


if __name__ == "__main__":
    main()
