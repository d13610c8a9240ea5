"""The cmdlets the PowerShell interpreter evaluates, and how PowerShell binds their parameters.

One :class:`CmdletSpec` per NetSecurity cmdlet: its value parameters, switches, aliases and
positional parameters, from the cmdlet reference (platform-syntax.md §4 [D]) plus the common
parameters every cmdlet takes.  :func:`resolve_param` binds ``-Param`` as PowerShell does: the
exact name or alias, else a unique prefix.  The other tables sort commands the interpreter
does not evaluate: removals, read-only and output commands, language keywords.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ccsec.formats.windows.ps_lexer import Tok
from ccsec.formats.windows.ps_values import BadStatement


@dataclass(frozen=True)
class CmdletSpec:
    """A cmdlet's parameters: canonical name by lower-case name, switches, aliases."""

    handler: str
    params: dict[str, str]
    switches: frozenset[str]
    aliases: dict[str, str]
    positional: tuple[str, ...] = ()
    #: parameter names as written → the parameter :func:`resolve_param` bound them to
    bound: dict[str, str] = field(default_factory=dict, compare=False)


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
          positional: tuple[str, ...] = ()) -> CmdletSpec:
    names = (values + " " + _COMMON_VALUES).split()
    flags = (switches + " Verbose Debug").split()
    params = {n.lower(): n for n in names + flags}
    alias = {k: v for k, v in _COMMON_ALIASES.items() if v.lower() in params}
    alias.update({k.lower(): v for k, v in (aliases or {}).items()})
    return CmdletSpec(handler, params, frozenset(f.lower() for f in flags), alias, positional)


CMDLETS: dict[str, CmdletSpec] = {
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
REMOVE_SPEC = _spec("remove", _STORE_VALUES + " Name IPsecRuleName DisplayName Group "
                    "DisplayGroup InputObject", _STORE_SWITCHES + " All",
                    {"ID": "Name", "PassThru": "PassThru"})
REMOVE_KINDS = {"remove-netipsecrule": "rule", "remove-netipsecmainmoderule": "mmrule",
                "remove-netipsecmainmodecryptoset": "mmcrypto",
                "remove-netipsecquickmodecryptoset": "qmcrypto",
                "remove-netipsecphase1authset": "p1auth", "remove-netipsecphase2authset": "p2auth"}
#: commands with no effect on the policy a script builds
QUIET = frozenset({"write-host", "write-output", "write-verbose", "write-warning", "write-debug",
                   "write-information", "set-strictmode", "import-module", "out-null",
                   "out-default", "out-host", "start-transcript", "stop-transcript",
                   "where-object", "select-object", "sort-object", "format-table",
                   "format-list", "tee-object", "foreach-object"})
READ_ONLY = re.compile(r"^(get|test|find|show|measure|resolve|convertto|compare)-")
KEYWORDS = frozenset({"if", "elseif", "else", "foreach", "for", "while", "do", "until", "switch",
                      "function", "filter", "workflow", "try", "catch", "finally", "trap",
                      "return", "exit", "throw", "break", "continue", "begin", "process", "end",
                      "class", "enum", "data", "dynamicparam"})
CMDLET_NAME = re.compile(r"^[A-Za-z]{1,20}-[A-Za-z0-9]{1,60}$")


def safe_name(word: str) -> str:
    """A command name fit for a note (never echo arbitrary text: it could be a key)."""
    return word if CMDLET_NAME.match(word) else "a command"


def resolve_param(spec: CmdletSpec, cmdlet: str, tok: Tok) -> str:
    """A parameter as PowerShell binds it: exact name or alias, else a unique prefix."""
    known = spec.bound.get(tok.text)
    if known is not None:
        return known
    name = _resolve(spec, cmdlet, tok)
    if len(spec.bound) < 4096:
        spec.bound[tok.text] = name
    return name


def _resolve(spec: CmdletSpec, cmdlet: str, tok: Tok) -> str:
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
        raise BadStatement(f"{cmdlet} -{tok.text[:40]} is ambiguous: "
                           f"{', '.join(sorted(hits))}", tok.line)
    raise BadStatement(f"{cmdlet} has no parameter -{tok.text[:40]}", tok.line)

