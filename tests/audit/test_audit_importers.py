"""Importers that are not render formats (legacy ipsec.conf, the Windows collector JSON), the
content sniffer, attaching configs to deployment devices, and fuzzing: arbitrary input raises
only ccsec's ParseError."""

from __future__ import annotations

import contextlib
import json
from ipaddress import IPv4Address
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from ccsec.audit.inventory import attach, load_directory, sniff
from ccsec.crypto import Encr, Integ
from ccsec.errors import ParseError
from ccsec.formats.strongswan.ipsec_conf import FORMAT as IPSEC_CONF
from ccsec.formats.windows.collector import parse as parse_collector

BROWNFIELD = Path(__file__).resolve().parent.parent / "data" / "audit-brownfield" / "configs"

CONF = """\
config setup
    uniqueids=no

conn %default
    keyexchange=ikev1
    authby=secret
    ike=aes128-sha256-modp2048!

conn common
    right=198.51.100.1
    rightsubnet=10.1.0.0/16
    rightid=@hq.example

conn site
    also=common
    left=203.0.113.5
    leftsubnet=10.5.0.0/16,10.6.0.0/16[tcp/1433]
    leftid=@site.example
    esp=aes128gcm16-modp2048
    auto=route

conn lazy
    left=203.0.113.5
    right=198.51.100.9
    keyexchange=ike
    authby=pubkey
    rightauth=rsa-1024-sha1
    ike=aes256-sha256-ecp256
    rightca="C=JP, O=Example, CN=Example Root"
    esp=3idea-sha1,aes256-sha256
    type=transport
    auto=add

conn off
    left=203.0.113.5
    right=198.51.100.10
"""
SECRETS = """\
# comment
@site.example @hq.example : PSK "site-hq-key"
: PSK "wildcard-key"
198.51.100.9 : RSA lazy.pem
"""


def parse_conf():
    return IPSEC_CONF.parse(CONF, "<conf>", secrets=SECRETS)


def test_ipsec_conf_rules_defaults_and_inheritance() -> None:
    p = parse_conf()
    rules = {r.name: r for r in p.policies[0].rules}
    assert set(rules) == {"site", "lazy"}  # "common" and "off" have no auto= (not loaded)
    site = rules["site"]
    assert site.ike.version == 1
    assert [x.label() for x in site.ike.proposals] == ["aes128-sha256-modp2048"]  # strict (!)
    assert site.esp[0].encryption is Encr.AES128GCM and site.pfs_group == 14
    assert site.peer_address.exploded == "198.51.100.1" and site.peer_id.value == "hq.example"
    assert {(str(f.local), str(f.remote), f.protocol, f.local_port) for f in site.filters} == {
        ("10.5.0.0/16", "10.1.0.0/16", None, None), ("10.6.0.0/16", "10.1.0.0/16", 6, 1433)}
    assert site.outbound == "require" and not site.initiate
    assert site.auth[0].method == "psk"
    assert site.auth[0].psk.reveal() == "site-hq-key"  # the entry naming both ids wins
    assert "off" not in rules  # auto=ignore (unset): not loaded
    assert any("auto=ignore" in n.message for n in p.notes)


def test_ipsec_conf_non_strict_proposals_get_defaults_and_any_version() -> None:
    p = parse_conf()
    lazy = next(r for r in p.policies[0].rules if r.name == "lazy")
    assert lazy.ike.version == 2 and "lazy" in p.facts.ike_any_version
    assert len(lazy.ike.proposals) > 1  # default proposals appended (no "!")
    assert lazy.mode == "transport" and lazy.outbound == "request"
    assert lazy.auth[0].method == "certificate"
    assert lazy.auth[0].ca == "CN=Example Root, O=Example, C=JP"  # RFC 4514 (ccsec.formats.dn)
    assert p.facts.auth_constraints["lazy"] == ("rsa-1024-sha1",)
    assert p.facts.obsolete_algorithms["lazy"] == ("3idea",)
    assert any(e.integrity is Integ.SHA256 for e in lazy.esp)
    assert (p.locations["lazy"], p.locations["lazy/ike"], p.locations["site/ike"]) == (22, 28, 7)


def test_ipsec_conf_wildcard_secret_and_missing_secret() -> None:
    conf = "conn a\n    left=1.1.1.1\n    right=2.2.2.2\n    authby=psk\n    auto=start\n"
    p = IPSEC_CONF.parse(conf, "<a>", secrets=': PSK "only-one"\n')
    assert p.policies[0].rules[0].auth[0].psk.reveal() == "only-one"
    p = IPSEC_CONF.parse(conf, "<a>", secrets="")
    assert p.policies[0].rules[0].auth[0].psk is None
    assert any("no PSK" in n.message for n in p.notes)


