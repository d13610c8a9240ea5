"""Posture rules: each fires on a constructed export and stays quiet on the compliant one."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ccsec.checks.posture import PostureOptions, check_host, segmentation
from ccsec.collector.posture import HostExport, load_export
from ccsec.collector.schema import CollectorExport
from ccsec.deployment import loads
from ccsec.deployment.demo import demo_text
from ccsec.errors import ParseError

FIX = Path(__file__).parent / "fixtures" / "posture"
GOOD = json.loads((FIX / "pg1a-good-constructed.json").read_text())
OPTS = PostureOptions()


def _run(mutate: Callable[[dict[str, Any]], None] | None = None, dep=None,
         opts: PostureOptions = OPTS) -> set[str]:
    doc = copy.deepcopy(GOOD)
    if mutate:
        mutate(doc)
    text = json.dumps(doc, indent=2)
    hx = HostExport("h.json", text, CollectorExport.model_validate(doc))
    return {f.rule for f in check_host(hx, dep, opts)}


def _pref(**kw: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["defender"]["preference"].update(kw)


def test_compliant_host_has_no_findings(demo) -> None:
    assert _run() == set()
    assert _run(dep=demo) == set()


@pytest.mark.parametrize(("rule", "mutate"), [
    ("POSTURE-PATCH-001", lambda d: d.update(hotfixes=[{"HotFixID": "KB1", "InstalledOn":
                                                        "2024-01-01T00:00:00Z"}],
                                             update_history=[])),
    ("POSTURE-PATCH-001", lambda d: d.update(hotfixes=[{"HotFixID": "KB1", "InstalledOn": None}],
                                             update_history=[])),
    ("POSTURE-PATCH-002", lambda d: d.update(windows_update={})),
    ("POSTURE-PATCH-002", lambda d: d["windows_update"].update(WUServer="")),
    ("POSTURE-PATCH-003", lambda d: d["windows_update"].update(WUServer="http://wsus:8530")),
    ("POSTURE-PATCH-003", lambda d: d["windows_update"].update(WUStatusServer="http://w:8530")),
    ("POSTURE-AV-001", _pref(RealTimeScanDirection=0)),
    ("POSTURE-AV-001", _pref(RealTimeScanDirection=2)),
    ("POSTURE-AV-002", _pref(DisableScanningNetworkFiles=False)),
    ("POSTURE-AV-002", _pref(DisableScanningMappedNetworkDrivesForFullScan=False)),
    ("POSTURE-AV-003", _pref(ExclusionPath=[])),
    ("POSTURE-AV-003", _pref(ExclusionExtension=["hst", "ems"])),
    ("POSTURE-AV-004", _pref(ScanScheduleTime="14:00:00")),
    ("POSTURE-AV-005", lambda d: d["defender"]["status"].update(
        AntivirusSignatureLastUpdated="2025-05-10T00:00:00Z")),
    ("POSTURE-AV-006", lambda d: d["defender"]["status"].update(RealTimeProtectionEnabled=False)),
    ("POSTURE-AV-007", _pref(ScanAvgCPULoadFactor=50)),
    ("POSTURE-AV-007", _pref(ScanAvgCPULoadFactor=0)),
    ("POSTURE-HIPS-001", lambda d: d["hips"].update(found=[])),
    ("POSTURE-FW-001", lambda d: d["firewall_profiles"][0].update(Enabled="False")),
])
def test_rule_fires(rule: str, mutate: Callable[[dict[str, Any]], None]) -> None:
    assert rule in _run(mutate)


@pytest.mark.parametrize("mutate", [
    _pref(ScanScheduleTime="20:10:00"),  # just after the busy window
    _pref(ScanScheduleDay=8, ScanScheduleTime="10:00:00"),  # never scheduled
    _pref(ExclusionPath=["c:\\ICM\\"], ExclusionExtension=["*.hst", ".ems", "repl", "localrepl"]),
    lambda d: d["defender"]["status"].update(AMRunningMode="Passive",
                                             RealTimeProtectionEnabled=False),
    lambda d: d["defender"].update(available=False, preference=None, status=None),
    lambda d: d["defender"]["status"].update(AntivirusSignatureLastUpdated="2025-05-18T11:00:00Z"),
    lambda d: d.update(hotfixes=[], update_history=[{"Date": "2025-05-01T00:00:00Z",
                                                     "ResultCode": 2}]),
])
def test_near_misses_do_not_fire(mutate: Callable[[dict[str, Any]], None]) -> None:
    assert _run(mutate) == set()


def test_thresholds_are_options() -> None:
    late = lambda d: d["defender"]["status"].update(  # noqa: E731
        AntivirusSignatureLastUpdated="2025-05-15T00:00:00Z")
    assert "POSTURE-AV-005" in _run(late)
    assert "POSTURE-AV-005" not in _run(late, opts=PostureOptions(max_definition_age_days=7))
    assert "POSTURE-PATCH-001" in _run(opts=PostureOptions(max_patch_age_days=5))
    assert "POSTURE-AV-004" in _run(opts=PostureOptions(busy_hours=(0, 3 * 60)))


def test_half_hour_rule_needs_a_router_or_pg_role(demo) -> None:
    on_half = _pref(ScanScheduleTime="02:30:00")
    assert "POSTURE-AV-004" in _run(on_half, dep=demo)  # PG1A is pg1-a by address
    assert "POSTURE-AV-004" not in _run(on_half)  # role unknown without a deployment


def test_segmentation_from_collected_addresses(demo) -> None:
    agent = lambda d: d["host"]["Addresses"].append(  # noqa: E731
        {"IPAddress": "10.20.64.5", "PrefixLength": 20})
    public = lambda d: d["host"]["Addresses"].append({"IPAddress": "8.8.4.9"})  # noqa: E731
    assert "POSTURE-SEG-001" in _run(agent, dep=demo)
    assert "POSTURE-SEG-002" in _run(public, dep=demo)
    assert _run(public) == set()  # segmentation needs the deployment


def test_segmentation_from_the_deployment_alone(demo) -> None:
    assert segmentation(demo, "demo.yaml") == []
    text = demo_text().replace("public: 10.1.3.20}", "public: 10.20.64.20}").replace(
        "public: 10.20.5.10}", "public: 8.8.8.10}").replace(
        "prefixes: [10.20.0.0/16]", "prefixes: [10.20.0.0/16, 8.8.8.0/24]")
    dep = loads(text.replace("aw-hds-1, site: dc-east", "aw-hds-1, site: pg-osaka"), "d.yaml")
    found = {(f.rule, f.subject) for f in segmentation(dep, "d.yaml")}
    assert ("POSTURE-SEG-001", "aw-hds-1") in found and ("POSTURE-SEG-002", "cucm-1") in found
    web = loads(text.replace("aw-hds-1, site: dc-east", "aw-hds-1, site: pg-osaka").replace(
        "roles: [cucm]", "roles: [web-collab]"), "w.yaml")
    assert ("POSTURE-SEG-002", "cucm-1") not in {(f.rule, f.subject)
                                                 for f in segmentation(web, "w.yaml")}


def test_findings_point_at_the_key() -> None:
    hx = load_export(FIX / "awhds9-bad-constructed.json")
    f = next(f for f in check_host(hx, None, PostureOptions(now=datetime(2025, 5, 20,
                                                                          tzinfo=UTC)))
             if f.rule == "POSTURE-AV-001")
    line = hx.text.splitlines()[f.location.line - 1]
    assert '"RealTimeScanDirection"' in line


@pytest.mark.parametrize(("name", "text", "line"), [
    ("not-collector.json", "not a ccsec collector file", 1),
    ("bad-type.json", "valid integer", 186),
])
def test_bad_exports(name: str, text: str, line: int) -> None:
    with pytest.raises(ParseError) as exc:
        load_export(FIX / name)
    assert text in exc.value.problems[0].message and exc.value.problems[0].line == line
