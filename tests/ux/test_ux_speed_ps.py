"""The PowerShell reader's statement plans, remembered outcomes and statement templates give
the same answers as the interpreter token by token over the line-by-line split (issue 16,
speed goal): policies, notes, locations, facts and errors with their lines, on the golden
scripts, on generated scripts and on edge cases."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccsec.errors import ParseError, UserError
from ccsec.formats.windows import ps_lexer, ps_templates
from ccsec.formats.windows.powershell import FORMAT
from ccsec.formats.windows.ps_interpreter import Interpreter

ROOT = Path(__file__).resolve().parents[2]
GOLDEN_PS = sorted((ROOT / "tests" / "golden" / "windows-powershell").rglob("*.ps1"))


@contextmanager
def _plans(on: bool, templates: bool | None = None) -> Iterator[None]:
    """Plans (and statement templates: as plans unless said) on or off."""
    Interpreter.plans = on
    ps_templates.enabled = on if templates is None else templates
    try:
        yield
    finally:
        Interpreter.plans = True
        ps_templates.enabled = True


def _read(text: str) -> object:
    """Everything the reader says of ``text``: the parsed result, or the error and its line."""
    try:
        p = FORMAT.parse(text, "site/ipsec.ps1")
    except UserError as exc:
        return type(exc).__name__, [(x.message, x.file, x.line) for x in exc.problems]
    except Exception as exc:  # a crash must at least be the same crash
        return type(exc).__name__, str(exc)
    return ([x.model_dump() for x in p.policies], p.notes, p.locations, p.format_facts,
            p.format, p.source)


def _both_ways(text: str) -> None:
    with _plans(False):
        plain = _read(text)
    with _plans(True):
        first = _read(text)
        again = _read(text)  # now from the plans, outcomes and templates the first read left
    with _plans(False, templates=True):
        tokens = _read(text)  # templates read, every statement's tokens taken from them
    with _plans(True, templates=False):
        lines = _read(text)  # plans over the line-by-line split
    assert first == plain
    assert again == plain
    assert tokens == plain
    assert lines == plain


@pytest.mark.parametrize("path", GOLDEN_PS, ids=lambda p: p.parent.name + "/" + p.name)
def test_plans_read_golden_scripts_as_the_interpreter(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    _both_ways(text)
    assert not isinstance(_read(text)[0], str)  # a golden script reads without error


def test_plans_are_taken_on_rendered_scripts() -> None:
    """The shortcut is really used (else the comparisons above compare one way twice)."""
    from ccsec.formats.windows import ps_plan

    text = GOLDEN_PS[0].read_text(encoding="utf-8")
    units = list(ps_lexer.script_units(text.removeprefix("\ufeff"), "s"))
    runs = [u for u in units if isinstance(u, ps_lexer.LineRun)]
    assert len(runs) > len(units) / 2
    assert all(ps_plan.plan_for(u.key, u.lines) is not ps_plan.NO_PLAN for u in runs
               if u.tokens()[-1].text != "Stop" and u.tokens()[0].text != "Set-StrictMode")


HEAD = ("$Store = @{ PolicyStore = 'PersistentStore' }\n"
        "$t = @{ Group = 'g'; PolicyStore = 'Other' }\n")

EDGE_CASES = [
    # duplicate names, created twice, and a rule named after another's part
    "$m = New-NetIPsecMainModeCryptoProposal -Encryption AES128 -Hash SHA1 -KeyExchange DH14\n"
    "$s = New-NetIPsecMainModeCryptoSet -Name 'a' -Proposal $m\n"
    "$s = New-NetIPsecMainModeCryptoSet -Name 'A' -Proposal $m\n",
    # a parameter given twice, directly and through a splat
    HEAD + "$q = New-NetIPsecQuickModeCryptoProposal -Encapsulation ESP -Encryption AES128 "
    "-ESPHash SHA1 -Encryption AES256\n",
    HEAD + "$m = New-NetIPsecMainModeCryptoProposal -Encryption AES128 -Hash SHA1 "
    "-KeyExchange DH14\n$s = New-NetIPsecMainModeCryptoSet @t -Name 'a' -Proposal $m "
    "-Group 'h'\n",
    # unknown cmdlets, read-only and quiet commands, a Set- after creation
    "Get-NetIPsecRule -Name x\nFrobnicate-Thing -A 1\nWrite-Host 'hi'\nSet-NetIPsecRule -Name a\n",
    # variables never assigned, a scoped variable, a member of nothing
    "$s = New-NetIPsecMainModeCryptoSet -Name 'a' -Proposal $nothing\n",
    "$r = New-NetIPsecRule -DisplayName 'r' -QuickModeCryptoSet $env:X -Phase1AuthSet $x.Name\n",
    # removals of what was made, of nothing, with a group, of everything
    "$m = New-NetIPsecMainModeCryptoProposal -Encryption AES128 -Hash SHA1 -KeyExchange DH14\n"
    "$s = New-NetIPsecMainModeCryptoSet -Name 'a' -Group 'g' -Proposal $m\n"
    "Remove-NetIPsecMainModeCryptoSet -Group 'g'\n"
    "$s = New-NetIPsecMainModeCryptoSet -Name 'a' -Proposal $m\n"
    "Remove-NetIPsecMainModeCryptoSet -Name 'b'\nRemove-NetIPsecMainModeCryptoSet -All\n"
    "$x = Remove-NetIPsecRule -Name 'none'\n",
    # switches with and without values, colon forms, prefixes, aliases, ambiguity
    "$a = New-NetIPsecAuthProposal -Machine -Kerberos:$true\n"
    "$b = New-NetIPsecAuthProposal -Mach -Cert -Authority 'CN=Root, O=X' -AuthorityType "
    "Intermediate\n$c = New-NetIPsecAuthProposal -PSK 'k''ey'\n"
    "$d = New-NetIPsecAuthProposal -Kerberos True\n",
    "$a = New-NetIPsecAuthProposal -A 'x'\n",
    "$a = New-NetIPsecAuthProposal -Nope 'x'\n",
    "$a = New-NetIPsecAuthProposal -Kerberos -Machine 'x' 'y'\n",
    # addresses: ranges, subnets, IPv6, keywords, lists, bad ones
    HEAD + "$m = New-NetIPsecMainModeCryptoProposal -Encryption AES128 -Hash SHA1 "
    "-KeyExchange DH14\n$s = New-NetIPsecMainModeCryptoSet @Store -Name 'mm' -Proposal $m\n"
    "$q = New-NetIPsecQuickModeCryptoProposal -Encapsulation ESP -Encryption AES128 "
    "-ESPHash SHA1\n$qs = New-NetIPsecQuickModeCryptoSet @Store -Name 'qm' -Proposal $q\n"
    "$r = New-NetIPsecRule @Store -DisplayName 'r' -LocalAddress 10.0.0.1-10.0.0.9 "
    "-RemoteAddress 10.1.0.0/16, fe80::1, 10.2.2.2 -QuickModeCryptoSet $qs.Name `\n"
    "    -Mode Tunnel -LocalTunnelEndpoint Any -RemoteTunnelEndpoint 192.0.2.1\n"
    "$r = New-NetIPsecRule @Store -DisplayName 'r2' -LocalAddress 'fe80::2' "
    "-RemoteAddress 10.3.3.3\n",
    "$r = New-NetIPsecRule -DisplayName 'r' -LocalAddress LocalSubnet\n",
    "$r = New-NetIPsecRule -DisplayName 'r' -LocalAddress 300.1.1.1\n",
    # a list ending in a comma, a value missing, a pipe, a bracket, a keyword
    "$s = New-NetIPsecMainModeCryptoSet -Name 'a' -Proposal $m,\n  $n\n",
    "$s = New-NetIPsecMainModeCryptoSet -Name\n",
    "New-NetIPsecMainModeCryptoSet -Name 'a' | Out-Null\n",
    "if ($x) { New-NetIPsecRule -DisplayName 'r' }\n",
    # comments, blank lines, continuations with nothing on them, CRLF, no final newline
    "# c\n\n$m = New-NetIPsecMainModeCryptoProposal `\n`\n  -Encryption AES128 # note\n"
    "\r\n$s = New-NetIPsecMainModeCryptoSet -Name 'a' -Proposal $m -MaxMinutes 0",
]


@pytest.mark.parametrize("text", EDGE_CASES)
def test_plans_on_edge_cases(text: str) -> None:
    _both_ways(text)


# ------------------------------------------------------------------ generated scripts

_WORDS = ["AES128", "AES256", "DES3", "AESGCM128", "SHA1", "SHA256", "MD5", "AESGMAC128",
          "DH14", "DH19", "None", "SameAsMainMode", "bogus", "480", "0", "60", "100000", "x"]
_TEXT = st.sampled_from(["a", "A", "r1", "r1.2", "rule one", "it''s", "x.MainModeCrypto",
                         "", "ü", "CN=Root, O=X", "$x", "k"])
_ADDR = st.sampled_from(["10.0.0.1", "10.0.0.0/24", "10.0.0.1-10.0.0.9", "fe80::1", "Any",
                         "LocalSubnet", "300.1.1.1", "10.0.0.1, 10.0.0.2", "'10.1.1.1'",
                         "'10.1.1.1,10.1.1.2'", "$addr", "Internet"])
_VALUE = st.one_of(st.sampled_from(_WORDS), _TEXT.map(lambda t: f"'{t}'"), _ADDR,
                   st.sampled_from(["$m1", "$m2", "$q1", "$a1", "$s1.Name", "$s2.Name",
                                    "$m1, $m2", "$q1,$q2", "$undefined", "$true", "'$x'",
                                    "\"DH$y\"", "$s1.DisplayName", "@Store"]))
_PARAMS = ["Encryption", "Hash", "KeyExchange", "Enc", "E", "ESPHash", "AHHash",
           "Encapsulation", "MaxMinutes", "MaxKiloBytes", "Name", "DisplayName", "Group",
           "Proposal", "PerfectForwardSecrecyGroup", "PfsGroup", "Default", "Machine",
           "Kerberos", "Cert", "Authority", "PreSharedKey", "LocalAddress", "RemoteAddress",
           "Protocol", "LocalPort", "RemotePort", "Mode", "KeyModule", "InboundSecurity",
           "OutboundSecurity", "MainModeCryptoSet", "Phase1AuthSet", "QuickModeCryptoSet",
           "IPsecRuleName", "Enabled", "Profile", "InterfaceType", "LocalTunnelEndpoint",
           "RemoteTunnelEndpoint", "Description", "ErrorAction", "WhatIf", "Nope", "All"]
_CMDLETS = ["New-NetIPsecMainModeCryptoProposal", "New-NetIPsecQuickModeCryptoProposal",
            "New-NetIPsecAuthProposal", "New-NetIPsecMainModeCryptoSet",
            "New-NetIPsecQuickModeCryptoSet", "New-NetIPsecPhase1AuthSet",
            "New-NetIPsecMainModeRule", "New-NetIPsecRule", "Remove-NetIPsecRule",
            "Remove-NetIPsecMainModeCryptoSet", "Open-NetGPO", "Get-Thing", "Write-Host"]
_TARGETS = ["$m1", "$m2", "$q1", "$q2", "$a1", "$s1", "$s2", "$p1", "$r", "", "$addr"]

_ARG = st.one_of(
    st.tuples(st.sampled_from(_PARAMS), _VALUE).map(lambda pv: f"-{pv[0]} {pv[1]}"),
    st.tuples(st.sampled_from(_PARAMS), _VALUE).map(lambda pv: f"-{pv[0]}:{pv[1]}"),
    st.sampled_from(_PARAMS).map(lambda p: f"-{p}"),
    st.sampled_from(["@Store", "@t", "@nothing", "'positional'"]),
)
_SEP = st.sampled_from([" ", " ", " ", " `\n    ", "  `\n\t", " `\n`\n  "])


@st.composite
def _statement(draw: st.DrawFn) -> str:
    target = draw(st.sampled_from(_TARGETS))
    cmdlet = draw(st.sampled_from(_CMDLETS))
    args = draw(st.lists(_ARG, max_size=7))
    text = cmdlet
    for arg in args:
        text += draw(_SEP) + arg
    return f"{target} = {text}" if target else text


_NAME = _TEXT.filter(lambda t: t not in ("", "$x")).map(lambda t: f"'{t}'")
_GOOD_ADDR = st.sampled_from(["10.0.0.1", "10.0.0.0/24", "10.0.0.1-10.0.0.9", "fe80::1",
                              "Any", "10.0.0.1, 10.0.0.2", "'10.1.1.1'", "$addr",
                              "'10.1.1.1,10.1.1.2'", "192.0.2.0/25"])
#: cmdlet → (variable, required parameters, optional parameters), values that it accepts
_Values = dict[str, st.SearchStrategy[str]]
_VALID: dict[str, tuple[str, _Values, _Values]] = {
    "New-NetIPsecMainModeCryptoProposal": ("$m1", {
        "Encryption": st.sampled_from(["AES128", "AES256", "DES3"]),
        "KeyExchange": st.sampled_from(["DH14", "DH19", "DH2"])},
        {"Hash": st.sampled_from(["SHA1", "SHA256", "'SHA384'"])}),
    "New-NetIPsecQuickModeCryptoProposal": ("$q1", {
        "Encryption": st.sampled_from(["AES128", "AES256"]),
        "ESPHash": st.sampled_from(["SHA1", "SHA256"])},
        {"Encapsulation": st.sampled_from(["ESP", "'AH, ESP'", "AH, ESP"]),
         "AHHash": st.sampled_from(["SHA1", "None"]),
         "MaxMinutes": st.sampled_from(["60", "30", "1", "0"]),
         "MaxKiloBytes": st.sampled_from(["100000", "2147483647"])}),
    "New-NetIPsecAuthProposal": ("$a1", {
        "Machine": st.just(""), "Kerberos": st.sampled_from(["", ":$true"])}, {}),
    "New-NetIPsecMainModeCryptoSet": ("$s1", {
        "Name": _NAME, "Proposal": st.sampled_from(["$m1", "$m1, $m2", "$m2,$m1"])},
        {"MaxMinutes": st.sampled_from(["480", "0", "60"]), "Group": _NAME,
         "DisplayName": _NAME, "Default": st.just("")}),
    "New-NetIPsecQuickModeCryptoSet": ("$s2", {
        "Name": _NAME, "Proposal": st.sampled_from(["$q1", "$q1, $q2"])},
        {"PerfectForwardSecrecyGroup": st.sampled_from(["DH14", "None", "SameAsMainMode"]),
         "Group": _NAME}),
    "New-NetIPsecRule": ("$r", {
        "IPsecRuleName": _NAME, "LocalAddress": _GOOD_ADDR, "RemoteAddress": _GOOD_ADDR},
        {"QuickModeCryptoSet": st.sampled_from(["$s2.Name", "'qm'", "$s2"]),
         "Phase1AuthSet": st.sampled_from(["$p1.Name", "'p1'"]),
         "InboundSecurity": st.sampled_from(["Require", "Request", "None"]),
         "OutboundSecurity": st.sampled_from(["Require", "Request"]),
         "KeyModule": st.sampled_from(["IKEv1", "IKEv2", "Default", "IKEv1, IKEv2"]),
         "Protocol": st.sampled_from(["TCP", "Any", "17"]),
         "LocalPort": st.sampled_from(["443", "Any"]),
         "Mode": st.sampled_from(["Transport", "Tunnel"]),
         "RemoteTunnelEndpoint": st.sampled_from(["192.0.2.1", "'192.0.2.2'"]),
         "InterfaceType": st.sampled_from(["Any", "Wired", "'Wired, Wireless'"]),
         "Description": _NAME, "Group": _NAME, "Profile": st.sampled_from(["Any", "Domain"]),
         "Enabled": st.sampled_from(["True", "False", "$true"])}),
}


@st.composite
def _valid_statement(draw: st.DrawFn) -> str:
    cmdlet = draw(st.sampled_from(sorted(_VALID)))
    target, required, optional = _VALID[cmdlet]
    target = draw(st.sampled_from([target, target.replace("1", "2"), ""]))
    params = list(required) + draw(st.lists(st.sampled_from(sorted(optional) or ["x"]),
                                            unique=True, max_size=4))
    params = [p for p in draw(st.permutations(params)) if p in required or p in optional]
    text = cmdlet + draw(st.sampled_from(["", " @Store", " @t"]))
    for param in params:
        value = draw((required | optional)[param])
        arg = f"-{param}{value}" if value in ("", ":$true") else f"-{param} {value}"
        text += draw(_SEP) + arg
    return f"{target} = {text}" if target else text


_LINE = st.one_of(_statement(), _valid_statement(), _valid_statement(), _valid_statement(),
                  st.sampled_from([
    "", "# a comment", "$addr = '10.9.9.9'", "$Store = @{ PolicyStore = 'PersistentStore' }",
    "$t = @{ Group = 'g'; Nope = 1 }", "Set-StrictMode -Version 3.0", "[void](Get-X)",
    "$a = 1; $b = 2", "$s1.Name = 'x'"]))

#: a valid script to build on: the generated statements then change it, break it or name it
BASE = ("$m1 = New-NetIPsecMainModeCryptoProposal -Encryption AES128 -Hash SHA1 -KeyExchange "
        "DH14\n$m2 = New-NetIPsecMainModeCryptoProposal -Encryption AES256 -Hash SHA256 "
        "-KeyExchange DH19\n$q1 = New-NetIPsecQuickModeCryptoProposal -Encapsulation ESP "
        "-Encryption AES128 -ESPHash SHA1\n$q2 = New-NetIPsecQuickModeCryptoProposal "
        "-Encapsulation ESP -Encryption AESGCM128 -ESPHash AESGMAC128 -MaxMinutes 30\n"
        "$a1 = New-NetIPsecAuthProposal -Machine -Kerberos\n"
        "$s1 = New-NetIPsecMainModeCryptoSet -Name 'mm' -Proposal $m1, $m2\n"
        "$s2 = New-NetIPsecQuickModeCryptoSet -Name 'qm' -Proposal $q1 -PfsGroup DH14\n"
        "$p1 = New-NetIPsecPhase1AuthSet -Name 'p1' -Proposal $a1\n")
TAIL = ("$r = New-NetIPsecMainModeRule -Name 'r.MainModeRule' -LocalAddress 10.0.0.1 "
        "-RemoteAddress 10.0.0.2 -MainModeCryptoSet $s1.Name -Phase1AuthSet $p1.Name\n"
        "$r = New-NetIPsecRule -IPsecRuleName 'r' -LocalAddress 10.0.0.1 -RemoteAddress "
        "10.0.0.2 -QuickModeCryptoSet $s2.Name -InboundSecurity Require -OutboundSecurity "
        "Require -KeyModule IKEv1\n")


@settings(max_examples=400, deadline=None)
@given(st.lists(_LINE, max_size=10), st.booleans())
def test_plans_on_generated_scripts(lines: list[str], base: bool) -> None:
    """Names, addresses (ranges, subnets, IPv6, keywords), proposal lists, splats, prefixes,
    switches, positional values, continuations, comments and broken statements: the same
    reading both ways, errors included."""
    text = (BASE if base else "") + "\n".join(lines) + "\n" + (TAIL if base else "")
    _both_ways(text)


# ----------------------------------------------------------------------- the lexer parts

_PIECES = ["-Name", "-A", "-a1", "-", "'x y'", "''", "'it''s'", "'a", "b'", "10.0.0.1",
           "a-b", "a:b", "x.y", "$x", "@Store", "`", "#c", "\u2013Name", "\u2018q\u2019",
           "\"q\"", "1", "(", ")", ",", "-²", "ü", "a`b", "\t", "@", "@1", "@a-b", "-a:", "a'b'",
           "'a''b'", "x-", "-x.y"]


@settings(max_examples=600)
@given(st.lists(st.sampled_from(_PIECES), max_size=8), st.sampled_from(["", " ", "    "]),
       st.sampled_from(["\n", " \n", " `\n", "`\n", "", "  `\n", "\r\n", " ` \n"]),
       st.sampled_from([" ", "  ", "", "\t"]))
def test_simple_line_is_the_fast_line_or_nothing(parts: list[str], lead: str, end: str,
                                                  sep: str) -> None:
    """A line the one-regex reader of simple lines takes gives the general lexer's tokens,
    and the shape and slots the general rule gives them (a simple line is plain)."""
    line = lead + sep.join(parts) + end
    simple = ps_lexer._simple_line(line)
    if simple is not None:
        toks, shape, literals = simple
        assert toks == tuple((t.kind, t.text, t.dynamic, t.colon, t.space)
                             for t in ps_lexer._Lexer(line, "s").run())
        assert (shape, literals, True) == ps_lexer._shape(toks)


def test_simple_line_takes_the_rendered_lines() -> None:
    for line in ["    -Name 'p.MainModeCrypto' -DisplayName 'p.MainModeCrypto' `\n",
                 "    -LocalAddress 10.16.176.10 -RemoteAddress 10.1.1.10 -Protocol Any\n"]:
        assert ps_lexer._simple_line(line) is not None


@given(st.lists(st.sampled_from(_PIECES), max_size=6).map(" ".join))
def test_line_shape_leaves_out_only_values_after_parameters(line: str) -> None:
    """Lines of one shape differ only in their slots, and a slot is a plain value right
    after a ``-Param`` (what the binder hands on without looking at it)."""
    try:
        rec = ps_lexer._lex_line(line.replace("\n", ""), False, "s")
    except ParseError:
        return  # a line that does not lex alone has no cached form
    slots = [k for k, s in enumerate(rec.shape) if s[1] is None]
    assert [rec.protos[k][1] for k in slots] == list(rec.literals)
    for k in slots:
        assert k > 0 and rec.protos[k - 1][0] == "param"
        assert rec.protos[k][0] in ("str", "word") and not rec.protos[k][2]
    assert [s for k, s in enumerate(rec.shape) if k not in slots] == \
        [p for k, p in enumerate(rec.protos) if k not in slots]



# ------------------------------------------------------------------ statement templates

def _units(text: str, templated: bool) -> object:
    """Each statement as the reader's units give it: first line, shape numbers, slot texts
    and tokens (or the error, its message and line)."""
    split = ps_templates.script_units if templated else ps_lexer.script_units
    out: list[object] = []
    try:
        for u in split(text, "s"):
            if isinstance(u, list):
                out.append([(t.kind, t.text, t.line, t.dynamic, t.colon, t.space) for t in u])
            else:
                out.append((u.line, u.key, u.values, [
                    (t.kind, t.text, t.line, t.dynamic, t.colon, t.space) for t in u.tokens()]))
    except ParseError as exc:
        out.append(("error", [(p.message, p.line) for p in exc.problems]))
    return out


@pytest.mark.parametrize("path", GOLDEN_PS, ids=lambda p: p.parent.name + "/" + p.name)
def test_templates_give_the_statements_of_the_line_split(path: Path) -> None:
    text = path.read_text(encoding="utf-8").removeprefix("\ufeff")
    for _ in range(3):  # learnt on the way, then from the start
        assert _units(text, True) == _units(text, False)


def test_templates_are_taken_on_rendered_scripts() -> None:
    """Rendered scripts repeat their statements: most are read through templates (else the
    comparisons compare the line-by-line split with itself)."""
    text = max((p.read_text(encoding="utf-8") for p in GOLDEN_PS), key=len)
    units = list(ps_templates.script_units(text.removeprefix("\ufeff"), "s"))
    units = list(ps_templates.script_units(text.removeprefix("\ufeff"), "s"))
    runs = [u for u in units if isinstance(u, ps_templates.TemplateRun)]
    assert len(runs) > len(units) * 0.8
    assert any(u.template.rest is not None for u in runs)


#: statements that recur with other names (as a renderer's do), some with slot texts no
#: template regex takes (quotes, spaces, variables, other spacing) or other shapes
_NAMES = st.sampled_from(["r1", "r-2.x", "10.0.0.1", "x y", "it''s", "$v", "a'b", "\u2018q\u2019",
                          "", "@S", "-X", "a`b", "1.5", "x,y", "#c"])


@st.composite
def _recurring(draw: st.DrawFn) -> str:
    forms = [
        "$s = New-NetIPsecMainModeCryptoSet `\n    @Store -Group {q} `\n"
        "    -Name {q} -DisplayName {q} `\n    -Proposal $m1 -MaxMinutes {w}\n",
        "$r = New-NetIPsecRule `\n    -IPsecRuleName {q} -DisplayName {q} `\n"
        "    -LocalAddress {w} -RemoteAddress {w} -Protocol {w}{sp}\n",
        "Remove-NetIPsecRule @Store -Group {q} -ErrorAction SilentlyContinue\n",
        "$m1 = New-NetIPsecMainModeCryptoProposal -Encryption {w} -Hash SHA1 -KeyExchange DH14\n",
        "$a = New-NetIPsecAuthProposal -Machine -Kerberos\n",
        "$x = New-Thing `\n  -A {w} `\n\n",
        "$y = New-Thing `\n  -A {q},{q} `\n  # c\n",
    ]
    out = ["$Store = @{ PolicyStore = 'PersistentStore' }\n"]
    for _ in range(draw(st.integers(3, 14))):
        form = draw(st.sampled_from(forms))
        name = draw(_NAMES)
        out.append(form.format(q=draw(st.sampled_from(["'" + name + "'", name])),
                               w=draw(st.sampled_from(["10.0.0.1", "Any", "AES128", name])),
                               sp=draw(st.sampled_from(["", " ", " `\n"]))))
    return "".join(out) + draw(st.sampled_from(["", "(", ")", "-Proposal $m1 `"]))


@settings(max_examples=300, deadline=None)
@given(_recurring())
def test_templates_on_recurring_statements(text: str) -> None:
    """Statements of one shape with other slot texts (read through templates) and statements
    that only look alike (read line by line): the same statements and readings both ways."""
    assert _units(text, True) == _units(text, False)
    assert _units(text, True) == _units(text, False)  # with the templates learnt
    _both_ways(text)
    trial = ps_templates.TRIAL
    ps_templates.TRIAL = 2  # the rest line by line after two statements that did not match
    try:
        assert _units(text, True) == _units(text, False)
        _both_ways(text)
    finally:
        ps_templates.TRIAL = trial


_SLOT_TEXTS = ["x", "10.0.0.1", "Any", "'a b'", "''", "'it''s'", "a'b", "$x", "@S", "-X", "a`b",
               "'a -B c'", "\u2018q\u2019", "x,y", "1.5", "a:b", "#c", "'#'", "'x", "\"q\"",
               "-²", "ü", "a.b-c/d:e", "'\t'"]


@settings(max_examples=600)
@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=8), st.data())
def test_template_line_regex_only_takes_lines_of_its_shape(parts: list[str],
                                                          data: st.DataObject) -> None:
    """A line matched by the regex made from a line's shape lexes to that shape, and the
    regex's groups are its slot texts; a simple line matches the regex of its own shape."""
    line = " ".join(parts)
    try:
        rec = ps_lexer._lex_line(line, False, "s")
    except ParseError:
        return
    pattern = ps_templates._simple_pattern(rec)
    if pattern is None:
        return
    if ps_lexer._simple_line(line + "\n") is not None:
        m = re.fullmatch(pattern, line + "\n")
        assert m is not None and m.groups() == rec.literals
    # the same tokens with other slot texts, spaces and ends
    out = [data.draw(st.sampled_from(["", " ", "  "]))]
    for kind, text, *_ in rec.shape:
        if kind == "nl":
            continue
        if text is None:
            out.append(data.draw(st.sampled_from(_SLOT_TEXTS)))
        else:
            out.append("-" + text if kind == "param" else
                       "'" + text + "'" if kind == "str" else text)
        out.append(data.draw(st.sampled_from([" ", "  ", "", "\t"])))
    other = "".join(out).rstrip(" \t") + data.draw(st.sampled_from(["", " ", " `", "`", "  `"]))
    m = re.fullmatch(pattern, other + "\n")
    if m is not None:
        got = ps_lexer._lex_line(other, False, "s")
        assert got.shape == rec.shape
        assert got.literals == m.groups()
        assert ps_lexer._simple_line(other + "\n") is not None


