"""Legacy Windows "IP Security Policies" as a ``netsh ipsec static`` script (``netsh -f``).

This is the store the contact-center guide's IP Security Policy wizard edits (seed 000,
「IPSec ポリシーの設定」): a policy holds rules; a rule is a filter list + a filter action +
authentication methods + connection type + tunnel setting; the IKE main-mode methods belong to
the policy.  Syntax: ``shared/reference/platform-syntax.md`` §3 (built-in help text [D]).

Render — one script per end, meant for ``netsh -f ipsec.netsh`` from an elevated prompt:

* every command carries the full ``ipsec static`` prefix instead of ``pushd ipsec static``: a
  line means the same wherever it ends up (an error message, a diff hunk, a copy into an
  interactive ``netsh`` prompt, or ``netsh ipsec static …`` on cmd), and a script that stops
  half-way leaves no context stack behind;
* ``set store location=local``, ``set batch mode=enable`` … ``disable``, then the policy with
  ``assign=no``, per rule its filter list, filters, filter action and rule, and finally
  ``set policy … assign=yes`` once every object exists;
* object names derive from the policy and rule names: rule ``R`` (transport) → netsh rule ``R``,
  filter list ``<policy>.R.filters``; tunnel rules become two one-way rules ``R.out`` / ``R.in``
  with filter lists ``<policy>.R.out`` / ``<policy>.R.in`` and ``tunnel=`` naming the endpoint on
  the destination side of each filter (§3.4); the filter action is ``<policy>.R.action``.
  Policy and rule names are identifiers without dots, so these names never collide;
* DH groups go through IANA numbers: netsh group ``3`` is IANA group 14 (§2.1);
* ``soft=`` is the outbound and ``inpass=`` the inbound clear-text fallback ("request");
* every string value is double-quoted by :func:`.text.netsh_value` after
  :func:`.text.netsh_text_problem` found it representable: netsh has no escape for ``"`` in a
  name, description or key, and a script line cannot hold a line break.
  Inside ``rootca`` a double quote is written ``\\'`` (§3.1).

Lost on the way (the ``LOSSES`` table of :mod:`.netsh_support`, applied by ``project``):

* IKE proposals and the IKE lifetime belong to the *policy* in netsh (``mmsecmethods``,
  ``mmlifetime``): every rule gets the ordered union of all rules' proposals and the shortest
  IKE lifetime, rounded up to whole minutes;
* IKE identities (Windows derives them from the method: Kerberos principal, certificate subject,
  IP address), DPD, "initiate" (Windows negotiates when traffic matches a filter), QoS
  pre-classification, the NAT keepalive interval (machine-wide) — parsed back as unset;
* a transport rule's local/peer address is read back from its first filter (netsh has no other
  place for it; the IKE peer of a transport rule is the filter's far end);
* gateway facts (interfaces, tunnel style, source NAT).

Refused (the support tables of :mod:`.netsh_support`, one sentence each, naming the rule):
IKEv2, aggressive mode, any algorithm outside the built-in help grammar (AES, SHA-2, GCM, PRFs —
the online page's AES strings contradict the help text [V], so ccsec does not generate them), DH
groups other than 1/2/14, a PFS group other than the main-mode group (``qmpfs=yes`` reuses it),
security "none", certificate auth without a CA name, NAT traversal switched off, one-way filters
in tunnel mode, ports without TCP/UDP, protocol 0, duplicate rule names and text netsh cannot
carry.

Parse: ccsec output and hand-written scripts — ``netsh ipsec static …`` lines (``.bat`` style),
``pushd ipsec static`` / ``popd`` and context lines, unique tag abbreviations (``qmsec=``,
``srca=``, ``con=``, ``mmsec=``), positional values in documented order, ``y``/``yes``/``no``,
``set policy|filterlist|filteraction|rule|defaultrule|store|batch``, ``delete …``, the ``\\'``
escape in ``rootca``, lifetimes ``:<n>k``, ``:<n>s``, ``:<n>k/<n>s``, and — with a warning, [V] —
the online page's ``"3DES-SHA1 DHGroup2;AES128-SHA256 DHGroup14"`` form.  One
:class:`EndPolicy` per policy in the script; which one is assigned is a note and
``NetshFacts.assigned``.  Unknown lines become notes; a reference to an object the script
never created is a :class:`ParseError` with file:line.  Values a hand-written script leaves out
take netsh's defaults, with a note where they are unverified [V] (IKE and quick-mode methods,
lifetimes, the default response rule, Kerberos as the "dynamic default" authentication).  Read
but not modelled (a note when they matter): ``mmpfs=yes``, ``qmpermm``, ``pollinginterval``,
``certmap:yes``/``excludecaname:yes``, ``gponame=``, filter and filter-list descriptions;
``srcaddr=me`` is read as 0.0.0.0/0; filters on DNS names, ranges, server types or IPv6 are
noted and left out.

Encoding [V]: the pipeline writes UTF-8.  Whether ``netsh -f`` reads UTF-8 without a BOM (rather
than the ANSI code page) is not documented; the header says so when a description is non-ASCII.

The parts: :mod:`.vocabulary` (netsh words and defaults, ``NETSH_*``), :mod:`.text` (quoting),
:mod:`.netsh_support` (what it refuses and loses, as tables; rows both Windows formats share in
:mod:`.support`), this module (render), :mod:`.netsh_grammar` → :mod:`.netsh_store` (replay a
script) → :mod:`.netsh_builder` (store → policy).
"""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Network

