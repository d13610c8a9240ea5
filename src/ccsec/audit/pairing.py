"""Which rule talks to which: pair every rule with its peer by addresses, then negotiate.

A rule's peer is a rule on another end whose local address is where this rule sends IKE (its
own address, or — behind NAT — the NAT's public address from the deployment) and which sends
IKE back to this rule's address.  Rules on a wildcard peer (``%any``, dynamic crypto maps) are
responders and pair with whoever aims at them.  Without a deployment a NAT is inferred when one
rule aims at the other but not vice versa and their filters are mirror images (the initiator
behind NAT only knows the public address of the central end).

Indexes by address keep this linear in the number of rules (1,000-site deployments).
"""

from __future__ import annotations

from collections import defaultdict
from ipaddress import IPv4Address, IPv4Network

from ccsec.audit.context import SessionRecord
from ccsec.audit.model import ImportedEnd
from ccsec.audit.negotiate import ANY, Context, Session, Side, missing, negotiate
from ccsec.deployment.model import Deployment, Host
from ccsec.policy import Rule

Key = tuple[ImportedEnd, Rule]
#: an index bucket: the rules of each end (by ``id``) in file order — a rule's own end is
#: skipped without walking its rules, and a file of thousands of identical rules costs each
#: rule at most MAX_CANDIDATES steps per other end, not thousands
Bucket = dict[int, list]
#: candidates examined per rule and other end: more rules of one end answering the same rule
#: are duplicates (the first ones in file order are the ones a peer would meet)
MAX_CANDIDATES = 256


class NatMap:
    """Private ↔ public addresses and site membership from the deployment."""

    def __init__(self, dep: Deployment | None) -> None:
        self.public: dict[IPv4Address, IPv4Address] = {}
        self.sites: list[tuple[IPv4Network, str, bool]] = []
        self.gateways: dict[IPv4Address, str] = {}
        self.tunnel = bool(dep and dep.tunnel)
        #: prefixes by (length, address >> host bits) → first position in ``sites``
        self._prefix_at: dict[tuple[int, int], int] = {}
        self._lengths: list[int] = []
        self._site_nat: dict[str, bool] = {}
        if dep is None:
            return
        for s in dep.sites:
            for p in s.prefixes:
                self.sites.append((p, s.name, s.nat is not None))
            if s.gateway is not None:
                self.gateways[s.gateway.wan] = s.name
                if s.nat is not None:
                    self.public[s.gateway.wan] = s.nat.public
        for i, (net, name, nat) in enumerate(self.sites):
            plen = net.prefixlen
            self._prefix_at.setdefault((plen, int(net.network_address) >> (32 - plen)), i)
            self._site_nat[name] = self._site_nat.get(name, False) or nat
        self._lengths = sorted({net.prefixlen for net, _, _ in self.sites})

    def site(self, addr: IPv4Address) -> tuple[str, bool] | None:
        """The site an address belongs to (the first listed prefix containing it), indexed:
        one look-up per distinct prefix length instead of a scan of every site."""
        if addr in self.gateways:
            name = self.gateways[addr]
            return name, self._site_nat.get(name, False)
        value = int(addr)
        hits = [i for plen in self._lengths
                if (i := self._prefix_at.get((plen, value >> (32 - plen)))) is not None]
        if not hits:
            return None
        _, name, nat = self.sites[min(hits)]
        return name, nat

    def crosses_nat(self, a: Rule, b: Rule) -> bool:
        sa, sb = self.site(a.local_address), self.site(b.local_address)
        if sa is None or sb is None or sa[0] == sb[0] or not (sa[1] or sb[1]):
            return False
        # host-to-host IKE rides inside the site tunnel, which is exempt from NAT
        both_hosts = a.local_address not in self.gateways and b.local_address not in self.gateways
        return not (both_hosts and self.tunnel)


