"""CUCM IPSEC Policy Configuration sheet: the spec's examples, demo sheets, refusals, keys, fuzz."""

from __future__ import annotations

import contextlib
import re
from ipaddress import IPv4Address, IPv4Network

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsec.crypto import CAPABILITIES, Encr, EspProposal, IkeProposal, Integ, Prf
from ccsec.deployment import loads
from ccsec.deployment.demo import demo_text
from ccsec.errors import ParseError, UnsupportedError, UserError
from ccsec.formats.base import RenderContext
from ccsec.formats.cucm.render import FORMAT, with_table
from ccsec.formats.cucm.values import FIELDS, LABELS, TABLES, cert_identity, cert_name
from ccsec.formats.facts import CucmFacts, CucmUnknownToken
from ccsec.plan import plan
from ccsec.policy import Auth, EndPolicy, Filter, Identity
from ccsec.secrets import Secret, SecretResolver, literal
from conftest import LAB_PSK, lab_context
from knobs_cucm import KNOBS_PORTS
from modeldiff import assert_same
from strategies import end_policies

# cucm-ipsec.md §3.1, verbatim (own examples)
CERT_SHEET = (
    "# CUCM IPSEC Policy Configuration sheet  (own example)\n"
    "# enter on: cucm-sub1 10.10.30.21 / Cisco Unified OS Administration > Security > IPSEC "
    "Configuration > Add New\n"
    "# release: 12.5(1)SU5   FIPS mode: no\n"
) + """\
Policy Group Name     : UCCE-PG1
Policy Name           : sub1-to-pg1a
Authentication Method : Certificate
Preshared Key         :
Peer Type             : Different
Certificate Name      : pg1a.pem
Destination Address   : 10.10.40.11
Destination Port      : Any
Source Address        : 10.10.30.21
Source Port           : Any
Mode                  : Transport
Remote Port           : Any
Protocol              : Any
Encryption Algorithm  : AES 256
Hash Algorithm        : SHA256
ESP Algorithm         : AES 256
Phase One Life Time   : 28800
Phase One DH          : 14
Phase Two Life Time   : 3600
Phase Two DH          : 14
Enable Policy         : [x]
"""
PSK_SHEET = """\
Policy Group Name     : UCCE-PG1
Policy Name           : sub1-to-pg1b
Authentication Method : Pre-shared Key
Preshared Key         : <psk: letters, digits, hyphens only>
Peer Type             :
Certificate Name      :
Destination Address   : 10.10.40.12
...                     (same as above)
"""
SHOW_SAMPLE = """\
admin:show ipsec information UCCE-PG1 sub1-to-pg1b
PolicyGroup             : UCCE-PG1
PolicyName              : sub1-to-pg1b
Type                    : transport
Source Address          : 10.10.30.21
Source Type             : ip
Destination Address     : 10.10.40.12
Destination Type        : ip
Protocol                : any
Source Port             : Any
Destination Port        : Any
Remote Port             : Any
Authentication Method   : psk
Destination Certificate : null
PSK                     : Lab-Key-01
...
Status                  : enabled
"""
# the documented layout with the Generation 2 tokens of the CLI reference sample [D C5]
SHOW_GEN2 = """\
admin:show ipsec information G1 p1
PolicyGroup             : G1
PolicyName              : p1
Type                    : transport
Source Address          : 10.10.30.21
Source Type             : ip
Destination Address     : 10.10.40.12
Destination Type        : ip
Protocol                : tcp
Source Port             : Any
Destination Port        : 2000
Remote Port             : Any
Authentication Method   : psk
Destination Certificate : null
Source Certificate      : null
Peer Type               : null
PSK                     : Lab-Key-01
Encryption Algorithm    : des
Hash Algorithm          : sha1
ESP                     : null_enc
AH                      : hmac_sha1
Phase 1 DH Value        : null
Phase 2 DH Value        : null
Phase 1 Life Time       : 3600
Phase 2 Life Time       : 3600
Status                  : disabled
"""

CTX = RenderContext("t", "test")


@pytest.fixture(scope="module")
def cucm1():
    ps = plan(loads(demo_text(), "demo.yaml"))
    return ps.end("cucm-1")


