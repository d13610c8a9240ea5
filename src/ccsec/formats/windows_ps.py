"""Windows Firewall with Advanced Security connection security rules, as a PowerShell script.

The modern Windows store (WFAS) driven through the ``NetSecurity`` module: main-mode crypto
proposals → set, authentication proposals → phase-1 auth set, quick-mode crypto proposals → set,
a main-mode rule and the connection security rule itself (``New-NetIPsecRule``).  Syntax and
values: ``shared/reference/platform-syntax.md`` §4 (cmdlet reference [D]; marks kept below).

Render — one reviewable, idempotent script per Windows end:

* ``#Requires -Modules NetSecurity``, a ``param()`` whose ``-PolicyStore`` defaults to
  ``PersistentStore`` (pass ``'domain.fqdn\\GPO name'`` to write into a GPO instead), strict mode
  and ``$ErrorActionPreference = 'Stop'`` (a failing cmdlet stops the script);
* first every object of this policy's group (``-Group`` = the policy name) is removed from the
  store, rules before the sets they reference, so a re-run replaces instead of duplicating;
* then per rule: main-mode crypto proposals + set, authentication proposals + phase-1 auth set
  (several methods = one ordered proposal list), quick-mode proposals + set (PFS group),
  a main-mode rule scoped to the rule's IKE addresses, and the connection security rule —
  sets always before the rules that reference them (``$set.Name``);
* object names derive from the rule name (platform-syntax.md §7.2): rule ``R`` is the
  connection security rule ``R``; ``R.MainModeCrypto``, ``R.Phase1Auth``, ``R.QuickModeCrypto``
  and ``R.MainModeRule`` are its objects.  Filters that are not one address×address×port
  product become extra rules ``R.2``, ``R.3`` … sharing R's sets (rule names never hold a dot,
  so these never collide);
* every string from the model goes through :func:`quote`, a PowerShell single-quoted literal in
  which all five single-quote characters (``'`` and U+2018–U+201B, which PowerShell treats
  alike) are doubled: a description can hold quotes, newlines, ``$(…)``, backticks or ``#>``
  and stays text.  Only identifiers, IP addresses and enum keywords are written bare;
* the file starts with a UTF-8 BOM: Windows PowerShell 5.1 reads a script without one in the
  ANSI code page, where the bytes of some characters (e.g. ``ё`` = D1 91) decode to a
  typographic quote and would end a string early;
* DH groups go through IANA numbers (``DH14`` = IANA 14); AES-GCM quick mode is
  ``-Encryption AESGCMn -ESPHash AESGMACn`` [O]; ``lan`` connections are ``-InterfaceType
  Wired, Wireless`` (the legacy "LAN" type covers every LAN adapter, wireless included),
  ``dialup`` is ``RemoteAccess``, ``all`` is ``Any``.

Lost on the way (:meth:`WindowsPowerShell.project`), because NetSecurity has no place for them:

* IKE identities (Windows derives them from the method: Kerberos principal, certificate
  subject, IP address), DPD, "initiate" (Windows negotiates when traffic matches), QoS
  pre-classification and the NAT keepalive interval (machine-wide) — read back as unset;
* "no volume limit" (``lifetime_kb = None``): Windows always has one, so ccsec writes the
  largest it accepts (2147483647 KB) and reads that back;
* gateway facts (interfaces, tunnel style, source NAT) and the default response rule.

The IKE addresses are carried exactly: they are the scope of the rule's main-mode rule (for a
tunnel rule also its tunnel endpoints).  A hand-written transport rule without a main-mode rule
reads its local/peer address from its first filter (the IKE peer of a transport rule is the
far end of the traffic).

Refused (:meth:`WindowsPowerShell.unsupported`, one sentence each, naming the rule): IKEv2 with
Kerberos or a pre-shared key (Windows IKEv2 is certificate-only [D]; PSK over IKEv2 is only
[O]), aggressive mode, AEAD or a PRF in main mode, algorithms and groups outside
``crypto.CAPABILITIES["windows"]`` or the cmdlets' value lists, ENCR_NULL_AUTH_AES_GMAC (Windows
writes GMAC as an ESP hash), lifetimes outside the cmdlet ranges or not whole minutes, AH with
transport-mode IKEv2 [D], security pairs the cmdlet rejects, permit/block actions (those are
firewall rules, not connection security rules), certificate auth without a CA, one-way
filters, ports without TCP/UDP, NAT traversal switched off, duplicate rule names, a NUL in text,
two rules between the same IKE addresses with different main-mode settings (Windows keeps one
main mode per address pair).

Parse: ccsec output and hand-written scripts in the same cmdlet style — variables assigned from
proposal/set cmdlets and used as ``$var`` or ``$var.Name``, inline ``(New-… )`` and ``@(…)``,
backtick continuations, ``-Param:value``, unique parameter-name prefixes and aliases, en/em
dashes, typographic quotes, here-strings, ``Open-NetGPO``/``-GPOSession``/``Save-NetGPO``,
``-Default`` sets, the built-in default set names.  Defaults Windows applies when a script
leaves something out are used with a note ([V] where undocumented).  Anything else becomes a
:class:`Note` with its line; a rule naming a set the script never created is a
:class:`ParseError` naming the line.  Only ``ParseError`` ever escapes :meth:`parse`.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from ipaddress import (
    AddressValueError,
    IPv4Address,
    IPv4Network,
    NetmaskValueError,
    summarize_address_range,
)
from pathlib import PurePath
from typing import Any

from pydantic import ValidationError

from ccsec.crypto import CAPABILITIES, Encr, EspProposal, IkeProposal, Integ, is_aead
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
from ccsec.formats.facts import PowerShellFacts
from ccsec.policy import Auth, EndPolicy, Filter, Ike, Rule, to_ident
from ccsec.secrets import literal

# ------------------------------------------------------------------------------ vocabulary

WINDOWS = CAPABILITIES["windows"]

#: New-NetIPsecMainModeCryptoProposal values (platform-syntax.md §4.2 [D])
MM_ENCR: dict[Encr, str] = {Encr.DES: "DES", Encr.TDES: "DES3", Encr.AES128: "AES128",
                            Encr.AES192: "AES192", Encr.AES256: "AES256"}
MM_HASH: dict[Integ, str] = {Integ.MD5: "MD5", Integ.SHA1: "SHA1", Integ.SHA256: "SHA256",
                             Integ.SHA384: "SHA384"}
#: -KeyExchange / -PerfectForwardSecrecyGroup: Windows numbers are the IANA numbers (§2.1)
DH_NAMES: dict[int, str] = {g: f"DH{g}" for g in (1, 2, 14, 19, 20, 24)}
#: New-NetIPsecQuickModeCryptoProposal -Encryption (``None`` = ESP null encryption [D])
QM_ENCR: dict[Encr, str] = {Encr.NULL: "None", Encr.DES: "DES", Encr.TDES: "DES3",
                            Encr.AES128: "AES128", Encr.AES192: "AES192", Encr.AES256: "AES256",
                            Encr.AES128GCM: "AESGCM128", Encr.AES192GCM: "AESGCM192",
                            Encr.AES256GCM: "AESGCM256"}
#: the ESP hash that pairs with each AES-GCM cipher [O]
GCM_HASH: dict[Encr, str] = {Encr.AES128GCM: "AESGMAC128", Encr.AES192GCM: "AESGMAC192",
                             Encr.AES256GCM: "AESGMAC256"}
#: -ESPHash / -AHHash (GMAC without GCM = integrity only, AUTH_AES_*_GMAC)
QM_HASH: dict[Integ, str] = {Integ.MD5: "MD5", Integ.SHA1: "SHA1", Integ.SHA256: "SHA256",
                             Integ.SHA384: "SHA384", Integ.AES128GMAC: "AESGMAC128",
                             Integ.AES256GMAC: "AESGMAC256"}
INTERFACE: dict[str, str] = {"all": "Any", "lan": "Wired, Wireless", "dialup": "RemoteAccess"}
SECURITY: dict[str, str] = {"none": "None", "request": "Request", "require": "Require"}
#: In/Out pairs New-NetIPsecRule accepts [D]; None/None is an exemption ("do not secure")
SECURITY_PAIRS = frozenset({("none", "none"), ("request", "none"), ("request", "request"),
                            ("require", "request"), ("require", "require")})
PROTO_OUT = {6: "TCP", 17: "UDP"}
PROTO_IN = {"any": None, "tcp": 6, "udp": 17, "icmpv4": 1, "icmpv6": 58}

MM_MINUTES = (1, 2879)  # New-NetIPsecMainModeCryptoSet -MaxMinutes 0..2879 (0 = unset) [D]
QM_MINUTES = (5, 2879)  # New-NetIPsecQuickModeCryptoProposal -MaxMinutes [D]
QM_KB = (20480, 2147483647)  # -MaxKiloBytes [D]
NO_VOLUME_LIMIT_KB = QM_KB[1]

#: what Windows applies when a hand-written script leaves a value out
DEFAULT_MM_MINUTES = 480  # the page says "4800 minutes (eight hours)" [V]
DEFAULT_QM_MINUTES = 60  # [D]
DEFAULT_QM_KB = 100000  # [D]
#: built-in default main-mode crypto set (netsh advfirewall "default") [V]
DEFAULT_MM = (
    IkeProposal(encryption=Encr.AES128, integrity=Integ.SHA1, group=2),
    IkeProposal(encryption=Encr.TDES, integrity=Integ.SHA1, group=2),
)
#: built-in default quick-mode crypto set [V]
DEFAULT_QM = (
    EspProposal(encryption=Encr.AES128, integrity=Integ.SHA1),
    EspProposal(encryption=Encr.TDES, integrity=Integ.SHA1),
)
#: fixed names of the default sets: MM [D], QM and phase-1 auth [O]
DEFAULT_SET_NAMES = {
    "{e5a5d32a-4bce-4e4d-b07f-4ab1ba7e5fe1}": "mmcrypto",
    "{e5a5d32a-4bce-4e4d-b07f-4ab1ba7e5fe2}": "qmcrypto",
    "{e5a5d32a-4bce-4e4d-b07f-4ab1ba7e5fe3}": "p1auth",
    "{e5a5d32a-4bce-4e4d-b07f-4ab1ba7e5fe4}": "p2auth",
}

SUFFIX_MM, SUFFIX_AUTH, SUFFIX_QM, SUFFIX_MMRULE = (
    ".MainModeCrypto", ".Phase1Auth", ".QuickModeCrypto", ".MainModeRule")
PART_RE = re.compile(r"^(.+)\.([2-9]|[1-9][0-9]+)$")

#: PowerShell treats these alike (CharExtensions.IsSingleQuote / IsDoubleQuote / IsDash)
SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"
DOUBLE_QUOTES = '"\u201c\u201d\u201e'
DASHES = "-\u2013\u2014\u2015"

# ------------------------------------------------------------------------ quoting, checks


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be a PowerShell single-quoted literal (``None`` when it can).

    A single-quoted string holds anything, line breaks included; only a NUL (Windows stores
    these values as C strings) and unpaired surrogates (not encodable in UTF-8) are refused.
    """
    if value.isascii() and "\0" not in value:  # the common case: nothing to look up
        return None
    for ch in value:
        if ch == "\0":
            return "a NUL character (Windows would cut the text there)"
        if unicodedata.category(ch) == "Cs":
            return f"an unpaired surrogate U+{ord(ch):04X} (not encodable)"
    return None


def quote(value: str) -> str:
    """``value`` as a PowerShell single-quoted literal: the one way model text enters a script.

    Inside single quotes PowerShell expands nothing; a quote character ends the string unless
    the next character is a quote too, which then stands for itself.  Doubling each of the
    five quote characters therefore round-trips any text.
    """
    problem = text_problem(value)
    if problem:
        raise UnsupportedError(Problem(f"a PowerShell string contains {problem}"))
    return "'" + value.translate(_DOUBLED) + "'"


#: each of the five single-quote characters written twice
_DOUBLED = {ord(q): q + q for q in SINGLE_QUOTES}


def _names(rule: str) -> tuple[str, str, str, str]:
    return (rule + SUFFIX_MM, rule + SUFFIX_AUTH, rule + SUFFIX_QM, rule + SUFFIX_MMRULE)


def _minutes(seconds: int) -> int | None:
    return seconds // 60 if seconds % 60 == 0 else None


def _net_out(net: IPv4Network) -> str:
    if net.prefixlen == 0:
        return "Any"
    return str(net.network_address) if net.prefixlen == 32 else str(net)


def filter_groups(filters: tuple[Filter, ...]) -> list[tuple[Filter, ...]]:
    """The filters as New-NetIPsecRule objects: one when they form a full product, else one each.

    A Windows rule is LocalAddress × RemoteAddress × LocalPort × RemotePort for one protocol;
    :func:`expand` writes that product in this same order, so the split is exact both ways.
    """
    locals_ = list(dict.fromkeys(f.local for f in filters))
    remotes = list(dict.fromkeys(f.remote for f in filters))
    lports = list(dict.fromkeys(f.local_port for f in filters))
    rports = list(dict.fromkeys(f.remote_port for f in filters))
    protos = {f.protocol for f in filters}
    if len(protos) == 1:
        product = expand(locals_, remotes, protos.pop(), lports, rports)
        if product == filters:
            return [filters]
    return [(f,) for f in filters]


