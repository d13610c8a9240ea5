"""The shortcuts the 1,000-site speed work took give the same answers as the long way
(issue 16, done-when performance)."""

from __future__ import annotations

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
