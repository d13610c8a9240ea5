"""Cisco IOS: the site-tunnel renderer, the running-config importer, refusals, injection, fuzz.

Real-world input lives in tests/data/ios/: a vendor template full of placeholders and hidden
defaults, an IKEv1 hub with dynamic crypto maps, manual keying, NAT and a shut interface, and an
IKEv2/FlexVPN router with VTIs, a GRE-over-IPsec tunnel and certificate matching.
"""

from __future__ import annotations

import contextlib
import time
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsec.crypto import Encr, EspProposal, IkeProposal, Integ, Prf
from ccsec.deployment import load as load_deployment
from ccsec.errors import ParseError, UnsupportedError
from ccsec.formats.base import RenderContext
from ccsec.formats.facts import (
    CryptoEngine,
    IosDynamicMapUse,
    IosFacts,
    IosManualEntry,
    IosRsaKey,
    IosSwitch,
    IosTransformMode,
    IosUnreadableKey,
    ManualKeying,
    NatExemptionMissing,
)
from ccsec.formats.ios.render import FORMAT
from ccsec.formats.ios.tree import NAVIGATION, decode_description, encode_description, parse_tree
from ccsec.plan import plan
from ccsec.policy import Auth, EndPolicy, Filter, Identity, Ike, Rule
from ccsec.secrets import literal
from conftest import EXAMPLES, lab_context
from modeldiff import assert_same
from test_roundtrip import changed_fields

DATA = Path(__file__).parent / "data" / "ios"
CTX = RenderContext()


def load(name: str):
    text = (DATA / name).read_text(encoding="utf-8")
    return text, FORMAT.parse(text, name)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def rules_by_name(parsed) -> dict[str, Rule]:
    return {r.name: r for r in parsed.policies[0].rules}


def notes_at(parsed, line: int) -> list[str]:
    return [n.message for n in parsed.notes if n.line == line]


# ------------------------------------------------------------------ real-world imports


def test_vendor_template_placeholders_defaults_and_numbered_acls() -> None:
    text, parsed = load("vendor-template.cfg")
    rules = rules_by_name(parsed)
    assert list(rules) == ["PARTNER-MAP-10", "PARTNER-MAP-20", "PARTNER-MAP-30"]
    # placeholders are info notes on their own line, never a crash or a key
    for needle in ("key <pre-shared-key>", "set peer X.X.X.X", "<inside-ip>"):
        msgs = notes_at(parsed, line_of(text, needle))
        assert msgs and all("placeholder" in m for m in msgs), needle
    assert all(n.severity == "info" for n in parsed.notes if "placeholder" in n.message)
    # policy 10 hides hash and lifetime: the IOS defaults (sha, 86400 s) are applied and said
    a = rules["PARTNER-MAP-20"]
    assert a.ike.proposals[0] == IkeProposal(encryption=Encr.AES256, integrity=Integ.SHA1,
                                             group=14)
    assert a.ike.proposals[1].label() == "3des-md5-modp1024" and a.ike.lifetime_s == 86400
    assert any("hash sha" in m and "lifetime 86400" in m
               for m in notes_at(parsed, line_of(text, "crypto isakmp policy 10")))
    assert a.auth[0].psk == literal("Sup3r-Secret-Key") and a.dpd_s == 30
    assert [p.label() for p in a.esp] == ["aes256-sha1", "3des-md5"]
    assert a.lifetime_s == 28800 and a.lifetime_kb == 4608000 and a.pfs_group is None
    # the port range line is not representable: warned, and only the plain line imported
    assert a.filters == (Filter(local=IPv4Network("10.10.0.0/16"),
                                remote=IPv4Network("192.168.50.0/24")),)
    assert any(n.severity == "warning" and n.line == line_of(text, "range 5000")
               for n in parsed.notes)
    # numbered ACL 101: host/wildcard forms and named ports; its deny is a fact
    b = rules["PARTNER-MAP-10"]
    assert b.filters == (
        Filter(local=IPv4Network("10.10.0.0/16"), remote=IPv4Network("172.16.5.10/32")),
        Filter(local=IPv4Network("10.10.1.5/32"), remote=IPv4Network("172.16.6.0/24"),
               protocol=6, local_port=443, remote_port=80),
    )
    facts = parsed.format_facts
    assert isinstance(facts, IosFacts)
    assert facts.crypto_acl_denies[0].line == line_of(text, "deny   ip any")
    # a placeholder peer stays unresolved (never "any peer") and the entry is still judged;
    # an undefined ACL makes an incomplete entry IOS ignores
    assert b.enabled and b.peer_name == "X.X.X.X" and b.peer_address.is_unspecified
    assert b.auth[0].psk is None
    c = rules["PARTNER-MAP-30"]
    assert not c.enabled and a.enabled
    reasons = {(i.rule, i.reason) for i in facts.incomplete}
    assert reasons == {("PARTNER-MAP-30", "ACL NO-SUCH-ACL undefined")}
    dangling = {(d.kind, d.name) for d in facts.dangling}
    assert dangling == {("crypto ipsec transform-set", "MISSING-TS"),
                        ("access-list", "NO-SUCH-ACL")}
    assert parsed.locations["PARTNER-MAP-20/filters"] == line_of(text, "access-list 103 remark")


