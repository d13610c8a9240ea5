"""The planner: authentication per path, profiles, negotiation limits, NAT roles."""

from __future__ import annotations

import pytest

from builders import CENTRAL, REMOTE, host, make
from ccsec.crypto import Encr, Integ
from ccsec.errors import PlanError
from ccsec.plan import plan
from ccsec.policy import Identity
from ccsec.secrets import Secret


def rule_pair(ps, path_id):
    (_, a), (_, b) = ps.rules_for(path_id)
    return a, b


def test_kerberos_inside_one_domain_certificates_across(demo_ps) -> None:
    a, _ = rule_pair(demo_ps, "p2-rgr-a-rgr-b")
    assert a.auth[0].method == "kerberos"
    a, b = rule_pair(demo_ps, "p8-pg1-a-cucm-1")
    assert a.auth[0].method == b.auth[0].method == "certificate"
    assert a.auth[0].ca == "CN=ACME Root CA, O=ACME"


def test_linux_end_gets_certificates_even_in_one_domain() -> None:
    dep = make([host("r", ["router"], "10.1.1.1"),
                host("pg", ["pg"], "10.2.1.1", site="rs", os="linux")])
    a, b = rule_pair(plan(dep), "p4-r-pg")
    assert a.auth[0].method == "certificate"
    assert a.local_id == Identity(kind="dn", value="CN=r.icm.t.example")  # its cert subject
    assert a.peer_id == b.local_id


def test_psk_only_in_test_and_only_as_reference() -> None:
    dep = make([host("r", ["router"], "10.1.1.1"), host("pg", ["pg"], "10.2.1.1", site="rs")],
               environment="test", psk="env:LAB")
    ps = plan(dep)
    for p in ps.paths:
        a, _ = rule_pair(ps, p.id)
        assert a.auth[0].method == "psk"
        assert a.auth[0].psk == Secret(ref="env:LAB") and a.auth[0].psk.value is None


def test_legacy_profile_is_exactly_the_documented_defaults(demo) -> None:
    ps = plan(demo, "legacy")
    for end in ps.ends:
        for r in end.rules:
            assert r.ike.version == 1
            assert [(p.encryption, p.integrity, p.group) for p in r.ike.proposals] == [
                (Encr.TDES, Integ.SHA1, 2)]
            assert [(p.encryption, p.integrity) for p in r.esp] == [(Encr.TDES, Integ.SHA1)]
            assert r.pfs_group is None
            assert r.ike.lifetime_s == 28800 and r.lifetime_s == 3600


def test_recommended_profile_intersects_with_cucm(demo_ps) -> None:
    a, b = rule_pair(demo_ps, "p8-pg1-a-cucm-1")
    assert a.ike == b.ike and a.ike.version == 1
    assert [p.label() for p in a.ike.proposals] == ["aes256-sha256-modp2048"]
    assert [p.label() for p in a.esp] == ["aes256-sha256"]
    assert a.pfs_group == b.pfs_group == 14
    a, _ = rule_pair(demo_ps, "p2-rgr-a-rgr-b")
    assert [p.label() for p in a.esp] == ["aes256gcm16", "aes256-sha256"]
    assert a.pfs_group == 19
    tunnel, _ = rule_pair(demo_ps, "t-dc-east-pg-osaka")
    assert tunnel.ike.version == 2 and tunnel.mode == "tunnel"


def test_dh_below_2048_never_in_recommended_or_strict(demo) -> None:
    for profile in ("recommended",):
        for end in plan(demo, profile).ends:
            for r in end.rules:
                assert all(p.group in (14, 19, 20) for p in r.ike.proposals)
                assert r.pfs_group in (14, 19, 20)


def test_strict_fails_clearly_when_an_end_cannot(demo) -> None:
    with pytest.raises(PlanError) as exc:
        plan(demo, "strict")
    text = str(exc.value)
    assert "path p8-pg1-a-cucm-1" in text and "cucm" in text and "fix:" in text


def test_strict_without_cucm() -> None:
    dep = make([host("r", ["router"], "10.1.1.1"), host("pg", ["pg"], "10.2.1.1", site="rs")])
    ps = plan(dep, "strict")
    for end in ps.ends:
        for r in end.rules:
            assert all(p.group == 20 for p in r.ike.proposals)
            assert [p.label() for p in r.esp] == ["aes256gcm16"] and r.pfs_group == 20


def test_never_fallback_never_default_response_rule(demo_ps) -> None:
    for end in demo_ps.ends:
        assert end.default_response_rule is False
        for r in end.rules:
            assert (r.inbound, r.outbound, r.action) == ("require", "require", "negotiate")


def test_nat_end_initiates_with_keepalive() -> None:
    natted = dict(REMOTE, nat={"public": "203.0.113.9", "keepalive": 15})
    dep = make([host("r", ["router"], "10.1.1.1"), host("pg", ["pg"], "10.2.1.1", site="rs")],
               sites=[CENTRAL, natted])
    center, remote = rule_pair(plan(dep), "t-dc-rs")
    assert remote.initiate and not center.initiate
    assert remote.nat_keepalive_s == 15 and center.nat_keepalive_s is None
    assert str(center.peer_address) == "203.0.113.9"
    assert str(remote.local_address) == "198.51.100.2"
    assert center.qos_preclassify and center.dpd_s


def test_exactly_one_initiator_per_path(demo_ps) -> None:
    for p in demo_ps.paths:
        a, b = rule_pair(demo_ps, p.id)
        assert a.initiate != b.initiate


def test_gateway_facts_travel_with_the_end_policy(demo_ps) -> None:
    osaka = demo_ps.end("rtr-osaka")
    assert osaka.platform == "ios" and osaka.tunnel_style == "crypto-map" and osaka.source_nat
    assert osaka.wan_interface == "GigabitEthernet0/0"
