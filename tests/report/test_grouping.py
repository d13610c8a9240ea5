"""Findings grouped for the report: one row per rule and cause, names of the deployment taken
out of the cause, every finding under exactly one row; and what the grouped table shows."""

from __future__ import annotations

from ccsec.deployment import Deployment
from ccsec.findings.group import NAMED, adds_to, cause_of, names_of
from ccsec.findings.group import group_findings as group
from ccsec.findings.model import Finding, Location, Severity

FIX = "Accept it (waiver) or use IKEv2."


def _f(subject: str, message: str, rule: str = "IPSEC-IKE-004",
       severity: Severity = Severity.LOW, fix: str = FIX, line: int | None = None) -> Finding:
    return Finding(rule, severity, subject, message, fix,
                   Location(f"{subject.split(':')[0]}/ipsec.ps1", line))


def test_names_come_from_the_deployment(demo: Deployment) -> None:
    names = names_of(demo, ["p4-rgr-a-pg1-a"])
    assert {"rgr-a", "pg1-a", "cucm-1", "rtr-east", "dc-east", "pg-osaka",
            "p4-rgr-a-pg1-a"} <= names
    assert "IKEv1" not in names and "the" not in names


def test_cause_takes_names_out_and_nothing_else() -> None:
    names = {"cucm-1", "cucm-2", "pg1-a"}
    assert cause_of("IKEv1: the peer cucm-1 is Communications Manager", names) == \
        f"IKEv1: the peer {NAMED} is Communications Manager"
    # a name inside a longer token is not a name; words and algorithm names stay
    assert cause_of("cucm-10 uses aes256-sha256 (IKEv1)", names) == \
        "cucm-10 uses aes256-sha256 (IKEv1)"


def test_one_group_per_rule_and_cause() -> None:
    names = {"cucm-1", "cucm-2", "pg1-a", "pg1-b", "rgr-a"}
    found = [
        _f("pg1-a:p8-pg1-a-cucm-1", "IKEv1: the peer cucm-1 is Communications Manager", line=9),
        _f("pg1-b:p8-pg1-b-cucm-2", "IKEv1: the peer cucm-2 is Communications Manager"),
        _f("pg1-a:p4", "IKEv1: Windows Kerberos authentication runs over IKEv1/AuthIP only"),
        _f("rgr-a:p4", "IKEv1: Windows Kerberos authentication runs over IKEv1/AuthIP only"),
        _f("rgr-a:p4", "weak group", rule="IPSEC-DH-001", severity=Severity.HIGH, fix="use 19"),
        # same message, another fix: another cause
        _f("pg1-b:p4", "IKEv1: Windows Kerberos authentication runs over IKEv1/AuthIP only",
           fix="Other fix."),
    ]
    groups = group(found, names)
    # most severe first, then by rule
    assert [g.rule for g in groups] == ["IPSEC-DH-001"] + ["IPSEC-IKE-004"] * 3
    assert sorted(len(g.findings) for g in groups[1:]) == [1, 2, 2]
    assert sum(len(g.findings) for g in groups) == len(found)
    assert {id(f) for g in groups for f in g.findings} == {id(f) for f in found}
    peer = next(g for g in groups if NAMED in g.cause)
    assert not peer.same_message and peer.message == peer.cause
    assert [f.subject for f in peer.findings] == sorted(f.subject for f in peer.findings)
    kerberos = next(g for g in groups if g.fix == FIX and "Kerberos" in g.cause)
    assert kerberos.same_message and kerberos.message == found[2].message


def test_a_subject_shows_its_message_only_when_it_names_more() -> None:
    names = {"cucm-1", "pg1-a", "p8-pg1-a-cucm-1", "p4-rgr-a-pg1-a", "rgr-a"}
    assert not adds_to("the peer cucm-1 is CUCM", "pg1-a:p8-pg1-a-cucm-1", names)
    assert adds_to("the peer cucm-1 is CUCM", "pg1-a:p4-rgr-a-pg1-a", names)
    assert not adds_to("no name at all", "pg1-a", names)


def test_grouped_rows_in_the_report(cli, tmp_path) -> None:
    """The demo's own rendered configurations: 24 findings, three rows; each row lists its
    subjects, and sums to every finding."""
    import json

    from htmlkit import parse

    configs = tmp_path / "configs"
    assert cli("-q", "render", "demo", "-o", str(configs)).code == 0
    out = tmp_path / "r.html"
    assert cli("-q", "report", "demo", "--configs", str(configs), "-o", str(out)).code == 0
    audit = cli("audit", "demo", "--configs", str(configs), "--json")
    findings = json.loads(audit.out)["findings"]
    page = parse(out.read_text(encoding="utf-8"))
    rows = [e for e in page.elements if e.tag == "tr" and e.attrs.get("class") == "finding"]
    assert 1 < len(rows) < len(findings)
    assert sum(int(r.attrs["data-count"]) for r in rows) == len(findings)
    for r in rows:
        rule = r.attrs["data-rule"]
        subjects = [f["subject"] for f in findings if f["rule"] == rule]
        assert any(s in r.text for s in subjects)
    # the count in the heading says both
    assert f"({len(findings)} in {len(rows)} rows)" in page.by_id("findings").text
