"""Windows Firewall with Advanced Security connection security rules, as a PowerShell script.

The modern Windows store (WFAS) driven through the ``NetSecurity`` module: main-mode crypto
proposals → set, authentication proposals → phase-1 auth set, quick-mode crypto proposals → set,
a main-mode rule and the connection security rule itself (``New-NetIPsecRule``).  Syntax and
values: ``shared/reference/platform-syntax.md`` §4 (cmdlet reference [D]; marks kept below).

Render — one reviewable, idempotent script per Windows end:

* ``#Requires -Modules NetSecurity``, a ``param()`` whose ``-Store`` is splatted into every
  cmdlet: ``@{ PolicyStore = 'PersistentStore' }`` by default, or ``@{ GPOSession = $s }`` for
  a GPO opened once with ``Open-NetGPO`` and saved once with ``Save-NetGPO`` (naming the GPO on
  each cmdlet would load and save the whole GPO per cmdlet, as the ``-GPOSession`` reference
  says); strict mode and ``$ErrorActionPreference = 'Stop'`` (a failing cmdlet stops the script);
* first every object of this policy's group is removed with the cmdlets' own ``-Group``
  parameter (no object property to name under ``Set-StrictMode``: the rule objects' property
  is ``RuleGroup``), rules before the sets they reference, so a re-run replaces instead of
  duplicating;
* then per rule: main-mode crypto proposals + set, authentication proposals + phase-1 auth set
  (several methods = one ordered proposal list), quick-mode proposals + set (PFS group),
  a main-mode rule scoped to the rule's IKE addresses, and the connection security rule —
  sets always before the rules that reference them (``$set.Name``);
* object names derive from the rule name (platform-syntax.md §7.2): rule ``R`` is the
  connection security rule ``R``; ``R.MainModeCrypto``, ``R.Phase1Auth``, ``R.QuickModeCrypto``
  and ``R.MainModeRule`` are its objects.  Filters that are not one address×address×port
  product become extra rules ``R.2``, ``R.3`` … sharing R's sets (rule names never hold a dot,
  so these never collide);
* every string from the model goes through :func:`.text.ps_literal`, a PowerShell
  single-quoted literal in which all five single-quote characters (``'`` and U+2018–U+201B,
  which PowerShell treats alike) are doubled: a description can hold quotes, newlines,
  ``$(…)``, backticks or ``#>`` and stays text.  Only identifiers, IP addresses and enum
  keywords are written bare;
* the file starts with a UTF-8 BOM: Windows PowerShell 5.1 reads a script without one in the
  ANSI code page, where the bytes of some characters (e.g. ``ё`` = D1 91) decode to a
  typographic quote and would end a string early;
* DH groups go through IANA numbers (``DH14`` = IANA 14); AES-GCM quick mode is
  ``-Encryption AESGCMn -ESPHash AESGMACn`` [O]; ``lan`` connections are ``-InterfaceType
  Wired, Wireless`` (the legacy "LAN" type covers every LAN adapter, wireless included),
  ``dialup`` is ``RemoteAccess``, ``all`` is ``Any``.

Lost on the way (the ``LOSSES`` table of :mod:`.ps_support`, applied by ``project``), because
NetSecurity has no place for them:

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

Refused (the support tables of :mod:`.ps_support`, one sentence each, naming the rule): IKEv2
with Kerberos or a pre-shared key (Windows IKEv2 is certificate-only [D]; PSK over IKEv2 is only
[O]), aggressive mode, AEAD or a PRF in main mode, algorithms and groups outside
``crypto.CAPABILITIES["windows"]`` or the cmdlets' value lists, ENCR_NULL_AUTH_AES_GMAC (Windows
writes GMAC as an ESP hash), lifetimes outside the cmdlet ranges or not whole minutes, AH with
transport-mode IKEv2 [D], security pairs the cmdlet rejects, permit/block actions (those are
firewall rules, not connection security rules), certificate auth without a CA, one-way filters,
ports without TCP/UDP, NAT traversal switched off, duplicate rule names, a NUL in text, two
rules between the same IKE addresses with different main-mode settings (Windows keeps one main
mode per address pair).

Parse: ccsec output and hand-written scripts in the same cmdlet style — variables assigned from
proposal/set cmdlets and used as ``$var`` or ``$var.Name``, inline ``(New-… )`` and ``@(…)``,
backtick continuations, ``-Param:value``, unique parameter-name prefixes and aliases, en/em
dashes, typographic quotes, here-strings, ``Open-NetGPO``/``-GPOSession``/``Save-NetGPO``,
``-Default`` sets, the built-in default set names.  Defaults Windows applies when a script
leaves something out are used with a note ([V] where undocumented).  Anything else becomes a
:class:`Note` with its line; a rule naming a set the script never created is a
:class:`ParseError` naming the line.  Only ``ParseError`` ever escapes :meth:`parse`.

The parts: :mod:`.vocabulary` (cmdlet values, limits, Windows' defaults), :mod:`.text` (the
quoting), :mod:`.ps_support` (what it refuses and loses, as tables; rows both Windows formats
share in :mod:`.support`), this module (render), :mod:`.ps_lexer` (:mod:`.ps_templates`) →
:mod:`.ps_interpreter` (with :mod:`.ps_cmdlets` and :mod:`.ps_values`) → :mod:`.netsecurity`
(store → policy).
"""

