"""Cisco IOS / IOS XE: the site-tunnel configuration of a gateway router (MISSION A3, B4, B5, C1,
C3, E7), and — through :mod:`ccsec.formats.ios.importer` — the running-config importer the audit
reads.  Syntax: ``shared/reference/platform-syntax.md`` §1, §2, §5, §7.

Render — one configuration per IOS gateway holding all its tunnel rules, to paste in
configuration mode:

* IKEv2 (``rule.ike.version 2``): ``crypto ikev2 proposal`` per distinct proposal (an AEAD
  proposal names a ``prf`` and no integrity), one ``crypto ikev2 policy`` per local address
  (``match address local``), and per rule a keyring (PSK) or a trust point plus a certificate
  map restricting the peer's issuer to the rule's CA, and a ``crypto ikev2 profile``.  The
  built-in smart defaults are switched off (``no crypto ikev2 policy|proposal default`` [V]).
* IKEv1: ``crypto isakmp policy`` per distinct (proposal, authentication method) with every
  attribute written out (IOS hides defaults, §7.1), ``no crypto isakmp default policy``,
  ``crypto isakmp aggressive-mode disable``, ``crypto isakmp identity address``, and per rule
  a ``crypto keyring`` (PSK) and a ``crypto isakmp profile`` (``self-identity``, ``match
  identity``, ``local-address`` [V: some images take an interface only], ``keepalive``).  IKEv1
  can only send the router's own hostname as an FQDN identity: the wanted value is stated in
  a ``! ccsec-self-identity <profile> fqdn <name>`` comment (read back from ccsec's file; from
  a device the importer uses ``hostname``/``ip domain name``).
* ``crypto ipsec transform-set`` per distinct ESP proposal, ``mode tunnel`` explicit.
* tunnel_style ``crypto-map``: an extended ACL per rule (the filter list, mirror image of the
  peer's), one ``crypto map ccsec`` entry per rule (``qos pre-classify``: classify before
  encryption, MISSION B5), applied on the WAN interface.  tunnel_style ``vti``: per rule a
  ``crypto ipsec profile``, ``interface Tunnel<100+i>`` (``ip unnumbered <lan>``), the filter
  list as ``ip access-group`` ACLs on the tunnel (both directions, since VTI selectors are
  any/any, §5.6) and static routes to the remote prefixes.
* ``source_nat``: the NAT exemption (deny the protected flows before the PAT permit, §5.7).
  NAT-T stays on (IOS default [D]); keepalives and ``no crypto ipsec nat-transparency`` as the
  rules ask.
* Object names are ``ccsec-<rule>`` (IOS wants names to start with a letter; rule names may
  start with a digit), so the importer recovers each rule name exactly.  Device-wide objects
  use names no rule can produce (``ccsec_nat``, ``ccsec-<rule>_in``, ``ccsec-tp<n>``).
* Free text: a rule description goes on the ``description`` line as-is when it is plain ASCII,
  otherwise as an ASCII JSON literal (lossless; nothing stripped, nothing can end the line, no
  raw ``?`` that would open context help).  Encoding rather than refusing keeps every
  planner description renderable; only a description too long for IOS once encoded is
  refused.  The policy description travels in the header's ``ccsec-meta`` comment.

Lost on the way (:meth:`Ios.project`) — the parser reports these as IOS has them:

* IKE proposals are device-global on IOS: an IKEv1 rule gets the ordered union of the
  proposals of all IKEv1 rules with the same authentication method (``crypto isakmp policy``
  carries the method), and the shortest IKEv1 lifetime (the policies' ``lifetime``); an IKEv2
  rule gets the union over the IKEv2 rules with the same local address (one ``ikev2 policy``
  per address).  An IKEv1 PRF equal to the hash's own PRF is implied and dropped.
* NAT keepalive and NAT-T switched off are device-global: every rule of an IKE version gets the
  shortest keepalive of that version; NAT-T off for one rule is off for all.
* ``initiate``: a crypto map negotiates when traffic matches (False); a VTI starts its SA as
  soon as the interface is up (True).  Connection type is "all".
* A rule without a peer identity matches the peer's address identity (IOS needs a ``match``
  statement to select the profile), so the parser reports ``address <peer>``; an IKEv1 rule
  without a local identity sends its address (``crypto isakmp identity address``, written
  out) and reads back as ``address <local>``.
* Gateway facts: the LAN interface of a crypto-map gateway without source NAT appears nowhere.
* A PSK rule's CA and a certificate rule's key (meaningless there).

Not expressible (:meth:`Ios.unsupported`, one sentence per problem, naming the rule): Kerberos
(no Kerberos on IOS — never a PSK substitute), transport mode (a router cannot enforce
host-to-host transport, §1), permit/block actions, clear-text fallback (request/none), disabled
rules, aggressive mode, more than one authentication method, AEAD in IKEv1, an IKEv1 PRF other
than the hash's, algorithms/groups outside ``crypto.CAPABILITIES["ios"]``, more than 6 transform
sets, one-way filters, ports without TCP/UDP, protocol 0, identities IOS cannot send (IKEv1 DN
or key-id, a DN without certificates), text IOS cannot read (non-ASCII, ``?``, blanks in a key
or name), values outside IOS's ranges (lifetimes, DPD, NAT keepalive), ends without gateway
facts or rules, duplicate rule names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ccsec.crypto import CAPABILITIES, DH_GROUPS, PRF_OF_INTEG, EspProposal, IkeProposal, is_aead
from ccsec.errors import Problem, UnsupportedError
from ccsec.formats.base import Format, Parsed, RenderContext
from ccsec.formats.ios.tree import (
    AH_INTEG,
    DESCRIPTION_MAX,
    ESP_ENCR,
    ESP_INTEG,
    IKEV1_ENCR,
    IKEV1_HASH,
    IKEV2_ENCR,
    IKEV2_INTEG,
    IKEV2_PRF,
    PROTO_NAMES,
    acl_address,
    encode_description,
    is_placeholder,
    is_unicast,
    obj,
    text_problem,
)
from ccsec.policy import Auth, EndPolicy, Filter, Identity, Rule, v4, v4net

CAP = CAPABILITIES["ios"]
CRYPTO_MAP = "ccsec"
NAT_ACL = "ccsec_nat"
KEYPAIR = "ccsec"
TUNNEL_BASE = 100
DPD_RETRY = 3
#: IOS ranges (platform-syntax.md §5.1/§5.2 [D]; SA lifetime/volume ranges from `?` [V])
IKEV1_LIFETIME = (60, 86400)
IKEV2_LIFETIME = (120, 86400)
SA_SECONDS = (120, 2592000)
SA_KILOBYTES = (2560, 4294967295)
DPD_RANGE = (10, 3600)
NAT_KEEPALIVE = (5, 3600)
#: words IOS would take as a keyword where a key is expected (any unique prefix of them)
_KEY_KEYWORDS = ("local", "remote", "hex", "address", "hostname", "key", "no-xauth")
SELF_IDENTITY_TAG = "! ccsec-self-identity"


def v1_proposal(p: IkeProposal) -> IkeProposal:
    """An IKEv1 proposal as ``crypto isakmp policy`` holds it: the PRF is the hash's own."""
    if p.prf is not None and p.integrity is not None and PRF_OF_INTEG.get(p.integrity) == p.prf:
        return p.model_copy(update={"prf": None})
    return p


