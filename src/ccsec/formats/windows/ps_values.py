"""The values a PowerShell script hands to a cmdlet, and how the interpreter coerces them.

A parameter value is text, ``$true``/``$false``/``$null``, an object an earlier cmdlet made
(a proposal, a set, a rule, a GPO session), a list of those, or a :class:`Dyn` — something
only known when the script runs, which ccsec never guesses.  The coercions here turn a value
into what a parameter takes (strings, one enum word, a number, addresses, a protocol, a port)
the way the cmdlet would, and raise :class:`BadStatement` with the parameter's name when it
cannot; :func:`esp_proposal` turns a quick-mode proposal's parameters into the model's terms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from ipaddress import (
    AddressValueError,
    IPv4Address,
    IPv4Network,
    NetmaskValueError,
    summarize_address_range,
)
from typing import Any, TypeAlias

from ccsec.crypto import Encr, EspProposal, Integ, is_aead
from ccsec.formats.windows.netsecurity import (
    AuthProposal,
    MainModeRule,
    MmProposal,
    ObjSet,
    QmProposal,
    WinRule,
)
from ccsec.formats.windows.vocabulary import (
    DH_NAMES,
    GCM_HASH,
    MM_ENCR,
    MM_HASH,
    PROTO_IN,
    QM_ENCR,
    QM_HASH,
    SECURITY,
)
from ccsec.policy import Security


class BadStatement(Exception):
    """A problem on the current statement (becomes a ParseError with file:line)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: the line of the token at fault; ``None``: the statement's first line
        self.line = line


@dataclass(frozen=True)
class Dyn:
    """A value only known when the script runs (``$env:X``, ``"$a"``, ``$(…)``, a Get- call)."""

    why: str


@dataclass(frozen=True)
class GpoSession:
    """What Open-NetGPO returns: a session on a GPO's policy store."""

    store: str


@dataclass(frozen=True)
class Splat:
    """A hash table of parameter names and values (``@{ PolicyStore = 'x' }``), passed to a
    cmdlet as ``@name``."""

    params: tuple[tuple[str, Value], ...]


#: what a variable, a parameter or a list element can hold
Value: TypeAlias = (str | int | bool | Dyn | GpoSession | Splat | MmProposal | QmProposal
                    | AuthProposal | ObjSet[Any] | MainModeRule | WinRule | list["Value"] | None)

NUMBER = re.compile(r"^[0-9]{1,18}$")

MM_ENCR_IN = {v.lower(): k for k, v in MM_ENCR.items()}
MM_HASH_IN = {v.lower(): k for k, v in MM_HASH.items()}
DH_IN = {v.lower(): k for k, v in DH_NAMES.items()}
QM_ENCR_IN = {v.lower(): k for k, v in QM_ENCR.items()}
QM_HASH_IN = {v.lower(): k for k, v in QM_HASH.items()}
#: every -Encryption and every -Hash/-ESPHash/-AHHash word the cmdlets accept
ENCR_WORDS = ("none", "des", "des3", "aes128", "aes192", "aes256", "aesgcm128", "aesgcm192",
              "aesgcm256")
HASH_WORDS = ("none", "md5", "sha1", "sha256", "sha384", "aesgmac128", "aesgmac192",
              "aesgmac256")
#: -InboundSecurity / -OutboundSecurity words (lower case) → model values
SECURITY_IN: dict[str, Security] = {word.lower(): model for model, word in SECURITY.items()}


def member_of(value: Value, name: str) -> Value:
    """``value.Name``: the names of objects a script made, a GPO session's store; else Dyn."""
    if isinstance(value, Dyn):
        return value
    low = name.lower()
    if isinstance(value, (ObjSet, MainModeRule, WinRule)):
        if low == "name":
            return value.name
        if low == "displayname" and not isinstance(value, WinRule):
            return value.display
    if isinstance(value, GpoSession) and low == "policystore":
        return value.store
    return Dyn(f"the property .{name[:40]} is read at run time")