def _rule(end: EndPolicy, **change: object) -> EndPolicy:
    return end.model_copy(update={"rules": (end.rules[0].model_copy(update=change),)})


def _blocks(text: str) -> list[dict[str, str]]:
    """The sheet's fields per block, read with a regex (independent of the parser)."""
    blocks: list[dict[str, str]] = []
    for line in text.splitlines():
        m = re.match(r"^([A-Z][A-Za-z ]+?)\s+: ?(.*)$", line)
        if not m:
            continue
        if m.group(1) == "Policy Group Name":
            blocks.append({})
        blocks[-1][m.group(1)] = m.group(2)
    return blocks


# ------------------------------------------------------------------ the spec's examples


def test_own_example_certificate_sheet() -> None:
    parsed = FORMAT.parse(CERT_SHEET, "sub1.txt")
    (end,) = parsed.policies
    assert end.name == "UCCE-PG1" and end.owner == "cucm-sub1" and end.platform == "cucm"
    (r,) = end.rules
    assert r.name == "sub1-to-pg1a" and r.mode == "transport" and r.enabled
    assert r.local_address == IPv4Address("10.10.30.21")
    assert r.peer_address == IPv4Address("10.10.40.11")
    assert r.filters == (Filter(local=IPv4Network("10.10.30.21/32"),
                                remote=IPv4Network("10.10.40.11/32")),)
    assert r.auth == (Auth(method="certificate"),)
    assert r.peer_id == Identity(kind="dn", value="CN=pg1a")  # the certificate's subject
    assert r.ike.version == 1 and r.ike.lifetime_s == 28800
    assert r.ike.proposals == (IkeProposal(encryption=Encr.AES256, integrity=Integ.SHA256,
                                           group=14),)
    assert r.esp == (EspProposal(encryption=Encr.AES256, integrity=Integ.SHA256),)
    assert r.pfs_group == 14 and r.lifetime_s == 3600 and r.lifetime_kb is None
    facts = parsed.format_facts
    assert isinstance(facts, CucmFacts)
    assert facts.input == "sheet" and facts.value_table == "12.x"
    assert facts.certificate_names == {"sub1-to-pg1a": "pg1a.pem"}
    assert [n for n in parsed.notes if n.severity == "warning"] == []
    assert parsed.locations["sub1-to-pg1a"] == 5
    assert parsed.locations["sub1-to-pg1a/ike"] == 17


def test_own_example_psk_sheet_takes_the_rest_from_the_policy_above() -> None:
    parsed = FORMAT.parse(CERT_SHEET + PSK_SHEET, "sub1.txt")
    a, b = parsed.policies[0].rules
    assert b.name == "sub1-to-pg1b" and b.auth[0].method == "psk"
    assert b.auth[0].psk is None  # the placeholder is not a key
    assert b.peer_id is None and b.peer_address == IPv4Address("10.10.40.12")
    assert b.local_address == a.local_address
    assert (b.ike, b.esp, b.pfs_group, b.lifetime_s) == (a.ike, a.esp, a.pfs_group, a.lifetime_s)
    messages = [n.message for n in parsed.notes]
    assert any("placeholder" in m for m in messages)
    assert any("from the policy above" in m for m in messages)


def test_a_real_key_in_a_hand_filled_sheet() -> None:
    text = CERT_SHEET + PSK_SHEET.replace("<psk: letters, digits, hyphens only>", "Lab-Key-01")
    b = FORMAT.parse(text).policies[0].rules[1]
    assert b.auth[0].psk == literal("Lab-Key-01")


def test_show_ipsec_information_sample() -> None:
    parsed = FORMAT.parse(SHOW_SAMPLE, "show.txt")
    assert parsed.format_facts.input == "show ipsec information"
    (end,) = parsed.policies
    (r,) = end.rules
    assert end.name == "UCCE-PG1" and r.name == "sub1-to-pg1b"
    assert r.mode == "transport" and r.enabled
    assert (str(r.local_address), str(r.peer_address)) == ("10.10.30.21", "10.10.40.12")
    assert r.filters[0].protocol is None and r.filters[0].remote_port is None
    assert r.auth == (Auth(method="psk", psk=literal("Lab-Key-01")),)
    assert r.peer_id is None
    # the elided lines: page defaults are undocumented, so each assumption is a warning
    warnings = " | ".join(n.message for n in parsed.notes if n.severity == "warning")
    for label in ("Encryption Algorithm", "Hash Algorithm", "ESP Algorithm",
                  "Phase One Life Time", "Phase Two Life Time", "Phase One DH"):
        assert label in warnings
    assert r.ike.proposals[0].group == 2 and r.pfs_group is None
    assert all("Lab-Key-01" not in n.message for n in parsed.notes)


