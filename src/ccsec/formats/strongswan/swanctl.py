"""strongSwan ``swanctl.conf``: the format the ccsec lab runs for real (``FORMAT``).

Render: one connection per rule with one child per filter (pair of subnets: IKEv1 and IOS
negotiate one pair per SA); transport mode for Linux hosts, tunnel mode for gateways; ``trap``
start actions so nothing leaves in clear text while no SA exists (the end that must initiate —
behind NAT — uses ``trap|start`` when the target release has it, 5.9.6 and later, else traps and
starts with its first packet); ``rekey_bytes`` below ``life_bytes`` (volume rekeying is off
otherwise); an IKEv1 SA lifetime offered exactly as planned (``rekey_time`` + ``over_time``);
DNs in strongSwan's RDN order (:mod:`ccsec.formats.dn`); the certificate always sent;
pre-shared keys in a ``secrets`` section (the file is then written 0600).  The header states
the release the file needs (:mod:`.versions`).  Parse: the same files and real-world ones, read
as charon loads them (:mod:`.swanctl_read`: ``include``, connection references, the defaults
strongSwan applies when a key is missing, dynamic selectors, IPv6, virtual IPs and pools,
authentication rounds, every proposal keyword; one rule per child) with the strongswan.conf
beside them (:mod:`.settings`).

Lost on the way (``LOSSES``, applied by ``project``): connection type, QoS pre-classification
and the NAT keepalive interval (charon-wide settings, not per connection); the IPsec mode of a
pass/drop shunt.  Not expressible (``REFUSALS``, run by ``unsupported``): Kerberos, more than
one auth method per rule, one-way (non-mirrored) filters, ports without a protocol, disabled
rules, NAT-T switched off, different inbound/outbound security, AH+ESP bundles, ESP and AH
proposals mixed in one rule, IKEv2 aggressive mode.
"""

from __future__ import annotations

from pathlib import Path

from ccsec.formats.base import (
    HOST_LOSSES,
    READ_ONLY_REFUSALS,
    Format,
    Loss,
    Note,
    Parsed,
    Projecting,
    Refusal,
    RenderContext,
    json_comment,
    meta_str,
    read_meta,
    resolved_auth,
    when,
)
from ccsec.formats.dn import encoding_order
from ccsec.formats.facts import DeviceFacts
from ccsec.formats.strongswan.identity import render_id
from ccsec.formats.strongswan.keys import swanctl_value
from ccsec.formats.strongswan.proposals import esp_label, proposal_budget
from ccsec.formats.strongswan.settings import load as load_settings
from ccsec.formats.strongswan.swanconf import parse_conf, quote, resolve_references
from ccsec.formats.strongswan.swanctl_read import (
    CHILD_REKEY_DEFAULT,
    IKE_REKEY_DEFAULT,
    SHUNT_ACTIONS,
    SwanctlReader,
    includer,
)
from ccsec.formats.strongswan.versions import TRAP_START, Feature, Target, release
from ccsec.policy import (
    Auth,
    EndPolicy,
    Filter,
    Identity,
    Network,
    Rule,
    to_ident,
)

PROTO_NAMES = {1: "icmp", 6: "tcp", 17: "udp", 50: "esp", 51: "ah"}
PROTO_NUMBERS = {v: k for k, v in PROTO_NAMES.items()}
STRONGSWAN_IKE_REKEY_DEFAULT = IKE_REKEY_DEFAULT
STRONGSWAN_CHILD_REKEY_DEFAULT = CHILD_REKEY_DEFAULT
__all__ = ["FORMAT", "SHUNT_ACTIONS", "StrongSwan"]


def _ts(net: Network, proto: int | None, port: int | None, port_max: int | None = None) -> str:
    if proto is None:
        return str(net)
    name = PROTO_NAMES.get(proto, str(proto))
    if port and port_max:
        return f"{net}[{name}/{port}-{port_max}]"
    return f"{net}[{name}/{port}]" if port else f"{net}[{name}]"


