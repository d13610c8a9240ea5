"""Every audit rule: a fixture that fires it and a near-miss that does not.

Each case builds a tiny set of imported ends (and a deployment where the rule needs one) and
runs the whole audit, so a rule fires through the same pipeline ``ccsec audit`` uses.  The last
test checks that every rule of the configuration families has a case here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from ipaddress import IPv4Address

import pytest
from auditkit import auth, end, esp, flt, ike, imported, mirror, rule

from builders import host, make
from ccsec.audit.context import Unreadable
from ccsec.audit.engine import AuditResult, planned_ends, run_audit
from ccsec.audit.model import ImportedEnd
from ccsec.audit.waivers import Waiver
from ccsec.findings.families import load_all
from ccsec.findings.model import CATALOG
from ccsec.formats.base import Note
from ccsec.formats.facts import (
    CryptoEngine,
    DeviceFacts,
    ManualKeying,
    NatExemptionMissing,
    SharedKey,
)
from ccsec.plan import plan
from ccsec.policy import Identity
from ccsec.secrets import literal

Case = Callable[[], AuditResult]


def solo(r=None, platform="strongswan", fmt="strongswan", **kw) -> AuditResult:
    """One end with one rule (its peer is absent)."""
    return run_audit([imported(r or rule(), "a", platform, fmt, **kw)])


def duo(
    a_rule, b_rule=None, a_platform="strongswan", b_platform="strongswan", dep=None, **kw
) -> AuditResult:
    b_rule = b_rule if b_rule is not None else mirror(a_rule)
    return run_audit(
        [
            imported(a_rule, "a", a_platform, a_platform),
            imported(b_rule, "b", b_platform, b_platform),
        ],
        dep,
        **kw,
    )


# ---------------------------------------------------------------- NAT pair (inferred, no dep)


def nat_pair(**a_kw) -> AuditResult:
    a = rule(
        local="198.51.100.1",
        peer="203.0.113.7",
        mode=a_kw.pop("mode", "tunnel"),
        filters=(flt("10.1.0.0/16", "10.2.0.0/16"),),
        **a_kw,
    )
    b = mirror(a, local_address=IPv4Address("192.168.1.2"))
    return duo(a, b)


# ---------------------------------------------------------------- deployments


def two_hosts(domain_b: str = "icm.t.example", **top) -> object:
    sites = [{"name": "dc", "kind": "central", "prefixes": ["10.1.0.0/16"]}]
    return make(
        [host("rtr", ["router"], "10.1.1.10"), host("pg", ["pg"], "10.1.1.20", domain=domain_b)],
        sites=sites,
        protection="transport",
        **top,
    )


def planned(dep, profile=None, drop: str | None = None) -> list[ImportedEnd]:
    ends = planned_ends(plan(dep, profile))
    return [e for e in ends if e.host != drop]


def kerberos_cross_domain(domain_b: str) -> AuditResult:
    dep = two_hosts(domain_b)
    r = rule(local="10.1.1.10", peer="10.1.1.20", version=1, auths=(auth("kerberos"),), pfs=None)
    return run_audit([imported(r, "rtr", "windows", "windows-powershell")], dep)


def agents(silent: bool) -> AuditResult:
    dep = make(
        [host("rtr", ["router"], "10.1.1.10")],
        sites=[{"name": "dc", "kind": "central", "prefixes": ["10.1.0.0/16"]}],
        agent_networks=[
            {
                "name": "ag",
                "site": "dc",
                "prefix": "10.1.64.0/20",
                "silent_monitoring": silent,
                "behind_nat": True,
            }
        ],
        protection="transport",
    )
    return run_audit([], dep, "dep.yaml")


def waiver(expires: date) -> AuditResult:
    w = Waiver("IPSEC-DH-002", "a:*", "legacy peer until migration", expires)
    return run_audit(
        [imported(rule(ikes=(ike(group=2),)), "a")], waivers=[w], today=date(2026, 6, 1)
    )


CASES: dict[str, tuple[Case, Case]] = {
    # crypto
    "IPSEC-ENC-001": (
        lambda: solo(rule(ikes=(ike("des"),))),
        lambda: solo(rule(ikes=(ike("aes128"),))),
    ),
    "IPSEC-ENC-002": (
        lambda: solo(rule(esps=(esp("3des", "sha256"),))),
        lambda: solo(rule(ikes=(ike("3des"),), esps=(esp("aes256", "sha256"),))),
    ),
    "IPSEC-ENC-003": (
        lambda: solo(rule(ikes=(ike("3des"),))),
        lambda: solo(rule(esps=(esp("3des", "sha256"),))),
    ),
    "IPSEC-ENC-004": (
        lambda: solo(rule(esps=(esp("blowfish", "sha256"),))),
        lambda: solo(rule(esps=(esp("aes256", "sha256"),))),
    ),
    "IPSEC-ENC-005": (
        lambda: solo(rule(ikes=(ike("null", "sha256"),))),
        lambda: solo(rule(esps=(esp("null", "sha256"),))),
    ),
    "IPSEC-ENC-006": (
        lambda: solo(rule(esps=(esp("null", "sha256"),))),
        lambda: solo(rule(esps=(esp("aes256", "sha256"),))),
    ),
    "IPSEC-ENC-007": (
        lambda: solo(rule(esps=(esp("aes256"),))),
        lambda: solo(rule(esps=(esp("aes256gcm16"),))),
    ),
    "IPSEC-ENC-008": (
        lambda: solo(rule(esps=(esp("aes256", "sha256", ah="sha256"),))),
        lambda: solo(rule(esps=(esp("aes256", "sha256"),))),
    ),
    "IPSEC-ENC-009": (
        lambda: duo(rule(esps=(esp("aes256", "sha256"),))),
        lambda: duo(rule(esps=(esp("aes256", "sha256"),)), b_platform="cucm"),
    ),
    "IPSEC-ENC-010": (
        lambda: solo(rule(esps=(esp("aes192", "sha256"),))),
        lambda: solo(rule(esps=(esp("aes256", "sha256"),))),
    ),
    "IPSEC-INT-001": (
        lambda: solo(rule(ikes=(ike("aes256", "md5"),))),
        lambda: solo(rule(ikes=(ike("aes256", "sha256"),))),
    ),
    "IPSEC-INT-002": (
        lambda: solo(rule(esps=(esp("aes256", "sha1"),))),
        lambda: solo(rule(esps=(esp("aes256", "sha256"),))),
    ),
    "IPSEC-INT-003": (
        lambda: solo(rule(esps=(esp("aes256", "desmac"),))),
        lambda: solo(rule(esps=(esp("aes256", "sha512"),))),
    ),
    "IPSEC-INT-004": (
        lambda: solo(rule(ikes=(ike("aes256gcm16", None, 19, "prftiger"),))),
        lambda: solo(rule(ikes=(ike("aes256gcm16", None, 19, "prfsha256"),))),
    ),
    "IPSEC-INT-005": (
        lambda: solo(rule(esps=(esp("aes256", "aes128gmac"),))),
        lambda: solo(rule(esps=(esp("aes128gcm16"),))),
    ),
    "IPSEC-DH-001": (
        lambda: solo(rule(ikes=(ike(group=22),))),
        lambda: solo(rule(ikes=(ike(group=21),))),
    ),
    "IPSEC-DH-002": (
        lambda: solo(rule(pfs=2, ikes=(ike(group=14),))),
        lambda: solo(rule(pfs=14, ikes=(ike(group=14),))),
    ),
    "IPSEC-DH-003": (
        lambda: solo(rule(ikes=(ike(group=5),), pfs=5)),
        lambda: solo(rule(ikes=(ike(group=15),), pfs=15)),
    ),
    "IPSEC-DH-004": (
        lambda: solo(rule(ikes=(ike(group=24),), pfs=24)),
        lambda: solo(rule(ikes=(ike(group=14),), pfs=14)),
    ),
    "IPSEC-DH-005": (lambda: solo(rule(pfs=None)), lambda: solo(rule(pfs=19))),
    "IPSEC-DH-006": (
        lambda: solo(rule(ikes=(ike(group=20),), pfs=14)),
        lambda: solo(rule(ikes=(ike(group=20),), pfs=20)),
    ),
    # auth
    "IPSEC-AUTH-001": (
        lambda: solo(rule(auths=(auth("psk"),))),
        lambda: solo(rule(auths=(auth("certificate"),))),
    ),
    "IPSEC-AUTH-002": (
        lambda: solo(rule(auths=(auth("psk"),))),
        lambda: solo(rule(auths=(auth("psk").model_copy(update={"psk": None}),))),
    ),
    "IPSEC-AUTH-003": (
        lambda: solo(rule(version=1, exchange="aggressive", auths=(auth("psk"),))),
        lambda: solo(rule(version=1, exchange="main", auths=(auth("psk"),))),
    ),
    "IPSEC-AUTH-004": (
        lambda: solo(facts=DeviceFacts(auth_constraints={"r1": ("rsa-1024-sha256",)})),
        lambda: solo(facts=DeviceFacts(auth_constraints={"r1": ("rsa-2048-sha256",)})),
    ),
    "IPSEC-AUTH-005": (
        lambda: solo(facts=DeviceFacts(auth_constraints={"r1": ("dsa-sha256",)})),
        lambda: solo(facts=DeviceFacts(auth_constraints={"r1": ("ecdsa-256-sha256",)})),
    ),
    "IPSEC-AUTH-006": (
        lambda: solo(facts=DeviceFacts(auth_constraints={"r1": ("rsa-2048-sha1",)})),
        lambda: solo(facts=DeviceFacts(auth_constraints={"r1": ("rsa-2048-sha256",)})),
    ),
    "IPSEC-AUTH-007": (
        lambda: solo(facts=DeviceFacts(auth_constraints={"r1": ("rsa-2048-sha256",)})),
        lambda: solo(facts=DeviceFacts(auth_constraints={"r1": ("rsa/pss-sha256",)})),
    ),
    "IPSEC-AUTH-008": (
        lambda: kerberos_cross_domain("uc.t.example"),
        lambda: kerberos_cross_domain("icm.t.example"),
    ),
    "IPSEC-AUTH-009": (
        lambda: solo(facts=DeviceFacts(shared_keys=(
            SharedKey("psk", (Identity(kind="address", value="192.0.2.7"),), literal("k-1"), 3),
            SharedKey("psk", (Identity(kind="address", value="192.0.2.8"),), literal("k-1"), 4),
        ))),
        lambda: solo(facts=DeviceFacts(shared_keys=(
            SharedKey("psk", (Identity(kind="address", value="192.0.2.7"),), literal("k-1"), 3),
            SharedKey("psk", (Identity(kind="address", value="192.0.2.8"),), literal("k-2"), 4),
        ))),
    ),
    # ike
    "IPSEC-IKE-001": (lambda: duo(rule(version=1, pfs=None)), lambda: duo(rule(version=2))),
    "IPSEC-IKE-002": (
        lambda: solo(facts=DeviceFacts(manual_keying=(ManualKeying("crypto map M 20", 9),))),
        lambda: solo(facts=DeviceFacts(manual_keying=())),
    ),
    "IPSEC-IKE-003": (
        lambda: duo(rule(), mirror(rule(), ike_proposals=(ike(group=20),))),
        lambda: duo(rule()),
    ),
    "IPSEC-IKE-004": (
        lambda: duo(
            rule(version=1, pfs=None, auths=(auth("kerberos"),)),
            a_platform="windows",
            b_platform="windows",
        ),
        lambda: duo(rule(version=1, pfs=None)),
    ),
    "IPSEC-IKE-005": (
        lambda: solo(facts=DeviceFacts(ike_any_version=frozenset({"r1"}))),
        lambda: solo(facts=DeviceFacts(ike_any_version=frozenset({"other"}))),
    ),
    # fallback
    "IPSEC-FB-001": (lambda: solo(rule(outbound="request")), lambda: solo(rule())),
    "IPSEC-FB-002": (lambda: solo(rule(inbound="request")), lambda: solo(rule())),
    "IPSEC-FB-003": (
        lambda: run_audit(
            [imported(end(rule(), "a", "windows", default_response_rule=True), fmt="windows-netsh")]
        ),
        lambda: run_audit([imported(end(rule(), "a", "windows"), fmt="windows-netsh")]),
    ),
    "IPSEC-FB-004": (lambda: solo(rule(enabled=False)), lambda: solo(rule(enabled=True))),
    # nat
    "IPSEC-NAT-001": (lambda: nat_pair(nat_traversal=False), lambda: nat_pair()),
    "IPSEC-NAT-002": (lambda: nat_pair(esps=(esp(None, ah="sha256"),)), lambda: nat_pair()),
    "IPSEC-NAT-003": (lambda: nat_pair(mode="transport"), lambda: nat_pair(mode="tunnel")),
    "IPSEC-NAT-004": (lambda: agents(True), lambda: agents(False)),
    "IPSEC-NAT-005": (
        lambda: solo(
            facts=DeviceFacts(
                nat_exemption_missing=(
                    NatExemptionMissing("r1", "ip nat inside source (110) translated for r1", 7),
                )
            )
        ),
        lambda: solo(facts=DeviceFacts(nat_exemption_missing=())),
    ),
    # ops
    "IPSEC-OPS-001": (
        lambda: solo(rule(mode="tunnel", qos_preclassify=False), "ios", "ios"),
        lambda: solo(rule(mode="tunnel", qos_preclassify=True), "ios", "ios"),
    ),
    "IPSEC-OPS-002": (lambda: solo(rule(nat_traversal=False)), lambda: solo(rule())),
    "IPSEC-OPS-003": (
        lambda: solo(
            facts=DeviceFacts(
                crypto_engines=(
                    CryptoEngine("no crypto engine accelerator", hardware=False, line=3),
                )
            )
        ),
        lambda: solo(facts=DeviceFacts(crypto_engines=(CryptoEngine("onboard", hardware=True),))),
    ),
    "IPSEC-OPS-005": (
        lambda: run_audit(
            [
                ImportedEnd(
                    end(rule()), "x.cfg", "ios", notes=[Note(4, "info", "<HOSTNAME> placeholder")]
                )
            ]
        ),
        lambda: run_audit([ImportedEnd(end(rule()), "x.cfg", "ios")]),
    ),
    "IPSEC-OPS-006": (
        lambda: run_audit([], unreadable=[Unreadable("bad.conf", "unterminated string", 3)]),
        lambda: run_audit([]),
    ),
    # coverage
    "IPSEC-COV-001": (
        lambda: run_audit([], two_hosts()),
        lambda: run_audit(planned(two_hosts()), two_hosts()),
    ),
    "IPSEC-COV-002": (
        lambda: run_audit(planned(two_hosts(), drop="pg"), two_hosts()),
        lambda: run_audit(planned(two_hosts()), two_hosts()),
    ),
    "IPSEC-COV-003": (
        lambda: run_audit(planned(two_hosts(), "legacy"), two_hosts()),
        lambda: run_audit(planned(two_hosts()), two_hosts()),
    ),
    "IPSEC-COV-004": (
        lambda: run_audit(
            [ImportedEnd(end(rule(local="172.30.0.1", peer="172.30.0.2")), "x.conf", "strongswan")],
            two_hosts(),
        ),
        lambda: run_audit(planned(two_hosts()), two_hosts()),
    ),
    # peers
    "IPSEC-PEER-001": (lambda: solo(rule()), lambda: duo(rule())),
    "IPSEC-PEER-002": (
        lambda: duo(
            rule(auths=(auth("psk"),)),
            mirror(rule(auths=(auth("psk"),)), auth=(auth("certificate"),)),
        ),
        lambda: duo(rule(auths=(auth("psk"),))),
    ),
    "IPSEC-PEER-003": (
        lambda: duo(
            rule(auths=(auth("psk", psk="key-one-aaaa"),)),
            mirror(
                rule(auths=(auth("psk", psk="key-one-aaaa"),)),
                auth=(auth("psk", psk="key-two-bbbb"),),
            ),
        ),
        lambda: duo(rule(auths=(auth("psk", psk="key-one-aaaa"),))),
    ),
    "IPSEC-PEER-004": (
        lambda: duo(rule(version=1, pfs=None), mirror(rule(version=1, pfs=None), mode="tunnel")),
        lambda: duo(rule(version=1, pfs=None)),
    ),
    "IPSEC-PEER-005": (
        lambda: duo(
            rule(mode="tunnel", filters=(flt("10.1.0.0/16", "10.2.0.0/16"),)),
            mirror(
                rule(mode="tunnel", filters=(flt("10.1.0.0/16", "10.2.0.0/16"),)),
                filters=(flt("10.2.0.0/16", "10.3.0.0/16"),),
            ),
        ),
        lambda: duo(rule(mode="tunnel", filters=(flt("10.1.0.0/16", "10.2.0.0/16"),))),
    ),
    "IPSEC-PEER-006": (
        lambda: duo(rule(pfs=19), mirror(rule(pfs=19), pfs_group=None)),
        lambda: duo(rule(pfs=19)),
    ),
    "IPSEC-PEER-007": (
        lambda: duo(
            rule(mode="tunnel", filters=(flt("10.1.0.0/16", "10.2.0.0/16"),)),
            mirror(
                rule(mode="tunnel", filters=(flt("10.1.0.0/16", "10.2.0.0/16"),)),
                filters=(flt("10.2.1.0/24", "10.1.0.0/16"),),
            ),
        ),
        lambda: duo(rule(mode="tunnel", filters=(flt("10.1.0.0/16", "10.2.0.0/16"),))),
    ),
    "IPSEC-PEER-008": (
        lambda: duo(rule(version=2), mirror(rule(version=2), mode="tunnel")),
        lambda: duo(rule(version=2)),
    ),
    # waivers
    "IPSEC-WAIVER-001": (lambda: waiver(date(2026, 1, 1)), lambda: waiver(date(2027, 1, 1))),
}


def _rules(result: AuditResult) -> set[str]:
    return {f.rule for f in result.findings}


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_fires(rule_id: str) -> None:
    fire, _ = CASES[rule_id]
    result = fire()
    assert rule_id in _rules(result), [(f.rule, f.message) for f in result.findings]


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_near_miss(rule_id: str) -> None:
    _, near = CASES[rule_id]
    result = near()
    assert rule_id not in _rules(result), [f.message for f in result.findings if f.rule == rule_id]


AUDIT_FAMILIES = {"crypto", "auth", "ike", "fallback", "nat", "ops", "coverage", "peers", "waivers"}


def test_every_audit_rule_has_a_case() -> None:
    load_all()
    ids = {r.id for r in CATALOG.all() if r.family in AUDIT_FAMILIES}
    assert ids == set(CASES), (ids - set(CASES), set(CASES) - ids)


def test_every_rule_is_documented() -> None:
    load_all()
    for r in CATALOG.all():
        if r.family not in AUDIT_FAMILIES:
            continue
        assert r.title and r.rationale and r.fix and r.citations, r.id
        text = " ".join(r.citations) + r.rationale
        if "[U]" in text or "[S]" in text or "[V]" in text:
            assert r.unverified or "[S]" in text, r.id


# ---------------------------------------------------------------- severity adjustments


def test_psk_in_test_environment_is_info_only() -> None:
    dep = two_hosts(environment="test", psk="env:K")
    r = rule(local="10.1.1.10", peer="10.1.1.20", auths=(auth("psk"),))
    res = run_audit([imported(r, "rtr", "linux", "strongswan")], dep)
    assert "IPSEC-AUTH-001" not in _rules(res)
    clear = [f for f in res.findings if f.rule == "IPSEC-AUTH-002"]
    assert clear and all(f.severity.value == "info" for f in clear)


def test_psk_with_ikev1_is_high() -> None:
    res = solo(rule(version=1, pfs=None, auths=(auth("psk"),)))
    f = next(f for f in res.findings if f.rule == "IPSEC-AUTH-001")
    assert f.severity.value == "high"


def test_windows_collector_psk_is_stored_in_clear() -> None:
    r = rule(auths=(auth("psk").model_copy(update={"psk": None}),))
    res = run_audit(
        [imported(r, "a", "windows", "windows-collector",
                  facts=DeviceFacts(psk_clear_on_host=frozenset({"r1"})))]
    )
    assert "IPSEC-AUTH-002" in _rules(res)


def test_forced_ikev1_names_the_constraint() -> None:
    res = duo(
        rule(version=1, pfs=14, ikes=(ike(group=14),)), a_platform="windows", b_platform="cucm"
    )
    msgs = [f.message for f in res.findings if f.rule == "IPSEC-IKE-004"]
    assert any("CUCM" in m or "Communications Manager" in m for m in msgs)
    assert "IPSEC-IKE-001" not in _rules(res)


def test_dh_groups_23_24_are_not_passed_by_modulus_size() -> None:
    # groups 14, 23 and 24 are all 2048-bit MODP; only 14 passes
    for group, expect in (
        (14, None),
        (23, "IPSEC-DH-004"),
        (24, "IPSEC-DH-004"),
        (22, "IPSEC-DH-001"),
        (1, "IPSEC-DH-001"),
        (2, "IPSEC-DH-002"),
        (5, "IPSEC-DH-003"),
    ):
        got = {
            f.rule
            for f in solo(rule(ikes=(ike(group=group),), pfs=None)).findings
            if f.rule.startswith("IPSEC-DH-00") and f.rule != "IPSEC-DH-005"
        }
        assert got == ({expect} if expect else set()), group


def test_findings_never_show_a_key() -> None:
    res = duo(
        rule(auths=(auth("psk", psk="S3cret-Key-Value-1"),)),
        mirror(
            rule(auths=(auth("psk", psk="S3cret-Key-Value-1"),)),
            auth=(auth("psk", psk="Other-Key-Value-22"),),
        ),
    )
    blob = json.dumps(res.to_json())
    assert "S3cret-Key-Value-1" not in blob and "Other-Key-Value-22" not in blob
    assert "IPSEC-PEER-003" in _rules(res)


def test_silent_monitoring_behind_nat_depends_on_the_site_tunnel() -> None:
    from ccsec.deployment import loads
    from ccsec.deployment.demo import demo_text

    demo = loads(demo_text(), "demo.yaml")  # agents-osaka: silent monitoring, site behind NAT
    assert "IPSEC-NAT-004" not in _rules(run_audit([], demo))  # the tunnel carries them
    transport = demo.model_copy(update={"protection": "transport"})
    f = next(f for f in run_audit([], transport, "demo.yaml").findings
             if f.rule == "IPSEC-NAT-004")
    assert "agents-osaka" in f.message and "203.0.113.7" in f.message
