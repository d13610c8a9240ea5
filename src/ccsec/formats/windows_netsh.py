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
* every string value is double-quoted after :func:`text_problem` found it representable: netsh has
  no escape for ``"`` in a name, description or key, and a script line cannot hold a line break.
  Inside ``rootca`` a double quote is written ``\\'`` (§3.1).

Lost on the way (:meth:`WindowsNetsh.project`):

* IKE proposals and the IKE lifetime belong to the *policy* in netsh (``mmsecmethods``,
  ``mmlifetime``): every rule gets the ordered union of all rules' proposals and the shortest
  IKE lifetime, rounded up to whole minutes;
* IKE identities (Windows derives them from the method: Kerberos principal, certificate subject,
  IP address), DPD, "initiate" (Windows negotiates when traffic matches a filter), QoS
  pre-classification, the NAT keepalive interval (machine-wide) — parsed back as unset;
* a transport rule's local/peer address is read back from its first filter (netsh has no other
  place for it; the IKE peer of a transport rule is the filter's far end);
* gateway facts (interfaces, tunnel style, source NAT).

Refused (:meth:`WindowsNetsh.unsupported`, one sentence each, naming the rule): IKEv2,
aggressive mode, any algorithm outside the built-in help grammar (AES, SHA-2, GCM, PRFs — the
online page's AES strings contradict the help text [V], so ccsec does not generate them), DH
groups other than 1/2/14, a PFS group other than the main-mode group (``qmpfs=yes`` reuses it),
security "none", certificate auth without a CA name, NAT traversal switched off, one-way
filters in tunnel mode, ports without TCP/UDP, protocol 0, duplicate rule names and text netsh
cannot carry.

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
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network, ip_address
from typing import TypeVar

from pydantic import ValidationError

from ccsec.crypto import Encr, EspProposal, IkeProposal, Integ
from ccsec.errors import ParseError, Problem, UnsupportedError
from ccsec.formats.base import (
    Format,
    Note,
    Parsed,
    RenderContext,
    host_projection,
    meta_str,
    read_meta,
)
from ccsec.formats.facts import NetshFacts
from ccsec.policy import Auth, EndPolicy, Filter, Ike, Rule, to_ident
from ccsec.secrets import literal

T = TypeVar("T")

# ------------------------------------------------------------------------------ vocabulary

#: mmsecmethods (help text [D]): conf-hash-group, group 3 = 2048-bit MODP = IANA 14 (§2.1)
MM_ENCR: dict[Encr, str] = {Encr.DES: "DES", Encr.TDES: "3DES"}
MM_INTEG: dict[Integ, str] = {Integ.MD5: "MD5", Integ.SHA1: "SHA1"}
MM_GROUP: dict[int, str] = {1: "1", 2: "2", 14: "3"}
#: qmsecmethods (help text [D]): ESP[conf,auth], AH[hash]; "None" = no encryption / integrity
ESP_CONF: dict[Encr, str] = {Encr.DES: "DES", Encr.TDES: "3DES", Encr.NULL: "None"}
QM_HASH: dict[Integ, str] = {Integ.MD5: "MD5", Integ.SHA1: "SHA1"}

_MM_ENCR_IN = {v.upper(): k for k, v in MM_ENCR.items()}
_MM_INTEG_IN = {v.upper(): k for k, v in MM_INTEG.items()}
_MM_GROUP_IN = {v: k for k, v in MM_GROUP.items()}
_ESP_CONF_IN = {v.upper(): k for k, v in ESP_CONF.items()}
_QM_HASH_IN = {v.upper(): k for k, v in QM_HASH.items()}
#: the online page's "3DES-SHA1 DHGroup2;AES128-SHA256 DHGroup14" form [V] (parse only)
_V_ENCR_IN = {**_MM_ENCR_IN, "AES128": Encr.AES128, "AES192": Encr.AES192, "AES256": Encr.AES256}
_V_INTEG_IN = {**_MM_INTEG_IN, "SHA256": Integ.SHA256, "SHA384": Integ.SHA384}
_V_GROUP_IN = {"DHGROUP1": 1, "DHGROUP2": 2, "DHGROUP14": 14, "DHGROUP24": 24,
               "ECDHP256": 19, "ECDHP384": 20}

PROTO_OUT = {1: "ICMP", 6: "TCP", 17: "UDP"}
#: RAW is read as IP protocol 255 (IPPROTO_RAW) [V]; ANY and 0 mean any protocol
PROTO_IN = {"ANY": None, "ICMP": 1, "TCP": 6, "UDP": 17, "RAW": 255}

#: documented netsh defaults used when a hand-written script leaves a value out
DEFAULT_MM_LIFETIME_MIN = 480  # 8 hours, the legacy MMC default [V]
DEFAULT_QM_LIFETIME_S = 3600  # [V]
DEFAULT_QM_LIFETIME_KB = 100000  # [V]
#: built-in IKE methods when a policy names none (Windows 2000/XP/2003 MMC defaults) [V]
DEFAULT_MM: tuple[IkeProposal, ...] = tuple(
    IkeProposal(encryption=e, integrity=i, group=g)
    for e, i, g in ((Encr.TDES, Integ.SHA1, 2), (Encr.TDES, Integ.MD5, 2),
                    (Encr.DES, Integ.SHA1, 1), (Encr.DES, Integ.MD5, 1))
)
#: built-in quick-mode offers when a negotiate filter action names none [V]
DEFAULT_QM: tuple[EspProposal, ...] = (
    EspProposal(encryption=Encr.TDES, integrity=Integ.SHA1),
    EspProposal(encryption=Encr.TDES, integrity=Integ.MD5),
    EspProposal(encryption=Encr.DES, integrity=Integ.SHA1),
    EspProposal(encryption=Encr.DES, integrity=Integ.MD5),
)

OUT, IN = ".out", ".in"

# ------------------------------------------------------------------------ quoting, checks


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot stand inside a double-quoted netsh value (``None`` when it can).

    netsh has no escape for ``"`` outside ``rootca``; a script line ends at a line break; other
    control characters are refused rather than silently dropped.  A trailing backslash would
    escape the closing quote under Windows command-line rules [V].
    """
    plain = value.isascii() and value.isprintable()  # no control character, no surrogate
    for ch in "" if plain and '"' not in value else value:
        if ch == '"':
            return "a double quote (netsh has no escape for it)"
        category = unicodedata.category(ch)
        if category == "Cc":
            return (f"control character U+{ord(ch):04X} (a netsh script line cannot hold line "
                    "breaks or control characters)")
        if category == "Cs":
            return f"an unpaired surrogate U+{ord(ch):04X} (not encodable)"
    if value.endswith("\\"):
        return "a trailing backslash (it would escape the closing quote [V])"
    return None


def quote(value: str) -> str:
    """``value`` as a double-quoted netsh value; refuses what netsh cannot carry."""
    problem = text_problem(value)
    if problem:
        raise UnsupportedError(Problem(f"a netsh value contains {problem}"))
    return f'"{value}"'


def ca_problem(ca: str) -> str | None:
    """Why a CA name cannot be written as a ``rootca`` string (``None`` when it can)."""
    problem = text_problem(ca.replace('"', ""))
    if problem:
        return problem
    if "\\'" in ca:
        return "the sequence \\' (rootca's escape for a double quote; it would read back as \")"
    lowered = ca.lower()
    if "certmap:" in lowered or "excludecaname:" in lowered:
        return "'certmap:' or 'excludecaname:' (rootca's option syntax)"
    if ca != ca.rstrip() or not ca.strip():
        return "trailing white space or nothing else"
    return None


def rootca_value(ca: str) -> str:
    """The ``rootca`` string: embedded double quotes become ``\\'`` (§3.1)."""
    problem = ca_problem(ca)
    if problem:
        raise UnsupportedError(Problem(f"a CA name contains {problem}"))
    return f'"{ca.replace(chr(34), chr(92) + chr(39))} certmap:no excludecaname:no"'


def mm_method(p: IkeProposal) -> str:
    """One mmsecmethods entry, e.g. ``3DES-SHA1-2`` (IANA 14 → ``3``)."""
    assert p.integrity is not None  # unsupported() refused anything else
    return f"{MM_ENCR[p.encryption]}-{MM_INTEG[p.integrity]}-{MM_GROUP[p.group]}"


def qm_offer(p: EspProposal, life_s: int, life_kb: int | None) -> str:
    """One qmsecmethods offer, e.g. ``ESP[3DES,SHA1]:100000k/3600s``.

    Without a kilobyte limit the single-unit form ``:<n>s`` is written (seen in public
    scripts [O]; the help text only shows ``k/s``).
    """
    parts = []
    if p.ah is not None:
        parts.append(f"AH[{QM_HASH[p.ah]}]")
    if p.encryption is not None:
        auth = QM_HASH[p.integrity] if p.integrity else "None"
        parts.append(f"ESP[{ESP_CONF[p.encryption]},{auth}]")
    life = f"{life_kb}k/{life_s}s" if life_kb else f"{life_s}s"
    return "+".join(parts) + ":" + life


def ike_union(end: EndPolicy) -> tuple[IkeProposal, ...]:
    """The policy's mmsecmethods: every rule's IKE proposals, in order, each once."""
    return tuple(dict.fromkeys(p for r in end.rules for p in r.ike.proposals))


def mm_minutes(end: EndPolicy) -> int:
    """The policy's mmlifetime: the shortest IKE lifetime of its rules, in whole minutes."""
    if not end.rules:
        return DEFAULT_MM_LIFETIME_MIN
    return max(1, -(-min(r.ike.lifetime_s for r in end.rules) // 60))


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
    proof_note = ("pinned to the built-in netsh help grammar (platform-syntax.md §3); not run on "
                  "Windows here")
    platforms = frozenset({"windows"})

    # ------------------------------------------------------------------ refuse

    def unsupported(self, end: EndPolicy) -> list[str]:
        out: list[str] = []
        problem = text_problem(end.description)
        if problem:
            out.append(f"policy {end.name}: the description contains {problem} — remove it "
                       "from the description")
        seen: dict[str, str] = {}
        for r in end.rules:
            key = r.name.casefold()
            if key in seen:
                out.append(f"rule {r.name}: netsh names are case-insensitive and rule "
                           f"{seen[key]} already uses this name — rename one of them")
            seen.setdefault(key, r.name)
            out += self._rule_problems(r)
        union_groups = {p.group for p in ike_union(end)}
        for r in end.rules:
            if r.pfs_group is not None and union_groups != {r.pfs_group}:
                groups = ", ".join(str(g) for g in sorted(union_groups))
                out.append(f"rule {r.name}: PFS group {r.pfs_group} differs from the policy's "
                           f"main-mode group(s) {groups} (netsh qmpfs=yes reuses the main-mode "
                           "group) — use the main-mode group for PFS or no PFS")
        return out

    def _rule_problems(self, r: Rule) -> list[str]:
        out: list[str] = []
        n = f"rule {r.name}"
        problem = text_problem(r.description)
        if problem:
            out.append(f"{n}: the description contains {problem} — remove it from the "
                       "description")
        if r.ike.version != 1:
            out.append(f"{n}: netsh ipsec static negotiates IKEv1 only, the rule needs "
                       f"IKEv{r.ike.version}")
        if r.ike.exchange != "main":
            out.append(f"{n}: the legacy IPsec store has no aggressive mode (main mode only)")
        out += _ike_problems(n, r.ike.proposals)
        out += _esp_problems(n, r.esp)
        if r.pfs_group is not None and r.pfs_group not in MM_GROUP:
            out.append(f"{n}: PFS group {r.pfs_group} is not one of netsh's groups 1, 2, 14")
        if "none" in (r.inbound, r.outbound):
            out.append(f"{n}: security 'none' has no filter-action form (soft=/inpass= choose "
                       "between require and request) — use action permit instead")
        if not r.nat_traversal:
            out.append(f"{n}: netsh has no per-rule switch to turn NAT traversal off")
        out += _auth_problems(n, r.auth)
        out += _filter_problems(n, r)
        return out

    # ------------------------------------------------------------------ render

    def render_body(self, end: EndPolicy, ctx: RenderContext) -> list[str]:
        pol = end.name
        lines = self._preamble(end)
        union = ike_union(end)
        policy = [f"name={quote(pol)}"]
        if end.description:
            policy.append(f"description={quote(end.description)}")
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
            f"ipsec static set policy name={quote(pol)} assign=yes",
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
            f"#   netsh ipsec static set policy name={quote(pol)} assign=no",
            f"#   netsh ipsec static delete policy name={quote(pol)}",
        ]
        for rule in end.rules:
            out.append(f"#   netsh ipsec static delete filteraction name="
                       f"{quote(_fa_name(pol, rule))}")
            for fl in _fl_names(pol, rule):
                out.append(f"#   netsh ipsec static delete filterlist name={quote(fl)}")
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
        common = [f"filteraction={quote(fa)}"]
        tail = [f"conntype={rule.connection_type}", f"activate={_yn(rule.enabled)}"]
        if rule.description:
            tail.append(f"description={quote(rule.description)}")
        out: list[str] = []
        if rule.mode == "tunnel":
            fl_out, fl_in = _fl_names(pol, rule)
            out += _filterlist(fl_out, [(f.local, f.remote, f.protocol, f.local_port,
                                         f.remote_port, False) for f in rule.filters])
            out += _filterlist(fl_in, [(f.remote, f.local, f.protocol, f.remote_port,
                                        f.local_port, False) for f in rule.filters])
            out.append(self._filteraction(fa, rule))
            for suffix, fl, endpoint in ((OUT, fl_out, rule.peer_address),
                                         (IN, fl_in, rule.local_address)):
                out.append(" ".join([
                    "ipsec static add rule", f"name={quote(rule.name + suffix)}",
                    f"policy={quote(pol)}", f"filterlist={quote(fl)}", *common,
                    f"tunnel={endpoint}", *tail, *auth,
                ]))
            return out
        (fl,) = _fl_names(pol, rule)
        out += _filterlist(fl, [(f.local, f.remote, f.protocol, f.local_port, f.remote_port,
                                 f.mirrored) for f in rule.filters])
        out.append(self._filteraction(fa, rule))
        out.append(" ".join([
            "ipsec static add rule", f"name={quote(rule.name)}", f"policy={quote(pol)}",
            f"filterlist={quote(fl)}", *common, *tail, *auth,
        ]))
        return out

    def _filteraction(self, name: str, rule: Rule) -> str:
        offers = " ".join(qm_offer(p, rule.lifetime_s, rule.lifetime_kb) for p in rule.esp)
        return " ".join([
            "ipsec static add filteraction", f"name={quote(name)}",
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
                tags.append(f"rootca={rootca_value(a.ca or '')}")
            else:
                key = ctx.reveal(a.psk, f"rule {rule.name} psk")
                problem = _psk_problem(key)
                if problem:
                    raise UnsupportedError(Problem(
                        f"rule {rule.name}: the pre-shared key contains {problem}",
                        field=f"rule {rule.name} psk", fix="choose a key netsh can quote"))
                tags.append(f'psk="{key}"')
        if not any(a.method == "kerberos" for a in rule.auth):
            tags.append("kerberos=no")  # explicit: no Kerberos "dynamic default" [V]
        return tags

    # ----------------------------------------------------------------- project

    def project(self, end: EndPolicy, ctx: RenderContext) -> EndPolicy:
        union = ike_union(end)
        life = mm_minutes(end) * 60
        rules = []
        for r in end.rules:
            update: dict[str, object] = {
                "auth": tuple(a.model_copy(update={"psk": ctx.resolve(a.psk)}) for a in r.auth),
                "local_id": None,
                "peer_id": None,
                "ike": Ike(version=1, exchange="main", proposals=union, lifetime_s=life),
                "dpd_s": None,
                "initiate": False,
                "qos_preclassify": False,
                "nat_keepalive_s": None,
                "nat_traversal": True,
            }
            if r.mode == "transport":
                update["local_address"] = r.filters[0].local.network_address
                update["peer_address"] = r.filters[0].remote.network_address
            rules.append(r.model_copy(update=update))
        return host_projection(end, rules)

    # ------------------------------------------------------------------- parse

    def parse(self, text: str, source: str = "<text>") -> Parsed:
        lines = text.removeprefix("\ufeff").split("\n")
        meta = read_meta(lines, self.comment)
        parsed = Parsed(policies=[], source=source, format=self.name)
        store = _Store(source, parsed.notes)
        store.run(lines)
        _Builder(store, parsed, meta).build()
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
    out = [f"ipsec static add filterlist name={quote(name)}"]
    for src, dst, proto, sport, dport, mirrored in rows:
        tags = [f"filterlist={quote(name)}"]
        for tag, net in (("src", src), ("dst", dst)):
            addr, mask = _net(net)
            tags.append(f"{tag}addr={addr}")
            if mask:
                tags.append(f"{tag}mask={mask}")
        tags.append("protocol=" + ("ANY" if proto is None else PROTO_OUT.get(proto, str(proto))))
        if proto in (6, 17):
            tags += [f"srcport={sport or 0}", f"dstport={dport or 0}"]
        tags.append(f"mirrored={_yn(mirrored)}")
        out.append("ipsec static add filter " + " ".join(tags))
    return out


def _ike_problems(n: str, proposals: tuple[IkeProposal, ...]) -> list[str]:
    out = []
    for p in proposals:
        label = p.label()
        # The online page's "AES128-SHA256 DHGroup14" strings contradict the built-in help
        # grammar [V]: ccsec reads them but never generates them.
        if p.encryption not in MM_ENCR:
            out.append(f"{n}: IKE encryption {p.encryption.value} ({label}) is not in netsh's "
                       "mmsecmethods grammar (DES or 3DES only)")
        if p.integrity not in MM_INTEG:
            what = p.integrity.value if p.integrity else "none"
            out.append(f"{n}: IKE integrity {what} ({label}) is not in netsh's mmsecmethods "
                       "grammar (MD5 or SHA1 only)")
        if p.prf is not None:
            out.append(f"{n}: IKE proposal {label} names a PRF, which netsh cannot express")
        if p.group not in MM_GROUP:
            out.append(f"{n}: DH group {p.group} ({label}) is not one of netsh's groups 1, 2, "
                       "14 (netsh 3 = IANA 14)")
    return out


def _esp_problems(n: str, proposals: tuple[EspProposal, ...]) -> list[str]:
    out = []
    for p in proposals:
        label = p.label()
        if p.encryption is not None and p.encryption not in ESP_CONF:
            out.append(f"{n}: ESP encryption {p.encryption.value} ({label}) is not in netsh's "
                       "qmsecmethods grammar (DES, 3DES or None only)")
        if p.integrity is not None and p.integrity not in QM_HASH:
            out.append(f"{n}: ESP integrity {p.integrity.value} ({label}) is not in netsh's "
                       "qmsecmethods grammar (MD5, SHA1 or None only)")
        if p.ah is not None and p.ah not in QM_HASH:
            out.append(f"{n}: AH integrity {p.ah.value} ({label}) is not in netsh's "
                       "qmsecmethods grammar (MD5 or SHA1 only)")
        if p.encryption is None and p.integrity is not None:
            out.append(f"{n}: proposal {label} has ESP integrity without ESP, which netsh "
                       "cannot express")
        if p.encryption == Encr.NULL and p.integrity is None:
            out.append(f"{n}: proposal {label} would be ESP[None,None] (neither encryption nor "
                       "integrity), which netsh rejects")
    return out


def _auth_problems(n: str, auth: tuple[Auth, ...]) -> list[str]:
    out = []
    for method in ("kerberos", "psk"):
        if sum(a.method == method for a in auth) > 1:
            out.append(f"{n}: netsh takes {method}= once per rule")
    for a in auth:
        if a.method == "certificate":
            if not a.ca:
                out.append(f"{n}: certificate authentication needs the root CA's name for "
                           "netsh rootca=")
                continue
            problem = ca_problem(a.ca)
            if problem:
                out.append(f"{n}: the CA name contains {problem}, which netsh rootca= cannot "
                           "carry")
        elif a.method == "psk" and a.psk is not None and a.psk.value is not None:
            problem = _psk_problem(a.psk.reveal())
            if problem:
                out.append(f"{n}: the pre-shared key contains {problem} — choose a key netsh "
                           "can quote")
    return out


def _psk_problem(key: str) -> str | None:
    return "nothing (it is empty)" if not key else text_problem(key)


def _filter_problems(n: str, r: Rule) -> list[str]:
    out = []
    if r.mode == "tunnel" and any(not f.mirrored for f in r.filters):
        out.append(f"{n}: a one-way filter in tunnel mode has no netsh form (ccsec writes a "
                   "tunnel rule as two one-way rules from mirrored filters)")
    if any(f.protocol not in (6, 17) and (f.local_port or f.remote_port) for f in r.filters):
        out.append(f"{n}: netsh filters take ports only with protocol TCP or UDP")
    if any(f.protocol == 0 for f in r.filters):
        out.append(f"{n}: protocol 0 reads as 'any protocol' in netsh")
    return out


# ------------------------------------------------------------------------------ tokenizer

_TOKEN = re.compile(r'(?:[^\s"]|"[^"]*")+')
_TAG = re.compile(r"([A-Za-z]+)=")
_DIGITS = re.compile(r"[0-9]{1,10}")
_REDIRECT = re.compile(r"[0-9]?>")


class _Bad(ValueError):
    """A malformed value on the current line (turned into a ParseError with file:line)."""

    def __init__(self, message: str, fix: str = "see `netsh ipsec static <verb> <object> ?`"
                 ) -> None:
        super().__init__(message)
        self.fix = fix


def tokenize(line: str) -> tuple[list[tuple[str | None, str]], str | None]:
    """(tag, value) pairs of one netsh line, and what is malformed about it (if anything).

    Quotes group, they are not part of the value.  A malformed line is only an error once it
    turns out to be an ``ipsec static`` command; any other line just becomes a note.
    """
    error = None
    if line.count('"') % 2:
        error = "unterminated double quote"
        line += '"'
    out: list[tuple[str | None, str]] = []
    for tok in _TOKEN.findall(line):
        m = _TAG.match(tok)
        if m:
            out.append((m.group(1).lower(), tok[m.end():].replace('"', "")))
            continue
        if tok.startswith("=") or (tok.endswith("=") and '"' not in tok):
            error = error or f"'{tok}': write tag=value without spaces around '='"
        out.append((None, tok.replace('"', "")))
    return out, error


# ------------------------------------------------------------------------ command grammar

#: tags of each command in documented order (positional values follow this order)
SPECS: dict[tuple[str, str], tuple[str, ...]] = {
    ("add", "policy"): ("name", "description", "mmpfs", "qmpermm", "mmlifetime",
                        "activatedefaultrule", "pollinginterval", "assign", "mmsecmethods"),
    ("set", "policy"): ("name", "guid", "newname", "description", "mmpfs", "qmpermm",
                        "mmlifetime", "activatedefaultrule", "pollinginterval", "assign",
                        "gponame", "mmsecmethods"),
    ("delete", "policy"): ("name",),
    ("add", "filterlist"): ("name", "description"),
    ("set", "filterlist"): ("name", "guid", "newname", "description"),
    ("delete", "filterlist"): ("name",),
    ("add", "filter"): ("filterlist", "srcaddr", "dstaddr", "description", "protocol",
                        "mirrored", "srcmask", "dstmask", "srcport", "dstport"),
    ("delete", "filter"): ("filterlist", "srcaddr", "dstaddr", "protocol", "srcmask",
                           "dstmask", "srcport", "dstport", "mirrored"),
    ("add", "filteraction"): ("name", "description", "qmpfs", "inpass", "soft", "action",
                              "qmsecmethods"),
    ("set", "filteraction"): ("name", "guid", "newname", "description", "qmpfs", "inpass",
                              "soft", "action", "qmsecmethods"),
    ("delete", "filteraction"): ("name",),
    ("add", "rule"): ("name", "policy", "filterlist", "filteraction", "tunnel", "conntype",
                      "activate", "description", "kerberos", "psk", "rootca"),
    ("set", "rule"): ("name", "id", "policy", "newname", "description", "filterlist",
                      "filteraction", "tunnel", "conntype", "activate", "kerberos", "psk",
                      "rootca"),
    ("delete", "rule"): ("name", "id", "policy"),
    ("set", "defaultrule"): ("policy", "qmpfs", "activate", "qmsecmethods", "kerberos", "psk",
                             "rootca"),
    ("set", "store"): ("location", "domain"),
    ("set", "batch"): ("mode",),
}
#: how many leading untagged values a command takes positionally
POSITIONAL = {("set", "policy"): 1, ("set", "filterlist"): 1, ("set", "filteraction"): 1,
              ("set", "rule"): 1, ("delete", "policy"): 1, ("delete", "filterlist"): 1,
              ("delete", "filteraction"): 1, ("delete", "rule"): 1}
VERBS = ("add", "set", "delete", "show", "exportpolicy", "importpolicy")
OBJECTS = {
    "add": ("policy", "filterlist", "filter", "filteraction", "rule"),
    "set": ("policy", "filterlist", "filteraction", "rule", "defaultrule", "store", "batch"),
    "delete": ("policy", "filterlist", "filter", "filteraction", "rule", "all"),
}
AUTH_TAGS = ("kerberos", "psk", "rootca")


def _pick(word: str, choices: Iterable[str], what: str) -> str | None:
    """``word`` as one of ``choices``: exact, else a unique prefix (netsh abbreviations)."""
    word = word.lower()
    choices = tuple(choices)
    if word in choices:
        return word
    hits = [c for c in choices if c.startswith(word)]
    if len(hits) > 1:
        raise _Bad(f"'{word}' is ambiguous for a {what}: {', '.join(hits)}")
    return hits[0] if hits else None


def bind(cmd: tuple[str, str], args: list[tuple[str | None, str]]) -> list[tuple[str, str]]:
    """Full tag names for ``args`` (abbreviations expanded, positional values placed)."""
    order = SPECS[cmd]
    limit = POSITIONAL.get(cmd, len(order))
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for i, (tag, value) in enumerate(args):
        if tag is None:
            if value.lower() == "all" and cmd[0] == "delete":
                out.append(("all", "yes"))
                continue
            if i >= limit:
                raise _Bad(f"value '{value}' has no tag= and is not in a documented position")
            full = order[i]
        else:
            picked = _pick(tag, order, f"{cmd[0]} {cmd[1]} tag")
            if picked is None:
                raise _Bad(f"unknown tag '{tag}=' for {cmd[0]} {cmd[1]} "
                           f"(tags: {', '.join(order)})")
            full = picked
        if full in seen and full != "rootca":
            raise _Bad(f"tag {full}= given twice")
        seen.add(full)
        out.append((full, value))
    return out


# --------------------------------------------------------------------------- value parsers


def _bool(value: str, tag: str) -> bool:
    v = value.lower()
    if v in ("yes", "y"):
        return True
    if v in ("no", "n"):
        return False
    raise _Bad(f"{tag}={value}: expected yes or no")


def _int(value: str, tag: str, lo: int = 0, hi: int | None = None) -> int:
    if not _DIGITS.fullmatch(value):
        raise _Bad(f"{tag}={value}: expected a number")
    n = int(value)
    if n < lo or (hi is not None and n > hi):
        raise _Bad(f"{tag}={value}: out of range")
    return n


def parse_mmsec(value: str, line: int, notes: list[Note]) -> tuple[IkeProposal, ...]:
    """mmsecmethods: ``3DES-SHA1-2 DES-MD5-1`` [D], or the online page's form [V]."""
    if ";" in value or "dhgroup" in value.lower() or "ecdh" in value.lower():
        notes.append(Note(line, "warning", "mmsecmethods uses the online page's "
                          "'ENC-HASH DHGroupN;…' form, which contradicts the built-in help "
                          "grammar [V] — confirm with `netsh ipsec static show policy`"))
        return tuple(_v_method(m.strip()) for m in value.split(";") if m.strip())
    out = []
    for item in value.split():
        parts = item.upper().split("-")
        if (len(parts) != 3 or parts[0] not in _MM_ENCR_IN or parts[1] not in _MM_INTEG_IN
                or parts[2] not in _MM_GROUP_IN):
            raise _Bad(f"mmsecmethods entry '{item}': expected DES|3DES-MD5|SHA1-1|2|3")
        out.append(IkeProposal(encryption=_MM_ENCR_IN[parts[0]],
                               integrity=_MM_INTEG_IN[parts[1]], group=_MM_GROUP_IN[parts[2]]))
    if not out:
        raise _Bad("mmsecmethods is empty")
    return tuple(out)


def _v_method(item: str) -> IkeProposal:
    algs, _, group = item.upper().partition(" ")
    enc, _, integ = algs.partition("-")
    group = group.strip()
    if enc not in _V_ENCR_IN or integ not in _V_INTEG_IN or group not in _V_GROUP_IN:
        raise _Bad(f"mmsecmethods entry '{item}': expected e.g. 3DES-SHA1 DHGroup2")
    return IkeProposal(encryption=_V_ENCR_IN[enc], integrity=_V_INTEG_IN[integ],
                       group=_V_GROUP_IN[group])


@dataclass(frozen=True)
class QmOffers:
    proposals: tuple[EspProposal, ...]
    life_s: int | None
    life_kb: int | None
    mixed_lifetimes: bool


_ESP_RE = re.compile(r"ESP\[([A-Z0-9]+),([A-Z0-9]+)\]")
_AH_RE = re.compile(r"AH\[([A-Z0-9]+)\]")
_LIFE_RE = re.compile(r"([0-9]{1,10})([KS])")


def parse_qmsec(value: str) -> QmOffers:
    """qmsecmethods: ``ESP[3DES,SHA1]:100000k/3600s AH[MD5]:3600s …`` (help text [D])."""
    props: list[EspProposal] = []
    lives: list[tuple[int | None, int | None]] = []
    for offer in value.upper().split():
        algs, _, life = offer.partition(":")
        props.append(_qm_algs(algs, offer))
        lives.append(_qm_life(life, offer) if life else (None, None))
    if not props:
        raise _Bad("qmsecmethods is empty")
    life_s, life_kb = lives[0]
    return QmOffers(tuple(props), life_s, life_kb, len(set(lives)) > 1)


def _qm_algs(algs: str, offer: str) -> EspProposal:
    esp: tuple[Encr, Integ | None] | None = None
    ah: Integ | None = None
    for part in algs.split("+"):
        m = _ESP_RE.fullmatch(part)
        if m and esp is None and m.group(1) in _ESP_CONF_IN and (
                m.group(2) == "NONE" or m.group(2) in _QM_HASH_IN):
            esp = (_ESP_CONF_IN[m.group(1)], _QM_HASH_IN.get(m.group(2)))
            continue
        m = _AH_RE.fullmatch(part)
        if m and ah is None and m.group(1) in _QM_HASH_IN:
            ah = _QM_HASH_IN[m.group(1)]
            continue
        raise _Bad(f"qmsecmethods offer '{offer}': expected ESP[DES|3DES|None,MD5|SHA1|None], "
                   "AH[MD5|SHA1] or AH[…]+ESP[…]")
    if esp is None:
        return EspProposal(encryption=None, ah=ah)
    encr, integ = esp
    if encr == Encr.NULL and integ is None:
        raise _Bad(f"qmsecmethods offer '{offer}': ESP[None,None] protects nothing")
    return EspProposal(encryption=encr, integrity=integ, ah=ah)


def _qm_life(life: str, offer: str) -> tuple[int | None, int | None]:
    seconds = kbytes = None
    for part in life.split("/"):
        m = _LIFE_RE.fullmatch(part)
        if not m:
            raise _Bad(f"qmsecmethods offer '{offer}': lifetime must look like 100000k/3600s")
        if m.group(2) == "S" and seconds is None:
            seconds = int(m.group(1))
        elif m.group(2) == "K" and kbytes is None:
            kbytes = int(m.group(1))
        else:
            raise _Bad(f"qmsecmethods offer '{offer}': lifetime unit given twice")
    return seconds, kbytes


def parse_rootca(value: str, line: int, notes: list[Note]) -> str:
    """The CA name of a ``rootca`` string: ``\\'`` is a double quote, options are stripped."""
    ca = value.replace("\\'", '"')
    found = False
    while True:
        stripped = ca.rstrip()
        cut = max(stripped.rfind(" "), stripped.rfind("\t"))
        option, colon, flag = stripped[cut + 1:].lower().partition(":")
        if cut < 0 or not colon or option not in ("certmap", "excludecaname"):
            break
        if flag in ("yes", "y"):
            notes.append(Note(line, "info", f"rootca {option}:yes is not part of ccsec's "
                              "policy model (read as the CA name only)"))
        elif flag not in ("no", "n"):
            raise _Bad(f"rootca option {option}:{flag}: expected yes or no")
        ca = stripped[:cut]
        found = True
    if not ca.strip():
        raise _Bad("rootca names no CA")
    return ca.rstrip() if found else ca


# ------------------------------------------------------------------ the store the script builds


@dataclass(frozen=True)
class NFilter:
    """One netsh filter as written (src/dst; a filter ccsec cannot hold is never built)."""

    src: IPv4Network
    dst: IPv4Network
    protocol: int | None
    srcport: int | None
    dstport: int | None
    mirrored: bool
    line: int


@dataclass(eq=False)
class NFilterList:
    """A filter list; rules hold the object itself, so a later rename keeps the link (GUIDs)."""

    name: str
    line: int
    filters: list[NFilter] = field(default_factory=list)


@dataclass(eq=False)
class NFilterAction:
    """A filter action with netsh's defaults for every tag a script leaves out."""

    name: str
    line: int
    qmpfs: bool = False
    inpass: bool = False
    soft: bool = False
    action: str = "negotiate"
    qm: QmOffers | None = None
    qm_line: int | None = None


@dataclass(eq=False)
class NRule:
    """A netsh rule: references resolved to objects when the line runs, as netsh does."""

    name: str
    line: int
    policy: NPolicy
    filterlist: NFilterList
    filteraction: NFilterAction
    tunnel: IPv4Address | None = None
    conntype: str = "all"
    activate: bool = True
    description: str = ""
    auth: list[Auth] = field(default_factory=list)
    auth_line: int | None = None


@dataclass(eq=False)
class NPolicy:
    """A policy; ``defaultrule`` stays ``None`` until the script sets it (default noted)."""

    name: str
    line: int
    description: str = ""
    mmsec: tuple[IkeProposal, ...] | None = None
    mmlifetime: int = DEFAULT_MM_LIFETIME_MIN
    ike_line: int | None = None
    defaultrule: bool | None = None
    assigned: bool = False
    #: casefolded rule name → rule, in script order (netsh names are case-insensitive [V])
    rules: dict[str, NRule] = field(default_factory=dict)


class _Store:
    """Replays a netsh script against an in-memory store, as netsh would, line by line."""

    def __init__(self, source: str, notes: list[Note]) -> None:
        self.source = source
        self.notes = notes
        self.policies: dict[str, NPolicy] = {}
        self.filterlists: dict[str, NFilterList] = {}
        self.filteractions: dict[str, NFilterAction] = {}
        self.context: tuple[str, ...] = ()
        self.stack: list[tuple[str, ...]] = []
        self.location: str | None = None  # set store location=…
        self.line = 0
        self.token_error: str | None = None

    def note(self, severity: str, message: str) -> None:
        self.notes.append(Note(self.line, severity, message))  # type: ignore[arg-type]

    def run(self, lines: list[str]) -> None:
        for n, raw in enumerate(lines, start=1):
            self.line = n
            text = raw.strip()
            if not text or text.startswith(("#", "::")) or text.lower() in ("@echo off",
                                                                            "echo off"):
                continue
            word = text.split(None, 1)[0].lower().lstrip("@")
            if word == "rem":
                continue
            try:
                self.statement(text.lstrip("@"))
            except _Bad as exc:
                raise ParseError(Problem(str(exc), self.source, n, fix=exc.fix)) from None
            except ValueError as exc:  # model validation of a value on this line
                raise ParseError(Problem(_reason(exc), self.source, n)) from None

    # -------------------------------------------------------------- contexts

    def statement(self, text: str) -> None:
        tokens, self.token_error = tokenize(text)
        words = [v for _, v in tokens]
        if words and tokens[0][0] is None and words[0].lower() == "netsh":
            self.netsh_line(tokens[1:])
            return
        head = words[0].lower() if words else ""
        if head == "popd" and len(tokens) == 1:
            if not self.stack:
                self.note("warning", "popd without pushd")
            self.context = self.stack.pop() if self.stack else ()
            return
        if head == "pushd" and tokens[0][0] is None:
            ctx, rest = _walk(self.context, tokens[1:])
            if rest:
                self.note("warning", f"pushd to an unknown context: {text}")
                return
            self.stack.append(self.context)
            self.context = ctx
            return
        ctx, rest = _walk(self.context, tokens)
        if not rest:
            self.context = ctx  # a line naming a context enters it
            return
        self.command(ctx, rest, text)

    def netsh_line(self, tokens: list[tuple[str | None, str]]) -> None:
        """A cmd/.bat line ``netsh ipsec static …``: always starts at the root context."""
        while tokens and tokens[-1][0] is None and _REDIRECT.match(tokens[-1][1]):
            tokens = tokens[:-1]
        if tokens and tokens[0][0] is None and tokens[0][1].startswith("-"):
            self.note("warning", "netsh options (-f, -r, -c …) are not read")
            return
        ctx, rest = _walk((), tokens)
        if rest:
            self.command(ctx, rest, "netsh …")
        else:
            self.note("info", "an interactive netsh session start does nothing in a script")

    def command(self, ctx: tuple[str, ...], rest: list[tuple[str | None, str]],
                text: str) -> None:
        if ctx == ("ipsec", "dynamic"):
            self.note("info", "`ipsec dynamic` changes only the running state, not the stored "
                      "policy ccsec reads — ignored")
            return
        if ctx != ("ipsec", "static"):
            verb = _try_pick(rest[0], VERBS)
            if ctx == () and verb in OBJECTS and len(rest) > 1 and \
                    _try_pick(rest[1], OBJECTS[verb]):
                self.note("warning", "no `ipsec static` context on this line; read as an "
                          "`ipsec static` command")
            else:
                self.note("info", f"not an `ipsec static` command, not read: {text[:60]}")
                return
        self.static(rest)

    # -------------------------------------------------------------- commands

    def static(self, rest: list[tuple[str | None, str]]) -> None:
        if self.token_error:
            raise _Bad(self.token_error)
        if rest[0][0] is not None:
            raise _Bad(f"expected a verb (add, set, delete …), found {rest[0][0]}=")
        verb = _pick(rest[0][1], VERBS, "verb")
        if verb in ("show", "exportpolicy", "importpolicy"):
            self.note("info" if verb == "show" else "warning",
                      f"`{verb}` does not change the stored policy; not read")
            return
        if verb is None or len(rest) < 2 or rest[1][0] is not None:
            self.note("info", "unknown `ipsec static` command, not read")
            return
        obj = _pick(rest[1][1], OBJECTS[verb], "object")
        if obj is None:
            self.note("info", f"unknown `ipsec static {verb}` object, not read")
            return
        if (verb, obj) == ("delete", "all"):
            self.policies.clear()
            self.filterlists.clear()
            self.filteractions.clear()
            return
        tags = bind((verb, obj), rest[2:])
        getattr(self, f"{verb}_{obj}")(tags)

    def add_policy(self, tags: list[tuple[str, str]]) -> None:
        name = _name(tags, "name")
        if name.casefold() in self.policies:
            self.note("warning", f"policy {name} already exists; netsh rejects this line")
            return
        p = NPolicy(name, self.line)
        self.policies[name.casefold()] = p
        self.policy_tags(p, tags)

    def set_policy(self, tags: list[tuple[str, str]]) -> None:
        if _get(tags, "guid") is not None:
            self.note("warning", "set policy guid= cannot be resolved in a script; not read")
            return
        p = self.find(self.policies, _name(tags, "name"), "policy")
        self.policy_tags(p, tags)

    def policy_tags(self, p: NPolicy, tags: list[tuple[str, str]]) -> None:
        for tag, value in tags:
            if tag == "description":
                p.description = value
            elif tag == "mmpfs" and _bool(value, tag):
                self.note("info", "mmpfs=yes (master key PFS) is not part of ccsec's model")
            elif tag in ("qmpermm", "pollinginterval"):
                _int(value, tag)
            elif tag == "mmlifetime":
                p.mmlifetime = _int(value, tag, 1)
                p.ike_line = self.line
            elif tag == "activatedefaultrule":
                p.defaultrule = _bool(value, tag)
            elif tag == "assign":
                self.assign(p, _bool(value, tag))
            elif tag == "mmsecmethods":
                p.mmsec = parse_mmsec(value, self.line, self.notes)
                p.ike_line = self.line
            elif tag == "newname":
                self.rename(self.policies, p, value, "policy")
            elif tag == "gponame":
                self.note("warning", "gponame= assigns the policy in a domain GPO; not read")

    def assign(self, p: NPolicy, on: bool) -> None:
        if on:
            for other in self.policies.values():
                other.assigned = False  # one assigned policy per store
        p.assigned = on

    def delete_policy(self, tags: list[tuple[str, str]]) -> None:
        if _get(tags, "all"):
            self.policies.clear()
            return
        name = _name(tags, "name")
        if self.policies.pop(name.casefold(), None) is None:
            self.note("warning", f"policy {name} does not exist; netsh rejects this line")

    def add_filterlist(self, tags: list[tuple[str, str]]) -> None:
        name = _name(tags, "name")
        if name.casefold() in self.filterlists:
            self.note("warning", f"filter list {name} already exists; netsh rejects this line")
            return
        self.filterlists[name.casefold()] = NFilterList(name, self.line)

    def set_filterlist(self, tags: list[tuple[str, str]]) -> None:
        fl = self.find(self.filterlists, _name(tags, "name"), "filter list")
        for tag, value in tags:
            if tag == "newname":
                self.rename(self.filterlists, fl, value, "filter list")

    def delete_filterlist(self, tags: list[tuple[str, str]]) -> None:
        if _get(tags, "all"):
            self.delete_unused(self.filterlists, "filterlist", "filter list")
            return
        fl = self.find(self.filterlists, _name(tags, "name"), "filter list")
        self.refuse_in_use(fl, "filterlist", "filter list")
        del self.filterlists[fl.name.casefold()]

    def add_filter(self, tags: list[tuple[str, str]]) -> None:
        name = _name(tags, "filterlist")
        f = self.filter_of(tags, require=True)
        fl = self.filterlists.get(name.casefold())
        if fl is None:  # adding a filter to a missing list creates the list [D]
            fl = self.filterlists[name.casefold()] = NFilterList(name, self.line)
        if f is not None:
            fl.filters.append(f)

    def delete_filter(self, tags: list[tuple[str, str]]) -> None:
        fl = self.find(self.filterlists, _name(tags, "filterlist"), "filter list")
        f = self.filter_of(tags, require=True)
        keep = [g for g in fl.filters if f is None or not _same_filter(g, f, tags)]
        if len(keep) == len(fl.filters):
            self.note("warning", "no filter matches; netsh rejects this line")
        fl.filters = keep

    def filter_of(self, tags: list[tuple[str, str]], require: bool) -> NFilter | None:
        """A filter from add/delete filter tags; ``None`` (with a note) if ccsec cannot hold it."""
        src = _get(tags, "srcaddr")
        dst = _get(tags, "dstaddr")
        if require and (src is None or dst is None):
            raise _Bad("a filter needs srcaddr= and dstaddr=")
        proto_text = (_get(tags, "protocol") or "ANY").upper()
        protocol = PROTO_IN[proto_text] if proto_text in PROTO_IN else _int(proto_text,
                                                                            "protocol", 0, 255)
        sport = _int(_get(tags, "srcport") or "0", "srcport", 0, 65535) or None
        dport = _int(_get(tags, "dstport") or "0", "dstport", 0, 65535) or None
        mirrored = _bool(_get(tags, "mirrored") or "yes", "mirrored")
        if (sport or dport) and protocol not in (6, 17):
            raise _Bad("srcport/dstport need protocol=TCP or UDP")
        a = self.address(src or "", _get(tags, "srcmask"), "srcaddr")
        b = self.address(dst or "", _get(tags, "dstmask"), "dstaddr")
        if a is None or b is None:
            return None
        if (dst or "").lower() == "me" and (src or "").lower() != "me" and mirrored:
            a, b, sport, dport = b, a, dport, sport  # a mirrored filter: put "me" first
        return NFilter(a, b, protocol or None, sport, dport, mirrored, self.line)

    def address(self, addr: str, mask: str | None, tag: str) -> IPv4Network | None:
        low = addr.lower()
        if not low:
            raise _Bad(f"{tag}= is empty")
        if low == "any":
            return IPv4Network("0.0.0.0/0")
        if low == "me":
            self.note("warning", f"{tag}=me read as any local address (0.0.0.0/0)")
            return IPv4Network("0.0.0.0/0")
        try:
            host = ip_address(addr)
        except ValueError:
            host = None
        if host is None or host.version != 4:
            self.note("warning", f"{tag}={addr}: DNS names, ranges, server types and IPv6 have "
                      "no place in ccsec's policy model; this filter is not read")
            return None
        return IPv4Network(f"{host}/{_mask(mask)}", strict=False)

    def add_filteraction(self, tags: list[tuple[str, str]]) -> None:
        name = _name(tags, "name")
        if name.casefold() in self.filteractions:
            self.note("warning", f"filter action {name} already exists; netsh rejects "
                      "this line")
            return
        fa = self.filteractions[name.casefold()] = NFilterAction(name, self.line)
        self.action_tags(fa, tags)

    def set_filteraction(self, tags: list[tuple[str, str]]) -> None:
        if _get(tags, "guid") is not None:
            self.note("warning", "set filteraction guid= cannot be resolved; not read")
            return
        fa = self.find(self.filteractions, _name(tags, "name"), "filter action")
        self.action_tags(fa, tags)

    def action_tags(self, fa: NFilterAction, tags: list[tuple[str, str]]) -> None:
        for tag, value in tags:
            if tag in ("qmpfs", "inpass", "soft"):
                setattr(fa, tag, _bool(value, tag))
            elif tag == "action":
                if value.lower() not in ("permit", "block", "negotiate"):
                    raise _Bad(f"action={value}: expected permit, block or negotiate")
                fa.action = value.lower()
            elif tag == "qmsecmethods":
                fa.qm = parse_qmsec(value)
                fa.qm_line = self.line
            elif tag == "newname":
                self.rename(self.filteractions, fa, value, "filter action")

    def delete_filteraction(self, tags: list[tuple[str, str]]) -> None:
        if _get(tags, "all"):
            self.delete_unused(self.filteractions, "filteraction", "filter action")
            return
        fa = self.find(self.filteractions, _name(tags, "name"), "filter action")
        self.refuse_in_use(fa, "filteraction", "filter action")
        del self.filteractions[fa.name.casefold()]

    def add_rule(self, tags: list[tuple[str, str]]) -> None:
        name = _name(tags, "name")
        p = self.find(self.policies, _name(tags, "policy"), "policy")
        if name.casefold() in p.rules:
            self.note("warning", f"rule {name} already exists in policy {p.name}; netsh "
                      "rejects this line")
            return
        fl = self.find(self.filterlists, _name(tags, "filterlist"), "filter list")
        fa = self.find(self.filteractions, _name(tags, "filteraction"), "filter action")
        rule = NRule(name, self.line, p, fl, fa)
        self.rule_tags(rule, tags)
        p.rules[rule.name.casefold()] = rule

    def set_rule(self, tags: list[tuple[str, str]]) -> None:
        rule = self.find_rule(tags)
        self.rule_tags(rule, tags)

    def delete_rule(self, tags: list[tuple[str, str]]) -> None:
        if _get(tags, "all"):
            self.find(self.policies, _name(tags, "policy"), "policy").rules.clear()
            return
        rule = self.find_rule(tags)
        del rule.policy.rules[rule.name.casefold()]

    def find_rule(self, tags: list[tuple[str, str]]) -> NRule:
        p = self.find(self.policies, _name(tags, "policy"), "policy")
        ident = _get(tags, "id")
        if ident is not None:
            n = _int(ident, "id", 1)
            if n > len(p.rules):
                raise _Bad(f"policy {p.name} has no rule id {n}")
            return list(p.rules.values())[n - 1]
        name = _name(tags, "name")
        if name.casefold() not in p.rules:
            raise _Bad(f"policy {p.name} has no rule {name}")
        return p.rules[name.casefold()]

    def rule_tags(self, rule: NRule, tags: list[tuple[str, str]]) -> None:
        auth: list[Auth] = []
        auth_given = False
        for tag, value in tags:
            if tag == "filterlist":
                rule.filterlist = self.find(self.filterlists, value, "filter list")
            elif tag == "filteraction":
                rule.filteraction = self.find(self.filteractions, value, "filter action")
            elif tag == "tunnel":
                rule.tunnel = self.tunnel(value)
            elif tag == "conntype":
                if value.lower() not in ("all", "lan", "dialup"):
                    raise _Bad(f"conntype={value}: expected lan, dialup or all")
                rule.conntype = value.lower()
            elif tag == "activate":
                rule.activate = _bool(value, tag)
            elif tag == "description":
                rule.description = value
            elif tag == "newname":
                self.rename(rule.policy.rules, rule, value, "rule")
            elif tag in AUTH_TAGS:
                auth_given = True
                auth += self.auth(tag, value)
        if auth_given:
            rule.auth = auth
            rule.auth_line = self.line

    def auth(self, tag: str, value: str) -> list[Auth]:
        if tag == "kerberos":
            return [Auth(method="kerberos")] if _bool(value, tag) else []
        if tag == "rootca":
            return [Auth(method="certificate", ca=parse_rootca(value, self.line, self.notes))]
        if not value:
            raise _Bad("psk= is empty")
        if value.startswith(("<", "%")) and value.endswith((">", "%")):
            self.note("warning", "psk= looks like a placeholder, not a key")
        return [Auth(method="psk", psk=literal(value))]

    def tunnel(self, value: str) -> IPv4Address | None:
        try:
            addr = ip_address(value)
        except ValueError:
            addr = None
        if value.lower() in ("no", "none", ""):
            self.note("warning", f"tunnel={value} is not a documented value [V]; read as "
                      "transport mode")
            return None
        if addr is None or addr.version != 4:
            raise _Bad(f"tunnel={value}: ccsec needs the tunnel endpoint as an IPv4 address")
        return addr  # type: ignore[return-value]

    def set_defaultrule(self, tags: list[tuple[str, str]]) -> None:
        p = self.find(self.policies, _name(tags, "policy"), "policy")
        activate = _get(tags, "activate")
        if activate is not None:
            p.defaultrule = _bool(activate, "activate")
        self.note("info", "the default response rule is ignored on Windows Vista and later")

    def set_store(self, tags: list[tuple[str, str]]) -> None:
        location = (_get(tags, "location") or "").lower()
        if location not in ("local", "domain", "persistent"):
            raise _Bad(f"location={location}: expected local or domain")
        self.location = location
        if location != "local":
            self.note("warning", f"the script writes the {location} store, not the local one")

    def set_batch(self, tags: list[tuple[str, str]]) -> None:
        mode = (_get(tags, "mode") or "").lower()
        if mode not in ("enable", "disable"):
            raise _Bad(f"mode={mode}: expected enable or disable")

    # -------------------------------------------------------------- helpers

    def find(self, table: dict[str, T], name: str, what: str) -> T:
        found = table.get(name.casefold())
        if found is None:
            raise _Bad(f"{what} '{name}' does not exist at this point of the script",
                       fix=f"add the {what} before the line that uses it, or correct the name")
        return found

    def rename(self, table: dict, obj: NPolicy | NFilterList | NFilterAction | NRule, new: str,
               what: str) -> None:
        """``newname=``: keeps the object (rules refer to objects, as netsh does by GUID)."""
        if not new:
            raise _Bad("newname= is empty")
        if new.casefold() in table and table[new.casefold()] is not obj:
            raise _Bad(f"{what} '{new}' already exists")
        items = [(new.casefold() if v is obj else k, v) for k, v in table.items()]
        table.clear()
        table.update(items)  # keeps script order: rule id= is the position [V]
        obj.name = new

    def users(self, obj: NFilterList | NFilterAction, attr: str) -> list[NRule]:
        return [r for p in self.policies.values() for r in p.rules.values()
                if getattr(r, attr) is obj]

    def refuse_in_use(self, obj: NFilterList | NFilterAction, attr: str, what: str) -> None:
        users = self.users(obj, attr)
        if users:
            raise _Bad(f"{what} '{obj.name}' is still used by rule {users[0].name}; netsh's "
                       "behaviour here is not documented [V] — delete the rule first")

    def delete_unused(self, table: dict, attr: str, what: str) -> None:
        in_use = {id(getattr(r, attr)) for p in self.policies.values() for r in p.rules.values()}
        for key, obj in list(table.items()):
            if id(obj) in in_use:
                self.note("warning", f"{what} {obj.name} is in use and kept [V]")
            else:
                del table[key]


def _walk(ctx: tuple[str, ...], tokens: list[tuple[str | None, str]]
          ) -> tuple[tuple[str, ...], list[tuple[str | None, str]]]:
    """Follow context words (``ipsec``, ``static``, ``..``) from ``ctx``; the rest is a command."""
    children = {(): ("ipsec",), ("ipsec",): ("static", "dynamic")}
    i = 0
    while i < len(tokens) and tokens[i][0] is None:
        word = tokens[i][1].lower()
        if word == "..":
            ctx = ctx[:-1]
        elif word in children.get(ctx, ()):
            ctx = (*ctx, word)
        else:
            break
        i += 1
    return ctx, tokens[i:]


def _try_pick(token: tuple[str | None, str], choices: Iterable[str]) -> str | None:
    """Like :func:`_pick` for a line that may not be a netsh command at all (no errors)."""
    if token[0] is not None:
        return None
    try:
        return _pick(token[1], choices, "word")
    except _Bad:
        return None


def _get(tags: list[tuple[str, str]], tag: str) -> str | None:
    return next((v for t, v in tags if t == tag), None)


def _name(tags: list[tuple[str, str]], tag: str) -> str:
    value = _get(tags, tag)
    if not value:
        raise _Bad(f"{tag}= is missing or empty")
    return value


def _mask(mask: str | None) -> int:
    """A prefix length from ``srcmask``/``dstmask``: ``1``–``32`` or dotted; default /32."""
    if mask is None or mask == "":
        return 32
    if _DIGITS.fullmatch(mask):
        return _int(mask, "mask", 0, 32)
    try:
        return IPv4Network(f"0.0.0.0/{mask}").prefixlen
    except ValueError:
        raise _Bad(f"mask {mask}: expected a prefix length or a contiguous dotted mask") \
            from None


def _same_filter(f: NFilter, g: NFilter, tags: list[tuple[str, str]]) -> bool:
    """``delete filter`` matches on the tags it was given (addresses always)."""
    given = {t for t, _ in tags}
    if (f.src, f.dst) != (g.src, g.dst):
        return False
    checks = {"protocol": f.protocol == g.protocol, "srcport": f.srcport == g.srcport,
              "dstport": f.dstport == g.dstport, "mirrored": f.mirrored == g.mirrored}
    return all(ok for tag, ok in checks.items() if tag in given)


# ------------------------------------------------------------------- store → policy model


@dataclass
class _View:
    """One model rule in the making: a netsh rule, or a merged .out/.in tunnel pair."""

    name: str
    out: NRule
    back: NRule | None = None


class _Builder:
    """Turns the replayed store into EndPolicies (one per netsh policy)."""

    def __init__(self, store: _Store, parsed: Parsed, meta: dict[str, object]) -> None:
        self.store = store
        self.parsed = parsed
        self.meta = meta
        self.notes = parsed.notes

    def build(self) -> None:
        store = self.store
        used: set[str] = set()
        assigned = [p.name for p in store.policies.values() if p.assigned]
        for p in store.policies.values():
            name = _unique(to_ident(p.name, "policy"), used)
            try:
                self.parsed.policies.append(self.policy(p, name))
            except ValueError as exc:
                raise ParseError(Problem(f"policy {p.name}: {_reason(exc)}", store.source,
                                         p.line)) from None
        self.parsed.format_facts = NetshFacts(assigned=assigned[0] if assigned else None,
                                              store=store.location)
        if assigned:
            self.notes.append(Note(None, "info", f"policy {assigned[0]} is assigned (active)"))
        elif store.policies:
            self.notes.append(Note(None, "info", "no policy is assigned: the script stores "
                                   "policies without activating them"))

    def policy(self, p: NPolicy, name: str) -> EndPolicy:
        ike_line = p.ike_line or p.line
        mm = p.mmsec
        if mm is None:
            mm = DEFAULT_MM
            if p.rules:
                self.notes.append(Note(p.line, "warning", f"policy {p.name}: no mmsecmethods; "
                                       "the built-in defaults are assumed [V] — confirm with "
                                       "`netsh ipsec static show policy`"))
        if p.defaultrule is None:
            self.notes.append(Note(p.line, "warning", f"policy {p.name}: activatedefaultrule "
                                   "not given; netsh's default (yes) is assumed [V]"))
        ike = Ike(version=1, exchange="main", proposals=mm, lifetime_s=p.mmlifetime * 60)
        rules = []
        used: set[str] = set()
        for view in self.views(p):
            rule = self.rule(view, ike, _unique(to_ident(view.name, "rule"), used))
            rules.append(rule)
            loc = self.parsed.locations
            if rule.name not in loc:
                fa = view.out.filteraction
                filters = view.out.filterlist.filters
                loc[rule.name] = view.out.line
                loc[f"{rule.name}/ike"] = ike_line
                loc[f"{rule.name}/esp"] = fa.qm_line or fa.line
                loc[f"{rule.name}/auth"] = view.out.auth_line or view.out.line
                loc[f"{rule.name}/filters"] = filters[0].line if filters else view.out.line
        matches_meta = meta_str(self.meta, "name") in (p.name, name)
        return EndPolicy(
            name=name,
            description=p.description,
            owner=meta_str(self.meta, "owner") if matches_meta else None,
            platform=meta_str(self.meta, "platform") if matches_meta else None,
            default_response_rule=True if p.defaultrule is None else p.defaultrule,
            rules=tuple(rules),
        )

    def views(self, p: NPolicy) -> list[_View]:
        """Rules in script order; one-way tunnel rules that mirror each other become one view.

        ccsec's own pairs are found by name (``X.out`` + ``X.in``); hand-written pairs (§3.4)
        by their mirror-image filter lists, the first in the script being the outbound one.
        """
        rules = list(p.rules.values())
        by_name = p.rules
        paired: dict[int, NRule] = {}
        taken: set[int] = set()
        for r in rules:
            if r.tunnel is None or not r.name.lower().endswith(OUT) or id(r) in taken:
                continue
            back = by_name.get((r.name[: -len(OUT)] + IN).casefold())
            if back is not None and id(back) not in taken and _mirror(r, back):
                paired[id(r)] = back
                taken |= {id(r), id(back)}
        waiting: dict[tuple, NRule] = {}
        for r in rules:
            if r.tunnel is None or id(r) in taken:
                continue
            key = _pair_key(r, reverse=True)
            first = waiting.get(key)
            if first is not None and _mirror(first, r):
                paired[id(first)] = r
                taken |= {id(first), id(r)}
                del waiting[key]
                self.notes.append(Note(r.line, "info", f"tunnel rules {first.name} and "
                                       f"{r.name} read as one two-way tunnel rule"))
            else:
                waiting.setdefault(_pair_key(r, reverse=False), r)
        views = []
        for r in rules:
            back = paired.get(id(r))
            if back is not None:
                ccsec_pair = back.name.casefold() == (r.name[: -len(OUT)] + IN).casefold()
                views.append(_View(r.name[: -len(OUT)] if ccsec_pair else r.name, r, back))
            elif id(r) not in taken:
                views.append(_View(r.name, r))
        return views

    def rule(self, view: _View, ike: Ike, name: str) -> Rule:
        r = view.out
        fa = r.filteraction
        try:
            return self._rule(view, ike, name)
        except ValueError as exc:
            raise ParseError(Problem(f"rule {r.name} (filter action {fa.name}): "
                                     f"{_reason(exc)}", self.store.source, r.line)) from None

    def _rule(self, view: _View, ike: Ike, name: str) -> Rule:
        r = view.out
        fa = r.filteraction
        nfilters = r.filterlist.filters
        if not nfilters:
            raise _Bad(f"filter list {r.filterlist.name} holds no filter ccsec can read")
        if view.back is not None:
            filters = [Filter(local=f.src, remote=f.dst, protocol=f.protocol,
                              local_port=f.srcport, remote_port=f.dstport) for f in nfilters]
            local, peer, mode = view.back.tunnel, r.tunnel, "tunnel"
        else:
            filters = [Filter(local=f.src, remote=f.dst, protocol=f.protocol,
                              local_port=f.srcport, remote_port=f.dstport,
                              mirrored=f.mirrored) for f in nfilters]
            local, peer = nfilters[0].src.network_address, nfilters[0].dst.network_address
            mode = "transport"
            if r.tunnel is not None:
                mode, local, peer = "tunnel", IPv4Address("0.0.0.0"), r.tunnel
                self.notes.append(Note(r.line, "warning", f"tunnel rule {r.name} has no "
                                       "mirror-image rule: read as a one-way tunnel with an "
                                       "unknown local endpoint"))
        esp, life_s, life_kb = self.esp(fa)
        pfs = None
        if fa.qmpfs:
            pfs = ike.proposals[0].group
            if len({p.group for p in ike.proposals}) > 1:
                self.notes.append(Note(fa.line, "warning", f"filter action {fa.name}: qmpfs=yes "
                                       "reuses the negotiated main-mode group; ccsec records "
                                       f"the first one ({pfs})"))
        auth = r.auth
        if not auth:
            auth = [Auth(method="kerberos")]
            self.notes.append(Note(r.line, "warning", f"rule {r.name}: no authentication "
                                   "method; netsh's dynamic default (Kerberos) is assumed [V]"))
        return Rule(
            name=name,
            description=r.description,
            mode=mode,  # type: ignore[arg-type]
            local_address=local,
            peer_address=peer,
            filters=tuple(filters),
            action=fa.action,  # type: ignore[arg-type]
            inbound="request" if fa.inpass else "require",
            outbound="request" if fa.soft else "require",
            auth=tuple(auth),
            ike=ike,
            esp=esp,
            pfs_group=pfs,
            lifetime_s=life_s,
            lifetime_kb=life_kb,
            connection_type=r.conntype,  # type: ignore[arg-type]
            enabled=r.activate,
        )

    def esp(self, fa: NFilterAction) -> tuple[tuple[EspProposal, ...], int, int | None]:
        qm = fa.qm
        if qm is None:
            if fa.action == "negotiate":
                self.notes.append(Note(fa.line, "warning", f"filter action {fa.name}: no "
                                       "qmsecmethods; the built-in defaults are assumed [V]"))
            return DEFAULT_QM, DEFAULT_QM_LIFETIME_S, DEFAULT_QM_LIFETIME_KB
        if qm.mixed_lifetimes:
            self.notes.append(Note(fa.qm_line, "warning", f"filter action {fa.name}: offers "
                                   "differ in lifetime; ccsec records the first offer's"))
        if qm.life_s is None and qm.life_kb is None:
            self.notes.append(Note(fa.qm_line, "info", f"filter action {fa.name}: no lifetime; "
                                   f"the defaults {DEFAULT_QM_LIFETIME_KB}k/"
                                   f"{DEFAULT_QM_LIFETIME_S}s are assumed [V]"))
            return qm.proposals, DEFAULT_QM_LIFETIME_S, DEFAULT_QM_LIFETIME_KB
        if qm.life_s is None:
            self.notes.append(Note(fa.qm_line, "info", f"filter action {fa.name}: no lifetime "
                                   f"in seconds; {DEFAULT_QM_LIFETIME_S}s assumed [V]"))
        return qm.proposals, qm.life_s or DEFAULT_QM_LIFETIME_S, qm.life_kb


def _filters_key(fl: NFilterList, reverse: bool) -> tuple:
    if reverse:
        return tuple((f.dst, f.src, f.protocol, f.dstport, f.srcport) for f in fl.filters)
    return tuple((f.src, f.dst, f.protocol, f.srcport, f.dstport) for f in fl.filters)


def _pair_key(r: NRule, reverse: bool) -> tuple:
    return (id(r.filteraction), _filters_key(r.filterlist, reverse))


def _mirror(out: NRule, back: NRule) -> bool:
    """Two one-way tunnel rules that together form one two-way rule."""
    return (
        out.tunnel is not None and back.tunnel is not None
        and out.filterlist is not back.filterlist
        and out.filteraction is back.filteraction
        and bool(out.filterlist.filters)
        and _filters_key(out.filterlist, False) == _filters_key(back.filterlist, True)
        and not any(f.mirrored for f in (*out.filterlist.filters, *back.filterlist.filters))
        and (out.conntype, out.activate, out.auth) == (back.conntype, back.activate, back.auth)
    )


def _reason(exc: ValueError) -> str:
    """One line for a value error (pydantic's own text spans several lines)."""
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(x) for x in e['loc']) or 'value'}: {e['msg']}"
                         for e in exc.errors())
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _unique(name: str, used: set[str]) -> str:
    base, n = name, 1
    while name.casefold() in used:
        n += 1
        suffix = f"-{n}"
        name = base[: 80 - len(suffix)] + suffix
    used.add(name.casefold())
    return name


FORMAT = WindowsNetsh()