def test_hub_with_dynamic_maps_manual_keying_nat_and_a_shut_interface() -> None:
    text, parsed = load("hub-ikev1-dynamic.cfg")
    end = parsed.policies[0]
    rules = rules_by_name(parsed)
    assert list(rules) == ["HUB-MAP-10", "DYN-10", "DYN-20", "OLD-MAP-10"]
    assert end.owner == "HQ-HUB-1" and end.tunnel_style == "crypto-map" and end.source_nat
    assert (end.wan_interface, end.lan_interface) == ("GigabitEthernet0/0", "GigabitEthernet0/1")
    f = parsed.format_facts
    assert isinstance(f, IosFacts)
    # dynamic map entries become rules with any peer; the one with a profile is aggressive
    assert f.dynamic_maps == (IosDynamicMapUse("HUB-MAP", 100, "DYN",
                                               line_of(text, "dynamic DYN"),
                                               ("DYN-10", "DYN-20")),)
    dyn = rules["DYN-10"]
    assert dyn.peer_address == IPv4Address("0.0.0.0") and dyn.ike.exchange == "aggressive"
    assert dyn.filters == (Filter(local=IPv4Network("0.0.0.0/0"),
                                  remote=IPv4Network("0.0.0.0/0")),)
    # the wildcard key is type 6: present but unreadable
    assert dyn.auth[0].method == "psk" and dyn.auth[0].psk is None
    assert f.unreadable_keys == (IosUnreadableKey("crypto keyring SPOKES", 6,
                                                  line_of(text, "key 6 WZLY")),)
    static = rules["HUB-MAP-10"]
    assert static.auth[0].psk == literal("Branch8-Key-2024")
    assert static.local_address == IPv4Address("198.51.100.10")  # keyring local-address Gi0/0
    assert static.local_id == Identity(kind="address", value="198.51.100.10")
    assert static.peer_id == Identity(kind="address", value="203.0.113.8")
    assert static.qos_preclassify and static.lifetime_kb is None  # kilobytes disable
    # policy 20 hides its authentication: rsa-sig, so PSK rules only get policies 5 and 10
    assert [p.label() for p in static.ike.proposals] == ["aes256-sha256-modp2048",
                                                         "3des-sha1-modp1024"]
    assert f.manual_keying == (IosManualEntry("HUB-MAP", 20, line_of(text, "ipsec-manual")),)
    # a crypto map on a shut interface protects nothing; its transform set is transport
    old = rules["OLD-MAP-10"]
    assert not old.enabled and old.mode == "transport"
    assert f.unapplied_crypto_maps == ("OLD-MAP",)
    assert f.shutdown_interfaces == ("GigabitEthernet0/2",)
    assert f.transform_set_modes["HOST-TS"] == IosTransformMode("transport", True,
                                                                line_of(text, "HOST-TS esp"))
    # NAT through a route-map: branch 8 is exempt, the dynamic spokes' traffic is translated
    (nat,) = f.nat
    assert nat.route_map == "NAT-RM" and nat.overload
    assert nat.exempt == {"HUB-MAP-10": "exempt", "DYN-10": "partial",
                          "DYN-20": "translated", "OLD-MAP-10": "exempt"}
    assert f.nat_static[0].line == line_of(text, "source static tcp")
    assert f.nat_t == IosSwitch(False, line_of(text, "no crypto ipsec nat-transparency"))
    assert all(not r.nat_traversal and r.nat_keepalive_s == 20 for r in rules.values())
    assert f.crypto_accelerator_disabled
    assert f.rsa_keys == (IosRsaKey("HUB-TP", "HUB-KEY", 1024,
                                    line_of(text, "rsakeypair HUB-KEY")),)
    assert f.isakmp_default_policies.in_effect
    assert f.isakmp_aggressive_mode.enabled
    # the banner body looks like a crypto map but is text
    assert "FAKE" not in f.crypto_maps


def test_device_facts_say_in_generic_terms_what_the_router_facts_say() -> None:
    """IosFacts.device_facts(): what the audit's checks and pairing read, no IOS words."""
    text, parsed = load("hub-ikev1-dynamic.cfg")
    facts = parsed.facts
    assert facts.device_name == "HQ-HUB-1"
    assert IPv4Address("198.51.100.10") in facts.addresses  # Gi0/0, the WAN
    assert facts.down_rules == {"OLD-MAP-10": "crypto map OLD-MAP is not applied to an "
                                              "interface that is up (GigabitEthernet0/2)"}
    assert facts.manual_keying == (ManualKeying("crypto map HUB-MAP 20 ipsec-manual",
                                                line_of(text, "ipsec-manual")),)
    nat = line_of(text, "ip nat inside source route-map")
    assert facts.nat_exemption_missing == (
        NatExemptionMissing("DYN-10", "ip nat inside source (NAT-RM) partial for DYN-10", nat),
        NatExemptionMissing("DYN-20", "ip nat inside source (NAT-RM) translated for DYN-20",
                            nat))
    assert facts.crypto_engines == (CryptoEngine("no crypto engine accelerator", hardware=False,
                                                 line=line_of(text, "no crypto engine")),)
    assert facts.rsa_key_bits == {"HUB-KEY": 1024}
    assert not facts.aggressive_mode_disabled
    # a VTI whose tunnel source is shut is down under every name the pairing may use
    vti = FORMAT.parse("crypto isakmp aggressive-mode disable\n"
                       "crypto ipsec transform-set T esp-aes 256 esp-sha256-hmac\n"
                       "crypto ipsec profile ccsec-r5\n set transform-set T\n"
                       "interface Gi1\n ip address 192.0.2.1 255.255.255.0\n shutdown\n"
                       "interface Tunnel5\n tunnel source Gi1\n tunnel destination 192.0.2.9\n"
                       " tunnel mode ipsec ipv4\n tunnel protection ipsec profile ccsec-r5\n")
    assert [r.name for r in vti.policies[0].rules] == ["r5"]
    why = "tunnel source Gi1 of Tunnel5 is shut down"
    assert vti.facts.down_rules == {"Tunnel5": why, "r5": why, "ccsec-r5": why}
    assert vti.facts.aggressive_mode_disabled


