"""strongSwan read as charon reads it: one small hand-written fixture per construct (defaults,
dynamic selectors, IPv6, inheritance, children, include, %any/%defaultroute, also=/%default,
ca sections, virtual IPs and pools, EAP/XAUTH rounds, identities, the keyword table, short
lifetimes), and the audit that pairs and negotiates them as the daemons do."""

from __future__ import annotations

import json
from ipaddress import ip_address, ip_network
from pathlib import Path

import pytest

from ccsec.audit.negotiate import Status
from ccsec.audit.pipeline import run
from ccsec.audit.resolve import parse_hosts
from ccsec.crypto import GROUP_BY_KEYWORD, Encr
from ccsec.formats.strongswan.identity import id_matches, parse_id
from ccsec.formats.strongswan.ipsec_conf import FORMAT as IPSEC
from ccsec.formats.strongswan.proposals import (
    ENCR_WORDS,
    INTEG_WORDS,
    PRF_WORDS,
    ProposalError,
    parse_esp,
    parse_ike,
)
from ccsec.formats.strongswan.swanctl import FORMAT as SWANCTL
from ccsec.policy import Identity

GW = """connections {
  rw {
    local_addrs = 192.0.2.1
    local { auth = pubkey
            id = gw.example.com }
    remote { auth = pubkey }
    children { net { local_ts = 10.1.0.0/16 } }
    proposals = aes128-sha256-x25519
  }
}
"""


def client(addr: str, ident: str, extra: str = "", child: str = "") -> str:
    return f"""connections {{
  home {{
    local_addrs = {addr}
    remote_addrs = 192.0.2.1
    {extra}
    local {{ auth = pubkey
            id = {ident} }}
    remote {{ auth = pubkey
             id = gw.example.com }}
    children {{ home {{ remote_ts = 10.1.0.0/16
                       {child} }} }}
    proposals = aes128-sha256-x25519
  }}
}}
"""


def rules(text: str, source: str = "<text>"):
    return SWANCTL.parse(text, source).policies[0].rules


