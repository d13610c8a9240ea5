"""The read pass: configuration tree → raw objects by name (:class:`.objects.Config`).

Each top-level line is dispatched once on its first words; child lines are read by small
handlers that return None (read), False (not understood: a note) or raise on a malformed
value (a note with the reason).  Nothing here resolves a reference: a crypto map entry keeps
the names of its transform sets, profiles and ACL for the bind and build passes.  IKE blocks
(``crypto isakmp|ikev2|keyring``) are read by :mod:`~ccsec.formats.ios.read_ike`; this
module reads IPsec (transform sets, profiles, crypto and dynamic maps), PKI, interfaces,
ACLs, NAT, routes and route-maps.

Lines that are facts in themselves (``crypto engine``, manual keying, unreadable keys,
transform-set modes, RSA key pairs, static NAT) are kept as they are read.
"""

from __future__ import annotations

import re

from ccsec.crypto import Encr, EspProposal, Integ, is_aead
from ccsec.formats.base import plain_reason
from ccsec.formats.facts import (
    ConfigLine,
    IosManualEntry,
    IosNatRule,
    IosRsaKey,
    IosTransformMode,
    IosTrustpoint,
)
from ccsec.formats.ios.acl import Acl, add_ace
from ccsec.formats.ios.log import Log
from ccsec.formats.ios.objects import (
    Config,
    Interface,
    MapEntry,
    SaSpec,
    TransformSet,
)
from ccsec.formats.ios.read_ike import IkeReader
from ccsec.formats.ios.tree import (
    AH_INTEG_WORDS,
    ESP_ENCR,
    ESP_ENCR_WORDS,
    ESP_INTEG,
    ESP_INTEG_WORDS,
    ESP_SIZED_DEFAULT,
    Node,
    addr,
    decode_description,
    is_placeholder,
    netmask_network,
)

_SELF_ID = re.compile(r"^! ccsec-self-identity (\S+) fqdn (\S+)", re.M)
#: ``no crypto …`` commands that switch an IOS default off → the Globals field holding the line
SWITCHES = {
    "isakmp default policy": "isakmp_default_off",
    "ikev2 policy default": "ikev2_policy_default_off",
    "ikev2 proposal default": "ikev2_proposal_default_off",
    "ipsec nat-transparency udp-encapsulation": "nat_t_off",
    "ipsec transform-set default": "ts_default_off",
    "ipsec profile default": "profile_default_off",
    "isakmp": "isakmp_off",
}


def read(text: str, nodes: list[Node], log: Log) -> Config:
    """Every object of the configuration, by name."""
    reader = Reader(text, log)
    log.each(nodes, reader.top)
    return reader.cfg