from __future__ import annotations

from ipaddress import IPv4Network

from ccsec.crypto import EspProposal, is_aead
from ccsec.errors import Problem, UnsupportedError
from ccsec.formats.base import (
    Format,
    Parsed,
    RenderContext,
    read_meta,
)
from ccsec.formats.dn import encoding_order
from ccsec.formats.windows import ps_support as support
from ccsec.formats.windows.netsecurity import PolicyBuilder, filter_groups, object_names
from ccsec.formats.windows.ps_interpreter import Interpreter
from ccsec.formats.windows.ps_templates import units_of
from ccsec.formats.windows.text import (
    ps_literal,
    ps_psk_problem,
)
from ccsec.formats.windows.vocabulary import (
    DH_NAMES,
    GCM_HASH,
    INTERFACE,
    MM_ENCR,
    MM_HASH,
    NO_VOLUME_LIMIT_KB,
    PROTO_OUT,
    QM_ENCR,
    QM_HASH,
    SECURITY,
)
from ccsec.policy import Auth, EndPolicy, Filter, Rule, v4net


def _net_out(net: IPv4Network) -> str:
    if net.prefixlen == 0:
        return "Any"
    return str(net.network_address) if net.prefixlen == 32 else str(net)


# --------------------------------------------------------------------------- the format


