"""Windows collector exports (schema ``ccsec-windows-collector/1``) for planned Windows ends.

What ``ccsec collector windows`` would write on a host that applied ccsec's policy: one
connection security rule per policy rule with its quick-mode crypto set and phase-1
authentication set, one main-mode rule and crypto set per rule, the host's addresses.  The
values use the collector's strings (enum names as ``[string]`` casts print them).  Benchmark
input only: the shapes follow src/ccsec/collector/schema.py and the collector fixtures in
tests/.
"""

from __future__ import annotations

import json
from typing import Any

from ccsec.formats.windows.vocabulary import DH_NAMES, GCM_HASH, MM_ENCR, MM_HASH, QM_ENCR, QM_HASH
from ccsec.policy import EndPolicy, Rule

SCHEMA = "ccsec-windows-collector/1"


def _addresses(values: list[str]) -> list[str]:
    return ["Any" if v == "0.0.0.0/0" else v.removesuffix("/32") for v in values]


def _qm_proposals(r: Rule) -> list[dict[str, Any]]:
    out = []
    for p in r.esp:
        assert p.encryption is not None
        aead = p.encryption in GCM_HASH
        out.append({"Encapsulation": "ESP", "Encryption": QM_ENCR[p.encryption],
                    "ESPHash": GCM_HASH[p.encryption] if aead else QM_HASH[p.integrity],  # type: ignore[index]
                    "AHHash": "None", "MaxMinutes": r.lifetime_s // 60,
                    "MaxKiloBytes": r.lifetime_kb or 0})
    return out


def _auth(r: Rule) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for a in r.auth:
        if a.method == "kerberos":
            out.append({"AuthenticationMethod": "MachineKerberos"})
        elif a.method == "certificate":
            out.append({"AuthenticationMethod": "MachineCert", "Authority": a.ca,
                        "AuthorityType": "Root", "Signing": "RSA"})
        else:
            out.append({"AuthenticationMethod": "MachinePreSharedKey",
                        "PreSharedKeyPresent": True})
    return out


def export(end: EndPolicy, addresses: list[str], domain: str | None) -> dict[str, Any]:
    """The collector document for one Windows end."""
    rules, mm_rules, mm_sets, qm_sets, p1_sets = [], [], [], [], []
    for r in end.rules:
        mm, qm, p1 = f"{r.name}.MainModeCrypto", f"{r.name}.QuickModeCrypto", f"{r.name}.P1"
        local = _addresses(sorted({str(f.local) for f in r.filters}))
        remote = _addresses(sorted({str(f.remote) for f in r.filters}))
        mm_sets.append({"Name": mm, "DisplayName": mm, "MaxMinutes": r.ike.lifetime_s // 60,
                        "Proposal": [{"Encryption": MM_ENCR[p.encryption],
                                      "Hash": MM_HASH[p.integrity],  # type: ignore[index]
                                      "KeyExchange": DH_NAMES[p.group]}
                                     for p in r.ike.proposals]})
        qm_sets.append({"Name": qm, "DisplayName": qm,
                        "PerfectForwardSecrecyGroup": DH_NAMES[r.pfs_group] if r.pfs_group
                        else "None", "Proposal": _qm_proposals(r)})
        p1_sets.append({"Name": p1, "DisplayName": p1, "Proposal": _auth(r)})
        mm_rules.append({"Name": f"{r.name}.MainModeRule", "Enabled": "True",
                         "MainModeCryptoSet": mm, "Phase1AuthSet": p1, "Profile": "Any",
                         "LocalAddress": local, "RemoteAddress": remote})
        tunnel = r.mode == "tunnel"
        rules.append({
            "Name": r.name, "DisplayName": r.name, "Description": r.description,
            "Enabled": "True", "Mode": "Tunnel" if tunnel else "Transport",
            "InboundSecurity": "Require", "OutboundSecurity": "Require",
            "KeyModule": "IKEv2" if r.ike.version == 2 else "IKEv1",
            "Phase1AuthSet": p1, "Phase2AuthSet": None, "QuickModeCryptoSet": qm,
            "Profile": "Any", "LocalAddress": local, "RemoteAddress": remote,
            "LocalTunnelEndpoint": [str(r.local_address)] if tunnel else [],
            "RemoteTunnelEndpoint": [str(r.peer_address)] if tunnel else [],
            "Protocol": "Any", "LocalPort": ["Any"], "RemotePort": ["Any"],
            "InterfaceType": ["Any"], "PolicyStoreSource": "PersistentStore",
        })
    return {
        "schema": SCHEMA, "collector_version": "0.1.0",
        "collected_at": "2026-01-01T00:00:00.0000000Z",
        "host": {"ComputerName": (end.owner or end.name).upper(), "Domain": domain,
                 "OsCaption": "Microsoft Windows Server 2022 Standard",
                 "Addresses": [{"InterfaceAlias": f"Ethernet{i}", "IPAddress": a,
                                "PrefixLength": 24, "AddressFamily": "IPv4"}
                               for i, a in enumerate(addresses)]},
        "ipsec": {"Rules": rules, "MainModeRules": mm_rules, "MainModeCryptoSets": mm_sets,
                  "QuickModeCryptoSets": qm_sets, "Phase1AuthSets": p1_sets,
                  "Phase2AuthSets": [], "FirewallSetting": {"AllowIPsecThroughNAT": "None",
                                                            "KeyEncoding": "UTF8"},
                  "NetshIpsecStatic": ""},
        "errors": [],
    }


def export_text(end: EndPolicy, addresses: list[str], domain: str | None) -> str:
    return json.dumps(export(end, addresses, domain), indent=2) + "\n"
