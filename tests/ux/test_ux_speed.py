"""The shortcuts the 1,000-site speed work took give the same answers as the long way
(issue 16, done-when performance)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsec.formats import registry
from ccsec.formats.windows import ps_lexer
from ccsec.plan import plan
from ccsec.policy import PolicySet

ROOT = Path(__file__).resolve().parents[2]
GOLDEN_PS = sorted((ROOT / "tests" / "golden" / "windows-powershell").rglob("*.ps1"))


def _toks(tokens: list[ps_lexer.Tok]) -> list[tuple[object, ...]]:
    return [(t.kind, t.text, t.line, t.dynamic, t.colon, t.space) for t in tokens]


def _whole(text: str) -> object:
    try:
        return _toks(ps_lexer._Lexer(text, "s").run())
    except Exception as exc:  # the error itself is compared
        return type(exc), str(exc)


def _lines(text: str) -> object:
    try:
        return _toks(ps_lexer.tokenize(text, "s"))
    except Exception as exc:  # the error itself is compared
        return type(exc), str(exc)


@pytest.mark.parametrize("path", GOLDEN_PS, ids=lambda p: p.parent.name + "/" + p.name)
def test_line_cache_tokens_equal_the_whole_text_lexer(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert _lines(text) == _whole(text)
    assert _lines(text) == _whole(text)  # again, from the cache


@pytest.mark.parametrize("text", [
    "a 'b\nc'\n",                       # a string over a line end
    "x = @'\nhi\n'@\n",                 # a here-string
    "<# c\n#>\nGet-X\n",                # a block comment
    "A -B `\n  -C 1\r\nD\r\n",          # continuation and CRLF
    "\ufeffA\n\nB",                     # BOM, empty line, no final newline
    "A\rB\n",                           # a lone CR ends a line for the lexer
    "$x = \"a$b\"\nY 'q''r'\n",          # dynamic text, doubled quote
    "A 'unclosed\n",                    # an error: same message and line
])
def test_line_cache_edge_cases(text: str) -> None:
    assert _lines(text) == _whole(text)


@given(st.lists(st.sampled_from(["New-X -A 1", "  -B 'x y' `", "$v = @('a', 'b')", "# c",
                                 "Get-Y | Remove-Y", "", "'a", "b'", "@'", "'@", "-C:$true",
                                 "\r", "x\ty"]), max_size=12))
def test_line_cache_on_generated_scripts(lines: list[str]) -> None:
    text = "\n".join(lines)
    assert _lines(text) == _whole(text)


@pytest.fixture(scope="module")
def policy_sets(demo) -> list[PolicySet]:
    return [plan(demo, profile) for profile in ("legacy", "recommended", "strict")
            if _plans(demo, profile)]


def _plans(dep, profile: str) -> bool:
    try:
        plan(dep, profile)
    except Exception:  # strict has no proposal for Communications Manager
        return False
    return True


@pytest.mark.parametrize("name", registry.names())
def test_expressible_is_unsupported_being_empty(name: str, policy_sets) -> None:
    fmt = registry.get(name)
    checked = 0
    for ps in policy_sets:
        for end in ps.ends:
            assert fmt.expressible(end) == (not fmt.unsupported(end)), (name, end.owner)
            checked += 1
    assert checked >= 16


@pytest.mark.parametrize("name", registry.names())
def test_expressible_asks_the_model_refusals_too(name: str, policy_sets) -> None:
    """What the model holds only from real configurations (an IPv6 selector here) is refused
    by unsupported() before the format's own rows; expressible() must say the same (it once
    skipped those rows, and the demo has no such rule to show it)."""
    from ipaddress import ip_network

    fmt = registry.get(name)
    for end in policy_sets[0].ends:
        rule = end.rules[0]
        v6 = rule.model_copy(update={"filters": tuple(
            f.model_copy(update={"local": ip_network("fd00::/64"),
                                 "remote": ip_network("fd01::/64")}) for f in rule.filters)})
        changed = end.model_copy(update={"rules": (v6, *end.rules[1:])})
        assert fmt.expressible(changed) == (not fmt.unsupported(changed)), (name, end.owner)


# ------------------------------------------------------- PowerShell statements and binding

def _statements_long(text: str) -> object:
    try:
        return [_toks(s) for s in ps_lexer.statements(ps_lexer._Lexer(text, "s").run(), "s")]
    except Exception as exc:  # the error itself is compared
        return type(exc), str(exc)


def _statements_fast(text: str) -> object:
    try:
        return [_toks(s) for s in ps_lexer.script_statements(text, "s")]
    except Exception as exc:  # the error itself is compared
        return type(exc), str(exc)


SCRIPT_LINES = ["New-X -A 1", "  -B 'x y' `", "$v = @('a', 'b')", "# c", "Get-Y | Remove-Y", "",
                "'a", "b'", "@'", "'@", "-C:$true", "\r", "x\ty", "(", ")", "{", "}", "$a = 1;",
                "$b = 2; $c = 3", "A -B 1,", "  2", "$x =", "  4", "A |", "  B", "[void](X)",
                "-Name 'a' -Group $g", "]", "$(1)", "-²"]


@pytest.mark.parametrize("path", GOLDEN_PS, ids=lambda p: p.parent.name + "/" + p.name)
def test_script_statements_equal_statements_of_tokens(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert _statements_fast(text) == _statements_long(text)
    assert _statements_fast(text) == _statements_long(text)  # again, from the line cache


@given(st.lists(st.sampled_from(SCRIPT_LINES), max_size=14))
def test_script_statements_on_generated_scripts(lines: list[str]) -> None:
    """Brackets across lines, ``;``, continued lines and broken scripts: the same statements,
    or the same error (message and line), as the token-by-token split."""
    text = "\n".join(lines)
    assert _statements_fast(text) == _statements_long(text)


LINE_PIECES = [*SCRIPT_LINES, "-", "$", "'", '"', "`", "\u2013Name", "@", ".", "$x.Name", "1.5",
               "a=b", "\u201cq\u201d", "#x"]


@given(st.lists(st.sampled_from(LINE_PIECES), max_size=8).map(" ".join))
def test_fast_line_is_the_lexer_or_nothing(line: str) -> None:
    """A line the one-regex reader takes whole gives the lexer's tokens."""
    line = line.replace("\r", "").replace("\n", "") + "\n"
    fast = ps_lexer._fast_line(line)
    if fast is not None:
        assert fast == tuple((t.kind, t.text, t.dynamic, t.colon, t.space)
                             for t in ps_lexer._Lexer(line, "s").run())


