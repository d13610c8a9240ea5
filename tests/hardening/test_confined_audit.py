"""An audit reads what the user named and nothing else, and one bad file never stops it.

Reproducers from issue 15: ``include /any/absolute/file`` was followed and its lines appeared in
findings (JSON and SARIF); ``include /dev/zero`` ran out of memory; ``include swanctl.conf`` as a
file's own first line hid the file ("0 configuration(s) … findings: none"); one bad file
aborted the audit of the whole directory."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from ccsec.audit.inventory import load_directory
from ccsec.audit.pipeline import run

FOREIGN = "FOREIGN-CONTENT-7f3a"
CONN = ("connections {{\n  {name} {{\n    remote_addrs = 10.2.2.2\n    local {{ auth = psk }}\n"
        "    remote {{ auth = psk }}\n    children {{\n      {name} {{\n"
        "        local_ts = 10.1.0.0/16\n        remote_ts = 10.2.0.0/16\n"
        "        esp_proposals = aes256gcm16-modp3072\n      }}\n    }}\n"
        "    proposals = aes256-sha256-modp3072\n  }}\n}}\n")


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory next to the audited one, holding files the audit must not read."""
    d = tmp_path / "outside"
    d.mkdir()
    (d / "foreign.conf").write_text(CONN.format(name=FOREIGN), encoding="utf-8")
    (d / "ipsec.inc").write_text(f"conn {FOREIGN}\n  left=1.1.1.1\n  {FOREIGN}=x\n",
                                 encoding="utf-8")
    return d


