"""Every reader of user input as a fuzz target: bytes in, findings or a clean error out.

A target runs one input through a reader the way the CLI does — decoding included — and then
through what consumes the reader's result (the audit's checks for a configuration, diagnosis
for a log, plan and render for a deployment), because a reader that accepts a hostile value can
make a later stage crash.  It returns normally or raises :class:`ccsec.errors.UserError` (a
clean error: exit 2 with a located message); **any other exception is a crash**.

Seeds are the tests' own data: every file under ``tests/golden``, ``tests/data``,
``tests/ops/fixtures`` and ``examples``, sorted into targets by the same content sniffing the
audit uses (plus a few small documents written here for the readers no test file covers).
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ccsec.deployment import Deployment

ROOT = Path(__file__).resolve().parents[2]
SEED_DIRS = ("tests/golden", "tests/data", "tests/ops/fixtures", "examples")
#: a seed longer than this is cut (fuzzing works on small inputs; 10 MB inputs are in bench/)
MAX_SEED = 32 * 1024


@dataclass(frozen=True)
class Target:
    name: str
    run: Callable[[bytes], None]
    #: what the target's seeds are: a sniffed format, or a directory under the fixtures
    seed_kind: str


class _AnyEnv(dict[str, str]):
    """An environment where every ``env:`` key reference resolves (to a fixed test key)."""

    def __contains__(self, key: object) -> bool:
        return True

    def __getitem__(self, key: str) -> str:
        return "fuzz-Key-0123456789"


def _clean(fn: Callable[[bytes], None]) -> Callable[[bytes], None]:
    """``fn`` with ccsec's clean errors swallowed: only crashes escape."""
    from ccsec.errors import UserError

    @functools.wraps(fn)
    def run(data: bytes) -> None:
        try:
            fn(data)
        except UserError as exc:
            # a clean error is one line per problem (the CLI prints str(problem))
            for problem in exc.problems:
                text = str(problem)
                assert "\n" not in text and "\x1b" not in text, text

    return run


def _text(data: bytes) -> str:
    """Bytes as the audit reads a configuration file (UTF-8, bad bytes replaced)."""
    return data.decode("utf-8", errors="replace").lstrip("\ufeff")


@functools.cache
def _demo() -> Deployment:
    """The demo deployment: configurations are audited against it (attachment, coverage)."""
    from ccsec.deployment import loads
    from ccsec.deployment.demo import demo_text
    from ccsec.paths import DEPLOYMENT_CHECKS

    return loads(demo_text(), "demo.yaml", DEPLOYMENT_CHECKS)


# ------------------------------------------------------------------------------ readers


def deployment(data: bytes) -> None:
    """The deployment file → model → plan → every format rendered in memory."""
    from ccsec.deployment import loads
    from ccsec.errors import DeploymentError
    from ccsec.formats import registry
    from ccsec.formats.base import RenderContext
    from ccsec.paths import DEPLOYMENT_CHECKS
    from ccsec.plan import plan
    from ccsec.render import output_files, render_policy_set
    from ccsec.secrets import SecretResolver
    from ccsec.textio import decode_utf8

    dep = loads(decode_utf8(data, "fuzz.yaml", DeploymentError), "fuzz.yaml", DEPLOYMENT_CHECKS)
    ps = plan(dep)
    with tempfile.TemporaryDirectory(prefix="ccsec-fuzz-") as base:
        ctx = RenderContext(dep.deployment, ps.profile, SecretResolver(Path(base), _AnyEnv()))
        result = render_policy_set(ps, ctx, registry.names())
        output_files(ps, result, ctx)


def waivers(data: bytes) -> None:
    from ccsec.audit.waivers import WaiverError, parse
    from ccsec.textio import decode_utf8

    parse(decode_utf8(data, "waivers.yaml", WaiverError), "waivers.yaml")


def _config(fmt: str) -> Callable[[bytes], None]:
    """One configuration format's reader, then the audit of what it read."""

    def run(data: bytes) -> None:
        from ccsec.audit.engine import run_audit
        from ccsec.audit.inventory import IMPORTERS, _ends

        parsed = IMPORTERS[fmt](_text(data), "<fuzz>")
        run_audit(_ends(parsed, f"fuzz.{fmt}", fmt), _demo(), "demo.yaml")

    run.__name__ = fmt
    return run


def audit(data: bytes) -> None:
    """A directory holding the input (and an include target beside it) through the whole
    audit: reading, sniffing, the reader, includes, pairing, checks."""
    from ccsec.audit.pipeline import run

    with tempfile.TemporaryDirectory(prefix="ccsec-fuzz-") as tmp:
        root = Path(tmp) / "configs"
        root.mkdir()
        (root / "config").write_bytes(data)
        (root / "conf.d").mkdir()
        (root / "conf.d" / "extra.conf").write_text("connections {\n}\n", encoding="utf-8")
        (root / "ipsec.secrets").write_text(": PSK \"fuzz-key\"\n", encoding="utf-8")
        run(root, _demo(), deployment_file="demo.yaml")


def logs(data: bytes) -> None:
    from ccsec.monitor.logs import parse_text
    from ccsec.monitor.logs.diagnose import PlanIndex, diagnose, negotiations, timelines
    from ccsec.plan import plan
    from ccsec.textio import decode

    parsed = parse_text(decode(data, "fuzz.log"), "fuzz.log")
    negs = negotiations([parsed])
    diagnose(negs, PlanIndex(_demo(), plan(_demo()), "demo.yaml"))
    diagnose(negs, None)
    timelines(negs)