def _parse_both_ways(text: str) -> tuple[object, object]:
    from ccsec.errors import ParseError
    from ccsec.formats.windows.powershell import FORMAT
    from ccsec.formats.windows.ps_interpreter import Interpreter

    out = []
    for fast in (True, False):
        Interpreter.fast_bind = fast
        try:
            p = FORMAT.parse(text, "s.ps1")
            out.append((p.policies, p.notes))
        except ParseError as exc:
            out.append(str(exc))
        finally:
            Interpreter.fast_bind = True
    return out[0], out[1]


@pytest.mark.parametrize("path", GOLDEN_PS, ids=lambda p: p.parent.name + "/" + p.name)
def test_fast_bind_reads_golden_scripts_as_the_general_binder(path: Path) -> None:
    fast, general = _parse_both_ways(path.read_text(encoding="utf-8"))
    assert fast == general and not isinstance(fast, str)


_BIND_PARTS = ["-Encryption", "AES256", "-Hash", "SHA256", "-KeyExchange", "DH19", "DH14", "-Enc",
               "-E", "-Encryption:", "$x", "$x.Name", "'AES128'", '"DH$y"', ",", "-WhatIf",
               "-Verbose", "-ea", "Stop", "(", ")", "-Hash:$true", "-KeyExchange DH14", "@s",
               "@t"]


@given(st.lists(st.sampled_from(_BIND_PARTS), max_size=10))
def test_fast_bind_equals_the_general_binder(parts: list[str]) -> None:
    """Every binding outcome — values, the line of each, duplicates, missing values,
    ambiguous or unknown names, notes — is the same with and without the shortcut."""
    text = ("$x = New-NetIPsecMainModeCryptoProposal -Encryption AES256 -Hash SHA256 "
            "-KeyExchange DH14\n$s = @{ Hash = 'SHA1'; KeyExchange = 'DH19' }\n"
            "$p = New-NetIPsecMainModeCryptoProposal `\n  "
            + " ".join(parts) + "\n")
    fast, general = _parse_both_ways(text)
    assert fast == general


# ------------------------------------------------------------------------------ CUCM fold

@given(st.text(alphabet=st.one_of(st.characters(), st.sampled_from("Kk\u212a\u0130Aa0 -_:")),
               max_size=20))
def test_cucm_fold_is_ascii_alnum_of_the_lower_case(text: str) -> None:
    """The regex fold keeps what the character-by-character definition keeps (non-ASCII
    letters that lower-case to ASCII ones included)."""
    from ccsec.formats.cucm.values import fold

    assert fold(text) == "".join(c for c in text.lower() if c.isascii() and c.isalnum())


# ------------------------------------------------------------ support rows without messages

def _refusal_rules(policy_sets: list[PolicySet]) -> list[object]:
    """Rules that fire rows (every case of the PowerShell support tests, refused and near
    miss) and rules that fire none (the demo's)."""
    from test_format_windows_ps import CASES, make_rule

    rules: list[object] = [r for ps in policy_sets for e in ps.ends for r in e.rules]
    first = make_rule()
    for _id, bad, near, _words in CASES:
        rules += [make_rule(**bad), make_rule(**near)]
        # the refused item behind one that is fine: a check must look past the first item
        late: dict[str, object] = {}
        if "esp" in bad:
            late["esp"] = (*first.esp, *bad["esp"])
        if "ike" in bad:
            late["ike"] = bad["ike"].model_copy(
                update={"proposals": (*first.ike.proposals, *bad["ike"].proposals)})
        if "filters" in bad:
            late["filters"] = (*first.filters, *bad["filters"])
        if "auth" in bad:
            late["auth"] = (*first.auth, *bad["auth"])
        if late:
            with contextlib.suppress(ValueError):  # a mix the model itself refuses
                rules.append(make_rule(**{**bad, **late}))
    return rules


@pytest.mark.parametrize("name", registry.names())
def test_row_fires_is_row_messages_being_nonempty(name: str, policy_sets) -> None:
    """``fires`` (what expressible() asks) agrees with the messages unsupported() formats,
    row by row — item groups included — on rules that fire rows and rules that do not."""
    fmt = registry.get(name)
    fired = 0
    for rule in _refusal_rules(policy_sets):
        for row in (*fmt.MODEL_REFUSALS, *fmt.REFUSALS):
            says = bool(row.messages(rule))
            assert row.fires(rule) == says, (name, row.id)
            fired += says
    assert fired > 0