class WindowsPowerShell(Format):
    name = "windows-powershell"
    title = "Windows Firewall with Advanced Security connection security rules (PowerShell)"
    file_name = "ipsec.ps1"
    comment = "#"
    proof = "syntax"
    proof_note = ("pinned to the cmdlet reference (Microsoft Learn: NetSecurity module); not "
                  "run on Windows here; the script as read back is played by strongSwan in ccsec "
                  "lab run, with Windows' identity rules")
    # what it cannot express and what it loses: the tables of .ps_support
    END_REFUSALS = support.END_REFUSALS
    RULE_IN_END_REFUSALS = support.RULE_IN_END_REFUSALS
    REFUSALS = support.REFUSALS
    LATE_END_REFUSALS = support.LATE_END_REFUSALS
    LOSSES = support.LOSSES

    # ------------------------------------------------------------------ render

    def render(self, end: EndPolicy, ctx: RenderContext, checked: bool = False) -> str:
        return "\ufeff" + super().render(end, ctx, checked)

    def render_body(self, end: EndPolicy, ctx: RenderContext) -> list[str]:
        lines = self._preamble(end)
        for rule in end.rules:
            lines += self._rule_lines(end.name, rule, ctx)
        return lines

    def _preamble(self, end: EndPolicy) -> list[str]:
        group = ps_literal(end.name)
        out = [
            "#Requires -Modules NetSecurity",
            "#",
            f"# Connection security rules of policy {end.name}, one group in the policy store.",
            "# Apply from an elevated PowerShell prompt on this end:",
            "#     .\\ipsec.ps1",
            "# or write the rules into a Group Policy object (one GPO per end: the rules name",
            "# this end's addresses), in one GPO session so that the GPO is loaded and saved",
            "# once, not by every cmdlet (Open-NetGPO / Save-NetGPO, NetSecurity reference):",
            "#     $s = Open-NetGPO -PolicyStore 'corp.example.net\\CC IPsec <this host>'",
            "#     .\\ipsec.ps1 -Store @{ GPOSession = $s }",
            "#     Save-NetGPO -GPOSession $s",
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
            "    # the store every cmdlet writes to: this computer's own, or a GPO session",
            "    [hashtable] $Store = @{ PolicyStore = 'PersistentStore' }",
            ")",
            "Set-StrictMode -Version 3.0",
            "$ErrorActionPreference = 'Stop'",
            "",
            f"# remove what an earlier run created (group {end.name}), rules before their sets,",
            "# selected by the cmdlets' own -Group; none yet is no error (a removal that fails",
            "# otherwise stops the script at the New- cmdlet that meets the old object)",
        ]
        for noun in ("Rule", "MainModeRule", "Phase1AuthSet", "QuickModeCryptoSet",
                     "MainModeCryptoSet"):
            out.append(f"Remove-NetIPsec{noun} @Store -Group {group} "
                       "-ErrorAction SilentlyContinue")
        return out

    def _rule_lines(self, policy: str, rule: Rule, ctx: RenderContext) -> list[str]:
        target = f"@Store -Group {ps_literal(policy)}"
        mm_name, auth_name, qm_name, mmrule_name = object_names(rule.name)
        out = ["", f"# --- rule {rule.name}: IKEv{rule.ike.version}, {rule.mode} mode"]
        if rule.ike.version == 2 and rule.mode == "tunnel":
            out.append("# [V] IKEv2 tunnel-mode rules are reported to fail on some Windows "
                       "releases ('The choice of key modules is invalid') [O]")
        mm_vars = []
        for i, ike in enumerate(rule.ike.proposals, 1):
            assert ike.integrity is not None  # unsupported() refused AEAD main mode
            mm_vars.append(f"$mmProposal{i}")
            out.append(f"$mmProposal{i} = New-NetIPsecMainModeCryptoProposal -Encryption "
                       f"{MM_ENCR[ike.encryption]} -Hash {MM_HASH[ike.integrity]} -KeyExchange "
                       f"{DH_NAMES[ike.group]}")
        out += _command("$mmCrypto = New-NetIPsecMainModeCryptoSet", [
            target, f"-Name {ps_literal(mm_name)} -DisplayName {ps_literal(mm_name)}",
            f"-Proposal {', '.join(mm_vars)} -MaxMinutes {rule.ike.lifetime_s // 60}",
        ])
        auth_vars = []
        for i, a in enumerate(rule.auth, 1):
            auth_vars.append(f"$authProposal{i}")
            out.append(f"$authProposal{i} = New-NetIPsecAuthProposal -Machine "
                       + self._auth_args(rule, a, ctx))
        out += _command("$phase1Auth = New-NetIPsecPhase1AuthSet", [
            target, f"-Name {ps_literal(auth_name)} -DisplayName {ps_literal(auth_name)}",
            f"-Proposal {', '.join(auth_vars)}",
        ])
        qm_vars = []
        for i, esp in enumerate(rule.esp, 1):
            qm_vars.append(f"$qmProposal{i}")
            out.append(f"$qmProposal{i} = New-NetIPsecQuickModeCryptoProposal "
                       + _qm_args(esp, rule.lifetime_s, rule.lifetime_kb))
        pfs = DH_NAMES[rule.pfs_group] if rule.pfs_group is not None else "None"
        out += _command("$qmCrypto = New-NetIPsecQuickModeCryptoSet", [
            target, f"-Name {ps_literal(qm_name)} -DisplayName {ps_literal(qm_name)}",
            f"-Proposal {', '.join(qm_vars)} -PerfectForwardSecrecyGroup {pfs}",
        ])
        enabled = "True" if rule.enabled else "False"
        out += _command("$mainModeRule = New-NetIPsecMainModeRule", [
            target, f"-Name {ps_literal(mmrule_name)} -DisplayName {ps_literal(mmrule_name)}",
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
        parts = [target, f"-IPsecRuleName {ps_literal(name)} -DisplayName {ps_literal(name)}"]
        if rule.description:
            parts.append(f"-Description {ps_literal(rule.description)}")
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
        locals_ = ", ".join(dict.fromkeys(_net_out(v4net(x.local)) for x in filters))
        remotes = ", ".join(dict.fromkeys(_net_out(v4net(x.remote)) for x in filters))
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
            # the CA's DN in encoding order, as Microsoft's -Authority examples write it
            # (ccsec.formats.dn) [V]
            return (f"-Cert -Authority {ps_literal(encoding_order(auth.ca or ''))} "
                    "-AuthorityType Root")
        key = ctx.reveal(auth.psk, f"rule {rule.name} psk")
        problem = ps_psk_problem(key)
        if problem:
            raise UnsupportedError(Problem(f"rule {rule.name}: the pre-shared key contains "
                                           f"{problem}", field=f"rule {rule.name} psk",
                                           fix="choose another key"))
        return f"-PreSharedKey {ps_literal(key)}"

    # ------------------------------------------------------------------- parse

    def parse(self, text: str, source: str = "<text>") -> Parsed:
        text = text.removeprefix("\ufeff")
        parsed = Parsed(policies=[], source=source, format=self.name)
        meta = read_meta(text.split("\n", 25)[:25], self.comment)
        interpreter = Interpreter(source, parsed)
        units, error = units_of(text, source)
        for stmt in units:
            interpreter.run(stmt)
        if error is not None:  # a bracket error after the statements before it
            raise error
        PolicyBuilder(interpreter.store, parsed, meta, source).build()
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


FORMAT = WindowsPowerShell()