def test_show_output_with_generation_2_tokens() -> None:
    parsed = FORMAT.parse(SHOW_GEN2, "show.txt")
    (r,) = parsed.policies[0].rules
    assert r.ike.proposals == (IkeProposal(encryption=Encr.DES, integrity=Integ.SHA1,
                                           group=2),)
    assert r.esp == (EspProposal(encryption=Encr.NULL, integrity=Integ.SHA1),)
    assert r.filters[0].protocol == 6 and r.filters[0].remote_port == 2000
    assert not r.enabled and r.pfs_group is None
    lines = {n.line: n.message for n in parsed.notes if n.severity == "warning"}
    assert "not on the 12.x page" in lines[18]  # Encryption Algorithm des
    assert "not on the 12.x page" in lines[20]  # ESP null_enc
    assert "not ticked" in lines[26]


def test_unknown_show_token_skips_the_policy_but_a_sheet_typo_is_an_error() -> None:
    text = SHOW_GEN2.replace("null_enc", "camellia") + SHOW_SAMPLE.replace("...\n", "")
    parsed = FORMAT.parse(text, "show.txt")
    assert [(p.name, [r.name for r in p.rules]) for p in parsed.policies] == [
        ("G1", []), ("UCCE-PG1", ["sub1-to-pg1b"])]
    assert parsed.format_facts.unknown_tokens == (
        CucmUnknownToken(policy="p1", field="ESP Algorithm", token="camellia", line=20),)
    assert any(n.line == 20 and n.severity == "warning" for n in parsed.notes)
    with pytest.raises(ParseError, match=r"sheet.txt:19: ESP Algorithm: cannot read .X.*AES 256"):
        FORMAT.parse(CERT_SHEET.replace("ESP Algorithm         : AES 256", "ESP Algorithm : X"),
                     "sheet.txt")


def test_show_output_with_an_fqdn_is_skipped_with_a_warning() -> None:
    text = SHOW_GEN2.replace("10.10.40.12", "pg1b.example").replace("Type        : ip\nProt",
                                                                    "Type        : fqdn\nProt")
    parsed = FORMAT.parse(text)
    assert [(p.name, p.rules) for p in parsed.policies] == [("G1", ())]
    assert any(n.line == 7 and "FQDN" in n.message for n in parsed.notes)


# ------------------------------------------------------------------ the demo's cucm-1 sheets


def _demo_sheet(profile: str | None) -> tuple[str, EndPolicy]:
    ps = plan(loads(demo_text(), "demo.yaml"), profile)
    end = ps.end("cucm-1")
    return FORMAT.render(end, lab_context(ps)), end


COMMON = {
    "Policy Group Name": "ccsec-cucm-1", "Authentication Method": "Certificate",
    "Preshared Key": "", "Peer Type": "Different", "Destination Port": "Any",
    "Source Address": "10.20.5.10", "Source Port": "Any", "Mode": "Transport",
    "Remote Port": "Any", "Protocol": "Any", "Phase One Life Time": "28800",
    "Phase Two Life Time": "3600", "Enable Policy": "[x]",
}
PEERS = [("p8-pg1-a-cucm-1", "10.20.1.10", "pg1-a"), ("p8-pg1-b-cucm-1", "10.20.1.11", "pg1-b")]


