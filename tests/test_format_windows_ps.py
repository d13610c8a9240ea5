"""NetSecurity scripts: quoting and injection, hand-written scripts, refusals, secrets, fuzz."""

from __future__ import annotations

import contextlib
from ipaddress import IPv4Address, IPv4Network
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pygments.lexers.shell import PowerShellLexer
from pygments.token import Comment, Name, String

from ccsec.crypto import CAPABILITIES, Encr, EspProposal, IkeProposal, Integ, Prf
from ccsec.errors import ParseError, UnsupportedError
from ccsec.formats.base import RenderContext
from ccsec.formats.facts import PowerShellFacts
from ccsec.formats.windows.powershell import FORMAT
from ccsec.formats.windows.ps_lexer import command_names, tokenize
from ccsec.formats.windows.text import ps_literal
from ccsec.formats.windows.vocabulary import (
    DH_NAMES,
    MM_ENCR,
    MM_HASH,
    NO_VOLUME_LIMIT_KB,
    QM_ENCR,
    QM_HASH,
)
from ccsec.policy import Auth, EndPolicy, Filter, Ike, Rule
from ccsec.secrets import literal
from modeldiff import assert_same

CTX = RenderContext("t", "test")
HOST, PEER = IPv4Address("10.10.20.15"), IPv4Address("10.20.30.40")


def net(text: str) -> IPv4Network:
    return IPv4Network(text)


def make_rule(**kw: Any) -> Rule:
    doc: dict[str, Any] = {
        "name": "app-db",
        "description": "app1 <-> db1",
        "local_address": HOST,
        "peer_address": PEER,
        "filters": (Filter(local=net("10.10.20.15/32"), remote=net("10.20.30.40/32")),),
        "auth": (Auth(method="kerberos"),),
        "ike": Ike(version=1, proposals=(
            IkeProposal(encryption=Encr.AES256, integrity=Integ.SHA256, group=19),)),
        "esp": (EspProposal(encryption=Encr.AES256GCM),),
        "pfs_group": 19,
    }
    doc.update(kw)
    return Rule(**doc)


def make_end(*rules: Rule, **kw: Any) -> EndPolicy:
    doc: dict[str, Any] = {"name": "ccsec-app1", "owner": "app1", "platform": "windows",
                           "description": "policy of app1", "rules": rules}
    doc.update(kw)
    return EndPolicy(**doc)


def roundtrip(end: EndPolicy) -> tuple[str, Any]:
    text = FORMAT.render(end, CTX)
    parsed = FORMAT.parse(text, "app1/ipsec.ps1")
    assert_same(parsed.policies, [FORMAT.project(end, CTX)])
    assert not [n for n in parsed.notes if n.severity == "warning"], parsed.notes
    return text, parsed


# --------------------------------------------------------------------- quoting, injection

#: what a one-rule policy's script invokes, and nothing else
ONE_RULE_COMMANDS = [
    "param", "Set-StrictMode",
    *[f"Remove-NetIPsec{noun}" for noun in ("Rule", "MainModeRule", "Phase1AuthSet",
                                            "QuickModeCryptoSet", "MainModeCryptoSet")],
    "New-NetIPsecMainModeCryptoProposal", "New-NetIPsecMainModeCryptoSet",
    "New-NetIPsecAuthProposal", "New-NetIPsecPhase1AuthSet",
    "New-NetIPsecQuickModeCryptoProposal", "New-NetIPsecQuickModeCryptoSet",
    "New-NetIPsecMainModeRule", "New-NetIPsecRule",
]
INJECTIONS = [
    "'; Remove-NetIPsecRule -All; '",
    "harmless\nRemove-NetIPsecRule -All\n",
    "x'\r\nRemove-NetIPsecRule -All #",
    "\u2019; Remove-NetIPsecRule -All; \u2018",
    "\u201b\u201a $(Remove-NetIPsecRule -All) `whoami` ${env:X} #> <# '@ \"@ \u2019",
    "'' ''' \u2018\u2019\u2019 end",
]


@pytest.mark.parametrize("payload", INJECTIONS)
def test_injected_description_stays_text(payload: str) -> None:
    end = make_end(make_rule(description=payload), description=payload)
    text, parsed = roundtrip(end)
    assert parsed.policies[0].rules[0].description == payload
    assert command_names(text) == ONE_RULE_COMMANDS


@pytest.mark.parametrize("payload", [p for p in INJECTIONS if p.isascii()])
def test_pygments_sees_the_payload_only_inside_strings(payload: str) -> None:
    """An independent lexer agrees: the injected command is string content, never a name."""
    text = FORMAT.render(make_end(make_rule(description=payload)), CTX)
    tokens = list(PowerShellLexer().get_tokens(text))
    names = [v for t, v in tokens if t in Name.Builtin or t in Name]
    assert names.count("Remove-NetIPsecRule") == 1  # the clean-up at the top
    assert "-All" not in names
    strings = "".join(v for t, v in tokens if t in String)
    # pygments reads \r\n and \r as \n before lexing
    assert payload.replace("'", "''").replace("\r\n", "\n").replace("\r", "\n") in strings
    comments = "".join(v for t, v in tokens if t in Comment)
    assert "Remove-NetIPsecRule -All" not in comments