def test_flexvpn_ikev2_vtis_gre_and_certificate_maps() -> None:
    text, parsed = load("flexvpn-ikev2-vti.cfg")
    end = parsed.policies[0]
    rules = rules_by_name(parsed)
    assert list(rules) == ["Tunnel10", "Tunnel11", "Tunnel12", "Tunnel20"]
    assert end.tunnel_style == "vti" and end.wan_interface == "GigabitEthernet0/0/0"
    assert end.lan_interface == "GigabitEthernet0/0/1" and not end.source_nat
    osaka = rules["Tunnel10"]
    # the policy matching the local address wins; its proposals expand in order, GCM first
    labels = [p.label() for p in osaka.ike.proposals]
    assert labels[0] == "aes256gcm16-prfsha384-ecp384" and len(labels) == 9
    assert labels[1:3] == ["aes256-sha512-ecp256", "aes256-sha256-ecp256"]
    assert osaka.ike.lifetime_s == 43200 and osaka.dpd_s == 15 and osaka.initiate
    assert osaka.auth[0].psk == literal("Osaka-Remote-Key-1")  # the key the peer must prove
    assert osaka.local_id == Identity(kind="fqdn", value="dc-west-gw.dc.example.org")
    assert [f.remote for f in osaka.filters] == [IPv4Network("10.20.0.0/16"),
                                                IPv4Network("10.21.0.0/16")]
    assert osaka.pfs_group == 19 and osaka.qos_preclassify and osaka.nat_keepalive_s == 30
    nagoya = rules["Tunnel11"]
    assert not nagoya.enabled and nagoya.auth[0].psk is None  # shut; type-6 key
    assert nagoya.peer_id == Identity(kind="fqdn", value="gw-nagoya.example.org")
    assert nagoya.ike.lifetime_s == 86400 and nagoya.dpd_s == 30  # IOS default, global dpd
    partner = rules["Tunnel12"]
    assert partner.auth[0] == Auth(method="certificate", ca="cn=partner root ca,o=partner")
    assert partner.peer_id == Identity(kind="dn", value="cn=partner-gw,o=partner")
    assert partner.local_id == Identity(kind="dn", value="CN=dc-west-gw.dc.example.org, "
                                                          "O=Example DC")
    assert partner.local_address == IPv4Address("198.51.100.20")
    gre = rules["Tunnel20"]  # no 'tunnel mode': GRE, protected in transport mode
    assert gre.mode == "transport" and gre.ike.version == 1
    assert gre.filters == (Filter(local=IPv4Network("198.51.100.20/32"),
                                  remote=IPv4Network("192.0.2.99/32"), protocol=47),)
    assert any("65507-65514" in m for m in notes_at(parsed, line_of(text, "interface Tunnel20")))
    f = parsed.format_facts
    assert isinstance(f, IosFacts)
    assert f.ikev2_defaults.policy_in_effect
    assert f.rsa_keys[0].bits == 3072
    assert parsed.locations["Tunnel10/auth"] == line_of(text, "Osaka-Local-Key-1") + 1


def test_abbreviations_tabs_crlf_and_deep_indentation() -> None:
    text = ("crypto isakmp policy 1\r\n\tencr aes 192\r\n\tha sha384\r\n\tauth pre\r\n"
            "\tgr 20\r\n\tlife 3600\r\n"
            "crypto isakmp key k3y-with-dash address 192.0.2.9\r\n"
            "crypto ipsec transform-set T esp-gcm\r\n"
            "crypto map M 5 ipsec-isakmp\r\n    set peer 192.0.2.9\r\n"
            "    set transform-set T\r\n    set pfs\r\n    match address A\r\n"
            "ip access-list extended A\r\n    10 permit ip 10.0.0.0 0.0.0.255 10.9.0.0 "
            "0.0.255.255 log\r\n"
            "interface Gi1\r\n    ip address 192.0.2.1 255.255.255.0\r\n    crypto map M\r\n")
    parsed = FORMAT.parse(text)
    (r,) = parsed.policies[0].rules
    assert r.ike.proposals == (IkeProposal(encryption=Encr.AES192, integrity=Integ.SHA384,
                                           group=20),)
    assert r.ike.lifetime_s == 3600 and r.auth[0].psk == literal("k3y-with-dash")
    assert r.esp == (EspProposal(encryption=Encr.AES128GCM),)  # esp-gcm alone = 128 [V]
    assert r.pfs_group == 1  # 'set pfs' without a group means group 1
    assert r.filters[0].local == IPv4Network("10.0.0.0/24") and r.enabled
    assert not [n for n in parsed.notes if n.severity == "warning"]


def test_wildcards_are_not_netmasks() -> None:
    """0.0.0.0 as an ACL wildcard is a host, never 'everything' (Python reads it as /0)."""
    text = ("crypto map M 1 ipsec-isakmp\n set peer 192.0.2.9\n match address A\n"
            "ip access-list extended A\n permit ip 10.1.2.3 0.0.0.0 10.2.0.0 0.0.255.255\n"
            " permit ip 10.3.0.0 0.255.0.255 any\n"
            "interface Gi1\n crypto map M\n")
    parsed = FORMAT.parse(text)
    (r,) = parsed.policies[0].rules
    assert r.filters == (Filter(local=IPv4Network("10.1.2.3/32"),
                                remote=IPv4Network("10.2.0.0/16")),)
    assert any(n.line == 6 and n.severity == "warning" for n in parsed.notes)


def test_tree_nests_by_indentation_and_skips_banners() -> None:
    text = ("crypto ikev2 keyring K\n peer A\n  address 192.0.2.1\n !\n peer B\n"
            "  pre-shared-key x\nbanner login #\ncrypto map X 1 ipsec-isakmp\n#\n"
            "logging host 10.0.0.1\ninterface Gi0\n shutdown\n")
    nodes, skipped = parse_tree(text)
    assert [n.text for n in nodes] == ["crypto ikev2 keyring K", "interface Gi0"]
    assert skipped == 1
    keyring = nodes[0]
    assert [c.text for c in keyring.children] == ["peer A", "peer B"]
    assert [(g.line, g.text) for g in keyring.children[1].children] == [(6, "pre-shared-key x")]


