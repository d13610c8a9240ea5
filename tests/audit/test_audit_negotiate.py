"""Peer compatibility: one test per status, and the IKE details each status rests on."""

from __future__ import annotations

from ipaddress import IPv4Address

from auditkit import auth, end, esp, flt, ident, ike, mirror, rule

from ccsec.audit.negotiate import Context, Side, Status, negotiate
from ccsec.secrets import literal


def pair(a_rule, b_rule, a_platform="strongswan", b_platform="strongswan"):
    return (end(a_rule, "a", a_platform), a_rule), (end(b_rule, "b", b_platform), b_rule)


def run(a_rule, b_rule=None, ctx=None, **kw):
    b_rule = b_rule if b_rule is not None else mirror(a_rule)
    a, b = pair(a_rule, b_rule, **kw)
    return negotiate(a, b, ctx)


# ----------------------------------------------------------------------------- one per status


def test_established() -> None:
    s = run(rule())
    assert s.status is Status.ESTABLISHED, s.reason
    assert s.ike_version == 2 and s.ike == ike() and s.esp == esp() and s.pfs == 19
    assert s.directions == ("a", "b")
    assert s.to_json() == {"a": "a:r1", "b": "b:r1", "status": "ESTABLISHED",
                           "reason": s.reason}


def test_ike_phase1_failed_no_common_proposal() -> None:
    a = rule(ikes=(ike("aes256", "sha256", 19),))
    s = run(a, mirror(a, ike_proposals=(ike("aes256", "sha256", 14),)))
    assert s.status is Status.IKE_PHASE1_FAILED
    assert "no common IKE proposal" in s.reason


def test_ike_phase1_key_mismatch_never_shows_a_key() -> None:
    a = rule(auths=(auth("psk", psk="first-key-AAAA-1111"),))
    b = mirror(a, auth=(auth("psk", psk="second-key-BBBB-2222"),))
    s = run(a, b)
    assert s.status is Status.IKE_PHASE1_KEY_MISMATCH
    for secret in ("first-key-AAAA-1111", "second-key-BBBB-2222"):
        assert secret not in s.reason and secret not in repr(s)
    fp = literal("first-key-AAAA-1111").fingerprint()
    assert fp not in s.reason


def test_auth_mismatch_methods() -> None:
    a = rule(auths=(auth("psk"),))
    s = run(a, mirror(a, auth=(auth("certificate"),)))
    assert s.status is Status.AUTH_MISMATCH
    assert "no common authentication method" in s.reason


def test_ipsec_phase2_failed_no_common_esp() -> None:
    a = rule(esps=(esp("aes256gcm16"),))
    s = run(a, mirror(a, esp=(esp("aes128", "sha256"),)))
    assert s.status is Status.IPSEC_PHASE2_FAILED
    assert "no common ESP/AH proposal" in s.reason


def test_ts_mismatch() -> None:
    a = rule(mode="tunnel", filters=(flt("10.1.0.0/16", "10.2.0.0/16"),))
    b = mirror(a, filters=(flt("10.2.0.0/16", "10.9.0.0/16"),))
    s = run(a, b)
    assert s.status is Status.TS_MISMATCH


def test_missing_end_point_wrong_address() -> None:
    a = rule()
    b = mirror(a, local_address=IPv4Address("10.0.0.99"))
    s = run(a, b)
    assert s.status is Status.MISSING_END_POINT
    assert "10.0.0.99" in s.reason


# ----------------------------------------------------------------------------- IKE details


def test_ike_version_mismatch_and_strongswan_version_0() -> None:
    a = rule(version=2)
    b = mirror(a, ike_version=1)
    assert run(a, b).status is Status.IKE_PHASE1_FAILED
    # strongSwan version = 0 on b: accepts both, initiates IKEv2 → both directions work
    s = run(a, mirror(a), Context(b=Side(versions=frozenset({1, 2}))))
    assert s.status is Status.ESTABLISHED
    # version 0 on a initiating v2 toward an IKEv1-only peer: charon does not fall back
    s = run(a, b, Context(a=Side(versions=frozenset({1, 2}))))
    assert s.status is Status.IKE_PHASE1_FAILED and "initiates IKEv2" in s.reason


def test_ikev1_whole_transform_vs_ikev2_per_type() -> None:
    # a offers two proposals; b accepts one that mixes a's first cipher with a's second group
    a_props = (ike("aes256", "sha256", 19), ike("aes128", "sha1", 14))
    b_props = (ike("aes256", "sha256", 14),)
    for version in (1, 2):
        a = rule(version=version, ikes=a_props, pfs=None)
        s = run(a, mirror(a, ike_proposals=b_props))
        assert s.status is Status.IKE_PHASE1_FAILED, version
    # one IKEv2 proposal listing several algorithms per type = the expanded product: matches
    product = tuple(ike(e, i, g) for e in ("aes256", "aes128") for i in ("sha256", "sha1")
                    for g in (19, 14))
    a = rule(version=2, ikes=product)
    s = run(a, mirror(a, ike_proposals=b_props))
    assert s.status is Status.ESTABLISHED and s.ike == ike("aes256", "sha256", 14)