def _union(groups: list[tuple[IkeProposal, ...]]) -> tuple[IkeProposal, ...]:
    out: dict[IkeProposal, None] = {}
    for props in groups:
        out.update(dict.fromkeys(props))
    return tuple(out)


@dataclass
class Device:
    """What a gateway's rules become device-wide (IOS keeps these outside any one tunnel)."""

    v1_policies: list[tuple[str, IkeProposal]] = field(default_factory=list)
    v1_union: dict[str, tuple[IkeProposal, ...]] = field(default_factory=dict)
    v1_lifetime: int | None = None
    v2_union: dict[str, tuple[IkeProposal, ...]] = field(default_factory=dict)
    keepalive: dict[int, int | None] = field(default_factory=dict)
    nat_t_off: bool = False
    transform_sets: dict[EspProposal, str] = field(default_factory=dict)
    trustpoints: dict[tuple[str | None, str | None], str] = field(default_factory=dict)

    @classmethod
    def of(cls, end: EndPolicy) -> Device:
        d = cls()
        v1 = [r for r in end.rules if r.ike.version == 1]
        for r in v1:
            method = r.auth[0].method
            props = tuple(v1_proposal(p) for p in r.ike.proposals)
            d.v1_union[method] = _union([d.v1_union.get(method, ()), props])
            for p in props:
                if (method, p) not in d.v1_policies:
                    d.v1_policies.append((method, p))
        d.v1_lifetime = min((r.ike.lifetime_s for r in v1), default=None)
        for r in end.rules:
            if r.ike.version == 2:
                key = str(r.local_address)
                d.v2_union[key] = _union([d.v2_union.get(key, ()), r.ike.proposals])
        for version in (1, 2):
            values = [r.nat_keepalive_s for r in end.rules
                      if r.ike.version == version and r.nat_keepalive_s is not None]
            d.keepalive[version] = min(values, default=None)
        d.nat_t_off = any(not r.nat_traversal for r in end.rules)
        for r in end.rules:
            for esp in r.esp:
                d.transform_sets.setdefault(
                    esp, obj(esp.label().replace(":", "-").replace("+", "-")))
            if r.auth[0].method == "certificate":
                ca_dn = (r.auth[0].ca, _local_dn(r))
                d.trustpoints.setdefault(ca_dn, f"ccsec-tp{len(d.trustpoints) + 1}")
        return d


