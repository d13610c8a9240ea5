"""Hostile deployment (and waivers) files: a clean located error in bounded time, never a
traceback; free text and the root CA checked at load time; user text echoed only escaped.

Each case is a reproducer from issue 15 (or a close variant of one)."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ccsec.audit.waivers import WaiverError
from ccsec.audit.waivers import parse as parse_waivers
from ccsec.deployment import loads
from ccsec.deployment.demo import demo_text
from ccsec.errors import DeploymentError, Problem, shown
from ccsec.yamlsafe import MAX_ALIAS_NODES, compose
from conftest import EXAMPLES

SITE = "{name: a, kind: remote, prefixes: [10.0.0.0/8]}"

BILLION_LAUGHS = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\ni: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
)


def _error(text: str) -> str:
    """The one-line error the loader raises for ``text`` (it must raise, and fast)."""
    start = time.perf_counter()
    with pytest.raises(DeploymentError) as exc:
        loads(text, "d.yaml")
    assert time.perf_counter() - start < 2.0, "a hostile file must be refused quickly"
    lines = str(exc.value).splitlines()
    assert all(line.startswith("d.yaml") for line in lines), lines
    return lines[0]


@pytest.mark.parametrize(("text", "fragment"), [
    ("[" * 500, ":1: not valid YAML"),  # was RecursionError
    ("[" * 100_000, ":1: not valid YAML"),
    ("a:\n" + "".join(f"{'  ' * (i + 1)}a{i}:\n" for i in range(200)), "nested deeper"),
    ("deployment: x\nsites: &a [*a]\n", "refers to a node that contains it"),
    ("deployment: x\nsites: *nope\n", "has no anchor"),
    (BILLION_LAUGHS, "alias expansion bomb"),  # 457 bytes: was 25 s and > 3 GB
    (f"deployment: x\nsites: [{SITE}]\nprofile: " + "9" * 5000 + "\n", "a number of 5,000"),
    (f"deployment: !!python/object:os.system x\nsites: [{SITE}]\n", "unsupported tag"),
    (f"deployment: x\nsites: [{SITE}]\n---\ndeployment: y\n", "more than one document"),
    (f"deployment: x\ndeployment: y\nsites: [{SITE}]\n", ":2: not valid YAML: duplicate key"),
    (f"? [a, b]\n: x\nsites: [{SITE}]\n", "must be plain text"),
    ("deployment: x\x00\n", "not valid YAML"),
])
def test_hostile_yaml_is_a_located_error(text: str, fragment: str) -> None:
    assert fragment in _error(text)


def test_alias_limit_leaves_room_for_real_anchors() -> None:
    """Anchors reused per site (a common hand-written style) stay well inside the limit."""
    sites = "\n".join(f"  - {{<<: *site, name: s{i}, prefixes: [10.{i}.0.0/16]}}"
                      for i in range(1, 200))
    dep = loads("deployment: x\nsites:\n  - &site {name: s0, kind: remote, "
                f"prefixes: [11.0.0.0/8]}}\n{sites}\n", "d.yaml")
    assert len(dep.sites) == 200 and all(s.kind == "remote" for s in dep.sites)
    assert MAX_ALIAS_NODES >= 100_000


@pytest.mark.parametrize("ca", [
    'CN=ACME "Root" CA', "CN=ACME\tRoot", "CN=ACME\nRoot", "CN=ACME\x00Root",
    "CN=ACME\x1b[31mRoot", "CN=ACME\u202eRoot", "ACME Root", "CN=a\\,b", "CN=",
])
def test_root_ca_must_be_a_dn_at_load_time(ca: str, write_yaml, cli, tmp_path: Path) -> None:
    """Was: accepted by the loader and `paths`, then a traceback in plan/render/report."""
    import json

    text = (f"deployment: x\npki: {{root_ca: {json.dumps(ca)}}}\nsites:\n"
            "  - {name: a, kind: central, prefixes: [10.1.0.0/16],\n"
            "     gateway: {name: g, platform: ios, wan: 198.51.100.1}}\n")
    path = write_yaml(text)
    for command in (("paths", str(path)), ("plan", str(path)),
                    ("render", str(path), "-o", str(tmp_path / "out")),
                    ("report", str(path), "-o", str(tmp_path / "r.html"))):
        res = cli(*command)
        assert res.code == 2, (command, res.err)
        (line,) = res.err.strip().splitlines()
        assert line.startswith(f"ccsec: error: {path}:2: pki.root_ca:"), line
        assert "\x1b" not in line and "Traceback" not in res.err
    assert not (tmp_path / "out").exists() and not (tmp_path / "r.html").exists()


def test_a_valid_dn_with_several_parts_renders(cli, tmp_path: Path) -> None:
    text = demo_text()
    ca = "CN=ACME Root CA, O=ACME, C=US"
    (tmp_path / "d.yaml").write_text(re.sub(r"root_ca: .*", f'root_ca: "{ca}"}}', text, count=1))
    res = cli("render", str(tmp_path / "d.yaml"), "-o", str(tmp_path / "out"))
    assert res.code == 0, res.err
    assert ca in (tmp_path / "out" / "rtr-east" / "ios.cfg").read_text()


@pytest.mark.parametrize(("field", "value"), [
    ("deployment", "x\x1b]0;pwned\x07"), ("description", "line\nbreak"),
    ("description", "x" * 1001), ("deployment", "\u2028"),
])
def test_free_text_is_one_line(field: str, value: str) -> None:
    import json

    text = f"deployment: ok\n{field}: {json.dumps(value)}\nsites: [{SITE}]\n"
    if field == "deployment":
        text = text.replace("deployment: ok\n", "", 1)
    line = _error(text)
    assert f"{field}:" in line and "\x1b" not in line and "\u2028" not in line


def test_names_in_field_paths_are_escaped(write_yaml, cli) -> None:
    """Was: ``hosts[x⏎crypto isakmp key…].name`` — a newline splitting the one-line error and
    an ESC sequence reaching the terminal."""
    text = (f"deployment: x\nsites: [{SITE}]\nhosts:\n"
            '  - {name: "x\\ncrypto isakmp key \\e[31m", site: a, roles: [pg], '
            "public: 10.1.1.1}\n")
    res = cli("paths", str(write_yaml(text)))
    assert res.code == 2
    (line,) = res.err.strip().splitlines()
    assert "hosts[x\\ncrypto isakmp key \\x1b[31m].name" in line
    assert "\x1b" not in res.err


def test_every_message_is_escaped() -> None:
    text = str(Problem("a\nb\x1b[2J\u202e", "f\nile", 3, "x\ty", "fi\rx"))
    assert "\n" not in text and "\x1b" not in text and "\u202e" not in text and "\r" not in text
    assert shown("z" * 500).endswith("(300 more characters)")


@pytest.mark.parametrize("what", ["device", "directory", "not-utf8", "too-large", "missing"])
def test_unreadable_deployment_files(what: str, cli, tmp_path: Path) -> None:
    path = {"device": Path("/dev/zero"), "directory": tmp_path,
            "missing": tmp_path / "nope.yaml"}.get(what, tmp_path / "d.yaml")
    if what == "not-utf8":
        path.write_bytes(b"deployment: caf\xe9\n")
    elif what == "too-large":
        with open(path, "wb") as fh:
            fh.truncate(65 * 1024 * 1024)
    start = time.perf_counter()
    res = cli("paths", str(path))
    assert res.code == 2 and time.perf_counter() - start < 5
    (line,) = res.err.strip().splitlines()
    assert line.startswith(f"ccsec: error: {path}") and "Traceback" not in res.err
    assert {"device": "not a regular file", "directory": "directory",
            "not-utf8": ":1: not UTF-8", "too-large": "over the limit",
            "missing": "file not found"}[what] in line


def test_a_non_utf8_key_file_is_a_clean_error(cli, tmp_path: Path) -> None:
    """Was: UnicodeDecodeError traceback from the key file."""
    (tmp_path / "k").write_bytes(b"\xff\xfekey")
    os.symlink("/dev/zero", tmp_path / "z")
    text = (EXAMPLES / "linux-test.yaml").read_text().replace("env:CCSEC_LAB_PSK", "file:k")
    for ref, message in (("file:k", "is not UTF-8 text"), ("file:z", "not a regular file")):
        (tmp_path / "d.yaml").write_text(text.replace("file:k", ref))
        start = time.perf_counter()
        res = cli("render", str(tmp_path / "d.yaml"), "-o", str(tmp_path / "out"))
        assert res.code == 2 and message in res.err and "Traceback" not in res.err
        assert time.perf_counter() - start < 10 and not (tmp_path / "out").exists()
        assert all(message in line for line in res.err.strip().splitlines())


@pytest.mark.parametrize("text", [
    "[" * 100_000, BILLION_LAUGHS, "waivers: &a [*a]\n",
    "- {rule: R, subject: '*', reason: \"a\\nb\", expires: 2030-01-01}\n",
    "- {rule: R, subject: '*', reason: r, expires: " + "9" * 5000 + "}\n",
])
def test_hostile_waivers_files(text: str) -> None:
    start = time.perf_counter()
    with pytest.raises(WaiverError) as exc:
        parse_waivers(text, "w.yaml")
    assert time.perf_counter() - start < 2.0
    assert str(exc.value).startswith("w.yaml")


# -------------------------------------------------------- the composer, property-based

YAML_BITS = st.sampled_from(["\n", " ", "  ", "- ", ": ", "{", "}", "[", "]", ",", "&a ", "*a",
                             "<<: ", "? ", "!!str ", "!!int ", "!x ", "'", '"', "#", "---\n",
                             "a", "b", "0x", "0o", "_", ".", "1", "e", "-", "+", "~", "null",
                             "true", "\t", "|\n", ">\n", "%YAML 1.2\n"])


@settings(max_examples=400, deadline=None)
@given(st.lists(YAML_BITS, max_size=40).map("".join))
def test_the_composer_raises_only_located_errors(text: str) -> None:
    try:
        compose(text, "f.yaml", DeploymentError)
    except DeploymentError as exc:
        assert all(p.file == "f.yaml" for p in exc.problems)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="0123456789oxeEf_+-.", max_size=8))
@example("0x_")
@example(".__")
@example("-0o_")
def test_every_plain_scalar_resolves(text: str) -> None:
    """Was ValueError for ``0x_`` and ``.__`` (underscores and no digit left)."""
    try:
        doc = compose(f"v: {text}\n", "f.yaml", DeploymentError)
    except DeploymentError:
        return  # not a plain scalar libyaml reads (``-``…) or a refused number: located
    assert "v" in doc.data
    assert not isinstance(doc.data["v"], str) or doc.data["v"] == text.strip()
