"""netsh ipsec static: the reference's worked examples, the seed's defaults, refusals, fuzz.

The worked examples are platform-syntax.md §3.3 and §3.4 verbatim; the seed's defaults are the
contact-center guide's wizard values (SHA1, 3DES, DH group 2, negotiate, no fallback, Kerberos,
all connections, no tunnel, default response rule off).  Lines of rendered scripts are read
back here with ``shlex`` — independently of the module's own tokenizer — to check tags and the
reference integrity of every object (platform-syntax.md §7.2).
"""

from __future__ import annotations

import contextlib
import shlex
import time
from dataclasses import replace
from ipaddress import IPv4Address, IPv4Network

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from ccsec.crypto import Encr, EspProposal, IkeProposal, Integ, Prf
from ccsec.errors import ParseError, UnsupportedError
from ccsec.formats.base import RenderContext
from ccsec.formats.facts import NetshFacts
from ccsec.formats.windows.netsh import FORMAT
from ccsec.formats.windows.text import rootca_value
from ccsec.plan import plan
from ccsec.policy import Auth, EndPolicy, Filter, Ike, Rule
from ccsec.secrets import Secret, SecretResolver, literal
from knobs_windows_netsh import KNOBS
from modeldiff import assert_same
from strategies import end_policies

CTX = RenderContext("unit", "test")

# platform-syntax.md §3.3, verbatim
S33 = """\
netsh ipsec static add policy name="CC-IPSEC" description="contact-center host isolation" mmpfs=no mmlifetime=480 activatedefaultrule=no assign=no mmsecmethods="3DES-SHA1-3 3DES-SHA1-2"
netsh ipsec static add filterlist name="FL-APP1-DB1"
netsh ipsec static add filter filterlist="FL-APP1-DB1" srcaddr=10.10.20.15 srcmask=32 dstaddr=10.20.30.40 dstmask=32 protocol=ANY mirrored=yes description="app1 to db1"
netsh ipsec static add filteraction name="FA-REQ-ESP-3DES-SHA1" qmpfs=no inpass=no soft=no action=negotiate qmsecmethods="ESP[3DES,SHA1]:100000k/3600s"
netsh ipsec static add rule name="R-APP1-DB1" policy="CC-IPSEC" filterlist="FL-APP1-DB1" filteraction="FA-REQ-ESP-3DES-SHA1" conntype=all activate=yes kerberos=yes rootca="C=US, O=Example CC, CN=CC Root CA certmap:no excludecaname:no" psk="<psk>"
netsh ipsec static set policy name="CC-IPSEC" assign=yes
"""  # noqa: E501
# platform-syntax.md §3.4, verbatim (it uses §3.3's policy and filter action)
S34 = """\
netsh ipsec static add filter filterlist="FL-HQ-TO-DR" srcaddr=10.10.0.0 srcmask=16 dstaddr=10.20.0.0 dstmask=16 protocol=ANY mirrored=no
netsh ipsec static add filter filterlist="FL-DR-TO-HQ" srcaddr=10.20.0.0 srcmask=16 dstaddr=10.10.0.0 dstmask=16 protocol=ANY mirrored=no
netsh ipsec static add rule name="R-HQ-TO-DR" policy="CC-IPSEC" filterlist="FL-HQ-TO-DR" filteraction="FA-REQ-ESP-3DES-SHA1" tunnel=203.0.113.20 psk="<psk>"
netsh ipsec static add rule name="R-DR-TO-HQ" policy="CC-IPSEC" filterlist="FL-DR-TO-HQ" filteraction="FA-REQ-ESP-3DES-SHA1" tunnel=198.51.100.10 psk="<psk>"
"""  # noqa: E501

TDES_SHA1_2 = IkeProposal(encryption=Encr.TDES, integrity=Integ.SHA1, group=2)
ESP_TDES_SHA1 = EspProposal(encryption=Encr.TDES, integrity=Integ.SHA1)


def net(text: str) -> IPv4Network:
    return IPv4Network(text)


def rule(name: str = "app-db", **kw: object) -> Rule:
    """A legacy-profile transport rule; keyword arguments override fields."""
    base: dict[str, object] = {
        "name": name,
        "local_address": IPv4Address("10.10.20.15"),
        "peer_address": IPv4Address("10.20.30.40"),
        "filters": (Filter(local=net("10.10.20.15/32"), remote=net("10.20.30.40/32")),),
        "auth": (Auth(method="kerberos"),),
        "ike": Ike(version=1, proposals=(TDES_SHA1_2,)),
        "esp": (ESP_TDES_SHA1,),
    }
    base.update(kw)
    return Rule(**base)  # type: ignore[arg-type]


def tunnel_rule(name: str = "hq-dr", **kw: object) -> Rule:
    base: dict[str, object] = {
        "mode": "tunnel",
        "local_address": IPv4Address("198.51.100.10"),
        "peer_address": IPv4Address("203.0.113.20"),
        "filters": (Filter(local=net("10.10.0.0/16"), remote=net("10.20.0.0/16")),),
    }
    base.update(kw)
    return rule(name, **base)


def end(*rules: Rule, **kw: object) -> EndPolicy:
    return EndPolicy(name=str(kw.pop("name", "CC-IPSEC")), rules=rules, **kw)  # type: ignore[arg-type]


def split(line: str) -> list[str]:
    """netsh words: double quotes group, nothing escapes (shlex, not the module's tokenizer)."""
    lexer = shlex.shlex(line, posix=True)
    lexer.whitespace_split = True
    lexer.quotes = '"'
    lexer.escape = ""
    lexer.commenters = ""
    return list(lexer)


def commands(text: str) -> list[tuple[str, str, dict[str, list[str]]]]:
    """(verb, object, tag → values) of every command line, read independently of the module."""
    out = []
    for line in text.split("\n"):
        if not line or line.startswith("#"):
            continue
        words = split(line)
        assert words[:2] == ["ipsec", "static"], line
        tags: dict[str, list[str]] = {}
        for w in words[4:]:
            tag, eq, value = w.partition("=")
            assert eq, f"untagged value in {line}"
            tags.setdefault(tag, []).append(value)
        out.append((words[2], words[3], tags))
    return out


