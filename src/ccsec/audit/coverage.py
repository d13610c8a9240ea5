"""Coverage against the deployment: is every derived path protected at both ends, does it
negotiate, and with what the plan asked for?

For each path of :func:`ccsec.paths.derive` (catalog 1–8 and site tunnels) the rule that
protects it at each end is the rule of the config attached to that host/gateway whose filters
cover the path's prefixes toward the other end.  The two rules are negotiated (reusing the
pairing's session when it paired them) and the result is compared with what
:func:`ccsec.plan.negotiate` plans for the deployment's profile: a lower IKE version, a weaker
IKE/ESP proposal or a missing/weaker PFS group is "weaker than planned".
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

from ccsec.audit import shortcuts
from ccsec.audit.context import AuditContext, CoverageRow, SessionRecord
from ccsec.audit.model import ImportedEnd
from ccsec.audit.negotiate import Session, Status, missing
from ccsec.audit.pairing import Pairer, negotiate_keys
from ccsec.audit.places import AddrKey
from ccsec.crypto import CAPABILITIES, DH_GROUPS, ENCR, PROFILES, EspProposal, IkeProposal, Integ
from ccsec.errors import PlanError
from ccsec.paths import Path, derive
from ccsec.plan import Negotiated
from ccsec.plan import negotiate as plan_negotiate
from ccsec.policy import Network, Rule

INTEG_BITS = {Integ.MD5: 64, Integ.MD5_128: 64, Integ.SHA1: 80, Integ.SHA1_160: 80,
              Integ.SHA256: 128, Integ.SHA256_96: 128, Integ.SHA384: 192, Integ.SHA512: 256,
              Integ.AESXCBC: 128, Integ.AESCMAC: 128, Integ.AES128GMAC: 128,
              Integ.AES256GMAC: 256}
CIPHER_BITS_OVERRIDE = {"ENCR_3DES": 112, "ENCR_NULL": 0, "ENCR_NULL_AUTH_AES_GMAC": 0}


def _cipher_bits(p: IkeProposal | EspProposal) -> int:
    if p.encryption is None:
        return 0
    info = ENCR[p.encryption]
    return CIPHER_BITS_OVERRIDE.get(info.iana, info.key_bits or 0)


def _integ_bits(p: IkeProposal | EspProposal) -> int:
    if p.encryption is not None and ENCR[p.encryption].aead:
        return 128
    return INTEG_BITS.get(p.integrity, 0) if p.integrity else 0


def _ike_strength(p: IkeProposal) -> tuple[int, int, int]:
    return (DH_GROUPS[p.group].strength, _cipher_bits(p), _integ_bits(p))


def _esp_strength(p: EspProposal) -> tuple[int, int]:
    return (_cipher_bits(p), _integ_bits(p))


def _below(got: tuple[int, ...], planned: list[tuple[int, ...]]) -> bool:
    floor = tuple(min(x[i] for x in planned) for i in range(len(got)))
    return any(g < f for g, f in zip(got, floor, strict=True))


def weaker_than(planned: Negotiated, version: int | None, ike: IkeProposal | None,
                esp: EspProposal | None, pfs: int | None) -> list[str]:
    """What a negotiated session has below the plan (empty: as strong as planned)."""
    out = []
    if version is not None and version < planned.version:
        out.append(f"IKEv{version} instead of IKEv{planned.version}")
    if ike is not None and _below(_ike_strength(ike), [_ike_strength(p) for p in planned.ike]):
        out.append(f"IKE {ike.label()} instead of {planned.ike[0].label()}")
    if esp is not None and _below(_esp_strength(esp), [_esp_strength(p) for p in planned.esp]):
        out.append(f"ESP {esp.label()} instead of {planned.esp[0].label()}")
    if planned.pfs is not None:
        if pfs is None:
            out.append(f"no PFS instead of {DH_GROUPS[planned.pfs].keyword}")
        elif DH_GROUPS[pfs].strength < DH_GROUPS[planned.pfs].strength:
            out.append(f"PFS {DH_GROUPS[pfs].keyword} instead of {DH_GROUPS[planned.pfs].keyword}")
    return out


def _within(inner: IPv4Network, outer: Network) -> bool:
    """``inner.subnet_of(outer)`` in integer arithmetic (ipaddress's comparison operators cost
    ten times more, and coverage asks this for every filter of every candidate rule); a path is
    IPv4, so an IPv6 filter never covers it."""
    plen = outer.prefixlen
    if outer.version != 4 or plen > inner.prefixlen:
        return False
    shift = 32 - plen
    return int(inner.network_address) >> shift == int(outer.network_address) >> shift


def _covers(r: Rule, path: Path, i: int) -> bool:
    if r.action != "negotiate":
        return False
    mine, theirs = path.protects[i], path.protects[1 - i]
    for m in mine:
        for t in theirs:
            if not any(_within(m, f.local) and _within(t, f.remote) for f in r.filters):
                return False
    return True


#: a rule's filters as (local, remote) per filter, each an IPv4 network as integers —
#: (prefix length, address >> host bits), None for an IPv6 network; None: the rule does not
#: negotiate
_Span = tuple[int, int] | None
_Filters = tuple[tuple[_Span, _Span], ...] | None


def _filters(r: Rule) -> _Filters:
    if r.action != "negotiate":
        return None
    out: list[tuple[_Span, _Span]] = []
    for f in r.filters:
        local, remote = f.local, f.remote
        n, m = local.prefixlen, remote.prefixlen
        out.append(((n, int(local.network_address) >> (32 - n))
                     if isinstance(local, IPv4Network) else None,
                     (m, int(remote.network_address) >> (32 - m))
                     if isinstance(remote, IPv4Network) else None))
    return tuple(out)


def _spans(path: Path) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The prefixes each end of a path protects as (prefix length, address)."""
    mine: list[tuple[int, int]] = []
    theirs: list[tuple[int, int]] = []
    for n in path.protects[0]:
        mine.append((n.prefixlen, int(n.network_address)))
    for n in path.protects[1]:
        theirs.append((n.prefixlen, int(n.network_address)))
    return mine, theirs