def _reference_tree(text: str) -> tuple[list[tuple], int]:
    """parse_tree's contract, written the slow obvious way: line by line, a stack of indents."""
    lines = text.split("\n")
    wanted = ("crypto ", "no crypto ", "interface ", "ip ", "access-list ", "route-map ",
              "hostname ", "banner ")
    out: list[tuple] = []
    skipped, i = 0, 0
    while i < len(lines):
        raw = lines[i]
        if not raw or raw[0] in " \t!\r":
            i += 1
            continue
        if not raw.startswith(wanted):  # pasted CLI navigation is not a line skipped
            skipped, i = skipped + (raw.strip().lower() not in NAVIGATION), i + 1
            continue
        header = raw.strip()
        if header.startswith("banner "):
            rest = [*header.split(None, 2), ""][2]
            delim = "^C" if rest.startswith("^C") else rest[:1]
            i += 1
            if delim and delim not in rest[len(delim):]:
                while i < len(lines) and delim not in lines[i]:
                    i += 1
                i += 1
            continue
        j = i + 1
        while j < len(lines) and (not lines[j] or lines[j][0] in " \t!\r"):
            j += 1
        root: list = []
        stack: list[tuple[int, list]] = [(-1, root)]
        for k in range(i + 1, j):
            body = lines[k].strip()
            if not body or body.startswith("!"):
                continue
            indent = len(lines[k]) - len(lines[k].lstrip())
            while len(stack) > 1 and indent <= stack[-1][0]:
                stack.pop()
            kids: list = []
            stack[-1][1].append((k + 1, body, kids))
            stack.append((indent, kids))
        out.append((i + 1, header, root))
        i = j
    return out, skipped


def _as_tuples(nodes: list) -> list[tuple]:
    return [(n.line, n.text, _as_tuples(n.children)) for n in nodes]


IOS_LINE = st.sampled_from([
    "crypto map M 10 ipsec-isakmp", " set peer 192.0.2.1", "  deeper", "   deepest",
    "\tset pfs group14", "interface Gi1", " ip address 10.0.0.1 255.255.255.0", "!", " !",
    "", "hostname r1", "logging host 10.0.0.9", "banner motd ^C", "text ^C",
    "banner login #", "#", "banner exec xx", "ip route 0.0.0.0 0.0.0.0 10.0.0.2", "end",
    "crypto isakmp policy 10\r", " encr aes\r", "access-list 101 permit ip any any",
    "no crypto isakmp default policy", "route-map RM permit 10", "  ", "ipv6 unicast-routing",
])


@given(st.lists(IOS_LINE, max_size=30), st.booleans())
def test_tree_matches_the_line_by_line_reference(lines: list[str], final_newline: bool) -> None:
    text = "\n".join(lines) + ("\n" if final_newline else "")
    nodes, skipped = parse_tree(text)
    ref_nodes, ref_skipped = _reference_tree(text)
    assert (_as_tuples(nodes), skipped) == (ref_nodes, ref_skipped)


# ------------------------------------------------------------------- the demo routers


def _rendered(ps, owner: str) -> str:
    return FORMAT.render(ps.end(owner), lab_context(ps))


