"""Which rule talks to which: each rule that sends IKE somewhere is paired with the rule the
end there would answer with, as the daemons choose, and the two are negotiated.

The responders at an address are the rules of every end that holds it: rules whose local
address it is, and rules that answer on any local address (strongSwan ``local_addrs`` unset,
``%defaultroute``) of an end that holds it or whose addresses are unknown.  Among them the
daemon's choice is emulated:

* strongSwan (charon) picks the connection whose addresses match best (an exact local address
  over ``%any``, the initiator's exact address over a range over ``%any``), then whose
  identities match (the initiator's IDi against ``remote.id``, its IDr against ``local.id``),
  then the child whose selectors fit the proposal — one session for that choice;
* IOS may answer one peer from several places (crypto map entries, tunnel interfaces, dynamic
  maps): a session is reported for each candidate, and the reason says which one IOS uses
  and why (static crypto map entries before tunnel interfaces before dynamic maps, each in
  sequence order; a candidate whose proposals or selectors do not fit is passed over);
* other platforms: the best address and selector match.

A responder that waits for anyone (``%any``, a dynamic map) pairs with every initiator that
chooses it — a road-warrior gateway gets one session per client.  A rule whose peer is a host
name nobody resolved (``--hosts``) pairs with no one and says so.  Without a deployment a NAT is
inferred when one rule aims at the other but not vice versa and their filters are mirror images
(the initiator behind NAT only knows the public address of the central end).

Indexes by address keep this linear in the number of rules (1,000-site deployments).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from ipaddress import IPv4Network
from typing import NamedTuple

from ccsec.audit import shortcuts
from ccsec.audit.auth_rounds import kind, rounds_of
from ccsec.audit.context import SessionRecord
from ccsec.audit.ios_choice import ios_order
from ccsec.audit.model import ImportedEnd
from ccsec.audit.negotiate import Context, Session, Side, missing, negotiate
from ccsec.audit.places import AddrKey, RulePlace, addr_key
from ccsec.deployment.model import Deployment, Host
from ccsec.formats.facts import IosFacts
from ccsec.formats.strongswan.identity import id_matches
from ccsec.policy import Address, EndPolicy, Identity, Network, Rule
from ccsec.workers import ForkStream, default_workers, shared

Key = tuple[ImportedEnd, Rule]


class NatMap:
    """Private ↔ public addresses and site membership from the deployment."""

    def __init__(self, dep: Deployment | None) -> None:
        self.public: dict[Address, Address] = {}
        self.sites: list[tuple[IPv4Network, str, bool]] = []
        self.gateways: dict[Address, str] = {}
        self.tunnel = bool(dep and dep.tunnel)
        #: :attr:`public` and :attr:`gateways` by address key (:mod:`ccsec.audit.places`)
        self.public_at: dict[AddrKey, Address] = {}
        self._gateway_at: dict[AddrKey, str] = {}
        #: prefixes by (length, address >> host bits) → first position in ``sites``
        self._prefix_at: dict[tuple[int, int], int] = {}
        self._lengths: list[int] = []
        self._site_nat: dict[str, bool] = {}
        #: address key → :meth:`site` (shortcut: a rule's address is asked once per session)
        self._site_of: dict[AddrKey, tuple[str, bool] | None] = {}
        if dep is None:
            return
        for s in dep.sites:
            for p in s.prefixes:
                self.sites.append((p, s.name, s.nat is not None))
            if s.gateway is not None:
                self.gateways[s.gateway.wan] = s.name
                if s.nat is not None:
                    self.public[s.gateway.wan] = s.nat.public
        self.public_at = {addr_key(a): p for a, p in self.public.items()}
        self._gateway_at = {addr_key(a): name for a, name in self.gateways.items()}
        for i, (net, name, nat) in enumerate(self.sites):
            plen = net.prefixlen
            self._prefix_at.setdefault((plen, int(net.network_address) >> (32 - plen)), i)
            self._site_nat[name] = self._site_nat.get(name, False) or nat
        self._lengths = sorted({net.prefixlen for net, _, _ in self.sites})

    def site(self, addr: Address) -> tuple[str, bool] | None:
        """The site an address belongs to (the first listed prefix containing it)."""
        return self.site_at(addr_key(addr))

    def site_at(self, key: AddrKey) -> tuple[str, bool] | None:
        """:meth:`site` of the address with this key, indexed: one look-up per distinct prefix
        length instead of a scan of every site."""
        if not isinstance(key, int):  # IPv6: the sites are IPv4 prefixes
            return None
        if key in self._gateway_at:
            name = self._gateway_at[key]
            return name, self._site_nat.get(name, False)
        hits = [i for plen in self._lengths
                if (i := self._prefix_at.get((plen, key >> (32 - plen)))) is not None]
        if not hits:
            return None
        _, name, nat = self.sites[min(hits)]
        return name, nat

    def _site(self, key: AddrKey) -> tuple[str, bool] | None:
        if not shortcuts.FAST:
            return self.site_at(key)
        try:
            return self._site_of[key]
        except KeyError:
            found = self._site_of[key] = self.site_at(key)
            return found

    def crosses_nat(self, a: RulePlace, b: RulePlace) -> bool:
        """Whether IKE between the rules at ``a`` and ``b`` crosses a site's NAT."""
        sa, sb = self._site(a.local), self._site(b.local)
        if sa is None or sb is None or sa[0] == sb[0] or not (sa[1] or sb[1]):
            return False
        # host-to-host IKE rides inside the site tunnel, which is exempt from NAT
        both_hosts = a.local not in self._gateway_at and b.local not in self._gateway_at
        return not (both_hosts and self.tunnel)


