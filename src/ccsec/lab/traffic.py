"""Traffic through the lab: bounded pings, a TCP marker, and a running ping for fault timing.

The TCP marker uses sockets opened inside the two namespaces (no helper processes): the
receiver gets exactly the marker bytes or the check fails, and the same marker is then searched
on every captured link, where it must never appear.
"""

from __future__ import annotations

import contextlib
import re
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from ipaddress import IPv4Address

from ccsec.lab.netns import socket_in
from ccsec.lab.proc import ProcRef, in_ns, run, wait_gone

TCP_TIMEOUT_S = 3.0
_RECEIVED = re.compile(r"(\d+) (?:packets )?received")
_REPLY = re.compile(r"^\[(\d+\.\d+)\] \d+ bytes from .*icmp_seq=(\d+)")
_MISS = re.compile(r"^\[(\d+\.\d+)\] no answer yet for icmp_seq=(\d+)")


def ping(ns: str, src: IPv4Address, dst: IPv4Address, count: int = 3,
         interval: float = 0.2, wait: float = 1.0) -> int:
    """Echo replies received (``count`` requests from ``src``; bounded in time)."""
    args = in_ns(ns, "ping", "-n", "-q", "-c", str(count), "-i", f"{interval:g}",
                 "-W", f"{wait:g}", "-I", str(src), str(dst))
    done = run(args, timeout=count * interval + wait + 5, check=False)
    m = _RECEIVED.search(done.stdout)
    return int(m.group(1)) if m else 0


def tcp_marker(src_ns: str, src: IPv4Address, dst_ns: str, dst: IPv4Address,
               marker: bytes, timeout: float = TCP_TIMEOUT_S) -> bool:
    """Send ``marker`` over TCP from src to dst; True if exactly it arrived."""
    server = socket_in(dst_ns)
    client = socket_in(src_ns)
    try:
        server.settimeout(timeout)
        server.bind((str(dst), 0))
        server.listen(1)
        port = server.getsockname()[1]
        client.settimeout(timeout)
        client.bind((str(src), 0))
        client.connect((str(dst), port))
        client.sendall(marker)
        client.shutdown(socket.SHUT_WR)
        conn, _ = server.accept()
        with conn:
            conn.settimeout(timeout)
            data = b""
            deadline = time.monotonic() + timeout
            while len(data) <= len(marker) and time.monotonic() < deadline:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
        return data == marker
    except OSError:
        return False
    finally:
        client.close()
        server.close()


@dataclass
class PingMonitor:
    """A running ping (10/s) whose replies and misses are time-stamped, for recovery times."""

    ns: str
    src: IPv4Address
    dst: IPv4Address
    label: str
    max_s: float = 120.0
    replies: list[float] = field(default_factory=list)
    misses: list[float] = field(default_factory=list)
    _proc: subprocess.Popen[str] | None = None
    _ref: ProcRef | None = None
    _reader: threading.Thread | None = None

    def start(self) -> None:
        args = in_ns(self.ns, "ping", "-n", "-D", "-O", "-i", "0.1", "-W", "1",
                     "-w", str(int(self.max_s)), "-I", str(self.src), str(self.dst))
        self._proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=subprocess.DEVNULL, text=True,
                                      start_new_session=True)
        self._ref = ProcRef.of(self._proc.pid)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        for line in self._proc.stdout:
            if m := _REPLY.match(line):
                self.replies.append(float(m.group(1)))
            elif m := _MISS.match(line):
                self.misses.append(float(m.group(1)))

    def recovered_since(self, t0: float, stable: int = 5) -> float | None:
        """Seconds from ``t0`` until traffic flowed again (``stable`` replies in a row after
        the last miss); 0 if nothing was lost after t0; None if not (yet) recovered."""
        misses = [t for t in self.misses if t >= t0]
        last_miss = max(misses) if misses else None
        after = [t for t in self.replies if t >= (last_miss if last_miss is not None else t0)]
        if len(after) < stable:
            return None
        return 0.0 if last_miss is None else max(0.0, after[0] - t0)

    def lost_since(self, t0: float) -> int:
        return sum(1 for t in self.misses if t >= t0)

    def stop(self) -> None:
        if self._ref is not None:
            self._ref.send(signal.SIGINT)
            if not wait_gone(self._ref, 3.0):
                self._ref.stop(1.0, signal.SIGKILL)
        if self._proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(2)
        if self._reader is not None:
            self._reader.join(2)
