"""One UDP conversation with the target, under the probe's limits.

Everything a probe sends goes through :class:`Channel`: a UDP socket *connected* to the one
target the user named (the kernel then delivers only that address's answers), a rate limit, a
packet budget, an overall deadline, retransmission of unanswered requests, and a pace for
requests that may leave state on the responder.

That pace matters: every IKE_SA_INIT (or IKEv1 first message) the responder *accepts* leaves a
half-open SA there until it times out (strongSwan: ``half_open_timeout`` = 30 s), and
responders protect themselves — strongSwan ignores a peer address with ``block_threshold`` = 5
half-open SAs and demands cookies from ``cookie_threshold_ip`` = 3.  The channel keeps at most
``half_open`` accepted requests inside any ``half_open_hold_s`` window, so a probe is slow
rather than blocked or mistaken for a flood.  Refusals (NO_PROPOSAL_CHOSEN, INVALID_KE_PAYLOAD,
COOKIE) leave no state and are not paced.
"""

from __future__ import annotations

import socket
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from ccsec.probe.wire import NON_ESP_MARKER


@dataclass(frozen=True)
class Limits:
    """The probe's self-restraint (see the module docstring for the half-open pace)."""

    rate: float = 10.0  # packets per second, at most
    budget: int = 2000  # packets for the whole probe, retransmissions included
    wait_s: float = 2.0  # how long one attempt waits for its answer
    retries: int = 2  # retransmissions of an unanswered request
    timeout_s: float = 600.0  # the whole probe
    half_open: int = 4  # accepted requests per hold window
    half_open_hold_s: float = 30.0
    max_packet: int = 3000  # bytes of one IKE message (IP fragments above the path MTU)


class Stopped(Exception):
    """A limit ended the probe early: the result is partial and says why."""


class Unreachable(Exception):
    """The target refused the port (ICMP port unreachable)."""


class OtherVersion(Exception):
    """The target answered with another IKE major version: it accepts nothing in this one."""


class Channel:
    """The probe's only way to the network (see the module docstring)."""

    def __init__(self, sock: socket.socket, limits: Limits, *, natt: bool = False,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.sock = sock
        self.limits = limits
        self.natt = natt
        self._clock, self._sleep = clock, sleep
        self.deadline = clock() + limits.timeout_s
        self.sent = 0
        self._last_send: float | None = None
        self._opened: deque[float] = deque()

    @property
    def local(self) -> tuple[str, int]:
        host, port = self.sock.getsockname()[:2]
        return str(host), int(port)

    @property
    def remote(self) -> tuple[str, int]:
        host, port = self.sock.getpeername()[:2]
        return str(host), int(port)

    def opened(self) -> None:
        """The last request was accepted: it holds a half-open SA on the responder now."""
        self._opened.append(self._clock())

    def _wait_until(self, when: float, why: str) -> None:
        now = self._clock()
        if when <= now:
            return
        if when > self.deadline:
            raise Stopped(f"the probe's time limit ({self.limits.timeout_s:g} s) ran out "
                          f"while {why}")
        self._sleep(when - now)

    def _pace(self, may_open: bool) -> None:
        if self.sent >= self.limits.budget:
            raise Stopped(f"the packet budget ({self.limits.budget}) is used up")
        hold = self.limits.half_open_hold_s
        while may_open:
            while self._opened and self._clock() - self._opened[0] >= hold:
                self._opened.popleft()
            if len(self._opened) < self.limits.half_open:
                break
            self._wait_until(self._opened[0] + hold,
                             "waiting for the responder's half-open SAs to expire")
        if self._last_send is not None and self.limits.rate > 0:
            self._wait_until(self._last_send + 1.0 / self.limits.rate, "rate limiting")

    def _send(self, data: bytes) -> None:
        self.sock.send(NON_ESP_MARKER + data if self.natt else data)
        self.sent += 1
        self._last_send = self._clock()

    def _receive(self, until: float, accept: Callable[[bytes], bool]) -> bytes | None:
        while True:
            left = min(until, self.deadline) - self._clock()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65535)
            except TimeoutError:
                return None
            except ConnectionRefusedError:
                raise Unreachable("the target answered with ICMP port unreachable") from None
            if self.natt:
                if not data.startswith(NON_ESP_MARKER):
                    continue  # ESP or a keepalive, not IKE
                data = data[len(NON_ESP_MARKER):]
            if accept(data):
                return data

    def exchange(self, data: bytes, accept: Callable[[bytes], bool],
                 may_open: bool = True) -> bytes | None:
        """Send ``data`` and return the first answer ``accept`` recognises (retransmitting
        up to ``retries`` times), or None when nothing came back."""
        for _ in range(1 + self.limits.retries):
            self._pace(may_open)
            self._send(data)
            answer = self._receive(self._clock() + self.limits.wait_s, accept)
            if answer is not None:
                return answer
            if self._clock() >= self.deadline:
                raise Stopped(f"the probe's time limit ({self.limits.timeout_s:g} s) ran out")
        return None
