"""The differential test's pure parts (no root): the pair generator, the comparison rows, and
the pair lab's helpers that decide what a negotiation proves."""

from __future__ import annotations

from collections import Counter
from ipaddress import IPv4Address, IPv4Network

import pytest
from differential import (
    CATEGORIES,
    MUTATIONS,
    QUOTA,
    Case,
    Row,
    bases,
    controls,
    generate,
    one_child,
    predict,
    table,
)
from pairlab import (
    PairLab,
    classify,
    host_to_host,
    lan_addresses,
    mirrored,
    untestable,
)

from ccsec.formats.base import RenderContext
from ccsec.formats.strongswan.swanctl import FORMAT
from ccsec.policy import Filter, Rule


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    return generate()


def _fields(r: Rule) -> dict[str, object]:
    return {k: getattr(r, k) for k in type(r).model_fields}


def test_at_least_fifty_pairs_every_category_and_kind(cases: list[Case]) -> None:
    assert len(cases) >= 50
    assert Counter(c.category for c in cases) == {cat: QUOTA for cat in CATEGORIES}
    assert {c.kind for c in cases} == {m.kind for m in MUTATIONS}
    assert len({c.id for c in cases}) == len(cases)


@pytest.mark.parametrize("category", CATEGORIES)
def test_both_sides_and_both_ike_versions_per_category(cases: list[Case],
                                                       category: str) -> None:
    mine = [c for c in cases if c.category == category]
    assert {c.side for c in mine} == {"a", "b"}
    assert {c.version for c in mine} == {1, 2}


def test_each_pair_is_its_base_with_one_field_of_one_end_changed(cases: list[Case]) -> None:
    by_name = {b.name: b for b in bases()}
    for c in cases:
        base = by_name[c.base]
        other = "b" if c.side == "a" else "a"
        assert (c.a if other == "a" else c.b) == base.end(other), c.id
        mutated = (c.a if c.side == "a" else c.b)[1]
        was, now = _fields(base.end(c.side)[1]), _fields(mutated)  # type: ignore[arg-type]
        assert [k for k in was if was[k] != now[k]] == [c.field], c.id
        assert (c.a if c.side == "a" else c.b)[0].rules == (mutated,)


def test_deterministic_for_a_seed() -> None:
    one, two = generate(), generate()
    assert [(c.id, c.mutation, c.base) for c in one] == [(c.id, c.mutation, c.base) for c in two]
    other = generate(seed=7)
    assert [c.mutation for c in other] != [c.mutation for c in one]


def test_every_end_renders_one_strongswan_child_per_subnet_pair(cases: list[Case]) -> None:
    ctx = RenderContext("differential", "-", None)
    for c in controls() + cases:
        for end, rule in (c.a, c.b):
            assert end.platform in ("strongswan", "linux")
            assert FORMAT.unsupported(end) == [], c.id
            assert one_child(rule.filters), c.id
            text = FORMAT.render(end, ctx)
            # one child per (local, remote) pair, the first named after the rule (the one the
            # pair lab initiates); a comment may name start_action too
            actions = [ln for ln in text.splitlines() if ln.strip().startswith("start_action")]
            assert len(actions) == len(rule.filters), c.id
            assert f"        children {{\n            {rule.name} {{" in text, c.id


def test_bases_are_predicted_to_establish_both_ways() -> None:
    for c in controls():
        for ini in ("a", "b"):
            assert predict(c, ini) == ("ESTABLISHED", False), (c.id, ini)  # type: ignore[arg-type]


def test_mode_pairs_are_host_to_host_and_testable(cases: list[Case]) -> None:
    for c in (x for x in cases if x.category == "mode"):
        assert c.a[1].mode != c.b[1].mode
        assert host_to_host(c.a[1]) and host_to_host(c.b[1])
        assert untestable(c.a, c.b, "libipsec") is None


def test_rows_compare_status_and_rekey(cases: list[Case]) -> None:
    pfs = next(c for c in cases if c.kind == "pfs-none" and c.version == 2)
    ok = Row(pfs, "a", "ESTABLISHED", "ESTABLISHED", "", True, "failed: no acceptable")
    assert ok.agrees
    wrong = Row(pfs, "a", "ESTABLISHED", "ESTABLISHED", "", True, "ok")
    assert wrong.status_agrees and not wrong.agrees
    text = table([ok, wrong], 1.0, 1)
    assert "1 of 2 agree" in text and "**NO**" in text and "## Disagreements" in text


def test_no_key_in_the_table(cases: list[Case]) -> None:
    rows = [Row(c, "a", "X", "X", "") for c in cases if c.category == "psk"]
    text = table(rows, 1.0, 1)
    assert "ccsec-differential" not in text and "CCSEC-DIFFERENTIAL" not in text


# ---------------------------------------------------------------------- pair lab helpers


def _rule(local: str, peer: str, filters: list[tuple[str, str]], mode: str = "tunnel") -> Rule:
    base = bases()[0].a[1]
    return base.model_copy(update={
        "local_address": IPv4Address(local), "peer_address": IPv4Address(peer), "mode": mode,
        "filters": tuple(Filter(local=IPv4Network(a), remote=IPv4Network(b))
                         for a, b in filters)})