def test_ipsec_conf_include_and_secrets_beside_the_file(tmp_path: Path) -> None:
    (tmp_path / "ipsec.d").mkdir()
    (tmp_path / "ipsec.conf").write_text("include ipsec.d/*.conf\n", encoding="utf-8")
    (tmp_path / "ipsec.d" / "x.conf").write_text(
        "conn x\n    left=10.0.0.1\n    right=10.0.0.2\n    authby=secret\n    auto=route\n",
        encoding="utf-8")
    (tmp_path / "ipsec.secrets").write_text('10.0.0.1 10.0.0.2 : PSK "k-x"\n', encoding="utf-8")
    p = IPSEC_CONF.parse((tmp_path / "ipsec.conf").read_text(), str(tmp_path / "ipsec.conf"))
    (r,) = p.policies[0].rules
    assert r.name == "x" and r.auth[0].psk.reveal() == "k-x"


COLLECTOR = {
    "schema": "ccsec-windows-collector/1",
    "host": {"ComputerName": "PG1A", "Domain": "icm.example",
             "Addresses": [{"IPAddress": "10.20.1.10"}]},
    "ipsec": {
        "Rules": [
            {"Name": "r-gcm", "Enabled": "True", "Mode": "Transport", "InboundSecurity": "Require",
             "OutboundSecurity": "Require", "KeyModule": "IKEv2", "Phase1AuthSet": "p1cert",
             "QuickModeCryptoSet": "qm", "LocalAddress": ["10.20.1.10"],
             "RemoteAddress": ["10.1.1.10"], "Protocol": "TCP", "RemotePort": ["1433"]},
            {"Name": "r-psk", "Enabled": "False", "Mode": "1", "InboundSecurity": "1",
             "OutboundSecurity": "2", "KeyModule": "IKEv1", "Phase1AuthSet": "p1psk",
             "QuickModeCryptoSet": "qm-cim", "LocalAddress": "10.20.1.10",
             "RemoteAddress": ["10.20.5.10"]},
            {"Name": "r-default", "Mode": "Transport", "LocalAddress": ["10.20.1.10"],
             "RemoteAddress": ["10.20.9.9"]},
        ],
        "MainModeCryptoSets": [{"Name": "{E5A5D32A-4BCE-4e4d-B07F-4AB1BA7E5FE1}", "Proposal": [
            {"Encryption": "AES256", "Hash": "SHA256", "KeyExchange": "DH19"}],
            "MaxMinutes": 480}],
        "QuickModeCryptoSets": [
            {"Name": "qm", "PerfectForwardSecrecyGroup": "SameAsMainMode", "Proposal": [
                {"Encapsulation": "ESP", "Encryption": "AESGCM256", "ESPHash": "AESGMAC256",
                 "MaxMinutes": 60, "MaxKiloBytes": 100000}]},
            {"Name": "qm-cim", "PerfectForwardSecrecyGroup": "DH14", "Proposal": [
                {"Encapsulation": "ESP", "Encryption": "6", "ESPHash": "3"}]}],
        "Phase1AuthSets": [
            {"Name": "p1cert", "Proposal": [{"AuthenticationMethod": "MachineCert",
                                             "Authority": "CN=Root CA, O=Example"}]},
            {"Name": "p1psk", "Proposal": [{"AuthenticationMethod": "MachinePreSharedKey",
                                            "PreSharedKeyPresent": True}]}],
    },
}


def test_collector_json_to_policy() -> None:
    p = parse_collector(json.dumps(COLLECTOR), "pg1a.json")
    rules = {r.name: r for r in p.policies[0].rules}
    gcm = rules["r-gcm"]
    assert gcm.ike.version == 2 and gcm.ike.proposals[0].label() == "aes256-sha256-ecp256"
    assert gcm.esp[0].encryption is Encr.AES256GCM and gcm.esp[0].integrity is None
    assert gcm.pfs_group == 19  # SameAsMainMode
    assert gcm.auth[0].method == "certificate" and gcm.auth[0].ca == "CN=Root CA, O=Example"
    assert gcm.filters[0].protocol == 6 and gcm.filters[0].remote_port == 1433
    psk = rules["r-psk"]
    assert not psk.enabled and psk.inbound == "request" and psk.outbound == "require"
    assert psk.esp[0].encryption is Encr.TDES and psk.esp[0].integrity is Integ.SHA1
    assert psk.auth[0].method == "psk" and psk.auth[0].psk is None
    assert p.facts.psk_clear_on_host == {"r-psk"}
    default = rules["r-default"]
    assert default.auth[0].method == "kerberos" and default.ike.version == 1
    assert any("Windows default assumed" in n.message for n in p.notes)
    assert p.facts.device_name == "PG1A" and p.facts.addresses == (IPv4Address("10.20.1.10"),)


