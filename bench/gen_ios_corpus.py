#!/usr/bin/env python3
"""A deterministic corpus of hand-varied Cisco IOS site-to-site IPsec running-configs.

Ported from shared/reference/parser-anchors.md, Appendix A (written for this project to set
the importer's speed target): the same ``random.Random(seed)`` calls in the same order, so
``--n 1000 --seed 42`` gives the anchors' corpus byte for byte (md5 of the concatenated files
``06c854cd4e2e0a79eb258a65a9843f8d``).  Each router: AAA/logging boilerplate, 1-3 ``crypto
isakmp policy``, keys per peer, IKEv2 objects on ~40 %, transform sets, 1-20 crypto map
entries (descriptions, PFS, lifetimes), VTIs on ~30 %, interfaces (some shut), ACLs, NAT,
routes, SNMP, a banner, lines.  Trailing spaces are kept, as IOS prints them.

usage: gen_ios_corpus.py OUTDIR [--n 1000] [--seed 42]
       gen_ios_corpus.py OUTDIR --big PEERS [--seed 42]   # one hub, PEERS crypto map entries
"""
import argparse
import ipaddress
import os
import random

TS_CHOICES = [
    ("TS-AES256-SHA256", "esp-aes 256 esp-sha256-hmac"),
    ("TS-AES128-SHA", "esp-aes esp-sha-hmac"),
    ("TS-GCM256", "esp-gcm 256"),
    ("TS-3DES-MD5", "esp-3des esp-md5-hmac"),
    ("TS-AES256-SHA", "esp-aes 256 esp-sha-hmac"),
]
ISAKMP_POL = [
    ("aes 256", "sha256", "14"), ("aes", "sha", "2"), ("3des", "md5", "2"),
    ("aes 256", "sha384", "19"), ("aes 192", "sha", "5"),
]
PFS = ["group2", "group5", "group14", "group19", "group20"]
MODELS = [("15.9", "ISR4331"), ("16.12", "ISR4431"), ("17.3", "C8300"),
          ("15.4", "CISCO2911"), ("17.6", "C1111-8P")]


def pw(rng, n=16):
    return "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789")
                   for _ in range(n))


def hexs(rng, n):
    return "".join(rng.choice("0123456789ABCDEF") for _ in range(n))


