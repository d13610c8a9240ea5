"""Citations a user can follow (issue 16, item 6): every rule cites an RFC section or a public
document's title with an https address — never ccsec's own notes — and `ccsec explain` says
what each evidence marker means."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ccsec.findings.families import load_all
from ccsec.findings.model import CATALOG, CheckRule
from ccsec.findings.sources import MARKERS
from ccsec.formats import registry

#: what a user cannot open: ccsec's unshipped design notes, requirement ids, seed files, issues
INTERNAL = re.compile(r"[\w-]+\.md\b|MISSION|\bseed\s+0\d\d|\b00\d\s*「|「|issue\s*#\d|"
                      r"\[S\d+[a-z]?\]|\[C\d+\]")
RFC_SECTION = re.compile(r"^RFC \d{3,5} §\d")
TITLE_AND_URL = re.compile(r"^\S.{8,}? — https://\S+$")
MARK = re.compile(r"\[[A-Z]\]")


def _rules() -> list[CheckRule]:
    load_all()
    return CATALOG.all()


@pytest.mark.parametrize("r", _rules(), ids=lambda r: r.id)
def test_every_rule_cites_public_sources_only(r: CheckRule) -> None:
    assert r.citations, "a rule without a source"
    for c in r.citations:
        assert not INTERNAL.search(c), c
        assert RFC_SECTION.match(c) or TITLE_AND_URL.match(c), \
            f"neither an RFC section nor a title with an https URL: {c!r}"
    for text in (r.title, r.rationale, r.fix, r.unverified):
        assert not INTERNAL.search(text), text


def test_the_checker_catches_what_it_must() -> None:
    for bad in ("platform-syntax.md §7.4", "MISSION B2 (ends match)",
                "seed 000 「IPSec ポリシーの設定」", "issue #3 (mixed files)", "[S16] 100 MB",
                "windows-and-cce-facts.md §2.2"):
        assert INTERNAL.search(bad), bad
    assert not RFC_SECTION.match("RFC 9395 (abstract)")
    assert not TITLE_AND_URL.match("Cisco technote 116055 (NGE support per crypto engine)")
    assert TITLE_AND_URL.match("Cisco, Next Generation Encryption — https://www.cisco.com/x")


def test_every_marker_a_rule_uses_is_explained(cli) -> None:
    used = {m for r in _rules() for t in (r.rationale, r.unverified, *r.citations)
            for m in MARK.findall(t)}
    assert used <= set(MARKERS), used - set(MARKERS)
    legend = cli("explain")
    assert legend.code == 0
    for mark in MARKERS:
        assert mark in legend.out
    doc = json.loads(cli("explain", "IPSEC-IKE-004", "--json").out)
    assert set(doc["markers"]) == {"[D]", "[O]", "[U]"}
    text = cli("explain", "IPSEC-IKE-004").out
    assert "markers:" in text and "[U]  unverified" in text


GOLDEN = Path(__file__).resolve().parents[1] / "golden"


def test_rendered_files_and_proof_notes_name_no_internal_notes(cli) -> None:
    """What a user reads besides the rules: every format's title and proof note, every golden
    file, the collectors' scripts, the port matrix and a --help page."""
    formats = [registry.get(n) for n in registry.names()]
    texts = {f"{f.name} proof note": f.title + " " + f.proof_note for f in formats}
    texts |= {str(p.relative_to(GOLDEN)): p.read_text(encoding="utf-8")
              for p in GOLDEN.rglob("*") if p.is_file()}
    assert len(texts) > 20  # the golden tree was found
    texts["windows collector"] = cli("collector", "windows").out
    texts["perf collector"] = cli("perf", "collector").out
    texts["ports"] = cli("ports", "demo", "--json").out
    texts["render --help"] = cli("render", "--help").out
    for where, text in texts.items():
        found = INTERNAL.search(text)
        assert found is None, f"{where}: {text[max(0, found.start() - 60):found.end() + 20]!r}"


def test_lab_substitutions_name_no_internal_notes() -> None:
    """The lab's stated changes (``lab run`` prints them, its JSON keeps them)."""
    from ccsec.deployment.demo import demo_text
    from ccsec.deployment.load import loads
    from ccsec.formats.base import RenderContext
    from ccsec.lab.build import STARTED, lab_policy
    from ccsec.lab.transform import lab_ca_name
    from ccsec.plan import plan
    from ccsec.secrets import SecretResolver

    dep = loads(demo_text(), "demo.yaml")
    ps = plan(dep)
    owners = {e.owner for e in ps.ends if e.owner}
    ctx = RenderContext(dep.deployment, ps.profile, SecretResolver(Path.cwd()))
    subs = lab_policy(dep, ps, owners, "libipsec", lab_ca_name(None), ctx).subs
    assert len(subs) > 3
    for text in [s.text() for s in subs] + list(STARTED):
        assert not INTERNAL.search(text), text
