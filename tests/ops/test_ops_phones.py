"""Phone export reader and E6 rules (constructed BAT-style exports)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccsec.checks.phones import Monitoring, check, monitoring_from
from ccsec.collector.phones import parse, security_mode
from ccsec.errors import ParseError

FIX = Path(__file__).parent / "fixtures" / "phones"
HEADER = ("Device Name,Device Type,Device Pool,Device Security Mode,PC Port,"
          "PC Voice VLAN Access,Span to PC Port,Gratuitous ARP\n")


def _rules(row: str, mon: str = "desktop") -> set[str]:
    phones = parse(HEADER + row + "\n", "p.csv")
    return {f.rule for f in check(phones, "p.csv", Monitoring(mon, {}))}


GOOD = "SEP1,Cisco 8841,agents,Non Secure,Enabled,Enabled,Enabled,Disabled"


def test_compliant_phone() -> None:
    assert _rules(GOOD) == set()


@pytest.mark.parametrize(("row", "rule"), [
    ("SEP1,Cisco 8841,agents,Non Secure,Disabled,Enabled,Enabled,Disabled", "PHONE-001"),
    ("SEP1,Cisco 8841,agents,Non Secure,Enabled,Off,Enabled,Disabled", "PHONE-002"),
    ("SEP1,Cisco 8841,agents,Non Secure,Enabled,Enabled,false,Disabled", "PHONE-003"),
    ("SEP1,Cisco 7960,agents,Authenticated,Enabled,Enabled,Enabled,Disabled", "PHONE-004"),
    ("SEP1,Cisco 7940G,agents,Encrypted,Enabled,Enabled,Enabled,Disabled", "PHONE-004"),
    ("SEP1,Cisco 8865,agents,Encrypted,Enabled,Enabled,Enabled,Disabled", "PHONE-005"),
    ("SEP1,Cisco 8865,agents,Authenticated,Enabled,Enabled,Enabled,Disabled", "PHONE-006"),
    ("SEP1,Cisco 8841,agents,Non Secure,Enabled,Enabled,Enabled,Enabled", "PHONE-007"),
])
def test_rule_fires(row: str, rule: str) -> None:
    assert rule in _rules(row)


def test_near_misses() -> None:
    disabled = "SEP1,Cisco 8841,agents,Non Secure,Disabled,Disabled,Disabled,Disabled"
    assert _rules(disabled, "cm") == set()  # CM-based monitoring needs no PC port
    assert _rules(disabled, "none") == set()
    # 7960 non-secure is fine; an 8865 authenticated is not the 7940/7960 rule
    assert "PHONE-004" not in _rules("SEP1,Cisco 7960,a,Non Secure,Enabled,Enabled,Enabled,No")
    assert "PHONE-004" not in _rules("SEP1,Cisco 8865,a,Authenticated,Enabled,Enabled,Enabled,No")
    # encrypted without monitoring: no PHONE-005
    assert "PHONE-005" not in _rules("SEP1,Cisco 8865,a,Encrypted,Enabled,Enabled,Enabled,No",
                                     "none")
    # values not in the export (empty) are not findings
    assert _rules("SEP1,Cisco 8841,agents,,,,,") == set()


def test_bat_export_with_the_demo(demo) -> None:
    phones = parse((FIX / "bat-export-constructed.csv").read_text(), "bat.csv")
    assert [p.security for p in phones] == ["non-secure", "non-secure", "authenticated",
                                            "encrypted", "non-secure"]
    found = check(phones, "bat.csv", monitoring_from(demo, None))
    lobby = [f for f in found if "SEP001122334499" in f.subject]
    assert lobby == []  # pool "lobby" is not an agent network once agents-osaka matched
    assert {f.rule for f in found if "SEP001122334466" in f.subject} == {
        "PHONE-001", "PHONE-002", "PHONE-003", "PHONE-007"}
    assert all(f.location.line >= 2 for f in found)
    # without a deployment every phone is assumed to be an agent phone with desktop monitoring
    assert [f for f in check(phones, "bat.csv", monitoring_from(None, None))
            if "SEP001122334499" in f.subject]


def test_security_mode_from_profile_names() -> None:
    assert security_mode("Cisco 7960 - Standard SCCP Non-Secure Profile") == "non-secure"
    assert security_mode("Universal Device Template - Model-independent Security Profile") == ""
    assert security_mode("Encrypted") == "encrypted"


def test_numeric_values_need_the_explicit_encoding() -> None:
    text = (FIX / "numeric-constructed.csv").read_text()
    with pytest.raises(ParseError) as exc:
        parse(text, "n.csv")
    assert exc.value.problems[0].line == 2 and "numeric-encoding" in exc.value.problems[0].fix
    [p] = parse(text, "n.csv", numeric=True)
    assert p.settings == {"pc_port": True, "voice_vlan": False}


@pytest.mark.parametrize(("name", "text"), [
    ("malformed.csv", "4 fields, the header has 3"),
    ("no-model.csv", "no 'devicetype'-like column"),
])
def test_malformed_exports(name: str, text: str) -> None:
    with pytest.raises(ParseError, match=text):
        parse((FIX / name).read_text(), name)