class Reader:
    def __init__(self, text: str, log: Log) -> None:
        self.cfg = Config(text)
        self.log = log
        self.ike = IkeReader(self.cfg, log)
        if "ccsec-self-identity" in text:
            self.cfg.self_ids = {m.group(1): m.group(2) for m in _SELF_ID.finditer(text)}

    # ----------------------------------------------------------- top-level dispatch

    def top(self, node: Node, w: list[str]) -> bool | None:
        head = w[0]
        if head == "crypto":
            return self.crypto(node, w)
        if head == "no":
            return self.negated(node, w)
        if head == "interface":
            self.interface(node, w)
        elif head == "ip":
            self.ip(node, w)
        elif head == "access-list":
            self.numbered_ace(node, w)
        elif head == "route-map":
            self.route_map(node, w)
        elif head == "hostname":
            self.cfg.hostname = w[1]
        return None

    def crypto(self, node: Node, w: list[str]) -> bool | None:
        kind = w[1]
        if kind == "isakmp":
            return self.ike.isakmp_line(node, w)
        if kind == "ikev2":
            return self.ike.ikev2_line(node, w)
        if kind == "ipsec":
            return self.ipsec_line(node, w)
        if kind == "map":
            return self.crypto_map(node, w)
        if kind == "dynamic-map":
            spec = self.sa_spec(node)
            self.cfg.dynamic.setdefault(w[2], []).append((int(w[3]), spec))
            return None
        if kind == "keyring":
            self.ike.v1_keyring(node, w)
            return None
        if kind == "pki":
            return self.pki(node, w)
        if kind == "engine":
            self.engine(node)
            return None
        return kind in ("key", "ca", "logging", "vpn", "call")

    def negated(self, node: Node, w: list[str]) -> bool | None:
        if w[1:2] != ["crypto"]:
            return None
        rest = " ".join(w[2:])
        if rest in SWITCHES:
            setattr(self.cfg.g, SWITCHES[rest], node.line)
            return None
        if w[2] == "engine":
            self.engine(node)
            return None
        return False

    def engine(self, node: Node) -> None:
        self.cfg.engines.append(ConfigLine(node.line, node.text))
        if node.text.startswith("no crypto engine") and (
                "accelerator" in node.text or "onboard" in node.text):
            self.cfg.accelerator_disabled = True
            self.log.locations["ios.crypto_accelerator_disabled"] = node.line

    # ------------------------------------------------------------------- IPsec

    def ipsec_line(self, node: Node, w: list[str]) -> bool | None:
        what = w[2]
        if what == "transform-set":
            self.transform_set(node, w)
        elif what == "profile":
            self.cfg.ipsec_profiles[w[3]] = self.sa_spec(node)
        elif what == "security-association" and w[3] == "lifetime":
            value = int(w[5])  # other units (days…) are read and not used
            if w[4] == "seconds":
                self.cfg.g.sa_seconds = value
            elif w[4] == "kilobytes":
                self.cfg.g.sa_kilobytes = value
        else:
            return what in ("security-association", "df-bit", "fragmentation", "client",
                            "optional")
        return None

    def transform_set(self, node: Node, w: list[str]) -> None:
        name = w[3]
        ah = enc = integ = None
        i = 4
        while i < len(w):
            word = w[i].lower()
            size = w[i + 1] if i + 1 < len(w) and w[i + 1].isdigit() else None
            if word in ESP_SIZED_DEFAULT:
                enc = ESP_ENCR_WORDS[f"{word} {size}"] if size else ESP_SIZED_DEFAULT[word]
                i += 2 if size else 1
                continue
            if word in ESP_ENCR_WORDS:
                enc = ESP_ENCR_WORDS[word]
            elif word in ESP_INTEG_WORDS:
                integ = ESP_INTEG_WORDS[word]
            elif word in AH_INTEG_WORDS:
                ah = AH_INTEG_WORDS[word]
            elif word != "comp-lzs":
                raise ValueError(f"unknown transform {w[i]}")
            i += 1
        mode, require = "tunnel", False

        def child(n: Node, cw: list[str]) -> bool | None:
            nonlocal mode, require
            if cw[0] != "mode":
                return False
            mode, require = cw[1], cw[2:3] == ["require"]
            return None

        self.log.each(node.children, child)
        self.cfg.transform_modes[name] = IosTransformMode(mode, require, node.line)
        try:
            prop: EspProposal | None = EspProposal(encryption=enc, integrity=integ, ah=ah)
        except ValueError as exc:
            self.log.note(node.line, f"transform set {name} is not valid: "
                                     f"{_transform_reason(enc, integ, exc)}", "warning")
            prop = None
        self.cfg.transform_sets[name] = TransformSet(prop, mode, node.line)

    def sa_spec(self, node: Node) -> SaSpec:
        """A crypto map / dynamic map entry or ipsec profile (the hottest block in a hub)."""
        spec = SaSpec(node.line)
        for n in node.children:
            try:
                known = self.sa_line(spec, n, n.text.split())
            except (ValueError, IndexError, KeyError) as exc:
                self.log.unread(n, exc)
                continue
            if known is False:
                self.log.unread(n)
        return spec

    def sa_line(self, spec: SaSpec, n: Node, w: list[str]) -> bool | None:
        head = w[0]
        if head == "description":
            spec.description = decode_description(n.text.split(None, 1)[1])
        elif head == "match" and w[1] == "address":
            spec.acl = w[2]
            spec.lines["filters"] = n.line
        elif head == "qos" and w[1:2] == ["pre-classify"]:
            spec.qos = True
        elif head == "set":
            return self.set_line(spec, n, w)
        else:
            return head in ("reverse-route", "default")
        return None

    def set_line(self, spec: SaSpec, n: Node, w: list[str]) -> bool | None:
        what = w[1]
        if what == "peer":
            try:
                spec.peers.append(addr(w[2]))
            except ValueError:
                spec.peer_name = w[2]
                if is_placeholder(w[2]):
                    self.log.note(n.line, f"peer {w[2]} is a template placeholder: the entry is "
                                          "judged without its peer, which stays unresolved")
                else:  # a DNS name: IOS resolves it when it negotiates
                    self.log.note(n.line, f"peer {w[2]} is a DNS name: its address is not in "
                                          "the config (resolved with --hosts, else unresolved)")
        elif what == "transform-set":
            spec.transform_sets = w[2:]
            spec.lines["esp"] = n.line
        elif what == "pfs":
            group = w[3] if w[2:3] == ["group"] else (w[2] if len(w) > 2 else "group1")
            spec.pfs = int(group.removeprefix("group"))
        elif what == "security-association" and w[2] == "lifetime":
            if w[3] == "seconds":
                spec.seconds = int(w[4])
            elif w[4] == "disable":
                spec.kb_disabled = True
            else:
                spec.kilobytes = int(w[4])
        elif what == "ikev2-profile":
            spec.ikev2_profile = w[2]
        elif what == "isakmp-profile":
            spec.isakmp_profile = w[2]
        elif what == "aggressive-mode":
            spec.aggressive = True
        else:
            return what in ("security-association", "reverse-route", "nat", "idle-timer",
                            "ip", "responder-only", "default", "redundancy")
        return None

    def crypto_map(self, node: Node, w: list[str]) -> bool | None:
        name = w[2]
        if w[3] == "local-address":
            self.cfg.map_local[name] = w[4]
            return None
        if not w[3].isdigit():
            return w[3] in ("redundancy", "client", "isakmp", "isakmp-profile", "gdoi")
        seq = int(w[3])
        kind = w[4] if len(w) > 4 else "ipsec-isakmp"
        if kind == "ipsec-manual":
            self.cfg.manual.append(IosManualEntry(name, seq, node.line))
            self.log.note(node.line, f"crypto map {name} {seq} uses manual keying (no IKE)",
                          "warning")
            entry = MapEntry(name, seq, node.line, "manual", SaSpec(node.line))
        elif kind == "gdoi":
            entry = MapEntry(name, seq, node.line, "gdoi", SaSpec(node.line))
            self.log.note(node.line, f"crypto map {name} {seq} is GET VPN (gdoi): not read")
        else:
            dynamic = w[6] if len(w) > 6 and w[5] == "dynamic" else None
            spec = self.sa_spec(node)
            entry = MapEntry(name, seq, node.line, "dynamic" if dynamic else "isakmp", spec,
                             dynamic)
        self.cfg.maps.setdefault(name, []).append(entry)
        return None

    # --------------------------------------------------------------------- PKI

    def pki(self, node: Node, w: list[str]) -> bool | None:
        if w[2] == "trustpoint":
            self.trustpoint(node, w[3])
        elif w[2] == "certificate" and w[3] == "map":
            rows: list[tuple[str, str, str]] = []

            def child(n: Node, cw: list[str]) -> bool | None:
                value = n.text.split(None, 2)[2]
                rows.append((cw[0].lower(), cw[1].lower(), value))
                return None

            self.log.each(node.children, child)
            self.cfg.cert_maps.setdefault(w[4], []).extend(rows)
        else:
            return w[2] in ("certificate", "token", "server", "profile", "crl")
        return None

    def trustpoint(self, node: Node, name: str) -> None:
        subject = revocation = enrollment = keypair = None
        bits: int | None = None

        def child(n: Node, w: list[str]) -> bool | None:
            nonlocal subject, revocation, enrollment, keypair, bits
            if w[0] == "subject-name":
                subject = n.text.split(None, 1)[1]
            elif w[0] == "revocation-check":
                revocation = " ".join(w[1:])
            elif w[0] == "enrollment":
                enrollment = " ".join(w[1:])
            elif w[0] == "rsakeypair":
                keypair = w[1]
                bits = int(w[2]) if len(w) > 2 else None
                self.cfg.rsa_keys.append(IosRsaKey(name, w[1], bits, n.line))
            return None

        self.log.each(node.children, child)
        self.cfg.trustpoints[name] = IosTrustpoint(node.line, subject, revocation, enrollment,
                                                   keypair, bits)

    # ----------------------------------------------- interfaces, ACLs, NAT, routes

    def interface(self, node: Node, w: list[str]) -> None:
        intf = Interface(node.line)
        self.cfg.interfaces[w[1]] = intf
        for n in node.children:
            try:
                self.interface_line(intf, n, n.text.split())
            except (ValueError, IndexError) as exc:
                self.log.unread(n, exc)

    def interface_line(self, intf: Interface, n: Node, w: list[str]) -> None:
        head = w[0]
        if head == "shutdown":
            intf.shutdown = True
        elif head == "description":
            intf.description = decode_description(n.text.split(None, 1)[1])
        elif head == "crypto" and w[1] == "map":
            intf.crypto_map = w[2]
        elif head == "qos" and w[1:2] == ["pre-classify"]:
            intf.qos = True
        elif head == "tunnel":
            tunnel_line(intf, w)
        elif head == "ip":
            interface_ip(intf, w)

    def ip(self, node: Node, w: list[str]) -> None:
        what = w[1]
        if what == "access-list" and w[2] in ("extended", "standard"):
            acl = self.cfg.acls.setdefault(w[3], Acl(node.line))
            standard = w[2] == "standard"
            for n in node.children:
                add_ace(acl, n.text.split(), n.line, standard)
        elif what == "nat":
            self.nat_line(node, w)
        elif what == "route":
            i = 4 if w[2] == "vrf" else 2
            net = netmask_network(w[i], w[i + 1])
            self.cfg.routes.append((net, w[i + 2], node.line))
        elif what == "domain-name" or w[1:3] == ["domain", "name"]:
            self.cfg.domain = w[-1]

    def numbered_ace(self, node: Node, w: list[str]) -> None:
        number = int(w[1])
        standard = number < 100 or 1300 <= number < 2000
        acl = self.cfg.acls.setdefault(w[1], Acl(node.line))
        add_ace(acl, w[2:], node.line, standard)

    def nat_line(self, node: Node, w: list[str]) -> None:
        if w[2:4] != ["inside", "source"]:
            return
        if w[4] == "static":
            self.cfg.nat_static.append(ConfigLine(node.line, node.text))
            return
        by_acl = w[4] == "list"
        target = w[5]
        via = {w[6]: w[7]} if w[6] in ("interface", "pool") else {}
        self.cfg.nat.append(IosNatRule(
            node.line, acl=target if by_acl else None, route_map=None if by_acl else target,
            interface=via.get("interface"), pool=via.get("pool"), overload="overload" in w))

    def route_map(self, node: Node, w: list[str]) -> None:
        action = w[2] if len(w) > 2 else "permit"
        acls: list[str] = []
        for n in node.children:
            cw = n.text.split()
            if cw[:3] == ["match", "ip", "address"]:
                acls += [x for x in cw[3:] if x != "prefix-list"]
        self.cfg.route_maps.setdefault(w[1], []).append((action, acls))


