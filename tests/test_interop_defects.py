"""The renderer defects of issue 14, one test each: what a real platform would do with the file.

Each test reads the rendered files the way the platform reads them (strongSwan's keys and
defaults, IOS without its comments and with a hostname and domain, Windows' identity rules) and
fails on the output ccsec wrote before the fix.  The lab runs the same platform readings for
real (tests/lab/test_lab_platforms.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any

import pytest

from ccsec.formats.base import RenderContext
from ccsec.formats.dn import encoding_order, from_encoding_order, rdns
from ccsec.formats.ios.render import FORMAT as IOS
from ccsec.formats.registry import get
from ccsec.formats.strongswan.swanconf import parse_conf
from ccsec.formats.strongswan.swanctl import FORMAT as SWANCTL
from ccsec.formats.windows.powershell import FORMAT as POWERSHELL
from ccsec.lab.platforms import play
from ccsec.plan import certificate_subject, plan
from ccsec.policy import Filter, PolicySet
from conftest import DEPLOYMENTS, EXAMPLES, PROFILES, lab_context

#: the examples with strongSwan ends (Linux hosts, strongSwan gateways)
SWANCTL_ENDS = ("linux-test", "multi-site")


def _swanctl(ps: PolicySet) -> dict[str, str]:
    """The swanctl.conf of every strongSwan end (Linux hosts, strongSwan gateways)."""
    ctx = lab_context(ps)
    return {e.owner or e.name: SWANCTL.render(e, ctx) for e in ps.ends
            if e.platform in ("linux", "strongswan")}


def _children(text: str) -> list[dict[str, str]]:
    """Every child section of a swanctl.conf, as key → value."""
    root = parse_conf(text, "<t>")
    conns = root.section("connections")
    out = []
    for conn in conns.sections() if conns else []:
        kids = conn.section("children")
        for kid in kids.sections() if kids else []:
            out.append({k: kid.value(k) or "" for k in kid.items})
    return out


# ------------------------------------------------------------------- identities


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_each_end_sends_the_identity_its_peer_requires(name: str, profile: str) -> None:
    """Both ends of every path, each played from its own file as its platform runs it (IOS
    without comments and with 'hostname'/'ip domain name', Windows with its certificate's
    subject): the identity one end sends is the one the other requires.  Before issue 14 an
    IKEv1 IOS end sent hostname.domain to a peer matching the bare host name, and Windows sent
    its subject DN to a strongSwan end expecting an FQDN."""
    dep = DEPLOYMENTS[name]()
    ps = plan(dep, profile)
    ctx = lab_context(ps)
    played = {e.owner: play(e, ctx, certificate_subject(dep, e.owner or ""), "corp.example").end
              for e in ps.ends}
    for path in ps.paths:
        a, b = (played[x.host].rule(path.id) for x in path.ends)
        for sender, requirer in ((a, b), (b, a)):
            if requirer.peer_id is not None and not any(x.method == "kerberos"
                                                        for x in sender.auth):
                assert sender.local_id == requirer.peer_id, path.id


def test_windows_certificate_identity_is_its_subject_dn() -> None:
    """A Linux end's peer on a certificate path is a Windows host: it must require the DN
    Windows sends, not an FQDN ("no matching peer config")."""
    dep = DEPLOYMENTS["multi-site"]()
    text = SWANCTL.render(plan(dep).end("pg3"), RenderContext())
    assert 'id = "CN=rtr-a.icm.globex.example"' in text
    assert "id = rtr-a.icm.globex.example" not in text


def test_ikev1_ios_sends_no_hostname_its_peer_cannot_know() -> None:
    dep = DEPLOYMENTS["ios-vti"]()
    text = IOS.render(plan(dep).end("rtr-hq"), RenderContext())
    assert "self-identity fqdn" not in text and "match identity host" not in text
    assert "crypto isakmp identity dn" in text and " subject-name CN=rtr-hq" in text
    assert " subject-name eq CN=rtr-br" in text


# ----------------------------------------------------------------- strongSwan release


def test_trap_start_is_written_only_for_5_9_6_and_later() -> None:
    end = plan(DEPLOYMENTS["multi-site"]()).end("gw-nagoya")
    old = SWANCTL.render(end, RenderContext())  # the default: 5.9.5, Ubuntu 22.04
    assert {k["start_action"] for k in _children(old)} == {"trap"}
    assert "# needs: strongSwan 5.9.0 or later (written for 5.9.5)" in old
    assert "swanctl --initiate --child t-dc-west-pg-nagoya" in old
    new = SWANCTL.render(end, RenderContext(strongswan_version="5.9.8"))
    assert {k["start_action"] for k in _children(new)} == {"trap|start"}
    assert "# needs: strongSwan 5.9.6 or later (written for 5.9.8)" in new


def test_an_older_release_than_ccsec_writes_for_is_refused() -> None:
    with pytest.raises(ValueError, match=r"older than 5\.9\.0"):
        SWANCTL.render(plan(DEPLOYMENTS["multi-site"]()).end("gw-nagoya"),
                       RenderContext(strongswan_version="5.8.4"))


# ------------------------------------------------------------------- selectors, lifetimes


def test_one_child_per_pair_of_subnets() -> None:
    """IKEv1 uses only a child's first selector pair and IOS builds one SA per ACL line: a
    child with two subnets left 172.16.1.0/24 unprotected against gw-west."""
    text = SWANCTL.render(plan(DEPLOYMENTS["multi-site"]()).end("gw-nagoya"), RenderContext())
    kids = _children(text)
    assert kids and all("," not in k["local_ts"] and "," not in k["remote_ts"] for k in kids)
    pairs = {(k["local_ts"], k["remote_ts"]) for k in kids}
    assert ("10.40.0.0/16", "172.16.1.0/24") in pairs and ("10.40.0.0/16", "10.1.0.0/16") in pairs


@pytest.mark.parametrize("name", SWANCTL_ENDS)
def test_a_volume_limit_rekeys_before_it_closes(name: str) -> None:
    ps = plan(DEPLOYMENTS[name](), "recommended")
    for owner, text in _swanctl(ps).items():
        for kid in _children(text):
            if kid.get("life_bytes"):
                assert 0 < int(kid["rekey_bytes"]) < int(kid["life_bytes"]), owner


def test_ikev1_offers_exactly_the_planned_lifetime() -> None:
    """strongSwan offers rekey (or reauth) time + over_time in Main Mode; IOS accepts a
    proposal only with a lifetime at most its own."""
    ps = plan(DEPLOYMENTS["linux-test"](), "legacy")
    for end in ps.ends:
        root = parse_conf(SWANCTL.render(end, lab_context(ps)), "<t>")
        conns = root.section("connections")
        for conn in conns.sections() if conns else []:
            rule = end.rule(conn.name)
            assert rule.ike.version == 1
            rekey = int((conn.value("rekey_time") or "14400s")[:-1])
            over = int((conn.value("over_time") or f"{rekey // 10}s")[:-1])  # its default
            offered = rekey + over
            assert offered == rule.ike.lifetime_s, conn.name


@pytest.mark.parametrize("name", SWANCTL_ENDS)
def test_transport_connections_run_dpd(name: str) -> None:
    ps = plan(DEPLOYMENTS[name]())
    for owner, text in _swanctl(ps).items():
        root = parse_conf(text, "<t>")
        for conn in root.section("connections").sections():
            actions = {k.get("dpd_action") for k in _children(
                "connections {\n" + _section_text(text, conn.name) + "\n}\n")}
            if actions - {None, "clear"}:
                assert conn.value("dpd_delay"), (owner, conn.name)


def _section_text(text: str, name: str) -> str:
    start = text.index(f"    {name} {{")
    end = text.index("\n    }\n", start)
    return text[start:end + 6]


# ----------------------------------------------------------------------------- DN order


def test_dn_order_follows_each_platform() -> None:
    dep = DEPLOYMENTS["multi-site"]()
    ps = plan(dep)
    assert dep.pki is not None
    ca = dep.pki.root_ca  # "CN=Globex Root CA, O=Globex, C=JP" (RFC 4514)
    swan = SWANCTL.render(ps.end("gw-nagoya"), RenderContext())
    assert 'ca_id = "C=JP, O=Globex, CN=Globex Root CA"' in swan
    ps1 = POWERSHELL.render(ps.end("rtr-a"), RenderContext())
    assert "-Authority 'C=JP, O=Globex, CN=Globex Root CA'" in ps1
    ios = IOS.render(ps.end("gw-west"), RenderContext())
    assert [f" issuer-name co {r}" in ios for r in rdns(ca)] == [True] * 3
    assert "issuer-name eq" not in ios


def test_dn_order_round_trips() -> None:
    assert encoding_order("CN=a, O=b, C=JP") == "C=JP, O=b, CN=a"
    assert from_encoding_order(encoding_order("CN=a\\, b, O=c")) == "CN=a\\, b, O=c"
    assert encoding_order(" CN=x") == " CN=x"  # one RDN: written as it is


# --------------------------------------------------------------------- hub profiles


@pytest.mark.parametrize("name", ["multi-site", "demo"])
def test_hub_certificate_maps_name_their_peer(name: str) -> None:
    """An IKEv2 profile's match identity and match certificate are ORed: a map that names the
    issuer only matches every peer of that CA, and the hub's profiles become ambiguous."""
    ps = plan(DEPLOYMENTS[name]())
    for end in ps.ends:
        if end.platform != "ios":
            continue
        text = IOS.render(end, RenderContext())
        maps = re.findall(r"(?m)^crypto pki certificate map (\S+) 10\n((?: .*\n)+)", text)
        assert maps
        subjects = [re.findall(r" subject-name eq (.*)", body) for _, body in maps]
        assert all(len(s) == 1 for s in subjects), end.owner
        assert len({s[0] for s in subjects}) == len(subjects), end.owner