@settings(max_examples=400)
@given(st.text(alphabet=" \t\u00a0\u2003\u3000\ufeff", max_size=3),
       st.lists(st.sampled_from([*_PIECES, "#", "# c", "<#", "#>", "\u201c", "x#y"]), max_size=5),
       st.booleans())
def test_line_record_is_the_lexer_s(lead: str, parts: list[str], last: bool) -> None:
    """A line's cached form (comment lines taken without the lexer) holds the tokens the
    lexer gives for the line alone, and their shape."""
    piece = lead + " ".join(parts)
    line = piece if last else piece + "\n"
    try:
        toks = tuple((t.kind, t.text, t.dynamic, t.colon, t.space)
                     for t in ps_lexer._Lexer(line, "s").run())
    except ParseError:
        with pytest.raises(ParseError):
            ps_lexer._lex_line(piece, last, "s")
        return
    rec = ps_lexer._lex_line(piece, last, "s")
    assert (rec.protos, rec.shape, rec.literals, rec.plain) == (toks, *ps_lexer._shape(toks))
    bare = piece.lstrip(ps_lexer.SPACE_CHARS)
    if not bare or (bare[0] == "#" and "\r" not in piece):  # what the template walk skips
        assert rec.plain and not rec.has and rec.ends != last


@settings(max_examples=500)
@given(st.one_of(
    st.tuples(*[st.integers(0, 300)] * 4).map(lambda q: ".".join(map(str, q))),
    st.lists(st.sampled_from(["0", "00", "01", "1", "10", "255", "256", "249", "199", "1e1",
                              "\u0661", " 1", "-1", "099"]), min_size=3, max_size=5)
    .map(".".join)))
def test_address_shortcut_is_the_parsed_text(text: str) -> None:
    """A plain address read from its number is the network parsing its text gives (and a
    text that is no plain address is left to the parser)."""
    from ipaddress import IPv4Network

    from ccsec.formats.windows import ps_interpreter, ps_values

    try:
        long = (IPv4Network(text, strict=False),)
    except ValueError:
        long = None
    if ps_values.QUAD.fullmatch(text):
        assert ps_values._ipv4_nets.__wrapped__(text) == long
        assert ps_interpreter._text_nets.__wrapped__(text, "LocalAddress") == (long, 0)
        assert str(long[0]) == text + "/32"  # type: ignore[index]
    elif long is not None:
        assert ps_interpreter._text_nets.__wrapped__(text, "LocalAddress") == \
            ps_interpreter._nets_of(ps_values.as_strings(text, "LocalAddress"), "LocalAddress")