def test_lan_addresses_sit_in_every_local_network_but_never_on_the_ike_path() -> None:
    a = _rule("192.0.2.1", "198.51.100.1", [("10.1.0.0/16", "10.2.0.0/16")])
    b = _rule("198.51.100.1", "192.0.2.1", [("10.2.0.0/16", "10.1.128.0/17")])
    # a's own /16 and the /17 b expects behind a: a narrowed selector holds an address
    assert lan_addresses(a, b) == [IPv4Address("10.1.0.1"), IPv4Address("10.1.128.1")]
    hosts = _rule("10.0.0.1", "10.0.0.2", [("10.0.0.1/32", "10.0.0.2/32")])
    peer = _rule("10.0.0.2", "10.0.0.1", [("10.0.0.2/32", "10.0.0.0/24")])
    assert lan_addresses(hosts, peer) == []  # its own IKE address; 10.0.0.0/24 → .1 = itself


def test_transport_with_subnets_is_untestable_on_libipsec() -> None:
    gw = _rule("192.0.2.1", "198.51.100.1", [("10.1.0.0/16", "10.2.0.0/16")])
    tr = gw.model_copy(update={"mode": "transport"})
    other = _rule("198.51.100.1", "192.0.2.1", [("10.2.0.0/16", "10.1.0.0/16")])
    assert untestable((None, tr), (None, other), "libipsec")  # type: ignore[arg-type]
    assert untestable((None, tr), (None, other), "kernel") is None  # type: ignore[arg-type]
    assert untestable((None, gw), (None, other), "libipsec") is None  # type: ignore[arg-type]
    assert mirrored(gw, other) and not mirrored(gw, gw)


def test_classify_reads_auth_failures_after_the_other_ends_phase1_line() -> None:
    # IKEv1: the responder is "established" before the initiator rejects its certificate
    lines = ["[a] <x|1> IKE_SA x[1] established between 1.1.1.1[a]...2.2.2.2[b]",
             "[b] <x|1> constraint check failed: peer not authenticated by CA 'C=JP, O=X'"]
    assert classify(lines) == ("AUTH_MISMATCH", lines[1])
    # per end: b's NO_PROPOSAL_CHOSEN before *its* phase-1 line is a phase-1 failure ...
    assert classify(["[b] <x|1> received NO_PROPOSAL_CHOSEN error notify"])[0] == \
        "IKE_PHASE1_FAILED"  # type: ignore[index]
    # ... and the end past phase 1 speaks first
    lines = ["[a] <x|1> received NO_PROPOSAL_CHOSEN error notify",
             "[b] <x|1> IKE_SA x[1] established between 1.1.1.1[a]...2.2.2.2[b]",
             "[b] <x|1> no matching proposal found, sending NO_PROPOSAL_CHOSEN"]
    assert classify(lines) == ("IPSEC_PHASE2_FAILED", lines[2])
    lines = ["[a] <x|1> IKE_SA x[1] established between 1.1.1.1[a]...2.2.2.2[b]",
             "[a] <x|1>   IPsec SA: unsupported mode"]
    assert classify(lines) == ("UNTESTABLE", lines[1].strip())


def test_an_ikev1_mode_refusal_is_attributed_to_the_mode_only_with_mirrored_selectors() -> None:
    a = _rule("10.0.0.1", "10.0.0.2", [("10.0.0.1/32", "10.0.0.2/32")], "transport")
    b = _rule("10.0.0.2", "10.0.0.1", [("10.0.0.2/32", "10.0.0.1/32")], "tunnel")
    line = "[b] <x|1> no matching CHILD_SA config found for 10.0.0.1/32 === 10.0.0.2/32"
    lab = PairLab((None, a), (None, b))  # type: ignore[arg-type]
    status, detail = lab._attribute("TS_MISMATCH", line)
    assert status == "IPSEC_PHASE2_FAILED" and line in detail and "modes differ" in detail
    same = PairLab((None, a), (None, b.model_copy(update={"mode": "transport"})))  # type: ignore[arg-type]
    assert same._attribute("TS_MISMATCH", line) == ("TS_MISMATCH", line)
    skew = b.model_copy(update={"filters": (Filter(local=IPv4Network("10.0.0.2/32"),
                                                   remote=IPv4Network("10.0.0.0/24")),)})
    lab = PairLab((None, a), (None, skew))  # type: ignore[arg-type]
    assert lab._attribute("TS_MISMATCH", line) == ("TS_MISMATCH", line)


def test_a_deviation_matches_its_kind_version_and_role(cases: list[Case]) -> None:
    from differential import Deviation

    c = next(x for x in cases if x.kind == "ike-version" and x.side == "a")
    d = Deviation("ike-version", c.version, True, "why")
    assert d.matches(c, "a") and not d.matches(c, "b")
    assert Deviation("ike-version", c.version, None, "why").matches(c, "b")
    assert not Deviation("ike-version", 3 - c.version, None, "why").matches(c, "a")