def perf(data: bytes) -> None:
    from ccsec.monitor.judge import judge
    from ccsec.monitor.perf import group_of, parse_csv, stats
    from ccsec.textio import decode

    parsed = parse_csv(decode(data, "fuzz.csv"), "fuzz.csv")
    for s in parsed.series:
        stats(s)
        group_of(s.column)
    judge(parsed, 4)


def posture(data: bytes) -> None:
    from ccsec.checks.posture import PostureOptions, check_host
    from ccsec.collector.posture import FIX, HostExport, load_export_doc
    from ccsec.textio import decode, load_json

    text = decode(data, "fuzz.json")
    hx = HostExport("fuzz.json", text, load_export_doc(load_json(text, "fuzz.json", FIX), text,
                                                        "fuzz.json"))
    check_host(hx, _demo(), PostureOptions())
    check_host(hx, None, PostureOptions())


def phones(data: bytes) -> None:
    from ccsec.checks.phones import check, monitoring_from
    from ccsec.collector.phones import parse
    from ccsec.textio import decode

    text = decode(data, "fuzz.csv")
    for numeric in (False, True):
        items = parse(text, "fuzz.csv", numeric=numeric)
        check(items, "fuzz.csv", monitoring_from(None, None).bind(items))


CONFIG_FORMATS = ("strongswan", "ipsec-conf", "ios", "windows-powershell", "windows-netsh",
                  "cucm", "windows-collector")

TARGETS: dict[str, Target] = {t.name: t for t in (
    Target("deployment", _clean(deployment), "deployment"),
    Target("waivers", _clean(waivers), "waivers"),
    *(Target(f, _clean(_config(f)), f) for f in CONFIG_FORMATS),
    Target("audit", _clean(audit), "config"),
    Target("logs", _clean(logs), "logs"),
    Target("perf", _clean(perf), "perf"),
    Target("posture", _clean(posture), "posture"),
    Target("phones", _clean(phones), "phones"),
)}


# -------------------------------------------------------------------------------- seeds

#: small documents for readers the test data does not cover well
EXTRA_SEEDS: dict[str, tuple[bytes, ...]] = {
    "waivers": (
        b"waivers:\n  - rule: IPSEC-IKE-004\n    subject: \"pg1-a:*\"\n    reason: Kerberos\n"
        b"    expires: 2027-03-31\n",
        b"- {rule: IPSEC-AUTH-001, subject: '*', reason: lab, expires: 2030-01-01}\n",
    ),
    "ipsec-conf": (
        b"config setup\n  charondebug=\"ike 1\"\ninclude conf.d/*.conf\nconn %default\n"
        b"  keyexchange=ikev2\n  ike=aes256-sha256-modp2048!\nconn a\n  left=10.1.1.10\n"
        b"  right=10.2.1.10\n  leftsubnet=10.1.0.0/16\n  rightsubnet=10.2.0.0/16\n"
        b"  authby=secret\n  auto=route\n  ikelifetime=8h\n  lifetime=1h\n  also=b\n"
        b"conn b\n  esp=aes128gcm16!\n  rightprotoport=tcp/443\n",
    ),
    "deployment": (
        b"deployment: x\nsites:\n  - &s {name: a, kind: central, prefixes: [10.1.0.0/16],\n"
        b"        gateway: {name: g, platform: strongswan, wan: 198.51.100.1}}\n"
        b"hosts:\n  - {name: h1, site: a, roles: [router], pair: p, side: a, public: 10.1.1.1}\n"
        b"  - {name: h2, site: a, roles: [router], pair: p, side: b, public: 10.1.1.2}\n"
        b"environment: test\npsk: env:K\n",
    ),
}


def _classify(path: Path) -> str | None:
    from ccsec.formats.registry import sniff

    rel = path.relative_to(ROOT).as_posix()
    for kind in ("charon", "oakley", "winevents"):
        if f"fixtures/{kind}/" in rel:
            return "logs"
    for kind in ("perf", "posture", "phones"):
        if f"fixtures/{kind}/" in rel:
            return kind
    text = path.read_bytes()[:200_000].decode("utf-8", errors="replace")
    if path.suffix in (".yaml", ".yml") and "deployment:" in text:
        return "deployment"
    return sniff(text)


@functools.cache
def seeds() -> dict[str, tuple[bytes, ...]]:
    """Seed inputs per target (deterministic order)."""
    out: dict[str, list[bytes]] = {name: list(EXTRA_SEEDS.get(name, ())) for name in TARGETS}
    for d in SEED_DIRS:
        for path in sorted((ROOT / d).rglob("*")):
            if not path.is_file() or path.suffix in (".png", ".pyc"):
                continue
            kind = _classify(path)
            data = path.read_bytes()[:MAX_SEED]
            if kind in out:
                out[kind].append(data)
            if kind in CONFIG_FORMATS:
                out["audit"].append(data)
            if kind == "posture":  # the collector file: its ipsec part is a configuration
                out["windows-collector"].append(data)
    from ccsec.deployment.demo import demo_text

    out["deployment"].append(demo_text().encode())
    return {name: tuple(dict.fromkeys(v)) or (b"",) for name, v in out.items()}
