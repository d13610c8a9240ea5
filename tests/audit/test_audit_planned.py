"""The planner audited: render the demo and every example deployment in each end's default
formats, read the files back through the audit's importers, and audit them against the
deployment.

* ``recommended``: nothing above LOW; every session establishes; every path is covered as
  planned.  The LOW findings are IKEv1 where a platform forces it (Windows Kerberos, CUCM).
* ``legacy`` (the seed's documented defaults: IKE 3DES/SHA1/DH group 2, ESP 3DES/SHA1, IKEv1,
  no PFS): exactly the documented weaknesses, listed per deployment below.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ccsec.audit.engine import AuditResult, planned_ends, run_audit
from ccsec.audit.inventory import load_directory
from ccsec.deployment import Deployment, load, loads
from ccsec.deployment.demo import demo_text
from ccsec.findings.model import Severity
from ccsec.plan import plan
from ccsec.render import render_policy_set
from conftest import EXAMPLES, lab_context

DEPLOYMENTS = {
    "demo": lambda: loads(demo_text(), "demo.yaml"),
    "ios-vti": lambda: load(EXAMPLES / "ios-vti.yaml"),
    "linux-test": lambda: load(EXAMPLES / "linux-test.yaml"),
    "multi-site": lambda: load(EXAMPLES / "multi-site.yaml"),
}


def audit_rendered(dep: Deployment, profile: str, out: Path) -> AuditResult:
    ps = plan(dep, profile)
    for f in render_policy_set(ps, lab_context(ps)).files:
        path = out / f.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f.text, encoding="utf-8")
    audited = dep.model_copy(update={"profile": profile})
    inv = load_directory(out, audited)
    assert not inv.skipped, inv.skipped
    assert all(e.host for e in inv.ends)
    return run_audit(inv.ends, audited, "deployment.yaml")


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_recommended_has_nothing_above_low(name: str, tmp_path: Path) -> None:
    dep = DEPLOYMENTS[name]()
    if dep.profile != "recommended":
        dep = dep.model_copy(update={"profile": "recommended"})
    res = audit_rendered(dep, "recommended", tmp_path)
    above = [(f.rule, f.subject, f.message) for f in res.findings
             if f.severity.rank > Severity.LOW.rank]
    assert above == []
    assert res.sessions and all(s.established for s in res.sessions), \
        [(s.a, s.b, s.reason) for s in res.sessions if not s.established]
    assert {c.status for c in res.coverage} == {"protected"}
    lows = {f.rule for f in res.findings if f.severity is Severity.LOW}
    assert lows <= {"IPSEC-IKE-004"}


CORE_LEGACY = {
    ("IPSEC-DH-002", "high"),     # IKE group 2 (1024-bit MODP): Logjam
    ("IPSEC-ENC-002", "medium"),  # ESP 3DES
    ("IPSEC-ENC-003", "low"),     # IKE 3DES
    ("IPSEC-INT-002", "low"),     # SHA-1 (IKE and ESP)
    ("IPSEC-DH-005", "medium"),   # no PFS
    ("IPSEC-ENC-009", "info"),    # no AES-GCM although both ends could
}
LEGACY = {
    # Windows Kerberos / CUCM force IKEv1 (low); the IOS site tunnel could run IKEv2 (medium)
    "demo": CORE_LEGACY | {("IPSEC-IKE-004", "low"), ("IPSEC-IKE-001", "medium")},
    "ios-vti": CORE_LEGACY | {("IPSEC-IKE-001", "medium")},
    # a test deployment: pre-shared keys are allowed, their clear storage is info only
    "linux-test": CORE_LEGACY | {("IPSEC-IKE-001", "medium"), ("IPSEC-AUTH-002", "info")},
    "multi-site": CORE_LEGACY | {("IPSEC-IKE-004", "low"), ("IPSEC-IKE-001", "medium")},
}
#: importer notes (info): e.g. "policy … is assigned", CUCM "Phase Two DH not set: no PFS [U]"
NOTES = {"IPSEC-OPS-005"}


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_legacy_shows_exactly_the_documented_weaknesses(name: str, tmp_path: Path) -> None:
    res = audit_rendered(DEPLOYMENTS[name](), "legacy", tmp_path)
    got = {(f.rule, f.severity.value) for f in res.findings if f.rule not in NOTES}
    assert got == LEGACY[name]
    assert all(s.established for s in res.sessions)
    assert {c.status for c in res.coverage} == {"protected"}
    # every negotiating rule carries the four headline weaknesses
    for end in res.context.ends:
        for r in end.policy.rules:
            mine = {f.rule for f in res.findings if f.subject == end.subject(r)}
            assert {"IPSEC-DH-002", "IPSEC-ENC-002", "IPSEC-INT-002", "IPSEC-DH-005"} <= mine


def test_legacy_against_a_recommended_deployment_is_weaker_than_planned() -> None:
    dep = DEPLOYMENTS["demo"]()
    res = run_audit(planned_ends(plan(dep, "legacy")), dep, "demo.yaml")
    assert {c.status for c in res.coverage} == {"weaker"}
    assert any(f.rule == "IPSEC-COV-003" and "IKEv1 instead of IKEv2" in f.message
               for f in res.findings)


def test_planned_model_and_rendered_files_agree(tmp_path: Path) -> None:
    dep = DEPLOYMENTS["multi-site"]()
    rendered = audit_rendered(dep, "recommended", tmp_path)
    model = run_audit(planned_ends(plan(dep)), dep, "deployment.yaml")
    assert {(s.status, s.ike_version) for s in rendered.sessions} == \
        {(s.status, s.ike_version) for s in model.sessions}
    assert {c.path for c in rendered.coverage} == {c.path for c in model.coverage}
