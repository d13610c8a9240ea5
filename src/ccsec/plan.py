"""Deployment + profile → PolicySet: both ends of every path and every site tunnel.

For each path the planner intersects the profile's ordered preferences with what *both* end
platforms can negotiate (``crypto.CAPABILITIES``), so the two ends always share a proposal, and
then writes the two mirror-image rules.  If no common choice exists the plan fails with the
reason and a fix, never with a silently weaker proposal.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Network

from ccsec.crypto import (
    CAPABILITIES,
    PROFILES,
    Capability,
    EspProposal,
    IkeProposal,
    IkeVersion,
    Profile,
)
from ccsec.deployment.model import Deployment, Gateway
from ccsec.errors import PlanError, Problem
from ccsec.gcpause import gc_paused
from ccsec.paths import Path, derive
from ccsec.policy import (
    Auth,
    EndPolicy,
    Filter,
    Identity,
    IdentityKind,
    Ike,
    PolicySet,
    Rule,
)
from ccsec.secrets import Secret

TUNNEL_DPD_S = 10
#: host paths detect a dead peer too: a strongSwan end's dpd_action/close_action only act when
#: DPD runs (``dpd_delay``); Windows and Communications Manager keep their own liveness checks
HOST_DPD_S = 30


@dataclass(frozen=True)
class Negotiated:
    """What both ends of one path agree on."""

    version: IkeVersion
    ike: tuple[IkeProposal, ...]
    esp: tuple[EspProposal, ...]
    pfs: int | None


def _fail(path: Path, what: str, prof: Profile, a: Capability, b: Capability) -> PlanError:
    return PlanError(
        Problem(
            f"no {what} of profile '{prof.name}' is supported by both ends "
            f"({path.ends[0].host}: {a.name}, {path.ends[1].host}: {b.name})",
            field=f"path {path.id}",
            fix="choose another profile (legacy | recommended | strict) for this deployment",
        )
    )


def negotiate(path: Path, prof: Profile, a: Capability, b: Capability) -> Negotiated:
    """The first IKE version, proposals, ESP proposals and PFS group both ends support."""
    if path.mode not in a.modes or path.mode not in b.modes:
        raise _fail(path, f"{path.mode}-mode setting", prof, a, b)
    limit = min(a.max_ike, b.max_ike)
    for version in prof.ike_versions:
        if path.auth not in a.ike.get(version, ()) or path.auth not in b.ike.get(version, ()):
            continue
        ike = [p for p in prof.ike if a.allows_ike(p, version) and b.allows_ike(p, version)]
        if ike:
            break
    else:
        raise _fail(path, f"IKE version and proposal usable with {path.auth}", prof, a, b)
    ike = ike[:limit]
    esp = [p for p in prof.esp if a.allows_esp(p) and b.allows_esp(p)]
    if a.esp_integ_follows_ike or b.esp_integ_follows_ike:
        esp = [p for p in esp if p.integrity == ike[0].integrity]
    esp = esp[: min(a.max_esp, b.max_esp)]
    if not esp:
        raise _fail(path, "ESP proposal", prof, a, b)
    pfs = None
    if prof.pfs_groups:
        pfs = next((g for g in prof.pfs_groups if g in a.pfs_groups and g in b.pfs_groups), None)
        if pfs is None:
            raise _fail(path, "PFS group", prof, a, b)
    return Negotiated(version, tuple(ike), tuple(esp), pfs)


class _Shared:
    """Value objects built once per plan and shared by every rule that uses them.

    They are immutable, and a central end of a 1,000-site deployment has thousands of rules
    with the same identity and authentication: validating each copy again was a third of the
    planning time."""

    def __init__(self) -> None:
        self.ids: dict[tuple[str, str], Identity] = {}
        self.auths: dict[tuple[str, str | None], Auth] = {}
        self.ikes: dict[tuple[object, ...], Ike] = {}
        self.negotiated: dict[tuple[str, ...], Negotiated] = {}

    def ike(self, n: Negotiated, lifetime: int) -> Ike:
        key = (n.version, n.ike, lifetime)
        found = self.ikes.get(key)
        if found is None:
            found = self.ikes[key] = Ike(version=n.version, proposals=n.ike,
                                         lifetime_s=lifetime)
        return found

    def negotiate(self, path: Path, prof: Profile) -> Negotiated:
        """:func:`negotiate`, once per (mode, auth, platforms); failures are not kept, so each
        path that fails names its own hosts."""
        key = (prof.name, path.mode, path.auth, path.ends[0].platform, path.ends[1].platform)
        found = self.negotiated.get(key)
        if found is None:
            caps = tuple(CAPABILITIES[e.platform] for e in path.ends)
            found = self.negotiated[key] = negotiate(path, prof, *caps)
        return found

    def identity(self, kind: IdentityKind, value: str) -> Identity:
        key = (kind, value)
        found = self.ids.get(key)
        if found is None:
            found = self.ids[key] = Identity(kind=kind, value=value)
        return found

    def auth(self, method: str, detail: str | None) -> Auth:
        key = (method, detail)
        found = self.auths.get(key)
        if found is None:
            if method == "psk":
                found = Auth(method="psk", psk=Secret(ref=detail))
            elif method == "certificate":
                found = Auth(method="certificate", ca=detail)
            else:
                found = Auth(method="kerberos")
            self.auths[key] = found
        return found


def certificate_subject(dep: Deployment, name: str) -> str:
    """The subject ccsec expects an end's certificate to carry: ``CN=<FQDN>`` for a host with
    a domain (what an AD CS machine certificate names [V]), ``CN=<name>`` otherwise."""
    try:
        domain = dep.host(name).domain
    except KeyError:  # a gateway: the deployment gives it no domain
        domain = None
    return f"CN={name}.{domain}" if domain else f"CN={name}"


def _identity(dep: Deployment, path: Path, i: int, version: IkeVersion,
              shared: _Shared | None = None) -> Identity | None:
    """The one identity an end sends, of a kind its platform can send as it is written, so
    that the peer can require exactly it:

    * pre-shared keys: the end's address — what Windows, IOS and Communications Manager send
      for a PSK (and an IKEv2 gateway tunnel keeps its name, strongSwan and IOS send any);
    * a host with a certificate: the certificate's subject, ``CN=<host FQDN>`` — Windows sends
      its certificate's subject DN as its IKE identity (no setting changes it [V]),
      Communications Manager's Openswan/Libreswan the ``ipsec`` certificate's subject [U], and
      a Linux end is told to send the same (``id =``);
    * a gateway tunnel over IKEv2: the gateway's name as an FQDN (``identity local fqdn``);
      over IKEv1 with certificates the certificate's subject ``CN=<gateway>`` — an IOS isakmp
      profile can only send its address, ``hostname.domain`` (``self-identity fqdn``: the
      domain is the router's, not ccsec's) or, device-wide, its certificate's DN.
    """
    end = path.ends[i]
    make = (shared or _Shared()).identity
    if path.auth == "kerberos":
        return None
    if path.mode == "tunnel":
        if version == 2:
            return make("fqdn", end.host)
        if path.auth == "certificate":
            return make("dn", certificate_subject(dep, end.host))
        return make("address", str(end.address))
    if path.auth == "psk":
        return make("address", str(end.address))
    return make("dn", certificate_subject(dep, end.host))


def _auth(dep: Deployment, path: Path, shared: _Shared | None = None) -> Auth:
    make = (shared or _Shared()).auth
    if path.auth == "psk":
        return make("psk", path.psk_ref)
    if path.auth == "certificate":
        return make("certificate", dep.pki.root_ca if dep.pki else None)
    return make("kerberos", None)


def _filters(path: Path, i: int) -> tuple[Filter, ...]:
    mine: tuple[IPv4Network, ...] = path.protects[i]
    theirs: tuple[IPv4Network, ...] = path.protects[1 - i]
    return tuple(Filter(local=m, remote=t) for m in mine for t in theirs)


def _description(path: Path, i: int) -> str:
    title = path.title.replace("↔", "<->")
    return f"{title}: {path.ends[i].host} <-> {path.ends[1 - i].host}"


def _rule(dep: Deployment, prof: Profile, path: Path, n: Negotiated, i: int,
          shared: _Shared | None = None) -> Rule:
    behind_nat = path.nat_end == i
    keepalive = None
    if behind_nat:
        nat = dep.site(path.ends[i].site).nat
        keepalive = nat.keepalive if nat else None
    starter = path.nat_end if path.nat_end is not None else 1
    return Rule(
        name=path.id,
        description=_description(path, i),
        mode=path.mode,
        local_address=path.ends[i].address,
        peer_address=path.peer_address[i],
        local_id=_identity(dep, path, i, n.version, shared),
        peer_id=_identity(dep, path, 1 - i, n.version, shared),
        filters=_filters(path, i),
        auth=(_auth(dep, path, shared),),
        ike=(shared or _Shared()).ike(n, prof.ike_lifetime_s),
        esp=n.esp,
        pfs_group=n.pfs,
        lifetime_s=prof.child_lifetime_s,
        lifetime_kb=prof.child_lifetime_kb,
        nat_keepalive_s=keepalive,
        qos_preclassify=path.mode == "tunnel",
        dpd_s=TUNNEL_DPD_S if path.mode == "tunnel" else HOST_DPD_S,
        initiate=i == starter,
    )


def _end_policy(dep: Deployment, owner: str, platform: str, rules: list[Rule],
                gateways: dict[str, Gateway] | None = None) -> EndPolicy:
    if gateways is None:
        gateways = _gateways(dep)
    gateway = gateways.get(owner)
    return EndPolicy(
        name=f"ccsec-{owner}",
        description=f"ccsec policy for {owner} in deployment {dep.deployment}",
        owner=owner,
        platform=platform,
        rules=tuple(rules),
        wan_interface=gateway.wan_interface if gateway else None,
        lan_interface=gateway.lan_interface if gateway else None,
        tunnel_style=gateway.tunnel if gateway and gateway.platform == "ios" else None,
        source_nat=gateway.source_nat if gateway else False,
    )


def _gateways(dep: Deployment) -> dict[str, Gateway]:
    """Gateways by name (the first site's, should two share a name)."""
    out: dict[str, Gateway] = {}
    for s in dep.sites:
        if s.gateway:
            out.setdefault(s.gateway.name, s.gateway)
    return out


@gc_paused
def plan(dep: Deployment, profile: str | None = None) -> PolicySet:
    """A policy for each end of each path the deployment's ``protection`` selects."""
    prof = PROFILES[profile or dep.profile]
    paths = derive(dep)
    rules: dict[str, list[Rule]] = {}
    platforms: dict[str, str] = {}
    shared = _Shared()
    for path in paths:
        n = shared.negotiate(path, prof)
        for i, end in enumerate(path.ends):
            rules.setdefault(end.host, []).append(_rule(dep, prof, path, n, i, shared))
            platforms[end.host] = end.platform
    gateways = _gateways(dep)
    ends = [_end_policy(dep, owner, platforms[owner], rs, gateways)
            for owner, rs in rules.items()]
    return PolicySet(deployment=dep.deployment, profile=prof.name, ends=ends, paths=paths)
