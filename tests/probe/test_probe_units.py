"""The probe without a network: key exchange values, wire format, search boxes, the adaptive
enumerations against a model responder (any accepted set, cookies, lost packets), limits,
judging, drift and the result document."""

from __future__ import annotations

import base64
import contextlib
import json
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ikemodel import ModelResponder

from ccsec.crypto import Encr, IkeProposal, Integ, Prf
from ccsec.errors import UserError
from ccsec.probe import groups, iana, wire
from ccsec.probe.drift import compare, planned
from ccsec.probe.ikev1 import enumerate_v1
from ccsec.probe.ikev2 import Box, enumerate_v2, initial_boxes
from ccsec.probe.judge import judge
from ccsec.probe.result import Aggressive, Nat, ProbeResult, VersionResult, load
from ccsec.probe.space import V1Space, V2Space, v1_space, v2_space
from ccsec.probe.transport import Channel, Limits
from ccsec.probe.vendors import identify

# ------------------------------------------------------------------ key exchange values


def _der_ints(der: bytes) -> list[int]:
    """The INTEGERs of a DER SEQUENCE (enough for OpenSSL's DH PARAMETERS)."""
    pos, out = 1, []

    def length() -> int:
        nonlocal pos
        n = der[pos]
        pos += 1
        if n & 0x80:
            k = n & 0x7F
            n = int.from_bytes(der[pos:pos + k], "big")
            pos += k
        return n

    length()
    while pos < len(der):
        tag = der[pos]
        pos += 1
        n = length()
        if tag == 2:
            out.append(int.from_bytes(der[pos:pos + n], "big"))
        pos += n
    return out


@pytest.mark.parametrize("group,name", [(5, "modp_1536"), (14, "modp_2048"), (15, "modp_3072"),
                                        (16, "modp_4096"), (17, "modp_6144"),
                                        (18, "modp_8192"), (22, "dh_1024_160"),
                                        (23, "dh_2048_224"), (24, "dh_2048_256")])
def test_modp_parameters_are_openssls(group: int, name: str) -> None:
    pem = subprocess.run(["openssl", "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt",
                          f"group:{name}"], capture_output=True, text=True, check=True).stdout
    der = base64.b64decode("".join(ln for ln in pem.splitlines() if not ln.startswith("-----")))
    p, g = _der_ints(der)[:2]
    assert (groups.modp(group).p, groups.modp(group).g) == (p, g)


@pytest.mark.parametrize("group", [1, 2])
def test_oakley_768_1024_are_safe_primes(group: int) -> None:
    p = groups.modp(group).p
    q = (p - 1) // 2
    for base in (2, 3, 5, 7):  # Fermat witnesses: a mistyped digit fails these at once
        assert pow(base, p - 1, p) == 1
        assert pow(base, q - 1, q) == 1
    assert p.bit_length() == {1: 768, 2: 1024}[group]


