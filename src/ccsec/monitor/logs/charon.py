"""strongSwan charon logs → :class:`IkeEvent` values.

Line shapes read (all checked against real strongSwan 5.9.8 output captured in the lab by
``tests/ops/fixtures/charon/capture.sh``, except where marked):

* filelog, any ``time_format`` (or none), with or without ``ike_name``::

      Nov 22 05:23:04 09[CFG] <p4-rgr-a-pg1-a|1> received proposals: IKE:AES_CBC_256/...
      09[IKE] received NO_PROPOSAL_CHOSEN notify error

* syslog (rsyslog traditional format), ident ``charon`` / ``charon-systemd`` with or without
  ``[pid]``::

      Nov 22 05:24:56 gw charon: 16[IKE] <1> remote host is behind NAT

* journald via charon-systemd (``charon-systemd[pid]: text``, no thread/group) and
  ``journalctl -o short-iso`` — built from the documented shape (windows-and-cce-facts.md §1.6),
  not from a captured journal: marked unverified on each event;
* ``swanctl --initiate`` console output (``[IKE] text``).

Message texts come from strongSwan's source (libcharon) as they appeared in the captures.
Lines that are not charon's (other programs in a syslog file) are skipped and counted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from ccsec.monitor.logs.model import IkeEvent, Kind, ParsedLog

FMT = "strongswan-charon"

_SYSLOG = re.compile(
    r"^(?P<ts>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)?|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d"
    r"(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?) (?P<host>\S+) (?P<tag>[A-Za-z][\w.-]*)"
    r"(?:\[(?P<pid>\d+)\])?: ?(?P<rest>.*)$"
)
_BODY = re.compile(r"(?:^|\s)(?P<thread>\d\d)\[(?P<grp>[A-Z]{3})\] (?P<rest>.*)$")
_CTX = re.compile(r"^<(?P<ctx>[^<>]{0,200})> (?P<msg>.*)$")
_CONSOLE = re.compile(r"^\[(?P<grp>[A-Z]{3})\] (?P<msg>.*)$")
_TIME_FORMATS = ("%b %d %H:%M:%S", "%b %d %H:%M:%S.%f", "%H:%M:%S", "%Y-%m-%d %H:%M:%S",
                 "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f", "%d.%m.%Y %H:%M:%S")

_ADDR = r"(?P<{}>[0-9A-Fa-f:.%]+)"
_PACKET = re.compile(r"^(?P<dir>received|sending) packet: from " + _ADDR.format("src")
                     + r"\[(?P<sport>[0-9]{1,5})\] to " + _ADDR.format("dst")
                     + r"\[(?P<dport>[0-9]{1,5})\]")


@dataclass(frozen=True)
class _Pattern:
    keyword: str
    rx: re.Pattern[str]
    kind: Kind
    role: str | None = None


def _p(keyword: str, rx: str, kind: Kind, role: str | None = None) -> _Pattern:
    return _Pattern(keyword, re.compile(rx), kind, role)


#: message → kind; the keyword is a cheap substring test before the (anchored) regex
PATTERNS: tuple[_Pattern, ...] = (
    _p("initiating", r"^initiating (?:(?P<v1>Main|Aggressive) Mode )?IKE_SA (?P<conn>\S+?)"
       r"\[\d+\] to " + _ADDR.format("peer"), Kind.START, "initiator"),
    _p("is initiating", r"^" + _ADDR.format("peer") + r" is initiating (?:an|a (?P<v1>Main|"
       r"Aggressive) Mode) IKE_SA", Kind.START, "responder"),
    _p("proposal", r"^(?P<which>received|configured|selected) proposals?: (?P<list>.+)$",
       Kind.PROPOSALS),
    _p("received proposals unacceptable", r"^received proposals unacceptable", Kind.IKE_NO_PROPOSAL,
       "responder"),
    _p("no proposal found", r"^no proposal found", Kind.IKE_NO_PROPOSAL, "responder"),
    _p("no CHILD_SA built", r"^received (?P<notify>\w+) notify, no CHILD_SA built", Kind.FAILED,
       "initiator"),
    _p("NO_PROPOSAL_CHOSEN", r"^received NO_PROPOSAL_CHOSEN (?:notify error|error notify)",
       Kind.IKE_NO_PROPOSAL, "initiator"),
    _p("no acceptable proposal found", r"^no acceptable proposal found", Kind.CHILD_NO_PROPOSAL,
       "responder"),
    _p("traffic selectors", r"^traffic selectors (?P<ts>.+) unacceptable", Kind.TS_UNACCEPTABLE,
       "responder"),
    _p("MAC mismatched", r"^tried \d+ shared keys? for '(?P<a>[^']*)' - '(?P<b>[^']*)', but MAC "
       r"mismatched", Kind.PSK_MISMATCH, "responder"),
    _p("no shared key found", r"^no shared key found for '(?P<a>[^']*)' - '(?P<b>[^']*)'",
       Kind.AUTH_FAILED),
    _p("AUTHENTICATION_FAILED", r"^received AUTHENTICATION_FAILED (?:notify error|error notify)",
       Kind.AUTH_FAILED, "initiator"),
    _p("authentication of", r"^authentication of '(?P<id>[^']*)' with (?P<method>.+) failed",
       Kind.AUTH_FAILED),
    _p("decryption failed", r"^invalid \w+ payload length, decryption failed", Kind.DECRYPT_FAILED),
    _p("retransmit", r"^(?:sending )?retransmit (?P<n>\d+) of request", Kind.RETRANSMIT),
    _p("giving up after", r"^giving up after (?P<n>\d+) retransmits", Kind.TIMEOUT),
    _p("peer not responding", r"^(?:establishing|rekeying) IKE_SA failed, peer not responding",
       Kind.TIMEOUT),
    _p("local host is behind NAT", r"^local host is behind NAT", Kind.NAT_LOCAL),
    _p("remote host is behind NAT", r"^remote host is behind NAT", Kind.NAT_REMOTE),
    _p("no IKE config found", r"^no IKE config found for " + _ADDR.format("local") + r"\.\.\."
       + _ADDR.format("peer"), Kind.NO_CONFIG, "responder"),
    _p("no peer config found", r"^no peer config found", Kind.NO_CONFIG, "responder"),
    _p("CHILD_SA config", r"^no matching CHILD_SA config found", Kind.NO_CHILD_CONFIG,
       "responder"),
    _p("established between", r"^IKE_SA (?P<conn>\S+?)\[\d+\] established between "
       + _ADDR.format("local") + r"\[[^\]]*\]\.\.\." + _ADDR.format("peer"),
       Kind.IKE_ESTABLISHED),
    _p("established with SPIs", r"^CHILD_SA (?P<conn>\S+?)\{\d+\} established with SPIs .*? and "
       r"TS (?P<ts>.+)$", Kind.CHILD_ESTABLISHED),
    _p("DH group", r"^peer didn't accept DH group (?P<offered>\S+), it requested (?P<wanted>\S+)",
       Kind.INVALID_KE, "initiator"),
    _p("unacceptable, requesting", r"^DH group (?P<offered>\S+) unacceptable, requesting "
       r"(?P<wanted>\S+)", Kind.INVALID_KE, "responder"),
    _p("in kernel", r"^unable to install .+ in kernel", Kind.KERNEL_FAILED),
    _p("notify error", r"^received (?P<notify>\w+) (?:notify error|error notify)", Kind.FAILED),
    _p("IKE_SA deleted", r"^IKE_SA deleted", Kind.DELETED),
)

#: lines a (re)starting daemon writes first (IKE_SA numbering restarts after them)
_RESTART = ("Starting IKE charon daemon", "Starting charon-systemd IKE daemon", "loaded plugins:")

#: the CHILD_SA flavour of "received <NOTIFY> notify, no CHILD_SA built"
_CHILD_NOTIFY = {"NO_PROPOSAL_CHOSEN": Kind.CHILD_NO_PROPOSAL,
                 "TS_UNACCEPTABLE": Kind.TS_UNACCEPTABLE,
                 "AUTHENTICATION_FAILED": Kind.AUTH_FAILED}


@dataclass
class _Session:
    key: str
    conn: str | None = None
    local: str | None = None
    peer: str | None = None
    role: str | None = None
    version: int | None = None
    last_port: int | None = None
    events: list[IkeEvent] = field(default_factory=list)


@dataclass
class _Line:
    time: str
    thread: str | None
    ctx: str | None
    msg: str
    verified: bool


def parse_time(text: str) -> datetime | None:
    """A log timestamp in one of the usual charon/syslog shapes (year 1900 when absent)."""
    text = " ".join(text.split())
    if not text:
        return None
    for fmt in _TIME_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def split_line(line: str) -> _Line | None:
    """The parts of one charon line, or None when the line is not charon's."""
    ts = ""
    rest = line
    verified = True
    m = _SYSLOG.match(line)
    if m:
        if "charon" not in m["tag"]:
            return None
        ts, rest = m["ts"], m["rest"]
    body = _BODY.match(rest) if m else _BODY.search(rest)
    if body:
        if not m:
            ts = rest[: body.start("thread")].strip()
        thread, rest = body["thread"], body["rest"]
    elif m:
        thread = None  # journald via charon-systemd: no thread/group prefix [documented shape]
        verified = False
    else:
        console = _CONSOLE.match(line)
        if not console:
            return None
        thread, rest = None, console["msg"]
    ctx = None
    cm = _CTX.match(rest)
    if cm:
        ctx, rest = cm["ctx"], cm["msg"]
    return _Line(ts, thread, ctx, rest.strip(), verified)


