"""The architecture as a test: every import in ``src/ccsec`` points down the layer order, and
no two packages import each other (directly or through others).

Layers, lowest first (a unit may import only from its own layer's unit or lower layers; units
in one layer may not import each other):

    errors     errors (UserError and its file:line:field problems)
    base       textio, fileio, gcpause, secrets, yamlsafe, ccsec (version), synth, workers
    crypto     crypto, collector (the Windows collector's schema and readers)
    deployment deployment
    paths      paths
    policy     policy, ports
    plan       plan
    formats    formats
    render     render
    findings   findings
    audit      audit
    checks     checks
    beside     monitor, lab, probe (beside the audit: they use the model, not each other)
    report     report
    api        api
    cli        cli
    main       __main__

Every import is counted, including those inside functions and under ``TYPE_CHECKING``: a lazy
import hides a cost, not a dependency.  The audit engine loads the check families by name
from :data:`ccsec.findings.families.AUDIT_FAMILIES` (a plugin table); the test holds each
named family to the same rules as any other module.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

from conftest import ROOT

SRC = ROOT / "src" / "ccsec"

LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors",),
    ("textio", "fileio", "gcpause", "secrets", "yamlsafe", "ccsec", "synth", "workers"),
    ("crypto", "collector"),
    ("deployment",),
    ("paths",),
    ("policy", "ports"),
    ("plan",),
    ("formats",),
    ("render",),
    ("findings",),
    ("audit",),
    ("checks",),
    ("monitor", "lab", "probe"),
    ("report",),
    ("api",),
    ("cli",),
    ("__main__",),
)
RANK = {unit: n for n, units in enumerate(LAYERS) for unit in units}


def unit_of(module: str) -> str:
    """``ccsec.formats.ios.render`` → ``formats``; ``ccsec`` → ``ccsec``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "ccsec"


def module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> list[tuple[int, str]]:
    """Every ``ccsec`` module ``path`` imports, with the line of the import."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("ccsec")]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative import: resolve against this module's package
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            if base.startswith("ccsec"):
                found.append((node.lineno, base))
    return found


def edges() -> list[tuple[str, str, str, int]]:
    """(from unit, to unit, file, line) for every import between two different units."""
    out = []
    for path in sorted(SRC.rglob("*.py")):
        me = unit_of(module_name(path))
        for line, target in imports(path):
            other = unit_of(target)
            if other != me:
                out.append((me, other, str(path.relative_to(ROOT)), line))
    return out


def back_edges(found: list[tuple[str, str, str, int]]) -> list[str]:
    bad = []
    for me, other, file, line in found:
        if me not in RANK or other not in RANK:
            bad.append(f"{file}:{line}: {me} -> {other}: unit missing from LAYERS")
        elif RANK[other] >= RANK[me]:
            bad.append(f"{file}:{line}: {me} -> {other} points up or sideways "
                       f"(layer {RANK[me]} -> {RANK[other]})")
    return bad


def cycles(found: list[tuple[str, str, str, int]]) -> list[list[str]]:
    """Strongly connected groups of more than one unit (Tarjan)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for me, other, _, _ in found:
        graph[me].add(other)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return groups


def test_every_unit_is_placed() -> None:
    units = {unit_of(module_name(p)) for p in SRC.rglob("*.py")}
    assert units - set(RANK) == set(), "add new packages/modules to LAYERS"


def test_imports_point_down_the_layers() -> None:
    assert back_edges(edges()) == []


def test_no_package_cycles() -> None:
    assert cycles(edges()) == []


def test_check_families_depend_only_on_what_lies_below_the_checks() -> None:
    from ccsec.findings.families import FAMILIES

    for family in FAMILIES:
        path = SRC.joinpath(*family.split(".")[1:]).with_suffix(".py")
        assert path.is_file(), family
        for line, target in imports(path):
            assert RANK[unit_of(target)] <= RANK[unit_of(family)], f"{path}:{line}: {target}"


# ---------------------------------------------------------------- the test can fail


def test_a_back_edge_is_caught(tmp_path: Path) -> None:
    """A ``formats`` module importing the report, as it would look in the tree."""
    found = [("formats", "report", "src/ccsec/formats/x.py", 3)]
    assert back_edges(found) == [
        "src/ccsec/formats/x.py:3: formats -> report points up or sideways (layer 7 -> 13)"]


@pytest.mark.parametrize("source", [
    "from ccsec.report.html import page\n",
    "def f():\n    from ccsec.report import html\n",
    "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import ccsec.report.html\n",
])
def test_every_import_form_is_seen(tmp_path: Path, source: str, monkeypatch) -> None:
    pkg = tmp_path / "ccsec" / "formats"
    pkg.mkdir(parents=True)
    f = pkg / "x.py"
    f.write_text(source)
    monkeypatch.setattr(__import__(__name__), "SRC", tmp_path / "ccsec")
    assert [unit_of(t) for _, t in imports(f)] == ["report"]


def test_a_cycle_is_caught() -> None:
    found = [("audit", "checks", "a", 1), ("checks", "audit", "b", 2), ("cli", "api", "c", 3)]
    assert cycles(found) == [["audit", "checks"]]
