"""Cisco IOS / IOS XE running-config → the policy model, plus the facts the audit needs.

Reads ccsec's own ``ios.cfg`` and real-world ``show running-config`` text (and vendor templates
full of ``<placeholders>``): one :class:`~ccsec.policy.EndPolicy` per file, one rule per static
crypto map entry, per dynamic map entry reached from a crypto map, and per tunnel interface with
``tunnel protection``.  Rule names: ``ccsec-<rule>`` objects give ``<rule>`` back (the ACL of a
crypto map entry, the ``crypto ipsec profile`` of a VTI); anything else is named
``<map>-<seq>``, ``<dynamic-map>-<seq>`` or the tunnel interface name.

Speed (parser-anchors.md): :func:`ccsec.formats.ios.tree.parse_tree` splits the text once and
builds nodes only for the blocks read here; each line is split once and dispatched on its
first words; every object is looked up by name (keys by peer and NAT ACLs by prefix are
indexed, so nothing is quadratic); algorithm objects are built once per definition and shared
by every rule that references them; cyclic GC is paused during the import.

Defaults IOS hides from ``show running-config`` are applied here, each with its source:

* ``crypto isakmp policy``: encryption DES, hash SHA-1, authentication rsa-sig, group 1,
  lifetime 86400 s (platform-syntax.md §5.1, [V] per release).
* transform set ``mode tunnel`` (§5.4 [D]); ``set pfs`` without a group = group 1 [D];
  SA lifetime 3600 s / 4,608,000 KB unless ``crypto ipsec security-association lifetime``
  says otherwise [D]; IKEv2 profile lifetime 86400 s [D]; IKE version 1 for a crypto map
  entry without ``set ikev2-profile`` [D].
* Built-in policies are **facts, not rule proposals**: the default ISAKMP suites 65507–65514
  and the IKEv2 smart-default proposal/policy stay in effect unless switched off
  (``no crypto isakmp default policy``, ``no crypto ikev2 policy|proposal default``).  A rule
  only receives them when no configured policy could serve it (then an info note says so) —
  their exact contents and when IOS offers them vary by release [V].

``Parsed.facts`` (keys are stable; every entry that points at a line carries ``line``):

* ``ios.hostname`` — str or None.
* ``ios.interfaces`` — name → ``{line, shutdown, address, crypto_map, nat, tunnel_source,
  tunnel_destination, tunnel_mode, tunnel_protection}``; ``ios.shutdown_interfaces`` — names.
* ``ios.crypto_maps`` — map → ``{line, interfaces, applied, local_address, entries: [{seq,
  kind (isakmp|dynamic|manual|gdoi), line, rule}]}``; ``ios.unapplied_crypto_maps`` — names.
* ``ios.dynamic_maps`` — ``[{map, seq, dynamic_map, line, rules}]``.
* ``ios.manual_keying`` — ``[{map, seq, line}]`` (``ipsec-manual`` entries: no IKE).
* ``ios.nat`` — dynamic NAT rules ``[{line, acl, route_map, interface, pool, overload,
  exempt: {rule: exempt|translated|partial}}]`` (does the rule's traffic bypass translation?);
  ``ios.nat_static`` — ``[{line, text}]``.
* ``ios.nat_t`` — ``{enabled, line}`` (``no crypto ipsec nat-transparency udp-encapsulation``);
  ``ios.nat_keepalive`` — ``{ikev1: {seconds, line} | None, ikev2: …}``.
* ``ios.isakmp_aggressive_mode`` — ``{disabled, line}``.
* ``ios.isakmp_default_policies`` — ``{in_effect, line, suites}``; ``ios.ikev2_defaults`` —
  ``{policy_in_effect, proposal_in_effect, lines, suites}``.
* ``ios.crypto_engine`` — ``[{line, text}]`` for every ``crypto engine`` / ``no crypto engine``
  line; ``ios.crypto_accelerator_disabled`` — bool.
* ``ios.trustpoints`` — name → ``{line, subject, revocation, enrollment, keypair, bits}``;
  ``ios.rsa_keys`` — ``[{trustpoint, keypair, bits, line}]``.
* ``ios.unreadable_keys`` — ``[{where, type, line}]`` (type 6/7 keys: present, not readable).
* ``ios.crypto_acl_denies`` — ``[{acl, rule, line, text}]`` (a deny sends traffic in clear).
* ``ios.dangling`` — ``[{kind, name, line}]`` references to objects the config never defines.
* ``ios.incomplete`` — ``[{rule, reason, line}]`` entries IOS does not use (no peer, no ACL…).
* ``ios.transform_set_modes`` — name → ``{mode, require, line}``.

``Parsed.locations``: ``<rule>`` (map entry / tunnel), ``<rule>/ike`` (IKE profile or first
policy), ``<rule>/esp`` (``set transform-set``), ``<rule>/auth`` (keyring / key / trust point),
``<rule>/filters`` (the ACL), and ``ios.<fact>`` for single-line facts.

Never raises for odd input except :class:`ParseError` on binary data (a NUL byte): unknown
crypto lines, placeholders and unreadable values become info notes with their line; things that
change what IOS negotiates (dangling references, incomplete entries) are warnings.
Top-level commands outside IPsec (logging, AAA, lines…) are skipped and counted in one note.
"""

from __future__ import annotations

import gc
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

from ccsec.crypto import Encr, EspProposal, IkeProposal, Integ, is_aead
from ccsec.errors import ParseError, Problem
from ccsec.formats.base import Note, Parsed, meta_str, read_meta
from ccsec.formats.ios.tree import (
    AH_INTEG_WORDS,
    ESP_ENCR_WORDS,
    ESP_INTEG_WORDS,
    ESP_SIZED_DEFAULT,
    IKEV1_ENCR_WORDS,
    IKEV1_HASH_WORDS,
    IKEV2_ENCR_WORDS,
    IKEV2_INTEG_WORDS,
    IKEV2_PRF_WORDS,
    PROTO_NUMBERS,
    Abbrev,
    Node,
    addr,
    contains,
    decode_description,
    is_placeholder,
    netmask_network,
    overlaps,
    parse_tree,
    placeholder,
    port_number,
    read_acl_address,
    rule_of,
)
from ccsec.policy import Auth, EndPolicy, Filter, Identity, Ike, Rule, to_ident
from ccsec.secrets import Secret, literal

ANY = IPv4Network("0.0.0.0/0")
NOWHERE = IPv4Address("0.0.0.0")
DEFAULT_SA_SECONDS = 3600
DEFAULT_SA_KB = 4608000
DEFAULT_IKEV2_LIFETIME = 86400
#: IOS defaults of a ``crypto isakmp policy`` (platform-syntax.md §5.1 [V])
ISAKMP_DEFAULTS = {"encryption": Encr.DES, "hash": Integ.SHA1, "authentication": "certificate",
                   "group": 1, "lifetime": 86400}
#: built-in ISAKMP suites 65507–65514: (encryption, hash, auth, group) [V release-dependent]
DEFAULT_ISAKMP_SUITES = (
    (Encr.AES128, Integ.SHA1, "certificate", 5), (Encr.AES128, Integ.SHA1, "psk", 5),
    (Encr.AES128, Integ.MD5, "certificate", 5), (Encr.AES128, Integ.MD5, "psk", 5),
    (Encr.TDES, Integ.SHA1, "certificate", 2), (Encr.TDES, Integ.SHA1, "psk", 2),
    (Encr.TDES, Integ.MD5, "certificate", 2), (Encr.TDES, Integ.MD5, "psk", 2),
)
#: IKEv2 smart-default proposal (IOS 15.x configuration guide; newer IOS XE differs [V])
DEFAULT_IKEV2 = ((Encr.AES256, Encr.AES192, Encr.AES128),
                 (Integ.SHA512, Integ.SHA384, Integ.SHA256, Integ.SHA1, Integ.MD5), (5, 2))
#: smart-default transform set ``default`` [V]
DEFAULT_TRANSFORMS = (EspProposal(encryption=Encr.AES128, integrity=Integ.SHA1),
                      EspProposal(encryption=Encr.TDES, integrity=Integ.SHA1))
_SELF_ID = re.compile(r"^! ccsec-self-identity (\S+) fqdn (\S+)", re.M)

ISAKMP_DEFAULT_WORDS = {"encryption": "des", "hash": "sha", "authentication": "rsa-sig",
                        "group": "1", "lifetime": "86400"}
ISAKMP_WORDS = Abbrev(["encryption", "hash", "authentication", "group", "lifetime"])
V1_ENCR = Abbrev(["des", "3des", "aes"])
V1_HASH = Abbrev(IKEV1_HASH_WORDS)
V1_AUTH = Abbrev(["pre-share", "rsa-sig", "rsa-encr", "ecdsa-sig"])
AUTH_WORDS = {"pre-share": "psk", "rsa-sig": "certificate", "rsa-encr": "certificate",
              "ecdsa-sig": "certificate"}


