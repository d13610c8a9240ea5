"""Peer pairs for the differential test: base-valid pairs with exactly one difference each.

The static analyzer (:func:`ccsec.audit.negotiate.negotiate`) predicts each pair's outcome per
initiating side; the lab (:func:`pairlab.negotiate_pair`) negotiates the same two ends on
real strongSwan.  Every pair starts from a *base*: both ends' rules of one path, which the
analyzer and strongSwan both establish (the test checks this first, so a mutated pair differs
from a working one in exactly the one field the mutation names).

Bases come from the planner's own output for the example deployments (demo, linux-test,
multi-site: every path that needs no NAT and no Kerberos, in a spread of IKE versions,
authentication methods and modes) plus three constructed pairs for what the planner does not
emit (IKEv1 with pre-shared keys, an IKEv2 AEAD IKE proposal).  Windows, IOS and CUCM ends are
played by strongSwan in the lab, so every end is declared ``strongswan`` (or ``linux``) here:
the analyzer is asked about the stack that really runs, not about the planned platform.

A mutation changes one :class:`~ccsec.policy.Rule` field of one end (``a`` or ``b``); the
categories are the issue's (phase-1 proposal, phase-2 proposal, PSK, CA, IKE version, traffic
selectors, PFS, mode), most with several kinds.  :func:`generate` picks, with a fixed seed, a
stratified sample per category (every kind, both sides and both IKE versions), so the pairs
are the same on every run; ``CCSEC_DIFF_SEED`` explores others.  Two limits of the pair lab
shape what is generated, and nothing else is left out:

- mode pairs are host-to-host only: with other selectors a transport rule is not testable on
  kernel-libipsec (:func:`pairlab.untestable`: it fakes a NAT);
- a rule keeps one local x remote product with one protocol/port set (:func:`one_child`):
  the renderer writes one child per subnet pair, all alike, and the pair lab initiates the
  first.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Literal

from pairlab import host_to_host

from ccsec.audit.negotiate import Context, Status, negotiate
from ccsec.audit.negotiate import Side as Facts
from ccsec.crypto import Encr, EspProposal, IkeProposal, Integ, Prf, is_aead
from ccsec.deployment import load, loads
from ccsec.deployment.demo import demo_text
from ccsec.plan import plan
from ccsec.policy import Auth, EndPolicy, Filter, Ike, Rule
from ccsec.secrets import literal

End = tuple[EndPolicy, Rule]
Side = Literal["a", "b"]
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SEED = 20250607
#: mutated pairs per category (8 categories: 64 pairs, plus one unmutated control per base)
QUOTA = 8
CATEGORIES = ("phase1", "phase2", "psk", "ca", "version", "ts", "pfs", "mode")
STRONGSWAN = frozenset({"strongswan", "linux"})
#: a lab key, not a secret of any deployment (the examples reference env:CCSEC_LAB_PSK)
BASE_KEY = "ccsec-differential-Key-0001"
OTHER_CA = "CN=Other Root CA, O=Elsewhere"
LAB_CA = "CN=ccsec differential root CA, O=ccsec lab"
#: outside every base's networks and addresses (RFC 2544 benchmarking range)
FOREIGN = IPv4Network("198.18.0.0/24")


@dataclass(frozen=True)
class Base:
    """Two ends of one path that both the analyzer and strongSwan establish."""

    name: str
    origin: str
    a: End
    b: End

    @property
    def version(self) -> int:
        return self.a[1].ike.version

    @property
    def method(self) -> str:
        return self.a[1].auth[0].method

    def end(self, side: Side) -> End:
        return self.a if side == "a" else self.b


@dataclass(frozen=True)
class Mutation:
    """One kind of difference: ``apply(own, other)`` returns ``own`` changed, or None when the
    kind does not apply to this base (e.g. no subnet to narrow on a host-to-host rule)."""

    kind: str
    category: str
    field: str
    text: str
    apply: Callable[[Rule, Rule], Rule | None]


@dataclass(frozen=True)
class Case:
    """One pair of the differential test."""

    id: str
    category: str
    kind: str
    mutation: str
    side: Side | None
    base: str
    field: str | None
    a: End
    b: End
    #: also force a CHILD_SA rekey (IKEv2 PFS: established now, the rekey is where it fails)
    rekey: bool = False

    @property
    def version(self) -> int:
        return self.a[1].ike.version


# ------------------------------------------------------------------------------------ bases


def _lab_end(end: EndPolicy, rule: Rule) -> End:
    """``rule`` alone on an end declared as the strongSwan that plays it in the lab."""
    platform = end.platform if end.platform in STRONGSWAN else "strongswan"
    policy = EndPolicy(name=end.name, owner=end.owner or end.name, platform=platform,
                       rules=(rule,))
    return policy, rule


def _with_key(rule: Rule) -> Rule:
    """PSK rules get a literal lab key (the examples hold only an ``env:`` reference)."""
    if rule.auth[0].method != "psk":
        return rule
    return rule.model_copy(update={"auth": (Auth(method="psk", psk=literal(BASE_KEY)),)})


def _planned(deployment: str, path_id: str) -> Base:
    dep = (loads(demo_text(), "demo.yaml") if deployment == "demo"
           else load(EXAMPLES / f"{deployment}.yaml"))
    (ea, ra), (eb, rb) = plan(dep).rules_for(path_id)
    return Base(f"{deployment}/{path_id}", f"planner: {deployment} path {path_id}",
                _lab_end(ea, _with_key(ra)), _lab_end(eb, _with_key(rb)))


def _mirror(r: Rule, name: str, local: str) -> Rule:
    return r.model_copy(update={
        "name": name, "local_address": r.peer_address, "peer_address": IPv4Address(local),
        "local_id": r.peer_id, "peer_id": r.local_id,
        "filters": tuple(Filter(local=f.remote, remote=f.local, protocol=f.protocol,
                                local_port=f.remote_port, remote_port=f.local_port)
                         for f in r.filters)})


def _constructed(name: str, version: Literal[1, 2], mode: Literal["transport", "tunnel"],
                 addrs: tuple[str, str], nets: tuple[str, str], ike: IkeProposal,
                 esp: EspProposal, pfs: int) -> Base:
    """A PSK pair the planner does not emit (it plans IKEv1 only for Windows/CUCM paths)."""
    la, lb = addrs
    ra = Rule(name=name, mode=mode, local_address=IPv4Address(la), peer_address=IPv4Address(lb),
              filters=(Filter(local=IPv4Network(nets[0]), remote=IPv4Network(nets[1])),),
              auth=(Auth(method="psk", psk=literal(BASE_KEY)),),
              ike=Ike(version=version, proposals=(ike,)), esp=(esp,), pfs_group=pfs)
    rb = _mirror(ra, name, la)
    a = EndPolicy(name=f"{name}-a", owner=f"{name}-a", platform="strongswan", rules=(ra,))
    b = EndPolicy(name=f"{name}-b", owner=f"{name}-b", platform="strongswan", rules=(rb,))
    return Base(name, "constructed", (a, ra), (b, rb))


@cache
def bases() -> tuple[Base, ...]:
    """Every base pair, in a fixed order."""
    return (
        _planned("demo", "p8-pg1-a-cucm-1"),  # IKEv1, certificates, transport, PFS 14
        _planned("linux-test", "p4-router-a-pg-1"),  # IKEv2, PSK, transport
        _planned("multi-site", "p4-rtr-a-pg3"),  # IKEv2, certificates, transport
        _planned("multi-site", "t-dc-west-dc-east"),  # IKEv2, certificates, 2x2 subnets
        _planned("multi-site", "t-dc-west-pg-nagoya"),  # IKEv2, certificates, 2x1 subnets
        _planned("multi-site", "p8-pg3-cucm-nagoya"),  # IKEv1, certificates, transport
        _constructed("v1-psk-tunnel", 1, "tunnel", ("192.0.2.1", "198.51.100.1"),
                     ("10.10.0.0/16", "10.20.0.0/16"),
                     IkeProposal(encryption=Encr.AES256, integrity=Integ.SHA256, group=14),
                     EspProposal(encryption=Encr.AES256, integrity=Integ.SHA256), 14),
        _constructed("v1-psk-hosts", 1, "transport", ("10.50.0.10", "10.60.0.20"),
                     ("10.50.0.10/32", "10.60.0.20/32"),
                     IkeProposal(encryption=Encr.AES128, integrity=Integ.SHA256, group=19),
                     EspProposal(encryption=Encr.AES128GCM), 19),
        _constructed("v2-psk-aead", 2, "tunnel", ("192.0.2.9", "203.0.113.9"),
                     ("172.16.10.0/24", "172.17.20.0/24"),
                     IkeProposal(encryption=Encr.AES256GCM, prf=Prf.SHA384, group=20),
                     EspProposal(encryption=Encr.AES256GCM), 20),
    )


# -------------------------------------------------------------------------------- mutations


def _ike(rule: Rule, **update: object) -> Rule:
    return rule.model_copy(update={"ike": rule.ike.model_copy(update=update)})


def _ike_keys(rule: Rule) -> set[tuple[object, ...]]:
    return {(p.encryption, p.integrity, p.effective_prf, p.group) for p in rule.ike.proposals}


def _proposals(rule: Rule, other: Rule, props: list[IkeProposal]) -> Rule | None:
    """``rule`` offering ``props`` — None if any of them is still one the other end has."""
    new = _ike(rule, proposals=tuple(dict.fromkeys(props)))
    return None if _ike_keys(new) & _ike_keys(other) else new


CIPHER = {Encr.AES256: Encr.AES128, Encr.AES128: Encr.AES256,
          Encr.AES256GCM: Encr.AES128GCM, Encr.AES128GCM: Encr.AES256GCM}
INTEG = {Integ.SHA256: Integ.SHA384, Integ.SHA384: Integ.SHA256, Integ.SHA1: Integ.SHA256}
GROUP = {19: 20, 20: 19, 14: 15, 15: 14, 21: 20}


def _ike_cipher(own: Rule, other: Rule) -> Rule | None:
    return _proposals(own, other, [p.model_copy(update={"encryption": CIPHER[p.encryption]})
                                   for p in own.ike.proposals])


def _ike_integrity(own: Rule, other: Rule) -> Rule | None:
    if any(is_aead(p.encryption) for p in own.ike.proposals):
        return None
    return _proposals(own, other, [p.model_copy(update={"integrity": INTEG[p.integrity]})
                                   for p in own.ike.proposals if p.integrity])


def _ike_group(own: Rule, other: Rule) -> Rule | None:
    return _proposals(own, other, [p.model_copy(update={"group": GROUP[p.group]})
                                   for p in own.ike.proposals])


def _ike_superset(own: Rule, other: Rule) -> Rule | None:
    """An extra proposal the other end lacks, first: the common one must still be found."""
    extra = IkeProposal(encryption=Encr.AES128, integrity=Integ.SHA256, group=31)
    return _ike(own, proposals=(extra, *own.ike.proposals))


def _ike_split(own: Rule, other: Rule) -> Rule | None:
    """The first proposal's cipher and group again, but never in one proposal together."""
    p = own.ike.proposals[0]
    return _proposals(own, other, [p.model_copy(update={"group": GROUP[p.group]}),
                                   p.model_copy(update={"encryption": CIPHER[p.encryption]})])


