"""Cisco Unified CM "IPSEC Policy Configuration" sheet (catalog path 8: PG pair ↔ Unified CM).

MISSION B2/B3/B5.  No CLI command creates or edits an IPsec policy on a Unified OS node
(cucm-ipsec.md §5), so what ccsec renders is a **hand-entry sheet**: one file per CUCM node, one
block per peer ("bidirectional provisioning, one peer for each host", §1), each block the page's
fields in page order with the exact Generation 2/3 labels (§3), ``Label : value``.  Comment lines
the administrator does not type say where to click (Cisco Unified OS Administration → Security →
IPSEC Configuration → Add New), which value table the sheet was checked against, how to check
the result (Services → Ping → Validate IPsec) and which assumptions are unverified ([U]).

Parse: (1) the sheet — ccsec's own output and hand-filled sheets in the same layout (labels
case-insensitive, "Pre-shared Key" and "Preshared Key", ``[x]``/``[ ]``/yes/no, blank optional
fields, a ``...`` line meaning "the remaining fields as in the policy above"); (2) the output of
``show ipsec information <group> <name>`` (labels PolicyGroup, PolicyName, Type, …; tokens
``transport``, ``psk``, ``sha1``, ``null_enc``, ``null``, ``enabled``/``disabled``; the Gen 3
spellings are [U], so several are accepted).  Values outside the selected value table become
warning notes for the audit to judge.  A value that cannot be mapped at all is a ParseError in a
sheet (a typo someone can fix) but only a warning in ``show`` output (the node's real state, whose
token spellings are unverified): that policy is then skipped and its token kept in
``CucmFacts.unknown_tokens`` (``Parsed.format_facts``).

Value tables (``TABLES``, data not code): ``12.x`` (default: Unified CM 12.x–15, non-FIPS),
``12.x-fips`` (FIPS / Enhanced Security Mode) and ``gen2`` (the older single-page form of
8.6–11.x, still printed by the Unity Connection 15 guide).  Selecting another table: render with
``with_table(KEY)``; a sheet names its table on a ``# value table: KEY`` line, which the parser
reads back (a hand-filled ``# release: 12.5(1)SU5  FIPS mode: yes`` line also selects one, via
``RELEASES``) — edit that line to audit a sheet against another release or mode.

Lost on the way (``project``): IKE identities except the peer's, which only survives as the
Certificate Name (``<peer id>.pem`` [U]); the certificate's root CA (trust lives in the node's
ipsec-trust store, not on the page); DPD, initiate, QoS pre-classification, NAT keepalive and
NAT-T (daemon settings, not page fields); kilobyte lifetimes; connection type.  In transport
mode the page's two addresses are both the protected hosts and the IKE peers, so a rule's
addresses are read back as its (single, host-pair) filter's hosts.

Not expressible (``unsupported``): Kerberos, tunnel mode, IKEv2, aggressive mode, more than one
IKE or ESP proposal, AES-GCM, explicit PRFs, AH, ESP integrity other than the IKE hash,
algorithms or DH groups outside the value table, pre-shared keys under FIPS or with characters
other than letters, digits and hyphens, more than one filter or a filter other than the host
pair, protocols other than TCP/UDP/any, ports without a protocol, permit/block actions,
clear-text fallback, disabled rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network

from ccsec.crypto import DH_GROUPS, GROUP_BY_KEYWORD, Encr, EspProposal, IkeProposal, Integ, is_aead
from ccsec.errors import ParseError, Problem, UnsupportedError, UserError
from ccsec.formats.base import (
    Format,
    Note,
    Parsed,
    RenderContext,
    host_projection,
    json_comment,
    meta_str,
    read_meta,
    unjson_comment,
)
from ccsec.formats.facts import CucmFacts, CucmUnknownToken
from ccsec.policy import IDENT_RE, Auth, EndPolicy, Filter, Identity, Ike, Rule
from ccsec.secrets import literal

# ----------------------------------------------------------------------------- value tables


@dataclass(frozen=True)
class ValueTable:
    """The drop-down values of one release/mode, in the page's order (label as the GUI shows it)."""

    key: str
    title: str
    source: str
    auth: dict[str, str]
    encryption: dict[Encr, str]
    hashes: dict[Integ, str]
    esp: dict[Encr, str]
    phase1_dh: tuple[int, ...]
    phase2_dh: tuple[int, ...]
    peer_types: tuple[str, ...]


_GEN3_CIPHERS = {Encr.TDES: "3DES", Encr.AES128: "AES 128", Encr.AES256: "AES 256"}
_GEN3_HASHES = {Integ.SHA1: "SHA1", Integ.SHA256: "SHA256"}

TABLES: dict[str, ValueTable] = {
    "12.x": ValueTable(
        key="12.x",
        title="Unified CM 12.x-15, non-FIPS",
        source="O: Emergency Responder 12.5(1)SU1 guide, same OS platform; U for Unified CM",
        auth={"psk": "Preshared Key", "certificate": "Certificate"},
        encryption=_GEN3_CIPHERS,
        hashes=_GEN3_HASHES,
        esp=_GEN3_CIPHERS,
        phase1_dh=(2, 5, 14, 15, 16, 17, 18),
        phase2_dh=(2, 5, 14, 16, 17, 18),  # 15 missing in phase two, as the guide prints it
        peer_types=("Different",),
    ),
    "12.x-fips": ValueTable(
        key="12.x-fips",
        title="Unified CM 12.x-15, FIPS / Enhanced Security Mode (no pre-shared keys)",
        source="O: Emergency Responder 12.5(1)SU1 guide, FIPS table; U for Unified CM",
        auth={"certificate": "Certificate"},
        encryption=_GEN3_CIPHERS,
        hashes=_GEN3_HASHES,
        esp=_GEN3_CIPHERS,
        phase1_dh=(14, 15, 16, 17, 18),
        phase2_dh=(14, 15, 16, 17, 18),
        peer_types=("Different",),
    ),
    "gen2": ValueTable(
        key="gen2",
        title="Generation 2 page (Unified OS 8.6-11.x; Unity Connection 15 and VVB 12.5 guides)",
        source="O: VVB 12.5(1) and Unity Connection 15 OS-administration guides",
        auth={"psk": "Pre-shared Key", "certificate": "Certificate"},
        encryption={Encr.DES: "DES", Encr.TDES: "3DES"},
        hashes={Integ.SHA1: "SHA1", Integ.MD5: "MD5"},
        # RIJNDAEL's key size is not documented [U]: read and written as AES-128
        esp={Encr.NULL: "NULL_ENC", Encr.DES: "DES", Encr.TDES: "3DES",
             Encr.BLOWFISH: "BLOWFISH", Encr.AES128: "RIJNDAEL"},
        phase1_dh=(2, 1, 5),
        phase2_dh=(2, 1, 5),
        peer_types=("Same", "Different"),
    ),
}
DEFAULT_TABLE = "12.x"
#: "# release: X  FIPS mode: Y" → table: (lowest major release, non-FIPS table, FIPS table)
RELEASES: tuple[tuple[int, str, str | None], ...] = ((12, "12.x", "12.x-fips"), (0, "gen2", None))
#: Life Time a parser assumes when a field is missing: undocumented [U]; the only published
#: ``show ipsec information`` sample (CLI reference 12.5(1)SU3) shows 3600 for both phases
ASSUMED_LIFETIME_S = 3600

