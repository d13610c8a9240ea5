"""One charon per namespace: its directory, lab strongswan.conf, start/stop, load, vici.

The swanctl.conf of every instance is the ``strongswan`` renderer's output (written by the
caller); this module only writes the daemon settings, which are lab infrastructure and not
policy: plugin list (``kernel-libipsec`` before ``kernel-netlink``: the first kernel backend
wins, recipe pitfall 2), a private vici socket and log file, short retransmits (a dead peer is
noticed in ~7 s instead of ~165 s, pitfall 11), and for host-to-host selectors
``allow_peer_ts`` plus the 0x42 fwmark that keeps IKE out of the TUN routing table (pitfall 7).

charon-systemd is used because it writes no pid file, so many instances can run side by side
(pitfall 1); ``ip netns exec`` execs it, so the pid we get is the daemon's.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import vici

from ccsec.formats.strongswan.swanconf import quote
from ccsec.lab.errors import lab_error
from ccsec.lab.proc import ProcRef, in_ns, run
from ccsec.lab.transform import Datapath

CHARON = "/usr/sbin/charon-systemd"
CHARON_MARK = "0x42"
SWANCTL_SUBDIRS = ("x509", "x509ca", "x509ocsp", "x509aa", "x509ac", "x509crl", "private",
                   "rsa", "ecdsa", "bliss", "pkcs8", "pkcs12", "pubkey")
PLUGINS = ("random nonce openssl pem pkcs1 pkcs8 x509 revocation constraints pubkey sha1 sha2 "
           "md5 hmac aes gcm ccm ctr cmac xcbc chapoly kdf curve25519 gmp {kernel}"
           "kernel-netlink socket-default vici")
START_TIMEOUT_S = 10.0
VICI_TIMEOUT_S = 5.0
#: a unix socket path must fit sockaddr_un.sun_path (108 bytes with the terminating NUL)
MAX_SOCKET_PATH = 107


@dataclass(frozen=True)
class Instance:
    """Where one charon lives: namespace, directory, and derived file names."""

    owner: str
    ns: str
    dir: Path

    @property
    def conf(self) -> Path:
        return self.dir / "strongswan.conf"

    @property
    def swanctl_dir(self) -> Path:
        return self.dir / "swanctl"

    @property
    def swanctl_conf(self) -> Path:
        return self.swanctl_dir / "swanctl.conf"

    @property
    def socket(self) -> Path:
        return self.dir / "charon.vici"

    @property
    def log(self) -> Path:
        return self.dir / "charon.log"

    @property
    def out(self) -> Path:
        return self.dir / "charon.out"


def strongswan_conf(inst: Instance, datapath: Datapath, keep_alive_s: int | None) -> str:
    """The lab's daemon settings for one instance (not policy; see the module docstring)."""
    kernel = "kernel-libipsec " if datapath == "libipsec" else ""
    keep = f"  keep_alive = {keep_alive_s}s\n" if keep_alive_s else ""
    libipsec = ("    kernel-libipsec {\n      allow_peer_ts = yes\n    }\n"
                if datapath == "libipsec" else "")
    return (
        "# ccsec lab: daemon settings for one namespace (infrastructure, not policy)\n"
        "charon {\n"
        "  load_modular = no\n"
        "  # kernel-libipsec MUST come before kernel-netlink (the first kernel backend wins)\n"
        f"  load = {PLUGINS.format(kernel=kernel)}\n"
        "  install_virtual_ip = no\n"
        "  retransmit_timeout = 1.0\n"
        "  retransmit_base = 1.4\n"
        "  retransmit_tries = 3\n"
        f"{keep}"
        "  plugins {\n"
        f"    vici {{\n      socket = {quote('unix://' + str(inst.socket))}\n    }}\n"
        f"{libipsec}"
        f"    socket-default {{\n      fwmark = {CHARON_MARK}\n    }}\n"
        f"    kernel-netlink {{\n      fwmark = !{CHARON_MARK}\n    }}\n"
        "  }\n"
        "  filelog {\n"
        "    lab {\n"
        f"      path = {quote(str(inst.log))}\n"
        "      time_format = %T\n"
        "      ike_name = yes\n"
        "      default = 1\n"
        "      flush_line = yes\n"
        "    }\n"
        "  }\n"
        "}\n"
    )


def prepare(inst: Instance, datapath: Datapath, keep_alive_s: int | None, swanctl_text: str,
            ca_pem: str | None, key_pem: str | None, cert_pem: str | None) -> None:
    """Write the instance's directory: daemon settings, rendered swanctl.conf, credentials.

    swanctl.conf may hold a pre-shared key, so it and the private key are written 0600.
    """
    if len(str(inst.socket)) > MAX_SOCKET_PATH:
        raise lab_error(f"lab directory path too long for a unix socket: {inst.socket}",
                        fix="set TMPDIR to a short directory (e.g. /tmp)")
    for sub in SWANCTL_SUBDIRS:
        (inst.swanctl_dir / sub).mkdir(parents=True, exist_ok=True)
    inst.conf.write_text(strongswan_conf(inst, datapath, keep_alive_s), encoding="utf-8")
    _private(inst.swanctl_conf, swanctl_text)
    if ca_pem:
        (inst.swanctl_dir / "x509ca" / "lab-ca.pem").write_text(ca_pem, encoding="ascii")
    if key_pem and cert_pem:
        _private(inst.swanctl_dir / "private" / f"{inst.owner}.key", key_pem)
        (inst.swanctl_dir / "x509" / f"{inst.owner}.pem").write_text(cert_pem, encoding="ascii")


def _private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


