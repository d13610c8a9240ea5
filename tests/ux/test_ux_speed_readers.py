"""The CUCM reader's fast ways give the same answers as the long ways (issue 16, speed goal):
policies, notes, locations, facts and errors with their lines, on the golden sheets, on the
1,000-site shape, on generated sheets and on edge cases.  ``values.FAST = False`` takes the
long ways (the scan that runs every line through every test, networks printed and re-read,
``IPv4Address`` tried on every certificate name, one proposal model per rule)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccsec.errors import UserError
from ccsec.formats.cucm import values
from ccsec.formats.cucm.render import FORMAT, with_table

ROOT = Path(__file__).resolve().parents[2]
GOLDEN_CUCM = sorted((ROOT / "tests" / "golden" / "cucm").rglob("*.txt"))


@contextmanager
def _fast(on: bool) -> Iterator[None]:
    values.FAST = on
    try:
        yield
    finally:
        values.FAST = True


def _read(text: str, table: str | None = None) -> object:
    """Everything the reader says of ``text``: the parsed result, or the error and its line."""
    fmt = with_table(table) if table else FORMAT
    try:
        p = fmt.parse(text, "node/cucm-ipsec.txt")
    except UserError as exc:
        return type(exc).__name__, [(x.message, x.file, x.line, x.field, x.fix)
                                    for x in exc.problems]
    except Exception as exc:  # a crash must at least be the same crash
        return type(exc).__name__, str(exc)
    return ([q.model_dump_json() for q in p.policies], p.policies, p.notes, p.locations,
            p.facts, p.format_facts, p.source, p.format)


def _same(text: str, table: str | None = None) -> object:
    with _fast(False):
        long = _read(text, table)
    with _fast(True):
        fast = _read(text, table)
    assert fast == long
    return fast


def test_flag_selects_the_long_way(monkeypatch: pytest.MonkeyPatch) -> None:
    """The long way is really taken with the flag off (else the comparisons prove nothing)."""
    from ccsec.formats.cucm import scan
    called: list[str] = []
    long = scan._scan_long

    def spy(*args: object) -> object:
        called.append("long")
        return long(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(scan, "_scan_long", spy)
    with _fast(False):
        FORMAT.parse(GOLDEN_CUCM[0].read_text(), "x")
    with _fast(True):
        FORMAT.parse(GOLDEN_CUCM[0].read_text(), "x")
    assert called == ["long"]


@pytest.mark.parametrize("path", GOLDEN_CUCM, ids=lambda p: str(p.relative_to(ROOT)))
def test_golden_sheets(path: Path) -> None:
    result = _same(path.read_text())
    assert isinstance(result, tuple) and result[1], "a golden sheet reads to policies"


@pytest.mark.parametrize("table", ["12.x", "12.x-fips", "gen2"])
def test_golden_sheets_against_each_table(table: str) -> None:
    for path in GOLDEN_CUCM:
        _same(path.read_text(), table)


def test_cert_identity_same_both_ways() -> None:
    names = ["10.1.2.3.pem", "10.1.2.3", "01.2.3.4.pem", "1.2.3", "1.2.3.4/32.pem",
             "\u0661.2.3.4.pem", "host.example.pem", "CN=x,O=y", "", ".pem", "a\nb.pem",
             'q"uote.pem', "1.2.3.4 .pem", "255.255.255.255.PEM", "256.1.1.1.pem", "...."]
    for name in names:
        with _fast(False):
            long = values.cert_identity(name)
        with _fast(True):
            assert values.cert_identity(name) == long, name


_BLOCK = """\
# ccsec-rule "the rule"
Policy Group Name     : grp
Policy Name           : {name}
Authentication Method : {auth}
Preshared Key         : {psk}
Peer Type             : Different
Certificate Name      : {cert}
Destination Address   : {dst}
Destination Port      : {port}
Source Address        : 10.0.0.1
Source Port           : Any
Mode                  : Transport
Remote Port           : Any
Protocol              : {proto}
Encryption Algorithm  : {encr}
Hash Algorithm        : {hash}
ESP Algorithm         : {esp}
Phase One Life Time   : 28800
Phase One DH          : {dh}
Phase Two Life Time   : 3600
Phase Two DH          : 14
Enable Policy         : [x]
"""

EDGE = [
    "",
    "# only a comment\n",
    "...\n",
    "-----\n=====\n",
    "Policy Group Name : g\nno colon here\n",
    "admin: show ipsec information g p\nPolicyGroup : g\nPolicyName : p\n",
    "admin: something else\n",
    "ADMIN: show ipsec information\n",
    "# value table: gen2\n" + _BLOCK.format(name="p", auth="Certificate", psk="", cert="x.pem",
                                            dst="10.0.0.2", port="Any", proto="Any",
                                            encr="AES 128", hash="SHA1", esp="AES 128", dh="2"),
    "# value table: nope\n" + _BLOCK.format(name="p", auth="Certificate", psk="",
                                            cert="10.0.0.2.pem", dst="10.0.0.2", port="Any",
                                            proto="Any", encr="AES 256", hash="SHA256",
                                            esp="AES 256", dh="14"),
    # the patterns' IGNORECASE and \\s: dotless i folds to i, em space and other blanks
    "# release: 12.5(1)SU5  F\u0131PS mode: yes\n#\u2003value table: 12.x-fips\n"
    "#\tnode: cucm-9\n#\u00a0enter on: other\n",
    "# RELEASE: 9\n# FIPS MODE : no\n# Enter On: n1\n# End: x\n# ESP integrity\n",
    "# release: 15  fips mode: on\n",
    "# FIPS mode: yes\n" + _BLOCK.format(name="p", auth="Pre-shared Key", psk="k-1", cert="",
                                        dst="10.0.0.2", port="Any", proto="Any",
                                        encr="AES 256", hash="SHA256", esp="AES 256", dh="14"),
    "# ccsec-rule not json\nPolicy Group Name : g\nPolicy Name : p\n",
    "# ccsec-rule \"d\"\n# ccsec-rule 12\n...\nUnknown Label : x\n",
    "Policy Group Name : g\nPolicy Name : p\nPolicy Name : q\n...\n",
    "Policy Group Name : g\nPolicy Name : bad name!\n",
    "Policy Group Name : g\nPolicy Name : p\nSource Address : host.example\n"
    "Destination Address : 10.0.0.2\n",
    _BLOCK.format(name="p", auth="Certificate", psk="", cert="CN=a,O=b", dst="10.0.0.2",
                  port="5060", proto="UDP", encr="AES 256", hash="SHA256", esp="AES 256",
                  dh="14") + _BLOCK.format(name="p", auth="Certificate", psk="",
                                           cert="CN=a,O=b", dst="10.0.0.2", port="5060",
                                           proto="UDP", encr="AES 256", hash="SHA256",
                                           esp="AES 256", dh="14"),
    _BLOCK.format(name="p", auth="Pre-shared Key", psk="abc-1", cert="x.pem", dst="10.0.0.3",
                  port="99999", proto="TCP", encr="AES 256", hash="SHA256", esp="AES 256",
                  dh="14"),
    _BLOCK.format(name="p", auth="Preshared Key", psk="<key>", cert="", dst="10.0.0.3",
                  port="Any", proto="Any", encr="3DES", hash="MD5", esp="AES 256", dh="99"),
]


@pytest.mark.parametrize("text", EDGE)
def test_edge_cases(text: str) -> None:
    _same(text)


def test_the_rendered_1000_site_shape() -> None:
    """A sheet like the 1,000-site tree's (two certificate policies) and the same sheet with
    its values varied reads alike both ways, twice in a row (the shared proposals warm)."""
    text = GOLDEN_CUCM[0].read_text()
    for _ in range(2):
        _same(text)
        _same(text.replace("AES 256", "AES 128").replace("SHA256", "SHA1"))


_WORDS = ["AES 256", "AES 128", "3DES", "AES-256-CBC", "SHA256", "SHA1", "hmac-sha256", "14",
          "2", "19", "group14", "null", "none", "", "Any", "TCP", "UDP", "17", "0", "300",
          "[x]", "[ ]", "yes", "no", "Transport", "Tunnel", "Certificate", "Pre-shared Key",
          "10.0.0.1", "10.0.0.2", "10.1.2.3.pem", "peer.pem", "CN=p", "x y", "5060", "*", "59",
          "3600 s", "\u0131", "<k>", "k-1"]
_LABELS = [label for _, label in values.FIELDS] + [
    "PolicyGroup", "PolicyName", "Type", "SourceAddress", "DestinationAddress", "Protocol",
    "AuthenticationMethod", "PSK", "EncryptionAlgorithm", "HashAlgorithm", "ESP", "AH",
    "Phase1DHValue", "Phase2DHValue", "Status", "Preshared Key", "Phase 1 Life Time",
    "Bogus Field"]
_COMMENTS = ["# value table: 12.x", "# value table: 12.x-fips", "# value table: gen2",
             "# value table: ???", "# release: 14", "# release: 12.5(1)SU5  FIPS mode: yes",
             "#FIPS mode: no", "# FIPS mode: yes", "# node: cucm-1", "# enter on: cucm-2",
             "# end: x",
             "#   Encryption Algorithm  : 3DES | AES 128", '# ccsec-rule "desc"',
             "# ccsec-rule [1]", "# ccsec-rule", "#", "# \u0131 fips", "#\u3000Node: n",
             "-----", "=== ===", "...", "admin: show ipsec information g p",
             "admin: show ipsec information", "admin: show version", "not a label line",
             "   ", ""]


@st.composite
def _sheets(draw: st.DrawFn) -> str:
    lines: list[str] = []
    for _ in range(draw(st.integers(0, 3))):
        lines.append(draw(st.sampled_from(_COMMENTS)))
    for _ in range(draw(st.integers(1, 3))):
        lines.append("Policy Group Name : " + draw(st.sampled_from(["g", "g2", "bad!"])))
        lines.append("Policy Name : " + draw(st.sampled_from(["p", "q", "r-1"])))
        for label in draw(st.lists(st.sampled_from(_LABELS), max_size=24)):
            lines.append(f"{label} : {draw(st.sampled_from(_WORDS))}")
        if draw(st.booleans()):
            lines.append(draw(st.sampled_from(_COMMENTS)))
    if draw(st.booleans()):
        i = draw(st.integers(0, len(lines)))
        lines.insert(i, draw(st.text(max_size=30)))
    return "\n".join(lines) + "\n"


@settings(max_examples=300, deadline=None)
@given(_sheets())
def test_generated_sheets(text: str) -> None:
    _same(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_COMMENTS), st.text(max_size=40)), max_size=12))
def test_generated_comment_soup(lines: list[str]) -> None:
    """Any line in any order, the meaningful comments among them, prefixed by a real sheet."""
    _same(GOLDEN_CUCM[0].read_text() + "\n".join(lines))