from ccsec.crypto import EspProposal, IkeProposal
from ccsec.errors import Problem, UnsupportedError
from ccsec.formats.base import (
    Format,
    Parsed,
    RenderContext,
    read_meta,
)
from ccsec.formats.dn import encoding_order
from ccsec.formats.windows import netsh_support as support
from ccsec.formats.windows.netsh_builder import IN, OUT, NetshBuilder
from ccsec.formats.windows.netsh_store import NetshStore
from ccsec.formats.windows.netsh_support import PolicyMainMode, ike_union, mm_minutes
from ccsec.formats.windows.text import (
    netsh_psk_problem,
    netsh_value,
    rootca_value,
)
from ccsec.formats.windows.vocabulary import (
    NETSH_ESP_CONF,
    NETSH_MM_ENCR,
    NETSH_MM_GROUP,
    NETSH_MM_INTEG,
    NETSH_PROTO_OUT,
    NETSH_QM_HASH,
)
from ccsec.policy import EndPolicy, Rule, v4net


def mm_method(p: IkeProposal) -> str:
    """One mmsecmethods entry, e.g. ``3DES-SHA1-2`` (IANA 14 → ``3``)."""
    assert p.integrity is not None  # unsupported() refused anything else
    return f"{NETSH_MM_ENCR[p.encryption]}-{NETSH_MM_INTEG[p.integrity]}-{NETSH_MM_GROUP[p.group]}"


def qm_offer(p: EspProposal, life_s: int, life_kb: int | None) -> str:
    """One qmsecmethods offer, e.g. ``ESP[3DES,SHA1]:100000k/3600s``.

    Without a kilobyte limit the single-unit form ``:<n>s`` is written (seen in public
    scripts [O]; the help text only shows ``k/s``).
    """
    parts = []
    if p.ah is not None:
        parts.append(f"AH[{NETSH_QM_HASH[p.ah]}]")
    if p.encryption is not None:
        auth = NETSH_QM_HASH[p.integrity] if p.integrity else "None"
        parts.append(f"ESP[{NETSH_ESP_CONF[p.encryption]},{auth}]")
    life = f"{life_kb}k/{life_s}s" if life_kb else f"{life_s}s"
    return "+".join(parts) + ":" + life


def _net(net: IPv4Network) -> tuple[str, str]:
    """srcaddr/srcmask values: ``any`` for 0.0.0.0/0 (a mask of 0 is outside 1–32)."""
    if net.prefixlen == 0:
        return "any", ""
    return str(net.network_address), str(net.prefixlen)


# --------------------------------------------------------------------------- the format