# ----------------------------------------------------------------------------- page fields

#: the page's fields in page order (cucm-ipsec.md §2.2/§3) → the sheet's labels
FIELDS: tuple[tuple[str, str], ...] = (
    ("group", "Policy Group Name"),
    ("name", "Policy Name"),
    ("auth", "Authentication Method"),
    ("psk", "Preshared Key"),
    ("peer_type", "Peer Type"),
    ("cert", "Certificate Name"),
    ("dst", "Destination Address"),
    ("dst_port", "Destination Port"),
    ("src", "Source Address"),
    ("src_port", "Source Port"),
    ("mode", "Mode"),
    ("remote_port", "Remote Port"),
    ("protocol", "Protocol"),
    ("encryption", "Encryption Algorithm"),
    ("hash", "Hash Algorithm"),
    ("esp", "ESP Algorithm"),
    ("p1_life", "Phase One Life Time"),
    ("p1_dh", "Phase One DH"),
    ("p2_life", "Phase Two Life Time"),
    ("p2_dh", "Phase Two DH"),
    ("enabled", "Enable Policy"),
)
LABEL_WIDTH = max(len(label) for _, label in FIELDS)
FIELD_LABEL = dict(FIELDS)


def _norm(text: str) -> str:
    """Lower-case ASCII letters and digits only: how labels and tokens are compared."""
    return "".join(c for c in text.lower() if c.isascii() and c.isalnum())


SHEET_LABELS: dict[str, str] = {_norm(label): key for key, label in FIELDS}
SHEET_LABELS.update({"phase1lifetime": "p1_life", "phase2lifetime": "p2_life",
                     "phase1dh": "p1_dh", "phase2dh": "p2_dh"})
#: ``show ipsec information`` labels (CLI reference 12.5(1)SU3 sample [D C5])
SHOW_LABELS: dict[str, str] = {
    "policygroup": "group", "policyname": "name", "type": "mode",
    "sourceaddress": "src", "sourcetype": "src_type",
    "destinationaddress": "dst", "destinationtype": "dst_type",
    "protocol": "protocol", "sourceport": "src_port", "destinationport": "dst_port",
    "remoteport": "remote_port", "authenticationmethod": "auth", "peertype": "peer_type",
    "destinationcertificate": "cert", "sourcecertificate": "src_cert", "psk": "psk",
    "encryptionalgorithm": "encryption", "hashalgorithm": "hash", "esp": "esp", "ah": "ah",
    "phase1dhvalue": "p1_dh", "phase2dhvalue": "p2_dh",
    "phase1lifetime": "p1_life", "phase2lifetime": "p2_life", "status": "enabled",
}
LABELS = {**SHEET_LABELS, **SHOW_LABELS}
SHOW_ONLY = frozenset(SHOW_LABELS) - frozenset(SHEET_LABELS)
SHEET_ONLY = frozenset(SHEET_LABELS) - frozenset(SHOW_LABELS)

# ------------------------------------------------------------------- tokens, every generation

ENCR_TOKENS: dict[str, Encr] = {
    "des": Encr.DES, "3des": Encr.TDES, "des3": Encr.TDES, "tripledes": Encr.TDES,
    "aes": Encr.AES128,  # [U] a bare "aes" token: the 128-bit default assumed
    "aes128": Encr.AES128, "rijndael": Encr.AES128, "aes192": Encr.AES192,
    "aes256": Encr.AES256, "blowfish": Encr.BLOWFISH,
}
ESP_TOKENS: dict[str, Encr] = {**ENCR_TOKENS, "nullenc": Encr.NULL, "espnull": Encr.NULL}
HASH_TOKENS: dict[str, Integ] = {
    "sha1": Integ.SHA1, "sha": Integ.SHA1, "sha196": Integ.SHA1,
    "md5": Integ.MD5, "md596": Integ.MD5,
    "sha256": Integ.SHA256, "sha2256": Integ.SHA256, "sha2": Integ.SHA256,
    "sha2256128": Integ.SHA256, "sha384": Integ.SHA384, "sha2384": Integ.SHA384,
    "sha512": Integ.SHA512, "sha2512": Integ.SHA512,
}
AUTH_TOKENS: dict[str, str] = {
    "presharedkey": "psk", "preshared": "psk", "psk": "psk", "sharedkey": "psk",
    "certificate": "certificate", "cert": "certificate", "x509": "certificate",
    "rsasig": "certificate",
}
PROTOCOL_TOKENS: dict[str, int | None] = {"any": None, "all": None, "ip": None, "": None,
                                          "tcp": 6, "udp": 17}
PROTOCOL_LABELS: dict[int | None, str] = {None: "Any", 6: "TCP", 17: "UDP"}
TRUE_WORDS = frozenset({"[x]", "[*]", "[v]", "[✓]", "[✔]", "yes", "y", "true", "on", "checked",
                        "enabled", "enable", "1"})
FALSE_WORDS = frozenset({"[]", "no", "n", "false", "off", "unchecked", "disabled", "disable", "0"})
NONE_WORDS = frozenset({"", "null", "none"})

