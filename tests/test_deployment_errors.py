"""Malformed deployment files: exit 2, one line naming file:line and the field, nothing written.

Each case is the valid BASE document with one defect; the expected line is where the defect is.
"""

from __future__ import annotations

from pathlib import Path

import pytest

BASE = """\
deployment: err-test
environment: production
profile: recommended
protection: both
domains: [icm.test.example, uc.test.example]
pki: {root_ca: "CN=Test Root CA"}
sites:
  - name: dc
    kind: central
    prefixes: [10.1.0.0/16]
    gateway: {name: rtr-dc, platform: ios, wan: 198.51.100.1}
  - name: remote
    kind: remote
    prefixes: [10.2.0.0/16]
    gateway: {name: rtr-rm, platform: ios, wan: 198.51.100.2}
hosts:
  - name: rgr-a
    site: dc
    roles: [router, logger]
    pair: cc
    side: a
    domain: icm.test.example
    public: 10.1.1.10
    private: 10.1.2.10
  - name: rgr-b
    site: dc
    roles: [router, logger]
    pair: cc
    side: b
    domain: icm.test.example
    public: 10.1.1.11
  - name: pg-1
    site: remote
    roles: [pg]
    domain: icm.test.example
    public: 10.2.1.10
  - name: aw-1
    site: dc
    roles: [aw]
    domain: icm.test.example
    public: 10.1.3.10
agent_networks:
  - {name: agents, site: remote, prefix: 10.2.64.0/20}
"""


def mutate(old: str, new: str) -> str:
    assert old in BASE, old
    return BASE.replace(old, new, 1)


def line_of(text: str, anchor: str) -> int:
    """1-based line of the first line containing ``anchor`` (where the error must point)."""
    for n, line in enumerate(text.splitlines(), start=1):
        if anchor in line:
            return n
    raise AssertionError(f"anchor {anchor!r} not in document")


# (case id, document text, anchor of the expected line, field fragment, message fragment)
CASES: list[tuple[str, str, str, str, str]] = [
    ("unknown-role", mutate("roles: [pg]", "roles: [pgw]"), "[pgw]", "hosts[pg-1].roles[0]",
     "unknown value 'pgw'"),
    ("unknown-platform", mutate("platform: ios, wan: 198.51.100.2",
                                "platform: junos, wan: 198.51.100.2"), "junos",
     "sites[remote].gateway.platform", "junos"),
    ("duplicate-host", mutate("  - name: aw-1", "  - name: pg-1"), "  - name: pg-1\n",
     "hosts[pg-1].name", "duplicate name 'pg-1'"),
    ("duplicate-address", mutate("public: 10.1.3.10", "public: 10.1.1.11"), "SECOND:10.1.1.11",
     "hosts[aw-1].public", "already used by hosts[rgr-b].public"),
    ("outside-prefix", mutate("public: 10.2.1.10", "public: 10.9.1.10"), "10.9.1.10",
     "hosts[pg-1].public", "outside site 'remote'"),
    ("unknown-site", mutate("    site: remote\n", "    site: remot\n"), "site: remot",
     "hosts[pg-1].site", "unknown site 'remot'"),
    ("unknown-domain", mutate("    domain: icm.test.example\n    public: 10.1.3.10",
                              "    domain: icm.tset.example\n    public: 10.1.3.10"), "tset",
     "hosts[aw-1].domain", "unknown domain"),
    ("equal-sides", mutate("    side: b\n", "    side: a\n"), "SECOND:side: a",
     "hosts[rgr-b].side", "already has side a"),
    ("psk-in-production", mutate("environment: production\n",
                                 "environment: production\npsk: env:LAB_KEY\n"), "psk:", "psk",
     "refused in production"),
    ("private-on-aw", mutate("    public: 10.1.3.10\n",
                             "    public: 10.1.3.10\n    private: 10.1.4.10\n"), "10.1.4.10",
     "hosts[aw-1].private", "no private network"),
    ("literal-psk", mutate("environment: production\n",
                           "environment: test\npsk: Sup3rSecretKey\n"), "psk:", "psk",
     "must be a reference"),
    ("bad-ip", mutate("public: 10.2.1.10", "public: 10.2.1.300"), "10.2.1.300",
     "hosts[pg-1].public", "not a valid IPv4 address"),
    ("host-bits", mutate("prefixes: [10.2.0.0/16]", "prefixes: [10.2.0.1/16]"), "10.2.0.1/16",
     "sites[remote].prefixes[0]", "not a valid IPv4 network"),
    ("yaml-syntax", mutate("    kind: remote\n", "    kind: remote\n   bad: [\n"), "bad: [",
     "", "not valid YAML"),
    ("missing-field", mutate("    public: 10.2.1.10\n", ""), "  - name: pg-1",
     "hosts[pg-1].public", "required field is missing"),
    ("unknown-top-level", mutate("hosts:\n", "hostz: []\nhosts:\n"), "hostz", "hostz",
     "unknown field"),
    ("bad-profile", mutate("profile: recommended", "profile: paranoid"), "paranoid", "profile",
     "paranoid"),
    ("pair-without-side", mutate("    side: b\n", ""), "  - name: rgr-b",
     "hosts[rgr-b].side", "go together"),
    ("overlapping-prefixes", mutate("prefixes: [10.2.0.0/16]",
                                    "prefixes: [10.2.0.0/16, 10.1.128.0/17]"),
     "10.1.128.0/17", "sites[remote].prefixes[1]", "overlaps 10.1.0.0/16"),
    ("wan-inside-lan", mutate("wan: 198.51.100.2}", "wan: 10.2.0.254}"), "10.2.0.254",
     "sites[remote].gateway.wan", "inside the site"),
    ("agent-unknown-site", mutate("site: remote, prefix", "site: elsewhere, prefix"), "elsewhere",
     "agent_networks[agents].site", "unknown site 'elsewhere'"),
    ("no-gateway", mutate("    gateway: {name: rtr-rm, platform: ios, wan: 198.51.100.2}\n", ""),
     "  - name: remote", "sites[remote]", "no gateway"),
    ("no-root-ca", mutate('pki: {root_ca: "CN=Test Root CA"}\n', ""), "rtr-dc",
     "sites[dc].gateway", "no root CA"),
    ("not-a-mapping", "- just\n- a list\n", "just", "", "must be a YAML mapping"),
    ("duplicate-key", mutate("profile: recommended\n", "profile: recommended\nprofile: legacy\n"),
     "profile: legacy", "", "not valid YAML"),
    ("vti-on-strongswan", mutate("platform: ios, wan: 198.51.100.2}",
                                 "platform: strongswan, wan: 198.51.100.2, tunnel: vti}"),
     "tunnel: vti", "sites[remote].gateway.tunnel", "IOS option"),
    ("pair-roles-differ", mutate("    roles: [router, logger]\n    pair: cc\n    side: b",
                                 "    roles: [router]\n    pair: cc\n    side: b"),
     "    roles: [router]\n", "hosts[rgr-b].roles", "same roles"),
    ("bad-environment", mutate("environment: production", "environment: staging"), "staging",
     "environment", "staging"),
    ("bad-host-name", mutate("  - name: aw-1", "  - name: aw_1!"), "aw_1!", "hosts[aw_1!].name",
     "invalid value"),
    ("nat-public-in-prefix",
     mutate("    gateway: {name: rtr-rm, platform: ios, wan: 198.51.100.2}\n",
            "    gateway: {name: rtr-rm, platform: ios, wan: 198.51.100.2}\n"
            "    nat: {public: 10.1.9.9}\n"), "10.1.9.9", "sites[remote].nat.public",
     "inside prefix 10.1.0.0/16"),
]