def public_ip(rng):
    # documentation / carrier-ish ranges, avoids 10/8 collisions
    first = rng.choice([198, 203, 192, 100, 185, 81, 62, 212])
    return f"{first}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def gen_router(idx, rng, peers=None, vti=None):
    L = []
    a = L.append
    ver, model = rng.choice(MODELS)
    host = f"R-{rng.choice(['BR', 'DC', 'SITE', 'RTR'])}-{idx:05d}"
    n_peers = peers if peers is not None else rng.randint(1, 20)
    use_ikev2 = rng.random() < 0.4
    n_vti = vti if vti is not None else (rng.randint(1, 4) if rng.random() < 0.3 else 0)
    n_pol = rng.randint(1, 3)
    n_ts = rng.randint(1, 3)
    lan_net = ipaddress.ip_network(f"10.{(idx >> 8) % 256}.{idx % 256}.0/24")
    lan_gw = str(lan_net.network_address + 1)
    wan_ip = public_ip(rng)
    wan_gw = wan_ip.rsplit(".", 1)[0] + ".1"
    cmap = rng.choice(["CMAP-WAN", "VPN-MAP", "CRYPTO-MAP", "S2S"])
    wan_if = rng.choice(["GigabitEthernet0/0", "GigabitEthernet0/0/0"])
    pre = wan_if.rsplit("/", 1)[0]
    ts_list = rng.sample(TS_CHOICES, n_ts)

    a("Building configuration...")
    a("")
    a(f"Current configuration : {rng.randint(4000, 90000)} bytes")
    a("!")
    hh, mm, ss = rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)
    day = rng.choice(['Mon', 'Tue', 'Wed', 'Thu', 'Fri'])
    month = rng.choice(['Jan', 'Mar', 'Jun', 'Oct'])
    a(f"! Last configuration change at {hh:02d}:{mm:02d}:{ss:02d} UTC "
      f"{day} {month} {rng.randint(1, 28)} 2024 by admin")
    a("!")
    a(f"version {ver}")
    a("service timestamps debug datetime msec")
    a("service timestamps log datetime msec")
    a("service password-encryption")
    a("!")
    a(f"hostname {host}")
    a("!")
    a("boot-start-marker")
    a("boot-end-marker")
    a("!")
    a("!")
    a(f"logging buffered {rng.choice([16384, 64000, 128000])} informational")
    a(f"enable secret 9 $9${pw(rng, 14)}${pw(rng, 43)}")
    a("!")
    a("aaa new-model")
    a("!")
    a("!")
    a("aaa authentication login default group tacacs+ local")
    a("aaa authorization exec default group tacacs+ local ")
    a("aaa accounting exec default start-stop group tacacs+")
    a("aaa accounting commands 15 default start-stop group tacacs+")
    a("!")
    a("aaa session-id common")
    a("clock timezone UTC 0 0")
    a("!")
    a("ip domain name corp.example.net")
    a("ip name-server 10.0.0.53 10.0.1.53")
    a("ip cef")
    a("no ipv6 cef")
    a("!")
    a("multilink bundle-name authenticated")
    a("!")
    a(f"license udi pid {model} sn FTX{rng.randint(1000, 9999)}{hexs(rng, 4)}")
    a("!")
    a(f"username admin privilege 15 secret 9 $9${pw(rng, 14)}${pw(rng, 43)}")
    a("!")
    a("redundancy")
    a("!")
    peers_l = []
    for p in range(n_peers):
        # each peer owns a distinct /22 slot; advertises /22../24 of it
        remote_net = ipaddress.ip_network(
            f"10.{128 + (p // 64) % 128}.{(p % 64) * 4}.0/{rng.choice([24, 24, 23, 22])}")
        peers_l.append((p + 1, public_ip(rng), remote_net))
    if use_ikev2:
        a("crypto ikev2 proposal IKEV2-PROP-1 ")
        a(" encryption aes-cbc-256")
        a(" integrity sha256")
        a(" group 14")
        a("!")
        a("crypto ikev2 policy IKEV2-POL ")
        a(" proposal IKEV2-PROP-1")
        a("!")
        a("crypto ikev2 keyring KR-S2S")
        for p, ip, _ in peers_l[: max(1, min(4, n_peers))]:
            a(f" peer PEER-{p}")
            a(f"  address {ip}")
            a(f"  pre-shared-key local {pw(rng)}")
            a(f"  pre-shared-key remote {pw(rng)}")
            a(" !")
        a("!")
        a("!")
        a("crypto ikev2 profile IKEV2-PROF-1")
        for _p, ip, _ in peers_l[: max(1, min(4, n_peers))]:
            a(f" match identity remote address {ip} 255.255.255.255 ")
        a(" authentication remote pre-share")
        a(" authentication local pre-share")
        a(" keyring local KR-S2S")
        a(" lifetime 28800")
        a(" dpd 10 3 periodic")
        a("!")
    a("!")
    for i in range(n_pol):
        enc, h, g = ISAKMP_POL[(idx + i) % len(ISAKMP_POL)]
        a(f"crypto isakmp policy {(i + 1) * 10}")
        a(f" encr {enc}")
        if h != "sha":
            a(f" hash {h}")
        a(" authentication pre-share")
        a(f" group {g}")
        a(f" lifetime {rng.choice([86400, 28800, 3600])}")
    for _p, ip, _ in peers_l:
        a(f"crypto isakmp key {rng.choice(['', '6 '])}{pw(rng, 20)} address {ip}   ")
    a("crypto isakmp keepalive 10 3 periodic")
    a("!")
    a("!")
    for name, spec in ts_list:
        a(f"crypto ipsec transform-set {name} {spec} ")
        a(" mode tunnel")
    a("!")
    if n_vti:
        a("crypto ipsec profile VTI-PROF-1")
        a(f" set transform-set {ts_list[0][0]} ")
        if use_ikev2:
            a(" set ikev2-profile IKEV2-PROF-1")
        a("!")
    a("!")
    a("!")
    for p, ip, _rn in peers_l:
        a(f"crypto map {cmap} {p * 10} ipsec-isakmp ")
        if rng.random() < 0.5:
            a(f" description VPN to partner {p} ({ip})")
        a(f" set peer {ip}")
        a(f" set transform-set {rng.choice(ts_list)[0]} ")
        if rng.random() < 0.7:
            a(f" set pfs {rng.choice(PFS)}")
        if rng.random() < 0.3:
            a(f" set security-association lifetime seconds {rng.choice([3600, 28800])}")
        a(f" match address ACL-VPN-P{p}")
    a("!")
    a("!")
    # interfaces
    a("interface Loopback0")
    a(f" ip address 10.255.{(idx >> 8) % 256}.{idx % 256 or 1} 255.255.255.255")
    a("!")
    for t in range(n_vti):
        a(f"interface Tunnel{100 + t}")
        a(f" description VTI to hub {t}")
        a(f" ip address 172.16.{t}.{(idx % 63) * 4 + 1} 255.255.255.252")
        a(" ip mtu 1400")
        a(" ip tcp adjust-mss 1360")
        a(f" tunnel source {wan_if}")
        a(" tunnel mode ipsec ipv4")
        a(f" tunnel destination {public_ip(rng)}")
        a(" tunnel protection ipsec profile VTI-PROF-1")
        a("!")
    a(f"interface {wan_if}")
    a(f" description WAN - ISP circuit {hexs(rng, 8)}")
    a(f" ip address {wan_ip} 255.255.255.248")
    a(" ip nat outside")
    a(" ip virtual-reassembly in")
    a(" negotiation auto")
    a(f" crypto map {cmap}")
    a("!")
    n_if = rng.randint(3, 7)
    for i in range(1, n_if):
        a(f"interface {pre}/{i}")
        if i == 1:
            a(" description LAN")
            a(f" ip address {lan_gw} {lan_net.netmask}")
            a(" ip nat inside")
            a(" ip virtual-reassembly in")
            a(" negotiation auto")
        elif rng.random() < 0.5:
            a(" no ip address")
            a(" shutdown")
            a(" negotiation auto")
        else:
            a(f" description {rng.choice(['MGMT', 'GUEST', 'VOICE', 'DMZ'])} segment")
            a(f" ip address 10.{200 + i}.{idx % 256}.1 255.255.255.0")
            a(" negotiation auto")
        a("!")
    a("interface GigabitEthernet0")
    a(" vrf forwarding Mgmt-intf")
    a(" no ip address")
    a(" shutdown")
    a(" negotiation auto")
    a("!")
    a("ip forward-protocol nd")
    a("no ip http server")
    a("no ip http secure-server")
    a(f"ip nat inside source list NAT-ACL interface {wan_if} overload")
    for s in range(rng.randint(0, 3)):
        a(f"ip nat inside source static tcp {lan_net.network_address + 10 + s} 443 {wan_ip} "
          f"{8443 + s} extendable")
    a(f"ip route 0.0.0.0 0.0.0.0 {wan_gw}")
    for t in range(n_vti):
        a(f"ip route 10.{64 + t}.0.0 255.255.0.0 Tunnel{100 + t}")
    for _ in range(rng.randint(1, 4)):
        second, third = rng.randint(1, 250), rng.randint(0, 255)
        a(f"ip route 10.{second}.{third}.0 255.255.255.0 {lan_net.network_address + 254}")
    a("ip ssh version 2")
    a("!")
    a("ip access-list standard SNMP-RO")
    a(" permit 10.0.0.0 0.0.255.255")
    lan = f"{lan_net.network_address} {lan_net.hostmask}"
    for p, _ip, rn in peers_l:
        remote = f"{rn.network_address} {rn.hostmask}"
        a(f"ip access-list extended ACL-VPN-P{p}")
        a(f" permit ip {lan} {remote}")
        if rng.random() < 0.2:
            a(f" permit ip 10.255.{(idx >> 8) % 256}.{idx % 256 or 1} 0.0.0.0 {remote}")
    a("ip access-list extended NAT-ACL")
    if n_peers <= 8:
        for _p, _ip, rn in peers_l:
            a(f" deny   ip {lan} {rn.network_address} {rn.hostmask}")
    else:  # summarised NAT exemption for bigger routers
        a(f" deny   ip {lan_net.network_address} {lan_net.hostmask} 10.128.0.0 0.127.255.255")
    a(f" permit ip {lan_net.network_address} {lan_net.hostmask} any")
    a("!")
    a(f"logging host 10.0.0.{rng.randint(10, 20)}")
    a("logging source-interface Loopback0")
    a("access-list 10 permit 10.0.0.0 0.0.255.255")
    a("!")
    a(f"snmp-server community {pw(rng, 10)} RO SNMP-RO")
    a(f"snmp-server location Site {idx}")
    a("snmp-server contact noc@corp.example.net")
    a("snmp-server enable traps ipsec cryptomap add")
    a("snmp-server enable traps ipsec tunnel start")
    a("snmp-server enable traps isakmp tunnel start")
    a(f"snmp-server host 10.0.0.{rng.randint(30, 40)} version 2c {pw(rng, 10)} ")
    a("!")
    a("tacacs server TACACS-1")
    a(" address ipv4 10.0.0.21")
    a(f" key 7 {hexs(rng, 22)}")
    a("tacacs server TACACS-2")
    a(" address ipv4 10.0.1.21")
    a(f" key 7 {hexs(rng, 22)}")
    a("!")
    a("!")
    a("control-plane")
    a("!")
    a("banner motd ^C")
    a("*** Authorized access only. Activity is monitored. ***")
    a(f"  {host}")
    a("^C")
    a("!")
    a("line con 0")
    a(" exec-timeout 5 0")
    a(" logging synchronous")
    a(" stopbits 1")
    a("line aux 0")
    a(" stopbits 1")
    a("line vty 0 4")
    a(" access-class 10 in")
    a(" exec-timeout 10 0")
    a(" logging synchronous")
    a(" transport input ssh")
    a("line vty 5 15")
    a(" access-class 10 in")
    a(" transport input ssh")
    a("!")
    a("ntp source Loopback0")
    a("ntp server 10.0.0.1 prefer")
    a("ntp server 10.0.1.1")
    a("!")
    a("!")
    a("end")
    return "\n".join(L) + "\n", n_peers


