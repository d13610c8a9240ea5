"""The raw objects of an IOS configuration, as the read pass finds them, before any reference
between them is resolved (:class:`Config` holds them all, by name), and the bindings the bind
pass makes of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from typing import Literal

from ccsec.crypto import EspProposal, IkeProposal
from ccsec.formats.facts import (
    ConfigLine,
    IosManualEntry,
    IosNatRule,
    IosRsaKey,
    IosTransformMode,
    IosTrustpoint,
    IosUnreadableKey,
)
from ccsec.formats.ios.acl import Acl
from ccsec.secrets import Secret, literal


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
    #: aspect (esp, filters) → line
    lines: dict[str, int] = field(default_factory=dict)


MapKind = Literal["isakmp", "dynamic", "manual", "gdoi"]


@dataclass
class MapEntry:
    map: str
    seq: int
    line: int
    kind: MapKind
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


@dataclass(slots=True)
class IsakmpPolicy:
    """A ``crypto isakmp policy``: its priority, proposal and authentication (psk or
    certificate), hidden defaults applied."""

    priority: int
    line: int
    proposal: IkeProposal
    method: str
    lifetime: int


@dataclass(slots=True)
class V1Keyring:
    local: str | None
    entries: list[KeyEntry]


@dataclass(slots=True)
class V2Proposal:
    line: int
    proposals: list[IkeProposal]


@dataclass(slots=True)
class V2Policy:
    name: str
    line: int
    #: ``match address local`` addresses (none: matches any local address)
    local: list[str]
    proposals: list[str]


@dataclass(slots=True)
class TransformSet:
    proposal: EspProposal | None  # None: not a valid combination (noted)
    mode: str
    line: int


@dataclass
class Globals:
    """Device-wide commands.  A ``…_off`` field is the line of the ``no …`` (or ``disable``)
    command that switched an IOS default off; None: the default is in effect."""

    isakmp_off: int | None = None
    isakmp_default_off: int | None = None
    ikev2_policy_default_off: int | None = None
    ikev2_proposal_default_off: int | None = None
    nat_t_off: int | None = None
    ts_default_off: int | None = None
    profile_default_off: int | None = None
    aggressive_off: int | None = None
    isakmp_identity: str | None = None
    isakmp_keepalive: int | None = None
    ikev2_dpd: int | None = None
    #: (seconds, line) of ``crypto isakmp|ikev2 nat keepalive``
    nat_keepalive_v1: tuple[int, int] | None = None
    nat_keepalive_v2: tuple[int, int] | None = None
    sa_seconds: int | None = None
    sa_kilobytes: int | None = None


@dataclass
class Config:
    """Everything the read pass found, each object by name (the order of the text is free)."""

    text: str
    hostname: str | None = None
    domain: str | None = None
    g: Globals = field(default_factory=Globals)
    isakmp: list[IsakmpPolicy] = field(default_factory=list)
    isakmp_keys: list[KeyEntry] = field(default_factory=list)
    v1_keyrings: dict[str, V1Keyring] = field(default_factory=dict)
    v1_profiles: dict[str, IkeProfile] = field(default_factory=dict)
    v2_proposals: dict[str, V2Proposal] = field(default_factory=dict)
    v2_policies: list[V2Policy] = field(default_factory=list)
    v2_keyrings: dict[str, list[KeyEntry]] = field(default_factory=dict)
    v2_profiles: dict[str, IkeProfile] = field(default_factory=dict)
    transform_sets: dict[str, TransformSet] = field(default_factory=dict)
    ipsec_profiles: dict[str, SaSpec] = field(default_factory=dict)
    maps: dict[str, list[MapEntry]] = field(default_factory=dict)
    map_local: dict[str, str] = field(default_factory=dict)
    dynamic: dict[str, list[tuple[int, SaSpec]]] = field(default_factory=dict)
    #: certificate map → (field, operator, value) rows
    cert_maps: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    trustpoints: dict[str, IosTrustpoint] = field(default_factory=dict)
    acls: dict[str, Acl] = field(default_factory=dict)
    interfaces: dict[str, Interface] = field(default_factory=dict)
    #: (prefix, next hop or interface, line) of ``ip route``
    routes: list[tuple[IPv4Network, str, int]] = field(default_factory=list)
    nat: list[IosNatRule] = field(default_factory=list)
    #: route-map → (permit|deny, ACL names) per entry
    route_maps: dict[str, list[tuple[str, list[str]]]] = field(default_factory=dict)
    #: ``! ccsec-self-identity <profile> fqdn <name>`` comments of ccsec's own output
    self_ids: dict[str, str] = field(default_factory=dict)
    # lines kept as facts while reading
    engines: list[ConfigLine] = field(default_factory=list)
    accelerator_disabled: bool = False
    manual: list[IosManualEntry] = field(default_factory=list)
    unreadable_keys: list[IosUnreadableKey] = field(default_factory=list)
    transform_modes: dict[str, IosTransformMode] = field(default_factory=dict)
    rsa_keys: list[IosRsaKey] = field(default_factory=list)
    nat_static: list[ConfigLine] = field(default_factory=list)


BindingKind = Literal["map", "dynamic", "vti"]


@dataclass
class Binding:
    """A rule-to-be: the SA spec plus where it is used."""

    name: str
    line: int
    kind: BindingKind
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
