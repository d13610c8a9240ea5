"""Output paths: nothing replaced without --force, nothing deleted that ccsec did not write,
nothing half-written, no temp files left, OS errors one line with exit 2.

Reproducers from issue 15: ``ccsec render demo -o web`` where ``web/index.json`` existed
replaced ``web/`` whole (``web/src/app.js`` gone); a read-only previous output left an empty
``.prev.old-*`` behind; ``synth -o`` and ``perf -o`` overwrote files silently."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from ccsec import fileio


def _leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


def test_render_never_replaces_a_directory_it_did_not_write(cli, tmp_path: Path) -> None:
    web = tmp_path / "web"
    (web / "src").mkdir(parents=True)
    (web / "index.json").write_text('{"any": "json"}')
    (web / "src" / "app.js").write_text("console.log('mine')")
    for extra in ((), ("--force",)):
        res = cli("render", "demo", "-o", str(web), *extra)
        assert res.code == 2, res.err
        assert len(res.err.strip().splitlines()) == 1
    assert (web / "src" / "app.js").read_text() == "console.log('mine')"
    assert _leftovers(tmp_path) == []


def test_render_replaces_its_own_unchanged_tree_only_with_force(cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli("render", "demo", "-o", str(out)).code == 0
    marker = out / fileio.OWN_MARKER
    assert stat.S_IMODE(marker.stat().st_mode) == 0o600  # it hashes files that hold keys
    listed = json.loads(marker.read_text())["files"]
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert set(listed) == on_disk - {fileio.OWN_MARKER}
    assert cli("render", "demo", "-o", str(out)).code == 2
    assert cli("render", "demo", "-o", str(out), "--force").code == 0
    assert _leftovers(tmp_path) == []
    edited = out / "rtr-east" / "ios.cfg"
    edited.write_text(edited.read_text() + "! my own change\n")
    res = cli("render", "demo", "-o", str(out), "--force")
    assert res.code == 2 and "changed since" in res.err and "rtr-east/ios.cfg" in res.err
    assert edited.read_text().endswith("! my own change\n")


def test_a_read_only_previous_output_is_replaced_cleanly(cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli("render", "demo", "-o", str(out)).code == 0
    for d in [out, *[p for p in out.rglob("*") if p.is_dir()]]:
        d.chmod(0o555)
    assert cli("render", "demo", "-o", str(out), "--force").code == 0
    assert _leftovers(tmp_path) == []


def test_a_failed_swap_keeps_the_old_tree_and_leaves_nothing(cli, tmp_path: Path,
                                                              monkeypatch) -> None:
    out = tmp_path / "out"
    assert cli("render", "demo", "-o", str(out)).code == 0
    before = sorted(p.relative_to(out).as_posix() for p in out.rglob("*"))
    real = os.rename

    def refuse(src: object, dst: object) -> None:
        if Path(str(src)) == out.absolute():
            raise PermissionError(13, "Permission denied", str(src))
        real(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(fileio.os, "rename", refuse)
    res = cli("render", "demo", "-o", str(out), "--force")
    assert res.code == 2
    (line,) = res.err.strip().splitlines()
    assert "Permission denied" in line and "Traceback" not in res.err
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == before
    assert _leftovers(tmp_path) == []


def test_a_failed_write_leaves_no_temp_files(cli, tmp_path: Path, monkeypatch) -> None:
    calls = {"n": 0}
    real = fileio._write

    def fail_third(path: Path, data: bytes, secret: bool, *args: object, **kw: object) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device", str(path))
        real(path, data, secret, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(fileio, "_write", fail_third)
    res = cli("render", "demo", "-o", str(tmp_path / "out"))
    assert res.code == 2 and "No space left on device" in res.err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [
    ("render", "demo", "-o"), ("demo", "-o"), ("report", "demo", "-o"),
    ("synth", "--sites", "2", "-o"),
])
def test_os_errors_are_one_line(command: tuple[str, ...], cli, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = cli(*command, str(blocker / "sub" / "out"))
    assert res.code == 2, res.err
    (line,) = res.err.strip().splitlines()
    assert line.startswith("ccsec: error:") and "Not a directory" in line
    assert blocker.read_text() == "x" and _leftovers(tmp_path) == []


def test_synth_and_report_refuse_to_overwrite(cli, tmp_path: Path) -> None:
    for command, name in ((("synth", "--sites", "2"), "dep.yaml"), (("report", "demo"),
                                                                    "r.html")):
        target = tmp_path / name
        assert cli(*command, "-o", str(target)).code == 0
        first = target.read_bytes()
        target.write_bytes(first)
        res = cli(*command, "-o", str(target))
        assert res.code == 2 and "--force" in res.err
        assert cli(*command, "-o", str(target), "--force").code == 0
    notes = tmp_path / "notes.html"
    notes.write_text("mine")
    assert cli("report", "demo", "-o", str(notes), "--force").code == 2
    assert notes.read_text() == "mine"
    assert _leftovers(tmp_path) == []


def test_perf_plots_refuse_to_overwrite_and_touch_nothing_else(cli, tmp_path: Path) -> None:
    from conftest import ROOT

    csv = ROOT / "tests" / "ops" / "fixtures" / "perf" / "typeperf-busy-en-us.csv"
    out = tmp_path / "plots"
    out.mkdir()
    (out / "mine.txt").write_text("keep")
    assert cli("perf", "judge", str(csv), "-o", str(out)).code in (0, 1)
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs
    res = cli("perf", "judge", str(csv), "-o", str(out))
    assert res.code == 2 and "--force" in res.err
    assert cli("perf", "judge", str(csv), "-o", str(out), "--force").code in (0, 1)
    assert (out / "mine.txt").read_text() == "keep"
    assert _leftovers(out) == []


def test_an_output_that_is_a_link_is_refused(cli, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.mkdir()
    os.symlink(target, tmp_path / "out")
    res = cli("render", "demo", "-o", str(tmp_path / "out"), "--force")
    assert res.code == 2 and "not a directory" in res.err
    assert list(target.iterdir()) == []
