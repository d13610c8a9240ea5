"""Running commands with a time limit, and stopping exactly the processes the lab started.

Every external command goes through :func:`run` (argument lists only, never a shell, always a
timeout).  Long-running processes (charon, tcpdump, ping) are remembered as ``(pid, start
time)``: the start time (field 22 of ``/proc/PID/stat``) makes sure a recycled pid is never
signalled, so ``lab down`` can only ever stop what this lab started.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ccsec.lab.errors import lab_error

#: default limit for one short command (ip, nft, pki, swanctl …)
COMMAND_TIMEOUT_S = 20.0


def run(
    args: Sequence[str],
    *,
    timeout: float = COMMAND_TIMEOUT_S,
    stdin: str | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run ``args`` (no shell) and wait at most ``timeout`` seconds.

    With ``check`` a non-zero exit raises a LabError carrying the command's own error text.
    """
    try:
        done = subprocess.run(
            list(args), input=stdin, capture_output=True, text=True, timeout=timeout,
            env=None if env is None else {**os.environ, **env}, check=False,
        )
    except FileNotFoundError:
        raise lab_error(f"command not found: {args[0]}",
                        fix="install the lab's system packages (make system-deps)") from None
    except subprocess.TimeoutExpired:
        raise lab_error(f"'{' '.join(args[:6])}' did not finish within {timeout:g} s") from None
    if check and done.returncode != 0:
        text = (done.stderr or done.stdout).strip().splitlines()
        raise lab_error(f"'{' '.join(args[:6])}' failed (exit {done.returncode}): "
                        + (text[-1] if text else "no output"))
    return done


def in_ns(ns: str, *args: str) -> list[str]:
    """The argument list that runs ``args`` inside network namespace ``ns``."""
    return ["ip", "netns", "exec", ns, *args]


def start_time(pid: int) -> int | None:
    """The start time (clock ticks since boot) of a live process; None if gone or a zombie."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            stat = fh.read()
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: split after the last ')'
    fields = stat[stat.rfind(")") + 2:].split()
    if len(fields) <= 19 or fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


@dataclass(frozen=True)
class ProcRef:
    """A process the lab started, identified beyond doubt by pid and start time."""

    pid: int
    started: int

    @classmethod
    def of(cls, pid: int) -> ProcRef:
        started = start_time(pid)
        return cls(pid, started if started is not None else -1)

    def alive(self) -> bool:
        return start_time(self.pid) == self.started

    def send(self, sig: int) -> bool:
        if not self.alive():
            return False
        try:
            os.kill(self.pid, sig)
        except ProcessLookupError:
            return False
        return True

    def stop(self, timeout: float = 5.0, sig: int = signal.SIGTERM) -> None:
        """Ask the process to end; SIGKILL it if it is still there after ``timeout``."""
        if not self.send(sig):
            return
        if not wait_gone(self, timeout):
            self.send(signal.SIGKILL)
            wait_gone(self, 2.0)


def wait_gone(ref: ProcRef, timeout: float) -> bool:
    """Wait (bounded) until the process has exited; reap it if it is our child."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(ref.pid, os.WNOHANG)
        except ChildProcessError:
            pid = 0
        if pid == ref.pid or not ref.alive():
            return True
        time.sleep(0.02)
    return not ref.alive()