def test_responder_preference_wins() -> None:
    a = rule(ikes=(ike("aes128", "sha256", 14), ike("aes256", "sha384", 20)))
    b = mirror(a, ike_proposals=(ike("aes256", "sha384", 20), ike("aes128", "sha256", 14)),
               initiate=False)
    a = a.model_copy(update={"initiate": True})
    s = run(a, b, Context(b=Side(initiates=False)))
    assert s.ike == ike("aes256", "sha384", 20)


def test_aggressive_mode() -> None:
    a = rule(version=1, exchange="aggressive", auths=(auth("psk"),), pfs=None)
    b = mirror(a, ike_exchange="main")
    only_a, only_b = Context(b=Side(initiates=False)), Context(a=Side(initiates=False))
    # strongSwan agrees on the proposal, then refuses aggressive-mode PSK at authentication
    s = run(a, b, only_a)
    assert s.status is Status.AUTH_MISMATCH and s.cause == "exchange"
    assert "AUTHENTICATION_FAILED" in s.reason
    # ... and a main-mode initiator against a connection set to aggressive mode, too
    s = run(a, b, only_b)
    assert s.status is Status.AUTH_MISMATCH and "main mode" in s.reason
    # unless the daemon allows aggressive PSK (i_dont_care_about_security_...): both aggressive
    assert run(a, mirror(a), only_a, b_platform="strongswan").status is Status.AUTH_MISMATCH
    s = run(a, mirror(a), Context(b=Side(initiates=False, accepts_aggressive=True)))
    assert s.established
    # IOS answers aggressive mode by default, and refuses it in phase 1 when disabled
    s = run(a, b, only_a, b_platform="ios")
    assert s.status is Status.ESTABLISHED
    s = run(a, b, Context(b=Side(initiates=False, accepts_aggressive=False)), b_platform="ios")
    assert s.status is Status.IKE_PHASE1_FAILED and "aggressive" in s.reason
    # a Windows responder set to aggressive mode refuses a main-mode initiator in phase 1
    s = run(a, b, only_b, a_platform="windows")
    assert s.status is Status.IKE_PHASE1_FAILED and s.cause == "exchange"


def test_strongswan_refuses_the_exchange_only_after_the_proposal() -> None:
    # charon checks the exchange type at authentication, so a proposal mismatch shows first
    a = rule(version=1, exchange="aggressive", auths=(auth("psk"),), pfs=None)
    b = mirror(a, ike_exchange="main", ike_proposals=(ike("aes128", "sha1", 14),))
    s = run(a, b, Context(b=Side(initiates=False)))
    assert s.status is Status.IKE_PHASE1_FAILED and s.cause == "proposal"


def test_ikev1_aead_not_usable() -> None:
    a = rule(version=1, ikes=(ike("aes256gcm16", None, 20, "prfsha384"),), pfs=None)
    assert run(a).status is Status.IKE_PHASE1_FAILED


def test_kerberos_needs_windows_and_one_domain() -> None:
    a = rule(version=1, auths=(auth("kerberos"),), pfs=None)
    s = run(a, mirror(a), a_platform="windows", b_platform="cucm")
    assert s.status is Status.AUTH_MISMATCH and "Windows method" in s.reason
    ctx = Context(a=Side(domain="icm.x"), b=Side(domain="uc.x"))
    s = run(a, mirror(a), ctx, a_platform="windows", b_platform="windows")
    assert s.status is Status.AUTH_MISMATCH and "across AD domains" in s.reason
    ctx = Context(a=Side(domain="icm.x"), b=Side(domain="icm.x"))
    assert run(a, mirror(a), ctx, a_platform="windows",
               b_platform="windows").status is Status.ESTABLISHED


def test_auth_preference_list_finds_common_method() -> None:
    a = rule(version=1, auths=(auth("kerberos"), auth("certificate")), pfs=None)
    b = mirror(a, auth=(auth("certificate"),))
    s = run(a, b, a_platform="windows", b_platform="cucm")
    assert s.status is Status.ESTABLISHED and s.auth == "certificate"


