"""What the IOS site-tunnel format carries exactly (ccsec.formats.ios.losses says what it loses).

Tunnel mode only, IKEv1 (main mode) and IKEv2, certificates or PSKs, the IOS algorithm words
(§2.2, §5.1–5.4) including AH and GMAC transform sets, up to 6 transform sets, the IOS ranges for
lifetimes and volumes, and gateway fields (crypto map or VTI, with or without source NAT).
"""

from ccsec.crypto import Encr, Integ, Prf
from strategies import MODERN_ESP, MODERN_IKE, Knobs, _esp, _ike

IOS_IKE = (
    *MODERN_IKE,
    _ike(Encr.AES192, Integ.SHA384, 15),
    _ike(Encr.DES, Integ.MD5, 1),
    _ike(Encr.AES128, Integ.SHA512, 24),
    _ike(Encr.AES128GCM, None, 21, Prf.SHA512),
)
IOS_ESP = (
    *MODERN_ESP,
    _esp(None, ah=Integ.SHA256),
    _esp(Encr.AES256, Integ.SHA256, ah=Integ.SHA1),
    _esp(Encr.AES128GMAC),
    _esp(Encr.AES192, Integ.SHA512),
    _esp(Encr.DES, Integ.MD5),
    _esp(Encr.AES256GMAC),
)

KNOBS = Knobs(
    ike=IOS_IKE,
    esp=IOS_ESP,
    pfs=(None, 1, 2, 5, 14, 15, 16, 19, 20, 21, 24),
    modes=("tunnel",),
    max_ike=4,
    max_esp=6,
    # printable ASCII without the blank (IOS reads one word) and '?' (context help)
    psk_alphabet="".join(chr(c) for c in range(33, 127) if chr(c) != "?"),
    psk_min=8,
    ike_lifetime=(120, 86400),
    child_lifetime=(120, 86400),
    kb_range=(2560, 4_294_967_295),
    platform="ios",
    gateway=True,
)
