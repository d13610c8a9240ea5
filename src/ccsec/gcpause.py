"""Pausing Python's cyclic garbage collector around bulk work.

Loading, planning, rendering and auditing a 1,000-site deployment build millions of small
objects (pydantic models, tuples) that all stay alive until the step returns.  Each automatic
collection then walks every live object again, so at that size the collector cost a third of
the pipeline's time (bench/RESULTS.md) while freeing nothing: these objects hold no reference
cycles, and reference counting still frees everything else at once.  The step pauses the
collector and restores it on the way out; nested pauses are no-ops, and an exception leaves
the collector as it was.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


@contextmanager
def paused() -> Iterator[None]:
    """No automatic cyclic collection inside the block (a no-op if already paused)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def gc_paused(fn: Callable[P, T]) -> Callable[P, T]:
    """Decorator form of :func:`paused`."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        with paused():
            return fn(*args, **kwargs)

    return wrapper