def expand(locals_: list[IPv4Network], remotes: list[IPv4Network], proto: int | None,
           lports: list[int | None], rports: list[int | None]) -> tuple[Filter, ...]:
    """The model filters of one Windows rule, in the canonical product order."""
    return tuple(Filter(local=lo, remote=re_, protocol=proto, local_port=lp, remote_port=rp)
                 for lo in locals_ for re_ in remotes for lp in lports for rp in rports)


# --------------------------------------------------------------------------- the format


class WindowsPowerShell(Format):
    name = "windows-powershell"
    title = "Windows Firewall with Advanced Security connection security rules (PowerShell)"
    file_name = "ipsec.ps1"
    comment = "#"
    proof = "syntax"
    proof_note = ("pinned to the NetSecurity cmdlet reference (platform-syntax.md §4); not run "
                  "on Windows here")
    platforms = frozenset({"windows"})

    # ------------------------------------------------------------------ refuse

    def unsupported(self, end: EndPolicy) -> list[str]:
        out: list[str] = []
        for what, value in (("owner", end.owner), ("platform", end.platform)):
            if value and any(unicodedata.category(c) in ("Cc", "Cs") for c in value):
                out.append(f"policy {end.name}: the {what} name contains a control character, "
                           "which would end the script's header comment")
        seen: dict[str, str] = {}
        for r in end.rules:
            key = r.name.casefold()
            if key in seen:
                out.append(f"rule {r.name}: Windows object names are case-insensitive and rule "
                           f"{seen[key]} already uses this name — rename one of them")
            seen.setdefault(key, r.name)
            out += rule_problems(r)
        return out + main_mode_conflicts(end.rules)

    # ------------------------------------------------------------------ render

    def render(self, end: EndPolicy, ctx: RenderContext) -> str:
        return "\ufeff" + super().render(end, ctx)

    def render_body(self, end: EndPolicy, ctx: RenderContext) -> list[str]:
        lines = self._preamble(end)
        for rule in end.rules:
            lines += self._rule_lines(end.name, rule, ctx)
        return lines

    def _preamble(self, end: EndPolicy) -> list[str]:
        group = quote(end.name)
        out = [
            "#Requires -Modules NetSecurity",
            "#",
            f"# Connection security rules of policy {end.name}, one group in the policy store.",
            "# Apply from an elevated PowerShell prompt on this end:",
            "#     .\\ipsec.ps1",
            "# or write the rules into a Group Policy object instead of this computer's own",
            "# store (one GPO per end: the rules name this end's addresses; every cmdlet loads",
            "# and saves the GPO):",
            "#     .\\ipsec.ps1 -PolicyStore 'corp.example.net\\CC IPsec <this host>'",
            f"# Re-running is safe: everything of group {end.name} in the store is removed",
            "# first, then created again.  Rule R is the connection security rule R; its objects",
            "# are R.MainModeCrypto, R.Phase1Auth, R.QuickModeCrypto and R.MainModeRule.",
            "# Saved as UTF-8 with BOM: Windows PowerShell 5.1 reads a script without a BOM in",
            "# the ANSI code page.",
        ]
        if any(a.method == "psk" for r in end.rules for a in r.auth):
            out.append("# This file holds a pre-shared key in clear text (Windows stores it so "
                       "too): keep it 0600 and delete it once applied.")
        out += [
            "[CmdletBinding()]",
            "param(",
            "    # 'PersistentStore' (this computer) or 'domain.fqdn\\GPO name'",
            "    [string] $PolicyStore = 'PersistentStore'",
            ")",
            "Set-StrictMode -Version 3.0",
            "$ErrorActionPreference = 'Stop'",
            "",
            f"# remove what an earlier run created (group {end.name}), rules before their sets",
        ]
        for noun in ("Rule", "MainModeRule", "Phase1AuthSet", "QuickModeCryptoSet",
                     "MainModeCryptoSet"):
            out.append(f"Get-NetIPsec{noun} -PolicyStore $PolicyStore | "
                       f"Where-Object Group -CEQ {group} | Remove-NetIPsec{noun}")
        return out

    def _rule_lines(self, policy: str, rule: Rule, ctx: RenderContext) -> list[str]:
        target = f"-PolicyStore $PolicyStore -Group {quote(policy)}"
        mm_name, auth_name, qm_name, mmrule_name = _names(rule.name)
        out = ["", f"# --- rule {rule.name}: IKEv{rule.ike.version}, {rule.mode} mode"]
        if rule.ike.version == 2 and rule.mode == "tunnel":
            out.append("# [V] IKEv2 tunnel-mode rules are reported to fail on some Windows "
                       "releases ('The choice of key modules is invalid') [O]")
        mm_vars = []
        for i, p in enumerate(rule.ike.proposals, 1):
            assert p.integrity is not None  # unsupported() refused AEAD main mode
            mm_vars.append(f"$mmProposal{i}")
            out.append(f"$mmProposal{i} = New-NetIPsecMainModeCryptoProposal -Encryption "
                       f"{MM_ENCR[p.encryption]} -Hash {MM_HASH[p.integrity]} -KeyExchange "
                       f"{DH_NAMES[p.group]}")
        out += _command("$mmCrypto = New-NetIPsecMainModeCryptoSet", [
            target, f"-Name {quote(mm_name)} -DisplayName {quote(mm_name)}",
            f"-Proposal {', '.join(mm_vars)} -MaxMinutes {rule.ike.lifetime_s // 60}",
        ])
        auth_vars = []
        for i, a in enumerate(rule.auth, 1):
            auth_vars.append(f"$authProposal{i}")
            out.append(f"$authProposal{i} = New-NetIPsecAuthProposal -Machine "
                       + self._auth_args(rule, a, ctx))
        out += _command("$phase1Auth = New-NetIPsecPhase1AuthSet", [
            target, f"-Name {quote(auth_name)} -DisplayName {quote(auth_name)}",
            f"-Proposal {', '.join(auth_vars)}",
        ])
        qm_vars = []
        for i, p in enumerate(rule.esp, 1):
            qm_vars.append(f"$qmProposal{i}")
            out.append(f"$qmProposal{i} = New-NetIPsecQuickModeCryptoProposal "
                       + _qm_args(p, rule.lifetime_s, rule.lifetime_kb))
        pfs = DH_NAMES[rule.pfs_group] if rule.pfs_group is not None else "None"
        out += _command("$qmCrypto = New-NetIPsecQuickModeCryptoSet", [
            target, f"-Name {quote(qm_name)} -DisplayName {quote(qm_name)}",
            f"-Proposal {', '.join(qm_vars)} -PerfectForwardSecrecyGroup {pfs}",
        ])
        enabled = "True" if rule.enabled else "False"
        out += _command("$mainModeRule = New-NetIPsecMainModeRule", [
            target, f"-Name {quote(mmrule_name)} -DisplayName {quote(mmrule_name)}",
            f"-Enabled {enabled} -Profile Any",
            f"-LocalAddress {rule.local_address} -RemoteAddress {rule.peer_address}",
            "-MainModeCryptoSet $mmCrypto.Name -Phase1AuthSet $phase1Auth.Name",
        ])
        for n, filters in enumerate(filter_groups(rule.filters), 1):
            out += self._ipsec_rule(target, rule, filters,
                                    rule.name if n == 1 else f"{rule.name}.{n}")
        return out

    def _ipsec_rule(self, target: str, rule: Rule, filters: tuple[Filter, ...],
                    name: str) -> list[str]:
        f = filters[0]
        parts = [target, f"-IPsecRuleName {quote(name)} -DisplayName {quote(name)}"]
        if rule.description:
            parts.append(f"-Description {quote(rule.description)}")
        parts += [
            f"-Enabled {'True' if rule.enabled else 'False'} -Profile Any "
            f"-InterfaceType {INTERFACE[rule.connection_type]}",
            f"-Mode {rule.mode.capitalize()} -KeyModule IKEv{rule.ike.version}",
            f"-InboundSecurity {SECURITY[rule.inbound]} "
            f"-OutboundSecurity {SECURITY[rule.outbound]}",
        ]
        if rule.mode == "tunnel":
            parts.append(f"-LocalTunnelEndpoint {rule.local_address} "
                         f"-RemoteTunnelEndpoint {rule.peer_address}")
        locals_ = ", ".join(dict.fromkeys(_net_out(x.local) for x in filters))
        remotes = ", ".join(dict.fromkeys(_net_out(x.remote) for x in filters))
        proto = "Any" if f.protocol is None else PROTO_OUT.get(f.protocol, str(f.protocol))
        parts.append(f"-LocalAddress {locals_} -RemoteAddress {remotes} -Protocol {proto}")
        if f.protocol in PROTO_OUT:
            lports = ", ".join(dict.fromkeys(_port_out(x.local_port) for x in filters))
            rports = ", ".join(dict.fromkeys(_port_out(x.remote_port) for x in filters))
            parts.append(f"-LocalPort {lports} -RemotePort {rports}")
        parts.append("-Phase1AuthSet $phase1Auth.Name -QuickModeCryptoSet $qmCrypto.Name")
        return _command("$ipsecRule = New-NetIPsecRule", parts)

    def _auth_args(self, rule: Rule, auth: Auth, ctx: RenderContext) -> str:
        if auth.method == "kerberos":
            return "-Kerberos"
        if auth.method == "certificate":
            return f"-Cert -Authority {quote(auth.ca or '')} -AuthorityType Root"
        key = ctx.reveal(auth.psk, f"rule {rule.name} psk")
        problem = psk_problem(key)
        if problem:
            raise UnsupportedError(Problem(f"rule {rule.name}: the pre-shared key contains "
                                           f"{problem}", field=f"rule {rule.name} psk",
                                           fix="choose another key"))
        return f"-PreSharedKey {quote(key)}"

    # ----------------------------------------------------------------- project

    def project(self, end: EndPolicy, ctx: RenderContext) -> EndPolicy:
        rules = []
        for r in end.rules:
            auth = tuple(_project_auth(a, ctx) for a in r.auth)
            rules.append(r.model_copy(update={
                "auth": auth,
                "local_id": None,
                "peer_id": None,
                "dpd_s": None,
                "initiate": False,
                "qos_preclassify": False,
                "nat_keepalive_s": None,
                "lifetime_kb": NO_VOLUME_LIMIT_KB if r.lifetime_kb is None else r.lifetime_kb,
            }))
        return host_projection(end, rules, default_response_rule=False)

    # ------------------------------------------------------------------- parse

    def parse(self, text: str, source: str = "<text>") -> Parsed:
        text = text.removeprefix("\ufeff")
        parsed = Parsed(policies=[], source=source, format=self.name)
        meta = read_meta(text.split("\n", 25)[:25], self.comment)
        store = _Interpreter(source, parsed)
        for stmt in statements(tokenize(text, source), source):
            store.run(stmt)
        _Builder(store, parsed, meta).build()
        return parsed


def _command(head: str, parts: list[str]) -> list[str]:
    """One cmdlet call over several lines, each but the last ending in a backtick."""
    lines = [head + " `"] + ["    " + p + " `" for p in parts[:-1]] + ["    " + parts[-1]]
    return lines


def _port_out(port: int | None) -> str:
    return "Any" if port is None else str(port)


def _qm_args(p: EspProposal, life_s: int, life_kb: int | None) -> str:
    kb = NO_VOLUME_LIMIT_KB if life_kb is None else life_kb
    life = f"-MaxMinutes {life_s // 60} -MaxKiloBytes {kb}"
    if p.encryption is None:
        assert p.ah is not None
        return f"-Encapsulation AH -AHHash {QM_HASH[p.ah]} {life}"
    if is_aead(p.encryption):
        esp = f"-Encryption {QM_ENCR[p.encryption]} -ESPHash {GCM_HASH[p.encryption]}"
    else:
        integ = QM_HASH[p.integrity] if p.integrity else "None"
        esp = f"-Encryption {QM_ENCR[p.encryption]} -ESPHash {integ}"
    if p.ah is not None:
        return f"-Encapsulation AH, ESP -AHHash {QM_HASH[p.ah]} {esp} {life}"
    return f"-Encapsulation ESP {esp} {life}"


def _project_auth(a: Auth, ctx: RenderContext) -> Auth:
    if a.method == "psk":
        return Auth(method="psk", psk=ctx.resolve(a.psk))
    if a.method == "certificate":
        return Auth(method="certificate", ca=a.ca)
    return Auth(method="kerberos")


def psk_problem(key: str) -> str | None:
    if not key:
        return "nothing (it is empty)"
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in key):
        return "a control character (line break, tab, NUL…)"
    return None


# ------------------------------------------------------------------------ refusal reasons


