"""The CUCM format: renders the hand-entry sheet, says what the page cannot hold, projects.

No CLI command creates or edits an IPsec policy on a Unified OS node (cucm-ipsec.md §5), so what
ccsec renders is a **hand-entry sheet**: one file per CUCM node, one block per peer
("bidirectional provisioning, one peer for each host", §1), each block the page's fields in page
order with the exact Generation 2/3 labels (§3), ``Label : value``.  Comment lines the
administrator does not type say where to click (Cisco Unified OS Administration → Security →
IPSEC Configuration → Add New), which value table the sheet was checked against, how to check
the result (Services → Ping → Validate IPsec) and which assumptions are unverified ([U]).
Selecting another value table: render with ``with_table(KEY)``.  Parsing is :mod:`.read`'s.

Lost on the way (``project``): IKE identities except the peer's, which only survives as the
Certificate Name (``<peer id>.pem`` [U]); the certificate's root CA (trust lives in the node's
ipsec-trust store, not on the page); DPD, initiate, QoS pre-classification, NAT keepalive and
NAT-T (daemon settings, not page fields); kilobyte lifetimes; connection type.  In transport
mode the page's two addresses are both the protected hosts and the IKE peers, so a rule's
addresses are read back as its (single, host-pair) filter's hosts.

Not expressible (``unsupported``): Kerberos, tunnel mode, IKEv2, aggressive mode, more than one
IKE or ESP proposal, AES-GCM, explicit PRFs, AH, ESP integrity other than the IKE hash,
algorithms or DH groups outside the value table, pre-shared keys under FIPS or with characters
other than letters, digits and hyphens, more than one filter or a filter other than the host
pair, protocols other than TCP/UDP/any, ports without a protocol, permit/block actions,
clear-text fallback, disabled rules.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

from ccsec.crypto import is_aead
from ccsec.errors import Problem, UnsupportedError, UserError
from ccsec.formats.base import Format, Parsed, RenderContext, host_projection, json_comment
from ccsec.formats.cucm.read import read
from ccsec.formats.cucm.values import (
    DEFAULT_TABLE,
    FIELDS,
    LABEL_WIDTH,
    PROTOCOL_LABELS,
    PSK_RE,
    RULE_TAG,
    TABLES,
    cert_identity,
    cert_name,
    one_line,
)
from ccsec.policy import Auth, EndPolicy, Rule


def _port_text(port: int | None) -> str:
    return "Any" if port is None else str(port)


def _host(net: IPv4Network) -> IPv4Address | None:
    return net.network_address if net.prefixlen == 32 else None


class Cucm(Format):
    name = "cucm"
    title = "Cisco Unified CM IPSEC Policy Configuration sheet (hand entry)"
    file_name = "cucm-ipsec.txt"
    comment = "#"
    proof = "syntax"
    proof_note = ("Unified CM has no command or file to load a policy from; the values follow "
                  "Cisco's OS-administration guides (cucm-ipsec.md) and are entered by hand")
    platforms = frozenset({"cucm"})

    def __init__(self, table: str = DEFAULT_TABLE) -> None:
        self.table = TABLES[table]

    # ------------------------------------------------------------------ render

    def unsupported(self, end: EndPolicy) -> list[str]:
        out = []
        for text, what in ((end.owner or "", "owner"), (end.platform or "", "platform")):
            if not one_line(text):
                out.append(f"the end's {what} name spans lines; a sheet header holds one line")
        for rule in end.rules:
            out += [f"rule {rule.name}: {r}" for r in self._rule_reasons(rule)]
        return out

    def _rule_reasons(self, rule: Rule) -> list[str]:
        out = self._auth_reasons(rule) + self._crypto_reasons(rule) + self._filter_reasons(rule)
        if rule.mode != "transport":
            out.append("the page offers Transport mode only (no tunnel endpoints)")
        if rule.action != "negotiate":
            out.append(f"a '{rule.action}' rule has no form on the page (every policy "
                       "negotiates security)")
        if rule.fallback_to_clear:
            out.append("clear-text fallback (request/none security) cannot be set on the page")
        if not rule.enabled:
            out.append("ccsec does not hand out a sheet for a disabled policy (Enable Policy is "
                       "always ticked)")
        return out

    def _auth_reasons(self, rule: Rule) -> list[str]:
        if len(rule.auth) != 1:
            return ["the page takes exactly one Authentication Method"]
        auth = rule.auth[0]
        if auth.method == "kerberos":
            return ["the page has no Kerberos (Unified CM is never in the AD domain): use "
                    "certificates (pki: root_ca)"]
        out = []
        if auth.method not in self.table.auth:
            out.append(f"the {self.table.key} page ({self.table.title}) has no pre-shared keys: "
                       "use certificates")
        if auth.method == "psk":
            if auth.psk is None:
                out.append("the pre-shared key is unreadable")
            elif auth.psk.value is not None and not PSK_RE.match(auth.psk.reveal()):
                out.append("the Preshared Key field takes letters, digits and hyphens only; "
                           "generate a key from those characters")
        return out

    def _crypto_reasons(self, rule: Rule) -> list[str]:
        out = []
        if rule.ike.version != 1:
            out.append("the page has no IKE version field; ccsec assumes IKEv1 [U] and cannot "
                       "promise IKEv2")
        if rule.ike.exchange != "main":
            out.append("aggressive mode cannot be set on the page (main mode assumed [U])")
        if len(rule.ike.proposals) != 1:
            out.append("the page takes exactly one IKE proposal (one Encryption Algorithm, Hash "
                       "Algorithm and Phase One DH)")
        if len(rule.esp) != 1:
            out.append("the page takes exactly one ESP proposal (one ESP Algorithm)")
        return out + self._proposal_reasons(rule)

    def _proposal_reasons(self, rule: Rule) -> list[str]:
        """The first IKE and ESP proposal against the value table (the only ones the page has)."""
        t = self.table
        out = []
        ike = rule.ike.proposals[0]
        if is_aead(ike.encryption) or any(p.encryption and is_aead(p.encryption)
                                          for p in rule.esp):
            out.append("the page offers no AES-GCM")
        elif ike.encryption not in t.encryption:
            out.append(f"Encryption Algorithm {ike.encryption.value} is not on the {t.key} page")
        if ike.prf is not None:
            out.append("the page has no PRF choice")
        if ike.integrity is not None and ike.integrity not in t.hashes:
            out.append(f"Hash Algorithm {ike.integrity.value} is not on the {t.key} page")
        if ike.group not in t.phase1_dh:
            out.append(f"Phase One DH {ike.group} is not on the {t.key} page")
        esp = rule.esp[0]
        if esp.ah is not None or esp.encryption is None:
            out.append("the page has no AH")
        elif not is_aead(esp.encryption) and esp.encryption not in t.esp:
            out.append(f"ESP Algorithm {esp.encryption.value} is not on the {t.key} page")
        if esp.integrity != ike.integrity and not (esp.encryption and is_aead(esp.encryption)):
            out.append("ESP integrity is not selectable on the page (assumed to follow Hash "
                       f"Algorithm [U]), but this rule's ESP integrity "
                       f"{esp.integrity.value if esp.integrity else 'none'} differs from its "
                       f"IKE hash {ike.integrity.value if ike.integrity else 'none'}")
        if rule.pfs_group is not None and rule.pfs_group not in t.phase2_dh:
            out.append(f"Phase Two DH {rule.pfs_group} is not on the {t.key} page")
        return out

    def _filter_reasons(self, rule: Rule) -> list[str]:
        if len(rule.filters) != 1:
            return ["a policy protects one host pair: the page takes one filter (split the rule "
                    "into one policy per host pair)"]
        f = rule.filters[0]
        out = []
        if _host(f.local) is None or _host(f.remote) is None:
            out.append("Source and Destination Address take single IPv4 hosts, not subnets")
        if not f.mirrored:
            out.append("a policy always covers both directions (mirrored filter)")
        if f.protocol not in PROTOCOL_LABELS:
            out.append(f"Protocol takes TCP, UDP or Any, not protocol {f.protocol}")
        elif f.protocol is None and (f.local_port or f.remote_port):
            out.append("a port needs Protocol TCP or UDP")
        return out

    def render_body(self, end: EndPolicy, ctx: RenderContext) -> list[str]:
        lines = self._sheet_header(end)
        for n, rule in enumerate(end.rules, start=1):
            lines += self._block(end, rule, f"{n} of {len(end.rules)}", ctx)
        return lines

    def _sheet_header(self, end: EndPolicy) -> list[str]:
        t = self.table
        hosts = list(dict.fromkeys(str(r.filters[0].local.network_address) for r in end.rules))
        node = end.owner or end.name
        first = hosts[0] if hosts else "<node>"
        others = ", ".join(k for k in TABLES if k != t.key)
        lines = [
            "#",
            "# Cisco Unified CM IPSEC Policy Configuration: one block per peer, typed by hand",
            f"# node: {node} {' '.join(hosts) or '-'}",
            "#   policies are per node and per peer (not replicated): log in to this node",
            f"# where: https://{first}/cmplatform (Cisco Unified OS Administration)",
            "#   > Security > IPSEC Configuration > Add New; type one block; Save",
            "# check after Save: Services > Ping, tick Validate IPsec, ping the block's",
            "#   Destination Address",
            f"# value table: {t.key} -- {t.title}",
            f"#   [{t.source}]",
            f"#   Authentication Method : {' | '.join(t.auth.values())}",
            f"#   Encryption Algorithm  : {' | '.join(t.encryption.values())}",
            f"#   Hash Algorithm        : {' | '.join(t.hashes.values())}",
            f"#   ESP Algorithm         : {' | '.join(t.esp.values())}",
            f"#   Phase One DH          : {' | '.join(map(str, t.phase1_dh))}",
            f"#   Phase Two DH          : {' | '.join(map(str, t.phase2_dh))} | empty = no PFS [U]",
            f"#   other tables: {others} (edit the key above before an audit reads this sheet)",
            "# not on the page [U]: IKE version (IKEv1 main mode assumed), ESP integrity",
            "#   (assumed to follow Hash Algorithm), kilobyte lifetimes, DPD;",
            "#   Remote Port is set equal to Destination Port",
            "# the peer needs the mirrored rule (same algorithms, lifetimes, Protocol and ports;",
            "#   Any on one end and TCP/UDP on the other fails Validate IPsec): ccsec renders it",
            "# lines starting 'ccsec-rule' carry the rule's description (not a page field)",
        ]
        if any(a.method == "psk" for r in end.rules for a in r.auth):
            lines += ["# this sheet holds pre-shared keys in clear (file mode 0600); UCCE allows "
                      "them", "#   for testing only; delete the sheet once the keys are entered"]
        return lines

    def _block(self, end: EndPolicy, rule: Rule, position: str,
               ctx: RenderContext) -> list[str]:
        t = self.table
        f = rule.filters[0]
        auth = rule.auth[0]
        ike = rule.ike.proposals[0]
        esp = rule.esp[0]
        src, dst = f.local.network_address, f.remote.network_address
        cert = cert_name(rule.peer_id, dst) if auth.method == "certificate" else ""
        values = {
            "group": end.name,
            "name": rule.name,
            "auth": t.auth[auth.method],
            "psk": self._key(rule, auth, ctx) if auth.method == "psk" else "",
            "peer_type": "Different" if cert else "",
            "cert": cert,
            "dst": str(dst),
            "dst_port": _port_text(f.remote_port),
            "src": str(src),
            "src_port": _port_text(f.local_port),
            "mode": "Transport",
            "remote_port": _port_text(f.remote_port),
            "protocol": PROTOCOL_LABELS[f.protocol],
            "encryption": t.encryption[ike.encryption],
            "hash": t.hashes[ike.integrity] if ike.integrity else "",
            "esp": t.esp[esp.encryption] if esp.encryption else "",
            "p1_life": str(rule.ike.lifetime_s),
            "p1_dh": str(ike.group),
            "p2_life": str(rule.lifetime_s),
            "p2_dh": "" if rule.pfs_group is None else str(rule.pfs_group),
            "enabled": "[x]",
        }
        out = ["", f"# ---- policy {position}: {rule.name}, this node {src} <-> peer {dst} ----"]
        if rule.description:
            out.append(f"{RULE_TAG}{json_comment(rule.description)}")
        out += [f"{label:<{LABEL_WIDTH}} : {values[key]}".rstrip() for key, label in FIELDS]
        out.append(f"# ESP integrity (not on the page): {values['hash']} [U: assumed to follow "
                   "Hash Algorithm]")
        if rule.pfs_group is None:
            out.append("# Phase Two DH left empty: no PFS [U: the CLI then shows null]")
        if cert:
            out.append("# before Save: Security > Certificate Management > upload the peer's "
                       "certificate as ipsec-trust")
            if auth.ca:
                out.append(f"#   and its root CA {json_comment(auth.ca)}")
            out.append("#   Certificate Name = that file's name as the list shows it "
                       "[U: exact form, <peer>.pem assumed]")
        return out

    def _key(self, rule: Rule, auth: Auth, ctx: RenderContext) -> str:
        key = ctx.reveal(auth.psk, f"rule {rule.name} psk")
        if not PSK_RE.match(key):
            raise UnsupportedError(Problem(
                f"rule {rule.name}: the Preshared Key field takes letters, digits and hyphens "
                "only", field=f"{self.name} psk", fix="generate a key from those characters"))
        return key

    def project(self, end: EndPolicy, ctx: RenderContext) -> EndPolicy:
        return host_projection(end, (self._project_rule(r, ctx) for r in end.rules),
                               default_response_rule=False)

    def _project_rule(self, rule: Rule, ctx: RenderContext) -> Rule:
        update: dict[str, object] = {
            "auth": tuple(a.model_copy(update={"psk": ctx.resolve(a.psk), "ca": None})
                          for a in rule.auth),
            "local_id": None,
            "peer_id": None,
            "lifetime_kb": None,
            "connection_type": "all",
            "nat_traversal": True,
            "nat_keepalive_s": None,
            "qos_preclassify": False,
            "dpd_s": None,
            "initiate": False,
        }
        peer = rule.peer_address
        if len(rule.filters) == 1:
            f = rule.filters[0]
            local, remote = _host(f.local), _host(f.remote)
            if local is not None and remote is not None:
                update["local_address"], update["peer_address"] = local, remote
                peer = remote
        if any(a.method == "certificate" for a in rule.auth):
            update["peer_id"] = cert_identity(cert_name(rule.peer_id, peer))
        return rule.model_copy(update=update)

    # ------------------------------------------------------------------- parse

    def parse(self, text: str, source: str = "<text>") -> Parsed:
        """A sheet or ``show ipsec information`` output, checked against this format's table
        unless the text names another (:func:`ccsec.formats.cucm.read.read`)."""
        return read(text, source, self.table, self.name, self.comment)


def with_table(key: str) -> Cucm:
    """The CUCM format checking against another value table (``TABLES`` keys)."""
    if key not in TABLES:
        raise UserError(Problem(f"unknown CUCM value table '{key}'", field="value table",
                                fix=f"use one of: {', '.join(TABLES)}"))
    return Cucm(key)


FORMAT = Cucm()