def _aggressive(own: Rule, other: Rule) -> Rule | None:
    return _ike(own, exchange="aggressive") if own.ike.version == 1 else None


def _esp(own: Rule, props: list[EspProposal]) -> Rule:
    return own.model_copy(update={"esp": tuple(dict.fromkeys(props))})


def _esp_cipher(own: Rule, other: Rule) -> Rule | None:
    new = _esp(own, [p.model_copy(update={"encryption": CIPHER[p.encryption]})
                     for p in own.esp if p.encryption])
    return None if set(new.esp) & set(other.esp) else new


def _esp_integrity(own: Rule, other: Rule) -> Rule | None:
    """Only the CBC proposals, with another HMAC (the AEAD ones would still match)."""
    props = [p.model_copy(update={"integrity": INTEG[p.integrity]})
             for p in own.esp if p.integrity]
    if not props:
        props = [EspProposal(encryption=Encr.AES256, integrity=Integ.SHA384)]
    new = _esp(own, props)
    return None if set(new.esp) & set(other.esp) else new


def _esp_superset(own: Rule, other: Rule) -> Rule | None:
    return _esp(own, [EspProposal(encryption=Encr.CHACHA20POLY1305), *own.esp])


def _esp_subset(own: Rule, other: Rule) -> Rule | None:
    return _esp(own, [own.esp[-1]]) if len(own.esp) > 1 else None


