"""The deployment file as a typed model: sites, hosts with roles, gateways, NAT, agent networks.

This is a user-facing contract (issue #2): fields may be added, never renamed.  Field
descriptions double as the documentation printed by ``ccsec schema``.  Cross-field rules
(duplicate names, addresses outside their site, pairs with two equal sides, …) live in
``validate.py`` so each can name the exact line it is about.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import cached_property
from ipaddress import IPv4Address, IPv4Network
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from ccsec.crypto import STRONGSWAN_DEFAULT, STRONGSWAN_VERSION_PATTERN, strongswan_target
from ccsec.errors import has_unsafe

#: host, gateway and site names become directory names and config object names
Name = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"),
    Field(description="a hostname label: letters, digits, inner hyphens, at most 63 characters"),
]
Fqdn = Annotated[
    str,
    StringConstraints(
        max_length=253,
        pattern=r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
        r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$",
    ),
]
SecretRef = Annotated[
    str,
    StringConstraints(pattern=r"^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+)$"),
    Field(description="a reference to a pre-shared key, never the key: env:NAME or file:PATH"),
]
IosInterface = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z-]*[0-9][0-9/.:]*$")]


def _one_line(limit: int) -> AfterValidator:
    """Free text that every format can carry in a comment or description: one line, no control
    characters, bounded."""

    def check(value: str) -> str:
        if has_unsafe(value):
            raise ValueError("text must be one line without control characters, line or "
                             "paragraph separators or bidi overrides — fix: remove them (write "
                             "the text on one line)")
        if len(value) > limit:
            raise ValueError(f"text of {len(value):,} characters is longer than {limit:,} "
                             "— fix: shorten it")
        return value

    return AfterValidator(check)


#: a name for the deployment, descriptions: free text on one line
Text = Annotated[str, _one_line(1000)]
Title = Annotated[str, _one_line(200)]

#: what a DN value may not hold: RFC 4514 specials that would need escaping, and quotes/
#: backslashes that some formats cannot carry (netsh, IOS)
_DN_BAD = frozenset('"\\+;<>')
_DN_TYPE = re.compile(r"(?:[A-Za-z][A-Za-z0-9-]*|[0-9]+(?:\.[0-9]+)+)")


def _dn(value: str) -> str:
    """A subject DN as ``TYPE=value, TYPE=value…`` (RFC 4514 without escapes): what every
    format ccsec writes can name the same way (swanctl ``ca_id``, PowerShell ``-Authority``,
    netsh ``rootca=``, IOS ``issuer-name``)."""
    fix = ' — fix: write it as CN=Example Root CA, O=Example, C=US (no quotes, backslashes, ' \
        '"+", ";", "<", ">", and no comma inside a value)'
    if has_unsafe(value):
        raise ValueError("a distinguished name must be one line without control characters" + fix)
    if len(value) > 1024:
        raise ValueError(f"a distinguished name of {len(value):,} characters is longer than "
                         "1,024" + fix)
    bad = sorted(set(value) & _DN_BAD)
    if bad:
        raise ValueError(f"a distinguished name may not contain {' '.join(bad)}" + fix)
    for rdn in value.split(","):
        kind, eq, val = rdn.strip().partition("=")
        if not eq or not _DN_TYPE.fullmatch(kind) or not val.strip() or val != val.strip():
            raise ValueError("not a distinguished name: each part must be TYPE=value" + fix)
    return value


DistinguishedName = Annotated[str, AfterValidator(_dn)]


class Role(StrEnum):
    ROUTER = "router"
    LOGGER = "logger"
    NAM_ROUTER = "nam-router"
    CICM_ROUTER = "cicm-router"
    PG = "pg"
    AW = "aw"
    HDS = "hds"
    DDS = "dds"
    CUCM = "cucm"
    CTI = "cti"
    DIALER = "dialer"
    WEB_COLLAB = "web-collab"


#: roles that have a private (redundancy) network to their other side — catalog paths 3 and 7
PRIVATE_NETWORK_ROLES = frozenset(
    {Role.ROUTER, Role.LOGGER, Role.NAM_ROUTER, Role.CICM_ROUTER, Role.PG}
)


class Os(StrEnum):
    WINDOWS = "windows"
    LINUX = "linux"
    CUCM = "cucm"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Gateway(_Model):
    """The site's IPsec gateway (an IOS router, or a Linux box running strongSwan)."""

    name: Name
    platform: Literal["ios", "strongswan"] = Field(
        description="ios (crypto map or VTI) or strongswan (swanctl.conf)"
    )
    wan: IPv4Address = Field(description="the WAN address on the gateway's own interface")
    lan: IPv4Address | None = Field(
        default=None,
        description="the LAN address (default: the first address of the site's first prefix)",
    )
    wan_interface: IosInterface = "GigabitEthernet0/0"
    lan_interface: IosInterface = "GigabitEthernet0/1"
    tunnel: Literal["crypto-map", "vti"] = Field(
        default="crypto-map", description="IOS: policy-based crypto map or route-based VTI"
    )
    source_nat: bool = Field(
        default=False,
        description="the gateway translates LAN traffic to the WAN (PAT); ccsec then renders "
        "the NAT exemption for the protected prefixes",
    )
    psk: SecretRef | None = Field(default=None, description="site-tunnel key (test only)")
    description: Text = ""