def _mirror_score(a: Rule, b: Rule) -> int:
    """2: b's filters are the exact mirror of a's; 1: they overlap; 0: unrelated."""
    mine = {(f.local, f.remote, f.protocol) for f in a.filters}
    theirs = {(f.remote, f.local, f.protocol) for f in b.filters}
    if mine == theirs:
        return 2
    for la, ra, _ in mine:
        for lb, rb, _ in theirs:
            if la.overlaps(lb) and ra.overlaps(rb):
                return 1
    return 0


def side_facts(end: ImportedEnd, rule: Rule, public: IPv4Address | None,
               domain: str | None) -> Side:
    """The per-end facts negotiate() needs, read from the importer's facts."""
    facts = end.facts
    return Side(
        versions=frozenset({1, 2}) if end.any_version(rule) else None,
        public=public,
        down=facts.down_rules.get(rule.name, False),
        accepts_aggressive=False if facts.aggressive_mode_disabled else None,
        domain=domain,
    )


def _others(bucket: Bucket | None, end: ImportedEnd) -> list:
    """The entries of a bucket from ends other than ``end`` (at most MAX_CANDIDATES of each),
    in the order the index received them."""
    if not bucket:
        return []
    mine = id(end)
    parts = [entries[:MAX_CANDIDATES] for owner, entries in bucket.items() if owner != mine]
    if len(parts) == 1:
        return parts[0]
    return [e for part in parts for e in part]


class Pairer:
    """Finds each rule's peer through indexes: rules by (address they answer on, peer they
    name), so a central end with thousands of rules is never scanned per remote rule."""

    def __init__(self, ends: list[ImportedEnd], dep: Deployment | None) -> None:
        self.ends = ends
        self.dep = dep
        self.nat = NatMap(dep)
        self.by_local: dict[IPv4Address, list[Key]] = defaultdict(list)
        self.by_peer: dict[IPv4Address, Bucket] = defaultdict(dict)
        #: (local or NAT public address, peer address) → per end: (position in by_local's
        #: list, key)
        self.by_pair: dict[tuple[IPv4Address, IPv4Address], Bucket] = {}
        #: rules with a wildcard peer, by local address, in by_peer[ANY] order
        self.any_by_local: dict[IPv4Address, Bucket] = {}
        for end in ends:
            for r in end.policy.rules:
                key = (end, r)
                self._add_local(r.local_address, r, key)
                if r.local_address in self.nat.public:
                    self._add_local(self.nat.public[r.local_address], r, key)
                self.by_peer[r.peer_address].setdefault(id(end), []).append(key)
                if r.peer_address == ANY:
                    self.any_by_local.setdefault(r.local_address, {}).setdefault(
                        id(end), []).append(key)
        self._hosts: dict[str, Host] = {}
        self._host_at: dict[IPv4Address, str] = {}
        self._gateway_at: dict[IPv4Address, str] = {}
        if dep is not None:
            for h in dep.hosts:
                self._hosts.setdefault(h.name, h)
                self._host_at.setdefault(h.public, h.name)
                if h.private is not None:
                    self._host_at.setdefault(h.private, h.name)
            for s in dep.sites:
                if s.gateway:
                    self._gateway_at.setdefault(s.gateway.wan, s.gateway.name)
                    if s.nat:
                        self._gateway_at.setdefault(s.nat.public, s.gateway.name)

    def _add_local(self, address: IPv4Address, r: Rule, key: Key) -> None:
        bucket = self.by_local[address]
        self.by_pair.setdefault((address, r.peer_address), {}).setdefault(
            id(key[0]), []).append((len(bucket), key))
        bucket.append(key)

    def _answering(self, r: Rule, end: ImportedEnd) -> list[Key]:
        """The rules of other ends on r's peer address that name r (its address, its NAT's,
        or anyone), in the order a scan of ``by_local[r.peer_address]`` would meet them."""
        names = {r.local_address, ANY}
        public = self._public(r)
        if public is not None:
            names.add(public)
        hits = [hit for n in names for hit in _others(self.by_pair.get((r.peer_address, n)),
                                                           end)]
        hits.sort(key=lambda h: h[0])
        return [k for _, k in hits]

    def _public(self, r: Rule) -> IPv4Address | None:
        return self.nat.public.get(r.local_address)

    def _aims_at(self, src: Rule, dst: Rule) -> bool:
        return src.peer_address in (dst.local_address, self._public(dst))

    def _accepts(self, res: Rule, ini: Rule) -> bool:
        return res.peer_address in (ANY, ini.local_address, self._public(ini))

    def candidates(self, key: Key) -> list[tuple[Key, bool]]:
        """(peer, nat inferred) candidates for one rule, best first."""
        end, r = key
        found: list[tuple[int, Key, bool]] = []
        for other in self._answering(r, end):
            o = other[1]
            if self._accepts(o, r) and (self._aims_at(o, r) or o.peer_address == ANY):
                found.append((_mirror_score(r, o) + 1, other, False))
        if not found and self.dep is None:
            for other in _others(self.by_peer.get(r.local_address), end):
                if other[1].local_address == r.peer_address:
                    continue
                if _mirror_score(r, other[1]) == 2:
                    found.append((1, other, True))
        for other in _others(self.any_by_local.get(r.peer_address), end):
            if other[1].local_address == r.peer_address:
                found.append((_mirror_score(r, other[1]), other, False))
        found = [f for f in found if f[0] > 0 or f[1][1].peer_address != ANY]
        found.sort(key=lambda f: -f[0])
        return [(k, nat) for _, k, nat in found]

    def context(self, a: Key, b: Key, inferred_nat: bool) -> Context:
        (ea, ra), (eb, rb) = a, b
        pub_a, pub_b = self._public(ra), self._public(rb)
        if inferred_nat:
            # a aims at b's public address; b is behind the NAT
            pub_b = ra.peer_address if ra.peer_address != rb.local_address else pub_b
            pub_a = rb.peer_address if rb.peer_address != ra.local_address else pub_a
        nat = inferred_nat or bool(pub_a or pub_b) or self.nat.crosses_nat(ra, rb)
        return Context(a=side_facts(ea, ra, pub_a, self._domain(ea)),
                       b=side_facts(eb, rb, pub_b, self._domain(eb)), nat=nat)

    def _domain(self, end: ImportedEnd) -> str | None:
        if self.dep is None or end.host is None:
            return None
        host = self._hosts.get(end.host)
        return host.domain if host else None

    def expected(self, r: Rule) -> str:
        """Who a rule aims at: the host with that address, else the gateway (or its NAT)."""
        name = self._host_at.get(r.peer_address) or self._gateway_at.get(r.peer_address)
        return name if name is not None else str(r.peer_address)