def _acl(text: str, name: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index(f"ip access-list extended {name}")
    out = []
    for line in lines[start + 1:]:
        if not line.startswith(" "):
            break
        out.append(line.strip())
    return out


def _mirror(ace: str) -> str:
    action, proto, a, am, b, bm = ace.split()
    return f"{action} {proto} {b} {bm} {a} {am}"


def test_demo_routers_key_lines(demo_ps) -> None:
    east, osaka = _rendered(demo_ps, "rtr-east"), _rendered(demo_ps, "rtr-osaka")
    acl = "ccsec-t-dc-east-pg-osaka"
    assert _acl(east, acl) == ["permit ip 10.1.0.0 0.0.255.255 10.20.0.0 0.0.255.255"]
    assert [_mirror(a) for a in _acl(east, acl)] == _acl(osaka, acl)  # mirror images
    # osaka translates its LAN (source_nat): the protected flow is denied before the permit
    nat = _acl(osaka, "ccsec_nat")
    assert nat == ["deny ip 10.20.0.0 0.0.255.255 10.1.0.0 0.0.255.255",
                   "permit ip 10.20.0.0 0.0.255.255 any"]
    assert "ip nat inside source list ccsec_nat interface GigabitEthernet0/0 overload" in osaka
    assert "ccsec_nat" not in east and "ip nat" not in east
    for text in (east, osaka):
        assert " qos pre-classify" in text and "crypto map ccsec 10 ipsec-isakmp" in text
        assert "crypto ikev2 proposal ccsec-aes256-sha256-ecp256\n encryption aes-cbc-256\n" \
               " integrity sha256\n group 19\n" in text
        assert " group 14\n" in text and " set pfs group19\n" in text
        assert "crypto ipsec transform-set ccsec-aes256gcm16 esp-gcm 256\n mode tunnel" in text
        assert "crypto isakmp" not in text
    # only the NATed side keeps the mapping alive
    assert "crypto ikev2 nat keepalive 20" in osaka and "nat keepalive" not in east
    assert " set peer 203.0.113.7" in east and " set peer 198.51.100.1" in osaka


def test_strict_profile_renders_an_aead_ike_proposal_with_prf() -> None:
    ps = plan(load_deployment(EXAMPLES / "ios-vti.yaml"), "strict")
    text = _rendered(ps, "rtr-hq")
    assert ("crypto ikev2 proposal ccsec-aes256gcm16-prfsha384-ecp384\n"
            " encryption aes-gcm-256\n prf sha384\n group 20\n") in text
    assert " set pfs group20" in text and "integrity sha384" in text


def test_demo_legacy_profile_is_ikev1_3des(demo) -> None:
    ps = plan(demo, "legacy")
    for owner in ("rtr-east", "rtr-osaka"):
        text = _rendered(ps, owner)
        assert ("crypto isakmp policy 10\n encryption 3des\n hash sha\n"
                " authentication rsa-sig\n group 2\n lifetime 28800\n") in text
        assert "crypto ipsec transform-set ccsec-3des-sha1 esp-3des esp-sha-hmac" in text
        assert "set pfs" not in text and "ikev2" not in text
        assert "no crypto isakmp default policy" in text


@pytest.mark.parametrize(("deployment", "profile", "owners"), [
    ("demo", "recommended", ("rtr-east", "rtr-osaka")),
    ("demo", "legacy", ("rtr-east", "rtr-osaka")),
    ("ios-vti", "strict", ("rtr-hq", "rtr-br")),
    ("ios-vti", "recommended", ("rtr-hq", "rtr-br")),
])
def test_routers_read_back_agree(demo, deployment: str, profile: str,
                                 owners: tuple[str, str]) -> None:
    """Both routers of a site tunnel, parsed back, still agree (and equal project())."""
    dep = demo if deployment == "demo" else load_deployment(EXAMPLES / "ios-vti.yaml")
    ps = plan(dep, profile)
    ctx = lab_context(ps)
    parsed = {}
    for owner in owners:
        result = FORMAT.parse(_rendered(ps, owner), f"{owner}/ios.cfg")
        assert not [n for n in result.notes if n.severity == "warning"]
        assert_same(result.policies, [FORMAT.project(ps.end(owner), ctx)])
        (parsed[owner],) = result.policies[0].rules
    a, b = parsed[owners[0]], parsed[owners[1]]
    assert {(f.local, f.remote) for f in a.filters} == {(f.remote, f.local) for f in b.filters}
    assert set(a.ike.proposals) & set(b.ike.proposals) and set(a.esp) & set(b.esp)
    assert (a.local_id, a.peer_id) == (b.peer_id, b.local_id)


# ------------------------------------------------------------------------ refusals


def _rule(**change) -> Rule:
    base = Rule(
        name="t1",
        mode="tunnel",
        local_address=IPv4Address("198.51.100.1"),
        peer_address=IPv4Address("203.0.113.7"),
        filters=(Filter(local=IPv4Network("10.1.0.0/16"), remote=IPv4Network("10.2.0.0/16")),),
        auth=(Auth(method="psk", psk=literal("Example-Key-0123")),),
        ike=Ike(version=2, proposals=(IkeProposal(encryption=Encr.AES256,
                                                  integrity=Integ.SHA256, group=19),)),
        esp=(EspProposal(encryption=Encr.AES256GCM),),
        pfs_group=19,
        dpd_s=10,
    )
    return base.model_copy(update=change)


def _end(*rules: Rule, **change) -> EndPolicy:
    end = EndPolicy(name="gw", owner="gw", platform="ios", rules=rules or (_rule(),),
                    wan_interface="GigabitEthernet0/0", lan_interface="GigabitEthernet0/1",
                    tunnel_style="crypto-map")
    return end.model_copy(update=change)


CERT = (Auth(method="certificate", ca="CN=Root, O=Example"),)
V1 = Ike(version=1, proposals=(IkeProposal(encryption=Encr.AES256, integrity=Integ.SHA256,
                                           group=14),))
GCM_IKE = IkeProposal(encryption=Encr.AES256GCM, prf=Prf.SHA384, group=20)
SHA_PRF = IkeProposal(encryption=Encr.AES128, integrity=Integ.SHA256, prf=Prf.SHA256, group=14)
ODD_PRF = IkeProposal(encryption=Encr.AES256, integrity=Integ.SHA256, prf=Prf.SHA384, group=14)
TCP = Filter(local=IPv4Network("10.1.0.0/16"), remote=IPv4Network("10.2.0.0/16"), protocol=6,
             remote_port=443)
ESPS = [EspProposal(encryption=e, integrity=Integ.SHA256)
        for e in (Encr.AES128, Encr.AES192, Encr.AES256, Encr.TDES, Encr.DES, Encr.NULL)]

# (bad rule change, reason fragment, near-miss change that must pass)
REFUSALS = [
    ({"auth": (Auth(method="kerberos"),)}, "Kerberos", {"auth": CERT}),
    ({"auth": (*CERT, *CERT)}, "one authentication method", {"auth": CERT}),
    ({"mode": "transport"}, "transport", {"mode": "tunnel"}),
    ({"action": "permit"}, "action permit", {"action": "negotiate"}),
    ({"inbound": "request"}, "clear-text fallback", {"inbound": "require"}),
    ({"enabled": False}, "disabled", {"enabled": True}),
    ({"ike": V1.model_copy(update={"exchange": "aggressive"})}, "aggressive", {"ike": V1}),
    ({"ike": V1.model_copy(update={"proposals": (GCM_IKE,)})}, "no AEAD",
     {"ike": Ike(version=2, proposals=(GCM_IKE,))}),
    ({"ike": V1.model_copy(update={"proposals": (ODD_PRF,)})}, "derives the PRF",
     {"ike": V1.model_copy(update={"proposals": (SHA_PRF,)})}),
    ({"ike": Ike(version=2, proposals=(IkeProposal(encryption=Encr.AES256,
                                                   integrity=Integ.SHA256, group=31),))},
     "outside what IOS negotiates",
     {"ike": Ike(version=2, proposals=(IkeProposal(encryption=Encr.AES256,
                                                   integrity=Integ.SHA256, group=21),))}),
    ({"esp": (EspProposal(encryption=Encr.CHACHA20POLY1305),)}, "transform set words",
     {"esp": (EspProposal(encryption=Encr.AES128GMAC),)}),
    ({"pfs_group": 31}, "set pfs", {"pfs_group": 24}),
    ({"esp": (*ESPS, EspProposal())}, "at most 6", {"esp": tuple(ESPS)}),
    ({"filters": (Filter(local=IPv4Network("10.1.0.0/16"), remote=IPv4Network("10.2.0.0/16"),
                         mirrored=False),)}, "one-way", {"filters": (TCP,)}),
    ({"filters": (TCP.model_copy(update={"protocol": 47}),)}, "needs TCP or UDP",
     {"filters": (TCP.model_copy(update={"protocol": 17}),)}),
    ({"filters": (Filter(local=IPv4Network("10.1.0.0/16"), remote=IPv4Network("10.2.0.0/16"),
                         protocol=0),)}, "protocol 0",
     {"filters": (Filter(local=IPv4Network("10.1.0.0/16"), remote=IPv4Network("10.2.0.0/16"),
                         protocol=1),)}),
    ({"auth": (Auth(method="psk", psk=literal("two words")),)}, "blank",
     {"auth": (Auth(method="psk", psk=literal("two-words")),)}),
    ({"auth": (Auth(method="psk", psk=literal("loc")),)}, "keyword",
     {"auth": (Auth(method="psk", psk=literal("locksmith-42")),)}),
    ({"auth": (Auth(method="psk", psk=literal("what?now")),)}, "help request",
     {"auth": (Auth(method="psk", psk=literal("what!now")),)}),
    ({"auth": (Auth(method="psk", psk=literal("schlüssel")),)}, "printable ASCII",
     {"auth": (Auth(method="psk", psk=literal("schluessel")),)}),
    ({"auth": (Auth(method="psk"),)}, "unreadable", {}),
    ({"auth": (Auth(method="psk", psk=literal("<psk>")),)}, "placeholder",
     {"auth": (Auth(method="psk", psk=literal("<psk>-is-not-a-placeholder")),)}),
    ({"auth": (Auth(method="certificate", ca="CN=Wurzel-CA, O=Bäckerei"),)}, "printable ASCII",
     {"auth": (Auth(method="certificate", ca="CN=Wurzel-CA, O=Baeckerei"),)}),
    ({"peer_id": Identity(kind="fqdn", value="gw?.example")}, "help request",
     {"peer_id": Identity(kind="fqdn", value="gw.example")}),
    ({"local_id": Identity(kind="dn", value="CN=gw")}, "needs certificate",
     {"local_id": Identity(kind="dn", value="CN=gw"), "auth": CERT}),
    ({"peer_id": Identity(kind="keyid", value="k1"), "ike": V1}, "key-id",
     {"peer_id": Identity(kind="keyid", value="k1")}),
    ({"local_id": Identity(kind="address", value="192.0.2.1"), "ike": V1},
     "own address", {"local_id": Identity(kind="address", value="198.51.100.1"), "ike": V1}),
    ({"peer_id": Identity(kind="fqdn", value="gw east")}, "contains a blank",
     {"peer_id": Identity(kind="fqdn", value="gw-east")}),
    ({"ike": V1.model_copy(update={"lifetime_s": 86401})}, "IKE lifetime",
     {"ike": V1.model_copy(update={"lifetime_s": 86400})}),
    ({"ike": _rule().ike.model_copy(update={"lifetime_s": 119})}, "IKE lifetime",
     {"ike": _rule().ike.model_copy(update={"lifetime_s": 120})}),
    ({"lifetime_s": 119}, "SA lifetime", {"lifetime_s": 120}),
    ({"lifetime_kb": 2559}, "SA volume", {"lifetime_kb": 2560}),
    ({"dpd_s": 9}, "DPD interval", {"dpd_s": 10}),
    ({"nat_keepalive_s": 4}, "NAT keepalive", {"nat_keepalive_s": 5}),
    ({"peer_address": IPv4Address("0.0.0.0")}, "not a unicast",
     {"peer_address": IPv4Address("203.0.113.8")}),
    ({"description": "x" * 241}, "longer than", {"description": "x" * 240}),
]


@pytest.mark.parametrize(("bad", "reason", "near"), REFUSALS,
                         ids=[r[1].replace(" ", "-") for r in REFUSALS])
def test_each_refusal_fires_and_its_near_miss_renders(bad: dict, reason: str,
                                                      near: dict) -> None:
    end = _end(_rule(**bad))
    reasons = FORMAT.unsupported(end)
    assert any(reason in r for r in reasons), reasons
    assert all(r.startswith("rule t1: ") for r in reasons)
    with pytest.raises(UnsupportedError):
        FORMAT.render(end, CTX)
    if near:
        ok = _end(_rule(**near))
        assert FORMAT.unsupported(ok) == []
        parsed = FORMAT.parse(FORMAT.render(ok, CTX))
        assert_same(parsed.policies, [FORMAT.project(ok, CTX)])


@pytest.mark.parametrize(("change", "reason"), [
    ({"wan_interface": None}, "needs wan_interface"),
    ({"tunnel_style": None}, "needs wan_interface"),
    ({"lan_interface": "Gi 0/1"}, "not an IOS interface name"),
    ({"rules": ()}, "no tunnel rules"),
    ({"rules": (_rule(), _rule())}, "share this name"),
])
def test_end_level_refusals(change: dict, reason: str) -> None:
    assert FORMAT.unsupported(_end()) == []
    assert any(reason in r for r in FORMAT.unsupported(_end().model_copy(update=change)))


def test_every_row_of_the_support_tables_fires_on_some_case() -> None:
    """No dead row: each refusal of the tables is met by a case above (rows per item — a
    proposal, a filter, an identity, a key — are checked by the reason fragments there)."""
    rules = [_rule(**bad) for bad, _, _ in REFUSALS]
    ends = [_end().model_copy(update=change) for change in (
        {"rules": ()}, {"wan_interface": None}, {"lan_interface": "Gi 0/1"},
        {"rules": (_rule(), _rule())})]
    fired = set().union(*(FORMAT.fired(e) for e in (*ends, _end(*rules))))
    assert set(FORMAT.row_ids()) - fired == set()


def test_messages_about_one_item_stay_together() -> None:
    """Per proposal (the first problem only) and per filter, in the rule's own order."""
    ike = V1.model_copy(update={"proposals": (ODD_PRF, GCM_IKE)})
    one_way = Filter(local=IPv4Network("10.1.0.0/16"), remote=IPv4Network("10.2.0.0/16"),
                     mirrored=False, protocol=0)
    end = _end(_rule(ike=ike, filters=(one_way, TCP.model_copy(update={"protocol": 47}))))
    assert FORMAT.unsupported(end) == [
        f"rule t1: IKEv1 on IOS derives the PRF from the hash ({ODD_PRF.label()})",
        f"rule t1: IKEv1 has no AEAD cipher ({GCM_IKE.label()})",
        "rule t1: filter 10.1.0.0/16->10.2.0.0/16 is one-way; IOS crypto ACLs and tunnel "
        "selectors are mirrored",
        "rule t1: filter 10.1.0.0/16->10.2.0.0/16: IOS reads protocol 0 as 'ip' (any)",
        "rule t1: filter 10.1.0.0/16->10.2.0.0/16: a port needs TCP or UDP in an ACL",
    ]


def test_a_repeated_rule_name_is_said_just_before_that_rule_s_own_problems() -> None:
    """The name clash needs the whole end but belongs to the second rule: it comes after the
    end's problems and the first rule's, before the second rule's own."""
    end = _end(_rule(enabled=False), _rule(dpd_s=9), wan_interface="Gi 0/0")
    assert FORMAT.unsupported(end) == [
        "wan_interface 'Gi 0/0' is not an IOS interface name",
        "rule t1: a disabled rule has no IOS form",
        "rule t1: two rules share this name (IOS object names clash)",
        "rule t1: DPD interval 9s is outside IOS's 10-3600",
    ]


def test_kerberos_end_of_the_demo_is_refused_not_substituted(demo_ps) -> None:
    rgr = demo_ps.end("rgr-a").model_copy(update={
        "wan_interface": "GigabitEthernet0/0", "lan_interface": "GigabitEthernet0/1",
        "tunnel_style": "crypto-map"})
    reasons = FORMAT.unsupported(rgr)
    assert any("Kerberos" in r for r in reasons)
    assert not any("pre-share" in r for r in reasons)
    with pytest.raises(UnsupportedError):
        FORMAT.render(rgr, CTX)


# ----------------------------------------------------------- secrets and injection


def test_psk_appears_once_and_never_in_notes() -> None:
    key = "Unique-Example-Key-42"
    for version in (1, 2):
        ike = V1 if version == 1 else _rule().ike
        end = _end(_rule(ike=ike, auth=(Auth(method="psk", psk=literal(key)),)))
        text = FORMAT.render(end, CTX)
        assert text.count(key) == 1, version
        parsed = FORMAT.parse(text)
        assert all(key not in n.message for n in parsed.notes)
        assert key not in repr(parsed.policies) and key not in repr(parsed.facts)
        assert key not in repr(parsed.format_facts)
        assert parsed.policies[0].rules[0].auth[0].psk == literal(key)


def test_description_cannot_inject_commands() -> None:
    evil = 'x"\ncrypto map ccsec 20 ipsec-isakmp\n set peer 6.6.6.6\n match address any\n?'
    end = _end(_rule(description=evil), description=evil)
    text = FORMAT.render(end, CTX)
    commands = [line for line in text.splitlines() if not line.startswith("!")]
    assert [c for c in commands if c.lstrip().startswith("set peer")] == [" set peer 203.0.113.7"]
    assert sum(c.startswith("crypto map") for c in commands) == 1
    assert not any("?" in line for line in commands)  # '?' would open IOS context help
    (parsed,) = FORMAT.parse(text).policies
    assert [r.name for r in parsed.rules] == ["t1"] and parsed.description == evil
    assert parsed.rules[0].description == evil
    assert parsed.rules[0].peer_address == IPv4Address("203.0.113.7")


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40))
def test_description_encoding_roundtrips(value: str) -> None:
    line = encode_description(value)
    assert "\n" not in line and "\r" not in line and "?" not in line and line.isascii()
    assert decode_description(line) == value


