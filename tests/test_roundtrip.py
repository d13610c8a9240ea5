"""parse(render(p)) == project(p) for every format, on generated policies.

Descriptions carry quotes, newlines, $(…), backticks, semicolons and non-ASCII: a format either
carries them exactly or refuses the policy with UnsupportedError — it never crashes, never writes
half a file, and nothing in a description ever becomes a command (an injected command would
surface here as an extra or changed object after parsing).
"""

from __future__ import annotations

from importlib import import_module

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ccsec.errors import UnsupportedError
from ccsec.formats import get, names
from ccsec.formats.base import RenderContext
from modeldiff import assert_same
from strategies import any_end_policy, end_policies

CTX = RenderContext("roundtrip", "test")


def knobs(name: str):
    # knobs_<format name>: one package may hold several formats (ccsec.formats.windows)
    return import_module("knobs_" + name.replace("-", "_")).KNOBS


@pytest.mark.parametrize("name", names())
@given(data=st.data())
def test_roundtrip_exact(name: str, data: st.DataObject) -> None:
    fmt = get(name)
    end = data.draw(end_policies(knobs(name)))
    reasons = fmt.unsupported(end)
    assume(not reasons)
    parsed = fmt.parse(fmt.render(end, CTX))
    assert_same(parsed.policies, [fmt.project(end, CTX)])


@pytest.mark.parametrize("name", names())
@given(end=any_end_policy())
def test_refuse_or_roundtrip(name: str, end) -> None:
    fmt = get(name)
    if fmt.unsupported(end):
        with pytest.raises(UnsupportedError):
            fmt.render(end, CTX)
        return
    parsed = fmt.parse(fmt.render(end, CTX))
    assert_same(parsed.policies, [fmt.project(end, CTX)])


@pytest.mark.parametrize("name", names())
@given(data=st.data())
def test_project_is_idempotent(name: str, data: st.DataObject) -> None:
    fmt = get(name)
    end = data.draw(end_policies(knobs(name)))
    once = fmt.project(end, CTX)
    assert fmt.project(once, CTX) == once