def _esp_foreign(own: Rule, other: Rule) -> Rule | None:
    return _esp(own, [EspProposal(encryption=Encr.CHACHA20POLY1305)])


def _psk(own: Rule, key: str) -> Rule | None:
    if own.auth[0].method != "psk":
        return None
    return own.model_copy(update={"auth": (Auth(method="psk", psk=literal(key)),)})


def _psk_other(own: Rule, other: Rule) -> Rule | None:
    return _psk(own, "ccsec-differential-Key-0002")


def _psk_case(own: Rule, other: Rule) -> Rule | None:
    return _psk(own, BASE_KEY.swapcase())


def _psk_to_cert(own: Rule, other: Rule) -> Rule | None:
    if own.auth[0].method != "psk":
        return None
    return own.model_copy(update={"auth": (Auth(method="certificate", ca=LAB_CA),)})


def _cert_to_psk(own: Rule, other: Rule) -> Rule | None:
    if own.auth[0].method != "certificate":
        return None
    return own.model_copy(update={"auth": (Auth(method="psk", psk=literal(BASE_KEY)),)})


def _ca(own: Rule, spell: Callable[[str], str]) -> Rule | None:
    auth = own.auth[0]
    if auth.method != "certificate" or not auth.ca:
        return None
    return own.model_copy(update={"auth": (auth.model_copy(update={"ca": spell(auth.ca)}),)})