def _start(rule: Rule, target: Target) -> tuple[str, str, str]:
    """start_action, dpd_action, close_action for a rule.  Before 5.9.6 (no ``trap|start``)
    an initiating end that never talks in clear text traps: it initiates on its first packet."""
    if rule.outbound == "require":
        if rule.initiate:
            return ("trap|start" if target.has(TRAP_START) else "trap"), "restart", "start"
        return "trap", "trap", "trap"
    if rule.initiate:
        return "start", "restart", "start"
    return "none", "clear", "none"


def _filter_groups(rule: Rule) -> list[list[Filter]]:
    """One child per filter, i.e. per pair of subnets: IKEv1 negotiates only the first pair of
    a child's selector lists (swanctl.conf(5), ``local_ts``), IOS builds one SA per crypto-ACL
    line and expects one pair per CHILD_SA [V], so a child with several subnets would leave
    all but one pair unprotected against those peers."""
    return [[f] for f in rule.filters]


def _ike_times(rule: Rule) -> list[str]:
    """The IKE SA's rekey time (and for IKEv1 its over_time).

    IKEv1 offers ``reauth_time`` (or ``rekey_time``) + ``over_time`` as the SA lifetime in Main
    Mode (strongSwan ``main_mode.c``), ``over_time`` defaulting to 10 % more; IOS accepts a
    proposal only if its lifetime is at most its own (Cisco IOS Security Configuration Guide,
    "Configuring Internet Key Exchange for IPsec VPNs": a match needs the remote peer's lifetime
    to be less than or equal to the policy's).  So the planned lifetime is split into rekey +
    over time and offered exactly."""
    life = rule.ike.lifetime_s
    if rule.ike.version != 1:
        return [f"rekey_time = {life}s"]
    rekey = life * 9 // 10
    return [f"rekey_time = {rekey}s", f"over_time = {life - rekey}s"]


def features(end: EndPolicy, target: Target) -> list[Feature]:
    """The release-bound values a file for ``end`` uses when written for ``target``."""
    used = []
    if target.has(TRAP_START) and any(_start(r, target)[0] == "trap|start" for r in end.rules):
        used.append(TRAP_START)
    return used


# ------------------------------------------------ what swanctl cannot say, what it loses


def starts_at_load(rule: Rule, ctx: RenderContext) -> bool:
    """Whether the rendered child starts its SA as soon as charon loads it (``start`` or
    ``trap|start``), not on its first packet only."""
    return "start" in _start(rule, Target.of(ctx.strongswan_version))[0]


def _initiate_as_read(at: Projecting) -> bool:
    """Written for a release before 5.9.6, an end that never talks in clear text traps and
    initiates on its first packet: read back, it does not start by itself."""
    assert at.rule is not None
    if not at.rule.initiate:
        return False
    return "start" in _start(at.rule, Target.of(at.ctx.strongswan_version))[0]


def _shunt_mode(at: Projecting) -> str:
    """A pass/drop shunt has no IPsec mode: the parser reports strongSwan's default."""
    assert at.rule is not None
    return at.rule.mode if at.rule.action == "negotiate" else "tunnel"


