"""``ccsec audit`` on a directory of configs written in vendor-template style, not by ccsec.

tests/data/audit-brownfield/configs holds an IOS running-config (defaults left out: the ISAKMP
hash is IOS's default SHA-1; a ``<WAN2_IP>`` placeholder on a shut interface), a legacy
strongSwan ipsec.conf + ipsec.secrets, a swanctl.conf that pulls its connection in with
``include``, a Windows collector export, and a README.  Expected results, by reasoning:

* rtr-dc CMAP 10 ↔ branch ipsec.conf ``dc``: IKEv1 main mode; IOS policy 10 is aes256 + default
  SHA-1 + pre-share + group 14 = the branch's ``aes256-sha1-modp2048!``; ESP aes256-sha1 both;
  no PFS on both; mirror ACLs; the same PSK → ESTABLISHED.
* rtr-dc CMAP 20 ↔ lab ``dc``: IKEv2 aes256-sha256-ecp256 both, certificates, fqdn identities
  match; ESP aes256-sha256; IOS sets PFS group 19, the lab none → ESTABLISHED, rekey fails.
* rgr-a's Windows rule to the branch PG: no config for pg-br → MISSING_END_POINT.
* Coverage (protection: tunnel, profile recommended): both tunnels establish but weaker than
  planned (branch: IKEv1/SHA-1/no PFS; lab: no PFS).
* The NAT ACL 110 exempts only the branch prefixes, so CMAP 20's traffic is translated.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ccsec.audit.engine import AuditResult, run_audit
from ccsec.audit.inventory import load_directory
from ccsec.deployment import load

DATA = Path(__file__).resolve().parent.parent / "data" / "audit-brownfield"
CONFIGS = DATA / "configs"


@pytest.fixture(scope="module")
def result() -> AuditResult:
    dep = load(DATA / "deployment.yaml")
    inv = load_directory(CONFIGS, dep)
    return run_audit(inv.ends, dep, "deployment.yaml")


def test_every_file_is_detected_and_attached() -> None:
    dep = load(DATA / "deployment.yaml")
    inv = load_directory(CONFIGS, dep)
    got = sorted((e.source, e.format, e.host) for e in inv.ends)
    assert got == [
        ("branch-gw/ipsec.conf", "ipsec-conf", "gw-branch"),
        ("lab-gw/swanctl.conf", "strongswan", "gw-lab"),
        ("rtr-dc/running-config.txt", "ios", "rtr-dc"),
        ("windows/RGR-A.json", "windows-collector", "rgr-a"),
    ]
    assert [(s.path, s.unreadable) for s in inv.skipped] == [("README.txt", False)]


def test_sessions(result: AuditResult) -> None:
    got = {(s.a, s.b): s.status.value for s in result.sessions}
    assert got == {
        ("gw-branch:dc", "rtr-dc:CMAP-10"): "ESTABLISHED",
        ("gw-lab:dc", "rtr-dc:CMAP-20"): "ESTABLISHED",
        ("rgr-a:UCCE-RGR-A-PG-BR", "pg-br"): "MISSING_END_POINT",
    }
    lab = next(s for s in result.sessions if s.a == "gw-lab:dc")
    assert lab.rekey_failure and lab.ike_version == 2
    branch = next(s for s in result.sessions if s.a == "gw-branch:dc")
    assert branch.ike is not None and branch.ike.label() == "aes256-sha1-modp2048"


def test_coverage(result: AuditResult) -> None:
    got = {(c.path, c.status) for c in result.coverage}
    assert got == {("t-dc-branch", "weaker"), ("t-dc-lab", "weaker")}


EXPECTED = {
    ("IPSEC-AUTH-001", "gw-branch:dc"), ("IPSEC-AUTH-001", "rtr-dc:CMAP-10"),
    ("IPSEC-AUTH-002", "gw-branch:dc"), ("IPSEC-AUTH-002", "rtr-dc:CMAP-10"),
    ("IPSEC-AUTH-004", "rtr-dc:CMAP-20"),
    ("IPSEC-DH-002", "rgr-a:UCCE-RGR-A-PG-BR"),
    ("IPSEC-DH-005", "gw-branch:dc"), ("IPSEC-DH-005", "gw-lab:dc"),
    ("IPSEC-DH-005", "rgr-a:UCCE-RGR-A-PG-BR"), ("IPSEC-DH-005", "rtr-dc:CMAP-10"),
    ("IPSEC-ENC-002", "rgr-a:UCCE-RGR-A-PG-BR"), ("IPSEC-ENC-003", "rgr-a:UCCE-RGR-A-PG-BR"),
    ("IPSEC-INT-002", "gw-branch:dc"), ("IPSEC-INT-002", "rtr-dc:CMAP-10"),
    ("IPSEC-INT-002", "rgr-a:UCCE-RGR-A-PG-BR"),
    ("IPSEC-FB-002", "rgr-a:UCCE-RGR-A-PG-BR"),
    ("IPSEC-IKE-001", "gw-branch:dc"), ("IPSEC-IKE-001", "rtr-dc:CMAP-10"),
    ("IPSEC-IKE-004", "rgr-a:UCCE-RGR-A-PG-BR"),
    ("IPSEC-NAT-005", "rtr-dc"),
    ("IPSEC-OPS-001", "rtr-dc:CMAP-10"), ("IPSEC-OPS-001", "rtr-dc:CMAP-20"),
    ("IPSEC-PEER-001", "rgr-a:UCCE-RGR-A-PG-BR"),
    ("IPSEC-PEER-006", "gw-lab:dc"), ("IPSEC-PEER-006", "rtr-dc:CMAP-20"),
    ("IPSEC-COV-003", "t-dc-branch (rtr-dc ↔ gw-branch)"),
    ("IPSEC-COV-003", "t-dc-lab (rtr-dc ↔ gw-lab)"),
}


def test_findings_low_and_above(result: AuditResult) -> None:
    got = {(f.rule, f.subject) for f in result.findings if f.severity.rank >= 1}
    assert got == EXPECTED


def test_info_findings_name_the_placeholder_and_the_hidden_default(result: AuditResult) -> None:
    info = [f for f in result.findings if f.rule == "IPSEC-OPS-005"]
    placeholder = next(f for f in info if "<WAN2_IP>" in f.message)
    assert placeholder.location and placeholder.location.line == 82
    assert any("hash sha" in f.message for f in info)


def test_the_psk_never_appears(result: AuditResult) -> None:
    assert "Br4nch-Key-2019" not in json.dumps(result.to_json())


def test_locations_point_at_the_lines(result: AuditResult) -> None:
    where = {(f.rule, f.subject): f.location for f in result.findings}
    loc = where[("IPSEC-NAT-005", "rtr-dc")]
    assert loc is not None and (loc.file, loc.line) == ("rtr-dc/running-config.txt", 85)
    loc = where[("IPSEC-IKE-001", "gw-branch:dc")]
    assert loc is not None and loc.file == "branch-gw/ipsec.conf" and loc.line == 21