@pytest.mark.parametrize(("profile", "crypto"), [
    (None, {"Encryption Algorithm": "AES 256", "Hash Algorithm": "SHA256",
            "ESP Algorithm": "AES 256", "Phase One DH": "14", "Phase Two DH": "14"}),
    ("legacy", {"Encryption Algorithm": "3DES", "Hash Algorithm": "SHA1",
                "ESP Algorithm": "3DES", "Phase One DH": "2", "Phase Two DH": ""}),
])
def test_demo_cucm_sheet_fields(profile: str | None, crypto: dict[str, str]) -> None:
    text, end = _demo_sheet(profile)
    blocks = _blocks(text)
    expected = [
        {**COMMON, **crypto, "Policy Name": name, "Destination Address": addr,
         "Certificate Name": f"{host}.icm.acme.example.pem"}
        for name, addr, host in PEERS
    ]
    assert blocks == expected
    assert [list(b) for b in blocks] == [[label for _, label in FIELDS]] * 2  # page order
    assert "# value table: 12.x" in text and "Validate IPsec" in text
    assert "> Security > IPSEC Configuration > Add New" in text
    assert ("# Phase Two DH left empty: no PFS" in text) == (profile == "legacy")
    parsed = FORMAT.parse(text)
    assert parsed.policies == [FORMAT.project(end, CTX)]
    assert [n for n in parsed.notes if n.severity == "warning"] == []  # test_semantic needs this


def test_project_documents_the_losses(cucm1) -> None:
    p = FORMAT.project(cucm1, CTX)
    r, original = p.rules[0], cucm1.rules[0]
    assert original.local_id is not None and r.local_id is None
    assert r.peer_id == original.peer_id  # a subject CN=<fqdn> survives as <fqdn>.pem
    assert original.auth[0].ca and r.auth[0].ca is None
    assert (r.lifetime_kb, r.initiate, r.dpd_s) == (None, False, None)
    assert (r.ike, r.esp, r.pfs_group, r.filters) == (original.ike, original.esp,
                                                       original.pfs_group, original.filters)


# ------------------------------------------------------------------ refusals and near misses


def _ike(enc: Encr, integ: Integ | None, group: int, prf: Prf | None = None):
    from ccsec.policy import Ike

    return Ike(version=1, proposals=(IkeProposal(encryption=enc, integrity=integ, group=group,
                                                 prf=prf),))


H1, H2 = IPv4Network("10.20.5.10/32"), IPv4Network("10.20.1.10/32")
ESP256 = EspProposal(encryption=Encr.AES256, integrity=Integ.SHA256)
KEY = Auth(method="psk", psk=literal("Lab-Key-01"))

