"""The short fuzz budget of ``make test`` (the long one is ``make fuzz``): every reader gets the
inputs that once broke it and a few hundred deterministic mutants of the tests' own data.

A failure prints the input's target and bytes; add it to ``tests/fuzz/crashes/<target>/`` so
that it stays a regression case once fixed.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from fuzz.mutate import mutate
from fuzz.targets import TARGETS, seeds

CRASHES = Path(__file__).resolve().parent / "crashes"
#: mutants per target in `make test` (about 30 s for all of them on the shared 2-core machine)
BUDGET = {"deployment": 400, "audit": 100, "ios": 200, "windows-powershell": 200, "logs": 300,
          "strongswan": 400, "ipsec-conf": 400, "windows-netsh": 300}
DEFAULT_BUDGET = 600
#: no input may take longer (the long run's libFuzzer -timeout)
SLOW = 5.0


def _check(target: str, data: bytes) -> None:
    start = time.perf_counter()
    try:
        TARGETS[target].run(data)
    except Exception as exc:  # a crash: say what to keep
        raise AssertionError(f"{target} crashed ({type(exc).__name__}: {exc}) on "
                             f"{data[:300]!r}… ({len(data)} bytes): keep it in "
                             f"tests/fuzz/crashes/{target}/") from exc
    took = time.perf_counter() - start
    assert took < SLOW, f"{target} took {took:.1f} s on {data[:300]!r}… ({len(data)} bytes)"


def _kept() -> list[tuple[str, Path]]:
    return sorted((p.parent.name, p) for p in CRASHES.glob("*/*") if p.is_file())


@pytest.mark.parametrize(("target", "path"), _kept(),
                         ids=[f"{t}/{p.name}" for t, p in _kept()])
def test_every_kept_crash_is_now_read_cleanly(target: str, path: Path) -> None:
    _check(target, path.read_bytes())


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_mutants_of_the_tests_own_data(target: str) -> None:
    rng = random.Random(f"ccsec-fuzz-{target}")
    corpus = seeds()[target]
    for seed in corpus:
        _check(target, seed)
    for _ in range(BUDGET.get(target, DEFAULT_BUDGET)):
        _check(target, mutate(rng.choice(corpus), rng, corpus, max_len=64 * 1024))


def test_every_reader_is_a_target() -> None:
    """A new reader (a format of the registry, a monitor input) needs a fuzz target."""
    from ccsec.formats.registry import readers

    assert set(readers()) <= set(TARGETS)
    assert {"deployment", "waivers", "logs", "perf", "posture", "phones", "audit"} <= set(TARGETS)
