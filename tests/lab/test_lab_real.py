"""The lab for real: namespaces, strongSwan, nftables, captures (root + Debian packages).

Wall time on the project's 2-vCPU machines: about 75 s for this file, more than half of it the
faults of the demo run (DPD and retransmits take ~12 s each for the charon kill and the NAT
rebinding).
"""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import labstate
import pytest
from pairlab import negotiate_pair
from pydantic import SecretStr

from ccsec.crypto import Encr, EspProposal, Integ
from ccsec.deployment import Deployment, load
from ccsec.lab import build, firewall, netns
from ccsec.lab.errors import LabError
from ccsec.lab.proc import ProcRef
from ccsec.lab.state import (
    NS_PREFIX,
    LabState,
    state_path,
    teardown,
    workdir_for,
)
from ccsec.lab.verify import verify
from ccsec.paths import derive
from ccsec.plan import plan
from ccsec.policy import Auth
from ccsec.secrets import Secret
from conftest import LAB_PSK

pytestmark = [pytest.mark.lab, pytest.mark.usefixtures("lab_state_dir")]
lab_state_dir = labstate.lab_state_dir  # labs of this module: torn down and checked at the end


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
RESULT_KEYS = {"id", "kind", "ends", "established", "traffic", "cleartext_packets", "nat_t"}
FAULT_KEYS = {"fault", "recovery_s", "cleartext_packets"}


def _gone(lab_id: str, pids: list[ProcRef], workdir: str | None = None) -> None:
    """Nothing of the lab is left: namespaces, processes, state file, work directory."""
    assert netns.names(f"{NS_PREFIX}{lab_id}-") == []
    assert not [p.pid for p in pids if p.alive()]
    assert not state_path(lab_id).exists()
    if workdir:
        assert not Path(workdir).exists()


def _crossing_nat(dep: Deployment) -> set[str]:
    return {p.id for p in derive(dep) if p.crosses_nat}


def _check_report(doc: dict[str, Any], dep: Deployment, nat: bool = True) -> None:
    assert doc["results"], "no path was checked"
    for r in doc["results"]:
        assert set(r) >= RESULT_KEYS, r
        assert r["kind"] in ("path", "tunnel")
        assert r["established"] and r["traffic"], r
        assert r["cleartext_packets"] == 0, r
        assert r["esp_in_udp_captured"] > 0, r  # the captures did see the flow, encrypted
    assert {r["id"] for r in doc["results"]} == {p.id for p in derive(dep)}
    engaged = {r["id"] for r in doc["results"] if r["nat_t"]}
    assert engaged == _crossing_nat(dep), "NAT-T must engage exactly behind the NAT"
    assert bool(engaged) == nat, "this deployment has a NAT on some path"
    assert doc["wan_packets_not_ike_or_esp_in_udp"] == 0
    assert doc["ok"] is True


def test_run_demo_with_faults(cli: Callable[..., Any], demo: Deployment) -> None:
    r = cli("lab", "run", "demo", "--faults", "--json")
    doc = json.loads(r.out)
    assert r.code == 0, doc
    _check_report(doc, demo)
    assert {s["change"].split(" ")[0] for s in doc["substitutions"]} >= {"Kerberos", "transport"}
    faults = {f["fault"]: f for f in doc["faults"]}
    assert set(faults) == {"gateway-charon-kill", "nat-rebinding", "rekey", "host-charon-stop"}
    for f in faults.values():
        assert set(f) >= FAULT_KEYS
        assert f["cleartext_packets"] == 0, f  # fail closed
        assert f["recovery_s"] is not None and f["recovery_s"] < 60, f
    # the kill and the NAT change really interrupted traffic (the 0 above is under a real fault)
    assert faults["gateway-charon-kill"]["lost_pings"] > 0
    assert faults["nat-rebinding"]["lost_pings"] > 0
    _gone(doc["lab"]["lab"], [], doc["lab"]["workdir"])


def test_run_multi_site(cli: Callable[..., Any]) -> None:
    """A deployment the lab was not written around: 4 sites, 2 prefixes per DC, IOS and
    strongSwan gateways, a NATed PG site, Linux and Windows hosts, 17 charons."""
    path = EXAMPLES / "multi-site.yaml"
    r = cli("lab", "run", str(path), "--json")
    doc = json.loads(r.out)
    assert r.code == 0, [x for x in doc["results"] if not x["ok"]]
    _check_report(doc, load(path))
    _gone(doc["lab"]["lab"], [], doc["lab"]["workdir"])


@pytest.mark.parametrize(("name", "nat"), [("ios-vti.yaml", False), ("linux-test.yaml", True)])
def test_run_the_other_examples(cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch,
                                name: str, nat: bool) -> None:
    """Every deployment in examples/ runs from its platform files (demo and multi-site
    above): IOS VTIs over IKEv1 with certificates, strongSwan gateways and Linux hosts with
    pre-shared keys through a NAT."""
    monkeypatch.setenv("CCSEC_LAB_PSK", LAB_PSK)  # linux-test.yaml: psk: env:CCSEC_LAB_PSK
    path = EXAMPLES / name
    r = cli("lab", "run", str(path), "--json")
    doc = json.loads(r.out)
    assert r.code == 0, [x for x in doc["results"] if not x["ok"]]
    _check_report(doc, load(path), nat=nat)
    played = {s["change"].split(" (")[0] for s in doc["substitutions"]}
    assert any(c.startswith("played from its own") for c in played), played
    _gone(doc["lab"]["lab"], [], doc["lab"]["workdir"])