def one(tags: dict[str, list[str]], tag: str) -> str:
    (value,) = tags[tag]
    return value


# ------------------------------------------------------------------ the worked examples


def test_worked_example_3_3() -> None:
    parsed = FORMAT.parse(S33, "cc-ipsec.bat")
    (p,) = parsed.policies
    assert p.name == "CC-IPSEC" and p.description == "contact-center host isolation"
    assert p.default_response_rule is False
    (r,) = p.rules
    assert r.name == "R-APP1-DB1" and r.mode == "transport"
    assert (str(r.local_address), str(r.peer_address)) == ("10.10.20.15", "10.20.30.40")
    assert r.filters == (Filter(local=net("10.10.20.15/32"), remote=net("10.20.30.40/32")),)
    # netsh group 3 is IANA 14 (§2.1), preference order kept
    assert [(p.encryption, p.integrity, p.group) for p in r.ike.proposals] == [
        (Encr.TDES, Integ.SHA1, 14), (Encr.TDES, Integ.SHA1, 2)]
    assert r.ike.version == 1 and r.ike.lifetime_s == 480 * 60
    assert r.esp == (ESP_TDES_SHA1,) and (r.lifetime_s, r.lifetime_kb) == (3600, 100000)
    assert r.pfs_group is None and r.action == "negotiate"
    assert (r.inbound, r.outbound) == ("require", "require")
    assert [a.method for a in r.auth] == ["kerberos", "certificate", "psk"]
    assert r.auth[1].ca == "CN=CC Root CA, O=Example CC, C=US"  # encoding order → RFC 4514
    assert r.auth[2].psk is not None and r.auth[2].psk.reveal() == "<psk>"
    assert r.connection_type == "all" and r.enabled
    assert parsed.format_facts.assigned == "CC-IPSEC"
    assert any(n.line == 5 and "placeholder" in n.message for n in parsed.notes)
    assert parsed.locations == {"R-APP1-DB1": 5, "R-APP1-DB1/ike": 1, "R-APP1-DB1/esp": 4,
                                "R-APP1-DB1/auth": 5, "R-APP1-DB1/filters": 3}


def test_worked_example_3_4_tunnel_pair_is_one_rule() -> None:
    parsed = FORMAT.parse(S33 + S34, "cc-ipsec.bat")
    (p,) = parsed.policies
    assert [r.name for r in p.rules] == ["R-APP1-DB1", "R-HQ-TO-DR"]
    t = p.rules[1]
    assert t.mode == "tunnel"
    # each one-way rule names the endpoint on the destination side of its filter
    assert (str(t.local_address), str(t.peer_address)) == ("198.51.100.10", "203.0.113.20")
    assert t.filters == (Filter(local=net("10.10.0.0/16"), remote=net("10.20.0.0/16")),)
    assert [a.method for a in t.auth] == ["psk"]
    assert any("R-HQ-TO-DR and R-DR-TO-HQ" in n.message for n in parsed.notes)
    assert parsed.locations["R-HQ-TO-DR"] == 9 and parsed.locations["R-HQ-TO-DR/filters"] == 7


def test_worked_example_3_4_alone_has_a_dangling_policy() -> None:
    with pytest.raises(ParseError) as err:
        FORMAT.parse(S34, "tunnel.bat")
    (problem,) = err.value.problems
    assert (problem.file, problem.line) == ("tunnel.bat", 3)
    assert "policy 'CC-IPSEC' does not exist" in problem.message


# ----------------------------------------------------------- the seed's documented defaults


@pytest.fixture(scope="module")
def legacy_texts() -> dict[str, str]:
    from ccsec.deployment import loads
    from ccsec.deployment.demo import demo_text

    ps = plan(loads(demo_text(), "demo.yaml"), "legacy")
    return {e.owner or e.name: FORMAT.render(e, CTX) for e in ps.ends if e.platform == "windows"}


def test_seed_defaults_legacy_profile(legacy_texts: dict[str, str]) -> None:
    """The guide's wizard values, tag by tag, for every Windows end of the demo deployment."""
    assert sorted(legacy_texts) == ["aw-hds-1", "pg1-a", "pg1-b", "rgr-a", "rgr-b"]
    for owner, text in legacy_texts.items():
        cmds = commands(text)
        (policy,) = [t for v, o, t in cmds if (v, o) == ("add", "policy")]
        assert one(policy, "mmsecmethods") == "3DES-SHA1-2"  # SHA1, 3DES, DH group 2
        assert one(policy, "activatedefaultrule") == "no"
        assert one(policy, "assign") == "no" and one(policy, "mmlifetime") == "480"
        actions = [t for v, o, t in cmds if (v, o) == ("add", "filteraction")]
        rules = [t for v, o, t in cmds if (v, o) == ("add", "rule")]
        filters = [t for v, o, t in cmds if (v, o) == ("add", "filter")]
        assert actions and len(actions) == len(rules) == len(filters)
        for fa in actions:
            assert one(fa, "action") == "negotiate"
            assert (one(fa, "soft"), one(fa, "inpass"), one(fa, "qmpfs")) == ("no", "no", "no")
            assert one(fa, "qmsecmethods") == "ESP[3DES,SHA1]:100000k/3600s"
        for f in filters:
            assert one(f, "protocol") == "ANY" and one(f, "mirrored") == "yes"
            assert one(f, "srcmask") == one(f, "dstmask") == "32"
        for r in rules:
            assert one(r, "conntype") == "all" and one(r, "activate") == "yes"
            assert "tunnel" not in r
            cucm = "cucm-1" in one(r, "name")
            # Kerberos by default; the path to CUCM (outside the domain) uses the root CA
            assert r.get("kerberos") == (["no"] if cucm else ["yes"]), owner
            assert ("rootca" in r) == cucm
        assert cmds[-1] == ("set", "policy", {"name": [f"ccsec-{owner}"], "assign": ["yes"]})


