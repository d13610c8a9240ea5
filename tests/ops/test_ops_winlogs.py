"""Oakley.log and Windows security-event exports (all CONSTRUCTED from documentation)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ccsec.errors import ParseError
from ccsec.monitor.logs import parse_file, parse_text
from ccsec.monitor.logs.diagnose import PlanIndex, diagnose, negotiations
from ccsec.monitor.logs.ikeerrors import lookup
from ccsec.monitor.logs.model import Kind
from ccsec.monitor.logs.winevents import message_fields
from ccsec.plan import plan

FIX = Path(__file__).parent / "fixtures"


def _rules(path: Path, index=None) -> dict[str, str]:
    return {f.rule: f.subject for f in diagnose(negotiations([parse_file(path)]), index)}


def test_oakley_constructed_sample() -> None:
    log = parse_file(FIX / "oakley" / "oakley-constructed.log")
    assert log.fmt == "windows-oakley-log" and not log.verified
    kinds = [e.kind for e in log.events]
    assert kinds.count(Kind.START) == 3
    assert Kind.IKE_NO_PROPOSAL in kinds and Kind.TIMEOUT in kinds
    assert Kind.IKE_ESTABLISHED in kinds and Kind.CHILD_ESTABLISHED in kinds
    fail = next(e for e in log.events if e.kind is Kind.IKE_NO_PROPOSAL)
    assert (fail.local, fail.peer) == ("10.20.1.10", "10.1.1.10")  # from the Acquire line
    assert fail.detail["reason"] == "Policy match error" and fail.detail["code"] == "13868"
    assert _rules(FIX / "oakley" / "oakley-constructed.log") == {
        "LOG-001": "10.1.1.10 ↔ 10.20.1.10", "LOG-006": "10.1.2.10 ↔ 10.20.1.10"}


def test_oakley_ties_to_the_demo(demo) -> None:
    index = PlanIndex(demo, plan(demo), "demo")
    found = diagnose(negotiations([parse_file(FIX / "oakley" / "oakley-constructed.log")]),
                     index)
    ike = next(f for f in found if f.rule == "LOG-001")
    assert ike.subject == "p4-rgr-a-pg1-a" and "the log does not list the proposals" in ike.message
    assert "unverified" in ike.message


def test_ike_error_table() -> None:
    assert lookup("%%13868")[2] is Kind.IKE_NO_PROPOSAL
    assert lookup("0x35ed")[1] == "Negotiation timed out"
    assert lookup("No policy configured.")[0] == 13825
    assert lookup("something new")[2] is Kind.FAILED


@pytest.mark.parametrize("name", ["wevtutil-constructed.xml", "get-winevent-constructed.json",
                                  "export-csv-constructed.csv"])
def test_the_three_export_shapes_agree(name: str) -> None:
    rules = _rules(FIX / "winevents" / name)
    assert rules["LOG-008"] == "10.1.1.10 ↔ 10.20.1.10"  # 4653 No policy configured
    assert rules["LOG-002"] == "10.20.1.10 ↔ 10.20.1.11"  # 4654 Policy match error


def test_xml_specifics() -> None:
    log = parse_file(FIX / "winevents" / "wevtutil-constructed.xml")
    assert [e.line for e in log.events][:2] == [1, 2]
    assert log.events[0].time is not None and log.events[0].time.year == 2025
    rules = _rules(FIX / "winevents" / "wevtutil-constructed.xml")
    assert rules["LOG-004"] == "10.20.1.10 ↔ 10.20.5.10"  # 13801 with a preshared key
    assert "LOG-011" in rules and "LOG-013" in rules
    # 4650 (established) is not a failure
    assert "10.1.1.11 ↔ 10.20.1.10" not in rules.values()


def test_json_is_utf16_and_ps51_dates() -> None:
    assert (FIX / "winevents" / "get-winevent-constructed.json").read_bytes()[:2] == b"\xff\xfe"
    log = parse_file(FIX / "winevents" / "get-winevent-constructed.json")
    assert log.events[0].time.isoformat().startswith("2025-05-14T09:12:44")
    assert log.events[0].line > 1


def test_message_fields_are_section_aware() -> None:
    f = message_fields("Local Endpoint:\n\tNetwork Address:\t1.1.1.1\nRemote Endpoint:\n"
                       "\tNetwork Address:\t2.2.2.2\nFailure Information:\n"
                       "\tFailure Reason:\tNo policy configured\n")
    assert f == {"LocalAddress": "1.1.1.1", "RemoteAddress": "2.2.2.2",
                 "FailureReason": "No policy configured"}


def test_collector_file_events() -> None:
    rules = _rules(FIX / "posture" / "pg1a-good-constructed.json")
    assert rules == {"LOG-001": "10.1.1.10 ↔ 10.20.1.10"}


@pytest.mark.parametrize(("name", "line", "text"), [
    ("oakley/oakley-malformed.log", 1, "not a log format"),
    ("winevents/wevtutil-malformed.xml", 4, "malformed event XML"),
    ("winevents/export-csv-malformed.csv", 3, "not a number"),
])
def test_malformed_inputs_name_file_and_line(name: str, line: int, text: str) -> None:
    with pytest.raises(ParseError) as exc:
        parse_file(FIX / name)
    p = exc.value.problems[0]
    assert p.line == line and text in p.message and p.file.endswith(name)


def test_doctype_is_refused_and_bad_json_has_a_line() -> None:
    with pytest.raises(ParseError, match="DOCTYPE"):
        parse_text('<!DOCTYPE x [<!ENTITY a "b">]><Event/>', "x.xml")
    with pytest.raises(ParseError) as exc:
        parse_text('[\n {"Id": 4653,\n  "Message": }\n]', "x.json")
    assert exc.value.problems[0].line == 3
    with pytest.raises(ParseError, match="no numeric Id"):
        parse_text(json.dumps([{"Message": "x"}]), "y.json")
    with pytest.raises(ParseError, match="empty"):
        parse_text("  \n", "z.log")