def _ca_other(own: Rule, other: Rule) -> Rule | None:
    return _ca(own, lambda dn: OTHER_CA)


def _ca_case(own: Rule, other: Rule) -> Rule | None:
    return _ca(own, str.lower)


def _ca_order(own: Rule, other: Rule) -> Rule | None:
    return _ca(own, lambda dn: ", ".join(reversed([x.strip() for x in dn.split(",")])))


def _version(own: Rule, other: Rule) -> Rule | None:
    return _ike(own, version=3 - own.ike.version)


def _filters(own: Rule, change: Callable[[Filter], Filter]) -> Rule | None:
    new = tuple(dict.fromkeys(change(f) for f in own.filters))
    if new == own.filters or not one_child(new):
        return None
    return own.model_copy(update={"filters": new})


def _half(net: IPv4Network) -> IPv4Network | None:
    return next(net.subnets(1)) if net.prefixlen < 30 else None


def _narrow(own: Rule, side: Literal["local", "remote"]) -> Rule | None:
    if any(_half(getattr(f, side)) is None for f in own.filters):
        return None  # a host selector cannot be narrowed by address
    return _filters(own, lambda f: f.model_copy(update={side: _half(getattr(f, side))}))


def _ts_narrow_remote(own: Rule, other: Rule) -> Rule | None:
    return _narrow(own, "remote")


def _ts_narrow_local(own: Rule, other: Rule) -> Rule | None:
    return _narrow(own, "local")


def _ts_wider_remote(own: Rule, other: Rule) -> Rule | None:
    def wider(f: Filter) -> Filter:
        bits = 24 if f.remote.prefixlen == 32 else f.remote.prefixlen - 1
        return f.model_copy(update={"remote": f.remote.supernet(new_prefix=bits)})
    return _filters(own, wider)


def _ts_disjoint(own: Rule, other: Rule) -> Rule | None:
    def foreign(f: Filter) -> Filter:
        net = FOREIGN if f.remote.prefixlen < 32 else IPv4Network(f"{FOREIGN[1]}/32")
        return f.model_copy(update={"remote": net})
    return _filters(own, foreign)


def _ts_protocol(own: Rule, other: Rule) -> Rule | None:
    return _filters(own, lambda f: f.model_copy(update={"protocol": 6}))


