"""The lab's report: the JSON document (a fixed, extend-only shape) and its text form.

JSON: ``{"results": [{"id", "kind", "ends", "established", "traffic", "cleartext_packets",
"nat_t", …}], "faults": [{"fault", "recovery_s", "cleartext_packets", …}], …}`` — keys may be
added, never renamed (other tools read it).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.table import Table

from ccsec.lab.charon import IkeSa
from ccsec.lab.sas import Snapshot
from ccsec.lab.state import LabState, describe
from ccsec.lab.transform import summarize


def document(state: LabState, results: list[dict[str, Any]] | None = None,
             links: list[dict[str, Any]] | None = None,
             faults: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The report as JSON-able data (``results`` and ``faults`` always present)."""
    results = results or []
    faults = faults or []
    links = links or []
    wan_other = sum(int(lk["other"]) for lk in links if lk["kind"] == "wan")
    ok = (bool(results) and all(r["ok"] for r in results) and wan_other == 0
          and all(f["ok"] for f in faults))
    return {
        "results": results,
        "faults": faults,
        "ok": ok,
        "lab": describe(state),
        "datapath": {"name": state.datapath, "evidence": state.datapath_evidence},
        "substitutions": summarize(state.substitutions),
        "links": links,
        "wan_packets_not_ike_or_esp_in_udp": wan_other,
        "reinitiated_at_start": state.kicked,
        "timings_s": state.timings,
    }


def _yes(v: object) -> str:
    return "yes" if v else "NO"


def print_substitutions(console: Console, state: LabState) -> None:
    console.print(f"[bold]data path[/]: {state.datapath} — {state.datapath_evidence}")
    subs = summarize(state.substitutions)
    if not subs:
        console.print("policy substitutions: none (every end ran its planned policy as is)")
        return
    console.print("[bold]policy substitutions[/] (the lab changed the policy before rendering):")
    for s in subs:
        where = s["where"]
        assert isinstance(where, list)
        shown = ", ".join(where[:6]) + (f", … ({len(where)} in all)" if len(where) > 6 else "")
        console.print(f"  - {s['change']}: {s['reason']}\n      {shown}", soft_wrap=True)


def print_report(console: Console, doc: dict[str, Any]) -> None:
    """The text report: results, WAN links, faults, timings, verdict."""
    if doc["results"]:
        t = Table(title=f"lab {doc['lab']['lab']}: {doc['lab']['deployment']} "
                  f"(profile {doc['lab']['profile']})")
        for col in ("id", "kind", "ends", "established", "traffic", "clear text", "NAT-T",
                    "ESP in captures", "result"):
            t.add_column(col)
        for r in doc["results"]:
            nat = f"{_yes(r['nat_t'])} (NAT {'present' if r['nat_expected'] else 'absent'})"
            t.add_row(r["id"], r["kind"], " <-> ".join(r["ends"]), _yes(r["established"]),
                      _yes(r["traffic"]), str(r["cleartext_packets"]), nat,
                      str(r["esp_in_udp_captured"]),
                      "ok" if r["ok"] else "FAIL: " + "; ".join(r["problems"]))
        console.print(t)
    if doc["links"]:
        t = Table(title="what each captured link carried")
        for col in ("link", "kind", "packets", "IKE / ESP-in-UDP", "other"):
            t.add_column(col)
        for lk in doc["links"]:
            t.add_row(lk["link"], lk["kind"], str(lk["packets"]), str(lk["ike_or_esp_in_udp"]),
                      str(lk["other"]) + (" (LAN: probes' clear text by design)"
                                          if lk["kind"] == "lan" and lk["other"] else ""))
        console.print(t)
    if doc["faults"]:
        t = Table(title="faults (under traffic)")
        for col in ("fault", "target", "recovery s", "clear text", "lost pings", "notes",
                    "result"):
            t.add_column(col)
        for f in doc["faults"]:
            rec = "not recovered" if f["recovery_s"] is None else f"{f['recovery_s']:.2f}"
            t.add_row(f["fault"], str(f["target"]), rec, str(f["cleartext_packets"]),
                      str(f["lost_pings"]), "; ".join(f["notes"]), "ok" if f["ok"] else "FAIL")
        console.print(t)
    timings = ", ".join(f"{k} {v:g}" for k, v in doc["timings_s"].items())
    console.print(f"timings (s): {timings}")
    verdict = "[green]PASS[/]" if doc["ok"] else "[red]FAIL[/]"
    console.print(f"{verdict}: {len(doc['results'])} paths/tunnels, {len(doc['faults'])} faults, "
                  f"WAN packets other than IKE/ESP-in-UDP: "
                  f"{doc['wan_packets_not_ike_or_esp_in_udp']}")


# --------------------------------------------------------------------------- status


def sa_rows(state: LabState, snap: Snapshot) -> list[dict[str, Any]]:
    """One row per CHILD_SA (or per IKE SA without children), per charon."""
    rows: list[dict[str, Any]] = []
    for rec in state.charons:
        sas: Iterable[IkeSa] | None = snap.get(rec.owner)
        if sas is None:
            rows.append({"owner": rec.owner, "ns": rec.ns, "daemon": "not answering"})
            continue
        for ike in sas:
            base = {"owner": rec.owner, "ns": rec.ns, "daemon": "running", "conn": ike.name,
                    "ike_state": ike.state, "ike_version": ike.version, "local": ike.local,
                    "remote": ike.remote, "nat_local": ike.nat_local,
                    "nat_remote": ike.nat_remote, "ike_proposal": ike.proposal}
            if not ike.children:
                rows.append(base)
            for c in ike.children:
                rows.append({**base, "child": c.name, "child_state": c.state, "mode": c.mode,
                             "encap": c.encap, "esp": "/".join(x for x in (c.encr, c.integ, c.dh)
                                                                if x),
                             "spi_in": c.spi_in, "spi_out": c.spi_out,
                             "bytes_in": c.bytes_in, "bytes_out": c.bytes_out,
                             "packets_in": c.packets_in, "packets_out": c.packets_out,
                             "local_ts": c.local_ts, "remote_ts": c.remote_ts})
        if not sas:
            rows.append({"owner": rec.owner, "ns": rec.ns, "daemon": "running (no SA)"})
    return rows


def print_status(console: Console, state: LabState, rows: list[dict[str, Any]]) -> None:
    d = describe(state)
    console.print(f"[bold]lab {d['lab']}[/] ({d['status']}): {d['deployment']}, profile "
                  f"{d['profile']}, data path {d['datapath']}, {d['namespaces']} namespaces, "
                  f"{d['charons']} charons")
    t = Table(title="SAs per namespace (vici)")
    for col in ("end", "connection", "IKE", "local -> remote", "NAT local/remote", "child",
                "ESP", "bytes in/out", "packets in/out"):
        t.add_column(col)
    for r in rows:
        if "conn" not in r:
            t.add_row(r["owner"], "-", r["daemon"], "", "", "", "", "", "")
            continue
        t.add_row(
            r["owner"], r["conn"], f"{r['ike_state']} v{r['ike_version']}",
            f"{r['local']} -> {r['remote']}",
            f"{_yes(r['nat_local'])}/{_yes(r['nat_remote'])}",
            f"{r.get('child', '-')} {r.get('child_state', '')} {r.get('mode', '')}",
            r.get("esp", ""), f"{r.get('bytes_in', 0)}/{r.get('bytes_out', 0)}",
            f"{r.get('packets_in', 0)}/{r.get('packets_out', 0)}",
        )
    console.print(t)