def test_certificate_ca_match_ignores_case_and_across_platforms_rdn_order() -> None:
    a = rule(auths=(auth("certificate", ca="CN=Root, O=ACME"),))
    assert run(a, mirror(a, auth=(auth("certificate", ca="cn=root, o=acme"),))).established
    reordered = mirror(a, auth=(auth("certificate", ca="o=acme,cn=root"),))
    # Windows prints the DN the other way round: the order is not compared across platforms
    assert run(a, reordered, b_platform="windows").established
    # two strongSwan ends: ca_id is matched RDN by RDN in order, so one of them is wrong
    s = run(a, reordered)
    assert s.status is Status.AUTH_MISMATCH and s.cause == "ca" and "order" in s.reason
    s = run(a, mirror(a, auth=(auth("certificate", ca="CN=Other Root, O=ACME"),)))
    assert s.status is Status.AUTH_MISMATCH and "trusts root CA" in s.reason


def test_identity_mismatch() -> None:
    a = rule(local_id=ident("fqdn", "gw-a.example"), peer_id=ident("fqdn", "gw-b.example"))
    b = mirror(a, local_id=ident("fqdn", "gw-c.example"))
    s = run(a, b)
    assert s.status is Status.AUTH_MISMATCH and "gw-c.example" in s.reason


def test_psk_default_identity_is_the_address_behind_nat() -> None:
    # b sits behind NAT: a expects the public address as b's identity, b sends its own address
    a = rule(local="198.51.100.1", peer="203.0.113.7", auths=(auth("psk"),),
             peer_id=ident("address", "203.0.113.7"))
    b = mirror(a, local_address=IPv4Address("192.168.1.2"), local_id=None, peer_id=None)
    ctx = Context(b=Side(public=IPv4Address("203.0.113.7")), nat=True)
    s = run(a, b, ctx)
    assert s.status is Status.AUTH_MISMATCH and "192.168.1.2" in s.reason


def test_pfs_ikev1_must_match_when_one_side_requires_it() -> None:
    a = rule(version=1, pfs=14)
    assert run(a, mirror(a, pfs_group=14)).established
    s = run(a, mirror(a, pfs_group=None))
    assert s.status is Status.IPSEC_PHASE2_FAILED and "PFS" in s.reason
    s = run(a, mirror(a, pfs_group=19))
    assert s.status is Status.IPSEC_PHASE2_FAILED
    # an IOS responder without `set pfs` accepts any offer — but an IOS initiator without PFS
    # still meets a's requirement as responder, so only the b→a direction fails
    s = run(a, mirror(a, pfs_group=None), Context(a=Side(initiates=True),
                                                  b=Side(initiates=False)), b_platform="ios")
    assert s.established
    # no PFS on both sides is fine
    a = rule(version=1, pfs=None)
    assert run(a).established


def test_pfs_ikev2_mismatch_surfaces_at_rekey() -> None:
    a = rule(version=2, pfs=19)
    s = run(a, mirror(a, pfs_group=None))
    assert s.status is Status.ESTABLISHED
    assert s.rekey_failure and "rekey" in s.rekey_failure and "rekey" in s.reason
    assert run(a).rekey_failure is None


def test_tunnel_vs_transport() -> None:
    a = rule(mode="transport")
    # IKEv2 between two strongSwan ends: the transport request is declined, both take a tunnel
    s = run(a, mirror(a, mode="tunnel"))
    assert s.status is Status.ESTABLISHED and "runs in tunnel mode" in s.reason
    assert s.mode_fallback and "tunnel" in s.mode_fallback
    assert run(a).mode_fallback is None
    # with a peer not known to take the tunnel, and in IKEv1, phase 2 fails
    s = run(a, mirror(a, mode="tunnel"), b_platform="windows")
    assert s.status is Status.IPSEC_PHASE2_FAILED and "transport" in s.reason
    a = rule(mode="transport", version=1, pfs=None)
    s = run(a, mirror(a, mode="tunnel"))
    assert s.status is Status.IPSEC_PHASE2_FAILED and s.cause == "mode"
    assert "INVALID_ID_INFORMATION" in s.reason


