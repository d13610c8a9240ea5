"""IKE events → negotiations → per-peer timelines and one diagnosis (a Finding) per failure.

A *negotiation* is one IKE_SA attempt as one end logged it.  Negotiations of the same pair of
addresses — from either end's log — form that pair's timeline, and each distinct failure of a
pair becomes one finding (the two ends' views of one failure are merged: the responder's
"received proposals unacceptable" and the initiator's NO_PROPOSAL_CHOSEN are one diagnosis).

With a deployment, :class:`PlanIndex` ties each pair back to the derived path and the planned
policy of both ends (``ccsec.plan.plan``), names the end whose running config deviates from its
plan, and words the fix ("re-render pg1-a with profile recommended").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ccsec.checks import logs as rules
from ccsec.deployment.model import Deployment
from ccsec.findings.model import CheckRule, Finding, Location, finding
from ccsec.monitor.logs.model import FAILURE_PRIORITY, IkeEvent, Kind, ParsedLog
from ccsec.monitor.logs.proposals import Offer, deviations, mismatch, parse_offer, planned_sets
from ccsec.paths import Path
from ccsec.policy import EndPolicy, PolicySet, Rule

RULE_OF: dict[Kind, CheckRule] = {
    Kind.IKE_NO_PROPOSAL: rules.IKE_PROPOSAL,
    Kind.CHILD_NO_PROPOSAL: rules.ESP_PROPOSAL,
    Kind.AUTH_FAILED: rules.AUTH,
    Kind.PSK_MISMATCH: rules.PSK,
    Kind.DECRYPT_FAILED: rules.PSK,
    Kind.TS_UNACCEPTABLE: rules.TS,
    Kind.NO_CHILD_CONFIG: rules.TS,
    Kind.NO_CONFIG: rules.NO_POLICY,
    Kind.TIMEOUT: rules.TIMEOUT,
    Kind.NAT_T_MISSING: rules.NAT_T,
    Kind.KERNEL_FAILED: rules.KERNEL,
    Kind.CLEARTEXT: rules.CLEARTEXT,
    Kind.PACKET_INTEGRITY: rules.INTEGRITY,
    Kind.SERVICE_DOWN: rules.SERVICE,
    Kind.FAILED: rules.OTHER,
}
_RANK = {k: i for i, k in enumerate(FAILURE_PRIORITY)}


@dataclass
class Negotiation:
    """One IKE_SA attempt as one end logged it."""

    key: str
    events: list[IkeEvent] = field(default_factory=list)

    def _first(self, attr: str) -> str | None:
        return next((getattr(e, attr) for e in self.events if getattr(e, attr)), None)

    @property
    def local(self) -> str | None:
        return self._first("local")

    @property
    def peer(self) -> str | None:
        return self._first("peer")

    @property
    def role(self) -> str | None:
        return self._first("role")

    @property
    def pair(self) -> tuple[str, str]:
        a, b = sorted((self.local or "?", self.peer or "?"))
        return a, b

    def failure(self) -> IkeEvent | None:
        """The most specific failure, unless a CHILD_SA was established after it."""
        fails = [e for e in self.events if e.kind in _RANK]
        if not fails:
            return None
        worst = min(fails, key=lambda e: (_RANK[e.kind], e.line))
        if worst.kind is Kind.TIMEOUT and self._nat_t_died(worst):
            worst = IkeEvent(worst.file, worst.line, Kind.NAT_T_MISSING, worst.text, worst.fmt,
                             worst.time, worst.local, worst.peer, worst.conn, worst.session,
                             worst.role, worst.ike_version, dict(worst.detail), worst.verified)
        later_ok = any(e.kind is Kind.CHILD_ESTABLISHED and e.line > worst.line
                       for e in self.events)
        return None if later_ok else worst

    def _nat_t_died(self, timeout: IkeEvent) -> bool:
        nat = any(e.kind in (Kind.NAT_LOCAL, Kind.NAT_REMOTE) for e in self.events)
        return nat and timeout.detail.get("port") == "4500"

    def offers(self, protocol: str) -> dict[str, Offer]:
        """The last received/configured/selected proposal lists of one protocol (IKE/ESP)."""
        out: dict[str, Offer] = {}
        for e in self.events:
            if e.kind is Kind.PROPOSALS and e.detail.get("list", "").startswith(protocol + ":"):
                out[e.detail["which"]] = parse_offer(e.detail["list"])
        return out

    @property
    def established(self) -> bool:
        return any(e.kind is Kind.CHILD_ESTABLISHED for e in self.events) and not self.failure()


def negotiations(logs: list[ParsedLog]) -> list[Negotiation]:
    by_key: dict[str, Negotiation] = {}
    for log in logs:
        for ev in log.events:
            key = ev.session or f"{ev.file}:{ev.line}"
            by_key.setdefault(key, Negotiation(key)).events.append(ev)
    return list(by_key.values())


# ----------------------------------------------------------------- deployment tie-back

@dataclass
class Tie:
    """A pair of log addresses matched to a path; ``me`` is the index of the end that logged."""

    path: Path
    me: int
    ps: PolicySet

    def name(self, i: int) -> str:
        return self.path.ends[i].host

    def rule(self, i: int) -> Rule | None:
        for end, r in self.ps.rules_for(self.path.id):
            if end.owner == self.path.ends[i].host:
                return r
        return None

    def end(self, i: int) -> EndPolicy:
        return self.ps.end(self.path.ends[i].host)

    @property
    def title(self) -> str:
        return f"path {self.path.id} ({self.path.title})"


class PlanIndex:
    """Addresses → deployment hosts and paths, and the planned policy of every end."""

    def __init__(self, dep: Deployment, ps: PolicySet, deployment_arg: str) -> None:
        self.dep, self.ps, self.arg = dep, ps, deployment_arg
        self.names: dict[str, str] = {}
        for h in dep.hosts:
            self.names[str(h.public)] = h.name
            if h.private:
                self.names[str(h.private)] = h.name
        for site, gw in dep.gateways():
            self.names[str(gw.wan)] = gw.name
            if site.nat:
                self.names.setdefault(str(site.nat.public), f"{gw.name} (via NAT)")
        #: peer address → [(path, index of the logging end, its own address)] (no path scans)
        self.by_peer: dict[str, list[tuple[Path, int, str]]] = {}
        for path in self.ps.paths:
            for i in (0, 1):
                for theirs in dict.fromkeys((str(path.ends[1 - i].address),
                                             str(path.peer_address[i]))):
                    self.by_peer.setdefault(theirs, []).append(
                        (path, i, str(path.ends[i].address)))

    def name(self, addr: str | None) -> str:
        if not addr:
            return "?"
        return f"{self.names[addr]} ({addr})" if addr in self.names else addr

    def tie(self, local: str | None, peer: str | None) -> Tie | None:
        """The path whose end ``local`` talks to ``peer`` (the first when local is unknown)."""
        for path, i, own in self.by_peer.get(peer or "", ()):
            if local is None or local == own:
                return Tie(path, i, self.ps)
        return None

    def render_fix(self, host: str) -> str:
        return (f"re-render {host} with profile {self.ps.profile} (`ccsec render {self.arg} "
                f"--profile {self.ps.profile} -o OUT`) and apply {host}'s policy")


# ----------------------------------------------------------------------- diagnosis

@dataclass
class Diagnosis:
    rule: CheckRule
    subject: str
    message: str
    fix: str | None
    event: IkeEvent
    count: int = 1


def _addr(index: PlanIndex | None, addr: str | None) -> str:
    return index.name(addr) if index else (addr or "?")


def _sides(n: Negotiation) -> tuple[str | None, str | None]:
    """(offering end, accepting end) addresses: the initiator offers, the responder accepts."""
    if n.role == "responder":
        return n.peer, n.local
    return n.local, n.peer


def _proposal_text(n: Negotiation, protocol: str, index: PlanIndex | None,
                   tie: Tie | None) -> tuple[str, str | None]:
    offers = n.offers(protocol)
    offerer, acceptor = _sides(n)
    if n.role == "responder":
        offered, accepted = offers.get("received"), offers.get("configured")
    else:
        offered, accepted = offers.get("configured"), offers.get("received")
    parts = []
    if offered:
        parts.append(f"{_addr(index, offerer)} offers {offered.text}")
    if accepted:
        parts.append(f"{_addr(index, acceptor)} accepts {accepted.text}")
    elif offered:
        parts.append(f"{_addr(index, acceptor)} answered NO_PROPOSAL_CHOSEN (its accepted list "
                     "is in its own log)")
    if offered and accepted:
        parts += mismatch(offered, accepted)
    if not parts:
        return _no_lists(n, protocol, index, tie)
    msg = "; ".join(parts)
    if tie is None:
        return msg, None
    return _plan_compare(msg, protocol, tie, index, n, offered, accepted)


def _no_lists(n: Negotiation, protocol: str, index: PlanIndex | None,
              tie: Tie | None) -> tuple[str, str | None]:
    """A proposal mismatch whose log does not list the proposals (Windows, Oakley, charon at a
    low cfg level): say so and quote the planned proposals of both ends."""
    ev = next(e for e in n.events if e.kind in (Kind.IKE_NO_PROPOSAL, Kind.CHILD_NO_PROPOSAL))
    reason = ev.detail.get("reason") or ev.text
    where = ("raise charon's cfg log level to 1+ to see them" if ev.fmt.startswith("strongswan")
             else "compare both ends' main/quick mode crypto sets (collector files, "
             "`ccsec audit`)")
    msg = (f"{_addr(index, n.local)} ↔ {_addr(index, n.peer)}: {reason} — the log does not "
           f"list the proposals; {where}")
    if tie is None:
        return msg, None
    planned = []
    for i in (0, 1):
        r = tie.rule(i)
        if r is None:
            continue
        props = (", ".join(p.label() for p in r.ike.proposals) if protocol == "IKE" else
                 ", ".join(p.label() for p in r.esp) + (f" PFS DH{r.pfs_group}" if r.pfs_group
                                                        else ""))
        planned.append(f"{tie.name(i)} {props}")
    msg = f"{tie.title}: {msg}. Planned (profile {tie.ps.profile}): " + "; ".join(planned)
    fix = None
    if index is not None:
        fix = ("bring both ends to the planned proposals: "
               + "; ".join(index.render_fix(tie.name(i)) for i in (0, 1)))
    return msg, fix


def _planned(tie: Tie, i: int, protocol: str) -> dict[str, set[str]] | None:
    r = tie.rule(i)
    if r is None:
        return None
    return planned_sets(ike=r.ike.proposals) if protocol == "IKE" else planned_sets(esp=r.esp)


def _plan_compare(msg: str, protocol: str, tie: Tie, index: PlanIndex | None, n: Negotiation,
                  offered: Offer | None, accepted: Offer | None) -> tuple[str, str | None]:
    me, other = tie.me, 1 - tie.me
    offer_i, accept_i = (other, me) if n.role == "responder" else (me, other)
    bad: list[str] = []
    notes = []
    for i, obs in ((offer_i, offered), (accept_i, accepted)):
        planned = _planned(tie, i, protocol)
        if obs is None or planned is None:
            continue
        dev = deviations(obs, planned)
        if dev:
            bad.append(tie.name(i))
            notes.append(f"{tie.name(i)} uses {'; '.join(dev)}")
    peer_plan = _planned(tie, accept_i, protocol)
    if not notes and peer_plan and offered is not None and accepted is None:
        missing = deviations(offered, peer_plan)
        if missing:
            bad.append(tie.name(offer_i))
            notes.append(f"{tie.name(offer_i)} offers {'; '.join(missing)} — its peer "
                         f"{tie.name(accept_i)}'s policy requires the planned set")
        else:
            bad.append(tie.name(accept_i))
            notes.append(f"{tie.name(offer_i)}'s offer is the planned one, so "
                         f"{tie.name(accept_i)}'s running policy is not its plan")
    text = f"{tie.title}: {msg}"
    if notes:
        text += f". Against the plan (profile {tie.ps.profile}): " + "; ".join(notes)
    if not bad or index is None:
        return text, None
    return text, "; ".join(index.render_fix(h) for h in dict.fromkeys(bad))


def _ts_text(n: Negotiation, ev: IkeEvent, index: PlanIndex | None,
             tie: Tie | None) -> tuple[str, str | None]:
    ts = next((e.detail.get("ts") for e in n.events if e.detail.get("ts")), None)
    msg = (f"{_addr(index, n.local)} refused traffic selectors {ts}" if ts else
           f"{_addr(index, n.local)} ↔ {_addr(index, n.peer)}: CHILD_SA refused ({ev.text})")
    if tie is None:
        return msg, None
    r = tie.rule(tie.me)
    planned = ", ".join(f"{f.local} === {f.remote}" for f in r.filters) if r else "?"
    msg = f"{tie.title}: {msg}; planned filters of {tie.name(tie.me)}: {planned}"
    fix = None
    if index is not None and ts:
        first = ts.split(" === ")[0].split("[")[0] if " === " in ts else ""
        culprit = (tie.name(tie.me) if r and first in {str(f.local) for f in r.filters}
                   else tie.name(1 - tie.me))
        if n.role == "initiator":
            culprit = tie.name(tie.me)
        fix = index.render_fix(culprit)
    return msg, fix


def _auth_text(kind: Kind, ev: IkeEvent, n: Negotiation, index: PlanIndex | None,
               tie: Tie | None) -> tuple[str, str | None]:
    pair = f"{_addr(index, n.local)} ↔ {_addr(index, n.peer)}"
    if kind is Kind.DECRYPT_FAILED:
        what = ("IKEv1: payloads could not be decrypted after the key exchange — the two ends' "
                "pre-shared keys differ")
    elif kind is Kind.PSK_MISMATCH:
        what = f"pre-shared keys differ ({ev.text})"
    else:
        what = f"authentication failed ({ev.text})"
    msg = f"{pair}: {what}"
    if tie is None:
        return msg, None
    r = tie.rule(tie.me)
    method = r.auth[0].method if r else "?"
    msg = f"{tie.title}: {msg}; planned authentication: {method}"
    if r and r.auth[0].ca:
        msg += f" (root CA {r.auth[0].ca})"
    fix = None
    if index is not None and kind in (Kind.PSK_MISMATCH, Kind.DECRYPT_FAILED) and method != "psk":
        fix = (f"the path is planned with {method}, not a pre-shared key: "
               + "; ".join(index.render_fix(tie.name(i)) for i in (0, 1)))
    return msg, fix


def _generic_text(kind: Kind, ev: IkeEvent, n: Negotiation, index: PlanIndex | None,
                  tie: Tie | None) -> tuple[str, str | None]:
    pair = f"{_addr(index, n.local)} ↔ {_addr(index, n.peer)}"
    reason = ev.detail.get("reason") or ev.text
    if kind is Kind.TIMEOUT:
        port = ev.detail.get("port")
        reason = f"no answer from {_addr(index, n.peer)}" + (f" on UDP {port}" if port else "")
    elif kind is Kind.NAT_T_MISSING:
        reason = (f"NAT detected, then no answer from {_addr(index, n.peer)} on UDP 4500 "
                  "(NAT-T not passing)")
    msg = f"{pair}: {reason}" if n.peer or n.local else f"{ev.file}: {reason}"
    fix = None
    if tie is not None:
        msg = f"{tie.title}: {msg}"
        if kind is Kind.NO_CONFIG and index is not None:
            responder = tie.name(tie.me) if n.role == "responder" else tie.name(1 - tie.me)
            fix = (f"{responder} has no policy for this path although the deployment plans one: "
                   + index.render_fix(responder))
        if kind is Kind.TIMEOUT and tie.path.crosses_nat:
            msg += "; the path crosses NAT (NAT-T on UDP 4500 must pass)"
    elif index is not None and kind is Kind.NO_CONFIG and n.peer:
        fix = ("the deployment plans no protected path between these addresses: remove the "
               "initiator's rule, or add the hosts/roles to the deployment and render both ends")
    return msg, fix


def _diagnose(n: Negotiation, ev: IkeEvent, index: PlanIndex | None) -> Diagnosis:
    kind = ev.kind
    tie = index.tie(n.local, n.peer) if index else None
    if kind in (Kind.IKE_NO_PROPOSAL, Kind.CHILD_NO_PROPOSAL):
        msg, fix = _proposal_text(n, "IKE" if kind is Kind.IKE_NO_PROPOSAL else "ESP", index, tie)
    elif kind in (Kind.TS_UNACCEPTABLE, Kind.NO_CHILD_CONFIG):
        msg, fix = _ts_text(n, ev, index, tie)
    elif kind in (Kind.AUTH_FAILED, Kind.PSK_MISMATCH, Kind.DECRYPT_FAILED):
        msg, fix = _auth_text(kind, ev, n, index, tie)
    else:
        msg, fix = _generic_text(kind, ev, n, index, tie)
    subject = tie.path.id if tie else (f"{n.pair[0]} ↔ {n.pair[1]}" if n.peer else ev.file)
    if not ev.verified:
        msg += f" [format {ev.fmt} built from documentation, unverified]"
    return Diagnosis(RULE_OF[kind], subject, msg, fix, ev)


def _merge(items: list[tuple[Negotiation, IkeEvent]]) -> list[tuple[Negotiation, IkeEvent]]:
    """Drop one end's view of a failure the other end's log explains better."""
    kinds_by_pair: dict[tuple[str, str], set[Kind]] = {}
    for n, ev in items:
        kinds_by_pair.setdefault(n.pair, set()).add(ev.kind)
    out = []
    for n, ev in items:
        kinds = kinds_by_pair[n.pair]
        if ev.kind is Kind.AUTH_FAILED and kinds & {Kind.PSK_MISMATCH, Kind.DECRYPT_FAILED}:
            continue
        if (ev.kind is Kind.IKE_NO_PROPOSAL and Kind.NO_CONFIG in kinds
                and "received" not in n.offers("IKE")):
            continue
        out.append((n, ev))
    return out


def diagnose(negs: list[Negotiation], index: PlanIndex | None = None) -> list[Finding]:
    """One finding per pair and failure kind (the most informative negotiation is quoted)."""
    failed = _merge([(n, ev) for n in negs if (ev := n.failure()) is not None])
    groups: dict[tuple[tuple[str, str], str], list[Diagnosis]] = {}
    for n, ev in failed:
        d = _diagnose(n, ev, index)
        groups.setdefault((n.pair, d.rule.id), []).append(d)
    findings = []
    for ds in groups.values():
        best = max(ds, key=lambda d: (d.fix is not None, "accepts" in d.message, -d.event.line))
        msg = best.message + (f" (seen {len(ds)} times)" if len(ds) > 1 else "")
        findings.append(finding(best.rule, best.subject, msg, Location(best.event.file,
                                best.event.line), fix=best.fix))
    findings += _invalid_ke(negs, index)
    return findings


def _invalid_ke(negs: list[Negotiation], index: PlanIndex | None) -> list[Finding]:
    seen: set[tuple[str, str]] = set()
    out = []
    for n in negs:
        ev = next((e for e in n.events if e.kind is Kind.INVALID_KE), None)
        if ev is None or n.pair in seen:
            continue
        seen.add(n.pair)
        tie = index.tie(n.local, n.peer) if index else None
        subject = tie.path.id if tie else f"{n.pair[0]} ↔ {n.pair[1]}"
        out.append(finding(rules.INVALID_KE, subject,
                           f"{_addr(index, n.local)} ↔ {_addr(index, n.peer)}: first DH group "
                           f"{ev.detail.get('offered', '?')} refused, "
                           f"{ev.detail.get('wanted', '?')} requested ({ev.text})",
                           Location(ev.file, ev.line)))
    return out


# ------------------------------------------------------------------------ timelines

@dataclass
class Timeline:
    pair: tuple[str, str]
    events: list[IkeEvent]
    outcome: str


def _sort_key(e: IkeEvent) -> tuple[datetime, str, int]:
    t = e.time.replace(tzinfo=None) if e.time else datetime.min
    return (t, e.file, e.line)


def timelines(negs: list[Negotiation]) -> list[Timeline]:
    """Per pair of addresses: every event of every negotiation, both ends' logs merged."""
    by_pair: dict[tuple[str, str], list[Negotiation]] = {}
    for n in negs:
        by_pair.setdefault(n.pair, []).append(n)
    out = []
    for pair, ns in sorted(by_pair.items()):
        events = sorted((e for n in ns for e in n.events if e.kind is not Kind.PROPOSALS),
                        key=_sort_key)
        fails = sorted({f.kind.value for n in ns if (f := n.failure())})
        ok = any(n.established for n in ns)
        outcome = ("established" if ok and not fails else
                   ", ".join(fails) if fails else "no CHILD_SA seen")
        if ok and fails:
            outcome = "established after failures: " + ", ".join(fails)
        out.append(Timeline(pair, events, outcome))
    return out
