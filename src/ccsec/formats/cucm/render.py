"""The CUCM format: renders the hand-entry sheet, says what the page cannot hold, projects.

No CLI command creates or edits an IPsec policy on a Unified OS node (cucm-ipsec.md §5), so what
ccsec renders is a **hand-entry sheet**: one file per CUCM node, one block per peer
("bidirectional provisioning, one peer for each host", §1), each block the page's fields in page
order with the exact Generation 2/3 labels (§3), ``Label : value``.  Comment lines the
administrator does not type say where to click (Cisco Unified OS Administration → Security →
IPSEC Configuration → Add New), which value table the sheet was checked against, how to check
the result (Services → Ping → Validate IPsec) and which assumptions are unverified ([U]).
Selecting another value table: render with ``with_table(KEY)``.  Parsing is :mod:`.read`'s.

What the page cannot hold (``unsupported``) and what the sheet loses (``project``) are the
tables of :mod:`.support`, which the base class runs.
"""

from __future__ import annotations

from ccsec.errors import Problem, UnsupportedError, UserError
from ccsec.formats.base import Format, Parsed, RenderContext, json_comment
from ccsec.formats.cucm.read import read
from ccsec.formats.cucm.support import END_REFUSALS, LOSSES, page_refusals
from ccsec.formats.cucm.values import (
    DEFAULT_TABLE,
    FIELDS,
    LABEL_WIDTH,
    PROTOCOL_LABELS,
    PSK_RE,
    RULE_TAG,
    TABLES,
    cert_name,
)
from ccsec.policy import Auth, EndPolicy, Rule, v4


def _port_text(port: int | None) -> str:
    return "Any" if port is None else str(port)


class Cucm(Format):
    name = "cucm"
    title = "Cisco Unified CM IPSEC Policy Configuration sheet (hand entry)"
    file_name = "cucm-ipsec.txt"
    comment = "#"
    proof = "syntax"
    proof_note = ("Unified CM has no command or file to load a policy from; the values follow "
                  "Cisco's guides (Administration Guide for Cisco Unified Communications Manager: "
                  "Manage IPSec Policies; Cisco Unified Communications Operating System "
                  "Administration Guide) and are entered by hand; "
                  "the sheet as read back is played by strongSwan in ccsec lab run and by "
                  "libreswan in ccsec lab witness")

    END_REFUSALS = END_REFUSALS
    LOSSES = LOSSES

    def __init__(self, table: str = DEFAULT_TABLE) -> None:
        self.table = TABLES[table]
        #: the drop-down rows depend on the value table this instance checks against
        self.REFUSALS = page_refusals(self.table)

    # ------------------------------------------------------------------ render

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
        lines += _own_certificate(end)
        return lines

    def _block(self, end: EndPolicy, rule: Rule, position: str,
               ctx: RenderContext) -> list[str]:
        t = self.table
        f = rule.filters[0]
        auth = rule.auth[0]
        ike = rule.ike.proposals[0]
        esp = rule.esp[0]
        src, dst = f.local.network_address, f.remote.network_address
        cert = cert_name(rule.peer_id, v4(dst)) if auth.method == "certificate" else ""
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

    # ------------------------------------------------------------------- parse

    def parse(self, text: str, source: str = "<text>") -> Parsed:
        """A sheet or ``show ipsec information`` output, checked against this format's table
        unless the text names another (:func:`ccsec.formats.cucm.read.read`)."""
        return read(text, source, self.table, self.name, self.comment)


def _own_certificate(end: EndPolicy) -> list[str]:
    """Once per node, before any certificate policy: the node's own ``ipsec`` certificate is
    self-signed from installation, and a peer that trusts the deployment's root CA (a Windows
    rule names it with -Authority) refuses it — it must be replaced by one that CA signs.
    Cisco: Unified OS Administration guide, Security > Certificate Management (Generate CSR,
    purpose ipsec; upload as ipsec); tech note 118886 (CA-signed ipsec certificate); release
    14 and later need ``utils ipsec restart`` after the change (cucm-ipsec.md §6.1)."""
    cas = list(dict.fromkeys(a.ca for r in end.rules for a in r.auth
                             if a.method == "certificate" and a.ca))
    if not any(a.method == "certificate" for r in end.rules for a in r.auth):
        return []
    signer = " or ".join(json_comment(ca) for ca in cas) or "the CA your peers trust"
    return [
        "# FIRST, once per node: this node's own 'ipsec' certificate is self-signed from",
        f"#   installation, and the peers trust only certificates signed by {signer}:",
        "#   Security > Certificate Management > Generate CSR (purpose ipsec), have that CA",
        "#   sign it, Upload Certificate (purpose ipsec), upload the CA as ipsec-trust, then",
        "#   'utils ipsec restart' on this node; until then no certificate policy comes up",
    ]


def with_table(key: str) -> Cucm:
    """The CUCM format checking against another value table (``TABLES`` keys)."""
    if key not in TABLES:
        raise UserError(Problem(f"unknown CUCM value table '{key}'", field="value table",
                                fix=f"use one of: {', '.join(TABLES)}"))
    return Cucm(key)


FORMAT = Cucm()