PSK_RE = re.compile(r"^[A-Za-z0-9-]+$")
CERT_UNSAFE_RE = re.compile(r"[^A-Za-z0-9._-]")
LIFETIME_RE = re.compile(r"^(\d{1,9})\s*(?:s|sec|secs|seconds)?$", re.IGNORECASE)
PORT_RE = re.compile(r"^\d{1,5}$")
DH_RE = re.compile(r"^(?:dhgroup|group|dh)?(\d{1,3})$")
NODE_RE = re.compile(r"^#\s*(?:node|enter on)\s*:\s*([A-Za-z0-9][A-Za-z0-9.-]*)", re.IGNORECASE)
TABLE_RE = re.compile(r"^#\s*value table\s*:\s*(\S+)", re.IGNORECASE)
RELEASE_RE = re.compile(r"^#\s*release\s*:\s*(\d{1,3})", re.IGNORECASE)
FIPS_RE = re.compile(r"^#\s*(?:release\s*:.*?)?fips mode\s*:\s*(\w+)", re.IGNORECASE)
RULE_TAG = "# ccsec-rule "


class _Bad(Exception):
    """A value that maps to nothing (ParseError in a sheet, a skipped policy in show output)."""

    def __init__(self, key: str, line: int, token: str, fix: str) -> None:
        super().__init__(token)
        self.key, self.line, self.token, self.fix = key, line, token, fix


# ----------------------------------------------------------------------------- helpers


def _one_line(text: str) -> bool:
    """True when ``text`` cannot start a new line in the sheet (no line-breaking characters)."""
    return text.splitlines() == [text] or text == ""


def _cn(dn: str) -> str | None:
    for part in dn.split(","):
        key, _, value = part.partition("=")
        if key.strip().upper() == "CN" and value.strip():
            return value.strip()
    return None


def cert_name(peer_id: Identity | None, peer: IPv4Address) -> str:
    """The Certificate Name for a peer: ``<peer id>.pem`` (a DN's CN), else ``<peer address>.pem``.

    [U] the exact form Unified CM expects (file name as Certificate Management lists it, with or
    without ``.pem``, or the CN) is not documented (cucm-ipsec.md §6.2, §10 q5).  Characters
    outside letters, digits, ``.``, ``_`` and ``-`` become ``_`` so the name is one safe token.
    """
    if peer_id is None:
        stem = str(peer)
    elif peer_id.kind == "dn":
        stem = _cn(peer_id.value) or peer_id.value
    else:
        stem = peer_id.value
    return CERT_UNSAFE_RE.sub("_", stem) + ".pem"


def cert_identity(name: str) -> Identity | None:
    """The peer identity a Certificate Name stands for (the inverse of :func:`cert_name`)."""
    stem = name[:-4] if name.lower().endswith(".pem") and len(name) > 4 else name
    if not stem or not _one_line(stem) or '"' in stem or any(ord(c) < 32 for c in stem):
        return None
    try:
        IPv4Address(stem)
    except ValueError:
        kind = "dn" if "=" in stem else "fqdn"
        return Identity(kind=kind, value=stem)  # type: ignore[arg-type]
    return Identity(kind="address", value=stem)


def _port_text(port: int | None) -> str:
    return "Any" if port is None else str(port)


def _host(net: IPv4Network) -> IPv4Address | None:
    return net.network_address if net.prefixlen == 32 else None


def table_for_release(major: int, fips: bool) -> tuple[str, str | None]:
    """(table key, warning) for a release's major number and FIPS mode, from ``RELEASES``."""
    for lowest, plain, with_fips in RELEASES:
        if major >= lowest:
            if fips and with_fips is None:
                return plain, f"no FIPS value list is documented for release {major}; " \
                              f"checked against '{plain}'"
            return (with_fips if fips and with_fips else plain), None
    return DEFAULT_TABLE, None


# ----------------------------------------------------------------------------- parse state


@dataclass
class _Block:
    """One policy's lines: key → (value, line)."""

    line: int
    fields: dict[str, tuple[str, int]] = field(default_factory=dict)
    description: str = ""
    inherit_line: int | None = None
    command: tuple[str, str] | None = None


@dataclass
class _Scan:
    blocks: list[_Block] = field(default_factory=list)
    table: str | None = None
    table_line: int | None = None
    release: int | None = None
    fips: bool | None = None
    node: str | None = None
    prompt: bool = False
    show_labels: int = 0
    sheet_labels: int = 0


