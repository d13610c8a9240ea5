"""The [ops] commands end to end: tables, --json, --fail-on, exit 2 with file:line."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from ccsec.collector.pscheck import check

FIX = Path(__file__).parent / "fixtures"
REAL = FIX / "charon" / "real"


def test_logging_prints_only_the_script_on_stdout(cli) -> None:
    res = cli("logging", "enable", "--target", "windows-legacy")
    assert res.code == 0 and res.out.startswith("@echo off")
    assert "ccsec logging disable --target windows-legacy" in res.err  # the table, on stderr
    doc = json.loads(cli("logging", "disable", "--target", "strongswan", "--json").out)
    assert doc["kind"] == "POSIX sh (run as root)" and "rm -f" in doc["script"]


@pytest.mark.parametrize("args", [("logging", "enable", "--target", "solaris"),
                                  ("logging", "restart", "--target", "windows")])
def test_logging_bad_arguments(cli, args) -> None:
    res = cli(*args)
    assert res.code == 2 and "Traceback" not in res.err


def test_logs_on_real_samples_with_the_demo(cli) -> None:
    files = [str(p) for p in sorted((REAL / "v2-ike-proposal-mismatch").glob("*-filelog.log"))]
    res = cli("logs", *files, "--deployment", "demo")
    assert res.code == 0
    assert "rgr-a (10.1.1.10) ↔ pg1-a (10.20.1.10)" in res.out and "LOG-001" in res.out
    assert "yes (real samples)" in res.out
    assert cli("logs", *files, "--fail-on", "high").code == 1
    assert cli("logs", *files, "--fail-on", "critical").code == 0
    doc = json.loads(cli("logs", *files, "--deployment", "demo", "--json").out)
    assert doc["findings"][0]["subject"] == "p4-rgr-a-pg1-a"
    assert doc["timelines"][0]["ends"] == ["rgr-a (10.1.1.10)", "pg1-a (10.20.1.10)"]
    assert {f["format"] for f in doc["files"]} == {"strongswan-charon"}


@pytest.mark.parametrize(("args", "where"), [
    (("logs", str(FIX / "winevents" / "wevtutil-malformed.xml")), "wevtutil-malformed.xml:4:"),
    (("logs", str(FIX / "oakley" / "oakley-malformed.log")), "oakley-malformed.log:1:"),
    (("logs", "/nonexistent/charon.log"), "/nonexistent/charon.log: cannot read"),
    (("perf", "judge", str(FIX / "perf" / "perf-malformed.csv")), "perf-malformed.csv:2:"),
    (("posture", str(FIX / "posture" / "bad-type.json")), "bad-type.json:186:"),
    (("phones", str(FIX / "phones" / "malformed.csv")), "malformed.csv:2:"),
    (("logs", str(REAL / "v2-timeout" / "b-filelog.log"), "--fail-on", "urgent"), "urgent"),
])
def test_malformed_input_exit_2_with_location(cli, args, where) -> None:
    res = cli(*args)
    assert res.code == 2 and where in res.err and "Traceback" not in res.err


def test_perf_commands(cli, tmp_path: Path) -> None:
    res = cli("perf", "collector", "--interval", "30", "--samples", "120")
    assert res.code == 0 and "-si 30 -sc 120" in res.out and "Pool Nonpaged Bytes" in res.err
    out = tmp_path / "plots"
    res = cli("perf", "judge", str(FIX / "perf" / "typeperf-busy-en-us.csv"), "-o", str(out),
              "--cpus", "2", "--fail-on", "high")
    assert res.code == 1 and "PERF-MEM-001" in res.out
    assert (out / "processor.png").stat().st_size > 0
    doc = json.loads(cli("perf", "judge", str(FIX / "perf" / "logman-healthy-de-de.csv"),
                         "--json").out)
    assert doc["decimal"] == "," and doc["findings"] == [] and len(doc["counters"]) == 14


def test_collector_command(cli) -> None:
    res = cli("collector", "windows")
    assert res.code == 0 and check(res.out) == []
    schema = json.loads(cli("collector", "windows", "--schema").out)
    assert schema["properties"]["schema"]["const"] == "ccsec-windows-collector/1"


def test_posture_command(cli) -> None:
    good = str(FIX / "posture" / "pg1a-good-constructed.json")
    bad = str(FIX / "posture" / "awhds9-bad-constructed.json")
    res = cli("posture", good, "--deployment", "demo", "--fail-on", "low")
    assert res.code == 0 and "pg1-a" in res.out
    res = cli("posture", good, bad, "--deployment", "demo", "--json", "--fail-on", "high")
    assert res.code == 1
    doc = json.loads(res.out)
    assert {h["deployment_host"] for h in doc["hosts"]} == {"pg1-a", None}
    assert "POSTURE-SEG-001" in {f["rule"] for f in doc["findings"]}
    assert cli("posture", "--deployment", "demo").code == 0
    assert cli("posture").code == 2
    assert cli("posture", good, "--busy-hours", "25:00-01:00").code == 2


def test_phones_command(cli) -> None:
    export = str(FIX / "phones" / "bat-export-constructed.csv")
    res = cli("phones", export, "--deployment", "demo")
    assert res.code == 0 and "PHONE-005" in res.out and "SEP001122334499" in res.out
    doc = json.loads(cli("phones", export, "--monitoring", "cm", "--json").out)
    assert not {"PHONE-001", "PHONE-002", "PHONE-003"} & {f["rule"] for f in doc["findings"]}
    assert cli("phones", export, "--fail-on", "high").code == 1
    assert cli("phones", str(FIX / "phones" / "numeric-constructed.csv"),
               "--numeric-encoding", "vendorconfig").code == 0


def test_ports_formats(cli) -> None:
    text = cli("ports", "demo")
    assert text.code == 0 and "do not segment with a firewall" in text.out
    rows = list(csv.DictReader(io.StringIO(cli("ports", "demo", "--format", "csv").out)))
    assert {"path", "listener", "protocol", "ports"} <= set(rows[0])
    assert any(r["ports"] == "40042, 40057, 40043" for r in csv.DictReader(io.StringIO(
        cli("ports", "demo", "--format", "csv", "--instance", "1").out)))
    doc = json.loads(cli("ports", "demo", "--format", "json", "--pg-slot", "pg1-a=2").out)
    assert doc["pg_slots"] == {"pg1-a": 2} and doc["do_not_segment"][0]["host"] == "cucm-1"
    assert cli("ports", "demo", "--pg-slot", "nohost=2").code == 2
    assert cli("ports", "demo", "--format", "xml").code == 2