def _mirror_score(a: Rule, b: Rule) -> int:
    """2: b's filters are the exact mirror of a's; 1: they overlap; 0: unrelated (dynamic
    selectors — the IKE addresses — overlap whatever they meet)."""
    mine = {(f.local, f.remote, f.protocol) for f in a.filters}
    theirs = {(f.remote, f.local, f.protocol) for f in b.filters}
    if mine == theirs:
        return 2
    for fa in a.filters:
        for fb in b.filters:
            if _overlap(fa.local, fb.remote, fa.local_dynamic or fb.remote_dynamic) and \
                    _overlap(fa.remote, fb.local, fa.remote_dynamic or fb.local_dynamic):
                return 1
    return 0


def _overlap(x: Network, y: Network, dynamic: bool) -> bool:
    if x.version != y.version:
        return False
    return dynamic or x.overlaps(y)


def side_facts(end: ImportedEnd, rule: Rule, public: Address | None,
               domain: str | None, address: Address | None = None) -> Side:
    """The per-end facts negotiate() needs, read from the importer's facts."""
    facts = end.facts
    return Side(
        versions=frozenset({1, 2}) if end.any_version(rule) else None,
        public=public,
        down=facts.down_rules.get(rule.name, False),
        accepts_aggressive=False if facts.aggressive_mode_disabled else
        True if facts.aggressive_psk_allowed else None,
        domain=domain,
        address=address,
        keys=facts.shared_keys,
        initiates=True if rule.mediated and rule.initiate else None,
    )


class Candidate(NamedTuple):
    """A rule that would answer an initiator: with the address it answers on, how sure the
    pairing is that its end is there, and (IOS) why the device would or would not use it.
    (A tuple: the walk makes one per rule.)"""

    key: tuple[ImportedEnd, Rule]
    address: Address | None
    nat: bool = False
    why: str = ""


