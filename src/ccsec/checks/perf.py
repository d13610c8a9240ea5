"""Performance-counter rules and thresholds — each with the source that states it.

The rules and the threshold table are catalog data; :mod:`ccsec.monitor.judge` applies them to
a parsed typeperf/logman CSV (and :mod:`ccsec.monitor.plot` draws them), so this module depends
on nothing but the findings model.

Cisco's own counter table (Serviceability Best Practices Guide) was not retrievable, so the
numbers are Microsoft's (Windows 2000 Resource Kit table 5.8, the counters' explain texts,
Exchange 2010 "Common Counters") plus two blog-grade ones marked unverified.  The IPsec rules
are ccsec's own reading of Microsoft's explain texts of the IPsec counters.
"""

from __future__ import annotations

from dataclasses import dataclass

from ccsec.findings.model import CheckRule, Severity, rule
from ccsec.findings.sources import (
    CCE_IPSEC,
    MS_BOTTLENECKS,
    MS_COMMON_COUNTERS,
    MS_TYPEPERF,
    MS_WFP_AUDITING,
)

FAMILY = "perf"
SEED = CCE_IPSEC.at("IPsec Activity › System Monitoring (perfmon counters)")
RK = MS_BOTTLENECKS.at()
EXCHANGE = MS_COMMON_COUNTERS.at()
#: the counters' own explain texts (perfmon, typeperf -qx); names from public WMI wrappers [P]
EXPLAIN = MS_TYPEPERF.at("the IPsec counters' explain texts (typeperf -qx)", "[P]")

CPU = rule("PERF-CPU-001", "Processor time above threshold", Severity.MEDIUM, FAMILY,
           "Sustained high CPU leaves no headroom for call routing peaks; Cisco's Diagnostic "
           "Framework itself refuses heavy requests above 60 %.",
           "Find the process using the CPU (antivirus scans, reports) and move it out of "
           "business hours, or add capacity.",
           (SEED, RK, EXCHANGE))
QUEUE = rule("PERF-QUEUE-001", "Processor queue length above threshold", Severity.MEDIUM, FAMILY,
             "Threads waiting for a CPU: more than 2 per processor sustained indicates "
             "congestion.", "Reduce load or add processors.",
             (SEED, EXCHANGE, RK))
MEMORY = rule("PERF-MEM-001", "Available memory below threshold", Severity.HIGH, FAMILY,
              "Below 100 MB available the system pages heavily.",
              "Find the memory consumer (pool leak, process) or add memory.",
              (SEED, EXCHANGE))
DISK = rule("PERF-DISK-001", "Free disk space below 15 %", Severity.MEDIUM, FAMILY,
            "Logger/HDS databases and logs grow; below 15 % free the volume is at risk.",
            "Purge or extend the volume.", (SEED, RK))
POOL = rule("PERF-POOL-001", "Kernel pool grows steadily", Severity.MEDIUM, FAMILY,
            "A steady increase of Pool Nonpaged/Paged Bytes over the sample indicates a kernel "
            "memory leak (a driver, often AV/HIPS or NIC).",
            "Identify the leaking pool tag (poolmon) and update the driver.",
            (SEED, EXCHANGE),
            unverified="the trend test (≥ 80 % rising steps and ≥ 10 % growth) is ccsec's")
CTX = rule("PERF-CTX-001", "Context switches very high", Severity.LOW, FAMILY,
           "More than about 5 000 context switches per second per CPU suggests thrashing.",
           "Look for a process/driver storm.", (SEED,),
           unverified="blog-grade threshold [U]")
INTR = rule("PERF-INTR-001", "Interrupts very high", Severity.LOW, FAMILY,
            "More than about 1 000 interrupts per second per CPU sustained suggests a device "
            "or driver problem.", "Check NIC/storage drivers and interrupt moderation.",
            (SEED,), unverified="blog-grade threshold [U]")
