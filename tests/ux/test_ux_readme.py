"""The README's examples are run (issue 16, done-when): the worked example, the deployment
file, the exit codes.  The Python API example runs in tests/report/test_api.py."""

from __future__ import annotations

import itertools
import re
import shlex
from pathlib import Path

import pytest

from ccsec import api
from ccsec.paths import derive, warnings_of

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = README.index(f"## {title}")
    end = README.find("\n## ", start + 1)
    return README[start:end if end > 0 else None]


def _blocks(section: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", section, re.S)


def _command(line: str) -> tuple[list[str], str]:
    """``$ .venv/bin/ccsec ARGS  # comment`` → (ARGS, what follows ';' if anything)."""
    text = line[2:].split("  #", 1)[0].strip()
    text, _, after = text.partition(";")
    words = shlex.split(text)
    assert words[0] == ".venv/bin/ccsec", line
    return words[1:], after.strip()


def test_the_worked_example(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (block,) = _blocks(_section("A worked example"), "sh")
    lines = block.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.startswith("$ "):
            continue
        shown = []
        while i < len(lines) and not lines[i].startswith("$ ") and lines[i].strip():
            shown.append(lines[i])
            i += 1
        if line.startswith("$ ls "):
            dirs = shlex.split(line[2:])[1:]
            assert shown[0].split() == [f.name for d in dirs for f in sorted(Path(d).iterdir())]
            continue
        args, _ = _command(line)
        res = cli(*args)
        assert res.code == 0, (line, res.err)
        out = [" ".join(x.split()) for x in res.out.splitlines()]
        for want in shown:
            if want.strip() != "…":
                assert " ".join(want.split()) in out, (line, want)


def test_the_deployment_file_example_is_valid_and_clean(tmp_path: Path) -> None:
    (yaml,) = _blocks(_section("The deployment file"), "yaml")
    path = tmp_path / "deployment.yaml"
    path.write_text(yaml, encoding="utf-8")
    dep = api.load(path, strict=True)
    assert warnings_of(dep, path) == []
    p8 = {(p.ends[0].host, p.ends[1].host) for p in derive(dep) if p.catalog == 8}
    assert p8 == {("pg1-a", "cucm-pub"), ("pg1-a", "cucm-sub1")}  # as the text says


def test_the_exit_code_examples(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli("-q", "render", "demo", "-o", "out/").code == 0
    (block,) = _blocks(_section("Exit codes"), "sh")
    lines = block.splitlines()
    checked = 0
    for line, expected in itertools.pairwise(lines):
        if not line.startswith("$ "):
            continue
        args, after = _command(line)
        assert after == 'echo "exit $?"'
        assert f"exit {cli(*args).code}" == expected, line
        checked += 1
    assert checked == 2


def test_the_exit_code_table_names_every_code_the_cli_uses() -> None:
    from ccsec import cli

    table = _section("Exit codes")
    for code in (0, 1, 2, cli.EXIT_BUG, cli.EXIT_INTERRUPTED, cli.EXIT_BROKEN_PIPE):
        assert re.search(rf"^\| (\d+ / )?{code}\b", table, re.M) or f" {code} " in table, code