class Cucm(Format):
    name = "cucm"
    title = "Cisco Unified CM IPSEC Policy Configuration sheet (hand entry)"
    file_name = "cucm-ipsec.txt"
    comment = "#"
    proof = "syntax"
    proof_note = ("Unified CM has no command or file to load a policy from; the values follow "
                  "Cisco's OS-administration guides (cucm-ipsec.md) and are entered by hand")
    platforms = frozenset({"cucm"})

    def __init__(self, table: str = DEFAULT_TABLE) -> None:
        self.table = TABLES[table]

    # ------------------------------------------------------------------ render

    def unsupported(self, end: EndPolicy) -> list[str]:
        out = []
        for text, what in ((end.owner or "", "owner"), (end.platform or "", "platform")):
            if not _one_line(text):
                out.append(f"the end's {what} name spans lines; a sheet header holds one line")
        for rule in end.rules:
            out += [f"rule {rule.name}: {r}" for r in self._rule_reasons(rule)]
        return out

    def _rule_reasons(self, rule: Rule) -> list[str]:
        out = self._auth_reasons(rule) + self._crypto_reasons(rule) + self._filter_reasons(rule)
        if rule.mode != "transport":
            out.append("the page offers Transport mode only (no tunnel endpoints)")
        if rule.action != "negotiate":
            out.append(f"a '{rule.action}' rule has no form on the page (every policy "
                       "negotiates security)")
        if rule.fallback_to_clear:
            out.append("clear-text fallback (request/none security) cannot be set on the page")
        if not rule.enabled:
            out.append("ccsec does not hand out a sheet for a disabled policy (Enable Policy is "
                       "always ticked)")
        return out

    def _auth_reasons(self, rule: Rule) -> list[str]:
        if len(rule.auth) != 1:
            return ["the page takes exactly one Authentication Method"]
        auth = rule.auth[0]
        if auth.method == "kerberos":
            return ["the page has no Kerberos (Unified CM is never in the AD domain): use "
                    "certificates (pki: root_ca)"]
        out = []
        if auth.method not in self.table.auth:
            out.append(f"the {self.table.key} page ({self.table.title}) has no pre-shared keys: "
                       "use certificates")
        if auth.method == "psk":
            if auth.psk is None:
                out.append("the pre-shared key is unreadable")
            elif auth.psk.value is not None and not PSK_RE.match(auth.psk.reveal()):
                out.append("the Preshared Key field takes letters, digits and hyphens only; "
                           "generate a key from those characters")
        return out

    def _crypto_reasons(self, rule: Rule) -> list[str]:
        out = []
        if rule.ike.version != 1:
            out.append("the page has no IKE version field; ccsec assumes IKEv1 [U] and cannot "
                       "promise IKEv2")
        if rule.ike.exchange != "main":
            out.append("aggressive mode cannot be set on the page (main mode assumed [U])")
        if len(rule.ike.proposals) != 1:
            out.append("the page takes exactly one IKE proposal (one Encryption Algorithm, Hash "
                       "Algorithm and Phase One DH)")
        if len(rule.esp) != 1:
            out.append("the page takes exactly one ESP proposal (one ESP Algorithm)")
        return out + self._proposal_reasons(rule)

    def _proposal_reasons(self, rule: Rule) -> list[str]:
        """The first IKE and ESP proposal against the value table (the only ones the page has)."""
        t = self.table
        out = []
        ike = rule.ike.proposals[0]
        if is_aead(ike.encryption) or any(p.encryption and is_aead(p.encryption)
                                          for p in rule.esp):
            out.append("the page offers no AES-GCM")
        elif ike.encryption not in t.encryption:
            out.append(f"Encryption Algorithm {ike.encryption.value} is not on the {t.key} page")
        if ike.prf is not None:
            out.append("the page has no PRF choice")
        if ike.integrity is not None and ike.integrity not in t.hashes:
            out.append(f"Hash Algorithm {ike.integrity.value} is not on the {t.key} page")
        if ike.group not in t.phase1_dh:
            out.append(f"Phase One DH {ike.group} is not on the {t.key} page")
        esp = rule.esp[0]
        if esp.ah is not None or esp.encryption is None:
            out.append("the page has no AH")
        elif not is_aead(esp.encryption) and esp.encryption not in t.esp:
            out.append(f"ESP Algorithm {esp.encryption.value} is not on the {t.key} page")
        if esp.integrity != ike.integrity and not (esp.encryption and is_aead(esp.encryption)):
            out.append("ESP integrity is not selectable on the page (assumed to follow Hash "
                       f"Algorithm [U]), but this rule's ESP integrity "
                       f"{esp.integrity.value if esp.integrity else 'none'} differs from its "
                       f"IKE hash {ike.integrity.value if ike.integrity else 'none'}")
        if rule.pfs_group is not None and rule.pfs_group not in t.phase2_dh:
            out.append(f"Phase Two DH {rule.pfs_group} is not on the {t.key} page")
        return out

    def _filter_reasons(self, rule: Rule) -> list[str]:
        if len(rule.filters) != 1:
            return ["a policy protects one host pair: the page takes one filter (split the rule "
                    "into one policy per host pair)"]
        f = rule.filters[0]
        out = []
        if _host(f.local) is None or _host(f.remote) is None:
            out.append("Source and Destination Address take single IPv4 hosts, not subnets")
        if not f.mirrored:
            out.append("a policy always covers both directions (mirrored filter)")
        if f.protocol not in PROTOCOL_LABELS:
            out.append(f"Protocol takes TCP, UDP or Any, not protocol {f.protocol}")
        elif f.protocol is None and (f.local_port or f.remote_port):
            out.append("a port needs Protocol TCP or UDP")
        return out

    def render_body(self, end: EndPolicy, ctx: RenderContext) -> list[str]:
        lines = self._sheet_header(end)
        for n, rule in enumerate(end.rules, start=1):
            lines += self._block(end, rule, f"{n} of {len(end.rules)}", ctx)
        return lines

    def _sheet_header(self, end: EndPolicy) -> list[str]:
        t = self.table
        hosts = list(dict.fromkeys(str(r.filters[0].local.network_address) for r in end.rules))
        node = end.owner or end.name
        first = hosts[0] if hosts else "<node>"
        others = ", ".join(k for k in TABLES if k != t.key)
        lines = [
            "#",
            "# Cisco Unified CM IPSEC Policy Configuration: one block per peer, typed by hand",
            f"# node: {node} {' '.join(hosts) or '-'}",
            "#   policies are per node and per peer (not replicated): log in to this node",
            f"# where: https://{first}/cmplatform (Cisco Unified OS Administration)",
            "#   > Security > IPSEC Configuration > Add New; type one block; Save",
            "# check after Save: Services > Ping, tick Validate IPsec, ping the block's",
            "#   Destination Address",
            f"# value table: {t.key} -- {t.title}",
            f"#   [{t.source}]",
            f"#   Authentication Method : {' | '.join(t.auth.values())}",
            f"#   Encryption Algorithm  : {' | '.join(t.encryption.values())}",
            f"#   Hash Algorithm        : {' | '.join(t.hashes.values())}",
            f"#   ESP Algorithm         : {' | '.join(t.esp.values())}",
            f"#   Phase One DH          : {' | '.join(map(str, t.phase1_dh))}",
            f"#   Phase Two DH          : {' | '.join(map(str, t.phase2_dh))} | empty = no PFS [U]",
            f"#   other tables: {others} (edit the key above before an audit reads this sheet)",
            "# not on the page [U]: IKE version (IKEv1 main mode assumed), ESP integrity",
            "#   (assumed to follow Hash Algorithm), kilobyte lifetimes, DPD;",
            "#   Remote Port is set equal to Destination Port",
            "# the peer needs the mirrored rule (same algorithms, lifetimes, Protocol and ports;",
            "#   Any on one end and TCP/UDP on the other fails Validate IPsec): ccsec renders it",
            "# lines starting 'ccsec-rule' carry the rule's description (not a page field)",
        ]
        if any(a.method == "psk" for r in end.rules for a in r.auth):
            lines += ["# this sheet holds pre-shared keys in clear (file mode 0600); UCCE allows "
                      "them", "#   for testing only; delete the sheet once the keys are entered"]
        return lines

    def _block(self, end: EndPolicy, rule: Rule, position: str,
               ctx: RenderContext) -> list[str]:
        t = self.table
        f = rule.filters[0]
        auth = rule.auth[0]
        ike = rule.ike.proposals[0]
        esp = rule.esp[0]
        src, dst = f.local.network_address, f.remote.network_address
        cert = cert_name(rule.peer_id, dst) if auth.method == "certificate" else ""
        values = {
            "group": end.name,
            "name": rule.name,
            "auth": t.auth[auth.method],
            "psk": self._key(rule, auth, ctx) if auth.method == "psk" else "",
            "peer_type": "Different" if cert else "",
            "cert": cert,
            "dst": str(dst),
            "dst_port": _port_text(f.remote_port),
            "src": str(src),
            "src_port": _port_text(f.local_port),
            "mode": "Transport",
            "remote_port": _port_text(f.remote_port),
            "protocol": PROTOCOL_LABELS[f.protocol],
            "encryption": t.encryption[ike.encryption],
            "hash": t.hashes[ike.integrity] if ike.integrity else "",
            "esp": t.esp[esp.encryption] if esp.encryption else "",
            "p1_life": str(rule.ike.lifetime_s),
            "p1_dh": str(ike.group),
            "p2_life": str(rule.lifetime_s),
            "p2_dh": "" if rule.pfs_group is None else str(rule.pfs_group),
            "enabled": "[x]",
        }
        out = ["", f"# ---- policy {position}: {rule.name}, this node {src} <-> peer {dst} ----"]
        if rule.description:
            out.append(f"{RULE_TAG}{json_comment(rule.description)}")
        out += [f"{label:<{LABEL_WIDTH}} : {values[key]}".rstrip() for key, label in FIELDS]
        out.append(f"# ESP integrity (not on the page): {values['hash']} [U: assumed to follow "
                   "Hash Algorithm]")
        if rule.pfs_group is None:
            out.append("# Phase Two DH left empty: no PFS [U: the CLI then shows null]")
        if cert:
            out.append("# before Save: Security > Certificate Management > upload the peer's "
                       "certificate as ipsec-trust")
            if auth.ca:
                out.append(f"#   and its root CA {json_comment(auth.ca)}")
            out.append("#   Certificate Name = that file's name as the list shows it "
                       "[U: exact form, <peer>.pem assumed]")
        return out

    def _key(self, rule: Rule, auth: Auth, ctx: RenderContext) -> str:
        key = ctx.reveal(auth.psk, f"rule {rule.name} psk")
        if not PSK_RE.match(key):
            raise UnsupportedError(Problem(
                f"rule {rule.name}: the Preshared Key field takes letters, digits and hyphens "
                "only", field=f"{self.name} psk", fix="generate a key from those characters"))
        return key

    def project(self, end: EndPolicy, ctx: RenderContext) -> EndPolicy:
        return host_projection(end, (self._project_rule(r, ctx) for r in end.rules),
                               default_response_rule=False)

    def _project_rule(self, rule: Rule, ctx: RenderContext) -> Rule:
        update: dict[str, object] = {
            "auth": tuple(a.model_copy(update={"psk": ctx.resolve(a.psk), "ca": None})
                          for a in rule.auth),
            "local_id": None,
            "peer_id": None,
            "lifetime_kb": None,
            "connection_type": "all",
            "nat_traversal": True,
            "nat_keepalive_s": None,
            "qos_preclassify": False,
            "dpd_s": None,
            "initiate": False,
        }
        peer = rule.peer_address
        if len(rule.filters) == 1:
            f = rule.filters[0]
            local, remote = _host(f.local), _host(f.remote)
            if local is not None and remote is not None:
                update["local_address"], update["peer_address"] = local, remote
                peer = remote
        if any(a.method == "certificate" for a in rule.auth):
            update["peer_id"] = cert_identity(cert_name(rule.peer_id, peer))
        return rule.model_copy(update=update)

    # ------------------------------------------------------------------- parse

    def parse(self, text: str, source: str = "<text>") -> Parsed:
        parsed = Parsed(policies=[], source=source, format=self.name)
        lines = text.splitlines()
        scan = self._scan(lines, parsed)
        kind = "show" if scan.prompt or scan.show_labels > scan.sheet_labels else "sheet"
        table = self._parse_table(scan, parsed)
        unknown: list[CucmUnknownToken] = []
        reader = _Reader(table, kind, source, parsed)
        groups: dict[str, list[Rule]] = {}
        for block in self._inherit(scan.blocks, parsed):
            try:
                group, rule = reader.rule(block)
            except _Bad as bad:
                if kind == "sheet":
                    raise reader.error(bad) from None
                reader.skip(block, bad, unknown)
                groups.setdefault(block.fields["group"][0], [])  # read before the bad value
                continue
            rules = groups.setdefault(group, [])
            if any(r.name == rule.name for r in rules):
                parsed.notes.append(Note(block.line, "warning", f"policy {group}/{rule.name} "
                                         "appears twice; the first one is used"))
                continue
            rules.append(rule)
        parsed.format_facts = CucmFacts(
            input="show ipsec information" if kind == "show" else "sheet",
            value_table=table.key, certificate_names=reader.certificate_names,
            unknown_tokens=tuple(unknown))
        parsed.policies = self._policies(groups, read_meta(lines, self.comment), scan, source)
        return parsed

    def _scan(self, lines: list[str], parsed: Parsed) -> _Scan:
        scan = _Scan()
        current: _Block | None = None
        description: str | None = None
        for n, raw in enumerate(lines, start=1):
            s = raw.strip()
            if not s or set(s) <= set("-=*_ "):
                continue
            if s.startswith("#"):
                description = self._comment(s, n, scan, parsed, description)
                continue
            if s.startswith("..."):
                if current is None:
                    parsed.notes.append(Note(n, "info", "'...' before any policy: elided lines "
                                             "(missing fields get assumed values)"))
                else:
                    current.inherit_line = n
                continue
            if s.lower().startswith("admin:"):
                current = self._prompt(s, n, scan, parsed, current, description)
                if current is not None and current.line == n:
                    description = None
                continue
            label, sep, value = s.partition(":")
            if not sep:
                raise ParseError(Problem("not a 'Label : value' line", parsed.source, n,
                                         fix="write each field as 'Label : value' (the page's "
                                         "label), or start the line with # for a comment"))
            norm = _norm(label)
            key = LABELS.get(norm)
            if key is None:
                parsed.notes.append(Note(n, "warning", f"unknown field '{label.strip()[:40]}' "
                                         "ignored"))
                continue
            scan.show_labels += norm in SHOW_ONLY
            scan.sheet_labels += norm in SHEET_ONLY
            if current is None or key in current.fields:
                current = _Block(line=n, description=description or "")
                scan.blocks.append(current)
                description = None
            current.fields[key] = (value.strip(), n)
        return scan

    def _comment(self, s: str, n: int, scan: _Scan, parsed: Parsed,
                 description: str | None) -> str | None:
        """Read the comment lines that mean something; return the pending rule description."""
        if s.startswith(RULE_TAG):
            value = unjson_comment(s[len(RULE_TAG):])
            if value is None:
                parsed.notes.append(Note(n, "warning", "unreadable ccsec-rule description"))
            return value if value is not None else description
        if m := TABLE_RE.match(s):
            scan.table, scan.table_line = m.group(1), n
        elif m := RELEASE_RE.match(s):
            scan.release = int(m.group(1))
            scan.table_line = scan.table_line or n
        elif m := NODE_RE.match(s):
            scan.node = scan.node or m.group(1)
        if m := FIPS_RE.match(s):
            word = m.group(1).lower()
            scan.fips = word in TRUE_WORDS
            scan.table_line = scan.table_line or n
        return description

    def _prompt(self, s: str, n: int, scan: _Scan, parsed: Parsed, current: _Block | None,
                description: str | None) -> _Block | None:
        words = s[len("admin:"):].split()
        if [w.lower() for w in words[:3]] != ["show", "ipsec", "information"]:
            parsed.notes.append(Note(n, "info", "CLI prompt line without show ipsec "
                                     "information ignored"))
            return current
        scan.prompt = True
        block = _Block(line=n, description=description or "")
        if len(words) >= 5:
            block.command = (words[3], words[4])
        scan.blocks.append(block)
        return block

    def _parse_table(self, scan: _Scan, parsed: Parsed) -> ValueTable:
        line = scan.table_line
        if scan.table is not None:
            if scan.table in TABLES:
                return TABLES[scan.table]
            parsed.notes.append(Note(line, "warning", f"unknown value table '{scan.table[:20]}'; "
                                     f"checked against '{self.table.key}' (tables: "
                                     f"{', '.join(TABLES)})"))
            return self.table
        if scan.release is not None or scan.fips is not None:
            major = scan.release if scan.release is not None else 12
            key, warning = table_for_release(major, bool(scan.fips))
            if warning:
                parsed.notes.append(Note(line, "warning", warning))
            return TABLES[key]
        return self.table

    def _inherit(self, blocks: list[_Block], parsed: Parsed) -> list[_Block]:
        """Blocks with a '...' line take their missing fields from the block above."""
        for i, block in enumerate(blocks):
            if block.inherit_line is None:
                continue
            if i == 0:
                parsed.notes.append(Note(block.inherit_line, "info", "'...': elided lines "
                                         "(missing fields get assumed values)"))
                continue
            for key, value in blocks[i - 1].fields.items():
                block.fields.setdefault(key, value)
            parsed.notes.append(Note(block.inherit_line, "info", "'...': the remaining fields "
                                     "are taken from the policy above"))
        return blocks

    def _policies(self, groups: dict[str, list[Rule]], meta: dict[str, object], scan: _Scan,
                  source: str) -> list[EndPolicy]:
        meta_name = meta_str(meta, "name")
        owner = meta_str(meta, "owner") if meta else scan.node
        platform = meta_str(meta, "platform") if meta else "cucm"
        if not groups and meta_name:
            groups = {meta_name: []}
        if not groups:
            raise ParseError(Problem("no IPsec policy found", source,
                                     fix="a sheet has 'Policy Group Name : …' and 'Policy Name "
                                     ": …' lines per policy; show output has PolicyGroup and "
                                     "PolicyName lines"))
        out = []
        for group, rules in groups.items():
            description = meta_str(meta, "description", "") if group == meta_name else ""
            try:
                out.append(EndPolicy(name=group, description=description or "", owner=owner,
                                     platform=platform, rules=tuple(rules)))
            except ValueError as exc:
                raise ParseError(Problem(f"policy group {group[:40]!r}: "
                                         f"{str(exc).splitlines()[0]}", source)) from None
        return out