# ------------------------------------------------------------------------------- CUCM


def test_cucm_sheet_says_to_replace_its_self_signed_ipsec_certificate() -> None:
    ps = plan(DEPLOYMENTS["demo"]())
    sheet = get("cucm").render(ps.end("cucm-1"), RenderContext())
    assert "own 'ipsec' certificate is self-signed" in sheet
    assert "Generate CSR (purpose ipsec)" in sheet and '"CN=ACME Root CA, O=ACME"' in sheet
    assert get("cucm").parse(sheet).policies[0].rules  # still a sheet the reader takes


# --------------------------------------------------------------------------- PowerShell


def test_powershell_clean_up_uses_the_cmdlets_group_parameter() -> None:
    ps = plan(DEPLOYMENTS["demo"]())
    text = POWERSHELL.render(ps.end("pg1-a"), RenderContext())
    assert "Where-Object" not in text
    for noun in ("Rule", "MainModeRule", "Phase1AuthSet", "QuickModeCryptoSet",
                 "MainModeCryptoSet"):
        assert (f"Remove-NetIPsec{noun} @Store -Group 'ccsec-pg1-a' "
                "-ErrorAction SilentlyContinue") in text


def test_powershell_writes_a_gpo_through_one_session() -> None:
    """Every cmdlet takes the splatted store, so '-Store @{ GPOSession = $s }' (Open-NetGPO
    once, Save-NetGPO once) reaches all of them; no cmdlet names a store by itself."""
    ps = plan(DEPLOYMENTS["demo"]())
    text = POWERSHELL.render(ps.end("pg1-a"), RenderContext()).lstrip("\ufeff")
    calls = re.findall(r"(?m)^(?:\$\w+ = )?(New-NetIPsec(?!\w*Proposal)\w+|Remove-NetIPsec\w+) "
                       r"`?\n?\s*(\S+)", text)
    assert calls and all(arg == "@Store" for _, arg in calls), calls
    assert "-PolicyStore $" not in text
    assert "Open-NetGPO" in text and "Save-NetGPO -GPOSession $s" in text