def _local_dn(rule: Rule) -> str | None:
    return rule.local_id.value if rule.local_id and rule.local_id.kind == "dn" else None


def _ike_name(p: IkeProposal) -> str:
    return obj(p.label())


def _policy_name(addr: str) -> str:
    return "ccsec-" + addr.replace(".", "-")


def _ace(action: str, f: Filter, inbound: bool = False) -> str:
    """One ACL line for a filter; ``inbound`` mirrors it (remote → local)."""
    src, dst, sp, dp = f.local, f.remote, f.local_port, f.remote_port
    if inbound:
        src, dst, sp, dp = dst, src, dp, sp
    proto = "ip" if f.protocol is None else PROTO_NAMES.get(f.protocol, str(f.protocol))
    left = acl_address(v4net(src)) + (f" eq {sp}" if sp else "")
    right = acl_address(v4net(dst)) + (f" eq {dp}" if dp else "")
    return f" {action} {proto} {left} {right}"


def _transform(p: EspProposal) -> str:
    words = []
    if p.ah is not None:
        words.append(AH_INTEG[p.ah])
    if p.encryption is not None:
        words.append(ESP_ENCR[p.encryption])
    if p.integrity is not None:
        words.append(ESP_INTEG[p.integrity])
    return " ".join(words)


class Ios(Format):
    name = "ios"
    title = "Cisco IOS / IOS XE site tunnels"
    file_name = "ios.cfg"
    comment = "!"
    proof = "syntax"
    # ASCII and no '?': these lines are pasted into the IOS CLI, where '?' opens context help
    proof_note = ("IOS keywords per platform-syntax.md section 5; image-dependent commands are "
                  "marked [V] in comments: check them with the CLI help on the target release")

    # ------------------------------------------------------------------ refuse

    def unsupported(self, end: EndPolicy) -> list[str]:
        out = self.model_refusals(end) + list(self._end_problems(end))
        names: set[str] = set()
        for r in end.rules:
            if r.name in names:
                out.append(f"rule {r.name}: two rules share this name (IOS object names clash)")
            names.add(r.name)
            out += [f"rule {r.name}: {msg}" for msg in self._rule_problems(r)]
        return out

    def _end_problems(self, end: EndPolicy) -> list[str]:
        out = []
        if not end.rules:
            out.append("the end has no tunnel rules: an IOS gateway config would be empty")
        if end.tunnel_style is None or end.wan_interface is None or end.lan_interface is None:
            out.append("IOS renders a site gateway: the end needs wan_interface, lan_interface "
                       "and tunnel_style (give the site a gateway with platform: ios)")
        for what, value in (("wan_interface", end.wan_interface),
                            ("lan_interface", end.lan_interface)):
            if value is not None and not _interface_ok(value):
                out.append(f"{what} {value!r} is not an IOS interface name")
        return out

    def _rule_problems(self, r: Rule) -> list[str]:
        out = []
        if any(a.method == "kerberos" for a in r.auth):
            out.append("IOS has no Kerberos authentication — use certificates (pki: root_ca) "
                       "for paths through an IOS gateway; ccsec never substitutes a PSK")
        if len(r.auth) != 1:
            out.append("IOS takes one authentication method per tunnel")
        if r.mode != "tunnel":
            out.append("a router cannot enforce a host-to-host transport rule (platform-syntax "
                       "§1); IOS renders tunnel mode only")
        if r.action != "negotiate":
            out.append(f"action {r.action} has no IOS crypto form (crypto ACL permit = protect)")
        if r.fallback_to_clear:
            out.append("IOS has no clear-text fallback (request/none); use require/require")
        if not r.enabled:
            out.append("a disabled rule has no IOS form")
        if r.ike.exchange != "main":
            out.append("ccsec renders IKEv1 main mode only (aggressive mode exposes the PSK hash)")
        out += self._crypto_problems(r)
        out += self._filter_problems(r)
        out += self._identity_problems(r)
        out += self._value_problems(r)
        return out

    def _crypto_problems(self, r: Rule) -> list[str]:
        out = []
        v = r.ike.version
        for p in r.ike.proposals:
            if v == 1 and is_aead(p.encryption):
                out.append(f"IKEv1 has no AEAD cipher ({p.label()})")
            elif v == 1 and v1_proposal(p).prf is not None:
                out.append(f"IKEv1 on IOS derives the PRF from the hash ({p.label()})")
            elif not CAP.allows_ike(p, v):
                out.append(f"IKE proposal {p.label()} is outside what IOS negotiates")
        for esp in r.esp:
            if not CAP.allows_esp(esp) or (esp.encryption is None and esp.ah is None):
                out.append(f"ESP proposal {esp.label()} is outside the IOS transform set words")
        if len(r.esp) > CAP.max_esp:
            out.append(f"{len(r.esp)} ESP proposals; a crypto map entry takes at most "
                       f"{CAP.max_esp} transform sets")
        if r.pfs_group is not None and r.pfs_group not in CAP.pfs_groups:
            out.append(f"PFS {DH_GROUPS[r.pfs_group].keyword} is not an IOS 'set pfs' group")
        auth = r.auth[0] if r.auth else None
        if auth and auth.method == "psk":
            if auth.psk is None:
                out.append("the pre-shared key is unreadable (e.g. an IOS type-6 key)")
            elif auth.psk.value is not None:
                problem = _key_problem(auth.psk.reveal())
                if problem:
                    out.append(problem)
        if auth and auth.method == "certificate" and auth.ca is not None:
            problem = text_problem(auth.ca, "the CA name")
            if problem:
                out.append(problem)
        return out

    def _filter_problems(self, r: Rule) -> list[str]:
        out = []
        for f in r.filters:
            if not f.mirrored:
                out.append(f"filter {f.local}->{f.remote} is one-way; IOS crypto ACLs and "
                           "tunnel selectors are mirrored")
            if (f.local_port or f.remote_port) and f.protocol not in (6, 17):
                out.append(f"filter {f.local}->{f.remote}: a port needs TCP or UDP in an ACL")
            if f.protocol == 0:
                out.append(f"filter {f.local}->{f.remote}: IOS reads protocol 0 as 'ip' (any)")
        return out

    def _identity_problems(self, r: Rule) -> list[str]:
        out = []
        cert = bool(r.auth) and r.auth[0].method == "certificate"
        for side, ident in (("local", r.local_id), ("peer", r.peer_id)):
            if ident is None:
                continue
            problem = text_problem(ident.value, f"the {side} identity")
            if problem is None and ident.kind != "dn" and " " in ident.value:
                problem = f"the {side} identity {ident.value!r} contains a blank"
            if problem:
                out.append(problem)
            if ident.kind == "dn" and not cert:
                out.append(f"a DN {side} identity needs certificate authentication on IOS")
            if r.ike.version == 1 and ident.kind == "keyid":
                out.append(f"IKEv1 on IOS has no key-id {side} identity")
        local = r.local_id
        if r.ike.version == 1 and local is not None:
            if local.kind == "dn":
                out.append("an IKEv1 isakmp profile cannot send a DN identity per tunnel "
                           "(only 'crypto isakmp identity dn' device-wide)")
            if local.kind == "address" and local.value != str(r.local_address):
                out.append("IKEv1 on IOS sends its own address as an address identity")
        return out

    def _value_problems(self, r: Rule) -> list[str]:
        out = []
        lo, hi = IKEV1_LIFETIME if r.ike.version == 1 else IKEV2_LIFETIME
        if not lo <= r.ike.lifetime_s <= hi:
            out.append(f"IKE lifetime {r.ike.lifetime_s}s is outside IOS's {lo}-{hi}")
        if not SA_SECONDS[0] <= r.lifetime_s <= SA_SECONDS[1]:
            out.append(f"SA lifetime {r.lifetime_s}s is outside IOS's "
                       f"{SA_SECONDS[0]}-{SA_SECONDS[1]}")
        if r.lifetime_kb is not None and not SA_KILOBYTES[0] <= r.lifetime_kb <= SA_KILOBYTES[1]:
            out.append(f"SA volume {r.lifetime_kb} KB is outside IOS's {SA_KILOBYTES[0]}-"
                       f"{SA_KILOBYTES[1]}")
        if r.dpd_s is not None and not DPD_RANGE[0] <= r.dpd_s <= DPD_RANGE[1]:
            out.append(f"DPD interval {r.dpd_s}s is outside IOS's {DPD_RANGE[0]}-{DPD_RANGE[1]}")
        if r.nat_keepalive_s is not None and not (
                NAT_KEEPALIVE[0] <= r.nat_keepalive_s <= NAT_KEEPALIVE[1]):
            out.append(f"NAT keepalive {r.nat_keepalive_s}s is outside IOS's 5-3600")
        for what, addr in (("peer", r.peer_address), ("local", r.local_address)):
            if addr.version != 4 or not is_unicast(v4(addr)):
                out.append(f"{what} address {addr} is not a unicast address")
        if r.description and len(encode_description(r.description)) > DESCRIPTION_MAX:
            out.append(f"the description is longer than IOS's {DESCRIPTION_MAX} characters "
                       "once encoded")
        return out

    # ------------------------------------------------------------------ render

    def render_body(self, end: EndPolicy, ctx: RenderContext) -> list[str]:
        dev = Device.of(end)
        assert end.wan_interface and end.lan_interface
        lines = [
            "!",
            "! Paste in configuration mode. Every security attribute is written out: IOS hides",
            "! defaults from show running-config (platform-syntax.md section 7.1).",
            "! E7: run IPsec on a hardware crypto engine that supports NGE (AES-GCM, SHA-2,",
            "! ECDH; Cisco technote 116055 [V]); never 'no crypto engine accelerator'.",
        ]
        lines += self._ikev2_globals(end, dev)
        lines += self._ikev1_globals(dev)
        if dev.nat_t_off:
            lines += ["!", "no crypto ipsec nat-transparency udp-encapsulation"]
        lines += self._trustpoints(dev)
        lines += self._transform_sets(dev)
        for i, rule in enumerate(end.rules):
            lines += self._rule(i, rule, end, dev, ctx)
        if end.source_nat:
            lines += self._nat(end)
        lines += self._interfaces(end)
        return lines

    def _ikev2_globals(self, end: EndPolicy, dev: Device) -> list[str]:
        if not dev.v2_union:
            return []
        out = ["!"]
        seen: set[IkeProposal] = set()
        for props in dev.v2_union.values():
            for p in props:
                if p in seen:
                    continue
                seen.add(p)
                out += [f"crypto ikev2 proposal {_ike_name(p)}",
                        f" encryption {IKEV2_ENCR[p.encryption]}"]
                if p.integrity is not None:
                    out.append(f" integrity {IKEV2_INTEG[p.integrity]}")
                if p.prf is not None:
                    out.append(f" prf {IKEV2_PRF[p.prf]}")
                out += [f" group {p.group}", "!"]
        for addr, props in dev.v2_union.items():
            out += [f"crypto ikev2 policy {_policy_name(addr)}", f" match address local {addr}"]
            out += [f" proposal {_ike_name(p)}" for p in props]
            out.append("!")
        out += ["! [V] switch the smart defaults off so nothing else is negotiated",
                "no crypto ikev2 policy default", "no crypto ikev2 proposal default"]
        if dev.keepalive.get(2):
            out.append(f"crypto ikev2 nat keepalive {dev.keepalive[2]}")
        return out

    def _ikev1_globals(self, dev: Device) -> list[str]:
        if not dev.v1_policies:
            return []
        out = ["!"]
        legacy = False
        for n, (method, p) in enumerate(dev.v1_policies, start=1):
            assert p.integrity is not None
            legacy |= DH_GROUPS[p.group].nge == "Avoid" or p.encryption.value in ("des", "3des")
            out += [
                f"crypto isakmp policy {n * 10}",
                f" encryption {IKEV1_ENCR[p.encryption]}",
                f" hash {IKEV1_HASH[p.integrity]}",
                f" authentication {'pre-share' if method == 'psk' else 'rsa-sig'}",
                f" group {p.group}",
                f" lifetime {dev.v1_lifetime}",
                "!",
            ]
        if legacy:
            out += ["! [V] IOS XE 17.7+ refuses DES/3DES and DH groups 1/2/5 unless",
                    "! 'crypto engine compliance shield disable' is set (the audit flags both)"]
        out += ["! [V] remove the built-in suites 65507-65514; refuse aggressive mode",
                "no crypto isakmp default policy", "crypto isakmp aggressive-mode disable",
                "crypto isakmp identity address",
                "! [V] 'local-address <ip>' in keyrings and isakmp profiles (older images take",
                "! an interface name only)"]
        if dev.keepalive.get(1):
            out.append(f"crypto isakmp nat keepalive {dev.keepalive[1]}")
        return out

    def _trustpoints(self, dev: Device) -> list[str]:
        out: list[str] = []
        if dev.trustpoints:
            out += ["!", "! [V] a certificate map's 'eq' compares the DN as IOS prints it",
                    "! (case-insensitive): check with 'show crypto pki certificates'"]
        for (ca, subject), name in dev.trustpoints.items():
            out += ["!", f"crypto pki trustpoint {name}"]
            if ca:
                out.append(f" ! CA: {ca} (import it with 'crypto pki authenticate {name}')")
            out.append(" enrollment terminal")
            if subject:
                out.append(f" subject-name {subject}")
            out += [" revocation-check crl", f" rsakeypair {KEYPAIR} 2048"]
        return out

    def _transform_sets(self, dev: Device) -> list[str]:
        out = ["!"]
        for p, name in dev.transform_sets.items():
            out += [f"crypto ipsec transform-set {name} {_transform(p)}", " mode tunnel"]
        return out

    def _rule(self, i: int, rule: Rule, end: EndPolicy, dev: Device,
              ctx: RenderContext) -> list[str]:
        name = obj(rule.name)
        out = ["!", f"! ---- rule {rule.name}"]
        out += self._cert_map(rule)
        if rule.ike.version == 2:
            out += self._ikev2_rule(rule, dev, ctx)
        else:
            out += self._ikev1_rule(rule, dev, ctx)
        out += ["!", f"ip access-list extended {name}"]
        out += [_ace("permit", f) for f in rule.filters]
        if end.tunnel_style == "vti":
            out += self._vti(i, rule, end, dev)
        else:
            out += self._map_entry(i, rule, dev)
        return out

    def _cert_map(self, rule: Rule) -> list[str]:
        auth = rule.auth[0]
        peer_dn = rule.peer_id.value if rule.peer_id and rule.peer_id.kind == "dn" else None
        if auth.method != "certificate" or not (auth.ca or peer_dn):
            return []
        out = [f"crypto pki certificate map {obj(rule.name)} 10"]
        if auth.ca:
            out.append(f" issuer-name eq {auth.ca}")
        if peer_dn:
            out.append(f" subject-name eq {peer_dn}")
        return out

    def _ikev2_rule(self, rule: Rule, dev: Device, ctx: RenderContext) -> list[str]:
        name = obj(rule.name)
        auth = rule.auth[0]
        out: list[str] = []
        if auth.method == "psk":
            key = _psk(rule, ctx)
            out += ["!", f"crypto ikev2 keyring {name}", f" peer {name}",
                    f"  address {rule.peer_address}", f"  pre-shared-key {key}", " !"]
        out += ["!", f"crypto ikev2 profile {name}", f" match address local {rule.local_address}"]
        peer = rule.peer_id
        if peer is None or peer.kind == "address":
            value = peer.value if peer else str(rule.peer_address)
            out.append(f" match identity remote address {value} 255.255.255.255")
        elif peer.kind != "dn":
            word = "fqdn" if peer.kind == "fqdn" else "key-id"
            out.append(f" match identity remote {word} {peer.value}")
        if self._cert_map(rule):
            out.append(f" match certificate {name}")
        local = rule.local_id
        if local is not None:
            words = {"address": "address", "fqdn": "fqdn", "keyid": "key-id", "dn": "dn"}
            value = "" if local.kind == "dn" else f" {local.value}"
            out.append(f" identity local {words[local.kind]}{value}")
        method = "pre-share" if auth.method == "psk" else "rsa-sig"
        out += [f" authentication remote {method}", f" authentication local {method}"]
        if auth.method == "psk":
            out.append(f" keyring local {name}")
        else:
            out.append(f" pki trustpoint {dev.trustpoints[(auth.ca, _local_dn(rule))]}")
        if rule.dpd_s:
            out.append(f" dpd {rule.dpd_s} {DPD_RETRY} periodic")
        out.append(f" lifetime {rule.ike.lifetime_s}")
        return out

    def _ikev1_rule(self, rule: Rule, dev: Device, ctx: RenderContext) -> list[str]:
        name = obj(rule.name)
        auth = rule.auth[0]
        out: list[str] = []
        if auth.method == "psk":
            key = _psk(rule, ctx)
            out += ["!", f"crypto keyring {name}", f" local-address {rule.local_address}",
                    f" pre-shared-key address {rule.peer_address} key {key}"]
        local = rule.local_id
        if local is not None and local.kind == "fqdn":
            out += ["!", f"{SELF_IDENTITY_TAG} {name} fqdn {local.value}",
                    "! IKEv1 sends this router's own hostname.domain as its FQDN identity:",
                    f"! set 'hostname'/'ip domain name' so that it reads {local.value} [V]"]
        out += ["!", f"crypto isakmp profile {name}"]
        if auth.method == "psk":
            out.append(f" keyring {name}")
        else:
            out.append(f" ca trust-point {dev.trustpoints[(auth.ca, _local_dn(rule))]}")
        peer = rule.peer_id
        if peer is None or peer.kind == "address":
            value = peer.value if peer else str(rule.peer_address)
            out.append(f" match identity address {value} 255.255.255.255")
        elif peer.kind == "fqdn":
            out.append(f" match identity host {peer.value}")
        if self._cert_map(rule):
            out.append(f" match certificate {name}")
        if local is not None:
            out.append(f" self-identity {'fqdn' if local.kind == 'fqdn' else 'address'}")
        out.append(f" local-address {rule.local_address}")
        if rule.dpd_s:
            out.append(f" keepalive {rule.dpd_s} retry {DPD_RETRY}")
        return out

    def _sa_lines(self, rule: Rule, dev: Device) -> list[str]:
        """The IPsec SA attributes a crypto map entry and an ipsec profile share."""
        sets = " ".join(dev.transform_sets[p] for p in rule.esp)
        out = [f" set transform-set {sets}"]
        if rule.pfs_group is not None:
            out.append(f" set pfs group{rule.pfs_group}")
        kb = "disable" if rule.lifetime_kb is None else str(rule.lifetime_kb)
        out += [f" set security-association lifetime seconds {rule.lifetime_s}",
                f" set security-association lifetime kilobytes {kb}"]
        if rule.ike.version == 2:
            out.append(f" set ikev2-profile {obj(rule.name)}")
        else:
            out.append(f" set isakmp-profile {obj(rule.name)}")
        return out

    def _map_entry(self, i: int, rule: Rule, dev: Device) -> list[str]:
        out = ["!", f"crypto map {CRYPTO_MAP} {(i + 1) * 10} ipsec-isakmp"]
        if rule.description:
            out.append(f" description {encode_description(rule.description)}")
        out.append(f" set peer {rule.peer_address}")
        out += self._sa_lines(rule, dev)
        out.append(f" match address {obj(rule.name)}")
        if rule.qos_preclassify:
            out.append(" qos pre-classify")
        return out

    def _vti(self, i: int, rule: Rule, end: EndPolicy, dev: Device) -> list[str]:
        name = obj(rule.name)
        tunnel = f"Tunnel{TUNNEL_BASE + i}"
        out = ["!", f"ip access-list extended {name}_in"]
        out += [_ace("permit", f, inbound=True) for f in rule.filters]
        out += ["!", f"crypto ipsec profile {name}"]
        out += self._sa_lines(rule, dev)
        out += ["!", f"interface {tunnel}"]
        if rule.description:
            out.append(f" description {encode_description(rule.description)}")
        out += [f" ip unnumbered {end.lan_interface}",
                f" ip access-group {name}_in in",
                f" ip access-group {name} out"]
        if rule.qos_preclassify:
            out.append(" qos pre-classify")
        out += [f" tunnel source {end.wan_interface}",
                " tunnel mode ipsec ipv4",
                f" tunnel destination {rule.peer_address}",
                f" tunnel protection ipsec profile {name}",
                "!"]
        remotes = dict.fromkeys(f.remote for f in rule.filters)
        out += [f"ip route {n.network_address} {n.netmask} {tunnel}" for n in remotes]
        return out

    def _nat(self, end: EndPolicy) -> list[str]:
        """NAT exemption: the protected flows are denied (not translated) before the PAT permit."""
        out = ["!", f"ip access-list extended {NAT_ACL}"]
        denies = dict.fromkeys(_ace("deny", f) for r in end.rules for f in r.filters)
        out += list(denies)
        locals_ = dict.fromkeys(f.local for r in end.rules for f in r.filters)
        out += [f" permit ip {acl_address(v4net(n))} any" for n in locals_]
        out += ["!", f"ip nat inside source list {NAT_ACL} interface {end.wan_interface} overload"]
        return out

    def _interfaces(self, end: EndPolicy) -> list[str]:
        out = ["!"]
        if end.source_nat:
            out += [f"interface {end.lan_interface}", " ip nat inside", "!"]
        wan = [" ip nat outside"] if end.source_nat else []
        if end.tunnel_style != "vti":
            wan.append(f" crypto map {CRYPTO_MAP}")
        if wan:
            out += [f"interface {end.wan_interface}", *wan, "!"]
        return out

    # ------------------------------------------------------------------- parse

    def parse(self, text: str, source: str = "<text>") -> Parsed:
        from ccsec.formats.ios.importer import parse

        return parse(text, source)

    # ----------------------------------------------------------------- project

    def project(self, end: EndPolicy, ctx: RenderContext) -> EndPolicy:
        dev = Device.of(end) if end.rules else Device()
        rules = tuple(self._project_rule(r, end, dev, ctx) for r in end.rules)
        keep_lan = end.tunnel_style == "vti" or end.source_nat
        return end.model_copy(update={
            "rules": rules,
            "default_response_rule": False,
            "lan_interface": end.lan_interface if keep_lan else None,
        })

    def _project_rule(self, r: Rule, end: EndPolicy, dev: Device, ctx: RenderContext) -> Rule:
        auth = tuple(_project_auth(a, ctx) for a in r.auth)
        ike = r.ike
        if ike.version == 1 and r.auth:
            props = dev.v1_union.get(r.auth[0].method, ike.proposals)
            ike = ike.model_copy(update={"proposals": props,
                                         "lifetime_s": dev.v1_lifetime or ike.lifetime_s})
        elif ike.version == 2:
            ike = ike.model_copy(update={
                "proposals": dev.v2_union.get(str(r.local_address), ike.proposals)})
        peer_id = r.peer_id or Identity(kind="address", value=str(r.peer_address))
        local_id = r.local_id
        if local_id is None and ike.version == 1:  # 'crypto isakmp identity address'
            local_id = Identity(kind="address", value=str(r.local_address))
        return r.model_copy(update={
            "auth": auth,
            "ike": ike,
            "local_id": local_id,
            "peer_id": peer_id,
            "initiate": end.tunnel_style == "vti",
            "connection_type": "all",
            "nat_keepalive_s": dev.keepalive.get(ike.version),
            "nat_traversal": not dev.nat_t_off,
        })