def _match(msg: str) -> tuple[_Pattern, re.Match[str]] | None:
    for pat in PATTERNS:
        if pat.keyword in msg:
            m = pat.rx.search(msg)
            if m:
                return pat, m
    return None


class _FileState:
    """Ties lines to negotiations: by IKE_SA number when the log has ``<conn|n>``, otherwise by
    the peer address the current worker thread last handled (a job is one thread)."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.sessions: dict[str, _Session] = {}
        self.order: list[_Session] = []
        self.thread_peer: dict[str, str] = {}
        self.generation: dict[str, int] = {}
        self.last_peer: str | None = None
        #: bumped when the daemon (re)starts: IKE_SA numbers start again at 1
        self.epoch = 0

    def restart(self) -> None:
        if self.sessions:
            self.epoch += 1
            self.thread_peer.clear()

    def session(self, line: _Line, peer: str | None, starts: bool) -> _Session:
        conn, sa = None, None
        if line.ctx:
            conn, _, sa = line.ctx.rpartition("|") if "|" in line.ctx else (None, "", line.ctx)
            if not sa.isdigit():
                conn, sa = line.ctx, None
        if sa is not None:
            key = f"{self.file}#{self.epoch}.{sa}"
        else:
            peer = peer or (self.thread_peer.get(line.thread or "") or self.last_peer)
            if starts and peer:
                self.generation[peer] = self.generation.get(peer, 0) + 1
            key = f"{self.file}@{peer}#{self.epoch}.{self.generation.get(peer or '', 0)}"
        s = self.sessions.get(key)
        if s is None:
            s = self.sessions[key] = _Session(key)
            self.order.append(s)
        if conn and not s.conn:
            s.conn = conn
        return s

    def note_peer(self, line: _Line, peer: str) -> None:
        if line.thread:
            self.thread_peer[line.thread] = peer
        self.last_peer = peer


def _version(msg: str) -> int | None:
    if "IKE_SA_INIT" in msg or "IKEv2" in msg or "IKE_AUTH" in msg:
        return 2
    if "Main Mode" in msg or "Aggressive Mode" in msg or "ID_PROT" in msg or "IKEv1" in msg:
        return 1
    return None


def _packet(state: _FileState, line: _Line, m: re.Match[str]) -> None:
    sending = m["dir"] == "sending"
    local, peer = (m["src"], m["dst"]) if sending else (m["dst"], m["src"])
    state.note_peer(line, peer)
    s = state.session(line, peer, starts=False)
    s.local, s.peer = s.local or local, s.peer or peer
    if sending:
        s.last_port = int(m["dport"])


def _event(state: _FileState, line: _Line, lineno: int, pat: _Pattern,
           m: re.Match[str]) -> IkeEvent:
    groups = {k: v for k, v in m.groupdict().items() if v}
    peer = groups.get("peer")
    if peer:
        state.note_peer(line, peer)
    s = state.session(line, peer, starts=pat.kind is Kind.START)
    kind = pat.kind
    if kind is Kind.FAILED and "no CHILD_SA built" in line.msg:
        kind = _CHILD_NOTIFY.get(groups.get("notify", ""), Kind.FAILED)
    if pat.role and not s.role and kind in (Kind.START,):
        s.role = pat.role
    if peer and not s.peer:
        s.peer = peer
    if groups.get("local") and not s.local:
        s.local = groups["local"]
    if groups.get("conn") and not s.conn:
        s.conn = groups["conn"]
    if kind is Kind.START:
        s.version = 1 if groups.get("v1") else 2
    detail = {k: v for k, v in groups.items() if k not in ("peer", "local", "conn")}
    if kind is Kind.TIMEOUT and s.last_port:
        detail["port"] = str(s.last_port)
    ev = IkeEvent(state.file, lineno, kind, line.msg, FMT, time=parse_time(line.time),
                  session=s.key, role=pat.role, detail=detail, verified=line.verified)
    s.events.append(ev)
    return ev


def parse(lines: Iterable[str], file: str) -> ParsedLog:
    """Every charon line of ``lines`` that says something about a negotiation."""
    state = _FileState(file)
    events: list[IkeEvent] = []
    skipped = total = 0
    verified = True
    for lineno, raw in enumerate(lines, 1):
        total += 1
        line = split_line(raw.rstrip("\r\n"))
        if line is None:
            skipped += 1 if raw.strip() else 0
            continue
        verified = verified and line.verified
        if line.msg.startswith(_RESTART):
            state.restart()
            continue
        pm = _PACKET.match(line.msg)
        if pm:
            _packet(state, line, pm)
            continue
        found = _match(line.msg)
        if found is None:
            version = _version(line.msg)
            if version:
                s = state.session(line, None, starts=False)
                s.version = s.version or version
            continue
        events.append(_event(state, line, lineno, *found))
    _finish(state)
    return ParsedLog(file, FMT, events, verified, total, skipped)


def _finish(state: _FileState) -> None:
    """Copy what each negotiation learned (addresses, name, role) onto all its events."""
    for s in state.order:
        for ev in s.events:
            ev.local, ev.peer = s.local, s.peer
            ev.conn, ev.ike_version = s.conn, s.version
            ev.role = s.role or ev.role
            if ev.kind is Kind.TIMEOUT and "port" not in ev.detail and s.last_port:
                ev.detail["port"] = str(s.last_port)


def looks_like(head: list[str]) -> bool:
    """True when a few first lines are charon's (for format detection)."""
    return sum(1 for line in head if split_line(line.rstrip("\r\n")) is not None) >= max(
        1, len([h for h in head if h.strip()]) // 3)


Parser = Callable[[Iterable[str], str], ParsedLog]