# ------------------------------------------------------------ render-specific forms


def test_vti_with_source_nat_nat_t_off_and_keepalives() -> None:
    v1 = _rule(name="a", ike=V1, nat_keepalive_s=30, nat_traversal=False)
    v2 = _rule(name="b", nat_keepalive_s=15, peer_address=IPv4Address("203.0.113.9"),
               filters=(TCP,))
    end = _end(v1, v2, tunnel_style="vti", source_nat=True)
    text = FORMAT.render(end, CTX)
    assert text.count("no crypto ipsec nat-transparency udp-encapsulation") == 1
    assert "crypto isakmp nat keepalive 30" in text and "crypto ikev2 nat keepalive 15" in text
    assert "interface Tunnel100\n" in text and "interface Tunnel101\n" in text
    assert "ip route 10.2.0.0 255.255.0.0 Tunnel101" in text
    assert _acl(text, "ccsec-b") == ["permit tcp 10.1.0.0 0.0.255.255 10.2.0.0 0.0.255.255 "
                                     "eq 443"]
    assert _acl(text, "ccsec-b_in") == ["permit tcp 10.2.0.0 0.0.255.255 eq 443 10.1.0.0 "
                                        "0.0.255.255"]
    parsed = FORMAT.parse(text)
    assert_same(parsed.policies, [FORMAT.project(end, CTX)])
    a, b = parsed.policies[0].rules
    assert not a.nat_traversal and not b.nat_traversal  # device-wide on IOS
    assert a.initiate and b.initiate  # a VTI brings its SA up by itself