IKE_FAIL = rule("PERF-IPSEC-001", "IPsec negotiations failed during the sample", Severity.MEDIUM,
                FAMILY, "Failed Main/Quick Mode Negotiations rose: some path did not negotiate.",
                "Enable IKE logging (`ccsec logging enable`) and diagnose with `ccsec logs`.",
                (SEED, EXPLAIN),
                unverified="counter display names [P]; cumulative since IPsec start")
BAD_PACKETS = rule("PERF-IPSEC-002", "IPsec packets failed authentication/decryption/replay",
                   Severity.MEDIUM, FAMILY,
                   "Microsoft explain text: bad SPI bursts may be spoofing; rising Not "
                   "Authenticated may be modification or corrupting network gear; replay "
                   "failures network problems or replay attacks.",
                   "Capture on the path and look for faulty equipment or an attacker.",
                   (EXPLAIN,), unverified="display names [P]")
PLAINTEXT = rule("PERF-IPSEC-003", "Plain-text packets received by the IPsec driver",
                 Severity.MEDIUM, FAMILY,
                 "Plaintext Packets Received/sec above zero on a host whose policy requires "
                 "IPsec means something talks to it in clear text.",
                 "Find the sender (event 4963, capture) and apply its policy.",
                 (EXPLAIN, MS_WFP_AUDITING.at("event 4963: clear text where IPsec is "
                                              "required")),
                 unverified="own rule; display names [P]")
NO_SA = rule("PERF-IPSEC-004", "No active Quick Mode SA during the sample", Severity.MEDIUM,
             FAMILY, "Active Quick Mode SAs stayed 0: no IPsec SA protected any traffic — on a "
             "server whose policy requires IPsec the tunnel is down.",
             "Check the IPsec policy is assigned and the peers negotiate (`ccsec logs`).",
             (EXPLAIN,), unverified="own rule [U]")

ALL = (CPU, QUEUE, MEMORY, DISK, POOL, CTX, INTR, IKE_FAIL, BAD_PACKETS, PLAINTEXT, NO_SA)


@dataclass(frozen=True)
class Threshold:
    """A line drawn on the plot and a test on the stats: ``stat`` ``op`` ``value``."""

    obj: str
    counter: str
    stat: str  # min | avg | p95 | max
    op: str  # > | <
    value: float
    rule: CheckRule
    source: str
    per_cpu: bool = False

    def limit(self, cpus: int) -> float:
        return self.value * cpus if self.per_cpu else self.value


THRESHOLDS: tuple[Threshold, ...] = (
    Threshold("processor", "% processor time", "p95", ">", 85, CPU,
              "Windows 2000 Resource Kit: 85 %"),
    Threshold("processor", "% processor time", "avg", ">", 75, CPU,
              "Exchange 2010 Common Counters: avg 75 %"),
    Threshold("system", "processor queue length", "p95", ">", 2, QUEUE,
              "counter explain text: > 2 per CPU sustained", per_cpu=True),
    Threshold("memory", "available mbytes", "min", "<", 100, MEMORY,
              "Exchange 2010 Common Counters: 100 MB"),
    Threshold("memory", "available bytes", "min", "<", 100 * 1024 * 1024, MEMORY,
              "Exchange 2010 Common Counters: 100 MB"),
    Threshold("logicaldisk", "% free space", "min", "<", 15, DISK,
              "Windows 2000 Resource Kit: 15 %"),
    Threshold("system", "context switches/sec", "avg", ">", 5000, CTX, "blog-grade [U]",
              per_cpu=True),
    Threshold("processor", "interrupts/sec", "avg", ">", 1000, INTR, "blog-grade [U]",
              per_cpu=True),
)


def thresholds_for(obj: str, counter: str) -> list[Threshold]:
    """The thresholds of one perfmon counter (object and counter names, any case)."""
    o, c = obj.lower(), counter.lower()
    return [t for t in THRESHOLDS if t.obj == o and t.counter == c]
