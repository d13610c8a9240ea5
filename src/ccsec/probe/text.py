"""A probe result for people: per IKE version the accepted proposals and what finding them
cost, then aggressive mode, NAT, fragmentation, vendor IDs and the findings."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ccsec.crypto import DH_GROUPS, IkeProposal
from ccsec.findings.text import print_findings
from ccsec.probe.result import ProbeResult, VersionResult


def _yes(value: bool | None) -> str:
    return "unknown" if value is None else ("yes" if value else "no")


def cost(v: VersionResult) -> str:
    """``N packets for M accepted, exhaustive scan K (r %)``."""
    ratio = f" ({100 * v.ratio:.2f} %)" if v.ratio is not None else ""
    return (f"{v.packets} packets for {len(v.accepted)} accepted proposals; an exhaustive "
            f"one-combination-per-packet scan of the same space: {v.exhaustive}{ratio}")


def _proposals(v: VersionResult) -> Table:
    table = Table(title=f"IKEv{v.version}: accepted proposals ({len(v.accepted)})")
    for col in ("encryption", "integrity", "prf", "DH group"):
        table.add_column(col)

    def row(p: IkeProposal) -> tuple[str, str, str, str]:
        g = DH_GROUPS[p.group]
        prf = p.prf.value if p.prf else "(hash's HMAC)"
        return (p.encryption.value, p.integrity.value if p.integrity else "(AEAD)", prf,
                f"{p.group} ({g.keyword})")

    for p in sorted(v.accepted, key=lambda p: p.label()):
        table.add_row(*row(p))
    return table


def print_result(result: ProbeResult, console: Console) -> None:
    console.print(f"[bold]ccsec probe {result.target}[/] ({result.address} UDP {result.port}, "
                  f"from {result.source}, {result.seconds:g} s, {result.packets} packets)")
    for v in result.versions():
        if not v.answered:
            console.print(f"IKEv{v.version}: no answer — {v.stopped or 'not asked'}",
                          markup=False)
            continue
        console.print(_proposals(v))
        state = "complete" if v.complete else f"INCOMPLETE: {v.stopped}"
        console.print(f"  {state}; {cost(v)}", markup=False)
        if v.fragmentation is not None:
            console.print(f"  IKE fragmentation: {_yes(v.fragmentation)}", markup=False)
        if v.signature_hashes:
            console.print(f"  signature hashes (RFC 7427): {', '.join(v.signature_hashes)}",
                          markup=False)
        for a in v.anomalies:
            console.print(f"  anomaly: {a}", markup=False)
    agg = result.aggressive
    if agg is not None and agg.tried:
        console.print(f"IKEv1 aggressive mode ({agg.auth}, identity {agg.identity}): "
                      f"{_yes(agg.accepted)} — {agg.detail}", markup=False)
    nat = result.nat
    console.print(f"NAT traversal offered: {_yes(nat.supported)}"
                  + (f" ({'; '.join(nat.evidence)})" if nat.evidence else "")
                  + f"; NAT between probe and gateway: {_yes(nat.probe_behind_nat)}"
                  + f"; gateway behind NAT: {_yes(nat.target_behind_nat)}", markup=False)
    for vid in result.vendor_ids:
        console.print(f"vendor ID (IKEv{vid.ike}, a hint): {vid.name or 'unknown'}"
                      + (f" [{vid.vendor}]" if vid.vendor else "") + f" {vid.hex}",
                      markup=False)
    if result.drift is not None:
        d = result.drift
        console.print(f"plan for {d.end} ({d.deployment}): "
                      + "; ".join(f"{k}: {len(v)} proposals" for k, v in d.planned.items()),
                      markup=False)
    print_findings(result.findings, console, title="probe findings")
