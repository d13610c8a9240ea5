"""libreswan as witness: a second IKE implementation negotiates with ccsec-rendered strongSwan ends.

Each path is negotiated twice (strongSwan initiates, then libreswan), with fresh daemons.  This
kernel has no ESP, so pluto agrees to the CHILD SA and cannot install it; what is checked is
the exchange (IKE SA authenticated at both implementations, CHILD SA proposal and selectors
accepted) — see ccsec.lab.witness.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import labstate
import pytest

from ccsec.deployment import load, loads
from ccsec.deployment.demo import demo_text
from ccsec.errors import UnsupportedError
from ccsec.formats.strongswan import swanctl
from ccsec.lab.witness import default_paths, run_witness

pytestmark = [pytest.mark.lab, pytest.mark.usefixtures("lab_state_dir")]
lab_state_dir = labstate.lab_state_dir

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _both_ways(runs: list[Any], path: str) -> None:
    mine = [r for r in runs if r.path == path]
    assert {r.initiator for r in mine} == {"strongswan", "libreswan"}
    for r in mine:
        assert r.negotiated, r.to_json()
        assert r.strongswan_ike and r.libreswan.ike, r.to_json()


def test_demo_site_tunnel_and_host_path(cli: Callable[..., Any]) -> None:
    """The demo's IOS site tunnel (IKEv2, through NAT in the deployment) and its Windows <->
    Communications Manager path (IKEv1, certificates): both ways, both implementations."""
    dep = loads(demo_text(), "demo.yaml")
    assert default_paths(dep) == ["t-dc-east-pg-osaka", "p8-pg1-a-cucm-1"]
    found = run_witness(dep, default_paths(dep))
    _both_ways(found.runs, "t-dc-east-pg-osaka")
    _both_ways(found.runs, "p8-pg1-a-cucm-1")
    assert found.ok
    ike1 = [r for r in found.runs if r.path == "p8-pg1-a-cucm-1"]
    assert {r.ike_version for r in ike1} == {1}
    # the CLI says the same (exit 0)
    assert cli("lab", "witness", "demo", "--path", "t-dc-east-pg-osaka").code == 0


def test_real_strongswan_ends_of_multi_site() -> None:
    """Where an end is a strongSwan gateway or a Linux host, its own swanctl.conf meets
    libreswan (the other end is libreswan's)."""
    dep = load(EXAMPLES / "multi-site.yaml")
    found = run_witness(dep, ["t-dc-west-pg-nagoya", "p4-rtr-a-pg3"])
    assert {r.strongswan_end for r in found.runs} == {"gw-nagoya", "pg3"}
    _both_ways(found.runs, "t-dc-west-pg-nagoya")
    _both_ways(found.runs, "p4-rtr-a-pg3")


def test_the_witness_can_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without 'send_cert = always' (ccsec's output before the witness found it), a strongSwan
    initiator sends no certificate to a libreswan responder that did not ask for one."""
    original = swanctl.StrongSwan._connection

    def without_send_cert(self: Any, *args: Any) -> list[str]:
        return [ln for ln in original(self, *args) if "send_cert" not in ln]

    monkeypatch.setattr(swanctl.StrongSwan, "_connection", without_send_cert)
    found = run_witness(loads(demo_text(), "demo.yaml"), ["p8-pg1-a-cucm-1"])
    (sw_first,) = [r for r in found.runs if r.initiator == "strongswan"]
    assert not sw_first.negotiated
    assert any("no certificate matched" in e for e in sw_first.evidence), sw_first.evidence
    assert not found.ok


def test_what_libreswan_cannot_play_is_refused_not_failed() -> None:
    """The demo's Kerberos paths offer ECP PFS over IKEv1, which libreswan's quick mode lacks:
    a clear refusal before anything runs, not a failed negotiation."""
    with pytest.raises(UnsupportedError, match="no PFS with DH group 19"):
        run_witness(loads(demo_text(), "demo.yaml"), ["p2-rgr-a-rgr-b"])
