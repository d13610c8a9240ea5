"""Hostile input to every reader: findings or a clean error, in bounded time — each case a
reproducer from issue 15 (the crash or hang it once caused is named in its comment)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ccsec.audit.engine import run_audit
from ccsec.audit.inventory import IMPORTERS, _ends
from ccsec.errors import ParseError, UserError
from ccsec.formats import registry
from conftest import ROOT

GOLDEN = ROOT / "tests" / "golden"
FIXTURES = ROOT / "tests" / "ops" / "fixtures"
#: one ccsec-written file per format that carries a ccsec-meta header
META_FILES = {
    "ios": GOLDEN / "ios" / "demo" / "rtr-east" / "ios.cfg",
    "strongswan": next((GOLDEN / "strongswan").rglob("swanctl.conf")),
    "windows-powershell": GOLDEN / "windows-powershell" / "demo" / "rgr-a" / "ipsec.ps1",
    "windows-netsh": GOLDEN / "windows-netsh" / "demo-legacy" / "rgr-a" / "ipsec.netsh",
    "cucm": next((GOLDEN / "cucm" / "demo" / "cucm-1").iterdir()),
}


def clean(fn: Callable[[], object], seconds: float = 5.0) -> str | None:
    """Run ``fn``: it returns or raises a UserError (whose message it returns), fast."""
    start = time.perf_counter()
    try:
        fn()
        message = None
    except UserError as exc:
        message = str(exc)
        assert "\n" not in message.strip() or all(
            line.strip() for line in message.splitlines())
    took = time.perf_counter() - start
    assert took < seconds, f"took {took:.1f} s"
    return message


# ------------------------------------------------------------------- ccsec-meta


@pytest.mark.parametrize("fmt", sorted(META_FILES))
@pytest.mark.parametrize("meta", [
    '{"name": "a b"}',  # was a ValidationError traceback in all five formats
    '{"name": ' + "9" * 5000 + "}",  # was ValueError (int conversion limit)
    '{"name": "ok", "owner": "x\\u001b[31m\\u0000"}',
    '{"name": "ok", "platform": "' + "p" * 500 + '"}',
    '[' * 1000,
])
def test_a_hostile_meta_header_is_ignored(fmt: str, meta: str) -> None:
    text = META_FILES[fmt].read_text(encoding="utf-8")
    line = next(ln for ln in text.splitlines() if "ccsec-meta:" in ln)
    hostile = text.replace(line, line[:line.index("ccsec-meta:")] + "ccsec-meta: " + meta)
    parsed = registry.reader(fmt).parse(hostile, "f")
    assert parsed.policies, "the rest of the file is still read"
    assert all(p.name != "a b" and (p.owner or "").isprintable() for p in parsed.policies)


# ------------------------------------------------------------- swanctl include


@pytest.mark.parametrize("line", [
    "include", "include ", "include **", "include " + "a" * 300, "include conf.d",
    "include /dev/zero", "include ../outside.conf", "include /etc/passwd",
    "include *.conf", "include swanctl.conf", "include " + "*/" * 50 + "x",
])
@pytest.mark.parametrize("newline", ["\n", ""])  # as the last line without a newline too
def test_swanctl_include_variants(line: str, newline: str, tmp_path: Path) -> None:
    """Were ValueError/OSError/IsADirectoryError/IndexError, a MemoryError on /dev/zero, and
    the content of files outside the audited directory in findings."""
    root = tmp_path / "configs"
    (root / "conf.d").mkdir(parents=True)
    (tmp_path / "outside.conf").write_text("connections {\n SECRET-LINE-OUTSIDE {\n}\n")
    path = root / "swanctl.conf"
    path.write_text("connections {\n}\n" + line + newline, encoding="utf-8")
    from ccsec.audit.pipeline import run
    from ccsec.formats.strongswan.include import confined

    with confined([root]):
        clean(lambda: registry.reader("strongswan").parse(path.read_text(), str(path)))
    result = clean(lambda: run(root))
    if line.strip() == "include":
        # charon refuses the file (no pattern): the only file is unreadable, so the audit
        # read nothing — a clean input error that says where and why, not a silent pass
        # (or, with a space after it, an include of nothing: a note)
        assert result is None or ("swanctl.conf:3" in result and "'include'" in result)
        return
    assert result is None
    blob = json.dumps([f.to_json() for f in run(root).findings])
    for foreign in ("root:x:0:0", "SECRET-LINE-OUTSIDE"):
        assert foreign not in blob


def test_ipsec_conf_huge_lifetime() -> None:
    """Was OverflowError (``ikelifetime=1e999s``)."""
    text = ("conn a\n  left=10.1.1.1\n  right=10.2.2.2\n  authby=secret\n  auto=route\n"
            "  ikelifetime=1e999s\n  lifetime=nan\n  rightprotoport=tcp/99999\n")
    clean(lambda: registry.reader("ipsec-conf").parse(text, "f"))


def test_ipsec_conf_long_also_chain_and_many_secrets() -> None:
    """A chain of 3,000 ``also=`` was a RecursionError (and quadratic before it); every conn
    scanned every ipsec.secrets entry, and the default proposal's 45 combinations were
    de-duplicated by a list scan per conn."""
    n = 3000
    conf = "".join(f"conn c{i}\n" + (f"  also=c{i - 1}\n" if i else "") +  # own keys win
                   f"  left=10.0.{i // 250}.{i % 250 + 1}\n  right=10.9.0.1\n"
                   "  authby=secret\n  auto=route\n" for i in range(n))
    secrets = "".join(f"10.0.{i // 250}.{i % 250 + 1} : PSK \"k{i}\"\n" for i in range(n))
    from ccsec.formats.strongswan.ipsec_conf import FORMAT

    start = time.perf_counter()
    parsed = FORMAT.parse(conf, "f", secrets=secrets)
    assert time.perf_counter() - start < 10
    rules = parsed.policies[0].rules
    assert len(rules) == n and rules[7].auth[0].psk is not None
    assert rules[7].auth[0].psk.reveal() == "k7"
    loop = FORMAT.parse("conn a\n  also=b\n  left=1.1.1.1\n  right=2.2.2.2\n  auto=route\n"
                        "conn b\n  also=a\n", "f")
    assert any("loops" in n.message for n in loop.notes)


_NETS = ",".join(f"10.{i // 250}.{i % 250}.0/24" for i in range(1000))
_ALGS = "-".join(["aes128", "aes192", "aes256", "3des"] * 6
                 + ["sha1", "sha256", "sha384", "sha512", "md5"] * 4
                 + ["modp2048", "modp3072", "ecp256", "ecp384", "curve25519"] * 8)


@pytest.mark.parametrize(("fmt", "text"), [
    ("ipsec-conf", f"conn a\n  left=1.1.1.1\n  right=2.2.2.2\n  auto=route\n"
                   f"  leftsubnet={_NETS}\n  rightsubnet={_NETS.replace('10.', '11.')}\n"),
    ("ipsec-conf", f"conn a\n  left=1.1.1.1\n  right=2.2.2.2\n  auto=route\n  ike={_ALGS}!\n"),
    ("strongswan", "connections {\n a {\n  remote_addrs = 2.2.2.2\n  children {\n   a {\n"
                   f"    local_ts = {_NETS}\n    remote_ts = {_NETS.replace('10.', '11.')}\n"
                   "   }\n  }\n }\n}\n"),
    ("strongswan", "connections {\n a {\n  remote_addrs = 2.2.2.2\n"
                   f"  proposals = {_ALGS}\n  children {{\n   a {{\n    local_ts = 10.0.0.0/8\n"
                   "    remote_ts = 11.0.0.0/8\n   }\n  }\n }\n}\n"),
    ("windows-powershell", "New-NetIPsecRule -DisplayName a -LocalAddress "
                           + ",".join(f"10.0.{i // 250}.{i % 250}" for i in range(1000))
                           + " -RemoteAddress "
                           + ",".join(f"11.0.{i // 250}.{i % 250}" for i in range(1000)) + "\n"),
])
def test_products_of_lists_are_bounded(fmt: str, text: str) -> None:
    """1,000 × 1,000 selectors (a million filters) or a proposal of 24 × 20 × 40 algorithms:
    refused for that rule before the product is built, not expanded."""
    clean(lambda: registry.reader(fmt).parse(text, "f"), seconds=3)


def _netsh_shared_list(filters: int, rules: int) -> str:
    head = ['ipsec static add policy name="P" mmsecmethods="3DES-SHA1-2"',
            'ipsec static add filterlist name="L"']
    head += [f'ipsec static add filter filterlist="L" srcaddr=10.1.{i // 250}.{i % 250 + 1} '
             "srcmask=32 dstaddr=10.2.0.1 dstmask=32 protocol=ANY mirrored=yes"
             for i in range(filters)]
    head.append('ipsec static add filteraction name="A" action=negotiate '
                'qmsecmethods="ESP[3DES,SHA1]:100000k/3600s"')
    head += [f'ipsec static add rule name="R{i}" policy="P" filterlist="L" filteraction="A" '
             "kerberos=yes" for i in range(rules)]
    return "\n".join(head) + "\n"


def test_rules_sharing_a_filter_list_are_bounded() -> None:
    """500 rules × one list of 1,000 filters: half a million filters from 60 KB of netsh."""
    text = _netsh_shared_list(1000, 500)
    message = clean(lambda: registry.reader("windows-netsh").parse(text, "f"), seconds=5)
    assert message is not None and "200,000 filters in one file" in message
    assert registry.reader("windows-netsh").parse(_netsh_shared_list(100, 20), "f").policies


def test_powershell_list_doubling() -> None:
    """``$b = @($a, $a)`` per line doubled a list each line: 26 lines took 20 s (2^26 values),
    30 would take minutes and gigabytes."""
    lines = ["$v0 = @(1,1)"] + [f"$v{i} = @($v{i - 1}, $v{i - 1})" for i in range(1, 40)]
    text = "\n".join([*lines, "New-NetIPsecRule -DisplayName a"])
    message = clean(lambda: registry.reader("windows-powershell").parse(text, "f"), seconds=3)
    assert message is not None and "more than 100,000 values" in message


def test_powershell_chain_of_casts() -> None:
    """Was RecursionError: a chain of thousands of casts."""
    text = "$x = " + "[int]" * 5000 + "1\nNew-NetIPsecRule -DisplayName a\n"
    clean(lambda: registry.reader("windows-powershell").parse(text, "f"))


# ------------------------------------------------------------------------- IOS


def test_ios_placeholder_pattern_is_linear() -> None:
    """Was 19.5 s for 150 KB: ``{{[^}]*}}`` backtracked quadratically."""
    text = "crypto isakmp policy 10\n x" + "{" * 150_000
    clean(lambda: registry.reader("ios").parse(text, "f"), seconds=3)


def test_ios_thousands_of_equal_map_entries() -> None:
    """Quadratic naming and pairing of thousands of identical entries (found by fuzzing)."""
    entry = ("crypto map M {n} ipsec-isakmp\n set peer 198.51.100.9\n"
             " set transform-set T\n match address ACL\n")
    text = ("crypto ipsec transform-set T esp-aes 256 esp-sha256-hmac\n"
            + "".join(entry.format(n=n) for n in range(1, 3000))
            + "ip access-list extended ACL\n permit ip 10.1.0.0 0.0.255.255 any\n"
            + "interface Gi0/0\n ip address 198.51.100.1 255.255.255.0\n crypto map M\n")

    def audit() -> None:
        parsed = IMPORTERS["ios"](text, "f.cfg")
        run_audit(_ends(parsed, "f.cfg", "ios"))

    clean(audit, seconds=20)


# ------------------------------------------------------------------------ logs


@pytest.mark.parametrize("text", [
    "[" * 100_000,  # was RecursionError
    '[{"Id": ' + "9" * 5000 + ', "Message": "x"}]',  # was ValueError
    '"Id","Message","TimeCreated"\n"①","x","1/1/2020"\n',  # isdigit() true, int() fails
    '[{"Id": 4653, "Message": "x", "TimeCreated": "/Date(' + "9" * 400 + ')/"}]',
    "Nov 22 05:24:56 gw charon: 09[NET] sending packet: from 1.1.1.1[500] to 2.2.2.2["
    + "9" * 5000 + "] (100 bytes)\n",
    "<Events><Event><System><EventID>" + "9" * 5000 + "</EventID></System></Event></Events>",
    "Nov 22 05:24:56 gw charon: 09[IKE] [/IKE] \x1b[2J received packet\n",
])
def test_hostile_logs(text: str) -> None:
    from ccsec.monitor.logs import parse_text
    from ccsec.monitor.logs.diagnose import diagnose, negotiations, timelines

    def read() -> None:
        negs = negotiations([parse_text(text, "f")])
        diagnose(negs)
        timelines(negs)

    clean(read)


def test_logs_cli_shows_hostile_text_safely(cli, tmp_path: Path) -> None:
    log = tmp_path / "charon.log"
    log.write_text("Nov 22 05:24:56 gw charon: 16[IKE] <t[/x]|1> initiating IKE_SA t[1] to "
                   "10.2.2.2\x1b[2J\n", encoding="utf-8")
    res = cli("logs", str(log))
    assert res.code in (0, 1) and "Traceback" not in res.err
    assert "\x1b" not in res.out


# ------------------------------------------------------------------------ perf


PERF_HEAD = '"(PDH-CSV 4.0) (UTC)(0)","\\\\H\\System\\Processor Queue Length"\n'


@pytest.mark.parametrize("text", [
    '"(PDH-CSV 4.0) (UTC)(' + "9" * 5000 + ')","\\\\H\\System\\Processor Queue Length"\n',
    PERF_HEAD + '"03/14/2025 09:00:00.118","' + "1" * 140_000 + '"\n',  # _csv.Error
    PERF_HEAD + '"03/14/2025 09:00:00.118","1e999"\n"03/14/2025 09:00:01.118","nan"\n',
])
def test_hostile_perf(text: str) -> None:
    from ccsec.monitor.judge import judge
    from ccsec.monitor.perf import parse_csv, stats

    def read() -> None:
        data = parse_csv(text, "f")
        [stats(s) for s in data.series]
        judge(data, 2)

    clean(read)


def _perf_csv(tmp_path: Path, counters: list[str]) -> Path:
    head = '"(PDH-CSV 4.0) (UTC)(0)",' + ",".join(f'"\\\\H{c}"' for c in counters)
    rows = [head] + [f'"03/14/2025 09:00:{s:02d}.000",' + ",".join(f'"{s + i}"' for i in
                                                                    range(len(counters)))
                     for s in range(10)]
    path = tmp_path / "perf.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


COUNTERS = ["\\Processor(_Total)\\% Processor Time", "\\Memory\\Available MBytes",
            "\\LogicalDisk(C:)\\% Free Space", "\\Cache\\Data Map Hits %",
            "\\IPsec $x^2$ Weird\\Counter $a_b$ ^ $"]


def test_perf_plots_draw_hostile_counter_names(cli, tmp_path: Path) -> None:
    """Was a matplotlib ValueError after four PNGs were already written."""
    out = tmp_path / "plots"
    res = cli("perf", "judge", str(_perf_csv(tmp_path, COUNTERS)), "-o", str(out))
    assert res.code in (0, 1), res.err
    assert sorted(p.name for p in out.iterdir()) == ["cache.png", "disk.png", "ipsec.png",
                                                      "memory.png", "processor.png"]


def test_a_failing_plot_writes_nothing(cli, tmp_path: Path, monkeypatch) -> None:
    from ccsec.monitor import plot

    real = plot._panel

    def panel(ax, s, cpus):  # type: ignore[no-untyped-def]
        if "Weird" in s.column.label:
            raise ValueError("cannot place this value")
        real(ax, s, cpus)

    monkeypatch.setattr(plot, "_panel", panel)
    out = tmp_path / "plots"
    res = cli("perf", "judge", str(_perf_csv(tmp_path, COUNTERS)), "-o", str(out))
    assert res.code == 2 and "cannot plot the ipsec counters" in res.err
    assert not out.exists() or not any(out.iterdir()), "nothing half-written"


# ------------------------------------------------------------ posture / phones


def _collector() -> dict[str, object]:
    doc: dict[str, object] = json.loads(
        (FIXTURES / "posture" / "pg1a-good-constructed.json").read_text(encoding="utf-8"))
    return doc


@pytest.mark.parametrize("mutate", [
    lambda d: d["defender"]["preference"].update({"ScanScheduleTime": "²"}),  # was a crash
    lambda d: d["defender"]["preference"].update({"ScanScheduleTime": "9" * 5000}),
    lambda d: d.update({"hotfixes": [{"HotFixID": "KB1", "InstalledOn": "9" * 500}]}),
    lambda d: d["host"].update({"ComputerName": "x\x1b[31m[/b]"}),
])
def test_hostile_posture_values(mutate: Callable[[dict], None], cli, tmp_path: Path) -> None:
    doc = _collector()
    mutate(doc)
    path = tmp_path / "ccsec-h.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    res = cli("posture", str(path))
    assert res.code in (0, 1, 2) and "Traceback" not in res.err, res.err
    assert "\x1b" not in res.out


def test_deep_posture_json(cli, tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000, encoding="utf-8")
    res = cli("posture", str(path))
    assert res.code == 2 and "nested too deeply" in res.err


@pytest.mark.parametrize("cell", ["①", "9" * 5000, "\x1b[2J", "[/x]"])
def test_hostile_phone_cells(cell: str, cli, tmp_path: Path) -> None:
    path = tmp_path / "phones.csv"
    path.write_text(f"DEVICE NAME,DEVICE TYPE,PC PORT\nSEP1{cell},Cisco 7960,{cell}\n",
                    encoding="utf-8")
    res = cli("phones", str(path))
    assert res.code in (0, 1, 2) and "Traceback" not in res.err
    assert "\x1b" not in res.out + res.err


# --------------------------------------------------------------- size and kind


@pytest.mark.parametrize("command", [("logs",), ("perf", "judge"), ("posture",), ("phones",)])
def test_inputs_that_are_not_regular_files(command: tuple[str, ...], cli, tmp_path: Path,
                                           monkeypatch) -> None:
    for path, message in ((Path("/dev/zero"), "not a regular file"),
                          (tmp_path, "is a directory")):
        start = time.perf_counter()
        res = cli(*command, str(path))
        assert res.code == 2 and message in res.err, res.err
        assert time.perf_counter() - start < 5
    big = tmp_path / "big.log"
    with open(big, "wb") as fh:
        fh.truncate(3 * 1024 * 1024)
    monkeypatch.setenv("CCSEC_MAX_FILE_MB", "2")
    res = cli(*command, str(big))
    assert res.code == 2 and "over the limit of 2 MiB" in res.err


def test_parse_errors_carry_their_file() -> None:
    with pytest.raises(ParseError) as exc:
        from ccsec.monitor.logs import parse_text

        parse_text("{" * 10, "the.log")
    assert exc.value.problems[0].file == "the.log"


def test_swanctl_secret_id_with_control_characters_is_a_note() -> None:
    """Found by ``make fuzz`` (kept in tests/fuzz/crashes/strongswan/): an ``id`` of a secret
    holding a control character raised the model's ValidationError out of the reader."""
    text = ("connections {\n a {\n  remote_addrs = 1.2.3.4\n  local { auth = psk }\n"
            "  remote { auth = psk }\n  children { c { remote_ts = 10.0.0.0/8 } }\n }\n}\n"
            "secrets {\n ike-1 {\n  id = \"gw\x07bad\"\n  secret = abc\n }\n}\n")
    parsed = registry.reader("strongswan").parse(text, "x.conf")
    assert any("ike-1: id:" in n.message and n.line == 11 for n in parsed.notes), parsed.notes
    assert "\x07" not in " ".join(n.message for n in parsed.notes)


@pytest.mark.parametrize("value", ["1" * 15_000, "[" * 100_000])
def test_a_json_comment_that_is_no_string_is_ignored(value: str) -> None:
    """Found by ``make fuzz`` in a CUCM sheet's comment (kept in tests/fuzz/crashes/cucm/):
    a huge number (ValueError) or deep nesting (RecursionError) escaped unjson_comment."""
    from ccsec.formats.base import unjson_comment

    assert unjson_comment(value) is None
    assert unjson_comment('"a b"') == "a b"
