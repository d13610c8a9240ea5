"""Exported Windows Security-log IPsec events → :class:`IkeEvent` values.

Shapes read (which are documented and which constructed is said per shape):

* ``wevtutil qe Security /q:"*[System[(EventID=4653)]]" /f:xml`` — a sequence of ``<Event>``
  elements in the documented event schema (``System/EventID``, ``System/TimeCreated/@SystemTime``,
  ``System/Computer``, ``EventData/Data[@Name]``).  Data names for 4653 are documented
  [V, windows-and-cce-facts.md §1.3]; the same names are assumed for 4650–4655 [U].
* ``Get-WinEvent … | ConvertTo-Json`` and ``… | Export-Csv`` — EventLogRecord objects with
  ``Id``, ``TimeCreated``, ``MachineName`` and the rendered ``Message``; ccsec reads the message's
  ``Label: value`` layout (§1.3, English rendering) because ``Properties`` carry no names.
* the ``ipsec_events`` list of the ccsec Windows collector file (ccsec's own shape, see
  ``ccsec.collector.schema.IpsecEvent``: the EventData names as keys).

No real export was available: every sample in the tests was constructed from the documented
layout, and events carry ``verified=False``.
"""

from __future__ import annotations

import csv
import io
import re
import xml.parsers.expat
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ccsec.errors import ParseError, Problem, shown_repr
from ccsec.monitor.logs.ikeerrors import lookup
from ccsec.monitor.logs.model import IkeEvent, Kind, ParsedLog
from ccsec.textio import ascii_int, load_json

FMT_XML = "windows-events-wevtutil-xml"
FMT_JSON = "windows-events-get-winevent-json"
FMT_CSV = "windows-events-export-csv"
FMT_COLLECTOR = "windows-events-ccsec-collector"

ESTABLISHED_MM = {4650, 4651, 4979, 4980, 4981, 4982}
FAILED_MM = {4652, 4653, 4983, 4984}
DELETED = {4655, 5452, 5049}
INVALID_PACKET = {4976, 4977, 4978, 4960, 4961, 4962, 4965}
SERVICE_DOWN = {5453, 5479, 5483, 5484}
IPSEC_EVENT_IDS = (ESTABLISHED_MM | FAILED_MM | DELETED | INVALID_PACKET | SERVICE_DOWN
                   | {4654, 5451, 4963})

#: rendered-message labels → EventData names; section-qualified where a label repeats
_LABELS: dict[tuple[str, str], str] = {
    ("local endpoint", "network address"): "LocalAddress",
    ("remote endpoint", "network address"): "RemoteAddress",
    ("local endpoint", "local principal name"): "LocalMMPrincipalName",
    ("remote endpoint", "principal name"): "RemoteMMPrincipalName",
    ("", "local network address"): "LocalAddress",
    ("", "remote network address"): "RemoteAddress",
    ("", "keying module name"): "KeyModName",
    ("", "authentication method"): "MMAuthMethod",
    ("", "role"): "Role",
    ("", "failure point"): "FailurePoint",
    ("", "failure reason"): "FailureReason",
    ("", "state"): "State",
    ("", "cipher algorithm"): "CipherAlgorithm",
    ("", "integrity algorithm"): "IntegrityAlgorithm",
    ("", "diffie-hellman group"): "DHGroup",
    ("", "mode"): "Mode",
    ("", "main mode sa id"): "MMSAID",
}
_SECTIONS = ("local endpoint", "remote endpoint", "additional information",
             "failure information", "security association information",
             "cryptographic information", "local certificate", "remote certificate")


@dataclass
class Record:
    """One exported event, format-neutral."""

    id: int
    line: int
    time: datetime | None
    computer: str | None
    data: dict[str, str] = field(default_factory=dict)


def message_fields(message: str) -> dict[str, str]:
    """EventData-style names from a rendered message's ``Label: value`` lines."""
    out: dict[str, str] = {}
    section = ""
    for raw in message.splitlines():
        line = raw.strip()
        if not line:
            continue
        label, sep, value = line.partition(":")
        key = label.strip().lower()
        if sep and not value.strip() and key in _SECTIONS:
            section = key
            continue
        if not sep:
            continue
        name = _LABELS.get((section, key)) or _LABELS.get(("", key))
        if name and name not in out:
            out[name] = value.strip()
    return out


