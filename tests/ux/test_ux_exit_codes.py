"""The exit-code contract (issue 16, item 2), for every command: 0 clean, 1 a finding at or
above --fail-on (drift for diff), 2 a usage or input error with one line per problem and never
a traceback, 3 a bug (one line), 141 a reader that went away."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ccsec.cli import EXIT_BROKEN_PIPE, command

ROOT = Path(__file__).resolve().parents[2]
OPS = ROOT / "tests" / "ops" / "fixtures"
CHARON = sorted(str(p) for p in (OPS / "charon" / "real" / "v2-ike-proposal-mismatch")
                .glob("*-filelog.log"))


def _leaves(cmd, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    subs = getattr(cmd, "commands", None)
    if not subs:
        return [prefix]
    return [leaf for name, sub in sorted(subs.items()) for leaf in _leaves(sub, (*prefix, name))]


LEAVES = _leaves(command())


def test_the_command_list_is_complete() -> None:
    """A new command must join this contract (and the tables below)."""
    assert {" ".join(c) for c in LEAVES} >= {
        "audit", "collector windows", "demo", "diff", "explain", "init", "lab down",
        "lab export", "lab faults", "lab run", "lab status", "lab up", "lab verify", "logging",
        "logs", "paths", "perf collector", "perf judge", "phones", "plan", "ports", "posture",
        "probe", "render", "report", "rules", "schema", "synth"}


@pytest.mark.parametrize("leaf", LEAVES, ids=" ".join)
def test_every_command_usage_error_is_2_without_traceback(cli, leaf) -> None:
    res = cli(*leaf, "--no-such-option")
    assert res.code == 2, (res.out, res.err)
    assert "No such option" in res.err and "Traceback" not in res.err
    assert cli(*leaf, "--help").code == 0


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    from ccsec.cli import main

    out = tmp_path_factory.mktemp("demo") / "out"
    assert main(["-q", "render", "demo", "-o", str(out)]) == 0
    return out


def _cases(tmp: Path, rendered: Path) -> list[tuple[list[str], int]]:
    junk = tmp / "junk"
    junk.mkdir(exist_ok=True)
    (junk / "notes.log").write_text("nothing ccsec reads\n")
    missing = str(tmp / "missing.yaml")
    return [
        (["paths", "demo"], 0), (["paths", missing], 2),
        (["plan", "demo"], 0), (["plan", "demo", "--profile", "bogus"], 2),
        (["render", "demo", "-o", str(tmp / "r")], 0), (["render", missing, "-o", str(tmp)], 2),
        (["schema"], 0),
        (["demo", "-o", str(tmp / "d")], 0),
        (["init", str(tmp / "new.yaml")], 0), (["init", str(tmp / "new.yaml")], 2),
        (["audit", "demo", "--configs", str(rendered)], 0),
        (["audit", "demo", "--configs", str(rendered), "--fail-on", "low"], 1),
        (["audit", "demo", "--configs", str(junk), "--fail-on", "low"], 2),
        (["audit", "--configs", str(tmp / "nope")], 2),
        (["rules"], 0), (["rules", "--family", "nope"], 2),
        (["explain", "IPSEC-DH-002"], 0), (["explain", "NOPE-1"], 2),
        (["diff", "demo", "--configs", str(rendered)], 0),
        (["diff", "demo", "--configs", str(junk)], 2),
        (["report", "demo", "-o", str(tmp / "r.html")], 0),
        (["report", missing, "-o", str(tmp / "x.html")], 2),
        (["synth", "--sites", "2", "-o", str(tmp / "s.yaml")], 0),
        (["synth", "--sites", "0", "-o", str(tmp / "s.yaml")], 2),
        (["logging", "enable", "--target", "windows"], 0),
        (["logging", "enable", "--target", "solaris"], 2),
        (["logs", *CHARON, "--fail-on", "critical"], 0),
        (["logs", *CHARON, "--fail-on", "high"], 1),
        (["logs", str(tmp / "none.log")], 2),
        (["perf", "collector"], 0),
        (["perf", "judge", str(OPS / "perf" / "typeperf-busy-en-us.csv"), "--cpus", "2",
          "--fail-on", "high"], 1),
        (["perf", "judge", str(OPS / "perf" / "perf-malformed.csv")], 2),
        (["collector", "windows"], 0),
        (["posture", str(OPS / "posture" / "pg1a-good-constructed.json")], 0),
        (["posture", str(OPS / "posture" / "awhds9-bad-constructed.json"), "--fail-on",
          "low"], 1),
        (["posture", str(OPS / "posture" / "bad-type.json")], 2),
        (["phones", str(OPS / "phones" / "bat-export-constructed.csv"), "--fail-on", "high"], 1),
        (["phones", str(OPS / "phones" / "malformed.csv")], 2),
        (["ports", "demo"], 0), (["ports", missing], 2),
        (["lab", "run", missing], 2), (["lab", "up", missing], 2),
        (["lab", "status", "--lab", "no-such-lab-ux"], 2),
        (["lab", "verify", "--lab", "no-such-lab-ux"], 2),
        (["lab", "faults", "--lab", "no-such-lab-ux"], 2),
        (["lab", "witness", missing], 2),
        (["lab", "witness", "demo", "--path", "no-such-path"], 2),  # refused before any netns
        (["lab", "export", "demo", "--containerlab", str(tmp / "clab")], 0),
        (["lab", "export", missing, "--containerlab", str(tmp / "clab2")], 2),
        (["probe", "no.such.host.invalid"], 2),  # never sends: the name does not resolve
        (["probe", "192.0.2.1", "--as", "rtr-east"], 2),  # --as without --deployment
    ]


def test_every_command_keeps_the_contract(cli, tmp_path: Path, rendered: Path) -> None:
    seen = set()
    for args, code in _cases(tmp_path, rendered):
        res = cli(*args)
        assert res.code == code, (args, res.err[-2000:])
        assert "Traceback" not in res.err, args
        if code == 2:
            assert res.err.startswith(("ccsec: error:", "Usage:")), (args, res.err)
        seen.add(next(leaf for leaf in sorted(LEAVES, key=len, reverse=True)
                      if tuple(args[:len(leaf)]) == leaf))
    assert set(LEAVES) - seen <= {("lab", "down")}  # lab down: not on a shared machine


def test_an_audit_that_recognised_nothing_names_the_directory(cli, tmp_path: Path) -> None:
    (tmp_path / "junk.log").write_text("2024-01-01 nothing here\n")
    (tmp_path / "notes.txt").write_text("hello\n")
    res = cli("audit", "--configs", str(tmp_path), "--fail-on", "low")
    assert res.code == 2
    assert f"no configuration ccsec reads was recognised in {tmp_path}" in res.err
    assert "looked at 2 file(s)" in res.err


def test_a_bug_is_one_line_and_exit_3(cli, monkeypatch) -> None:
    import ccsec.cli.spine as spine

    def broken(*_a, **_k):
        raise RuntimeError("boom")

    monkeypatch.setattr(spine, "derive", broken)
    res = cli("paths", "demo")
    assert res.code == 3 and "internal error: RuntimeError: boom" in res.err
    assert "Traceback" not in res.err
    assert "Traceback" in cli("-v", "paths", "demo").err


def test_a_reader_that_goes_away_is_a_quiet_141(tmp_path: Path) -> None:
    """``ccsec audit … | head``: the pipe closes early; no traceback, no 'findings' code."""
    env = dict(os.environ, COLUMNS="80")
    code = ("import sys; from ccsec.cli import main; sys.exit(main(sys.argv[1:]))")
    proc = subprocess.Popen([sys.executable, "-c", code, "rules"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the first write
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == EXIT_BROKEN_PIPE
    assert err == ""


# ----------------------------------------------------------- the process entry point (run)

_RUN = ("import atexit, sys\n"
        "atexit.register(lambda: sys.stderr.write('exit handler ran\\n'))\n"
        "from ccsec.cli import run\n"
        "sys.argv[0] = 'ccsec'\n"
        "run()\n")


def _run(args: list[str], **kw: object) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ, COLUMNS="80")
    return subprocess.run([sys.executable, "-c", _RUN, *args], env=env, timeout=120,
                          check=False, **kw)  # type: ignore[call-overload]


def test_the_process_flushes_its_output_and_runs_exit_handlers(tmp_path: Path) -> None:
    """``run`` ends the process without tearing objects down: the whole output still
    arrives, and exit handlers still run."""
    out = tmp_path / "rules.json"
    with out.open("wb") as fh:
        proc = _run(["rules", "--json"], stdout=fh, stderr=subprocess.PIPE)
    assert proc.returncode == 0
    import json

    assert len(json.loads(out.read_text(encoding="utf-8"))) > 50
    assert proc.stderr.decode() == "exit handler ran\n"


def test_the_process_keeps_its_exit_code(tmp_path: Path) -> None:
    proc = _run(["paths", str(tmp_path / "missing.yaml")], capture_output=True)
    assert proc.returncode == 2
    assert b"missing.yaml" in proc.stderr and b"Traceback" not in proc.stderr


def test_the_process_on_a_closed_pipe_is_a_quiet_141() -> None:
    env = dict(os.environ, COLUMNS="80")
    proc = subprocess.Popen([sys.executable, "-c", _RUN, "rules"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == EXIT_BROKEN_PIPE
    assert err == "exit handler ran\n"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_the_process_on_a_full_disk_is_one_line_and_exit_2() -> None:
    with open("/dev/full", "wb") as full:
        proc = _run(["rules", "--json"], stdout=full, stderr=subprocess.PIPE)
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert "No space left on device" in err and "Traceback" not in err


def test_the_process_waits_for_its_threads_before_it_exits() -> None:
    """As the interpreter does: a thread that is not a daemon finishes before the exit."""
    script = ("import sys, threading, time\n"
              "def late():\n"
              "    time.sleep(1.5); sys.stderr.write('thread done\\n')\n"
              "threading.Thread(target=late).start()\n"
              "from ccsec.cli import run\n"
              "sys.argv[0] = 'ccsec'\n"
              "run()\n")
    proc = subprocess.run([sys.executable, "-c", script, "rules", "--json"],
                          capture_output=True, timeout=120, check=False)
    assert proc.returncode == 0
    assert proc.stderr.decode() == "thread done\n"


def test_the_process_keeps_a_commands_results_until_it_exits() -> None:
    """A command's large results are held until the process ends (returning from the
    command does not free them one by one); in-process callers hold nothing."""
    script = ("import atexit, sys\n"
              "from ccsec.cli.common import STATE\n"
              "atexit.register(lambda: sys.stderr.write("
              "' '.join(sorted(type(o).__name__ for o in STATE.kept)) + '\\n'))\n"
              "from ccsec.cli import run\n"
              "sys.argv[0] = 'ccsec'\n"
              "run()\n")
    proc = subprocess.run([sys.executable, "-c", script, "plan", "demo", "--json"],
                          capture_output=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.decode().split() == ["Deployment", "PolicySet"]


def test_in_process_callers_keep_nothing(cli) -> None:
    from ccsec.cli.common import STATE

    assert cli("plan", "demo", "--json").code == 0
    assert STATE.kept == [] and not STATE.ends_process