def _ts_port(own: Rule, other: Rule) -> Rule | None:
    return _filters(own, lambda f: f.model_copy(update={"protocol": 6, "remote_port": 443}))


def _ts_fewer(own: Rule, other: Rule) -> Rule | None:
    """Drop the second local network (a 2x1 filter product becomes 1x1)."""
    locals_ = list(dict.fromkeys(f.local for f in own.filters))
    if len(locals_) < 2:
        return None
    keep = tuple(f for f in own.filters if f.local != locals_[-1])
    return own.model_copy(update={"filters": keep}) if one_child(keep) else None


def _pfs_none(own: Rule, other: Rule) -> Rule | None:
    return own.model_copy(update={"pfs_group": None}) if own.pfs_group else None


def _pfs_group(own: Rule, other: Rule) -> Rule | None:
    if own.pfs_group is None:
        return None
    return own.model_copy(update={"pfs_group": GROUP[own.pfs_group]})


def _mode(own: Rule, other: Rule) -> Rule | None:
    """Only on host-to-host rules: transport mode with other selectors is not testable here
    (see :func:`pairlab.untestable`: kernel-libipsec fakes a NAT)."""
    if not host_to_host(own):
        return None
    return own.model_copy(update={"mode": "tunnel" if own.mode == "transport" else "transport"})


MUTATIONS: tuple[Mutation, ...] = (
    Mutation("ike-cipher", "phase1", "ike", "IKE proposals: other cipher", _ike_cipher),
    Mutation("ike-integrity", "phase1", "ike", "IKE proposals: other hash", _ike_integrity),
    Mutation("ike-group", "phase1", "ike", "IKE proposals: other DH group", _ike_group),
    Mutation("ike-superset", "phase1", "ike", "an extra IKE proposal first", _ike_superset),
    Mutation("ike-split", "phase1", "ike",
             "same cipher and group, never in one proposal", _ike_split),
    Mutation("ike-aggressive", "phase1", "ike", "IKEv1 aggressive mode", _aggressive),
    Mutation("esp-cipher", "phase2", "esp", "ESP proposals: other cipher", _esp_cipher),
    Mutation("esp-integrity", "phase2", "esp", "ESP: CBC only, other HMAC", _esp_integrity),
    Mutation("esp-superset", "phase2", "esp", "an extra ESP proposal first", _esp_superset),
    Mutation("esp-subset", "phase2", "esp", "only the last ESP proposal", _esp_subset),
    Mutation("esp-foreign", "phase2", "esp", "only chacha20poly1305", _esp_foreign),
    Mutation("psk-other", "psk", "auth", "another pre-shared key", _psk_other),
    Mutation("psk-case", "psk", "auth", "the key in swapped letter case", _psk_case),
    Mutation("psk-to-cert", "psk", "auth", "certificate instead of the key", _psk_to_cert),
    Mutation("cert-to-psk", "psk", "auth", "a pre-shared key instead of the certificate",
             _cert_to_psk),
    Mutation("ca-other", "ca", "auth", f"trusts another root CA ({OTHER_CA})", _ca_other),
    Mutation("ca-case", "ca", "auth", "the same CA DN in lower case", _ca_case),
    Mutation("ca-order", "ca", "auth", "the same CA DN, RDNs in reverse order", _ca_order),
    Mutation("ike-version", "version", "ike", "the other IKE version", _version),
    Mutation("ts-narrow-remote", "ts", "filters", "remote network halved", _ts_narrow_remote),
    Mutation("ts-narrow-local", "ts", "filters", "local network halved", _ts_narrow_local),
    Mutation("ts-wider-remote", "ts", "filters", "remote network widened", _ts_wider_remote),
    Mutation("ts-disjoint", "ts", "filters", f"remote network {FOREIGN} (disjoint)",
             _ts_disjoint),
    Mutation("ts-protocol", "ts", "filters", "TCP only", _ts_protocol),
    Mutation("ts-port", "ts", "filters", "TCP to remote port 443 only", _ts_port),
    Mutation("ts-fewer", "ts", "filters", "one local network fewer", _ts_fewer),
    Mutation("pfs-none", "pfs", "pfs_group", "no PFS", _pfs_none),
    Mutation("pfs-group", "pfs", "pfs_group", "another PFS group", _pfs_group),
    Mutation("mode", "mode", "mode", "the other IPsec mode", _mode),
)


