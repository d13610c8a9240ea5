"""strongSwan ``swanctl.conf``: the format the ccsec lab runs for real (``FORMAT``).

Render: one connection (and one child) per rule; transport mode for Linux hosts, tunnel mode for
gateways; ``trap`` start actions so nothing leaves in clear text while no SA exists (the end that
must initiate — behind NAT — uses ``trap|start``); pre-shared keys in a ``secrets`` section (the
file is then written 0600).  Parse: the same files and real-world ones, read as charon loads them
(:mod:`.swanctl_read`: ``include``, connection references, the defaults strongSwan applies when
a key is missing, dynamic selectors, IPv6, virtual IPs and pools, authentication rounds, every
proposal keyword; one rule per child) with the strongswan.conf beside them (:mod:`.settings`).

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
from ccsec.policy import (
    Auth,
    EndPolicy,
    Filter,
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


def _start(rule: Rule) -> tuple[str, str, str]:
    """start_action, dpd_action, close_action for a rule."""
    if rule.outbound == "require":
        if rule.initiate:
            return "trap|start", "restart", "start"
        return "trap", "trap", "trap"
    if rule.initiate:
        return "start", "restart", "start"
    return "none", "clear", "none"


def _filter_groups(rule: Rule) -> list[list[Filter]]:
    """Filters as children: one child when they form a full local×remote product."""
    fs = list(rule.filters)
    locals_ = list(dict.fromkeys(f.local for f in fs))
    remotes = list(dict.fromkeys(f.remote for f in fs))
    same = {(f.protocol, f.local_port, f.remote_port) for f in fs}
    if len(same) == 1:
        proto, lp, rp = same.pop()
        product = [
            Filter(local=lo, remote=re, protocol=proto, local_port=lp, remote_port=rp)
            for lo in locals_ for re in remotes
        ]
        if product == fs:
            return [fs]
    return [[f] for f in fs]


# ------------------------------------------------ what swanctl cannot say, what it loses


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
            f"{i*2}rekey_time = {rule.ike.lifetime_s}s",
        ]
        if rule.ike.version == 1:
            out.append(f"{i*2}aggressive = {'yes' if rule.ike.exchange == 'aggressive' else 'no'}")
        else:
            out.append(f"{i*2}mobike = no")  # lab-recipe pitfall 8: MOBIKE breaks NAT rebinding
        if rule.dpd_s:
            out.append(f"{i*2}dpd_delay = {rule.dpd_s}s")
        if rule.initiate:
            out.append(f"{i*2}keyingtries = 0")
        kind = "psk" if auth.method == "psk" else "pubkey"
        out += [f"{i*2}local {{", f"{i*3}auth = {kind}"]
        if kind == "pubkey":
            out.append(f"{i*3}certs = {quote((end.owner or end.name) + '.pem')}")
        if rule.local_id:
            out.append(f"{i*3}id = {quote(render_id(rule.local_id))}")
        out += [f"{i*2}}}", f"{i*2}remote {{", f"{i*3}auth = {kind}"]
        out.append(f"{i*3}id = {quote(render_id(rule.peer_id)) if rule.peer_id else '%any'}")
        if auth.ca:
            out.append(f"{i*3}ca_id = {quote(auth.ca)}")
        out += [f"{i*2}}}", f"{i*2}children {{"]
        groups = _filter_groups(rule)
        for n, filters in enumerate(groups):
            out += self._child(rule, filters, rule.name if n == 0 else f"{rule.name}-{n + 1}")
        out += [f"{i*2}}}", f"{i}}}"]
        return out

    def _child(self, rule: Rule, filters: list[Filter], name: str) -> list[str]:
        i = "    "
        mode = {"permit": "pass", "block": "drop"}.get(rule.action, rule.mode)
        locals_ = list(dict.fromkeys(_ts(f.local, f.protocol, f.local_port, f.local_port_max)
                                     for f in filters))
        remotes = list(dict.fromkeys(_ts(f.remote, f.protocol, f.remote_port, f.remote_port_max)
                                     for f in filters))
        esp = [p for p in rule.esp if p.encryption is not None]
        ah = [p for p in rule.esp if p.encryption is None]
        start, dpd, close = _start(rule)
        out = [
            f"{i*3}{name} {{",
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
            out.append(f"{i*4}life_bytes = {rule.lifetime_kb * 1024}")
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
                out.append(f"{i*2}id-{n} = {quote(render_id(ident))}")
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


FORMAT = StrongSwan()