def test_x25519_x448_rfc7748_vectors() -> None:
    alice = bytes.fromhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
    assert groups.montgomery(31, alice).hex() == (
        "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
    alice = bytes.fromhex("9a8f4925d1519f5775cf46b04b5800d4ee9ee8bae8bc5565d498c28dd9c9baf5"
                          "74a9419744897391006382a6f127ab1d9ac2d8c0a598726b")
    assert groups.montgomery(32, alice).hex() == (
        "9b08f7cc31b7e3e67d22d5aea121074a273bd2b83de09c63faa73d2c22c5d9bb"
        "c836647241d953d40c5b12da88120d53177f80e532c41fa0")


@pytest.mark.parametrize("group", [19, 20, 21, 25, 26, 27, 28, 29, 30])
def test_curve_points_lie_on_the_curve(group: int) -> None:
    c = groups.curve(group)
    data = groups.key_exchange(group)
    assert len(data) == 2 * c.size
    x, y = int.from_bytes(data[:c.size], "big"), int.from_bytes(data[c.size:], "big")
    assert (y * y - x ** 3 - c.a * x - c.b) % c.p == 0
    assert groups.ec_multiply(c, c.n - 1) == (c.gx, (-c.gy) % c.p)  # (n−1)·G = −G: order n


@pytest.mark.parametrize("group", iana.KE_GROUPS)
def test_every_group_has_a_value_of_the_wire_length(group: int) -> None:
    expected = {1: 96, 2: 128, 5: 192, 14: 256, 15: 384, 16: 512, 17: 768, 18: 1024, 19: 64,
                20: 96, 21: 132, 22: 128, 23: 256, 24: 256, 25: 48, 26: 56, 27: 56, 28: 64,
                29: 96, 30: 128, 31: 32, 32: 56}
    assert len(groups.key_exchange(group)) == expected[group]


# ------------------------------------------------------------------ numbers and wire format


def test_every_numbered_algorithm_reads_back_as_itself() -> None:
    for e in Encr:
        if (w := iana.encr_v2(e)) is not None:
            assert iana.encr_from_v2()[w] is e
        if (w := iana.encr_v1(e)) is not None:
            assert iana.encr_from_v1()[w] is e
    for i in Integ:
        if (n := iana.integ_v2(i)) is not None:
            assert iana.integ_from_v2()[n] is i
    for p in Prf:
        if (n := iana.prf_v2(p)) is not None:
            assert iana.prf_from_v2()[n] is p
    assert iana.encr_v2(Encr.AES256GCM) == iana.WireEncr(20, 256)
    assert iana.encr_v2(Encr.CHACHA20POLY1305) == iana.WireEncr(28, 0)  # fixed key: no attribute
    assert iana.encr_v1(Encr.AES128) == iana.WireEncr(7, 128)
    assert iana.encr_v1(Encr.AES128GCM) is None  # no IKEv1 AEAD for the ISAKMP SA


def test_v2_sa_round_trip() -> None:
    proposals = [[(1, 12, 256), (2, 5, 0), (3, 12, 0), (4, 19, 0)], [(1, 20, 128), (2, 7, 0),
                                                                    (4, 31, 0)]]
    data = wire.message(b"A" * 8, bytes(8), 0x20, wire.IKE_SA_INIT, wire.V2_INITIATOR,
                        [(wire.V2_SA, wire.v2_sa(proposals)), (wire.V2_NONCE, b"n" * 32)])
    msg = wire.parse(data)
    assert msg.header.spi_i == b"A" * 8 and msg.header.major == 2
    read = wire.v2_proposals(msg.first(wire.V2_SA) or b"")
    assert [p.number for p in read] == [1, 2]
    assert [[(t.kind, t.number, t.key_bits) for t in p.transforms] for p in read] == proposals
    assert msg.first(wire.V2_NONCE) == b"n" * 32


def test_v1_sa_round_trip_with_a_long_attribute() -> None:
    transforms = [[(1, 7), (14, 256), (2, 4), (3, 1), (4, 14), (11, 1), (12, 28800)],
                  [(1, 5), (2, 2), (3, 1), (4, 2), (12, 86400 * 10)]]
    read = wire.v1_transforms(wire.v1_sa(transforms))
    assert [t.number for t in read] == [1, 2]
    assert [t.attributes for t in read] == [dict(a) for a in transforms]


@settings(max_examples=300)
@given(st.binary(max_size=200))
def test_garbage_is_a_wire_error_never_a_crash(data: bytes) -> None:
    for reader in (wire.parse, wire.v2_proposals, wire.v1_transforms, wire.v2_notify_of,
                   wire.v1_notify_of):
        with contextlib.suppress(wire.WireError):
            reader(data)


def test_vendor_ids_are_named() -> None:
    assert identify(bytes.fromhex("882fe56d6fd20dbc2251613b2ebe5beb")).name == "strongSwan"
    ms = identify(bytes.fromhex("1e2b516905991c7d7c96fcbfb587e46100000009"))
    assert ms.vendor == "Microsoft" and "version 9" in (ms.name or "")
    assert identify(b"CISCO-DELETE-REASON").vendor == "Cisco"
    assert identify(bytes(16)).name is None


# ------------------------------------------------------------------ boxes

SMALL_V2 = V2Space(plain=(Encr.AES128, Encr.AES256, Encr.TDES),
                   aead=(Encr.AES128GCM, Encr.CHACHA20POLY1305),
                   integs=(Integ.SHA1, Integ.SHA256, Integ.MD5), prfs=(Prf.SHA1, Prf.SHA256),
                   groups=(14, 19, 31))
SMALL_V1 = V1Space(encs=(Encr.AES128, Encr.AES256, Encr.TDES),
                   hashes=(Integ.SHA1, Integ.SHA256, Integ.MD5), groups=(2, 14, 19, 31))


def _all(box: Box) -> set[IkeProposal]:
    return {IkeProposal(encryption=e, integrity=i, prf=p, group=g)
            for e in box.encs for i in (box.integs or (None,)) for p in box.prfs
            for g in box.groups}


ALL_V2 = sorted(set().union(*(_all(b) for b in initial_boxes(SMALL_V2))), key=lambda p: p.label())
ALL_V1 = [IkeProposal(encryption=e, integrity=h, group=g) for e, h, g in SMALL_V1.combinations()]


@given(st.sampled_from(ALL_V2))
def test_a_box_minus_one_combination_is_partitioned_exactly(t: IkeProposal) -> None:
    box = next(b for b in initial_boxes(SMALL_V2) if t in b)
    parts = box.without(t)
    sets = [_all(p) for p in parts]
    assert set().union(*sets) == _all(box) - {t}
    assert sum(len(s) for s in sets) == len(_all(box)) - 1  # disjoint


def test_the_exhaustive_yardstick_counts_every_combination() -> None:
    assert SMALL_V2.exhaustive == len(ALL_V2) == 3 * 3 * 2 * 3 + 2 * 2 * 3
    assert v2_space().exhaustive == sum(len(_all(b)) for b in initial_boxes(v2_space()))
    assert v1_space().exhaustive == len(v1_space().combinations())


# ------------------------------------------------------------------ enumeration vs a model

FAST = Limits(rate=0, wait_s=0.01, retries=2, half_open=10 ** 6, timeout_s=60)


@settings(max_examples=60)
@given(st.lists(st.sampled_from(ALL_V2), unique=True, max_size=25), st.randoms())
def test_v2_finds_exactly_any_accepted_set(accepted: list[IkeProposal], rnd) -> None:
    rnd.shuffle(accepted)
    model = ModelResponder(accepted)
    result = enumerate_v2(Channel(model, FAST), SMALL_V2, Nat(), [])  # type: ignore[arg-type]
    assert result.complete, result.stopped
    assert set(result.accepted) == set(accepted)
    groups_used = {p.group for p in accepted}
    assert result.packets == len(model.requests)
    assert result.packets <= len(accepted) + 2 * len(groups_used) + 2


@settings(max_examples=25)
@given(st.lists(st.sampled_from(ALL_V2), unique=True, min_size=1, max_size=12))
def test_v2_survives_cookies_and_lost_packets(accepted: list[IkeProposal]) -> None:
    model = ModelResponder(accepted, cookie_every=3, drop_every=4)
    result = enumerate_v2(Channel(model, FAST), SMALL_V2, Nat(), [])  # type: ignore[arg-type]
    assert result.complete, result.stopped
    assert set(result.accepted) == set(accepted)


@settings(max_examples=60)
@given(st.lists(st.sampled_from(ALL_V1), unique=True, max_size=20))
def test_v1_finds_exactly_any_accepted_set(accepted: list[IkeProposal]) -> None:
    model = ModelResponder(accepted, version=1)
    result = enumerate_v1(Channel(model, FAST), SMALL_V1, iana.AUTH_PSK,  # type: ignore[arg-type]
                          Nat(), [])
    assert result.complete, result.stopped
    assert set(result.accepted) == set(accepted)
    assert result.packets == len(accepted) + 1  # the small space fits one packet


def test_v1_packs_a_packet_and_needs_few_refusals() -> None:
    space = v1_space()
    accepted = [IkeProposal(encryption=Encr.AES256, integrity=Integ.SHA256, group=19)]
    model = ModelResponder(accepted, version=1)
    result = enumerate_v1(Channel(model, Limits(rate=0, wait_s=0.01, half_open=10 ** 6,  # type: ignore[arg-type]
                                                max_packet=3000)), space, iana.AUTH_PSK, Nat(),
                          [])
    assert result.accepted == accepted and result.complete
    assert all(len(r) <= 3000 for r in model.requests)
    assert result.packets <= 1 + -(-space.exhaustive // 75)  # ≥ 75 transforms per packet
    assert result.ratio is not None and result.ratio < 0.02


def test_the_budget_stops_the_probe_with_a_reason() -> None:
    model = ModelResponder(ALL_V2[:20])
    limits = Limits(rate=0, wait_s=0.01, half_open=10 ** 6, budget=5)
    result = enumerate_v2(Channel(model, limits), SMALL_V2, Nat(), [])  # type: ignore[arg-type]
    assert not result.complete and "budget (5)" in (result.stopped or "")
    assert result.packets == 5 and len(model.requests) == 5


def test_silence_is_reported_not_guessed() -> None:
    model = ModelResponder([], drop_every=1)
    result = enumerate_v2(Channel(model, FAST), SMALL_V2, Nat(), [])  # type: ignore[arg-type]
    assert not result.answered and not result.complete
    assert "no answer to the first request after 3 tries" in (result.stopped or "")


def test_half_open_pace_waits_for_the_hold_window() -> None:
    """Three accepted requests with a limit of two per 30 s: the third waits ~30 s."""
    now = [0.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    accepted = [IkeProposal(encryption=Encr.AES128, integrity=Integ.SHA1, prf=Prf.SHA1,
                            group=19),
                IkeProposal(encryption=Encr.AES256, integrity=Integ.SHA1, prf=Prf.SHA1,
                            group=19),
                IkeProposal(encryption=Encr.TDES, integrity=Integ.SHA1, prf=Prf.SHA1, group=19)]
    channel = Channel(ModelResponder(accepted), Limits(rate=0, wait_s=0.01, half_open=2,  # type: ignore[arg-type]
                                                       half_open_hold_s=30),
                      clock=lambda: now[0], sleep=sleep)
    result = enumerate_v2(channel, SMALL_V2, Nat(), [])
    assert set(result.accepted) == set(accepted)
    assert slept and max(slept) == pytest.approx(30.0)


# ------------------------------------------------------------------ judging and drift


def _result(**kw: object) -> ProbeResult:
    return ProbeResult(target="gw", address="192.0.2.1", port=500, **kw)  # type: ignore[arg-type]


def test_judge_uses_the_audit_catalog() -> None:
    weak = IkeProposal(encryption=Encr.TDES, integrity=Integ.MD5, group=2)
    r = _result(ikev1=VersionResult(version=1, answered=True, complete=True, accepted=[weak]),
                ikev2=VersionResult(version=2, answered=True, complete=False, stopped="budget",
                                    accepted=[IkeProposal(encryption=Encr.AES256GCM,
                                                          prf=Prf.SHA256, group=19)]),
                aggressive=Aggressive(tried=True, accepted=True, identity="198.51.100.7",
                                      proposal=weak),
                nat=Nat(supported=False))
    rules = sorted(f.rule for f in judge(r))
    assert rules == sorted(["IPSEC-ENC-003", "IPSEC-INT-001", "IPSEC-DH-002", "IPSEC-AUTH-003",
                            "IPSEC-IKE-005", "IPSEC-OPS-002", "IPSEC-PROBE-003"])


def test_judge_ikev1_only_and_a_clean_gateway() -> None:
    good = IkeProposal(encryption=Encr.AES256, integrity=Integ.SHA256, group=19)
    r = _result(ikev1=VersionResult(version=1, answered=True, complete=True, accepted=[good]),
                ikev2=VersionResult(version=2, answered=True, complete=True),
                nat=Nat(supported=True))
    assert [f.rule for f in judge(r)] == ["IPSEC-PROBE-004"]
    r.ikev1 = None
    assert judge(r) == []


def test_drift_against_the_plan(demo_ps) -> None:
    end = next(e for e in demo_ps.ends if any(r.ike.version == 2 for r in e.rules))
    plan = planned(end)
    assert 2 in plan
    keep = plan[2][0]
    extra = IkeProposal(encryption=Encr.TDES, integrity=Integ.SHA1, prf=Prf.SHA1, group=2)
    r = _result(ikev2=VersionResult(version=2, answered=True, complete=True,
                                    accepted=[keep, extra], space=v2_space().to_json()))
    r.drift = compare(r, "demo", end)
    assert r.drift.extra == {"ikev2": [extra.label()]}
    assert r.drift.missing == ({"ikev2": [p.label() for p in plan[2][1:]]}
                               if len(plan[2]) > 1 else {})
    rules = {f.rule for f in judge(r)}
    assert "IPSEC-PROBE-001" in rules
    assert ("IPSEC-PROBE-002" in rules) == (len(plan[2]) > 1)
    # an incomplete probe proves nothing missing
    assert r.ikev2 is not None
    r.ikev2.complete = False
    assert compare(r, "demo", end).missing == {}


def test_result_document_round_trip(tmp_path: Path) -> None:
    r = _result(ikev2=VersionResult(version=2, answered=True, complete=True, packets=7,
                                    exhaustive=700,
                                    accepted=[IkeProposal(encryption=Encr.AES128, group=2,
                                                          integrity=Integ.SHA1, prf=Prf.SHA1)]),
                nat=Nat(supported=False))
    r.findings = judge(r)
    path = tmp_path / "r.json"
    path.write_text(json.dumps(r.to_json()), encoding="utf-8")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["ikev2"]["ratio"] == 0.01 and data["packets"] == 7
    assert data["ikev2"]["accepted_labels"] == ["aes128-sha1-prfsha1-modp1024"]
    back = load(path)
    assert back.ikev2 == r.ikev2 and back.findings == r.findings


@pytest.mark.parametrize("text", ["not json", "[]", '{"schema": "other"}',
                                  '{"schema": "ccsec-probe/1", "target": 3}'])
def test_a_wrong_result_file_is_a_clear_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "r.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UserError) as exc:
        load(path)
    assert "--probe" in str(exc.value) and "Traceback" not in str(exc.value)


# ------------------------------------------------------------------ the command's errors


def test_cli_refuses_bad_input_with_exit_2(cli) -> None:
    assert cli("probe", "no-such-host.invalid", "--ike", "2").code == 2
    res = cli("probe", "192.0.2.1", "--deployment", "demo")
    assert res.code == 2 and "--as" in res.err
    res = cli("probe", "192.0.2.1", "--deployment", "demo", "--as", "nobody")
    assert res.code == 2 and "no end 'nobody'" in res.err
    assert cli("probe", "192.0.2.1", "--groups", "14,99").code == 2


class _V1Only(ModelResponder):
    """Answers IKEv2 with an IKEv1 INVALID_MAJOR_VERSION notification (a v1-only gateway)."""

    def _v2(self, msg: wire.Message) -> bytes:
        import struct

        note = struct.pack("!IBBH", wire.DOI_IPSEC, 1, 0, 5)
        return wire.message(msg.header.spi_i, bytes(8), 0x10, wire.INFORMATIONAL_V1, 0,
                            [(wire.V1_NOTIFY, note)])


def test_a_gateway_without_ikev2_is_decided_not_incomplete() -> None:
    v1 = [IkeProposal(encryption=Encr.AES256, integrity=Integ.SHA256, group=14)]
    model = _V1Only(v1, version=1)
    r = _result(ikev2=enumerate_v2(Channel(model, FAST), SMALL_V2, Nat(), []),  # type: ignore[arg-type]
                ikev1=enumerate_v1(Channel(model, FAST), SMALL_V1, iana.AUTH_PSK,  # type: ignore[arg-type]
                                   Nat(), []))
    assert r.ikev2 is not None and r.ikev2.complete and not r.ikev2.accepted
    assert "no IKEv2 on this port" in r.ikev2.anomalies[0]
    assert r.ikev1 is not None and r.ikev1.accepted == v1
    assert [f.rule for f in judge(r)] == ["IPSEC-PROBE-004"]


@settings(max_examples=15)
@given(st.lists(st.sampled_from(ALL_V2), unique=True, max_size=12))
def test_v2_halves_boxes_that_do_not_fit_a_small_packet(accepted: list[IkeProposal]) -> None:
    model = ModelResponder(accepted)
    limits = Limits(rate=0, wait_s=0.01, half_open=10 ** 6, max_packet=560)
    result = enumerate_v2(Channel(model, limits), SMALL_V2, Nat(), [])  # type: ignore[arg-type]
    assert result.complete, result.stopped
    assert set(result.accepted) == set(accepted)
    assert max(len(r) for r in model.requests) <= 560


def test_a_packet_limit_below_one_proposal_is_a_clear_stop() -> None:
    limits = Limits(rate=0, wait_s=0.01, half_open=10 ** 6, max_packet=200)
    result = enumerate_v2(Channel(ModelResponder([]), limits), SMALL_V2, Nat(), [])  # type: ignore[arg-type]
    assert not result.complete and "--max-packet 200 is too small" in (result.stopped or "")
