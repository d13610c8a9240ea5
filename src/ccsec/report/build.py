"""Everything one HTML report shows, gathered from the deployment and the optional inputs.

The report is a view, so this module only calls what the commands already do — derive, plan,
audit (of the configs given, else of the plan itself), the lab's JSON, the perf judge — and
decides one status per path for the picture:

* with ``--configs``: the audit's coverage (protected / weaker / failed / one-sided / missing)
  plus the findings on the two rules of the path's session: a finding of medium or higher makes
  a protected path "weaker";
* else, with ``--lab``: the lab's result for that path (established, traffic flowed and zero
  clear-text packets: protected; otherwise failed);
* else "planned".

The statuses are the audit's own words (``ccsec audit`` prints the same in its coverage
table), so a reader meets one vocabulary.
"""

from __future__ import annotations

import base64
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path as FsPath
from typing import TYPE_CHECKING, Any

from ccsec import __version__
from ccsec.deployment.model import Deployment
from ccsec.errors import Problem, UserError
from ccsec.findings.model import Finding, Severity
from ccsec.paths import Path, derive
from ccsec.plan import plan as make_plan
from ccsec.report.policies import EndTexts, end_texts, proof_levels

if TYPE_CHECKING:
    from ccsec.audit.inventory import Inventory
    from ccsec.probe.result import ProbeResult

WEAK_AT = Severity.MEDIUM

#: every status a path can have, best first (the audit's coverage words, and "planned")
PATH_STATUSES = ("protected", "weaker", "failed", "one-sided", "missing", "planned")

LAB_RESULT_KEYS = ("id", "kind", "ends", "established", "traffic", "cleartext_packets", "nat_t")
LAB_FAULT_KEYS = ("fault", "recovery_s", "cleartext_packets")


@dataclass
class PathRow:
    path: Path
    status: str
    detail: str


@dataclass
class LabView:
    file: str
    results: list[dict[str, Any]]
    faults: list[dict[str, Any]]
    datapath: str = ""
    ok: bool | None = None


@dataclass
class PerfView:
    file: str
    counters: list[dict[str, Any]]
    #: (group, PNG bytes)
    plots: list[tuple[str, bytes]]

    def data_uri(self, png: bytes) -> str:
        return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


@dataclass
class Report:
    dep: Deployment
    source: str
    profile: str
    paths: list[PathRow]
    findings: list[Finding]
    #: what the findings judged: the configs, or the planned policy
    findings_source: str
    ends: list[EndTexts]
    proof: list[dict[str, str]]
    configs: str | None = None
    sessions: list[Any] | None = None
    coverage: list[Any] | None = None
    lab: LabView | None = None
    perf: PerfView | None = None
    #: a live gateway's answers (``ccsec probe --json``); its findings are in ``findings``
    probe: ProbeResult | None = None
    generated: str = ""
    generator: str = f"ccsec {__version__}"
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """The numbers of the summary (also the CLI's ``--json`` output)."""
        by_sev = {s.value: 0 for s in Severity}
        for f in self.findings:
            by_sev[f.severity.value] += 1
        status = {s: 0 for s in PATH_STATUSES}
        for row in self.paths:
            status[row.status] += 1
        protected = status["protected"] + status["weaker"]
        return {
            "deployment": self.dep.deployment,
            "paths_total": len(self.paths),
            "paths_protected_both_ends": protected if (self.configs or self.lab) else None,
            "path_status": status,
            "sessions_total": len(self.sessions) if self.sessions is not None else None,
            "sessions_established": (sum(1 for s in self.sessions if s.established)
                                     if self.sessions is not None else None),
            "findings": by_sev,
            "findings_source": self.findings_source,
            "lab": ({"results": len(self.lab.results),
                     "proven": sum(1 for r in self.lab.results if _lab_ok(r)),
                     "faults": len(self.lab.faults)} if self.lab else None),
        }


# ----------------------------------------------------------------------------- inputs


def _lab_ok(r: dict[str, Any]) -> bool:
    return bool(r.get("established")) and bool(r.get("traffic")) and \
        int(r.get("cleartext_packets") or 0) == 0