def _holds(filters: _Filters, mine: list[tuple[int, int]],
           theirs: list[tuple[int, int]]) -> bool:
    """:func:`_covers` of a rule read by :func:`_filters`, for a path end's prefixes and the
    other end's, in integers."""
    if filters is None:
        return False
    for mlen, m in mine:
        for tlen, t in theirs:
            for local, remote in filters:
                if local is not None and remote is not None and local[0] <= mlen \
                        and remote[0] <= tlen and m >> (32 - local[0]) == local[1] \
                        and t >> (32 - remote[0]) == remote[1]:
                    break
            else:
                return False
    return True


class _Rules:
    """The rules of each attached device, indexed by (device, peer address) so finding a
    path's rule does not scan every rule of a central device (1,000-site deployments)."""

    def __init__(self, ends: list[ImportedEnd]) -> None:
        self.by_host: dict[str, list[ImportedEnd]] = {}
        #: (device, peer address key) → its rules aiming there, each with its filters read
        #: by :func:`_filters` (shortcut; None on the long way)
        self.by_peer: dict[tuple[str, AddrKey],
                           list[tuple[ImportedEnd, Rule, _Filters]]] = {}
        fast, by_peer = shortcuts.FAST, self.by_peer
        for end in ends:
            if not end.host:
                continue
            self.by_host.setdefault(end.host, []).append(end)
            host = end.host
            for r in end.policy.rules:
                # the filters are read while the rule is at hand (memory order)
                peer = r.peer_address
                key = (host, int(peer) if isinstance(peer, IPv4Address) else peer)
                item = (end, r, _filters(r) if fast else None)
                bucket = by_peer.get(key)
                if bucket is None:
                    by_peer[key] = [item]
                else:
                    bucket.append(item)

    def covers(self, r: Rule, path: Path, i: int,
               prefixes: tuple[list[tuple[int, int]], list[tuple[int, int]]]) -> bool:
        """Whether ``r`` protects the path at end ``i``: it negotiates, and for every prefix
        pair the path protects (``prefixes``: :func:`_spans` of the path) one of its filters
        holds both (local at this end)."""
        if not shortcuts.FAST:
            return _covers(r, path, i)
        return _holds(_filters(r), prefixes[i], prefixes[1 - i])

    def find(self, path: Path, i: int,
             prefixes: tuple[list[tuple[int, int]], list[tuple[int, int]]]
             ) -> tuple[ImportedEnd, Rule] | None:
        """The rule protecting the path at end ``i`` (``prefixes``: :func:`_spans` of the
        path): among the rules that do, one aiming at the path's peer if any, the path's mode
        before the other."""
        host = path.ends[i].host
        peer = path.peer_address[i]
        mine, theirs = prefixes[i], prefixes[1 - i]
        fast = shortcuts.FAST
        cands = []
        for e, r, filters in self.by_peer.get((host, int(peer)), ()):  # a path is IPv4
            if _holds(filters, mine, theirs) if fast else _covers(r, path, i):
                cands.append((e, r))
        if not cands:  # a rule aiming elsewhere (wrong peer, NAT) still protects the path
            cands = [(e, r) for e in self.by_host.get(host, []) for r in e.policy.rules
                     if self.covers(r, path, i, prefixes)]
        if len(cands) > 1:
            cands.sort(key=lambda k: (k[1].mode != path.mode, k[1].peer_address != peer))
        return cands[0] if cands else None


