"""The legacy Windows IKE log ``%windir%\\debug\\Oakley.log`` → :class:`IkeEvent` values.

UNVERIFIED FORMAT [U]: no authoritative sample of this log was available.  The parser follows
the shape given in windows-and-cce-facts.md §1.1 (``M-DD: HH:MM:SS:mmm:<thread-hex> text``) and
is deliberately lenient: it matches the prefix loosely, extracts ``status[: ]<hex>`` and maps it
through the Win32 IKE error table (§1.4), and reads a few phrases ("Acquire from driver",
"Phase 1 SA accepted", "me A, him B") for the peer addresses.  Everything else is free text.
Every event it yields carries ``verified=False``; the tests run on samples ccsec's developers
constructed from that description.  The log exists on Windows 2000/XP/2003 only (IKEEXT
replaced it from Vista/2008 on, [U, high confidence]).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from ccsec.monitor.logs.ikeerrors import from_hex_status
from ccsec.monitor.logs.model import IkeEvent, Kind, ParsedLog

FMT = "windows-oakley-log"

_PREFIX = re.compile(
    r"^\s*(?P<mon>\d{1,2})-(?P<day>\d{1,2}):\s*(?P<h>\d{1,2}):(?P<m>\d\d):(?P<s>\d\d)"
    r"(?::(?P<ms>\d{1,3}))?:(?P<thread>[0-9A-Fa-f]+)\s+(?P<msg>.*)$"
)
_IP = r"\d{1,3}(?:\.\d{1,3}){3}"
_ACQUIRE = re.compile(r"src=(?P<src>" + _IP + r")(?:\.\d+)?\s+dst=(?P<dst>" + _IP + r")")
_MEHIM = re.compile(r"\bme\s+(?P<me>" + _IP + r"),\s*him\s+(?P<him>" + _IP + r")")
_FILTER = re.compile(r"Src\s+(?P<src>" + _IP + r")\s+Dst\s+(?P<dst>" + _IP + r")")
_STATUS = re.compile(r"\bstatus[: ]\s*(?P<hex>[0-9A-Fa-f]{3,8})\b")
_SA = re.compile(r"\bsa:(?P<sa>[0-9A-Fa-f]+)")


def _time(m: re.Match[str]) -> datetime | None:
    try:
        return datetime(1900, int(m["mon"]), int(m["day"]), int(m["h"]), int(m["m"]),
                        int(m["s"]), int(m["ms"] or 0) * 1000)
    except ValueError:
        return None


class _State:
    def __init__(self) -> None:
        self.sa_peer: dict[str, tuple[str | None, str]] = {}
        self.thread_peer: dict[str, tuple[str | None, str]] = {}
        self.last: tuple[str | None, str] | None = None

    def note(self, thread: str, sa: str | None, local: str | None, peer: str) -> None:
        pair = (local, peer)
        self.thread_peer[thread] = pair
        if sa:
            self.sa_peer[sa] = pair
        self.last = pair

    def find(self, thread: str, sa: str | None) -> tuple[str | None, str] | None:
        if sa and sa in self.sa_peer:
            return self.sa_peer[sa]
        return self.thread_peer.get(thread) or self.last


def _classify(msg: str) -> tuple[Kind, dict[str, str], tuple[str | None, str] | None]:
    """Kind, detail and (local, peer) addresses named by one Oakley message."""
    if m := _ACQUIRE.search(msg):
        return Kind.START, {}, (m["src"], m["dst"])
    if "SA accepted" in msg:
        phase2 = "Phase 2" in msg or "QM" in msg
        mm = _MEHIM.search(msg)
        pair = (mm["me"], mm["him"]) if mm else None
        return (Kind.CHILD_ESTABLISHED if phase2 else Kind.IKE_ESTABLISHED), {}, pair
    if m := _STATUS.search(msg):
        code, text, kind = from_hex_status(m["hex"])
        if kind is Kind.INFO:
            return Kind.INFO, {}, None
        return kind, {"code": str(code or m["hex"]), "reason": text}, None
    if m := _FILTER.search(msg):
        return Kind.INFO, {"weak": "filter"}, (m["src"], m["dst"])
    if mm := _MEHIM.search(msg):
        return Kind.INFO, {}, (mm["me"], mm["him"])
    return Kind.INFO, {}, None


def parse(lines: Iterable[str], file: str) -> ParsedLog:
    """Events of an Oakley.log (lenient; lines without the prefix are skipped and counted)."""
    state = _State()
    events: list[IkeEvent] = []
    total = skipped = 0
    sessions: dict[str, int] = {}
    for lineno, raw in enumerate(lines, 1):
        total += 1
        m = _PREFIX.match(raw.rstrip("\r\n"))
        if not m:
            skipped += 1 if raw.strip() else 0
            continue
        msg, thread = m["msg"].strip(), m["thread"].lower()
        sa_m = _SA.search(msg)
        sa = sa_m["sa"].lower() if sa_m else None
        kind, detail, pair = _classify(msg)
        # a filter line's direction is ambiguous (inbound filters are mirrored): it names the
        # pair only when nothing better (Acquire, "me …, him …") was seen on this thread
        if pair is not None and not (detail.get("weak") and state.find(thread, sa)):
            state.note(thread, sa, pair[0], pair[1])
        if kind is Kind.INFO:
            continue
        found = pair or state.find(thread, sa)
        local, peer = (found if found else (None, None))
        if kind is Kind.START and peer:
            sessions[peer] = sessions.get(peer, 0) + 1
        key = f"{file}@{peer}#{sessions.get(peer or '', 0)}"
        events.append(IkeEvent(file, lineno, kind, msg, FMT, time=_time(m), local=local,
                               peer=peer, session=key, detail=detail, verified=False,
                               role="initiator" if kind is Kind.START else None))
    return ParsedLog(file, FMT, events, False, total, skipped)


def looks_like(head: list[str]) -> bool:
    lines = [h for h in head if h.strip()]
    return bool(lines) and sum(1 for h in lines if _PREFIX.match(h)) >= max(1, len(lines) // 2)