def _configs(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "configs"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize("fmt", ["json", "sarif", "text"])
def test_includes_outside_the_directory_are_not_read(fmt: str, tmp_path: Path, outside: Path,
                                                     cli) -> None:
    root = _configs(tmp_path, {
        "gw/swanctl.conf": f"include {outside}/foreign.conf\ninclude ../../outside/*.conf\n"
                           + CONN.format(name="mine"),
        "old/ipsec.conf": f"include {outside}/ipsec.inc\nconn a\n  left=10.1.1.1\n"
                          "  right=10.2.2.2\n  auto=route\n",
    })
    res = cli("-v", "audit", "--configs", str(root), "--format", fmt)
    assert res.code in (0, 1), res.err
    assert FOREIGN not in res.out + res.err
    assert "outside the configuration directory" in res.out + res.err


def test_include_dir_allows_a_directory(tmp_path: Path, outside: Path) -> None:
    root = _configs(tmp_path, {"swanctl.conf": f"include {outside}/foreign.conf\n"
                                               + CONN.format(name="mine")})
    names = {r.name for e in run(root).context.ends for r in e.policy.rules}
    assert FOREIGN not in names
    names = {r.name for e in run(root, include_dirs=(outside,)).context.ends
             for r in e.policy.rules}
    assert FOREIGN in names


@pytest.mark.parametrize("target", ["/dev/zero", "/dev/urandom", "/proc/self/mem"])
def test_include_follows_no_device(target: str, tmp_path: Path) -> None:
    root = _configs(tmp_path, {"swanctl.conf": f"include {target}\n" + CONN.format(name="m")})
    os.symlink(target, root / "dev.conf")  # a link to a device, inside the directory
    (root / "via-link.conf").write_text("include dev.conf\n" + CONN.format(name="n"))
    start = time.perf_counter()
    result = run(root)
    assert time.perf_counter() - start < 10
    rules = {r.name for e in result.context.ends for r in e.policy.rules}
    assert {"m", "n"} <= rules, "the rest of each file is read"


def test_include_cycles_end(tmp_path: Path) -> None:
    root = _configs(tmp_path, {
        "a.conf": "include b.conf\n" + CONN.format(name="a"),
        "b.conf": "include a.conf\n" + CONN.format(name="b"),
        "self/swanctl.conf": "include swanctl.conf\n" + CONN.format(name="s"),
    })
    result = run(root)
    sources = {e.source for e in result.context.ends}
    assert {"a.conf", "b.conf", "self/swanctl.conf"} <= sources
    notes = [n.message for e in result.context.ends for n in e.notes]
    assert any("cycle" in n for n in notes)


def test_a_file_that_includes_itself_is_still_audited(tmp_path: Path, cli) -> None:
    """Was: '0 configuration(s) … findings: none', exit 0."""
    root = _configs(tmp_path, {"swanctl.conf": "include swanctl.conf\n"
                               + CONN.format(name="weak").replace("modp3072", "modp1024")})
    inv = load_directory(root)
    assert [e.source for e in inv.ends] == ["swanctl.conf"]
    res = cli("audit", "--configs", str(root), "--json")
    assert json.loads(res.out)["findings"], "the weak group is found"


def test_included_files_are_read_once_with_their_includer(tmp_path: Path) -> None:
    root = _configs(tmp_path, {"swanctl.conf": "include conf.d/*.conf\n" + CONN.format(name="m"),
                               "conf.d/x.conf": CONN.format(name="x")})
    inv = load_directory(root)
    assert [e.source for e in inv.ends] == ["swanctl.conf"]
    assert {r.name for r in inv.ends[0].policy.rules} == {"m", "x"}


def test_links_out_of_the_directory_are_not_read(tmp_path: Path, outside: Path) -> None:
    root = _configs(tmp_path, {"mine.conf": CONN.format(name="mine")})
    os.symlink(outside / "foreign.conf", root / "link.conf")
    os.symlink(outside, root / "linkdir")
    inv = load_directory(root)
    assert {e.source for e in inv.ends} == {"mine.conf"}
    assert [s.path for s in inv.skipped] == ["link.conf"]
    assert "outside the configuration directory" in inv.skipped[0].reason


def test_one_bad_file_is_a_finding_and_the_rest_goes_on(tmp_path: Path, monkeypatch,
                                                        cli) -> None:
    from ccsec.audit import inventory

    root = _configs(tmp_path, {
        "good.conf": CONN.format(name="good"),
        "crash.cfg": "hostname r1\ncrypto isakmp policy 10\n encryption aes\n",
        "broken.conf": "connections {\n",
    })
    os.mkfifo(root / "pipe.conf")
    with open(root / "huge.conf", "wb") as fh:
        fh.truncate(3 * 1024 * 1024)
    monkeypatch.setenv("CCSEC_MAX_FILE_MB", "2")

    def explode(text: str, source: str) -> object:
        raise RuntimeError("a reader met input it was not made for")

    monkeypatch.setitem(inventory.IMPORTERS, "ios", explode)
    start = time.perf_counter()
    res = cli("audit", "--configs", str(root), "--json")
    assert time.perf_counter() - start < 30
    assert res.code in (0, 1), res.err
    findings = json.loads(res.out)["findings"]
    unreadable = {f["location"]["file"]: f["message"] for f in findings
                  if f["rule"] == "IPSEC-OPS-006"}
    assert set(unreadable) == {"crash.cfg", "broken.conf", "pipe.conf", "huge.conf"}
    assert "please report it" in unreadable["crash.cfg"]
    assert "not a regular file" in unreadable["pipe.conf"]
    assert "over the limit" in unreadable["huge.conf"]
    assert any(f["location"]["file"] == "good.conf" for f in findings
               if f["rule"] != "IPSEC-OPS-006") or \
        "good.conf" in {e.source for e in load_directory(root).ends}


def test_include_fan_out_is_bounded(tmp_path: Path) -> None:
    """A file that includes another 200 times, which includes a third 200 times, would read
    40,000 files: the includes of one file share a budget."""
    root = _configs(tmp_path, {
        "swanctl.conf": "include b.inc\n" * 200 + CONN.format(name="top"),
        "b.inc": "include c.inc\n" * 200,
        "c.inc": CONN.format(name="leaf"),
    })
    start = time.perf_counter()
    result = run(root)
    assert time.perf_counter() - start < 20
    notes = [n.message for e in result.context.ends for n in e.notes]
    assert any("included in all" in n for n in notes)
