"""Worker processes for the bulk steps (reading a directory of configurations, rendering
thousands of ends): how many, and one ordered map over forked workers.

Both steps are pure functions of their input, item by item, and CPU-bound in Python: on a
1,000-site deployment one core does the work of two.  Workers are *forked* so that nothing is
imported again and the input (a parsed deployment, a plan) is already in each worker's memory;
only the results travel back, pickled.  Where fork is missing (not Linux) or one worker is
asked for, the map runs in this process — the results are the same objects either way.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: what the running :func:`fork_map`'s function reads beside its item (see :func:`shared`)
_SHARED: Any = None


def default_workers() -> int:
    """Processes for a large step: ``CCSEC_JOBS`` if set, else the CPUs this process may use."""
    env = os.environ.get("CCSEC_JOBS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    return "fork" in mp.get_all_start_methods()


def shared() -> Any:
    """The ``shared`` value of the :func:`fork_map` whose function is running (in a worker:
    inherited by the fork, never pickled)."""
    return _SHARED


def fork_map(fn: Callable[[T], R], items: Sequence[T], workers: int,
             meanwhile: Callable[[], None] | None = None, shared: Any = None) -> Iterator[R]:
    """``map(fn, items)`` over ``workers`` forked processes, results in item order as they
    arrive (a caller can show progress).  ``fn`` must be a module-level function; what it
    needs beyond its item (the ends, the context…) it reads with :func:`shared`: ``shared``
    is in each worker's memory from the fork, not sent item by item.  One worker, one item
    or no fork: this process, same results.

    ``meanwhile`` runs in this process once the workers have their items (before the first
    result; first of all without workers): other work while they work.  If it raises, the
    items no worker has started are dropped and the error goes to the caller."""
    global _SHARED
    before, _SHARED = _SHARED, shared
    try:
        if workers <= 1 or len(items) < 2 or not can_fork():
            if meanwhile is not None:
                meanwhile()
            yield from map(fn, items)
            return
        pool = ProcessPoolExecutor(max_workers=min(workers, len(items)),
                                   mp_context=mp.get_context("fork"))
        try:
            results = pool.map(fn, items)
            if meanwhile is not None:
                meanwhile()
            yield from results
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    finally:
        _SHARED = before
