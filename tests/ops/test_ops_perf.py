"""perfmon: counter paths, collector commands, PDH-CSV reading (locales), thresholds, plots."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccsec.errors import ParseError
from ccsec.monitor.judge import judge
from ccsec.monitor.perf import (
    COUNTERS,
    collector_commands,
    detect_decimal,
    parse_csv,
    percentile,
    stats,
    to_number,
)
from ccsec.monitor.plot import plot
from ccsec.textio import read_text

FIX = Path(__file__).parent / "fixtures" / "perf"


def _load(name: str):
    return parse_csv(read_text(FIX / name), name)


def test_guide_names_are_corrected() -> None:
    by_guide = {c.guide: c.path for c in COUNTERS if c.guide}
    assert by_guide["Memory\\Nonpaged Pool Bytes"] == "\\Memory\\Pool Nonpaged Bytes"
    assert by_guide["Memory\\Paged Pool Allocs"] == "\\Memory\\Pool Paged Allocs"
    assert by_guide["Logical Disk\\% Disk Space"] == "\\LogicalDisk(*)\\% Free Space"
    assert by_guide["Processor(_Total)% Processor Time"] == "\\Processor(_Total)\\% Processor Time"
    script = collector_commands(15, 240)
    for wrong in ("\\Memory\\Nonpaged Pool Bytes", "Logical Disk\\% Disk Space"):
        assert f"echo {wrong}" not in script
    assert "echo \\LogicalDisk(*)\\%% Free Space" in script  # % doubled inside a .cmd
    assert "echo \\IPsec Driver\\Packets Not Authenticated/sec" in script
    assert "typeperf -cf C:\\ccsec\\cce_counters.txt -si 15 -sc 240 -f CSV" in script
    assert "-si 00:00:15 -sc 240" in script and "logman start ccsec-cce" in script


def test_en_us_typeperf_with_status_lines() -> None:
    data = _load("typeperf-busy-en-us.csv")
    assert (data.decimal, data.zone, data.bias_minutes) == (".", "W. Europe Standard Time", -60)
    cpu = data.series[0]
    assert cpu.column.machine == "PG1A" and cpu.column.instance == "_Total"
    assert cpu.values[0] is None and len(cpu.values) == 30  # blank " " first rate sample
    st = stats(cpu)
    assert (st.n, st.missing, st.min, st.max) == (29, 1, 88.0, 92.0)


def test_de_de_decimal_comma_and_thousands() -> None:
    data = _load("logman-healthy-de-de.csv")
    assert data.decimal == ","
    mem = next(s for s in data.series if s.column.counter == "Available MBytes")
    assert mem.values[0] == 6120.0
    pool = next(s for s in data.series if s.column.counter == "Pool Nonpaged Bytes")
    assert pool.values[1] == 180_001_000.0
    assert data.series[0].column.label == "\\Processor(_Total)\\% Processor Time"


@pytest.mark.parametrize(("cells", "decimal"), [
    (["14.062500000000000", "1,000"], "."),
    (["14,062500000000000", "1.000"], ","),
    (["1.234.567,5", "2"], ","),
    (["1,234,567.5"], "."),
    (["1 234,50"], ","),
])
def test_decimal_detection(cells: list[str], decimal: str) -> None:
    assert detect_decimal(cells) == decimal


def test_numbers() -> None:
    assert to_number("7,0625001143654654e-005", ",") == pytest.approx(7.0625e-05, rel=1e-4)
    assert to_number("6\u00a0120,5", ",") == 6120.5
    assert to_number(" ", ".") is None and to_number("n/a", ".") is None
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.95) == pytest.approx(3.85)


def test_thresholds_fire_with_their_sources() -> None:
    found = judge(_load("typeperf-busy-en-us.csv"), cpus=2)
    by_rule = {f.rule: f for f in found}
    assert {"PERF-CPU-001", "PERF-MEM-001", "PERF-DISK-001", "PERF-QUEUE-001", "PERF-POOL-001",
            "PERF-IPSEC-001", "PERF-IPSEC-003", "PERF-IPSEC-004"} <= set(by_rule)
    assert "Exchange 2010 Common Counters" in by_rule["PERF-MEM-001"].message
    assert "(D:)" in by_rule["PERF-DISK-001"].subject  # C: has 40 % free: no finding
    assert not any("(C:)" in f.subject for f in found)
    assert "per CPU × 2" in by_rule["PERF-QUEUE-001"].message
    assert "PERF-CTX-001" not in by_rule and "PERF-INTR-001" not in by_rule
    # one CPU: 900+ interrupts/s stays under 1000; queue 4-6 > 2
    assert "PERF-INTR-001" not in {f.rule for f in judge(_load("typeperf-busy-en-us.csv"))}


def test_healthy_file_has_no_findings() -> None:
    assert judge(_load("logman-healthy-de-de.csv"), cpus=4) == []


def test_plot_files(tmp_path: Path) -> None:
    written = plot(_load("typeperf-busy-en-us.csv"), tmp_path, cpus=2)
    names = {p.name for p in written}
    assert names == {"processor.png", "memory.png", "disk.png", "cache.png", "ipsec.png"}
    for p in written:
        data = p.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    assert not list(tmp_path.glob(".*"))  # no temp files left


@pytest.mark.parametrize(("name", "line", "text"), [
    ("perf-malformed.csv", 2, "2 cells, the header has 3"),
    ("not-pdh.csv", 1, "no PDH-CSV header"),
])
def test_malformed(name: str, line: int, text: str) -> None:
    with pytest.raises(ParseError) as exc:
        _load(name)
    assert exc.value.problems[0].line == line and text in exc.value.problems[0].message


def test_bad_timestamp_and_counter_path() -> None:
    with pytest.raises(ParseError, match="bad timestamp") as exc:
        parse_csv('"(PDH-CSV 4.0) (UTC)(0)","\\\\H\\System\\Threads"\n"13/45/2025 99:00:00","1"\n',
                  "x.csv")
    assert exc.value.problems[0].line == 2
    with pytest.raises(ParseError, match="not a counter path"):
        parse_csv('"(PDH-CSV 4.0) (UTC)(0)","Threads"\n', "y.csv")
