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
import pickle
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from ipaddress import IPv4Network, IPv6Network
from multiprocessing.reduction import ForkingPickler
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: what the running :func:`fork_map`'s function reads beside its item (see :func:`shared`)
_SHARED: Any = None


class FastPickle:
    """A frozen pydantic model that travels between worker processes as its class, its field
    values and the fields that were set (what :meth:`pydantic.BaseModel.model_construct`
    takes) instead of pydantic's generic state: a 1,000-site audit sends ~110,000 policy
    objects from the workers that read them, and the generic way costs about a quarter more
    to write and a fifth more to read.  No validation runs on the way back in: the values were
    validated when the object was made.  Only the workers' pickler is changed (each subclass
    is registered with it); ``pickle.dumps`` of a model is pydantic's own."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fast_pickle(cls)


def fast_pickle(cls: type[T]) -> type[T]:
    """Send ``cls`` (a frozen pydantic model) between workers the :class:`FastPickle` way."""
    ForkingPickler.register(cls, _model)
    return cls


def _model(obj: Any) -> tuple[Any, ...]:
    if obj.__pydantic_private__ is not None or obj.__pydantic_extra__:
        return obj.__reduce_ex__(pickle.HIGHEST_PROTOCOL)  # pydantic's own way
    return _restore, (type(obj), obj.__dict__, obj.__pydantic_fields_set__)


_set = object.__setattr__


def _restore(cls: type, state: dict[str, Any], fields_set: set[str]) -> Any:
    obj: Any = object.__new__(cls)
    _set(obj, "__dict__", state)
    _set(obj, "__pydantic_fields_set__", fields_set)
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj


def _network(net: IPv4Network | IPv6Network) -> tuple[Any, ...]:
    # the standard library pickles a network as its text, parsed again on the way back (three
    # times the cost of its integer and prefix length); a network is strict (no host bits),
    # so the two give the same network
    return type(net), ((int(net.network_address), net.prefixlen),)


# only what travels between worker processes
ForkingPickler.register(IPv4Network, _network)
ForkingPickler.register(IPv6Network, _network)


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


class ForkStream(Generic[T, R]):
    """``batch`` over items that come one at a time — while this process is still finding
    them — in forked workers, batch by batch as each fills; :meth:`results` gives every
    item's result in the order the items came.  ``batch`` must be a module-level function of
    a list of items (one result per item) and reads what it needs beyond them with
    :func:`shared` (in each worker's memory from the fork).  One worker or no fork: the
    batches run in this process when the results are asked for — the same results.

    Use it as a context manager: leaving the block (an error, an interrupt) stops the
    workers and drops the batches none has started."""

    def __init__(self, batch: Callable[[list[T]], list[R]], workers: int, shared: Any = None,
                 size: int = 256) -> None:
        self._batch = batch
        self._size = size
        self._shared = shared
        self._pool: ProcessPoolExecutor | None = None
        self._workers = workers if workers > 1 and can_fork() else 1
        self._before: Any = None
        self._pending: list[T] = []
        self._sent: list[Future[list[R]]] = []
        self._kept: list[list[T]] = []  # the batches of a stream without workers

    def __enter__(self) -> ForkStream[T, R]:
        global _SHARED
        self._before, _SHARED = _SHARED, self._shared
        if self._workers > 1:
            # the processes are forked when the first batch is sent
            self._pool = ProcessPoolExecutor(max_workers=self._workers,
                                             mp_context=mp.get_context("fork"))
        return self

    def __exit__(self, *_exc: object) -> None:
        global _SHARED
        try:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None
        finally:
            _SHARED = self._before

    def add(self, item: T) -> None:
        self._pending.append(item)
        if len(self._pending) >= self._size:
            self._send()

    def _send(self) -> None:
        if not self._pending:
            return
        items, self._pending = self._pending, []
        if self._pool is None:
            self._kept.append(items)
        else:
            self._sent.append(self._pool.submit(self._batch, items))

    def results(self) -> list[R]:
        """Every item's result, in the order the items were added."""
        self._send()
        if self._pool is None:
            return [r for items in self._kept for r in self._batch(items)]
        return [r for future in self._sent for r in future.result()]