# ----------------------------------------------------------------------------- field reader


class _Reader:
    """Turns one block into a Rule, noting every value outside the selected table."""

    def __init__(self, table: ValueTable, kind: str, source: str, parsed: Parsed) -> None:
        self.t, self.kind, self.source, self.parsed = table, kind, source, parsed
        self.notes = parsed.notes
        self.certificate_names: dict[str, str] = {}  # rule → Certificate Name as written

    def error(self, bad: _Bad) -> ParseError:
        label = FIELD_LABEL.get(bad.key, bad.key)
        return ParseError(Problem(f"cannot read '{bad.token[:40]}'", self.source, bad.line,
                                  field=label, fix=bad.fix))

    def skip(self, block: _Block, bad: _Bad, unknown: list[CucmUnknownToken]) -> None:
        label = FIELD_LABEL.get(bad.key, bad.key)
        name = block.fields.get("name", ("?", 0))[0][:80]
        token = bad.token[:80]
        unknown.append(CucmUnknownToken(policy=name, field=label, token=token, line=bad.line))
        self.notes.append(Note(bad.line, "warning", f"policy {name}: {label} token "
                               f"'{token}' is not known to ccsec [U spellings]; policy skipped"
                               f" ({bad.fix})"))

    # -- one block

    def rule(self, b: _Block) -> tuple[str, Rule]:
        group, name = self._ident(b, "group"), self._ident(b, "name")
        if b.command and (b.command[0] != group or b.command[1] != name):
            self.notes.append(Note(b.line, "warning", f"show ipsec information asked for "
                                   f"{b.command[0][:40]}/{b.command[1][:40]} but printed "
                                   f"{group}/{name}"))
        try:
            rule = self._build(b, name)
        except ValueError as exc:  # pydantic's ValidationError is a ValueError
            raise ParseError(Problem(f"policy {name}: {str(exc).splitlines()[0]}", self.source,
                                     b.line)) from None
        loc = self.parsed.locations
        loc[name] = self._line(b, "name")
        loc[f"{name}/auth"] = self._line(b, "auth", "psk", "cert")
        loc[f"{name}/ike"] = self._line(b, "encryption", "hash", "p1_dh", "p1_life")
        loc[f"{name}/esp"] = self._line(b, "esp", "p2_dh", "p2_life")
        loc[f"{name}/filters"] = self._line(b, "dst", "src", "protocol")
        return group, rule

    def _build(self, b: _Block, name: str) -> Rule:
        src, dst = self._address(b, "src"), self._address(b, "dst")
        auth, peer_id = self._auth(b, name)
        ike = IkeProposal(encryption=self._cipher(b, "encryption", ENCR_TOKENS,
                                                  self.t.encryption),
                          integrity=self._hash(b), group=self._p1_dh(b))
        esp = EspProposal(encryption=self._cipher(b, "esp", ESP_TOKENS, self.t.esp),
                          integrity=self._esp_integrity(b, ike.integrity))
        # IKEv1 main mode, negotiate, require/require are assumptions [U]: the page has no field
        # for the IKE version, and whether the node drops clear traffic is undocumented
        return Rule(
            name=name,
            description=b.description,
            mode=self._mode(b),  # type: ignore[arg-type]
            local_address=src,
            peer_address=dst,
            peer_id=peer_id,
            filters=(self._filter(b, src, dst),),
            auth=(auth,),
            ike=Ike(version=1, proposals=(ike,), lifetime_s=self._life(b, "p1_life")),
            esp=(esp,),
            pfs_group=self._p2_dh(b),
            lifetime_s=self._life(b, "p2_life"),
            lifetime_kb=None,
            enabled=self._enabled(b),
        )

    def _line(self, b: _Block, *keys: str) -> int:
        return next((b.fields[k][1] for k in keys if k in b.fields), b.line)

    def _get(self, b: _Block, key: str) -> tuple[str, int] | None:
        return b.fields.get(key)

    def _missing(self, b: _Block, key: str, assumed: str) -> None:
        self.notes.append(Note(b.line, "warning", f"{FIELD_LABEL.get(key, key)} not given: "
                               f"assumed {assumed} [U: page default undocumented]"))

    def _note(self, line: int, message: str, severity: str = "warning") -> None:
        self.notes.append(Note(line, severity, message))  # type: ignore[arg-type]

    def _ident(self, b: _Block, key: str) -> str:
        label = FIELD_LABEL[key]
        got = self._get(b, key)
        if got is None or not got[0]:
            raise ParseError(Problem(f"{label} is missing", self.source, b.line, field=label,
                                     fix=f"give every policy a '{label} : …' line"))
        value, line = got
        if not IDENT_RE.match(value):
            raise ParseError(Problem(f"{label} '{value[:40]}' is not letters, digits and "
                                     "hyphens (starting with a letter or digit, at most 80)",
                                     self.source, line, field=label,
                                     fix="the page accepts letters, digits and hyphens only"))
        return value

    def _address(self, b: _Block, key: str) -> IPv4Address:
        label = FIELD_LABEL[key]
        got = self._get(b, key)
        if got is None or not got[0] or got[0].lower() == "null":
            raise ParseError(Problem(f"{label} is missing", self.source, b.line, field=label,
                                     fix=f"give every policy a '{label} : <IPv4 address>' line"))
        value, line = got
        try:
            return IPv4Address(value)
        except ValueError:
            fqdn = any(c.isalpha() for c in value)
            raise _Bad(key, line, value, "FQDN addresses are not supported on 12.x pages: use "
                       "the IPv4 address" if fqdn else "use a dotted IPv4 address") from None

    def _auth(self, b: _Block, name: str) -> tuple[Auth, Identity | None]:
        got = self._get(b, "auth")
        psk, cert = self._get(b, "psk"), self._get(b, "cert")
        psk_value = self._optional(psk)
        cert_value = self._optional(cert)
        if got is None or not got[0]:
            if bool(psk_value) == bool(cert_value):
                raise ParseError(Problem("Authentication Method is missing", self.source, b.line,
                                         field="Authentication Method",
                                         fix="write 'Authentication Method : Certificate' or "
                                         "'… : Pre-shared Key'"))
            method = "psk" if psk_value else "certificate"
            self._missing(b, "auth", f"{method} (from the fields filled in)")
            line = b.line
        else:
            token, line = got
            method = AUTH_TOKENS.get(_norm(token))
            if method is None:
                raise _Bad("auth", line, token, "use Certificate or Pre-shared Key")
        if method not in self.t.auth:
            self._note(line, f"Authentication Method {method}: not on the {self.t.key} page "
                       "(FIPS mode has certificates only)")
        self._peer_type(b, method)
        if method == "psk":
            if cert_value:
                self._note(cert[1] if cert else line, "Certificate Name is disabled with a "
                           "pre-shared key; ignored")
            return Auth(method="psk", psk=self._psk(b, psk, psk_value)), None
        if psk_value:
            self._note(psk[1] if psk else line, "Preshared Key is disabled with Certificate "
                       "authentication; ignored")
        if not cert_value:
            self._note(cert[1] if cert else line, "Certificate Name is empty: certificate "
                       "authentication has no peer certificate")
            return Auth(method="certificate"), None
        ident = cert_identity(cert_value)
        self.certificate_names[name] = cert_value
        if ident is None:
            self._note(cert[1] if cert else line, "Certificate Name cannot be read as a peer "
                       "identity; kept in facts only")
        return Auth(method="certificate"), ident

    def _optional(self, got: tuple[str, int] | None) -> str:
        """A free-text field's value; show output prints ``null`` for "not set"."""
        if got is None:
            return ""
        value = got[0]
        return "" if self.kind == "show" and value.lower() in NONE_WORDS else value

    def _psk(self, b: _Block, got: tuple[str, int] | None, value: str):
        line = got[1] if got else b.line
        if not value:
            self._note(line, "pre-shared key authentication without a Preshared Key")
            return None
        if value.startswith("<") and value.endswith(">"):
            self._note(line, "Preshared Key is a placeholder, not a key", "info")
            return None
        if not PSK_RE.match(value):
            self._note(line, "Preshared Key holds characters the page does not accept (letters, "
                       "digits and hyphens only)")
        return literal(value)

    def _peer_type(self, b: _Block, method: str) -> None:
        got = self._get(b, "peer_type")
        value = self._optional(got)
        if not value or got is None:
            return
        if method == "psk":
            self._note(got[1], "Peer Type is disabled with a pre-shared key; ignored", "info")
        elif value.capitalize() not in self.t.peer_types:
            self._note(got[1], f"Peer Type '{value[:20]}' is not on the {self.t.key} page "
                       f"({', '.join(self.t.peer_types)})")

    def _token(self, b: _Block, key: str) -> tuple[str, int] | None:
        got = self._get(b, key)
        return None if got is None or not got[0] else got

    def _cipher(self, b: _Block, key: str, tokens: dict[str, Encr],
                allowed: dict[Encr, str]) -> Encr:
        got = self._token(b, key)
        if got is None:
            first = next(iter(allowed))
            self._missing(b, key, allowed[first])
            return first
        token, line = got
        norm = _norm(token)
        norm = norm[:-3] if norm.endswith("cbc") and len(norm) > 3 else norm
        encr = tokens.get(norm)
        if encr is None:
            raise _Bad(key, line, token, "use one of " + ", ".join(allowed.values()))
        if encr not in allowed:
            self._note(line, f"{FIELD_LABEL[key]} {token[:20]} is not on the {self.t.key} page "
                       f"({', '.join(allowed.values())})")
        return encr

    def _hash(self, b: _Block) -> Integ:
        got = self._token(b, "hash")
        if got is None:
            first = next(iter(self.t.hashes))
            self._missing(b, "hash", self.t.hashes[first])
            return first
        token, line = got
        integ = HASH_TOKENS.get(_norm(token).removeprefix("hmac"))
        if integ is None:
            raise _Bad("hash", line, token, "use one of " + ", ".join(self.t.hashes.values()))
        if integ not in self.t.hashes:
            self._note(line, f"Hash Algorithm {token[:20]} is not on the {self.t.key} page "
                       f"({', '.join(self.t.hashes.values())})")
        return integ

    def _esp_integrity(self, b: _Block, ike_hash: Integ | None) -> Integ | None:
        """Show output's AH line names the ESP integrity; a sheet has none: it follows Hash."""
        got = self._token(b, "ah")
        if got is None or got[0].lower() in NONE_WORDS:
            return ike_hash
        integ = HASH_TOKENS.get(_norm(got[0]).removeprefix("hmac"))
        if integ is None:
            self._note(got[1], f"AH token '{got[0][:20]}' unknown; ESP integrity assumed to "
                       "follow Hash Algorithm [U]")
            return ike_hash
        if integ != ike_hash:
            self._note(got[1], "AH differs from Hash Algorithm; ESP integrity taken from the AH "
                       "line [U]", "info")
        return integ

    def _dh(self, b: _Block, key: str) -> tuple[int | None, int]:
        got = self._get(b, key)
        if got is None:
            return None, b.line
        token, line = got
        norm = _norm(token)
        if norm in NONE_WORDS:
            return None, line
        group = GROUP_BY_KEYWORD.get(norm)
        if group is None and (m := DH_RE.match(norm)):
            group = int(m.group(1))
        if group is None or group not in DH_GROUPS:
            raise _Bad(key, line, token, "use a DH group number such as 14")
        return group, line

    def _p1_dh(self, b: _Block) -> int:
        group, line = self._dh(b, "p1_dh")
        if group is None:
            assumed = self.t.phase1_dh[0]
            self._note(line, f"Phase One DH not set: assumed group {assumed}, the first entry "
                       "of the page's list [U]")
            return assumed
        if group not in self.t.phase1_dh:
            self._note(line, f"Phase One DH {group} is not on the {self.t.key} page")
        return group

    def _p2_dh(self, b: _Block) -> int | None:
        group, line = self._dh(b, "p2_dh")
        if group is None:
            self._note(line, "Phase Two DH not set: no PFS [U]", "info")
        elif group not in self.t.phase2_dh:
            self._note(line, f"Phase Two DH {group} is not on the {self.t.key} page")
        return group

    def _life(self, b: _Block, key: str) -> int:
        got = self._token(b, key)
        if got is None:
            self._missing(b, key, f"{ASSUMED_LIFETIME_S} s")
            return ASSUMED_LIFETIME_S
        token, line = got
        m = LIFETIME_RE.match(token)
        if m is None or int(m.group(1)) < 60:
            raise _Bad(key, line, token, "give the lifetime in seconds (at least 60)")
        return int(m.group(1))

    def _mode(self, b: _Block) -> str:
        got = self._token(b, "mode")
        if got is None:
            self._missing(b, "mode", "Transport")
            return "transport"
        token, line = got
        mode = _norm(token)
        if mode not in ("transport", "tunnel"):
            raise _Bad("mode", line, token, "use Transport")
        if mode == "tunnel":
            self._note(line, "Mode Tunnel: the Generation 2/3 pages offer Transport only")
        return mode

    def _filter(self, b: _Block, src: IPv4Address, dst: IPv4Address) -> Filter:
        proto = self._protocol(b)
        src_port = self._port(b, "src_port")
        dst_port = self._port(b, "dst_port")
        remote = self._port(b, "remote_port")
        if remote is not None and remote != dst_port:
            line = b.fields["remote_port"][1]
            if dst_port is None:
                dst_port = remote
            else:
                self._note(line, "Remote Port differs from Destination Port; ccsec reads "
                           "Destination Port [U: the guides describe both alike]")
        if proto is None and (src_port or dst_port):
            self._note(self._line(b, "protocol"), "a port with Protocol Any")
        return Filter(local=IPv4Network(src), remote=IPv4Network(dst), protocol=proto,
                      local_port=src_port, remote_port=dst_port)

    def _protocol(self, b: _Block) -> int | None:
        got = self._get(b, "protocol")
        if got is None:
            self._missing(b, "protocol", "Any")
            return None
        token, line = got
        norm = _norm(token)
        if norm in PROTOCOL_TOKENS:
            return PROTOCOL_TOKENS[norm]
        if norm.isdigit() and len(norm) <= 3 and int(norm) <= 255:
            number = int(norm)
            if number == 0:
                return None
            if number not in PROTOCOL_LABELS:
                self._note(line, f"Protocol {number}: the page offers TCP, UDP and Any")
            return number
        raise _Bad("protocol", line, token, "use TCP, UDP or Any")

    def _port(self, b: _Block, key: str) -> int | None:
        got = self._get(b, key)
        if got is None:
            return None
        token, line = got
        if _norm(token) in ("any", "", "all", "null", "0") or token.strip() == "*":
            return None
        if PORT_RE.match(token) and 1 <= int(token) <= 65535:
            return int(token)
        raise _Bad(key, line, token, "use a port number 1-65535 or Any")

    def _enabled(self, b: _Block) -> bool:
        got = self._get(b, "enabled")
        if got is None:
            self._missing(b, "enabled", "ticked")
            return True
        token, line = got
        word = "".join(token.lower().split())
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            self._note(line, "Enable Policy is not ticked: the policy is inactive")
            return False
        raise _Bad("enabled", line, token, "use [x] or [ ] (or yes/no)")


def with_table(key: str) -> Cucm:
    """The CUCM format checking against another value table (``TABLES`` keys)."""
    if key not in TABLES:
        raise UserError(Problem(f"unknown CUCM value table '{key}'", field="value table",
                                fix=f"use one of: {', '.join(TABLES)}"))
    return Cucm(key)


FORMAT = Cucm()
