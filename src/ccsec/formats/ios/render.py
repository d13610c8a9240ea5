"""Cisco IOS / IOS XE: the site-tunnel configuration of a gateway router (MISSION A3, B4, B5, C1,
C3, E7), and — through :mod:`ccsec.formats.ios.importer` — the running-config importer the audit
reads.  Syntax: ``shared/reference/platform-syntax.md`` §1, §2, §5, §7.

Render — one configuration per IOS gateway holding all its tunnel rules, to paste in
configuration mode:

* IKEv2 (``rule.ike.version 2``): ``crypto ikev2 proposal`` per distinct proposal (an AEAD
  proposal names a ``prf`` and no integrity), one ``crypto ikev2 policy`` per local address
  (``match address local``), and per rule a keyring (PSK) or a trust point plus a certificate
  map restricting the peer's issuer to the rule's CA (one ``co`` line per RDN) and its subject
  to the peer's (a map naming the issuer alone matches every peer of the CA, and a profile's
  ``match identity``/``match certificate`` are ORed), and a ``crypto ikev2 profile``.  A trust
  point enrolls with the subject (and subjectAltName) the router's peers check.  The
  built-in smart defaults are switched off (``no crypto ikev2 policy|proposal default`` [V]).
* IKEv1: ``crypto isakmp policy`` per distinct (proposal, authentication method) with every
  attribute written out (IOS hides defaults, §7.1), ``no crypto isakmp default policy``,
  ``crypto isakmp aggressive-mode disable``, ``crypto isakmp identity address`` (``dn`` when a
  rule sends its certificate's DN: an isakmp profile cannot choose it), and per rule a ``crypto
  keyring`` (PSK) and a ``crypto isakmp profile`` (``self-identity``, ``match identity``,
  ``local-address`` [V: some images take an interface only], ``keepalive``).  IKEv1 can only
  send the router's own hostname.domain as an FQDN identity, so ccsec plans an address or the
  certificate's DN for it; a policy that still asks for an FQDN gets it in a ``!
  ccsec-self-identity <profile> fqdn <name>`` comment (read back from ccsec's file; a router
  drops comments, and the lab reads it as the router holds it).
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

What IOS cannot express is the support table in :mod:`ccsec.formats.ios.support`; what its
parser reads back differently (proposals, NAT keepalive and NAT-T merged per router, identities
IOS writes out, ``initiate`` from the tunnel style…) is the loss table in
:mod:`ccsec.formats.ios.losses`.  Both are run by :class:`~ccsec.formats.base.Format`.
"""

from __future__ import annotations

from ccsec.crypto import DH_GROUPS, EspProposal, IkeProposal
from ccsec.errors import Problem, UnsupportedError
from ccsec.formats.base import Format, Parsed, RenderContext
from ccsec.formats.dn import rdns
from ccsec.formats.ios import losses, support
from ccsec.formats.ios.device import Device, local_subject
from ccsec.formats.ios.tree import (
    AH_INTEG,
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
    obj,
)
from ccsec.policy import EndPolicy, Filter, Rule, v4net

