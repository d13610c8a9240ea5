"""``ccsec diff``: planned vs running per device, IOS remediation through hier_config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ccsec.audit.drift import compare, ios_remediation, ipsec_subset
from ccsec.deployment import loads
from ccsec.deployment.demo import demo_text
from ccsec.plan import plan
from ccsec.render import render_policy_set
from conftest import lab_context

RUNNING_EXTRA = """\
hostname rtr-osaka
snmp-server community <COMMUNITY> RO 10
access-list 10 permit 10.20.0.0 0.0.255.255
interface GigabitEthernet0/0
 ip address 192.168.100.2 255.255.255.0
 ip nat outside
 crypto map ccsec
interface GigabitEthernet0/1
 ip address 10.20.0.1 255.255.0.0
 ip nat inside
crypto map ccsec 20 ipsec-isakmp
 set peer 203.0.113.99
 set transform-set ccsec-aes256-sha256
 match address OLD-PEER
ip access-list extended OLD-PEER
 permit ip 10.20.0.0 0.0.255.255 10.99.0.0 0.0.255.255
line vty 0 4
 transport input ssh
"""


def drifted(intended: str) -> str:
    """The rendered config as a device would hold it, drifted: no GCM, no PFS, no QoS
    pre-classification, an old peer, and unrelated configuration around it."""
    body = [line for line in intended.splitlines()
            if not line.startswith("!") and not line.startswith("interface")
            and line not in (" ip nat inside", " ip nat outside", " crypto map ccsec")]
    text = "\n".join(body)
    text = text.replace(" set transform-set ccsec-aes256gcm16 ccsec-aes256-sha256",
                        " set transform-set ccsec-aes256-sha256")
    text = text.replace(" set pfs group19\n", "").replace(" qos pre-classify\n", "")
    return RUNNING_EXTRA + text + "\nend\n"


@pytest.fixture
def configs(tmp_path: Path) -> Path:
    dep = loads(demo_text(), "demo.yaml")
    ps = plan(dep)
    for f in render_policy_set(ps, lab_context(ps)).files:
        p = tmp_path / f.path
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(drifted(f.text) if f.path == "rtr-osaka/ios.cfg" else f.text,
                     encoding="utf-8")
    return tmp_path


def test_diff_reports_drift_and_ios_remediation(cli, configs: Path) -> None:
    r = cli("diff", "demo", "--configs", str(configs), "--json")
    assert r.code == 1, r.err  # drift is exit 1, like a finding at --fail-on
    devices = {d["device"]: d for d in json.loads(r.out)["devices"]}
    assert all(devices[n]["in_sync"] for n in devices if n != "rtr-osaka"), \
        {n: d["differences"] for n, d in devices.items() if not d["in_sync"]}
    osaka = devices["rtr-osaka"]
    diffs = "\n".join(osaka["differences"])
    assert "ESP proposals is [aes256-sha256], planned [aes256gcm16, aes256-sha256]" in diffs
    assert "PFS group is None, planned 19" in diffs
    assert "QoS pre-classify is False, planned True" in diffs
    assert "(peer 203.0.113.99) is not in the plan" in diffs
    rem = osaka["remediation"]
    assert "no crypto map ccsec 20 ipsec-isakmp" in rem
    assert "no ip access-list extended OLD-PEER" in rem
    assert "crypto map ccsec 10 ipsec-isakmp" in rem
    assert "  set transform-set ccsec-aes256gcm16 ccsec-aes256-sha256" in rem
    assert "  set pfs group19" in rem and "  qos pre-classify" in rem
    # nothing outside IPsec is touched
    assert not any(x in line for line in rem for x in
                   ("hostname", "snmp", "access-list 10", "ip address", "line vty"))


def test_diff_text_output(cli, configs: Path) -> None:
    r = cli("diff", "demo", "--configs", str(configs))
    assert "rtr-osaka (ios) drift" in r.out and "rgr-a (windows-powershell) in sync" in r.out


def test_missing_device_and_unplanned_config(cli, tmp_path: Path) -> None:
    (tmp_path / "stray.cfg").write_text("hostname stray\ncrypto isakmp policy 10\n encr aes\n",
                                        encoding="utf-8")
    r = cli("diff", "demo", "--configs", str(tmp_path), "--json")
    devices = {d["device"]: d for d in json.loads(r.out)["devices"]}
    assert "no configuration found for rgr-a" in devices["rgr-a"]["differences"][0]
    assert any("has no planned policy" in d for d in devices["stray"]["differences"])


def test_ipsec_subset_keeps_only_ipsec_lines() -> None:
    text = ("hostname r\ninterface Gi0/0\n ip address 1.1.1.1 255.0.0.0\n crypto map M\n"
            "crypto map M 10 ipsec-isakmp\n match address 101\naccess-list 101 permit ip any any\n"
            "access-list 5 permit any\ninterface Tunnel1\n tunnel mode ipsec ipv4\n ip mtu 1400\n"
            "ip route 10.0.0.0 255.0.0.0 Tunnel1\nip route 0.0.0.0 0.0.0.0 1.1.1.254\n")
    sub = ipsec_subset(text).splitlines()
    assert sub == ["interface Gi0/0", " crypto map M", "crypto map M 10 ipsec-isakmp",
                   " match address 101", "access-list 101 permit ip any any",
                   "interface Tunnel1", " tunnel mode ipsec ipv4", " ip mtu 1400",
                   "ip route 10.0.0.0 255.0.0.0 Tunnel1"]


def test_remediation_of_identical_configs_is_empty() -> None:
    cfg = "crypto map M 10 ipsec-isakmp\n set peer 1.1.1.1\n match address 101\n"
    assert ios_remediation(cfg, cfg) == []


def test_compare_names_each_difference() -> None:
    ps = plan(loads(demo_text(), "demo.yaml"))
    a = ps.end("rgr-a")
    assert compare(a, a) == []
    fewer = a.model_copy(update={"rules": a.rules[1:]})
    assert compare(a, fewer) == [f"rule {a.rules[0].name} (peer {a.rules[0].peer_address}) "
                                 "is missing"]
    assert compare(fewer, a) == [f"rule {a.rules[0].name} (peer {a.rules[0].peer_address}) "
                                 "is not in the plan"]
