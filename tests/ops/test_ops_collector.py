"""The Windows collector script (static, read-only, balanced) and its JSON schema."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ccsec.collector.pscheck import check, code_only
from ccsec.collector.schema import CollectorExport
from ccsec.collector.windows import HIPS_SERVICES, SCRIPT, script
from ccsec.monitor import logscripts

FIX = Path(__file__).parent / "fixtures" / "posture"


def test_collector_script_passes_the_checker() -> None:
    assert check(script()) == []


def test_collector_is_read_only_by_construction() -> None:
    code = code_only(SCRIPT)
    verbs = set(re.findall(r"(?<![\w$.-])([A-Z][a-z]+)-[A-Z][A-Za-z0-9]+\b", code))
    assert verbs <= {"Get", "ConvertTo", "ConvertFrom", "Select", "Where", "ForEach", "Test",
                     "Join", "Write", "Out", "New"}
    assert "New-Object" in code and not re.search(r"New-(?!Object)", code)
    assert "netsh.exe ipsec static show all" in code


def test_collector_never_collects_a_key() -> None:
    code = code_only(SCRIPT)
    # the only use of the key property is a [bool] cast: presence, never the value
    assert re.findall(r"\$_\.PreSharedKey\b", code) == ["$_.PreSharedKey"]
    assert "[bool]$_.PreSharedKey" in code
    assert "'<redacted line: pre-shared key>'" in SCRIPT and "': <redacted>'" in SCRIPT


def test_hips_list_in_script_matches_the_documented_list() -> None:
    m = re.search(r"\$hipsNames = @\(([^)]*)\)", SCRIPT)
    assert m is not None
    assert re.findall(r"'([^']+)'", m.group(1)) == list(HIPS_SERVICES)
    assert all("[U]" in v for v in HIPS_SERVICES.values())


def test_script_keys_match_the_schema() -> None:
    """Every envelope key the script writes is a field of the schema (by alias)."""
    schema = CollectorExport.model_json_schema(by_alias=True)
    top = set(schema["properties"])
    written = set(re.findall(r"^  (\w+) = ", SCRIPT.split("$export = [ordered]@{")[1], re.M))
    assert written <= top and {"schema", "host", "ipsec", "defender"} <= written
    ipsec = schema["$defs"]["IpsecExport"]["properties"]
    for key in ("Rules", "MainModeRules", "MainModeCryptoSets", "QuickModeCryptoSets",
                "Phase1AuthSets", "Phase2AuthSets", "FirewallSetting", "NetshIpsecStatic"):
        assert key in ipsec and f"{key} = $" in SCRIPT


@pytest.mark.parametrize(("text", "problem"), [
    ("Get-Item -Path 'x\n", "unterminated single-quoted string"),
    ('Write-Host "a $b"', "interpolation"),
    ("Get-Process | ForEach-Object { $_ ", "'{' is never closed"),
    ("Get-Date)", "unbalanced ')'"),
    ("Set-MpPreference -RealTimeScanDirection 1", "Set-MpPreference is not read-only"),
    ("New-NetIPsecRule -DisplayName x", "New-NetIPsecRule is not read-only"),
    ("Invoke-Expression $x", "not read-only"),
    ("netsh advfirewall set allprofiles state off", "netsh is only allowed with `show`"),
    ("@\"\n$x\n\"@", "interpolation ($) inside a here-string"),
    ("<# open comment", "unterminated block comment"),
])
def test_checker_catches(text: str, problem: str) -> None:
    assert any(problem in str(p) for p in check(text)), check(text)


def test_checker_accepts_quoting_forms() -> None:
    ok = ("Get-Item 'it''s' # Set-Thing in a comment\n<# Remove-Item #>\n"
          "Write-Host \"tab`t\"\n$x = @'\nSet-Nothing $here\n'@\n[Math]::Min(1, 2)\n")
    assert check(ok) == []


@pytest.mark.parametrize("target", ["windows"])
@pytest.mark.parametrize("action", ["enable", "disable"])
def test_logging_powershell_scripts_are_balanced(action: str, target: str) -> None:
    assert check(logscripts.script(action, target), read_only=False) == []


def test_schema_reads_a_collector_file_and_tolerates_powershell_lists() -> None:
    doc = json.loads((FIX / "pg1a-good-constructed.json").read_text())
    doc["defender"]["preference"]["ExclusionPath"] = "C:\\icm"  # one-item array that lost @()
    doc["ipsec"]["Rules"][0]["LocalAddress"] = None  # empty array written as null
    data = CollectorExport.model_validate(doc)
    assert data.defender.preference.exclusion_path == ["C:\\icm"]
    assert data.ipsec.rules[0].local_address == []
    rule = data.ipsec.rules[0]
    assert (rule.key_module, rule.inbound_security, rule.quick_mode_crypto_set) == (
        "IKEv1", "Require", "ccsec-qm-p4-rgr-a-pg1-a")
    assert data.ipsec.quick_mode_crypto_sets[0].proposal[0].esp_hash == "AESGMAC256"
    assert data.ipsec.firewall_setting.allow_ipsec_through_nat == "None"
    assert data.ipsec.phase1_auth_sets[0].proposal[0].pre_shared_key_present is False
