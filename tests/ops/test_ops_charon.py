"""charon logs → diagnosis, on REAL strongSwan 5.9.8 captures (fixtures/charon/real)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccsec.monitor.logs import parse_file, parse_text
from ccsec.monitor.logs.charon import split_line
from ccsec.monitor.logs.diagnose import PlanIndex, diagnose, negotiations, timelines
from ccsec.monitor.logs.model import Kind
from ccsec.plan import plan

REAL = Path(__file__).parent / "fixtures" / "charon" / "real"
CONSTRUCTED = Path(__file__).parent / "fixtures" / "charon" / "constructed"
SHAPES = ("filelog", "syslog", "plain")

#: scenario → the one rule its failure must be diagnosed as
EXPECTED = {
    "v2-ike-proposal-mismatch": "LOG-001",
    "v1-ike-proposal-mismatch": "LOG-001",
    "v2-esp-proposal-mismatch": "LOG-002",
    "v2-psk-mismatch": "LOG-004",
    "v1-psk-mismatch": "LOG-004",
    "v2-ts-unacceptable": "LOG-005",
    "v2-ts-protocol-mismatch": "LOG-005",
    "v2-timeout": "LOG-006",
    "v2-no-ike-config": "LOG-008",
}


def _logs(scenario: str, shape: str):
    files = sorted((REAL / scenario).glob(f"*-{shape}.log"))
    assert files, f"no {shape} logs for {scenario}"
    return [parse_file(f) for f in files]


@pytest.fixture(scope="module")
def index(demo):
    return PlanIndex(demo, plan(demo), "demo")


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_each_real_failure_gets_its_diagnosis(scenario: str, shape: str) -> None:
    found = diagnose(negotiations(_logs(scenario, shape)))
    assert {f.rule for f in found} == {EXPECTED[scenario]}
    for f in found:
        assert f.location is not None and f.location.line and f.location.line > 0


@pytest.mark.parametrize("shape", SHAPES)
def test_successful_negotiations_are_not_failures(shape: str) -> None:
    found = diagnose(negotiations(_logs("v2-nat-established", shape)))
    assert found == []
    lines = timelines(negotiations(_logs("v2-nat-established", shape)))
    assert [t.outcome for t in lines] == ["established"] * len(lines)
    # the DH retry is reported (low) but the pair still ends established
    retry = diagnose(negotiations(_logs("v2-invalid-ke-then-established", shape)))
    assert [f.rule for f in retry] == ["LOG-009"]


def test_proposal_mismatch_says_who_offered_what() -> None:
    [f] = diagnose(negotiations(_logs("v2-ike-proposal-mismatch", "filelog")))
    assert "10.20.1.10 offers IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_1024" \
        in f.message
    assert "10.1.1.10 accepts" in f.message and "ECP_256" in f.message
    assert "no common DH group: offered DH2 (MODP_1024)" in f.message


def test_tie_back_to_the_demo_plan(index) -> None:
    """pg1-a offers DH2; its peer's planned policy requires DH19/DH14 → re-render pg1-a."""
    [f] = diagnose(negotiations(_logs("v2-ike-proposal-mismatch", "filelog")), index)
    assert f.subject == "p4-rgr-a-pg1-a"
    assert "pg1-a (10.20.1.10) offers" in f.message and "rgr-a (10.1.1.10) accepts" in f.message
    assert "pg1-a uses dh DH2 (MODP_1024) (planned: DH14 (MODP_2048), DH19 (ECP_256))" \
        in f.message
    assert f.fix.startswith("re-render pg1-a with profile recommended")
    assert "rgr-a" not in f.fix


def test_tie_back_initiator_only_log(index) -> None:
    """Only the initiator's log: its offer is compared with the peer's plan."""
    logs = [parse_file(REAL / "v2-ike-proposal-mismatch" / "b-filelog.log")]
    [f] = diagnose(negotiations(logs), index)
    assert "answered NO_PROPOSAL_CHOSEN" in f.message
    assert "pg1-a uses dh DH2 (MODP_1024) (planned: DH14 (MODP_2048), DH19 (ECP_256))" \
        in f.message
    assert f.fix.startswith("re-render pg1-a")


def test_tie_back_esp_and_ts_and_no_config(index) -> None:
    [esp] = diagnose(negotiations(_logs("v2-esp-proposal-mismatch", "filelog")), index)
    assert "pg1-a uses encryption 3DES_CBC" in esp.message and esp.fix.startswith(
        "re-render pg1-a")
    [ts] = diagnose(negotiations(_logs("v2-ts-unacceptable", "filelog")), index)
    assert "10.1.64.0/20 === 10.20.64.0/20" in ts.message
    assert "planned filters of rgr-a: 10.1.1.10/32 === 10.20.1.10/32" in ts.message
    assert ts.fix.startswith("re-render pg1-a")  # the initiator asked for the wrong selectors
    [nc] = diagnose(negotiations(_logs("v2-no-ike-config", "filelog")), index)
    assert nc.rule == "LOG-008" and "rgr-a has no policy for this path" in nc.fix


