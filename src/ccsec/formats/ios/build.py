"""The build pass: bindings → :class:`~ccsec.policy.Rule`\\ s and the end policy.

Per binding: the IKE side (IKEv2 profile + policy, or IKEv1 profile/keyring + ``isakmp
policy``), authentication (keyring key or trust point), identities, ESP from the transform
sets, the filter list from the ACL (or GRE endpoints, or a VTI's routes), and lifetimes with
IOS's hidden defaults.  An entry IOS does not use (no peer, no ACL…) becomes a disabled rule
and a fact; one that cannot negotiate at all (no usable proposal) is left out with a warning.

Algorithm objects are built once per definition and shared by every rule that references them
(:meth:`Builder.ike`), so a hub with hundreds of entries allocates a handful.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Literal

from ccsec.crypto import EspProposal, IkeProposal
from ccsec.formats.base import device_name, meta_str, plain_reason, read_meta
from ccsec.formats.facts import IosAclDeny, IosIncomplete
from ccsec.formats.ios.acl import Acl
from ccsec.formats.ios.bind import NOWHERE, Binder
from ccsec.formats.ios.defaults import (
    DEFAULT_IKEV2_LIFETIME,
    DEFAULT_ISAKMP_LIFETIME,
    DEFAULT_SA_KB,
    DEFAULT_SA_SECONDS,
    DEFAULT_TRANSFORMS,
    default_ikev2,
    default_isakmp,
)
from ccsec.formats.ios.log import Log
from ccsec.formats.ios.objects import Binding, Config, IkeProfile
from ccsec.formats.ios.tree import ANY, contains
from ccsec.policy import Auth, EndPolicy, Filter, Identity, Ike, Rule, to_ident, v4net

Mode = Literal["transport", "tunnel"]


@dataclass(slots=True)
class IkeSide:
    """What one binding's IKE side resolved to (``ike`` None: it cannot negotiate).  Not
    frozen: one is made per rule, and a frozen dataclass costs ~5x as much to build."""

    ike: Ike | None
    auth: Auth
    local_id: Identity | None
    peer_id: Identity | None
    local: IPv4Address
    dpd: int | None
    keepalive: int | None


class Builder:
    def __init__(self, cfg: Config, binder: Binder, log: Log) -> None:
        self.cfg = cfg
        self.g = cfg.g
        self.binder = binder
        self.log = log
        #: facts of the build pass
        self.incomplete: list[IosIncomplete] = []
        self.acl_denies: list[IosAclDeny] = []
        self._ike_cache: dict[tuple[int, str, tuple[IkeProposal, ...], int], Ike] = {}
        self._v1_cache: dict[str, tuple[list[IkeProposal], int, int] | None] = {}

    # ---------------------------------------------------------------------- rules

    def rules(self, bindings: list[Binding]) -> list[Rule]:
        out = []
        for b in bindings:
            try:
                rule = self.rule(b)
            except ValueError as exc:
                msg = plain_reason(exc)
                self.log.note(b.line, f"{b.name}: not imported ({msg})", "warning")
                continue
            if rule is not None:
                out.append(rule)
        return out

    def rule(self, b: Binding) -> Rule | None:
        loc = self.log.locations
        loc[b.name] = b.line
        side = self.v2(b) if b.spec.ikev2_profile else self.v1(b)
        if side.ike is None:
            return None
        esp, mode = self.esp(b)
        if b.spec.lines.get("esp"):
            loc[f"{b.name}/esp"] = b.spec.lines["esp"]
        filters, usable = self.filters(b, side.local)
        enabled = b.enabled and self.complete(b, usable)
        g = self.g
        seconds = b.spec.seconds or (DEFAULT_SA_SECONDS if g.sa_seconds is None
                                     else g.sa_seconds)
        kb = None if b.spec.kb_disabled else (
            b.spec.kilobytes or (DEFAULT_SA_KB if g.sa_kilobytes is None else g.sa_kilobytes))
        return Rule(
            name=b.name,
            description=b.description,
            mode=mode,
            local_address=side.local,
            peer_address=b.peer or NOWHERE,
            peer_name=b.spec.peer_name if b.peer is None else None,
            local_id=side.local_id,
            peer_id=side.peer_id,
            filters=filters,
            auth=(side.auth,),
            ike=side.ike,
            esp=esp,
            pfs_group=b.spec.pfs,
            lifetime_s=seconds,
            lifetime_kb=kb,
            nat_traversal=g.nat_t_off is None,
            nat_keepalive_s=side.keepalive,
            qos_preclassify=b.qos,
            dpd_s=side.dpd,
            initiate=b.kind == "vti",
            enabled=enabled,
        )

    def complete(self, b: Binding, usable: bool) -> bool:
        """Whether IOS uses the entry at all (a static entry needs a peer and an ACL)."""
        reasons = []
        if b.peer is None and not b.spec.peer_name:
            reasons.append("no peer" if b.kind != "vti" else "no tunnel destination")
        if b.kind == "map" and not b.acl:
            reasons.append("no match address")
        if b.acl and b.acl not in self.cfg.acls:
            self.log.dangling("access-list", b.acl, b.spec.lines.get("filters", b.line))
            if b.kind != "vti":
                reasons.append(f"ACL {b.acl} undefined")
        elif b.acl and not usable and b.kind != "vti":
            reasons.append(f"ACL {b.acl} has no permit line ccsec can read")
        for r in reasons:
            self.incomplete.append(IosIncomplete(b.name, r, b.line))
        if reasons:
            self.log.note(b.line, f"{b.name}: incomplete ({', '.join(reasons)}): IOS does not "
                                  "use this entry", "warning")
        return not reasons

    def ike(self, version: Literal[1, 2], exchange: Literal["main", "aggressive"],
            props: list[IkeProposal], lifetime: int) -> Ike:
        """One shared :class:`Ike` per distinct setting (hundreds of entries use the same)."""
        key = (version, exchange, tuple(props), lifetime)
        ike = self._ike_cache.get(key)
        if ike is None:
            ike = self._ike_cache[key] = Ike(version=version, exchange=exchange,
                                             proposals=key[2], lifetime_s=lifetime)
        return ike

    def identity(self, kind: str, value: str, line: int) -> Identity | None:
        try:
            return Identity.model_validate({"kind": kind, "value": value})
        except ValueError:
            self.log.note(line, f"identity {kind} {value!r} cannot be represented: not imported")
            return None

    # ---- IKEv2

    def v2(self, b: Binding) -> IkeSide:
        prof = self.binder.ikev2_profile(b)
        self.log.locations[f"{b.name}/ike"] = prof.line
        local = self.binder.profile_local(prof.local) or b.local
        if local is None:
            self.log.note(b.line, f"{b.name}: local address unknown (no 'match address "
                                  "local', interface address or tunnel source): 0.0.0.0")
            local = NOWHERE
        props = self.v2_proposals(local, b)
        method = "psk" if "pre-share" in prof.auth_remote else "certificate"
        name = b.spec.ikev2_profile
        odd = set(prof.auth_remote) - {"pre-share", "rsa-sig", "ecdsa-sig"}
        if odd:
            self.log.note(prof.line, f"ikev2 profile {name}: authentication {sorted(odd)} has "
                                     "no form in the model (read as certificate)")
        if len({*prof.auth_remote, prof.auth_local or ""} - {""}) > 1:
            self.log.note(prof.line, f"ikev2 profile {name}: asymmetric authentication; the "
                                     f"peer must use {prof.auth_remote or ['(unset)']}")
        auth = self.v2_auth(b, prof, method)
        keepalive = self.g.nat_keepalive_v2
        lifetime = prof.lifetime or DEFAULT_IKEV2_LIFETIME
        ike = self.ike(2, "main", props, lifetime) if props else None
        side = IkeSide(ike, auth, self.v2_local_id(prof, local), self.peer_id(prof, auth, b.peer),
                       local, prof.dpd or self.g.ikev2_dpd, keepalive[0] if keepalive else None)
        if ike is None:
            self.log.note(b.line, f"{b.name}: no IKEv2 proposal can serve it: not imported",
                          "warning")
        return side

    def v2_proposals(self, local: IPv4Address, b: Binding) -> list[IkeProposal]:
        props = self.binder.v2_policy_proposals(local)
        if props is not None:
            return props
        if self.g.ikev2_policy_default_off is not None:
            return []
        self.log.note(b.line, f"{b.name}: no crypto ikev2 policy matches local address "
                              f"{local}; the smart-default policy applies [V]")
        return default_ikev2()

    def v2_auth(self, b: Binding, prof: IkeProfile, method: str) -> Auth:
        loc = self.log.locations
        if method == "certificate":
            if prof.trustpoints:
                tp = self.binder.trustpoint(prof.trustpoints[0])
                loc[f"{b.name}/auth"] = tp.line if tp else prof.line
            return Auth(method="certificate", ca=self.issuer(prof))
        entry = self.binder.v2_key(b, prof)
        if entry is None or entry.key is None:
            self.log.note(b.line, f"{b.name}: no pre-shared key found for the peer")
            return Auth(method="psk")
        loc[f"{b.name}/auth"] = entry.key.line
        return Auth(method="psk", psk=entry.key.secret())

    def v2_local_id(self, prof: IkeProfile, local: IPv4Address) -> Identity | None:
        if prof.local_id is None:
            return None
        kind, value = prof.local_id
        if kind == "dn":
            subject = self.binder.subject(prof.trustpoints)
            return self.identity("dn", subject, prof.line) if subject else None
        kinds = {"address": "address", "fqdn": "fqdn", "key-id": "keyid"}
        if kind not in kinds:
            self.log.note(prof.line, f"identity local {kind}: no such identity kind in the "
                                     "model")
            return None
        return self.identity(kinds[kind], value or str(local), prof.line)

    def peer_id(self, prof: IkeProfile, auth: Auth, peer: IPv4Address | None) -> Identity | None:
        """The identity the profile requires of this peer.

        A profile shared by several peers ORs its ``match identity`` lines: the one naming this
        peer's address wins; several others leave the identity open (None).
        """
        ids = [(k, v) for k, v in prof.remote_ids if k in ("address", "fqdn", "keyid")]
        own = [x for x in ids if x == ("address", str(peer))]
        chosen = own[0] if own else (ids[0] if len(ids) == 1 else None)
        if chosen is not None:
            return self.identity(chosen[0], chosen[1], prof.line)
        dn = self.binder.cert_field(prof.cert_maps, "subject-name")
        if dn and auth.method == "certificate":
            return self.identity("dn", dn, prof.line)
        return None

    def issuer(self, prof: IkeProfile) -> str | None:
        """The CA a certificate map pins (``issuer-name eq``), if it is representable."""
        ca = self.binder.cert_field(prof.cert_maps, "issuer-name")
        if ca is not None and (any(ord(c) < 32 for c in ca) or '"' in ca):
            self.log.note(prof.line, f"issuer-name {ca!r} cannot be represented: CA not "
                                     "imported")
            return None
        return ca

    # ---- IKEv1

    def v1(self, b: Binding) -> IkeSide:
        cfg = self.cfg
        pname = b.spec.isakmp_profile
        prof = self.binder.isakmp_profile(b)
        keyrings = [cfg.v1_keyrings[k] for k in (prof.keyrings if prof else [])
                    if k in cfg.v1_keyrings]
        local = self.binder.profile_local(prof.local if prof else []) or next(
            (self.binder.interface_address(kr.local) for kr in keyrings if kr.local),
            None) or b.local
        if local is None:
            self.log.note(b.line, f"{b.name}: local address unknown: 0.0.0.0")
            local = NOWHERE
        auth = self.v1_auth(b, prof)
        props, lifetime, line = self.v1_proposals(auth.method, b)
        self.log.locations[f"{b.name}/ike"] = prof.line if prof else line
        local_id = self.v1_local_id(prof, local, pname)
        peer_id = self.peer_id(prof, auth, b.peer) if prof else None
        keepalive = self.g.nat_keepalive_v1
        dpd = (prof.dpd if prof else None) or self.g.isakmp_keepalive
        ike = None
        if not props:
            self.log.note(b.line, f"{b.name}: no isakmp policy with authentication "
                                  f"{'pre-share' if auth.method == 'psk' else 'rsa-sig'}: "
                                  "IKE cannot succeed; not imported", "warning")
        else:
            aggressive = b.spec.aggressive or bool(prof and prof.aggressive)
            ike = self.ike(1, "aggressive" if aggressive else "main", props, lifetime)
        return IkeSide(ike, auth, local_id, peer_id, local, dpd,
                       keepalive[0] if keepalive else None)

    def v1_auth(self, b: Binding, prof: IkeProfile | None) -> Auth:
        loc = self.log.locations
        if prof and prof.trustpoints and not prof.keyrings:
            loc[f"{b.name}/auth"] = prof.lines.get("auth", prof.line)
            return Auth(method="certificate", ca=self.issuer(prof))
        entry = self.binder.v1_key(b, prof)
        if entry is not None:
            loc[f"{b.name}/auth"] = entry.line
            return Auth(method="psk", psk=entry.key.secret() if entry.key else None)
        uses_certs = any(p.method == "certificate" for p in self.cfg.isakmp) or bool(
            self.cfg.trustpoints)
        if uses_certs and not (prof and prof.keyrings):
            return Auth(method="certificate", ca=self.issuer(prof) if prof else None)
        self.log.note(b.line, f"{b.name}: no pre-shared key found for the peer"
                              + (f" {b.peer}" if b.peer else ""))
        return Auth(method="psk")

    def v1_proposals(self, method: str, b: Binding) -> tuple[list[IkeProposal], int, int]:
        """The configured isakmp policies for one authentication method, by priority, their
        lifetime and line (the built-in suites when none is configured)."""
        if method not in self._v1_cache:
            mine = sorted((p for p in self.cfg.isakmp if p.method == method),
                          key=lambda p: (p.priority, p.line))
            self._v1_cache[method] = (list(dict.fromkeys(p.proposal for p in mine)),
                                      mine[0].lifetime, mine[0].line) if mine else None
        cached = self._v1_cache[method]
        if cached:
            return cached
        if self.g.isakmp_default_off is not None:
            return [], DEFAULT_ISAKMP_LIFETIME, b.line
        self.log.note(b.line, f"{b.name}: no configured isakmp policy for this authentication; "
                              "the built-in default suites 65507-65514 apply [V]")
        return default_isakmp(method), DEFAULT_ISAKMP_LIFETIME, b.line

    def v1_local_id(self, prof: IkeProfile | None, local: IPv4Address,
                    pname: str | None) -> Identity | None:
        kind = prof.local_id[0] if prof and prof.local_id else self.g.isakmp_identity
        if kind is None:
            return None
        line = prof.line if prof else 0
        if kind == "address":
            return Identity(kind="address", value=str(local))
        if kind in ("fqdn", "hostname"):
            tagged = self.cfg.self_ids.get(pname or "")
            return self.identity("fqdn", tagged or self.router_fqdn(), line)
        if kind == "dn":
            subject = self.binder.subject(prof.trustpoints if prof else list(self.cfg.trustpoints))
            return self.identity("dn", subject, line) if subject else None
        self.log.note(line or None, f"IKEv1 self-identity {kind}: no such identity kind in the "
                                    "model")
        return None

    def router_fqdn(self) -> str:
        host = self.cfg.hostname or "Router"  # IOS's factory hostname [D]
        return f"{host}.{self.cfg.domain}" if self.cfg.domain else host

    # ---- ESP and filters

    def esp(self, b: Binding) -> tuple[tuple[EspProposal, ...], Mode]:
        props: list[EspProposal] = []
        modes: list[str] = []
        for ts in self.binder.transform_sets(b):
            if ts.proposal is not None and ts.proposal not in props:
                props.append(ts.proposal)
                modes.append(ts.mode)
        if not props:
            if self.g.ts_default_off is not None:
                raise ValueError("no usable transform set")
            self.log.note(b.line, f"{b.name}: no transform set; the smart-default transform "
                                  "set 'default' applies (esp-aes/esp-sha-hmac, esp-3des/"
                                  "esp-sha-hmac) [V]")
            return DEFAULT_TRANSFORMS, "tunnel"
        mode: Mode = "transport" if modes and all(m == "transport" for m in modes) else "tunnel"
        return tuple(props), mode

    def filters(self, b: Binding, local: IPv4Address) -> tuple[tuple[Filter, ...], bool]:
        """The filter list, and whether it came from something IOS would use.

        A GRE tunnel protects GRE between its endpoints; a VTI's selectors are any/any, so its
        filter list is the outbound ACL on the tunnel (ccsec writes one) or else its routes; a
        dynamic map entry without ACL accepts whatever the peer proposes (any/any).
        """
        if b.gre:
            dest = b.peer or NOWHERE
            return (Filter(local=IPv4Network(f"{local}/32"), remote=IPv4Network(f"{dest}/32"),
                           protocol=47),), True
        acl = self.cfg.acls.get(b.acl) if b.acl else None
        if acl is not None:
            self.log.locations[f"{b.name}/filters"] = acl.line
            out = self.acl_filters(b, acl)
            if b.kind == "vti":
                self.check_routes(b, out)
            if out:
                return tuple(out), True
        if b.kind == "vti" and b.routes:
            return tuple(Filter(local=ANY, remote=n) for n in b.routes), True
        return (Filter(local=ANY, remote=ANY),), acl is None

    def acl_filters(self, b: Binding, acl: Acl) -> list[Filter]:
        out: dict[Filter, None] = {}  # duplicates dropped, order kept (a list scan was n²)
        for line in acl.unread:
            self.log.note(line, f"{b.name}: ACL entry not representable (port range, object "
                                "group or option): not imported", "warning")
        for ace in acl.aces:
            if ace.action == "deny":
                self.acl_denies.append(IosAclDeny(b.acl or "", b.name, ace.line,
                                                  f"deny {ace.src} -> {ace.dst}"))
                self.log.note(ace.line, f"{b.name}: a deny line in a crypto ACL sends that "
                                        "traffic in clear (it is not dropped)")
                continue
            f = Filter(local=ace.src, remote=ace.dst, protocol=ace.protocol,
                       local_port=ace.sport, remote_port=ace.dport)
            out.setdefault(f)
        return list(out)

    def check_routes(self, b: Binding, filters: list[Filter]) -> None:
        for f in filters:
            if not any(contains(n, v4net(f.remote)) for n in b.routes):
                self.log.note(b.line, f"{b.name}: no route sends {f.remote} into the tunnel",
                              "warning")

    # -------------------------------------------------------------------- the end

    def end_policy(self, source: str, rules: list[Rule], bindings: list[Binding]) -> EndPolicy:
        """The device: its rules plus the gateway facts (WAN/LAN interface, tunnel style,
        source NAT) the renderer writes."""
        cfg = self.cfg
        meta = read_meta(cfg.text.split("\n", 20)[:20], "!")
        kinds = {b.kind for b in bindings}
        style: Literal["crypto-map", "vti"] | None = \
            "crypto-map" if kinds & {"map", "dynamic"} else ("vti" if kinds else None)
        wan = next((b.interface for b in bindings if b.interface), None)
        lan = None
        if style == "vti":
            lan = next((i.unnumbered for i in cfg.interfaces.values()
                        if i.protection and i.unnumbered), None)
        source_nat = any(n.overload or n.pool for n in cfg.nat)
        if lan is None and source_nat:
            lan = next((n for n, i in cfg.interfaces.items() if i.nat == "inside"), None)
        if wan is None and source_nat:
            wan = next((n for n, i in cfg.interfaces.items() if i.nat == "outside"), None)
        stem = Path(source).stem if not source.startswith("<") else "ios"
        host = cfg.hostname
        return EndPolicy(
            name=meta_str(meta, "name") or to_ident(f"imported-{host or stem}"),
            description=meta_str(meta, "description", "") or "",
            owner=meta_str(meta, "owner") if meta else device_name(host),
            platform=meta_str(meta, "platform") if meta else "ios",
            rules=tuple(rules),
            wan_interface=wan,
            lan_interface=lan,
            tunnel_style=style,
            source_nat=source_nat,
        )
