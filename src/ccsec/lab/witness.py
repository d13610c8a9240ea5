"""A second IKE implementation as witness: libreswan against a ccsec-rendered strongSwan end.

The lab proves the rendered files with strongSwan on both ends of every path; a defect both
ends share (how ccsec writes a proposal, an identity, a certificate constraint) could pass
there unnoticed.  The witness takes one path, plays one end with strongSwan from that end's
own rendered swanctl.conf (as ``lab up`` does: the platform file read back), and the other end
with libreswan's pluto, configured from that end's platform file by :mod:`.libreswan` — an IKE
implementation ccsec's renderer never wrote for.  Both directions are negotiated (each end
initiates once, with fresh daemons), and both implementations' own records are read: the IKE
SA (proposal, authentication, identities, certificates) and the CHILD SA (proposal and traffic
selectors accepted).

Without ESP in the kernel (this machine: the lab's data path probe says so), pluto cannot
install the CHILD SA it agreed to: what is checked is then the IKE exchange — IKE SA
authenticated and CHILD SA negotiated — and the kernel's refusal is reported, not hidden.
strongSwan, running kernel-libipsec, installs its side.

Substitutions, reported like the lab's: Kerberos → the lab CA, transport → host-to-host tunnel
(kernel-libipsec), no NAT between the two (the end behind a NAT listens on its public address),
and RSA certificates from a witness CA of the deployment's root CA name (libreswan's IKEv1 signs
with RSA only).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from shutil import which
from typing import Literal

import vici

from ccsec.deployment.model import Deployment
from ccsec.errors import Problem, UnsupportedError
from ccsec.formats.base import RenderContext
from ccsec.formats.strongswan.swanctl import FORMAT
from ccsec.lab import charon, netns, pki
from ccsec.lab.build import play_all, preflight, start_charon
from ccsec.lab.errors import lab_error
from ccsec.lab.libreswan import (
    TOOLS,
    Install,
    PlutoReading,
    Unsupported,
    config,
    conn_lines,
    read_log,
)
from ccsec.lab.libreswan import secrets as secrets_text
from ccsec.lab.proc import ProcRef, run
from ccsec.lab.sas import instance
from ccsec.lab.state import CharonRecord, LabState, new_id, new_state, save, teardown
from ccsec.lab.transform import Substitution, lab_ca_name, summarize, transform_end
from ccsec.plan import plan
from ccsec.policy import Auth, EndPolicy, PolicySet, Rule
from ccsec.secrets import SecretResolver

Initiator = Literal["strongswan", "libreswan"]
#: how long a negotiation may take (both daemons retransmit within it)
NEGOTIATE_S = 12.0
PLUTO_START_S = 10.0
SETTLE_S = 0.5
#: the interfaces of the two namespaces (one veth, no router, no NAT)
SW_IF, LS_IF = "sw0", "ls0"

NO_NAT = ("{end} listens on {address}, the address its peer sends to",
          "the witness joins the two ends directly, without the NAT between them")
RSA = ("RSA certificates from a witness CA named '{ca}'",
       "libreswan's IKEv1 signs with RSA only; strongSwan checks the same names")


@dataclass
class WitnessRun:
    """One negotiation between strongSwan and libreswan, as both recorded it."""

    path: str
    initiator: Initiator
    strongswan_end: str
    libreswan_end: str
    ike_version: int
    strongswan_ike: bool = False
    strongswan_child: bool = False
    libreswan: PlutoReading | None = None
    evidence: list[str] = field(default_factory=list)

    @property
    def negotiated(self) -> bool:
        """IKE SA up at both implementations and the CHILD SA agreed (libreswan accepted or
        installed it, or strongSwan installed it)."""
        pluto = self.libreswan
        return (self.strongswan_ike and pluto is not None and pluto.ike
                and (pluto.child or self.strongswan_child))

    def to_json(self) -> dict[str, object]:
        pluto = self.libreswan
        return {
            "path": self.path, "initiator": self.initiator,
            "strongswan_end": self.strongswan_end, "libreswan_end": self.libreswan_end,
            "ike_version": self.ike_version, "negotiated": self.negotiated,
            "strongswan": {"ike_sa": self.strongswan_ike, "child_sa_installed":
                           self.strongswan_child},
            "libreswan": {"ike_sa": bool(pluto and pluto.ike),
                          "child_sa_negotiated": bool(pluto and pluto.child),
                          "child_sa_installed": bool(pluto and pluto.installed),
                          "kernel_refused_esp": bool(pluto and pluto.kernel_refused)},
            "evidence": self.evidence,
        }


@dataclass
class Witness:
    """The witness runs of one deployment, and what the lab changed to run them."""

    runs: list[WitnessRun] = field(default_factory=list)
    substitutions: list[Substitution] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.runs) and all(r.negotiated for r in self.runs)


def check_installed() -> None:
    """libreswan unpacked, the NSS tools and openssl present (else a clear error)."""
    missing = Install.find().missing()
    if missing:
        raise lab_error(missing, fix="make system-deps (as root)")
    absent = [t for t in TOOLS if which(t) is None]
    if absent:
        raise lab_error(f"missing tools: {', '.join(absent)}",
                        fix="install libnss3-tools and openssl: make system-deps")


def _one_rule(end: EndPolicy, path_id: str) -> EndPolicy:
    return end.model_copy(update={"rules": (end.rule(path_id),)})


STRONGSWAN_PLATFORMS = ("linux", "strongswan")


def sides(ends: list[tuple[str, str | None]]) -> tuple[int, int]:
    """(strongSwan end, libreswan end) of a path's two ``(owner, platform)`` ends: a real
    strongSwan end keeps strongSwan (its own swanctl.conf is then what libreswan meets);
    otherwise the second end is libreswan's (Communications Manager's side of a path runs
    Openswan/Libreswan on the real node)."""
    first, second = (p in STRONGSWAN_PLATFORMS for _, p in ends)
    return (1, 0) if second and not first else (0, 1)


def playable(rule: Rule) -> str | None:
    """Why libreswan cannot play ``rule`` (None when it can); Kerberos counts as the lab
    certificate that replaces it."""
    if any(a.method == "kerberos" for a in rule.auth):
        rule = rule.model_copy(update={"auth": (Auth(method="certificate"),)})
    try:
        conn_lines(rule, "x", False)
    except Unsupported as exc:
        return str(exc)
    return None


def default_paths(dep: Deployment, profile: str | None = None) -> list[str]:
    """The first site tunnel and the first host path of the deployment that libreswan can
    play (its IKEv1 has no elliptic-curve PFS, its builds no DH group 2)."""
    ps = plan(dep, profile)
    out = []
    for mode in ("tunnel", "transport"):
        out += [p.id for p in ps.paths if p.mode == mode
                and all(playable(r) is None for _, r in ps.rules_for(p.id))][:1]
    return out


def document(w: Witness) -> dict[str, object]:
    """The witness report as JSON-able data."""
    return {"ok": w.ok, "runs": [r.to_json() for r in w.runs],
            "substitutions": summarize(w.substitutions),
            "libreswan_root": str(Install.find().root)}


def check_paths(ps: PolicySet, path_ids: list[str]) -> None:
    """Every id names a path or site tunnel of the plan (else a clear error, before anything is
    made)."""
    known = {p.id for p in ps.paths}
    unknown = [p for p in path_ids if p not in known]
    if unknown:
        raise UnsupportedError(Problem(f"no path {', '.join(unknown)} in this deployment",
                                       field="--path", fix="see 'ccsec paths'"))


def run_witness(dep: Deployment, path_ids: list[str], *, profile: str | None = None,
                base: Path | None = None,
                step: Callable[[str], None] | None = None) -> Witness:
    """Negotiate every path of ``path_ids`` both ways between strongSwan and libreswan
    (:func:`sides` says which end each plays)."""
    say = step or (lambda _m: None)
    preflight()
    check_installed()
    ps = plan(dep, profile)
    check_paths(ps, path_ids)
    known = {p.id: p for p in ps.paths}
    ctx = RenderContext(dep.deployment, ps.profile, SecretResolver(base or Path.cwd()),
                        strongswan_version=dep.strongswan_version)
    ca_dn = lab_ca_name(dep.pki.root_ca if dep.pki else None)
    out = Witness()
    for path_id in path_ids:
        path = known[path_id]
        owners = [e.host for e in path.ends]
        played = {p.end.owner: p for p in play_all(dep, ps, set(owners), ctx)}
        ends = []
        for owner in owners:
            end, subs = transform_end(_one_rule(played[owner].end, path_id), "libipsec", ca_dn)
            ends.append(end)
            out.substitutions += played[owner].subs + subs
        a, b = sides([(e.owner or e.name, e.platform) for e in ends])
        sw, ls = ends[a], ends[b]
        why = playable(ls.rule(path_id))
        if why:
            raise UnsupportedError(Problem(f"libreswan cannot play {ls.owner} on {path_id}: "
                                           f"{why}", field="--path",
                                           fix="choose another path (ccsec paths)"))
        ls, moved = _without_nat(sw, ls, path_id)
        out.substitutions += moved
        out.substitutions.append(Substitution(end=ls.owner or ls.name, rule=path_id,
                                              change=RSA[0].format(ca=ca_dn), reason=RSA[1]))
        for initiator in ("strongswan", "libreswan"):
            say(f"{path_id}: {initiator} initiates")
            out.runs.append(_negotiate(sw, ls, path_id, initiator, ctx, ca_dn))
    return out


def _without_nat(sw: EndPolicy, ls: EndPolicy, path_id: str
                 ) -> tuple[EndPolicy, list[Substitution]]:
    """The libreswan end listens on the address the strongSwan end sends to (a NAT's public
    address when the path crosses one)."""
    target = sw.rule(path_id).peer_address
    rule = ls.rule(path_id)
    if rule.local_address == target:
        return ls, []
    moved = rule.model_copy(update={"local_address": target})
    owner = ls.owner or ls.name
    sub = Substitution(end=owner, rule=path_id,
                       change=NO_NAT[0].format(end=owner, address=target), reason=NO_NAT[1])
    return ls.model_copy(update={"rules": (moved,)}), [sub]


# ----------------------------------------------------------------------- one negotiation


def _negotiate(sw: EndPolicy, ls: EndPolicy, path_id: str, initiator: Initiator,
               ctx: RenderContext, ca_dn: str) -> WitnessRun:
    rule_sw, rule_ls = sw.rule(path_id), ls.rule(path_id)
    result = WitnessRun(path_id, initiator, sw.owner or sw.name, ls.owner or ls.name,
                        rule_sw.ike.version)
    lab = new_id(None)
    state = new_state(lab, "witness", "", "libipsec", "witness: strongSwan kernel-libipsec")
    try:
        _topology(state, rule_sw, rule_ls)
        work = Path(state.workdir)
        ca = pki.make_ca(work / "pki", ca_dn, kind="rsa")
        # strongSwan: the end's rendered swanctl.conf, started as the lab starts every charon
        rec = CharonRecord(owner=result.strongswan_end, ns=f"{state.prefix}sw",
                           dir=str(work / "sw"), kind="host")
        state.charons.append(rec)
        save(state)
        cred = pki.issue(ca, sw, work / "pki", kind="rsa") if pki.needs_certificate(sw) else None
        inst = instance(rec)
        charon.prepare(inst, "libipsec", None, FORMAT.render(sw, ctx), ca.cert,
                       cred.key if cred else None, cred.cert if cred else None)
        start_charon(state, rec)
        # libreswan: the peer's rule as pluto's connection
        ls_dir = work / "ls"
        _pluto_files(ls_dir, ls, rule_ls, ca, initiator == "libreswan", ctx)
        _start_pluto(state, ls_dir)
        if initiator == "strongswan":
            for child in rec.children.get(path_id, [path_id]):
                _initiate(inst, path_id, child)
        _wait(result, inst, ls_dir / "pluto.log", path_id)
        result.evidence += [f"strongswan: {ln}" for ln in _charon_lines(inst.log)]
        assert result.libreswan is not None
        result.evidence += [f"libreswan: {ln}" for ln in result.libreswan.evidence]
        if result.libreswan.kernel_refused:
            result.evidence.append("note: pluto agreed to the CHILD SA but this kernel has no "
                                   "ESP to install it (the lab's data path probe says the same)")
        return result
    finally:
        teardown(state)


def _inside(rule: Rule) -> list[list[str]]:
    """An address of each protected local network on ``lo``, as a gateway has on its LAN:
    charon routes a tunnel's traffic from an address inside its local selector."""
    out = []
    for net in dict.fromkeys(f.local for f in rule.filters):
        if net.num_addresses > 2 and rule.local_address not in net:
            out.append(["addr", "add", f"{next(net.hosts())}/{net.prefixlen}", "dev", "lo"])
    return out


