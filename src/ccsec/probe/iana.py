"""IKE numbers on the wire, and the vocabulary's algorithms ↔ those numbers.

The vocabulary (:mod:`ccsec.crypto`) names every algorithm once and records its IANA name
(``AlgInfo.iana``: ``ENCR_AES_CBC``, ``AUTH_HMAC_SHA2_256_128`` …) and key size.  This module adds
only what goes on the wire: the registry *number* of each IANA name, for IKEv2 (RFC 7296 §3.3.2
and the IANA "Internet Key Exchange Version 2 (IKEv2) Parameters" registry, Transform Types 1–4)
and for IKEv1 (RFC 2409 Appendix A and the IANA "IPSEC attributes"/ISAKMP registry: Encryption
Algorithm, Hash Algorithm, Authentication Method, Group Description).  DH groups keep their IANA
number in both versions (it is the key of :data:`ccsec.crypto.DH_GROUPS`).

An algorithm whose IANA name has no number here (strongSwan's private-use Serpent, Twofish,
Camellia-XCBC, truncated SHA-256 …) is outside the probe's search space: a responder accepts
private-use numbers only from a peer that announced itself as the same implementation.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TypeVar

from ccsec.crypto import DH_GROUPS, ENCR, INTEG, PRF, Encr, Integ, Prf, is_aead

# ----------------------------------------------------------------------------- IKEv2

#: Transform Type 1 (Encryption Algorithm) by IANA name
ENCR_V2: dict[str, int] = {
    "ENCR_DES": 2, "ENCR_3DES": 3, "ENCR_RC5": 4, "ENCR_IDEA": 5, "ENCR_CAST": 6,
    "ENCR_BLOWFISH": 7, "ENCR_3IDEA": 8, "ENCR_NULL": 11, "ENCR_AES_CBC": 12,
    "ENCR_AES_CTR": 13, "ENCR_AES_CCM_8": 14, "ENCR_AES_CCM_12": 15, "ENCR_AES_CCM_16": 16,
    "ENCR_AES_GCM_8": 18, "ENCR_AES_GCM_12": 19, "ENCR_AES_GCM_16": 20,
    "ENCR_CAMELLIA_CBC": 23, "ENCR_CAMELLIA_CTR": 24, "ENCR_CAMELLIA_CCM_8": 25,
    "ENCR_CAMELLIA_CCM_12": 26, "ENCR_CAMELLIA_CCM_16": 27, "ENCR_CHACHA20_POLY1305": 28,
}
#: Transform Type 2 (Pseudorandom Function)
PRF_V2: dict[str, int] = {
    "PRF_HMAC_MD5": 1, "PRF_HMAC_SHA1": 2, "PRF_HMAC_TIGER": 3, "PRF_AES128_XCBC": 4,
    "PRF_HMAC_SHA2_256": 5, "PRF_HMAC_SHA2_384": 6, "PRF_HMAC_SHA2_512": 7,
    "PRF_AES128_CMAC": 8,
}
#: Transform Type 3 (Integrity Algorithm); the GMAC ones (9–11) are for AH/ESP only
INTEG_V2: dict[str, int] = {
    "AUTH_HMAC_MD5_96": 1, "AUTH_HMAC_SHA1_96": 2, "AUTH_DES_MAC": 3, "AUTH_KPDK_MD5": 4,
    "AUTH_AES_XCBC_96": 5, "AUTH_HMAC_MD5_128": 6, "AUTH_HMAC_SHA1_160": 7,
    "AUTH_AES_CMAC_96": 8, "AUTH_HMAC_SHA2_256_128": 12, "AUTH_HMAC_SHA2_384_192": 13,
    "AUTH_HMAC_SHA2_512_256": 14,
}
#: IANA names whose transform carries a Key Length attribute (variable key size, RFC 7296
#: §3.3.5: "MUST NOT be used with transforms that use a fixed-length key")
VARIABLE_KEY = frozenset({
    "ENCR_RC5", "ENCR_CAST", "ENCR_BLOWFISH", "ENCR_AES_CBC", "ENCR_AES_CTR",
    "ENCR_AES_CCM_8", "ENCR_AES_CCM_12", "ENCR_AES_CCM_16", "ENCR_AES_GCM_8", "ENCR_AES_GCM_12",
    "ENCR_AES_GCM_16", "ENCR_CAMELLIA_CBC", "ENCR_CAMELLIA_CTR", "ENCR_CAMELLIA_CCM_8",
    "ENCR_CAMELLIA_CCM_12", "ENCR_CAMELLIA_CCM_16",
})
#: the key size strongSwan's keyword implies where the vocabulary records none (``cast128``)
_KEY_BITS_BY_WORD: dict[str, int] = {"cast128": 128}

TRANSFORM_ENCR, TRANSFORM_PRF, TRANSFORM_INTEG, TRANSFORM_KE = 1, 2, 3, 4
#: the groups a probe can make a key exchange value for (:mod:`ccsec.probe.groups`)
KE_GROUPS: tuple[int, ...] = (1, 2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27,
                              28, 29, 30, 31, 32)

# ----------------------------------------------------------------------------- IKEv1

#: Phase 1 attribute class 1, Encryption Algorithm (RFC 2409 App. A; 7 = AES-CBC RFC 3602,
#: 8 = Camellia-CBC RFC 4312)
ENCR_V1: dict[str, int] = {
    "ENCR_DES": 1, "ENCR_IDEA": 2, "ENCR_BLOWFISH": 3, "ENCR_RC5": 4, "ENCR_3DES": 5,
    "ENCR_CAST": 6, "ENCR_AES_CBC": 7, "ENCR_CAMELLIA_CBC": 8,
}
#: Phase 1 attribute class 2, Hash Algorithm, by the integrity transform it stands for (the
#: IKEv1 PRF is the HMAC of the same hash)
HASH_V1: dict[str, int] = {
    "AUTH_HMAC_MD5_96": 1, "AUTH_HMAC_SHA1_96": 2, "AUTH_HMAC_SHA2_256_128": 4,
    "AUTH_HMAC_SHA2_384_192": 5, "AUTH_HMAC_SHA2_512_256": 6,
}
#: Phase 1 attribute classes (RFC 2409 App. A)
ATTR_ENCR, ATTR_HASH, ATTR_AUTH, ATTR_GROUP = 1, 2, 3, 4
ATTR_LIFE_TYPE, ATTR_LIFE_DURATION, ATTR_KEY_LENGTH = 11, 12, 14
#: Authentication Method values
AUTH_PSK, AUTH_RSA_SIG = 1, 3
AUTH_METHODS: dict[str, int] = {"psk": AUTH_PSK, "rsa": AUTH_RSA_SIG}

# ----------------------------------------------------------------------- vocabulary ↔ wire

K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class WireEncr:
    """An encryption transform as sent: registry number and Key Length (0 = no attribute)."""

    number: int
    key_bits: int


def key_bits(e: Encr) -> int:
    """The Key Length attribute value of ``e`` (0: fixed-length cipher, no attribute)."""
    info = ENCR[e]
    if info.iana not in VARIABLE_KEY:
        return 0
    bits = info.key_bits or _KEY_BITS_BY_WORD.get(e.value)
    if bits is None:
        raise ValueError(f"no key size known for {e.value}")
    return bits


def encr_v2(e: Encr) -> WireEncr | None:
    number = ENCR_V2.get(ENCR[e].iana)
    return None if number is None else WireEncr(number, key_bits(e))


def encr_v1(e: Encr) -> WireEncr | None:
    if is_aead(e):
        return None  # IKEv1 defines no combined-mode cipher for the ISAKMP SA
    number = ENCR_V1.get(ENCR[e].iana)
    return None if number is None else WireEncr(number, key_bits(e))


def integ_v2(i: Integ) -> int | None:
    return INTEG_V2.get(INTEG[i].iana)


def hash_v1(i: Integ) -> int | None:
    return HASH_V1.get(INTEG[i].iana)


def prf_v2(p: Prf) -> int | None:
    return PRF_V2.get(PRF[p].iana)


def _unique(pairs: list[tuple[K, V]]) -> dict[K, V]:
    out: dict[K, V] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"two vocabulary entries share the wire value {key!r}")
        out[key] = value
    return out


@cache
def encr_from_v2() -> dict[WireEncr, Encr]:
    """Wire value → vocabulary, for reading the responder's choice."""
    return _unique([(w, e) for e in Encr if (w := encr_v2(e)) is not None])


@cache
def encr_from_v1() -> dict[WireEncr, Encr]:
    return _unique([(w, e) for e in Encr if (w := encr_v1(e)) is not None])


@cache
def integ_from_v2() -> dict[int, Integ]:
    return _unique([(n, i) for i in Integ if (n := integ_v2(i)) is not None])


@cache
def integ_from_v1() -> dict[int, Integ]:
    return _unique([(n, i) for i in Integ if (n := hash_v1(i)) is not None])


@cache
def prf_from_v2() -> dict[int, Prf]:
    return _unique([(n, p) for p in Prf if (n := prf_v2(p)) is not None])


def group_known(group: int) -> bool:
    return group in DH_GROUPS and group in KE_GROUPS