def rule_problems(r: Rule) -> list[str]:
    """Every reason NetSecurity cannot express rule ``r``, one sentence each."""
    n = f"rule {r.name}"
    out: list[str] = []
    problem = text_problem(r.description)
    if problem:
        out.append(f"{n}: the description contains {problem}")
    out += _ike_problems(n, r)
    out += _esp_problems(n, r)
    out += _auth_problems(n, r)
    out += _filter_problems(n, r)
    if r.action != "negotiate":
        out.append(f"{n}: action {r.action} is a firewall rule (New-NetFirewallRule), not a "
                   "connection security rule — ccsec writes only negotiate rules here")
    elif (r.inbound, r.outbound) == ("none", "none"):
        out.append(f"{n}: security none/none is Windows' 'do not authenticate' exemption, not a "
                   "negotiate rule — use action permit in a firewall rule")
    elif (r.inbound, r.outbound) not in SECURITY_PAIRS:
        out.append(f"{n}: inbound {r.inbound} with outbound {r.outbound} is not a pair "
                   "New-NetIPsecRule accepts (None/None, Request/None, Request/Request, "
                   "Require/Request, Require/Require)")
    if not r.nat_traversal:
        out.append(f"{n}: Windows has no per-rule switch to turn NAT traversal off "
                   "(Set-NetFirewallSetting -AllowIPsecThroughNAT is machine-wide)")
    return out


def main_mode_conflicts(rules: Iterable[Rule]) -> list[str]:
    """Rules whose main-mode rules would have the same scope but different settings.

    Windows keeps one main-mode SA per address pair and keying module, chosen by the main-mode
    rule whose scope matches; two rules between the same addresses must agree on it.
    """
    out = []
    first: dict[tuple[IPv4Address, IPv4Address, int], Rule] = {}
    for r in rules:
        key = (r.local_address, r.peer_address, r.ike.version)
        other = first.setdefault(key, r)
        if other is not r and (other.ike, other.auth) != (r.ike, r.auth):
            out.append(f"rule {r.name}: it shares IKE addresses {r.local_address} -> "
                       f"{r.peer_address} with rule {other.name} but not its main-mode settings "
                       "(proposals, lifetime, authentication) — Windows negotiates one main mode "
                       "per address pair")
    return out


def _ike_problems(n: str, r: Rule) -> list[str]:
    out = []
    if r.ike.exchange != "main":
        out.append(f"{n}: Windows has no aggressive mode (main mode only)")
    methods = sorted({a.method for a in r.auth} - WINDOWS.ike.get(r.ike.version, frozenset()))
    if methods:
        out.append(f"{n}: Windows IKEv{r.ike.version} cannot authenticate with "
                   f"{' or '.join(methods)} (IKEv2 is certificate-only [D]; PSK over IKEv2 is "
                   "only reported to work [O]) — use IKEv1 or certificates")
    for p in r.ike.proposals:
        label = p.label()
        if is_aead(p.encryption):
            out.append(f"{n}: IKE proposal {label} uses AEAD in main mode, which Windows offers "
                       "in quick mode only")
        elif p.encryption not in MM_ENCR:
            out.append(f"{n}: IKE encryption {p.encryption.value} ({label}) is not a "
                       "New-NetIPsecMainModeCryptoProposal -Encryption value")
        if p.integrity is not None and p.integrity not in MM_HASH:
            out.append(f"{n}: IKE integrity {p.integrity.value} ({label}) is not a "
                       "-Hash value (MD5, SHA1, SHA256, SHA384)")
        if p.prf is not None:
            out.append(f"{n}: IKE proposal {label} names a PRF, which Windows cannot set")
        if p.group not in DH_NAMES:
            out.append(f"{n}: DH group {p.group} ({label}) is not a -KeyExchange value "
                       "(DH1, DH2, DH14, DH19, DH20, DH24)")
    minutes = _minutes(r.ike.lifetime_s)
    if minutes is None or not MM_MINUTES[0] <= minutes <= MM_MINUTES[1]:
        out.append(f"{n}: IKE lifetime {r.ike.lifetime_s}s is not a whole number of minutes "
                   f"in {MM_MINUTES[0]}..{MM_MINUTES[1]} (-MaxMinutes)")
    return out


def _esp_problems(n: str, r: Rule) -> list[str]:
    out = []
    for p in r.esp:
        label = p.label()
        if p.encryption in (Encr.AES128GMAC, Encr.AES256GMAC):
            out.append(f"{n}: ESP {label} (ENCR_NULL_AUTH_AES_GMAC) has no Windows form: Windows "
                       "writes GMAC as an ESP hash with null encryption [V] — use null "
                       "encryption with AES-GMAC integrity")
        elif p.encryption is not None and p.encryption not in QM_ENCR:
            out.append(f"{n}: ESP encryption {p.encryption.value} ({label}) is not a "
                       "New-NetIPsecQuickModeCryptoProposal -Encryption value")
        if p.integrity is not None and p.integrity not in QM_HASH:
            out.append(f"{n}: ESP integrity {p.integrity.value} ({label}) is not an -ESPHash "
                       "value")
        if p.ah is not None and p.ah not in QM_HASH:
            out.append(f"{n}: AH integrity {p.ah.value} ({label}) is not an -AHHash value")
        if p.encryption is None and p.integrity is not None:
            out.append(f"{n}: proposal {label} has ESP integrity without ESP")
        if p.encryption == Encr.NULL and p.integrity is None:
            out.append(f"{n}: proposal {label} is ESP with neither encryption nor integrity")
        if p.ah is not None and r.ike.version == 2 and r.mode == "transport":
            out.append(f"{n}: AH is not supported with the transport-mode IKEv2 keying module "
                       f"[D] ({label})")
    if r.pfs_group is not None and r.pfs_group not in DH_NAMES:
        out.append(f"{n}: PFS group {r.pfs_group} is not a -PerfectForwardSecrecyGroup value "
                   "(DH1, DH2, DH14, DH19, DH20, DH24)")
    minutes = _minutes(r.lifetime_s)
    if minutes is None or not QM_MINUTES[0] <= minutes <= QM_MINUTES[1]:
        out.append(f"{n}: IPsec SA lifetime {r.lifetime_s}s is not a whole number of minutes in "
                   f"{QM_MINUTES[0]}..{QM_MINUTES[1]} (-MaxMinutes)")
    if r.lifetime_kb is not None and not QM_KB[0] <= r.lifetime_kb <= QM_KB[1]:
        out.append(f"{n}: IPsec SA volume limit {r.lifetime_kb} KB is outside "
                   f"{QM_KB[0]}..{QM_KB[1]} (-MaxKiloBytes)")
    return out


def _auth_problems(n: str, r: Rule) -> list[str]:
    out = []
    for a in r.auth:
        if a.method == "certificate":
            if not a.ca:
                out.append(f"{n}: certificate authentication needs the root CA's name "
                           "(New-NetIPsecAuthProposal -Authority is mandatory)")
            elif text_problem(a.ca):
                out.append(f"{n}: the CA name contains {text_problem(a.ca)}")
        elif a.method == "psk" and a.psk is not None and a.psk.value is not None:
            problem = psk_problem(a.psk.reveal())
            if problem:
                out.append(f"{n}: the pre-shared key contains {problem} — choose another key")
    return out


def _filter_problems(n: str, r: Rule) -> list[str]:
    out = []
    if any(not f.mirrored for f in r.filters):
        out.append(f"{n}: connection security rules are always mirrored (no one-way filters)")
    if any(f.protocol not in PROTO_OUT and (f.local_port or f.remote_port) for f in r.filters):
        out.append(f"{n}: Windows takes ports only with protocol TCP or UDP")
    if any(f.protocol == 0 for f in r.filters):
        out.append(f"{n}: protocol 0 (HOPOPT) may read as 'any' on Windows [V] — name another "
                   "protocol or none")
    return out


# ================================================================================ parser
# ------------------------------------------------------------------------------ tokenizer


class _Bad(Exception):
    """A problem on the current statement (becomes a ParseError with file:line)."""


@dataclass(slots=True)
class Tok:
    """One PowerShell token of the subset ccsec reads.

    kind: ``word`` (bare word / command name / number), ``param`` (``-Name``; ``colon`` for
    ``-Name:value``), ``str`` (quoted; ``text`` is the decoded value), ``var`` (``$name``),
    ``member`` (``.Name`` right after a value), ``op`` (``( ) { } [ ] @( $( @{ , ; | & =``),
    ``nl`` (end of line).  ``dynamic`` marks text PowerShell expands at run time.
    """

    kind: str
    text: str
    line: int
    dynamic: bool = False
    colon: bool = False
    space: bool = True


_SPACE = re.compile(r"[ \t\f\v\u00a0\u0085\u1680\u2000-\u200a\u202f\u205f\u3000\ufeff]+")
_WORD = re.compile(r"[^\s;|&(){}\[\],`$\"'\u2018\u2019\u201a\u201b\u201c\u201d\u201e]+")
_SQ_BODY = re.compile(r"[^'\u2018\u2019\u201a\u201b]*")
_DQ_BODY = re.compile(r"[^\"\u201c\u201d\u201e`$]*")
_VAR = re.compile(r"(?:[A-Za-z]+:)?[A-Za-z0-9_]+|[_?^$]")
_NAME = re.compile(r"[^\W\d]\w*")
_HERE_END = {q: re.compile(r"(\r\n|\n|\r)[" + q + r"]@")
             for q in (SINGLE_QUOTES, DOUBLE_QUOTES)}
_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "e": "\x1b", "f": "\f", "n": "\n", "r": "\r",
            "t": "\t", "v": "\v"}
_OPS = "(){}[],;|&="
MAX_DEPTH = 64
#: One match per common token, tried first at every position; anything it does not take for
#: certain (here-strings, escapes, ``$(``, members, doubled quotes, a word running into a quote
#: or ``$``…) is left to the character rules below, which decide as before.  The character
#: classes are the ones of the rules they stand for; possessive quantifiers (``*+``) keep a
#: failed look-ahead from shortening a word or string instead of rejecting it.
_SQ, _DQ = SINGLE_QUOTES, DOUBLE_QUOTES
_WORD_CHARS = r"[^\s;|&(){}\[\],`$" + _DQ + _SQ + "]"
_FAST = re.compile(
    r"(?P<sp>" + _SPACE.pattern + ")?+"
    r"(?:(?P<nl>\r\n|\n|\r)"
    r"|(?P<cm>#[^\r\n]*+|`(?:\r\n|\n|\r))"
    r"|(?P<param>[" + DASHES + r"][^\W\d]\w*+:?)"
    r"|(?P<var>\$(?:" + _VAR.pattern + "))"
    r"|(?P<op>\|\||&&|[(){}\[\],;|&=])"
    r"|(?P<sq>[" + _SQ + "][^" + _SQ + "]*+[" + _SQ + "](?![" + _SQ + "]))"
    r"|(?P<dq>[" + _DQ + "][^`$" + _DQ + "]*+[" + _DQ + "](?![" + _DQ + "]))"
    r"|(?P<word>(?![" + DASHES + "@=.#<])" + _WORD_CHARS + "++(?![`$" + _SQ + _DQ + "]))"
    r"|$)"
)


