"""``ccsec render --format`` (issue 16, item 1): a format is rendered only for the ends whose
platform has it; what a profile cannot express is one line with what to do, silenced by -q
and listed in index.json."""

from __future__ import annotations

import json
from pathlib import Path

from ccsec.render import cause

WINDOWS = {"rgr-a", "rgr-b", "pg1-a", "pg1-b", "aw-hds-1"}


def _index(out: Path) -> dict:
    return json.loads((out / "index.json").read_text())


def _files(out: Path) -> set[tuple[str, str]]:
    return {(f["end"], f["format"]) for f in _index(out)["files"]}


def test_a_format_goes_only_to_the_ends_whose_platform_has_it(cli, tmp_path: Path) -> None:
    out = tmp_path / "ps"
    res = cli("render", "demo", "-o", str(out), "--format", "windows-powershell")
    assert res.code == 0, res.err
    assert _files(out) == {(e, "windows-powershell") for e in WINDOWS}
    assert not (out / "rtr-east" / "ipsec.ps1").exists()
    assert not (out / "cucm-1").exists()
    # the other ends: one summary line, not one per end
    assert res.out.count("other end(s) skipped") == 1
    assert "3 other end(s) skipped (cucm-1, rtr-east, rtr-osaka)" in res.out
    assert _index(out)["unselected_ends"] == ["cucm-1", "rtr-east", "rtr-osaka"]
    assert _index(out)["selected_formats"] == ["windows-powershell"]


def test_all_is_every_format_of_each_platform_and_the_default(cli, tmp_path: Path) -> None:
    assert cli("render", "demo", "-o", str(tmp_path / "a"), "--format", "all").code == 0
    assert cli("render", "demo", "-o", str(tmp_path / "d")).code == 0
    assert _files(tmp_path / "a") == _files(tmp_path / "d")
    assert {f for _, f in _files(tmp_path / "d")} == {"windows-powershell", "cucm", "ios"}
    assert _index(tmp_path / "d")["selected_formats"] == "all"


def test_netsh_refusal_is_one_line_with_the_way_out_and_listed(cli, tmp_path: Path) -> None:
    res = cli("render", "demo", "-o", str(tmp_path / "o"))
    lines = [line for line in res.out.splitlines() if "windows-netsh" in line
             and "not rendered" in line]
    assert len(lines) == 1
    assert "5 end(s)" in lines[0] and "--profile legacy" in lines[0]
    skipped = _index(tmp_path / "o")["skipped"]
    assert [s["format"] for s in skipped] == ["windows-netsh"]
    assert set(skipped[0]["ends"]) == WINDOWS
    assert "--profile legacy" in skipped[0]["fix"]
    assert len(skipped[0]["reasons"]) > 1 and not any(r.startswith("rule ")
                                                      for r in skipped[0]["reasons"])
    quiet = cli("-q", "render", "demo", "-o", str(tmp_path / "q"))
    assert "windows-netsh" not in quiet.out + quiet.err
    verbose = cli("-v", "render", "demo", "-o", str(tmp_path / "v"))
    assert sum("windows-netsh: " in line for line in verbose.err.splitlines()) == \
        len(skipped[0]["reasons"])


def test_naming_netsh_with_a_profile_it_cannot_express_is_one_error(cli, tmp_path: Path) -> None:
    out = tmp_path / "n"
    res = cli("render", "demo", "-o", str(out), "--format", "windows-netsh")
    assert res.code == 2
    assert len(res.err.strip().splitlines()) == 1
    assert "windows-netsh cannot express the policy of 5 end(s)" in res.err
    assert "--profile legacy" in res.err and "Traceback" not in res.err
    assert not out.exists()
    ok = cli("render", "demo", "-o", str(out), "--format", "windows-netsh", "--profile", "legacy")
    assert ok.code == 0, ok.err
    assert _files(out) == {(e, "windows-netsh") for e in WINDOWS}


def test_unknown_format_names_the_choices(cli, tmp_path: Path) -> None:
    res = cli("render", "demo", "-o", str(tmp_path / "x"), "--format", "junos")
    assert res.code == 2 and "unknown format 'junos'" in res.err and "strongswan" in res.err


def test_cause_drops_the_rule_name_only() -> None:
    assert cause("rule p2-a-b: IKE encryption aes256 is not in netsh's grammar") == \
        "IKE encryption aes256 is not in netsh's grammar"
    assert cause("policy x: the description contains a quote") == \
        "the description contains a quote"
    assert cause("PFS group 19 differs") == "PFS group 19 differs"
