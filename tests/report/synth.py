"""A synthetic deployment of N sites for the report's layout tests (a stand-in until
``ccsec synth`` exists): central sites hold the Router/Logger sides, every remote site a PG
pair and a Communications Manager; every third remote site is behind NAT."""

from __future__ import annotations


def synthetic(n_sites: int, central: int = 2, nat_every: int = 3, name: str = "synth") -> str:
    """The YAML text of a valid deployment with ``n_sites`` sites (``central`` of them central)."""
    if not 2 <= n_sites <= 200 or not 1 <= central < n_sites:
        raise ValueError("2..200 sites, at least one central and one remote")
    sites, hosts = [], []
    for i in range(n_sites):
        n = i + 1
        kind = "central" if i < central else "remote"
        sname = f"dc-{n:02d}" if kind == "central" else f"pg-{n:03d}"
        gw = f"{{name: gw-{n:03d}, platform: ios, wan: 100.64.{n}.1}}"
        nat = ""
        if kind == "remote" and (i - central) % nat_every == nat_every - 1:
            gw = f"{{name: gw-{n:03d}, platform: ios, wan: 192.168.{n}.2, source_nat: true}}"
            nat = f", nat: {{public: 203.0.{n}.7}}"
        sites.append(f"  - {{name: {sname}, kind: {kind}, prefixes: [10.{n}.0.0/16], "
                     f"gateway: {gw}{nat}}}")
        if kind == "central":
            side = "ab"[i % 2]
            hosts.append(f"  - {{name: rgr-{side}{n}, site: {sname}, roles: [router, logger], "
                         f"pair: cc{(i // 2) + 1}, side: {side}, domain: icm.example, "
                         f"public: 10.{n}.1.10, private: 10.{n}.2.10}}")
            if i == 0:
                hosts.append(f"  - {{name: aw-{n}, site: {sname}, roles: [aw, hds], "
                             f"domain: icm.example, public: 10.{n}.3.20}}")
        else:
            for side, last in (("a", 10), ("b", 11)):
                hosts.append(f"  - {{name: pg{n}-{side}, site: {sname}, roles: [pg], "
                             f"pair: pg{n}, side: {side}, domain: icm.example, "
                             f"public: 10.{n}.1.{last}, private: 10.{n}.2.{last}}}")
            hosts.append(f"  - {{name: cucm-{n}, site: {sname}, roles: [cucm], "
                         f"domain: uc.example, public: 10.{n}.5.10}}")
    return "\n".join([
        f"deployment: {name}-{n_sites}",
        f"description: synthetic deployment of {n_sites} sites",
        "environment: production",
        "profile: recommended",
        "protection: both",
        "domains: [icm.example, uc.example]",
        'pki: {root_ca: "CN=Synth Root CA, O=Synth"}',
        "sites:", *sites,
        "hosts:", *hosts,
    ]) + "\n"