class _Lexer:
    """A linear scan over the PowerShell subset (no backtracking regexes, no recursion)."""

    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.n = len(text)
        self.newlines = [m.start() for m in re.finditer("\n", text)]
        self.out: list[Tok] = []

    def line(self, pos: int) -> int:
        return bisect_right(self.newlines, pos - 1) + 1

    def fail(self, pos: int, message: str) -> ParseError:
        return ParseError(Problem(message, self.source, self.line(pos),
                                  fix="see about_Quoting_Rules / about_Parsing"))

    def run(self) -> list[Tok]:
        text, i, space = self.text, 0, True
        while i < self.n:
            i, space = self._fast(i, space)
            if i >= self.n:
                break
            c = text[i]
            m = _SPACE.match(text, i)
            if m:
                i, space = m.end(), True
                continue
            start = i
            if c in "\r\n":
                i += 2 if text.startswith("\r\n", i) else 1
                self.emit("nl", "\n", start, space)
                space = True
                continue
            if c == "`" and i + 1 < self.n and text[i + 1] in "\r\n":
                i += 3 if text.startswith("\r\n", i + 1) else 2
                space = True
                continue
            if c == "#":
                i = self._line_end(i)
                space = True
                continue
            if c == "<" and text.startswith("#", i + 1):
                end = text.find("#>", i + 2)
                if end < 0:
                    raise self.fail(i, "block comment <# … is never closed with #>")
                i, space = end + 2, True
                continue
            i = self._token(i, space)
            space = False
        return self.out

    def _fast(self, i: int, space: bool) -> tuple[int, bool]:
        """Take the common tokens from ``i`` on with :data:`_FAST`; return where it stopped
        (a token the character rules must read, or the end) and the pending space flag.

        The line number is carried along instead of looked up per token: ``\n`` only occurs
        in line ends, backtick continuations and strings, which add their own."""
        text, append = self.text, self.out.append
        line = bisect_right(self.newlines, i - 1) + 1
        scan = _FAST.scanner(text, i).match
        while (f := scan()) is not None:
            kind = f.lastgroup
            if kind is None or kind == "sp":  # only (spaces and) the end of the text was left
                return f.end(), space or kind == "sp"
            start, i = f.span(kind)
            if start != f.start():
                space = True  # spaces before the token
            if kind == "word" or kind == "op":
                append(Tok(kind, f.group(kind), line, False, False, space))
            elif kind == "param":
                value = f.group(kind)
                if not (value[1].isalpha() or value[1] == "_"):
                    return start, space  # ``-²``: a word, to the character rules
                colon = value[-1] == ":"
                append(Tok("param", value[1:-1] if colon else value[1:], line, False, colon,
                           space))
            elif kind == "nl":
                append(Tok("nl", "\n", line, False, False, space))
                line += text[start] == "\n" or text[i - 1] == "\n"
                space = True
                continue
            elif kind == "var":
                append(Tok("var", f.group(kind)[1:], line, False, False, space))
            elif kind == "cm":  # a comment, or a backtick continuing the line
                line += text[i - 1] == "\n"
                space = True
                continue
            else:  # sq, dq
                value = f.group(kind)
                append(Tok("str", value[1:-1], line, False, False, space))
                line += value.count("\n")
            space = False
        return i, space

    def _line_end(self, i: int) -> int:
        while i < self.n and self.text[i] not in "\r\n":
            i += 1
        return i

    def emit(self, kind: str, text: str, pos: int, space: bool, dynamic: bool = False,
             colon: bool = False) -> None:
        self.out.append(Tok(kind, text, self.line(pos), dynamic, colon, space))

    def _token(self, i: int, space: bool) -> int:
        text, c = self.text, self.text[i]
        nxt = text[i + 1] if i + 1 < self.n else ""
        if c in SINGLE_QUOTES:
            value, j = self.single(i)
            self.emit("str", value, i, space)
            return j
        if c in DOUBLE_QUOTES:
            value, dyn, j = self.double(i)
            self.emit("str", value, i, space, dyn)
            return j
        if c == "@" and nxt and nxt in SINGLE_QUOTES + DOUBLE_QUOTES:
            return self.here(i, space)
        if c in "@$" and nxt and nxt in "({":
            self.emit("op", c + nxt, i, space)
            return i + 2
        if c == "$":
            return self._var(i, space)
        if c in _OPS:
            double = c in "|&" and nxt == c
            self.emit("op", c * 2 if double else c, i, space)
            return i + (2 if double else 1)
        if c in DASHES and (nxt.isalpha() or nxt == "_"):
            m = _NAME.match(text, i + 1)
            assert m is not None
            colon = text.startswith(":", m.end())
            self.emit("param", m.group(), i, space, colon=colon)
            return m.end() + (1 if colon else 0)
        if (c == "." and not space and self.out and self.out[-1].kind in ("var", "member")) \
                or (c == "." and not space and self.out and self.out[-1].text in (")", "]")):
            m = _NAME.match(text, i + 1)
            if m:
                self.emit("member", m.group(), i, space)
                return m.end()
        return self.word(i, space)

    def _var(self, i: int, space: bool) -> int:
        text = self.text
        if text.startswith("{", i + 1):
            end = text.find("}", i + 2)
            if end < 0:
                raise self.fail(i, "${… is never closed")
            self.emit("var", text[i + 2:end], i, space)
            return end + 1
        m = _VAR.match(text, i + 1)
        if not m:
            return self.word(i, space)
        self.emit("var", m.group(), i, space)
        return m.end()

    def word(self, i: int, space: bool) -> int:
        text, start, parts, dyn = self.text, i, [], False
        while i < self.n:
            m = _WORD.match(text, i)
            if m:
                parts.append(m.group())
                i = m.end()
                continue
            c = text[i]
            if c == "`" and i + 1 < self.n and text[i + 1] not in "\r\n":
                parts.append(text[i + 1])
                i += 2
            elif c in SINGLE_QUOTES:
                value, i = self.single(i)
                parts.append(value)
            elif c in DOUBLE_QUOTES:
                value, d, i = self.double(i)
                parts.append(value)
                dyn = dyn or d
            elif c == "$":
                parts.append(c)
                dyn = True
                i += 1
            else:
                break
        if i == start:  # a lone character no rule takes (cannot happen; keep the scan moving)
            parts.append(text[i])
            i += 1
        self.emit("word", "".join(parts), start, space, dyn)
        return i

    def single(self, i: int) -> tuple[str, int]:
        """A '…' string from ``i`` (any of the five quote characters; doubled = literal)."""
        text, j, parts = self.text, i + 1, []
        while True:
            m = _SQ_BODY.match(text, j)
            assert m is not None
            parts.append(m.group())
            j = m.end()
            if j >= self.n:
                raise self.fail(i, "a single-quoted string is never closed")
            if j + 1 < self.n and text[j + 1] in SINGLE_QUOTES:
                parts.append(text[j + 1])
                j += 2
                continue
            return "".join(parts), j + 1

    def double(self, i: int) -> tuple[str, bool, int]:
        """A "…" string: backtick escapes decoded; ``$`` expansion marks it dynamic."""
        text, j, parts, dyn = self.text, i + 1, [], False
        while True:
            m = _DQ_BODY.match(text, j)
            assert m is not None
            parts.append(m.group())
            j = m.end()
            if j >= self.n:
                raise self.fail(i, "a double-quoted string is never closed")
            c = text[j]
            if c == "`":
                if j + 1 >= self.n:
                    raise self.fail(i, "a double-quoted string is never closed")
                e = text[j + 1]
                parts.append(_ESCAPES.get(e, e))
                j += 2
            elif c == "$":
                nxt = text[j + 1] if j + 1 < self.n else ""
                dyn = dyn or nxt.isalnum() or nxt in "_({:?^$"
                parts.append(c)
                j += 1
            elif j + 1 < self.n and text[j + 1] in DOUBLE_QUOTES:
                parts.append(text[j + 1])
                j += 2
            else:
                return "".join(parts), dyn, j + 1

    def here(self, i: int, space: bool) -> int:
        """@'…'@ / @"…"@: the opening quote ends its line, the closing one starts a line."""
        text = self.text
        quotes = SINGLE_QUOTES if text[i + 1] in SINGLE_QUOTES else DOUBLE_QUOTES
        j = i + 2
        m = _SPACE.match(text, j)
        if m:
            j = m.end()
        if j >= self.n or text[j] not in "\r\n":
            raise self.fail(i, "a here-string's opening @' or @\" must end its line")
        j += 2 if text.startswith("\r\n", j) else 1
        end = _HERE_END[quotes].search(text, j - 1)
        if not end:
            raise self.fail(i, "a here-string is never closed ('@ or \"@ at the start of a line)")
        body = text[j:end.start()] if end.start() >= j else ""
        dyn = False
        if quotes is DOUBLE_QUOTES:
            dyn = "$" in body
            body = re.sub(r"`(.)", lambda mm: _ESCAPES.get(mm.group(1), mm.group(1)), body)
        self.emit("str", body, i, space, dyn)
        return end.end()


def tokenize(text: str, source: str = "<text>") -> list[Tok]:
    """The tokens of a PowerShell script (the subset in this module's docstring)."""
    return _Lexer(text, source).run()


_OPEN = {"(": ")", "@(": ")", "$(": ")", "{": "}", "@{": "}", "[": "]"}


def statements(tokens: list[Tok], source: str) -> Iterator[list[Tok]]:
    """Top-level statements: a line or ``;`` ends one unless a bracket is open or the line
    ends in ``|``, ``,`` or ``=`` (PowerShell continues those onto the next line)."""
    stack: list[Tok] = []
    current: list[Tok] = []
    for tok in tokens:
        if tok.kind == "op" and tok.text in _OPEN:
            stack.append(tok)
            if len(stack) > MAX_DEPTH:
                raise ParseError(Problem(f"brackets nested deeper than {MAX_DEPTH}", source,
                                         tok.line))
        elif tok.kind == "op" and tok.text in (")", "}", "]"):
            if not stack or _OPEN[stack[-1].text] != tok.text:
                raise ParseError(Problem(f"unexpected '{tok.text}'", source, tok.line,
                                         fix="check the brackets of this statement"))
            stack.pop()
        if not stack and (tok.kind == "nl" or (tok.kind == "op" and tok.text == ";")):
            if current and not _continues(current[-1]):
                yield current
                current = []
            continue
        current.append(tok)  # line ends inside brackets separate statements of @( ) / $( )
    if stack:
        raise ParseError(Problem(f"'{stack[-1].text}' is never closed", source, stack[-1].line,
                                 fix="check the brackets of this statement"))
    if current:
        yield current


def _continues(tok: Tok) -> bool:
    """Whether a statement ending in ``tok`` goes on past the end of the line."""
    return tok.kind == "op" and tok.text in ("|", ",", "=")


def _split(tokens: list[Tok], sep: str) -> list[list[Tok]]:
    """``tokens`` split at ``sep`` operators outside brackets (and at line ends for ``;``)."""
    out: list[list[Tok]] = [[]]
    depth = 0
    for tok in tokens:
        if tok.kind == "op" and tok.text in _OPEN:
            depth += 1
        elif tok.kind == "op" and tok.text in (")", "}", "]"):
            depth -= 1
        if depth == 0 and tok.kind == "nl":
            if sep == ";" and out[-1] and not _continues(out[-1][-1]):
                out.append([])
            continue
        if depth == 0 and tok.kind == "op" and tok.text == sep:
            out.append([])
            continue
        out[-1].append(tok)
    return [part for part in out if part] if sep == ";" else out


def _group_end(tokens: list[Tok], start: int) -> int:
    """Index of the bracket closing the one opened at ``start``."""
    depth = 0
    for k in range(start, len(tokens)):
        tok = tokens[k]
        if tok.kind == "op" and tok.text in _OPEN:
            depth += 1
        elif tok.kind == "op" and tok.text in (")", "}", "]"):
            depth -= 1
            if depth == 0:
                return k
    return len(tokens) - 1


def command_names(text: str) -> list[str]:
    """Every command a script invokes, in order (nested calls included) — for reviews/tests."""
    out: list[str] = []
    for stmt in statements(tokenize(text), "<text>"):
        _collect_commands(stmt, out)
    return out


def _collect_commands(tokens: list[Tok], out: list[str]) -> None:
    command_position, brackets = True, 0
    for tok in tokens:
        if tok.kind == "op" and tok.text in ("[", "]"):
            brackets += 1 if tok.text == "[" else -1
            continue
        if brackets:
            continue
        if tok.kind == "nl" or (tok.kind == "op" and tok.text in _COMMAND_STARTS):
            command_position = True
            continue
        if tok.kind == "word" and command_position:
            out.append(tok.text)
        command_position = False


_COMMAND_STARTS = frozenset({"(", "@(", "$(", "{", "|", "=", ";", "&", "&&", "||"})


# ---------------------------------------------------------------------------- interpreter


@dataclass(frozen=True)
class Dyn:
    """A value only known when the script runs (``$env:X``, ``"$a"``, ``$(…)``, a Get- call)."""

    why: str


@dataclass(eq=False)
class MmProposal:
    line: int
    proposal: IkeProposal | None  # None: not usable (a note says why)


@dataclass(eq=False)
class QmProposal:
    line: int
    proposal: EspProposal | None
    minutes: int
    kb: int


@dataclass(eq=False)
class AuthProposal:
    line: int
    auth: Auth | None


@dataclass(eq=False)
class ObjSet:
    """A stored set: main-mode crypto, quick-mode crypto, phase-1 or phase-2 auth."""

    kind: str
    name: str
    display: str
    group: str | None
    line: int
    items: list[Any] = field(default_factory=list)
    minutes: int = DEFAULT_MM_MINUTES
    pfs: int | str | None = None  # DH group, "mm" (SameAsMainMode) or None


@dataclass(eq=False)
class MainModeRule:
    name: str
    display: str
    group: str | None
    line: int
    local: list[IPv4Network]
    remote: list[IPv4Network]
    mm: ObjSet | None
    auth: ObjSet | None


@dataclass(eq=False)
class WinRule:
    """What one New-NetIPsecRule says, values already checked."""

    name: str
    group: str | None
    line: int
    description: str = ""
    enabled: bool = True
    mode: str = "transport"
    inbound: str = "none"
    outbound: str = "none"
    key_modules: tuple[str, ...] = ("default",)
    interfaces: frozenset[str] = frozenset({"any"})
    locals_: list[IPv4Network] = field(default_factory=list)
    remotes: list[IPv4Network] = field(default_factory=list)
    protocol: int | None = None
    lports: list[int | None] = field(default_factory=lambda: [None])
    rports: list[int | None] = field(default_factory=lambda: [None])
    tunnel_local: IPv4Address | None = None
    tunnel_remote: IPv4Address | None = None
    qm: ObjSet | None = None
    p1: ObjSet | None = None
    filter_line: int = 0


@dataclass(frozen=True)
class GpoSession:
    store: str


@dataclass(frozen=True)
class _Spec:
    """A cmdlet's parameters: canonical name by lower-case name, switches, aliases."""

    handler: str
    params: dict[str, str]
    switches: frozenset[str]
    aliases: dict[str, str]
    positional: tuple[str, ...] = ()