def test_collector_rejects_other_json() -> None:
    for text in ("{}", "[1, 2]", '{"schema": "other"}', "not json"):
        try:
            parse_collector(text, "x.json")
        except ParseError as exc:
            assert "x.json" in str(exc)
        else:  # pragma: no cover - the assertion below explains
            raise AssertionError(f"accepted {text!r}")


SAMPLES = {
    "strongswan": "connections {\n  a {\n  }\n}\n",
    "ipsec-conf": "config setup\n\nconn a\n    left=1.1.1.1\n",
    "ipsec-secrets": ': PSK "x"\n',
    "windows-netsh": 'netsh ipsec static add policy name="P" assign=no\n',
    "windows-powershell": "$r = New-NetIPsecRule -DisplayName x\n",
    "cucm": "Policy Group Name     : G\nPolicy Name : P\n",
    "ios": "hostname r1\n!\ncrypto isakmp policy 10\n encr aes\n",
    "windows-collector": json.dumps({"schema": "ccsec-windows-collector/1"}),
    "ccsec-index": json.dumps({"generator": "ccsec 0.1.0", "files": []}),
}


def test_sniff_each_format_by_content() -> None:
    for fmt, text in SAMPLES.items():
        assert sniff(text) == fmt, fmt
    assert sniff("just some notes\nabout the network\n") is None
    assert sniff('{"other": 1}') is None


def test_attach_by_name_and_by_addresses() -> None:
    from ccsec.deployment import load

    dep = load(BROWNFIELD.parent / "deployment.yaml")
    inv = load_directory(BROWNFIELD)
    assert all(e.host is None for e in inv.ends)
    attach(inv.ends, dep)
    assert {e.source: e.host for e in inv.ends}["branch-gw/ipsec.conf"] == "gw-branch"


def test_binary_and_broken_files_are_skipped_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01crypto map")
    (tmp_path / "broken.conf").write_text("connections {\n  a {\n", encoding="utf-8")
    inv = load_directory(tmp_path)
    reasons = {s.path: (s.reason, s.unreadable) for s in inv.skipped}
    assert reasons["blob.bin"] == ("binary file", False)
    assert reasons["broken.conf"][1] and "strongswan" in reasons["broken.conf"][0]


def test_parallel_import_equals_sequential(tmp_path: Path, monkeypatch) -> None:
    """Worker processes change nothing: same ends (policies, facts, attachment), same skips,
    same order — broken and binary files included."""
    import shutil

    from ccsec.audit import inventory
    from ccsec.deployment import load

    shutil.copytree(BROWNFIELD, tmp_path / "configs")
    (tmp_path / "configs" / "blob.bin").write_bytes(b"\x00\x01crypto map")
    (tmp_path / "configs" / "broken.conf").write_text("connections {\n  a {\n", encoding="utf-8")
    dep = load(BROWNFIELD.parent / "deployment.yaml")
    monkeypatch.setattr(inventory, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(inventory, "BATCH_BYTES", 1)  # one file per batch: many hand-offs
    one = load_directory(tmp_path / "configs", dep, workers=1)
    two = load_directory(tmp_path / "configs", dep, workers=2)

    def view(inv: inventory.Inventory) -> list[object]:
        return [(e.source, e.format, e.host, e.policy, e.facts, e.notes) for e in inv.ends]

    assert len(one.ends) >= 4 and len(one.skipped) >= 2
    assert view(two) == view(one)
    assert two.skipped == one.skipped


def test_import_workers_follow_ccsec_jobs(monkeypatch) -> None:
    from ccsec.audit import inventory

    monkeypatch.setenv("CCSEC_JOBS", "3")
    assert inventory.default_workers() == 3
    monkeypatch.setenv("CCSEC_JOBS", "zero")
    assert inventory.default_workers() >= 1


CONFIG_WORDS = st.sampled_from([
    "conn", "config", "setup", "left=", "right=", "%default", "also=", "ike=", "esp=", "auto=",
    "start", "route", "authby=", "secret", "leftsubnet=", "10.0.0.1", "10.0.0.0/8", "[tcp/80]",
    "keyexchange=", "ikev1", "aes256-sha1-modp1024", "!", "include", "*.conf", '"', "#", ":",
    "PSK", "\n", "    ", "\t", "=", ",", "type=transport", "rightca=", "%any", "3idea",
    "999.1.1.1", "lifetime=", "1h", "xx", "\x00",
])


@given(st.lists(CONFIG_WORDS, max_size=60).map("".join))
def test_fuzz_ipsec_conf_raises_only_parse_error(text: str) -> None:
    with contextlib.suppress(ParseError):
        IPSEC_CONF.parse(text, "<fuzz>", secrets=text)


@given(st.text(max_size=300))
def test_fuzz_ipsec_conf_arbitrary_text(text: str) -> None:
    with contextlib.suppress(ParseError):
        IPSEC_CONF.parse(text, "<fuzz>", secrets=text)


JSON_BITS = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8),
              st.sampled_from(["DES3", "DH2", "Tunnel", "Require", "10.0.0.1", "Any",
                               "MachinePreSharedKey", "SameAsMainMode", "AESGCM256"])),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from(
                                ["Name", "Rules", "Proposal", "Mode", "Encryption",
                                 "LocalAddress", "RemoteAddress", "QuickModeCryptoSet",
                                 "QuickModeCryptoSets", "KeyExchange", "ESPHash"]),
                                inner, max_size=5)),
    max_leaves=20)


