"""What a NetSecurity script carries exactly (ccsec.formats.windows.powershell: what it loses).

IKEv1 and IKEv2 (weighted 2:1 — Windows IKEv2 takes certificates only, so two of three IKEv2
draws are refused); main mode DES/3DES/AES-128/192/256 × MD5/SHA1/SHA256/SHA384 × DH
1/2/14/19/20/24; quick mode ESP with AES-GCM (paired with AES-GMAC), CBC ciphers with or without
integrity, null encryption with SHA-2 or AES-GMAC integrity, AH alone and AH+ESP; PFS in the
same groups; Kerberos, root-CA certificates and pre-shared keys (quotes and typographic quotes
included, they must be doubled); the four require/request pairs a negotiate rule can have;
every connection type; lifetimes in whole minutes inside the cmdlet ranges; ports with TCP/UDP.
"""

from ccsec.crypto import Encr, Integ
from strategies import Knobs, _esp, _ike

IKE = tuple(
    _ike(e, i, g)
    for e in (Encr.DES, Encr.TDES, Encr.AES128, Encr.AES192, Encr.AES256)
    for i in (Integ.MD5, Integ.SHA1, Integ.SHA256, Integ.SHA384)
    for g in (1, 2, 14, 19, 20, 24)
)
ESP = (
    _esp(Encr.AES256GCM),
    _esp(Encr.AES192GCM),
    _esp(Encr.AES128GCM),
    _esp(Encr.AES256, Integ.SHA256),
    _esp(Encr.AES192, Integ.SHA384),
    _esp(Encr.AES128, Integ.SHA1),
    _esp(Encr.TDES, Integ.SHA1),
    _esp(Encr.DES, Integ.MD5),
    _esp(Encr.AES256, None),
    _esp(Encr.NULL, Integ.SHA256),
    _esp(Encr.NULL, Integ.AES128GMAC),
    _esp(Encr.NULL, Integ.AES256GMAC),
    _esp(None, ah=Integ.SHA1),
    _esp(None, ah=Integ.SHA256),
    _esp(Encr.AES256, Integ.SHA256, Integ.SHA1),
)

KNOBS = Knobs(
    ike_versions=(1, 1, 2),
    exchanges=("main",),
    ike=IKE,
    esp=ESP,
    pfs=(None, 1, 2, 14, 19, 20, 24),
    auth=("kerberos", "certificate", "psk"),
    modes=("transport", "tunnel"),
    actions=("negotiate",),
    security=(("require", "require"), ("require", "request"), ("request", "request"),
              ("request", "none")),
    connection_types=("all", "lan", "dialup"),
    ids=False,
    psk_alphabet="".join(chr(c) for c in range(32, 127)) + "ü\u2018\u2019\u201a\u201b",
    lifetime_step=60,
    ike_lifetime=(60, 2879 * 60),
    child_lifetime=(300, 2879 * 60),
    kb_range=(20480, 2_147_483_647),
    dpd=False,
    initiate=False,
    platform="windows",
)
