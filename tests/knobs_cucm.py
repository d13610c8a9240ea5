"""What the CUCM IPSEC Policy Configuration sheet carries exactly (see ccsec.formats.cucm).

Transport only, IKEv1 main mode assumed [U], one IKE and one ESP proposal from the 12.x
non-FIPS value table (3DES/AES 128/AES 256, SHA1/SHA256, Phase One DH 2/5/14-18, Phase Two DH
2/5/14/16-18 or none), certificates or pre-shared keys of letters, digits and hyphens, one
host-pair filter with Protocol TCP/UDP/Any and ports, lifetimes in seconds.  ESP integrity must
equal the IKE hash (the page has no separate choice), so about half of the drawn rules are
refused — the round-trip property skips those.  ``ports=False`` keeps that filtering below
hypothesis' limit (protocols 1/47 would refuse another 40%); TCP/UDP with ports round-trip in
tests/test_format_cucm.py, which draws from ``KNOBS_PORTS`` and repairs what the page refuses.
"""

import string
from dataclasses import replace

from ccsec.crypto import Encr, Integ
from strategies import Knobs, _esp, _ike

CIPHERS = (Encr.TDES, Encr.AES128, Encr.AES256)
HASHES = (Integ.SHA1, Integ.SHA256)

KNOBS = Knobs(
    ike_versions=(1,),
    exchanges=("main",),
    ike=tuple(_ike(e, i, g) for e in CIPHERS for i in HASHES for g in (2, 5, 14, 15, 16, 17, 18)),
    esp=tuple(_esp(e, i) for e in CIPHERS for i in HASHES),
    pfs=(None, 2, 5, 14, 16, 17, 18),
    auth=("certificate", "psk"),
    modes=("transport",),
    max_ike=1,
    max_esp=1,
    max_rules=2,
    max_filters=1,
    ports=False,
    psk_alphabet=string.ascii_letters + string.digits + "-",
    platform="cucm",
)
KNOBS_PORTS = replace(KNOBS, ports=True)