@given(JSON_BITS)
def test_fuzz_collector_raises_only_parse_error(ipsec: object) -> None:
    doc = {"schema": "ccsec-windows-collector/1", "host": {"ComputerName": "H"},
           "ipsec": ipsec}
    with contextlib.suppress(ParseError):
        parse_collector(json.dumps(doc), "<fuzz>")


@given(st.text(max_size=400))
def test_fuzz_sniff_never_raises(text: str) -> None:
    assert sniff(text) in (None, *SAMPLES)


def test_swanctl_version_0_is_read_as_accepting_both(tmp_path: Path) -> None:
    (tmp_path / "swanctl.conf").write_text(
        "connections {\n  c0 {\n    version = 0\n    local_addrs = 10.0.0.1\n"
        "    remote_addrs = 10.0.0.2\n    children {\n      c0 {\n"
        "        local_ts = 10.0.0.1/32\n        remote_ts = 10.0.0.2/32\n"
        "        start_action = trap\n      }\n    }\n  }\n}\n", encoding="utf-8")
    (end,) = load_directory(tmp_path).ends
    assert end.facts.ike_any_version == {"c0"}
    assert end.any_version(end.policy.rules[0])


IOS_SHUT = """\
hostname edge
crypto isakmp policy 10
 encr aes 256
 hash sha256
 authentication pre-share
 group 14
crypto isakmp key 0 edge-key-123456 address 203.0.113.2
crypto ipsec transform-set TS esp-aes 256 esp-sha256-hmac
crypto map M 10 ipsec-isakmp
 set peer 203.0.113.2
 set transform-set TS
 set pfs group14
 match address 101
crypto map M 20 ipsec-manual
 set peer 203.0.113.9
interface GigabitEthernet0/0
 ip address 198.51.100.2 255.255.255.0
 crypto map M
 shutdown
access-list 101 permit ip 10.1.0.0 0.0.255.255 10.2.0.0 0.0.255.255
"""
SWAN_PEER = """\
connections {
    edge {
        version = 1
        local_addrs = 203.0.113.2
        remote_addrs = 198.51.100.2
        proposals = aes256-sha256-modp2048
        local { auth = psk }
        remote { auth = psk }
        children {
            edge {
                local_ts = 10.2.0.0/16
                remote_ts = 10.1.0.0/16
                esp_proposals = aes256-sha256-modp2048
                start_action = trap
            }
        }
    }
}
secrets {
    ike-edge { secret = "edge-key-123456" }
}
"""


def test_ios_facts_shut_interface_and_manual_keying(tmp_path: Path) -> None:
    from ccsec.audit.engine import run_audit

    (tmp_path / "edge.cfg").write_text(IOS_SHUT, encoding="utf-8")
    (tmp_path / "peer.conf").write_text(SWAN_PEER, encoding="utf-8")
    inv = load_directory(tmp_path)
    ios = next(e for e in inv.ends if e.format == "ios")
    assert "M-10" in ios.facts.down_rules
    res = run_audit(inv.ends)
    (s,) = res.sessions
    assert s.status.value == "MISSING_END_POINT" and "not applied" in s.reason
    manual = [f for f in res.findings if f.rule == "IPSEC-IKE-002"]
    assert manual and manual[0].location.line == 14
    # the same pair with the interface up establishes
    (tmp_path / "edge.cfg").write_text(IOS_SHUT.replace(" shutdown\n", ""), encoding="utf-8")
    (s,) = run_audit(load_directory(tmp_path).ends).sessions
    assert s.established, s.reason
