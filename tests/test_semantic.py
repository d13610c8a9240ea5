"""Meaning, not bytes: for every path the two ends' policies agree — as planned, and as read back
from every rendered file (mirror filters, a common proposal, the same authentication family,
identities that match, exactly one end that initiates)."""

from __future__ import annotations

import pytest

from ccsec.formats.registry import get
from ccsec.plan import plan
from ccsec.policy import PolicySet, Rule
from ccsec.render import render_policy_set
from conftest import DEPLOYMENTS, PROFILES, lab_context


def disagreements(a: Rule, b: Rule, ids: bool = True) -> list[str]:
    out = []
    fa = {(f.local, f.remote, f.protocol) for f in a.filters}
    fb = {(f.remote, f.local, f.protocol) for f in b.filters}
    if fa != fb:
        out.append("filters are not mirror images")
    if a.ike.version != b.ike.version:
        out.append("IKE versions differ")
    if not set(a.ike.proposals) & set(b.ike.proposals):
        out.append("no common IKE proposal")
    if not set(a.esp) & set(b.esp):
        out.append("no common ESP proposal")
    if a.pfs_group != b.pfs_group:
        out.append("PFS groups differ")
    if a.mode != b.mode:
        out.append("modes differ")
    if {x.method for x in a.auth} & {x.method for x in b.auth} == set():
        out.append("no common authentication method")
    if ids and (a.local_id != b.peer_id or b.local_id != a.peer_id):
        out.append("identities do not match")
    return out


def paired(ps: PolicySet) -> list[tuple[str, Rule, Rule]]:
    out = []
    for path in ps.paths:
        pair = ps.rules_for(path.id)
        assert len(pair) == 2, f"{path.id}: {len(pair)} ends have a rule"
        owners = [e.owner for e, _ in pair]
        assert owners == [path.ends[0].host, path.ends[1].host]
        out.append((path.id, pair[0][1], pair[1][1]))
    return out


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_planned_ends_agree(name: str, profile: str) -> None:
    ps = plan(DEPLOYMENTS[name](), profile)
    assert ps.paths, "every example has paths"
    for path_id, a, b in paired(ps):
        assert disagreements(a, b) == [], path_id
        assert a.initiate != b.initiate, path_id
        assert a.name == b.name == path_id


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_rendered_ends_still_agree(name: str, profile: str) -> None:
    """Parse every rendered file back and check both ends of every path again."""
    ps = plan(DEPLOYMENTS[name](), profile)
    result = render_policy_set(ps, lab_context(ps))
    by_format: dict[str, dict[str, Rule]] = {}
    for f in result.files:
        parsed = get(f.format).parse(f.text, f.path)
        assert not [n for n in parsed.notes if n.severity == "warning"], (f.path, parsed.notes)
        for end in parsed.policies:
            for r in end.rules:
                by_format.setdefault(f.format, {})[f"{f.end}/{r.name}"] = r
    checked = 0
    for path in ps.paths:
        ends = [e.host for e in path.ends]
        for fmt_a, rules_a in by_format.items():
            a = rules_a.get(f"{ends[0]}/{path.id}")
            for fmt_b, rules_b in by_format.items():
                b = rules_b.get(f"{ends[1]}/{path.id}")
                if a is None or b is None:
                    continue
                # identities are not carried by every format (Windows has none): compare the rest
                problems = disagreements(a, b, ids=False)
                assert problems == [], f"{path.id} {fmt_a}<->{fmt_b}: {problems}"
                checked += 1
    assert checked >= len(ps.paths), "every path was checked in at least one format pair"