def _kind(rec: Record) -> tuple[Kind, dict[str, str]]:
    eid, d = rec.id, rec.data
    detail = {k: v for k, v in d.items() if k in ("KeyModName", "MMAuthMethod", "Role",
                                                    "FailurePoint", "CipherAlgorithm",
                                                    "IntegrityAlgorithm", "DHGroup")}
    detail["event_id"] = str(eid)
    if eid in ESTABLISHED_MM:
        return Kind.IKE_ESTABLISHED, detail
    if eid == 5451:
        return Kind.CHILD_ESTABLISHED, detail
    if eid in DELETED:
        return Kind.DELETED, detail
    if eid == 4963:
        return Kind.CLEARTEXT, detail
    if eid in INVALID_PACKET:
        return Kind.PACKET_INTEGRITY, detail
    if eid in SERVICE_DOWN:
        return Kind.SERVICE_DOWN, detail
    if eid in FAILED_MM or eid == 4654:
        code, text, kind = lookup(d.get("FailureReason", ""))
        detail["reason"] = text
        if code:
            detail["code"] = str(code)
        if kind is Kind.AUTH_FAILED and "shared" in d.get("MMAuthMethod", "").lower():
            kind = Kind.PSK_MISMATCH
        if eid == 4654:
            kind = {Kind.IKE_NO_PROPOSAL: Kind.CHILD_NO_PROPOSAL,
                    Kind.NO_CONFIG: Kind.NO_CHILD_CONFIG}.get(kind, kind)
        return kind, detail
    return Kind.INFO, detail


def to_events(records: list[Record], file: str, fmt: str) -> ParsedLog:
    events = []
    for rec in records:
        kind, detail = _kind(rec)
        if kind is Kind.INFO:
            continue
        version = {"IKEv1": 1, "IKEv2": 2, "AuthIP": 1}.get(rec.data.get("KeyModName", ""))
        role = rec.data.get("Role", "").lower() or None
        events.append(IkeEvent(
            file, rec.line, kind, f"event {rec.id}" + (f": {detail['reason']}"
                                                         if "reason" in detail else ""),
            fmt, time=rec.time, local=rec.data.get("LocalAddress") or None,
            peer=rec.data.get("RemoteAddress") or None, session=f"{file}:{rec.line}",
            role=role if role in ("initiator", "responder") else None, ike_version=version,
            detail=detail, verified=False))
    return ParsedLog(file, fmt, events, False, len(records), 0)


# ------------------------------------------------------------------ wevtutil XML

_MSDATE = re.compile(r"^[\\/]*Date\((-?[0-9]{1,15})(?:[+-][0-9]{4})?\)[\\/]*$")


def _parse_iso(text: str) -> datetime | None:
    """ISO-8601 (7 fractional digits allowed) or Windows PowerShell 5.1's ``/Date(ms)/``."""
    text = text.strip()
    if not text:
        return None
    m = _MSDATE.match(text)
    if m:
        try:
            return datetime.fromtimestamp(int(m[1]) / 1000, tz=UTC)
        except (ValueError, OverflowError, OSError):  # beyond the years datetime holds
            return None
    t = text[:-1] + "+00:00" if text.endswith("Z") else text
    if "." in t:  # Windows writes 7 fractional digits; Python reads at most 6
        head, frac = t.split(".", 1)
        n = len(frac) - len(frac.lstrip("0123456789"))
        t = f"{head}.{frac[:min(n, 6)]}{frac[n:]}"
    try:
        return datetime.fromisoformat(t)
    except ValueError:
        return None


class _XmlReader:
    """expat handler: one Record per <Event>, with its start line."""

    def __init__(self, parser: Any) -> None:
        self.p = parser
        self.records: list[Record] = []
        self.cur: Record | None = None
        self.path: list[str] = []
        self.text: list[str] = []
        self.data_name: str | None = None

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = name.rsplit("}", 1)[-1].rsplit(" ", 1)[-1]
        self.path.append(local)
        self.text = []
        if local == "Event":
            self.cur = Record(0, self.p.CurrentLineNumber, None, None)
        elif self.cur is not None and local == "TimeCreated":
            self.cur.time = _parse_iso(attrs.get("SystemTime", ""))
        elif local == "Data":
            self.data_name = attrs.get("Name")

    def end(self, name: str) -> None:
        local = self.path.pop() if self.path else ""
        value = "".join(self.text).strip()
        if self.cur is not None:
            if local == "EventID" and ascii_int(value, 10) is not None:
                self.cur.id = int(value)
            elif local == "Computer":
                self.cur.computer = value
            elif local == "Data" and self.data_name:
                self.cur.data[self.data_name] = value
            elif local == "Event":
                self.records.append(self.cur)
                self.cur = None
        self.text = []

    def chars(self, data: str) -> None:
        self.text.append(data)