def _project_auth(a: Auth, ctx: RenderContext) -> Auth:
    if a.method == "psk":
        return a.model_copy(update={"psk": ctx.resolve(a.psk), "ca": None})
    return a.model_copy(update={"psk": None})


def _interface_ok(name: str) -> bool:
    head = name.rstrip("0123456789/.:")
    return (text_problem(name, "x") is None and " " not in name and head != name
            and head.replace("-", "").isalpha())


def _key_problem(key: str) -> str | None:
    """Why IOS would misread ``key`` as a pre-shared key (None when it reads it verbatim)."""
    problem = text_problem(key, "the pre-shared key")
    if problem:
        return problem.replace(repr(key), "(value hidden)")
    if " " in key:
        return "the pre-shared key contains a blank (IOS reads one word)"
    if is_placeholder(key):
        return "the pre-shared key looks like a template placeholder (<...>, X.X.X.X)"
    low = key.lower()
    if (len(key) == 1 and key.isdigit()) or any(w.startswith(low) for w in _KEY_KEYWORDS):
        return "the pre-shared key reads as an IOS keyword; choose a longer key"
    return None


def _psk(rule: Rule, ctx: RenderContext) -> str:
    """The rule's pre-shared key, revealed for the config line, refused when IOS would
    misread it (see :func:`_key_problem`)."""
    key = ctx.reveal(rule.auth[0].psk, f"rule {rule.name} psk")
    problem = _key_problem(key)
    if problem:
        raise UnsupportedError(Problem(problem, field=f"rule {rule.name} psk",
                                       fix="use another key"))
    return key


FORMAT = Ios()