class Pairer:
    """Finds each rule's responders through indexes: ends by the addresses they hold, rules
    by (end, local address), so a central end with thousands of rules is never scanned per
    remote rule.  Addresses are keyed as :mod:`ccsec.audit.places` keys them, and each rule's
    addresses are read once (:class:`~ccsec.audit.places.RulePlace`)."""

    def __init__(self, ends: list[ImportedEnd], dep: Deployment | None) -> None:
        self.ends = ends
        self.dep = dep
        self.nat = NatMap(dep)
        #: address → ends that hold it (a rule's local address, an interface, a NAT's public)
        self.holders: dict[AddrKey, list[ImportedEnd]] = defaultdict(list)
        #: ends with no known address at all (every rule on "any local address")
        self.floating: list[ImportedEnd] = []
        self.by_peer: dict[AddrKey, list[Key]] = defaultdict(list)
        #: (end, address, peer) → its rules answering there for that peer; address None = on
        #: any local address; peer None = open to several peers (%any, ranges, a host name)
        self.rules_at: dict[tuple[int, AddrKey | None, AddrKey | None], list[Rule]] = \
            defaultdict(list)
        #: (end, address) → every rule answering there, whatever its peer (for an initiator
        #: whose own address is unknown)
        self.all_at: dict[tuple[int, AddrKey | None], list[Rule]] = defaultdict(list)
        #: end → the addresses it holds, in the order met
        self._held: dict[int, dict[AddrKey, Address]] = {}
        #: rule (by identity) → its addresses (a place depends on the rule alone)
        self._places: dict[int, RulePlace] = {}
        for end in ends:
            self._index(end)
        #: what a Side holds → the one Side holding it, and the same for a Context (shortcut:
        #: both are immutable; see :meth:`_side`)
        self._sides: dict[tuple[object, ...], Side] = {}
        self._contexts: dict[tuple[int, int, bool], Context] = {}
        #: end → :meth:`_end_kind`, and the kinds met so far (the shared keys by identity: a
        #: tuple of the end's facts, alive as long as the pairer)
        self._kind_of: dict[int, int] = {}
        self._kinds: dict[tuple[object, ...], int] = {}
        self._hosts: dict[str, Host] = {}
        self._host_at: dict[Address, str] = {}
        self._gateway_at: dict[Address, str] = {}
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

    def _index(self, end: ImportedEnd) -> None:
        """Index one end's rules by where they answer, and the end by what it holds."""
        e = id(end)
        held: dict[AddrKey, Address] = {}
        rules_at, public_at = self.rules_at, self.nat.public_at
        for r in end.policy.rules:
            place = self._places[id(r)] = RulePlace(r, public_at)
            peer = None if (place.peer_any or r.peer_alternatives or r.peer_name) \
                else place.peer
            if place.local_any:
                rules_at[(e, None, peer)].append(r)
                self.all_at[(e, None)].append(r)
            else:
                rules_at[(e, place.local, peer)].append(r)
                self.all_at[(e, place.local)].append(r)
                held.setdefault(place.local, r.local_address)
                if place.public is not None:
                    public = addr_key(place.public)
                    held.setdefault(public, place.public)
                    rules_at[(e, public, peer)].append(r)
            self.by_peer[place.peer].append((end, r))
        for a in (*end.facts.addresses, *end.facts.own_addresses):
            held.setdefault(addr_key(a), a)
        self._held[e] = held
        for k in held:
            self.holders[k].append(end)
        if not held:
            self.floating.append(end)

    def held(self, end: ImportedEnd) -> dict[AddrKey, Address]:
        """The addresses the end holds, by key, in the order its configuration gives them."""
        return self._held.get(id(end), {})

    # ----------------------------------------------------------------- who answers

    def _at(self, target: AddrKey, me: ImportedEnd, seen: dict[AddrKey, Address],
            floating: bool = True) -> list[tuple[ImportedEnd, Rule, bool]]:
        """(end, rule, sure) for every rule that would answer IKE sent to ``target`` by an
        initiator seen at ``seen``: rules for that peer or open to several (ends whose
        addresses are unknown too, unless ``floating`` is False).  Indexed: a hub with
        thousands of peers is never scanned per initiator."""
        out: list[tuple[ImportedEnd, Rule, bool]] = []
        peers: list[AddrKey | None] = [*seen, None]
        for end in self.holders.get(target, ()):
            if end is not me:
                for local in (target, None):
                    out += [(end, r, True) for r in self._answering(end, local, peers)]
        if not out and floating:
            for end in self.floating:
                if end is not me:
                    out += [(end, r, False) for r in self._answering(end, None, peers)]
        return out

    def _answering(self, end: ImportedEnd, local: AddrKey | None,
                   peers: list[AddrKey | None]) -> list[Rule]:
        """``end``'s rules answering on ``local`` for any of ``peers`` (the initiator's
        addresses, then None: open to several); only ``[None]`` — the initiator's address
        is unknown — takes every rule there, whatever its peer."""
        if len(peers) == 1:
            return self.all_at.get((id(end), local), [])
        out: list[Rule] = []
        for peer in peers:
            rules = self.rules_at.get((id(end), local, peer))
            if rules:
                out += rules
        return out

    def _accepts(self, res: Rule, seen: dict[AddrKey, Address]) -> bool:
        """``res`` takes IKE from an initiator seen at ``seen`` (or from anyone)."""
        if res.peer_name is not None:
            return False
        p = self._places[id(res)]
        if p.peer_any and not res.peer_alternatives:
            return True
        if p.peer in seen:
            return True
        if not seen:  # the initiator's own address is unknown: it is wherever res expects it
            return True
        return _in_any(seen, res.peer_alternatives)

    def _evidence(self, r: Rule, o: Rule, seen: dict[AddrKey, Address]) -> bool:
        """Whether a rule of an end whose addresses are unknown is the one ``r`` (seen at
        ``seen``) aims at: it names ``r``'s address as its peer, or the identities agree (the
        one ``r`` expects is the one ``o`` sends, or ``o`` expects exactly what ``r`` sends).
        Without such a sign an unplaced end is not assumed to be anywhere."""
        po = self._places[id(o)]
        if not po.peer_any and po.peer in seen:
            return True
        if r.peer_id is not None and o.local_id is not None and id_matches(r.peer_id,
                                                                            o.local_id):
            return True
        sent = _sent_id(r)
        return o.peer_id is not None and sent is not None and "*" not in o.peer_id.value \
            and id_matches(o.peer_id, sent)

    def _seen(self, end: ImportedEnd, place: RulePlace) -> dict[AddrKey, Address]:
        """Where an initiator using the rule at ``place`` is seen (its end's addresses when
        the rule answers on any local address)."""
        return place.seen if place.seen is not None else self.held(end)

    def candidates(self, key: Key) -> list[Candidate]:
        """The rules that would answer ``key``'s IKE, in the order the responder's daemon
        prefers them (strongSwan: only its choice)."""
        end, r = key
        place = self._places[id(r)]
        if r.mediated and place.peer_any:
            return self._mediated(key)
        if place.peer_any or r.peer_name is not None:
            return []
        # a pass/drop shunt sends no IKE: it meets only an end known to be at its address
        seen = self._seen(end, place)
        found = [(e, o, sure) for e, o, sure in self._at(place.peer, end, seen,
                                                         r.action == "negotiate")
                 if self._accepts(o, seen) and (sure or self._evidence(r, o, seen))]
        if not found:
            return self._inferred_nat(key)
        target = r.peer_address
        if len(found) == 1:  # the usual case: one end, one rule
            return self._choose(key, found, target)
        by_end: dict[int, list[tuple[ImportedEnd, Rule, bool]]] = defaultdict(list)
        for item in found:
            by_end[id(item[0])].append(item)
        out: list[Candidate] = []
        for items in by_end.values():
            out += self._choose(key, items, target)
        return out

    def _choose(self, key: Key, items: list[tuple[ImportedEnd, Rule, bool]],
                target: Address) -> list[Candidate]:
        """The responder end's choice among its rules for this initiator."""
        _, r = key
        res_end = items[0][0]
        # one candidate (the usual case) needs no score: _score is pure, only the order uses it
        scored = items if len(items) == 1 else \
            sorted(items, key=lambda it: -self._score(key, it))
        if isinstance(res_end.format_facts, IosFacts) and len(scored) > 1:
            ordered = ios_order(res_end.format_facts, r, [it[1] for it in scored])
            return [Candidate((res_end, rule), target, why=why) for rule, why in ordered]
        best = scored[0]
        return [Candidate((res_end, best[1]), target)]

    def _score(self, key: Key, item: tuple[ImportedEnd, Rule, bool]) -> int:
        """How well a responder rule fits the initiator as charon ranks its configurations:
        addresses first, then identities, then the IKE version, then the selectors."""
        end, r = key
        res_end, o, _ = item
        place, po = self._places[id(r)], self._places[id(o)]
        seen = self._seen(end, place)
        score = 0
        score += 4000 if po.local == place.peer else 2000
        if po.peer in seen:
            score += 800
        elif _in_any(seen, o.peer_alternatives):
            score += 600
        elif po.peer_any:
            score += 400
        score += 100 * _id_score(o.peer_id, _sent_id(r)) + 50 * _id_score(r.peer_id, o.local_id)
        score += 150 * _auth_fit(r, o)
        if o.ike.version == r.ike.version or res_end.any_version(o):
            score += 20
        score += 5 * _mirror_score(r, o)
        if o.action == "negotiate":
            score += 100000  # a pass/drop shunt answers no IKE: chosen only when nothing else is
        return score

    def _mediated(self, key: Key) -> list[Candidate]:
        """A mediated connection's peer: a mediated rule on another end whose identity is the
        one expected and which expects this one (the mediation server brings them together;
        the addresses come from it)."""
        end, r = key
        if r.peer_id is None:
            return []
        for other in self.ends:
            if other is end:
                continue
            for o in other.policy.rules:
                if o.mediated and o.local_id is not None and id_matches(r.peer_id, o.local_id) \
                        and id_matches(o.peer_id, r.local_id):
                    return [Candidate((other, o), None)]
        return []

    def _inferred_nat(self, key: Key) -> list[Candidate]:
        """Without a deployment: a rule aimed at this one's address whose filters mirror it
        is its peer behind a NAT (the initiator there knows only the public address)."""
        end, r = key
        if self.dep is not None:
            return []
        place = self._places[id(r)]
        out = []
        for other in self.by_peer.get(place.local, []):
            if other[0] is end or self._places[id(other[1])].local == place.peer:
                continue
            if not place.local_any and _mirror_score(r, other[1]) == 2:
                out.append(Candidate(other, None, nat=True))
        return out[:1]

    # ----------------------------------------------------------------- sessions

    def context(self, a: Key, b: Key, inferred_nat: bool,
                address_b: Address | None = None) -> Context:
        (ea, ra), (eb, rb) = a, b
        pa, pb = self._places[id(ra)], self._places[id(rb)]
        # each address with its key (the long way reads only the address)
        pub_a, pub_b = pa.public, pb.public
        kpub_a, kpub_b = pa.public_key, pb.public_key
        if inferred_nat:
            # a aims at b's public address; b is behind the NAT
            if pa.peer != pb.local:
                pub_b, kpub_b = ra.peer_address, pa.peer
            if pb.peer != pa.local:
                pub_a, kpub_a = rb.peer_address, pb.peer
        nat = inferred_nat or bool(pub_a or pub_b) or self.nat.crosses_nat(pa, pb)
        # where an end on any local address is: the address its peer sends IKE to
        addr_a: Address | None = None
        addr_b: Address | None = None
        kaddr_a: AddrKey | None = None
        kaddr_b: AddrKey | None = None
        if pa.local_any and not pb.peer_any:
            addr_a, kaddr_a = rb.peer_address, pb.peer
        if address_b is not None:
            addr_b, kaddr_b = address_b, addr_key(address_b)
        elif pb.local_any and not pa.peer_any:
            addr_b, kaddr_b = ra.peer_address, pa.peer
        side_a = self._side(ea, ra, pub_a, kpub_a, addr_a, kaddr_a)
        side_b = self._side(eb, rb, pub_b, kpub_b, addr_b, kaddr_b)
        if not shortcuts.FAST:
            return Context(a=side_a, b=side_b, nat=nat)
        key = (id(side_a), id(side_b), nat)
        found = self._contexts.get(key)
        if found is None:
            found = self._contexts[key] = Context(a=side_a, b=side_b, nat=nat)
        return found

    def _side(self, end: ImportedEnd, r: Rule, public: Address | None,
              public_key: AddrKey | None, address: Address | None,
              address_key: AddrKey | None) -> Side:
        """The rule's side of a session (shortcut: one object per distinct value — at 1,000
        sites 28,000 sides hold 4,000 values — keyed on what :func:`side_facts` reads; the
        addresses by their keys)."""
        if not shortcuts.FAST:
            return side_facts(end, r, public, self._domain(end), address)
        facts = end.facts
        kind = self._kind_of.get(id(end))
        if kind is None:
            kind = self._end_kind(end)
        key = (kind, r.name in facts.ike_any_version, facts.down_rules.get(r.name, False),
               r.mediated and r.initiate, public_key, address_key)
        found = self._sides.get(key)
        if found is None:
            found = self._sides[key] = side_facts(end, r, public, self._domain(end), address)
        return found

    def _end_kind(self, end: ImportedEnd) -> int:
        """A number for what :func:`side_facts` reads of the end alone (equal for ends that
        agree on it)."""
        kind = self._kind_of.get(id(end))
        if kind is None:
            facts = end.facts
            value = (facts.aggressive_mode_disabled, facts.aggressive_psk_allowed,
                     self._domain(end), id(facts.shared_keys))
            kind = self._kind_of[id(end)] = self._kinds.setdefault(value, len(self._kinds))
        return kind

    def _domain(self, end: ImportedEnd) -> str | None:
        if self.dep is None or end.host is None:
            return None
        host = self._hosts.get(end.host)
        return host.domain if host else None

    def expected(self, r: Rule) -> str:
        """Who a rule aims at: the host with that address, else the gateway (or its NAT)."""
        name = self._host_at.get(r.peer_address) or self._gateway_at.get(r.peer_address)
        return name if name is not None else str(r.peer_address)