REFUSALS = [
    # (what must be refused, the near miss that must not be, words of the reason)
    ({"auth": (Auth(method="kerberos"),)}, {"auth": (KEY,)}, "no Kerberos"),
    ({"auth": (KEY, Auth(method="certificate"))}, {"auth": (KEY,)}, "exactly one Authentication"),
    ({"mode": "tunnel"}, {"mode": "transport"}, "Transport mode only"),
    ({"ike": _ike(Encr.AES256, Integ.SHA256, 14).model_copy(update={"version": 2})},
     {"ike": _ike(Encr.AES256, Integ.SHA256, 14)}, "no IKE version field"),
    ({"ike": _ike(Encr.AES256, Integ.SHA256, 14).model_copy(update={"exchange": "aggressive"})},
     {"ike": _ike(Encr.AES128, Integ.SHA256, 14)}, "aggressive mode"),
    ({"ike": _ike(Encr.AES256, Integ.SHA256, 14).model_copy(update={"proposals": (
        IkeProposal(encryption=Encr.AES256, integrity=Integ.SHA256, group=14),
        IkeProposal(encryption=Encr.AES128, integrity=Integ.SHA256, group=14))})},
     {"ike": _ike(Encr.TDES, Integ.SHA256, 14)}, "exactly one IKE proposal"),
    ({"esp": (ESP256, EspProposal(encryption=Encr.AES128, integrity=Integ.SHA256))},
     {"esp": (EspProposal(encryption=Encr.AES128, integrity=Integ.SHA256),)},
     "exactly one ESP proposal"),
    ({"esp": (EspProposal(encryption=Encr.AES256GCM),)},
     {"esp": (EspProposal(encryption=Encr.TDES, integrity=Integ.SHA256),)}, "no AES-GCM"),
    ({"ike": _ike(Encr.AES192, Integ.SHA256, 14)}, {"ike": _ike(Encr.AES128, Integ.SHA256, 14)},
     "Encryption Algorithm aes192"),
    ({"ike": _ike(Encr.AES256, Integ.SHA256, 19)}, {"ike": _ike(Encr.AES256, Integ.SHA256, 18)},
     "Phase One DH 19"),
    ({"pfs_group": 15}, {"pfs_group": 16, "ike": _ike(Encr.AES256, Integ.SHA256, 15)},
     "Phase Two DH 15"),
    ({"ike": _ike(Encr.AES256, Integ.SHA384, 14),
      "esp": (EspProposal(encryption=Encr.AES256, integrity=Integ.SHA384),)},
     {"ike": _ike(Encr.AES256, Integ.SHA1, 14),
      "esp": (EspProposal(encryption=Encr.AES256, integrity=Integ.SHA1),)},
     "Hash Algorithm sha384"),
    ({"ike": _ike(Encr.AES256, Integ.SHA256, 14, Prf.SHA256)},
     {"ike": _ike(Encr.AES256, Integ.SHA256, 14)}, "no PRF"),
    ({"esp": (EspProposal(encryption=Encr.AES256, integrity=Integ.SHA1),)},
     {"esp": (EspProposal(encryption=Encr.TDES, integrity=Integ.SHA256),)},
     "ESP integrity sha1 differs from its IKE hash sha256"),
    ({"esp": (EspProposal(encryption=Encr.AES256, integrity=Integ.SHA256, ah=Integ.SHA256),)},
     {"esp": (ESP256,)}, "no AH"),
    ({"esp": (EspProposal(encryption=Encr.DES, integrity=Integ.SHA256),)},
     {"esp": (EspProposal(encryption=Encr.AES128, integrity=Integ.SHA256),)},
     "ESP Algorithm des"),
    ({"action": "permit"}, {"action": "negotiate"}, "'permit' rule"),
    ({"outbound": "request"}, {"outbound": "require"}, "clear-text fallback"),
    ({"enabled": False}, {"enabled": True}, "disabled policy"),
    ({"filters": (Filter(local=H1, remote=H2), Filter(local=H1, remote=H2, protocol=6))},
     {"filters": (Filter(local=H1, remote=H2, protocol=6, remote_port=443),)}, "one filter"),
    ({"filters": (Filter(local=H1, remote=IPv4Network("10.20.1.0/24")),)},
     {"filters": (Filter(local=H1, remote=IPv4Network("10.20.1.7/32")),)}, "not subnets"),
    ({"filters": (Filter(local=H1, remote=H2, protocol=1),)},
     {"filters": (Filter(local=H1, remote=H2, protocol=17),)}, "not protocol 1"),
    ({"filters": (Filter(local=H1, remote=H2, local_port=80),)},
     {"filters": (Filter(local=H1, remote=H2, protocol=6, local_port=80),)},
     "a port needs Protocol"),
    ({"filters": (Filter(local=H1, remote=H2, mirrored=False),)},
     {"filters": (Filter(local=H1, remote=H2, mirrored=True),)}, "mirrored"),
    ({"auth": (Auth(method="psk", psk=literal("Lab Key!")),)},
     {"auth": (Auth(method="psk", psk=literal("Lab-Key-01")),)}, "letters, digits and hyphens"),
    ({"auth": (Auth(method="psk"),)}, {"auth": (KEY,)}, "unreadable"),
]


@pytest.mark.parametrize(("bad", "near", "needle"), REFUSALS)
def test_each_unsupported_reason_fires_and_its_near_miss_does_not(
    cucm1, bad: dict, near: dict, needle: str
) -> None:
    assert FORMAT.unsupported(cucm1) == []
    assert FORMAT.unsupported(_rule(cucm1, **near)) == []
    reasons = FORMAT.unsupported(_rule(cucm1, **bad))
    assert any(needle in r for r in reasons), reasons
    with pytest.raises(UnsupportedError):
        FORMAT.render(_rule(cucm1, **bad), CTX)


def test_every_row_of_the_support_table_has_a_case(cucm1) -> None:
    """Each row of the table fires on at least one case above (under the default or the FIPS
    table), so a row added without a case, or a case that stopped firing, fails here."""
    tables = (FORMAT, with_table("12.x-fips"))
    rows = [row.id for row in FORMAT.REFUSALS]
    assert len(set(rows)) == len(rows), "row ids name one row each"
    assert [[row.id for row in t.REFUSALS] for t in tables] == [rows, rows]
    fired = {row.id for bad, _near, _needle in REFUSALS for t in tables
             for row in t.REFUSALS if row.messages(_rule(cucm1, **bad).rules[0])}
    assert fired == set(rows)


