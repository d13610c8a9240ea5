"""Findings as SARIF 2.1.0 for code scanning.

SARIF follows the subset GitHub code scanning reads: rules with short/full description and
help, results with ruleId, level, message and a physical location with a full region, and a
stable ``partialFingerprints.primaryLocationLineHash``.  One result per finding (per subject),
as SARIF consumers expect.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ccsec import __version__
from ccsec.findings.model import CATALOG, SARIF_LEVEL, SECURITY_SEVERITY, CheckRule, Finding
from ccsec.findings.text import sort_findings

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _uri(path: str, root: Path | None) -> str:
    p = Path(path)
    if root is not None and p.is_absolute():
        try:
            return p.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return p.as_posix() if not p.is_absolute() else p.resolve().as_uri()


def _rule_descriptor(r: CheckRule) -> dict[str, object]:
    help_text = f"{r.rationale}\n\nFix: {r.fix}\n\nSources: {'; '.join(r.citations)}"
    if r.unverified:
        help_text += f"\n\nUnverified: {r.unverified}"
    props: dict[str, object] = {"tags": ["security", "ipsec", r.family], "precision": "high"}
    if r.severity in SECURITY_SEVERITY:
        props["security-severity"] = SECURITY_SEVERITY[r.severity]
    return {
        "id": r.id,
        "name": "".join(w.capitalize() for w in r.id.replace("-", " ").split()),
        "shortDescription": {"text": r.title[:1024]},
        "fullDescription": {"text": r.rationale[:1024] or r.title},
        "help": {"text": help_text, "markdown": help_text},
        "defaultConfiguration": {"level": SARIF_LEVEL[r.severity]},
        "properties": props,
    }


def sarif(findings: list[Finding], fallback_file: str, category: str = "ccsec",
          root: Path | None = None) -> dict[str, object]:
    """A SARIF 2.1.0 log; findings without a location are anchored at ``fallback_file`` line 1."""
    root = root or Path(os.getcwd())
    used = sorted({f.rule for f in findings})
    rules = [CATALOG.get(rid) for rid in used if rid in CATALOG]
    index = {r.id: i for i, r in enumerate(rules)}
    results = []
    for f in sort_findings(findings):
        file = f.location.file if f.location else fallback_file
        line = (f.location.line if f.location and f.location.line else 1)
        digest = hashlib.sha256(f"{f.rule}|{f.subject}|{f.message}".encode()).hexdigest()[:32]
        result: dict[str, object] = {
            "ruleId": f.rule,
            "level": SARIF_LEVEL[f.severity],
            "message": {"text": f"{f.message} Fix: {f.fix}"},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(file, root)},
                    "region": {"startLine": line, "startColumn": 1, "endLine": line,
                               "endColumn": 2},
                },
                "logicalLocations": [{"name": f.subject, "kind": "resource"}],
            }],
            "partialFingerprints": {"primaryLocationLineHash": f"{digest}:1"},
            "properties": {"subject": f.subject, "severity": f.severity.value},
        }
        if f.rule in index:
            result["ruleIndex"] = index[f.rule]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "ccsec",
                "semanticVersion": __version__,
                "version": __version__,
                "rules": [_rule_descriptor(r) for r in rules],
            }},
            "automationDetails": {"id": f"{category}/"},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