def test_reference_integrity(legacy_texts: dict[str, str]) -> None:
    """§7.2: every reference resolves to an object created exactly once, before its use."""
    for text in legacy_texts.values():
        created: dict[str, list[str]] = {"policy": [], "filterlist": [], "filteraction": []}
        for verb, obj, tags in commands(text):
            if verb != "add":
                continue
            if obj == "filter":
                assert one(tags, "filterlist") in created["filterlist"]
            if obj == "rule":
                for ref in ("policy", "filterlist", "filteraction"):
                    assert one(tags, ref) in created[ref]
            if obj in created:
                assert one(tags, "name") not in created[obj]
                created[obj].append(one(tags, "name"))


def test_header_says_how_to_run_and_undo(legacy_texts: dict[str, str]) -> None:
    text = legacy_texts["rgr-a"]
    comments = [line for line in text.split("\n") if line.startswith("#")]
    assert any("netsh -f ipsec.netsh" in c for c in comments)
    undo = [c.split("netsh ", 1)[1] for c in comments if "netsh ipsec static delete" in c]
    created = {(o, one(t, "name")) for v, o, t in commands(text) if v == "add" and o != "rule"
               and o != "filter"}
    deleted = {(w[3], w[4].partition("=")[2]) for w in map(split, undo)}
    assert deleted == created


def test_demo_legacy_round_trip(legacy_texts: dict[str, str]) -> None:
    from ccsec.deployment import loads
    from ccsec.deployment.demo import demo_text

    ps = plan(loads(demo_text(), "demo.yaml"), "legacy")
    for e in ps.ends:
        if e.platform == "windows":
            parsed = FORMAT.parse(legacy_texts[e.owner or ""], f"{e.owner}/ipsec.netsh")
            assert_same(parsed.policies, [FORMAT.project(e, CTX)])
            assert parsed.policies[0].owner == e.owner


# ------------------------------------------------------------------------ render specifics


def test_tunnel_rule_renders_two_one_way_rules() -> None:
    text = FORMAT.render(end(tunnel_rule()), CTX)
    cmds = commands(text)
    rules = {one(t, "name"): t for v, o, t in cmds if (v, o) == ("add", "rule")}
    assert one(rules["hq-dr.out"], "tunnel") == "203.0.113.20"
    assert one(rules["hq-dr.in"], "tunnel") == "198.51.100.10"
    filters = {one(t, "filterlist"): t for v, o, t in cmds if (v, o) == ("add", "filter")}
    out = filters[one(rules["hq-dr.out"], "filterlist")]
    back = filters[one(rules["hq-dr.in"], "filterlist")]
    assert (one(out, "srcaddr"), one(out, "dstaddr")) == ("10.10.0.0", "10.20.0.0")
    assert (one(back, "srcaddr"), one(back, "dstaddr")) == ("10.20.0.0", "10.10.0.0")
    assert one(out, "mirrored") == one(back, "mirrored") == "no"
    assert one(rules["hq-dr.out"], "filteraction") == one(rules["hq-dr.in"], "filteraction")


def test_dh14_is_netsh_group_3_and_pfs_uses_it() -> None:
    g14 = IkeProposal(encryption=Encr.TDES, integrity=Integ.SHA1, group=14)
    e = end(rule(ike=Ike(version=1, proposals=(g14,)), pfs_group=14))
    cmds = commands(FORMAT.render(e, CTX))
    (policy,) = [t for v, o, t in cmds if o == "policy" and v == "add"]
    (fa,) = [t for v, o, t in cmds if o == "filteraction"]
    assert one(policy, "mmsecmethods") == "3DES-SHA1-3" and one(fa, "qmpfs") == "yes"
    (r,) = FORMAT.parse(FORMAT.render(e, CTX)).policies[0].rules
    assert r.pfs_group == 14 and r.ike.proposals == (g14,)


@pytest.mark.parametrize(("inbound", "outbound", "inpass", "soft"), [
    ("require", "require", "no", "no"), ("request", "require", "yes", "no"),
    ("require", "request", "no", "yes"), ("request", "request", "yes", "yes")])
def test_fallback_maps_to_soft_and_inpass(inbound: str, outbound: str, inpass: str,
                                           soft: str) -> None:
    e = end(rule(inbound=inbound, outbound=outbound))
    (fa,) = [t for v, o, t in commands(FORMAT.render(e, CTX)) if o == "filteraction"]
    assert (one(fa, "inpass"), one(fa, "soft")) == (inpass, soft)


def test_auth_order_and_kerberos_explicitly_off() -> None:
    ca = Auth(method="certificate", ca="CN=CC Root CA, O=Example")
    e = end(rule(auth=(ca, Auth(method="kerberos"))), rule("b", auth=(ca,)))
    lines = [line for line in FORMAT.render(e, CTX).split("\n") if "add rule" in line]
    assert lines[0].index("rootca=") < lines[0].index("kerberos=yes")
    assert lines[1].endswith("kerberos=no")
    parsed = FORMAT.parse(FORMAT.render(e, CTX)).policies[0]
    assert [a.method for a in parsed.rules[0].auth] == ["certificate", "kerberos"]
    assert [a.method for a in parsed.rules[1].auth] == ["certificate"]


def test_mmsecmethods_is_the_ordered_union_of_the_rules() -> None:
    des = IkeProposal(encryption=Encr.DES, integrity=Integ.MD5, group=1)
    e = end(rule("a", ike=Ike(version=1, proposals=(TDES_SHA1_2,), lifetime_s=28800)),
            rule("b", ike=Ike(version=1, proposals=(des, TDES_SHA1_2), lifetime_s=3601)))
    (policy,) = [t for v, o, t in commands(FORMAT.render(e, CTX)) if o == "policy" and v == "add"]
    assert one(policy, "mmsecmethods") == "3DES-SHA1-2 DES-MD5-1"
    assert one(policy, "mmlifetime") == "61"  # the shortest, rounded up to a whole minute
    projected = FORMAT.project(e, CTX)
    assert all(r.ike.proposals == (TDES_SHA1_2, des) for r in projected.rules)
    assert all(r.ike.lifetime_s == 61 * 60 for r in projected.rules)


