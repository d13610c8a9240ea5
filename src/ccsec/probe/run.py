"""``ccsec probe``: ask one named gateway, over IKE only, what it accepts.

The target is resolved once; every packet then goes to that address and port through one
:class:`~ccsec.probe.transport.Channel` (rate, budget, deadline and half-open pace shared by
both IKE versions).  IKEv2 is asked first, then IKEv1 main mode, then one IKEv1 aggressive-mode
question; nothing is ever authenticated (no IKE_AUTH, no main-mode message 3).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ccsec.errors import Problem, UserError
from ccsec.policy import EndPolicy
from ccsec.probe import iana
from ccsec.probe.drift import compare
from ccsec.probe.ikev1 import aggressive, enumerate_v1
from ccsec.probe.ikev2 import enumerate_v2
from ccsec.probe.judge import judge
from ccsec.probe.result import ProbeResult, VendorId
from ccsec.probe.space import v1_space, v2_space
from ccsec.probe.transport import Channel, Limits

#: opens the probe's socket, connected to (address, port) — tests open it in a namespace
Connect = Callable[[str, int], socket.socket]


@dataclass(frozen=True)
class Options:
    target: str
    port: int = 500
    versions: tuple[int, ...] = (2, 1)
    limits: Limits = field(default_factory=Limits)
    #: IKEv1 authentication method offered: psk | rsa
    v1_auth: str = "psk"
    #: identity sent in aggressive mode (default: the probe's own address)
    identity: str | None = None
    #: narrow the DH groups asked about (None: every group with a key exchange here)
    groups: tuple[int, ...] | None = None
    aggressive: bool = True


def resolve(target: str, port: int) -> tuple[int, str]:
    """(address family, address) of the target; a clear error when it does not resolve."""
    try:
        infos = socket.getaddrinfo(target, port, type=socket.SOCK_DGRAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UserError(Problem(f"cannot resolve '{target}': {exc}", field="TARGET",
                                fix="give the gateway's IP address or a resolvable name")) \
            from None
    family, _, _, _, addr = infos[0]
    return int(family), str(addr[0])


def _connect(family: int) -> Connect:
    def connect(address: str, port: int) -> socket.socket:
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.connect((address, port))
        except OSError as exc:
            sock.close()
            raise UserError(Problem(f"cannot reach {address}:{port}: {exc.strerror or exc}",
                                    field="TARGET", fix="check the address and the route to "
                                    "it")) from None
        return sock
    return connect


def probe(opts: Options, *, connect: Connect | None = None,
          end: EndPolicy | None = None, deployment: str = "") -> ProbeResult:
    """Run the probe; with ``end``, compare with what ccsec planned for that end."""
    family, address = resolve(opts.target, opts.port)
    sock = (connect or _connect(family))(address, opts.port)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    t0 = time.monotonic()
    try:
        channel = Channel(sock, opts.limits, natt=opts.port != 500)
        result = ProbeResult(target=opts.target, address=address, port=opts.port,
                             source=f"{channel.local[0]}:{channel.local[1]}", started=started,
                             limits=_limits(opts.limits))
        vids: list[VendorId] = []
        if 2 in opts.versions:
            result.ikev2 = enumerate_v2(channel, v2_space(opts.groups), result.nat, vids)
        if 1 in opts.versions:
            auth = iana.AUTH_METHODS[opts.v1_auth]
            space = v1_space(opts.groups)
            result.ikev1 = enumerate_v1(channel, space, auth, result.nat, vids)
            if opts.aggressive and result.ikev1.answered:
                result.aggressive = aggressive(channel, space, result.ikev1.accepted, auth,
                                               opts.identity or channel.local[0], result.nat)
        result.vendor_ids = vids
    finally:
        sock.close()
    result.seconds = round(time.monotonic() - t0, 2)
    if end is not None:
        result.drift = compare(result, deployment, end)
    result.findings = judge(result)
    return result


def _limits(limits: Limits) -> dict[str, float]:
    return {"rate": limits.rate, "budget": limits.budget, "wait_s": limits.wait_s,
            "retries": limits.retries, "timeout_s": limits.timeout_s,
            "half_open": limits.half_open, "half_open_hold_s": limits.half_open_hold_s,
            "max_packet": limits.max_packet}