def _topology(state: LabState, sw: Rule, ls: Rule) -> None:
    """Two namespaces, one veth: each side holds its IKE address and reaches the other's."""
    a, b = f"{state.prefix}sw", f"{state.prefix}ls"
    state.extra_ns += [a, b]
    save(state)  # write-ahead, as the lab does
    netns.add_all([a, b])
    netns.batch([["link", "add", SW_IF, "netns", a, "type", "veth", "peer", "name", LS_IF,
                  "netns", b]])
    for ns, dev, own, peer in ((a, SW_IF, sw, ls), (b, LS_IF, ls, sw)):
        netns.batch([["link", "set", "lo", "up"], ["link", "set", dev, "up"],
                     ["addr", "add", f"{own.local_address}/32", "dev", dev],
                     ["route", "add", f"{peer.local_address}/32", "dev", dev],
                     *_inside(own)], ns)


def _pluto_files(directory: Path, end: EndPolicy, rule: Rule, ca: pki.LabCA, initiate: bool,
                 ctx: RenderContext) -> None:
    """ipsec.conf, ipsec.secrets and the NSS database (CA trusted, the end's key and
    certificate imported under the end's name)."""
    (directory / "nss").mkdir(parents=True)
    (directory / "run").mkdir()
    owner = end.owner or end.name
    cert = None
    if pki.needs_certificate(end):
        cred = pki.issue(ca, end, directory, kind="rsa")
        nss = f"sql:{directory / 'nss'}"
        run(["certutil", "-N", "-d", nss, "--empty-password"])
        run(["certutil", "-A", "-d", nss, "-n", "witness-ca", "-t", "CT,,", "-a", "-i",
             str(ca.cert_path)])
        (directory / "own.pem").write_text(cred.cert, encoding="ascii")
        key = directory / f"{owner}.key"  # written 0600 by pki.issue
        p12 = directory / "own.p12"
        run(["openssl", "pkcs12", "-export", "-in", str(directory / "own.pem"), "-inkey",
             str(key), "-name", owner, "-passout", "pass:", "-out", str(p12)])
        run(["pk12util", "-i", str(p12), "-d", nss, "-W", ""])
        cert = owner
    else:
        run(["certutil", "-N", "-d", f"sql:{directory / 'nss'}", "--empty-password"])
    try:
        text = config([(rule, initiate)], cert, directory / "pluto.log")
    except Unsupported as exc:
        raise UnsupportedError(Problem(f"libreswan cannot play rule {rule.name}: {exc}",
                                       field=f"witness end {owner}")) from None
    (directory / "ipsec.conf").write_text(text, encoding="utf-8")
    key_text = None
    if rule.auth[0].method == "psk":
        key_text = ctx.reveal(rule.auth[0].psk, f"rule {rule.name} psk")
    fd = os.open(directory / "ipsec.secrets", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(secrets_text(rule, key_text))


def _start_pluto(state: LabState, directory: Path) -> ProcRef:
    """pluto in the libreswan namespace, with the unpacked root's /usr/libexec bound over the
    host's in a private mount namespace (its helpers' path is compiled in)."""
    install = Install.find()
    ns = f"{state.prefix}ls"
    args = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
            'mount --bind "$1" /usr/libexec && shift && exec "$@"', "sh", str(install.libexec),
            "ip", "netns", "exec", ns, str(install.pluto), "--nofork",
            "--config", str(directory / "ipsec.conf"), "--nssdir", str(directory / "nss"),
            "--rundir", str(directory / "run"), "--secretsfile", str(directory / "ipsec.secrets"),
            "--ipsecdir", str(directory), "--logfile", str(directory / "pluto.log"),
            "--no-dnssec"]
    with open(directory / "pluto.out", "ab") as out:
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    ref = ProcRef.of(proc.pid)
    deadline = time.monotonic() + PLUTO_START_S
    log = directory / "pluto.log"
    while time.monotonic() < deadline:
        if not ref.alive():
            tail = (directory / "pluto.out").read_text(errors="replace").splitlines()[-2:]
            raise lab_error(f"pluto exited at start: {' | '.join(tail) or '-'}",
                            fix=f"see {log}")
        if log.exists() and "listening for IKE messages" in log.read_text(errors="replace"):
            return ref
        time.sleep(0.1)
    raise lab_error(f"pluto did not start within {PLUTO_START_S:g} s", fix=f"see {log}")


