"""The witness's libreswan side without root: ipsec.conf in libreswan's words, pluto's log read."""

from __future__ import annotations

import pytest

from ccsec.crypto import Encr, EspProposal, IkeProposal, Integ, Prf
from ccsec.deployment import loads
from ccsec.deployment.demo import demo_text
from ccsec.lab.libreswan import Unsupported, config, esp_text, id_text, ike_text, read_log
from ccsec.lab.witness import sides
from ccsec.plan import plan
from ccsec.policy import Identity


def test_proposals_in_libreswan_words() -> None:
    assert ike_text(IkeProposal(encryption=Encr.AES256, integrity=Integ.SHA256, group=19)) \
        == "aes256-sha2_256;dh19"
    assert ike_text(IkeProposal(encryption=Encr.AES256GCM, prf=Prf.SHA384, group=20)) \
        == "aes_gcm256-sha2_384;dh20"
    assert esp_text(EspProposal(encryption=Encr.AES256GCM), 14) == "aes_gcm256-null;dh14"
    assert esp_text(EspProposal(encryption=Encr.AES128, integrity=Integ.SHA1), None) \
        == "aes128-sha1"
    with pytest.raises(Unsupported, match="not compiled"):
        ike_text(IkeProposal(encryption=Encr.TDES, integrity=Integ.SHA1, group=2))
    with pytest.raises(Unsupported, match="IKEv1 has no PFS with DH group 19"):
        esp_text(EspProposal(encryption=Encr.AES256GCM), 19, version=1)


def test_identities() -> None:
    assert id_text(Identity(kind="fqdn", value="gw-west")) == "@gw-west"
    assert id_text(Identity(kind="dn", value="CN=a.example")) == '"CN=a.example"'
    assert id_text(Identity(kind="address", value="192.0.2.1")) == "192.0.2.1"
    assert id_text(None) == "%fromcert"


def test_demo_tunnel_as_a_libreswan_connection() -> None:
    ps = plan(loads(demo_text(), "demo.yaml"))
    rule = ps.end("rtr-osaka").rule("t-dc-east-pg-osaka")
    text = config([(rule, True)], "rtr-osaka", "/tmp/pluto.log")  # type: ignore[arg-type]
    assert "    ikev1-policy=accept" in text and "conn t-dc-east-pg-osaka\n" in text
    for line in ("leftid=@rtr-osaka", "rightid=@rtr-east", "ikev2=yes",
                 "ike=aes256-sha2_256;dh19,aes256-sha2_256;dh14",
                 "esp=aes_gcm256-null;dh19,aes256-sha2_256;dh19", "leftcert=rtr-osaka",
                 "leftsubnet=10.20.0.0/16", "rightsubnet=10.1.0.0/16", "auto=start"):
        assert f"    {line}\n" in text, line


def test_a_real_strongswan_end_keeps_strongswan() -> None:
    assert sides([("gw-west", "ios"), ("gw-nagoya", "strongswan")]) == (1, 0)
    assert sides([("pg1-a", "windows"), ("cucm-1", "cucm")]) == (0, 1)
    assert sides([("a", "linux"), ("b", "linux")]) == (0, 1)


PLUTO_RESPONDER = "\n".join([
    "Dec  6 23:09:49.215517: \"t\" #1: responder established IKE SA; authenticated peer 'x'",
    "Dec  6 23:09:49.219102: \"t\" #2: proposal 1:ESP=AES_GCM_C_256-DISABLED SPI=41df5f37 "
    "chosen from remote proposals 1:ESP:ENCR=AES_GCM_C_256",
    "Dec  6 23:09:49.219317: ERROR: \"t\" #2: netlink response for Add SA "
    "esp.41df5f37@198.51.100.1: Function not implemented (errno 38)", ""])


def test_pluto_log_reading() -> None:
    r = read_log(PLUTO_RESPONDER)
    assert (r.ike, r.child, r.installed, r.kernel_refused) == (True, True, False, True)
    failed = read_log('Dec  6 x: "t" #1: authentication failed: no certificate matched\n')
    assert (failed.ike, failed.child) == (False, False)
    assert failed.evidence
