"""IKE log parsers: format detection per file, then charon / Oakley / Windows events.

``parse_file`` decides the format from the content (never from the file name): XML →
``wevtutil`` events; JSON → the ccsec collector file or ``Get-WinEvent | ConvertTo-Json``;
``#TYPE``/``Id,…Message`` CSV → ``Export-Csv``; otherwise line formats (charon, Oakley.log).
"""

from __future__ import annotations

from pathlib import Path

from ccsec.errors import ParseError, Problem
from ccsec.monitor.logs import charon, oakley, winevents
from ccsec.monitor.logs.model import ParsedLog
from ccsec.textio import load_json, read_text


def _collector_events(doc: dict[str, object], text: str, file: str) -> ParsedLog:
    from ccsec.collector.posture import load_export_doc

    export = load_export_doc(doc, text, file)
    records = [winevents.Record(e.id, 1, winevents._parse_iso(e.time or ""), e.computer,
                                dict(e.data)) for e in export.ipsec_events]
    return winevents.to_events(records, file, winevents.FMT_COLLECTOR)


def parse_text(text: str, file: str) -> ParsedLog:
    stripped = text.lstrip()
    if not stripped:
        raise ParseError(Problem("empty file", file=file, fix="pass a log or event export"))
    if stripped.startswith("<"):
        return winevents.parse_xml(text, file)
    if stripped[0] in "[{":
        doc = load_json(text, file, "export the events again")
        if isinstance(doc, dict) and "schema" in doc and "ipsec_events" in doc:
            return _collector_events(doc, text, file)
        return winevents.parse_json(text, file)
    lines = text.splitlines()
    first = next(line for line in lines if line.strip())
    if first.startswith("#TYPE") or (first.startswith('"') and '"Message"' in first
                                     and '"Id"' in first):
        return winevents.parse_csv(text, file)
    head = lines[:60]
    if charon.looks_like(head):
        return charon.parse(lines, file)
    if oakley.looks_like(head):
        return oakley.parse(lines, file)
    line_no = next(i for i, line in enumerate(lines, 1) if line.strip())
    raise ParseError(Problem(
        "not a log format ccsec reads", file=file, line=line_no,
        fix="pass a charon log (filelog/syslog/journal), an Oakley.log, a wevtutil /f:xml "
            "export, Get-WinEvent | ConvertTo-Json / Export-Csv, or a ccsec collector file"))


def parse_file(path: str | Path) -> ParsedLog:
    return parse_text(read_text(path), str(path))
