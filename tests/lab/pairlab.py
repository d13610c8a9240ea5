"""Two arbitrary ends negotiated for real: the lab side of the differential test (issue point 5).

:func:`negotiate_pair` takes two ``(EndPolicy, Rule)`` ends — from a deployment, a parser, or a
generator that varies one field — renders each with the strongswan format (after the same
reported substitutions as ``lab up``), runs them in two namespaces joined by a router, initiates
from one side (or each side in turn) and reports what really happened, in the static
analyzer's vocabulary (``ccsec.audit.negotiate.Status`` values): ``ESTABLISHED``,
``MISSING_END_POINT``, ``IKE_PHASE1_FAILED``, ``AUTH_MISMATCH``, ``IKE_PHASE1_KEY_MISMATCH``,
``IPSEC_PHASE2_FAILED``, ``TS_MISMATCH`` — from vici state plus the decisive charon log line,
which is returned with the outcome so that every disagreement can be judged.

Both rules are rendered as responders (``initiate`` off: trap only) and the lab initiates
explicitly over vici, so the direction is the test's choice; this is listed as a substitution.

Modes: kernel-libipsec runs tunnel mode only, so transport rules become host-to-host tunnels
(a reported substitution) — except when the two rules' modes *differ*: then both are rendered
as planned, because the mode is negotiated in IKE before any SA reaches the data path.  What
strongSwan answers (a refusal, or a fall-back to tunnel mode that installs) is observed as it
is; only if the ends *agree* on transport mode does kernel-libipsec refuse to install the SA
("IPsec SA: unsupported mode"), and that outcome is ``UNTESTABLE`` (not a guess).  A
transport rule whose selectors are not its two IKE addresses is ``UNTESTABLE`` up front
(:func:`untestable`: kernel-libipsec fakes a NAT, which changes what charon does with them).

``rekey=True`` also forces one CHILD_SA rekey from the initiator after an establishment and
reports whether it worked (an IKEv2 PFS mismatch establishes and fails only here).
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Literal

import vici

from ccsec.audit.negotiate import normalize_dn
from ccsec.formats.base import RenderContext
from ccsec.formats.strongswan.swanctl import FORMAT
from ccsec.lab import charon, netns, pki
from ccsec.lab.build import preflight
from ccsec.lab.datapath import detect
from ccsec.lab.state import CharonRecord, LabState, new_id, new_state, save, teardown
from ccsec.lab.transform import TRANSPORT, Datapath, Substitution, lab_ca_name, transform_end
from ccsec.policy import EndPolicy, Rule
from ccsec.secrets import SecretResolver

End = tuple[EndPolicy, Rule]
Side = Literal["a", "b"]
ROUTER = IPv4Address("100.64.255.254")
SETTLE_S = 1.5

def _rx(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(alternatives))


#: an IKE SA came up (IKEv1 main mode done, or IKEv2 IKE_AUTH authenticated)
PHASE1_DONE = _rx(r"IKE_SA \S+ established between")
#: strongSwan's IKEv1 responder found no CHILD_SA config for the proposal (selectors *or* mode)
NO_CHILD_CONFIG = _rx(r"no matching CHILD_SA config found", r"INVALID_ID_INFORMATION")
#: a forced CHILD_SA rekey was refused or could not complete
REKEY_FAILED = _rx(r"NO_PROPOSAL_CHOSEN", r"no acceptable proposal", r"INVALID_KE_PAYLOAD",
                   r"no CHILD_SA built", r"failed to establish CHILD_SA",
                   r"CHILD_SA rekeying failed", r"unable to install")
#: decisive charon log lines → status, before and after phase 1 (first match in order wins)
BEFORE_PHASE1: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("IKE_PHASE1_KEY_MISMATCH", _rx(r"MAC mismatched", r"could not decrypt payloads",
                                    r"integrity check failed")),
    ("AUTH_MISMATCH", _rx(r"AUTHENTICATION_FAILED", r"no trusted .* public key found",
                          r"signature validation failed", r"constraint check failed",
                          r"no matching peer config found", r"no shared key found",
                          r"no private key found", r"peer not authenticated",
                          r"authentication of .* failed")),
    ("IKE_PHASE1_FAILED", _rx(r"NO_PROPOSAL_CHOSEN", r"no acceptable proposal",
                              r"no matching proposal found", r"no IKE config found",
                              r"received proposals unacceptable")),
    ("MISSING_END_POINT", _rx(r"giving up after \d+ retransmits",
                              r"establishing IKE_SA failed, peer not responding")),
)
AFTER_PHASE1: tuple[tuple[str, re.Pattern[str]], ...] = (
    # both ends agreed on transport mode; kernel-libipsec cannot install it (a data-path limit)
    ("UNTESTABLE", _rx(r"IPsec SA: unsupported mode")),
    ("TS_MISMATCH", _rx(r"TS_UNACCEPTABLE", r"INVALID_ID_INFORMATION",
                        r"no matching CHILD_SA config found",
                        r"traffic selectors .* unacceptable")),
    ("IPSEC_PHASE2_FAILED", _rx(r"NO_PROPOSAL_CHOSEN", r"no matching proposal found",
                                r"no acceptable proposal", r"no CHILD_SA built",
                                r"unable to install", r"failed to create SAD entry",
                                r"failed to establish CHILD_SA")),
    ("MISSING_END_POINT", _rx(r"giving up after \d+ retransmits")),
)


@dataclass
class PairOutcome:
    """What really happened when one side initiated."""

    status: str
    initiator: Side
    detail: str
    seconds: float
    ike: str | None = None
    esp: str | None = None
    log: list[str] = field(default_factory=list)
    #: the CHILD_SA mode both ends installed (TUNNEL/TRANSPORT), when established
    mode: str | None = None
    #: after a forced CHILD_SA rekey (``rekey=True``): "ok", "failed: <log line>", or None
    rekey: str | None = None

    def to_json(self) -> dict[str, object]:
        return {"status": self.status, "initiator": self.initiator, "detail": self.detail,
                "seconds": round(self.seconds, 2), "ike": self.ike, "esp": self.esp,
                "mode": self.mode, "rekey": self.rekey}


@dataclass(frozen=True)
class _Up:
    """What both ends installed: IKE and ESP algorithms, mode, the child and its SPIs."""

    ike: str
    esp: str
    mode: str
    child: str
    spis: frozenset[str]


@dataclass
class PairResult:
    outcomes: list[PairOutcome]
    substitutions: list[Substitution]
    datapath: Datapath

    @property
    def status(self) -> str:
        """ESTABLISHED only if every tried direction established; else the first failure."""
        failed = [o for o in self.outcomes if o.status != "ESTABLISHED"]
        return failed[0].status if failed else "ESTABLISHED"


def classify(lines: list[str]) -> tuple[str, str] | None:
    """The status a set of charon log lines proves, and the line that proves it.

    Key and authentication failures name themselves wherever they are logged: in IKEv1 the
    responder has its IKE SA "established" before the initiator has checked the responder's
    certificate, so a refusal can follow the other end's phase-1 line.  Everything else is
    read per end (lines prefixed ``[a]``/``[b]``; unprefixed lines are one end), because phase
    matters: NO_PROPOSAL_CHOSEN before that end's IKE SA is up is a phase-1 failure, after it
    (IKEv1 quick mode, IKEv2 IKE_AUTH/CREATE_CHILD_SA) a phase-2 one.  An end that got past
    phase 1 speaks first.
    """
    for status, rx in BEFORE_PHASE1[:2]:  # key mismatch, authentication
        line = next((ln for ln in lines if rx.search(ln)), None)
        if line is not None:
            return status, line.strip()
    ends: dict[str, list[str]] = {}
    for ln in lines:
        ends.setdefault(ln[:3] if ln.startswith("[") else "", []).append(ln)
    stages: list[tuple[list[str], tuple[tuple[str, re.Pattern[str]], ...]]] = []
    for chunk in ends.values():
        done = next((i for i, ln in enumerate(chunk) if PHASE1_DONE.search(ln)), None)
        if done is None:
            stages.append((chunk, BEFORE_PHASE1[2:]))
        else:
            stages.insert(0, (chunk[done:], AFTER_PHASE1))
    for chunk, table in stages:
        for status, rx in table:
            for line in chunk:
                if rx.search(line):
                    return status, line.strip()
    return None


def lan_addresses(own: Rule, other: Rule) -> list[IPv4Address]:
    """One address inside every network that can become this end's local traffic selector.

    kernel-libipsec installs a tunnel policy only with a route whose source address lies in the
    local selector (``get_address_by_ts``; without one: "error installing route with policy",
    and the CHILD_SA is refused as if the selectors were wrong).  A gateway has its LAN address
    there; the pair lab gives each end a LAN interface with the first host of each of its own
    local networks and of the networks the other end expects behind it.  Networks that overlap
    nest (CIDR), so the smaller one's first host is also inside any narrowed selector.  The two
    IKE addresses and the router are never added (that would break the IKE path).
    """
    nets = dict.fromkeys([f.local for f in own.filters] + [f.remote for f in other.filters])
    taken = {own.local_address, other.local_address, ROUTER}
    out: list[IPv4Address] = []
    for net in nets:
        addr = net.network_address if net.prefixlen >= 31 else net.network_address + 1
        if addr not in taken and addr not in out:
            out.append(addr)
    return out


def _responder(rule: Rule) -> Rule:
    return rule.model_copy(update={"initiate": False})


class PairLab:
    """Two namespaces with one charon each and a router between them (context manager)."""

    def __init__(self, a: End, b: End, *, datapath: str = "auto",
                 resolver: SecretResolver | None = None, timeout: float = 12.0) -> None:
        self.ends = {"a": a, "b": b}
        #: the modes differ: render both as planned (see the module docstring)
        self.planned_modes = a[1].mode != b[1].mode
        self.requested = datapath
        self.resolver = resolver
        self.timeout = timeout
        self.state: LabState | None = None
        self.subs: list[Substitution] = []
        self.recs: dict[Side, CharonRecord] = {}

    # -------------------------------------------------------------- lifecycle
    def __enter__(self) -> PairLab:
        preflight()
        lab = new_id()
        self.state = new_state(lab, "pair", "-", "libipsec", "")
        try:
            self._build()
        except BaseException:
            teardown(self.state)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self.state is not None:
            teardown(self.state)

    def _build(self) -> None:
        st = self.state
        assert st is not None
        names = {s: f"{st.prefix}p{s}" for s in ("a", "b", "m")}
        st.extra_ns = [f"{st.prefix}esp", *names.values()]
        save(st)
        st.datapath, st.datapath_evidence = detect(f"{st.prefix}esp", self.requested)
        lab_ends: dict[Side, EndPolicy] = {}
        for side in ("a", "b"):
            end, rule = self.ends[side]
            only = end.model_copy(update={"rules": (_responder(rule),)})
            ca = lab_ca_name(next((x.ca for x in rule.auth if x.ca), None))
            lab_end, subs = transform_end(only, st.datapath, ca)
            if self.planned_modes:
                lab_end = lab_end.model_copy(update={"rules": (
                    lab_end.rules[0].model_copy(update={"mode": rule.mode}),)})
                subs = [x for x in subs if x.change != TRANSPORT[0]]
            lab_ends[side] = lab_end  # type: ignore[index]
            self.subs += subs
        self.subs.append(Substitution(end="both", rule=None,
                                      change="start action: trap only; the lab initiates",
                                      reason="the test chooses which side initiates"))
        self._topology(names)
        work = Path(st.workdir)
        ctx = RenderContext("pair", "-", self.resolver)
        # one CA per distinct DN: the same DN (RDNs in any order or letter case, as the analyzer
        # compares them) is the same CA, made with the first spelling met
        cas: dict[tuple[tuple[str, str], ...], pki.LabCA] = {}
        for side, end in lab_ends.items():
            rule = end.rules[0]
            ca_dn = lab_ca_name(next((x.ca for x in rule.auth if x.ca), None))
            ca_pem = key = cert = None
            if pki.needs_certificate(end):
                dn_key = normalize_dn(ca_dn)
                if dn_key not in cas:
                    cas[dn_key] = pki.make_ca(work / f"pki-{len(cas)}", ca_dn)
                ca = cas[dn_key]
                cred = pki.issue(ca, end, work / f"pki-{side}")
                ca_pem, key, cert = ca.cert, cred.key, cred.cert
            rec = CharonRecord(owner=end.owner or end.name, ns=names[side],
                               dir=str(work / f"c-{side}"), kind="host")
            inst = charon.Instance(rec.owner, rec.ns, Path(rec.dir))
            charon.prepare(inst, st.datapath, None, FORMAT.render(end, ctx), ca_pem, key, cert)
            ref = charon.launch(inst)
            rec.pid, rec.started = ref.pid, ref.started
            st.charons.append(rec)
            save(st)
            charon.wait_ready(inst, ref)
            charon.load(inst)
            rec.children = charon.list_children(inst)
            self.recs[side] = rec  # type: ignore[index]
        save(st)

    def _topology(self, names: dict[str, str]) -> None:
        a_rule, b_rule = self.ends["a"][1], self.ends["b"][1]
        la, lb = a_rule.local_address, b_rule.local_address
        if la == lb or ROUTER in (la, lb):
            raise ValueError("the two ends need two different local addresses")
        netns.add_all(names.values())
        for ns in names.values():
            netns.sysctl(ns, {"net.ipv6.conf.all.disable_ipv6": "1",
                              "net.ipv6.conf.default.disable_ipv6": "1",
                              "net.ipv4.ip_forward": "1", "net.ipv4.conf.all.rp_filter": "0",
                              "net.ipv4.conf.default.rp_filter": "0"})
        m = names["m"]
        netns.batch([["link", "add", "eth0", "netns", names["a"], "type", "veth", "peer",
                      "name", "a0", "netns", m],
                     ["link", "add", "eth0", "netns", names["b"], "type", "veth", "peer",
                      "name", "b0", "netns", m]])
        for side, addr in (("a", la), ("b", lb)):
            own, other = (a_rule, b_rule) if side == "a" else (b_rule, a_rule)
            lan = [["addr", "add", f"{x}/32", "dev", "lan0"]
                   for x in lan_addresses(own, other)]
            netns.batch([["link", "set", "lo", "up"], ["link", "set", "eth0", "up"],
                         ["addr", "add", f"{addr}/32", "dev", "eth0"],
                         ["route", "add", f"{ROUTER}/32", "dev", "eth0"],
                         ["route", "add", "default", "via", str(ROUTER), "dev", "eth0"],
                         # no dummy driver in this kernel: a veth pair that stays inside
                         ["link", "add", "lan0", "type", "veth", "peer", "name", "lan1"],
                         ["link", "set", "lan0", "up"], ["link", "set", "lan1", "up"], *lan],
                        names[side])
        netns.batch([["link", "set", "a0", "up"], ["link", "set", "b0", "up"],
                     ["addr", "add", f"{ROUTER}/32", "dev", "a0"],
                     ["addr", "add", f"{ROUTER}/32", "dev", "b0"],
                     ["route", "add", f"{la}/32", "dev", "a0"],
                     ["route", "add", f"{lb}/32", "dev", "b0"]], m)

    # -------------------------------------------------------------- negotiation
    def _inst(self, side: Side) -> charon.Instance:
        rec = self.recs[side]
        return charon.Instance(rec.owner, rec.ns, Path(rec.dir))

    def _terminate_all(self) -> None:
        for side in ("a", "b"):
            try:
                with charon.session(self._inst(side)) as s:  # type: ignore[arg-type]
                    # one streamed request at a time on a session: list first, then terminate
                    names = [name for sa in s.list_sas() for name in sa]
                    for name in names:
                        for _ in s.terminate({"ike": name, "timeout": 2000, "force": "yes",
                                              "loglevel": -1}):
                            pass
            except (OSError, vici.exception.SessionException,
                    vici.exception.CommandException):
                pass

    def _established(self, conn_a: str, conn_b: str) -> _Up | None:
        """Both ends have the IKE SA and an installed CHILD_SA: what they agreed (else None)."""
        ike = esp = mode = child = ""
        spis: set[str] = set()
        for side, conn in (("a", conn_a), ("b", conn_b)):
            sas = [s for s in charon.list_sas(self._inst(side))  # type: ignore[arg-type]
                   if s.name == conn and s.state == "ESTABLISHED"]
            kids = [c for s in sas for c in s.children if c.state == "INSTALLED"]
            if not kids:
                return None
            ike, mode, child = sas[0].proposal, kids[0].mode, kids[0].name
            esp = "/".join(x for x in (kids[0].encr, kids[0].integ, kids[0].dh) if x)
            spis |= {k.spi_in for k in kids}
        return _Up(ike, esp, mode, child, frozenset(spis))

    def _conns(self, initiator: Side) -> tuple[str, str, str, str, str]:
        """(initiator conn, its child, conn a, conn b, the other end's conn)."""
        conn = next(iter(self.recs[initiator].children))
        child = self.recs[initiator].children[conn][0]
        other: Side = "b" if initiator == "a" else "a"
        other_conn = next(iter(self.recs[other].children))
        pair = (conn, other_conn) if initiator == "a" else (other_conn, conn)
        return conn, child, pair[0], pair[1], other_conn

    def negotiate(self, initiator: Side, rekey: bool = False) -> PairOutcome:
        """Initiate from ``initiator``; classify by vici state, then by the charon logs."""
        self._terminate_all()
        offsets = self._offsets()
        conn, child, conn_a, conn_b, _ = self._conns(initiator)
        t0 = time.monotonic()
        thread = threading.Thread(target=self._initiate, args=(initiator, conn, child),
                                  daemon=True)
        thread.start()
        lines: list[str] = []
        while time.monotonic() - t0 < self.timeout:
            up = self._established(conn_a, conn_b)
            if up is not None:
                out = PairOutcome("ESTABLISHED", initiator, "IKE and CHILD SA up at both ends",
                                  time.monotonic() - t0, up.ike, up.esp, mode=up.mode)
                if rekey:
                    out.rekey = self._rekey(initiator, up)
                return out
            lines = self._new_lines(offsets)
            found = classify(lines)
            if found and time.monotonic() - t0 > 0.3:
                status, detail = self._attribute(*found)
                return PairOutcome(status, initiator, detail, time.monotonic() - t0,
                                   log=lines[-40:])
            time.sleep(0.2)
        found = classify(self._new_lines(offsets))
        status, detail = self._attribute(*found) if found else (
            "MISSING_END_POINT", f"nothing decisive in {self.timeout} s")
        return PairOutcome(status, initiator, detail, time.monotonic() - t0, log=lines[-40:])

    def _attribute(self, status: str, line: str) -> tuple[str, str]:
        """Name the step by what the configs prove, where a log line alone is ambiguous.

        strongSwan's IKEv1 responder answers "no matching CHILD_SA config found" /
        INVALID_ID_INFORMATION both for selectors it cannot accept and for a quick-mode
        encapsulation mode its CHILD_SA config does not have.  When the two rules' selectors
        are exact mirrors and their modes differ, the selectors are not the reason: the step
        that failed is the phase-2 mode (``IPSEC_PHASE2_FAILED``), and the detail says why.
        """
        (_, ra), (_, rb) = self.ends["a"], self.ends["b"]
        if (status == "TS_MISMATCH" and NO_CHILD_CONFIG.search(line) and self.planned_modes
                and mirrored(ra, rb)):
            return "IPSEC_PHASE2_FAILED", (
                f"{line} -- the selectors are exact mirrors and the modes differ "
                f"({ra.mode}/{rb.mode}): strongSwan's IKEv1 responder refuses the mode with "
                "the selector notify")
        return status, line

    def _rekey(self, initiator: Side, up: _Up, wait_s: float = 6.0) -> str:
        """Force one CHILD_SA rekey from ``initiator``: "ok" or "failed: <decisive line>"."""
        offsets = self._offsets()
        _, _, conn_a, conn_b, _ = self._conns(initiator)
        try:
            with charon.session(self._inst(initiator)) as s:
                s.rekey({"child": up.child})
        except (OSError, vici.exception.SessionException,
                vici.exception.CommandException) as exc:
            return f"failed: the rekey request was refused ({exc})"
        t0 = time.monotonic()
        while time.monotonic() - t0 < wait_s:
            again = self._established(conn_a, conn_b)
            if again is not None and len(again.spis - up.spis) >= 2:  # new SAs at both ends
                return "ok"
            bad = next((ln for ln in self._new_lines(offsets) if REKEY_FAILED.search(ln)), None)
            if bad is not None:
                return f"failed: {bad.strip()}"
            time.sleep(0.2)
        return f"failed: no new CHILD_SA within {wait_s:g} s"

    def _offsets(self) -> dict[str, int]:
        return {s: self._inst(s).log.stat().st_size for s in ("a", "b")}  # type: ignore[arg-type]

    def handshake(self, initiator: Side = "a") -> float | None:
        """One complete IKE + CHILD SA setup from ``initiator``, in seconds (None: failed).

        Times only the initiation (vici returns when the CHILD SA is installed); the SAs are
        torn down afterwards, outside the timing.  Used by the benchmarks.
        """
        rec = self.recs[initiator]
        conn = next(iter(rec.children))
        child = rec.children[conn][0]
        t0 = time.perf_counter()
        try:
            with charon.session(self._inst(initiator), timeout=self.timeout) as s:
                for _ in s.initiate({"child": child, "ike": conn,
                                     "timeout": int(self.timeout * 1000), "loglevel": -1}):
                    pass
        except (OSError, vici.exception.SessionException, vici.exception.CommandException):
            return None
        took = time.perf_counter() - t0
        self._terminate_all()
        return took

    def _initiate(self, side: Side, conn: str, child: str) -> None:
        try:
            with charon.session(self._inst(side), timeout=self.timeout) as s:
                for _ in s.initiate({"child": child, "ike": conn,
                                     "timeout": int(self.timeout * 1000), "loglevel": -1}):
                    pass
        except (OSError, vici.exception.SessionException, vici.exception.CommandException):
            pass  # the outcome is read from state and logs

    def _new_lines(self, offsets: dict[str, int]) -> list[str]:
        out: list[str] = []
        for side in ("a", "b"):
            with open(self._inst(side).log, encoding="utf-8", errors="replace") as fh:  # type: ignore[arg-type]
                fh.seek(offsets[side])
                out += [f"[{side}] {ln.rstrip()}" for ln in fh]
        return out


def mirrored(a: Rule, b: Rule) -> bool:
    """``b``'s filters are exactly ``a``'s seen from the other end."""
    def key(r: Rule, flip: bool) -> set[tuple[object, ...]]:
        return {(f.remote, f.local, f.protocol, f.remote_port, f.local_port) if flip
                else (f.local, f.remote, f.protocol, f.local_port, f.remote_port)
                for f in r.filters}
    return key(a, False) == key(b, True)


def host_to_host(rule: Rule) -> bool:
    """Every filter is exactly this end's IKE address <-> the peer's IKE address."""
    own, peer = IPv4Network(f"{rule.local_address}/32"), IPv4Network(f"{rule.peer_address}/32")
    return all(f.local == own and f.remote == peer for f in rule.filters)


def untestable(a: End, b: End, datapath: Datapath) -> str | None:
    """Why this data path cannot show the pair's outcome (None when it can).

    With the modes kept as planned, a transport rule negotiates for real.  kernel-libipsec
    always encapsulates ESP in UDP and fakes NAT detection ("remote host is behind NAT"), so
    charon applies its transport-mode-behind-NAT handling and replaces transport selectors
    with the IKE addresses: for a host-to-host rule that changes nothing, for any other
    selectors the outcome would be that of a NATed path, not of this one.
    """
    if datapath != "libipsec" or a[1].mode == b[1].mode:
        return None
    bad = [r.name for _, r in (a, b) if r.mode == "transport" and not host_to_host(r)]
    if bad:
        return (f"{', '.join(bad)}: transport mode with selectors other than the two IKE "
                "addresses; kernel-libipsec fakes a NAT, so charon would narrow them to the IKE "
                "addresses")
    return None


def negotiate_pair(a: End, b: End, *, initiator: Literal["a", "b", "both"] = "both",
                   datapath: str = "auto", resolver: SecretResolver | None = None,
                   timeout: float = 12.0, rekey: bool = False) -> PairResult:
    """Bring ``a`` and ``b`` up between two namespaces and report what really happened.

    ``initiator="both"`` negotiates twice in the same namespaces (all SAs are torn down in
    between); ``rekey`` forces one CHILD_SA rekey after each establishment.
    """
    with PairLab(a, b, datapath=datapath, resolver=resolver, timeout=timeout) as lab:
        assert lab.state is not None
        why = untestable(a, b, lab.state.datapath)
        if why:
            return PairResult([PairOutcome("UNTESTABLE", "a", why, 0.0)], lab.subs,
                              lab.state.datapath)
        sides: list[Side] = ["a", "b"] if initiator == "both" else [initiator]
        return PairResult([lab.negotiate(s, rekey) for s in sides], lab.subs,
                          lab.state.datapath)