def test_psk_on_a_kerberos_path_says_so(index) -> None:
    [f] = diagnose(negotiations(_logs("v2-psk-mismatch", "filelog")), index)
    assert "MAC mismatched" in f.message and "planned authentication: kerberos" in f.message
    assert "planned with kerberos, not a pre-shared key" in f.fix


def test_nat_tunnel_ties_to_the_site_tunnel(index) -> None:
    negs = negotiations(_logs("v2-nat-established", "filelog"))
    nats = [e for n in negs for e in n.events if e.kind is Kind.NAT_LOCAL]
    assert nats and nats[0].local == "192.168.100.2"
    tie = index.tie("192.168.100.2", "198.51.100.1")
    assert tie is not None and tie.path.id == "t-dc-east-pg-osaka"
    assert index.tie("198.51.100.1", "203.0.113.7").path.id == "t-dc-east-pg-osaka"


def test_timeline_merges_both_ends_in_time_order() -> None:
    [t] = timelines(negotiations(_logs("v2-psk-mismatch", "filelog")))
    assert t.pair == ("10.1.1.10", "10.20.1.10")
    kinds = [e.kind for e in t.events]
    assert Kind.START in kinds and Kind.PSK_MISMATCH in kinds and Kind.AUTH_FAILED in kinds
    times = [e.time for e in t.events]
    assert times == sorted(times)
    assert {e.file for e in t.events} == {str(REAL / "v2-psk-mismatch" / f"{s}-filelog.log")
                                          for s in "ab"}


def test_constructed_nat_t_blocked() -> None:
    [f] = diagnose(negotiations([parse_file(CONSTRUCTED / "filelog-nat-t-blocked.log")]))
    assert f.rule == "LOG-007" and "UDP 4500" in f.message


def test_constructed_journal_is_marked_unverified() -> None:
    log = parse_file(CONSTRUCTED / "journal-psk-mismatch.log")
    assert not log.verified and log.events
    [f] = diagnose(negotiations([log]))
    assert f.rule == "LOG-003" and "unverified" in f.message


def test_line_shapes() -> None:
    syslog = split_line("Nov 22 05:24:56 gw charon[812]: 16[IKE] <t|1> remote host is behind NAT")
    assert (syslog.thread, syslog.ctx, syslog.msg) == ("16", "t|1", "remote host is behind NAT")
    assert split_line("Nov 22 05:24:56 gw sshd[9]: Accepted publickey") is None
    console = split_line("[IKE] received NO_PROPOSAL_CHOSEN notify error")
    assert console.msg == "received NO_PROPOSAL_CHOSEN notify error"
    iso = split_line("2025-03-03T10:02:11+0100 gw charon-systemd[5]: giving up after 5 retransmits")
    assert iso.msg == "giving up after 5 retransmits" and not iso.verified


def test_swanctl_console_output_is_read() -> None:
    log = parse_file(REAL / "v2-ike-proposal-mismatch" / "b-swanctl-initiate.out")
    assert [e.kind for e in log.events if e.kind is Kind.IKE_NO_PROPOSAL]


def test_other_programs_lines_are_skipped_not_fatal() -> None:
    text = ("Nov 22 05:24:56 gw sshd[9]: Accepted publickey for root\n"
            "Nov 22 05:24:57 gw charon: 07[IKE] <3> received proposals unacceptable\n"
            "Nov 22 05:24:58 gw charon: 07[IKE] <3> 10.9.9.9 is initiating an IKE_SA\n")
    log = parse_text(text, "mixed.log")
    assert log.skipped == 1 and log.events[0].kind is Kind.IKE_NO_PROPOSAL


def test_daemon_restart_restarts_sa_numbering(tmp_path: Path) -> None:
    """Two runs of a daemon in one file: IKE_SA #1 twice is two negotiations, not one."""
    a = (REAL / "v2-psk-mismatch" / "a-filelog.log").read_text()
    b = (REAL / "v2-ts-unacceptable" / "a-filelog.log").read_text()
    (tmp_path / "both.log").write_text(a + b)
    negs = negotiations([parse_file(tmp_path / "both.log")])
    assert {n.failure().kind for n in negs if n.failure()} == {Kind.PSK_MISMATCH,
                                                                Kind.TS_UNACCEPTABLE}
