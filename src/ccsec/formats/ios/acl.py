"""IOS access lists: reading an ACE, and an index for first-match lookups by destination.

An ACE ccsec cannot represent (port ranges, object groups, options other than ``log``) is not
dropped silently: its line is kept in :attr:`Acl.unread`, and the importer warns where the ACL
decides what a rule protects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Network

from ccsec.formats.ios.tree import ANY, PROTO_NUMBERS, port_number, read_acl_address


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
    #: lines of ACEs ccsec cannot represent
    unread: list[int] = field(default_factory=list)


def add_ace(acl: Acl, w: list[str], line: int, standard: bool) -> None:
    """One ACE line (sequence number, if any, first); remarks are skipped."""
    if w and w[0].isdigit():
        w = w[1:]
    if not w or w[0] == "remark":
        return
    try:
        acl.aces.append(read_ace(w, line, standard))
    except (ValueError, IndexError, KeyError):
        acl.unread.append(line)


def read_ace(w: list[str], line: int, standard: bool) -> Ace:
    """``permit|deny`` and what follows; raises ValueError/KeyError/IndexError for what ccsec
    cannot represent."""
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
    sport, i = _port(w, i)
    dst, i = read_acl_address(w, i)
    dport, i = _port(w, i)
    if any(x not in ("log", "log-input") for x in w[i:]):
        raise ValueError("ACE options")
    return Ace(action, proto, src, dst, sport, dport, line)


def _port(w: list[str], i: int) -> tuple[int | None, int]:
    if i < len(w) and w[i] == "eq":
        port = port_number(w[i + 1])
        if i + 2 < len(w) and (w[i + 2].isdigit() or w[i + 2] in ("www", "domain")):
            raise ValueError("several ports")
        return port, i + 2
    if i < len(w) and w[i] in ("neq", "lt", "gt", "range"):
        raise ValueError("port range")
    return None, i


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
