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
``UNTESTABLE`` is returned (not a guess) where this data path cannot show the difference:
a transport/tunnel mode mismatch on kernel-libipsec, which runs both as tunnels.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from pathlib import Path
from typing import Literal

import vici

from ccsec.formats.base import RenderContext
from ccsec.formats.strongswan import FORMAT
from ccsec.lab import charon, netns, pki
from ccsec.lab.build import preflight
from ccsec.lab.datapath import detect
from ccsec.lab.state import CharonRecord, LabState, new_id, new_state, save, teardown
from ccsec.lab.transform import Datapath, Substitution, lab_ca_name, transform_end
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

    def to_json(self) -> dict[str, object]:
        return {"status": self.status, "initiator": self.initiator, "detail": self.detail,
                "seconds": round(self.seconds, 2), "ike": self.ike, "esp": self.esp}


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

    Phase matters: NO_PROPOSAL_CHOSEN before any IKE SA is up is a phase-1 failure, after it
    (IKEv1 quick mode, IKEv2 IKE_AUTH/CREATE_CHILD_SA) a phase-2 one.
    """
    done = next((i for i, ln in enumerate(lines) if PHASE1_DONE.search(ln)), None)
    stages = [(lines if done is None else lines[:done], BEFORE_PHASE1)]
    if done is not None:
        stages = [(lines[done:], AFTER_PHASE1)]
    for chunk, table in stages:
        for status, rx in table:
            for line in chunk:
                if rx.search(line):
                    return status, line.strip()
    return None


def _responder(rule: Rule) -> Rule:
    return rule.model_copy(update={"initiate": False})


class PairLab:
    """Two namespaces with one charon each and a router between them (context manager)."""

    def __init__(self, a: End, b: End, *, datapath: str = "auto",
                 resolver: SecretResolver | None = None, timeout: float = 12.0) -> None:
        self.ends = {"a": a, "b": b}
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
            lab_ends[side] = lab_end  # type: ignore[index]
            self.subs += subs
        self.subs.append(Substitution(end="both", rule=None,
                                      change="start action: trap only; the lab initiates",
                                      reason="the test chooses which side initiates"))
        self._topology(names)
        work = Path(st.workdir)
        ctx = RenderContext("pair", "-", self.resolver)
        cas: dict[str, pki.LabCA] = {}  # one CA per distinct name: same name, same CA
        for side, end in lab_ends.items():
            rule = end.rules[0]
            ca_dn = lab_ca_name(next((x.ca for x in rule.auth if x.ca), None))
            ca_pem = key = cert = None
            if pki.needs_certificate(end):
                if ca_dn not in cas:
                    cas[ca_dn] = pki.make_ca(work / f"pki-{len(cas)}", ca_dn)
                ca = cas[ca_dn]
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
            netns.batch([["link", "set", "lo", "up"], ["link", "set", "eth0", "up"],
                         ["addr", "add", f"{addr}/32", "dev", "eth0"],
                         ["route", "add", f"{ROUTER}/32", "dev", "eth0"],
                         ["route", "add", "default", "via", str(ROUTER), "dev", "eth0"]],
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

    def _established(self, conn_a: str, conn_b: str) -> tuple[bool, str | None, str | None]:
        ok = True
        ike = esp = None
        for side, conn in (("a", conn_a), ("b", conn_b)):
            sas = [s for s in charon.list_sas(self._inst(side))  # type: ignore[arg-type]
                   if s.name == conn and s.state == "ESTABLISHED"]
            kids = [c for s in sas for c in s.children if c.state == "INSTALLED"]
            ok = ok and bool(kids)
            if sas and kids:
                ike, esp = sas[0].proposal, "/".join(x for x in (kids[0].encr, kids[0].integ,
                                                                    kids[0].dh) if x)
        return ok, ike, esp

    def negotiate(self, initiator: Side) -> PairOutcome:
        """Initiate from ``initiator``; classify by vici state, then by the charon logs."""
        self._terminate_all()
        offsets = {s: self._inst(s).log.stat().st_size for s in ("a", "b")}  # type: ignore[arg-type]
        rec = self.recs[initiator]
        conn = next(iter(rec.children))
        child = rec.children[conn][0]
        other: Side = "b" if initiator == "a" else "a"
        other_conn = next(iter(self.recs[other].children))
        t0 = time.monotonic()
        thread = threading.Thread(target=self._initiate, args=(initiator, conn, child),
                                  daemon=True)
        thread.start()
        lines: list[str] = []
        while time.monotonic() - t0 < self.timeout:
            ok, ike, esp = self._established(*((conn, other_conn) if initiator == "a"
                                               else (other_conn, conn)))
            if ok:
                return PairOutcome("ESTABLISHED", initiator, "IKE and CHILD SA up at both ends",
                                   time.monotonic() - t0, ike, esp)
            lines = self._new_lines(offsets)
            found = classify(lines)
            if found and time.monotonic() - t0 > 0.3:
                return PairOutcome(found[0], initiator, found[1], time.monotonic() - t0,
                                   log=lines[-40:])
            time.sleep(0.2)
        found = classify(self._new_lines(offsets))
        status, detail = found or ("MISSING_END_POINT", f"nothing decisive in {self.timeout} s")
        return PairOutcome(status, initiator, detail, time.monotonic() - t0, log=lines[-40:])

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


def untestable(a: End, b: End, datapath: Datapath) -> str | None:
    """Why this data path cannot show the pair's difference (None when it can)."""
    if datapath == "libipsec" and a[1].mode != b[1].mode:
        return "mode mismatch: kernel-libipsec runs transport mode as a tunnel on both ends"
    return None


def negotiate_pair(a: End, b: End, *, initiator: Literal["a", "b", "both"] = "both",
                   datapath: str = "auto", resolver: SecretResolver | None = None,
                   timeout: float = 12.0) -> PairResult:
    """Bring ``a`` and ``b`` up between two namespaces and report what really happened."""
    with PairLab(a, b, datapath=datapath, resolver=resolver, timeout=timeout) as lab:
        assert lab.state is not None
        dp = lab.state.datapath
        why = untestable(a, b, dp)
        if why:
            return PairResult([PairOutcome("UNTESTABLE", "a", why, 0.0)], lab.subs, dp)
        sides: list[Side] = ["a", "b"] if initiator == "both" else [initiator]
        return PairResult([lab.negotiate(s) for s in sides], lab.subs, dp)
