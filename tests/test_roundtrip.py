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
from ccsec.formats.base import Format, RenderContext
from ccsec.formats.registry import get, names
from ccsec.policy import EndPolicy, PolicySet, Rule
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


# ---------------------------------------------------------------- the declared loss tables


def changed_fields(before: EndPolicy, after: EndPolicy) -> set[str]:
    """``end.<field>`` / ``rule.<field>`` names whose values differ (rules pairwise)."""
    out = {f"end.{name}" for name in EndPolicy.model_fields
           if name != "rules" and getattr(before, name) != getattr(after, name)}
    assert len(before.rules) == len(after.rules), "project() must keep every rule"
    for a, b in zip(before.rules, after.rules, strict=True):
        out |= {f"rule.{name}" for name in Rule.model_fields
                if getattr(a, name) != getattr(b, name)}
    return out


def tabled(name: str) -> bool:
    """The format's losses are its table (``project`` is the base class's)."""
    return type(get(name)).project is Format.project


@pytest.mark.parametrize("name", [n for n in names() if tabled(n)])
@given(data=st.data())
def test_project_changes_exactly_the_declared_fields(name: str, data: st.DataObject) -> None:
    fmt = get(name)
    end = data.draw(end_policies(knobs(name)))
    declared = {loss.field for loss in fmt.LOSSES}
    assert changed_fields(end, fmt.project(end, CTX)) <= declared


def test_every_format_declares_its_losses_as_a_table() -> None:
    assert [n for n in names() if not tabled(n)] == []


def test_an_undeclared_loss_is_caught(demo_ps: PolicySet) -> None:
    """A format whose project() drops ``dpd_s`` without declaring it fails the check."""
    end = demo_ps.ends[0]
    dropped = end.model_copy(update={"rules": tuple(
        r.model_copy(update={"dpd_s": None if r.dpd_s else 30}) for r in end.rules)})
    assert "rule.dpd_s" in changed_fields(end, dropped)
