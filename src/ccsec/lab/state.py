"""The lab's state file, and teardown of exactly what one lab made.

A lab is recorded *before* anything is created (write-ahead): its unique namespace prefix,
work directory, and then every charon's pid and start time as soon as it exists.  ``down``
reads that record and removes, in order: the recorded charons (by pid + start time), any other
process still inside the lab's own namespaces, the namespaces (their veths go with them), the
work directory, the state file.  Every step tolerates what is already gone, so ``down`` is
idempotent and also cleans up after an interrupted ``up``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from ipaddress import IPv4Address
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from ccsec.errors import Problem, UserError
from ccsec.fileio import atomic_write
from ccsec.lab import netns
from ccsec.lab.errors import lab_error
from ccsec.lab.proc import ProcRef
from ccsec.lab.topology import Topology
from ccsec.lab.transform import Datapath, Substitution

STATE_ENV = "CCSEC_LAB_STATE_DIR"
DEFAULT_STATE_DIR = Path("/run/ccsec-lab")
NS_PREFIX = "ccsec-"
LAB_ID = re.compile(r"^[a-z0-9]{1,12}$")
WORKDIR_PREFIX = "ccsec-lab-"


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Endpoint(_M):
    ns: str
    address: IPv4Address


class CharonRecord(_M):
    owner: str
    ns: str
    dir: str
    kind: Literal["gateway", "host"]
    pid: int | None = None
    started: int | None = None
    keep_alive_s: int | None = None
    #: connection → child names, as charon loaded them
    children: dict[str, list[str]] = Field(default_factory=dict)
    #: connections this end is planned to start (rule.initiate of the planned policy)
    initiates: list[str] = Field(default_factory=list)
    #: of those and others, the connections its configuration starts by itself (trap|start)
    starts_itself: list[str] = Field(default_factory=list)
    #: connections whose peer sits behind a NAT (this end cannot initiate those)
    peer_behind_nat: list[str] = Field(default_factory=list)

    def ref(self) -> ProcRef | None:
        return None if self.pid is None or self.started is None else ProcRef(self.pid,
                                                                              self.started)


class CheckSpec(_M):
    """One derived path or site tunnel, and how to prove it."""

    id: str
    kind: Literal["path", "tunnel"]
    catalog: str
    ends: tuple[str, str]
    a: Endpoint
    b: Endpoint
    nat_expected: bool
    nat_end: str | None = None
    nat_ns: str | None = None
    #: the sites of the two ends: a leak of this flow would cross their WAN links
    sites: list[str]
    #: BPF for clear text of this flow on a WAN link, and (host paths) on its sites' LANs
    wan_filter: str
    lan_filter: str | None = None
    #: BPF for the flow's own ESP-in-UDP, and where it must be seen (proves the capture saw it)
    seen_filter: str
    seen_on: Literal["wan", "lan"]


class LabState(_M):
    id: str
    created: str
    status: Literal["building", "up", "failed"] = "building"
    deployment: str
    profile: str
    datapath: Datapath
    datapath_evidence: str
    workdir: str
    prefix: str
    topology: Topology | None = None
    charons: list[CharonRecord] = Field(default_factory=list)
    checks: list[CheckSpec] = Field(default_factory=list)
    substitutions: list[Substitution] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict)
    #: checks that were still down after bring-up and were initiated once more
    kicked: list[str] = Field(default_factory=list)
    #: extra namespaces made outside the topology (scratch, pair tests)
    extra_ns: list[str] = Field(default_factory=list)
    _by_owner: tuple[tuple[int, ...], dict[str, CharonRecord]] = PrivateAttr(
        default=((), {}))

    def charon(self, owner: str) -> CharonRecord:
        return self.charon_map()[owner]

    def charon_map(self) -> dict[str, CharonRecord]:
        """Owner → charon record (rebuilt when the list changes; lookups stay O(1))."""
        key = tuple(id(c) for c in self.charons)
        if self._by_owner[0] != key:
            self._by_owner = (key, {c.owner: c for c in self.charons})
        return self._by_owner[1]

    def namespaces(self) -> list[str]:
        nodes = [n.ns for n in self.topology.nodes] if self.topology else []
        return list(dict.fromkeys(nodes + self.extra_ns))


def state_dir() -> Path:
    return Path(os.environ.get(STATE_ENV) or DEFAULT_STATE_DIR)


def state_path(lab_id: str) -> Path:
    return state_dir() / f"{lab_id}.json"


def save(state: LabState) -> None:
    """Write the state file atomically (it holds no secret: keys stay in swanctl.conf)."""
    atomic_write(state_path(state.id), state.model_dump_json(indent=1))


def new_id(requested: str | None = None) -> str:
    """A lab id no other lab (state file or namespace) uses."""
    if requested is not None:
        if not LAB_ID.match(requested):
            raise lab_error(f"invalid lab id '{requested}'",
                            fix="use 1-12 lowercase letters or digits")
        if (state_path(requested).exists() or netns.names(f"{NS_PREFIX}{requested}-")
                or workdir_for(requested).exists()):
            raise lab_error(f"lab '{requested}' already exists",
                            fix=f"ccsec lab down --lab {requested}, or choose another id")
        return requested
    for _ in range(100):
        lab_id = secrets.token_hex(3)
        if not (state_path(lab_id).exists() or netns.names(f"{NS_PREFIX}{lab_id}-")
                or workdir_for(lab_id).exists()):
            return lab_id
    raise lab_error("could not find a free lab id")


def workdir_for(lab_id: str) -> Path:
    return Path(os.environ.get("TMPDIR") or "/tmp") / f"{WORKDIR_PREFIX}{lab_id}"


def new_state(lab_id: str, deployment: str, profile: str, datapath: Datapath,
              evidence: str) -> LabState:
    """Create the work directory and record the lab before anything else exists."""
    workdir = workdir_for(lab_id)
    workdir.mkdir(mode=0o700, parents=True, exist_ok=False)
    state = LabState(
        id=lab_id, created=datetime.now(UTC).isoformat(timespec="seconds"),
        deployment=deployment, profile=profile, datapath=datapath, datapath_evidence=evidence,
        workdir=str(workdir), prefix=f"{NS_PREFIX}{lab_id}-",
    )
    save(state)
    return state


def load(lab_id: str) -> LabState:
    path = state_path(lab_id)
    try:
        return LabState.model_validate_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise lab_error(f"no lab '{lab_id}' is running",
                        fix="ccsec lab status lists labs") from None
    except ValueError as exc:
        raise UserError(Problem(f"unreadable lab state: {str(exc).splitlines()[0]}",
                                file=str(path), fix="ccsec lab down --lab " + lab_id)) from None


def load_for_teardown(lab_id: str) -> LabState:
    """The lab's record for ``down``, even if written by another ccsec version: what teardown
    needs (prefix, work directory, charon pids, namespaces) is read leniently."""
    if not LAB_ID.match(lab_id):
        raise lab_error(f"invalid lab id '{lab_id}'", fix="ccsec lab status lists labs")
    path = state_path(lab_id)
    try:
        return load(lab_id)
    except UserError:
        pass
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raw = {}
    if not isinstance(raw, dict):
        raw = {}
    nodes = (raw.get("topology") or {}).get("nodes") or []
    charons = [CharonRecord(owner=str(c.get("owner", "?")), ns=str(c.get("ns", "")),
                            dir=str(c.get("dir", "")), kind="host", pid=c.get("pid"),
                            started=c.get("started"))
               for c in raw.get("charons") or [] if isinstance(c, dict)]
    work = str(raw.get("workdir") or workdir_for(lab_id))
    return LabState(
        id=lab_id, created=str(raw.get("created", "")), status="failed",
        deployment=str(raw.get("deployment", "?")), profile=str(raw.get("profile", "?")),
        datapath="libipsec", datapath_evidence="", workdir=work,
        prefix=f"{NS_PREFIX}{lab_id}-", charons=charons,
        extra_ns=[str(n["ns"]) for n in nodes if isinstance(n, dict) and "ns" in n],
    )


def all_ids() -> list[str]:
    d = state_dir()
    if not d.is_dir():
        return []
    return sorted(p.stem for p in d.glob("*.json") if LAB_ID.match(p.stem))


def find(lab_id: str | None) -> LabState:
    """The lab named ``lab_id``, or the only lab there is."""
    if lab_id is not None:
        return load(lab_id)
    ids = all_ids()
    if not ids:
        raise lab_error("no ccsec lab is running", fix="ccsec lab up DEPLOYMENT")
    if len(ids) > 1:
        raise lab_error(f"several labs are running: {', '.join(ids)}",
                        fix="choose one with --lab ID")
    return load(ids[0])


# --------------------------------------------------------------------------- teardown


def _kill_leftovers(namespaces: list[str]) -> None:
    """Stop any process still inside one of *this lab's* namespaces (tcpdump, ping, charon)."""
    refs = [ProcRef.of(pid) for ns in namespaces for pid in netns.pids(ns)]
    for r in refs:
        r.send(signal.SIGTERM)
    for r in refs:
        r.stop(2.0, signal.SIGKILL)