# ----------------------------------------------------------------------- raw objects


@dataclass
class Key:
    """A pre-shared key as configured: readable (type 0) or only known to exist (6/7)."""

    value: str | None
    kind: int
    line: int

    def secret(self) -> Secret | None:
        return literal(self.value) if self.value is not None else None


@dataclass
class SaSpec:
    """What a crypto map entry, dynamic map entry or ipsec profile says about its SAs."""

    line: int
    description: str = ""
    peers: list[IPv4Address] = field(default_factory=list)
    peer_name: str | None = None
    transform_sets: list[str] = field(default_factory=list)
    pfs: int | None = None
    seconds: int | None = None
    kilobytes: int | None = None
    kb_disabled: bool = False
    ikev2_profile: str | None = None
    isakmp_profile: str | None = None
    acl: str | None = None
    qos: bool = False
    aggressive: bool = False
    lines: dict[str, int] = field(default_factory=dict)


@dataclass
class MapEntry:
    map: str
    seq: int
    line: int
    kind: str
    spec: SaSpec
    dynamic: str | None = None


@dataclass
class Interface:
    line: int
    shutdown: bool = False
    address: IPv4Address | None = None
    crypto_map: str | None = None
    nat: str | None = None
    unnumbered: str | None = None
    tunnel_source: str | None = None
    tunnel_destination: IPv4Address | None = None
    tunnel_mode: str | None = None
    protection: str | None = None
    acl_in: str | None = None
    acl_out: str | None = None
    qos: bool = False
    description: str = ""


@dataclass
class Ace:
    action: str
    protocol: int | None
    src: IPv4Network
    dst: IPv4Network
    sport: int | None
    dport: int | None
    line: int


@dataclass
class Acl:
    line: int
    aces: list[Ace] = field(default_factory=list)
    unread: list[int] = field(default_factory=list)


@dataclass
class IkeProfile:
    """An ``crypto ikev2 profile`` or ``crypto isakmp profile``, version-neutral."""

    line: int
    local: list[str] = field(default_factory=list)
    remote_ids: list[tuple[str, str]] = field(default_factory=list)
    cert_maps: list[str] = field(default_factory=list)
    local_id: tuple[str, str | None] | None = None
    auth_remote: list[str] = field(default_factory=list)
    auth_local: str | None = None
    keyrings: list[str] = field(default_factory=list)
    trustpoints: list[str] = field(default_factory=list)
    dpd: int | None = None
    lifetime: int | None = None
    aggressive: bool = False
    lines: dict[str, int] = field(default_factory=dict)


@dataclass
class KeyEntry:
    """One peer of a keyring (IKEv1 ``pre-shared-key address``, IKEv2 ``peer``)."""

    line: int
    nets: list[IPv4Network] = field(default_factory=list)
    ids: list[tuple[str, str]] = field(default_factory=list)
    key: Key | None = None


@dataclass
class Binding:
    """A rule-to-be: the SA spec plus where it is used."""

    name: str
    line: int
    kind: str  # map | dynamic | vti
    spec: SaSpec
    peer: IPv4Address | None
    local: IPv4Address | None
    enabled: bool
    interface: str | None = None
    acl: str | None = None
    routes: list[IPv4Network] = field(default_factory=list)
    gre: bool = False
    description: str = ""
    qos: bool = False


# ------------------------------------------------------------------------- the importer


def parse(text: str, source: str = "<text>") -> Parsed:
    """Read an IOS configuration (see the module docstring for what is read)."""
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ParseError(Problem("binary data (NUL byte) in an IOS configuration", source, line,
                                 fix="export the config as text: show running-config"))
    # The import allocates ~10 objects per line and keeps most of them until it returns, so
    # cyclic GC passes only cost time (~30% on a 17k-line hub); refcounting still frees all.
    paused = gc.isenabled()
    gc.disable()
    try:
        return _Importer(text, source).run()
    finally:
        if paused:
            gc.enable()