def test_project_documents_device_wide_ike() -> None:
    p1 = IkeProposal(encryption=Encr.AES256, integrity=Integ.SHA256, group=14)
    p2 = IkeProposal(encryption=Encr.AES128, integrity=Integ.SHA1, group=2)
    a = _rule(name="a", ike=Ike(version=1, proposals=(p1,), lifetime_s=28800))
    b = _rule(name="b", ike=Ike(version=1, proposals=(p2, SHA_PRF), lifetime_s=3600))
    c = _rule(name="c", ike=Ike(version=1, proposals=(p2,)), auth=CERT)
    d = _rule(name="d", ike=Ike(version=2, proposals=(GCM_IKE,)),
              local_address=IPv4Address("198.51.100.99"))
    e = _rule(name="e")
    pa, pb, pc, pd, pe = FORMAT.project(_end(a, b, c, d, e), CTX).rules
    p3 = SHA_PRF.model_copy(update={"prf": None})  # implied by the hash in IKEv1
    assert pa.ike.proposals == pb.ike.proposals == (p1, p2, p3)  # union of the PSK rules
    assert pc.ike.proposals == (p2,)  # rsa-sig policies are separate
    assert pa.ike.lifetime_s == pb.ike.lifetime_s == pc.ike.lifetime_s == 3600
    assert pd.ike.proposals == (GCM_IKE,) and pe.ike.proposals == e.ike.proposals
    assert pa.peer_id == Identity(kind="address", value="203.0.113.7")
    assert pa.local_id == Identity(kind="address", value="198.51.100.1")  # IKEv1 default
    assert pd.local_id is None  # IKEv2 sends no identity ccsec did not configure
    assert not pa.initiate


