"""Where the rules are, as the pairing's indexes ask it: addresses as keys that hash in C, and
each rule's own addresses read once.

:mod:`ipaddress` hashes an address in Python (``hash(hex(int(self._ip)))`` in 3.11) and
answers ``is_unspecified`` through ``__eq__``: a 1,000-site pairing asked these ~690,000 times,
its largest cost.  An IPv4 address is keyed by its integer instead; an IPv6 address (rare)
stays the object itself — an ``int`` never equals an :class:`~ipaddress.IPv6Address`, so the
two families never collide, and an IPv6 address keeps its scope (``fe80::1%eth0`` is not
``fe80::1``) as :mod:`ipaddress` compares them.  Two keys are equal exactly when their
addresses are.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address

from ccsec.policy import Address, Rule

#: an address as a dict key: an IPv4 address's integer, an IPv6 address itself
AddrKey = int | IPv6Address


def addr_key(a: Address) -> AddrKey:
    """The key of ``a`` (equal keys ⇔ equal addresses)."""
    return int(a) if isinstance(a, IPv4Address) else a


def unspecified(key: AddrKey) -> bool:
    """``is_unspecified`` of the address with this key (0.0.0.0, ::)."""
    return key == 0 if isinstance(key, int) else key.is_unspecified


class RulePlace:
    """One rule's addresses, read once for the whole walk: its own and its peer's as keys,
    whether each is unspecified (any local address; any peer), and the public address of the
    NAT in front of it (and its key).  ``seen``: where an initiator using the rule is seen —
    its own address and the public one, in that order; None when the rule answers on any
    local address (then it is seen wherever its end is, which the pairing knows per end)."""

    __slots__ = ("local", "local_any", "peer", "peer_any", "public", "public_key", "seen")

    def __init__(self, r: Rule, public_at: dict[AddrKey, Address]) -> None:
        # addr_key and unspecified, inline (every rule of every end)
        local, peer = r.local_address, r.peer_address
        if isinstance(local, IPv4Address):
            self.local: AddrKey = int(local)
            self.local_any = self.local == 0
        else:
            self.local, self.local_any = local, local.is_unspecified
        if isinstance(peer, IPv4Address):
            self.peer: AddrKey = int(peer)
            self.peer_any = self.peer == 0
        else:
            self.peer, self.peer_any = peer, peer.is_unspecified
        public = self.public = public_at.get(self.local) if public_at else None
        self.public_key = None if public is None else addr_key(public)
        self.seen: dict[AddrKey, Address] | None = None
        if not self.local_any:
            self.seen = {self.local: local}
            if public is not None:
                self.seen.setdefault(addr_key(public), public)
