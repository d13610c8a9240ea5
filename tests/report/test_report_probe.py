"""``ccsec report --probe R.json``: a live gateway's accepted sets and its findings in the page."""

from __future__ import annotations

import json
from pathlib import Path

from htmlkit import parse

from ccsec.crypto import Encr, IkeProposal, Integ, Prf
from ccsec.probe.judge import judge
from ccsec.probe.result import Aggressive, Nat, ProbeResult, VersionResult


def _probe_file(tmp_path: Path) -> Path:
    weak = IkeProposal(encryption=Encr.TDES, integrity=Integ.SHA1, prf=Prf.SHA1, group=2)
    r = ProbeResult(target="<gw-east>", address="192.0.2.1", port=500,
                    ikev2=VersionResult(version=2, answered=True, complete=True, packets=9,
                                        exhaustive=22880, accepted=[weak]),
                    aggressive=Aggressive(tried=True, accepted=False,
                                          detail="refused: AUTHENTICATION_FAILED"),
                    nat=Nat(supported=True, evidence=["IKEv2 NAT_DETECTION notifies"]))
    r.findings = judge(r)
    path = tmp_path / "probe.json"
    path.write_text(json.dumps(r.to_json()), encoding="utf-8")
    return path


def test_probe_section_and_findings_in_the_report(cli, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    res = cli("report", "demo", "-o", str(out), "--probe", str(_probe_file(tmp_path)), "--json")
    assert res.code == 0, res.err
    html = out.read_text(encoding="utf-8")
    assert "<gw-east>" not in html  # escaped like every outside string
    page = parse(html)
    section = page.by_id("probe").text
    assert "Live probe of <gw-east>" in section
    assert "3des-sha1-prfsha1-modp1024" in section and "22880" in section
    assert "AUTHENTICATION_FAILED" in section
    assert any(a.attrs.get("href") == "#probe" for a in page.find("a"))
    findings = page.by_id("findings").text
    assert "IPSEC-DH-002" in findings and "<gw-east>:500 IKEv2" in findings
    assert json.loads(res.out)["findings"]["high"] >= 1


def test_no_probe_no_section(cli, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    assert cli("report", "demo", "-o", str(out)).code == 0
    assert 'id="probe"' not in out.read_text(encoding="utf-8")


def test_a_file_that_is_not_a_probe_result_is_exit_2(cli, tmp_path: Path) -> None:
    bad = tmp_path / "lab.json"
    bad.write_text('{"results": []}', encoding="utf-8")
    res = cli("report", "demo", "-o", str(tmp_path / "r.html"), "--probe", str(bad))
    assert res.code == 2 and "not a ccsec probe result" in res.err
