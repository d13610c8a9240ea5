"""swanctl.conf connections → rules, read as charon loads them (swanctl.conf(5), 5.9 and 6.x).

What strongSwan does when a key is missing is what ccsec reads: ``version`` 0 (either IKE
version, initiating IKEv2); ``local_addrs``/``remote_addrs`` ``%any``; ``proposals``,
``esp_proposals`` ``default`` (:mod:`.proposals`); a ``local``/``remote`` round with
``auth = pubkey`` and no identity; ``local_ts``/``remote_ts`` ``dynamic`` — the IKE address of
that side, or the virtual IP it asks for (``vips``) or gets from a pool (``pools``); ``mode``
tunnel; ``start_action`` none; ``rekey_time`` 4 h (IKE) / 1 h (child), ``life_time`` 110 % of
it.

Each child of a connection is a rule of its own (named ``<connection>`` when it is the only
one, else ``<connection>-<child>``), except in a file ccsec wrote, where the children
``rule``, ``rule-2``… are the filters of one rule.  Connection references (``b : connections.a``)
are applied first; several ``local``/``remote`` sections are authentication rounds
(:class:`~ccsec.policy.AuthRound`).  A connection charon would refuse (an unknown proposal
keyword, a selector it cannot parse) is reported with its line and left out — never the whole
file.  Settings ccsec does not model are reported once per setting and file, with what they
change for the verdict (:data:`UNMODELLED`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Network, ip_address
from typing import Any, Literal

from pydantic import ValidationError

from ccsec.crypto import EspProposal, IkeProposal
from ccsec.errors import shown
from ccsec.formats.base import Note, Parsed, check_product, plain_reason
from ccsec.formats.dn import from_encoding_order
from ccsec.formats.facts import SharedKey
from ccsec.formats.strongswan.identity import parse_id
from ccsec.formats.strongswan.keys import best_key, decode, key_named
from ccsec.formats.strongswan.proposals import (
    ProposalError,
    esp_groups,
    ike_list,
    parse_esp,
    pfs_choice,
    shared_ike,
)
from ccsec.formats.strongswan.selectors import (
    AddressList,
    SelectorError,
    SelectorList,
    host_net,
    parse_addresses,
    parse_selectors,
    whole,
)
from ccsec.formats.strongswan.swanconf import Include, Section, Value, file_includer
from ccsec.policy import (
    Address,
    Auth,
    AuthMethod,
    AuthRound,
    Filter,
    Identity,
    Network,
    Rule,
    Security,
    to_ident,
)

IKE_REKEY_DEFAULT = 14400  # swanctl.conf(5): rekey_time 4h
CHILD_REKEY_DEFAULT = 3600  # children.<child>.rekey_time 1h
#: a child's ``mode`` that is a shunt, not IPsec → the rule's filter action
SHUNT_ACTIONS: dict[str, Literal["permit", "block"]] = {"pass": "permit", "drop": "block"}

#: settings charon knows and ccsec reads (anything else is reported by :data:`UNMODELLED`)
READ_CONN = frozenset({"version", "local_addrs", "remote_addrs", "proposals", "rekey_time",
                       "over_time", "aggressive", "dpd_delay", "vips", "pools", "children",
                       "mediation", "mediated_by"})
READ_AUTH = frozenset({"auth", "id", "eap_id", "xauth_id", "ca_id", "round"})
READ_CHILD = frozenset({"local_ts", "remote_ts", "mode", "esp_proposals", "ah_proposals",
                        "start_action", "life_time", "rekey_time", "life_bytes"})
#: settings read but not modelled → what that means for the verdict
UNMODELLED: dict[str, str] = {
    "certs": "the certificate is not read: that its subject or subjectAltName holds the "
             "configured identity is not checked",
    "pubkeys": "raw public keys are not compared",
    "cacerts": "the trust anchors are not read: certificate trust is taken as given",
    "revocation": "revocation (CRL/OCSP) is not checked: a revoked certificate still counts "
                  "as valid here",
    "groups": "group membership (attribute certificates, AAA) cannot be seen in a "
              "configuration: the session is judged as if the peer were a member",
    "cert_policy": "certificate policies are not read: the session is judged as if the peer's "
                   "certificate held them",
    "aaa_id": "the AAA server's identity is not checked",
    "cert_uri_base": "hash-and-URL certificates are not fetched",
    "mobike": "MOBIKE changes nothing about whether the SA establishes",
    "fragmentation": "IKE fragmentation changes nothing about whether the SA establishes "
                     "(unless a path drops large UDP packets)",
    "send_certreq": "no effect on the verdict", "send_cert": "no effect on the verdict",
    "encap": "NAT-T is always on in strongSwan; forced UDP encapsulation changes no verdict",
    "keyingtries": "retries change no verdict", "unique": "duplicate-SA handling is not "
    "modelled (a second client with the same identity may replace the first)",
    "reauth_time": "reauthentication is not modelled",
    "rand_time": "no effect on the verdict", "pull": "mode-config push/pull is not modelled",
    "dscp": "not modelled", "childless": "childless IKE SAs are not modelled",
    "ppk_id": "post-quantum preshared keys are not compared",
    "ppk_required": "post-quantum preshared keys are not compared",
    "if_id_in": "route-based (XFRM interface) selection is not modelled: the SA is judged by "
                "its selectors", "if_id_out": "route-based (XFRM interface) selection is not "
    "modelled: the SA is judged by its selectors",
    "mediation_peer": "the mediated peer is matched by its IKE identity; its identity at the "
    "mediation server is not compared",
    "local_port": "IKE ports are not compared", "remote_port": "IKE ports are not compared",
    "dpd_timeout": "no effect on the verdict", "split": "not modelled",
    "updown": "the updown script (firewall rules) is not read",
    "hostaccess": "firewall rules of the updown script are not read",
    "mark_in": "marks select traffic beyond the selectors: not modelled",
    "mark_out": "marks select traffic beyond the selectors: not modelled",
    "set_mark_in": "not modelled", "set_mark_out": "not modelled",
    "mark_in_sa": "not modelled", "label": "security labels are not modelled",
    "label_mode": "security labels are not modelled",
    "ipcomp": "IP compression is negotiated separately: not modelled",
    "inactivity": "idle timeout: no effect on whether the SA establishes",
    "rekey_bytes": "volume-based rekeying is not modelled",
    "rekey_packets": "volume-based rekeying is not modelled",
    "life_packets": "not modelled", "replay_window": "no effect on the verdict",
    "hw_offload": "no effect on the verdict", "copy_df": "no effect on the verdict",
    "copy_ecn": "no effect on the verdict", "copy_dscp": "no effect on the verdict",
    "per_cpu_sas": "no effect on the verdict", "interface": "not modelled",
    "priority": "policy priorities are not modelled", "policies": "not modelled",
    "policies_fwd_out": "not modelled", "close_action": "no effect on whether the SA "
    "establishes", "dpd_action": "no effect on whether the SA establishes",
    "reqid": "not modelled", "sha256_96": "truncated SHA-256 (Linux interop) is not modelled",
    "tfc_padding": "no effect on the verdict", "if_id": "not modelled",
    "iptfs": "IP-TFS is not modelled", "iptfs_max_queue": "not modelled",
    "iptfs_drop_time": "not modelled", "iptfs_reorder_window": "not modelled",
    "iptfs_dont_frag": "not modelled", "iptfs_init_delay": "not modelled",
    "iptfs_packet_size": "not modelled", "ocsp": "revocation is not checked",
    "xauth_id": "",
}


@dataclass
class _Round:
    local: Section | None
    remote: Section | None


@dataclass
class SwanctlRead:
    """The result of reading one file's connections (with the parse result it fills)."""

    rules: list[Rule] = field(default_factory=list)
    origins: dict[str, str] = field(default_factory=dict)
    not_built: dict[str, str] = field(default_factory=dict)
    any_version: list[str] = field(default_factory=list)
    keys: tuple[SharedKey, ...] = ()