def _in_any(seen: dict[AddrKey, Address], nets: tuple[Network, ...]) -> bool:
    """Whether an address seen is in one of the networks (a rule's peer ranges)."""
    return any(a.version == n.version and a in n for a in seen.values() for n in nets)


def _sent_id(r: Rule) -> Identity | None:
    if r.local_id is not None:
        return r.local_id
    if r.auth and r.auth[0].method == "psk" and not r.local_address.is_unspecified:
        return Identity(kind="address", value=str(r.local_address))
    return None


def _auth_fit(ini: Rule, res: Rule) -> int:
    """1 when the responder's first round takes what the initiator does (and the other way
    round), else 0: charon passes over a configuration whose authentication constraints the
    peer cannot meet and tries the next candidate (``ike_auth.c``), and it switches to the
    configuration whose ``eap_id`` matches the EAP identity the client gives."""
    a, b = rounds_of(ini)[0], rounds_of(res)[0]
    ok = all(kind(req) in ("", "any") or kind(req) == kind(does)
             for does, req in ((a.local, b.remote), (b.local, a.remote)))
    if ok and kind(b.remote) == "eap" and b.remote_id is not None and a.local_id is not None:
        ok = id_matches(b.remote_id, a.local_id)
    return 1 if ok else 0


def _id_score(pattern: Identity | None, ident: Identity | None) -> int:
    """2: exact, 1: wildcard or unknown, -4: the identity does not match."""
    if pattern is None or ident is None:
        return 1
    if not id_matches(pattern, ident):
        return -4
    return 2 if "*" not in pattern.value else 1


