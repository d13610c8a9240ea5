"""The finishing touches of the CLI: report files, init, --json everywhere, --quiet/--verbose,
colour and progress only on a terminal, NO_COLOR, completion, --version."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main

from ccsec import __version__
from ccsec.deployment import load
from ccsec.deployment.model import Role
from conftest import ROOT, run_on_pty

SGR = re.compile(rb"\x1b\[[0-9;]*m")  # colour and style escapes


def _pty(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, bytes]:
    """Run ``python -m ccsec ARGS`` on a pseudo-terminal; everything it wrote."""
    return run_on_pty(args, env, cwd)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    env["COLUMNS"] = "160"
    env.update(extra)
    return env


# ------------------------------------------------------------------------------ report


def test_report_never_overwrites_another_file(cli, tmp_path: Path) -> None:
    mine = tmp_path / "notes.html"
    mine.write_text("<html>my own notes</html>")
    res = cli("report", "demo", "-o", str(mine))
    assert res.code == 2 and "not a ccsec report" in res.err
    assert mine.read_text() == "<html>my own notes</html>"
    out = tmp_path / "r.html"
    assert cli("-q", "report", "demo", "-o", str(out)).code == 0
    first = out.stat().st_mtime_ns
    res = cli("-q", "report", "demo", "-o", str(out))  # its own report: only with --force
    assert res.code == 2 and "--force" in res.err
    assert cli("-q", "report", "demo", "-o", str(out), "--force").code == 0
    assert out.stat().st_mtime_ns >= first
    res = cli("report", "demo", "-o", str(tmp_path))
    assert res.code == 2 and "is a directory" in res.err


def test_report_missing_configs_is_a_user_error(cli, tmp_path: Path) -> None:
    res = cli("report", "demo", "--configs", str(tmp_path / "nope"), "-o",
              str(tmp_path / "r.html"))
    assert res.code == 2 and "does not exist" in res.err
    assert not (tmp_path / "r.html").exists()


# -------------------------------------------------------------------------------- init


def test_init_writes_an_annotated_starter_that_loads(cli, tmp_path: Path) -> None:
    target = tmp_path / "cc.yaml"
    res = cli("init", str(target))
    assert res.code == 0, res.err
    text = target.read_text()
    dep = load(target)
    assert dep.sites and dep.hosts
    comments = "\n".join(line for line in text.splitlines() if "#" in line)
    for role in Role:  # every role is explained in a comment
        assert role.value in comments, role
    assert cli("paths", str(target), "--json").code == 0
    target.write_text("mine")
    res = cli("init", str(target))
    assert res.code == 2 and "already exists" in res.err and target.read_text() == "mine"


# ------------------------------------------------------------------------------- --json


def _commands() -> list[tuple[str, Any]]:
    """Every leaf command of the app (typer's click objects, walked by duck typing: typer
    vendors its own click)."""
    from ccsec.cli import app

    root = typer.main.get_command(app)
    out = []

    def walk(prefix: str, cmd: Any) -> None:
        if hasattr(cmd, "commands"):
            for name, sub in cmd.commands.items():
                walk(f"{prefix} {name}".strip(), sub)
        else:
            out.append((prefix, cmd))

    walk("", root)
    return out


#: commands that print no table: a JSON document, a file, or a script for another shell
NO_TABLE = {"schema", "init", "synth"}  # these write a file or print a document, no table


def test_every_command_that_prints_a_table_has_json() -> None:
    cmds = _commands()
    assert {"report", "init", "paths", "audit", "ports", "collector windows"} <= {
        n for n, _ in cmds}
    missing = [name for name, cmd in cmds if name not in NO_TABLE
               and not any("--json" in p.opts for p in cmd.params)]
    assert missing == []


@pytest.mark.parametrize("args", [
    ["demo", "-o", "{tmp}/demo"], ["collector", "windows"], ["ports", "demo"],
    ["audit", "demo", "--configs", "{tmp}/demo"], ["report", "demo", "-o", "{tmp}/r.html"],
])
def test_json_output_is_json(cli, tmp_path: Path, args: list[str]) -> None:
    if args[0] == "audit":
        assert cli("-q", "demo", "-o", str(tmp_path / "demo")).code == 0
    res = cli(*[a.format(tmp=tmp_path) for a in args], "--json")
    assert res.code == 0, res.err
    assert isinstance(json.loads(res.out), dict)


# ------------------------------------------------------------------- quiet and verbose


def test_quiet_prints_results_only(cli, tmp_path: Path) -> None:
    loud = cli("render", "demo", "-o", str(tmp_path / "a"))
    quiet = cli("-q", "render", "demo", "-o", str(tmp_path / "b"))
    assert loud.code == quiet.code == 0
    assert "rendered into" in loud.out and "Proof levels" in loud.out
    assert "rendered into" not in quiet.out and "Proof levels" not in quiet.out
    # the best-effort format that did not fit is one line, and chatter: gone with -q
    assert loud.out.count("not rendered: windows-netsh for 5 end(s)") == 1
    assert "not rendered" not in quiet.out
    assert (tmp_path / "b" / "index.json").is_file()
    assert cli("-q", "report", "demo", "-o", str(tmp_path / "r.html")).out == ""


def test_verbose_shows_parser_notes(cli) -> None:
    configs = ROOT / "tests" / "data" / "audit-brownfield" / "configs"
    plain = cli("audit", "--configs", str(configs), "--json")
    verbose = cli("-v", "audit", "--configs", str(configs), "--json")
    assert json.loads(plain.out) == json.loads(verbose.out)  # stdout stays the same JSON
    assert "not read" not in plain.err
    assert "running-config.txt:" in verbose.err and "not read" in verbose.err
    both = cli("-q", "-v", "paths", "demo")
    assert both.code == 2 and "exclude each other" in both.err


def test_verbose_render_states_each_files_proof(cli, tmp_path: Path) -> None:
    res = cli("-v", "render", "demo", "-o", str(tmp_path / "o"))
    assert "rgr-a/ipsec.ps1: syntax only" in res.err


# --------------------------------------------------------------- colour and progress


def test_colour_and_progress_only_on_a_terminal(tmp_path: Path, capfd) -> None:
    code, out = _pty(["render", "demo", "-o", str(tmp_path / "a")], _env(), tmp_path)
    assert code == 0
    assert SGR.search(out)  # a terminal gets colour …
    assert b"rendering" in out  # … and a progress bar
    code, out = _pty(["render", "demo", "-o", str(tmp_path / "b")], _env(NO_COLOR="1"),
                     tmp_path)
    assert code == 0 and b"rendered into" in out
    assert not SGR.search(out)  # NO_COLOR: no colour or style escape at all
    for args in (["paths", "demo"], ["audit", "demo", "--configs", str(tmp_path / "a")],
                 ["report", "demo", "-o", str(tmp_path / "r.html")], ["--help"]):
        code, out = _pty(args, _env(NO_COLOR="1"), tmp_path)
        assert code == 0 and not SGR.search(out), args
    # not a terminal: neither colour nor progress
    proc = subprocess.run([sys.executable, "-m", "ccsec", "render", "demo", "-o",
                           str(tmp_path / "c")], env=_env(), capture_output=True, check=False)
    assert proc.returncode == 0
    assert not SGR.search(proc.stdout + proc.stderr)
    assert b"rendering" not in proc.stderr


def test_no_progress_with_quiet_on_a_terminal(tmp_path: Path) -> None:
    code, out = _pty(["-q", "render", "demo", "-o", str(tmp_path / "a")], _env(), tmp_path)
    assert code == 0 and b"rendering" not in out and b"rendered into" not in out


# ------------------------------------------------------------ completion and version


def test_shell_completion(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "ccsec", "--show-completion", "bash"],
                          env=_env(), capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and "_ccsec_completion" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "ccsec"], capture_output=True, text=True,
                          env=_env(_CCSEC_COMPLETE="complete_bash", COMP_WORDS="ccsec rep",
                                   COMP_CWORD="1"), check=False)
    assert proc.returncode == 0 and proc.stdout.split() == ["report"]


def test_version(cli) -> None:
    res = cli("--version")
    assert res.code == 0 and res.out.strip() == f"ccsec {__version__}"
