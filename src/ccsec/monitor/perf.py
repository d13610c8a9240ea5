"""Performance counters (MISSION D4): the counter set, collector commands, PDH-CSV reader, stats.

The guide's list (000 「システム モニタリング」) names several counters that are not Windows'
real names ("Memory\\Nonpaged Pool Bytes" is ``\\Memory\\Pool Nonpaged Bytes``; "Logical Disk\\%
Disk Space" is ``\\LogicalDisk(*)\\% Free Space``): :data:`COUNTERS` keeps the guide's text next
to the exact PDH path (windows-and-cce-facts.md §2.1).  The IPsec objects (§2.2) are added.

The reader takes what typeperf/logman/relog write (PDH-CSV 4.0, §2.4): the ``"(PDH-CSV 4.0)
(<zone>)(<bias>)"`` header found wherever it starts, quoted cells, blank ``" "`` samples, and
numbers in any locale's format — decimal comma or point, thousands separators — detected from
the file itself.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime

from ccsec.errors import ParseError, Problem, shown_repr


@dataclass(frozen=True)
class Counter:
    guide: str  # the guide's wording ("" for counters the guide does not list)
    path: str  # exact PDH path to collect
    group: str  # plot group
    mark: str = "[V]"  # confidence of the exact path (facts file)


COUNTERS: tuple[Counter, ...] = (
    Counter("Cache\\Data Map Hits %", "\\Cache\\Data Map Hits %", "cache"),
    Counter("Cache\\Fast Reads/sec", "\\Cache\\Fast Reads/sec", "cache", "[P]"),
    Counter("Cache\\Lazy Write Pages/sec", "\\Cache\\Lazy Write Pages/sec", "cache", "[P]"),
    Counter("Logical Disk\\% Disk Space", "\\LogicalDisk(*)\\% Free Space", "disk"),
    Counter("Memory\\Available Bytes", "\\Memory\\Available Bytes", "memory"),
    Counter("", "\\Memory\\Available MBytes", "memory"),
    Counter("Memory\\Nonpaged Pool Allocs", "\\Memory\\Pool Nonpaged Allocs", "memory"),
    Counter("Memory\\Nonpaged Pool Bytes", "\\Memory\\Pool Nonpaged Bytes", "memory"),
    Counter("Memory\\Paged Pool Allocs", "\\Memory\\Pool Paged Allocs", "memory"),
    Counter("Memory\\Paged Pool Bytes", "\\Memory\\Pool Paged Bytes", "memory"),
    Counter("Processor(_Total)% Processor Time", "\\Processor(_Total)\\% Processor Time",
            "processor"),
    Counter("System\\Context Switches/sec", "\\System\\Context Switches/sec", "processor"),
    Counter("System\\Processor Queue Length", "\\System\\Processor Queue Length", "processor"),
    Counter("Processor(_Total)\\Interrupts/sec", "\\Processor(_Total)\\Interrupts/sec",
            "processor"),
)

#: IPsec counter sets (§2.2): class/property names [V], display names [P], single-instance [U]
IPSEC_COUNTERS: tuple[Counter, ...] = tuple(
    Counter("", f"\\{obj}\\{name}", "ipsec", "[P]")
    for obj in ("IPsec IKEv1 IPv4", "IPsec IKEv2 IPv4", "IPsec AuthIP IPv4")
    for name in ("Active Main Mode SAs", "Active Quick Mode SAs",
                 "Failed Main Mode Negotiations", "Failed Quick Mode Negotiations")
) + tuple(
    Counter("", f"\\IPsec Driver\\{name}", "ipsec", "[P]")
    for name in ("Active Security Associations", "Incorrect SPI Packets/sec",
                 "Packets Not Authenticated/sec", "Packets Not Decrypted/sec",
                 "Packets That Failed Replay Detection/sec", "Plaintext Packets Received/sec",
                 "Inbound Packets Dropped/sec")
)


def counter_file() -> str:
    """The ``-cf`` file: one counter path per line."""
    return "\n".join(c.path for c in COUNTERS + IPSEC_COUNTERS) + "\n"


def collector_commands(interval_s: int, samples: int) -> str:
    """typeperf and logman commands (facts §2.3) as a reviewable .cmd script."""
    hh, mm, ss = interval_s // 3600, interval_s % 3600 // 60, interval_s % 60
    lines = [
        "@echo off",
        "rem ccsec perf collector: counter paths as Windows names them (PDH paths, typeperf)",
        "rem Cisco's list (CCE Security Guide, IPsec and NAT Support: System Monitoring)",
        "rem with the real Windows names:",
    ]
    for c in COUNTERS:
        if c.guide and c.guide.replace("\\", "") != c.path.replace("\\", ""):
            lines.append(f"rem   guide: {c.guide:<38} -> {c.path} {c.mark}")
    lines += [
        "rem IPsec objects: display names [P]; confirm with: typeperf -qx \"IPsec Driver\"",
        "if not exist C:\\ccsec mkdir C:\\ccsec",
        "(",
    ]
    lines += [f"echo {c.path.replace('%', '%%')}" for c in COUNTERS + IPSEC_COUNTERS]
    lines += [
        ") > C:\\ccsec\\cce_counters.txt",
        "rem one-off sampling to CSV:",
        f"typeperf -cf C:\\ccsec\\cce_counters.txt -si {interval_s} -sc {samples} -f CSV "
        "-o C:\\ccsec\\perf_%COMPUTERNAME%.csv -y",
        "rem or a scheduled collector (CSV is limited to 2 GB):",
        f"logman create counter ccsec-cce -cf C:\\ccsec\\cce_counters.txt -f csv "
        f"-si {hh:02d}:{mm:02d}:{ss:02d} -sc {samples} -o C:\\PerfLogs\\ccsec-cce -v mmddhhmm -y",
        "logman start ccsec-cce",
        "rem when done: logman stop ccsec-cce & logman delete ccsec-cce",
        "rem then: ccsec perf judge C:\\PerfLogs\\ccsec-cce_<version>.csv -o plots",
    ]
    return "\r\n".join(lines) + "\r\n"


# --------------------------------------------------------------------- PDH-CSV


@dataclass(frozen=True)
class Column:
    path: str
    machine: str
    obj: str
    instance: str | None
    counter: str

    @property
    def label(self) -> str:
        inst = f"({self.instance})" if self.instance is not None else ""
        return f"\\{self.obj}{inst}\\{self.counter}"


@dataclass
class Series:
    column: Column
    times: list[datetime] = field(default_factory=list)
    values: list[float | None] = field(default_factory=list)

    def present(self) -> list[float]:
        return [v for v in self.values if v is not None]


@dataclass
class PerfData:
    file: str
    zone: str
    bias_minutes: int | None
    decimal: str  # "." or ","
    series: list[Series]
    header_line: int


_HEADER = re.compile(r"^\(PDH-CSV (?P<ver>[0-9.]+)\)\s*\((?P<zone>[^)]*)\)\s*"
                     r"\((?P<bias>-?[0-9]+)\)")
_PATH = re.compile(r"^\\\\(?P<machine>[^\\]+)\\(?P<obj>[^\\]+?)\\(?P<counter>[^\\]+)$")
_TIME_FORMATS = ("%m/%d/%Y %H:%M:%S.%f", "%m/%d/%Y %H:%M:%S", "%d.%m.%Y %H:%M:%S.%f",
                 "%d.%m.%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S")
_GROUP_CHARS = " \u00a0\u202f'"


def parse_column(path: str, file: str, line: int) -> Column:
    m = _PATH.match(path.strip())
    if not m:
        raise ParseError(Problem(f"not a counter path: {shown_repr(path, 80)}", file=file,
                                 line=line,
                                 fix="pass a typeperf/logman/relog CSV (PDH-CSV 4.0)"))
    obj, instance = m["obj"], None
    if obj.endswith(")") and "(" in obj:
        obj, instance = obj[: obj.index("(")], obj[obj.index("(") + 1: -1]
    return Column(path, m["machine"], obj, instance, m["counter"])


def _evidence(cell: str) -> str | None:
    """Which decimal separator one numeric cell proves, if any."""
    c = cell.strip().lstrip("+-")
    c = re.split(r"[eE]", c)[0]
    has_dot, has_comma = "." in c, "," in c
    if has_dot and has_comma:
        return "," if c.rfind(",") > c.rfind(".") else "."
    for sep in (".", ","):
        if (has_dot if sep == "." else has_comma):
            parts = c.split(sep)
            if len(parts) > 2:
                return "," if sep == "." else "."  # several: group separators
            if len(parts[1]) != 3:
                return sep
    return None


def detect_decimal(cells: list[str]) -> str:
    """``"."`` or ``","`` — decided by the cells that are unambiguous (majority)."""
    votes = {".": 0, ",": 0}
    for cell in cells:
        e = _evidence(cell)
        if e:
            votes[e] += 1
    return "," if votes[","] > votes["."] else "."


def to_number(cell: str, decimal: str) -> float | None:
    c = cell.strip()
    if not c:
        return None
    group = "," if decimal == "." else "."
    for ch in _GROUP_CHARS + group:
        c = c.replace(ch, "")
    if decimal == ",":
        c = c.replace(",", ".")
    try:
        return float(c)
    except ValueError:
        return None


def _time(cell: str, file: str, line: int) -> datetime:
    text = cell.strip()
    for fmt in _TIME_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ParseError(Problem(f"bad timestamp {shown_repr(text, 60)}", file=file, line=line,
                             fix="PDH-CSV rows start with \"MM/DD/YYYY HH:MM:SS.mmm\""))


def parse_csv(text: str, file: str) -> PerfData:
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.lstrip('\ufeff"').startswith(
        "(PDH-CSV")), None)
    if start is None:
        first = next((i for i, line in enumerate(lines, 1) if line.strip()), 1)
        raise ParseError(Problem("no PDH-CSV header (\"(PDH-CSV 4.0) …\")", file=file, line=first,
                                 fix="pass a CSV written by typeperf -f CSV, logman -f csv or "
                                     "relog -f CSV"))
    reader = csv.reader(io.StringIO("\n".join(lines[start:])))
    try:
        rows = list(reader)
    except csv.Error as exc:  # a cell over csv's field limit (128 KiB), a NUL…
        raise ParseError(Problem(f"malformed CSV: {exc}", file=file,
                                 line=start + reader.line_num,
                                 fix="pass the CSV as typeperf/logman/relog wrote it")) from None
    header = rows[0]
    hm = _HEADER.match(header[0].lstrip("\ufeff"))
    if not hm or len(hm["bias"]) > 6:
        raise ParseError(Problem(f"malformed PDH-CSV header cell {shown_repr(header[0], 80)}",
                                 file=file, line=start + 1,
                                 fix="the first cell is \"(PDH-CSV 4.0) (<zone>)(<bias "
                                 "minutes>)\""))
    columns = [parse_column(p, file, start + 1) for p in header[1:]]
    data_rows: list[tuple[int, list[str]]] = []
    for offset, row in enumerate(rows[1:], start + 2):
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if not row[0].strip()[:1].isdigit():
            continue  # typeperf's status lines ("Exiting, please wait...", "The command …")
        if len(row) != len(header):
            raise ParseError(Problem(f"{len(row)} cells, the header has {len(header)}",
                                     file=file, line=offset,
                                     fix="the file is truncated or mixes two collections"))
        data_rows.append((offset, row))
    decimal = detect_decimal([c for _, row in data_rows for c in row[1:]])
    series = [Series(col) for col in columns]
    for line_no, row in data_rows:
        t = _time(row[0], file, line_no)
        for s, cell in zip(series, row[1:], strict=True):
            s.times.append(t)
            s.values.append(to_number(cell, decimal))
    return PerfData(file, hm["zone"], int(hm["bias"]), decimal, series, start + 1)


# ------------------------------------------------------------------------ stats

@dataclass(frozen=True)
class Stats:
    n: int
    missing: int
    min: float
    avg: float
    p95: float
    max: float


def percentile(sorted_values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default method)."""
    if len(sorted_values) == 1:
        return sorted_values[0]
    pos = (len(sorted_values) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def stats(s: Series) -> Stats | None:
    vals = s.present()
    if not vals:
        return None
    ordered = sorted(vals)
    return Stats(len(vals), len(s.values) - len(vals), ordered[0], sum(vals) / len(vals),
                 percentile(ordered, 0.95), ordered[-1])


def group_of(col: Column) -> str:
    o = col.obj.lower()
    if o.startswith("ipsec"):
        return "ipsec"
    if o in ("processor", "system", "processor information"):
        return "processor"
    if o == "memory" or o == "paging file":
        return "memory"
    if o in ("logicaldisk", "physicaldisk"):
        return "disk"
    if o == "cache":
        return "cache"
    return "other"
