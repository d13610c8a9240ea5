"""80-column terminals, progress and the smaller things a new user trips over (issue 16,
items 8 and 9)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ccsec import api
from ccsec.ports import matrix
from conftest import run_on_pty

ROOT = Path(__file__).resolve().parents[2]
#: every end address the demo's paths print
ADDRESSES = sorted({str(e.address) for p in api.paths(api.load("demo")) for e in p.ends})


@pytest.fixture
def narrow(monkeypatch: pytest.MonkeyPatch) -> None:
    """An 80-column terminal, as rich and ccsec see one."""
    monkeypatch.setenv("COLUMNS", "80")


@pytest.mark.parametrize("args", [["paths", "demo"], ["plan", "demo"], ["rules"]])
def test_tables_fit_80_columns_and_never_cut_an_address(cli, narrow, args) -> None:
    res = cli(*args)
    assert res.code == 0, res.err
    lines = res.out.splitlines()
    assert max(len(line) for line in lines) <= 80, max(lines, key=len)
    assert "…" not in res.out  # nothing ellipsised
    if args[0] == "paths":
        for addr in ADDRESSES:
            assert addr in res.out, addr
        assert all(pid in res.out for pid in ("p3-rgr-a-rgr-b-priv", "t-dc-east-pg-osaka"))


OPS = ROOT / "tests" / "ops" / "fixtures"
#: every listener address the demo's port table prints (each a whole token)
PORT_ADDRESSES = sorted({a for e in matrix(api.load("demo"), 0, False, {})
                         for a in e.listener_address.replace("↔", " ").split()})


@pytest.mark.parametrize("args", [
    ["ports", "demo"],
    ["phones", str(OPS / "phones" / "bat-export-constructed.csv")],
    ["posture", str(OPS / "posture" / "awhds9-bad-constructed.json")],
    ["logs", str(OPS / "charon" / "real" / "v2-ike-proposal-mismatch" / "a-filelog.log")],
    ["perf", "judge", str(OPS / "perf" / "logman-healthy-de-de.csv")],
], ids=lambda a: a[0] if a[0] != "perf" else "perf judge")
def test_the_operations_tables_fit_80_columns_too(cli, narrow, args) -> None:
    """ports/phones/posture/logs/perf tables: rich's own shrinking split addresses and ids
    across lines (``10.1.1.`` / ``10``); now they fit, whole."""
    res = cli(*args)
    assert res.code in (0, 1), res.err
    lines = res.out.splitlines()
    assert max(len(line) for line in lines) <= 80, max(lines, key=len)
    assert "…" not in res.out
    if args[0] == "ports":
        for addr in PORT_ADDRESSES:
            assert addr in res.out, addr
        assert "p3-rgr-a-rgr-b-priv" in res.out
    if args[0] == "phones":
        assert "SEP001122334455" in res.out


def test_what_does_not_fit_is_named_and_wide_shows_it(cli, narrow) -> None:
    res = cli("plan", "demo")
    assert "left out to fit 80 columns" in res.out and "--wide" in res.out
    wide = cli("--wide", "plan", "demo")
    assert wide.code == 0 and "left out" not in wide.out
    for header in ("platform", "IKE proposals", "PFS"):
        assert header in wide.out


def test_audit_at_80_columns(cli, narrow, tmp_path: Path) -> None:
    assert cli("-q", "render", "demo", "-o", str(tmp_path / "o")).code == 0
    res = cli("audit", "demo", "--configs", str(tmp_path / "o"))
    assert max(len(line) for line in res.out.splitlines()) <= 80
    assert "findings: low (24 in 3 groups)" in res.out


def test_piped_tables_are_plain_columns(cli) -> None:
    out = cli("paths", "demo").out.splitlines()
    assert out[1].split() == ["id", "catalog", "auth", "end", "A", "end", "B", "NAT"]
    assert "│" not in "\n".join(out) and "p2-rgr-a-rgr-b" in out[2]


def _pty(args: list[str], cwd: Path) -> bytes:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), COLUMNS="120")
    env.pop("NO_COLOR", None)
    code, out = run_on_pty(args, env, cwd)
    assert code in (0, 1), out[-2000:]
    return out


def test_progress_on_a_terminal_for_the_long_commands(tmp_path: Path) -> None:
    """Every command that can take seconds says what it is doing (stderr, terminal only)."""
    out = _pty(["render", "demo", "-o", str(tmp_path / "o")], tmp_path)
    assert b"reading demo" in out and b"rendering" in out
    for args, stage in ((["paths", "demo"], b"deriving the paths"),
                        (["plan", "demo"], b"planning"),
                        (["audit", "demo", "--configs", str(tmp_path / "o")],
                         b"reading configurations"),
                        (["diff", "demo", "--configs", str(tmp_path / "o")],
                         b"reading configurations")):
        assert stage in _pty(args, tmp_path), args


# ------------------------------------------------------------------------ the smaller items


def test_usage_shows_names_not_python_types(cli) -> None:
    res = cli("paths")
    assert res.code == 2
    assert "ccsec paths [OPTIONS] DEPLOYMENT" in res.err and "{deployment}" not in res.err
    helptext = cli("render", "--help").out
    assert "<str>" not in helptext and "<list" not in helptext and "-o, --out DIR" in helptext
    assert "--format FORMAT" in helptext


def test_render_help_has_no_stray_indentation(cli) -> None:
    helptext = cli("render", "--help").out
    assert "  end cannot be rendered" not in helptext.replace("\n", " ")
    assert not re.search(r"\S {3,}\S", helptext.split("Options:")[0])


def test_bad_values_name_their_option(cli) -> None:
    res = cli("audit", "demo", "--configs", ".", "--fail-on", "bogus")
    assert res.code == 2 and "'--fail-on'" in res.err and "critical, high" in res.err
    res = cli("audit", "--configs", ".", "--format", "xml")
    assert res.code == 2 and "'--format'" in res.err and "Value error" not in res.err
    assert "text, json, sarif" in res.err
    res = cli("rules", "--family", "nope")
    assert res.code == 2 and "'--family'" in res.err and "crypto" in res.err


def test_verbose_prints_no_emoji(cli, tmp_path: Path) -> None:
    configs = ROOT / "tests" / "data" / "audit-brownfield" / "configs"
    res = cli("-v", "audit", "--configs", str(configs), "--json")
    assert "💯" not in res.err and re.search(r":\d+: ", res.err)


def test_completion_offers_option_values() -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), _CCSEC_COMPLETE="complete_bash",
               COMP_WORDS="ccsec render demo --format ", COMP_CWORD="4")
    out = subprocess.run([sys.executable, "-m", "ccsec"], env=env, capture_output=True,
                         text=True, check=False, timeout=60).stdout.split()
    assert {"windows-powershell", "ios", "strongswan", "all"} <= set(out)
    env.update(COMP_WORDS="ccsec audit --fail-on h", COMP_CWORD="3")
    out = subprocess.run([sys.executable, "-m", "ccsec"], env=env, capture_output=True,
                         text=True, check=False, timeout=60).stdout.split()
    assert out == ["high"]
    from ccsec.cli.complete import complete_family, complete_rule_id

    assert "crypto" in complete_family("cr")
    assert "IPSEC-DH-002" in complete_rule_id("ipsec-dh")
