"""The CUCM page as data: value tables per release, field labels, token vocabularies.

Value tables (``TABLES``, data not code): ``12.x`` (default: Unified CM 12.x–15, non-FIPS),
``12.x-fips`` (FIPS / Enhanced Security Mode) and ``gen2`` (the older single-page form of
8.6–11.x, still printed by the Unity Connection 15 guide).  ``RELEASES`` maps a sheet's
``# release: X  FIPS mode: Y`` line to a table.  ``FIELDS`` is the page's fields in page order
with the exact Generation 2/3 labels (cucm-ipsec.md §3); ``SHOW_LABELS`` the labels of
``show ipsec information``.  The ``*_TOKENS`` tables hold every spelling ccsec reads (the Gen 3
``show`` spellings are [U], so several are accepted).  The renderer (:mod:`.render`) and the
reader (:mod:`.scan`, :mod:`.read`) both work from these tables, so a release's drop-down values
are written down once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from ipaddress import IPv4Address
from typing import Literal

from ccsec.crypto import Encr, Integ
from ccsec.policy import Identity

#: True: the reader (:mod:`.scan`, :mod:`.read`, :func:`cert_identity`) takes its fast ways;
#: False: the long ways they were first written in, kept callable so that
#: tests/ux/test_ux_speed_readers.py can hold the one to the other (issue 16)
FAST = True

# ----------------------------------------------------------------------------- value tables


@dataclass(frozen=True)
class ValueTable:
    """The drop-down values of one release/mode, in the page's order (label as the GUI shows it)."""

    key: str
    title: str
    source: str
    auth: dict[str, str]
    encryption: dict[Encr, str]
    hashes: dict[Integ, str]
    esp: dict[Encr, str]
    phase1_dh: tuple[int, ...]
    phase2_dh: tuple[int, ...]
    peer_types: tuple[str, ...]


_GEN3_CIPHERS = {Encr.TDES: "3DES", Encr.AES128: "AES 128", Encr.AES256: "AES 256"}
_GEN3_HASHES = {Integ.SHA1: "SHA1", Integ.SHA256: "SHA256"}

TABLES: dict[str, ValueTable] = {
    "12.x": ValueTable(
        key="12.x",
        title="Unified CM 12.x-15, non-FIPS",
        source="O: Emergency Responder 12.5(1)SU1 guide, same OS platform; U for Unified CM",
        auth={"psk": "Preshared Key", "certificate": "Certificate"},
        encryption=_GEN3_CIPHERS,
        hashes=_GEN3_HASHES,
        esp=_GEN3_CIPHERS,
        phase1_dh=(2, 5, 14, 15, 16, 17, 18),
        phase2_dh=(2, 5, 14, 16, 17, 18),  # 15 missing in phase two, as the guide prints it
        peer_types=("Different",),
    ),
    "12.x-fips": ValueTable(
        key="12.x-fips",
        title="Unified CM 12.x-15, FIPS / Enhanced Security Mode (no pre-shared keys)",
        source="O: Emergency Responder 12.5(1)SU1 guide, FIPS table; U for Unified CM",
        auth={"certificate": "Certificate"},
        encryption=_GEN3_CIPHERS,
        hashes=_GEN3_HASHES,
        esp=_GEN3_CIPHERS,
        phase1_dh=(14, 15, 16, 17, 18),
        phase2_dh=(14, 15, 16, 17, 18),
        peer_types=("Different",),
    ),
    "gen2": ValueTable(
        key="gen2",
        title="Generation 2 page (Unified OS 8.6-11.x; Unity Connection 15 and VVB 12.5 guides)",
        source="O: VVB 12.5(1) and Unity Connection 15 OS-administration guides",
        auth={"psk": "Pre-shared Key", "certificate": "Certificate"},
        encryption={Encr.DES: "DES", Encr.TDES: "3DES"},
        hashes={Integ.SHA1: "SHA1", Integ.MD5: "MD5"},
        # RIJNDAEL's key size is not documented [U]: read and written as AES-128
        esp={Encr.NULL: "NULL_ENC", Encr.DES: "DES", Encr.TDES: "3DES",
             Encr.BLOWFISH: "BLOWFISH", Encr.AES128: "RIJNDAEL"},
        phase1_dh=(2, 1, 5),
        phase2_dh=(2, 1, 5),
        peer_types=("Same", "Different"),
    ),
}
DEFAULT_TABLE = "12.x"
#: "# release: X  FIPS mode: Y" → table: (lowest major release, non-FIPS table, FIPS table)
RELEASES: tuple[tuple[int, str, str | None], ...] = ((12, "12.x", "12.x-fips"), (0, "gen2", None))
#: Life Time a parser assumes when a field is missing: undocumented [U]; the only published
#: ``show ipsec information`` sample (CLI reference 12.5(1)SU3) shows 3600 for both phases
ASSUMED_LIFETIME_S = 3600