def test_lifetime_without_kilobytes_uses_the_seconds_form() -> None:
    e = end(rule(lifetime_kb=None, lifetime_s=900))
    assert 'qmsecmethods="ESP[3DES,SHA1]:900s"' in FORMAT.render(e, CTX)
    (r,) = FORMAT.parse(FORMAT.render(e, CTX)).policies[0].rules
    assert (r.lifetime_s, r.lifetime_kb) == (900, None)


def test_rootca_escapes_double_quotes() -> None:
    """§3.1: inside rootca a double quote is written \\' (the model never holds one today)."""
    assert rootca_value('CN="Acme", O=X') == '"CN=\\\'Acme\\\', O=X certmap:no excludecaname:no"'
    with pytest.raises(UnsupportedError):
        rootca_value("CN=a\\'b")


# -------------------------------------------------------------- injection, refusals, secrets

INJECTIONS = [
    '"; ipsec static delete all; "',
    "x\nipsec static delete all",
    "x\r\nipsec static delete all",
    "cr\ronly",
    "tab\there",
    "nul\x00",
    "nel\x85",
    "ends with a backslash\\",
]


@pytest.mark.parametrize("desc", INJECTIONS)
@pytest.mark.parametrize("where", ["policy", "rule"])
def test_injection_in_descriptions_is_refused(desc: str, where: str) -> None:
    e = end(rule(description=desc)) if where == "rule" else end(rule(), description=desc)
    reasons = FORMAT.unsupported(e)
    assert len(reasons) == 1
    assert reasons[0].startswith("policy CC-IPSEC:" if where == "policy" else "rule app-db:")
    assert "description" in reasons[0]
    with pytest.raises(UnsupportedError):
        FORMAT.render(e, CTX)


@pytest.mark.parametrize("desc", ["%PATH% & whoami | more", "$(Remove-Item C:\\ -Recurse)",
                                  "# not a comment", "`whoami`; exit", "'single' <quotes>",
                                  "日本語 ü \u2028 x", "a=b c=d", "ends in a slash /"])
def test_shell_like_text_is_carried_verbatim(desc: str) -> None:
    e = end(rule(description=desc), description=desc)
    text = FORMAT.render(e, CTX)
    cmds = commands(text)
    assert [(v, o) for v, o, _ in cmds] == [
        ("set", "store"), ("set", "batch"), ("add", "policy"), ("add", "filterlist"),
        ("add", "filter"), ("add", "filteraction"), ("add", "rule"), ("set", "batch"),
        ("set", "policy")]
    (p,) = FORMAT.parse(text).policies
    assert p.description == desc and p.rules[0].description == desc


def test_psk_appears_once_and_never_in_comments() -> None:
    key = "Lab-Key with spaces 'and' \\ chars"
    e = end(rule(auth=(Auth(method="psk", psk=Secret(ref="env:NETSH_PSK")),)))
    ctx = RenderContext("unit", "test", SecretResolver(env={"NETSH_PSK": key}))
    text = FORMAT.render(e, ctx)
    assert text.count(key) == 1
    assert not any(key in line for line in text.split("\n") if line.startswith("#"))
    assert "holds a pre-shared key" in text
    (r,) = FORMAT.parse(text).policies[0].rules
    assert r.auth[0].psk is not None and r.auth[0].psk.reveal() == key
    # a tunnel rule is two one-way netsh rules: the key is on each, and nowhere else
    t = end(tunnel_rule(auth=(Auth(method="psk", psk=literal(key)),)))
    assert FORMAT.render(t, ctx).count(key) == 2


@pytest.mark.parametrize("key", ['has"quote', "new\nline", ""])
def test_unquotable_psk_is_refused_without_showing_it(key: str) -> None:
    literal_end = end(rule(auth=(Auth(method="psk", psk=Secret(value=SecretStr(key))),)))
    reasons = FORMAT.unsupported(literal_end)
    assert len(reasons) == 1 and "pre-shared key" in reasons[0]
    ref_end = end(rule(auth=(Auth(method="psk", psk=Secret(ref="env:K")),)))
    assert FORMAT.unsupported(ref_end) == []  # not known until render time
    ctx = RenderContext("unit", "test", SecretResolver(env={"K": key}) if key else None)
    with pytest.raises(UnsupportedError) as err:
        FORMAT.render(ref_end, ctx)
    if key:
        assert key not in str(err.value)


G14 = IkeProposal(encryption=Encr.TDES, integrity=Integ.SHA1, group=14)


def _ike(**kw: object) -> Ike:
    return Ike(**{"version": 1, "proposals": (TDES_SHA1_2,), **kw})  # type: ignore[arg-type]


