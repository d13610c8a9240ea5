"""The platform-neutral IPsec policy model, shaped like the Windows IP Security Policy wizard.

MISSION B1: a policy holds rules; a rule is a filter list (specific source/destination, protocol
any, mirrored) + a filter action (negotiate security, no fall back to clear text, the integrity
and encryption algorithms) + authentication methods + connection type (all) + tunnel setting
(none = transport), plus the IKE main-mode methods.  The default response rule is a policy flag
that ccsec never sets.

The model is the one thing every renderer reads and every parser produces.  Identifiers (policy
and rule names) are restricted to letters, digits and hyphens, so no format ever needs to quote
them; descriptions are free text and each format encodes (or refuses) them itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from ccsec.crypto import DH_GROUPS, EspProposal, IkeProposal, IkeVersion
from ccsec.secrets import Secret
from ccsec.workers import FastPickle, fast_pickle

if TYPE_CHECKING:  # paths imports the deployment package, which must not import us back
    from ccsec.paths import Path

#: the one definition of a policy object name: letters, digits, hyphens, 1-80 characters.  Every
#: format writes such a name unquoted, so each parser turns a real-world name into one with
#: :func:`to_ident`.
IDENT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9-]{0,79}$"
IDENT_RE = re.compile(IDENT_PATTERN)

Ident = Annotated[
    str,
    StringConstraints(pattern=IDENT_PATTERN),
    Field(description="object name: letters, digits, hyphens (safe in every format unquoted)"),
]


def to_ident(name: str, fallback: str = "rule", collapse: bool = False) -> str:
    """A real-world name (IOS map, Windows rule, swanctl connection…) as a policy identifier.

    Names ccsec wrote come back unchanged; any other character becomes a hyphen, so two
    imports of the same file give the same names.  ``collapse`` squeezes runs of hyphens (the
    Windows importers, whose display names are sentences)."""
    if IDENT_RE.match(name):
        return name
    cleaned = "".join(c if c.isascii() and (c.isalnum() or c == "-") else "-" for c in name)
    if collapse:
        cleaned = re.sub("-{2,}", "-", cleaned).strip("-")
        return (cleaned or fallback)[:80].rstrip("-") or fallback
    return (cleaned.strip("-") or fallback)[:80]


Security = Literal["require", "request", "none"]
#: ``email`` is an RFC 822 address (``user@fqdn``, IKE's ID_RFC822_ADDR)
IdentityKind = Literal["address", "fqdn", "email", "dn", "keyid"]
AuthMethod = Literal["kerberos", "certificate", "psk"]
#: an IP address or network of either family.  Plans are IPv4; real configurations (strongSwan
#: above all) are read with IPv6 and mixed families, and the formats that cannot write IPv6
#: refuse it in their support tables
Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network
#: "no address": any local address (strongSwan ``local_addrs`` unset, ``%defaultroute``) or any
#: peer (``%any``, a dynamic crypto map)
ANY_ADDRESS = IPv4Address("0.0.0.0")


def is_any(address: Address) -> bool:
    """``0.0.0.0`` or ``::`` — the "any address" of either family."""
    return address.is_unspecified


def subnet(inner: Network, outer: Network) -> bool:
    """``inner`` lies within ``outer`` (networks of different families never do)."""
    if isinstance(inner, IPv4Network) and isinstance(outer, IPv4Network):
        return inner.subnet_of(outer)
    if isinstance(inner, IPv6Network) and isinstance(outer, IPv6Network):
        return inner.subnet_of(outer)
    return False


def v4(address: Address) -> IPv4Address:
    """An address as IPv4, for the formats that write IPv4 only: their support tables refuse
    IPv6 before anything is rendered, so an IPv6 address here is a programming error."""
    if not isinstance(address, IPv4Address):
        raise TypeError(f"{address} is not IPv4 (the format's refusals should have caught it)")
    return address


def v4net(network: Network) -> IPv4Network:
    """A network as IPv4 (see :func:`v4`)."""
    if not isinstance(network, IPv4Network):
        raise TypeError(f"{network} is not IPv4 (the format's refusals should have caught it)")
    return network


class _Value(FastPickle, BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


fast_pickle(Secret)  # (secrets sits beside workers in the lowest layer: it cannot say it itself)


_CONTROL_OR_QUOTE = re.compile(r'[\x00-\x1f"]')


def _no_control(value: str, what: str) -> str:
    if _CONTROL_OR_QUOTE.search(value):
        raise ValueError(f"{what} must not contain control characters or double quotes")
    return value


class Identity(_Value):
    """An IKE identity: an address, an FQDN, an RFC 822 address, a distinguished name or a key
    id.  A ``*`` in an FQDN, an RFC 822 address or a DN's values is a wildcard (strongSwan
    matches a remote identity such as ``*@example.com`` or ``C=CH, O=ACME, CN=*``)."""

    kind: IdentityKind
    value: str = Field(min_length=1)

    @field_validator("value")
    @classmethod
    def _clean(cls, v: str) -> str:
        return _no_control(v, "an identity")

    def model_post_init(self, __context: object) -> None:
        if self.kind == "address":
            ip_address(self.value)

    def __str__(self) -> str:
        return self.value


class Auth(_Value):
    """One authentication method (a rule lists them in preference order)."""

    method: AuthMethod
    #: certificate: subject DN of the trusted root CA
    ca: str | None = None
    #: psk: the key; ``None`` when the config holds it in a form ccsec cannot read (IOS type 6)
    psk: Secret | None = Field(default=None, repr=False)

    @field_validator("ca")
    @classmethod
    def _clean(cls, v: str | None) -> str | None:
        return None if v is None else _no_control(v, "a CA name")


class Filter(_Value):
    """One filter of a rule's filter list, seen from this end (local = this host's side).

    A port range is ``local_port``..``local_port_max`` (``None``: the one port).  A *dynamic*
    side (strongSwan ``dynamic``, the default traffic selector) is whatever address the IKE SA
    runs between — or the virtual IP assigned to that side; the network holds what the
    configuration alone tells (the /32 of a concrete address, else the whole family) and the
    negotiation resolves it per session."""

    local: Network
    remote: Network
    protocol: int | None = Field(default=None, ge=0, le=255, description="None = any")
    local_port: int | None = Field(default=None, ge=1, le=65535)
    remote_port: int | None = Field(default=None, ge=1, le=65535)
    local_port_max: int | None = Field(default=None, ge=1, le=65535)
    remote_port_max: int | None = Field(default=None, ge=1, le=65535)
    mirrored: bool = True
    local_dynamic: bool = False
    remote_dynamic: bool = False

    @property
    def has_range(self) -> bool:
        return self.local_port_max is not None or self.remote_port_max is not None

    @property
    def dynamic(self) -> bool:
        return self.local_dynamic or self.remote_dynamic


class AuthRound(_Value):
    """One authentication round as strongSwan configures it (``local``/``remote`` sections,
    ``local-N``/``remote-N`` for more rounds; ``leftauth``/``rightauth``/``leftauth2`` in
    ipsec.conf): how this end proves itself and what it requires of its peer.  Methods are
    strongSwan's words: ``pubkey`` (any signature), ``psk``, ``eap`` (any EAP method the server
    proposes), ``eap-md5`` & co., ``xauth``, ``xauth-<backend>``, ``eap-radius``…; ``""`` = this
    direction has no such round."""

    local: str = ""
    remote: str = ""
    #: this end's identity in the round (``id``, or ``eap_id``/``xauth_id`` of an EAP/XAUTH round)
    local_id: Identity | None = None
    #: the identity it requires of the peer (``None``: any)
    remote_id: Identity | None = None
    #: the EAP/XAUTH password this end holds for its own identity (client side)
    secret: Secret | None = Field(default=None, repr=False)


class Ike(_Value):
    """Key exchange (main mode) settings."""

    version: IkeVersion
    exchange: Literal["main", "aggressive"] = "main"
    proposals: tuple[IkeProposal, ...] = Field(min_length=1)
    #: real configurations use short lifetimes in tests (strongSwan accepts any positive value)
    lifetime_s: int = Field(default=28800, ge=1)


class Rule(_Value):
    """One IPsec rule: a filter list, a filter action, authentication, tunnel setting."""

    name: Ident
    description: str = ""
    mode: Literal["transport", "tunnel"] = "transport"
    #: where this end sends and receives IKE; :data:`ANY_ADDRESS` = any local address
    local_address: Address
    #: where the peer is; :data:`ANY_ADDRESS` = any peer (unless ``peer_name`` says otherwise)
    peer_address: Address
    #: the host name a configuration gives for the peer (``remote_addrs = vpn.example.com``):
    #: the audit resolves it (``--hosts``) or reports it unresolved — never "any peer"
    peer_name: str | None = None
    #: more addresses (or ranges) the rule accepts its peer from, as responder
    peer_alternatives: tuple[Network, ...] = ()
    local_id: Identity | None = None
    peer_id: Identity | None = None
    filters: tuple[Filter, ...] = Field(min_length=1)
    action: Literal["negotiate", "permit", "block"] = "negotiate"
    #: require = never talk in clear text; request = fall back to clear text (forbidden by ccsec)
    inbound: Security = "require"
    outbound: Security = "require"
    auth: tuple[Auth, ...] = Field(min_length=1)
    ike: Ike
    esp: tuple[EspProposal, ...] = Field(min_length=1)
    pfs_group: int | None = None
    #: further PFS groups the rule accepts (strongSwan lists several per proposal or one per
    #: proposal); 0 = no PFS
    pfs_alternatives: tuple[int, ...] = ()
    lifetime_s: int = Field(default=3600, ge=1)
    lifetime_kb: int | None = Field(default=100000, ge=1)
    connection_type: Literal["all", "lan", "dialup"] = "all"
    nat_traversal: bool = True
    nat_keepalive_s: int | None = None
    qos_preclassify: bool = False
    dpd_s: int | None = None
    #: this end starts the SA itself (the end behind NAT must); otherwise it waits for traffic/peer
    initiate: bool = False
    enabled: bool = True
    #: virtual IPs this end requests (``vips``, ``leftsourceip=%config``; 0.0.0.0/:: = any)
    virtual_ips: tuple[Address, ...] = ()
    #: the addresses this end hands out to peers (``pools``, ``rightsourceip``)
    pools: tuple[Network, ...] = ()
    #: strongSwan's authentication rounds as configured (empty: ``auth`` alone says it, the
    #: same method both ways — every planned rule)
    auth_rounds: tuple[AuthRound, ...] = ()
    #: an IKE SA without a CHILD_SA (a strongSwan mediation connection): the filters and ESP
    #: proposals are placeholders and phase 2 is not negotiated
    ike_only: bool = False
    #: the peer is reached through a mediation server (strongSwan ``mediated_by``): it is found
    #: by identity, its address comes from the mediation
    mediated: bool = False

    @field_validator("pfs_group")
    @classmethod
    def _group(cls, v: int | None) -> int | None:
        if v is not None and v not in DH_GROUPS:
            raise ValueError(f"unknown DH group {v}")
        return v

    @property
    def fallback_to_clear(self) -> bool:
        return self.inbound != "require" or self.outbound != "require"


class EndPolicy(_Value):
    """Everything one end (a host or a gateway) needs: one policy with a rule per path."""

    name: Ident
    description: str = ""
    owner: str | None = None
    platform: str | None = None
    #: the legacy Windows "default response rule" (ccsec never activates it)
    default_response_rule: bool = False
    rules: tuple[Rule, ...] = ()
    #: gateway facts (IOS renders them; other formats ignore them)
    wan_interface: str | None = None
    lan_interface: str | None = None
    tunnel_style: Literal["crypto-map", "vti"] | None = None
    source_nat: bool = False

    @field_validator("owner", "platform")
    @classmethod
    def _one_line(cls, v: str | None) -> str | None:
        # both are written into every rendered file's header comment
        return None if v is None else _no_control(v, "an owner or platform name")

    def rule(self, name: str) -> Rule:
        return next(r for r in self.rules if r.name == name)


@dataclass
class PolicySet:
    """The planner's output: one :class:`EndPolicy` per host/gateway, and the paths behind them."""

    deployment: str
    profile: str
    ends: list[EndPolicy]
    paths: list[Path] = field(default_factory=list)

    def end(self, owner: str) -> EndPolicy:
        return next(e for e in self.ends if e.owner == owner)

    def rules_for(self, path_id: str) -> list[tuple[EndPolicy, Rule]]:
        """Both ends' rules of one path."""
        return [(e, r) for e in self.ends for r in e.rules if r.name == path_id]