def _initiate(inst: charon.Instance, conn: str, child: str) -> None:
    try:
        with charon.session(inst, timeout=NEGOTIATE_S) as s:
            for _ in s.initiate({"child": child, "ike": conn,
                                 "timeout": int(NEGOTIATE_S * 1000) - 2000, "loglevel": -1}):
                pass
    except (OSError, vici.exception.SessionException, vici.exception.CommandException):
        pass  # what happened is read from both daemons' records


def _wait(result: WitnessRun, inst: charon.Instance, pluto_log: Path, conn: str) -> None:
    """Poll both implementations until the IKE SA and CHILD SA are settled (bounded)."""
    deadline = time.monotonic() + NEGOTIATE_S
    while True:
        sas = [s for s in charon.list_sas(inst) if s.name == conn]
        result.strongswan_ike = any(s.state == "ESTABLISHED" for s in sas)
        result.strongswan_child |= any(c.state == "INSTALLED" for s in sas for c in s.children)
        result.libreswan = read_log(pluto_log.read_text(errors="replace")
                                    if pluto_log.exists() else "")
        done = result.strongswan_ike and result.libreswan.ike and (
            result.libreswan.child or result.strongswan_child)
        if done or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    time.sleep(SETTLE_S)  # pluto logs its kernel's answer just after the exchange
    result.libreswan = read_log(pluto_log.read_text(errors="replace")
                                if pluto_log.exists() else "")


def _charon_lines(log: Path) -> list[str]:
    """charon's own account: the IKE and CHILD SA it established, or why not."""
    keep = ("established between", "CHILD_SA", "selected proposal", "authentication of",
            "no peer config", "NO_PROPOSAL_CHOSEN", "AUTHENTICATION_FAILED", "TS_UNACCEPTABLE",
            "constraint check failed", "no acceptable")
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return []
    return [ln.strip() for ln in lines if any(k in ln for k in keep)][:8]