def launch(inst: Instance) -> ProcRef:
    """Start charon in its namespace (returns at once; see :func:`wait_ready`)."""
    inst.socket.unlink(missing_ok=True)
    with open(inst.out, "ab") as out:
        proc = subprocess.Popen(
            in_ns(inst.ns, CHARON), stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT, env={**os.environ, "STRONGSWAN_CONF": str(inst.conf)},
            start_new_session=True,  # a Ctrl-C at the terminal must not kill it mid-cleanup
        )
    return ProcRef.of(proc.pid)


def wait_ready(inst: Instance, ref: ProcRef, timeout: float = START_TIMEOUT_S) -> None:
    """Wait (bounded) until the daemon's vici socket accepts connections."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not ref.alive():
            tail = inst.out.read_text(errors="replace").strip().splitlines()[-3:]
            raise lab_error(f"charon in {inst.ns} exited at start: {' | '.join(tail) or '-'}",
                            fix=f"see {inst.log}")
        if inst.socket.exists():
            try:
                with session(inst, timeout=1.0) as s:
                    s.version()
                return
            except (OSError, vici.exception.SessionException):
                pass
        time.sleep(0.03)
    raise lab_error(f"charon in {inst.ns} did not open its vici socket within {timeout:g} s",
                    fix=f"see {inst.log}")


def load(inst: Instance) -> str:
    """``swanctl --load-all`` against this instance: the rendered file is what charon runs."""
    done = run(["swanctl", "--load-all", "--noprompt", "--uri", f"unix://{inst.socket}"],
               env={"SWANCTL_DIR": str(inst.swanctl_dir)}, timeout=20, check=False)
    text = (done.stdout + done.stderr).strip()
    bad = [ln for ln in text.splitlines() if "failed" in ln or "invalid" in ln or "error" in ln]
    if done.returncode != 0 or bad:
        raise lab_error(f"swanctl could not load the rendered config of {inst.owner}: "
                        + ("; ".join(bad[:3]) or text[-200:]), fix=f"see {inst.swanctl_conf}")
    return text


@contextmanager
def session(inst: Instance, timeout: float = VICI_TIMEOUT_S) -> Iterator[vici.Session]:
    """A vici session on the instance's own socket, with a receive timeout."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(str(inst.socket))
        yield vici.Session(sock)
    finally:
        sock.close()


# --------------------------------------------------------------------------- SA table


def _s(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, list):
        return ",".join(_s(v) for v in value)
    return "" if value is None else str(value)


def _i(value: Any) -> int:
    text = _s(value)
    return int(text) if text.isdigit() else 0


@dataclass(frozen=True)
class ChildSa:
    name: str
    state: str
    mode: str
    encap: bool
    spi_in: str
    spi_out: str
    encr: str
    integ: str
    dh: str
    bytes_in: int
    bytes_out: int
    packets_in: int
    packets_out: int
    local_ts: str
    remote_ts: str


@dataclass(frozen=True)
class IkeSa:
    name: str
    state: str
    version: str
    local: str
    remote: str
    nat_local: bool
    nat_remote: bool
    initiator: bool
    proposal: str
    children: list[ChildSa] = field(default_factory=list)


def _child(c: dict[str, Any]) -> ChildSa:
    keysize = _s(c.get("encr-keysize"))
    return ChildSa(
        name=_s(c.get("name")), state=_s(c.get("state")), mode=_s(c.get("mode")),
        encap=_s(c.get("encap")) == "yes", spi_in=_s(c.get("spi-in")),
        spi_out=_s(c.get("spi-out")),
        encr=_s(c.get("encr-alg")) + (f"-{keysize}" if keysize else ""),
        integ=_s(c.get("integ-alg")), dh=_s(c.get("dh-group")),
        bytes_in=_i(c.get("bytes-in")), bytes_out=_i(c.get("bytes-out")),
        packets_in=_i(c.get("packets-in")), packets_out=_i(c.get("packets-out")),
        local_ts=_s(c.get("local-ts")), remote_ts=_s(c.get("remote-ts")),
    )


def _ike(name: str, d: dict[str, Any]) -> IkeSa:
    keysize = _s(d.get("encr-keysize"))
    parts = [_s(d.get("encr-alg")) + (f"-{keysize}" if keysize else ""), _s(d.get("integ-alg")),
             _s(d.get("prf-alg")), _s(d.get("dh-group"))]
    return IkeSa(
        name=name, state=_s(d.get("state")), version=_s(d.get("version")),
        local=f"{_s(d.get('local-host'))}:{_s(d.get('local-port'))}",
        remote=f"{_s(d.get('remote-host'))}:{_s(d.get('remote-port'))}",
        nat_local=_s(d.get("nat-local")) == "yes", nat_remote=_s(d.get("nat-remote")) == "yes",
        initiator=_s(d.get("initiator")) == "yes",
        proposal="/".join(p for p in parts if p),
        children=[_child(c) for c in (d.get("child-sas") or {}).values()],
    )


def list_sas(inst: Instance) -> list[IkeSa]:
    """The instance's IKE and CHILD SAs (vici returns bytes; decoded here)."""
    with session(inst) as s:
        return [_ike(_s(name), d) for entry in s.list_sas() for name, d in entry.items()]


def list_children(inst: Instance) -> dict[str, list[str]]:
    """Connection name → child names, as charon loaded them (not as we think we wrote them)."""
    with session(inst) as s:
        out: dict[str, list[str]] = {}
        for entry in s.list_conns():
            for name, conn in entry.items():
                out[_s(name)] = [_s(c) for c in (conn.get("children") or {})]
        return out


def alive_and_answering(inst: Instance) -> bool:
    try:
        with session(inst, timeout=1.0) as s:
            s.version()
    except (OSError, vici.exception.SessionException):
        return False
    return True
