"""The 300-site report, made once per test session for the size test and the browser test:
``ccsec synth --sites 300 --seed 7`` then ``ccsec report`` (planned only), both through the
CLI as a user runs them."""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Built:
    deployment: Path
    report: Path
    seconds: float

    @property
    def size(self) -> int:
        return self.report.stat().st_size


@functools.cache
def report_of(sites: int = 300, seed: int = 7) -> Built:
    """The synthetic deployment of ``sites`` sites and its report (cached; the directory is
    removed when the test session ends)."""
    from ccsec.cli import main

    root = Path(tempfile.mkdtemp(prefix=f"ccsec-report-{sites}-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    dep, out = root / f"synth-{sites}.yaml", root / f"report-{sites}.html"
    assert main(["-q", "synth", "--sites", str(sites), "--seed", str(seed), "-o", str(dep)]) == 0
    start = time.perf_counter()
    assert main(["-q", "report", str(dep), "-o", str(out)]) == 0
    return Built(dep, out, time.perf_counter() - start)