REFUSALS: tuple[Refusal, ...] = (
    Refusal("kerberos", when(lambda r: any(a.method == "kerberos" for a in r.auth)),
            "{rule}: strongSwan cannot authenticate with Kerberos — use certificates "
            "(pki: root_ca) for paths with a Linux/strongSwan end"),
    Refusal("one-auth", when(lambda r: len(r.auth) != 1),
            "{rule}: swanctl takes one authentication method per rule"),
    Refusal("one-way", when(lambda r: any(not f.mirrored for f in r.filters)),
            "{rule}: swanctl traffic selectors are always mirrored"),
    Refusal("port-without-protocol",
            when(lambda r: any(f.protocol is None and (f.local_port or f.remote_port)
                               for f in r.filters)),
            "{rule}: a port needs a protocol in a traffic selector"),
    Refusal("disabled", when(lambda r: not r.enabled),
            "{rule}: a disabled rule has no swanctl form"),
    Refusal("no-nat-t", when(lambda r: not r.nat_traversal),
            "{rule}: strongSwan cannot switch NAT traversal off"),
    Refusal("directions", when(lambda r: r.inbound != r.outbound or r.outbound == "none"),
            "{rule}: swanctl applies one security setting to both directions (require or "
            "request)"),
    Refusal("ah-esp-bundle", when(lambda r: any(p.ah and p.encryption for p in r.esp)),
            "{rule}: strongSwan has no AH+ESP bundles"),
    Refusal("esp-or-ah", when(lambda r: len({p.encryption is None for p in r.esp}) > 1),
            "{rule}: one rule offers either ESP or AH proposals in swanctl"),
    Refusal("ikev2-aggressive",
            when(lambda r: r.ike.version == 2 and r.ike.exchange == "aggressive"),
            "{rule}: IKEv2 has no aggressive mode"),
)

LOSSES: tuple[Loss, ...] = (
    *HOST_LOSSES,
    Loss("end.default_response_rule", "swanctl has no default response rule", False),
    Loss("rule.auth", "keys come back resolved", resolved_auth),
    Loss("rule.connection_type", "a charon-wide setting, not per connection", "all"),
    Loss("rule.qos_preclassify", "a charon-wide setting, not per connection", False),
    Loss("rule.nat_keepalive_s", "a charon-wide setting (charon.keep_alive), not per "
         "connection"),
    Loss("rule.mode", "a pass/drop shunt has no IPsec mode; strongSwan's default is read back",
         _shunt_mode),
    Loss("rule.initiate", "start_action = trap|start needs strongSwan 5.9.6: for an older "
         "target an end that never talks in clear text traps (initiates on its first packet)",
         _initiate_as_read),
)


