"""Network namespaces: create, configure in batches, open sockets inside, delete.

Configuration goes through ``ip -batch`` (one process per namespace instead of one per
address/route), which keeps bring-up fast for 10-site deployments.  Every token of a batch line
is produced by the lab itself (interface names, ``ipaddress`` objects) and is checked for
whitespace before it is written, so a batch line can never be split or extended.
"""

from __future__ import annotations

import ctypes
import os
import socket
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from ccsec.lab.errors import lab_error
from ccsec.lab.proc import in_ns, run

NETNS_DIR = Path("/run/netns")
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def _line(tokens: Sequence[object]) -> str:
    words = [str(t) for t in tokens]
    for w in words:
        if not w or any(c.isspace() for c in w) or '"' in w:
            raise ValueError(f"unsafe token in an ip batch line: {w!r}")
    return " ".join(words)


def batch(lines: Iterable[Sequence[object]], ns: str | None = None, timeout: float = 30) -> None:
    """Run ``ip`` commands (without the leading ``ip``) in one process, in ``ns`` or the root."""
    text = "\n".join(_line(t) for t in lines)
    if not text:
        return
    args = ["ip", "-batch", "-"] if ns is None else ["ip", "-n", ns, "-batch", "-"]
    run(args, stdin=text + "\n", timeout=timeout)


def exists(name: str) -> bool:
    return (NETNS_DIR / name).exists()


def names(prefix: str) -> list[str]:
    """Namespaces whose name starts with ``prefix`` (the lab's own, by its unique prefix)."""
    if not NETNS_DIR.is_dir():
        return []
    return sorted(p.name for p in NETNS_DIR.iterdir() if p.name.startswith(prefix))


def add_all(nss: Iterable[str]) -> None:
    batch(["netns", "add", n] for n in nss)


def delete(name: str) -> None:
    if exists(name):
        run(["ip", "netns", "delete", name], check=False, timeout=10)


def pids(name: str) -> list[int]:
    """Processes living in the namespace (the lab's own ones, since the namespace is)."""
    if not exists(name):
        return []
    out = run(["ip", "netns", "pids", name], check=False, timeout=10).stdout
    return [int(x) for x in out.split() if x.isdigit()]


def sysctl(ns: str, values: dict[str, str]) -> None:
    """Set sysctls inside ``ns`` (each key must exist, except bridge-nf keys: optional)."""
    args = [f"{k}={v}" for k, v in values.items()]
    run(in_ns(ns, "sysctl", "-q", "-w", *args), timeout=10, check=False)


def socket_in(ns: str, family: int = socket.AF_INET,
              kind: int = socket.SOCK_STREAM) -> socket.socket:
    """A socket that belongs to namespace ``ns`` (it stays there, whichever thread uses it).

    A namespace switch is per thread, so a short-lived thread enters ``ns``, creates the
    socket and ends; the process's own threads never change namespace.
    """
    result: list[socket.socket | BaseException] = []

    def enter() -> None:
        try:
            fd = os.open(NETNS_DIR / ns, os.O_RDONLY | os.O_CLOEXEC)
            try:
                if _libc.setns(fd, CLONE_NEWNET) != 0:
                    err = ctypes.get_errno()
                    raise OSError(err, os.strerror(err))
            finally:
                os.close(fd)
            result.append(socket.socket(family, kind))
        except BaseException as exc:  # handed to the caller's thread
            result.append(exc)

    t = threading.Thread(target=enter, name=f"netns-{ns}", daemon=True)
    t.start()
    t.join(5)
    if not result:
        raise lab_error(f"could not enter namespace {ns}")
    out = result[0]
    if isinstance(out, BaseException):
        raise lab_error(f"could not open a socket in namespace {ns}: {out}")
    return out