def test_quote_doubles_all_five_single_quotes() -> None:
    assert ps_literal("a'b\u2018c\u2019d\u201ae\u201bf") == \
        "'a''b\u2018\u2018c\u2019\u2019d\u201a\u201ae\u201b\u201bf'"
    assert ps_literal('say "hi" $(x) `n') == "'say \"hi\" $(x) `n'"
    assert ps_literal("it's 'x'") == "'it''s ''x'''"  # ASCII: the quick way, same rule
    with pytest.raises(UnsupportedError):
        ps_literal("nul\0here")


@given(st.text(alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\0")))
def test_quote_round_trips_through_the_tokenizer(value: str) -> None:
    (tok,) = tokenize(ps_literal(value))
    assert (tok.kind, tok.text, tok.dynamic) == ("str", value, False)


def test_script_shape_and_bom() -> None:
    text = FORMAT.render(make_end(make_rule()), CTX)
    assert text.startswith("\ufeff# generated by ccsec")
    lines = text.lstrip("\ufeff").splitlines()
    assert "#Requires -Modules NetSecurity" in lines
    assert "    [hashtable] $Store = @{ PolicyStore = 'PersistentStore' }" in lines
    assert any("Open-NetGPO -PolicyStore 'corp.example.net" in line for line in lines)  # GPO
    # sets exist before the rules that name them, and each object has a stable name
    order = [c for c in command_names(text) if c.startswith("New-NetIPsec")]
    assert order.index("New-NetIPsecPhase1AuthSet") < order.index("New-NetIPsecMainModeRule")
    assert order.index("New-NetIPsecQuickModeCryptoSet") < order.index("New-NetIPsecRule")
    for name in ("app-db.MainModeCrypto", "app-db.Phase1Auth", "app-db.QuickModeCrypto",
                 "app-db.MainModeRule"):
        assert f"-Name '{name}'" in text
    assert "-IPsecRuleName 'app-db'" in text and "-Group 'ccsec-app1'" in text
    assert "-Encryption AESGCM256 -ESPHash AESGMAC256" in text
    assert "-PerfectForwardSecrecyGroup DH19" in text and "-KeyExchange DH19" in text


# ------------------------------------------------------------------ what the script says


def test_vocabulary_matches_the_windows_capability() -> None:
    cap = CAPABILITIES["windows"]
    assert set(DH_NAMES) == cap.groups == cap.pfs_groups
    assert set(MM_ENCR) == cap.ike_encr and set(MM_HASH) == cap.ike_integ
    assert set(QM_HASH) == cap.esp_integ
    # ENCR_NULL_AUTH_AES_GMAC is in the capability table but has no cmdlet form of its own
    assert set(QM_ENCR) == cap.esp_encr - {Encr.AES128GMAC, Encr.AES256GMAC}


def test_several_auth_methods_form_one_ordered_proposal_list() -> None:
    auth = (Auth(method="certificate", ca="CN=CC Root, O=Example"), Auth(method="kerberos"),
            Auth(method="psk", psk=literal("k1")))
    text, parsed = roundtrip(make_end(make_rule(auth=auth)))
    assert "-Proposal $authProposal1, $authProposal2, $authProposal3" in text
    assert [a.method for a in parsed.policies[0].rules[0].auth] == \
        ["certificate", "kerberos", "psk"]


def test_filters_that_are_not_a_product_become_numbered_rules() -> None:
    filters = (
        Filter(local=net("10.10.20.15/32"), remote=net("10.20.30.40/32"), protocol=6,
               local_port=1433),
        Filter(local=net("10.10.20.15/32"), remote=net("10.20.30.40/32"), protocol=17,
               remote_port=1434),
    )
    text, parsed = roundtrip(make_end(make_rule(filters=filters)))
    assert "-IPsecRuleName 'app-db.2'" in text
    assert "-Protocol TCP `\n    -LocalPort 1433 -RemotePort Any" in text
    assert command_names(text).count("New-NetIPsecRule") == 2
    assert [r.name for r in parsed.policies[0].rules] == ["app-db"]


def test_a_product_of_filters_is_one_rule() -> None:
    filters = tuple(Filter(local=lo, remote=re) for lo in (net("10.1.0.0/16"), net("10.2.0.0/16"))
                    for re in (net("10.9.0.0/24"), net("0.0.0.0/0")))
    text, _ = roundtrip(make_end(make_rule(mode="tunnel", filters=filters,
                                           local_address=IPv4Address("198.51.100.10"),
                                           peer_address=IPv4Address("203.0.113.20"))))
    assert "-LocalAddress 10.1.0.0/16, 10.2.0.0/16 -RemoteAddress 10.9.0.0/24, Any" in text
    assert "-LocalTunnelEndpoint 198.51.100.10 -RemoteTunnelEndpoint 203.0.113.20" in text
    assert command_names(text).count("New-NetIPsecRule") == 1


def test_no_volume_limit_becomes_the_largest_windows_accepts() -> None:
    end = make_end(make_rule(lifetime_kb=None))
    text, parsed = roundtrip(end)
    assert f"-MaxKiloBytes {NO_VOLUME_LIMIT_KB}" in text
    assert parsed.policies[0].rules[0].lifetime_kb == NO_VOLUME_LIMIT_KB


@pytest.mark.parametrize(("ctype", "written"), [("all", "Any"), ("lan", "Wired, Wireless"),
                                                 ("dialup", "RemoteAccess")])
def test_connection_types(ctype: str, written: str) -> None:
    text, parsed = roundtrip(make_end(make_rule(connection_type=ctype)))
    assert f"-InterfaceType {written} " in text
    assert parsed.policies[0].rules[0].connection_type == ctype


def test_what_project_drops() -> None:
    r = make_rule(dpd_s=10, initiate=True, qos_preclassify=True, nat_keepalive_s=20,
                  auth=(Auth(method="certificate", ca="CN=R"),),
                  local_id=None, peer_id=None)
    projected = FORMAT.project(make_end(r, wan_interface="Gi0/0"), CTX)
    p = projected.rules[0]
    assert (p.dpd_s, p.initiate, p.qos_preclassify, p.nat_keepalive_s) == (None, False, False,
                                                                           None)
    assert projected.wan_interface is None
    roundtrip(make_end(r))


def test_a_script_saved_with_crlf_line_ends_reads_the_same() -> None:
    end = make_end(make_rule(), make_rule(name="tun", mode="tunnel", local_address=PEER,
                                          peer_address=HOST))
    text = FORMAT.render(end, CTX)
    parsed = FORMAT.parse(text.replace("\n", "\r\n"), "crlf.ps1")
    assert_same(parsed.policies, [FORMAT.project(end, CTX)])
    assert parsed.locations == FORMAT.parse(text).locations


def test_locations_point_at_the_objects() -> None:
    text, parsed = roundtrip(make_end(make_rule()))
    lines = text.lstrip("\ufeff").split("\n")
    loc = parsed.locations
    assert "New-NetIPsecRule" in lines[loc["app-db"] - 1]
    assert "New-NetIPsecMainModeCryptoSet" in lines[loc["app-db/ike"] - 1]
    assert "New-NetIPsecQuickModeCryptoSet" in lines[loc["app-db/esp"] - 1]
    assert "New-NetIPsecPhase1AuthSet" in lines[loc["app-db/auth"] - 1]
    assert "-LocalAddress 10.10.20.15 -RemoteAddress" in lines[loc["app-db/filters"] - 1]


# --------------------------------------------------------------- hand-written scripts

# platform-syntax.md §4.3, first worked example, verbatim
TRANSPORT_KERBEROS = """\
$store = 'PersistentStore'
$mmP   = New-NetIPsecMainModeCryptoProposal -Encryption AES256 -Hash SHA256 -KeyExchange DH14
$mmSet = New-NetIPsecMainModeCryptoSet -Name 'CC-MM-AES256-SHA256-DH14' -DisplayName 'CC-MM-AES256-SHA256-DH14' `
           -Proposal $mmP -MaxMinutes 480 -PolicyStore $store
$qmP   = New-NetIPsecQuickModeCryptoProposal -Encapsulation ESP -Encryption AES256 -ESPHash SHA256 -MaxMinutes 60 -MaxKiloBytes 100000
$qmSet = New-NetIPsecQuickModeCryptoSet -Name 'CC-QM-ESP-AES256-SHA256' -DisplayName 'CC-QM-ESP-AES256-SHA256' `
           -Proposal $qmP -PerfectForwardSecrecyGroup None -PolicyStore $store
$p1    = New-NetIPsecPhase1AuthSet -Name 'CC-P1-KERB' -DisplayName 'CC-P1-KERB' `
           -Proposal (New-NetIPsecAuthProposal -Machine -Kerberos) -PolicyStore $store
New-NetIPsecMainModeRule -Name 'CC-MM-APP1-DB1' -DisplayName 'CC-MM-APP1-DB1' -LocalAddress 10.10.20.15 `
  -RemoteAddress 10.20.30.40 -MainModeCryptoSet $mmSet.Name -Phase1AuthSet $p1.Name -PolicyStore $store
New-NetIPsecRule -IPsecRuleName 'CC-APP1-DB1' -DisplayName 'CC-APP1-DB1' -Mode Transport `
  -LocalAddress 10.10.20.15 -RemoteAddress 10.20.30.40 -Protocol Any `
  -InboundSecurity Require -OutboundSecurity Require -KeyModule IKEv1 -InterfaceType Any -Profile Any `
  -Phase1AuthSet $p1.Name -QuickModeCryptoSet $qmSet.Name -PolicyStore $store
"""  # noqa: E501

# platform-syntax.md §4.3, the GPO tunnel example with a pre-shared key, verbatim
GPO_TUNNEL_PSK = """\
$s = Open-NetGPO -PolicyStore 'corp.example.net\\CC-IPsec'
$p1 = New-NetIPsecPhase1AuthSet -Name 'CC-P1-PSK-DR' -DisplayName 'CC-P1-PSK-DR' -GPOSession $s `
        -Proposal (New-NetIPsecAuthProposal -Machine -PreSharedKey '<psk>')
New-NetIPsecRule -IPsecRuleName 'CC-HQ-DR-TUN' -DisplayName 'CC-HQ-DR-TUN' -Mode Tunnel -GPOSession $s `
  -LocalAddress 10.10.0.0/16 -RemoteAddress 10.20.0.0/16 `
  -LocalTunnelEndpoint 198.51.100.10 -RemoteTunnelEndpoint 203.0.113.20 `
  -InboundSecurity Require -OutboundSecurity Require -KeyModule IKEv1 -Phase1AuthSet $p1.Name
Save-NetGPO -GPOSession $s
"""  # noqa: E501


def test_worked_example_transport_kerberos() -> None:
    parsed = FORMAT.parse(TRANSPORT_KERBEROS, "hosts/app1.ps1")
    (end,) = parsed.policies
    assert end.name == "imported-app1"
    (r,) = end.rules
    assert r.name == "CC-APP1-DB1" and r.mode == "transport" and r.action == "negotiate"
    assert (r.local_address, r.peer_address) == (HOST, PEER)
    assert r.filters == (Filter(local=net("10.10.20.15/32"), remote=net("10.20.30.40/32")),)
    assert (r.inbound, r.outbound, r.connection_type) == ("require", "require", "all")
    assert r.auth == (Auth(method="kerberos"),)
    assert r.ike.version == 1 and r.ike.lifetime_s == 480 * 60
    assert [p.label() for p in r.ike.proposals] == ["aes256-sha256-modp2048"]
    assert [p.label() for p in r.esp] == ["aes256-sha256"] and r.pfs_group is None
    assert (r.lifetime_s, r.lifetime_kb) == (3600, 100000)
    assert parsed.notes == []
    assert parsed.locations == {"CC-APP1-DB1": 12, "CC-APP1-DB1/ike": 3, "CC-APP1-DB1/esp": 6,
                                "CC-APP1-DB1/auth": 8, "CC-APP1-DB1/filters": 13}
    assert parsed.format_facts == PowerShellFacts(policy_stores=("PersistentStore",))


def test_worked_example_gpo_tunnel_psk() -> None:
    parsed = FORMAT.parse(GPO_TUNNEL_PSK, "gpo.ps1")
    (r,) = parsed.policies[0].rules
    assert r.mode == "tunnel"
    assert (str(r.local_address), str(r.peer_address)) == ("198.51.100.10", "203.0.113.20")
    assert r.filters == (Filter(local=net("10.10.0.0/16"), remote=net("10.20.0.0/16")),)
    assert len(r.auth) == 1 and r.auth[0].method == "psk"
    assert r.auth[0].psk is not None and r.auth[0].psk.reveal() == "<psk>"
    # no main-mode rule and no quick-mode set: Windows' defaults, each flagged on the rule line
    warnings = [(n.line, n.message) for n in parsed.notes if n.severity == "warning"]
    assert [line for line, _ in warnings] == [4, 4]
    assert "main-mode" in warnings[0][1] and "quick-mode" in warnings[1][1]
    assert r.ike.lifetime_s == 480 * 60 and r.esp[0].encryption == Encr.AES128
    assert parsed.format_facts == PowerShellFacts(policy_stores=("corp.example.net\\CC-IPsec",))
    assert all("<psk>" not in n.message for n in parsed.notes)


# hand-written in a looser style: prefixes, aliases, colon values, inline arrays, typographic
# quotes and dashes, a here-string, comments, -Default sets, ranges, statements ccsec skips
LOOSE = """\
<# site script
   written by hand #>
$gcm = New-NetIPsecQuickModeCryptoProposal –Encap ESP -Encr AESGCM128 -ESPH AESGMAC128 -MaxM 30 -MaxK 50000
$ah  = New-NetIPsecQuickModeCryptoProposal -Encapsulation AH -AHHash SHA256
$null = New-NetIPsecQuickModeCryptoSet -Name ‘QM set’ -DisplayName "QM set" -Proposal @(
    $gcm
    $ah
) -PfsGroup SameAsMainMode
New-NetIPsecMainModeCryptoSet -Default -DisplayName 'default MM' -MaxMinutes:120 -Proposal `
    (New-NetIPsecMainModeCryptoProposal -Encryption AES128 -Hash SHA256 -KeyExchange DH20),
    (New-NetIPsecMainModeCryptoProposal -Encryption DES3 -Hash SHA1 -KeyExchange DH20) | Out-Null
$cert = New-NetIPsecAuthProposal -Machine -Cert -Authority "C=US, O=Example CC, CN=CC Root CA" -AuthorityType Root -Signing ECDSA256
$p1 = New-NetIPsecPhase1AuthSet -Name P1 -DisplayName P1 -Proposal $cert
$desc = @'
Agents -> DB
it's "quoted"
'@
Write-Host "creating rules"
New-NetIPsecRule -Name 'agents-db' -DisplayName 'Agents to DB' -Description $desc -SecIn Require -SecOut Request `
    -LocalAddress 10.10.1.0/255.255.255.0,10.10.2.1-10.10.2.2 -RemoteAddress 10.20.30.40 -Protocol TCP -RemotePort 1433 `
    -KeyModule IKEv2 -InterfaceType Wired -Enabled:$false -Phase1AuthSet $p1.Name -QuickModeCryptoSet 'QM set'
Set-NetIPsecRule -Name 'agents-db' -Enabled True
if ($true) { Write-Host 'never read' }
"""  # noqa: E501


def test_a_loosely_written_script() -> None:
    parsed = FORMAT.parse(LOOSE, "site.ps1")
    (r,) = parsed.policies[0].rules
    assert r.name == "agents-db" and r.description == 'Agents -> DB\nit\'s "quoted"'
    assert (r.inbound, r.outbound, r.enabled) == ("require", "request", False)
    assert r.ike.version == 2 and r.connection_type == "lan"
    # -Authority in encoding order, the model's DN in RFC 4514 order (ccsec.formats.dn)
    assert r.auth == (Auth(method="certificate", ca="CN=CC Root CA, O=Example CC, C=US"),)
    # the -Default main-mode set applies (no main-mode rule), lifetime 120 minutes
    assert [p.label() for p in r.ike.proposals] == ["aes128-sha256-ecp384", "3des-sha1-ecp384"]
    assert r.ike.lifetime_s == 7200
    assert r.esp == (EspProposal(encryption=Encr.AES128GCM),
                     EspProposal(encryption=None, ah=Integ.SHA256))
    assert r.pfs_group == 20  # SameAsMainMode
    assert (r.lifetime_s, r.lifetime_kb) == (1800, 50000)
    locals_ = {f.local for f in r.filters}
    assert locals_ == {net("10.10.1.0/24"), net("10.10.2.1/32"), net("10.10.2.2/32")}
    assert {(f.protocol, f.local_port, f.remote_port) for f in r.filters} == {(6, None, 1433)}
    # transport rule without a main-mode rule: the IKE addresses come from the first filter
    assert (str(r.local_address), str(r.peer_address)) == ("10.10.1.0", "10.20.30.40")
    by_line = {(n.line, n.severity) for n in parsed.notes}
    assert (22, "warning") in by_line  # Set-NetIPsecRule after creation
    assert (23, "warning") in by_line  # the if statement
    assert any(n.severity == "info" and "-Signing" in n.message for n in parsed.notes)
    assert any("Wired read as connection type lan" in n.message for n in parsed.notes)


def test_unknown_statements_are_notes_with_lines() -> None:
    text = "Invoke-Something -Force\n\n$x = Get-NetIPsecRule\n$x.Enabled = 'False'\n"
    parsed = FORMAT.parse(text)
    assert [(n.line, n.severity) for n in parsed.notes] == [(1, "warning"), (4, "warning")]
    assert parsed.policies[0].rules == ()


@pytest.mark.parametrize(("script", "line", "words"), [
    ("$a = 1\nNew-NetIPsecRule -DisplayName r -Phase1AuthSet 'nope'\n", 2,
     "never created"),
    ("New-NetIPsecRule -DisplayName r `\n  -QuickModeCryptoSet $qm.Name\n", 2,
     "never assigned"),
    ("New-NetIPsecMainModeRule -DisplayName m -MainModeCryptoSet 'x'\n", 1, "never created"),
    ("$p = New-NetIPsecAuthProposal -Machine -Kerberos\n"
     "New-NetIPsecPhase1AuthSet -Name a -DisplayName a -Proposal $p\n"
     "New-NetIPsecPhase1AuthSet -Name A -DisplayName a -Proposal $p\n", 3, "created twice"),
    ("New-NetIPsecQuickModeCryptoProposal -Enc ESP\n", 1, "ambiguous"),
    ("New-NetIPsecRule -DisplayName r -Bogus 1\n", 1, "no parameter -Bogus"),
    ("New-NetIPsecRule -DisplayName r -LocalAddress LocalSubnet\n", 1, "keywords"),
    ("New-NetIPsecRule -DisplayName r -Mode Tunnel\n", 1, "RemoteTunnelEndpoint"),
    ("$x = 'open\n", 1, "never closed"),
    ("New-NetIPsecRule (\n", 1, "never closed"),
])
def test_broken_scripts_name_the_line(script: str, line: int, words: str) -> None:
    with pytest.raises(ParseError) as exc:
        FORMAT.parse(script, "bad.ps1")
    problem = exc.value.problems[0]
    assert (problem.file, problem.line) == ("bad.ps1", line)
    assert words in problem.message


# ------------------------------------------------------------------------------ refusals

CA = (Auth(method="certificate", ca="CN=Root"),)
GCM_PRF = IkeProposal(encryption=Encr.AES256GCM, prf=Prf.SHA384, group=20)
CASES: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    # (id, rule fields that are refused, near miss that is not, words of the reason)
    ("ikev2-kerberos", {"ike": Ike(version=2, proposals=(
        IkeProposal(encryption=Encr.AES256, integrity=Integ.SHA256, group=19),))},
     {"ike": Ike(version=2, proposals=(
         IkeProposal(encryption=Encr.AES256, integrity=Integ.SHA256, group=19),)), "auth": CA},
     "IKEv2 cannot authenticate with kerberos"),
    ("ikev2-psk", {"auth": (Auth(method="psk", psk=literal("k")),), "ike": Ike(version=2,
        proposals=(IkeProposal(encryption=Encr.AES256, integrity=Integ.SHA256, group=19),))},
     {"auth": (Auth(method="psk", psk=literal("k")),)}, "IKEv2 cannot authenticate with psk"),
    ("aggressive", {"ike": Ike(version=1, exchange="aggressive", proposals=(
        IkeProposal(encryption=Encr.AES256, integrity=Integ.SHA256, group=19),))},
     {}, "no aggressive mode"),
    ("aead-main-mode", {"ike": Ike(version=2, proposals=(GCM_PRF,)), "auth": CA},
     {"ike": Ike(version=2, proposals=(
         IkeProposal(encryption=Encr.AES256, integrity=Integ.SHA384, group=20),)), "auth": CA},
     "AEAD in main mode"),
    ("ike-encryption", {"ike": Ike(version=1, proposals=(
        IkeProposal(encryption=Encr.AES128CTR, integrity=Integ.SHA256, group=19),))},
     {"ike": Ike(version=1, proposals=(
         IkeProposal(encryption=Encr.AES192, integrity=Integ.SHA256, group=19),))},
     "IKE encryption aes128ctr"),
    ("ike-integrity", {"ike": Ike(version=1, proposals=(
        IkeProposal(encryption=Encr.AES256, integrity=Integ.SHA512, group=19),))},
     {"ike": Ike(version=1, proposals=(
         IkeProposal(encryption=Encr.AES256, integrity=Integ.SHA384, group=19),))},
     "IKE integrity sha512"),
    ("ike-prf", {"ike": Ike(version=1, proposals=(IkeProposal(
        encryption=Encr.AES256, integrity=Integ.SHA256, prf=Prf.SHA256, group=19),))},
     {}, "names a PRF"),
    ("ike-group", {"ike": Ike(version=1, proposals=(
        IkeProposal(encryption=Encr.AES256, integrity=Integ.SHA256, group=21),))},
     {"ike": Ike(version=1, proposals=(
         IkeProposal(encryption=Encr.AES256, integrity=Integ.SHA256, group=24),))},
     "DH group 21"),
    ("ike-lifetime-seconds", {"ike": Ike(version=1, lifetime_s=3630, proposals=(
        IkeProposal(encryption=Encr.AES256, integrity=Integ.SHA256, group=19),))},
     {"ike": Ike(version=1, lifetime_s=2879 * 60, proposals=(
         IkeProposal(encryption=Encr.AES256, integrity=Integ.SHA256, group=19),))},
     "IKE lifetime 3630s"),
    ("ike-lifetime-range", {"ike": Ike(version=1, lifetime_s=2880 * 60, proposals=(
        IkeProposal(encryption=Encr.AES256, integrity=Integ.SHA256, group=19),))},
     {}, "IKE lifetime 172800s"),
    ("gmac-cipher", {"esp": (EspProposal(encryption=Encr.AES128GMAC),)},
     {"esp": (EspProposal(encryption=Encr.NULL, integrity=Integ.AES128GMAC),)},
     "ENCR_NULL_AUTH_AES_GMAC"),
    ("esp-encryption", {"esp": (EspProposal(encryption=Encr.CHACHA20POLY1305),)},
     {"esp": (EspProposal(encryption=Encr.AES192GCM),)}, "ESP encryption chacha20poly1305"),
    ("esp-integrity", {"esp": (EspProposal(encryption=Encr.AES256, integrity=Integ.SHA512),)},
     {"esp": (EspProposal(encryption=Encr.AES256, integrity=Integ.SHA384),)},
     "ESP integrity sha512"),
    ("ah-integrity", {"esp": (EspProposal(encryption=None, ah=Integ.SHA512),)},
     {"esp": (EspProposal(encryption=None, ah=Integ.SHA256),)}, "AH integrity sha512"),
    ("esp-integrity-without-esp", {"esp": (EspProposal(encryption=None, integrity=Integ.SHA1,
                                                       ah=Integ.SHA1),)},
     {}, "ESP integrity without ESP"),
    ("esp-nothing", {"esp": (EspProposal(encryption=Encr.NULL),)},
     {"esp": (EspProposal(encryption=Encr.NULL, integrity=Integ.SHA256),)},
     "neither encryption nor integrity"),
    ("ah-ikev2-transport", {"esp": (EspProposal(encryption=None, ah=Integ.SHA1),), "auth": CA,
                            "ike": Ike(version=2, proposals=(IkeProposal(
                                encryption=Encr.AES256, integrity=Integ.SHA256, group=19),))},
     {"esp": (EspProposal(encryption=None, ah=Integ.SHA1),)}, "AH is not supported"),
    ("pfs-group", {"pfs_group": 5}, {"pfs_group": 24}, "PFS group 5"),
    ("child-lifetime-minutes", {"lifetime_s": 3601}, {"lifetime_s": 300},
     "IPsec SA lifetime 3601s"),
    ("child-lifetime-range", {"lifetime_s": 240}, {"lifetime_s": 2879 * 60},
     "IPsec SA lifetime 240s"),
    ("volume", {"lifetime_kb": 20479}, {"lifetime_kb": 20480}, "20479 KB"),
    ("cert-without-ca", {"auth": (Auth(method="certificate"),)}, {"auth": CA},
     "needs the root CA's name"),
    ("ca-surrogate", {"auth": (Auth(method="certificate", ca="CN=a\ud800"),)},
     {"auth": (Auth(method="certificate", ca="CN=a\u2019b ü"),)}, "unpaired surrogate U+D800"),
    ("psk-line-break", {"auth": (Auth(method="psk", psk=literal("a\nb")),)},
     {"auth": (Auth(method="psk", psk=literal("a'b\u2019 $c")),)}, "control character"),
    ("psk-empty", {"auth": (Auth(method="psk", psk=literal("")),)}, {}, "it is empty"),
    ("one-way", {"filters": (Filter(local=net("10.10.20.15/32"), remote=net("10.20.30.40/32"),
                                    mirrored=False),)}, {}, "always mirrored"),
    ("port-without-tcp", {"filters": (Filter(local=net("10.10.20.15/32"),
                                             remote=net("10.20.30.40/32"), protocol=1,
                                             local_port=8),)},
     {"filters": (Filter(local=net("10.10.20.15/32"), remote=net("10.20.30.40/32"),
                         protocol=17, local_port=8),)}, "only with protocol TCP or UDP"),
    ("protocol-0", {"filters": (Filter(local=net("10.10.20.15/32"),
                                       remote=net("10.20.30.40/32"), protocol=0),)},
     {"filters": (Filter(local=net("10.10.20.15/32"), remote=net("10.20.30.40/32"),
                         protocol=47),)}, "protocol 0"),
    ("permit", {"action": "permit"}, {}, "action permit"),
    ("block", {"action": "block"}, {}, "action block"),
    ("none-none", {"inbound": "none", "outbound": "none"}, {"inbound": "request",
                                                           "outbound": "none"},
     "'do not authenticate' exemption"),
    ("bad-pair", {"inbound": "none", "outbound": "request"}, {"inbound": "require",
                                                             "outbound": "request"},
     "not a pair"),
    ("nat-t-off", {"nat_traversal": False}, {}, "NAT traversal off"),
    ("nul", {"description": "a\0b"}, {"description": "a\nb\tc"}, "NUL"),
]


@pytest.mark.parametrize(("bad", "near", "words"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_each_refusal_fires_and_its_near_miss_does_not(bad: dict[str, Any],
                                                       near: dict[str, Any],
                                                       words: str) -> None:
    reasons = FORMAT.unsupported(make_end(make_rule(**bad)))
    assert any(words in r for r in reasons), reasons
    assert all(r.startswith("rule app-db: ") for r in reasons)
    with pytest.raises(UnsupportedError):
        FORMAT.render(make_end(make_rule(**bad)), CTX)
    ok = make_end(make_rule(**near))
    assert FORMAT.unsupported(ok) == []
    roundtrip(ok)


TDES_SHA1_2 = IkeProposal(encryption=Encr.TDES, integrity=Integ.SHA1, group=2)
DUPLICATE = make_end(make_rule(name="App"), make_rule(name="app", local_address=PEER,
                                                      peer_address=HOST))
SNEAKED_OWNER = make_end().model_copy(update={"owner": "a\nb"})  # model_copy skips validation
MAIN_MODE_CLASH = make_end(make_rule(), make_rule(
    name="app-db-2", ike=Ike(version=1, proposals=(TDES_SHA1_2,))))


def test_policy_level_refusals() -> None:
    assert any("case-insensitive" in r for r in FORMAT.unsupported(DUPLICATE))
    assert FORMAT.unsupported(make_end(make_rule(name="app"), make_rule(
        name="app2", local_address=PEER, peer_address=HOST))) == []
    with pytest.raises(ValueError):  # the model refuses it; the format refuses it too
        make_end(owner="a\nb")
    assert any("header comment" in r for r in FORMAT.unsupported(SNEAKED_OWNER))
    assert FORMAT.unsupported(make_end(owner="a-b")) == []
    assert any("one main mode per address pair" in r
               for r in FORMAT.unsupported(MAIN_MODE_CLASH))
    roundtrip(make_end(make_rule(), make_rule(name="app-db-2")))  # same settings: fine


def test_every_row_of_the_support_tables_has_a_case() -> None:
    """Each row, item rows included, fires on a case above: a row added without a case (or a
    case that stopped firing) fails here."""
    ids = FORMAT.row_ids()
    assert len(set(ids)) == len(ids), "row ids name one row each"
    ends = [make_end(make_rule(**bad)) for _id, bad, _near, _words in CASES]
    ends += [DUPLICATE, SNEAKED_OWNER, MAIN_MODE_CLASH]
    assert set().union(*(FORMAT.fired(e) for e in ends)) == set(ids)


def test_reasons_read_rule_by_rule_and_proposal_by_proposal() -> None:
    """The order users read: the end's rows; per rule a clashing name, then its own reasons,
    each proposal's in turn; conflicts between rules last."""
    md5_21 = IkeProposal(encryption=Encr.AES128CTR, integrity=Integ.MD5, group=21)
    sha512_5 = IkeProposal(encryption=Encr.AES256, integrity=Integ.SHA512, group=5)
    first = make_rule(name="App", ike=Ike(version=1, proposals=(md5_21, sha512_5)))
    second = make_rule(name="app", pfs_group=5, nat_traversal=False)
    end = make_end(first, second).model_copy(update={"platform": "win\tdows"})
    assert FORMAT.unsupported(end) == [
        "policy ccsec-app1: the platform name contains a control character, which would end "
        "the script's header comment",
        "rule App: IKE encryption aes128ctr (aes128ctr-md5-ecp521) is not a "
        "New-NetIPsecMainModeCryptoProposal -Encryption value",
        "rule App: DH group 21 (aes128ctr-md5-ecp521) is not a -KeyExchange value (DH1, DH2, "
        "DH14, DH19, DH20, DH24)",
        "rule App: IKE integrity sha512 (aes256-sha512-modp1536) is not a -Hash value (MD5, "
        "SHA1, SHA256, SHA384)",
        "rule App: DH group 5 (aes256-sha512-modp1536) is not a -KeyExchange value (DH1, DH2, "
        "DH14, DH19, DH20, DH24)",
        "rule app: Windows object names are case-insensitive and rule App already uses this "
        "name — rename one of them",
        "rule app: PFS group 5 is not a -PerfectForwardSecrecyGroup value (DH1, DH2, DH14, "
        "DH19, DH20, DH24)",
        "rule app: Windows has no per-rule switch to turn NAT traversal off "
        "(Set-NetFirewallSetting -AllowIPsecThroughNAT is machine-wide)",
        "rule app: it shares IKE addresses 10.10.20.15 -> 10.20.30.40 with rule App but not its "
        "main-mode settings (proposals, lifetime, authentication) — Windows negotiates one "
        "main mode per address pair",
    ]


# ------------------------------------------------------------------------------- secrets

KEY = "Lab-Key'\u2019-0123456789"


def test_psk_is_written_once_and_never_in_notes() -> None:
    end = make_end(make_rule(auth=(Auth(method="psk", psk=literal(KEY)),)))
    text, parsed = roundtrip(end)
    assert text.count(ps_literal(KEY)) == 1
    assert text.count("Lab-Key") == 1
    assert "clear text" in text  # the header warns that the file holds a key
    assert parsed.policies[0].rules[0].auth[0].psk == literal(KEY)
    assert all("Lab-Key" not in n.message for n in parsed.notes)


def test_psk_never_appears_in_errors_or_notes_of_broken_scripts() -> None:
    for script in (
        "New-NetIPsecAuthProposal -Machine 'Lab-Key-1' 'Lab-Key-2'\n",
        "New-NetIPsecAuthProposal -Machine -PreSharedKey 'Lab-Key-1' -Bogus x\n",
        "New-NetIPsecAuthProposal -Machine -PreSharedKey \"$env:LABKEY\" -Kerberos:$false\n",
        "Lab-Key-1\n",
    ):
        try:
            parsed = FORMAT.parse(script)
        except ParseError as exc:
            assert "Lab-Key" not in str(exc)
        else:
            assert all("Lab-Key" not in n.message for n in parsed.notes)


def test_a_key_computed_at_run_time_reads_as_unreadable() -> None:
    script = GPO_TUNNEL_PSK.replace("'<psk>'", '"$env:CC_PSK"')
    parsed = FORMAT.parse(script)
    (auth,) = parsed.policies[0].rules[0].auth
    assert auth.method == "psk" and auth.psk is None
    assert any("unreadable" in n.message for n in parsed.notes)


# ---------------------------------------------------------------------------------- fuzz

PIECES = ["$", "-", "'", '"', "`", "(", ")", "[", "]", "{", "}", "@(", ",", ";", "|", "=", ".",
          "#", "<#", "#>", "\n", "\r\n", " ", "\u2019", "\u201c", "\u2013", "@'\n", "\n'@",
          "New-NetIPsecRule", "New-NetIPsecQuickModeCryptoSet", "New-NetIPsecAuthProposal",
          "New-NetIPsecMainModeCryptoProposal", "New-NetIPsecPhase1AuthSet",
          "New-NetIPsecQuickModeCryptoProposal", "New-NetIPsecMainModeRule", "Open-NetGPO",
          "-Proposal", "-Name", "-Phase1AuthSet", "-QuickModeCryptoSet", "-Mode", "Tunnel",
          "-LocalAddress", "10.0.0.1", "1.2.3.4-1.2.3.9", "$x", "$p.Name", "-PreSharedKey",
          "-Machine", "-Kerberos", "-Cert", "-Authority", "-KeyExchange", "DH14", "-Encryption",
          "AESGCM256", "-ESPHash", "AESGMAC256", "-Protocol", "TCP", "-LocalPort", "80", "Any",
          "-InterfaceType", "-MaxMinutes", "0", "-RemoteTunnelEndpoint", "-Default", "AH, ESP",
          "-Encapsulation", "-PfsGroup", "SameAsMainMode", "param(", "Remove-NetIPsecRule"]


@given(st.one_of(st.text(max_size=300),
                 st.lists(st.sampled_from(PIECES), max_size=60).map(" ".join)))
def test_garbage_raises_only_parse_errors(text: str) -> None:
    with contextlib.suppress(ParseError):
        FORMAT.parse(text, "fuzz.ps1")


BASE = FORMAT.render(make_end(
    make_rule(auth=(Auth(method="psk", psk=literal(KEY)),), description="a 'b' \u2019c"),
    make_rule(name="tun", mode="tunnel", local_address=IPv4Address("198.51.100.1"),
              peer_address=IPv4Address("203.0.113.9"), auth=CA,
              esp=(EspProposal(encryption=None, ah=Integ.SHA1),
                   EspProposal(encryption=Encr.AES256, integrity=Integ.SHA256, ah=Integ.SHA1)),
              filters=(Filter(local=net("10.1.0.0/16"), remote=net("10.2.0.0/16"), protocol=6,
                              local_port=80),
                       Filter(local=net("10.1.0.0/16"), remote=net("10.3.0.0/16"))))), CTX)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = BASE
    for _ in range(draw(st.integers(1, 6))):
        i = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            text = text[:i] + text[i + draw(st.integers(1, 40)):]
        else:
            text = text[:i] + draw(st.sampled_from(PIECES)) + text[i:]
    return text


@given(mutated())
def test_damaged_output_raises_only_parse_errors_and_never_shows_the_key(text: str) -> None:
    try:
        parsed = FORMAT.parse(text, "fuzz.ps1")
    except ParseError as exc:
        assert "Lab-Key" not in str(exc)
    else:
        assert all("Lab-Key" not in n.message for n in parsed.notes)


def test_a_large_policy_parses_in_linear_time() -> None:
    rules = [make_rule(name=f"r{i}", local_address=IPv4Address(f"10.0.{i // 250}.{i % 250}"))
             for i in range(400)]
    text, parsed = roundtrip(make_end(*rules))
    assert len(parsed.policies[0].rules) == 400 and len(text) > 400_000