def negotiate_keys(a: Key, b: Key, ctx: Context) -> Session:
    """:func:`negotiate` for two imported rules, named ``end-label:rule``."""
    return negotiate((a[0].policy, a[1]), (b[0].policy, b[1]), ctx,
                     (a[0].subject(a[1]), b[0].subject(b[1])))


def pair(ends: list[ImportedEnd], dep: Deployment | None = None) -> list[SessionRecord]:
    """One session per pair of rules that talk to each other, plus one MISSING_END_POINT
    session for each negotiating rule whose peer was not found."""
    p = Pairer(ends, dep)
    done: set[tuple[int, int]] = set()
    paired: set[int] = set()
    out: list[SessionRecord] = []
    for end in ends:
        for r in end.policy.rules:
            key = (end, r)
            if id(r) in paired:
                continue
            cands = [(k, nat) for k, nat in p.candidates(key)
                     if (min(id(r), id(k[1])), max(id(r), id(k[1]))) not in done]
            if not cands:
                if r.action == "negotiate" and r.enabled and r.peer_address != ANY:
                    where = p.expected(r)
                    why = f"no configuration found for {where} with a rule back to " \
                        f"{r.local_address}"
                    out.append(SessionRecord(missing(end.subject(r), where, why), key, None))
                continue
            other, nat = cands[0]
            done.add((min(id(r), id(other[1])), max(id(r), id(other[1]))))
            paired.update({id(r), id(other[1])})
            ctx = p.context(key, other, nat)
            out.append(SessionRecord(negotiate_keys(key, other, ctx), key, other, ctx))
    return out
