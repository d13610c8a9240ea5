"""IOS read and judged the way IOS chooses: several candidates for one peer, tunnels whose
source is missing, one key for several peers, vendor templates with placeholders, pasted CLI
navigation, and refusals in IOS's words rather than the model's validation text."""

from __future__ import annotations

from pathlib import Path

from ccsec.audit.negotiate import Status
from ccsec.audit.pipeline import run
from ccsec.formats.ios.importer import parse

POLICY = """\
crypto isakmp policy 10
 encr aes 256
 hash sha256
 authentication pre-share
 group 14
crypto ipsec transform-set TS esp-aes 256 esp-sha256-hmac
"""

R1 = POLICY + """\
hostname r1
crypto isakmp key 0 shared-key-0123456789 address 10.0.0.2
crypto ipsec profile VTI
 set transform-set TS
crypto map mymap 10 ipsec-isakmp
 set peer 10.0.0.2
 set transform-set TS
 match address 101
interface GigabitEthernet0/0
 ip address 10.0.0.1 255.255.255.0
 crypto map mymap
interface Tunnel1
 ip address 172.16.0.1 255.255.255.252
 tunnel source GigabitEthernet0/0
 tunnel destination 10.0.0.2
 tunnel mode ipsec ipv4
 tunnel protection ipsec profile VTI
access-list 101 permit ip 192.168.1.0 0.0.0.255 192.168.2.0 0.0.0.255
"""

R2 = POLICY + """\
hostname r2
crypto isakmp key 0 shared-key-0123456789 address 10.0.0.1
crypto map mymap 10 ipsec-isakmp
 set peer 10.0.0.1
 set transform-set TS
 match address 101
interface GigabitEthernet0/0
 ip address 10.0.0.2 255.255.255.0
 crypto map mymap
access-list 101 permit ip 192.168.2.0 0.0.0.255 192.168.1.0 0.0.0.255
"""


def test_every_candidate_gets_a_session_and_the_one_ios_uses_is_named(tmp_path: Path) -> None:
    (tmp_path / "r1.cfg").write_text(R1)
    (tmp_path / "r2.cfg").write_text(R2)
    result = run(tmp_path)
    with_r1 = [s for s in result.sessions if "r1:" in s.a or "r1:" in s.b]
    names = {s.a if "r1:" in s.a else s.b for s in with_r1}
    assert names == {"r1:mymap-10", "r1:Tunnel1"}
    used = next(s for s in with_r1 if "mymap-10" in s.a + s.b and "r2:mymap-10" in s.a + s.b
                and "r1:mymap-10" in s.a + s.b)
    assert used.status is Status.ESTABLISHED
    assert "IOS answers this peer with crypto map mymap 10" in used.reason
    other = next(s for s in with_r1 if "Tunnel1" in s.a + s.b)
    assert "IOS does not use interface Tunnel1 for this peer" in other.reason


def test_tunnel_with_a_missing_source_does_not_come_up(tmp_path: Path) -> None:
    text = R1.replace(" tunnel source GigabitEthernet0/0\n", " tunnel source Loopback9\n")
    parsed = parse(text, "r1.cfg")
    assert "Loopback9 of Tunnel1 is not defined" in parsed.facts.down_rules["Tunnel1"]
    (tmp_path / "r1.cfg").write_text(text)
    (tmp_path / "r2.cfg").write_text(R2)
    tunnel = [s for s in run(tmp_path).sessions if "Tunnel1" in s.a + s.b]
    assert tunnel and all(s.status is Status.MISSING_END_POINT for s in tunnel)


def test_one_key_for_several_peers_is_a_finding(tmp_path: Path) -> None:
    text = R2 + "crypto isakmp key 0 shared-key-0123456789 address 10.0.0.3\n"
    (tmp_path / "r2.cfg").write_text(text)
    found = [f for f in run(tmp_path).findings if f.rule == "IPSEC-AUTH-009"]
    assert len(found) == 1
    assert "10.0.0.1" in found[0].message and "10.0.0.3" in found[0].message
    assert "shared-key" not in found[0].message


def test_transform_set_refusal_is_in_ios_words() -> None:
    text = "crypto ipsec transform-set ts4 esp-gcm esp-md5-hmac\n"
    (note,) = [n for n in parse(text, "x.cfg").notes if "ts4" in n.message]
    assert "takes no HMAC" in note.message and "esp-md5-hmac" in note.message
    assert "pydantic" not in note.message and "http" not in note.message


def test_cli_navigation_is_not_a_line_not_read() -> None:
    text = "configure terminal\n" + R2.replace(" crypto map mymap\n",
                                               " crypto map mymap\n exit\n") + "end\n"
    notes = [n.message for n in parse(text, "x.cfg").notes]
    assert not any("exit" in m or "configure terminal" in m for m in notes)
    assert not any("top-level line" in m for m in notes)


def test_template_placeholders_stay_unresolved_and_the_rest_is_judged(tmp_path: Path) -> None:
    text = R2.replace("set peer 10.0.0.1", "set peer <azure-gateway-ip>").replace(
        "esp-aes 256 esp-sha256-hmac", "esp-3des esp-md5-hmac")
    (rule,) = parse(text, "t.cfg").policies[0].rules
    assert rule.peer_name == "<azure-gateway-ip>" and rule.enabled
    (tmp_path / "t.cfg").write_text(text)
    result = run(tmp_path)
    (s,) = result.sessions
    assert s.status is Status.MISSING_END_POINT and "not resolved" in s.reason
    assert {"IPSEC-ENC-002", "IPSEC-INT-001"} <= {f.rule for f in result.findings}