def _need(obj: object, keys: tuple[str, ...], what: str, file: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise UserError(Problem(f"{what} is not a JSON object", file=file,
                                fix="pass the output of `ccsec lab run --json`"))
    absent = [k for k in keys if k not in obj]
    if absent:
        raise UserError(Problem(f"{what} has no {', '.join(absent)}", file=file,
                                fix="pass the output of `ccsec lab run --json`"))
    return obj


def load_lab(file: FsPath) -> LabView:
    """The lab's JSON report (``{"results": [...], "faults": [...]}``; extra keys accepted)."""
    try:
        doc = json.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(Problem(f"cannot read {file}: {exc.strerror}", field="--lab")) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise UserError(Problem(f"not JSON: {exc}", file=str(file), line=line, field="--lab",
                                fix="pass the output of `ccsec lab run --json`")) from None
    doc = _need(doc, ("results",), "the lab report", str(file))
    results = doc["results"]
    faults = doc.get("faults", [])
    if not isinstance(results, list) or not isinstance(faults, list):
        raise UserError(Problem("results and faults must be lists", file=str(file),
                                field="--lab", fix="pass the output of `ccsec lab run --json`"))
    res = [_need(r, LAB_RESULT_KEYS, f"result {i + 1}", str(file)) for i, r in enumerate(results)]
    flt = [_need(f, LAB_FAULT_KEYS, f"fault {i + 1}", str(file)) for i, f in enumerate(faults)]
    dp = doc.get("datapath")
    datapath = ""
    if isinstance(dp, dict):
        datapath = f"{dp.get('name', '')} — {dp.get('evidence', '')}".strip(" —")
    ok = doc.get("ok")
    return LabView(str(file), res, flt, datapath, ok if isinstance(ok, bool) else None)


def load_perf(file: FsPath, cpus: int = 1) -> tuple[PerfView, list[Finding]]:
    """Judge a perfmon CSV like ``ccsec perf judge`` and keep its plots as PNG bytes."""
    from ccsec.monitor.judge import judge
    from ccsec.monitor.perf import group_of, parse_csv, stats
    from ccsec.monitor.plot import plot
    from ccsec.textio import read_text

    data = parse_csv(read_text(file), str(file))
    rows = []
    for s in data.series:
        st = stats(s)
        rows.append({"counter": s.column.label, "group": group_of(s.column),
                     "n": st.n if st else 0, "min": st.min if st else None,
                     "avg": st.avg if st else None, "p95": st.p95 if st else None,
                     "max": st.max if st else None})
    with tempfile.TemporaryDirectory(prefix="ccsec-report-plots-") as tmp:
        plots = [(p.stem, p.read_bytes()) for p in plot(data, tmp, cpus)]
    return PerfView(str(file), rows, plots), judge(data, cpus)


# ---------------------------------------------------------------------------- status


def _audit_status(result: Any) -> dict[str, tuple[str, str]]:
    """path id → (status, detail) from coverage, made "weaker" by findings on its session."""
    worst: dict[str, list[Finding]] = {}
    for f in result.findings:
        if f.severity.at_least(WEAK_AT):
            worst.setdefault(f.subject, []).append(f)
    subjects: dict[str, set[str]] = {}
    for rec in result.context.sessions:
        if rec.path:
            subjects.setdefault(rec.path, set()).update({rec.session.a, rec.session.b})
    out = {}
    for row in result.coverage:
        status = row.status if row.status in PATH_STATUSES else "failed"
        detail = f"{row.status}: {row.detail}"
        if status == "protected":
            hits = sorted({f.rule for s in subjects.get(row.path, ()) for f in worst.get(s, [])})
            if hits:
                status = "weaker"
                detail += f" — findings of {WEAK_AT.value} or higher: {', '.join(hits)}"
        out[row.path] = (status, detail)
    return out


def _lab_status(lab: LabView) -> dict[str, tuple[str, str]]:
    out = {}
    for r in lab.results:
        ok = _lab_ok(r)
        detail = (f"lab: established {'yes' if r['established'] else 'no'}, traffic "
                  f"{'yes' if r['traffic'] else 'no'}, {r['cleartext_packets']} clear-text "
                  f"packets, NAT-T {'yes' if r['nat_t'] else 'no'}")
        out[str(r["id"])] = ("protected" if ok else "failed", detail)
    return out


# ----------------------------------------------------------------------------- build


def build(dep: Deployment, source: str, *, configs: FsPath | None = None,
          lab: FsPath | None = None, perf: FsPath | None = None, cpus: int = 1,
          profile: str | None = None, waivers: FsPath | None = None,
          probe: FsPath | None = None, generated: datetime | None = None,
          tick: Callable[[str], None] | None = None,
          on_configs: Callable[[Inventory], None] | None = None) -> Report:
    """Gather the report of ``dep`` (nothing is written).  ``tick`` is called once per end
    rendered (progress); ``on_configs`` receives the inventory read from ``configs``; the
    audit is :func:`ccsec.audit.pipeline.run`, exactly as ``ccsec audit`` runs it."""
    from ccsec.audit.pipeline import run

    ps = make_plan(dep, profile)
    paths = derive(dep)
    findings: list[Finding]
    sessions = coverage = None
    statuses: dict[str, tuple[str, str]] = {}
    lab_view = load_lab(lab) if lab else None
    result = run(configs, dep, deployment_file=source, waivers=waivers, planned=ps,
                 on_inventory=on_configs)
    findings = result.findings
    if configs is not None:
        sessions, coverage = result.sessions, result.coverage
        statuses = _audit_status(result)
        findings_source = f"the configurations in {configs}"
    else:
        findings_source = "the planned policy (no --configs given)"
        if lab_view is not None:
            statuses = _lab_status(lab_view)
    perf_view = None
    if perf is not None:
        perf_view, perf_findings = load_perf(perf, cpus)
        findings = findings + perf_findings
    probe_result = None
    if probe is not None:
        from ccsec.probe.result import load as load_probe

        probe_result = load_probe(probe)
        findings = findings + probe_result.findings
    rows = []
    for p in paths:
        status, detail = statuses.get(p.id, ("planned", "planned; not audited"))
        if configs is None and lab_view is not None and p.id not in statuses:
            detail = "not run in the lab"
        rows.append(PathRow(p, status, detail))
    when = generated or datetime.now(UTC)
    return Report(dep, source, ps.profile, rows, findings, findings_source,
                  end_texts(ps, tick), proof_levels(),
                  configs=str(configs) if configs else None, sessions=sessions,
                  coverage=coverage, lab=lab_view, perf=perf_view, probe=probe_result,
                  generated=when.strftime("%Y-%m-%d %H:%M UTC"))