CRYPTO_MAP = "ccsec"
NAT_ACL = "ccsec_nat"
KEYPAIR = "ccsec"
TUNNEL_BASE = 100
DPD_RETRY = 3
SELF_IDENTITY_TAG = "! ccsec-self-identity"


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
    proof_note = ("IOS keywords per the Cisco IOS Security Command Reference; image-dependent "
                  "commands are marked [V] in comments: check them with the CLI help on the "
                  "target release; this file as the router holds it is played by strongSwan in "
                  "ccsec lab run and by libreswan in ccsec lab witness")

    END_REFUSALS = support.END_REFUSALS
    RULE_IN_END_REFUSALS = support.RULE_IN_END_REFUSALS
    REFUSALS = support.REFUSALS
    LOSSES = losses.LOSSES

    def device_view(self, end: EndPolicy, ctx: RenderContext) -> Device:
        """Proposals, lifetime, NAT keepalive and NAT-T as the router holds them for all rules."""
        return Device.of(end)

    # ------------------------------------------------------------------ render

    def render_body(self, end: EndPolicy, ctx: RenderContext) -> list[str]:
        dev = Device.of(end)
        assert end.wan_interface and end.lan_interface
        lines = [
            "!",
            "! Paste in configuration mode. Every security attribute is written out: IOS hides",
            "! defaults from show running-config (Cisco IOS Configuration Fundamentals",
            "! Command Reference, show running-config).",
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
        identity = "dn" if dev.v1_dn_identity else "address"
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
                f"crypto isakmp identity {identity}",
                "! [V] 'local-address <ip>' in keyrings and isakmp profiles (older images take",
                "! an interface name only)"]
        if dev.keepalive.get(1):
            out.append(f"crypto isakmp nat keepalive {dev.keepalive[1]}")
        return out

    def _trustpoints(self, dev: Device) -> list[str]:
        out: list[str] = []
        if dev.trustpoints:
            out += ["!", "! [V] certificate maps compare with the DN as IOS prints it, case-",
                    "! insensitively ('show crypto pki certificates'): the CA is matched RDN by",
                    "! RDN ('co', any order), the peer's one-RDN subject with 'eq'.  Each",
                    "! router enrolls with the subject (and subjectAltName) its peers check."]
        for (ca, subject), name in dev.trustpoints.items():
            out += ["!", f"crypto pki trustpoint {name}"]
            if ca:
                out.append(f" ! CA: {ca} (import it with 'crypto pki authenticate {name}')")
            out.append(" enrollment terminal")
            if subject:
                out.append(f" subject-name {subject}")
                alt = subject_alt_name(subject)
                if alt:
                    out.append(f" subject-alt-name {alt}")
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
        """The certificate map of a certificate rule: its CA, and the peer's certificate
        subject.  Both are needed: an IKEv2 profile's ``match identity`` and ``match
        certificate`` statements are ORed (Cisco FlexVPN and IKEv2 Configuration Guide,
        "Configuring the IKEv2 Profile" [V]), so a map naming the issuer alone matches every
        peer of that CA and a hub's profiles become ambiguous."""
        auth = rule.auth[0]
        subject = peer_subject(rule)
        if auth.method != "certificate" or not (auth.ca or subject):
            return []
        out = [f"crypto pki certificate map {obj(rule.name)} 10"]
        if auth.ca:
            out += [f" issuer-name co {rdn}" for rdn in rdns(auth.ca)]
        if subject:
            parts = rdns(subject)
            out += ([f" subject-name eq {subject}"] if len(parts) == 1
                    else [f" subject-name co {rdn}" for rdn in parts])
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
            out.append(f" pki trustpoint {dev.trustpoints[(auth.ca, local_subject(rule))]}")
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
            out.append(f" ca trust-point {dev.trustpoints[(auth.ca, local_subject(rule))]}")
        peer = rule.peer_id
        if peer is None or peer.kind == "address":
            value = peer.value if peer else str(rule.peer_address)
            out.append(f" match identity address {value} 255.255.255.255")
        elif peer.kind == "fqdn":
            out.append(f" match identity host {peer.value}")
        if self._cert_map(rule):
            out.append(f" match certificate {name}")
        if local is None or local.kind != "dn":  # a DN is 'crypto isakmp identity dn'
            out.append(f" self-identity {'fqdn' if local and local.kind == 'fqdn' else 'address'}")
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


def peer_subject(rule: Rule) -> str | None:
    """The subject the peer's certificate must carry: its DN identity, or ``CN=<its FQDN>``
    (the subject each end enrolls with, see :func:`~.device.local_subject`)."""
    peer = rule.peer_id
    if rule.auth[0].method != "certificate" or peer is None:
        return None
    if peer.kind == "dn":
        return peer.value
    return f"CN={peer.value}" if peer.kind == "fqdn" else None


def subject_alt_name(subject: str) -> str | None:
    """The FQDN of a ``CN=<fqdn>`` subject ccsec enrolls a router with: strongSwan checks an
    FQDN identity against the certificate's subjectAltName, not its CN [V: 'subject-alt-name'
    needs IOS 15.x or IOS XE 3.x and later]."""
    parts = rdns(subject)
    if len(parts) == 1 and parts[0].upper().startswith("CN="):
        return parts[0][3:]
    return None


def _psk(rule: Rule, ctx: RenderContext) -> str:
    """The rule's pre-shared key, revealed for the config line, refused when IOS would
    misread it (see :data:`~ccsec.formats.ios.support.KEY_ROWS`)."""
    key = ctx.reveal(rule.auth[0].psk, f"rule {rule.name} psk")
    problem = support.key_problem(rule, key)
    if problem:
        raise UnsupportedError(Problem(problem, field=f"rule {rule.name} psk",
                                       fix="use another key"))
    return key


FORMAT = Ios()
