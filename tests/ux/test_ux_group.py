"""Findings grouped by rule and cause (issue 16, item 5): the grouping function itself."""

from __future__ import annotations

from ccsec.findings.group import group_findings, subject_list
from ccsec.findings.model import Finding, Location, Severity


def _f(rule: str, subject: str, message: str = "IKEv1 only", sev: Severity = Severity.LOW,
       line: int | None = None) -> Finding:
    loc = Location(f"{subject}/ipsec.ps1", line) if line else None
    return Finding(rule, sev, subject, message, "accept it or use IKEv2", loc)


def test_identical_causes_share_one_group_with_every_subject() -> None:
    findings = [_f("IPSEC-IKE-004", s, line=n) for n, s in enumerate(["pg1-b", "aw-1", "pg1-a"], 1)]
    findings.append(_f("IPSEC-IKE-004", "cucm-1", "the peer cucm-1 is Communications Manager"))
    groups = group_findings(findings)
    assert [len(g) for g in groups] == [3, 1]
    assert groups[0].subjects == ["aw-1", "pg1-a", "pg1-b"]
    assert [loc.line for loc in groups[0].locations] == [2, 3, 1]
    assert groups[1].message == "the peer cucm-1 is Communications Manager"


def test_groups_are_ordered_by_severity_then_rule() -> None:
    groups = group_findings([
        _f("B-RULE", "x"), _f("A-RULE", "x"), _f("C-RULE", "x", sev=Severity.CRITICAL),
    ])
    assert [g.rule for g in groups] == ["C-RULE", "A-RULE", "B-RULE"]


def test_a_different_severity_or_fix_is_a_different_group() -> None:
    a = _f("R", "x")
    b = Finding("R", Severity.HIGH, "y", a.message, a.fix)
    c = Finding("R", Severity.LOW, "z", a.message, "another fix")
    assert len(group_findings([a, b, c])) == 3


def test_subject_list_names_all_up_to_the_limit_then_counts() -> None:
    group = group_findings([_f("R", f"h{n:04d}") for n in range(1300)])[0]
    assert subject_list(group, limit=3) == "h0000, h0001, h0002 and 1,297 more"
    small = group_findings([_f("R", "a"), _f("R", "b")])[0]
    assert subject_list(small) == "a, b"
