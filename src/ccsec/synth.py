"""Synthetic contact-center deployments of any size, for benchmarks and scale tests.

``ccsec synth --sites N`` writes a deployment file that ``ccsec.deployment.load`` accepts: the
central controller (Router and Logger pairs, side A and B, in one or two central sites, with
their private network), AW/HDS and DDS servers, optionally a NAM/CICM pair, and N remote PG
sites, each with K PG pairs (private network included), Communications Manager nodes, CTI,
dialer and web-collaboration servers, one or two agent networks and a gateway — IOS crypto map
or strongSwan.  A fraction of the sites reaches the WAN through NAT.  About ten servers per
site: 1,000 sites ≈ 10,000 servers.

The output is a pure function of the options (``random.Random(seed)``, no clock, no set
iteration), so the same seed gives byte-identical files.  The text is emitted directly rather
than through a YAML dumper: every value is either a plain token known to stay a string
(names, dotted quads, prefixes) or a JSON string literal, which YAML reads as a double-quoted
scalar; a dumper would take seconds for 10,000 hosts.

Address plan (sized so that nothing collides up to :data:`MAX_SITES`):

* remote site ``i``: one /23, ``10.(16 + i // 128).(2 * (i % 128)).0/23`` — servers in the
  lower /24 (public addresses from ``.10``, private from ``.130``), agents in the upper /24;
* central sites: ``10.1.0.0/16`` and ``10.2.0.0/16`` (side A, side B) plus the private
  network ``172.16.<c>.0/24``;
* gateway WAN addresses: ``198.18.0.0/15`` (RFC 2544 benchmarking space), four per site; a
  site behind NAT has its gateway's own WAN address in ``100.64.0.0/10`` (RFC 6598) and its
  NAT's public address beside the other sites' WAN addresses in ``198.18.0.0/15``.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from ipaddress import IPv4Address

from ccsec.errors import Problem, UserError

#: limited by the address plan: /23 per site from 10.16.0.0 up, four WAN addresses per site
MAX_SITES = 30_000
MAX_PG_PAIRS = 50
WAN_POOL = IPv4Address("198.18.0.0")
NAT_INSIDE_POOL = IPv4Address("100.64.0.0")
#: central gateways sit at the top of the WAN pool, above every remote site's block
CENTRAL_WAN = IPv4Address("198.19.255.0")

_PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
_YAML_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "null", "y", "n"})


@dataclass(frozen=True)
class SynthOptions:
    """What ``ccsec synth`` takes; every field has a default except the number of sites."""

    sites: int
    pgs_per_site: int = 1
    nat_fraction: float = 0.2
    seed: int = 1
    central_sites: int = 2
    nam_cicm: bool = False
    strongswan_fraction: float = 0.4

    def check(self) -> None:
        """Refuse options the address plan cannot serve, naming the option and the range."""
        bad = []
        if not 1 <= self.sites <= MAX_SITES:
            bad.append(("--sites", f"{self.sites} is outside 1..{MAX_SITES}",
                        f"give 1 to {MAX_SITES} sites (the address plan's capacity)"))
        if not 1 <= self.pgs_per_site <= MAX_PG_PAIRS:
            bad.append(("--pgs-per-site", f"{self.pgs_per_site} is outside 1..{MAX_PG_PAIRS}",
                        f"give 1 to {MAX_PG_PAIRS} PG pairs per site"))
        for name, value in (("--nat-fraction", self.nat_fraction),
                            ("--strongswan-fraction", self.strongswan_fraction)):
            if not 0.0 <= value <= 1.0:
                bad.append((name, f"{value} is not a fraction", "give a number from 0 to 1"))
        if self.central_sites not in (1, 2):
            bad.append(("--central-sites", f"{self.central_sites} is not 1 or 2",
                        "sides A and B share one central site (1) or have one each (2)"))
        if bad:
            raise UserError([Problem(msg, field=f, fix=fix) for f, msg, fix in bad])


def _scalar(value: object) -> str:
    """A YAML scalar that reads back as exactly ``value`` (str, int, bool)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _YAML_WORDS and not text[0].isdigit():
        return text
    if _PLAIN.match(text) and text.count(".") == 3 and text.replace(".", "").replace(
            "/", "").isdigit():
        return text  # a dotted quad or prefix is never a number in YAML
    return json.dumps(text, ensure_ascii=True)


