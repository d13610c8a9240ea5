"""The spine commands end to end: paths, plan, render, schema, demo, --version."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import jsonschema
from ruamel.yaml import YAML

from ccsec import __version__
from ccsec.deployment.demo import demo_text
from conftest import EXAMPLES, LAB_PSK


def test_version(cli) -> None:
    res = cli("--version")
    assert res.code == 0 and res.out.strip() == f"ccsec {__version__}"


def test_plan_json(cli) -> None:
    res = cli("plan", "demo", "--json")
    assert res.code == 0
    doc = json.loads(res.out)
    ends = {e["end"]: e for e in doc["ends"]}
    assert set(ends) == {"rgr-a", "rgr-b", "aw-hds-1", "pg1-a", "pg1-b", "cucm-1", "rtr-east",
                         "rtr-osaka"}
    assert ends["cucm-1"]["auth"] == ["certificate"] and ends["rgr-a"]["auth"] == ["kerberos"]
    assert ends["rtr-east"]["modes"] == ["tunnel"]


def test_plan_table_and_bad_profile(cli) -> None:
    assert "rtr-osaka" in cli("plan", "demo").out
    res = cli("plan", "demo", "--profile", "paranoid")
    assert res.code == 2 and "paranoid" in res.err


def test_render_writes_every_end_and_an_index(cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = cli("render", "demo", "-o", str(out))
    assert res.code == 0, res.err
    index = json.loads((out / "index.json").read_text())
    written = {f["path"] for f in index["files"]}
    for f in index["files"]:
        assert (out / f["path"]).is_file()
        assert f["proof"] in ("lab", "syntax")
    assert "rtr-east/ios.cfg" in written and "cucm-1/cucm-ipsec.txt" in written
    assert "rgr-a/ipsec.ps1" in written
    assert {p["id"] for p in index["paths"]} >= {"t-dc-east-pg-osaka", "p8-pg1-a-cucm-1"}
    assert "syntax only" in res.out or "syntax" in res.out


def test_render_with_keys_never_shows_them(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CCSEC_LAB_PSK", LAB_PSK)
    out = tmp_path / "out"
    res = cli("render", str(EXAMPLES / "linux-test.yaml"), "-o", str(out))
    assert res.code == 0, res.err
    assert LAB_PSK not in res.out + res.err
    index = (out / "index.json").read_text()
    assert LAB_PSK not in index
    for f in json.loads(index)["files"]:
        path = out / f["path"]
        holds = LAB_PSK in path.read_text()
        assert holds == f["holds_secret"]
        if holds:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
    res = cli("render", str(EXAMPLES / "linux-test.yaml"), "-o", str(out), "--json")
    assert LAB_PSK not in res.out


def test_render_with_unset_key_writes_nothing(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("CCSEC_LAB_PSK", raising=False)
    out = tmp_path / "out"
    res = cli("render", str(EXAMPLES / "linux-test.yaml"), "-o", str(out))
    assert res.code == 2
    assert "CCSEC_LAB_PSK is not set" in res.err and "fix:" in res.err
    assert not out.exists()


def test_render_refuses_a_foreign_directory(cli, tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    res = cli("render", "demo", "-o", str(tmp_path))
    assert res.code == 2 and "--force" in res.err
    res = cli("render", "demo", "-o", str(tmp_path), "--force")
    assert res.code == 2 and "ccsec did not write it" in res.err
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_render_replaces_its_own_output(cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli("render", "demo", "-o", str(out)).code == 0
    res = cli("render", "demo", "-o", str(out), "--format", "cucm")
    assert res.code == 2 and "--force" in res.err  # replacing needs --force
    stale = out / "old-host"
    stale.mkdir()
    (stale / "x").write_text("stale")
    res = cli("render", "demo", "-o", str(out), "--format", "cucm", "--force")
    assert res.code == 2 and "old-host/x" in res.err  # a file ccsec did not write: kept
    assert (stale / "x").read_text() == "stale"
    (stale / "x").unlink()
    stale.rmdir()
    assert cli("render", "demo", "-o", str(out), "--format", "cucm", "--force").code == 0
    index = json.loads((out / "index.json").read_text())
    assert {f["format"] for f in index["files"]} == {"cucm"}
    assert {f["end"] for f in index["files"]} == {"cucm-1"}


def test_format_narrows_and_unknown_format_fails(cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = cli("render", "demo", "-o", str(out), "--format", "ios")
    assert res.code == 0, res.err
    index = json.loads((out / "index.json").read_text())
    assert {f["end"] for f in index["files"]} == {"rtr-east", "rtr-osaka"}
    res = cli("render", "demo", "-o", str(tmp_path / "o2"), "--format", "junos")
    assert res.code == 2 and "unknown format 'junos'" in res.err


def test_a_format_no_end_has_is_an_error(cli, tmp_path: Path) -> None:
    """--format selects, never widens: the demo has no Linux or strongSwan end."""
    out = tmp_path / "out"
    res = cli("render", "demo", "-o", str(out), "--format", "strongswan")
    assert res.code == 2 and "no end of acme-contact-center has a platform for strongswan" \
        in res.err
    assert not out.exists()


def test_schema_validates_the_demo(cli) -> None:
    res = cli("schema")
    schema = json.loads(res.out)
    jsonschema.Draft202012Validator.check_schema(schema)
    doc = YAML(typ="safe").load(demo_text())
    jsonschema.validate(doc, schema)
    assert "hosts" in schema["properties"]


def test_demo_renders_into_cwd(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    res = cli("demo")
    assert res.code == 0, res.err
    assert (tmp_path / "ccsec-demo" / "index.json").is_file()
    assert (tmp_path / "ccsec-demo" / "deployment.yaml").read_text() == demo_text()
    assert "t-dc-east-pg-osaka" in res.out
    # the copy of the deployment is a valid input again
    assert cli("paths", os.path.join("ccsec-demo", "deployment.yaml")).code == 0