class Nat(_Model):
    """A NAT device in front of a site: the site's gateway reaches the WAN through it."""

    public: IPv4Address = Field(description="the address the rest of the WAN sees")
    keepalive: int = Field(default=20, ge=5, le=3600, description="NAT keepalive, seconds")


class Site(_Model):
    name: Name
    kind: Literal["central", "remote"]
    prefixes: list[IPv4Network] = Field(min_length=1)
    gateway: Gateway | None = None
    nat: Nat | None = None
    description: Text = ""


class Host(_Model):
    name: Name
    site: Name
    roles: list[Role] = Field(min_length=1)
    pair: Name | None = Field(default=None, description="redundant pair this host belongs to")
    side: Literal["a", "b"] | None = None
    domain: Fqdn | None = Field(default=None, description="AD domain (must be listed in domains)")
    public: IPv4Address = Field(description="visible (public) network address")
    private: IPv4Address | None = Field(
        default=None, description="private network address (router, logger, pg only)"
    )
    os: Os | None = Field(
        default=None, description="windows | linux | cucm (default: cucm for the cucm role, "
        "windows otherwise)"
    )
    cluster: Name | None = Field(
        default=None,
        description="cucm: the Communications Manager cluster this node belongs to (its "
        "nodes may sit in different sites; default: one cluster per site).  pg: the cluster "
        "its peripheral talks to (default: the clusters with a node in the PG's site).  Every "
        "PG gets catalog path 8 to every node of its cluster(s)",
    )
    description: Text = ""

    @property
    def platform(self) -> str:
        """The OS that terminates IPsec on this host."""
        if self.os is not None:
            return self.os.value
        return Os.CUCM.value if Role.CUCM in self.roles else Os.WINDOWS.value

    def has(self, *roles: Role) -> bool:
        return any(r in self.roles for r in roles)


class AgentNetwork(_Model):
    name: Name
    site: Name
    prefix: IPv4Network
    silent_monitoring: bool = False
    behind_nat: bool = Field(
        default=False,
        description="desktops reach the contact center through NAT "
        "(also true when the site has nat:)",
    )


class Pki(_Model):
    root_ca: DistinguishedName = Field(
        min_length=3, description="subject DN of the root CA both ends trust, e.g. "
        "CN=Example Root CA, O=Example")


class Deployment(_Model):
    """One contact-center deployment: the single source every path and policy is derived from."""

    deployment: Title = Field(min_length=1, description="a name for the deployment (free text)")
    description: Text = ""
    environment: Literal["production", "test"] = "production"
    profile: Literal["legacy", "recommended", "strict"] = "recommended"
    protection: Literal["transport", "tunnel", "both"] = "both"
    domains: list[Fqdn] = Field(default_factory=list)
    pki: Pki | None = None
    psk: SecretRef | None = Field(
        default=None, description="default pre-shared key for every path (test only)"
    )
    sites: list[Site] = Field(min_length=1)
    hosts: list[Host] = Field(default_factory=list)
    agent_networks: list[AgentNetwork] = Field(default_factory=list)
    strongswan_version: str | None = Field(
        default=None, pattern=STRONGSWAN_VERSION_PATTERN,
        description="the oldest strongSwan release the swanctl.conf files must load on "
        f"(default {STRONGSWAN_DEFAULT}: the oldest of Debian 12, Ubuntu 22.04 and RHEL 9); "
        "keys of later releases are not written",
    )

    @field_validator("strongswan_version")
    @classmethod
    def _known_release(cls, v: str | None) -> str | None:
        if v is not None:
            strongswan_target(v)  # older than ccsec writes for: a clear error
        return v

    @cached_property
    def _sites_by_name(self) -> dict[str, tuple[int, Site]]:
        return {s.name: (i, s) for i, s in enumerate(self.sites)}

    @cached_property
    def _hosts_by_name(self) -> dict[str, Host]:
        return {h.name: h for h in self.hosts}

    def site(self, name: str) -> Site:
        """Look-ups are indexed: deployments reach thousands of hosts and sites."""
        return self._sites_by_name[name][1]

    def site_position(self, name: str) -> int:
        return self._sites_by_name[name][0]

    def host(self, name: str) -> Host:
        return self._hosts_by_name[name]

    def gateways(self) -> list[tuple[Site, Gateway]]:
        return [(s, s.gateway) for s in self.sites if s.gateway is not None]

    @property
    def transport(self) -> bool:
        return self.protection in ("transport", "both")

    @property
    def tunnel(self) -> bool:
        return self.protection in ("tunnel", "both")