_COMMON_VALUES = ("ErrorAction WarningAction InformationAction ErrorVariable WarningVariable "
                  "InformationVariable OutVariable OutBuffer PipelineVariable")
_COMMON_ALIASES = {"ea": "ErrorAction", "wa": "WarningAction", "infa": "InformationAction",
                   "ev": "ErrorVariable", "wv": "WarningVariable", "iv": "InformationVariable",
                   "ov": "OutVariable", "ob": "OutBuffer", "pv": "PipelineVariable",
                   "vb": "Verbose", "db": "Debug", "wi": "WhatIf", "cf": "Confirm",
                   "session": "CimSession"}
_STORE_VALUES = "PolicyStore GPOSession CimSession ThrottleLimit"
_STORE_SWITCHES = "AsJob WhatIf Confirm"
_SET_VALUES = _STORE_VALUES + " Name DisplayName Description Group Proposal"


def _spec(handler: str, values: str, switches: str = "", aliases: dict[str, str] | None = None,
          positional: tuple[str, ...] = ()) -> _Spec:
    names = (values + " " + _COMMON_VALUES).split()
    flags = (switches + " Verbose Debug").split()
    params = {n.lower(): n for n in names + flags}
    alias = {k: v for k, v in _COMMON_ALIASES.items() if v.lower() in params}
    alias.update({k.lower(): v for k, v in (aliases or {}).items()})
    return _Spec(handler, params, frozenset(f.lower() for f in flags), alias, positional)


CMDLETS: dict[str, _Spec] = {
    "new-netipsecmainmodecryptoproposal": _spec("mm_proposal", "Encryption KeyExchange Hash"),
    "new-netipsecquickmodecryptoproposal": _spec(
        "qm_proposal", "Encryption AHHash ESPHash MaxKiloBytes MaxMinutes Encapsulation"),
    "new-netipsecauthproposal": _spec(
        "auth_proposal",
        "Authority AuthorityType ExtendedKeyUsage PreSharedKey Proxy Signing SubjectName "
        "SubjectNameType Thumbprint",
        "AccountMapping Anonymous Cert ExcludeCAName FollowRenewal Health Kerberos Machine Ntlm "
        "SelectionCriteria User ValidationCriteria",
        {"EKUs": "ExtendedKeyUsage", "PSK": "PreSharedKey"}, ("PreSharedKey",)),
    "new-netipsecmainmodecryptoset": _spec(
        "mm_set", _SET_VALUES + " MaxMinutes MaxSessions ForceDiffieHellman",
        _STORE_SWITCHES + " Default", {"ID": "Name"}),
    "new-netipsecquickmodecryptoset": _spec(
        "qm_set", _SET_VALUES + " PerfectForwardSecrecyGroup", _STORE_SWITCHES + " Default",
        {"ID": "Name", "PfsGroup": "PerfectForwardSecrecyGroup"}),
    "new-netipsecphase1authset": _spec("p1_set", _SET_VALUES, _STORE_SWITCHES + " Default",
                                       {"ID": "Name"}),
    "new-netipsecphase2authset": _spec("p2_set", _SET_VALUES, _STORE_SWITCHES + " Default",
                                       {"ID": "Name"}),
    "new-netipsecmainmoderule": _spec(
        "mm_rule", _STORE_VALUES + " Name DisplayName Description Group Enabled Profile "
        "Platform MainModeCryptoSet Phase1AuthSet LocalAddress RemoteAddress",
        _STORE_SWITCHES, {"ID": "Name"}),
    "new-netipsecrule": _spec(
        "ipsec_rule", _STORE_VALUES + " IPsecRuleName DisplayName Description Group Enabled "
        "Profile Platform Mode InboundSecurity OutboundSecurity QuickModeCryptoSet "
        "Phase1AuthSet Phase2AuthSet KeyModule AllowWatchKey AllowSetKey LocalTunnelEndpoint "
        "RemoteTunnelEndpoint RemoteTunnelHostname ForwardPathLifetime EncryptedTunnelBypass "
        "RequireAuthorization User Machine LocalAddress RemoteAddress Protocol LocalPort "
        "RemotePort InterfaceAlias InterfaceType",
        _STORE_SWITCHES, {"ID": "IPsecRuleName", "Name": "IPsecRuleName",
                          "SecIn": "InboundSecurity", "SecOut": "OutboundSecurity"}),
    "open-netgpo": _spec("open_gpo", "PolicyStore DomainController CimSession ThrottleLimit",
                         "AsJob", positional=("PolicyStore",)),
    "save-netgpo": _spec("save_gpo", "GPOSession CimSession ThrottleLimit", "AsJob",
                         positional=("GPOSession",)),
}
_REMOVE_SPEC = _spec("remove", _STORE_VALUES + " Name IPsecRuleName DisplayName Group "
                     "DisplayGroup InputObject", _STORE_SWITCHES + " All",
                     {"ID": "Name", "PassThru": "PassThru"})
REMOVE_KINDS = {"remove-netipsecrule": "rule", "remove-netipsecmainmoderule": "mmrule",
                "remove-netipsecmainmodecryptoset": "mmcrypto",
                "remove-netipsecquickmodecryptoset": "qmcrypto",
                "remove-netipsecphase1authset": "p1auth", "remove-netipsecphase2authset": "p2auth"}
KIND_NAMES = {"mmcrypto": "main-mode crypto set", "qmcrypto": "quick-mode crypto set",
              "p1auth": "phase-1 authentication set", "p2auth": "phase-2 authentication set",
              "mmrule": "main-mode rule", "rule": "connection security rule"}
#: commands with no effect on the policy a script builds
QUIET = frozenset({"write-host", "write-output", "write-verbose", "write-warning", "write-debug",
                   "write-information", "set-strictmode", "import-module", "out-null",
                   "out-default", "out-host", "start-transcript", "stop-transcript",
                   "where-object", "select-object", "sort-object", "format-table",
                   "format-list", "tee-object", "foreach-object"})
_READ_ONLY = re.compile(r"^(get|test|find|show|measure|resolve|convertto|compare)-")
KEYWORDS = frozenset({"if", "elseif", "else", "foreach", "for", "while", "do", "until", "switch",
                      "function", "filter", "workflow", "try", "catch", "finally", "trap",
                      "return", "exit", "throw", "break", "continue", "begin", "process", "end",
                      "class", "enum", "data", "dynamicparam"})
_CMDLET_NAME = re.compile(r"^[A-Za-z]{1,20}-[A-Za-z0-9]{1,60}$")
_NUMBER = re.compile(r"^[0-9]{1,18}$")

_MM_ENCR_IN = {v.lower(): k for k, v in MM_ENCR.items()}
_MM_HASH_IN = {v.lower(): k for k, v in MM_HASH.items()}
_DH_IN = {v.lower(): k for k, v in DH_NAMES.items()}
_QM_ENCR_IN = {v.lower(): k for k, v in QM_ENCR.items()}
_QM_HASH_IN = {v.lower(): k for k, v in QM_HASH.items()}
_GCM_HASH_IN = {v.lower(): k for k, v in GCM_HASH.items()}
_MM_ENCR_ALL = ("none", "des", "des3", "aes128", "aes192", "aes256", "aesgcm128", "aesgcm192",
                "aesgcm256")
_HASH_ALL = ("none", "md5", "sha1", "sha256", "sha384", "aesgmac128", "aesgmac192",
             "aesgmac256")
_ADDRESS_KEYWORDS = ("localsubnet", "dns", "dhcp", "wins", "defaultgateway", "internet",
                     "intranet", "intranetremoteaccess", "playtodevice", "captiveportaladdresses",
                     "localhost")


def _safe(word: str) -> str:
    """A command name fit for a note (never echo arbitrary text: it could be a key)."""
    return word if _CMDLET_NAME.match(word) else "a command"


