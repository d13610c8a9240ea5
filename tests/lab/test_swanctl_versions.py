"""swanctl.conf written for a strongSwan release loads into the installed charon (5.9.8 here).

Every strongSwan end of the examples is rendered for the default target (5.9.5: no
``trap|start``) and for 5.9.8 (``trap|start``), with its certificates, and loaded with
``swanctl --load-all`` into a charon in a namespace of its own; charon refuses a whole
connection over one value it does not know, so a load without error is the proof.  A key
charon does not know fails the same way (the check can fail).
"""

from __future__ import annotations

import re
from pathlib import Path

import labstate
import pytest

from ccsec.deployment import load
from ccsec.formats.base import RenderContext
from ccsec.formats.strongswan.swanctl import FORMAT
from ccsec.lab import charon, netns, pki
from ccsec.lab.build import preflight
from ccsec.lab.errors import LabError
from ccsec.lab.sas import instance
from ccsec.lab.state import CharonRecord, new_id, new_state, save, teardown
from ccsec.plan import plan
from ccsec.policy import EndPolicy
from ccsec.secrets import SecretResolver
from conftest import EXAMPLES, LAB_PSK

pytestmark = [pytest.mark.lab, pytest.mark.usefixtures("lab_state_dir")]
lab_state_dir = labstate.lab_state_dir


def _strongswan_ends() -> list[EndPolicy]:
    out = []
    for name in ("multi-site.yaml", "linux-test.yaml"):
        out += [e for e in plan(load(EXAMPLES / name)).ends
                if e.platform in ("linux", "strongswan")]
    return out


def _load_all(texts: list[tuple[EndPolicy, str]]) -> list[str]:
    """Load each text into a fresh charon (one namespace, one lab CA); swanctl's output."""
    preflight()
    state = new_state(new_id(None), "versions", "", "libipsec", "load test")
    try:
        ns = f"{state.prefix}load"
        state.extra_ns.append(ns)
        save(state)
        netns.add_all([ns])
        work = Path(state.workdir)
        ca = pki.make_ca(work / "pki", "CN=ccsec version check, O=ccsec")
        out = []
        for n, (end, text) in enumerate(texts):
            rec = CharonRecord(owner=end.owner or end.name, ns=ns, dir=str(work / f"c{n}"),
                               kind="host")
            state.charons.append(rec)
            cred = pki.issue(ca, end, work / "pki") if pki.needs_certificate(end) else None
            inst = instance(rec)
            charon.prepare(inst, "libipsec", None, text, ca.cert,
                           cred.key if cred else None, cred.cert if cred else None)
            ref = charon.launch(inst)
            rec.pid, rec.started = ref.pid, ref.started
            save(state)
            charon.wait_ready(inst, ref)
            try:
                out.append(charon.load(inst))
            finally:
                ref.stop(5.0)
        return out
    finally:
        teardown(state)


@pytest.mark.parametrize("release", ["5.9.5", "5.9.8"])
def test_every_strongswan_end_loads_into_the_installed_charon(release: str) -> None:
    ends = _strongswan_ends()
    ctx = RenderContext("versions", "recommended",
                        SecretResolver(EXAMPLES, env={"CCSEC_LAB_PSK": LAB_PSK}),
                        strongswan_version=release)
    texts = [(e, FORMAT.render(e, ctx)) for e in ends]
    written = re.compile(r"(?m)^ +start_action = trap\|start$")
    assert bool(written.search("".join(t for _, t in texts))) == (release == "5.9.8")
    outputs = _load_all(texts)
    for (end, _), output in zip(texts, outputs, strict=True):
        assert f"successfully loaded {len(end.rules)} connections" in output, (end.owner, output)


def test_a_value_charon_does_not_know_fails_the_load() -> None:
    (end, *_) = _strongswan_ends()
    text = FORMAT.render(end, RenderContext()).replace("start_action = trap\n",
                                                        "start_action = trap|later\n", 1)
    with pytest.raises(LabError, match="could not load"):
        _load_all([(end, text)])