def write(tmp: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        p = tmp / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return tmp


def sessions(result):
    return {(s.a.split("/")[0], s.b.split("/")[0]): s for s in result.sessions}


# ------------------------------------------------------------------- defaults and selectors


def test_missing_traffic_selectors_are_dynamic_the_ike_addresses() -> None:
    (r,) = rules(client("192.0.2.10", "carol@example.com"))
    (f,) = r.filters
    assert f.local == ip_network("192.0.2.10/32") and f.local_dynamic
    assert f.remote == ip_network("10.1.0.0/16") and not f.remote_dynamic
    (g,) = rules(GW)
    assert g.filters[0].remote_dynamic and g.peer_address.is_unspecified


def test_default_proposals_are_strongswans_including_curve25519() -> None:
    text = GW.replace("    proposals = aes128-sha256-x25519\n", "")
    (r,) = rules(text)
    assert {p.group for p in r.ike.proposals} >= {GROUP_BY_KEYWORD["curve25519"], 19, 14}
    assert any(p.encryption is Encr.AES128GCM for p in r.esp)  # default ESP: AEAD first


def test_dynamic_with_protocol_and_port_ranges() -> None:
    text = client("192.0.2.10", "c@example.com").replace(
        "remote_ts = 10.1.0.0/16", "local_ts = dynamic[tcp/1000-2000]\n remote_ts = "
        "10.1.0.0/16[udp/53]")
    parsed = SWANCTL.parse(text)  # tcp on one side, udp on the other: no policy at all
    assert parsed.policies[0].rules == ()
    assert any("child home not audited" in n.message for n in parsed.notes)
    text = text.replace("[udp/53]", "[tcp/%any]")
    (r,) = rules(text)
    (f,) = r.filters
    assert (f.protocol, f.local_port, f.local_port_max, f.local_dynamic) == (6, 1000, 2000, True)


def test_ipv6_and_mixed_families_pair_by_family() -> None:
    text = client("fd00::10", "c@example.com").replace("192.0.2.1", "fd00::1").replace(
        "remote_ts = 10.1.0.0/16", "local_ts = 10.0.0.10/32, fd10::10/128\n"
        " remote_ts = 10.1.0.0/16, fd11::/64")
    (r,) = rules(text)
    assert str(r.local_address) == "fd00::10"
    assert {(str(f.local), str(f.remote)) for f in r.filters} == {
        ("10.0.0.10/32", "10.1.0.0/16"), ("fd10::10/128", "fd11::/64")}


def test_short_lifetimes_are_read() -> None:
    (r,) = rules(client("192.0.2.10", "c@x.org", "rekey_time = 20s",
                        "life_time = 30s\n rekey_time = 25s"))
    assert (r.lifetime_s, r.ike.lifetime_s) == (30, 20)


# ------------------------------------------------------------------- structure


def test_connection_inheritance_takes_what_the_child_does_not_set() -> None:
    text = """connections {
  base { local_addrs = 192.0.2.2
         remote_addrs = 192.0.2.1
         local { auth = psk }
         remote { auth = psk }
         children { net { local_ts = 10.2.0.0/16
                          remote_ts = 10.1.0.0/16 } } }
  be : connections.base { local { id = sun-be }
                          children { net { mode = transport } } }
}
"""
    by = {r.name: r for r in rules(text)}
    be = by["be"]
    assert str(be.local_address) == "192.0.2.2" and be.local_id == Identity(kind="fqdn",
                                                                           value="sun-be")
    assert be.mode == "transport" and str(be.filters[0].local) == "10.2.0.0/16"


def test_several_children_are_several_rules() -> None:
    text = client("192.0.2.10", "c@x.org").replace(
        "children { home { remote_ts = 10.1.0.0/16",
        "children { a { remote_ts = 10.3.0.0/16 }\n b { remote_ts = 10.1.0.0/16")
    parsed = SWANCTL.parse(text)
    names = [r.name for r in parsed.policies[0].rules]
    assert names == ["home-a", "home-b"]
    assert parsed.facts.origins == {"home-a": "home/a", "home-b": "home/b"}


def test_include_that_matches_nothing_is_a_note_not_a_rejection(tmp_path: Path) -> None:
    main = tmp_path / "swanctl.conf"
    main.write_text(GW.replace("  rw {\n", "  rw {\n    include base.conf\n"))
    parsed = SWANCTL.parse(main.read_text(), str(main))
    assert [r.name for r in parsed.policies[0].rules] == ["rw"]
    assert any("include base.conf: no file matches" in n.message and n.line == 3
               for n in parsed.notes)


def test_unmodelled_settings_are_noted_once_with_their_effect() -> None:
    text = GW.replace("remote { auth = pubkey }", "remote { auth = pubkey\n groups = sales }")
    notes = [n for n in SWANCTL.parse(text).notes if "groups" in n.message]
    assert len(notes) == 1 and notes[0].line == 7 and "member" in notes[0].message


# ------------------------------------------------------------------- ipsec.conf


IPSEC_GW = """config setup
    uniqueids=no

ca strongswan
    cacert=caCert.pem
    auto=add

conn %default
    keyexchange=ikev2
    ike=aes128-sha256-modp3072!

conn base
    leftauth=pubkey

conn rw
    also=base
    left=%defaultroute
    leftsubnet=10.1.0.0/16
    right=%any
    rightsourceip=10.3.0.0/28
    auto=add
"""


def test_ipsec_conf_any_defaultroute_also_default_ca_and_pools() -> None:
    parsed = IPSEC.parse(IPSEC_GW)
    (r,) = parsed.policies[0].rules
    assert r.local_address.is_unspecified and r.peer_address.is_unspecified
    assert r.pools == (ip_network("10.3.0.0/28"),)
    assert r.filters[0].remote_dynamic and str(r.filters[0].local) == "10.1.0.0/16"
    assert {p.group for p in r.ike.proposals} == {15}  # the strict '!' list, %default applied
    assert any(n.line == 4 and "ca strongswan" in n.message for n in parsed.notes)


def test_ipsec_conf_hash_inside_a_value_is_not_a_comment() -> None:
    text = "conn c\n left=192.0.2.1\n right=192.0.2.2\n leftid=@#0a1b2c # key id\n auto=add\n"
    (r,) = IPSEC.parse(text).policies[0].rules
    assert r.local_id == Identity(kind="keyid", value="0a1b2c")


# ------------------------------------------------------------------- identities, keywords


@pytest.mark.parametrize("text, kind, value", [
    ("@moon.example.com", "fqdn", "moon.example.com"),
    ("carol@example.com", "email", "carol@example.com"),
    ("C=CH, O=ACME, CN=moon", "dn", "CN=moon, O=ACME, C=CH"),  # model: RFC 4514 order
    ("@#0123abcd", "keyid", "0123abcd"),
    ("keyid:0123", "keyid", "0123"),
    ("192.0.2.1", "address", "192.0.2.1"),
    ("fd00::1", "address", "fd00::1"),
    ("moon.example.com", "fqdn", "moon.example.com"),
    ("email:x@y", "email", "x@y"),
])
def test_identities_of_every_form(text: str, kind: str, value: str) -> None:
    assert parse_id(text) == Identity(kind=kind, value=value)  # type: ignore[arg-type]


def test_any_identity_and_wildcards_match() -> None:
    assert parse_id("%any") is None
    assert id_matches(parse_id("*@example.com"), parse_id("carol@example.com"))
    assert id_matches(parse_id("C=CH, O=ACME, CN=*"), parse_id("C=CH, O=ACME, CN=moon"))
    assert not id_matches(parse_id("C=CH, O=ACME, CN=*"), parse_id("C=CH, O=Other, CN=moon"))


def test_every_keyword_of_strongswans_table_is_read() -> None:
    for enc in ENCR_WORDS:
        props = parse_ike(f"{enc}-sha256-prfsha256-modp2048")
        assert props and props[0].encryption is ENCR_WORDS[enc], enc
    for integ in INTEG_WORDS:
        assert parse_esp(f"aes128-{integ}")[0][0].integrity is INTEG_WORDS[integ], integ
    for prf in PRF_WORDS:
        assert parse_ike(f"aes128gcm16-{prf}-ecp256")[0].prf is PRF_WORDS[prf], prf
    for group in GROUP_BY_KEYWORD:
        assert parse_ike(f"aes128-sha256-{group}")[0].group == GROUP_BY_KEYWORD[group], group
    assert parse_ike("aes256-sha256-x25519-ke1_mlkem768-ke1_none")[0].additional_ke == (36,)
    with pytest.raises(ProposalError, match="'sha999' is not a strongSwan proposal keyword"):
        parse_ike("aes256-sha999-modp2048")


def test_aead_ike_proposal_takes_its_prf_from_the_integrity_keyword() -> None:
    (p,) = parse_ike("aes128ccm12-aesxcbc-x25519")
    assert p.prf is not None and p.prf.value == "prfaesxcbc" and p.integrity is None


# ------------------------------------------------------------------- pairing and negotiation


def test_road_warrior_gateway_pairs_with_every_client(tmp_path: Path) -> None:
    root = write(tmp_path, {"gw/swanctl.conf": GW,
                            "carol/swanctl.conf": client("192.0.2.10", "carol@x.org"),
                            "dave/swanctl.conf": client("192.0.2.20", "dave@x.org")})
    found = sessions(run(root))
    assert {k for k in found} == {("carol", "gw"), ("dave", "gw")}
    assert all(s.status is Status.ESTABLISHED for s in found.values())
    assert "192.0.2.10/32" in found[("carol", "gw")].reason or \
        found[("carol", "gw")].narrowed is None


def test_responder_picks_its_connection_by_identity(tmp_path: Path) -> None:
    two = GW.replace("    remote { auth = pubkey }",
                     "    remote { auth = pubkey\n id = carol@x.org }").replace(
        "  }\n}\n", "  }\n  other {\n    local_addrs = 192.0.2.1\n    local { auth = pubkey\n"
        " id = gw.example.com }\n    remote { auth = pubkey\n id = dave@x.org }\n"
        "    children { net { local_ts = 10.9.0.0/16 } }\n  }\n}\n")
    root = write(tmp_path, {"gw/swanctl.conf": two,
                            "dave/swanctl.conf": client("192.0.2.20", "dave@x.org")})
    (s,) = run(root).sessions
    assert s.b.endswith(":other") or s.a.endswith(":other")
    assert s.status is Status.TS_MISMATCH  # other protects 10.9/16, dave wants 10.1/16


def test_unset_local_addrs_pairs_by_the_address_the_peer_aims_at(tmp_path: Path) -> None:
    gw = GW.replace("    local_addrs = 192.0.2.1\n", "")
    root = write(tmp_path, {"gw/swanctl.conf": gw,
                            "carol/swanctl.conf": client("192.0.2.10", "carol@x.org")})
    (s,) = run(root).sessions
    assert s.status is Status.ESTABLISHED


def test_host_names_resolve_through_hosts_or_stay_unresolved(tmp_path: Path) -> None:
    named = client("192.0.2.10", "carol@x.org").replace("remote_addrs = 192.0.2.1",
                                                        "remote_addrs = gw.example.com")
    root = write(tmp_path, {"gw/swanctl.conf": GW, "carol/swanctl.conf": named})
    (alone,) = run(root).sessions
    assert alone.status is Status.MISSING_END_POINT and "not resolved" in alone.reason
    hosts = parse_hosts("192.0.2.1 gw.example.com gw\n")
    (s,) = run(root, hosts=hosts).sessions
    assert s.status is Status.ESTABLISHED


def test_virtual_ip_needs_a_pool_and_narrows_to_it(tmp_path: Path) -> None:
    gw_pool = GW.replace("    local_addrs = 192.0.2.1\n",
                         "    local_addrs = 192.0.2.1\n    pools = p\n") + \
        "pools { p { addrs = 10.3.0.0/28 } }\n"
    vip = client("192.0.2.10", "carol@x.org", "vips = 0.0.0.0")
    root = write(tmp_path, {"gw/swanctl.conf": gw_pool, "carol/swanctl.conf": vip})
    (s,) = run(root).sessions
    assert s.status is Status.ESTABLISHED
    root2 = write(tmp_path / "nopool", {"gw/swanctl.conf": GW, "carol/swanctl.conf": vip})
    (s,) = run(root2).sessions
    assert s.status is Status.IPSEC_PHASE2_FAILED and "virtual IP" in s.reason


def _eap_pair(client_pw: str) -> dict[str, str]:
    gw = GW.replace("    remote { auth = pubkey }", "    remote { auth = eap-md5\n"
                    "             eap_id = %any }") + \
        'secrets { eap-carol { id = carol\n secret = "s3cret-carol" } }\n'
    cl = client("192.0.2.10", "carol@x.org").replace(
        "local { auth = pubkey\n            id = carol@x.org }",
        "local { auth = eap\n eap_id = carol\n id = carol@x.org }") + \
        f'secrets {{ eap-me {{ id = carol\n secret = "{client_pw}" }} }}\n'
    return {"gw/swanctl.conf": gw, "carol/swanctl.conf": cl}


def test_eap_round_passwords_must_match(tmp_path: Path) -> None:
    (ok,) = run(write(tmp_path / "a", _eap_pair("s3cret-carol"))).sessions
    assert ok.status is Status.ESTABLISHED
    (bad,) = run(write(tmp_path / "b", _eap_pair("wrong"))).sessions
    assert bad.status is Status.AUTH_MISMATCH and "EAP-MD5 passwords" in bad.reason
    assert "wrong" not in bad.reason and "s3cret" not in bad.reason


def test_xauth_second_round_in_ipsec_conf() -> None:
    text = ("conn c\n left=192.0.2.10\n right=192.0.2.1\n authby=xauthpsk\n"
            " xauth_identity=carol\n keyexchange=ikev1\n auto=add\n")
    secrets = ': PSK "group-key"\ncarol : XAUTH "pw"\n'
    (r,) = IPSEC.parse(text, secrets=secrets).policies[0].rules
    assert [(x.local, x.remote) for x in r.auth_rounds] == [("psk", "psk"), ("xauth", "")]
    assert r.auth_rounds[1].local_id == Identity(kind="fqdn", value="carol")
    assert r.auth_rounds[1].secret is not None


def test_pfs_groups_listed_in_several_proposals_are_alternatives(tmp_path: Path) -> None:
    gw = GW.replace("children { net { local_ts = 10.1.0.0/16 } }",
                    "children { net { local_ts = 10.1.0.0/16\n esp_proposals = "
                    "aes128-sha256-modp2048, aes128-sha256-modp1536 } }").replace(
        "proposals = aes128-sha256-x25519", "proposals = aes128-sha256-x25519\n version = 1")
    cl = client("192.0.2.10", "carol@x.org", "version = 1", "esp_proposals = "
                "aes128-sha256-modp1536")
    (s,) = run(write(tmp_path, {"gw/swanctl.conf": gw, "carol/swanctl.conf": cl})).sessions
    assert s.status is Status.ESTABLISHED and s.pfs == 5


def test_peer_address_is_never_any_for_a_host_name() -> None:
    (r,) = rules(client("192.0.2.10", "c@x.org").replace("remote_addrs = 192.0.2.1",
                                                         "remote_addrs = vpn.example.com"))
    assert r.peer_name == "vpn.example.com" and r.peer_address == ip_address("0.0.0.0")


def test_ipsec_conf_passthrough_shunt_needs_no_authentication() -> None:
    text = ("conn local-net\n left=192.0.2.1\n leftsubnet=10.1.0.0/16\n right=127.0.0.1\n"
            " rightsubnet=10.1.0.0/16\n authby=never\n type=passthrough\n auto=route\n")
    (r,) = IPSEC.parse(text).policies[0].rules
    assert r.action == "permit"


def test_cli_hosts_option_resolves_peer_names(tmp_path: Path, cli) -> None:
    named = client("192.0.2.10", "carol@x.org").replace("remote_addrs = 192.0.2.1",
                                                        "remote_addrs = gw.example.com")
    configs = write(tmp_path / "c", {"gw/swanctl.conf": GW, "carol/swanctl.conf": named})
    (tmp_path / "hosts").write_text("192.0.2.1\tgw.example.com gw  # the gateway\n")
    r = cli("audit", "--configs", str(configs), "--hosts", str(tmp_path / "hosts"),
            "--format", "json")
    (s,) = json.loads(r.out)["sessions"]
    assert s["status"] == "ESTABLISHED", r.err
    missing = cli("audit", "--configs", str(configs), "--hosts", str(tmp_path / "nope"))
    assert missing.code == 2 and "--hosts" in missing.err


def test_mediation_server_connections_and_mediated_peers(tmp_path: Path) -> None:
    server = """connections { medsrv { local_addrs = 192.0.2.100
  local { auth = pubkey
          id = med.example.com }
  remote { auth = psk }
  mediation = yes } }
secrets { ike-1 { id = a@med.example.com
                  secret = k-alice }
          ike-2 { id = b@med.example.com
                  secret = k-bob } }
"""

    def peer(me: str, other: str, mine: str, ts: str, start: str = "") -> str:
        return f"""connections {{
  medsrv {{ remote_addrs = 192.0.2.100
    local {{ auth = psk
            id = {me[0]}@med.example.com }}
    remote {{ auth = pubkey
             id = med.example.com }}
    mediation = yes }}
  peer {{ local {{ auth = pubkey
                  id = {me} }}
    remote {{ auth = pubkey
             id = {other} }}
    children {{ peer {{ remote_ts = {ts}
                       {start} }} }}
    mediated_by = medsrv }}
}}
secrets {{ ike-m {{ id = {me[0]}@med.example.com
                   secret = {mine} }} }}
"""
    root = write(tmp_path, {
        "server/swanctl.conf": server,
        "alice/swanctl.conf": peer("alice.example.com", "bob.example.com", "k-alice",
                                   "10.2.0.10", "start_action = start"),
        "bob/swanctl.conf": peer("bob.example.com", "alice.example.com", "k-bob",
                                 "10.1.0.10")})
    found = sessions(run(root))
    assert set(found) == {("alice", "server"), ("bob", "server"), ("alice", "bob")}
    assert all(s.status is Status.ESTABLISHED for s in found.values())
    assert "IKE SA only" in found[("alice", "server")].reason
