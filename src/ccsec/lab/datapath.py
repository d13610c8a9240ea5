"""Which ESP data path the lab uses: the kernel's (xfrm) if it has ESP, else kernel-libipsec.

The kernel config is read first (``/proc/config.gz``: ``CONFIG_INET_ESP``); where it says ESP
may exist, an ESP state is really installed in a scratch namespace of the lab — that is the
only proof that counts (a module may be missing or blocked).
"""

from __future__ import annotations

import gzip
from pathlib import Path

from ccsec.lab import netns
from ccsec.lab.proc import run
from ccsec.lab.transform import Datapath

KERNEL_CONFIG = Path("/proc/config.gz")
_TEST_KEY = "0x" + "11" * 32
_TEST_AUTH = "0x" + "22" * 32


def kernel_config_esp(path: Path = KERNEL_CONFIG) -> str | None:
    """'y', 'm', 'n' (not set) from the kernel config, or None when there is no config."""
    try:
        with gzip.open(path, "rt", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("CONFIG_INET_ESP="):
                    return line.strip().split("=", 1)[1]
                if line.startswith("# CONFIG_INET_ESP is not set"):
                    return "n"
    except OSError:
        return None
    return "n"


def xfrm_esp_works(scratch_ns: str) -> bool:
    """Install (then drop, with the namespace) one ESP state: does the kernel accept it?"""
    netns.add_all([scratch_ns])
    try:
        done = run(["ip", "-n", scratch_ns, "xfrm", "state", "add", "src", "192.0.2.1",
                    "dst", "192.0.2.2", "proto", "esp", "spi", "0x100", "reqid", "1",
                    "mode", "transport", "enc", "cbc(aes)", _TEST_KEY,
                    "auth", "hmac(sha256)", _TEST_AUTH], timeout=10, check=False)
        return done.returncode == 0
    finally:
        netns.delete(scratch_ns)


def detect(scratch_ns: str, requested: str = "auto") -> tuple[Datapath, str]:
    """The data path to use and the evidence for it (shown in the report)."""
    for choice in ("libipsec", "kernel"):
        if requested == choice:
            return choice, f"chosen with --datapath {requested}"
    config = kernel_config_esp()
    if config == "n":
        return "libipsec", "CONFIG_INET_ESP is not set in /proc/config.gz: userspace ESP"
    if xfrm_esp_works(scratch_ns):
        return "kernel", "the kernel accepted an ESP xfrm state: kernel ESP, true transport mode"
    return "libipsec", "the kernel refused an ESP xfrm state: userspace ESP (kernel-libipsec)"
