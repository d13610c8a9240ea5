"""ccsec.api: the README's example runs, the module's doctest passes, results are typed, JSON
is the CLI's, DataFrames when pandas is there and a clear error when it is not."""

from __future__ import annotations

import doctest
import json
import re
import sys
from pathlib import Path

import pytest

from ccsec import api
from ccsec.audit.negotiate import Session
from ccsec.errors import PlanError, UserError
from ccsec.findings.model import Finding
from conftest import EXAMPLES, LAB_PSK, ROOT


def _readme_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Python API", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1
    return blocks[0]


def test_readme_example_runs(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    exec(compile(_readme_example(), "README.md#python-api", "exec"), {})
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "['rtr-east/ios.cfg', 'rtr-osaka/ios.cfg']"
    assert re.fullmatch(r"\d+ findings; 13 of 13 sessions up", out[1])
    assert (tmp_path / "report.html").read_text().startswith("<!DOCTYPE html>")


def test_module_doctest() -> None:
    result = doctest.testmod(api, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 3 and result.failed == 0


def test_audit_is_typed_and_its_json_is_the_clis(cli, tmp_path: Path) -> None:
    configs = tmp_path / "configs"
    assert cli("-q", "render", "demo", "-o", str(configs)).code == 0
    dep = api.load("demo")
    result = api.audit(dep, configs=configs)
    assert result.findings and all(isinstance(f, Finding) for f in result.findings)
    assert result.sessions and all(isinstance(s, Session) for s in result.sessions)
    assert len(result.coverage) == len(api.paths(dep))
    res = cli("audit", "demo", "--configs", str(configs), "--json")
    assert result.to_json() == json.loads(res.out)


def test_dataframes(tmp_path: Path) -> None:
    import pandas as pd

    result = api.audit(api.load("demo"))
    df = result.to_dataframe()
    assert isinstance(df, pd.DataFrame) and len(df) == len(result.findings)
    assert list(df.columns) == ["rule", "severity", "subject", "message", "fix", "file", "line"]
    sessions = result.to_dataframe("sessions")
    assert (sessions["status"] == "ESTABLISHED").sum() == sum(s.established
                                                              for s in result.sessions)
    assert len(result.to_dataframe("coverage")) == len(result.coverage)
    with pytest.raises(UserError, match="unknown table"):
        result.to_dataframe("nope")  # type: ignore[arg-type]


def test_dataframe_without_pandas_is_a_clear_error(monkeypatch) -> None:
    result = api.audit(api.load("demo"))
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    with pytest.raises(UserError, match="pandas is not installed") as exc:
        result.to_dataframe()
    assert "pip install pandas" in str(exc.value)
    assert result.to_json()["findings"]  # JSON still works


def test_render_resolves_or_redacts_keys(monkeypatch) -> None:
    ps = api.plan(api.load(EXAMPLES / "linux-test.yaml"))
    real = api.render(ps, "strongswan", env={"CCSEC_LAB_PSK": LAB_PSK})
    assert any(LAB_PSK in f.text for f in real.files)
    monkeypatch.delenv("CCSEC_LAB_PSK", raising=False)
    redacted = api.render(ps, "strongswan", redact_keys=True)
    assert [f.path for f in redacted.files] == [f.path for f in real.files]
    assert not any(LAB_PSK in f.text for f in redacted.files)
    assert any("<redacted>" in f.text for f in redacted.files)


def test_errors_are_user_errors() -> None:
    with pytest.raises(PlanError, match="strict"):
        api.plan(api.load("demo"), profile="strict")
    with pytest.raises(UserError, match="nothing to audit"):
        api.audit(None)
    with pytest.raises(UserError):
        api.load(ROOT / "no-such-file.yaml")


def test_lab_run_is_the_clis_lab_run(monkeypatch) -> None:
    """lab_run calls the function ``ccsec lab run`` calls (the real run is in tests/lab)."""
    import ccsec.lab.runner as runner

    seen = {}

    def fake(dep, **kw):
        seen.update(kw, dep=dep)
        return {"results": [], "faults": [], "ok": True}

    monkeypatch.setattr(runner, "run", fake)
    dep = api.load("demo")
    assert api.lab_run(dep, hosts=["rgr-a"], faults=True) == {"results": [], "faults": [],
                                                              "ok": True}
    assert seen["dep"] is dep and seen["hosts"] == ["rgr-a"] and seen["faults"] is True