def test_a_splatted_gpo_session_is_read() -> None:
    script = "\n".join([
        "$s = Open-NetGPO -PolicyStore 'corp.example\\CC IPsec'",
        "$Store = @{ GPOSession = $s }",
        "$mmp = New-NetIPsecMainModeCryptoProposal -Encryption AES256 -Hash SHA256 "
        "-KeyExchange DH14",
        "$mm = New-NetIPsecMainModeCryptoSet @Store -DisplayName 'mm' -Proposal $mmp",
        "$ap = New-NetIPsecAuthProposal -Machine -Cert -Authority 'C=JP, O=X, CN=Root'",
        "$p1 = New-NetIPsecPhase1AuthSet @Store -DisplayName 'p1' -Proposal $ap",
        "$qmp = New-NetIPsecQuickModeCryptoProposal -Encapsulation ESP -Encryption AES256 "
        "-ESPHash SHA256",
        "$qm = New-NetIPsecQuickModeCryptoSet @Store -DisplayName 'qm' -Proposal $qmp",
        "New-NetIPsecMainModeRule @Store -DisplayName 'm1' -LocalAddress 10.0.0.1 "
        "-RemoteAddress 10.0.0.2 -MainModeCryptoSet $mm.Name -Phase1AuthSet $p1.Name",
        "New-NetIPsecRule @Store -DisplayName 'r1' -LocalAddress 10.0.0.1 -RemoteAddress "
        "10.0.0.2 -InboundSecurity Require -OutboundSecurity Require -KeyModule IKEv1 "
        "-Phase1AuthSet $p1.Name -QuickModeCryptoSet $qm.Name",
        "Save-NetGPO -GPOSession $s", ""])
    parsed = POWERSHELL.parse(script)
    (rule,) = parsed.policies[0].rules
    assert rule.auth[0].ca == "CN=Root, O=X, C=JP"
    assert rule.filters == (Filter(local=IPv4Network("10.0.0.1/32"),
                                   remote=IPv4Network("10.0.0.2/32")),)
    assert rule.local_address == IPv4Address("10.0.0.1")
    assert not [n for n in parsed.notes if n.severity == "warning"], parsed.notes


