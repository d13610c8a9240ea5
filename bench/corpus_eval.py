"""Measure the audit on configurations nobody here wrote: strongSwan's own test scenarios and
Batfish's IOS parser tests.

    python bench/corpus_eval.py --strongswan ../shared/corpora/strongswan-tests \\
        --ios ../shared/corpora/batfish-ios [--write]

strongSwan (``testing/tests/<suite>/<scenario>``): each scenario has ``evaltest.dat`` — lines
``host::command::regex::YES|NO`` the harness greps for in each host's output — and each host's
``etc/`` files.  Addresses are placeholders (``PH_IP_MOON``, ``PH_IP6_SUN1``…) that the harness
(``testing/do-tests``) replaces with the addresses of ``HOSTNAMEIPV4``/``HOSTNAMEIPV6`` in
``testing.conf`` (first address ``PH_IP_<HOST>``, second ``PH_IP_<HOST>1``); this script does
the same into a scratch copy, then audits every scenario in this one process with
``--hosts strongswan-test-hosts``.

What it prints:

* read rates: swanctl connections built / connections in the files (a connection is built when
  at least one rule came from it); ipsec.conf conns built / conns strongSwan loads (``auto`` other
  than ``ignore``); files rejected whole;
* agreement per suite: an evaltest line that greps ``ESTABLISHED`` on host H names its peer P
  (``remote-id``, else ``remote-host``, else the host names and addresses in the pattern).  A pair
  {H, P} is expected ESTABLISHED when any such line says YES, expected not established when all
  say NO.  Only pairs where both hosts have a strongSwan config in the scenario count.  ccsec
  agrees when one of its sessions between an end of H and an end of P is ESTABLISHED (expected
  YES), or none is (expected NO);
* crashes (any exception the audit raises), the remaining causes of disagreement by count;
* IOS: every crypto map entry, dynamic map entry, tunnel interface and IKEv2 profile, and
  whether it became a rule or a note explains it.

Not part of ``make test``: the corpus is not part of the repository (``../shared/corpora``).
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from ipaddress import ip_address
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import append, src_path, table

src_path()

HOST_LINE = re.compile(r'HOSTNAMEIPV([46])="(.*?)"', re.S)
ESTABLISHED = "ESTABLISHED"


# ------------------------------------------------------------------ the harness's placeholders


@dataclass
class TestNet:
    """The test network as the harness knows it: host → addresses, and the placeholders."""

    addresses: dict[str, list[str]] = field(default_factory=dict)
    placeholders: dict[str, str] = field(default_factory=dict)

    def host_of(self, address: str) -> str | None:
        try:
            want = ip_address(address)
        except ValueError:
            return None
        for host, addrs in self.addresses.items():
            if any(ip_address(a) == want for a in addrs):
                return host
        return None

    def replace(self, text: str) -> str:
        if "PH_IP" not in text:
            return text
        for key in sorted(self.placeholders, key=len, reverse=True):
            text = text.replace(key, self.placeholders[key])
        return text


def read_testnet(testing_conf: Path) -> TestNet:
    """``HOSTNAMEIPV4``/``HOSTNAMEIPV6`` of testing.conf: ``host,addr1,addr2 …``; the harness
    maps ``PH_IP_<HOST>`` to the first IPv4 address and ``PH_IP_<HOST>1`` to the second (the
    same with ``PH_IP6_`` for IPv6)."""
    net = TestNet()
    for family, body in HOST_LINE.findall(testing_conf.read_text(encoding="utf-8")):
        for entry in body.replace("\\", " ").split():
            host, *addrs = entry.split(",")
            net.addresses.setdefault(host, []).extend(addrs)
            prefix = "PH_IP_" if family == "4" else "PH_IP6_"
            for n, addr in enumerate(addrs[:2]):
                net.placeholders[f"{prefix}{host.upper()}{'1' if n else ''}"] = addr
    return net


# ------------------------------------------------------------------------ what evaltest expects


@dataclass
class Expect:
    host: str
    peer: str
    yes: bool
    line: int
    text: str


def _hosts_in(text: str, net: TestNet) -> list[str]:
    """Host names, addresses and address fragments in a regex, in order of appearance."""
    found: list[tuple[int, str]] = []
    for host in net.addresses:
        for m in re.finditer(rf"(?<![A-Za-z]){host}(?![A-Za-z0-9])", text):
            found.append((m.start(), host))
    for m in re.finditer(r"\d+\.\d+\.\d+\.\d+", text):
        h = net.host_of(m.group(0))
        if h:
            found.append((m.start(), h))
    for m in re.finditer(r"\\?\[([0-9a-f:.*]+)\\?\]", text):  # stroke's [fec0.*:10]
        frag = m.group(1)
        if ":" not in frag:
            continue
        rx = re.compile("^" + frag.replace(".*", ".*") + "$")
        hits = [h for h, addrs in net.addresses.items()
                for a in addrs if ":" in a and rx.match(a)]
        if len(set(hits)) == 1:
            found.append((m.start(), hits[0]))
    return [h for _, h in sorted(found)]


def peer_of(host: str, pattern: str, net: TestNet) -> str | None:
    """The host at the other end of the SA an evaltest pattern looks for."""
    rid = re.search(r"remote-id=(.+?)(?: [a-z-]+=|\.\*|$)", pattern)
    if rid:
        named = [h for h in _hosts_in(rid.group(1), net) if h != host]
        if named:
            return named[0]
    rhost = re.search(r"remote-host=([0-9a-f.:]+)", pattern)
    if rhost:
        h = net.host_of(rhost.group(1).rstrip("."))
        if h and h != host:
            return h
    others = [h for h in _hosts_in(pattern, net) if h != host]
    return others[-1] if others else None


def expectations(evaltest: Path, net: TestNet) -> list[Expect]:
    out: list[Expect] = []
    for n, raw in enumerate(evaltest.read_text(encoding="utf-8", errors="replace").splitlines(),
                            start=1):
        parts = [p.strip() for p in raw.split("::")]
        if len(parts) < 4 or ESTABLISHED not in parts[2] or parts[3] not in ("YES", "NO"):
            continue
        if not any(c in parts[1] for c in ("list-sa", "ipsec status")):
            continue
        host, pattern, verdict = parts[0], net.replace(parts[2]), parts[3]
        peer = peer_of(host, pattern, net)
        if peer is None:
            continue
        out.append(Expect(host, peer, verdict == "YES", n, raw.strip()))
    return out


# ----------------------------------------------------------------------------- one scenario


CONFIG_NAMES = ("swanctl.conf", "ipsec.conf")


@dataclass
class Outcome:
    scenario: str
    suite: str
    hosts_with_config: set[str] = field(default_factory=set)
    incomplete: set[str] = field(default_factory=set)
    #: pairs left out: a host without connections in its files, or with a missing include
    excluded: dict[frozenset[str], str] = field(default_factory=dict)
    #: pair → (expected established, ccsec established, why ccsec said so)
    pairs: dict[frozenset[str], tuple[bool, bool, str]] = field(default_factory=dict)
    swanctl: list[int] = field(default_factory=lambda: [0, 0])  # built, total
    ipsec: list[int] = field(default_factory=lambda: [0, 0])
    rejected: list[str] = field(default_factory=list)
    crash: str | None = None
    seconds: float = 0.0


INCLUDE = re.compile(r"(?m)^\s*include\s+(\S+)\s*$")


def copy_scenario(scenario: Path, dest: Path, net: TestNet) -> tuple[set[str], set[str]]:
    """Each host's etc/ files into ``dest/<host>/``, placeholders replaced.  Returns the hosts
    whose files define at least one connection, and those whose configuration includes a file
    the corpus does not hold (their configuration is incomplete here)."""
    with_config: set[str] = set()
    incomplete: set[str] = set()
    for host_dir in sorted((scenario / "hosts").iterdir()):
        etc = host_dir / "etc"
        for f in etc.rglob("*"):
            if not f.is_file() or f.name == "iptables.rules":
                continue
            target = dest / host_dir.name / f.relative_to(etc)
            target.parent.mkdir(parents=True, exist_ok=True)
            text = f.read_text(encoding="utf-8", errors="replace")
            target.write_text(net.replace(text), encoding="utf-8")
        for f in (dest / host_dir.name).rglob("*"):
            if f.name not in CONFIG_NAMES:
                continue
            count = count_swanctl(f, dest) if f.name == "swanctl.conf" else count_ipsec(f)
            if count:
                with_config.add(host_dir.name)
            for pattern in INCLUDE.findall(f.read_text(encoding="utf-8")):
                if not list(f.parent.glob(pattern)):
                    incomplete.add(host_dir.name)
    return with_config, incomplete


def count_swanctl(path: Path, root: Path) -> int:
    """Connections in a swanctl.conf, includes followed inside the scenario ``root`` as the
    audit follows them.  A file with a grammar error (strongSwan refuses it too) is counted by
    its section headers; any other error is the bench's own and raised (a broad fallback here
    once hid an API change and counted every section as a connection)."""
    from ccsec.errors import ParseError
    from ccsec.formats.strongswan.include import confined
    from ccsec.formats.strongswan.swanconf import parse_conf
    from ccsec.formats.strongswan.swanctl_read import includer

    text = path.read_text(encoding="utf-8")
    try:
        with confined([root]):
            conf = parse_conf(text, str(path), includer(str(path), []))
    except ParseError:
        return len(re.findall(r"(?m)^\s{1,8}[\w.-]+\s*(?::\s*[\w.,\s-]+)?\{", text))
    conns = conf.section("connections")
    return len(conns.sections()) if conns else 0


def count_ipsec(path: Path) -> int:
    """``conn`` sections strongSwan loads: ``auto`` (from the conn, its also= chain or
    %default) other than ``ignore``."""
    conns: dict[str, dict[str, str]] = {}
    cur: dict[str, str] | None = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].rstrip()
        m = re.match(r"^conn\s+(\S+)", line)
        if m:
            cur = conns.setdefault(m.group(1), {})
            continue
        if line and not line[0].isspace():
            cur = None
            continue
        kv = re.match(r"^\s+(\w+)\s*=\s*(.*)$", line)
        if kv and cur is not None:
            cur.setdefault(kv.group(1), kv.group(2).strip())  # first also= is enough here
            if kv.group(1) == "also":
                cur.setdefault("_also", "")
                cur["_also"] += " " + kv.group(2)
    default = conns.pop("%default", {})

    def auto(name: str, seen: tuple[str, ...] = ()) -> str | None:
        c = conns.get(name, {})
        if "auto" in c:
            return c["auto"]
        for other in c.get("_also", "").split():
            if other not in seen:
                a = auto(other, (*seen, name))
                if a:
                    return a
        return None

    return sum(1 for n in conns if (auto(n) or default.get("auto", "ignore")) != "ignore")


def connections_built(end: object) -> int:
    origins = getattr(end.facts, "origins", None) or {}  # type: ignore[attr-defined]
    rules = end.policy.rules  # type: ignore[attr-defined]
    return len({origins.get(r.name, r.name).split("/")[0] for r in rules})


def run_scenario(scenario: Path, suite: str, scratch: Path, net: TestNet,
                 hosts_file: Path) -> Outcome:
    from ccsec.audit.pipeline import run
    from ccsec.audit.resolve import load_hosts
    from ccsec.errors import UserError

    out = Outcome(f"{suite}/{scenario.name}", suite)
    dest = scratch / suite / scenario.name
    out.hosts_with_config, out.incomplete = copy_scenario(scenario, dest, net)
    for f in dest.rglob("*"):
        if f.name == "swanctl.conf":
            out.swanctl[1] += count_swanctl(f, dest)
        elif f.name == "ipsec.conf":
            out.ipsec[1] += count_ipsec(f)
    t0 = time.perf_counter()
    try:
        result = run(dest, hosts=load_hosts(hosts_file))
    except UserError as exc:
        if "no configuration ccsec reads was recognised" not in str(exc):
            out.crash = f"UserError: {exc}"
            return out
        # no file ccsec reads holds a connection (e.g. an SQL database configures charon):
        # no session; the scenario's pairs are left out below, as hosts without connections
        result = None
    except Exception:
        out.crash = traceback.format_exc(limit=3).strip().splitlines()[-1]
        return out
    finally:
        out.seconds = time.perf_counter() - t0
    if result is None:
        return _judge(out, scenario, net, {})
    for s in result.skipped:
        if s.unreadable:
            out.rejected.append(f"{s.path}:{s.line or ''} {s.reason}")
    for end in result.context.ends:
        built = connections_built(end)
        if end.format == "strongswan":
            out.swanctl[0] += built
        elif end.format == "ipsec-conf":
            out.ipsec[0] += built
    sessions: dict[frozenset[str], list[tuple[bool, str]]] = defaultdict(list)
    for rec in result.context.sessions:
        if rec.b is None:
            continue
        ha, hb = rec.a[0].source.split("/")[0], rec.b[0].source.split("/")[0]
        sessions[frozenset((ha, hb))].append(
            (rec.session.established, f"{rec.session.status}: {rec.session.reason}"))
    return _judge(out, scenario, net, sessions)


def _judge(out: Outcome, scenario: Path, net: TestNet,
           sessions: dict[frozenset[str], list[tuple[bool, str]]]) -> Outcome:
    """Each pair evaltest.dat names, judged against the sessions ccsec found."""
    expected: dict[frozenset[str], bool] = {}
    for e in expectations(scenario / "evaltest.dat", net):
        pair = frozenset((e.host, e.peer))
        if len(pair) != 2:
            continue
        if not pair <= out.hosts_with_config:
            out.excluded[pair] = "a host's files define no connection (e.g. an SQL database)"
            continue
        if pair & out.incomplete:
            out.excluded[pair] = "a host's configuration includes a file the corpus lacks"
            continue
        expected[pair] = expected.get(pair, False) or e.yes
    for pair, yes in expected.items():
        got = sessions.get(pair, [])
        est = any(ok for ok, _ in got)
        why = next((w for ok, w in got if ok == est), "no session between them")
        out.pairs[pair] = (yes, est, why)
    return out


# ---------------------------------------------------------------------------------------- IOS


IOS_OBJECTS = {
    "crypto map entry": re.compile(r"(?m)^crypto map (\S+) (\d+) (?!.*dynamic)(ipsec-isakmp|gdoi|"
                                   r"ipsec-manual)?"),
    "dynamic map entry": re.compile(r"(?m)^crypto dynamic-map (\S+) (\d+)"),
    "tunnel interface": re.compile(r"(?m)^interface (Tunnel\S*)"),
    "IKEv2 profile": re.compile(r"(?m)^crypto ikev2 profile (\S+)"),
}


def run_ios(ios_dir: Path) -> tuple[list[list[object]], list[str], float, int]:
    """Each IOS object of interest: built into a rule, or named by a note (explained)."""
    from ccsec.audit.pipeline import run

    t0 = time.perf_counter()
    rows: list[list[object]] = []
    unexplained: list[str] = []
    crashes = 0
    for f in sorted(p for p in ios_dir.iterdir() if p.is_file()):
        text = f.read_text(encoding="utf-8", errors="replace")
        try:
            result = run(f)
        except Exception:
            crashes += 1
            unexplained.append(f"{f.name}: crash {traceback.format_exc(limit=2).splitlines()[-1]}")
            continue
        ends = result.context.ends
        said = " ".join(n.message for e in ends for n in e.notes)
        said += " " + " ".join(f"{r.name} " for e in ends for r in e.policy.rules)
        said += " " + " ".join(s.reason for s in result.skipped)
        for kind, rx in IOS_OBJECTS.items():
            seen: set[str] = set()
            n_built = n_explained = 0
            for m in rx.finditer(text):
                name = " ".join(g for g in m.groups()[:2] if g)
                if name in seen:
                    continue
                seen.add(name)
                parts = name.split()
                if all(p in said for p in parts):
                    n_built += 1
                else:
                    unexplained.append(f"{f.name}: {kind} {name}")
            n_explained = len(seen) - n_built - sum(1 for u in unexplained
                                                    if u.startswith(f"{f.name}: {kind}"))
            if seen:
                rows.append([f.name, kind, len(seen), n_built + max(n_explained, 0)])
    return rows, unexplained, time.perf_counter() - t0, crashes


# ---------------------------------------------------------------------------------------- main


def scenarios(root: Path) -> list[tuple[str, Path]]:
    return sorted((d.parent.parent.name, d.parent) for d in root.glob("*/*/evaltest.dat")
                  if (d.parent / "hosts").is_dir())


def pct(a: int, b: int) -> str:
    return f"{a}/{b} ({100 * a / b:.1f} %)" if b else "-"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--strongswan", type=Path, help="strongSwan testing/tests directory")
    ap.add_argument("--ios", type=Path, help="directory of IOS configurations")
    ap.add_argument("--testing-conf", type=Path,
                    help="testing.conf (default: strongswan-testing.conf beside --strongswan)")
    ap.add_argument("--hosts", type=Path,
                    help="the test network's hosts file (default: strongswan-test-hosts beside "
                         "--strongswan)")
    ap.add_argument("--only", help="run the scenarios whose suite/name contains this")
    ap.add_argument("--list", action="store_true", help="list every disagreement")
    ap.add_argument("--write", action="store_true", help="append the results to bench/RESULTS.md")
    args = ap.parse_args(argv)
    body: list[str] = []
    t_all = time.perf_counter()
    disagreements: list[str] = []
    if args.strongswan:
        root = args.strongswan
        net = read_testnet(args.testing_conf or root.parent / "strongswan-testing.conf")
        hosts_file = args.hosts or root.parent / "strongswan-test-hosts"
        outcomes: list[Outcome] = []
        scratch = Path(tempfile.mkdtemp(prefix="ccsec-corpus-"))
        try:
            t0 = time.perf_counter()
            for suite, scn in scenarios(root):
                if args.only and args.only not in f"{suite}/{scn.name}":
                    continue
                outcomes.append(run_scenario(scn, suite, scratch, net, hosts_file))
            t_sw = time.perf_counter() - t0
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        body += strongswan_report(outcomes, t_sw, disagreements)
    if args.ios:
        rows, unexplained, t_ios, crashes = run_ios(args.ios)
        total = sum(int(str(r[2])) for r in rows)
        done = sum(int(str(r[3])) for r in rows)
        body += ["", "### Batfish IOS configurations", "",
                 f"- objects built or explained: {pct(done, total)}; crashes: {crashes}; "
                 f"{t_ios:.2f} s", "",
                 table(["file", "object", "found", "built or explained"], rows)]
        if unexplained:
            body += ["", "Not built and not explained:", ""] + [f"- {u}" for u in unexplained]
    body += ["", f"Whole run (both corpora, one process): {time.perf_counter() - t_all:.2f} s "
                 "(2 shared cores: expect noise)"]
    text = "\n".join(body)
    if args.list and disagreements:
        text += "\n\nEvery disagreement:\n\n" + "\n".join(disagreements)
    if args.write:
        append("corpus evaluation: strongSwan test scenarios and Batfish IOS configs", text)
    else:
        print(text)
    return 0


def strongswan_report(outcomes: list[Outcome], seconds: float, dis: list[str]) -> list[str]:
    sw = [sum(o.swanctl[i] for o in outcomes) for i in (0, 1)]
    ip = [sum(o.ipsec[i] for o in outcomes) for i in (0, 1)]
    rejected = [r for o in outcomes for r in o.rejected]
    crashes = [o for o in outcomes if o.crash]
    out = ["### strongSwan test scenarios", "",
           f"- scenarios: {len(outcomes)}; audited in {seconds:.2f} s "
           f"(slowest {max((o.seconds for o in outcomes), default=0):.2f} s)",
           f"- swanctl connections built: {pct(sw[0], sw[1])}",
           f"- ipsec.conf conns built (of those strongSwan loads): {pct(ip[0], ip[1])}",
           f"- files rejected whole: {len(rejected)}",
           f"- crashes: {len(crashes)}", ""]
    rows = []
    causes: Counter[str] = Counter()
    per_suite: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for o in outcomes:
        for pair, (yes, got, why) in sorted(o.pairs.items(), key=lambda p: sorted(p[0])):
            cell = per_suite[o.suite]
            if yes:
                cell[1] += 1
                cell[0] += got == yes
            else:
                cell[3] += 1
                cell[2] += got == yes
            if got != yes:
                a, b = sorted(pair)
                want = "ESTABLISHED" if yes else "not established"
                dis.append(f"- {o.scenario} {a}–{b}: expected {want}; ccsec: {why[:220]}")
                causes[_cause(why)] += 1
    for suite, (ok_y, n_y, ok_n, n_n) in sorted(per_suite.items()):
        rows.append([suite, pct(ok_y, n_y), pct(ok_n, n_n)])
    tot = [sum(c[i] for c in per_suite.values()) for i in range(4)]
    rows.append(["**all**", pct(tot[0], tot[1]), pct(tot[2], tot[3])])
    excluded = Counter(why for o in outcomes for why in o.excluded.values())
    out += ["Pairs left out: " + "; ".join(f"{n} — {why}" for why, n in excluded.items()), ""]
    out += ["Agreement with evaltest.dat (pairs where both hosts have a config):", "",
            table(["suite", "expected ESTABLISHED → ESTABLISHED", "expected failure → not"],
                  rows), ""]
    if rejected:
        out += ["Files rejected whole:", ""] + [f"- {r}" for r in rejected[:40]] + [""]
    if crashes:
        out += ["Crashes:", ""] + [f"- {o.scenario}: {o.crash}" for o in crashes] + [""]
    if causes:
        out += ["Remaining disagreements by cause:", "",
                table(["cause", "pairs"], causes.most_common()), ""]
    return out


def _cause(why: str) -> str:
    head = why.split(":", 1)[0]
    if head == "ESTABLISHED":
        return "ccsec says ESTABLISHED"
    if why == "no session between them":
        return why
    return head


if __name__ == "__main__":
    raise SystemExit(main())