class WindowsNetsh(Format):
    name = "windows-netsh"
    title = "Windows legacy IP Security Policies (netsh ipsec static script)"
    file_name = "ipsec.netsh"
    comment = "#"
    proof = "syntax"
    proof_note = ("pinned to the built-in netsh help grammar (Microsoft Learn: Netsh commands "
                  "for Internet Protocol security, netsh ipsec static); not run on Windows here")
    # what it cannot express and what it loses: the tables of .netsh_support
    END_REFUSALS = support.END_REFUSALS
    RULE_IN_END_REFUSALS = support.RULE_IN_END_REFUSALS
    REFUSALS = support.REFUSALS
    LATE_END_REFUSALS = support.LATE_END_REFUSALS
    LOSSES = support.LOSSES

    # ------------------------------------------------------------------ render

    def render_body(self, end: EndPolicy, ctx: RenderContext) -> list[str]:
        pol = end.name
        lines = self._preamble(end)
        union = ike_union(end)
        policy = [f"name={netsh_value(pol)}"]
        if end.description:
            policy.append(f"description={netsh_value(end.description)}")
        policy += [
            "mmpfs=no",
            f"mmlifetime={mm_minutes(end)}",
            f"activatedefaultrule={_yn(end.default_response_rule)}",
            "assign=no",
        ]
        if union:
            policy.append(f'mmsecmethods="{" ".join(mm_method(p) for p in union)}"')
        lines += [
            "ipsec static set store location=local",
            "ipsec static set batch mode=enable",
            "ipsec static add policy " + " ".join(policy),
        ]
        for rule in end.rules:
            lines += self._rule_lines(pol, rule, ctx)
        lines += [
            "ipsec static set batch mode=disable",
            f"ipsec static set policy name={netsh_value(pol)} assign=yes",
        ]
        return lines

    def _preamble(self, end: EndPolicy) -> list[str]:
        pol = end.name
        out = [
            "# apply: from an elevated command prompt, `netsh -f ipsec.netsh` (every line is a",
            "#   complete `ipsec static` command; netsh -f runs them in order and assigns the",
            "#   policy last — assigning it replaces any other assigned local IPsec policy)",
            "# undo: run these from an elevated command prompt (delete policy also deletes its",
            "#   rules; filter lists and filter actions are separate objects):",
            f"#   netsh ipsec static set policy name={netsh_value(pol)} assign=no",
            f"#   netsh ipsec static delete policy name={netsh_value(pol)}",
        ]
        for rule in end.rules:
            out.append(f"#   netsh ipsec static delete filteraction name="
                       f"{netsh_value(_fa_name(pol, rule))}")
            for fl in _fl_names(pol, rule):
                out.append(f"#   netsh ipsec static delete filterlist name={netsh_value(fl)}")
        out.append("# re-run only after undo: `add filter` would add to a filter list left "
                   "from an earlier run")
        if any(a.method == "psk" for r in end.rules for a in r.auth):
            out.append("# this file holds a pre-shared key in clear text: keep it 0600 and "
                       "delete it once applied")
        if not all(t.isascii() for t in _texts(end)):
            out.append("# [V] non-ASCII text below: the file is UTF-8; if netsh shows it "
                       "garbled, save it as UTF-16 LE with BOM")
        return out

    def _rule_lines(self, pol: str, rule: Rule, ctx: RenderContext) -> list[str]:
        fa = _fa_name(pol, rule)
        auth = self._auth_tags(rule, ctx)
        common = [f"filteraction={netsh_value(fa)}"]
        tail = [f"conntype={rule.connection_type}", f"activate={_yn(rule.enabled)}"]
        if rule.description:
            tail.append(f"description={netsh_value(rule.description)}")
        out: list[str] = []
        if rule.mode == "tunnel":
            fl_out, fl_in = _fl_names(pol, rule)
            out += _filterlist(fl_out, [(v4net(f.local), v4net(f.remote), f.protocol,
                                         f.local_port,
                                         f.remote_port, False) for f in rule.filters])
            out += _filterlist(fl_in, [(v4net(f.remote), v4net(f.local), f.protocol,
                                        f.remote_port,
                                        f.local_port, False) for f in rule.filters])
            out.append(self._filteraction(fa, rule))
            for suffix, fl, endpoint in ((OUT, fl_out, rule.peer_address),
                                         (IN, fl_in, rule.local_address)):
                out.append(" ".join([
                    "ipsec static add rule", f"name={netsh_value(rule.name + suffix)}",
                    f"policy={netsh_value(pol)}", f"filterlist={netsh_value(fl)}", *common,
                    f"tunnel={endpoint}", *tail, *auth,
                ]))
            return out
        (fl,) = _fl_names(pol, rule)
        out += _filterlist(fl, [(v4net(f.local), v4net(f.remote), f.protocol, f.local_port,
                                 f.remote_port,
                                 f.mirrored) for f in rule.filters])
        out.append(self._filteraction(fa, rule))
        out.append(" ".join([
            "ipsec static add rule", f"name={netsh_value(rule.name)}", f"policy={netsh_value(pol)}",
            f"filterlist={netsh_value(fl)}", *common, *tail, *auth,
        ]))
        return out

    def _filteraction(self, name: str, rule: Rule) -> str:
        offers = " ".join(qm_offer(p, rule.lifetime_s, rule.lifetime_kb) for p in rule.esp)
        return " ".join([
            "ipsec static add filteraction", f"name={netsh_value(name)}",
            f"qmpfs={_yn(rule.pfs_group is not None)}",
            f"inpass={_yn(rule.inbound == 'request')}",
            f"soft={_yn(rule.outbound == 'request')}",
            f"action={rule.action}",
            f'qmsecmethods="{offers}"',
        ])

    def _auth_tags(self, rule: Rule, ctx: RenderContext) -> list[str]:
        """Authentication tags in preference order (their position is the order, §3.2)."""
        tags = []
        for a in rule.auth:
            if a.method == "kerberos":
                tags.append("kerberos=yes")
            elif a.method == "certificate":
                tags.append(f"rootca={rootca_value(encoding_order(a.ca or ''))}")
            else:
                key = ctx.reveal(a.psk, f"rule {rule.name} psk")
                problem = netsh_psk_problem(key)
                if problem:
                    raise UnsupportedError(Problem(
                        f"rule {rule.name}: the pre-shared key contains {problem}",
                        field=f"rule {rule.name} psk", fix="choose a key netsh can quote"))
                tags.append(f'psk="{key}"')
        if not any(a.method == "kerberos" for a in rule.auth):
            tags.append("kerberos=no")  # explicit: no Kerberos "dynamic default" [V]
        return tags

    def device_view(self, end: EndPolicy, ctx: RenderContext) -> PolicyMainMode:
        return PolicyMainMode.of(end)

    # ------------------------------------------------------------------- parse

    def parse(self, text: str, source: str = "<text>") -> Parsed:
        lines = text.removeprefix("\ufeff").split("\n")
        meta = read_meta(lines, self.comment)
        parsed = Parsed(policies=[], source=source, format=self.name)
        store = NetshStore(source, parsed.notes)
        store.run(lines)
        NetshBuilder(store, parsed, meta).build()
        return parsed