def test_ikev1_selectors_depend_on_the_responder_ikev2_narrows() -> None:
    wide = (flt("10.1.0.0/16", "10.2.0.0/16"),)
    narrow = (flt("10.2.1.0/24", "10.1.0.0/16"),)  # b's view, a subset of the mirror
    a2 = rule(mode="tunnel", version=2, filters=wide, pfs=None)
    s = run(a2, mirror(a2, filters=narrow))
    assert s.established and s.narrowed and "narrowed" in s.narrowed
    a = rule(mode="tunnel", version=1, filters=wide, pfs=None)
    b = mirror(a, filters=narrow)
    from_a, from_b = Context(b=Side(initiates=False)), Context(a=Side(initiates=False))
    # strongSwan on both ends narrows in IKEv1 too, whichever side initiates
    s = run(a, b, from_a)
    assert s.established and s.narrowed and "narrowed" in s.narrowed and "IKEv1" in s.narrowed
    s = run(a, b, from_b)  # b proposes a subset of a's rule: a takes it as it is
    assert s.established and s.narrowed and "only part" in s.narrowed
    # Windows (or an unknown stack) wants the exact mirror, whichever side initiates
    for ctx in (from_a, from_b):
        s = run(a, b, ctx, a_platform="windows", b_platform="windows")
        assert s.status is Status.TS_MISMATCH and "exact mirror" in s.reason
    # IOS accepts a proposal its crypto ACL permits: only when the subset side initiates
    assert run(a, b, from_b, a_platform="ios", b_platform="ios").established
    s = run(a, b, from_a, a_platform="ios", b_platform="ios")
    assert s.status is Status.TS_MISMATCH and "crypto ACL does not permit" in s.reason
    # a strongSwan responder narrows, but a Windows initiator does not take the answer back
    s = run(a, b, from_a, a_platform="windows")
    assert s.status is Status.TS_MISMATCH and "would narrow" in s.reason
    # no overlap at all: refused by strongSwan too
    s = run(a, mirror(a, filters=(flt("10.9.0.0/16", "10.1.0.0/16"),)), from_a)
    assert s.status is Status.TS_MISMATCH and "does not overlap" in s.reason


def test_ts_protocol_and_port() -> None:
    a = rule(filters=(flt("10.0.0.1/32", "10.0.0.2/32", protocol=6, remote_port=1433),))
    assert run(a).established
    b = mirror(a, filters=(flt("10.0.0.2/32", "10.0.0.1/32", protocol=17),))
    assert run(a, b).status is Status.TS_MISMATCH


def test_nat_needs_nat_traversal_and_no_ah() -> None:
    a = rule(local="198.51.100.1", peer="203.0.113.7", mode="tunnel",
             filters=(flt("10.1.0.0/16", "10.2.0.0/16"),))
    b = mirror(a, local_address=IPv4Address("192.168.1.2"))
    ctx = Context(b=Side(public=IPv4Address("203.0.113.7")), nat=True)
    s = run(a, b, ctx)
    assert s.established and "NAT traversal" in s.reason
    s = run(a, b.model_copy(update={"nat_traversal": False}), ctx)
    assert s.status is Status.IPSEC_PHASE2_FAILED and "NAT traversal is off" in s.reason
    ah = (esp(None, ah="sha256"),)
    s = run(a.model_copy(update={"esp": ah}), b.model_copy(update={"esp": ah}), ctx)
    assert s.status is Status.IPSEC_PHASE2_FAILED and "AH across NAT" in s.reason
    # without the NAT public address in the context, a aims at an address where b is not
    assert run(a, b).status is Status.MISSING_END_POINT


def test_shut_interface_disabled_rule_and_pass_action() -> None:
    a = rule()
    s = run(a, mirror(a), Context(b=Side(down=True)))
    assert s.status is Status.MISSING_END_POINT and "shut down" in s.reason
    s = run(a, mirror(a), Context(b=Side(down="crypto map VPN is not applied")))
    assert "crypto map VPN is not applied" in s.reason
    assert run(a, mirror(a, enabled=False)).status is Status.MISSING_END_POINT
    s = run(a, mirror(a, action="permit"))
    assert s.status is Status.MISSING_END_POINT and "clear text" in s.reason


def test_wildcard_responder() -> None:
    a = rule()
    b = mirror(a, peer_address=IPv4Address("0.0.0.0"))
    s = run(a, b)
    assert s.established and s.directions == ("a",)
    s = run(b, b.model_copy(update={"name": "r2"}))
    assert s.status is Status.MISSING_END_POINT and "neither end" in s.reason


def test_pure_and_deterministic() -> None:
    a = rule(auths=(auth("psk"),))
    one = run(a)
    assert one == run(a)


def test_one_direction_failing_is_reported_with_the_working_direction() -> None:
    # a (strongSwan) requires PFS 14; b (IOS) sets none: IOS accepts a's offer when a
    # initiates, but when b initiates it offers no PFS and a refuses
    a = rule(version=1, pfs=14, ikes=(ike(group=14),))
    s = run(a, mirror(a, pfs_group=None), b_platform="ios")
    assert s.status is Status.IPSEC_PHASE2_FAILED and s.cause == "pfs"
    assert s.reason.startswith("when b:r1 initiates") and "works only when a:r1 initiates" \
        in s.reason


def test_causes_are_machine_readable() -> None:
    a = rule()
    assert run(a, mirror(a, mode="tunnel"), b_platform="windows").cause == "mode"
    assert run(a, mirror(a, ike_proposals=(ike(group=20),))).cause == "proposal"
    assert run(a).cause == ""