#: the status of an established session, as a coverage row gives it
ESTABLISHED = Status.ESTABLISHED.value


class _Plans:
    """What the plan asks for a path, and how a session falls below it, each answered once
    per distinct question (shortcut): the plan depends on the profile, the path's mode and
    method and the two platforms only (as :meth:`ccsec.plan._Shared.negotiate` keys it)."""

    def __init__(self, profile: str) -> None:
        self.profile = profile
        self._planned: dict[tuple[str, ...], Negotiated | None] = {}
        self._weaker: dict[tuple[object, ...], list[str]] = {}
        #: (path's plan key, session's proposals by identity) → them and :meth:`below`
        self._met: dict[tuple[object, ...],
                        tuple[IkeProposal | None, EspProposal | None, list[str]]] = {}

    def planned(self, path: Path) -> Negotiated | None:
        if not shortcuts.FAST:
            return _planned(path, self.profile)
        key = (path.mode, path.auth, path.ends[0].platform, path.ends[1].platform)
        if key not in self._planned:
            self._planned[key] = _planned(path, self.profile)
        return self._planned[key]

    def weaker(self, planned: Negotiated, version: int | None, ike: IkeProposal | None,
               esp: EspProposal | None, pfs: int | None) -> list[str]:
        if not shortcuts.FAST:
            return weaker_than(planned, version, ike, esp, pfs)
        key = (id(planned), version, ike, esp, pfs)
        found = self._weaker.get(key)
        if found is None:
            found = self._weaker[key] = weaker_than(planned, version, ike, esp, pfs)
        return list(found)

    def below(self, path: Path, s: Session) -> list[str]:
        """What an established session of the path has below the plan (empty: nothing, or
        no plan for the path).  Sessions share their proposal objects (negotiation's tables,
        a batch's pickle): asked by identity first, by value (pydantic's hash, in Python)
        only when new; the objects are kept with the answer, so an identity is never
        reused (shortcut)."""
        if not shortcuts.FAST:
            planned = self.planned(path)
            return self.weaker(planned, s.ike_version, s.ike, s.esp, s.pfs) if planned else []
        ike, esp = s.ike, s.esp
        key = (path.mode, path.auth, path.ends[0].platform, path.ends[1].platform,
               s.ike_version, id(ike), id(esp), s.pfs)
        met = self._met.get(key)
        if met is None or met[0] is not ike or met[1] is not esp:
            planned = self.planned(path)
            found = self.weaker(planned, s.ike_version, ike, esp, s.pfs) if planned else []
            met = self._met[key] = (ike, esp, found)
        return list(met[2])


def _planned(path: Path, profile: str) -> Negotiated | None:
    caps = [CAPABILITIES.get(e.platform) for e in path.ends]
    if caps[0] is None or caps[1] is None:
        return None
    try:
        return plan_negotiate(path, PROFILES[profile], caps[0], caps[1])
    except PlanError:
        return None


