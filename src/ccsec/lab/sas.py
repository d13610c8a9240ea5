"""SA state across the lab's charons: snapshots, "is this path up?", and waiting for it."""

from __future__ import annotations

import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import vici

from ccsec.lab.charon import IkeSa, Instance, list_sas
from ccsec.lab.state import CharonRecord, CheckSpec, LabState

POLL_S = 0.2

Snapshot = dict[str, list[IkeSa] | None]


def instance(rec: CharonRecord) -> Instance:
    return Instance(rec.owner, rec.ns, Path(rec.dir))


def _safe_list(rec: CharonRecord) -> list[IkeSa] | None:
    try:
        return list_sas(instance(rec))
    except (OSError, vici.exception.SessionException):
        return None  # daemon down or restarting


def snapshot(state: LabState, owners: Iterable[str] | None = None) -> Snapshot:
    """Every (or the named) charon's SAs; None for a charon that does not answer."""
    wanted = set(owners) if owners is not None else None
    recs = [c for c in state.charons if wanted is None or c.owner in wanted]
    with ThreadPoolExecutor(max_workers=8) as pool:
        return dict(zip((r.owner for r in recs), pool.map(_safe_list, recs), strict=True))


def end_up(rec: CharonRecord, conn: str, sas: list[IkeSa] | None) -> bool:
    """This end has the connection's IKE SA established and every child installed."""
    wanted = set(rec.children.get(conn, [])) or {conn}
    installed = {c.name for s in sas or [] if s.name == conn and s.state == "ESTABLISHED"
                 for c in s.children if c.state == "INSTALLED"}
    return wanted <= installed


def check_up(state: LabState, check: CheckSpec, snap: Snapshot) -> bool:
    return all(end_up(state.charon(o), check.id, snap.get(o)) for o in check.ends)


def nat_local(check: CheckSpec, snap: Snapshot) -> bool:
    """Did an end of this check detect that *it* is behind a NAT (``nat-local=yes``)?

    libipsec always encapsulates and fakes the peer's NAT (``nat-remote``), so only
    ``nat-local`` proves a real NAT (lab recipe pitfall 4).
    """
    return any(s.nat_local for o in check.ends for s in snap.get(o) or []
               if s.name == check.id and s.state == "ESTABLISHED")


def wait_up(state: LabState, checks: list[CheckSpec], timeout: float) -> tuple[bool, float]:
    """Poll (bounded) until every check is established; (all up?, seconds waited)."""
    t0 = time.monotonic()
    owners = {o for c in checks for o in c.ends}
    while True:
        snap = snapshot(state, owners)
        if all(check_up(state, c, snap) for c in checks):
            return True, time.monotonic() - t0
        if time.monotonic() - t0 > timeout:
            return False, time.monotonic() - t0
        time.sleep(POLL_S)