# ------------------------------------------------------------------------ render helpers


def _yn(flag: bool) -> str:
    return "yes" if flag else "no"


def _fa_name(pol: str, rule: Rule) -> str:
    return f"{pol}.{rule.name}.action"


def _fl_names(pol: str, rule: Rule) -> tuple[str, ...]:
    if rule.mode == "tunnel":
        return f"{pol}.{rule.name}{OUT}", f"{pol}.{rule.name}{IN}"
    return (f"{pol}.{rule.name}.filters",)


def _texts(end: EndPolicy) -> Iterable[str]:
    yield end.description
    for r in end.rules:
        yield r.description
        yield from (a.ca for a in r.auth if a.ca)


Row = tuple[IPv4Network, IPv4Network, int | None, int | None, int | None, bool]


def _filterlist(name: str, rows: list[Row]) -> list[str]:
    """``add filterlist`` and one ``add filter`` per row (src, dst, protocol, ports, mirrored)."""
    out = [f"ipsec static add filterlist name={netsh_value(name)}"]
    for src, dst, proto, sport, dport, mirrored in rows:
        tags = [f"filterlist={netsh_value(name)}"]
        for tag, net in (("src", src), ("dst", dst)):
            addr, mask = _net(net)
            tags.append(f"{tag}addr={addr}")
            if mask:
                tags.append(f"{tag}mask={mask}")
        tags.append("protocol=" + ("ANY" if proto is None
                                   else NETSH_PROTO_OUT.get(proto, str(proto))))
        if proto in (6, 17):
            tags += [f"srcport={sport or 0}", f"dstport={dport or 0}"]
        tags.append(f"mirrored={_yn(mirrored)}")
        out.append("ipsec static add filter " + " ".join(tags))
    return out


FORMAT = WindowsNetsh()