def test_run_with_a_subset_of_hosts(cli: Callable[..., Any]) -> None:
    r = cli("lab", "run", "demo", "--hosts", "rgr-a,pg1-a", "--json")
    doc = json.loads(r.out)
    assert r.code == 0
    assert {x["id"] for x in doc["results"]} == {"p4-rgr-a-pg1-a", "t-dc-east-pg-osaka"}
    assert any("not in the lab" in s["change"] for s in doc["substitutions"])


def test_the_leak_check_can_fail(demo: Deployment) -> None:
    """Zero clear text is meaningful: the same check counts the leak once the fail-closed layer
    is gone and the charons are dead (and shows the layer alone already stops it)."""
    state = build.up(demo, hosts=[])
    try:
        tunnel = next(c for c in state.checks if c.kind == "tunnel")
        assert verify(state, [tunnel]).results[0]["ok"]
        for owner in tunnel.ends:
            ref = state.charon(owner).ref()
            assert ref is not None
            ref.stop(2.0, signal.SIGKILL)
        closed = verify(state, [tunnel]).results[0]
        assert closed["cleartext_packets"] == 0 and not closed["traffic"]
        for owner in tunnel.ends:
            firewall.remove(state.charon(owner).ns)
        leaked = verify(state, [tunnel]).results[0]
        assert not leaked["ok"]
        assert leaked["cleartext_wan"] > 0  # ICMP and TCP between the site prefixes
        assert leaked["marker_copies"] > 0  # the marker crossed the WAN in clear text
    finally:
        teardown(state)
    _gone(state.id, [])


def test_up_status_verify_down_cli(cli: Callable[..., Any], tmp_path: Path) -> None:
    r = cli("lab", "up", "demo", "--no-hosts", "--lab", "t1cli", "--json")
    assert r.code == 0, r.err
    up = json.loads(r.out)
    state = LabState.model_validate_json(state_path("t1cli").read_text())
    pids = [c.ref() for c in state.charons]
    try:
        s = cli("lab", "status", "--lab", "t1cli", "--json")
        rows = json.loads(s.out)["sas"]
        children = [x for x in rows if x.get("child_state") == "INSTALLED"]
        assert {x["owner"] for x in children} == {"rtr-east", "rtr-osaka"}
        assert all(isinstance(x["bytes_in"], int) for x in children)
        assert any(x["nat_local"] for x in children)  # rtr-osaka sits behind the NAT
        v = cli("lab", "verify", "--lab", "t1cli", "--json")
        assert v.code == 0 and json.loads(v.out)["ok"] is True
    finally:
        d1 = cli("lab", "down", "--lab", "t1cli", "--json")
    assert d1.code == 0 and json.loads(d1.out)["removed"]["t1cli"]
    d2 = cli("lab", "down", "--lab", "t1cli", "--json")  # idempotent
    assert d2.code == 0 and json.loads(d2.out)["removed"]["t1cli"] == []
    _gone("t1cli", [p for p in pids if p is not None], up["workdir"])


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()])
def test_up_cleans_up_after_a_failure_midway(demo: Deployment, monkeypatch: pytest.MonkeyPatch,
                                             error: BaseException) -> None:
    started: list[ProcRef] = []
    real_start_all = build.start_all

    def start_then_fail(state: LabState, recs: list[Any]) -> None:
        real_start_all(state, recs)
        started.extend(r.ref() for r in recs)
        raise error

    monkeypatch.setattr(build, "start_all", start_then_fail)
    lab_id = f"t2fail{type(error).__name__[:4].lower()}"
    with pytest.raises(type(error)):
        build.up(demo, lab_id=lab_id)
    assert started and all(not p.alive() for p in started)
    _gone(lab_id, started, str(workdir_for(lab_id)))


def test_unknown_host_fails_before_anything_is_made(demo: Deployment) -> None:
    with pytest.raises(LabError, match="unknown host"):
        build.up(demo, hosts=["nobody"], lab_id="t3none")
    _gone("t3none", [])


def test_pair_negotiation_reports_what_really_happened(demo: Deployment) -> None:
    """The differential test's lab side: two arbitrary ends, one difference each."""
    (ea, ra), (eb, rb) = plan(demo).rules_for("p8-pg1-a-cucm-1")
    same = negotiate_pair((ea, ra), (eb, rb))
    assert [o.status for o in same.outcomes] == ["ESTABLISHED", "ESTABLISHED"]
    assert any("Kerberos" in s.change or "transport" in s.change for s in same.substitutions)
    other_esp = rb.model_copy(update={"esp": (EspProposal(encryption=Encr.AES128,
                                                          integrity=Integ.SHA1),)})
    esp = negotiate_pair((ea, ra), (eb, other_esp), initiator="a")
    assert esp.status == "IPSEC_PHASE2_FAILED", esp.outcomes[0].detail

    def psk(key: str) -> tuple[Auth, ...]:
        return (Auth(method="psk", psk=Secret(value=SecretStr(key))),)

    keys = negotiate_pair((ea, ra.model_copy(update={"auth": psk("lab-key-number-one")})),
                          (eb, rb.model_copy(update={"auth": psk("lab-key-number-two")})),
                          initiator="b")
    assert keys.status == "IKE_PHASE1_KEY_MISMATCH", keys.outcomes[0].detail
    assert "lab-key-number" not in json.dumps([o.to_json() for o in keys.outcomes])
