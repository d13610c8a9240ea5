"""nftables that make every IPsec end fail closed (lab recipe §5, failclosed.sh, h2h nft).

A trap policy protects only while charon runs: when charon dies, libipsec's TUN device and its
routes vanish and traffic follows the main table in clear text (measured in the recipe).  So:

- a gateway forwards between its LAN and the peer sites' prefixes only through ``ipsec0``, and
  its own traffic to those prefixes must use ``ipsec0`` too;
- a host talks only through ``ipsec0``, plus charon's own IKE/ESP-in-UDP (fwmark 0x42) — "do not
  communicate with computers that do not support IPsec".  With protection ``both`` the host's
  ESP-in-UDP is ordinary LAN traffic for its gateway, which tunnels it (nested).

With kernel ESP (no TUN) the same rules are written with the xfrm matches ``rt ipsec`` (an
outbound route that carries an SA) and ``meta ipsec`` (a packet that was decrypted).
[U] the kernel-ESP variant has not been run: this project's machines have no kernel ESP.
"""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Network

from ccsec.lab.charon import CHARON_MARK
from ccsec.lab.proc import in_ns, run
from ccsec.lab.transform import Datapath

TABLE = "ccsec_failclosed"


def _set(nets: Iterable[IPv4Network]) -> str:
    items = sorted({str(n) for n in nets})
    return "{ " + ", ".join(items) + " }"


def gateway_ruleset(local: Iterable[IPv4Network], remote: Iterable[IPv4Network],
                    datapath: Datapath) -> str:
    """Forward LAN↔peer prefixes only through IPsec; everything else forwarded is dropped."""
    lo, re = _set(local), _set(remote)
    if datapath == "libipsec":
        fwd = (f'    iifname "lan0" oifname "ipsec0" ip saddr {lo} ip daddr {re} accept\n'
               f'    iifname "ipsec0" oifname "lan0" ip saddr {re} ip daddr {lo} accept\n')
        out = f'    ip daddr {re} oifname != "ipsec0" counter drop\n'
        inp = f'    ip saddr {re} iifname != "ipsec0" counter drop\n'
    else:
        fwd = (f'    iifname "lan0" ip saddr {lo} ip daddr {re} rt ipsec exists accept\n'
               f'    oifname "lan0" ip saddr {re} ip daddr {lo} meta ipsec exists accept\n')
        out = f"    ip daddr {re} rt ipsec missing counter drop\n"
        inp = f"    ip saddr {re} meta ipsec missing counter drop\n"
    return (
        f"table inet {TABLE} {{\n"
        "  chain forward {\n"
        "    type filter hook forward priority filter; policy drop;\n"
        f"{fwd}"
        '    counter comment "anything else forwarded (clear text to a peer site) is dropped"\n'
        "  }\n"
        "  chain output {\n"
        "    type filter hook output priority filter; policy accept;\n"
        f"{out}"
        "  }\n"
        "  chain input {\n"
        "    type filter hook input priority filter; policy accept;\n"
        f"{inp}"
        "  }\n"
        "}\n"
    )


def host_ruleset(datapath: Datapath) -> str:
    """Only IPsec in and out (plus charon's IKE/NAT-T and PMTU errors for it)."""
    if datapath == "libipsec":
        out = '    oifname "ipsec0" accept\n'
        inp = '    iifname "ipsec0" accept\n'
    else:
        out = "    rt ipsec exists accept\n    ip protocol esp accept\n"
        inp = "    meta ipsec exists accept\n    ip protocol esp accept\n"
    return (
        f"table inet {TABLE} {{\n"
        "  chain output {\n"
        "    type filter hook output priority filter; policy drop;\n"
        '    oifname "lo" accept\n'
        f"{out}"
        f"    meta mark {CHARON_MARK} udp sport {{ 500, 4500 }} accept\n"
        "    counter\n"
        "  }\n"
        "  chain input {\n"
        "    type filter hook input priority filter; policy drop;\n"
        '    iifname "lo" accept\n'
        f"{inp}"
        "    udp dport { 500, 4500 } accept\n"
        '    icmp type destination-unreachable accept comment "PMTU for the outer ESP-in-UDP"\n'
        "    counter\n"
        "  }\n"
        "}\n"
    )


def apply(ns: str, ruleset: str) -> None:
    run(in_ns(ns, "nft", "-f", "-"), stdin=ruleset, timeout=10)


def remove(ns: str) -> None:
    """Drop the fail-closed table (used only by the negative test that proves it matters)."""
    run(in_ns(ns, "nft", "delete", "table", "inet", TABLE), timeout=10, check=False)