# (reason fragment, refused policy, near miss that is fine)
REFUSALS = [
    ("IKEv1 only", end(rule(ike=_ike(version=2))), end(rule(ike=_ike(version=1)))),
    ("aggressive mode", end(rule(ike=_ike(exchange="aggressive"))), end(rule(ike=_ike()))),
    ("IKE encryption aes128",
     end(rule(ike=_ike(proposals=(IkeProposal(encryption=Encr.AES128, integrity=Integ.SHA1,
                                              group=2),)))),
     end(rule(ike=_ike(proposals=(TDES_SHA1_2,))))),
    ("IKE integrity sha256",
     end(rule(ike=_ike(proposals=(IkeProposal(encryption=Encr.TDES, integrity=Integ.SHA256,
                                              group=2),)))),
     end(rule(ike=_ike(proposals=(IkeProposal(encryption=Encr.TDES, integrity=Integ.MD5,
                                              group=2),))))),
    ("names a PRF",
     end(rule(ike=_ike(proposals=(IkeProposal(encryption=Encr.TDES, integrity=Integ.SHA1,
                                              prf=Prf.SHA1, group=2),)))),
     end(rule(ike=_ike(proposals=(TDES_SHA1_2,))))),
    ("DH group 19", end(rule(ike=_ike(proposals=(IkeProposal(
        encryption=Encr.TDES, integrity=Integ.SHA1, group=19),)))),
     end(rule(ike=_ike(proposals=(G14,))))),
    ("ESP encryption aes256", end(rule(esp=(EspProposal(encryption=Encr.AES256,
                                                        integrity=Integ.SHA1),))),
     end(rule(esp=(EspProposal(encryption=Encr.DES, integrity=Integ.SHA1),)))),
    ("ESP encryption aes256gcm16", end(rule(esp=(EspProposal(encryption=Encr.AES256GCM),))),
     end(rule(esp=(EspProposal(encryption=Encr.TDES),)))),
    ("ESP integrity sha256", end(rule(esp=(EspProposal(encryption=Encr.TDES,
                                                       integrity=Integ.SHA256),))),
     end(rule(esp=(EspProposal(encryption=Encr.TDES, integrity=Integ.MD5),)))),
    ("AH integrity sha256", end(rule(esp=(EspProposal(encryption=None, ah=Integ.SHA256),))),
     end(rule(esp=(EspProposal(encryption=None, ah=Integ.SHA1),)))),
    ("ESP integrity without ESP",
     end(rule(esp=(EspProposal(encryption=None, integrity=Integ.SHA1, ah=Integ.SHA1),))),
     end(rule(esp=(EspProposal(encryption=Encr.NULL, integrity=Integ.SHA1, ah=Integ.SHA1),)))),
    ("ESP[None,None]", end(rule(esp=(EspProposal(encryption=Encr.NULL),))),
     end(rule(esp=(EspProposal(encryption=Encr.NULL, integrity=Integ.SHA1),)))),
    ("PFS group 14 differs", end(rule(pfs_group=14)), end(rule(pfs_group=2))),
    ("PFS group 19 is not one of", end(rule(pfs_group=19)), end(rule(pfs_group=2))),
    ("trailing backslash", end(rule(auth=(Auth(method="certificate", ca="CN=x\\"),))),
     end(rule(auth=(Auth(method="certificate", ca="CN=x\\y"),)))),
    ("PFS group 2 differs",
     end(rule("a", pfs_group=2), rule("b", ike=_ike(proposals=(G14,)))),
     end(rule("a", pfs_group=2), rule("b"))),
    ("security 'none'", end(rule(inbound="none", outbound="none", action="permit")),
     end(rule(inbound="request", outbound="request", action="permit"))),
    ("NAT traversal off", end(rule(nat_traversal=False)), end(rule(nat_traversal=True))),
    ("kerberos= once", end(rule(auth=(Auth(method="kerberos"), Auth(method="kerberos")))),
     end(rule(auth=(Auth(method="kerberos"), Auth(method="psk", psk=literal("k")))))),
    ("needs the root CA's name", end(rule(auth=(Auth(method="certificate"),))),
     end(rule(auth=(Auth(method="certificate", ca="CN=O'Brien CA"),)))),
    ("CA name contains the sequence", end(rule(auth=(Auth(method="certificate",
                                                         ca="CN=a\\'b"),))),
     end(rule(auth=(Auth(method="certificate", ca="CN=a\\b"),)))),
    ("'certmap:'", end(rule(auth=(Auth(method="certificate", ca="CN=x certmap:yes"),))),
     end(rule(auth=(Auth(method="certificate", ca="CN=x certmap"),)))),
    ("trailing white space", end(rule(auth=(Auth(method="certificate", ca="CN=x "),))),
     end(rule(auth=(Auth(method="certificate", ca=" CN=x"),)))),
    ("pre-shared key contains a double quote",
     end(rule(auth=(Auth(method="psk", psk=literal('a"b')),))),
     end(rule(auth=(Auth(method="psk", psk=literal("a'b")),)))),
    ("one-way filter in tunnel mode",
     end(tunnel_rule(filters=(Filter(local=net("10.10.0.0/16"), remote=net("10.20.0.0/16"),
                                     mirrored=False),))),
     end(rule(filters=(Filter(local=net("10.10.20.15/32"), remote=net("10.20.30.40/32"),
                              mirrored=False),)))),
    ("ports only with protocol TCP or UDP",
     end(rule(filters=(Filter(local=net("10.10.20.15/32"), remote=net("10.20.30.40/32"),
                              protocol=1, remote_port=80),))),
     end(rule(filters=(Filter(local=net("10.10.20.15/32"), remote=net("10.20.30.40/32"),
                              protocol=6, remote_port=80),)))),
    ("protocol 0", end(rule(filters=(Filter(local=net("10.10.20.15/32"),
                                            remote=net("10.20.30.40/32"), protocol=0),))),
     end(rule(filters=(Filter(local=net("10.10.20.15/32"), remote=net("10.20.30.40/32"),
                              protocol=255),)))),
    ("case-insensitive", end(rule("path-1"), rule("PATH-1")), end(rule("path-1"), rule("path-2"))),
]


@pytest.mark.parametrize(("fragment", "refused", "fine"), REFUSALS,
                         ids=[r[0] for r in REFUSALS])
def test_each_refusal_fires_and_its_near_miss_does_not(fragment: str, refused: EndPolicy,
                                                        fine: EndPolicy) -> None:
    reasons = FORMAT.unsupported(refused)
    hits = [r for r in reasons if fragment in r]
    assert len(hits) == 1, reasons
    assert hits[0].startswith(("rule ", "policy ")) and hits[0].split(":")[0].split()[1] in {
        r.name for r in refused.rules} | {refused.name}
    assert FORMAT.unsupported(fine) == []
    with pytest.raises(UnsupportedError):
        FORMAT.render(refused, CTX)
    parsed = FORMAT.parse(FORMAT.render(fine, CTX))
    assert_same(parsed.policies, [FORMAT.project(fine, CTX)])