def one_child(filters: tuple[Filter, ...]) -> bool:
    """The filters form a full local x remote product with one protocol/port set, so the
    strongswan renderer writes alike children, one per subnet pair (the pair lab initiates the
    first child of each connection)."""
    locals_ = list(dict.fromkeys(f.local for f in filters))
    remotes = list(dict.fromkeys(f.remote for f in filters))
    same = {(f.protocol, f.local_port, f.remote_port) for f in filters}
    return len(same) == 1 and len(filters) == len(locals_) * len(remotes) == len(set(filters))


# ------------------------------------------------------------------------------ generation


def _describe(m: Mutation, own: Rule, new: Rule, side: Side) -> str:
    def show(r: Rule) -> str:
        if m.field == "ike":
            extra = f" v{r.ike.version}" + (" aggressive" if r.ike.exchange == "aggressive"
                                             else "")
            return ",".join(p.label() for p in r.ike.proposals) + extra
        if m.field == "esp":
            return ",".join(p.label() for p in r.esp)
        if m.field == "auth":
            a = r.auth[0]
            return f"certificate, CA {a.ca}" if a.method == "certificate" else "psk"  # no digest
        if m.field == "filters":
            return "; ".join(f"{f.local}<->{f.remote}"
                             + (f"[{f.protocol}{'/' + str(f.remote_port) if f.remote_port else ''}]"
                                if f.protocol else "") for f in r.filters)
        return str(getattr(r, m.field))
    return f"{side}: {m.text} ({show(own)} -> {show(new)})"


def _candidates(category: str) -> list[tuple[Mutation, Base, Side, Rule]]:
    out = []
    for m in (x for x in MUTATIONS if x.category == category):
        for base in bases():
            for side in ("a", "b"):
                own, other = base.end(side)[1], base.end("b" if side == "a" else "a")[1]
                new = m.apply(own, other)
                if new is not None and new != own:
                    out.append((m, base, side, new))
    return out  # type: ignore[return-value]


def _stratified(cands: list[tuple[Mutation, Base, Side, Rule]], quota: int,
                rng: random.Random) -> list[tuple[Mutation, Base, Side, Rule]]:
    """Round-robin over (kind, IKE version, side) strata in a seeded order: every kind, both
    sides and both versions appear before any stratum is used twice."""
    strata: dict[tuple[str, int, str], list[tuple[Mutation, Base, Side, Rule]]] = {}
    for c in cands:
        strata.setdefault((c[0].kind, c[1].version, c[2]), []).append(c)
    keys = sorted(strata)
    rng.shuffle(keys)
    for k in keys:
        rng.shuffle(strata[k])
    # kinds first: the first stratum of every kind leads the order
    leads = list({k[0]: k for k in reversed(keys)}.values())
    keys = sorted(leads, key=keys.index) + [k for k in keys if k not in leads]
    picked: list[tuple[Mutation, Base, Side, Rule]] = []
    while len(picked) < quota and any(strata.values()):
        for k in keys:
            if strata[k] and len(picked) < quota:
                picked.append(strata[k].pop())
    return picked


def controls() -> list[Case]:
    """Every base unchanged: both the analyzer and strongSwan must establish it."""
    return [Case(f"base-{n:02d}", "base", "none", "no difference", None, b.name, None, b.a, b.b,
                 rekey=b.version == 2) for n, b in enumerate(bases(), start=1)]


def generate(seed: int | None = None, quota: int = QUOTA) -> list[Case]:
    """The mutated pairs: ``quota`` per category, deterministic for a seed."""
    seed = int(os.environ.get("CCSEC_DIFF_SEED", SEED)) if seed is None else seed
    rng = random.Random(seed)
    cases: list[Case] = []
    for category in CATEGORIES:
        for n, (m, base, side, new) in enumerate(
                _stratified(_candidates(category), quota, rng), start=1):
            own_end, _ = base.end(side)
            end = own_end.model_copy(update={"rules": (new,)})
            a = (end, new) if side == "a" else base.a
            b = (end, new) if side == "b" else base.b
            cases.append(Case(f"{category}-{n:02d}", category, m.kind,
                              _describe(m, base.end(side)[1], new, side), side, base.name,
                              m.field, a, b, rekey=category == "pfs" and base.version == 2))
    return cases


