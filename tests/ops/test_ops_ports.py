"""The port matrix on the demo deployment."""

from __future__ import annotations

from ccsec.deployment import loads
from ccsec.deployment.demo import demo_text
from ccsec.paths import derive
from ccsec.ports import do_not_segment, matrix


def _find(entries, path, purpose_part):
    return [e for e in entries if e.path == path and purpose_part in e.purpose]


def test_every_path_has_ike_natt_and_esp(demo) -> None:
    entries = matrix(demo)
    for path in derive(demo):
        mine = {(e.protocol, e.ports) for e in entries if e.path == path.id}
        assert {("udp", "500"), ("udp", "4500"), ("ip", "50")} <= mine, path.id
    tunnel = _find(entries, "t-dc-east-pg-osaka", "ESP")[0]
    assert "NAT at rtr-osaka" in tunnel.note and "203.0.113.7" in tunnel.listener_address


def test_router_pg_ports_by_side_and_instance(demo) -> None:
    a = _find(matrix(demo), "p4-rgr-a-pg1-a", "DMP")[0]
    b = _find(matrix(demo), "p4-rgr-b-pg1-a", "DMP")[0]
    assert (a.listener, a.client, a.ports) == ("rgr-a", "pg1-a", "40002, 40017, 40003")
    assert b.ports == "41002, 41017, 41003"
    assert _find(matrix(demo, instance=1), "p4-rgr-a-pg1-a", "DMP")[0].ports == \
        "40042, 40057, 40043"
    assert _find(matrix(demo, secure=True), "p4-rgr-a-pg1-a", "DMP")[0].ports == \
        "40014, 40018, 40011"
    hb = _find(matrix(demo, instance=3), "p4-rgr-a-pg1-a", "heartbeats")[0]
    assert (hb.protocol, hb.ports) == ("udp", "39500-39999")  # not instance-shifted


def test_pg_slots_and_cucm(demo) -> None:
    tos = _find(matrix(demo), "p7-pg1-a-pg1-b", "test-other-side")[0]
    assert tos.ports == "43006"
    assert _find(matrix(demo, pg_slots={"pg1-a": 2}), "p7-pg1-a-pg1-b",
                 "test-other-side")[0].ports == "45006"
    priv = _find(matrix(demo, pg_slots={"pg1-a": 3}), "p7-pg1-a-pg1-b-priv", "MDS private")[0]
    assert priv.ports == "47504, 47516, 47505, 47523"
    jtapi = _find(matrix(demo), "p8-pg1-a-cucm-1", "CTIManager")[0]
    assert (jtapi.listener, jtapi.ports) == ("cucm-1", "2748")
    assert "do not segment" in jtapi.note


def test_central_and_admin_ports(demo) -> None:
    entries = matrix(demo)
    rt = _find(entries, "p5-rgr-b-aw-hds-1", "real-time feed")[0]
    assert rt.ports == "41007"
    rep = _find(entries, "p5-rgr-a-aw-hds-1", "replication")[0]
    assert rep.ports == "40026, 40028"
    assert _find(entries, "p3-rgr-a-rgr-b-priv", "MDS private")[0].ports == "41004, 41016, 41005"


def test_do_not_segment_callouts(demo) -> None:
    assert do_not_segment(demo) == [{"host": "cucm-1", "role": "cucm", "reason":
                                     "Communications Manager: do not segment with a firewall "
                                     "(Cisco Unified CCE SRND, Securing Unified CCE: "
                                     "Firewalls and IPsec note)"}]
    text = demo_text().replace("roles: [aw, hds]", "roles: [aw, hds, dialer]")
    hosts = {c["host"] for c in do_not_segment(loads(text, "d.yaml"))}
    assert hosts == {"cucm-1", "aw-hds-1"}