def test_a_splat_known_only_at_run_time_is_noted() -> None:
    parsed = POWERSHELL.parse("New-NetIPsecMainModeCryptoSet @Unknown -DisplayName 'mm' "
                              "-Proposal (New-NetIPsecMainModeCryptoProposal -Encryption "
                              "AES256 -Hash SHA256 -KeyExchange DH14)\n")
    assert any("splatted" in n.message for n in parsed.notes)


# --------------------------------------------------------------- choosing the release


def test_the_release_comes_from_the_command_line_or_the_deployment(
        cli: Callable[..., Any], tmp_path: Path) -> None:
    src = (EXAMPLES / "multi-site.yaml").read_text(encoding="utf-8")
    pinned = tmp_path / "pinned.yaml"
    pinned.write_text(src + 'strongswan_version: "5.9.8"\n', encoding="utf-8")
    assert cli("render", str(pinned), "-o", str(tmp_path / "a")).code == 0
    text = (tmp_path / "a" / "gw-nagoya" / "swanctl.conf").read_text(encoding="utf-8")
    assert "(written for 5.9.8)" in text
    r = cli("render", str(pinned), "-o", str(tmp_path / "b"), "--strongswan-version", "5.9.5")
    assert r.code == 0
    text = (tmp_path / "b" / "gw-nagoya" / "swanctl.conf").read_text(encoding="utf-8")
    assert "(written for 5.9.5)" in text
    bad = cli("render", str(pinned), "-o", str(tmp_path / "c"), "--strongswan-version", "5.8")
    assert bad.code == 2 and "--strongswan-version" in bad.err
    assert not (tmp_path / "c").exists()
    old = tmp_path / "old.yaml"
    old.write_text(src + 'strongswan_version: "5.8.4"\n', encoding="utf-8")
    r = cli("paths", str(old))
    assert r.code == 2 and "strongswan_version" in r.err and "5.9.0" in r.err
