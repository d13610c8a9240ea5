"""swanctl.conf: the grammar charon reads, real-world files, what is refused, injection, fuzz."""

from __future__ import annotations

import contextlib
from ipaddress import IPv4Network
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsec.crypto import Encr, EspProposal, IkeProposal, Integ, Prf
from ccsec.errors import ParseError, UnsupportedError
from ccsec.formats.base import RenderContext
from ccsec.formats.strongswan.swanconf import parse_conf, quote
from ccsec.formats.strongswan.swanctl import FORMAT
from ccsec.plan import plan
from ccsec.policy import Auth, EndPolicy, Filter, Ike
from conftest import lab_context

# the lab recipe's central-gw file, verbatim apart from the key (lab-recipe.md)
RECIPE = """\
connections {
  s2s {
    version = 2
    local_addrs = 192.0.2.1
    remote_addrs = 198.51.100.2
    proposals = aes256-sha256-modp2048
    dpd_delay = 30s
    keyingtries = 0
    mobike = no
    local {
      auth = psk
      id = central-gw.lab
    }
    remote {
      auth = psk
      id = remote-gw.lab
    }
    children {
      net {
        local_ts = 10.10.0.0/24
        remote_ts = 10.20.0.0/24
        esp_proposals = aes256-sha256-modp2048
        dpd_action = clear
        start_action = trap
      }
    }
  }
}
secrets {
  ike-lab {
    id-a = central-gw.lab
    id-b = remote-gw.lab
    secret = "lab-psk-0123456789abcdef"
  }
}
"""


def test_recipe_file() -> None:
    (end,) = FORMAT.parse(RECIPE, "central-gw/swanctl.conf").policies
    (r,) = end.rules
    assert r.name == "s2s" and r.ike.version == 2 and r.mode == "tunnel"
    assert [p.label() for p in r.ike.proposals] == ["aes256-sha256-modp2048"]
    assert [p.label() for p in r.esp] == ["aes256-sha256"] and r.pfs_group == 14
    assert r.filters[0].local == IPv4Network("10.10.0.0/24")
    assert r.auth[0].method == "psk" and r.auth[0].psk.reveal() == "lab-psk-0123456789abcdef"
    assert r.outbound == "require" and not r.initiate
    assert r.dpd_s == 30 and r.ike.lifetime_s == 14400  # strongSwan's default IKE rekey


def test_defaults_and_fallback_of_a_minimal_file() -> None:
    text = """connections { c { remote_addrs = 192.0.2.9
      children { x { local_ts = 10.0.0.0/8
        remote_ts = 10.9.0.0/16 } } } }"""
    parsed = FORMAT.parse(text)
    (r,) = parsed.policies[0].rules
    # no start_action: traffic flows in clear until an SA exists -> clear-text fallback
    assert r.outbound == "request"
    assert r.ike.version == 2 and any(n.message.endswith("(initiates IKEv2)") for n in parsed.notes)
    assert Encr.AES128GCM in {p.encryption for p in r.esp}  # strongSwan's default ESP proposal
    assert r.auth[0].method == "certificate"


def test_multi_algorithm_proposals_expand() -> None:
    text = RECIPE.replace("aes256-sha256-modp2048\n    dpd",
                          "aes128-aes256-sha256-sha384-ecp256\n    dpd")
    (r,) = FORMAT.parse(text).policies[0].rules
    # charon pairs every integrity with the PRF of every integrity of the proposal (found by
    # ccsec probe against charon 5.9.8): 2 ciphers x 2 integrities x 2 PRFs
    assert len(r.ike.proposals) == 8
    assert {p.integrity for p in r.ike.proposals} == {Integ.SHA256, Integ.SHA384}
    assert {(p.integrity, p.effective_prf) for p in r.ike.proposals} == {
        (i, f) for i in (Integ.SHA256, Integ.SHA384) for f in (Prf.SHA256, Prf.SHA384)}


def test_include_is_followed(tmp_path: Path) -> None:
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "a.conf").write_text(RECIPE.split("secrets {")[0])
    main = tmp_path / "swanctl.conf"
    main.write_text("include conf.d/*.conf\n")
    (end,) = FORMAT.parse(main.read_text(), str(main)).policies
    assert [r.name for r in end.rules] == ["s2s"]


@pytest.mark.parametrize("bad", [
    "connections {\n  c {\n",                    # unclosed
    "connections }",                              # stray brace
    'connections { c { id = "unterminated } }',   # string
    "key\n",                                      # name without value
])
def test_malformed_files_raise_parse_errors_with_lines(bad: str) -> None:
    with pytest.raises(ParseError) as exc:
        FORMAT.parse(bad, "x.conf")
    assert "x.conf:" in str(exc.value)


def test_unknown_algorithm_leaves_out_the_connection_with_its_line() -> None:
    # charon refuses such a connection ("invalid value for: proposals") and loads the others
    text = ("connections {\n c {\n  proposals = aes256-sha999-modp2048\n"
            "  children { x { local_ts = 10.0.0.0/8\n remote_ts = 10.1.0.0/16 } } }\n"
            " d {\n  children { y { local_ts = 10.0.0.0/8\n remote_ts = 10.1.0.0/16 } } }\n}\n")
    parsed = FORMAT.parse(text, "x.conf")
    assert [r.name for r in parsed.policies[0].rules] == ["d"]
    (note,) = [n for n in parsed.notes if "connection c not audited" in n.message]
    assert note.line == 2 and "'sha999' is not a strongSwan proposal keyword" in note.message