# -------------------------------------------------------------------------- helpers


def interface_ip(intf: Interface, w: list[str]) -> None:
    what = w[1]
    if what == "address" and w[2] not in ("dhcp", "negotiated") and "secondary" not in w:
        intf.address = addr(w[2])
    elif what == "nat" and w[2] in ("inside", "outside"):
        intf.nat = w[2]
    elif what == "unnumbered":
        intf.unnumbered = w[2]
    elif what == "access-group":
        if w[3] == "in":
            intf.acl_in = w[2]
        else:
            intf.acl_out = w[2]


def tunnel_line(intf: Interface, w: list[str]) -> None:
    what = w[1]
    if what == "source":
        intf.tunnel_source = w[2]
    elif what == "destination":
        intf.tunnel_destination = addr(w[2])
    elif what == "mode":
        intf.tunnel_mode = " ".join(w[2:])
    elif what == "protection" and w[2] == "ipsec" and w[3] == "profile":
        intf.protection = w[4]


def _transform_reason(enc: Encr | None, integ: Integ | None, exc: ValueError) -> str:
    """Why IOS refuses a transform set, in its words (never the model's validation text)."""
    if enc is not None and integ is not None and is_aead(enc):
        return (f"{ESP_ENCR.get(enc, enc.value)} is an authenticated cipher (GCM/GMAC) and "
                f"takes no HMAC, but {ESP_INTEG.get(integ, integ.value)} is set: IOS rejects "
                "this combination")
    return plain_reason(exc)
