"""strongSwan's address lists and traffic selectors, shared by swanctl.conf and ipsec.conf.

Address lists (``local_addrs``/``remote_addrs``, ``left``/``right``): comma-separated IP
addresses, subnets (``10.0.0.0/24``), ranges (``10.0.0.1-10.0.0.9``), host names, ``%any``,
``%any4``, ``%any6`` (swanctl.conf(5)); ipsec.conf adds ``%defaultroute`` and a ``%`` prefix
that asks charon to accept any peer while preferring the named one.  As initiator charon sends
IKE to the first entry; as responder it accepts a peer from any entry.

Traffic selectors (``local_ts``/``remote_ts``, ``leftsubnet``/``rightsubnet``): subnets,
ranges or ``dynamic`` (the IKE address, or the virtual IP of that side), each optionally with
``[protocol/port]`` where the protocol is a name or number and the port a number, a range
``a-b``, ``%any`` or ``%opaque`` (swanctl.conf(5) ``local_ts``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import (
    IPv4Address,
    IPv4Network,
    IPv6Network,
    ip_address,
    ip_network,
    summarize_address_range,
)
from socket import AF_INET, inet_pton

from ccsec.policy import ANY_ADDRESS, Address, Network


def fast_address(text: str) -> Address:
    """:func:`ipaddress.ip_address`, with a C fast path for the common dotted quad: a 10 MB
    ipsec.conf holds half a million addresses and the pure-Python octet parser was a quarter
    of its reading time.  ``inet_pton`` accepts exactly the strict dotted-decimal form that
    ``ipaddress`` accepts (four parts, no leading zeros); anything else takes the slow path,
    with its errors."""
    try:
        return IPv4Address(inet_pton(AF_INET, text))
    except OSError:
        return ip_address(text)


def fast_network(text: str) -> Network:
    """:func:`ipaddress.ip_network` (``strict=False``) with the same fast path for
    ``a.b.c.d/len`` (and a bare address)."""
    addr, slash, length = text.partition("/")
    if length.isascii() and length.isdigit() and len(length) <= 2 and int(length) <= 32:
        try:
            packed = inet_pton(AF_INET, addr)
        except OSError:
            pass
        else:
            return IPv4Network((int.from_bytes(packed, "big"), int(length)), strict=False)
    elif not slash:
        try:
            return IPv4Network(IPv4Address(inet_pton(AF_INET, text)))
        except OSError:
            pass
    return ip_network(text, strict=False)

#: protocol names strongSwan resolves (``getprotobyname`` on the test systems, the common ones)
PROTOCOLS = {"icmp": 1, "igmp": 2, "tcp": 6, "udp": 17, "gre": 47, "esp": 50, "ah": 51,
             "icmpv6": 58, "ipv6-icmp": 58, "ipv6icmp": 58, "sctp": 132, "udplite": 136,
             "ospf": 89, "pim": 103, "l2tp": 115, "ipencap": 4, "ipv6": 41}
#: service names the corpus of real configurations uses for ports (``/etc/services``)
SERVICES = {"http": 80, "https": 443, "ssh": 22, "domain": 53, "ntp": 123, "isakmp": 500,
            "ipsec-nat-t": 4500, "snmp": 161, "smtp": 25, "telnet": 23, "ftp": 21,
            "radius": 1812, "bootps": 67, "bootpc": 68, "l2tp": 1701, "sip": 5060}
ANY_WORDS = frozenset({"%any", "%any4", "%any6", "%defaultroute", "0.0.0.0", "::", ""})


class SelectorError(ValueError):
    """A selector or address strongSwan would refuse (the message says which and why)."""


@dataclass(frozen=True)
class AddressList:
    """What an ``*_addrs``/``left``/``right`` value says."""

    #: concrete addresses, in the order written (the first is where an initiator sends IKE)
    addresses: tuple[Address, ...] = ()
    #: subnets and ranges a responder accepts its peer from
    ranges: tuple[Network, ...] = ()
    #: host names, to be resolved by the audit
    names: tuple[str, ...] = ()
    #: ``%any``/unset: any address (of the family ``any_family`` when ``%any4``/``%any6``)
    any: bool = False
    any_family: int | None = None
    #: the raw entries that were not understood (reported by the caller)
    unread: tuple[str, ...] = ()

    @property
    def first(self) -> Address:
        return self.addresses[0] if self.addresses else ANY_ADDRESS

    @property
    def concrete(self) -> bool:
        """Exactly one address and nothing else: where this side is."""
        return len(self.addresses) == 1 and not (self.ranges or self.names or self.any)

    @property
    def family(self) -> int | None:
        for a in self.addresses:
            return a.version
        for n in self.ranges:
            return n.version
        return self.any_family


def parse_addresses(text: str | None) -> AddressList:
    """An address list as charon reads it (unset = ``%any``)."""
    if text is None or not text.strip():
        return AddressList(any=True)
    addrs: list[Address] = []
    ranges: list[Network] = []
    names: list[str] = []
    unread: list[str] = []
    any_ = False
    family: int | None = None
    for raw in text.split(","):
        item = raw.strip()
        if item.startswith("%") and item.lower() not in ANY_WORDS:
            item = item[1:]  # ipsec.conf: %addr = prefer addr, accept any
            any_ = True
        low = item.lower()
        if low in ANY_WORDS:
            any_ = True
            family = {"%any4": 4, "%any6": 6}.get(low, family)
            continue
        try:
            addrs.append(fast_address(item))
            continue
        except ValueError:
            pass
        if "/" in item:
            try:
                ranges.append(fast_network(item))
                continue
            except ValueError:
                unread.append(item)
                continue
        if "-" in item and _is_range(item):
            ranges += list(_range(item))
            continue
        if _is_hostname(item):
            names.append(item)
        else:
            unread.append(item)
    return AddressList(tuple(addrs), tuple(ranges), tuple(names), any_, family, tuple(unread))


def _is_hostname(text: str) -> bool:
    return bool(text) and all(p and (p.replace("-", "").replace("_", "").isalnum())
                              for p in text.rstrip(".").split("."))


def _is_range(text: str) -> bool:
    lo, _, hi = text.partition("-")
    try:
        fast_address(lo.strip())
        fast_address(hi.strip())
    except ValueError:
        return False
    return True


def _range(text: str) -> list[Network]:
    lo, _, hi = text.partition("-")
    a, b = fast_address(lo.strip()), fast_address(hi.strip())
    if a.version != b.version or int(b) < int(a):
        raise SelectorError(f"'{text}' is not an address range")
    return list(summarize_address_range(a, b))


# ----------------------------------------------------------------------------- selectors


@dataclass(frozen=True)
class Selector:
    """One traffic selector: a network (or the dynamic address), protocol and port range."""

    network: Network
    protocol: int | None = None
    port: int | None = None
    port_max: int | None = None
    dynamic: bool = False


@dataclass
class SelectorList:
    selectors: list[Selector] = field(default_factory=list)
    #: what a selector entry said that ccsec keeps as a note (``%opaque`` ports…)
    notes: list[str] = field(default_factory=list)


def whole(family: int | None) -> Network:
    """Every address of a family (IPv4 unless it is 6)."""
    return IPv6Network("::/0") if family == 6 else IPv4Network("0.0.0.0/0")


def host_net(address: Address) -> Network:
    """The /32 (/128) of ``address``, built from its integer (``ip_network(address)`` goes
    through the address's text again)."""
    cls = IPv4Network if address.version == 4 else IPv6Network
    return cls((int(address), address.max_prefixlen))


def parse_selectors(text: str | None, dynamic: list[Network]) -> SelectorList:
    """A ``*_ts``/``*subnet`` value; ``dynamic`` is what ``dynamic`` stands for on this side
    (the /32 of the IKE address, the virtual IP pools, or the whole family when unknown)."""
    out = SelectorList()
    items = [t.strip() for t in (text or "dynamic").split(",") if t.strip()]
    for item in items or ["dynamic"]:
        net_text, _, sel = item.partition("[")
        proto, port, port_max = _proto_port(sel.rstrip("]").strip(), out) if sel else (None,
                                                                                       None, None)
        net_text = net_text.strip()
        if net_text.lower() in ("dynamic", "%dynamic", ""):
            for n in dynamic:
                out.selectors.append(Selector(n, proto, port, port_max, dynamic=True))
            continue
        for n in _networks(net_text):
            out.selectors.append(Selector(n, proto, port, port_max))
    return out


def _networks(text: str) -> list[Network]:
    if text.lower() in ("%any", "0.0.0.0/0", "%any4"):
        return [IPv4Network("0.0.0.0/0")]
    if text.lower() in ("%any6", "::/0"):
        return [IPv6Network("::/0")]
    if "-" in text and "/" not in text:
        return _range(text)
    try:
        return [fast_network(text)]
    except ValueError:
        raise SelectorError(f"'{text}' is not a subnet, range or 'dynamic'") from None


def _proto_port(text: str, out: SelectorList) -> tuple[int | None, int | None, int | None]:
    proto_text, _, port_text = text.partition("/")
    proto_text = proto_text.strip().lower()
    proto: int | None
    if proto_text in ("", "%any", "0", "any"):
        proto = None
    elif proto_text.isdigit():
        proto = int(proto_text)
    elif proto_text in PROTOCOLS:
        proto = PROTOCOLS[proto_text]
    else:
        raise SelectorError(f"unknown protocol '{proto_text}'")
    port_text = port_text.strip().lower()
    if port_text in ("", "%any", "0", "any"):
        return proto, None, None
    if port_text == "%opaque":
        out.notes.append("port %opaque (fragments without port information) read as any port")
        return proto, None, None
    lo, dash, hi = port_text.partition("-")
    try:
        low = _port(lo)
        high = _port(hi) if dash else None
    except ValueError:
        raise SelectorError(f"port '{port_text}' is not a number, range or service "
                            "name") from None
    if high is not None and high == low:
        high = None
    if high is not None and high < low:
        raise SelectorError(f"port range '{port_text}' ends before it starts")
    if low == 0 and high is not None:
        low = 1
    return proto, low or None, high


def _port(text: str) -> int:
    text = text.strip()
    if text.isdigit():
        value = int(text)
        if value > 65535:
            raise ValueError(text)
        return value
    if text in SERVICES:
        return SERVICES[text]
    raise ValueError(text)
