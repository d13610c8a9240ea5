"""The read pass, IKE half: ISAKMP policies and keys, IKEv1 keyrings and profiles, IKEv2
proposals, policies, keyrings and profiles (:class:`IkeReader`, called by
:class:`~ccsec.formats.ios.read.Reader` for ``crypto isakmp|ikev2|keyring`` blocks).

Hidden ``crypto isakmp policy`` defaults are applied here (and noted, since ``show
running-config`` does not print them); type 6/7 keys are kept as facts (present, not
readable); a placeholder where a key belongs is noted once per line.
"""

from __future__ import annotations

from ccsec.crypto import Encr, IkeProposal, Integ, Prf, is_aead
from ccsec.formats.facts import IosUnreadableKey
from ccsec.formats.ios.defaults import (
    DEFAULT_ISAKMP_LIFETIME,
    ISAKMP_AUTHENTICATION,
    ISAKMP_DEFAULT_WORDS,
    ISAKMP_ENCRYPTION,
    ISAKMP_GROUP,
    ISAKMP_HASH,
)
from ccsec.formats.ios.log import Log
from ccsec.formats.ios.objects import (
    Config,
    IkeProfile,
    IsakmpPolicy,
    Key,
    KeyEntry,
    V1Keyring,
    V2Policy,
    V2Proposal,
)
from ccsec.formats.ios.tree import (
    IKEV1_ENCR_WORDS,
    IKEV1_HASH_WORDS,
    IKEV2_ENCR_WORDS,
    IKEV2_INTEG_WORDS,
    IKEV2_PRF_WORDS,
    Abbrev,
    Node,
    is_placeholder,
    netmask_network,
)

ISAKMP_WORDS = Abbrev(["encryption", "hash", "authentication", "group", "lifetime"])
V1_ENCR = Abbrev(["des", "3des", "aes"])
V1_HASH = Abbrev(IKEV1_HASH_WORDS)
V1_AUTH = Abbrev(["pre-share", "rsa-sig", "rsa-encr", "ecdsa-sig"])
AUTH_WORDS = {"pre-share": "psk", "rsa-sig": "certificate", "rsa-encr": "certificate",
              "ecdsa-sig": "certificate"}