#: the longest list a script may build (``$b = @($a, $a)`` repeated doubles it each line: 30
#: lines would be a billion values)
MAX_VALUES = 100_000


def flatten(values: Iterable[Value]) -> list[Value]:
    """A list of values with nested lists spliced in; refused past :data:`MAX_VALUES`."""
    out: list[Value] = []
    for v in values:
        if isinstance(v, list):
            if len(out) + len(v) > MAX_VALUES:
                raise BadStatement(f"a list of more than {MAX_VALUES:,} values")
            out += flatten(v)
        elif v is not None:
            out.append(v)
    if len(out) > MAX_VALUES:
        raise BadStatement(f"a list of more than {MAX_VALUES:,} values")
    return out


def as_strings(value: Value, param: str, split: bool = True) -> list[str]:
    """A parameter value as strings ('Wired, Wireless' and Wired, Wireless alike)."""
    if isinstance(value, str):  # the common case, one text value: no list to flatten
        return list(_text_items(value, split))
    out: list[str] = []
    for v in flatten([value]):
        if isinstance(v, Dyn):
            raise BadStatement(f"-{param}: {v.why}")
        if isinstance(v, bool) or not isinstance(v, (str, int)):
            raise BadStatement(f"-{param} takes text, not an object")
        parts = str(v).split(",") if split else [str(v)]
        out += [p.strip() for p in parts if p.strip()]
    return out


#: the texts a deployment's scripts give recur thousands of times (Any, Require, IKEv1 …):
#: the conversions of one text value are remembered (errors are not: they are raised anew)
_TEXTS = 65536


@lru_cache(maxsize=_TEXTS)
def _text_items(value: str, split: bool) -> tuple[str, ...]:
    return tuple(p.strip() for p in (value.split(",") if split else [value]) if p.strip())


def as_enum(value: Value, allowed: Iterable[str], param: str) -> str:
    """One of ``allowed`` (lower case), PowerShell's case-insensitive enum conversion."""
    allowed = tuple(allowed)
    if isinstance(value, str):
        return _text_enum(value, allowed, param)
    return _enum(as_strings(value, param), allowed, param)


@lru_cache(maxsize=_TEXTS)
def _text_enum(value: str, allowed: tuple[str, ...], param: str) -> str:
    return _enum(list(_text_items(value, True)), allowed, param)


def _enum(items: list[str], allowed: tuple[str, ...], param: str) -> str:
    if len(items) != 1 or items[0].lower() not in allowed:
        shown = repr(", ".join(items)[:40])
        raise BadStatement(f"-{param} {shown}: expected one of {', '.join(allowed)}")
    return items[0].lower()


def names_algorithm(named: dict[str, Value], param: str) -> bool:
    """Whether ``param`` names an algorithm (not absent, not ``None``)."""
    value = named.get(param)
    return value is not None and not (isinstance(value, str) and value.lower() == "none")


def as_int(value: Value, param: str, lo: int) -> int:
    if isinstance(value, str):
        return _text_int(value, param, lo)
    return _int(as_strings(value, param), param, lo)


@lru_cache(maxsize=_TEXTS)
def _text_int(value: str, param: str, lo: int) -> int:
    return _int(list(_text_items(value, True)), param, lo)


def _int(items: list[str], param: str, lo: int) -> int:
    if len(items) != 1 or not NUMBER.match(items[0]) or int(items[0]) < lo:
        raise BadStatement(f"-{param} {', '.join(items)[:40]!r}: expected a whole number "
                           f">= {lo}")
    return int(items[0])


def as_bool(value: Value, param: str) -> bool:
    if isinstance(value, bool):
        return value
    word = as_enum(value, ("true", "false", "1", "0"), param)
    return word in ("true", "1")


def as_text(value: Value) -> str | None:
    return value if isinstance(value, str) else None


def literal_name(named: dict[str, Value], param: str, fallback: str) -> str:
    value = named.get(param)
    if value is None:
        return fallback
    if not isinstance(value, str) or not value:
        raise BadStatement(f"-{param} must be a literal name")
    return value