def parse_xml(text: str, file: str) -> ParsedLog:
    if re.search(r"<!(?:DOCTYPE|ENTITY)", text):
        raise ParseError(Problem("XML with a DOCTYPE/ENTITY declaration is refused", file=file,
                                 fix="export with `wevtutil qe Security /f:xml` (no DTD)"))
    body = re.sub(r"^\s*<\?xml[^>]*\?>", lambda m: "\n" * m.group(0).count("\n"), text)
    p = xml.parsers.expat.ParserCreate(namespace_separator="}")
    reader = _XmlReader(p)
    p.StartElementHandler = reader.start
    p.EndElementHandler = reader.end
    p.CharacterDataHandler = reader.chars
    try:
        # wevtutil writes <Event> elements without a root: wrap them, same first line
        p.Parse("<Events>" + body + "</Events>", True)
    except xml.parsers.expat.ExpatError as exc:
        raise ParseError(Problem(f"malformed event XML: {xml.parsers.expat.ErrorString(exc.code)}",
                                 file=file, line=exc.lineno,
                                 fix="export again with `wevtutil qe Security /f:xml`")) from None
    return to_events([r for r in reader.records if r.id], file, FMT_XML)


# ------------------------------------------------------------ Get-WinEvent JSON

def _id_lines(text: str) -> list[tuple[int, int]]:
    """(event id, line) of every ``"Id": n`` key, in order (ConvertTo-Json gives no positions)."""
    out = []
    for m in re.finditer(r'"Id"\s*:\s*([0-9]{1,18})(?![0-9])', text):
        out.append((int(m[1]), text.count("\n", 0, m.start()) + 1))
    return out


def _json_time(value: Any) -> datetime | None:
    if isinstance(value, dict):
        value = value.get("value") or value.get("DateTime")
    return _parse_iso(value) if isinstance(value, str) else None


def parse_json_records(items: list[Any], text: str, file: str) -> ParsedLog:
    positions = _id_lines(text)
    records = []
    pos = 0
    for n, item in enumerate(items, 1):
        eid = item.get("Id") if isinstance(item, dict) else None
        if not isinstance(eid, int) or isinstance(eid, bool) or not 0 <= eid < 2**32:
            raise ParseError(Problem(f"record {n} has no numeric Id", file=file,
                                     fix="export with `Get-WinEvent … | ConvertTo-Json`"))
        line = 1
        while pos < len(positions):
            eid, ln = positions[pos]
            pos += 1
            if eid == item["Id"]:
                line = ln
                break
        message = item.get("Message") or ""
        machine = item.get("MachineName")
        records.append(Record(eid, line, _json_time(item.get("TimeCreated")),
                              machine if isinstance(machine, str) else None,
                              message_fields(str(message))))
    return to_events(records, file, FMT_JSON)


# ------------------------------------------------------------------ Export-Csv

def parse_csv(text: str, file: str) -> ParsedLog:
    lines = text.splitlines(keepends=True)
    skip = 1 if lines and lines[0].startswith("#TYPE") else 0
    reader = csv.reader(io.StringIO("".join(lines[skip:]), newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ParseError(Problem("empty CSV", file=file)) from None
    except csv.Error as exc:
        raise ParseError(Problem(f"malformed CSV header: {exc}", file=file, line=skip + 1,
                                 fix="export again with Export-Csv")) from None
    cols = {h.strip(): i for i, h in enumerate(header)}
    if "Id" not in cols or "Message" not in cols:
        raise ParseError(Problem("CSV has no Id and Message columns", file=file, line=skip + 1,
                                 fix="export with Get-WinEvent … | Export-Csv"))
    records = []
    start = skip + 2
    try:
        for row in reader:
            end = skip + reader.line_num
            if not row:
                start = end + 1
                continue
            if len(row) != len(header):
                raise ParseError(Problem(f"{len(row)} fields, the header has {len(header)}",
                                         file=file, line=start))
            eid = row[cols["Id"]].strip()
            if ascii_int(eid, 10) is None:
                raise ParseError(Problem(f"Id {shown_repr(eid, 40)} is not a number", file=file,
                                         line=start, fix="export again with Export-Csv"))
            t = row[cols["TimeCreated"]] if "TimeCreated" in cols else ""
            computer = row[cols["MachineName"]] if "MachineName" in cols else None
            records.append(Record(int(eid), start, _csv_time(t), computer,
                                  message_fields(row[cols["Message"]])))
            start = end + 1
    except csv.Error as exc:
        raise ParseError(Problem(f"malformed CSV: {exc}", file=file, line=skip + reader.line_num,
                                 fix="export again with Export-Csv")) from None
    return to_events(records, file, FMT_CSV)


def _csv_time(text: str) -> datetime | None:
    """Export-Csv writes the culture's short date/time, e.g. ``5/14/2025 9:12:44 AM`` [U]."""
    for fmt in ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%d/%m/%Y %H:%M:%S",
                "%d.%m.%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S"):
        try:
            return datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
    return _parse_iso(text)


def parse_json(text: str, file: str) -> ParsedLog:
    doc = load_json(text, file, "export again with ConvertTo-Json -Depth 4")
    if isinstance(doc, dict) and "Id" in doc:
        doc = [doc]
    if not isinstance(doc, list):
        raise ParseError(Problem("JSON is neither an event list nor a ccsec collector file",
                                 file=file, line=1))
    return parse_json_records(doc, text, file)