class _Importer:
    """One import in three passes: read every object by name (one dispatch per line), bind
    the places that use SAs (map entries, dynamic entries, tunnels) to them, then build rules
    and facts.  References are resolved by dict lookups, so the order of the text is free."""

    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.parsed = Parsed(policies=[], source=source, format="ios")
        self.facts = self.parsed.facts
        self.hostname: str | None = None
        self.domain: str | None = None
        self.isakmp: list[tuple[int, int, IkeProposal, str, int]] = []
        self.isakmp_keys: list[KeyEntry] = []
        self.v1_keyrings: dict[str, tuple[str | None, list[KeyEntry]]] = {}
        self.v1_profiles: dict[str, IkeProfile] = {}
        self.v2_proposals: dict[str, tuple[int, list[IkeProposal]]] = {}
        self.v2_policies: list[tuple[str, int, list[str], list[str]]] = []
        self.v2_keyrings: dict[str, list[KeyEntry]] = {}
        self.v2_profiles: dict[str, IkeProfile] = {}
        self.transform_sets: dict[str, tuple[EspProposal | None, str, int]] = {}
        self.ipsec_profiles: dict[str, SaSpec] = {}
        self.maps: dict[str, list[MapEntry]] = {}
        self.map_local: dict[str, str] = {}
        self.dynamic: dict[str, list[tuple[int, SaSpec]]] = {}
        self.cert_maps: dict[str, list[tuple[str, str, str]]] = {}
        self.trustpoints: dict[str, dict[str, object]] = {}
        self.acls: dict[str, Acl] = {}
        self.interfaces: dict[str, Interface] = {}
        self.routes: list[tuple[IPv4Network, str, int]] = []
        self.nat: list[dict[str, object]] = []
        self.route_maps: dict[str, list[tuple[str, list[str]]]] = {}
        self.g: dict[str, object] = {}  # device-wide commands (NAT-T off, keepalives…)
        self.key_indexes: dict[str, KeyIndex] = {}
        self._global_pools: list[KeyIndex] | None = None
        self.placeholder_lines: set[int] = set()
        self.ike_cache: dict[tuple, Ike] = {}
        self.v1_cache: dict[str, tuple[list[IkeProposal], int, int] | None] = {}
        self.self_ids = {m.group(1): m.group(2) for m in _SELF_ID.finditer(text)} \
            if "ccsec-self-identity" in text else {}

    # -------------------------------------------------------------- notes & guards

    def note(self, line: int | None, message: str, severity: str = "info") -> None:
        self.parsed.notes.append(Note(line, severity, message))  # type: ignore[arg-type]

    def unread(self, node: Node, exc: Exception | None = None) -> None:
        ph = placeholder(node.text)
        if ph:
            if node.line not in self.placeholder_lines:
                self.placeholder_lines.add(node.line)
                self.note(node.line, f"placeholder {ph} not read: {node.text}")
        else:
            why = f" ({exc})" if isinstance(exc, ValueError) and str(exc) else ""
            self.note(node.line, f"line not read{why}: {node.text}")

    def each(self, nodes: list[Node], handler: Callable[[Node, list[str]], bool | None]) -> None:
        """Run ``handler`` on every line; a line it rejects or chokes on becomes a note."""
        for node in nodes:
            try:
                known = handler(node, node.text.split())
            except (ValueError, IndexError, KeyError) as exc:
                self.unread(node, exc)
                continue
            if known is False:
                self.unread(node)

    def dangling(self, kind: str, name: str, line: int) -> None:
        self.facts.setdefault("ios.dangling", []).append(  # type: ignore[union-attr]
            {"kind": kind, "name": name, "line": line})
        self.note(line, f"{kind} {name} is referenced but not defined", "warning")

    # ------------------------------------------------------------------------ run

    def run(self) -> Parsed:
        nodes, skipped = parse_tree(self.text)
        self.each(nodes, self.top)
        if skipped:
            self.note(None, f"{skipped} top-level line(s) outside IPsec (logging, AAA, "
                            "lines…) not read")
        bindings = self.bindings()
        rules = self.rules(bindings)
        self.end_facts(rules)
        self.parsed.policies.append(self.end_policy(rules, bindings))
        return self.parsed

    # ----------------------------------------------------------- top-level dispatch

    def top(self, node: Node, w: list[str]) -> bool | None:
        head = w[0]
        if head == "crypto":
            return self.crypto(node, w)
        if head == "no":
            return self.negated(node, w)
        if head == "interface":
            return self.interface(node, w)
        if head == "ip":
            return self.ip(node, w)
        if head == "access-list":
            return self.numbered_ace(node, w)
        if head == "route-map":
            return self.route_map(node, w)
        if head == "hostname":
            self.hostname = w[1]
        return None

    def crypto(self, node: Node, w: list[str]) -> bool | None:
        kind = w[1]
        if kind == "isakmp":
            return self.isakmp_line(node, w)
        if kind == "ikev2":
            return self.ikev2_line(node, w)
        if kind == "ipsec":
            return self.ipsec_line(node, w)
        if kind == "map":
            return self.crypto_map(node, w)
        if kind == "dynamic-map":
            spec = self.sa_spec(node)
            self.dynamic.setdefault(w[2], []).append((int(w[3]), spec))
            return None
        if kind == "keyring":
            return self.v1_keyring(node, w)
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
        flags = {
            "isakmp default policy": "isakmp_default_off",
            "ikev2 policy default": "ikev2_policy_default_off",
            "ikev2 proposal default": "ikev2_proposal_default_off",
            "ipsec nat-transparency udp-encapsulation": "nat_t_off",
            "ipsec transform-set default": "ts_default_off",
            "ipsec profile default": "profile_default_off",
            "isakmp": "isakmp_off",
        }
        if rest in flags:
            self.g[flags[rest]] = node.line
            return None
        if w[2] == "engine":
            self.engine(node)
            return None
        return False

    def engine(self, node: Node) -> None:
        self.facts.setdefault("ios.crypto_engine", []).append(  # type: ignore[union-attr]
            {"line": node.line, "text": node.text})
        if node.text.startswith("no crypto engine") and (
                "accelerator" in node.text or "onboard" in node.text):
            self.facts["ios.crypto_accelerator_disabled"] = True
            self.parsed.locations["ios.crypto_accelerator_disabled"] = node.line

    # ------------------------------------------------------------------- IKEv1

    def isakmp_line(self, node: Node, w: list[str]) -> bool | None:
        what = w[2]
        if what == "policy":
            self.isakmp_policy(node, int(w[3]))
        elif what == "key":
            self.isakmp_keys.append(self.global_key(node, w))
        elif what == "profile":
            self.v1_profiles[w[3]] = self.v1_profile(node)
        elif what == "identity":
            self.g["isakmp_identity"] = w[3]
        elif what == "keepalive":
            self.g["isakmp_keepalive"] = int(w[3])
        elif what == "nat" and w[3] == "keepalive":
            self.g["nat_keepalive_v1"] = (int(w[4]), node.line)
        elif what == "aggressive-mode" and w[3:4] == ["disable"]:
            self.g["aggressive_off"] = node.line
        else:
            return what in ("enable", "invalid-spi-recovery", "xauth", "client", "fragmentation")
        return None

    def isakmp_policy(self, node: Node, prio: int) -> None:
        attrs: dict[str, object] = {}

        def child(n: Node, w: list[str]) -> bool | None:
            word = ISAKMP_WORDS(w[0])
            if word == "encryption":
                attrs[word] = IKEV1_ENCR_WORDS[" ".join([str(V1_ENCR(w[1])), *w[2:3]])]
            elif word == "hash":
                attrs[word] = IKEV1_HASH_WORDS[str(V1_HASH(w[1]))]
            elif word == "authentication":
                attrs[word] = AUTH_WORDS[str(V1_AUTH(w[1]))]
            elif word in ("group", "lifetime"):
                attrs[word] = int(w[1])
            else:
                return False
            return None

        self.each(node.children, child)
        missing = [f"{k} {ISAKMP_DEFAULT_WORDS[k]}" for k in ISAKMP_DEFAULTS if k not in attrs]
        if missing:
            self.note(node.line, f"crypto isakmp policy {prio}: not shown, so the IOS default "
                                 f"applies: {', '.join(missing)} [V]")
        a = ISAKMP_DEFAULTS | attrs
        prop = IkeProposal(encryption=a["encryption"], integrity=a["hash"], group=a["group"])
        self.isakmp.append((prio, node.line, prop, str(a["authentication"]), int(a["lifetime"])))

    def global_key(self, node: Node, w: list[str]) -> KeyEntry:
        """``crypto isakmp key [0|6] KEY address A [M] | hostname H [no-xauth]``."""
        at = next((i for i in range(4, len(w)) if w[i] in ("address", "hostname")), 0)
        if not at:
            raise ValueError("no address or hostname")
        kind = int(w[3]) if at == 5 and w[3] in ("0", "6", "7") else 0
        entry = KeyEntry(node.line, key=self.key(w[at - 1], kind, node, "crypto isakmp key"))
        self.key_target(entry, w, at)
        return entry

    def key_target(self, entry: KeyEntry, w: list[str], at: int) -> None:
        if w[at] == "hostname":
            entry.ids.append(("fqdn", w[at + 1]))
            return
        mask = w[at + 2] if at + 2 < len(w) and w[at + 2][:1].isdigit() else "255.255.255.255"
        entry.nets.append(netmask_network(w[at + 1], mask))

    def key(self, value: str, kind: int, node: Node, where: str) -> Key:
        if kind in (6, 7):
            self.facts.setdefault("ios.unreadable_keys", []).append(  # type: ignore[union-attr]
                {"where": where, "type": kind, "line": node.line})
            return Key(None, kind, node.line)
        if is_placeholder(value):
            self.placeholder_lines.add(node.line)
            self.note(node.line, f"placeholder {value} instead of a key ({where})")
            return Key(None, 0, node.line)
        return Key(value, 0, node.line)

    def v1_keyring(self, node: Node, w: list[str]) -> None:
        local: list[str | None] = [None]
        entries: list[KeyEntry] = []

        def child(n: Node, cw: list[str]) -> bool | None:
            if cw[0] == "local-address":
                local[0] = cw[1]
            elif cw[0] == "pre-shared-key":
                at = cw.index("key", 2)
                kind, value = split_key(cw[at + 1:])
                entry = KeyEntry(n.line, key=self.key(value, kind, n, f"crypto keyring {w[2]}"))
                self.key_target(entry, cw[:at], 1)
                entries.append(entry)
            else:
                return cw[0] in ("description", "rsa-pubkey", "vrf")
            return None

        self.each(node.children, child)
        self.v1_keyrings[w[2]] = (local[0], entries)

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
                self.v1_match(p, w)
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

        self.each(node.children, child)
        return p

    def v1_match(self, p: IkeProfile, w: list[str]) -> None:
        what = w[2]
        if what == "address":
            mask = w[4] if len(w) > 4 and w[4][:1].isdigit() else "255.255.255.255"
            p.remote_ids.append(address_id(w[3], mask))
        elif what == "host" and w[3] != "domain":
            p.remote_ids.append(("fqdn", w[3]))
        else:
            p.remote_ids.append(("other", " ".join(w[2:])))

    # ------------------------------------------------------------------- IKEv2

    def ikev2_line(self, node: Node, w: list[str]) -> bool | None:
        what = w[2]
        if what == "proposal":
            self.v2_proposals[w[3]] = (node.line, self.v2_proposal(node, w[3]))
        elif what == "policy":
            self.v2_policy(node, w[3])
        elif what == "keyring":
            self.v2_keyrings[w[3]] = self.v2_keyring(node)
        elif what == "profile":
            self.v2_profiles[w[3]] = self.v2_profile(node)
        elif what == "dpd":
            self.g["ikev2_dpd"] = int(w[3])
        elif what == "nat" and w[3] == "keepalive":
            self.g["nat_keepalive_v2"] = (int(w[4]), node.line)
        else:
            return what in ("authorization", "cookie-challenge", "limit", "window", "redirect",
                            "fragmentation", "http-url", "diagnose", "certificate-cache")
        return None

    def v2_proposal(self, node: Node, name: str) -> list[IkeProposal]:
        encs: list[Encr] = []
        integs: list[Integ] = []
        prfs: list = []
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

        self.each(node.children, child)
        out: list[IkeProposal] = []
        for e in encs:
            for g in groups:
                if is_aead(e):
                    out += [IkeProposal(encryption=e, prf=p, group=g) for p in prfs]
                else:
                    out += [IkeProposal(encryption=e, integrity=i, prf=p, group=g)
                            for i in integs for p in (prfs or [None])]
        if not out:
            self.note(node.line, f"crypto ikev2 proposal {name} is incomplete (needs encryption, "
                                 "integrity or prf, and group): IOS does not use it", "warning")
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

        self.each(node.children, child)
        self.v2_policies.append((name, node.line, local, props))

    def v2_keyring(self, node: Node) -> list[KeyEntry]:
        peers: list[KeyEntry] = []
        for peer in node.children:
            if not peer.text.startswith("peer "):
                self.unread(peer)
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

            self.each(peer.children, child)
            peers.append(entry)
        return peers

    def v2_profile(self, node: Node) -> IkeProfile:
        p = IkeProfile(node.line)

        def child(n: Node, w: list[str]) -> bool | None:
            head = w[0]
            if head == "match":
                return self.v2_match(p, w, n)
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

        self.each(node.children, child)
        return p

    def v2_match(self, p: IkeProfile, w: list[str], n: Node) -> bool | None:
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

    # ------------------------------------------------------------------- IPsec

    def ipsec_line(self, node: Node, w: list[str]) -> bool | None:
        what = w[2]
        if what == "transform-set":
            self.transform_set(node, w)
        elif what == "profile":
            self.ipsec_profiles[w[3]] = self.sa_spec(node)
        elif what == "security-association" and w[3] == "lifetime":
            self.g["sa_" + w[4]] = int(w[5])
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
        mode = ["tunnel", False]

        def child(n: Node, cw: list[str]) -> bool | None:
            if cw[0] != "mode":
                return False
            mode[0], mode[1] = cw[1], cw[2:3] == ["require"]
            return None

        self.each(node.children, child)
        self.facts.setdefault("ios.transform_set_modes", {})[name] = {  # type: ignore[index]
            "mode": mode[0], "require": mode[1], "line": node.line}
        try:
            prop: EspProposal | None = EspProposal(encryption=enc, integrity=integ, ah=ah)
        except ValueError as exc:
            self.note(node.line, f"transform set {name} is not valid: "
                                 f"{str(exc).splitlines()[-1].strip()}", "warning")
            prop = None
        self.transform_sets[name] = (prop, str(mode[0]), node.line)

    def sa_spec(self, node: Node) -> SaSpec:
        """A crypto map / dynamic map entry or ipsec profile (the hottest block in a hub)."""
        spec = SaSpec(node.line)
        for n in node.children:
            try:
                known = self.sa_line(spec, n, n.text.split())
            except (ValueError, IndexError, KeyError) as exc:
                self.unread(n, exc)
                continue
            if known is False:
                self.unread(n)
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
                if is_placeholder(w[2]):
                    self.unread(n)
                else:  # a DNS name: IOS resolves it when it negotiates
                    spec.peer_name = w[2]
                    self.note(n.line, f"peer {w[2]} is a DNS name: its address is not in the "
                                      "config (imported as 0.0.0.0)")
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
            self.map_local[name] = w[4]
            return None
        if not w[3].isdigit():
            return w[3] in ("redundancy", "client", "isakmp", "isakmp-profile", "gdoi")
        seq = int(w[3])
        kind = w[4] if len(w) > 4 else "ipsec-isakmp"
        if kind == "ipsec-manual":
            self.facts.setdefault("ios.manual_keying", []).append(  # type: ignore[union-attr]
                {"map": name, "seq": seq, "line": node.line})
            self.note(node.line, f"crypto map {name} {seq} uses manual keying (no IKE)",
                      "warning")
            entry = MapEntry(name, seq, node.line, "manual", SaSpec(node.line))
        elif kind == "gdoi":
            entry = MapEntry(name, seq, node.line, "gdoi", SaSpec(node.line))
            self.note(node.line, f"crypto map {name} {seq} is GET VPN (gdoi): not read")
        else:
            dynamic = w[6] if len(w) > 6 and w[5] == "dynamic" else None
            spec = self.sa_spec(node)
            entry = MapEntry(name, seq, node.line, "dynamic" if dynamic else "isakmp", spec,
                             dynamic)
        self.maps.setdefault(name, []).append(entry)
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

            self.each(node.children, child)
            self.cert_maps.setdefault(w[4], []).extend(rows)
        else:
            return w[2] in ("certificate", "token", "server", "profile", "crl")
        return None

    def trustpoint(self, node: Node, name: str) -> None:
        tp: dict[str, object] = {"line": node.line, "subject": None, "revocation": None,
                                 "enrollment": None, "keypair": None, "bits": None}

        def child(n: Node, w: list[str]) -> bool | None:
            if w[0] == "subject-name":
                tp["subject"] = n.text.split(None, 1)[1]
            elif w[0] == "revocation-check":
                tp["revocation"] = " ".join(w[1:])
            elif w[0] == "enrollment":
                tp["enrollment"] = " ".join(w[1:])
            elif w[0] == "rsakeypair":
                tp["keypair"] = w[1]
                tp["bits"] = int(w[2]) if len(w) > 2 else None
                self.facts.setdefault("ios.rsa_keys", []).append(  # type: ignore[union-attr]
                    {"trustpoint": name, "keypair": w[1], "bits": tp["bits"], "line": n.line})
            return None

        self.each(node.children, child)
        self.trustpoints[name] = tp

    # ----------------------------------------------- interfaces, ACLs, NAT, routes

    def interface(self, node: Node, w: list[str]) -> None:
        intf = Interface(node.line)
        self.interfaces[w[1]] = intf
        for n in node.children:
            try:
                self.interface_line(intf, n, n.text.split())
            except (ValueError, IndexError) as exc:
                self.unread(n, exc)

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
            self.tunnel_line(intf, n, w)
        elif head == "ip":
            self.interface_ip(intf, w)

    def interface_ip(self, intf: Interface, w: list[str]) -> None:
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

    def tunnel_line(self, intf: Interface, n: Node, w: list[str]) -> None:
        what = w[1]
        if what == "source":
            intf.tunnel_source = w[2]
        elif what == "destination":
            intf.tunnel_destination = addr(w[2])
        elif what == "mode":
            intf.tunnel_mode = " ".join(w[2:])
        elif what == "protection" and w[2] == "ipsec" and w[3] == "profile":
            intf.protection = w[4]

    def ip(self, node: Node, w: list[str]) -> bool | None:
        what = w[1]
        if what == "access-list" and w[2] in ("extended", "standard"):
            acl = self.acls.setdefault(w[3], Acl(node.line))
            standard = w[2] == "standard"
            for n in node.children:
                self.ace_line(acl, n, n.text.split(), standard)
        elif what == "nat":
            self.nat_line(node, w)
        elif what == "route":
            self.route(node, w)
        elif what == "domain-name" or w[1:3] == ["domain", "name"]:
            self.domain = w[-1]
        return None

    def numbered_ace(self, node: Node, w: list[str]) -> None:
        number = int(w[1])
        standard = number < 100 or 1300 <= number < 2000
        acl = self.acls.setdefault(w[1], Acl(node.line))
        self.ace_line(acl, node, w[2:], standard)

    def ace_line(self, acl: Acl, n: Node, w: list[str], standard: bool) -> None:
        """One ACE; what ccsec cannot represent is remembered (and noted when it matters)."""
        if w and w[0].isdigit():
            w = w[1:]
        if not w or w[0] == "remark":
            return
        try:
            acl.aces.append(self.ace(w, n.line, standard))
        except (ValueError, IndexError, KeyError):
            acl.unread.append(n.line)

    def ace(self, w: list[str], line: int, standard: bool) -> Ace:
        action = w[0]
        if action not in ("permit", "deny"):
            raise ValueError(action)
        if standard:
            src, _ = read_acl_address(w, 1)
            return Ace(action, None, src, ANY, None, None, line)
        proto_word = w[1].lower()
        proto = None if proto_word == "ip" else (
            int(proto_word) if proto_word.isdigit() else PROTO_NUMBERS[proto_word])
        src, i = read_acl_address(w, 2)
        sport, i = self.ace_port(w, i)
        dst, i = read_acl_address(w, i)
        dport, i = self.ace_port(w, i)
        if any(x not in ("log", "log-input") for x in w[i:]):
            raise ValueError("ACE options")
        return Ace(action, proto, src, dst, sport, dport, line)

    def ace_port(self, w: list[str], i: int) -> tuple[int | None, int]:
        if i < len(w) and w[i] == "eq":
            port = port_number(w[i + 1])
            if i + 2 < len(w) and (w[i + 2].isdigit() or w[i + 2] in ("www", "domain")):
                raise ValueError("several ports")
            return port, i + 2
        if i < len(w) and w[i] in ("neq", "lt", "gt", "range"):
            raise ValueError("port range")
        return None, i

    def nat_line(self, node: Node, w: list[str]) -> None:
        if w[2:4] != ["inside", "source"]:
            return
        if w[4] == "static":
            self.facts.setdefault("ios.nat_static", []).append(  # type: ignore[union-attr]
                {"line": node.line, "text": node.text})
            return
        rule: dict[str, object] = {"line": node.line, "acl": None, "route_map": None,
                                   "interface": None, "pool": None,
                                   "overload": "overload" in w}
        rule["acl" if w[4] == "list" else "route_map"] = w[5]
        if w[6] in ("interface", "pool"):
            rule[w[6]] = w[7]
        self.nat.append(rule)

    def route(self, node: Node, w: list[str]) -> None:
        i = 4 if w[2] == "vrf" else 2
        net = netmask_network(w[i], w[i + 1])
        self.routes.append((net, w[i + 2], node.line))

    def route_map(self, node: Node, w: list[str]) -> None:
        action = w[2] if len(w) > 2 else "permit"
        acls: list[str] = []
        for n in node.children:
            cw = n.text.split()
            if cw[:3] == ["match", "ip", "address"]:
                acls += [x for x in cw[3:] if x != "prefix-list"]
        self.route_maps.setdefault(w[1], []).append((action, acls))

    # ------------------------------------------------------------------- bindings

    def bindings(self) -> list[Binding]:
        """Every place an SA spec is used: crypto map entries (static and dynamic), VTIs."""
        applied: dict[str, list[str]] = {}
        for name, intf in self.interfaces.items():
            if intf.crypto_map:
                applied.setdefault(intf.crypto_map, []).append(name)
        out: list[Binding] = []
        used: set[str] = set()
        map_facts: dict[str, object] = {}
        for name, entries in self.maps.items():
            intfs = applied.get(name, [])
            up = [i for i in intfs if not self.interfaces[i].shutdown]
            rows = []
            for entry in sorted(entries, key=lambda e: e.seq):
                made = self.map_bindings(entry, up[0] if up else (intfs or [None])[0],
                                         bool(up), used)
                out += made
                rows.append({"seq": entry.seq, "kind": entry.kind, "line": entry.line,
                             "rule": made[0].name if len(made) == 1 else None})
            map_facts[name] = {"line": min(e.line for e in entries), "interfaces": intfs,
                               "applied": bool(up), "local_address": self.map_local.get(name),
                               "entries": rows}
            if not up:
                self.note(min(e.line for e in entries),
                          f"crypto map {name} is not applied to an interface that is up: "
                          "its entries protect nothing", "warning")
        self.facts["ios.crypto_maps"] = map_facts
        self.facts["ios.unapplied_crypto_maps"] = [
            n for n, f in map_facts.items() if not f["applied"]]  # type: ignore[index]
        shared = Counter(i.protection for i in self.interfaces.values() if i.protection)
        routes: dict[str, list[IPv4Network]] = {}
        for net, target, _ in self.routes:
            routes.setdefault(target, []).append(net)
        for name, intf in self.interfaces.items():
            if intf.protection:
                out.append(self.vti_binding(name, intf, used, shared[intf.protection] == 1,
                                            routes.get(name, [])))
        return out

    def map_bindings(self, entry: MapEntry, intf: str | None, up: bool,
                     used: set[str]) -> list[Binding]:
        local = self.interface_address(self.map_local.get(entry.map) or intf)
        if entry.kind in ("manual", "gdoi"):
            return []
        if entry.kind == "dynamic":
            return self.dynamic_bindings(entry, intf, up, local, used)
        name = self.unique(rule_of(entry.spec.acl or "") or f"{entry.map}-{entry.seq}", used)
        spec = entry.spec
        return [Binding(name, entry.line, "map", spec, spec.peers[0] if spec.peers else None,
                        local, up, intf, spec.acl, description=spec.description,
                        qos=spec.qos)]

    def dynamic_bindings(self, entry: MapEntry, intf: str | None, up: bool,
                         local: IPv4Address | None, used: set[str]) -> list[Binding]:
        assert entry.dynamic is not None
        specs = self.dynamic.get(entry.dynamic)
        if specs is None:
            self.dangling("crypto dynamic-map", entry.dynamic, entry.line)
            return []
        out = []
        for seq, spec in sorted(specs, key=lambda s: s[0]):
            name = self.unique(f"{entry.dynamic}-{seq}", used)
            out.append(Binding(name, spec.line, "dynamic", spec,
                               spec.peers[0] if spec.peers else NOWHERE, local, up, intf,
                               spec.acl, description=spec.description, qos=spec.qos))
        self.facts.setdefault("ios.dynamic_maps", []).append(  # type: ignore[union-attr]
            {"map": entry.map, "seq": entry.seq, "dynamic_map": entry.dynamic,
             "line": entry.line, "rules": [b.name for b in out]})
        return out

    def vti_binding(self, name: str, intf: Interface, used: set[str], own_profile: bool,
                    routes: list[IPv4Network]) -> Binding:
        """A tunnel interface; named after its ``ccsec-<rule>`` profile when it has its own."""
        assert intf.protection is not None
        spec = self.ipsec_profiles.get(intf.protection)
        if spec is None:
            self.dangling("crypto ipsec profile", intf.protection, intf.line)
            spec = SaSpec(intf.line)
        base = rule_of(intf.protection) if own_profile else None
        rname = self.unique(base or name, used)
        source = intf.tunnel_source
        local = self.interface_address(source)
        # no 'tunnel mode' line = IOS's default GRE (IPsec then protects the GRE packets) [D]
        gre = not (intf.tunnel_mode or "gre").startswith("ipsec")
        wan = source if source and not _is_ip(source) else None
        return Binding(rname, intf.line, "vti", spec, intf.tunnel_destination, local,
                       not intf.shutdown, wan, intf.acl_out, routes, gre,
                       intf.description or spec.description, intf.qos or spec.qos)

    def interface_address(self, ref: str | None) -> IPv4Address | None:
        if ref is None:
            return None
        intf = self.interfaces.get(ref)
        if intf is not None:
            return intf.address
        try:
            return addr(ref)
        except ValueError:
            return None

    def global_pools(self) -> list[KeyIndex]:
        """Where a peer without an isakmp profile finds its key: global keys, then keyrings."""
        if self._global_pools is None:
            self._global_pools = [self.key_index("global", self.isakmp_keys)] + [
                self.key_index(f"v1:{k}", e) for k, (_, e) in self.v1_keyrings.items()]
        return self._global_pools

    def key_index(self, name: str, entries: list[KeyEntry]) -> KeyIndex:
        """One index per keyring (and one for the global keys), built on first use."""
        index = self.key_indexes.get(name)
        if index is None:
            index = self.key_indexes[name] = KeyIndex(entries)
        return index

    @staticmethod
    def unique(name: str, used: set[str]) -> str:
        base = to_ident(name)
        out, n = base, 2
        while out in used:
            out, n = f"{base}-{n}", n + 1
        used.add(out)
        return out

    # ---------------------------------------------------------------------- rules

    def rules(self, bindings: list[Binding]) -> list[Rule]:
        out = []
        for b in bindings:
            try:
                rule = self.rule(b)
            except ValueError as exc:
                msg = str(exc).splitlines()[-1].strip() if str(exc) else type(exc).__name__
                self.note(b.line, f"{b.name}: not imported ({msg})", "warning")
                continue
            if rule is not None:
                out.append(rule)
        return out

    def rule(self, b: Binding) -> Rule | None:
        loc = self.parsed.locations
        loc[b.name] = b.line
        if b.spec.ikev2_profile:
            ike, auth, ids, extra = self.v2(b)
        else:
            ike, auth, ids, extra = self.v1(b)
        if ike is None:
            return None
        esp, mode = self.esp(b)
        if b.spec.lines.get("esp"):
            loc[f"{b.name}/esp"] = b.spec.lines["esp"]
        filters, usable = self.filters(b, extra["local"])
        enabled = b.enabled and self.complete(b, usable)
        seconds = b.spec.seconds or int(self.g.get("sa_seconds", DEFAULT_SA_SECONDS))  # type: ignore[call-overload]
        kb = None if b.spec.kb_disabled else (
            b.spec.kilobytes or int(self.g.get("sa_kilobytes", DEFAULT_SA_KB)))  # type: ignore[call-overload]
        return Rule(
            name=b.name,
            description=b.description,
            mode=mode,  # type: ignore[arg-type]
            local_address=extra["local"],
            peer_address=b.peer or NOWHERE,
            local_id=ids[0],
            peer_id=ids[1],
            filters=filters,
            auth=(auth,),
            ike=ike,
            esp=esp,
            pfs_group=b.spec.pfs,
            lifetime_s=seconds,
            lifetime_kb=kb,
            nat_traversal="nat_t_off" not in self.g,
            nat_keepalive_s=extra["keepalive"],
            qos_preclassify=b.qos,
            dpd_s=extra["dpd"],
            initiate=b.kind == "vti",
            enabled=enabled,
        )

    def complete(self, b: Binding, usable: bool) -> bool:
        """Whether IOS uses the entry at all (a static entry needs a peer and an ACL)."""
        reasons = []
        if b.peer is None and not b.spec.peer_name:
            reasons.append("no peer" if b.kind != "vti" else "no tunnel destination")
        if b.kind == "map" and not b.acl:
            reasons.append("no match address")
        if b.acl and b.acl not in self.acls:
            self.dangling("access-list", b.acl, b.spec.lines.get("filters", b.line))
            if b.kind != "vti":
                reasons.append(f"ACL {b.acl} undefined")
        elif b.acl and not usable and b.kind != "vti":
            reasons.append(f"ACL {b.acl} has no permit line ccsec can read")
        for r in reasons:
            self.facts.setdefault("ios.incomplete", []).append(  # type: ignore[union-attr]
                {"rule": b.name, "reason": r, "line": b.line})
        if reasons:
            self.note(b.line, f"{b.name}: incomplete ({', '.join(reasons)}): IOS does not use "
                              "this entry", "warning")
        return not reasons

    # ---- IKEv2

    def v2(self, b: Binding) -> tuple[Ike | None, Auth, tuple, dict]:
        name = b.spec.ikev2_profile
        assert name is not None
        prof = self.v2_profiles.get(name)
        if prof is None:
            self.dangling("crypto ikev2 profile", name, b.line)
            prof = IkeProfile(b.line)
        loc = self.parsed.locations
        loc[f"{b.name}/ike"] = prof.line
        local = self.profile_local(prof.local) or b.local
        if local is None:
            self.note(b.line, f"{b.name}: local address unknown (no 'match address local', "
                              "interface address or tunnel source): 0.0.0.0")
            local = NOWHERE
        props = self.v2_proposals_for(local, b)
        method = "psk" if "pre-share" in prof.auth_remote else "certificate"
        odd = set(prof.auth_remote) - {"pre-share", "rsa-sig", "ecdsa-sig"}
        if odd:
            self.note(prof.line, f"ikev2 profile {name}: authentication {sorted(odd)} has no "
                                 "form in the model (read as certificate)")
        if len({*prof.auth_remote, prof.auth_local or ""} - {""}) > 1:
            self.note(prof.line, f"ikev2 profile {name}: asymmetric authentication; the peer "
                                 f"must use {prof.auth_remote or ['(unset)']}")
        auth = self.v2_auth(b, prof, method)
        ids = (self.v2_local_id(prof, local), self.peer_id(prof, auth, b.peer))
        keepalive = self.g.get("nat_keepalive_v2")
        extra = {"local": local, "dpd": prof.dpd or self.g.get("ikev2_dpd"),
                 "keepalive": keepalive[0] if keepalive else None}  # type: ignore[index]
        lifetime = prof.lifetime or DEFAULT_IKEV2_LIFETIME
        ike = self.ike(2, "main", props, lifetime) if props else None
        if ike is None:
            self.note(b.line, f"{b.name}: no IKEv2 proposal can serve it: not imported",
                      "warning")
        return ike, auth, ids, extra

    def ike(self, version: int, exchange: str, props: list[IkeProposal], lifetime: int) -> Ike:
        """One shared :class:`Ike` per distinct setting (hundreds of entries use the same)."""
        key = (version, exchange, tuple(props), lifetime)
        ike = self.ike_cache.get(key)
        if ike is None:
            ike = self.ike_cache[key] = Ike(version=version, exchange=exchange,  # type: ignore[arg-type]
                                            proposals=key[2], lifetime_s=lifetime)
        return ike

    def profile_local(self, refs: list[str]) -> IPv4Address | None:
        for ref in refs:
            addr = self.interface_address(ref)
            if addr is not None:
                return addr
        return None

    def v2_proposals_for(self, local: IPv4Address, b: Binding) -> list[IkeProposal]:
        exact = [p for p in self.v2_policies if str(local) in p[2]]
        wildcard = [p for p in self.v2_policies if not p[2]]
        chosen = (exact or wildcard)[:1]
        if chosen:
            out: list[IkeProposal] = []
            for pname in chosen[0][3]:
                defined = self.v2_proposals.get(pname)
                if defined is None:
                    self.dangling("crypto ikev2 proposal", pname, chosen[0][1])
                    continue
                out += [p for p in defined[1] if p not in out]
            return out
        if "ikev2_policy_default_off" in self.g:
            return []
        self.note(b.line, f"{b.name}: no crypto ikev2 policy matches local address {local}; "
                          "the smart-default policy applies [V]")
        return default_ikev2()

    def v2_auth(self, b: Binding, prof: IkeProfile, method: str) -> Auth:
        loc = self.parsed.locations
        if method == "certificate":
            if prof.trustpoints:
                tp = self.trustpoints.get(prof.trustpoints[0])
                loc[f"{b.name}/auth"] = int(tp["line"]) if tp else prof.line  # type: ignore[call-overload]
            return Auth(method="certificate", ca=self.issuer(prof))
        entry = None
        for kr in prof.keyrings:
            peers = self.v2_keyrings.get(kr)
            if peers is None:
                self.dangling("crypto ikev2 keyring", kr, prof.line)
                continue
            entry = entry or self.key_index(f"v2:{kr}", peers).match(b.peer, prof.remote_ids)
        if entry is None or entry.key is None:
            self.note(b.line, f"{b.name}: no pre-shared key found for the peer")
            return Auth(method="psk")
        loc[f"{b.name}/auth"] = entry.key.line
        return Auth(method="psk", psk=entry.key.secret())

    def v2_local_id(self, prof: IkeProfile, local: IPv4Address) -> Identity | None:
        if prof.local_id is None:
            return None
        kind, value = prof.local_id
        if kind == "dn":
            subject = self.subject(prof.trustpoints)
            return self.identity("dn", subject, prof.line) if subject else None
        kinds = {"address": "address", "fqdn": "fqdn", "key-id": "keyid"}
        if kind not in kinds:
            self.note(prof.line, f"identity local {kind}: no such identity kind in the model")
            return None
        return self.identity(kinds[kind], value or str(local), prof.line)

    def peer_id(self, prof: IkeProfile, auth: Auth, peer: IPv4Address | None) -> Identity | None:
        """The identity the profile requires of this peer.

        A profile shared by several peers ORs its ``match identity`` lines: the one naming this
        peer's address wins; several others leave the identity open (None).
        """
        ids = [(k, v) for k, v in prof.remote_ids if k in ("address", "fqdn", "keyid")]
        own = [x for x in ids if x == ("address", str(peer))]
        chosen = own[0] if own else (ids[0] if len(ids) == 1 else None)
        if chosen is not None:
            return self.identity(chosen[0], chosen[1], prof.line)
        dn = self.cert_field(prof.cert_maps, "subject-name")
        if dn and auth.method == "certificate":
            return self.identity("dn", dn, prof.line)
        return None

    def identity(self, kind: str, value: str, line: int) -> Identity | None:
        try:
            return Identity(kind=kind, value=value)  # type: ignore[arg-type]
        except ValueError:
            self.note(line, f"identity {kind} {value!r} cannot be represented: not imported")
            return None

    def issuer(self, prof: IkeProfile) -> str | None:
        """The CA a certificate map pins (``issuer-name eq``), if it is representable."""
        ca = self.cert_field(prof.cert_maps, "issuer-name")
        if ca is not None and (any(ord(c) < 32 for c in ca) or '"' in ca):
            self.note(prof.line, f"issuer-name {ca!r} cannot be represented: CA not imported")
            return None
        return ca

    def cert_field(self, maps: list[str], name: str) -> str | None:
        for m in maps:
            rows = self.cert_maps.get(m)
            if rows is None:
                self.dangling("crypto pki certificate map", m, 0)
                continue
            for fld, op, value in rows:
                if fld == name and op == "eq":
                    return value
        return None

    def subject(self, trustpoints: list[str]) -> str | None:
        for name in trustpoints:
            tp = self.trustpoints.get(name)
            if tp and tp["subject"]:
                return str(tp["subject"])
        return None

    # ---- IKEv1

    def v1(self, b: Binding) -> tuple[Ike | None, Auth, tuple, dict]:
        pname = b.spec.isakmp_profile
        prof = self.v1_profiles.get(pname) if pname else None
        if pname and prof is None:
            self.dangling("crypto isakmp profile", pname, b.line)
        loc = self.parsed.locations
        keyrings = [self.v1_keyrings[k] for k in (prof.keyrings if prof else [])
                    if k in self.v1_keyrings]
        local = self.profile_local(prof.local if prof else []) or next(
            (self.interface_address(kr[0]) for kr in keyrings if kr[0]), None) or b.local
        if local is None:
            self.note(b.line, f"{b.name}: local address unknown: 0.0.0.0")
            local = NOWHERE
        auth = self.v1_auth(b, prof, keyrings)
        props, lifetime, line = self.v1_proposals(auth.method, b)
        loc[f"{b.name}/ike"] = prof.line if prof else line
        ids = (self.v1_local_id(prof, local, pname),
               self.peer_id(prof, auth, b.peer) if prof else None)
        keepalive = self.g.get("nat_keepalive_v1")
        dpd = (prof.dpd if prof else None) or self.g.get("isakmp_keepalive")
        extra = {"local": local, "dpd": dpd,
                 "keepalive": keepalive[0] if keepalive else None}  # type: ignore[index]
        aggressive = b.spec.aggressive or bool(prof and prof.aggressive)
        if not props:
            self.note(b.line, f"{b.name}: no isakmp policy with authentication "
                              f"{'pre-share' if auth.method == 'psk' else 'rsa-sig'}: IKE "
                              "cannot succeed; not imported", "warning")
            return None, auth, ids, extra
        ike = self.ike(1, "aggressive" if aggressive else "main", props, lifetime)
        return ike, auth, ids, extra

    def v1_auth(self, b: Binding, prof: IkeProfile | None,
                keyrings: list[tuple[str | None, list[KeyEntry]]]) -> Auth:
        loc = self.parsed.locations
        if prof and prof.trustpoints and not prof.keyrings:
            loc[f"{b.name}/auth"] = prof.lines.get("auth", prof.line)
            return Auth(method="certificate", ca=self.issuer(prof))
        if prof and prof.keyrings:
            pools = [self.key_index(f"v1:{k}", self.v1_keyrings[k][1]) for k in prof.keyrings
                     if k in self.v1_keyrings]
            for k in prof.keyrings:
                if k not in self.v1_keyrings:
                    self.dangling("crypto keyring", k, prof.line)
        else:
            pools = self.global_pools()
        ids = prof.remote_ids if prof else []
        entry = next((e for pool in pools if (e := pool.match(b.peer, ids))), None)
        if entry is not None:
            loc[f"{b.name}/auth"] = entry.line
            return Auth(method="psk", psk=entry.key.secret() if entry.key else None)
        uses_certs = any(p[3] == "certificate" for p in self.isakmp) or self.trustpoints
        if uses_certs and not (prof and prof.keyrings):
            return Auth(method="certificate", ca=self.issuer(prof) if prof else None)
        self.note(b.line, f"{b.name}: no pre-shared key found for the peer"
                          + (f" {b.peer}" if b.peer else ""))
        return Auth(method="psk")

    def v1_proposals(self, method: str, b: Binding) -> tuple[list[IkeProposal], int, int]:
        """The configured isakmp policies for one authentication method, by priority."""
        if method not in self.v1_cache:
            mine = sorted(p for p in self.isakmp if p[3] == method)
            self.v1_cache[method] = (list(dict.fromkeys(p[2] for p in mine)), mine[0][4],
                                     mine[0][1]) if mine else None
        cached = self.v1_cache[method]
        if cached:
            return cached
        if "isakmp_default_off" in self.g:
            return [], 86400, b.line
        self.note(b.line, f"{b.name}: no configured isakmp policy for this authentication; the "
                          "built-in default suites 65507-65514 apply [V]")
        suites = [IkeProposal(encryption=e, integrity=h, group=g)
                  for e, h, a, g in DEFAULT_ISAKMP_SUITES if a == method]
        return suites, 86400, b.line

    def v1_local_id(self, prof: IkeProfile | None, local: IPv4Address,
                    pname: str | None) -> Identity | None:
        kind = prof.local_id[0] if prof and prof.local_id else self.g.get("isakmp_identity")
        if kind is None:
            return None
        line = prof.line if prof else 0
        if kind == "address":
            return Identity(kind="address", value=str(local))
        if kind in ("fqdn", "hostname"):
            tagged = self.self_ids.get(pname or "")
            return self.identity("fqdn", tagged or self.router_fqdn(), line)
        if kind == "dn":
            subject = self.subject(prof.trustpoints if prof else list(self.trustpoints))
            return self.identity("dn", subject, line) if subject else None
        self.note(line or None, f"IKEv1 self-identity {kind}: no such identity kind in the model")
        return None

    def router_fqdn(self) -> str:
        host = self.hostname or "Router"  # IOS's factory hostname [D]
        return f"{host}.{self.domain}" if self.domain else host

    # ---- ESP and filters

    def esp(self, b: Binding) -> tuple[tuple[EspProposal, ...], str]:
        props: list[EspProposal] = []
        modes: list[str] = []
        for name in b.spec.transform_sets:
            ts = self.transform_sets.get(name)
            if ts is None:
                self.dangling("crypto ipsec transform-set", name, b.spec.lines.get("esp", b.line))
                continue
            if ts[0] is not None and ts[0] not in props:
                props.append(ts[0])
                modes.append(ts[1])
        if not props:
            if "ts_default_off" in self.g:
                raise ValueError("no usable transform set")
            self.note(b.line, f"{b.name}: no transform set; the smart-default transform set "
                              "'default' applies (esp-aes/esp-sha-hmac, esp-3des/esp-sha-hmac)"
                              " [V]")
            return DEFAULT_TRANSFORMS, "tunnel"
        mode = "transport" if modes and all(m == "transport" for m in modes) else "tunnel"
        return tuple(props), mode

    def filters(self, b: Binding, local: IPv4Address) -> tuple[tuple[Filter, ...], bool]:
        """The filter list, and whether it came from something IOS would use.

        A GRE tunnel protects GRE between its endpoints; a VTI's selectors are any/any, so its
        filter list is the outbound ACL on the tunnel (ccsec writes one) or else its routes; a
        dynamic map entry without ACL accepts whatever the peer proposes (any/any).
        """
        loc = self.parsed.locations
        if b.gre:
            dest = b.peer or NOWHERE
            return (Filter(local=IPv4Network(f"{local}/32"), remote=IPv4Network(f"{dest}/32"),
                           protocol=47),), True
        acl = self.acls.get(b.acl) if b.acl else None
        if acl is not None:
            loc[f"{b.name}/filters"] = acl.line
            out = self.acl_filters(b, acl)
            if b.kind == "vti":
                self.check_routes(b, out)
            if out:
                return tuple(out), True
        if b.kind == "vti" and b.routes:
            return tuple(Filter(local=ANY, remote=n) for n in b.routes), True
        return (Filter(local=ANY, remote=ANY),), acl is None

    def acl_filters(self, b: Binding, acl: Acl) -> list[Filter]:
        out: list[Filter] = []
        denies = self.facts.setdefault("ios.crypto_acl_denies", [])
        for line in acl.unread:
            self.note(line, f"{b.name}: ACL entry not representable (port range, object group "
                            "or option): not imported", "warning")
        for ace in acl.aces:
            if ace.action == "deny":
                denies.append({"acl": b.acl, "rule": b.name, "line": ace.line,  # type: ignore[union-attr]
                               "text": f"deny {ace.src} -> {ace.dst}"})
                self.note(ace.line, f"{b.name}: a deny line in a crypto ACL sends that traffic "
                                    "in clear (it is not dropped)")
                continue
            f = Filter(local=ace.src, remote=ace.dst, protocol=ace.protocol,
                       local_port=ace.sport, remote_port=ace.dport)
            if f not in out:
                out.append(f)
        return out

    def check_routes(self, b: Binding, filters: list[Filter]) -> None:
        for f in filters:
            if not any(contains(n, f.remote) for n in b.routes):
                self.note(b.line, f"{b.name}: no route sends {f.remote} into the tunnel",
                          "warning")

    # -------------------------------------------------------------------- the end

    def end_facts(self, rules: list[Rule]) -> None:
        f = self.facts
        loc = self.parsed.locations
        f["ios.hostname"] = self.hostname
        f["ios.interfaces"] = {
            n: {"line": i.line, "shutdown": i.shutdown,
                "address": str(i.address) if i.address else None, "crypto_map": i.crypto_map,
                "nat": i.nat, "tunnel_source": i.tunnel_source,
                "tunnel_destination": str(i.tunnel_destination) if i.tunnel_destination
                else None, "tunnel_mode": i.tunnel_mode, "tunnel_protection": i.protection}
            for n, i in self.interfaces.items()}
        f["ios.shutdown_interfaces"] = [n for n, i in self.interfaces.items() if i.shutdown]
        off = self.g.get("nat_t_off")
        f["ios.nat_t"] = {"enabled": off is None, "line": off}
        f["ios.nat_keepalive"] = {
            v: ({"seconds": k[0], "line": k[1]} if (k := self.g.get(f"nat_keepalive_{v[-2:]}"))
                else None) for v in ("ikev1", "ikev2")}
        agg = self.g.get("aggressive_off")
        f["ios.isakmp_aggressive_mode"] = {"disabled": agg is not None, "line": agg}
        dflt = self.g.get("isakmp_default_off")
        f["ios.isakmp_default_policies"] = {
            "in_effect": dflt is None and "isakmp_off" not in self.g, "line": dflt,
            "suites": list(_default_labels()[0])}
        pol, prop = self.g.get("ikev2_policy_default_off"), self.g.get("ikev2_proposal_default_off")
        f["ios.ikev2_defaults"] = {"policy_in_effect": pol is None,
                                   "proposal_in_effect": prop is None,
                                   "lines": [x for x in (pol, prop) if x],
                                   "suites": list(_default_labels()[1])}
        for key in ("ios.crypto_engine", "ios.dynamic_maps", "ios.manual_keying", "ios.nat_static",
                    "ios.unreadable_keys", "ios.crypto_acl_denies", "ios.dangling",
                    "ios.incomplete", "ios.rsa_keys"):
            f.setdefault(key, [])
        f.setdefault("ios.transform_set_modes", {})
        f.setdefault("ios.crypto_accelerator_disabled", False)
        f["ios.trustpoints"] = self.trustpoints
        f["ios.nat"] = [self.nat_fact(n, rules) for n in self.nat]
        for key, gkey in (("ios.nat_t", "nat_t_off"),
                          ("ios.isakmp_aggressive_mode", "aggressive_off"),
                          ("ios.isakmp_default_policies", "isakmp_default_off")):
            if isinstance(self.g.get(gkey), int):
                loc[key] = int(self.g[gkey])  # type: ignore[call-overload]

    def nat_fact(self, nat: dict[str, object], rules: list[Rule]) -> dict[str, object]:
        index = AceIndex(self.nat_aces(nat))
        exempt = {r.name: nat_status(index, r.filters) for r in rules}
        return {**nat, "exempt": exempt}

    def nat_aces(self, nat: dict[str, object]) -> list[Ace]:
        """The ACEs that decide translation (a route-map: its permit entries' ACLs, in order)."""
        names: list[str] = []
        if nat["acl"]:
            names = [str(nat["acl"])]
        elif nat["route_map"]:
            entries = self.route_maps.get(str(nat["route_map"]))
            if entries is None:
                self.dangling("route-map", str(nat["route_map"]), int(nat["line"]))  # type: ignore[call-overload]
            for action, acls in entries or []:
                names += acls if action == "permit" else []
        out: list[Ace] = []
        for n in names:
            acl = self.acls.get(n)
            if acl is None:
                self.dangling("access-list", n, int(nat["line"]))  # type: ignore[call-overload]
                continue
            out += acl.aces
        return out

    def end_policy(self, rules: list[Rule], bindings: list[Binding]) -> EndPolicy:
        meta = read_meta(self.text.split("\n", 20)[:20], "!")
        kinds = {b.kind for b in bindings}
        style = "crypto-map" if kinds & {"map", "dynamic"} else ("vti" if kinds else None)
        wan = next((b.interface for b in bindings if b.interface), None)
        lan = None
        if style == "vti":
            lan = next((self.interfaces[n].unnumbered for n in self.interfaces
                        if self.interfaces[n].protection and self.interfaces[n].unnumbered), None)
        source_nat = any(n["overload"] or n["pool"] for n in self.nat)
        if lan is None and source_nat:
            lan = next((n for n, i in self.interfaces.items() if i.nat == "inside"), None)
        if wan is None and source_nat:
            wan = next((n for n, i in self.interfaces.items() if i.nat == "outside"), None)
        stem = Path(self.source).stem if not self.source.startswith("<") else "ios"
        host = self.hostname
        return EndPolicy(
            name=meta_str(meta, "name") or to_ident(f"imported-{host or stem}"),
            description=meta_str(meta, "description", "") or "",
            owner=meta_str(meta, "owner") if meta else host,
            platform=meta_str(meta, "platform") if meta else "ios",
            rules=tuple(rules),
            wan_interface=wan,
            lan_interface=lan,
            tunnel_style=style,  # type: ignore[arg-type]
            source_nat=source_nat,
        )