def table_for_release(major: int, fips: bool) -> tuple[str, str | None]:
    """(table key, warning) for a release's major number and FIPS mode, from ``RELEASES``."""
    for lowest, plain, with_fips in RELEASES:
        if major >= lowest:
            if fips and with_fips is None:
                return plain, f"no FIPS value list is documented for release {major}; " \
                              f"checked against '{plain}'"
            return (with_fips if fips and with_fips else plain), None
    return DEFAULT_TABLE, None


# ----------------------------------------------------------------------------- page fields

#: the page's fields in page order (cucm-ipsec.md §2.2/§3) → the sheet's labels
FIELDS: tuple[tuple[str, str], ...] = (
    ("group", "Policy Group Name"),
    ("name", "Policy Name"),
    ("auth", "Authentication Method"),
    ("psk", "Preshared Key"),
    ("peer_type", "Peer Type"),
    ("cert", "Certificate Name"),
    ("dst", "Destination Address"),
    ("dst_port", "Destination Port"),
    ("src", "Source Address"),
    ("src_port", "Source Port"),
    ("mode", "Mode"),
    ("remote_port", "Remote Port"),
    ("protocol", "Protocol"),
    ("encryption", "Encryption Algorithm"),
    ("hash", "Hash Algorithm"),
    ("esp", "ESP Algorithm"),
    ("p1_life", "Phase One Life Time"),
    ("p1_dh", "Phase One DH"),
    ("p2_life", "Phase Two Life Time"),
    ("p2_dh", "Phase Two DH"),
    ("enabled", "Enable Policy"),
)
LABEL_WIDTH = max(len(label) for _, label in FIELDS)
FIELD_LABEL = dict(FIELDS)


@lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """Lower-case ASCII letters and digits only: how labels and tokens are compared.

    Lower-cased first (a few non-ASCII letters lower-case to ASCII ones, the Kelvin sign to
    ``k``), then every character but ``a-z0-9`` dropped.  Cached: a sheet repeats the same
    labels and tokens block after block."""
    return _NOT_ALNUM.sub("", text.lower())


_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


SHEET_LABELS: dict[str, str] = {fold(label): key for key, label in FIELDS}
SHEET_LABELS.update({"phase1lifetime": "p1_life", "phase2lifetime": "p2_life",
                     "phase1dh": "p1_dh", "phase2dh": "p2_dh"})
#: ``show ipsec information`` labels (CLI reference 12.5(1)SU3 sample [D C5])
SHOW_LABELS: dict[str, str] = {
    "policygroup": "group", "policyname": "name", "type": "mode",
    "sourceaddress": "src", "sourcetype": "src_type",
    "destinationaddress": "dst", "destinationtype": "dst_type",
    "protocol": "protocol", "sourceport": "src_port", "destinationport": "dst_port",
    "remoteport": "remote_port", "authenticationmethod": "auth", "peertype": "peer_type",
    "destinationcertificate": "cert", "sourcecertificate": "src_cert", "psk": "psk",
    "encryptionalgorithm": "encryption", "hashalgorithm": "hash", "esp": "esp", "ah": "ah",
    "phase1dhvalue": "p1_dh", "phase2dhvalue": "p2_dh",
    "phase1lifetime": "p1_life", "phase2lifetime": "p2_life", "status": "enabled",
}
LABELS = {**SHEET_LABELS, **SHOW_LABELS}
SHOW_ONLY = frozenset(SHOW_LABELS) - frozenset(SHEET_LABELS)
SHEET_ONLY = frozenset(SHEET_LABELS) - frozenset(SHOW_LABELS)

# ------------------------------------------------------------------- tokens, every generation

ENCR_TOKENS: dict[str, Encr] = {
    "des": Encr.DES, "3des": Encr.TDES, "des3": Encr.TDES, "tripledes": Encr.TDES,
    "aes": Encr.AES128,  # [U] a bare "aes" token: the 128-bit default assumed
    "aes128": Encr.AES128, "rijndael": Encr.AES128, "aes192": Encr.AES192,
    "aes256": Encr.AES256, "blowfish": Encr.BLOWFISH,
}
ESP_TOKENS: dict[str, Encr] = {**ENCR_TOKENS, "nullenc": Encr.NULL, "espnull": Encr.NULL}
HASH_TOKENS: dict[str, Integ] = {
    "sha1": Integ.SHA1, "sha": Integ.SHA1, "sha196": Integ.SHA1,
    "md5": Integ.MD5, "md596": Integ.MD5,
    "sha256": Integ.SHA256, "sha2256": Integ.SHA256, "sha2": Integ.SHA256,
    "sha2256128": Integ.SHA256, "sha384": Integ.SHA384, "sha2384": Integ.SHA384,
    "sha512": Integ.SHA512, "sha2512": Integ.SHA512,
}
AUTH_TOKENS: dict[str, Literal["psk", "certificate"]] = {
    "presharedkey": "psk", "preshared": "psk", "psk": "psk", "sharedkey": "psk",
    "certificate": "certificate", "cert": "certificate", "x509": "certificate",
    "rsasig": "certificate",
}
PROTOCOL_TOKENS: dict[str, int | None] = {"any": None, "all": None, "ip": None, "": None,
                                          "tcp": 6, "udp": 17}