def teardown(state: LabState) -> list[str]:
    """Remove everything the lab made; returns what was removed (for the report)."""
    removed: list[str] = []
    with shielded():
        refs = [(c, c.ref()) for c in state.charons]
        for _, ref in refs:
            if ref is not None:
                ref.send(signal.SIGTERM)
        for c, ref in refs:
            if ref is not None and ref.alive():
                ref.stop(5.0)
            if ref is not None:
                removed.append(f"charon {c.owner} (pid {c.pid})")
        own = list(dict.fromkeys(state.namespaces() + netns.names(state.prefix)))
        _kill_leftovers(own)
        present = [n for n in own if netns.exists(n)]
        if present:
            netns.batch((["netns", "delete", n] for n in present), timeout=60)
        for n in present:
            netns.delete(n)  # anything the batch left (it stops at the first error)
        removed += [f"namespace {n}" for n in present]
        work = Path(state.workdir)
        if work.name.startswith(WORKDIR_PREFIX) and work.is_dir():
            shutil.rmtree(work, ignore_errors=True)
            removed.append(f"directory {work}")
        state_path(state.id).unlink(missing_ok=True)
    return removed


@contextmanager
def shielded() -> Iterator[None]:
    """Let a cleanup finish: Ctrl-C/SIGTERM during it are held back (every step is bounded)."""
    held: list[int] = []

    def hold(signum: int, _frame: object) -> None:
        held.append(signum)

    try:
        old = {s: signal.signal(s, hold) for s in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:  # not the main thread: nothing to shield
        yield
        return
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        if held:
            raise KeyboardInterrupt


@contextmanager
def interruptible() -> Iterator[None]:
    """SIGTERM/SIGHUP become KeyboardInterrupt, so ``finally`` blocks (cleanup) always run."""

    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    try:
        old = {s: signal.signal(s, interrupt) for s in (signal.SIGTERM, signal.SIGHUP)}
    except ValueError:
        yield
        return
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def describe(state: LabState) -> dict[str, object]:
    """A short JSON-able description of a lab (for ``lab up`` / ``lab status``)."""
    return {
        "lab": state.id,
        "status": state.status,
        "deployment": state.deployment,
        "profile": state.profile,
        "datapath": state.datapath,
        "namespaces": len(state.namespaces()),
        "charons": len(state.charons),
        "workdir": state.workdir,
        "state_file": str(state_path(state.id)),
    }