def negotiate_keys(a: Key, b: Key, ctx: Context) -> Session:
    """:func:`negotiate` for two imported rules, named ``end-label:rule`` (each end judged as
    its platform: the file's own word, else what its format implies)."""
    return negotiate((_with_platform(a[0]), a[1]), (_with_platform(b[0]), b[1]), ctx,
                     (a[0].subject(a[1]), b[0].subject(b[1])))


def _with_platform(end: ImportedEnd) -> EndPolicy:
    if end.policy.platform or not end.platform:
        return end.policy
    return end.policy.model_copy(update={"platform": end.platform})


@dataclass
class _Pending:
    """A pair of rules to negotiate, met first in walk order, and what each direction learnt
    of the device's choice (added to the reason once negotiated)."""

    key: Key
    other: Key
    ctx: Context
    #: the choice learnt by the direction that found the pair
    why: str
    #: the choices learnt when the pair was met again from the other direction
    learnt: list[str] = field(default_factory=list)


def pair(ends: list[ImportedEnd], dep: Deployment | None = None,
         workers: int | None = None) -> list[SessionRecord]:
    """One session per initiating rule and the rule that answers it (IOS: each rule that
    could), plus one MISSING_END_POINT session for each negotiating rule that nothing
    answers.  Each pair is negotiated as it is found — over ``workers`` processes while the
    walk goes on when there are many rules (a negotiation is a pure function of its two
    rules and their context); the sessions are the same either way."""
    n = default_workers() if workers is None else workers
    if sum(len(e.policy.rules) for e in ends) < PARALLEL_MIN_RULES:
        n = 1
    with ForkStream(_negotiate_batch, n, shared=ends) as stream:
        slots, lonely, involved = _walk(Pairer(ends, dep), ends, stream)
        sessions = iter(stream.results())
    out = [s if isinstance(s, SessionRecord) else _record(s, next(sessions)) for s in slots]
    for key, where in lonely:
        end, r = key
        if id(r) in involved:
            continue  # a peer chose it (it answers there), though it aims elsewhere itself
        why = f"no configuration found for {where} with a rule back to " \
            f"{r.local_address if not r.local_address.is_unspecified else end.label}"
        out.append(SessionRecord(missing(end.subject(r), where, why), key, None))
    return out