class IkeReader:
    def __init__(self, cfg: Config, log: Log) -> None:
        self.cfg = cfg
        self.log = log

    # ------------------------------------------------------------------- IKEv1

    def isakmp_line(self, node: Node, w: list[str]) -> bool | None:
        what = w[2]
        g = self.cfg.g
        if what == "policy":
            self.isakmp_policy(node, int(w[3]))
        elif what == "key":
            self.cfg.isakmp_keys.append(self.global_key(node, w))
        elif what == "profile":
            self.cfg.v1_profiles[w[3]] = self.v1_profile(node)
        elif what == "identity":
            g.isakmp_identity = w[3]
        elif what == "keepalive":
            g.isakmp_keepalive = int(w[3])
        elif what == "nat" and w[3] == "keepalive":
            g.nat_keepalive_v1 = (int(w[4]), node.line)
        elif what == "aggressive-mode" and w[3:4] == ["disable"]:
            g.aggressive_off = node.line
        else:
            return what in ("enable", "invalid-spi-recovery", "xauth", "client", "fragmentation")
        return None

    def isakmp_policy(self, node: Node, prio: int) -> None:
        enc: Encr | None = None
        hsh: Integ | None = None
        method: str | None = None
        group: int | None = None
        lifetime: int | None = None

        def child(n: Node, w: list[str]) -> bool | None:
            nonlocal enc, hsh, method, group, lifetime
            word = ISAKMP_WORDS(w[0])
            if word == "encryption":
                enc = IKEV1_ENCR_WORDS[" ".join([str(V1_ENCR(w[1])), *w[2:3]])]
            elif word == "hash":
                hsh = IKEV1_HASH_WORDS[str(V1_HASH(w[1]))]
            elif word == "authentication":
                method = AUTH_WORDS[str(V1_AUTH(w[1]))]
            elif word == "group":
                group = int(w[1])
            elif word == "lifetime":
                lifetime = int(w[1])
            else:
                return False
            return None

        self.log.each(node.children, child)
        seen = (enc, hsh, method, group, lifetime)
        missing = [f"{k} {v}" for (k, v), got in zip(ISAKMP_DEFAULT_WORDS.items(), seen,
                                                     strict=True) if got is None]
        if missing:
            self.log.note(node.line, f"crypto isakmp policy {prio}: not shown, so the IOS "
                                     f"default applies: {', '.join(missing)} [V]")
        prop = IkeProposal(encryption=ISAKMP_ENCRYPTION if enc is None else enc,
                           integrity=ISAKMP_HASH if hsh is None else hsh,
                           group=ISAKMP_GROUP if group is None else group)
        self.cfg.isakmp.append(IsakmpPolicy(
            prio, node.line, prop, ISAKMP_AUTHENTICATION if method is None else method,
            DEFAULT_ISAKMP_LIFETIME if lifetime is None else lifetime))

    def global_key(self, node: Node, w: list[str]) -> KeyEntry:
        """``crypto isakmp key [0|6] KEY address A [M] | hostname H [no-xauth]``."""
        at = next((i for i in range(4, len(w)) if w[i] in ("address", "hostname")), 0)
        if not at:
            raise ValueError("no address or hostname")
        kind = int(w[3]) if at == 5 and w[3] in ("0", "6", "7") else 0
        entry = KeyEntry(node.line, key=self.key(w[at - 1], kind, node, "crypto isakmp key"))
        key_target(entry, w, at)
        return entry

    def key(self, value: str, kind: int, node: Node, where: str) -> Key:
        if kind in (6, 7):
            self.cfg.unreadable_keys.append(IosUnreadableKey(where, kind, node.line))
            return Key(None, kind, node.line)
        if is_placeholder(value):
            self.log.placeholder_lines.add(node.line)
            self.log.note(node.line, f"placeholder {value} instead of a key ({where})")
            return Key(None, 0, node.line)
        return Key(value, 0, node.line)

    def v1_keyring(self, node: Node, w: list[str]) -> None:
        local: str | None = None
        entries: list[KeyEntry] = []

        def child(n: Node, cw: list[str]) -> bool | None:
            nonlocal local
            if cw[0] == "local-address":
                local = cw[1]
            elif cw[0] == "pre-shared-key":
                at = cw.index("key", 2)
                kind, value = split_key(cw[at + 1:])
                entry = KeyEntry(n.line, key=self.key(value, kind, n, f"crypto keyring {w[2]}"))
                key_target(entry, cw[:at], 1)
                entries.append(entry)
            else:
                return cw[0] in ("description", "rsa-pubkey", "vrf")
            return None

        self.log.each(node.children, child)
        self.cfg.v1_keyrings[w[2]] = V1Keyring(local, entries)

    def v1_profile(self, node: Node) -> IkeProfile:
        p = IkeProfile(node.line)

        def child(n: Node, w: list[str]) -> bool | None:
            head = w[0]
            if head == "keyring":
                p.keyrings.append(w[1])
                p.lines.setdefault("auth", n.line)
            elif head == "ca" and w[1] == "trust-point":
                p.trustpoints.append(w[2])
                p.lines.setdefault("auth", n.line)
            elif head == "match" and w[1] == "identity":
                v1_match(p, w)
            elif head == "match" and w[1] == "certificate":
                p.cert_maps.append(w[2])
            elif head == "self-identity":
                p.local_id = (w[1], w[2] if len(w) > 2 else None)
            elif head == "local-address":
                p.local.append(w[1])
            elif head == "keepalive":
                p.dpd = int(w[1])
            elif head == "initiate" and w[1:] == ["mode", "aggressive"]:
                p.aggressive = True
            else:
                return head in ("description", "vrf", "qos-group", "isakmp", "client",
                                "virtual-template", "accounting", "initiate", "default")
            return None

        self.log.each(node.children, child)
        return p

    # ------------------------------------------------------------------- IKEv2

    def ikev2_line(self, node: Node, w: list[str]) -> bool | None:
        what = w[2]
        cfg = self.cfg
        if what == "proposal":
            cfg.v2_proposals[w[3]] = V2Proposal(node.line, self.v2_proposal(node, w[3]))
        elif what == "policy":
            self.v2_policy(node, w[3])
        elif what == "keyring":
            cfg.v2_keyrings[w[3]] = self.v2_keyring(node)
        elif what == "profile":
            cfg.v2_profiles[w[3]] = self.v2_profile(node)
        elif what == "dpd":
            cfg.g.ikev2_dpd = int(w[3])
        elif what == "nat" and w[3] == "keepalive":
            cfg.g.nat_keepalive_v2 = (int(w[4]), node.line)
        else:
            return what in ("authorization", "cookie-challenge", "limit", "window", "redirect",
                            "fragmentation", "http-url", "diagnose", "certificate-cache")
        return None

    def v2_proposal(self, node: Node, name: str) -> list[IkeProposal]:
        encs: list[Encr] = []
        integs: list[Integ] = []
        prfs: list[Prf] = []
        groups: list[int] = []

        def child(n: Node, w: list[str]) -> bool | None:
            head = {"encr": "encryption", "encryption": "encryption", "integrity": "integrity",
                    "prf": "prf", "group": "group"}.get(w[0])
            if head == "encryption":
                encs.extend(IKEV2_ENCR_WORDS[x.lower()] for x in w[1:])
            elif head == "integrity":
                integs.extend(IKEV2_INTEG_WORDS[x.lower()] for x in w[1:])
            elif head == "prf":
                prfs.extend(IKEV2_PRF_WORDS[x.lower()] for x in w[1:])
            elif head == "group":
                groups.extend(int(x) for x in w[1:])
            else:
                return False
            return None

        self.log.each(node.children, child)
        out: list[IkeProposal] = []
        prf_choices: list[Prf | None] = [*prfs] or [None]
        for e in encs:
            for g in groups:
                if is_aead(e):
                    out += [IkeProposal(encryption=e, prf=p, group=g) for p in prfs]
                else:
                    out += [IkeProposal(encryption=e, integrity=i, prf=p, group=g)
                            for i in integs for p in prf_choices]
        if not out:
            self.log.note(node.line, f"crypto ikev2 proposal {name} is incomplete (needs "
                                     "encryption, integrity or prf, and group): IOS does not "
                                     "use it", "warning")
        return out

    def v2_policy(self, node: Node, name: str) -> None:
        local: list[str] = []
        props: list[str] = []

        def child(n: Node, w: list[str]) -> bool | None:
            if w[0] == "proposal":
                props.extend(w[1:])
            elif w[0] == "match" and w[1] == "address" and w[2] == "local":
                local.append(w[3])
            else:
                return w[0] in ("match", "description")
            return None

        self.log.each(node.children, child)
        self.cfg.v2_policies.append(V2Policy(name, node.line, local, props))

    def v2_keyring(self, node: Node) -> list[KeyEntry]:
        peers: list[KeyEntry] = []
        for peer in node.children:
            if not peer.text.startswith("peer "):
                self.log.unread(peer)
                continue
            entry = KeyEntry(peer.line)

            def child(n: Node, w: list[str], entry: KeyEntry = entry) -> bool | None:
                if w[0] == "address":
                    mask = w[2] if len(w) > 2 else "255.255.255.255"
                    entry.nets.append(netmask_network(w[1], mask))
                elif w[0] == "identity":
                    entry.ids.append((w[1], w[2]))
                elif w[0] == "hostname":
                    entry.ids.append(("fqdn", w[1]))
                elif w[0] == "pre-shared-key":
                    rest = w[1:]
                    if rest[0] in ("local", "remote"):
                        if rest[0] == "local" and entry.key is not None:
                            return None  # the remote key is the one the peer must prove
                        rest = rest[1:]
                    kind, value = split_key(rest)
                    entry.key = self.key(value, kind, n, "crypto ikev2 keyring")
                else:
                    return w[0] == "description"
                return None

            self.log.each(peer.children, child)
            peers.append(entry)
        return peers

    def v2_profile(self, node: Node) -> IkeProfile:
        p = IkeProfile(node.line)

        def child(n: Node, w: list[str]) -> bool | None:
            head = w[0]
            if head == "match":
                return v2_match(p, w)
            if head == "identity" and w[1] == "local":
                p.local_id = (w[2], w[3] if len(w) > 3 else None)
            elif head == "authentication":
                if w[1] == "remote":
                    p.auth_remote.append(w[2])
                else:
                    p.auth_local = w[2]
                p.lines.setdefault("auth", n.line)
            elif head == "keyring":
                p.keyrings.append(w[-1])
            elif head == "pki" and w[1] == "trustpoint":
                p.trustpoints.append(w[2])
            elif head == "dpd":
                p.dpd = int(w[1])
            elif head == "lifetime":
                p.lifetime = int(w[1])
            else:
                return head in ("description", "nat", "ivrf", "virtual-template", "aaa",
                                "config-exchange", "redirect", "shutdown")
            return None

        self.log.each(node.children, child)
        return p


