"""The lab runs each end's own platform file: a renderer defect fails the path it affects.

Each test breaks one renderer the way ccsec's output was broken before issue 14 and runs the lab:
the affected path must fail (not established, the charon log saying why) while the others
still come up.  The same runs without the break are test_lab_real.py's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import labstate
import pytest

from ccsec.deployment import load, loads
from ccsec.deployment.demo import demo_text
from ccsec.formats.base import RenderContext
from ccsec.formats.ios.device import Device
from ccsec.formats.ios.render import Ios
from ccsec.formats.windows import powershell
from ccsec.lab import build
from ccsec.lab.runner import run
from ccsec.policy import Rule

pytestmark = [pytest.mark.lab, pytest.mark.usefixtures("lab_state_dir")]
lab_state_dir = labstate.lab_state_dir

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def quick_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    """A path that cannot come up fails within seconds (IKE refuses at once): shorter waits."""
    monkeypatch.setattr(build, "TUNNEL_WAIT_S", 8.0)
    monkeypatch.setattr(build, "KICK_AFTER_S", 4.0)
    monkeypatch.setattr(build, "HOST_WAIT_S", 8.0)


def _old_ikev1_identity(original: Callable[..., list[str]]) -> Callable[..., list[str]]:
    """The IKEv1 isakmp profile as ccsec wrote it before issue 14: the router sends
    'self-identity fqdn' (hostname.domain) and matches its peer by the bare host name."""
    def broken(self: Ios, rule: Rule, dev: Device, ctx: RenderContext) -> list[str]:
        assert rule.peer_id is not None
        peer = rule.peer_id.value.removeprefix("CN=")
        out = []
        for line in original(self, rule, dev, ctx):
            out.append(line)
            if line.startswith(" ca trust-point"):
                out += [f" match identity host {peer}", " self-identity fqdn"]
        return out
    return broken


def _failed(doc: dict[str, Any], path: str) -> dict[str, Any]:
    (found,) = [r for r in doc["results"] if r["id"] == path]
    return found


def test_a_broken_ios_identity_fails_its_tunnel(monkeypatch: pytest.MonkeyPatch,
                                                quick_failure: None) -> None:
    monkeypatch.setattr(Ios, "_ikev1_rule", _old_ikev1_identity(Ios._ikev1_rule))
    doc = run(load(EXAMPLES / "ios-vti.yaml"))
    tunnel = _failed(doc, "t-hq-branch")
    assert doc["ok"] is False
    assert not tunnel["established"] and tunnel["cleartext_packets"] == 0
    # the charons say why: the identity the played router sends is not the one required
    assert any("no peer config found" in p for p in tunnel["problems"]), tunnel["problems"]
    assert any("AUTHENTICATION_FAILED" in p
               for p in tunnel["problems"]), tunnel["problems"]


def test_a_windows_authority_in_the_wrong_rdn_order_fails_its_path(
        monkeypatch: pytest.MonkeyPatch, quick_failure: None) -> None:
    """-Authority written in RFC 4514 order (as before issue 14): the Windows end does not
    accept the CUCM node's certificate; its other paths (Kerberos, replaced by the lab CA)
    and the site tunnel still come up."""
    monkeypatch.setattr(powershell, "encoding_order", lambda dn: dn)
    doc = run(loads(demo_text(), "demo.yaml"), hosts=["pg1-a", "cucm-1"])
    p8 = _failed(doc, "p8-pg1-a-cucm-1")
    assert not p8["established"] and p8["cleartext_packets"] == 0
    assert _failed(doc, "t-dc-east-pg-osaka")["ok"]
    assert doc["ok"] is False