def test_every_row_of_the_support_tables_has_a_case() -> None:
    """Each row, item rows included, fires on a case above (or on a description that breaks
    out of its quotes): a row added without a case fails here."""
    ids = FORMAT.row_ids()
    assert len(set(ids)) == len(ids), "row ids name one row each"
    ends = [refused for _fragment, refused, _fine in REFUSALS]
    ends += [end(rule(description=INJECTIONS[0])), end(rule(), description=INJECTIONS[0])]
    assert set().union(*(FORMAT.fired(e) for e in ends)) == set(ids)


def test_reasons_read_rule_by_rule_and_proposal_by_proposal() -> None:
    """The order users read: the policy's rows; per rule a clashing name, then its own reasons,
    each proposal's in turn; PFS groups the policy-wide main mode cannot serve last."""
    aes_sha256 = IkeProposal(encryption=Encr.AES128, integrity=Integ.SHA256, group=2)
    des_md5_19 = IkeProposal(encryption=Encr.DES, integrity=Integ.MD5, group=19)
    e = end(rule("path-1", ike=_ike(proposals=(aes_sha256, des_md5_19))),
            rule("PATH-1", pfs_group=2, nat_traversal=False), description='say "hi"')
    assert FORMAT.unsupported(e) == [
        "policy CC-IPSEC: the description contains a double quote (netsh has no escape for it) "
        "— remove it from the description",
        "rule path-1: IKE encryption aes128 (aes128-sha256-modp1024) is not in netsh's "
        "mmsecmethods grammar (DES or 3DES only)",
        "rule path-1: IKE integrity sha256 (aes128-sha256-modp1024) is not in netsh's "
        "mmsecmethods grammar (MD5 or SHA1 only)",
        "rule path-1: DH group 19 (des-md5-ecp256) is not one of netsh's groups 1, 2, 14 "
        "(netsh 3 = IANA 14)",
        "rule PATH-1: netsh names are case-insensitive and rule path-1 already uses this name "
        "— rename one of them",
        "rule PATH-1: netsh has no per-rule switch to turn NAT traversal off",
        "rule PATH-1: PFS group 2 differs from the policy's main-mode group(s) 2, 19 (netsh "
        "qmpfs=yes reuses the main-mode group) — use the main-mode group for PFS or no PFS",
    ]


# ------------------------------------------------------------------ hand-written scripts

PUSHD = """\
@echo off
rem hand-written, pushd style with abbreviations and positional values
pushd ipsec static
set store location=local
set batch mode=enable
add policy "Hand Made" "two rules" mmsec="DES-MD5-1 3DES-SHA1-3" activatedefaultrule=n mmlifetime=60
add filterlist FL1
add filter FL1 me 10.20.30.40 srcm=32 protocol=tcp dstport=1433 mirrored=y
add filteraction FA1 "" yes yes no negotiate qmsec="ESP[DES,MD5]:5000k AH[SHA1]+ESP[3DES,None]:600s/20000k"
add rule R1 "Hand Made" FL1 FA1 con=lan activate=y rootca="CN=\\'Quoted\\' CA certmap:yes excludecaname:no"
set filteraction name=FA1 newname=FA-renamed
add filterlist FL2
add filter filterlist=FL2 srca=10.0.0.0 srcmask=255.255.0.0 dstaddr=any
add filteraction name=FA2 action=block qmsec=ESP[3DES,SHA1]:3600s
add rule name=R2 policy="Hand Made" filterlist=FL2 filteraction=FA2 kerberos=y
set batch mode=disable
popd
"""  # noqa: E501


def test_pushd_script_with_abbreviations_and_positional_values() -> None:
    text = PUSHD.replace("\\'Quoted\\' ", "")  # the model holds no '"' in a CA name (below)
    parsed = FORMAT.parse(text, "hand.txt")
    (p,) = parsed.policies
    assert p.name == "Hand-Made" and p.description == "two rules"
    assert p.default_response_rule is False
    r1, r2 = p.rules
    assert [(x.encryption, x.integrity, x.group) for x in r1.ike.proposals] == [
        (Encr.DES, Integ.MD5, 1), (Encr.TDES, Integ.SHA1, 14)]
    assert r1.ike.lifetime_s == 3600
    # srcaddr=me: any local address; the port belongs to the TCP filter
    assert r1.filters == (Filter(local=net("0.0.0.0/0"), remote=net("10.20.30.40/32"),
                                 protocol=6, remote_port=1433),)
    assert r1.connection_type == "lan"
    assert (r1.inbound, r1.outbound) == ("request", "require")  # inpass=yes soft=no
    assert r1.pfs_group == 1  # qmpfs=yes reuses the first main-mode group ...
    assert any("records the first one (1)" in n.message for n in parsed.notes)  # ... noted
    assert r1.esp == (EspProposal(encryption=Encr.DES, integrity=Integ.MD5),
                      EspProposal(encryption=Encr.TDES, ah=Integ.SHA1))
    assert (r1.lifetime_s, r1.lifetime_kb) == (3600, 5000)  # first offer: kB only [V]
    assert any("differ in lifetime" in n.message for n in parsed.notes)
    assert [a.ca for a in r1.auth] == ["CN=CA"]
    assert r2.filters == (Filter(local=net("10.0.0.0/16"), remote=net("0.0.0.0/0")),)
    assert r2.action == "block" and r2.lifetime_kb is None
    assert parsed.format_facts == NetshFacts(assigned=None, store="local")
    assert parsed.locations["R1"] == 10 and parsed.locations["R1/esp"] == 9


def test_rootca_escape_is_read_and_a_quote_the_model_cannot_hold_is_reported() -> None:
    with pytest.raises(ParseError) as err:
        FORMAT.parse(PUSHD, "hand.txt")
    (problem,) = err.value.problems
    assert problem.line == 10 and "double quotes" in problem.message