def test_ipv6_addresses_are_read() -> None:
    text = ("connections {\n  c {\n    local_addrs = 192.0.2.9/24, fe80::1\n"
            "    remote_addrs = 2001:db8::2\n    children {\n      c {\n"
            "        local_ts = fd00::/64\n        remote_ts = fd01::/64\n"
            "      }\n    }\n  }\n}\n")
    (rule,) = FORMAT.parse(text, "x.conf").policies[0].rules
    assert str(rule.peer_address) == "2001:db8::2" and str(rule.local_address) == "fe80::1"
    assert [(str(f.local), str(f.remote)) for f in rule.filters] == [("fd00::/64", "fd01::/64")]


@given(st.text(max_size=300))
def test_arbitrary_text_only_raises_parse_error(text: str) -> None:
    with contextlib.suppress(ParseError):
        FORMAT.parse(text, "fuzz.conf")


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40))
def test_quote_roundtrips_any_value(value: str) -> None:
    root = parse_conf(f"k = {quote(value)}\n")
    assert root.value("k") == value


def test_description_cannot_inject(demo_ps) -> None:
    end = demo_ps.end("rtr-osaka")
    evil = '"\n}\nconnections { evil { remote_addrs = 6.6.6.6 } }\n# '
    rule = end.rules[0].model_copy(update={"description": evil})
    end = end.model_copy(update={"rules": (rule,), "description": evil})
    text = FORMAT.render(end, RenderContext())
    (parsed,) = FORMAT.parse(text).policies
    assert [r.name for r in parsed.rules] == [rule.name]
    assert parsed.rules[0].description == evil and parsed.description == evil
    assert "6.6.6.6" not in {str(r.peer_address) for r in parsed.rules}


def test_kerberos_is_refused_not_substituted(demo_ps) -> None:
    end = demo_ps.end("rgr-a")
    reasons = FORMAT.unsupported(end)
    assert reasons and all("Kerberos" in r for r in reasons)
    with pytest.raises(UnsupportedError):
        FORMAT.render(end, RenderContext())


NETS = {"local": IPv4Network("10.20.0.0/16"), "remote": IPv4Network("10.1.0.0/16")}
AES = EspProposal(encryption=Encr.AES256, integrity=Integ.SHA256)
AH = EspProposal(encryption=None, ah=Integ.SHA256)
UNSUPPORTED = [
    # (a change to rtr-osaka's rule, words of the reason)
    ({"auth": (Auth(method="kerberos"),)}, "Kerberos"),
    ({"auth": (Auth(method="certificate"), Auth(method="certificate"))}, "one authentication"),
    ({"filters": (Filter(**NETS, mirrored=False),)}, "always mirrored"),
    ({"filters": (Filter(**NETS, remote_port=443),)}, "a port needs a protocol"),
    ({"enabled": False}, "disabled"),
    ({"nat_traversal": False}, "NAT traversal"),
    ({"inbound": "request"}, "both"),
    ({"esp": (AES.model_copy(update={"ah": Integ.SHA256}),)}, "AH+ESP bundles"),
    ({"esp": (AES, AH)}, "either ESP or AH"),
    ({"ike": Ike(version=2, exchange="aggressive", proposals=(
        IkeProposal(encryption=Encr.AES256, integrity=Integ.SHA256, group=14),))},
     "IKEv2 has no aggressive mode"),
]


def _changed(end: EndPolicy, change: dict) -> EndPolicy:
    return end.model_copy(update={"rules": (end.rules[0].model_copy(update=change),)})


@pytest.mark.parametrize(("change", "needle"), UNSUPPORTED)
def test_unsupported_reasons(demo_ps, change: dict, needle: str) -> None:
    end = demo_ps.end("rtr-osaka")
    assert FORMAT.unsupported(end) == []  # the near miss: the planned policy is fine
    assert any(needle in r for r in FORMAT.unsupported(_changed(end, change)))


def test_every_row_of_the_support_table_has_a_case(demo_ps) -> None:
    """Each row fires on a case above: a row added without a case fails here."""
    rows = [row.id for row in FORMAT.REFUSALS]
    assert len(set(rows)) == len(rows), "row ids name one row each"
    rule = demo_ps.end("rtr-osaka").rules[0]
    fired = {row.id for change, _needle in UNSUPPORTED for row in FORMAT.REFUSALS
             if row.messages(rule.model_copy(update=change))}
    assert fired == set(rows)


def test_psk_appears_exactly_once(linux_lab) -> None:
    from conftest import LAB_PSK

    ps = plan(linux_lab)
    ctx = lab_context(ps)
    for end in ps.ends:
        text = FORMAT.render(end, ctx)
        assert text.count(LAB_PSK) == len(end.rules)  # one secret section per rule
        parsed = FORMAT.parse(text)
        assert all(LAB_PSK not in n.message for n in parsed.notes)
        assert LAB_PSK not in repr(parsed.policies)


def test_gateway_behind_nat_initiates_and_traps(demo_ps) -> None:
    text = FORMAT.render(demo_ps.end("rtr-osaka"), RenderContext(strongswan_version="5.9.6"))
    assert "start_action = trap|start" in text and "keyingtries = 0" in text
    assert "# needs: strongSwan 5.9.6 or later (written for 5.9.6)" in text
    assert "mobike = no" in text
    central = FORMAT.render(demo_ps.end("rtr-east"), RenderContext())
    assert "start_action = trap\n" in central and "remote_addrs = 203.0.113.7" in central