def test_fips_table_refuses_psk_and_weak_groups(cucm1) -> None:
    fips = with_table("12.x-fips")
    assert fips.unsupported(cucm1) == []  # AES 256 / SHA256 / DH 14 certificates: FIPS-clean
    assert any("no pre-shared keys" in r for r in fips.unsupported(_rule(cucm1, auth=(KEY,))))
    legacy = plan(loads(demo_text(), "demo.yaml"), "legacy").end("cucm-1")
    assert FORMAT.unsupported(legacy) == []
    assert any("Phase One DH 2" in r for r in fips.unsupported(legacy))
    text = fips.render(cucm1, CTX)
    assert "# value table: 12.x-fips" in text and "Preshared Key |" not in text
    assert FORMAT.parse(text).format_facts.value_table == "12.x-fips"


def test_owner_spanning_lines_is_refused(cucm1) -> None:
    assert any("spans lines" in r
               for r in FORMAT.unsupported(cucm1.model_copy(update={"owner": "a\nPolicy Name"})))
    assert FORMAT.unsupported(cucm1.model_copy(update={"owner": "cucm-sub1"})) == []


def test_with_table_rejects_unknown_keys() -> None:
    with pytest.raises(UserError, match=r"12\.x-fips"):
        with_table("13.x")


def test_default_table_is_the_planner_capability() -> None:
    cap, t = CAPABILITIES["cucm"], TABLES["12.x"]
    assert (cap.ike_encr, cap.ike_integ, cap.esp_encr) == (
        frozenset(t.encryption), frozenset(t.hashes), frozenset(t.esp))
    assert (cap.groups, cap.pfs_groups) == (frozenset(t.phase1_dh), frozenset(t.phase2_dh))
    assert cap.ike == {1: frozenset(t.auth)} and cap.esp_integ_follows_ike


# ------------------------------------------------------------------ keys


def _psk_end(end: EndPolicy) -> EndPolicy:
    auth = (Auth(method="psk", psk=Secret(ref="env:CCSEC_LAB_PSK")),)
    return end.model_copy(update={"rules": tuple(r.model_copy(update={"auth": auth})
                                                 for r in end.rules)})


def test_psk_appears_once_per_policy_and_never_in_notes(demo_ps) -> None:
    end = _psk_end(demo_ps.end("cucm-1"))
    ctx = lab_context(demo_ps)
    text = FORMAT.render(end, ctx)
    assert text.count(LAB_PSK) == len(end.rules)
    assert all(b["Preshared Key"] == LAB_PSK and b["Certificate Name"] == "" and
               b["Peer Type"] == "" and b["Authentication Method"] == "Preshared Key"
               for b in _blocks(text))
    assert "pre-shared keys in clear" in text
    parsed = FORMAT.parse(text)
    assert parsed.policies == [FORMAT.project(end, ctx)]
    assert all(LAB_PSK not in n.message for n in parsed.notes)
    assert LAB_PSK not in repr(parsed.policies) and LAB_PSK not in repr(parsed.format_facts)


def test_psk_charset_is_checked_once_the_key_is_resolved(demo_ps) -> None:
    end = _psk_end(demo_ps.end("cucm-1"))
    assert FORMAT.unsupported(end) == []  # a reference: the value is not known yet
    ctx = RenderContext("t", "test", SecretResolver(env={"CCSEC_LAB_PSK": "s3cret/with$ymbols"}))
    with pytest.raises(UnsupportedError) as exc:
        FORMAT.render(end, ctx)
    assert "letters, digits and hyphens" in str(exc.value)
    assert "s3cret" not in str(exc.value)


def test_a_bad_key_in_a_sheet_is_a_warning_without_the_key() -> None:
    text = CERT_SHEET + PSK_SHEET.replace("<psk: letters, digits, hyphens only>", "bad key$9")
    parsed = FORMAT.parse(text)
    assert parsed.policies[0].rules[1].auth[0].psk == literal("bad key$9")
    notes = [n for n in parsed.notes if "does not accept" in n.message]
    assert len(notes) == 1 and notes[0].line == 28
    assert all("bad key" not in n.message for n in parsed.notes)