# -------------------------------------------------------------------------- helpers


def key_target(entry: KeyEntry, w: list[str], at: int) -> None:
    """The peer of a key line: ``hostname H`` or ``address A [M]``."""
    if w[at] == "hostname":
        entry.ids.append(("fqdn", w[at + 1]))
        return
    mask = w[at + 2] if at + 2 < len(w) and w[at + 2][:1].isdigit() else "255.255.255.255"
    entry.nets.append(netmask_network(w[at + 1], mask))


def split_key(rest: list[str]) -> tuple[int, str]:
    """``[0|6|7] KEY`` → (type, key); a key of several words stays whole."""
    if len(rest) > 1 and rest[0] in ("0", "6", "7"):
        return int(rest[0]), " ".join(rest[1:])
    return 0, " ".join(rest)


def address_id(address: str, mask: str) -> tuple[str, str]:
    """A ``match identity … address A M`` line: one host, a range, or anyone."""
    net = netmask_network(address, mask)
    if net.prefixlen == 0 or address == "0.0.0.0":
        return ("any", "")
    if net.prefixlen < 32:
        return ("address-range", str(net))
    return ("address", str(net.network_address))


def v1_match(p: IkeProfile, w: list[str]) -> None:
    what = w[2]
    if what == "address":
        mask = w[4] if len(w) > 4 and w[4][:1].isdigit() else "255.255.255.255"
        p.remote_ids.append(address_id(w[3], mask))
    elif what == "host" and w[3] != "domain":
        p.remote_ids.append(("fqdn", w[3]))
    else:
        p.remote_ids.append(("other", " ".join(w[2:])))


def v2_match(p: IkeProfile, w: list[str]) -> bool | None:
    if w[1] == "address" and w[2] == "local":
        p.local.append(w[-1])
    elif w[1] == "certificate":
        p.cert_maps.append(w[2])
    elif w[1] == "identity" and w[2] == "remote":
        kind = w[3]
        if kind == "address":
            mask = w[5] if len(w) > 5 else "255.255.255.255"
            p.remote_ids.append(address_id(w[4], mask))
        elif kind in ("fqdn", "key-id") and w[4] != "domain":
            p.remote_ids.append(("fqdn" if kind == "fqdn" else "keyid", w[4]))
        elif kind == "any":
            p.remote_ids.append(("any", ""))
        else:
            p.remote_ids.append(("other", " ".join(w[3:])))
    else:
        return w[1] == "fvrf"
    return None
