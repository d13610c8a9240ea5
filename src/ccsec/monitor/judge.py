"""Judging a typeperf/logman CSV against the performance rules of :mod:`ccsec.checks.perf`.

Thresholds are compared with each counter's statistics (min, average, 95th percentile, max);
kernel pools are tested for a steady rise; the IPsec counters for failures, bad packets, clear
text and the absence of any SA.  One finding per counter and cause, located at the CSV header.
"""

from __future__ import annotations

import itertools

from ccsec.checks.perf import (
    BAD_PACKETS,
    IKE_FAIL,
    NO_SA,
    PLAINTEXT,
    POOL,
    Threshold,
    thresholds_for,
)
from ccsec.findings.model import Finding, Location, finding
from ccsec.monitor.perf import PerfData, Series, Stats, stats


def series_thresholds(s: Series) -> list[Threshold]:
    """The thresholds that apply to one series."""
    return thresholds_for(s.column.obj, s.column.counter)


def _loc(data: PerfData) -> Location:
    return Location(data.file, data.header_line)


def _subject(s: Series) -> str:
    return f"\\\\{s.column.machine}{s.column.label}"


def _check_threshold(data: PerfData, s: Series, st: Stats, cpus: int) -> list[Finding]:
    out = []
    for t in series_thresholds(s):
        value = getattr(st, t.stat)
        limit = t.limit(cpus)
        if (value > limit) if t.op == ">" else (value < limit):
            per = f" ({t.value:g} per CPU × {cpus}, --cpus)" if t.per_cpu else ""
            out.append(finding(t.rule, _subject(s), f"{t.stat} {value:,.1f} {t.op} {limit:,.6g}"
                               f"{per} — source {t.source}", _loc(data)))
    return out


def _rising(vals: list[float]) -> bool:
    if len(vals) < 10 or vals[0] <= 0:
        return False
    ups = sum(1 for a, b in itertools.pairwise(vals) if b >= a)
    return ups / (len(vals) - 1) >= 0.8 and (vals[-1] - vals[0]) / vals[0] >= 0.10


def _ipsec(data: PerfData, s: Series, st: Stats) -> Finding | None:
    c = s.column.counter.lower()
    vals = s.present()
    if c.startswith("failed") and c.endswith("negotiations") and vals[-1] > vals[0]:
        return finding(IKE_FAIL, _subject(s), f"rose by {vals[-1] - vals[0]:g} during the "
                       "sample", _loc(data))
    if c in ("incorrect spi packets/sec", "packets not authenticated/sec",
             "packets not decrypted/sec", "packets that failed replay detection/sec") \
            and st.max > 0:
        return finding(BAD_PACKETS, _subject(s), f"max {st.max:g}/s", _loc(data))
    if c == "plaintext packets received/sec" and st.max > 0:
        return finding(PLAINTEXT, _subject(s), f"max {st.max:g}/s", _loc(data))
    if c == "active quick mode sas" and st.max == 0:
        return finding(NO_SA, _subject(s), f"0 during all {st.n} samples", _loc(data))
    return None


def judge(data: PerfData, cpus: int = 1) -> list[Finding]:
    """Every threshold finding of one file."""
    out: list[Finding] = []
    for s in data.series:
        st = stats(s)
        if st is None:
            continue
        out += _check_threshold(data, s, st, cpus)
        counter = s.column.counter.lower()
        if s.column.obj.lower() == "memory" and counter.startswith("pool ") and \
                counter.endswith("bytes") and _rising(s.present()):
            vals = s.present()
            out.append(finding(POOL, _subject(s), f"rose from {vals[0]:,.0f} to {vals[-1]:,.0f} "
                               f"over {len(vals)} samples", _loc(data)))
        if s.column.obj.lower().startswith("ipsec"):
            f = _ipsec(data, s, st)
            if f:
                out.append(f)
    return out