# -------------------------------------------------------------------------- helpers


def address_id(address: str, mask: str) -> tuple[str, str]:
    """A ``match identity … address A M`` line: one host, a range, or anyone."""
    net = netmask_network(address, mask)
    if net.prefixlen == 0 or address == "0.0.0.0":
        return ("any", "")
    if net.prefixlen < 32:
        return ("address-range", str(net))
    return ("address", str(net.network_address))


def _is_ip(text: str) -> bool:
    try:
        IPv4Address(text)
    except ValueError:
        return False
    return True


def default_ikev2() -> list[IkeProposal]:
    return list(_default_ikev2())


@lru_cache(maxsize=1)
def _default_ikev2() -> tuple[IkeProposal, ...]:
    """Built once: every import reports the smart-default suites (30 frozen proposals)."""
    encs, integs, groups = DEFAULT_IKEV2
    return tuple(IkeProposal(encryption=e, integrity=i, group=g)
                 for e in encs for i in integs for g in groups)


@lru_cache(maxsize=1)
def _default_labels() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The ``suites`` of the two default-policy facts (the same text for every import)."""
    isakmp = tuple(f"{e.value}-{h.value}-{a}-group{g}" for e, h, a, g in DEFAULT_ISAKMP_SUITES)
    return isakmp, tuple(p.label() for p in _default_ikev2())


class KeyIndex:
    """Keys by peer: host addresses in a dict, the few wider entries by prefix length.

    A hub with thousands of ``crypto isakmp key … address`` lines is looked up once per crypto
    map entry; a linear scan there would make the import quadratic.
    """

    def __init__(self, entries: list[KeyEntry]) -> None:
        self.hosts: dict[IPv4Address, KeyEntry] = {}
        wide: list[tuple[int, IPv4Network, KeyEntry]] = []
        self.ids: dict[str, KeyEntry] = {}
        for e in entries:
            for net in e.nets:
                if net.prefixlen == 32:
                    self.hosts.setdefault(net.network_address, e)
                else:
                    wide.append((net.prefixlen, net, e))
            for _, value in e.ids:
                self.ids.setdefault(value, e)
        wide.sort(key=lambda t: -t[0])
        self.wide = wide

    def match(self, peer: IPv4Address | None, ids: list[tuple[str, str]]) -> KeyEntry | None:
        """Longest address match (IOS's rule), then an identity the profile matches."""
        if peer is not None:
            hit = self.hosts.get(peer)
            if hit is not None:
                return hit
            hit = next((e for _, net, e in self.wide if peer in net), None)
            if hit is not None:
                return hit
        return next((self.ids[v] for _, v in ids if v in self.ids), None)


class AceIndex:
    """An ACL indexed by destination prefix, for first-match lookups without a full scan.

    Prefixes are keyed as ``(length, address >> (32 - length))``.  ``by_dst`` holds each ACE
    under its own destination prefix, ``inside`` under every shorter prefix containing it; the
    ACEs that can overlap a flow to ``R`` are those under a prefix of ``R`` (≤ 33 lookups) plus
    those ``inside`` ``R``.  Candidates are then tried in ACL order (first match).
    """

    def __init__(self, aces: list[Ace]) -> None:
        self.aces = aces
        self.by_dst: dict[tuple[int, int], list[int]] = {}
        self.inside: dict[tuple[int, int], list[int]] = {}
        for i, ace in enumerate(aces):
            address, plen = int(ace.dst.network_address), ace.dst.prefixlen
            self.by_dst.setdefault(_key(address, plen), []).append(i)
            for shorter in range(plen):
                self.inside.setdefault(_key(address, shorter), []).append(i)
        self.lengths = sorted({plen for plen, _ in self.by_dst})

    def candidates(self, remote: IPv4Network) -> list[Ace]:
        address, plen = int(remote.network_address), remote.prefixlen
        found: set[int] = set(self.inside.get(_key(address, plen), ()))
        for shorter in self.lengths:
            if shorter > plen:
                break
            found.update(self.by_dst.get(_key(address, shorter), ()))
        return [self.aces[i] for i in sorted(found)]


def _key(addr: int, plen: int) -> tuple[int, int]:
    return plen, addr >> (32 - plen)


def nat_status(index: AceIndex, filters: tuple[Filter, ...]) -> str:
    """Does NAT leave a rule's traffic alone? exempt | translated | partial."""
    results = {_flow_decision(index.candidates(f.remote), f) for f in filters}
    if results == {"exempt"}:
        return "exempt"
    if results == {"translated"}:
        return "translated"
    return "partial"


def _flow_decision(aces: list[Ace], f: Filter) -> str:
    """First-match evaluation of one protected flow against a NAT ACL."""
    for ace in aces:
        if not (overlaps(ace.src, f.local) and overlaps(ace.dst, f.remote)):
            continue
        if _disjoint(ace.protocol, f.protocol) or _disjoint(ace.sport, f.local_port) or \
                _disjoint(ace.dport, f.remote_port):
            continue
        covers = (contains(ace.src, f.local) and contains(ace.dst, f.remote)
                  and ace.protocol in (None, f.protocol) and ace.sport in (None, f.local_port)
                  and ace.dport in (None, f.remote_port))
        if not covers:
            return "partial"
        return "translated" if ace.action == "permit" else "exempt"
    return "exempt"


def _disjoint(a: int | None, b: int | None) -> bool:
    return a is not None and b is not None and a != b


def split_key(rest: list[str]) -> tuple[int, str]:
    """``[0|6|7] KEY`` → (type, key); a key of several words stays whole."""
    if len(rest) > 1 and rest[0] in ("0", "6", "7"):
        return int(rest[0]), " ".join(rest[1:])
    return 0, " ".join(rest)