class _Sessions:
    """The pairing's sessions indexed by rule, so coverage finds them in constant time."""

    def __init__(self, ctx: AuditContext) -> None:
        self.ctx = ctx
        #: (rule id, rule id), the lower first → the pairing's session between the two
        self.pairs: dict[tuple[int, int], SessionRecord] = {}
        self.lone: dict[int, SessionRecord] = {}
        self.seen: set[int] = set()
        pairs, lone, seen = self.pairs, self.lone, self.seen
        for rec in ctx.sessions:  # as _index, inline (14,000 sessions at 1,000 sites)
            a = id(rec.a[1])
            seen.add(a)
            if rec.b is None:
                lone.setdefault(a, rec)
            else:
                b = id(rec.b[1])
                seen.add(b)
                pairs.setdefault((a, b) if a <= b else (b, a), rec)
        self.superseded: set[int] = set()

    def _index(self, rec: SessionRecord) -> None:
        self.seen.add(id(rec.a[1]))
        if rec.b is None:
            self.lone.setdefault(id(rec.a[1]), rec)
        else:
            self.seen.add(id(rec.b[1]))
            self.pairs.setdefault(_pair_key(id(rec.a[1]), id(rec.b[1])), rec)

    def between(self, pairer: _LazyPairer, a: tuple[ImportedEnd, Rule],
                b: tuple[ImportedEnd, Rule], path: Path) -> SessionRecord:
        rec = self.pairs.get(_pair_key(id(a[1]), id(b[1])))
        if rec is None:
            c = pairer.get().context(a, b, False)
            rec = SessionRecord(negotiate_keys(a, b, c), a, b, c, path.id)
            # the pairing did not see these two as peers: what it reported for either rule
            # alone is superseded by this session
            for k in (a, b):
                lone = self.lone.pop(id(k[1]), None)
                if lone is not None:
                    self.superseded.add(id(lone))
            self.ctx.sessions.append(rec)
            self._index(rec)
        rec.path = path.id
        return rec

    def one_sided(self, present: tuple[ImportedEnd, Rule], absent: str, path: Path) -> None:
        lone = self.lone.get(id(present[1]))
        if lone is not None:
            lone.path = path.id
        elif id(present[1]) not in self.seen:
            rec = SessionRecord(missing(present[0].subject(present[1]), absent,
                                        f"{absent} has no rule for {path.id}"), present, None,
                                path=path.id)
            self.ctx.sessions.append(rec)
            self._index(rec)

    def finish(self) -> None:
        if self.superseded:
            self.ctx.sessions[:] = [s for s in self.ctx.sessions
                                    if id(s) not in self.superseded]


def _pair_key(x: int, y: int) -> tuple[int, int]:
    return (x, y) if x <= y else (y, x)


class _LazyPairer:
    """The pairer coverage needs only for rules the pairing did not pair (rare): built on
    first use instead of for every audit (shortcut; the long way builds it at once)."""

    def __init__(self, ctx: AuditContext) -> None:
        self.ctx = ctx
        self._pairer: Pairer | None = None
        if not shortcuts.FAST:
            self.get()

    def get(self) -> Pairer:
        if self._pairer is None:
            self._pairer = Pairer(self.ctx.ends, self.ctx.deployment)
        return self._pairer


def compute(ctx: AuditContext) -> None:
    """Fill ``ctx.coverage`` (and add sessions the pairing did not find)."""
    dep = ctx.deployment
    if dep is None:
        return
    rules = _Rules(ctx.ends)
    sessions = _Sessions(ctx)
    pairer = _LazyPairer(ctx)
    plans = _Plans(dep.profile)
    for path in derive(dep):
        prefixes = _spans(path)
        found_a, found_b = rules.find(path, 0, prefixes), rules.find(path, 1, prefixes)
        a, b = path.ends[0].host, path.ends[1].host
        cat = str(path.catalog)
        if found_a is None and found_b is None:
            ctx.coverage.append(CoverageRow(path.id, cat, a, b, "missing", None,
                                            f"no rule protects {path.title} at either end"))
            continue
        if found_a is None or found_b is None:
            present, absent = (found_a, b) if found_a else (found_b, a)
            assert present is not None
            ctx.coverage.append(CoverageRow(path.id, cat, a, b, "one-sided",
                                            "MISSING_END_POINT",
                                            f"only {present[0].label} has a rule; {absent} has "
                                            "none for this path"))
            sessions.one_sided(present, absent, path)
            continue
        rec = sessions.between(pairer, found_a, found_b, path)
        s = rec.session
        if not s.established:
            ctx.coverage.append(CoverageRow(path.id, cat, a, b, "failed", s.status.value,
                                            s.reason))
            continue
        below = plans.below(path, s)
        if below:
            ctx.weaker[path.id] = "; ".join(below)
            ctx.coverage.append(CoverageRow(path.id, cat, a, b, "weaker", ESTABLISHED,
                                            "negotiates " + "; ".join(below)))
        else:
            ctx.coverage.append(CoverageRow(path.id, cat, a, b, "protected", ESTABLISHED,
                                            s.reason))
    sessions.finish()
