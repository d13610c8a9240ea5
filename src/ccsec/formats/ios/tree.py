"""Cisco IOS configuration text as a light tree, and the IOS words ccsec writes and reads.

The tree is built for speed (parser-anchors.md: the importer is measured against ``str.split``
and ciscoconfparse2): the text is split once, one comprehension finds the top-level lines
(column 0, not a ``!`` comment), only headers the importer reads become :class:`Node`\\ s
(``str.startswith`` with a tuple, no slicing or regex for the others), and a node's children
are nested the first time they are asked for.  Indentation decides nesting (IOS prints one
space per level; hand-written templates with deeper or tab indents nest the same way).
``banner`` bodies are skipped up to their delimiter, because a banner line may start in
column 0.

The vocabulary half maps ccsec's algorithm enums to IOS keywords in both directions (platform-
syntax.md §2.2, §5.1–5.4) and holds the small lexical helpers both the renderer and the importer
use: ACL address/wildcard forms, protocol and port names, unique keyword abbreviations,
placeholders, and the description encoding.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import lru_cache
from ipaddress import IPv4Address, IPv4Network

from ccsec.crypto import Encr, Integ, Prf
from ccsec.policy import IDENT_RE

# ----------------------------------------------------------------------------- the tree

#: first words of the top-level lines the importer reads; everything else is never looked at
WANTED = ("crypto ", "no crypto ", "interface ", "ip ", "access-list ", "route-map ",
          "hostname ", "banner ")


class Node:
    """One configuration line and the lines indented under it (built on first access)."""

    __slots__ = ("_children", "_end", "_lines", "_start", "line", "text")

    def __init__(self, line: int, text: str, lines: list[str] | None = None, start: int = 0,
                 end: int = 0) -> None:
        self.line = line
        self.text = text
        self._lines = lines
        self._start = start
        self._end = end
        self._children: list[Node] | None = None if lines is not None else []

    @property
    def children(self) -> list[Node]:
        if self._children is None:
            assert self._lines is not None
            self._children = _nest(self._lines, self._start, self._end)
            self._lines = None
        return self._children

    def __repr__(self) -> str:
        return f"Node({self.line}, {self.text!r})"


def _nest(lines: list[str], start: int, end: int) -> list[Node]:
    """Children of one block: indentation-relative nesting, comments and blanks skipped.

    A line indented deeper than the previous one is its child; a shallower one closes every
    open level at or below its indent (so it nests under the nearest shallower line, as IOS
    reads it).  Siblings — nearly every line — touch no stack at all.
    """
    out: list[Node] = []
    levels: list[tuple[int, list[Node]]] = []  # enclosing (indent, siblings) pairs
    siblings = out
    last = -1
    prev: Node | None = None
    for i in range(start, end):
        raw = lines[i]
        text = raw.lstrip()
        if not text or text[0] == "!":
            continue
        indent = len(raw) - len(text)
        text = text.rstrip()  # keeps text[0], which is not blank
        if indent != last:
            if indent > last and prev is not None:
                levels.append((last, siblings))
                siblings = prev.children
            else:
                while levels and indent <= levels[-1][0]:
                    last, siblings = levels.pop()
            last = indent
        prev = Node(i + 1, text)
        siblings.append(prev)
    return out


#: CLI navigation a pasted configuration carries (entering and leaving modes): not lines ccsec
#: failed to read
NAVIGATION = frozenset({"exit", "end", "configure terminal", "conf t", "config t",
                        "configure", "write", "write memory", "wr", "copy running-config "
                        "startup-config", "enable", "exit-address-family"})


def parse_tree(text: str) -> tuple[list[Node], int]:
    """Top-level nodes the importer reads, and how many other top-level lines were skipped.

    A top-level line starts in column 0 and is not a ``!`` comment; its block runs to the next
    top-level line.  Only lines starting with a :data:`WANTED` word become nodes.
    """
    lines = text.split("\n")
    tops: list[int] = [i for i, raw in enumerate(lines) if raw and raw[0] not in " \t!\r"]
    tops.append(len(lines))
    nodes: list[Node] = []
    skipped = 0
    skip_until = -1
    for k in range(len(tops) - 1):
        i = tops[k]
        if i < skip_until:
            continue
        raw = lines[i]
        if not raw.startswith(WANTED):
            if raw.strip().lower() not in NAVIGATION:
                skipped += 1
            continue
        header = raw.strip()
        if header.startswith("banner "):
            skip_until = _banner_end(lines, header, i)
            continue
        nodes.append(Node(i + 1, header, lines, i + 1, tops[k + 1]))
    return nodes, skipped


def _banner_end(lines: list[str], header: str, i: int) -> int:
    """Index of the first line after a banner body (IOS shows the delimiter Ctrl-C as ``^C``)."""
    words = header.split(None, 2)
    rest = words[2] if len(words) > 2 else ""
    if not rest:
        return i + 1
    delim = "^C" if rest.startswith("^C") else rest[0]
    if delim in rest[len(delim):]:
        return i + 1
    for j in range(i + 1, len(lines)):
        if delim in lines[j]:
            return j + 1
    return len(lines)


# ------------------------------------------------------------------------- lexical helpers


class Abbrev:
    """IOS accepts any unique prefix of a keyword (``encr`` for ``encryption``)."""

    def __init__(self, words: Iterable[str]) -> None:
        words = list(words)
        self.table: dict[str, str] = {}
        counts: dict[str, int] = {}
        for w in words:
            for i in range(1, len(w) + 1):
                counts[w[:i]] = counts.get(w[:i], 0) + 1
        for w in words:
            for i in range(1, len(w) + 1):
                if counts[w[:i]] == 1:
                    self.table[w[:i]] = w
            self.table[w] = w

    def __call__(self, token: str) -> str | None:
        return self.table.get(token.lower())


#: each alternative's inner class excludes its own opening character, so a search fails fast
#: from every start (``{{`` × N no longer costs N² steps: the inner part stops at the next ``{``)
_PLACEHOLDER = re.compile(r"<[^<>]*>|\b[xX](?:\.[xX]){3}\b|\{\{[^{}]*\}\}")


def placeholder(text: str) -> str | None:
    """The template placeholder in a line (``<peer-ip>``, ``X.X.X.X``), if any."""
    m = _PLACEHOLDER.search(text)
    return m.group() if m else None


def is_placeholder(token: str) -> bool:
    """Whether a whole value (a key, a name) is a template placeholder."""
    return _PLACEHOLDER.fullmatch(token) is not None


ANY = IPv4Network("0.0.0.0/0")
PROTO_NAMES = {1: "icmp", 2: "igmp", 4: "ipinip", 6: "tcp", 17: "udp", 47: "gre", 50: "esp",
               51: "ahp", 88: "eigrp", 89: "ospf", 94: "nos", 103: "pim", 108: "pcp"}
PROTO_NUMBERS = {v: k for k, v in PROTO_NAMES.items()}
#: port names ``show running-config`` prints instead of numbers (IOS ACL help text [D])
PORT_NAMES = {
    "bgp": 179, "chargen": 19, "cmd": 514, "daytime": 13, "discard": 9, "domain": 53,
    "echo": 7, "exec": 512, "finger": 79, "ftp": 21, "ftp-data": 20, "gopher": 70,
    "hostname": 101, "ident": 113, "irc": 194, "klogin": 543, "kshell": 544, "login": 513,
    "lpd": 515, "msrpc": 135, "nntp": 119, "pim-auto-rp": 496, "pop2": 109, "pop3": 110,
    "smtp": 25, "sunrpc": 111, "tacacs": 49, "talk": 517, "telnet": 23, "time": 37,
    "uucp": 540, "whois": 43, "www": 80, "biff": 512, "bootpc": 68, "bootps": 67,
    "dnsix": 195, "isakmp": 500, "mobile-ip": 434, "nameserver": 42, "netbios-dgm": 138,
    "netbios-ns": 137, "netbios-ss": 139, "non500-isakmp": 4500, "ntp": 123, "rip": 520,
    "snmp": 161, "snmptrap": 162, "syslog": 514, "tftp": 69, "xdmcp": 177,
}


@lru_cache(maxsize=8192)
def addr(text: str) -> IPv4Address:
    """An IPv4 address (cached: a hub config repeats the same masks and addresses)."""
    return IPv4Address(text)


def _prefix(bits: int, wildcard: bool) -> int:
    """Prefix length of a wildcard (``0.0.0.255``) or subnet mask (``255.255.255.0``).

    The two forms are told apart by context, never guessed: ``0.0.0.0`` is a host as a
    wildcard but everything as a mask.  A non-contiguous value raises ValueError.
    """
    host = bits if wildcard else bits ^ 0xFFFFFFFF
    if host & (host + 1):
        raise ValueError(f"non-contiguous {'wildcard' if wildcard else 'mask'}")
    return 32 - host.bit_length()


@lru_cache(maxsize=8192)
def wildcard_network(address: str, wildcard: str) -> IPv4Network:
    """``A W`` as IOS ACLs write it."""
    plen = _prefix(int(addr(wildcard)), True)
    return IPv4Network((int(addr(address)) >> (32 - plen) << (32 - plen), plen))


@lru_cache(maxsize=8192)
def network(address: str, mask: str) -> IPv4Network:
    """``A M`` with a subnet mask (routes, keyrings, ``match identity``)."""
    plen = _prefix(int(addr(mask)), False)
    return IPv4Network((int(addr(address)) >> (32 - plen) << (32 - plen), plen))


def contains(outer: IPv4Network, inner: IPv4Network) -> bool:
    """``inner`` ⊆ ``outer`` with integer arithmetic (``subnet_of`` is slow in a hot loop)."""
    plen = outer.prefixlen
    if plen > inner.prefixlen:
        return False
    shift = 32 - plen
    return int(inner.network_address) >> shift == int(outer.network_address) >> shift


def overlaps(a: IPv4Network, b: IPv4Network) -> bool:
    return contains(a, b) or contains(b, a)


def acl_address(net: IPv4Network) -> str:
    """``any``, ``host A`` or ``A wildcard`` — the forms IOS prints."""
    if net.prefixlen == 0:
        return "any"
    if net.prefixlen == 32:
        return f"host {net.network_address}"
    return f"{net.network_address} {net.hostmask}"


def read_acl_address(words: list[str], i: int) -> tuple[IPv4Network, int]:
    """An address at ``words[i]`` in any ACL form; returns it and the next index.

    Raises ValueError for a non-contiguous wildcard (no prefix can represent it).
    """
    w = words[i].lower()
    if w == "any":
        return ANY, i + 1
    if w == "host":
        return wildcard_network(words[i + 1], "0.0.0.0"), i + 2
    if i + 1 < len(words) and _is_dotted(words[i + 1]):
        return wildcard_network(words[i], words[i + 1]), i + 2
    return wildcard_network(words[i], "0.0.0.0"), i + 1


def netmask_network(address: str, mask: str) -> IPv4Network:
    """``A M`` with a subnet mask (routes, ``match identity address``) as a network."""
    return network(address, mask)


def _is_dotted(word: str) -> bool:
    return word.count(".") == 3 and word.replace(".", "").isdigit()


def port_number(word: str) -> int:
    if word.isdigit():
        return int(word)
    return PORT_NAMES[word.lower()]


def is_unicast(addr: IPv4Address) -> bool:
    """An address IOS can use as a tunnel endpoint."""
    return not (addr.is_unspecified or addr.is_multicast or int(addr) == 0xFFFFFFFF)


# ------------------------------------------------------------------------------- naming

PREFIX = "ccsec-"


def obj(rule: str) -> str:
    """The IOS object name of a rule (ACL, profiles, keyring, cert map): ``ccsec-<rule>``.

    IOS wants ACL names to start with a letter (a leading digit reads as a numbered ACL), and
    rule names may start with a digit; the prefix also keeps ccsec's objects recognizable.
    """
    return PREFIX + rule


def rule_of(name: str) -> str | None:
    """The rule name inside a ccsec object name, or None for a name ccsec did not write."""
    if name.startswith(PREFIX) and IDENT_RE.match(name[len(PREFIX):]):
        return name[len(PREFIX):]
    return None


# ---------------------------------------------------------------------------- free text

#: longest ``description`` IOS keeps on an interface [D]; crypto map entries assumed the same [V]
DESCRIPTION_MAX = 240


def text_problem(value: str, what: str) -> str | None:
    """Why ``value`` cannot be written as an IOS argument as-is (None when it can).

    IOS reads printable ASCII; ``?`` opens context help when pasted, a line break ends the
    command, and leading/trailing blanks are trimmed.
    """
    if not value:
        return f"{what} is empty"
    if not (value.isascii() and value.isprintable()):  # printable ASCII is 32..126
        return f"{what} {value!r} is not printable ASCII"
    if "?" in value:
        return f"{what} {value!r} contains '?', which IOS reads as a help request"
    if value != value.strip():
        return f"{what} {value!r} has leading or trailing blanks IOS would drop"
    return None


def encode_description(text: str) -> str:
    """A description as IOS can hold it: as-is when plain, else a JSON string literal.

    Plain = printable ASCII without ``?`` and not starting with ``"``.  Anything else (line
    breaks, non-ASCII, ``?``, edge blanks) is written as an ASCII JSON literal, so nothing is
    ever stripped and nothing can end the ``description`` line early.
    """
    if text_problem(text, "x") is None and not text.startswith('"'):
        return text
    return json.dumps(text, ensure_ascii=True).replace("?", "\\u003f")


def decode_description(text: str) -> str:
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            return text
        if isinstance(value, str):
            return value
    return text


# ------------------------------------------------------------------ algorithm vocabulary

IKEV2_ENCR: dict[Encr, str] = {
    Encr.DES: "des", Encr.TDES: "3des", Encr.AES128: "aes-cbc-128",
    Encr.AES192: "aes-cbc-192", Encr.AES256: "aes-cbc-256", Encr.AES128GCM: "aes-gcm-128",
    Encr.AES256GCM: "aes-gcm-256",
}
IKEV2_ENCR_WORDS = {v: k for k, v in IKEV2_ENCR.items()}
IKEV2_INTEG: dict[Integ, str] = {
    Integ.MD5: "md5", Integ.SHA1: "sha1", Integ.SHA256: "sha256", Integ.SHA384: "sha384",
    Integ.SHA512: "sha512",
}
IKEV2_INTEG_WORDS = {v: k for k, v in IKEV2_INTEG.items()}
IKEV2_PRF: dict[Prf, str] = {
    Prf.MD5: "md5", Prf.SHA1: "sha1", Prf.SHA256: "sha256", Prf.SHA384: "sha384",
    Prf.SHA512: "sha512",
}
IKEV2_PRF_WORDS = {v: k for k, v in IKEV2_PRF.items()}

#: ``crypto isakmp policy`` ``encryption`` arguments (``aes`` alone is AES-128)
IKEV1_ENCR: dict[Encr, str] = {
    Encr.DES: "des", Encr.TDES: "3des", Encr.AES128: "aes 128", Encr.AES192: "aes 192",
    Encr.AES256: "aes 256",
}
IKEV1_ENCR_WORDS = {v: k for k, v in IKEV1_ENCR.items()} | {"aes": Encr.AES128}
IKEV1_HASH: dict[Integ, str] = {
    Integ.MD5: "md5", Integ.SHA1: "sha", Integ.SHA256: "sha256", Integ.SHA384: "sha384",
    Integ.SHA512: "sha512",
}
IKEV1_HASH_WORDS = {v: k for k, v in IKEV1_HASH.items()} | {"sha1": Integ.SHA1}

#: transform-set words (§5.4); ``esp-aes``/``esp-gcm``/``esp-gmac`` take an optional key size
ESP_ENCR: dict[Encr, str] = {
    Encr.DES: "esp-des", Encr.TDES: "esp-3des", Encr.AES128: "esp-aes 128",
    Encr.AES192: "esp-aes 192", Encr.AES256: "esp-aes 256", Encr.AES128GCM: "esp-gcm 128",
    Encr.AES256GCM: "esp-gcm 256", Encr.AES128GMAC: "esp-gmac 128",
    Encr.AES256GMAC: "esp-gmac 256", Encr.NULL: "esp-null",
}
ESP_ENCR_WORDS = {v: k for k, v in ESP_ENCR.items()}
#: the key size IOS assumes when a sized cipher is written without one [V for gcm/gmac]
ESP_SIZED_DEFAULT = {"esp-aes": Encr.AES128, "esp-gcm": Encr.AES128GCM,
                     "esp-gmac": Encr.AES128GMAC}
ESP_INTEG: dict[Integ, str] = {
    Integ.MD5: "esp-md5-hmac", Integ.SHA1: "esp-sha-hmac", Integ.SHA256: "esp-sha256-hmac",
    Integ.SHA384: "esp-sha384-hmac", Integ.SHA512: "esp-sha512-hmac",
}
ESP_INTEG_WORDS = {v: k for k, v in ESP_INTEG.items()}
AH_INTEG: dict[Integ, str] = {
    Integ.MD5: "ah-md5-hmac", Integ.SHA1: "ah-sha-hmac", Integ.SHA256: "ah-sha256-hmac",
    Integ.SHA384: "ah-sha384-hmac", Integ.SHA512: "ah-sha512-hmac",
}
AH_INTEG_WORDS = {v: k for k, v in AH_INTEG.items()}
