"""The audit core's shortcuts (:mod:`ccsec.audit.shortcuts`) give the same answers as the long
way (issue 16, speed): whole audits of the demo, every example deployment (rendered, and as
planned) and the brownfield fixtures, compared field by field; and generated rules for the
shortcuts whose cases the examples may miss (the crypto family's replayed findings, the IKE
proposal tables and the reused sides of a negotiation); and the pairing's and coverage's integer
forms of addresses and networks against :mod:`ipaddress` (IPv6 and scoped addresses included)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_network
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccsec.api import render
from ccsec.audit import coverage as cov
from ccsec.audit import shortcuts
from ccsec.audit.context import AuditContext
from ccsec.audit.engine import AuditResult, planned_ends, run_audit
from ccsec.audit.inventory import load_directory
from ccsec.audit.model import ImportedEnd
from ccsec.audit.negotiate import Context, Side, negotiate
from ccsec.audit.places import addr_key, unspecified
from ccsec.checks import crypto
from ccsec.deployment import load
from ccsec.deployment.model import Deployment
from ccsec.paths import load_deployment
from ccsec.plan import plan
from ccsec.policy import Address, EndPolicy
from strategies import any_end_policy

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
BROWNFIELD = ROOT / "tests" / "data" / "audit-brownfield"


def _everything(r: AuditResult) -> object:
    """All an audit says: its JSON, every finding whole, the sessions with their contexts and
    paths, coverage and the weaker-than notes."""
    ctx = r.context
    return (r.to_json(), [f.to_json() for f in r.findings],
            [(s.session, s.path, s.context, s.a[1].name, s.b[1].name if s.b else None)
             for s in ctx.sessions], ctx.coverage, ctx.weaker)


def _both_ways(ends: list[ImportedEnd], dep: Deployment | None) -> tuple[object, object]:
    fast = _everything(run_audit(ends, dep, "d.yaml"))
    with shortcuts.long_way():
        assert not shortcuts.FAST
        slow = _everything(run_audit(ends, dep, "d.yaml"))
    assert shortcuts.FAST
    return fast, slow


def _rendered(dep: Deployment, into: Path) -> list[ImportedEnd]:
    for f in render(plan(dep), redact_keys=True).files:
        path = into / f.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f.text, encoding="utf-8")
    return load_directory(into, dep).ends


@pytest.mark.parametrize("source", ["demo", *EXAMPLES],
                         ids=lambda s: s if isinstance(s, str) else s.name)
def test_rendered_deployment_audits_identically_both_ways(source: str | Path,
                                                          tmp_path: Path) -> None:
    dep = load_deployment(source)
    ends = _rendered(dep, tmp_path)
    assert ends
    fast, slow = _both_ways(ends, dep)
    assert fast == slow


@pytest.mark.parametrize("source", ["demo", *EXAMPLES],
                         ids=lambda s: s if isinstance(s, str) else s.name)
def test_planned_deployment_audits_identically_both_ways(source: str | Path) -> None:
    dep = load_deployment(source)
    fast, slow = _both_ways(planned_ends(plan(dep)), dep)
    assert fast == slow
    # and without the deployment (no coverage, NAT inferred)
    fast, slow = _both_ways(planned_ends(plan(dep)), None)
    assert fast == slow


def test_brownfield_fixtures_audit_identically_both_ways() -> None:
    dep = load(BROWNFIELD / "deployment.yaml")
    ends = load_directory(BROWNFIELD / "configs", dep).ends
    fast, slow = _both_ways(ends, dep)
    assert fast == slow
    assert fast[0]["findings"]  # type: ignore[index]  # the fixtures do have findings


def _ends(policies: list[EndPolicy]) -> list[ImportedEnd]:
    return [ImportedEnd(policy=p, source=f"gen{i}.conf", format="strongswan")
            for i, p in enumerate(policies)]


def _crypto(ends: list[ImportedEnd]) -> list[dict[str, object]]:
    return [f.to_json() for f in crypto.check(AuditContext(ends))]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(any_end_policy(), min_size=1, max_size=4), st.data())
def test_crypto_findings_replayed_equal_the_long_way(policies: list[EndPolicy],
                                                     data: st.DataObject) -> None:
    # rules that share settings (the replayed case) and IKE-only rules (no ESP findings)
    extra = []
    for p in policies:
        rules = list(p.rules)
        for r in p.rules:
            if data.draw(st.booleans()):
                rules.append(r.model_copy(update={"name": r.name + "-copy",
                                                  "ike_only": data.draw(st.booleans())}))
        extra.append(p.model_copy(update={"rules": tuple(rules)}))
    ends = _ends(extra)
    fast = _crypto(ends)
    with shortcuts.long_way():
        slow = _crypto(ends)
    assert fast == slow


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_end_policy(), any_end_policy(), st.booleans(), st.data())
def test_negotiation_with_proposal_tables_equals_the_long_way(a: EndPolicy, b: EndPolicy,
                                                              nat: bool,
                                                              data: st.DataObject) -> None:
    ra = data.draw(st.sampled_from(a.rules))
    rb = data.draw(st.sampled_from(b.rules))
    ctx = Context(Side(), Side(), nat=nat)
    # twice fast: the second answer comes from the tables the first one filled
    first = negotiate((a, ra), (b, rb), ctx)
    again = negotiate((a, ra), (b, rb), ctx)
    with shortcuts.long_way():
        slow = negotiate((a, ra), (b, rb), ctx)
    assert first == again == slow


# ------------------------------------------------------------------ address keys and spans

_V4 = st.ip_addresses(v=4)
_V6 = st.one_of(st.ip_addresses(v=6),
                st.ip_addresses(v=6).map(lambda a: IPv6Address(f"{a}%eth0")))
_ANY_ADDRESS = st.one_of(_V4, _V6, st.sampled_from([IPv4Address("0.0.0.0"),
                                                    IPv6Address("::")]))


@given(_ANY_ADDRESS, _ANY_ADDRESS)
def test_address_keys_are_equal_exactly_when_the_addresses_are(a: Address, b: Address) -> None:
    # the pairing's indexes key addresses this way: an IPv4 integer must never meet an IPv6
    # address, and an IPv6 address keeps its scope
    assert (addr_key(a) == addr_key(b)) == (a == b)
    if a == b:
        assert hash(addr_key(a)) == hash(addr_key(b))
    assert unspecified(addr_key(a)) == a.is_unspecified


@st.composite
def _rule_and_path(draw: st.DrawFn) -> tuple[SimpleNamespace, SimpleNamespace]:
    """A rule's filters and a path's prefixes near each other (containment goes both ways),
    with IPv6 filters and rules that do not negotiate among them."""
    def v4() -> IPv4Network:
        return ip_network(f"10.{draw(st.integers(0, 1))}.{draw(st.integers(0, 1))}.0/"
                          f"{draw(st.sampled_from([0, 8, 16, 22, 24, 26, 32]))}", strict=False)

    def any_net() -> IPv4Network | IPv6Network:
        return ip_network("fd00::/8") if draw(st.integers(0, 5)) == 0 else v4()

    filters = tuple(SimpleNamespace(local=any_net(), remote=any_net())
                    for _ in range(draw(st.integers(1, 3))))
    rule = SimpleNamespace(action=draw(st.sampled_from(["negotiate", "negotiate", "permit"])),
                           filters=filters)
    path = SimpleNamespace(protects=tuple(
        tuple(v4() for _ in range(draw(st.integers(1, 2)))) for _ in range(2)))
    return rule, path


@settings(max_examples=300, deadline=None)
@given(_rule_and_path())
def test_coverage_integer_spans_cover_as_ipaddress_does(case: tuple[SimpleNamespace,
                                                                    SimpleNamespace]) -> None:
    rule, path = case
    prefixes = cov._spans(path)  # type: ignore[arg-type]
    for i in (0, 1):
        assert cov._holds(cov._filters(rule), prefixes[i], prefixes[1 - i]) == \
            cov._covers(rule, path, i)  # type: ignore[arg-type]
