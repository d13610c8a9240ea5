"""What a netsh ipsec static script carries exactly (see ccsec.formats.windows.netsh for losses).

IKEv1 main mode only; IKE methods DES/3DES × MD5/SHA1 × DH 1/2/14 (netsh groups 1/2/3);
quick-mode offers from the qmsecmethods help grammar (ESP[DES|3DES|None, MD5|SHA1|None], AH[…],
AH[…]+ESP[…]); lifetimes in whole minutes (IKE) and kB/s (quick mode); soft=/inpass= for the
four require/request combinations; Kerberos, root-CA certificates and PSKs; every action and
connection type.

Tuned so that enough drawn policies are expressible (the shared description strategy puts a
double quote or a control character into about half of all descriptions, which netsh must
refuse): at most two rules, no PFS here — qmpfs=yes reuses the main-mode group, so PFS is only
exact when every IKE method of the policy has that group; the netsh format tests draw
exactly those policies — and certificate auth (half of which the strategy draws without a CA
name) one time in five.
"""

from ccsec.crypto import Encr, Integ
from strategies import Knobs, _esp, _ike

IKE = tuple(
    _ike(e, i, g)
    for e in (Encr.DES, Encr.TDES)
    for i in (Integ.MD5, Integ.SHA1)
    for g in (1, 2, 14)
)
ESP = (
    _esp(Encr.TDES, Integ.SHA1),
    _esp(Encr.TDES, Integ.MD5),
    _esp(Encr.DES, Integ.SHA1),
    _esp(Encr.DES, Integ.MD5),
    _esp(Encr.TDES, None),
    _esp(Encr.NULL, Integ.SHA1),
    _esp(None, ah=Integ.SHA1),
    _esp(None, ah=Integ.MD5),
    _esp(Encr.TDES, Integ.SHA1, Integ.SHA1),
    _esp(Encr.DES, None, Integ.MD5),
)

KNOBS = Knobs(
    ike_versions=(1,),
    exchanges=("main",),
    ike=IKE,
    esp=ESP,
    pfs=(None,),
    auth=("kerberos", "kerberos", "psk", "psk", "certificate"),
    modes=("transport", "tunnel"),
    actions=("negotiate", "permit", "block"),
    security=(("require", "require"), ("request", "require"), ("require", "request"),
              ("request", "request")),
    connection_types=("all", "lan", "dialup"),
    max_rules=2,
    ids=False,
    # netsh quotes the key: no double quote (no escape exists) and no control characters
    psk_alphabet="".join(chr(c) for c in range(32, 127) if chr(c) != '"'),
    lifetime_step=60,
    ike_lifetime=(300, 86400),
    child_lifetime=(300, 172800),
    kb_range=(20480, 2_147_483_647),
    dpd=False,
    initiate=False,
    platform="windows",
)