def test_batch_lines_redirections_and_context_lines() -> None:
    text = (
        ":: a .bat file\n"
        "netsh ipsec static add policy name=P activatedefaultrule=no >nul 2>&1\n"
        "netsh ipsec static add filteraction name=FA qmsecmethods=\"ESP[3DES,SHA1]\"\n"
        "netsh ipsec static add filter filterlist=FL srcaddr=10.0.0.1 dstaddr=10.0.0.2\n"
        "ipsec\n"
        "static\n"
        "add rule name=R policy=P filterlist=FL filteraction=FA psk=\"k e y\"\n"
        "echo done\n"
    )
    parsed = FORMAT.parse(text, "x.bat")
    (r,) = parsed.policies[0].rules
    assert r.auth[0].psk is not None and r.auth[0].psk.reveal() == "k e y"
    assert (r.lifetime_s, r.lifetime_kb) == (3600, 100000)  # no lifetime: defaults [V]
    assert [n.line for n in parsed.notes if "not read" in n.message] == [8]  # echo: a note
    assert any("mmsecmethods" in n.message and "[V]" in n.message for n in parsed.notes)


def test_online_page_mmsecmethods_form_is_accepted_with_a_warning() -> None:
    text = ('ipsec static add policy name=P activatedefaultrule=no '
            'mmsecmethods="3DES-SHA1 DHGroup2;AES128-SHA256 DHGroup14"\n')
    parsed = FORMAT.parse(text)
    assert any(n.severity == "warning" and "[V]" in n.message and n.line == 1
               for n in parsed.notes)
    text += ("ipsec static add filter filterlist=F srcaddr=10.0.0.1 dstaddr=10.0.0.2\n"
             "ipsec static add filteraction name=A qmsec=ESP[3DES,SHA1]:100k/300s\n"
             "ipsec static add rule name=R policy=P filterlist=F filteraction=A\n")
    (r,) = FORMAT.parse(text).policies[0].rules
    assert [p.label() for p in r.ike.proposals] == ["3des-sha1-modp1024", "aes128-sha256-modp2048"]
    assert r.auth == (Auth(method="kerberos"),)  # no method: dynamic default [V], noted
    assert FORMAT.unsupported(FORMAT.parse(text).policies[0])  # AES is not generated back


def test_several_policies_and_which_is_assigned() -> None:
    text = ("ipsec static add policy name=A assign=yes activatedefaultrule=no\n"
            "ipsec static add policy name=B activatedefaultrule=no\n"
            "ipsec static set policy name=B assign=y\n"
            "ipsec static add policy name=C\n"
            "ipsec static delete policy name=C\n")
    parsed = FORMAT.parse(text)
    assert [p.name for p in parsed.policies] == ["A", "B"]
    assert parsed.format_facts.assigned == "B"  # one assigned policy per store
    assert any("policy B is assigned" in n.message for n in parsed.notes)


def test_set_and_delete_change_the_store_like_netsh() -> None:
    text = ("ipsec static add policy name=P activatedefaultrule=no mmsec=3DES-SHA1-2\n"
            "ipsec static add filter filterlist=F srcaddr=10.0.0.1 dstaddr=10.0.0.2\n"
            "ipsec static add filter filterlist=F srcaddr=10.0.0.1 dstaddr=10.0.0.3\n"
            "ipsec static delete filter filterlist=F srcaddr=10.0.0.1 dstaddr=10.0.0.3\n"
            "ipsec static add filteraction name=A qmsec=ESP[3DES,SHA1]:100000k/3600s\n"
            "ipsec static add rule name=R policy=P filterlist=F filteraction=A\n"
            "ipsec static add rule name=S policy=P filterlist=F filteraction=A\n"
            "ipsec static set rule name=R policy=P newname=R2 activate=no kerberos=no psk=k\n"
            "ipsec static delete rule id=2 policy=P\n"
            "ipsec static set policy name=P mmlifetime=30 newname=Q\n")
    (p,) = FORMAT.parse(text).policies
    assert p.name == "Q" and p.rules[0].ike.lifetime_s == 1800
    (r,) = p.rules
    assert r.name == "R2" and not r.enabled and [a.method for a in r.auth] == ["psk"]
    assert r.filters == (Filter(local=net("10.0.0.1/32"), remote=net("10.0.0.2/32")),)


@pytest.mark.parametrize(("text", "line", "fragment"), [
    ("ipsec static add rule name=R policy=P filterlist=F filteraction=A\n", 1,
     "policy 'P' does not exist"),
    ("ipsec static add policy name=P\nipsec static add rule name=R policy=P filterlist=F "
     "filteraction=A\n", 2, "filter list 'F' does not exist"),
    ("ipsec static add policy name=P\nipsec static add filterlist name=F\n"
     "ipsec static add filteraction name=A\nipsec static add rule name=R policy=P "
     "filterlist=F filteraction=A\n", 4, "holds no filter"),
    ("ipsec static add policy name=P mm=5\n", 1, "ambiguous"),
    ("ipsec static add policy name=P colour=red\n", 1, "unknown tag"),
    ("ipsec static add policy name=\"P\n", 1, "unterminated"),
    ("ipsec static add policy name=P mmsec=AES-SHA1-2\n", 1, "mmsecmethods entry"),
    ("ipsec static add filteraction name=A qmsec=ESP[None,None]\n", 1, "protects nothing"),
    ("ipsec static add filteraction name=A qmsec=ESP[3DES,SHA1]:10x\n", 1, "lifetime"),
    ("ipsec static add filter filterlist=F srcaddr=10.0.0.1 dstaddr=10.0.0.2 srcmask=255.0.255.0"
     "\n", 1, "contiguous"),
    ("ipsec static add policy name=P\nipsec static add filter filterlist=F srcaddr=10.0.0.1 "
     "dstaddr=10.0.0.2\nipsec static add filteraction name=A\nipsec static add rule name=R "
     "policy=P filterlist=F filteraction=A tunnel=gw.example\n", 4, "IPv4 address"),
    ("ipsec static add policy name=P\nipsec static add filter filterlist=F srcaddr=10.0.0.1 "
     "dstaddr=10.0.0.2\nipsec static add filteraction name=A qmsec=ESP[3DES,SHA1]:30s\n"
     "ipsec static add rule name=R policy=P filterlist=F filteraction=A\n", 4, "lifetime_s"),
])
def test_malformed_scripts_name_file_and_line(text: str, line: int, fragment: str) -> None:
    with pytest.raises(ParseError) as err:
        FORMAT.parse(text, "bad.netsh")
    (problem,) = err.value.problems
    assert (problem.file, problem.line) == ("bad.netsh", line)
    assert fragment in problem.message