def as_ipv4(item: str, param: str) -> list[IPv4Network]:
    try:
        return list(_ipv4_nets(item))
    except (AddressValueError, NetmaskValueError, ValueError, TypeError):
        raise BadStatement(f"-{param} {item[:40]!r} is not an IPv4 address, subnet or "
                           "range") from None


#: one IPv4 address in the only spelling :class:`IPv4Address` accepts (decimal octets up to
#: 255 without leading zeros)
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
QUAD = re.compile(r"\.".join([_OCTET] * 4))


@lru_cache(maxsize=65536)  # the same addresses recur in every script of a deployment
def _ipv4_nets(item: str) -> tuple[IPv4Network, ...]:
    quad = QUAD.fullmatch(item)
    if quad:  # the network of one address, from its number (what parsing the text gives)
        a, b, c, d = map(int, quad.groups())
        return (IPv4Network(a << 24 | b << 16 | c << 8 | d),)
    if "-" in item:
        first, _, last = item.partition("-")
        return tuple(summarize_address_range(IPv4Address(first.strip()),
                                             IPv4Address(last.strip())))
    return (IPv4Network(item, strict=False),)


def as_protocol(value: Value) -> int | None:
    if isinstance(value, str):
        return _text_protocol(value)
    return _protocol(as_strings(value, "Protocol"))


@lru_cache(maxsize=_TEXTS)
def _text_protocol(value: str) -> int | None:
    return _protocol(list(_text_items(value, True)))


def _protocol(word: list[str]) -> int | None:
    if len(word) != 1:
        raise BadStatement("-Protocol takes one protocol")
    low = word[0].lower()
    if low in PROTO_IN:
        return PROTO_IN[low]
    if NUMBER.match(low) and int(low) <= 255:
        return int(low)
    raise BadStatement(f"-Protocol {word[0][:40]!r}: expected Any, TCP, UDP, ICMPv4, ICMPv6 "
                       "or 0..255")


def as_port(value: str, param: str) -> int | None:
    if value.lower() == "any":
        return None
    if NUMBER.match(value) and 1 <= int(value) <= 65535:
        return int(value)
    raise BadStatement(f"-{param} {value[:40]!r}: the policy model takes single ports "
                       "1..65535 or Any (no ranges or keywords)")


def esp_proposal(encap: frozenset[str],
                 named: dict[str, Value]) -> tuple[EspProposal | None, str | None]:
    """A quick-mode proposal in the model's terms, or why it has none."""
    if "none" in encap or not encap:
        return None, "-Encapsulation None protects nothing"
    ah: Integ | None = None
    if "ah" in encap:
        word = as_enum(named.get("AHHash", "None"), HASH_WORDS, "AHHash")
        if word not in QM_HASH_IN:
            return None, f"AH with -AHHash {word} has no model equivalent"
        ah = QM_HASH_IN[word]
    if "esp" not in encap:
        return EspProposal(encryption=None, ah=ah), None
    enc = as_enum(named.get("Encryption", "None"), ENCR_WORDS, "Encryption")
    hsh = as_enum(named.get("ESPHash", "None"), HASH_WORDS, "ESPHash")
    cipher = QM_ENCR_IN[enc]
    if is_aead(cipher):
        if hsh not in ("none", GCM_HASH[cipher].lower()):
            raise BadStatement(f"-Encryption {QM_ENCR[cipher]} pairs with -ESPHash "
                               f"{GCM_HASH[cipher]} (got {hsh}) [O]")
        return EspProposal(encryption=cipher, ah=ah), None
    if hsh != "none" and hsh not in QM_HASH_IN:
        return None, f"-ESPHash {hsh} has no model equivalent without AES-GCM"
    integ = QM_HASH_IN.get(hsh)
    if cipher == Encr.NULL and integ is None:
        return None, "ESP with neither encryption nor integrity"
    return EspProposal(encryption=cipher, integrity=integ, ah=ah), None


