"""Packet captures on the lab's links (tcpdump on named interfaces, recipe pitfall 12).

A capture runs ``timeout N tcpdump`` inside the link's namespace, so it ends by itself even if
ccsec is killed.  Counting uses tcpdump's own BPF filters on the saved file, and the plaintext
marker is searched in the raw file bytes: a marker that crossed a link in clear text is in the
file, whatever the protocol.
"""

from __future__ import annotations

import io
import select
import signal
import subprocess
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import cast

from ccsec.lab.errors import lab_error
from ccsec.lab.proc import ProcRef, in_ns, run, wait_gone
from ccsec.lab.topology import CapturePoint

#: IKE and ESP-in-UDP (NAT-T), including non-first fragments of big IKE messages
IKE = "(udp port 500 or udp port 4500 or (ip proto 17 and ip[6:2] & 0x1fff != 0))"
#: anything on a link that is neither IKE/NAT-T nor ARP
OTHER = f"not arp and not {IKE}"
READY_TIMEOUT_S = 5.0
SETTLE_S = 0.3


def nets_expr(nets: Iterable[IPv4Network | IPv4Address]) -> str:
    words = [f"net {n}" if isinstance(n, IPv4Network) else f"host {n}" for n in nets]
    return "(" + " or ".join(words) + ")"


def clear_in_tunnel(addresses: Iterable[IPv4Network | IPv4Address]) -> str:
    """On a WAN link behind site tunnels, *any* packet with these addresses is clear text:
    the tunnel's outer addresses are the gateways' WAN addresses."""
    return f"ip and {nets_expr(addresses)}"


def encrypted(a: IPv4Address, b: IPv4Address) -> str:
    """ESP-in-UDP between two outer addresses: the capture did see the flow, encrypted."""
    return f"udp port 4500 and host {a} and host {b}"


def clear_host_ipsec(a: IPv4Address, b: IPv4Address) -> str:
    """Between two IPsec hosts, everything but their IKE/ESP-in-UDP is clear text."""
    return f"ip and host {a} and host {b} and not {IKE}"


@dataclass
class Capture:
    point: CapturePoint
    path: Path
    ref: ProcRef | None = None
    proc: subprocess.Popen[bytes] | None = None
    _data: bytes | None = None

    def launch(self, max_s: float) -> None:
        # --immediate-mode: without it libpcap hands packets over in blocks up to 1 s late,
        # and the block pending at SIGINT is lost — the last second of traffic would be missing
        args = in_ns(self.point.ns, "timeout", str(int(max_s) + 1), "tcpdump", "-Z", "root",
                     "--immediate-mode", "-U", "-n", "-s", "0", "-i", self.point.iface,
                     "-w", str(self.path))
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, start_new_session=True)
        self.ref = ProcRef.of(self.proc.pid)

    def wait_ready(self) -> None:
        """Block (bounded) until tcpdump says it is listening: no packet is missed after."""
        assert self.proc is not None and self.proc.stderr is not None
        deadline = time.monotonic() + READY_TIMEOUT_S
        seen = b""
        fd = self.proc.stderr.fileno()
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                # a buffered pipe (Popen's default): read1 returns what is there now
                chunk = cast(io.BufferedReader, self.proc.stderr).read1(4096)
                if not chunk:
                    break
                seen += chunk
                if b"listening on" in seen:
                    return
        raise lab_error(f"tcpdump on {self.point.label} did not start: "
                        f"{seen.decode(errors='replace').strip()[-200:] or 'no output'}")

    def stop(self) -> None:
        if self.ref is not None:
            self.ref.send(signal.SIGINT)  # timeout(1) forwards it; tcpdump flushes and exits
            if not wait_gone(self.ref, 5.0):
                self.ref.stop(2.0, signal.SIGKILL)
        if self.proc is not None:
            with suppress(subprocess.TimeoutExpired):
                self.proc.wait(2)
            if self.proc.stderr is not None:
                self.proc.stderr.close()

    def count(self, bpf: str) -> int:
        """Packets in the saved file that match ``bpf``."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return 0
        done = run(["tcpdump", "-n", "-r", str(self.path), bpf], timeout=30, check=False)
        if done.returncode != 0:
            raise lab_error(f"reading {self.path} failed: {done.stderr.strip()[-200:]}")
        return sum(1 for line in done.stdout.splitlines() if line.strip())

    def occurrences(self, marker: bytes) -> int:
        if self._data is None:
            self._data = self.path.read_bytes() if self.path.exists() else b""
        return self._data.count(marker)


@contextmanager
def capturing(points: Iterable[CapturePoint], directory: Path, tag: str,
              max_s: float = 120.0) -> Iterator[list[Capture]]:
    """Capture on every point while the body runs; always stopped, even on errors."""
    directory.mkdir(parents=True, exist_ok=True)
    caps = [Capture(p, directory / f"{tag}-{i:02d}-{p.iface}.pcap")
            for i, p in enumerate(points)]
    try:
        for c in caps:
            c.launch(max_s)
        for c in caps:
            c.wait_ready()
        yield caps
        time.sleep(SETTLE_S)  # let the last packets of the body reach the captures
    finally:
        for c in caps:
            c.stop()


def summary(cap: Capture) -> dict[str, object]:
    """What one link carried: totals, IKE/NAT-T, and anything else (must be 0 on the WAN)."""
    return {
        "link": cap.point.label,
        "ns": cap.point.ns,
        "iface": cap.point.iface,
        "kind": cap.point.kind,
        "packets": cap.count("ip or arp"),
        "ike_or_esp_in_udp": cap.count(IKE),
        "other": cap.count(OTHER),
    }