def test_show_output_of_a_psk_under_fips_is_noted() -> None:
    parsed = FORMAT.parse("# release: 14SU2  FIPS mode: yes\n" + SHOW_GEN2)
    assert parsed.format_facts.value_table == "12.x-fips"
    assert any("FIPS mode has certificates only" in n.message for n in parsed.notes)


# ------------------------------------------------------------------ hand-filled sheets


def test_hand_filled_variants() -> None:
    text = (CERT_SHEET.replace("Policy Name  ", "POLICY NAME  ")
            .replace("Enable Policy         : [x]", "enable policy : [ ]")
            .replace("Destination Port      : Any", "Destination Port      :")
            .replace("Protocol              : Any", "Protocol : udp")
            .replace("Remote Port           : Any", "Remote Port : 5060")
            .replace("Phase One DH          : 14", "Phase One DH : 1"))
    parsed = FORMAT.parse(text, "hand.txt")
    (r,) = parsed.policies[0].rules
    assert not r.enabled and r.filters[0].protocol == 17 and r.filters[0].remote_port == 5060
    assert r.ike.proposals[0].group == 1
    warnings = {n.line: n.message for n in parsed.notes if n.severity == "warning"}
    assert "Phase One DH 1 is not on the 12.x page" in warnings[21]
    assert "not ticked" in warnings[24]


def test_release_lines_select_tables() -> None:
    gen2 = FORMAT.parse(CERT_SHEET.replace("12.5(1)SU5", "10.5(2)"))
    assert gen2.format_facts.value_table == "gen2"
    assert any("AES 256 is not on the gen2 page" in n.message for n in gen2.notes)
    old_fips = FORMAT.parse(CERT_SHEET.replace("12.5(1)SU5   FIPS mode: no",
                                               "10.5(2)  FIPS mode: yes"))
    assert any("no FIPS value list" in n.message for n in old_fips.notes)
    unknown = FORMAT.parse("# value table: 99\n" + CERT_SHEET)
    assert unknown.format_facts.value_table == "12.x"
    assert any(n.line == 1 and "unknown value table" in n.message for n in unknown.notes)


def test_gen2_table_renders_the_gen2_labels() -> None:
    legacy = plan(loads(demo_text(), "demo.yaml"), "legacy").end("cucm-1")
    gen2 = with_table("gen2")
    psk = _rule(legacy, auth=(KEY,))
    text = gen2.render(psk, CTX)
    assert "Authentication Method : Pre-shared Key" in text
    parsed = FORMAT.parse(text)
    assert parsed.format_facts.value_table == "gen2"
    assert parsed.policies == [gen2.project(psk, CTX)]


@pytest.mark.parametrize(("text", "line", "needle"), [
    (CERT_SHEET.replace("Mode                  : Transport", "Mode Transport"), 14,
     "Label : value"),
    (CERT_SHEET.replace("Policy Name           : sub1-to-pg1a\n", ""), 4, "Policy Name is missing"),
    (CERT_SHEET.replace("UCCE-PG1", "UCCE_PG1"), 4, "letters, digits and hyphens"),
    (CERT_SHEET.replace(": 10.10.40.11", ": pg1a.example.com"), 10, "FQDN"),
    (CERT_SHEET.replace(": 28800", ": eight hours"), 20, "seconds"),
    (CERT_SHEET.replace(": [x]", ": maybe"), 24, "[x] or [ ]"),
    (CERT_SHEET.replace(": Transport", ": Tube"), 14, "use Transport"),
    (CERT_SHEET.replace("Source Port           : Any", "Source Port : 70000"), 13, "1-65535"),
    (CERT_SHEET.replace("Authentication Method : Certificate\n", "")
     .replace(": pg1a.pem", ":"), 4, "Authentication Method is missing"),
    ("# only comments\n", None, "no IPsec policy"),
])
def test_structural_errors_name_file_line_and_fix(text: str, line: int | None,
                                                  needle: str) -> None:
    with pytest.raises(ParseError) as exc:
        FORMAT.parse(text, "sheet.txt")
    message = str(exc.value)
    assert needle in message and "fix:" in message
    assert message.startswith(f"sheet.txt:{line}:" if line else "sheet.txt:")