def test_unknown_lines_and_unreadable_filters_become_notes() -> None:
    text = ("netsh advfirewall set allprofiles state on\n"
            "ipsec dynamic show all\n"
            "ipsec static show all\n"
            "ipsec static add policy name=P activatedefaultrule=no\n"
            "ipsec static add filter filterlist=F srcaddr=db.example dstaddr=10.0.0.2\n"
            "ipsec static add filter filterlist=F srcaddr=10.0.0.1 dstaddr=10.0.0.2\n"
            "ipsec static add filteraction name=A\n"
            "ipsec static add rule name=R policy=P filterlist=F filteraction=A kerberos=yes\n"
            "just some words\n")
    parsed = FORMAT.parse(text)
    assert {n.line for n in parsed.notes if n.line is not None} >= {1, 2, 3, 5, 7, 9}
    (r,) = parsed.policies[0].rules
    assert len(r.filters) == 1  # the DNS-name filter is noted and left out


# ------------------------------------------------------------------ properties and fuzz


@pytest.mark.parametrize("group", [1, 2, 14])
@settings(max_examples=60)
@given(data=st.data())
def test_pfs_round_trips_when_every_main_mode_group_matches(group: int,
                                                            data: st.DataObject) -> None:
    knobs = replace(KNOBS, ike=tuple(p for p in KNOBS.ike if p.group == group),
                    pfs=(None, group, group))
    e = data.draw(end_policies(knobs))
    if FORMAT.unsupported(e):
        return  # descriptions netsh must refuse: covered by the refusal tests
    parsed = FORMAT.parse(FORMAT.render(e, CTX))
    assert_same(parsed.policies, [FORMAT.project(e, CTX)])


NETSH_WORDS = ["netsh", "ipsec", "static", "dynamic", "pushd", "popd", "..", "add", "set",
               "delete", "show", "policy", "filterlist", "filter", "filteraction", "rule", "all",
               "store", "batch", "defaultrule", "p", "fl", "fa", "r.out", '"x y"', '"', "=",
               "me", "any", "10.0.0.1", "2001:db8::1", "1.2.3.4-1.2.3.9", ">nul", "rem"]
NETSH_TAGS = ["name", "policy", "filterlist", "filteraction", "srca", "dstaddr", "srcmask",
              "protocol", "mirrored", "dstport", "tunnel", "con", "activate", "kerberos", "psk",
              "rootca", "qmsec", "mmsec", "mmlifetime", "qmpfs", "soft", "action", "assign",
              "newname", "id", "location", "mode", "mm", "x"]
NETSH_VALUES = ["yes", "n", "p", "fl", "fa", "10.0.0.2", "any", "me", "16", "255.255.0.0", "0",
                "33", "TCP", "RAW", "65536", "negotiate", "block", '"3DES-SHA1-3 DES-MD5-1"',
                '"3DES-SHA1 DHGroup2;AES128-SHA256 DHGroup14"', '"ESP[3DES,SHA1]:9k/60s AH[MD5]"',
                '"CN=\\\'x\\\' certmap:yes"', '""', "lan", "local", "enable", "2", "198.51.100.1",
                "١٢", "²"]
PRELUDE = ["ipsec static add policy name=p", "ipsec static add filterlist name=fl",
           "ipsec static add filter filterlist=fl srcaddr=10.0.0.1 dstaddr=10.0.0.2",
           "ipsec static add filteraction name=fa",
           "ipsec static add rule name=r policy=p filterlist=fl filteraction=fa"]


@st.composite
def netsh_lines(draw: st.DrawFn) -> str:
    tagged = st.builds("{}={}".format, st.sampled_from(NETSH_TAGS), st.sampled_from(NETSH_VALUES))
    parts = st.one_of(st.sampled_from(NETSH_WORDS), tagged, st.text(max_size=4))
    return " ".join(draw(st.lists(parts, max_size=9)))


@settings(max_examples=400)
@given(lines=st.lists(netsh_lines(), max_size=10), prelude=st.booleans())
def test_fuzz_netsh_like_input_raises_only_parse_errors(lines: list[str], prelude: bool) -> None:
    text = "\n".join((PRELUDE if prelude else []) + lines)
    try:
        FORMAT.parse(text, "fuzz.netsh")
    except ParseError as exc:
        assert all(p.file == "fuzz.netsh" and p.line for p in exc.problems)


@settings(max_examples=300)
@given(text=st.text())
def test_fuzz_arbitrary_text_raises_only_parse_errors(text: str) -> None:
    with contextlib.suppress(ParseError):
        FORMAT.parse(text)


def test_large_policy_parses_in_linear_time() -> None:
    """3,000 rules (a big central controller): render and parse stay well under a second each."""
    peers = [f"10.{i // 250}.{i % 250}.2" for i in range(3000)]
    rules = tuple(
        rule(f"r{i}", peer_address=IPv4Address(peer),
             filters=(Filter(local=net("10.0.0.1/32"), remote=net(f"{peer}/32")),))
        for i, peer in enumerate(peers))
    e = end(*rules)
    t0 = time.perf_counter()
    text = FORMAT.render(e, CTX)
    t1 = time.perf_counter()
    parsed = FORMAT.parse(text)
    t2 = time.perf_counter()
    assert len(parsed.policies[0].rules) == 3000
    assert t1 - t0 < 2 and t2 - t1 < 4