def _flow(obj: dict[str, object]) -> str:
    """A one-line flow mapping: ``{name: x, roles: [pg], …}``."""
    parts = []
    for key, value in obj.items():
        if isinstance(value, list):
            parts.append(f"{key}: [{', '.join(_scalar(v) for v in value)}]")
        elif isinstance(value, dict):
            parts.append(f"{key}: {_flow(value)}")
        else:
            parts.append(f"{key}: {_scalar(value)}")
    return "{" + ", ".join(parts) + "}"


class _Builder:
    """Collects sites, hosts and agent networks as plain dicts, in output order."""

    def __init__(self, opts: SynthOptions) -> None:
        self.o = opts
        self.rng = random.Random(opts.seed)
        self.sites: list[dict[str, object]] = []
        self.hosts: list[dict[str, object]] = []
        self.agents: list[dict[str, object]] = []
        self.domain = "icm.synthetic.example"
        self.uc_domain = "uc.synthetic.example"

    def host(self, name: str, site: str, roles: list[str], public: IPv4Address,
             private: IPv4Address | None = None, pair: str | None = None,
             side: str | None = None, domain: str | None = None,
             os: str | None = None) -> None:
        h: dict[str, object] = {"name": name, "site": site, "roles": roles}
        if pair is not None:
            h["pair"], h["side"] = pair, side
        if domain is not None:
            h["domain"] = domain
        h["public"] = str(public)
        if private is not None:
            h["private"] = str(private)
        if os is not None:
            h["os"] = os
        self.hosts.append(h)

    # ------------------------------------------------------------------ central

    def central(self) -> None:
        two = self.o.central_sites == 2
        names = ["dc-a", "dc-b"] if two else ["dc-1"]
        for c, name in enumerate(names):
            self.sites.append({
                "name": name, "kind": "central",
                "prefixes": [f"10.{c + 1}.0.0/16", f"172.16.{c}.0/24"],
                "gateway": {"name": f"gw-{name}", "platform": "ios",
                            "wan": str(CENTRAL_WAN + 2 + 4 * c)},
            })
        for side_i, side in enumerate(("a", "b")):
            c = side_i if two else 0
            site = names[c]
            pub = IPv4Address(f"10.{c + 1}.1.0") + 10 * (side_i + 1)
            priv = IPv4Address(f"172.16.{c}.0") + 10 * (side_i + 1)
            self.host(f"rtr-{side}", site, ["router"], pub, priv, "rtr", side, self.domain)
            self.host(f"lgr-{side}", site, ["logger"], pub + 1, priv + 1, "lgr", side,
                      self.domain)
            if self.o.nam_cicm:
                self.host(f"nam-{side}", site, ["nam-router"], pub + 2, priv + 2, "nam", side,
                          self.domain)
                self.host(f"cicm-{side}", site, ["cicm-router"], pub + 3, priv + 3, "cicm",
                          side, self.domain)
            adm = IPv4Address(f"10.{c + 1}.3.0") + 10 * (side_i + 1)
            self.host(f"aw-hds-{side}", site, ["aw", "hds"], adm, domain=self.domain)
            self.host(f"dds-{side}", site, ["dds"], adm + 1, domain=self.domain)
            self.host(f"cucm-{site}-{side}", site, ["cucm"],
                      IPv4Address(f"10.{c + 1}.5.0") + 10 * (side_i + 1), domain=self.uc_domain)

    # ------------------------------------------------------------------ remote

    def remote(self, i: int) -> None:
        rng = self.rng
        name = f"site-{i + 1:05d}"
        x, y = 16 + i // 128, 2 * (i % 128)
        servers = IPv4Address(f"10.{x}.{y}.0")
        behind_nat = rng.random() < self.o.nat_fraction
        platform = "strongswan" if rng.random() < self.o.strongswan_fraction else "ios"
        gateway: dict[str, object] = {"name": f"gw-{name}", "platform": platform}
        if behind_nat:
            gateway["wan"] = str(NAT_INSIDE_POOL + 4 * i + 2)
        else:
            gateway["wan"] = str(WAN_POOL + 4 * i + 2)
        if platform == "ios" and behind_nat and rng.random() < 0.5:
            gateway["source_nat"] = True
        site: dict[str, object] = {"name": name, "kind": "remote",
                                   "prefixes": [f"10.{x}.{y}.0/23"], "gateway": gateway}
        if behind_nat:
            site["nat"] = {"public": str(WAN_POOL + 4 * i + 1),
                           "keepalive": rng.choice((20, 20, 10, 30))}
        self.sites.append(site)
        tag = f"{i + 1:05d}"
        for j in range(self.o.pgs_per_site):
            pair = f"pg{j + 1}-{tag}"
            for s, side in enumerate(("a", "b")):
                self.host(f"pg{j + 1}{side}-{tag}", name, ["pg"], servers + 10 + 2 * j + s,
                          servers + 130 + 2 * j + s, pair, side, self.domain)
        for k in range(rng.choice((2, 3, 3, 4))):
            self.host(f"cucm{k + 1}-{tag}", name, ["cucm"], servers + 110 + k,
                      domain=self.uc_domain)
        for s, side in enumerate(("a", "b")):
            self.host(f"cti{side}-{tag}", name, ["cti"], servers + 120 + s, domain=self.domain)
        self.host(f"dialer-{tag}", name, ["dialer"], servers + 122, domain=self.domain)
        if rng.random() < 0.5:
            self.host(f"collab-{tag}", name, ["web-collab"], servers + 123, domain=self.domain)
        agents = f"10.{x}.{y + 1}"
        if rng.random() < 0.3:
            halves = [f"{agents}.0/25", f"{agents}.128/25"]
        else:
            halves = [f"{agents}.0/24"]
        for n, prefix in enumerate(halves):
            net: dict[str, object] = {"name": f"agents{n + 1}-{tag}", "site": name,
                                      "prefix": prefix}
            if rng.random() < 0.3:
                net["silent_monitoring"] = True
            if behind_nat:
                net["behind_nat"] = True
            self.agents.append(net)

    # ------------------------------------------------------------------ text

    def text(self) -> str:
        o = self.o
        lines = [
            f"# generated by: ccsec synth --sites {o.sites} --pgs-per-site {o.pgs_per_site} "
            f"--nat-fraction {o.nat_fraction} --seed {o.seed} --central-sites "
            f"{o.central_sites}{' --nam-cicm' if o.nam_cicm else ''}",
            f"# {len(self.sites)} sites, {len(self.hosts)} hosts, "
            f"{sum(1 for s in self.sites if 'gateway' in s)} gateways "
            "(synthetic: addresses from 10/8, 172.16/12, 100.64/10 and 198.18/15)",
            f"deployment: synthetic-{o.sites}-sites-seed-{o.seed}",
            f"description: {_scalar('synthetic deployment for scale tests (ccsec synth)')}",
            "environment: production",
            "profile: recommended",
            "protection: both",
            f"domains: [{self.domain}, {self.uc_domain}]",
            f"pki: {{root_ca: {_scalar('CN=Synthetic Root CA, O=ccsec synth')}}}",
            "sites:",
        ]
        lines += [f"  - {_flow(s)}" for s in self.sites]
        lines.append("hosts:")
        lines += [f"  - {_flow(h)}" for h in self.hosts]
        lines.append("agent_networks:")
        lines += [f"  - {_flow(a)}" for a in self.agents]
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Synthetic:
    """A generated deployment file and what it holds."""

    text: str
    sites: int
    hosts: int
    gateways: int
    agent_networks: int


def generate(opts: SynthOptions) -> Synthetic:
    """The deployment for ``opts`` (deterministic for a seed), with its counts."""
    opts.check()
    b = _Builder(opts)
    b.central()
    for i in range(opts.sites):
        b.remote(i)
    return Synthetic(b.text(), len(b.sites), len(b.hosts),
                     sum(1 for s in b.sites if "gateway" in s), len(b.agents))


def synthesize(opts: SynthOptions) -> str:
    """The deployment file text for ``opts`` (deterministic for a seed)."""
    return generate(opts).text