def test_project_changes_exactly_the_declared_fields_when_each_is_lost() -> None:
    """One gateway that loses every field of the loss table, and nothing else."""
    p1 = IkeProposal(encryption=Encr.AES128, integrity=Integ.SHA256, group=14)
    a = _rule(name="a", ike=Ike(version=1, proposals=(p1,), lifetime_s=3600),
              auth=(Auth(method="psk", psk=literal("Example-Key-0123"), ca="CN=Root"),),
              initiate=True, connection_type="lan", nat_keepalive_s=30)
    b = _rule(name="b", ike=V1, nat_keepalive_s=60, nat_traversal=False,
              peer_id=Identity(kind="address", value="203.0.113.7"),
              local_id=Identity(kind="address", value="198.51.100.1"))
    end = _end(a, b, default_response_rule=True)
    projected = FORMAT.project(end, CTX)
    assert changed_fields(end, projected) == {loss.field for loss in FORMAT.LOSSES}
    pa, pb = projected.rules
    assert pa.ike.proposals == pb.ike.proposals == (p1, *V1.proposals)
    assert pa.ike.lifetime_s == pb.ike.lifetime_s == 3600
    assert pa.nat_keepalive_s == pb.nat_keepalive_s == 30
    assert not pa.nat_traversal and not pa.initiate and pa.connection_type == "all"
    assert pa.auth[0].ca is None and projected.lan_interface is None
    assert_same(FORMAT.parse(FORMAT.render(end, CTX)).policies, [projected])


# --------------------------------------------------------------------------- robustness


def test_binary_input_is_a_parse_error_with_its_line() -> None:
    with pytest.raises(ParseError) as exc:
        FORMAT.parse("hostname r1\ncrypto map M 1 ipsec-isakmp\x00\n", "r1.cfg")
    assert "r1.cfg:2" in str(exc.value)


@given(st.text(max_size=400))
def test_arbitrary_text_only_raises_parse_error(text: str) -> None:
    with contextlib.suppress(ParseError):
        FORMAT.parse(text, "fuzz.cfg")


IOS_WORDS = st.sampled_from([
    "crypto", "isakmp", "ikev2", "ipsec", "map", "dynamic-map", "policy", "key", "profile",
    "keyring", "proposal", "transform-set", "set", "peer", "pfs", "group14", "match", "address",
    "identity", "remote", "local", "fqdn", "dn", "encr", "aes", "256", "hash", "sha",
    "authentication", "pre-share", "rsa-sig", "group", "lifetime", "esp-aes", "esp-gcm",
    "esp-sha-hmac", "ah-sha-hmac", "mode", "transport", "tunnel", "require", "interface",
    "Tunnel1", "Gi0/0", "ip", "access-list", "extended", "standard", "permit", "deny", "tcp",
    "eq", "www", "host", "any", "10.0.0.0", "0.0.0.255", "255.255.255.0", "192.0.2.1",
    "0.0.0.0", "nat", "inside", "source", "list", "route-map", "overload", "shutdown",
    "ipsec-isakmp", "ipsec-manual", "dynamic", "protection", "destination", "route", "6", "7",
    "0", "pre-shared-key", "trustpoint", "pki", "certificate", "issuer-name", "eq", "no",
    "engine", "accelerator", "banner", "motd", "^C", "<psk>", "X.X.X.X", "101", "65535",
    "99999999999999999999", "-1", "ccsec-x", "qos", "pre-classify", "unnumbered",
])


@given(st.lists(st.tuples(st.sampled_from(["", " ", "  ", "\t"]),
                          st.lists(IOS_WORDS, min_size=1, max_size=8)), max_size=40))
def test_ios_shaped_garbage_never_crashes(lines: list) -> None:
    text = "\n".join(indent + " ".join(words) for indent, words in lines)
    parsed = FORMAT.parse(text, "garbage.cfg")
    assert len(parsed.policies) == 1


# ------------------------------------------------------------------------------- speed


def _hub(peers: int) -> str:
    out = ["hostname HUB", "crypto isakmp policy 10", " encr aes 256", " hash sha256",
           " authentication pre-share", " group 14",
           "crypto ipsec transform-set TS esp-aes 256 esp-sha256-hmac", " mode tunnel"]
    for p in range(peers):
        peer = f"203.0.{p // 250}.{p % 250 + 1}"
        out += [f"crypto isakmp key Key-{p:05d}-abcdef address {peer}",
                f"crypto map VPN {10 * (p + 1)} ipsec-isakmp", f" set peer {peer}",
                " set transform-set TS", " set pfs group14", f" match address ACL-{p}",
                f"ip access-list extended ACL-{p}",
                f" permit ip 10.0.0.0 0.0.255.255 10.{128 + p // 256}.{p % 256}.0 0.0.0.255"]
    out += ["ip access-list extended NAT", " deny ip 10.0.0.0 0.0.255.255 10.128.0.0 "
            "0.127.255.255", " permit ip 10.0.0.0 0.0.255.255 any",
            "ip nat inside source list NAT interface Gi0/0 overload",
            "interface Gi0/0", " ip address 198.51.100.1 255.255.255.0", " crypto map VPN"]
    return "\n".join(out) + "\n"


def test_import_time_grows_linearly() -> None:
    """Eight times the peers may cost at most 3x8 the CPU time; one quadratic lookup (a key
    or ACL scan per crypto map entry) costs 64x.  CPU time, not wall time: the test VM is
    shared, and the margin absorbs cache effects."""
    small, big = _hub(250), _hub(2000)

    def best(text: str) -> float:
        runs = []
        for _ in range(3):
            t0 = time.process_time()
            parsed = FORMAT.parse(text)
            runs.append(time.process_time() - t0)
        assert all(r.enabled and r.auth[0].psk is not None for r in parsed.policies[0].rules)
        return max(min(runs), 1e-3)

    assert len(FORMAT.parse(big).policies[0].rules) == 2000
    assert best(big) < 24 * best(small)