def expected_line(text: str, anchor: str) -> int:
    if anchor.startswith("SECOND:"):
        needle = anchor.removeprefix("SECOND:")
        hits = [n for n, ln in enumerate(text.splitlines(), 1) if needle in ln]
        return hits[1]
    if anchor.endswith("\n"):
        return [n for n, ln in enumerate(text.splitlines(), 1) if ln == anchor[:-1]][-1]
    return line_of(text, anchor)


def test_base_document_is_valid(write_yaml, cli) -> None:
    res = cli("paths", str(write_yaml(BASE)))
    assert res.code == 0, res.err


@pytest.mark.parametrize(("case", "text", "anchor", "field", "message"), CASES,
                         ids=[c[0] for c in CASES])
def test_malformed_deployment(case: str, text: str, anchor: str, field: str, message: str,
                              write_yaml, cli, tmp_path: Path) -> None:
    line = expected_line(text, anchor)
    path = write_yaml(text)
    out = tmp_path / "out"
    res = cli("render", str(path), "-o", str(out))
    assert res.code == 2
    lines = res.err.strip().splitlines()
    assert len(lines) == 1, res.err
    assert lines[0].startswith(f"ccsec: error: {path}:{line}: {field}"), lines[0]
    assert message in lines[0]
    assert "fix:" in lines[0], "every error says how to fix it"
    assert "Traceback" not in res.err and res.out == ""
    assert not out.exists(), "nothing may be written for a bad deployment"


def test_literal_key_is_never_echoed(write_yaml, cli) -> None:
    path = write_yaml(mutate("environment: production\n",
                             "environment: test\npsk: Sup3rSecretKey\n"))
    res = cli("paths", str(path))
    assert res.code == 2
    assert "Sup3rSecretKey" not in res.err + res.out


def test_all_problems_are_reported(write_yaml, cli) -> None:
    text = mutate("roles: [pg]", "roles: [pgw]").replace("profile: recommended", "profile: x")
    res = cli("paths", str(write_yaml(text)))
    assert res.code == 2
    assert len(res.err.strip().splitlines()) == 2


def test_missing_file(cli, tmp_path: Path) -> None:
    res = cli("paths", str(tmp_path / "nope.yaml"))
    assert res.code == 2
    assert "file not found" in res.err