def write_hub(outdir: str, peers: int, seed: int = 42) -> str:
    """One hub router with ``peers`` crypto map entries (and 2 VTIs): ``hub-PEERS.cfg``."""
    os.makedirs(outdir, exist_ok=True)
    text, _ = gen_router(1, random.Random(seed), peers=peers, vti=2)
    path = os.path.join(outdir, f"hub-{peers}.cfg")
    with open(path, "w") as f:
        f.write(text)
    return path


def write_corpus(outdir: str, n: int, seed: int = 42) -> list[str]:
    """``n`` routers ``r00001.cfg`` …; returns their paths."""
    os.makedirs(outdir, exist_ok=True)
    rng = random.Random(seed)
    paths = []
    for i in range(n):
        text, _ = gen_router(i + 1, rng)
        path = os.path.join(outdir, f"r{i + 1:05d}.cfg")
        with open(path, "w") as f:
            f.write(text)
        paths.append(path)
    return paths


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--big", type=int, default=0, help="one hub router with BIG crypto map entries")
    args = ap.parse_args()
    if args.big:
        path = write_hub(args.outdir, args.big, args.seed)
        with open(path) as f:
            text = f.read()
        print(f"{os.path.basename(path)} lines={text.count(chr(10))} bytes={len(text)}")
        return
    texts = []
    for path in write_corpus(args.outdir, args.n, args.seed):
        with open(path) as f:
            texts.append(f.read())
    lines_l = sorted(t.count("\n") for t in texts)
    tot_b, tot_l = sum(len(t) for t in texts), sum(lines_l)
    tot_p = sum(t.count("\ncrypto map ") for t in texts)
    print(f"files={args.n} bytes={tot_b} MB={tot_b / 1e6:.2f} MiB={tot_b / 2**20:.2f} "
          f"lines={tot_l} crypto_map_entries={tot_p} lines/file min={lines_l[0]} "
          f"median={lines_l[len(lines_l) // 2]} max={lines_l[-1]} mean={tot_l / args.n:.0f}")


if __name__ == "__main__":
    main()
