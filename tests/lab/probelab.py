"""A strongSwan gateway for the IKE probe to ask: one charon in a namespace the test made, and a
probe namespace beside it (directly, or behind a masquerading NAT namespace).

The gateway runs the lab's own daemon settings (:func:`ccsec.lab.charon.strongswan_conf`, kernel
datapath: a probe never gets as far as a CHILD_SA) plus test-chosen extras (``dos_protection``,
aggressive-mode PSK permission, half-open timeout).  One charon serves many configurations:
:meth:`GatewayLab.configure` rewrites swanctl.conf and runs ``swanctl --load-all``, which also
unloads the connections that are gone.  Every address lives inside the lab's namespaces, and the
probe's socket is opened inside the probe namespace, so its packets cannot leave them.

Used by ``tests/lab/test_probe_lab.py`` and ``bench/probe_bench.py``.
"""

from __future__ import annotations

import socket
from ipaddress import IPv4Address
from pathlib import Path

from ccsec.lab import charon, netns
from ccsec.lab.build import preflight
from ccsec.lab.proc import in_ns, run
from ccsec.lab.state import CharonRecord, LabState, new_id, new_state, save, teardown
from ccsec.lab.topology import nat_ruleset

GATEWAY = IPv4Address("198.18.7.1")
PROBE = IPv4Address("198.18.7.2")
#: with a NAT: the probe's private side, and the NAT's public address towards the gateway
PRIVATE_PROBE, PRIVATE_NAT = IPv4Address("100.64.7.2"), IPv4Address("100.64.7.1")
PUBLIC_NAT = IPv4Address("198.18.7.3")
PSK = "probe-lab-key-0123456789abcdef"


class GatewayLab:
    """Context manager: namespaces, links, one charon; :meth:`configure` and :meth:`socket`."""

    def __init__(self, *, nat: bool = False, settings: str = "dos_protection = no") -> None:
        self.nat = nat
        self.settings = settings
        self.state: LabState | None = None
        self.inst: charon.Instance | None = None

    def __enter__(self) -> GatewayLab:
        preflight()
        self.state = new_state(new_id(), "probe", "-", "kernel", "probe lab: no CHILD_SA")
        try:
            self._build()
        except BaseException:
            teardown(self.state)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self.state is not None:
            teardown(self.state)

    @property
    def probe_ns(self) -> str:
        assert self.state is not None
        return f"{self.state.prefix}probe"

    def _build(self) -> None:
        st = self.state
        assert st is not None
        gw, pr, nat = f"{st.prefix}gw", self.probe_ns, f"{st.prefix}nat"
        st.extra_ns = [gw, pr, *([nat] if self.nat else [])]
        save(st)
        netns.add_all(st.extra_ns)
        for ns in st.extra_ns:
            netns.sysctl(ns, {"net.ipv6.conf.all.disable_ipv6": "1",
                              "net.ipv4.ip_forward": "1"})
            netns.batch([["link", "set", "lo", "up"]], ns)
        if self.nat:
            netns.batch([["link", "add", "eth0", "netns", gw, "type", "veth", "peer", "name",
                          "wan0", "netns", nat],
                         ["link", "add", "eth0", "netns", pr, "type", "veth", "peer", "name",
                          "lan0", "netns", nat]])
            netns.batch([["link", "set", "wan0", "up"], ["link", "set", "lan0", "up"],
                         ["addr", "add", f"{PUBLIC_NAT}/24", "dev", "wan0"],
                         ["addr", "add", f"{PRIVATE_NAT}/24", "dev", "lan0"]], nat)
            run(in_ns(nat, "nft", "-f", "-"), stdin=nat_ruleset())
            netns.batch([["link", "set", "eth0", "up"],
                         ["addr", "add", f"{PRIVATE_PROBE}/24", "dev", "eth0"],
                         ["route", "add", "default", "via", str(PRIVATE_NAT)]], pr)
        else:
            netns.batch([["link", "add", "eth0", "netns", gw, "type", "veth", "peer", "name",
                          "eth0", "netns", pr]])
            netns.batch([["link", "set", "eth0", "up"],
                         ["addr", "add", f"{PROBE}/24", "dev", "eth0"]], pr)
        netns.batch([["link", "set", "eth0", "up"], ["addr", "add", f"{GATEWAY}/24", "dev",
                                                      "eth0"]], gw)
        work = Path(st.workdir) / "gw"
        self.inst = charon.Instance("gw", gw, work)
        charon.prepare(self.inst, "kernel", None, "connections {\n}\n", None, None, None)
        with self.inst.conf.open("a", encoding="utf-8") as fh:
            fh.write("charon {\n" + "".join(f"  {line}\n" for line in
                                              self.settings.splitlines()) + "}\n")
        rec = CharonRecord(owner="gw", ns=gw, dir=str(work), kind="gateway")
        ref = charon.launch(self.inst)
        rec.pid, rec.started = ref.pid, ref.started
        st.charons.append(rec)
        save(st)
        charon.wait_ready(self.inst, ref)

    def configure(self, swanctl_text: str) -> None:
        """Replace the gateway's connections and secrets (``swanctl --load-all``)."""
        assert self.inst is not None
        self.inst.swanctl_conf.write_text(swanctl_text, encoding="utf-8")
        charon.load(self.inst)

    def socket(self, port: int = 500) -> socket.socket:
        """A UDP socket in the probe namespace, connected to the gateway."""
        sock = netns.socket_in(self.probe_ns, socket.AF_INET, socket.SOCK_DGRAM)
        sock.connect((str(GATEWAY), port))
        return sock

    def log(self) -> str:
        assert self.inst is not None
        return self.inst.log.read_text(errors="replace") if self.inst.log.exists() else ""


def swanctl(version: int, proposals: list[str], *, aggressive: bool = False,
            auth: str = "psk") -> str:
    """One responder connection for any peer, with the given IKE proposals."""
    secret = (f'secrets {{\n  ike-probe {{\n    secret = "{PSK}"\n  }}\n}}\n'
              if auth == "psk" else "")
    return (
        "connections {\n"
        "  probe {\n"
        f"    version = {version}\n"
        f"    local_addrs = {GATEWAY}\n"
        "    remote_addrs = %any\n"
        f"    proposals = {', '.join(proposals)}\n"
        f"    aggressive = {'yes' if aggressive else 'no'}\n"
        "    fragmentation = yes\n"
        f"    local {{\n      auth = {auth}\n      id = gw.probe.test\n    }}\n"
        f"    remote {{\n      auth = {auth}\n    }}\n"
        "    children {\n      c {\n        esp_proposals = aes128gcm16\n      }\n    }\n"
        "  }\n"
        "}\n" + secret
    )
