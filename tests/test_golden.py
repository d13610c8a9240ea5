"""Golden files pin every renderer's exact output for the example deployments.

Review a renderer change with ``make golden`` (rewrites the files) and ``git diff tests/golden``.
Golden files alone could freeze wrong output, so they are paired with the round-trip property
(test_roundtrip.py) and the semantic checks (test_semantic.py).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ccsec.deployment import load, loads
from ccsec.deployment.demo import demo_text
from ccsec.formats.registry import names
from ccsec.plan import plan
from ccsec.render import render_policy_set
from conftest import EXAMPLES, lab_context

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("CCSEC_UPDATE_GOLDEN") == "1"

CASES = {
    "demo": (lambda: loads(demo_text(), "demo.yaml"), None),
    "demo-legacy": (lambda: loads(demo_text(), "demo.yaml"), "legacy"),
    "linux-test": (lambda: load(EXAMPLES / "linux-test.yaml"), None),
    "multi-site": (lambda: load(EXAMPLES / "multi-site.yaml"), None),
    "ios-vti": (lambda: load(EXAMPLES / "ios-vti.yaml"), None),
}


def rendered(case: str) -> dict[str, dict[str, str]]:
    """format -> {relative path -> text} for one case, default formats per end."""
    make, profile = CASES[case]
    ps = plan(make(), profile)
    result = render_policy_set(ps, lab_context(ps))
    out: dict[str, dict[str, str]] = {}
    for f in result.files:
        out.setdefault(f.format, {})[f.path] = f.text
    return out


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("fmt", names())
def test_golden(fmt: str, case: str) -> None:
    files = rendered(case).get(fmt, {})
    root = GOLDEN / fmt / case
    if UPDATE:
        for old in root.rglob("*") if root.exists() else []:
            if old.is_file():
                old.unlink()
        for rel, text in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text, encoding="utf-8")
    on_disk = {str(p.relative_to(root)): p.read_text(encoding="utf-8")
               for p in root.rglob("*") if p.is_file()} if root.exists() else {}
    assert sorted(on_disk) == sorted(files), "golden file set differs: run `make golden`"
    for rel, text in files.items():
        assert text == on_disk[rel], f"{fmt}/{case}/{rel} differs from golden: `make golden`"


def test_every_format_has_golden_files() -> None:
    covered = {fmt for case in CASES for fmt in rendered(case)}
    assert covered == set(names())