def test_description_cannot_inject(cucm1) -> None:
    evil = "x\nPolicy Name : evil\nDestination Address : 6.6.6.6\n# ccsec-rule \"y\""
    end = _rule(cucm1, description=evil).model_copy(update={"description": evil})
    (parsed,) = FORMAT.parse(FORMAT.render(end, CTX)).policies
    assert [r.name for r in parsed.rules] == ["p8-pg1-a-cucm-1"]
    assert parsed.rules[0].description == evil and parsed.description == evil


def test_duplicate_policies_keep_the_first() -> None:
    parsed = FORMAT.parse(CERT_SHEET + CERT_SHEET.replace("10.10.40.11", "10.10.40.99"))
    (r,) = parsed.policies[0].rules
    assert str(r.peer_address) == "10.10.40.11"
    assert any("appears twice" in n.message for n in parsed.notes)


def test_certificate_names() -> None:
    peer = IPv4Address("10.0.0.9")
    assert cert_name(None, peer) == "10.0.0.9.pem"
    assert cert_name(Identity(kind="dn", value="CN=pg 1, O=Acme"), peer) == "pg_1.pem"
    assert cert_name(Identity(kind="fqdn", value="pg1.example"), peer) == "pg1.example.pem"
    assert cert_identity("10.0.0.9.pem") == Identity(kind="address", value="10.0.0.9")
    assert cert_identity("CN=pg1") == Identity(kind="dn", value="CN=pg1")
    assert cert_identity(".pem") == Identity(kind="dn", value="CN=.pem")
    assert cert_identity("pg1.example.pem") == Identity(kind="dn", value="CN=pg1.example")
    assert cert_identity('a"b.pem') is None


# ------------------------------------------------------------------ properties


@given(data=st.data())
def test_roundtrip_with_protocols_and_ports(data: st.DataObject) -> None:
    """Policies the page can carry, TCP/UDP ports included: ESP integrity and protocol repaired."""
    end = data.draw(end_policies(KNOBS_PORTS))
    rules = []
    for r in end.rules:
        f = r.filters[0]
        if f.protocol not in (None, 6, 17):
            f = f.model_copy(update={"protocol": None, "local_port": None, "remote_port": None})
        esp = r.esp[0].model_copy(update={"integrity": r.ike.proposals[0].integrity})
        rules.append(r.model_copy(update={"filters": (f,), "esp": (esp,)}))
    end = end.model_copy(update={"rules": tuple(rules)})
    assert FORMAT.unsupported(end) == []
    assert_same(FORMAT.parse(FORMAT.render(end, CTX)).policies, [FORMAT.project(end, CTX)])


@given(st.text(max_size=400))
def test_arbitrary_text_only_raises_parse_error(text: str) -> None:
    with contextlib.suppress(ParseError):
        FORMAT.parse(text, "fuzz.txt")


_LABEL_TEXT = sorted({label for _, label in FIELDS} | {"PolicyGroup", "PolicyName", "PSK", "AH",
                                                      "Type", "Status", "Phase 1 DH Value"})
_VALUES = st.one_of(st.sampled_from(["", "Any", "null", "[x]", "AES 256", "sha1", "14", "3600",
                                     "10.0.0.1", "psk", "Certificate", "UCCE-PG1", "x.pem",
                                     "transport", "..."]),
                    st.text(max_size=12))


@given(st.lists(st.one_of(
    st.tuples(st.sampled_from(_LABEL_TEXT), _VALUES).map(lambda t: f"{t[0]} : {t[1]}"),
    st.sampled_from(["...", "# value table: gen2", "# release: 14 FIPS mode: yes",
                     "admin:show ipsec information A b", "# ccsec-rule \"d\"", ""]),
), max_size=40))
def test_field_soup_only_raises_parse_error(lines: list[str]) -> None:
    with contextlib.suppress(ParseError):
        FORMAT.parse("\n".join(lines), "soup.txt")


def test_every_label_maps_to_a_field() -> None:
    keys = {key for key, _ in FIELDS}
    assert set(LABELS.values()) - keys <= {"src_type", "dst_type", "src_cert", "ah"}
