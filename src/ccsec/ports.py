"""The port matrix (MISSION E5): for every derived path, the ports each side listens on.

Source: Cisco *Port Utilization Guide for Cisco Unified Contact Center Solutions*, "Port
Utilization in Contact Center Enterprise", 12.6(1) [S32] and 15.0(1) [S33] as tabulated in
windows-and-cce-facts.md §6 [V unless marked].  Ports of CCE processes are per ICM *instance*:
``port = base + 40 × instance`` (instance 0 → 40007, 1 → 40047 …).  The PG ports also depend on
the PG's installation order on its box (PG1/PG2/PG3, not the PG number).  Neither is in the
deployment model, so both are options here: ``instance`` (one ICM instance number for the
deployment, default 0) and ``pg_slots`` (host → 1..3, default 1 — each ``pg`` host of the
deployment carries one PG, so it is the box's first).

Every path also carries its IPsec traffic: IKE UDP 500, NAT-T UDP 4500 and ESP (IP protocol 50).
Outbound Option dialers and Communications Manager are called out: the guide says not to segment
them with a firewall (001 「ファイアウォールと IPSec」 note).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ccsec.deployment.model import Deployment, Host, Role
from ccsec.paths import Path, derive

S_PORTS = "Cisco, Port Utilization Guide for Unified CCE, 12.6(1) and 15.0(1)"
#: the note of the IPCC security chapter (Securing IPCC / Securing Unified CCE) this cites
SEED_FW = "Cisco Unified CCE SRND, Securing Unified CCE: Firewalls and IPsec"


@dataclass(frozen=True)
class PortEntry:
    path: str
    catalog: str
    listener: str
    listener_address: str
    client: str
    protocol: str  # tcp | udp | ip
    ports: str
    purpose: str
    source: str
    note: str = ""

    def to_json(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class _Spec:
    """Ports relative to side A; ``b_offset`` is added on side B (1000 for Router/Logger)."""

    ports: tuple[int, ...]
    purpose: str
    protocol: str = "tcp"
    instanced: bool = True
    note: str = ""
    range_to: int | None = None


class _Builder:
    def __init__(self, dep: Deployment, instance: int, secure: bool,
                 pg_slots: dict[str, int]) -> None:
        self.dep, self.instance, self.secure, self.pg_slots = dep, instance, secure, pg_slots
        self.out: list[PortEntry] = []
        self.no_fw = {h.name for h in dep.hosts if h.has(Role.DIALER, Role.CUCM)}

    def _ports(self, spec: _Spec) -> str:
        if spec.range_to is not None:
            return f"{spec.ports[0]}-{spec.range_to}"
        shift = 40 * self.instance if spec.instanced else 0
        return ", ".join(str(p + shift) for p in spec.ports)

    def add(self, path: Path, listener: Host, client: Host, spec: _Spec, addr: str) -> None:
        note = spec.note
        if {listener.name, client.name} & self.no_fw:
            note = (note + "; " if note else "") + f"do not segment with a firewall ({SEED_FW})"
        self.out.append(PortEntry(path.id, str(path.catalog), listener.name, addr, client.name,
                                  spec.protocol, self._ports(spec),
                                  spec.purpose, S_PORTS, note))

    def side_b(self, h: Host) -> bool:
        return h.side == "b"

    def slot(self, h: Host) -> int:
        return self.pg_slots.get(h.name, 1)


def _addr(path: Path, i: int) -> str:
    return str(path.ends[i].address)


def _router_pg(b: _Builder, path: Path, router: Host, pg: Host) -> None:
    off = 1000 if b.side_b(router) else 0
    base = (40014, 40018, 40011) if b.secure else (40002, 40017, 40003)
    mode = "secure (15.0)" if b.secure else "non-secure"
    b.add(path, router, pg, _Spec(tuple(p + off for p in base),
                                  f"PG → Router DMP low/medium/high priority, {mode}"),
          _addr(path, 0))
    b.add(path, router, pg, _Spec((39500,), "heartbeats", "udp", False,
                                  "not used when QoS is enabled", 39999),
          _addr(path, 0))


def _central_pair(b: _Builder, path: Path, a: Host, bb: Host, private: bool) -> None:
    i_b = 1
    if private:
        b.add(path, bb, a, _Spec((41004, 41016, 41005), "Router MDS private link low/medium/"
                                 "high", note="[P] the guide lists 41xxx for both sides"),
              _addr(path, i_b))
        b.add(path, bb, a, _Spec((41022, 41021, 41032, 41020, 41033), "state transfer CIC, "
                                 "HLGR, RTR, DBAgent", note="[P] the guide lists 41xxx for both "
                                 "sides"), _addr(path, i_b))
        b.add(path, bb, a, _Spec((39500,), "MDS heartbeats", "udp", False,
                                 "not used when QoS is enabled on the private NIC", 39999),
              _addr(path, i_b))
        return
    if a.has(Role.LOGGER) and bb.has(Role.LOGGER):
        b.add(path, a, bb, _Spec((40024,), "Logger Campaign Manager EMT (side A)"), _addr(path, 0))
        b.add(path, bb, a, _Spec((41024,), "Logger Campaign Manager EMT (side B)"),
              _addr(path, i_b))
        b.add(path, a, bb, _Spec((41013,), "Logger recovery (side A, as published)",
                                 note="[P] numbers as printed in the guide"), _addr(path, 0))
        b.add(path, bb, a, _Spec((40013,), "Logger recovery (side B, as published)",
                                 note="[P] numbers as printed in the guide"), _addr(path, i_b))
    b.add(path, a, bb, _Spec((40015,), "CSFS duplexed peer"), _addr(path, 0))


def _central_admin(b: _Builder, path: Path, central: Host, admin: Host) -> None:
    off = 1000 if b.side_b(central) else 0
    if central.has(Role.ROUTER):
        rt = (40037,) if b.secure else (40007,)
        b.add(path, central, admin, _Spec((rt[0] + off,), "Router real-time feed"), _addr(path, 0))
        b.add(path, central, admin, _Spec((40019 + off,), "Router DB Agent (secure EMT)"),
              _addr(path, 0))
    if central.has(Role.LOGGER):
        rep = (40023, 40038) if b.secure else (40026, 40028)
        b.add(path, central, admin, _Spec(tuple(p + off for p in rep), "Logger replication "
                                          "to HDS"), _addr(path, 0))
        b.add(path, central, admin, _Spec((1433,), "MSSQL (Logger database)", instanced=False,
                                          note="15.0 allows a custom port"), _addr(path, 0))


_PG_PRIVATE = {1: (43004, 43016, 43005, 43023), 2: (45004, 45016, 45005, 45023),
               3: (47504, 47516, 47505, 47523)}
_PG_TOS = {1: 43006, 2: 45006, 3: 47506}


def _pg_pair(b: _Builder, path: Path, a: Host, bb: Host, private: bool) -> None:
    slot = b.slot(a)
    if private:
        b.add(path, bb, a, _Spec(_PG_PRIVATE[slot], f"PG{slot} MDS private low/medium/high, OPC "
                                 "state transfer", note="[P] listed once for the pair"),
              _addr(path, 1))
        b.add(path, bb, a, _Spec((39500,), "MDS heartbeats", "udp", False, "", 39999),
              _addr(path, 1))
    else:
        b.add(path, bb, a, _Spec((_PG_TOS[slot],), f"PG{slot} pgagent test-other-side",
                                 note="[P] listed once for the pair"), _addr(path, 1))


def _pg_cucm(b: _Builder, path: Path, pg: Host, cucm: Host) -> None:
    b.add(path, cucm, pg, _Spec((2748,), "Communications Manager CTIManager (JTAPI)",
                                instanced=False), _addr(path, 1))
    b.add(path, pg, cucm, _Spec((2789,), "PG JTAPI application server", instanced=False),
          _addr(path, 0))


def _nam_cicm(b: _Builder, path: Path, nam: Host, cicm: Host) -> None:
    port = 41025 if b.side_b(cicm) else 40025
    b.add(path, cicm, nam, _Spec((port,), "CICM ↔ NAM (INCRPNIC)", "udp",
                                 note="[P] listener side inferred from the table"), _addr(path, 1))


def _ipsec(b: _Builder, path: Path) -> None:
    a, z = path.ends
    nat = f"NAT at {path.ends[path.nat_end].host}: " if path.nat_end is not None else ""
    for proto, port, purpose, note in (
        ("udp", "500", "IKE", ""),
        ("udp", "4500", "IPsec NAT traversal (IKE and ESP-in-UDP)",
         nat + "needed when a NAT lies between the ends" if nat else
         "needed only when a NAT lies between the ends"),
        ("ip", "50", "ESP (IP protocol 50)", nat + "replaced by UDP 4500 through NAT" if nat
         else ""),
    ):
        b.out.append(PortEntry(path.id, str(path.catalog), f"{a.host} ↔ {z.host}",
                               f"{path.peer_address[1]} ↔ {path.peer_address[0]}",
                               "both ends", proto, port, purpose,
                               "RFC 7296 §2.23, RFC 3948; Cisco CCE Security Guide: IPsec and "
                               "NAT Transparency", note))


def matrix(dep: Deployment, instance: int = 0, secure: bool = False,
           pg_slots: dict[str, int] | None = None) -> list[PortEntry]:
    """Every path's application ports and IPsec ports."""
    b = _Builder(dep, instance, secure, pg_slots or {})
    for path in derive(dep):
        if path.catalog != "tunnel":
            x, y = (dep.host(e.host) for e in path.ends)
            private = path.ends[0].network == "private"
            if path.catalog == 1:
                _nam_cicm(b, path, x, y)
            elif path.catalog in (2, 3):
                _central_pair(b, path, x, y, private)
            elif path.catalog == 4:
                _router_pg(b, path, x, y)
            elif path.catalog in (5, 6):
                _central_admin(b, path, x, y)
            elif path.catalog == 7:
                _pg_pair(b, path, x, y, private)
            elif path.catalog == 8:
                _pg_cucm(b, path, x, y)
        _ipsec(b, path)
    return b.out


def do_not_segment(dep: Deployment) -> list[dict[str, str]]:
    """Hosts the guide says not to segment with a firewall."""
    out = []
    for h in dep.hosts:
        for role, what in ((Role.DIALER, "Outbound Option dialer"),
                           (Role.CUCM, "Communications Manager")):
            if h.has(role):
                out.append({"host": h.name, "role": role.value, "reason": f"{what}: do not "
                            f"segment with a firewall ({SEED_FW} note)"})
    return out
