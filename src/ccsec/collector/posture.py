"""Reading collector files (``ccsec-<HOST>.json``) into :class:`CollectorExport` values.

Validation errors name the file and the line of the offending key (JSON parsers give no
positions for values, so the line is found by walking the error's key path through the text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ccsec.collector.schema import SCHEMA_ID, CollectorExport
from ccsec.errors import ParseError, Problem
from ccsec.textio import load_json, read_text

FIX = "run the collector printed by `ccsec collector windows` again and pass its JSON file"


def _line_of_path(text: str, loc: tuple[Any, ...]) -> int:
    pos = 0
    for part in loc:
        if isinstance(part, str):
            m = re.compile(r'"' + re.escape(part) + r'"\s*:').search(text, pos)
            if m:
                pos = m.start()
    return text.count("\n", 0, pos) + 1


def load_export_doc(doc: Any, text: str, file: str) -> CollectorExport:
    """Validate one parsed collector document."""
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA_ID:
        raise ParseError(Problem(f"not a ccsec collector file (expected \"schema\": "
                                 f"\"{SCHEMA_ID}\")", file=file, line=1, fix=FIX))
    try:
        return CollectorExport.model_validate(doc)
    except ValidationError as exc:
        problems = []
        for e in exc.errors()[:10]:
            loc = tuple(e["loc"])
            field = ".".join(str(x) for x in loc)
            problems.append(Problem(e["msg"], file=file, line=_line_of_path(text, loc),
                                    field=field, fix=FIX))
        raise ParseError(problems) from None


@dataclass
class HostExport:
    """One collector file: the validated model plus its text (for finding locations)."""

    file: str
    text: str
    data: CollectorExport

    def line_of(self, key: str) -> int | None:
        m = re.search(r'"' + re.escape(key) + r'"\s*:', self.text)
        return self.text.count("\n", 0, m.start()) + 1 if m else None


def load_export(path: str | Path) -> HostExport:
    file = str(path)
    text = read_text(path)
    return HostExport(file, text, load_export_doc(load_json(text, file, FIX), text, file))
