#!/usr/bin/env python3
"""swanctl.conf and Windows-export import throughput against the floor (issue [scale] point 2,
third bullet), plus the PowerShell scripts ccsec renders (the largest input of the audit in
bench/scale_bench.py).

Corpora, from a synthetic 300-site deployment (``ccsec synth``, seed 7):

* swanctl.conf — every end that swanctl.conf can express, rendered by ccsec (the strongSwan
  gateways and, as a widening, the two central IOS gateways: hubs with ~300 connections);
* Windows export — the collector JSON (``ccsec collector windows``, schema
  ``ccsec-windows-collector/1``) each planned Windows end would produce once its policy is
  applied (bench/gen_windows_export.py), read by ``ccsec.formats.windows.collector``;
* PowerShell — each Windows end's ``ipsec.ps1`` as ccsec renders it.

Methods per corpus, interleaved in every repetition: the floor (``read().splitlines()``), for
JSON also ``json.loads`` (C speed: the least any JSON reader pays), and ccsec's importer.

Usage::

    python bench/import_bench.py [--sites 300] [--reps 3] [--no-write]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT, append, spread, src_path, table

src_path()

from gen_windows_export import export_text  # noqa: E402

from ccsec.formats.registry import get as get_format  # noqa: E402
from ccsec.formats.windows.collector import parse as windows_parse  # noqa: E402

Reader = Callable[[str], int]


def floor(path: str) -> int:
    with open(path, encoding="utf-8") as f:
        f.read().splitlines()
    return 0


def json_floor(path: str) -> int:
    with open(path, encoding="utf-8") as f:
        json.loads(f.read())
    return 0


def importer(fmt: str) -> Reader:
    def read(path: str) -> int:
        with open(path, encoding="utf-8-sig") as f:
            text = f.read()
        parsed = windows_parse(text, path) if fmt == "windows-collector" else \
            get_format(fmt).parse(text, path)
        return sum(len(p.rules) for p in parsed.policies)

    return read


def build(sites: int) -> dict[str, tuple[list[str], int]]:
    """The three corpora on disk, and the number of rules each should import."""
    from ccsec.deployment import loads
    from ccsec.formats.base import RenderContext
    from ccsec.plan import plan
    from ccsec.render import render_policy_set
    from ccsec.secrets import SecretResolver
    from ccsec.synth import SynthOptions, synthesize

    base = OUT / "import"
    dep = loads(synthesize(SynthOptions(sites=sites, seed=7, strongswan_fraction=0.5)))
    ps = plan(dep)
    ctx = RenderContext(dep.deployment, ps.profile, SecretResolver(base))
    out: dict[str, tuple[list[str], int]] = {}
    ends = {e.owner: e for e in ps.ends}
    for fmt, name, requested in (("strongswan", "swanctl.conf", ["strongswan"]),
                                 ("windows-powershell", "ipsec.ps1", None)):
        result = render_policy_set(ps, ctx, requested)
        files, rules = [], 0
        for f in result.files:
            if f.format != fmt:
                continue
            path = base / fmt / f"{f.end}-{name}"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f.text, encoding="utf-8")
            files.append(str(path))
            rules += len(ends[f.end].rules)
        out[fmt] = (sorted(files), rules)
    files, rules = [], 0
    for end in ps.ends:
        if end.platform != "windows":
            continue
        host = dep.host(str(end.owner))
        addresses = [str(a) for a in (host.public, host.private) if a is not None]
        path = base / "windows-collector" / f"{end.owner}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(export_text(end, addresses, host.domain), encoding="utf-8")
        files.append(str(path))
        rules += len(end.rules)
    out["windows-collector"] = (sorted(files), rules)
    return out


def measure(files: list[str], methods: dict[str, Reader], reps: int
            ) -> tuple[dict[str, list[float]], dict[str, int]]:
    for fn in methods.values():
        fn(files[0])  # warm-up
    walls: dict[str, list[float]] = {m: [] for m in methods}
    rules: dict[str, int] = {}
    for _ in range(reps):
        for m, fn in methods.items():
            gc.collect()
            t = time.perf_counter()
            rules[m] = sum(fn(p) for p in files)
            walls[m].append(time.perf_counter() - t)
    return walls, rules


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sites", type=int, default=300)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args()
    corpora = build(a.sites)
    titles = {"strongswan": "swanctl.conf", "windows-collector": "Windows export (collector JSON)",
              "windows-powershell": "PowerShell (ipsec.ps1, rendered by ccsec)"}
    rows = []
    for fmt, (files, expected) in corpora.items():
        methods: dict[str, Reader] = {"floor (read + splitlines)": floor}
        if fmt == "windows-collector":
            methods["json.loads"] = json_floor
        methods["ccsec import"] = importer(fmt)
        walls, rules = measure(files, methods, a.reps)
        if rules["ccsec import"] != expected:
            raise SystemExit(f"{fmt}: imported {rules['ccsec import']} rules, expected "
                             f"{expected}")
        size = sum(os.path.getsize(p) for p in files)
        lines = sum(Path(p).read_text(encoding="utf-8").count("\n") for p in files)
        for m, w in walls.items():
            med = statistics.median(w)
            per_floor = statistics.median(
                x / f for x, f in zip(w, walls["floor (read + splitlines)"], strict=True))
            rows.append([titles[fmt] if m.startswith("floor") else "", m, spread(w),
                         f"{size / 1e6 / med:.1f}", f"{med / lines * 1e6:.2f}",
                         f"{expected / med:,.0f}" if m == "ccsec import" else "",
                         f"{per_floor:.1f}x"])
        rows.append([f"({len(files):,} files, {size / 1e6:.1f} MB, {lines:,} lines, "
                     f"{expected:,} rules)", "", "", "", "", "", ""])
    body = (f"Synthetic {a.sites}-site deployment (seed 7); {a.reps} interleaved repetitions; "
            "median [min–max].\n\n" +
            table(["corpus", "method", "wall s", "MB/s", "µs/line", "rules/s",
                   "× floor (same run)"], rows))
    append("import throughput: swanctl.conf, Windows export, PowerShell vs the floor", body,
           write=not a.no_write)


if __name__ == "__main__":
    main()