class _Interpreter:
    """Runs the statements of a script against a model of the policy store (no side effects)."""

    def __init__(self, source: str, parsed: Parsed) -> None:
        self.source = source
        self.parsed = parsed
        self.vars: dict[str, Any] = {}
        self.objects: dict[str, dict[str, Any]] = {k: {} for k in KIND_NAMES}
        self.rules: list[WinRule] = []
        self.mm_rules: list[MainModeRule] = []
        self.defaults: dict[str, ObjSet] = {}
        self.stores: list[str] = []
        self.line = 0

    # ------------------------------------------------------------- plumbing

    def note(self, severity: str, message: str, line: int | None = None) -> None:
        self.parsed.notes.append(Note(line or self.line, severity, message))  # type: ignore[arg-type]

    def run(self, stmt: list[Tok]) -> None:
        self.line = stmt[0].line
        try:
            self._statement(stmt)
        except _Bad as exc:
            line = exc.args[1] if len(exc.args) > 1 else self.line
            raise ParseError(Problem(str(exc.args[0]), self.source, line,
                                     fix="see the NetSecurity cmdlet reference "
                                     "(platform-syntax.md §4)")) from None

    def _statement(self, stmt: list[Tok]) -> None:
        first = stmt[0]
        low = first.text.lower() if first.kind == "word" else ""
        if low == "param" and len(stmt) > 1 and stmt[1].text == "(":
            self._param_block(stmt[2:_group_end(stmt, 1)])
            return
        if first.kind == "op" and first.text == "[":
            end = _group_end(stmt, 0)
            rest = stmt[end + 1:]
            if rest:
                self._statement(rest)  # [void](…), [CmdletBinding()] param(…)
            return
        if first.kind == "var" and len(stmt) > 1 and stmt[1].kind == "op" and stmt[1].text == "=":
            self.vars[first.text.lower()] = self.expression(stmt[2:])
            return
        if first.kind == "var" and len(stmt) > 1 and stmt[1].kind == "member":
            self.note("warning", "an assignment to an object property is not evaluated "
                      "(ccsec reads what the New- cmdlets create)")
            return
        if low in KEYWORDS:
            self.note("warning", f"the '{low}' statement is not evaluated (ccsec reads "
                      "straight-line scripts)")
            return
        self.pipeline(_split(stmt, "|"))

    def _param_block(self, tokens: list[Tok]) -> None:
        for part in _split(tokens, ","):
            names = [k for k, t in enumerate(part) if t.kind == "var"]
            if not names:
                continue
            k = names[0]
            name = part[k].text.lower()
            if k + 2 < len(part) and part[k + 1].kind == "op" and part[k + 1].text == "=":
                self.vars[name], _ = self.unit(part, k + 2)
            else:
                self.vars[name] = Dyn(f"${part[k].text} is a script parameter")

    # ---------------------------------------------------------- expressions

    def expression(self, tokens: list[Tok]) -> Any:
        if not tokens:
            return None
        stages = _split(tokens, "|")
        head = tokens[0]
        if len(stages) > 1 or (head.kind == "word" and not _NUMBER.match(head.text)) \
                or (head.kind == "op" and head.text in ("&", ".")):
            return self.pipeline(stages)
        value, i = self.unit(tokens, 0)
        if i < len(tokens):
            return Dyn("an expression ccsec does not evaluate")
        return value

    def unit(self, toks: list[Tok], i: int) -> tuple[Any, int]:
        """One argument: an element, or a comma-separated list of them."""
        values = []
        while True:
            value, i = self.element(toks, i)
            values.append(value)
            if i < len(toks) and toks[i].kind == "op" and toks[i].text == ",":
                i += 1
                if i >= len(toks):
                    raise _Bad("a list ends in ','", toks[-1].line)
                continue
            break
        if len(values) == 1:
            return values[0], i
        return _flatten(values), i

    def element(self, toks: list[Tok], i: int) -> tuple[Any, int]:
        t = toks[i]
        value: Any
        if t.kind in ("str", "word"):
            value = Dyn("text expanded at run time") if t.dynamic else t.text
            i += 1
        elif t.kind == "var":
            value = self.lookup(t.text)
            i += 1
        elif t.kind == "op" and t.text in ("(", "@(", "$("):
            end = _group_end(toks, i)
            inner = toks[i + 1:end]
            if t.text == "$(":
                value = Dyn("a $( ) subexpression")
            elif t.text == "(":
                value = self.expression([x for x in inner if x.kind != "nl"])
            else:
                value = _flatten([self.expression(s) for s in _split(inner, ";")])
            i = end + 1
        elif t.kind == "op" and t.text in ("{", "@{"):
            value, i = Dyn("a script block or hash table"), _group_end(toks, i) + 1
        elif t.kind == "op" and t.text == "[":
            end = _group_end(toks, i)
            if end + 1 < len(toks) and not toks[end + 1].space:
                return self.element(toks, end + 1)  # a cast: [int]480, [string]'x'
            value, i = Dyn("a type literal"), end + 1
        else:
            raise _Bad(f"unexpected '{t.text}' where a value belongs", t.line)
        while i < len(toks) and toks[i].kind == "member" and not toks[i].space:
            value = _member(value, toks[i].text)
            i += 1
        return value, i

    def lookup(self, name: str) -> Any:
        low = name.lower()
        if low in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[low]
        if low in self.vars:
            return self.vars[low]
        if ":" in low:
            return Dyn(f"${name} is read at run time")
        return Dyn(f"${name} is never assigned in this script")

    # -------------------------------------------------------------- commands

    def pipeline(self, stages: list[list[Tok]]) -> Any:
        if any(not s for s in stages):
            raise _Bad("an empty pipeline element ('|' with nothing on one side)")
        result = self.command(stages[0])
        for stage in stages[1:]:
            head = stage[0]
            low = head.text.lower() if head.kind == "word" else ""
            if low in REMOVE_KINDS:
                if self.objects[REMOVE_KINDS[low]]:
                    self.note("warning", f"objects piped into {head.text} are not evaluated: "
                              "the parsed policy may still hold them")
                result = None
            elif low in QUIET:
                result = None if low == "out-null" else result
            else:
                self.note("warning", f"a pipeline into {_safe(head.text)} is not evaluated")
                result = Dyn("a pipeline result")
        return result

    def command(self, tokens: list[Tok]) -> Any:
        head = tokens[0]
        if head.kind == "op" and head.text in ("&", "."):
            self.note("warning", "a command run through '&' or '.' is not evaluated")
            return Dyn("a dynamic command")
        if head.kind != "word":
            return self.expression(tokens)
        name = head.text.rsplit("\\", 1)[-1]
        low = name.lower()
        spec = CMDLETS.get(low)
        if spec is not None:
            named, lines, positional = self.bind(spec, name, tokens[1:])
            handler = getattr(self, "_" + spec.handler)
            return handler(named, lines, positional)
        if low in REMOVE_KINDS:
            self._remove(REMOVE_KINDS[low], name, tokens[1:])
            return None
        if low in QUIET:
            return None
        if _READ_ONLY.match(low):
            return Dyn(f"{_safe(name)} reads the store at run time")
        if low.startswith(("set-netipsec", "rename-netipsec", "copy-netipsec", "enable-netipsec",
                           "disable-netipsec")):
            self.note("warning", f"{_safe(name)} changes objects after they were created; "
                      "ccsec reads what the New- cmdlets create and does not apply it")
        elif low.startswith(("set-netfirewall", "set-netipsecdosp")):
            self.note("info", f"{_safe(name)} sets machine-wide options outside the policy model")
        else:
            self.note("warning", f"{_safe(name)} is not a NetSecurity cmdlet ccsec evaluates")
        return Dyn("an unknown command")

    def bind(self, spec: _Spec, cmdlet: str,
             toks: list[Tok]) -> tuple[dict[str, Any], dict[str, int], list[Any]]:
        """Named values by canonical parameter name, the line of each, positional values."""
        named: dict[str, Any] = {}
        lines: dict[str, int] = {}
        positional: list[Any] = []
        i = 0
        while i < len(toks):
            t = toks[i]
            if t.kind != "param":
                value, i = self.unit(toks, i)
                if len(positional) >= len(spec.positional):
                    raise _Bad(f"{cmdlet} takes no further positional value: name the "
                               "parameter", t.line)
                key = spec.positional[len(positional)]
                positional.append(value)
                named.setdefault(key, value)
                lines.setdefault(key, t.line)
                continue
            name = _resolve(spec, cmdlet, t)
            if name.lower() in spec.switches and not t.colon:
                value, i = True, i + 1
            else:
                if i + 1 >= len(toks) or (toks[i + 1].kind == "param" and not t.colon):
                    raise _Bad(f"{cmdlet} -{name} needs a value", t.line)
                value, i = self.unit(toks, i + 1)
            if name in named:
                raise _Bad(f"{cmdlet} -{name} is given twice", t.line)
            named[name] = value
            lines[name] = t.line
        if "PolicyStore" in named and isinstance(named["PolicyStore"], str):
            self._store(named["PolicyStore"])
        return named, lines, positional

    def _store(self, store: str) -> None:
        if store not in self.stores:
            self.stores.append(store)

    def _remove(self, kind: str, cmdlet: str, toks: list[Tok]) -> None:
        """Remove-NetIPsec… of objects this script created earlier (a clean-up is a no-op)."""
        if not self.objects[kind]:
            return
        named, _, _ = self.bind(_REMOVE_SPEC, cmdlet, toks)
        names = _strings(named.get("Name", named.get("IPsecRuleName")), "Name", split=False)
        groups = _strings(named.get("Group"), "Group", split=False)
        if not (names or groups or named.get("All")):
            self.note("warning", f"{cmdlet} without -Name/-Group/-All is not evaluated")
            return
        store = self.objects[kind]
        for key, obj in list(store.items()):
            if named.get("All") or key in {n.casefold() for n in names} or obj.group in groups:
                del store[key]
                if kind == "rule":
                    self.rules.remove(obj)
                elif kind == "mmrule":
                    self.mm_rules.remove(obj)

    def add(self, kind: str, name: str, obj: Any, line: int) -> None:
        key = name.casefold()
        if key in self.objects[kind]:
            raise _Bad(f"{KIND_NAMES[kind]} '{name}' is created twice (Windows refuses a "
                       "duplicate name)", line)
        self.objects[kind][key] = obj

    def ref(self, kind: str, value: Any, line: int) -> ObjSet | None:
        """The set a rule names (``None``: Windows' default set)."""
        what = KIND_NAMES[kind]
        if value is None:
            return None
        if isinstance(value, ObjSet):
            if value.kind != kind:
                raise _Bad(f"a {KIND_NAMES[value.kind]} is given where a {what} belongs", line)
            return value
        if isinstance(value, Dyn):
            raise _Bad(f"cannot tell which {what} is meant: {value.why}", line)
        if not isinstance(value, str):
            raise _Bad(f"a {what} is named by its -Name (a string)", line)
        key = value.strip().casefold()
        if DEFAULT_SET_NAMES.get(key) == kind:
            return self.defaults.get(kind)
        obj = self.objects[kind].get(key)
        if obj is None:
            raise _Bad(f"{what} '{value[:80]}' is never created before this line "
                       "(dangling reference)", line)
        return obj  # type: ignore[no-any-return]

    # -------------------------------------------------------------- handlers

    def _mm_proposal(self, named: dict[str, Any], lines: dict[str, int],
                     _: list[Any]) -> MmProposal:
        enc = _enum(named.get("Encryption", "AES256"), _MM_ENCR_ALL, "Encryption")
        hsh = _enum(named.get("Hash", "SHA384"), _HASH_ALL, "Hash")
        group = _enum(named.get("KeyExchange", "None"), (*_DH_IN, "none", "sameasmainmode"),
                      "KeyExchange")
        for param, default in (("Encryption", "AES256"), ("Hash", "SHA384")):
            if param not in named:
                self.note("info", f"main-mode proposal without -{param}: the documented "
                          f"default {default} is assumed")
        problem = None
        if enc not in _MM_ENCR_IN:
            problem = f"-Encryption {enc} is not valid in main mode"
        elif hsh not in _MM_HASH_IN:
            problem = f"-Hash {hsh} is not valid in main mode"
        elif group not in _DH_IN:
            problem = "it has no Diffie-Hellman group (-KeyExchange)"
        if problem:
            self.note("warning", f"main-mode proposal skipped: {problem}")
            return MmProposal(self.line, None)
        return MmProposal(self.line, IkeProposal(encryption=_MM_ENCR_IN[enc],
                                                 integrity=_MM_HASH_IN[hsh], group=_DH_IN[group]))

    def _qm_proposal(self, named: dict[str, Any], lines: dict[str, int],
                     _: list[Any]) -> QmProposal:
        minutes = _int(named.get("MaxMinutes", DEFAULT_QM_MINUTES), "MaxMinutes", 1)
        kb = _int(named.get("MaxKiloBytes", DEFAULT_QM_KB), "MaxKiloBytes", 1)
        if not QM_MINUTES[0] <= minutes <= QM_MINUTES[1] or not QM_KB[0] <= kb <= QM_KB[1]:
            self.note("warning", "quick-mode proposal lifetime is outside the documented "
                      f"range ({QM_MINUTES[0]}..{QM_MINUTES[1]} min, {QM_KB[0]}..{QM_KB[1]} KB)")
        encap = self._encapsulation(named)
        proposal, problem = _esp_proposal(encap, named)
        if problem:
            self.note("warning", f"quick-mode proposal skipped: {problem}")
        return QmProposal(self.line, proposal, minutes, kb)

    def _encapsulation(self, named: dict[str, Any]) -> frozenset[str]:
        if "Encapsulation" in named:
            values = _strings(named["Encapsulation"], "Encapsulation")
            bad = [v for v in values if v.lower() not in ("ah", "esp", "none")]
            if bad:
                raise _Bad(f"-Encapsulation {bad[0][:40]!r}: expected AH, ESP or AH, ESP")
            return frozenset(v.lower() for v in values)
        esp = any(_given(named, p) for p in ("Encryption", "ESPHash"))
        ah = _given(named, "AHHash")
        encap = frozenset(({"ah"} if ah else set()) | ({"esp"} if esp or not ah else set()))
        self.note("info", "quick-mode proposal without -Encapsulation (documented default "
                  f"None): read as {' + '.join(sorted(encap)).upper()} from its algorithms [V]")
        return encap

    def _auth_proposal(self, named: dict[str, Any], lines: dict[str, int],
                       _: list[Any]) -> AuthProposal:
        if named.get("User") is True:
            self.note("warning", "a user authentication proposal (-User) belongs to phase 2; "
                      "ccsec models computer authentication only — skipped")
            return AuthProposal(self.line, None)
        if named.get("Kerberos") is True:
            if "Proxy" in named:
                self.note("info", "Kerberos proxy (-Proxy) is not part of the policy model")
            return AuthProposal(self.line, Auth(method="kerberos"))
        if named.get("Cert") is True or "Authority" in named:
            return AuthProposal(self.line, self._cert(named))
        if "PreSharedKey" in named:
            key = named["PreSharedKey"]
            if not isinstance(key, str) or not key:
                self.note("warning", "the pre-shared key is empty or computed at run time: "
                          "read as present but unreadable")
                return AuthProposal(self.line, Auth(method="psk", psk=None))
            return AuthProposal(self.line, Auth(method="psk", psk=literal(key)))
        for method in ("Ntlm", "Anonymous"):
            if named.get(method) is True:
                self.note("warning", f"{method} authentication has no place in the policy "
                          "model — skipped")
                return AuthProposal(self.line, None)
        raise _Bad("New-NetIPsecAuthProposal names no method (-Kerberos, -Cert, "
                   "-PreSharedKey, -Ntlm, -Anonymous)")

    def _cert(self, named: dict[str, Any]) -> Auth:
        ca = named.get("Authority")
        if not isinstance(ca, str) or not ca.strip():
            raise _Bad("certificate authentication needs -Authority (the CA's name)")
        kind = _enum(named.get("AuthorityType", "Root"), ("root", "intermediate", "invalid"),
                     "AuthorityType")
        if kind != "root":
            self.note("warning", f"-AuthorityType {kind}: the policy model names a root CA; "
                      "read as the trusted CA")
        extra = sorted(k for k in ("Signing", "SubjectName", "SubjectNameType", "Thumbprint",
                                   "ExtendedKeyUsage", "ExcludeCAName", "AccountMapping",
                                   "FollowRenewal", "Health") if k in named)
        if extra:
            self.note("info", f"certificate criteria {', '.join('-' + e for e in extra)} are "
                      "not part of the policy model")
        try:
            return Auth(method="certificate", ca=ca)
        except ValidationError:
            raise _Bad("the -Authority value holds a control character or a double quote, "
                       "which the policy model refuses in a CA name") from None

    def _set(self, kind: str, named: dict[str, Any], item_type: type,
             label: str) -> ObjSet:
        name = named.get("Name")
        if name is None:
            name = f"<{kind} created on line {self.line}>"
        elif not isinstance(name, str):
            raise _Bad(f"the {KIND_NAMES[kind]}'s -Name is computed at run time")
        display = named.get("DisplayName")
        group = named.get("Group")
        obj = ObjSet(kind, name, display if isinstance(display, str) else name,
                     group if isinstance(group, str) else None, self.line)
        items = _flatten([named.get("Proposal")]) if "Proposal" in named else []
        for item in items:
            if isinstance(item, Dyn):
                raise _Bad(f"-Proposal: {item.why}")
            if not isinstance(item, item_type):
                raise _Bad(f"-Proposal of a {KIND_NAMES[kind]} takes {label} objects")
        if not items:
            raise _Bad(f"a {KIND_NAMES[kind]} needs -Proposal")
        obj.items = items
        self.add(kind, name, obj, self.line)
        if named.get("Default") is True:
            self.defaults[kind] = obj
        return obj

    def _mm_set(self, named: dict[str, Any], lines: dict[str, int], _: list[Any]) -> ObjSet:
        obj = self._set("mmcrypto", named, MmProposal, "New-NetIPsecMainModeCryptoProposal")
        if "MaxMinutes" in named:
            obj.minutes = _int(named["MaxMinutes"], "MaxMinutes", 0)
            if obj.minutes == 0:
                obj.minutes = DEFAULT_MM_MINUTES
                self.note("info", "-MaxMinutes 0 leaves the main-mode lifetime unset: "
                          f"{DEFAULT_MM_MINUTES} minutes assumed [V]")
        else:
            self.note("info", "main-mode crypto set without -MaxMinutes: "
                      f"{DEFAULT_MM_MINUTES} minutes assumed (the page says 4800) [V]")
        return obj

    def _qm_set(self, named: dict[str, Any], lines: dict[str, int], _: list[Any]) -> ObjSet:
        obj = self._set("qmcrypto", named, QmProposal, "New-NetIPsecQuickModeCryptoProposal")
        pfs = _enum(named.get("PerfectForwardSecrecyGroup", "None"),
                    (*_DH_IN, "none", "sameasmainmode"), "PerfectForwardSecrecyGroup")
        obj.pfs = _DH_IN.get(pfs, "mm" if pfs == "sameasmainmode" else None)
        return obj

    def _p1_set(self, named: dict[str, Any], lines: dict[str, int], _: list[Any]) -> ObjSet:
        return self._set("p1auth", named, AuthProposal, "New-NetIPsecAuthProposal")

    def _p2_set(self, named: dict[str, Any], lines: dict[str, int], _: list[Any]) -> ObjSet:
        return self._set("p2auth", named, AuthProposal, "New-NetIPsecAuthProposal")

    def _mm_rule(self, named: dict[str, Any], lines: dict[str, int],
                 _: list[Any]) -> MainModeRule:
        name = _name(named, "Name", f"<main-mode rule on line {self.line}>")
        rule = MainModeRule(
            name=name,
            display=_text(named.get("DisplayName")) or name,
            group=_text(named.get("Group")),
            line=self.line,
            local=self._nets(named.get("LocalAddress", "Any"), "LocalAddress"),
            remote=self._nets(named.get("RemoteAddress", "Any"), "RemoteAddress"),
            mm=self.ref("mmcrypto", named.get("MainModeCryptoSet"),
                        lines.get("MainModeCryptoSet", self.line)),
            auth=self.ref("p1auth", named.get("Phase1AuthSet"),
                          lines.get("Phase1AuthSet", self.line)),
        )
        self.add("mmrule", name, rule, self.line)
        self.mm_rules.append(rule)
        return rule

    def _ipsec_rule(self, named: dict[str, Any], lines: dict[str, int],
                    _: list[Any]) -> WinRule:
        display = _text(named.get("DisplayName"))
        name = _name(named, "IPsecRuleName", display or f"rule-line-{self.line}")
        w = WinRule(name=name, group=_text(named.get("Group")), line=self.line)
        description = named.get("Description", "")
        if isinstance(description, str):
            w.description = description
        else:
            self.note("warning", f"rule {name}: the description is computed at run time "
                      "(read as empty)")
        w.enabled = _bool(named.get("Enabled", True), "Enabled")
        w.mode = _enum(named.get("Mode", "Transport"), ("transport", "tunnel", "none"), "Mode")
        w.inbound = _enum(named.get("InboundSecurity", "None"), tuple(SECURITY),
                          "InboundSecurity")
        w.outbound = _enum(named.get("OutboundSecurity", "None"), tuple(SECURITY),
                           "OutboundSecurity")
        w.key_modules = tuple(_enum(v, ("default", "ikev1", "ikev2", "authip"), "KeyModule")
                              for v in _strings(named.get("KeyModule", "Default"), "KeyModule"))
        w.interfaces = frozenset(
            _enum(v, ("any", "wired", "wireless", "remoteaccess"), "InterfaceType")
            for v in _strings(named.get("InterfaceType", "Any"), "InterfaceType"))
        self._rule_filters(w, named)
        w.filter_line = lines.get("LocalAddress", lines.get("RemoteAddress", self.line))
        if w.mode == "tunnel":
            w.tunnel_local = self._endpoint(named.get("LocalTunnelEndpoint"),
                                            "LocalTunnelEndpoint", allow_any=True)
            w.tunnel_remote = self._endpoint(named.get("RemoteTunnelEndpoint"),
                                             "RemoteTunnelEndpoint", allow_any=False)
        w.qm = self.ref("qmcrypto", named.get("QuickModeCryptoSet"),
                        lines.get("QuickModeCryptoSet", self.line))
        w.p1 = self.ref("p1auth", named.get("Phase1AuthSet"),
                        lines.get("Phase1AuthSet", self.line))
        if self.ref("p2auth", named.get("Phase2AuthSet"),
                    lines.get("Phase2AuthSet", self.line)) is not None:
            self.note("warning", f"rule {name}: second (user/health) authentication "
                      "(-Phase2AuthSet) is not part of the policy model")
        ignored = sorted(k for k in ("Profile", "Platform", "InterfaceAlias", "User", "Machine",
                                     "RemoteTunnelHostname", "AllowWatchKey", "AllowSetKey",
                                     "ForwardPathLifetime", "EncryptedTunnelBypass",
                                     "RequireAuthorization") if k in named
                         and not (k == "Profile" and str(named[k]).lower() == "any"))
        if ignored:
            self.note("info", f"rule {name}: {', '.join('-' + k for k in ignored)} are not part "
                      "of the policy model")
        self.add("rule", name, w, self.line)
        self.rules.append(w)
        return w

    def _rule_filters(self, w: WinRule, named: dict[str, Any]) -> None:
        w.locals_ = self._nets(named.get("LocalAddress", "Any"), "LocalAddress")
        w.remotes = self._nets(named.get("RemoteAddress", "Any"), "RemoteAddress")
        w.protocol = _protocol(named.get("Protocol", "Any"))
        for param in ("LocalPort", "RemotePort"):
            if param not in named:
                continue
            ports = [_port(v, param) for v in _strings(named[param], param)]
            if ports != [None] and w.protocol not in PROTO_OUT:
                raise _Bad(f"-{param} needs -Protocol TCP or UDP (ICMP type/code and keyword "
                           "ports are not part of the policy model)")
            setattr(w, "lports" if param == "LocalPort" else "rports",
                    list(dict.fromkeys(ports)))

    def _nets(self, value: Any, param: str) -> list[IPv4Network]:
        out: list[IPv4Network] = []
        for item in _strings(value, param):
            low = item.lower()
            if low == "any":
                out.append(IPv4Network("0.0.0.0/0"))
            elif low in _ADDRESS_KEYWORDS:
                raise _Bad(f"-{param} {item}: address keywords are resolved by Windows at run "
                           "time; ccsec needs explicit addresses")
            elif ":" in item:
                self.note("warning", f"-{param}: IPv6 address skipped (the policy model is "
                          "IPv4)")
            else:
                out += _ipv4(item, param)
        if not out:
            raise _Bad(f"-{param} names no IPv4 address")
        return list(dict.fromkeys(out))

    def _endpoint(self, value: Any, param: str, allow_any: bool) -> IPv4Address:
        if value is None:
            if allow_any:
                return IPv4Address("0.0.0.0")
            raise _Bad(f"a tunnel rule needs -{param}")
        items = _strings(value, param)
        if len(items) > 1:
            self.note("warning", f"-{param} lists several endpoints: the first is read")
        if allow_any and items[0].lower() == "any":
            return IPv4Address("0.0.0.0")
        nets = _ipv4(items[0], param)
        if nets[0].prefixlen != 32:
            raise _Bad(f"-{param} must be one address")
        return nets[0].network_address

    def _open_gpo(self, named: dict[str, Any], lines: dict[str, int],
                  _: list[Any]) -> GpoSession | Dyn:
        store = named.get("PolicyStore")
        if isinstance(store, str):
            self._store(store)
            return GpoSession(store)
        return Dyn("a GPO session opened at run time")

    def _save_gpo(self, named: dict[str, Any], lines: dict[str, int], _: list[Any]) -> None:
        return None


