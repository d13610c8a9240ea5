"""The words, limits and built-in defaults of Windows IPsec, for every Windows reader and writer.

Two stores, two vocabularies:

* the modern store (Windows Firewall with Advanced Security), as the ``NetSecurity`` cmdlets and
  the CIM objects behind them name things — used by the PowerShell renderer, the script
  interpreter, the NetSecurity builder and the collector importer (``platform-syntax.md`` §4);
* the legacy "IP Security Policies" store, as ``netsh ipsec static`` names things (``NETSH_*``:
  its words and defaults differ from the modern store's, e.g. group ``3`` is IANA 14 there)
  — used by the netsh renderer and parser (``platform-syntax.md`` §3).

Evidence marks as in the reference: [D] documented, [O] observed in public material, [V]
unverified.  Every table maps model values to the platform's words; readers build their
inverse from the same table, so a word is spelled in one place.
"""

from __future__ import annotations

from ccsec.crypto import Encr, EspProposal, IkeProposal, Integ
from ccsec.policy import Security

# ------------------------------------------------------------- NetSecurity (modern store)

#: New-NetIPsecMainModeCryptoProposal values (platform-syntax.md §4.2 [D])
MM_ENCR: dict[Encr, str] = {Encr.DES: "DES", Encr.TDES: "DES3", Encr.AES128: "AES128",
                            Encr.AES192: "AES192", Encr.AES256: "AES256"}
MM_HASH: dict[Integ, str] = {Integ.MD5: "MD5", Integ.SHA1: "SHA1", Integ.SHA256: "SHA256",
                             Integ.SHA384: "SHA384"}
#: -KeyExchange / -PerfectForwardSecrecyGroup: Windows numbers are the IANA numbers (§2.1)
DH_NAMES: dict[int, str] = {g: f"DH{g}" for g in (1, 2, 14, 19, 20, 24)}
#: New-NetIPsecQuickModeCryptoProposal -Encryption (``None`` = ESP null encryption [D])
QM_ENCR: dict[Encr, str] = {Encr.NULL: "None", Encr.DES: "DES", Encr.TDES: "DES3",
                            Encr.AES128: "AES128", Encr.AES192: "AES192", Encr.AES256: "AES256",
                            Encr.AES128GCM: "AESGCM128", Encr.AES192GCM: "AESGCM192",
                            Encr.AES256GCM: "AESGCM256"}
#: the ESP hash that pairs with each AES-GCM cipher [O]
GCM_HASH: dict[Encr, str] = {Encr.AES128GCM: "AESGMAC128", Encr.AES192GCM: "AESGMAC192",
                             Encr.AES256GCM: "AESGMAC256"}
#: -ESPHash / -AHHash (GMAC without GCM = integrity only, AUTH_AES_*_GMAC)
QM_HASH: dict[Integ, str] = {Integ.MD5: "MD5", Integ.SHA1: "SHA1", Integ.SHA256: "SHA256",
                             Integ.SHA384: "SHA384", Integ.AES128GMAC: "AESGMAC128",
                             Integ.AES256GMAC: "AESGMAC256"}
INTERFACE: dict[str, str] = {"all": "Any", "lan": "Wired, Wireless", "dialup": "RemoteAccess"}
SECURITY: dict[Security, str] = {"none": "None", "request": "Request", "require": "Require"}
#: In/Out pairs New-NetIPsecRule accepts [D]; None/None is an exemption ("do not secure")
SECURITY_PAIRS = frozenset({("none", "none"), ("request", "none"), ("request", "request"),
                            ("require", "request"), ("require", "require")})
PROTO_OUT = {6: "TCP", 17: "UDP"}
PROTO_IN = {"any": None, "tcp": 6, "udp": 17, "icmpv4": 1, "icmpv6": 58}

MM_MINUTES = (1, 2879)  # New-NetIPsecMainModeCryptoSet -MaxMinutes 0..2879 (0 = unset) [D]
QM_MINUTES = (5, 2879)  # New-NetIPsecQuickModeCryptoProposal -MaxMinutes [D]
QM_KB = (20480, 2147483647)  # -MaxKiloBytes [D]
NO_VOLUME_LIMIT_KB = QM_KB[1]

