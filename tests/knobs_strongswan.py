"""What swanctl.conf carries exactly (see ccsec.formats.strongswan.swanctl for what it loses)."""

from ccsec.crypto import Integ
from strategies import MODERN_ESP, MODERN_IKE, Knobs, _esp

KNOBS = Knobs(
    ike=MODERN_IKE,
    esp=(*MODERN_ESP, _esp(None, ah=Integ.SHA256)),
    exchanges=("main", "aggressive"),
    actions=("negotiate", "permit", "block"),
    security=(("require", "require"), ("request", "request")),
    psk_alphabet="".join(chr(c) for c in range(32, 127)) + "ü",
)