def _resolve(spec: _Spec, cmdlet: str, tok: Tok) -> str:
    """A parameter as PowerShell binds it: exact name or alias, else a unique prefix."""
    given = tok.text.lower()
    if given in spec.params:
        return spec.params[given]
    if given in spec.aliases:
        return spec.aliases[given]
    hits = {spec.params[p] for p in spec.params if p.startswith(given)}
    hits |= {spec.aliases[a] for a in spec.aliases if a.startswith(given)}
    if len(hits) == 1:
        return hits.pop()
    if hits:
        raise _Bad(f"{cmdlet} -{tok.text[:40]} is ambiguous: {', '.join(sorted(hits))}",
                   tok.line)
    raise _Bad(f"{cmdlet} has no parameter -{tok.text[:40]}", tok.line)


def _member(value: Any, name: str) -> Any:
    if isinstance(value, Dyn):
        return value
    low = name.lower()
    if isinstance(value, (ObjSet, MainModeRule, WinRule)):
        if low == "name":
            return value.name
        if low == "displayname" and not isinstance(value, WinRule):
            return value.display
    if isinstance(value, GpoSession) and low == "policystore":
        return value.store
    return Dyn(f"the property .{name[:40]} is read at run time")


def _flatten(values: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if isinstance(v, list):
            out += _flatten(v)
        elif v is not None:
            out.append(v)
    return out


def _strings(value: Any, param: str, split: bool = True) -> list[str]:
    """A parameter value as strings ('Wired, Wireless' and Wired, Wireless alike)."""
    if isinstance(value, str):  # the common case, one text value: no list to flatten
        return [p.strip() for p in (value.split(",") if split else [value]) if p.strip()]
    out: list[str] = []
    for v in _flatten([value]):
        if isinstance(v, Dyn):
            raise _Bad(f"-{param}: {v.why}")
        if isinstance(v, bool) or not isinstance(v, (str, int)):
            raise _Bad(f"-{param} takes text, not an object")
        parts = str(v).split(",") if split else [str(v)]
        out += [p.strip() for p in parts if p.strip()]
    return out


def _enum(value: Any, allowed: Iterable[str], param: str) -> str:
    items = _strings(value, param)
    allowed = tuple(allowed)
    if len(items) != 1 or items[0].lower() not in allowed:
        shown = repr(", ".join(items)[:40])
        raise _Bad(f"-{param} {shown}: expected one of {', '.join(allowed)}")
    return items[0].lower()


def _given(named: dict[str, Any], param: str) -> bool:
    """Whether ``param`` names an algorithm (not absent, not ``None``)."""
    value = named.get(param)
    return value is not None and not (isinstance(value, str) and value.lower() == "none")


def _int(value: Any, param: str, lo: int) -> int:
    items = _strings(value, param)
    if len(items) != 1 or not _NUMBER.match(items[0]) or int(items[0]) < lo:
        raise _Bad(f"-{param} {', '.join(items)[:40]!r}: expected a whole number >= {lo}")
    return int(items[0])


def _bool(value: Any, param: str) -> bool:
    if isinstance(value, bool):
        return value
    word = _enum(value, ("true", "false", "1", "0"), param)
    return word in ("true", "1")


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _name(named: dict[str, Any], param: str, fallback: str) -> str:
    value = named.get(param)
    if value is None:
        return fallback
    if not isinstance(value, str) or not value:
        raise _Bad(f"-{param} must be a literal name")
    return value


def _ipv4(item: str, param: str) -> list[IPv4Network]:
    try:
        return list(_ipv4_nets(item))
    except (AddressValueError, NetmaskValueError, ValueError, TypeError):
        raise _Bad(f"-{param} {item[:40]!r} is not an IPv4 address, subnet or range") from None


@lru_cache(maxsize=65536)  # the same addresses recur in every script of a deployment
def _ipv4_nets(item: str) -> tuple[IPv4Network, ...]:
    if "-" in item:
        first, _, last = item.partition("-")
        return tuple(summarize_address_range(IPv4Address(first.strip()),
                                             IPv4Address(last.strip())))
    return (IPv4Network(item, strict=False),)


def _protocol(value: Any) -> int | None:
    word = _strings(value, "Protocol")
    if len(word) != 1:
        raise _Bad("-Protocol takes one protocol")
    low = word[0].lower()
    if low in PROTO_IN:
        return PROTO_IN[low]
    if _NUMBER.match(low) and int(low) <= 255:
        return int(low)
    raise _Bad(f"-Protocol {word[0][:40]!r}: expected Any, TCP, UDP, ICMPv4, ICMPv6 or 0..255")


def _port(value: str, param: str) -> int | None:
    if value.lower() == "any":
        return None
    if _NUMBER.match(value) and 1 <= int(value) <= 65535:
        return int(value)
    raise _Bad(f"-{param} {value[:40]!r}: the policy model takes single ports 1..65535 or Any "
               "(no ranges or keywords)")


def _esp_proposal(encap: frozenset[str],
                  named: dict[str, Any]) -> tuple[EspProposal | None, str | None]:
    """A quick-mode proposal in the model's terms, or why it has none."""
    if "none" in encap or not encap:
        return None, "-Encapsulation None protects nothing"
    ah: Integ | None = None
    if "ah" in encap:
        word = _enum(named.get("AHHash", "None"), _HASH_ALL, "AHHash")
        if word not in _QM_HASH_IN:
            return None, f"AH with -AHHash {word} has no model equivalent"
        ah = _QM_HASH_IN[word]
    if "esp" not in encap:
        return EspProposal(encryption=None, ah=ah), None
    enc = _enum(named.get("Encryption", "None"), _MM_ENCR_ALL, "Encryption")
    hsh = _enum(named.get("ESPHash", "None"), _HASH_ALL, "ESPHash")
    cipher = _QM_ENCR_IN[enc]
    if is_aead(cipher):
        if hsh not in ("none", GCM_HASH[cipher].lower()):
            raise _Bad(f"-Encryption {QM_ENCR[cipher]} pairs with -ESPHash {GCM_HASH[cipher]} "
                       f"(got {hsh}) [O]")
        return EspProposal(encryption=cipher, ah=ah), None
    if hsh != "none" and hsh not in _QM_HASH_IN:
        return None, f"-ESPHash {hsh} has no model equivalent without AES-GCM"
    integ = _QM_HASH_IN.get(hsh)
    if cipher == Encr.NULL and integ is None:
        return None, "ESP with neither encryption nor integrity"
    return EspProposal(encryption=cipher, integrity=integ, ah=ah), None


# --------------------------------------------------------------------------------- builder


class _Builder:
    """Turns the interpreted store into EndPolicies (one per -Group)."""

    def __init__(self, interp: _Interpreter, parsed: Parsed, meta: dict[str, object]) -> None:
        self.interp = interp
        self.parsed = parsed
        self.meta = meta
        self.source = interp.source
        self.mm_rule_of: dict[int, MainModeRule | None] = {}
        #: (group, Windows rule name) -> index in its group's list, for folding R.2 into R
        self.index: dict[tuple[str | None, str], int] = {}

    def note(self, line: int, severity: str, message: str) -> None:
        self.parsed.notes.append(Note(line, severity, message))  # type: ignore[arg-type]

    def build(self) -> None:
        by_group: dict[str | None, list[tuple[WinRule, Rule]]] = {}
        for w in self.interp.rules:
            rule = self._rule(w)
            rules = by_group.setdefault(w.group, [])
            if not self._merge(rules, w, rule):
                self.index.setdefault((w.group, w.name), len(rules))
                rules.append((w, rule))
        meta_name = meta_str(self.meta, "name")
        if not by_group:
            by_group[meta_name] = []
        stem = PurePath(self.source).stem if not self.source.startswith("<") else "ipsec"
        used: set[str] = set()
        for group, pairs in by_group.items():
            default = meta_name or to_ident(f"imported-{stem}", collapse=True)
            name = default if group is None else to_ident(group, collapse=True)
            is_meta = meta_name is not None and group in (None, meta_name)
            rules = self._unique(pairs)
            base, n = name, 2
            while name in used:
                name, n = f"{base[:76]}-{n}", n + 1
            used.add(name)
            self.parsed.policies.append(EndPolicy(
                name=name,
                description=(meta_str(self.meta, "description", "") or "") if is_meta else "",
                owner=meta_str(self.meta, "owner") if is_meta else None,
                platform=meta_str(self.meta, "platform") if is_meta else None,
                rules=tuple(rules),
            ))
        self.parsed.format_facts = PowerShellFacts(policy_stores=tuple(self.interp.stores))

    def _merge(self, rules: list[tuple[WinRule, Rule]], w: WinRule, rule: Rule) -> bool:
        """Fold ccsec's extra filter rules ``R.2``, ``R.3``… back into rule ``R``."""
        m = PART_RE.match(w.name)
        k = self.index.get((w.group, m.group(1))) if m else None
        if k is None:
            return False
        bw, base = rules[k]
        if rule.model_copy(update={"name": base.name, "filters": base.filters}) != base:
            return False
        rules[k] = (bw, base.model_copy(update={"filters": base.filters + rule.filters}))
        return True

    def _unique(self, pairs: list[tuple[WinRule, Rule]]) -> list[Rule]:
        out: list[Rule] = []
        seen: set[str] = set()
        for w, rule in pairs:
            name = rule.name
            n = 2
            while name.casefold() in seen:
                name = f"{rule.name[:76]}-{n}"
                n += 1
            if name != w.name:
                self.note(w.line, "info", f"rule name {w.name[:80]!r} read as {name}")
                rule = rule.model_copy(update={"name": name})
            seen.add(name.casefold())
            out.append(rule)
            self._locate(w, name)
        return out

    def _locate(self, w: WinRule, name: str) -> None:
        loc = self.parsed.locations
        loc.setdefault(name, w.line)
        mm_rule = self._main_mode_rule(w)
        mm = mm_rule.mm if mm_rule and mm_rule.mm else None
        loc.setdefault(f"{name}/ike", mm.line if mm else (mm_rule.line if mm_rule else w.line))
        loc.setdefault(f"{name}/esp", w.qm.line if w.qm else w.line)
        auth = w.p1 or (mm_rule.auth if mm_rule else None)
        loc.setdefault(f"{name}/auth", auth.line if auth else w.line)
        loc.setdefault(f"{name}/filters", w.filter_line or w.line)

    # ---------------------------------------------------------------- one rule

    def _rule(self, w: WinRule) -> Rule:
        mm_rule = self._main_mode_rule(w)
        proposals, ike_minutes = self._ike(w, mm_rule)
        esp, pfs, life_min, life_kb = self._esp(w, proposals)
        local, peer = self._addresses(w, mm_rule)
        action = "negotiate"
        if (w.inbound, w.outbound) == ("none", "none"):
            action = "permit"
            self.note(w.line, "info", f"rule {w.name[:80]}: security None/None exempts the "
                      "traffic (read as action permit)")
        elif (w.inbound, w.outbound) not in SECURITY_PAIRS:
            self.note(w.line, "warning", f"rule {w.name[:80]}: inbound {w.inbound} with "
                      f"outbound {w.outbound} is a pair New-NetIPsecRule rejects")
        if w.mode == "none":
            self.note(w.line, "warning", f"rule {w.name[:80]}: -Mode None read as transport")
        try:
            return Rule(
                name=to_ident(w.name, collapse=True),
                description=w.description,
                mode="tunnel" if w.mode == "tunnel" else "transport",
                local_address=local,
                peer_address=peer,
                filters=expand(w.locals_, w.remotes, w.protocol, w.lports, w.rports),
                action=action,  # type: ignore[arg-type]
                inbound=w.inbound,  # type: ignore[arg-type]
                outbound=w.outbound,  # type: ignore[arg-type]
                auth=self._auth(w, mm_rule),
                ike=Ike(version=self._version(w), proposals=proposals,  # type: ignore[arg-type]
                        lifetime_s=ike_minutes * 60),
                esp=esp,
                pfs_group=pfs,
                lifetime_s=life_min * 60,
                lifetime_kb=life_kb,
                connection_type=self._connection_type(w),  # type: ignore[arg-type]
                enabled=w.enabled,
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(x) for x in first.get("loc", ()))
            raise ParseError(Problem(f"rule {w.name[:80]}: {where}: {first.get('msg', '')}",
                                     self.source, w.line)) from None

    def _main_mode_rule(self, w: WinRule) -> MainModeRule | None:
        """The main-mode rule for ``w``: ccsec's name for it, else the first whose scope
        covers the rule's IKE addresses."""
        if id(w) not in self.mm_rule_of:
            self.mm_rule_of[id(w)] = self._find_main_mode_rule(w)
        return self.mm_rule_of[id(w)]

    def _find_main_mode_rule(self, w: WinRule) -> MainModeRule | None:
        by_name = self.interp.objects["mmrule"]
        base = PART_RE.match(w.name)
        for name in (w.name, base.group(1) if base else None):
            if name is not None and (name + SUFFIX_MMRULE).casefold() in by_name:
                return by_name[(name + SUFFIX_MMRULE).casefold()]  # type: ignore[no-any-return]
        if w.mode == "tunnel" and w.tunnel_local is not None and w.tunnel_remote is not None:
            here = IPv4Network(w.tunnel_local)
            there = IPv4Network(w.tunnel_remote)
        else:
            here, there = w.locals_[0], w.remotes[0]
        for r in self.interp.mm_rules:
            if any(here.subnet_of(n) for n in r.local) and \
                    any(there.subnet_of(n) for n in r.remote):
                return r
        return None

    def _ike(self, w: WinRule, mm_rule: MainModeRule | None) -> tuple[tuple[IkeProposal, ...],
                                                                      int]:
        mm = mm_rule.mm if mm_rule and mm_rule.mm else self.interp.defaults.get("mmcrypto")
        if mm is None:
            self.note(w.line, "warning", f"rule {w.name[:80]}: no main-mode crypto set applies "
                      "(no main-mode rule covers it): Windows' default set is assumed [V]")
            return DEFAULT_MM, DEFAULT_MM_MINUTES
        props = tuple(dict.fromkeys(p.proposal for p in mm.items if p.proposal is not None))
        if not props:
            raise ParseError(Problem(f"main-mode crypto set '{mm.name[:80]}' has no usable "
                                     "proposal (see the notes)", self.source, mm.line))
        return props, mm.minutes

    def _esp(self, w: WinRule, mm: tuple[IkeProposal, ...]
             ) -> tuple[tuple[EspProposal, ...], int | None, int, int]:
        qm = w.qm or self.interp.defaults.get("qmcrypto")
        if qm is None:
            self.note(w.line, "warning", f"rule {w.name[:80]}: no quick-mode crypto set: "
                      "Windows' default set is assumed [V]")
            return DEFAULT_QM, None, DEFAULT_QM_MINUTES, DEFAULT_QM_KB
        usable = [p for p in qm.items if p.proposal is not None]
        if not usable:
            raise ParseError(Problem(f"quick-mode crypto set '{qm.name[:80]}' has no usable "
                                     "proposal (see the notes)", self.source, qm.line))
        lives = {(p.minutes, p.kb) for p in usable}
        if len(lives) > 1:
            self.note(qm.line, "warning", f"quick-mode crypto set '{qm.name[:80]}': its "
                      "proposals differ in lifetime; the first one's is read")
        pfs = qm.pfs
        if pfs == "mm":
            groups = list(dict.fromkeys(p.group for p in mm))
            if len(groups) > 1:
                self.note(qm.line, "warning", "PFS SameAsMainMode with main-mode proposals of "
                          "several groups: the first group is read")
            pfs = groups[0]
        esp = tuple(dict.fromkeys(p.proposal for p in usable))
        return esp, pfs, usable[0].minutes, usable[0].kb  # type: ignore[return-value]

    def _auth(self, w: WinRule, mm_rule: MainModeRule | None) -> tuple[Auth, ...]:
        p1 = w.p1
        if mm_rule and mm_rule.auth is not None:
            if p1 is not None and p1 is not mm_rule.auth:
                self.note(w.line, "warning", f"rule {w.name[:80]} and its main-mode rule name "
                          "different phase-1 authentication sets: the rule's is read")
            p1 = p1 or mm_rule.auth
        p1 = p1 or self.interp.defaults.get("p1auth")
        if p1 is None:
            self.note(w.line, "warning", f"rule {w.name[:80]}: no phase-1 authentication set: "
                      "Windows' default (computer Kerberos) is assumed [V]")
            return (Auth(method="kerberos"),)
        auth = tuple(p.auth for p in p1.items if p.auth is not None)
        if not auth:
            raise ParseError(Problem(f"phase-1 authentication set '{p1.name[:80]}' has no "
                                     "method the policy model knows (see the notes)",
                                     self.source, p1.line))
        return auth

    def _version(self, w: WinRule) -> int:
        modules = set(w.key_modules)
        if modules == {"ikev2"}:
            return 2
        if modules == {"ikev1"}:
            return 1
        self.note(w.line, "warning", f"rule {w.name[:80]}: -KeyModule "
                  f"{', '.join(sorted(modules))} lets Windows choose the keying module (Default "
                  "= IKEv1 + AuthIP, IKEv1 + IKEv2 from Windows 11 24H2); read as IKEv1")
        return 1

    def _connection_type(self, w: WinRule) -> str:
        kinds = w.interfaces
        if "any" in kinds or kinds == {"wired", "wireless", "remoteaccess"}:
            return "all"
        if kinds == {"remoteaccess"}:
            return "dialup"
        if kinds <= {"wired", "wireless"}:
            if kinds != {"wired", "wireless"}:
                self.note(w.line, "info", f"rule {w.name[:80]}: -InterfaceType "
                          f"{next(iter(kinds)).capitalize()} read as connection type lan "
                          "(wired and wireless)")
            return "lan"
        self.note(w.line, "warning", f"rule {w.name[:80]}: -InterfaceType "
                  f"{', '.join(sorted(kinds))} read as connection type all")
        return "all"

    def _addresses(self, w: WinRule, mm_rule: MainModeRule | None
                   ) -> tuple[IPv4Address, IPv4Address]:
        if w.mode == "tunnel":
            assert w.tunnel_local is not None and w.tunnel_remote is not None
            return w.tunnel_local, w.tunnel_remote
        if mm_rule is not None and len(mm_rule.local) == 1 and len(mm_rule.remote) == 1:
            here, there = mm_rule.local[0], mm_rule.remote[0]
            if here.prefixlen == 32 and there.prefixlen == 32:
                return here.network_address, there.network_address
        return w.locals_[0].network_address, w.remotes[0].network_address


FORMAT = WindowsPowerShell()
