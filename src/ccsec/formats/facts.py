"""Typed facts: what an importer learns about a device that the policy model has no field for.

Two layers, so that no string-keyed dict crosses a package line:

* :class:`DeviceFacts` — the generic facts the audit reads (its checks and the pairing), the
  same fields for every format: which rules are down and why, manual keying, NAT that
  translates protected traffic, software-only crypto engines, key sizes, which rules accept
  either IKE version, signature constraints…  An importer fills what its format can know and
  leaves the rest empty.
* one record per format for what only that format knows (:data:`FormatFacts`): the IOS
  importer's :class:`IosFacts` (interfaces, crypto maps, NAT rules, trust points, built-in
  defaults… — kept whole, since pairing IOS candidates reads them), the netsh store, the
  PowerShell policy stores, the CUCM value table, the collector's host settings.

:meth:`IosFacts.device_facts` is where IOS knowledge becomes generic (a crypto map that is not
applied means its rules are down; a ``no crypto engine accelerator`` line means software-only
crypto), so the checks never see an IOS word.

Every record is frozen: importers build them once, at the end of a parse.  ``line`` fields are
1-based lines of the file the record came from (None: not tied to one line).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from typing import Literal

from ccsec.policy import Address, Identity
from ccsec.secrets import Secret

# ------------------------------------------------------------------------ generic facts


@dataclass(frozen=True)
class ManualKeying:
    """SAs keyed by hand (no IKE): what configures them and where."""

    name: str
    line: int | None = None


@dataclass(frozen=True)
class NatExemptionMissing:
    """A NAT rule that translates (some of) the traffic a rule protects."""

    rule: str
    what: str
    line: int | None = None


@dataclass(frozen=True)
class CryptoEngine:
    """A crypto engine setting; ``hardware``/``nge`` False say what the engine lacks."""

    name: str
    hardware: bool | None = None
    nge: bool | None = None
    line: int | None = None


@dataclass(frozen=True)
class SharedKey:
    """A key the device holds for some identities (strongSwan ``secrets``/ipsec.secrets): a
    pre-shared key, an EAP or an XAUTH password.  ``owners`` empty: the key serves any peer.
    The daemon picks, per session, the key whose owners best match both identities."""

    kind: Literal["psk", "eap", "xauth"]
    owners: tuple[Identity, ...]
    secret: Secret = field(repr=False)
    line: int | None = None
    #: the name the configuration gives it (swanctl ``secrets`` section), if any
    name: str = ""


@dataclass(frozen=True)
class DeviceFacts:
    """What the audit knows about a device beyond its policy (empty: the format cannot say)."""

    #: the name the device gives itself (IOS ``hostname``, Windows computer name)
    device_name: str | None = None
    #: addresses the device holds (interfaces, host addresses): attaching it to the deployment
    addresses: tuple[IPv4Address, ...] = ()
    #: rule name → why IOS does not use it (its crypto map or tunnel interface is down)
    down_rules: Mapping[str, str] = field(default_factory=dict)
    #: the device refuses IKEv1 aggressive mode as a responder
    aggressive_mode_disabled: bool = False
    #: the device answers IKEv1 aggressive mode with a pre-shared key (strongSwan refuses it
    #: unless strongswan.conf says ``i_dont_care_about_security_and_use_aggressive_mode_psk``)
    aggressive_psk_allowed: bool = False
    manual_keying: tuple[ManualKeying, ...] = ()
    nat_exemption_missing: tuple[NatExemptionMissing, ...] = ()
    crypto_engines: tuple[CryptoEngine, ...] = ()
    #: RSA key pair name → modulus bits
    rsa_key_bits: Mapping[str, int] = field(default_factory=dict)
    #: rules that initiate IKEv2 but also accept IKEv1 as responder
    ike_any_version: frozenset[str] = frozenset()
    #: rule name → signature constraints (``rsa-1024-sha1``, ``pubkey-sha1``…)
    auth_constraints: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: rule name → cipher names the configuration names but ccsec's vocabulary does not hold
    obsolete_algorithms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: rules whose pre-shared key the host keeps in clear text (though the export omits it)
    psk_clear_on_host: frozenset[str] = frozenset()
    #: rule name → the configuration object it was read from (``connection home, child net``)
    origins: Mapping[str, str] = field(default_factory=dict)
    #: keys the device holds per identity (chosen per session, as the daemon does)
    shared_keys: tuple[SharedKey, ...] = ()
    #: objects the configuration defines that the daemon does not load, or that ccsec could not
    #: build: name → why (each also a note with its line)
    not_built: Mapping[str, str] = field(default_factory=dict)
    #: own addresses the device declares beyond its rules' IKE addresses (IPv6 included)
    own_addresses: tuple[Address, ...] = ()


def ipv4_addresses(texts: Iterable[str]) -> tuple[IPv4Address, ...]:
    """The IPv4 addresses among ``texts`` (IPv6 and unreadable entries are left out: ccsec's
    policy model, and so the attachment by address, is IPv4)."""
    out: list[IPv4Address] = []
    for text in texts:
        try:
            out.append(IPv4Address(text))
        except ValueError:
            continue
    return tuple(out)


# --------------------------------------------------------------------------- IOS facts

NatStatus = Literal["exempt", "translated", "partial"]


@dataclass(frozen=True)
class ConfigLine:
    """One configuration line kept as written (``crypto engine …``, a static NAT rule)."""

    line: int
    text: str


@dataclass(frozen=True)
class IosInterface:
    line: int
    shutdown: bool = False
    address: IPv4Address | None = None
    crypto_map: str | None = None
    #: ``ip nat inside|outside``
    nat: str | None = None
    tunnel_source: str | None = None
    tunnel_destination: IPv4Address | None = None
    tunnel_mode: str | None = None
    #: the ``tunnel protection ipsec profile`` name
    tunnel_protection: str | None = None


@dataclass(frozen=True)
class IosMapEntry:
    """One ``crypto map NAME SEQ`` entry; ``rule`` is the rule it became (None: none or
    several — a dynamic entry's rules are in :class:`IosDynamicMapUse`)."""

    seq: int
    kind: Literal["isakmp", "dynamic", "manual", "gdoi"]
    line: int
    rule: str | None


@dataclass(frozen=True)
class IosCryptoMap:
    line: int
    #: the interfaces it is applied to
    interfaces: tuple[str, ...]
    #: applied to an interface that is up
    applied: bool
    local_address: str | None
    entries: tuple[IosMapEntry, ...]


@dataclass(frozen=True)
class IosDynamicMapUse:
    """A crypto map entry that points at a dynamic map, and the rules that made."""

    map: str
    seq: int
    dynamic_map: str
    line: int
    rules: tuple[str, ...]


@dataclass(frozen=True)
class IosManualEntry:
    """An ``ipsec-manual`` crypto map entry (no IKE)."""

    map: str
    seq: int
    line: int


@dataclass(frozen=True)
class IosNatRule:
    """``ip nat inside source list|route-map …``, and whether each rule's traffic bypasses it."""

    line: int
    acl: str | None = None
    route_map: str | None = None
    interface: str | None = None
    pool: str | None = None
    overload: bool = False
    #: rule name → exempt | translated | partial
    exempt: Mapping[str, NatStatus] = field(default_factory=dict)


@dataclass(frozen=True)
class IosSwitch:
    """A device-wide setting a ``no …`` (or ``… disable``) line changes; ``line`` is that
    line (None: IOS's default is in effect)."""

    enabled: bool
    line: int | None = None


@dataclass(frozen=True)
class IosKeepalive:
    seconds: int
    line: int


@dataclass(frozen=True)
class IosIsakmpDefaults:
    """The built-in ISAKMP suites 65507–65514 and whether they are in effect."""

    in_effect: bool
    line: int | None
    suites: tuple[str, ...]


@dataclass(frozen=True)
class IosIkev2Defaults:
    """The IKEv2 smart-default policy and proposal and whether they are in effect."""

    policy_in_effect: bool
    proposal_in_effect: bool
    lines: tuple[int, ...]
    suites: tuple[str, ...]


@dataclass(frozen=True)
class IosTrustpoint:
    line: int
    subject: str | None = None
    revocation: str | None = None
    enrollment: str | None = None
    keypair: str | None = None
    bits: int | None = None


@dataclass(frozen=True)
class IosRsaKey:
    trustpoint: str
    keypair: str
    bits: int | None
    line: int


@dataclass(frozen=True)
class IosUnreadableKey:
    """A type 6/7 key: present, not readable."""

    where: str
    type: int
    line: int


@dataclass(frozen=True)
class IosAclDeny:
    """A deny line in a crypto ACL (it sends that traffic in clear; it does not drop it)."""

    acl: str
    rule: str
    line: int
    text: str


@dataclass(frozen=True)
class IosDangling:
    """A reference to an object the configuration never defines."""

    kind: str
    name: str
    line: int


@dataclass(frozen=True)
class IosIncomplete:
    """An entry IOS does not use (no peer, no ACL…)."""

    rule: str
    reason: str
    line: int


@dataclass(frozen=True)
class IosTransformMode:
    mode: str
    require: bool
    line: int


@dataclass(frozen=True)
class IosFacts:
    """What the IOS importer learns about a router besides its rules."""

    hostname: str | None
    interfaces: Mapping[str, IosInterface]
    crypto_maps: Mapping[str, IosCryptoMap]
    dynamic_maps: tuple[IosDynamicMapUse, ...]
    manual_keying: tuple[IosManualEntry, ...]
    nat: tuple[IosNatRule, ...]
    nat_static: tuple[ConfigLine, ...]
    #: ``no crypto ipsec nat-transparency udp-encapsulation`` switches NAT-T off
    nat_t: IosSwitch
    nat_keepalive_v1: IosKeepalive | None
    nat_keepalive_v2: IosKeepalive | None
    #: ``crypto isakmp aggressive-mode disable``: enabled False
    isakmp_aggressive_mode: IosSwitch
    isakmp_default_policies: IosIsakmpDefaults
    ikev2_defaults: IosIkev2Defaults
    #: every ``crypto engine`` / ``no crypto engine`` line
    crypto_engine: tuple[ConfigLine, ...]
    crypto_accelerator_disabled: bool
    trustpoints: Mapping[str, IosTrustpoint]
    rsa_keys: tuple[IosRsaKey, ...]
    unreadable_keys: tuple[IosUnreadableKey, ...]
    crypto_acl_denies: tuple[IosAclDeny, ...]
    dangling: tuple[IosDangling, ...]
    incomplete: tuple[IosIncomplete, ...]
    transform_set_modes: Mapping[str, IosTransformMode]

    @property
    def full_interfaces(self) -> bool:
        """The file lists the router's interfaces (not only tunnels): a tunnel source it does
        not define is missing, not elsewhere."""
        return any(not n.lower().startswith("tunnel") for n in self.interfaces)

    @property
    def shutdown_interfaces(self) -> tuple[str, ...]:
        return tuple(n for n, i in self.interfaces.items() if i.shutdown)

    @property
    def unapplied_crypto_maps(self) -> tuple[str, ...]:
        return tuple(n for n, m in self.crypto_maps.items() if not m.applied)

    def device_facts(self) -> DeviceFacts:
        """The generic facts the audit reads, in IOS's terms made plain."""
        return DeviceFacts(
            device_name=self.hostname,
            addresses=tuple(i.address for i in self.interfaces.values() if i.address is not None),
            down_rules=self.down_rules(),
            aggressive_mode_disabled=not self.isakmp_aggressive_mode.enabled,
            manual_keying=tuple(ManualKeying(f"crypto map {m.map} {m.seq} ipsec-manual", m.line)
                                for m in self.manual_keying),
            nat_exemption_missing=tuple(
                NatExemptionMissing(rule, f"ip nat inside source ({n.acl or n.route_map}) "
                                          f"{state} for {rule}", n.line)
                for n in self.nat for rule, state in n.exempt.items() if state != "exempt"),
            crypto_engines=tuple(
                CryptoEngine(e.text, hardware=False, line=e.line) for e in self.crypto_engine
                if e.text.startswith("no crypto engine")) if self.crypto_accelerator_disabled
            else (),
            rsa_key_bits={k.keypair or k.trustpoint: k.bits for k in self.rsa_keys
                          if k.bits is not None},
        )

    def down_rules(self) -> dict[str, str]:
        """Rules IOS does not use, and why: their crypto map is applied to no interface that is
        up, or their tunnel interface (or its tunnel source) is shut down."""
        down: dict[str, str] = {}
        for name, cmap in self.crypto_maps.items():
            if not cmap.applied:
                where = ", ".join(cmap.interfaces) or "no interface"
                for e in cmap.entries:
                    if e.rule:
                        down[e.rule] = (f"crypto map {name} is not applied to an interface "
                                        f"that is up ({where})")
        for dyn in self.dynamic_maps:
            parent = self.crypto_maps.get(dyn.map)
            if parent is not None and not parent.applied:
                for r in dyn.rules:
                    down[r] = f"crypto map {dyn.map} is not applied to an interface that is up"
        for name, i in self.interfaces.items():
            prof = i.tunnel_protection
            if not prof:
                continue
            why = self.tunnel_down(name, i)
            if why:
                for rule in (name, prof.removeprefix("ccsec-"), prof):
                    down[rule] = why
        return down

    def tunnel_down(self, name: str, i: IosInterface) -> str | None:
        """Why a tunnel interface cannot come up: it or its source is shut down, or its source
        (an interface or an address) is missing or has no address."""
        if i.shutdown:
            return f"interface {name} is shut down"
        source = i.tunnel_source
        if not source:
            return f"interface {name} has no tunnel source"
        src = self.interfaces.get(source)
        if src is None and not self.full_interfaces:
            return None  # a snippet with tunnels only: the source lives in the rest of the config
        if src is not None:
            if src.shutdown:
                return f"tunnel source {source} of {name} is shut down"
            if src.address is None:
                return f"tunnel source {source} of {name} has no IPv4 address"
            return None
        try:
            address = IPv4Address(source)
        except ValueError:
            return f"tunnel source {source} of {name} is not defined in the configuration"
        if not any(x.address == address and not x.shutdown for x in self.interfaces.values()):
            return f"tunnel source address {source} of {name} is on no interface that is up"
        return None


# ------------------------------------------------------------ other formats' own facts


@dataclass(frozen=True)
class NetshFacts:
    """A netsh script: the policy it assigns (None: none) and the store it writes
    (``set store location=…``; None: the script does not say, so the local store)."""

    assigned: str | None = None
    store: str | None = None


@dataclass(frozen=True)
class PowerShellFacts:
    """The ``-PolicyStore`` values a PowerShell script writes to, in order."""

    policy_stores: tuple[str, ...] = ()


@dataclass(frozen=True)
class CucmUnknownToken:
    """A value of a ``show ipsec information`` output ccsec does not know (policy skipped)."""

    policy: str
    field: str
    token: str
    line: int


@dataclass(frozen=True)
class CucmFacts:
    #: "sheet" or "show ipsec information"
    input: str
    #: the value table the file was read with (``12.x``, ``12.x-fips``, ``gen2``…)
    value_table: str
    #: rule name → the Certificate Name field as written
    certificate_names: Mapping[str, str] = field(default_factory=dict)
    unknown_tokens: tuple[CucmUnknownToken, ...] = ()


@dataclass(frozen=True)
class CollectorFacts:
    """Host settings from the Windows collector export that the policy model does not hold."""

    domain: str | None = None
    #: the firewall's AllowIPsecThroughNAT setting as exported
    allow_ipsec_through_nat: str | None = None


#: what one format learned beyond :class:`DeviceFacts` (at most one per parsed file)
FormatFacts = IosFacts | NetshFacts | PowerShellFacts | CucmFacts | CollectorFacts