class SwanctlReader:
    """Reads the connections of one parsed swanctl.conf tree."""

    def __init__(self, root: Section, parsed: Parsed, ccsec_written: bool) -> None:
        self.root = root
        self.parsed = parsed
        self.merge_children = ccsec_written
        self.out = SwanctlRead()
        self.unmodelled: dict[str, tuple[int, int, str]] = {}  # key → (first line, count, where)
        self.out.keys = self._keys(root.section("secrets"))
        self.pools = self._pools(root.section("pools"))

    # ------------------------------------------------------------------ notes

    def note(self, line: int | None, message: str,
             severity: Literal["info", "warning"] = "info") -> None:
        self.parsed.notes.append(Note(line, severity, message))

    def _seen(self, sec: Section, read: frozenset[str], where: str) -> None:
        for key, item in sec.items.items():
            if isinstance(item, Section) or key in read:
                continue
            first, count, _ = self.unmodelled.get(key, (item.line, 0, where))
            self.unmodelled[key] = (first, count + 1, where)

    def flush_unmodelled(self) -> None:
        """One note per setting ccsec does not model: where it first appears, how often, and
        what it changes for the verdict."""
        for key, (line, count, where) in sorted(self.unmodelled.items(), key=lambda x: x[1][0]):
            effect = UNMODELLED.get(key)
            more = f" (and {count - 1} more)" if count > 1 else ""
            if effect is None:
                self.note(line, f"{where} setting '{key}'{more} is not a swanctl.conf setting "
                          "ccsec knows: not read (charon warns about unknown settings)")
            elif effect:
                self.note(line, f"'{key}'{more} not modelled: {effect}")

    # ------------------------------------------------------------------ secrets and pools

    def _keys(self, sec: Section | None) -> tuple[SharedKey, ...]:
        out: list[SharedKey] = []
        for s in sec.sections() if sec else []:
            kind: Literal["psk", "eap", "xauth"] | None = (
                "psk" if s.name.startswith("ike") else "eap" if s.name.startswith(("eap", "ntlm"))
                else "xauth" if s.name.startswith("xauth") else None)
            secret = s.value("secret")
            if kind is None or secret is None:
                continue
            value = decode(secret)
            if value is None:
                self.note(s.line, f"secret {s.name}: empty or undecodable value")
                continue
            owners = tuple(i for k, v in s.items.items()
                           if k.startswith("id") and isinstance(v, Value)
                           for i in [self._owner(s, k, v)] if i is not None)
            out.append(SharedKey(kind, owners, value, s.line, s.name))
        return tuple(out)

    def _owner(self, sec: Section, key: str, value: Value) -> Identity | None:
        """One ``id*`` of a secret; an identity that cannot be one (control characters) is
        a note, and the secret is not bound to it (charon would not match it either)."""
        try:
            return parse_id(value.text)
        except ValueError as exc:
            self.note(value.line, f"secret {sec.name}: {key}: {plain_reason(exc)}", "warning")
            return None

    def _pools(self, sec: Section | None) -> dict[str, list[Network]]:
        out: dict[str, list[Network]] = {}
        for s in sec.sections() if sec else []:
            addrs = s.value("addrs")
            if not addrs:
                self.note(s.line, f"pool {s.name}: no addrs")
                continue
            try:
                out[s.name] = [x.network for x in parse_selectors(addrs, []).selectors]
            except SelectorError as exc:
                self.note(s.line, f"pool {s.name}: {plain_reason(exc)}", "warning")
        return out

    # ------------------------------------------------------------------ connections

    def read(self, conns: Section | None) -> SwanctlRead:
        for conn in conns.sections() if conns else []:
            try:
                self._connection(conn)
            except (ProposalError, SelectorError, ValidationError, ValueError) as exc:
                why = plain_reason(exc)
                self.out.not_built[conn.name] = why
                self.note(conn.line, f"connection {conn.name} not audited: {why} (charon "
                          "refuses it too)" if isinstance(exc, ProposalError | SelectorError)
                          else f"connection {conn.name} not audited: {why}", "warning")
        self.flush_unmodelled()
        return self.out

    def _connection(self, conn: Section) -> None:
        self._seen(conn, READ_CONN | {"local", "remote"}, "connection")
        version = _int(conn.value("version"), 0, "version")
        if version not in (0, 1, 2):
            raise ValueError(f"version = {version}: use 0, 1 or 2")
        la = parse_addresses(conn.value("local_addrs"))
        ra = parse_addresses(conn.value("remote_addrs"))
        for lst, key in ((la, "local_addrs"), (ra, "remote_addrs")):
            if lst.unread:
                self.note(conn.line_of(key), f"connection {conn.name}: {key} entries "
                          f"{', '.join(lst.unread)} not read", "warning")
        ike = self._ike_proposals(conn)
        rounds = self._rounds(conn)
        auth, local_id, peer_id, auth_rounds = self._auth(conn, rounds, la, ra)
        vips = self._vips(conn)
        pools = self._conn_pools(conn)
        children = conn.section("children")
        kids = children.sections() if children else []
        mediation = (conn.value("mediation") or "").lower() == "yes"
        if not kids and not mediation:
            raise ValueError("no children: an IKE SA without a CHILD_SA protects no traffic")
        common = dict(
            local_address=la.first,
            peer_address=ra.first,
            peer_name=ra.names[0] if ra.names and not ra.addresses else None,
            peer_alternatives=(*ra.ranges, *(host_net(a) for a in ra.addresses[1:])),
            local_id=local_id,
            peer_id=peer_id,
            auth=(auth,),
            auth_rounds=auth_rounds,
            ike=shared_ike(1 if version == 1 else 2,
                           "aggressive" if conn.value("aggressive") == "yes" else "main",
                           ike, _ike_lifetime(conn)),
            dpd_s=_seconds(conn.value("dpd_delay")) or None,
            virtual_ips=vips,
            pools=tuple(pools),
            description=_description(conn),
            mediated=conn.value("mediated_by") is not None,
        )
        if not kids:  # a mediation connection: an IKE SA that carries no traffic itself
            rule = self._ike_only(conn, la, ra, common)
            self.out.rules.append(rule)
            self.out.origins[rule.name] = f"{conn.name}/(IKE only)"
            if version == 0:
                self.out.any_version.append(rule.name)
            return
        groups = [kids] if self.merge_children else [[k] for k in kids]
        for group in groups:
            try:
                rule = self._child_rule(conn, group, len(groups) == 1, la, ra, vips, pools,
                                        common)
            except (ProposalError, SelectorError, ValidationError, ValueError) as exc:
                name = f"{conn.name}/{group[0].name}"
                why = plain_reason(exc)
                self.out.not_built[name] = why
                self.note(group[0].line, f"connection {conn.name} child {group[0].name} not "
                          f"audited: {why}", "warning")
                continue
            if version == 0:
                self.out.any_version.append(rule.name)
            self.out.rules.append(rule)
            self.out.origins[rule.name] = f"{conn.name}/{group[0].name}"
        if version == 0:
            self.note(conn.line_of("version"), f"{conn.name}: version 0 accepts IKEv1 and "
                      "IKEv2 (initiates IKEv2)")

    def _ike_only(self, conn: Section, la: AddressList, ra: AddressList,
                  common: dict[str, Any]) -> Rule:
        """A mediation connection: the IKE SA clients keep with the mediation server."""
        name = to_ident(conn.name)
        self.parsed.locations[name] = conn.line
        here = host_net(la.first) if la.concrete else whole(la.family or ra.family)
        there = host_net(ra.first) if ra.concrete else whole(ra.family or la.family)
        self.note(conn.line, f"connection {conn.name}: a mediation connection (IKE SA only, "
                  "no CHILD_SA): its IKE negotiation is judged, it protects no traffic")
        esp, _, _ = parse_esp("default")
        return Rule(name=name, mode="tunnel",
                    filters=(Filter(local=here, remote=there, local_dynamic=True,
                                    remote_dynamic=True),),
                    esp=tuple(esp), lifetime_kb=None, ike_only=True,
                    initiate=not ra.any, **common)

    def _ike_proposals(self, conn: Section) -> tuple[IkeProposal, ...]:
        items = tuple(t for t in (conn.value("proposals") or "default").split(",") if t.strip())
        self.parsed.locations[f"{to_ident(conn.name)}/ike"] = conn.line_of("proposals")
        return ike_list(items or ("default",))

    def _vips(self, conn: Section) -> tuple[Address, ...]:
        """``vips``: the virtual IPs to request (``0.0.0.0``/``::`` = any of that family)."""
        out: list[Address] = []
        for item in (conn.value("vips") or "").split(","):
            item = item.strip()
            if not item:
                continue
            try:
                out.append(ip_address(item))
            except ValueError:
                self.note(conn.line_of("vips"), f"connection {conn.name}: vips entry '{item}' "
                          "is not an address: not read", "warning")
        return tuple(out)

    def _conn_pools(self, conn: Section) -> list[Network]:
        out: list[Network] = []
        for name in (conn.value("pools") or "").split(","):
            name = name.strip()
            if not name:
                continue
            if name in self.pools:
                out += self.pools[name]
            else:
                # dhcp, radius or a pool from an attribute provider: addresses unknown here
                self.note(conn.line_of("pools"), f"connection {conn.name}: pool '{name}' is "
                          "not defined in this file (DHCP, RADIUS or a database): any address "
                          "of the family is assumed")
                out += [IPv4Network("0.0.0.0/0")]
        return out

    # ------------------------------------------------------------------ authentication

    def _rounds(self, conn: Section) -> list[_Round]:
        locals_ = [s for s in conn.sections() if s.name.startswith("local")]
        remotes = [s for s in conn.sections() if s.name.startswith("remote")]
        for s in (*locals_, *remotes):
            self._seen(s, READ_AUTH, f"{s.name} section")
        n = max(len(locals_), len(remotes), 1)
        return [_Round(locals_[i] if i < len(locals_) else None,
                       remotes[i] if i < len(remotes) else None) for i in range(n)]

    def _auth(self, conn: Section, rounds: list[_Round], la: AddressList, ra: AddressList
              ) -> tuple[Auth, Identity | None, Identity | None, tuple[AuthRound, ...]]:
        first = rounds[0]
        local_auth = _value(first.local, "auth", "pubkey")
        remote_auth = _value(first.remote, "auth", "pubkey")
        local_id = parse_id(_value(first.local, "id", None))
        peer_id = parse_id(_value(first.remote, "id", None))
        name = to_ident(conn.name)
        self.parsed.locations[f"{name}/auth"] = (first.local.line_of("auth") if first.local
                                                 else conn.line)
        method: AuthMethod = "psk" if family(local_auth) == "psk" else "certificate"
        if method == "psk":
            me = local_id or (Identity(kind="address", value=str(la.first))
                              if la.concrete else None)
            other = peer_id or (Identity(kind="address", value=str(ra.first))
                                if ra.concrete else None)
            # a secret named ike-<connection> is that connection's (ccsec writes them so)
            key = key_named(self.out.keys, f"ike-{conn.name}") or \
                best_key(self.out.keys, "psk", me, other)
            if key is None:
                self.note(conn.line, f"connection {conn.name}: no pre-shared key in this "
                          "file's secrets for its identities", "warning")
            auth = Auth(method="psk", psk=key.secret if key else None)
        else:
            ca = _value(first.remote, "ca_id", None)
            # strongSwan's RDN order → the model's (RFC 4514, ccsec.formats.dn)
            auth = Auth(method="certificate", ca=from_encoding_order(ca) if ca else None)
        simple = len(rounds) == 1 and family(local_auth) == family(remote_auth) \
            and family(local_auth) in ("psk", "pubkey") and not any(
                _value(s, k, None) for s in (first.local, first.remote)
                for k in ("eap_id", "xauth_id"))
        if simple:
            return auth, local_id, peer_id, ()
        return auth, local_id, peer_id, tuple(self._round(r, local_id, peer_id)
                                             for r in rounds)

    def _round(self, r: _Round, ike_local: Identity | None, ike_peer: Identity | None
               ) -> AuthRound:
        local = _value(r.local, "auth", "pubkey" if r.local is not None else "")
        remote = _value(r.remote, "auth", "pubkey" if r.remote is not None else "")
        lid = parse_id(_value(r.local, "eap_id", None) or _value(r.local, "xauth_id", None)
                       or _value(r.local, "id", None)) or ike_local
        rid = parse_id(_value(r.remote, "eap_id", None) or _value(r.remote, "xauth_id", None)
                       or _value(r.remote, "id", None))
        secret = None
        kind = family(local)
        if kind in ("eap", "xauth") and lid is not None:
            key = best_key(self.out.keys, kind, lid, None)
            secret = key.secret if key else None
        return AuthRound(local=local, remote=remote, local_id=lid, remote_id=rid,
                         secret=secret)

    # ------------------------------------------------------------------ children

    def _child_rule(self, conn: Section, kids: list[Section], only: bool, la: AddressList,
                    ra: AddressList, vips: tuple[Address, ...], pools: list[Network],
                    common: dict[str, Any]) -> Rule:
        child = kids[0]
        for k in kids:
            self._seen(k, READ_CHILD, "child")
        name = to_ident(conn.name if only else f"{conn.name}-{child.name}")
        self.parsed.locations[name] = child.line if not only else conn.line
        if not only:
            for aspect in ("ike", "auth"):
                self.parsed.locations[f"{name}/{aspect}"] = \
                    self.parsed.locations.get(f"{to_ident(conn.name)}/{aspect}", conn.line)
        family_hint = la.family or ra.family
        local_dyn = ([whole(v.version) for v in vips] if vips else
                     [host_net(la.first)] if la.concrete else [whole(family_hint)])
        remote_dyn = (pools if pools else
                      [host_net(ra.first)] if ra.concrete else [whole(ra.family or la.family)])
        filters: list[Filter] = []
        for kid in kids:
            sel_l = parse_selectors(kid.value("local_ts"), local_dyn)
            sel_r = parse_selectors(kid.value("remote_ts"), remote_dyn)
            for n in sel_l.notes + sel_r.notes:
                self.note(kid.line, f"{conn.name} child {kid.name}: {n}")
            filters += _filters(sel_l, sel_r)
        if not filters:
            raise ValueError("local_ts and remote_ts have no address family in common")
        self.parsed.locations[f"{name}/filters"] = child.line_of("local_ts")
        esp, pfs, pfs_others = self._esp(child, name, conn.name)
        mode = (child.value("mode") or "tunnel").lower()
        if mode == "beet":
            self.note(child.line_of("mode"), f"{conn.name} child {child.name}: BEET mode read "
                      "as tunnel mode")
        start = (child.value("start_action") or "none").lower()
        outbound: Security = "require" if "trap" in start else "request"
        life = _seconds(child.value("life_time"))
        if life is None:
            rekey = _seconds(child.value("rekey_time")) or CHILD_REKEY_DEFAULT
            life = rekey * 11 // 10
        life_bytes = child.value("life_bytes")
        return Rule(
            name=name,
            mode="transport" if mode == "transport" else "tunnel",
            filters=tuple(filters),
            action=SHUNT_ACTIONS.get(mode, "negotiate"),
            inbound=outbound,
            outbound=outbound,
            esp=tuple(esp),
            pfs_group=pfs,
            pfs_alternatives=pfs_others,
            lifetime_s=life,
            lifetime_kb=max(1, int(life_bytes) // 1024) if life_bytes and life_bytes.isdigit()
            else None,
            initiate="start" in start,
            **common,
        )

    def _esp(self, child: Section, name: str, conn: str
             ) -> tuple[list[EspProposal], int | None, tuple[int, ...]]:
        esp: list[EspProposal] = []
        groups: list[int] = []
        for key, ah in (("esp_proposals", False), ("ah_proposals", True)):
            value = child.value(key)
            if value is None and (ah or child.value("ah_proposals")):
                continue
            for text in (value or "default").split(","):
                if not text.strip():
                    continue
                props, _, esn = parse_esp(text, ah=ah)
                esp += props
                groups += esp_groups(text, ah=ah)
                if esn:
                    self.note(child.line_of(key), f"{name}: ESN requested (the lab's userspace "
                              "ESP cannot do ESN)")
        self.parsed.locations[f"{name}/esp"] = child.line_of("esp_proposals")
        first, others = pfs_choice(groups)
        return list(dict.fromkeys(esp)), first, others


def family(auth: str) -> str:
    """The kind of an ``auth`` value: psk, pubkey, eap, xauth or never (``rsa-sha256``,
    ``pubkey-sha256-ecdsa``… are pubkey with constraints; ``eap-md5`` is eap)."""
    a = auth.lower().removeprefix("ike:")
    if a.startswith("psk") or a == "secret":
        return "psk"
    if a.startswith("eap"):
        return "eap"
    if a.startswith("xauth"):
        return "xauth"
    if a == "never":
        return "never"
    return "pubkey"


def _filters(sel_l: SelectorList, sel_r: SelectorList) -> list[Filter]:
    check_product("local_ts × remote_ts", len(sel_l.selectors), len(sel_r.selectors))
    out: dict[Filter, None] = {}  # duplicates dropped, order kept (a list scan was n²)
    for lo in sel_l.selectors:
        for re in sel_r.selectors:
            if lo.network.version != re.network.version:
                continue  # one family per kernel policy: mixed lists pair by family
            if lo.protocol is not None and re.protocol is not None \
                    and lo.protocol != re.protocol:
                continue
            f = Filter(local=lo.network, remote=re.network, protocol=lo.protocol or re.protocol,
                       local_port=lo.port, remote_port=re.port, local_port_max=lo.port_max,
                       remote_port_max=re.port_max, local_dynamic=lo.dynamic,
                       remote_dynamic=re.dynamic)
            out.setdefault(f)
    return list(out)


def _value(sec: Section | None, key: str, default: str | None) -> str:
    if sec is None:
        return default or ""
    value = sec.value(key)
    return value if value is not None else (default or "")


def _description(conn: Section) -> str:
    from ccsec.formats.base import unjson_comment

    for tag, payload in conn.meta:
        if tag == "ccsec-rule":
            return unjson_comment(payload) or ""
    return ""


def _int(text: str | None, default: int, what: str) -> int:
    if text is None or not text.strip():
        return default
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError(f"{what} = {text}: not a number") from None


def _seconds(text: str | None) -> int | None:
    """A swanctl time value (``30``, ``30s``, ``5m``, ``2h``, ``1d``)."""
    if not text:
        return None
    text = text.strip().lower()
    scale = {"s": 1, "m": 60, "h": 3600, "d": 86400}.get(text[-1:])
    try:
        value = int(text[:-1]) * scale if scale else int(text)
    except ValueError:
        raise ValueError(f"not a time value: '{text}'") from None
    return max(value, 1)


def includer(source: str, notes: list[Note]) -> Include | None:
    """Resolve ``include`` globs relative to the including file, confined to the directory
    the audit reads (:mod:`.include`; a refused include is a note); a pattern that matches no
    file is a note too (what it would have defined is missing from the audit).  None for text
    that is not a file (its includes have no directory to be relative to)."""
    from ccsec.formats.strongswan.include import Includer

    top = Includer.for_file(source)
    if top is None:
        return None

    def noting(inner: Include) -> Include:
        def include(pattern: str, line: int) -> list[tuple[str, str, Include]]:
            before = len(notes)
            found = inner(pattern, line)
            if not found and len(notes) == before:  # nothing matched (a refusal is noted)
                notes.append(Note(line, "warning", f"include {shown(pattern, 80)}: no file "
                                  "matches here, so what it defines is not read (settings it "
                                  "holds take strongSwan's defaults in this audit)"))
            return [(text, src, noting(nested)) for text, src, nested in found]

        return include

    return noting(file_includer(top, notes))


def _ike_lifetime(conn: Section) -> int:
    """The IKE SA lifetime: ``rekey_time``, plus ``over_time`` where the file sets it (the hard
    limit; IKEv1 offers exactly that sum to its peer, strongSwan ``main_mode.c``)."""
    rekey = _seconds(conn.value("rekey_time")) or IKE_REKEY_DEFAULT
    return rekey + (_seconds(conn.value("over_time")) or 0)