PROTOCOL_LABELS: dict[int | None, str] = {None: "Any", 6: "TCP", 17: "UDP"}
TRUE_WORDS = frozenset({"[x]", "[*]", "[v]", "[✓]", "[✔]", "yes", "y", "true", "on", "checked",
                        "enabled", "enable", "1"})
FALSE_WORDS = frozenset({"[]", "no", "n", "false", "off", "unchecked", "disabled", "disable", "0"})
NONE_WORDS = frozenset({"", "null", "none"})

PSK_RE = re.compile(r"^[A-Za-z0-9-]+$")
CERT_UNSAFE_RE = re.compile(r"[^A-Za-z0-9._-]")
LIFETIME_RE = re.compile(r"^(\d{1,9})\s*(?:s|sec|secs|seconds)?$", re.IGNORECASE)
PORT_RE = re.compile(r"^\d{1,5}$")
DH_RE = re.compile(r"^(?:dhgroup|group|dh)?(\d{1,3})$")
NODE_RE = re.compile(r"^#\s*(?:node|enter on)\s*:\s*([A-Za-z0-9][A-Za-z0-9.-]*)", re.IGNORECASE)
TABLE_RE = re.compile(r"^#\s*value table\s*:\s*(\S+)", re.IGNORECASE)
RELEASE_RE = re.compile(r"^#\s*release\s*:\s*(\d{1,3})", re.IGNORECASE)
FIPS_RE = re.compile(r"^#\s*(?:release\s*:.*?)?fips mode\s*:\s*(\w+)", re.IGNORECASE)
RULE_TAG = "# ccsec-rule "


# ------------------------------------------------------- peer identity ↔ Certificate Name


def one_line(text: str) -> bool:
    """True when ``text`` cannot start a new line in the sheet (no line-breaking characters)."""
    return text.splitlines() == [text] or text == ""


def _cn(dn: str) -> str | None:
    for part in dn.split(","):
        key, _, value = part.partition("=")
        if key.strip().upper() == "CN" and value.strip():
            return value.strip()
    return None


def cert_name(peer_id: Identity | None, peer: IPv4Address) -> str:
    """The Certificate Name for a peer: ``<peer id>.pem`` (a DN's CN), else ``<peer address>.pem``.

    [U] the exact form Unified CM expects (file name as Certificate Management lists it, with or
    without ``.pem``, or the CN) is not documented (cucm-ipsec.md §6.2, §10 q5).  Characters
    outside letters, digits, ``.``, ``_`` and ``-`` become ``_`` so the name is one safe token.
    """
    if peer_id is None:
        stem = str(peer)
    elif peer_id.kind == "dn":
        stem = _cn(peer_id.value) or peer_id.value
    else:
        stem = peer_id.value
    return CERT_UNSAFE_RE.sub("_", stem) + ".pem"


#: every character a dotted IPv4 address (what ``IPv4Address`` accepts from a str) is made of
_ADDRESS_CHARS = frozenset("0123456789.")


def cert_identity(name: str) -> Identity | None:
    """The peer identity a Certificate Name stands for (the inverse of :func:`cert_name`).

    The name picks the peer's certificate in ``ipsec-trust``, and the identity Unified CM's
    IKE daemon then requires is that certificate's subject [U]: ``<name>.pem`` is read as the
    subject ``CN=<name>`` (the subject ccsec's convention gives a certificate), an address
    stays an address."""
    stem = name[:-4] if name.lower().endswith(".pem") and len(name) > 4 else name
    if not stem or not one_line(stem) or '"' in stem or any(ord(c) < 32 for c in stem):
        return None
    try:
        if FAST and not _ADDRESS_CHARS.issuperset(stem):
            raise ValueError(stem)  # IPv4Address reads only ASCII digits and dots
        IPv4Address(stem)
    except ValueError:
        return Identity(kind="dn", value=stem if "=" in stem else f"CN={stem}")
    return Identity(kind="address", value=stem)