class StrongSwan(Format):
    name = "strongswan"
    title = "strongSwan swanctl.conf"
    file_name = "swanctl.conf"
    proof = "lab"
    proof_note = ""
    REFUSALS = REFUSALS
    LOSSES = LOSSES
    #: swanctl writes IPv6 and port ranges; what only real configurations say it does not
    MODEL_REFUSALS = READ_ONLY_REFUSALS

    # ------------------------------------------------------------------ render

    def header(self, end: EndPolicy, ctx: RenderContext) -> list[str]:
        """The common header, and the strongSwan release the file needs."""
        target = Target.of(ctx.strongswan_version)
        need = release(target.needs(features(end, target)))
        return [*super().header(end, ctx),
                f"# needs: strongSwan {need} or later (written for {release(target.version)})"]

    def render_body(self, end: EndPolicy, ctx: RenderContext) -> list[str]:
        lines = ["connections {"]
        secrets: list[str] = []
        for rule in end.rules:
            lines += self._connection(rule, end, ctx)
            auth = rule.auth[0]
            if auth.method == "psk":
                secrets += self._secret(rule, auth, ctx)
        lines.append("}")
        if secrets:
            lines += ["secrets {", *secrets, "}"]
        return lines

    def _connection(self, rule: Rule, end: EndPolicy, ctx: RenderContext) -> list[str]:
        i = "    "
        auth = rule.auth[0]
        out = [f"{i}{rule.name} {{"]
        if rule.description:
            out.append(f"{i*2}# ccsec-rule {json_comment(rule.description)}")
        out += [
            f"{i*2}version = {rule.ike.version}",
            f"{i*2}local_addrs = {rule.local_address}",
            f"{i*2}remote_addrs = {rule.peer_address}",
            f"{i*2}proposals = {', '.join(p.label() for p in rule.ike.proposals)}",
            *(f"{i*2}{line}" for line in _ike_times(rule)),
        ]
        if rule.ike.version == 1:
            out.append(f"{i*2}aggressive = {'yes' if rule.ike.exchange == 'aggressive' else 'no'}")
        else:
            out.append(f"{i*2}mobike = no")  # lab-recipe pitfall 8: MOBIKE breaks NAT rebinding
        if rule.dpd_s:
            out.append(f"{i*2}dpd_delay = {rule.dpd_s}s")
        if auth.method != "psk":
            # every peer checks the certificate in the exchange; a peer that does not ask for
            # it (libreswan without rightca: the lab's witness found it) never gets it with
            # the default 'ifasked' (swanctl.conf(5), send_cert)
            out.append(f"{i*2}send_cert = always")
        if rule.initiate:
            out.append(f"{i*2}keyingtries = 0")
        kind = "psk" if auth.method == "psk" else "pubkey"
        out += [f"{i*2}local {{", f"{i*3}auth = {kind}"]
        if kind == "pubkey":
            cert = (end.owner or end.name) + ".pem"
            if rule.local_id is not None:
                out.append(f"{i*3}# {cert}: {certificate_names(rule.local_id)} (what the "
                           "peer checks)")
            out.append(f"{i*3}certs = {quote(cert)}")
        if rule.local_id:
            out.append(f"{i*3}id = {quote(_id_text(rule.local_id))}")
        out += [f"{i*2}}}", f"{i*2}remote {{", f"{i*3}auth = {kind}"]
        out.append(f"{i*3}id = {quote(_id_text(rule.peer_id)) if rule.peer_id else '%any'}")
        if auth.ca:
            out.append(f"{i*3}ca_id = {quote(encoding_order(auth.ca))}")
        out += [f"{i*2}}}", f"{i*2}children {{"]
        groups = _filter_groups(rule)
        target = Target.of(ctx.strongswan_version)
        for n, filters in enumerate(groups):
            out += self._child(rule, filters, rule.name if n == 0 else f"{rule.name}-{n + 1}",
                               target)
        out += [f"{i*2}}}", f"{i}}}"]
        return out

    def _child(self, rule: Rule, filters: list[Filter], name: str,
               target: Target) -> list[str]:
        i = "    "
        mode = {"permit": "pass", "block": "drop"}.get(rule.action, rule.mode)
        locals_ = list(dict.fromkeys(_ts(f.local, f.protocol, f.local_port, f.local_port_max)
                                     for f in filters))
        remotes = list(dict.fromkeys(_ts(f.remote, f.protocol, f.remote_port, f.remote_port_max)
                                     for f in filters))
        esp = [p for p in rule.esp if p.encryption is not None]
        ah = [p for p in rule.esp if p.encryption is None]
        start, dpd, close = _start(rule, target)
        out = [f"{i*3}{name} {{"]
        if rule.initiate and start == "trap":
            out += [f"{i*4}# start_action = trap|start needs strongSwan "
                    f"{release(TRAP_START.since)}: this end starts the SA with its first packet",
                    f"{i*4}# (or at once: swanctl --initiate --child {name})"]
        out += [
            f"{i*4}mode = {mode}",
            f"{i*4}local_ts = {', '.join(locals_)}",
            f"{i*4}remote_ts = {', '.join(remotes)}",
        ]
        if esp:
            out.append(f"{i*4}esp_proposals = "
                       + ", ".join(esp_label(p, rule.pfs_group) for p in esp))
        if ah:
            out.append(f"{i*4}ah_proposals = "
                       + ", ".join(esp_label(p, rule.pfs_group) for p in ah))
        out += [
            f"{i*4}life_time = {rule.lifetime_s}s",
            f"{i*4}rekey_time = {rule.lifetime_s * 9 // 10}s",
        ]
        if rule.lifetime_kb:
            # volume rekeying is off unless rekey_bytes is set: life_bytes alone closes the
            # CHILD_SA at the limit instead of renewing it (swanctl.conf(5), rekey_bytes)
            life_bytes = rule.lifetime_kb * 1024
            out += [f"{i*4}rekey_bytes = {life_bytes * 9 // 10}",
                    f"{i*4}life_bytes = {life_bytes}"]
        out += [
            f"{i*4}start_action = {start}",
            f"{i*4}dpd_action = {dpd}",
            f"{i*4}close_action = {close}",
            f"{i*3}}}",
        ]
        return out

    def _secret(self, rule: Rule, auth: Auth, ctx: RenderContext) -> list[str]:
        i = "    "
        out = [f"{i}ike-{rule.name} {{"]
        for n, ident in enumerate((rule.local_id, rule.peer_id), start=1):
            if ident is not None:
                out.append(f"{i*2}id-{n} = {quote(_id_text(ident))}")
        key = ctx.reveal(auth.psk, f"rule {rule.name} psk")
        out.append(f"{i*2}secret = {quote(swanctl_value(key))}")
        out.append(f"{i}}}")
        return out

    # ------------------------------------------------------------------- parse

    def parse(self, text: str, source: str = "<text>") -> Parsed:
        """Read a swanctl.conf as charon loads it (:mod:`.swanctl_read`): a grammar error
        rejects the file; a connection charon would refuse is a note.  The proposals one
        file expands to are bounded (:func:`.proposals.proposal_budget`)."""
        with proposal_budget():
            return self._parse(text, source)

    def _parse(self, text: str, source: str) -> Parsed:
        parsed = Parsed(policies=[], source=source, format=self.name)
        root = parse_conf(text, source, includer(source, parsed.notes))
        for line, problem in resolve_references(root):
            parsed.notes.append(Note(line, "warning", f"{problem}: the reference is ignored"))
        meta = read_meta(text.splitlines(), self.comment)
        reader = SwanctlReader(root, parsed, ccsec_written=bool(meta))
        read = reader.read(root.section("connections"))
        settings = None if meta else load_settings(source)
        if settings is not None:
            parsed.notes += settings.notes
            if settings.ha_rule is not None:
                read.rules.append(settings.ha_rule)
                read.origins[settings.ha_rule.name] = "strongswan.conf/charon.plugins.ha"
        parsed.facts = DeviceFacts(
            aggressive_psk_allowed=bool(settings and settings.aggressive_psk),
            ike_any_version=frozenset(read.any_version),
            origins=read.origins,
            shared_keys=read.keys,
            not_built=read.not_built,
            own_addresses=tuple(dict.fromkeys(r.local_address for r in read.rules
                                              if not r.local_address.is_unspecified)),
        )
        stem = Path(source).stem if not source.startswith("<") else "swanctl"
        name = meta_str(meta, "name") or to_ident(f"imported-{stem}")
        parsed.policies.append(EndPolicy(
            name=name,
            description=meta_str(meta, "description", "") or "",
            owner=meta_str(meta, "owner"),
            platform=meta_str(meta, "platform"),
            rules=tuple(read.rules),
        ))
        return parsed



def _id_text(ident: Identity) -> str:
    """An identity as swanctl.conf writes it (a DN in strongSwan's RDN order: :func:`render_id`)."""
    return render_id(ident)


def certificate_names(ident: Identity) -> str:
    """What the end's certificate must carry for its identity to be believed: strongSwan (and
    the other platforms) check an FQDN or address against the subjectAltName, a DN against the
    subject; ccsec's convention gives an FQDN end the subject ``CN=<fqdn>`` as well."""
    if ident.kind == "dn":
        return f"subject {encoding_order(ident.value)}"
    if ident.kind == "fqdn":
        return f"subject CN={ident.value}, subjectAltName {ident.value}"
    return f"subjectAltName {ident.value}"


FORMAT = StrongSwan()
