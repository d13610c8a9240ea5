"""``ccsec probe`` against real strongSwan (5.9.8 here) in namespaces this module creates.

Property: for random proposal sets drawn from the algorithms the running charon supports
(``swanctl --list-algs``), the probe's accepted set equals the configured one exactly, for IKEv2
and IKEv1, in at most 10 % of the packets an exhaustive one-combination-per-packet scan needs.
One charon serves every configuration (``swanctl --load-all`` between them).  The bench
(``bench/probe_bench.py``) runs the same check on ≥ 50 configurations per version.

Then what a probe reports beside the proposals, each against a gateway configured for it:
aggressive mode with a pre-shared key, NAT detection behind a masquerading NAT, strongSwan's
default DoS protection (cookies, the per-address half-open limit), drift from a deployment's
plan, and the command itself run inside the probe namespace.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections.abc import Iterator

import labstate
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from probeconfigs import Pools, loaded_algorithms, pools, v1_config, v2_config
from probelab import GATEWAY, GatewayLab, swanctl

from ccsec.formats.strongswan.proposals import ike_list
from ccsec.probe.drift import key
from ccsec.probe.run import Options, probe
from ccsec.probe.transport import Limits

pytestmark = pytest.mark.lab
lab_state_dir = labstate.lab_state_dir

#: the lab gateway has DoS protection off (it is tested on its own below), so no pacing
LAB_LIMITS = Limits(rate=0, wait_s=1.0, retries=1, half_open=10 ** 6)
AGGRESSIVE_OK = "i_dont_care_about_security_and_use_aggressive_mode_psk = yes"


@pytest.fixture(scope="module")
def gateway(lab_state_dir) -> Iterator[GatewayLab]:
    with GatewayLab(settings=f"dos_protection = no\n{AGGRESSIVE_OK}") as lab:
        yield lab


@pytest.fixture(scope="module")
def algs(gateway: GatewayLab) -> Pools:
    assert gateway.inst is not None
    found = pools(loaded_algorithms(str(gateway.inst.socket)))
    assert found.v2_plain and found.v2_aead and found.v1_encs and len(found.groups) >= 20
    return found


def _audit_reads_the_same(version: int, cfg_proposals: tuple[str, ...],
                          accepted: frozenset) -> None:
    """The audit's reading of the same proposal strings names exactly the combinations charon
    accepts (classic proposals: every derived PRF with every integrity, as charon does)."""
    read = {key(p, version) for p in ike_list(cfg_proposals)}
    seen = {key(p, version) for p in accepted}
    assert read == seen


def _probe(lab: GatewayLab, version: int, **kw: object):
    opts = Options(str(GATEWAY), versions=(version,), limits=kw.pop("limits", LAB_LIMITS),
                   **kw)  # type: ignore[arg-type]
    return probe(opts, connect=lambda _a, port: lab.socket(port))


@settings(max_examples=8, deadline=None)
@given(rnd=st.randoms(use_true_random=False))
def test_ikev2_accepted_set_is_exactly_the_configured_one(gateway: GatewayLab, algs: Pools,
                                                          rnd: random.Random) -> None:
    cfg = v2_config(rnd, algs, most=2)
    gateway.configure(swanctl(2, list(cfg.proposals)))
    v = _probe(gateway, 2).ikev2
    assert v is not None and v.complete, v and v.stopped
    assert set(v.accepted) == cfg.accepted, cfg.proposals
    assert v.packets <= 0.1 * v.exhaustive
    _audit_reads_the_same(2, cfg.proposals, cfg.accepted)


@settings(max_examples=8, deadline=None)
@given(rnd=st.randoms(use_true_random=False))
def test_ikev1_accepted_set_is_exactly_the_configured_one(gateway: GatewayLab, algs: Pools,
                                                          rnd: random.Random) -> None:
    cfg = v1_config(rnd, algs, most=2)
    gateway.configure(swanctl(1, list(cfg.proposals)))
    v = _probe(gateway, 1, aggressive=False).ikev1
    assert v is not None and v.complete, v and v.stopped
    assert set(v.accepted) == cfg.accepted, cfg.proposals
    assert v.packets <= 0.1 * v.exhaustive
    _audit_reads_the_same(1, cfg.proposals, cfg.accepted)


def test_aggressive_mode_with_a_psk_is_a_finding(gateway: GatewayLab) -> None:
    gateway.configure(swanctl(1, ["aes256-sha256-modp2048"], aggressive=True))
    r = _probe(gateway, 1)
    assert r.aggressive is not None and r.aggressive.accepted
    assert "HASH_R" in r.aggressive.detail
    assert "IPSEC-AUTH-003" in {f.rule for f in r.findings}
    assert r.nat.probe_behind_nat is False  # NAT-D of the aggressive answer, no NAT here
    gateway.configure(swanctl(1, ["aes256-sha256-modp2048"], aggressive=False))
    r = _probe(gateway, 1)
    assert r.aggressive is not None and r.aggressive.accepted is False
    assert "AUTHENTICATION_FAILED" in r.aggressive.detail
    assert "IPSEC-AUTH-003" not in {f.rule for f in r.findings}


def test_nat_t_vendor_ids_and_fragmentation_are_reported(gateway: GatewayLab) -> None:
    gateway.configure(swanctl(0, ["aes128-sha256-ecp256"]))  # version 0: both versions
    r = probe(Options(str(GATEWAY), limits=LAB_LIMITS, aggressive=False),
              connect=lambda _a, port: gateway.socket(port))
    assert r.ikev2 is not None and r.ikev1 is not None
    assert r.ikev2.fragmentation and r.ikev1.fragmentation
    assert r.nat.supported and r.nat.probe_behind_nat is False
    assert {"NAT-T (RFC 3947)", "Dead Peer Detection (RFC 3706)"} <= {
        v.name for v in r.vendor_ids}
    assert "IPSEC-IKE-005" in {f.rule for f in r.findings}


def test_a_nat_between_probe_and_gateway_is_detected(lab_state_dir) -> None:
    with GatewayLab(nat=True) as lab:
        lab.configure(swanctl(2, ["aes128gcm16-prfsha256-ecp256"]))
        r = _probe(lab, 2)
    assert r.ikev2 is not None and r.ikev2.complete
    assert r.nat.probe_behind_nat is True and r.nat.target_behind_nat is False


def test_default_dos_protection_is_respected(lab_state_dir) -> None:
    """strongSwan's defaults (cookies from 3 half-open SAs per address, peer ignored at 5),
    with half-open SAs timing out after 3 s: the probe paces itself and answers cookies."""
    with GatewayLab(settings="half_open_timeout = 3") as lab:
        cfg = ["aes128-aes256-sha256-sha1-ecp256-modp2048"]  # 2 × 2 × 2 PRFs × 2 = 16
        lab.configure(swanctl(2, cfg))
        limits = Limits(rate=0, wait_s=1.0, retries=1, half_open=4, half_open_hold_s=3.5)
        r = _probe(lab, 2, limits=limits)
        log = lab.log()
    assert r.ikev2 is not None and r.ikev2.complete, r.ikev2 and r.ikev2.stopped
    assert len(r.ikev2.accepted) == 16
    assert "COOKIE" in log  # the cookie round trip really happened
    assert "peer too aggressive" not in log and "ignoring IKE_SA setup" not in log


def test_drift_from_the_demo_plan(gateway: GatewayLab, demo_ps) -> None:
    end = next(e for e in demo_ps.ends if e.platform == "ios")
    planned = sorted({p.label() for r in end.rules if r.ike.version == 2
                      for p in r.ike.proposals})
    assert planned
    gateway.configure(swanctl(2, planned))
    r = probe(Options(str(GATEWAY), versions=(2,), limits=LAB_LIMITS),
              connect=lambda _a, port: gateway.socket(port), end=end, deployment="demo")
    assert r.drift is not None and r.drift.extra == {} and r.drift.missing == {}
    gateway.configure(swanctl(2, [*planned, "3des-sha1-modp1024"]))
    r = probe(Options(str(GATEWAY), versions=(2,), limits=LAB_LIMITS),
              connect=lambda _a, port: gateway.socket(port), end=end, deployment="demo")
    assert r.drift is not None and r.drift.extra == {"ikev2": ["3des-sha1-prfsha1-modp1024"]}
    assert "IPSEC-PROBE-001" in {f.rule for f in r.findings}


def test_nat_t_port_and_a_closed_port(gateway: GatewayLab) -> None:
    """IKEv2 on UDP 4500 (with the non-ESP marker) finds the same set; a port nobody
    listens on is reported as ICMP port unreachable, not as an empty set."""
    gateway.configure(swanctl(2, ["aes128gcm16-aes256gcm16-prfsha256-ecp256"]))
    on_4500 = probe(Options(str(GATEWAY), port=4500, versions=(2,), limits=LAB_LIMITS),
                    connect=lambda _a, port: gateway.socket(port)).ikev2
    assert on_4500 is not None and on_4500.complete and len(on_4500.accepted) == 2
    closed = probe(Options(str(GATEWAY), port=5999, versions=(2,), limits=LAB_LIMITS),
                   connect=lambda _a, port: gateway.socket(port)).ikev2
    assert closed is not None and not closed.complete and not closed.answered
    assert "port unreachable" in (closed.stopped or "")


def test_the_command_in_the_probe_namespace(gateway: GatewayLab) -> None:
    gateway.configure(swanctl(2, ["aes256-sha256-modp1024"]))
    cmd = ["ip", "netns", "exec", gateway.probe_ns, sys.executable, "-m", "ccsec", "probe",
           str(GATEWAY), "--ike", "2", "--rate", "100", "--half-open", "100", "--wait", "1",
           "--json", "--fail-on", "high"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    data = json.loads(done.stdout)
    assert data["ikev2"]["accepted_labels"] == ["aes256-sha256-prfsha256-modp1024"]
    assert data["ikev2"]["complete"] and data["ikev2"]["ratio"] < 0.01
    assert done.returncode == 1  # group 2 is IPSEC-DH-002 (high)
    assert {f["rule"] for f in data["findings"]} == {"IPSEC-DH-002"}
    sarif = subprocess.run([*cmd[:-3], "--format", "sarif"], capture_output=True, text=True,
                           timeout=120, check=False)
    log = json.loads(sarif.stdout)
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["IPSEC-DH-002"]