# ------------------------------------------------------------------------------ comparison


@dataclass(frozen=True)
class Deviation:
    """A disagreement that is understood and kept visible (never silently dropped)."""

    kind: str
    version: int
    initiator_mutated: bool | None
    reason: str

    def matches(self, case: Case, initiator: Side) -> bool:
        role = None if case.side is None else case.side == initiator
        return (self.kind == case.kind and self.version == case.version
                and self.initiator_mutated in (None, role))


#: known, documented disagreements (empty when the analyzer and strongSwan agree on all pairs)
EXPECTED_DEVIATIONS: tuple[Deviation, ...] = ()


@dataclass(frozen=True)
class Row:
    """One initiating direction of one case: what the analyzer said and what strongSwan did."""

    case: Case
    initiator: Side
    predicted: str
    observed: str
    detail: str
    #: the analyzer predicts the first CHILD_SA rekey fails (IKEv2 PFS mismatch)
    rekey_fails: bool | None = None
    #: what the forced rekey did ("ok" / "failed: ...") when the case asked for one
    rekey: str | None = None
    mode: str | None = None

    @property
    def status_agrees(self) -> bool:
        return self.predicted == self.observed

    @property
    def rekey_agrees(self) -> bool:
        if self.rekey is None or self.rekey_fails is None:
            return True
        return self.rekey_fails == (self.rekey != "ok")

    @property
    def agrees(self) -> bool:
        return self.status_agrees and self.rekey_agrees

    @property
    def deviation(self) -> Deviation | None:
        return next((d for d in EXPECTED_DEVIATIONS if d.matches(self.case, self.initiator)),
                    None)


def predict(case: Case, initiator: Side) -> tuple[str, bool | None]:
    """The analyzer's status when ``initiator`` starts, and whether it predicts a rekey
    failure (None when the session does not establish)."""
    ctx = Context(a=Facts(initiates=initiator == "a"), b=Facts(initiates=initiator == "b"))
    s = negotiate(case.a, case.b, ctx)
    return s.status.value, (s.rekey_failure is not None if s.status is Status.ESTABLISHED
                            else None)


def table(rows: list[Row], seconds: float, seed: int) -> str:
    """The markdown table of every pair and direction (tests/artifacts/differential.md)."""
    agree = sum(r.agrees for r in rows)
    pairs = len({r.case.id for r in rows})
    out = [
        "# Differential test: static analyzer vs strongSwan",
        "",
        f"{pairs} pairs, {len(rows)} negotiations (each side initiates once); "
        f"{agree} of {len(rows)} agree; seed {seed}; {seconds:.0f} s.",
        "",
        "| id | category | base | mutation | initiator | predicted | observed | rekey "
        "(predicted / observed) | agree |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        rekey = ""
        if r.rekey is not None:
            rekey = f"{'fails' if r.rekey_fails else 'ok'} / {r.rekey.split(':')[0]}"
        verdict = "yes" if r.agrees else ("expected deviation" if r.deviation else "**NO**")
        observed = r.observed + (f" ({r.mode.lower()})" if r.mode else "")
        out.append(f"| {r.case.id} | {r.case.category} | {r.case.base} | "
                   f"{r.case.mutation.replace('|', '/')} | {r.initiator} | {r.predicted} | "
                   f"{observed} | {rekey} | {verdict} |")
    off = [r for r in rows if not r.agrees]
    if off:
        out += ["", "## Disagreements", ""]
        out += [f"- {r.case.id} ({r.initiator} initiates): predicted {r.predicted}, observed "
                f"{r.observed}; rekey {r.rekey}; {r.detail}"
                + (f" -- expected deviation: {r.deviation.reason}" if r.deviation else "")
                for r in off]
    return "\n".join(out) + "\n"