#: what Windows applies when a hand-written script leaves a value out
DEFAULT_MM_MINUTES = 480  # the page says "4800 minutes (eight hours)" [V]
DEFAULT_QM_MINUTES = 60  # [D]
DEFAULT_QM_KB = 100000  # [D]
#: built-in default main-mode crypto set (netsh advfirewall "default") [V]
DEFAULT_MM = (
    IkeProposal(encryption=Encr.AES128, integrity=Integ.SHA1, group=2),
    IkeProposal(encryption=Encr.TDES, integrity=Integ.SHA1, group=2),
)
#: built-in default quick-mode crypto set [V]
DEFAULT_QM = (
    EspProposal(encryption=Encr.AES128, integrity=Integ.SHA1),
    EspProposal(encryption=Encr.TDES, integrity=Integ.SHA1),
)
#: fixed names (GUIDs) of the default sets: MM [D], QM and phase-1 auth [O], as Windows
#: reports them; a script may write them in any case
DEFAULT_SET_GUIDS: dict[str, str] = {
    "mmcrypto": "{E5A5D32A-4BCE-4e4d-B07F-4AB1BA7E5FE1}",
    "qmcrypto": "{E5A5D32A-4BCE-4e4d-B07F-4AB1BA7E5FE2}",
    "p1auth": "{E5A5D32A-4BCE-4e4d-B07F-4AB1BA7E5FE3}",
    "p2auth": "{E5A5D32A-4BCE-4e4d-B07F-4AB1BA7E5FE4}",
}
#: casefolded default-set name → kind of set
DEFAULT_SET_NAMES: dict[str, str] = {guid.lower(): kind for kind, guid in
                                     DEFAULT_SET_GUIDS.items()}

# ---------------------------------------------------------- netsh ipsec static (legacy store)

#: mmsecmethods (help text [D]): conf-hash-group, group 3 = 2048-bit MODP = IANA 14 (§2.1)
NETSH_MM_ENCR: dict[Encr, str] = {Encr.DES: "DES", Encr.TDES: "3DES"}
NETSH_MM_INTEG: dict[Integ, str] = {Integ.MD5: "MD5", Integ.SHA1: "SHA1"}
NETSH_MM_GROUP: dict[int, str] = {1: "1", 2: "2", 14: "3"}
#: qmsecmethods (help text [D]): ESP[conf,auth], AH[hash]; "None" = no encryption / integrity
NETSH_ESP_CONF: dict[Encr, str] = {Encr.DES: "DES", Encr.TDES: "3DES", Encr.NULL: "None"}
NETSH_QM_HASH: dict[Integ, str] = {Integ.MD5: "MD5", Integ.SHA1: "SHA1"}

NETSH_PROTO_OUT = {1: "ICMP", 6: "TCP", 17: "UDP"}
#: RAW is read as IP protocol 255 (IPPROTO_RAW) [V]; ANY and 0 mean any protocol
NETSH_PROTO_IN = {"ANY": None, "ICMP": 1, "TCP": 6, "UDP": 17, "RAW": 255}

#: documented netsh defaults used when a hand-written script leaves a value out
NETSH_DEFAULT_MM_LIFETIME_MIN = 480  # 8 hours, the legacy MMC default [V]
NETSH_DEFAULT_QM_LIFETIME_S = 3600  # [V]
NETSH_DEFAULT_QM_LIFETIME_KB = 100000  # [V]
#: built-in IKE methods when a policy names none (Windows 2000/XP/2003 MMC defaults) [V]
NETSH_DEFAULT_MM: tuple[IkeProposal, ...] = tuple(
    IkeProposal(encryption=e, integrity=i, group=g)
    for e, i, g in ((Encr.TDES, Integ.SHA1, 2), (Encr.TDES, Integ.MD5, 2),
                    (Encr.DES, Integ.SHA1, 1), (Encr.DES, Integ.MD5, 1))
)
#: built-in quick-mode offers when a negotiate filter action names none [V]
NETSH_DEFAULT_QM: tuple[EspProposal, ...] = (
    EspProposal(encryption=Encr.TDES, integrity=Integ.SHA1),
    EspProposal(encryption=Encr.TDES, integrity=Integ.MD5),
    EspProposal(encryption=Encr.DES, integrity=Integ.SHA1),
    EspProposal(encryption=Encr.DES, integrity=Integ.MD5),
)