#: where a pair's two rules are in the list of ends: (end, rule, other end, other rule) —
#: what a worker needs to find them in its own copy — and their context
_Job = tuple[int, int, int, int, Context]


def _walk(p: Pairer, ends: list[ImportedEnd], stream: ForkStream[_Job, Session]
          ) -> tuple[list[SessionRecord | _Pending], list[tuple[Key, str]], set[int]]:
    """Every rule in file order: its pairs (each sent to ``stream`` when first met), the
    sessions of rules aiming at an unresolved host name, the rules nothing answers, and
    the rules some pair involves."""
    where = {id(r): (i, j) for i, end in enumerate(ends)
             for j, r in enumerate(end.policy.rules)}
    done: dict[tuple[int, int], int] = {}
    involved: set[int] = set()
    slots: list[SessionRecord | _Pending] = []
    lonely: list[tuple[Key, str]] = []
    for end in ends:
        for r in end.policy.rules:
            key = (end, r)
            if r.peer_name is not None and r.action == "negotiate":
                why = (f"its peer {r.peer_name} is a host name that is not resolved (give "
                       "--hosts): no configuration can be paired with it")
                slots.append(SessionRecord(missing(end.subject(r), r.peer_name, why), key,
                                           None))
                continue
            cands = p.candidates(key)
            if not cands:
                if r.action == "negotiate" and r.enabled and not r.peer_address.is_unspecified:
                    lonely.append((key, p.expected(r)))
                continue
            for c in cands:
                other = c.key
                ids = (min(id(r), id(other[1])), max(id(r), id(other[1])))
                if ids in done:
                    if c.why:  # the device's choice, learnt from this direction too
                        met = slots[done[ids]]
                        assert isinstance(met, _Pending)
                        met.learnt.append(c.why)
                    continue
                involved.add(id(r))
                involved.add(id(other[1]))
                done[ids] = len(slots)
                ctx = p.context(key, other, c.nat, c.address)
                slots.append(_Pending(key, other, ctx, c.why))
                stream.add((*where[id(r)], *where[id(other[1])], ctx))
    return slots, lonely, involved


def _record(pending: _Pending, session: Session) -> SessionRecord:
    """The session with what the directions learnt: the finding direction's always, the
    others' unless the reason says it already."""
    if pending.why:
        session = _with_reason(session, pending.why)
    for why in pending.learnt:
        if why not in session.reason:
            session = _with_reason(session, why)
    return SessionRecord(session, pending.key, pending.other, pending.ctx)


#: below this many rules (about half as many pairs) a second process costs more than it
#: saves
PARALLEL_MIN_RULES = 4000


def _negotiate_batch(jobs: list[_Job]) -> list[Session]:
    ends: list[ImportedEnd] = shared()
    return [negotiate_keys((ends[i], ends[i].policy.rules[j]),
                           (ends[k], ends[k].policy.rules[m]), ctx)
            for i, j, k, m, ctx in jobs]


def _with_reason(s: Session, why: str) -> Session:
    from dataclasses import replace

    return replace(s, reason=f"{s.reason}; {why}")
