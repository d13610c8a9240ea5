"""The lab's report: the JSON document (a fixed, extend-only shape) and its text form.

JSON: ``{"results": [{"id", "kind", "ends", "established", "traffic", "cleartext_packets",
"nat_t", …}], "faults": [{"fault", "recovery_s", "cleartext_packets", …}], …}`` — keys may be
added, never renamed (other tools read it).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.markup import escape

from ccsec.findings.columns import Column, print_literal
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


#: the tables fit the terminal without cutting ids, names or addresses (the most expendable
#: columns are left out and named; ``--wide`` keeps them all)
_RESULT_COLUMNS = (Column("id", atomic=True), Column("kind", atomic=True, drop=4),
                   Column("ends"), Column("established", atomic=True, drop=2),
                   Column("traffic", atomic=True, drop=3), Column("clear text", justify="right"),
                   Column("NAT-T", drop=1), Column("ESP in captures", justify="right", drop=5),
                   Column("result"))
_LINK_COLUMNS = (Column("link", atomic=True), Column("kind", atomic=True),
                 Column("packets", justify="right"), Column("IKE / ESP-in-UDP", justify="right"),
                 Column("other"))
_FAULT_COLUMNS = (Column("fault", atomic=True), Column("target"),
                  Column("recovery s", justify="right"), Column("clear text", justify="right"),
                  Column("lost pings", justify="right", drop=2), Column("notes", drop=1),
                  Column("result", atomic=True))
_SA_COLUMNS = (Column("end", atomic=True), Column("connection", atomic=True),
               Column("IKE", drop=4), Column("local -> remote"),
               Column("NAT local/remote", drop=3), Column("child"), Column("ESP", drop=5),
               Column("bytes in/out", atomic=True, drop=2),
               Column("packets in/out", atomic=True, drop=1))


def print_report(console: Console, doc: dict[str, Any], wide: bool = False) -> None:
    """The text report: results, WAN links, faults, timings, verdict."""
    if doc["results"]:
        rows = []
        for r in doc["results"]:
            nat = f"{_yes(r['nat_t'])} (NAT {'present' if r['nat_expected'] else 'absent'})"
            rows.append([r["id"], r["kind"], " <-> ".join(r["ends"]), _yes(r["established"]),
                         _yes(r["traffic"]), str(r["cleartext_packets"]), nat,
                         str(r["esp_in_udp_captured"]),
                         "ok" if r["ok"] else "FAIL: " + "; ".join(r["problems"])])
        print_literal(console, _RESULT_COLUMNS, rows, f"lab {doc['lab']['lab']}: "
                      f"{doc['lab']['deployment']} (profile {doc['lab']['profile']})", wide)
    if doc["links"]:
        print_literal(console, _LINK_COLUMNS,
                      [[lk["link"], lk["kind"], str(lk["packets"]), str(lk["ike_or_esp_in_udp"]),
                        str(lk["other"]) + (" (LAN: probes' clear text by design)"
                                            if lk["kind"] == "lan" and lk["other"] else "")]
                       for lk in doc["links"]], "what each captured link carried", wide)
    if doc["faults"]:
        print_literal(console, _FAULT_COLUMNS,
                      [[f["fault"], str(f["target"]),
                        "not recovered" if f["recovery_s"] is None else f"{f['recovery_s']:.2f}",
                        str(f["cleartext_packets"]), str(f["lost_pings"]), "; ".join(f["notes"]),
                        "ok" if f["ok"] else "FAIL"] for f in doc["faults"]],
                      "faults (under traffic)", wide)
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


def print_status(console: Console, state: LabState, rows: list[dict[str, Any]],
                 wide: bool = False) -> None:
    d = describe(state)
    lab, deployment = escape(str(d["lab"])), escape(str(d["deployment"]))
    console.print(f"[bold]lab {lab}[/] ({d['status']}): {deployment}, profile {d['profile']}, "
                  f"data path {d['datapath']}, {d['namespaces']} namespaces, "
                  f"{d['charons']} charons")
    table: list[list[str]] = []
    for r in rows:
        if "conn" not in r:
            table.append([r["owner"], "-", r["daemon"], "", "", "", "", "", ""])
            continue
        table.append([
            r["owner"], r["conn"], f"{r['ike_state']} v{r['ike_version']}",
            f"{r['local']} -> {r['remote']}",
            f"{_yes(r['nat_local'])}/{_yes(r['nat_remote'])}",
            f"{r.get('child', '-')} {r.get('child_state', '')} {r.get('mode', '')}",
            r.get("esp", ""), f"{r.get('bytes_in', 0)}/{r.get('bytes_out', 0)}",
            f"{r.get('packets_in', 0)}/{r.get('packets_out', 0)}",
        ])
    print_literal(console, _SA_COLUMNS, table, "SAs per namespace (vici)", wide)
