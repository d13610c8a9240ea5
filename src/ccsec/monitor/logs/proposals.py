"""Proposal lists as charon logs them (``IKE:AES_CBC_256/HMAC_SHA2_256_128/…/MODP_2048``)
→ per-transform-type sets, comparable with each other and with a planned policy.

Token names are strongSwan's transform names as they appear in ``received proposals:`` /
``configured proposals:`` lines (seen in the lab captures); DH names map to IANA group numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ccsec.crypto import Encr, EspProposal, IkeProposal, Integ

DH_TOKENS: dict[str, int] = {
    "MODP_768": 1, "MODP_1024": 2, "MODP_1536": 5, "MODP_2048": 14, "MODP_3072": 15,
    "MODP_4096": 16, "MODP_6144": 17, "MODP_8192": 18, "ECP_256": 19, "ECP_384": 20,
    "ECP_521": 21, "MODP_1024_160": 22, "MODP_2048_224": 23, "MODP_2048_256": 24,
    "ECP_192": 25, "ECP_224": 26, "ECP_224_BP": 27, "ECP_256_BP": 28, "ECP_384_BP": 29,
    "ECP_512_BP": 30, "CURVE_25519": 31, "CURVE_448": 32,
}
ENCR_TOKENS: dict[str, Encr] = {
    "DES_CBC": Encr.DES, "3DES_CBC": Encr.TDES, "AES_CBC_128": Encr.AES128,
    "AES_CBC_192": Encr.AES192, "AES_CBC_256": Encr.AES256, "AES_GCM_16_128": Encr.AES128GCM,
    "AES_GCM_16_192": Encr.AES192GCM, "AES_GCM_16_256": Encr.AES256GCM,
    "AES_GCM_8_128": Encr.AES128GCM8, "AES_GCM_12_128": Encr.AES128GCM12,
    "AES_GCM_8_256": Encr.AES256GCM8, "AES_GCM_12_256": Encr.AES256GCM12,
    "AES_CTR_128": Encr.AES128CTR, "AES_CTR_256": Encr.AES256CTR,
    "CHACHA20_POLY1305_256": Encr.CHACHA20POLY1305, "CHACHA20_POLY1305": Encr.CHACHA20POLY1305,
    "NULL": Encr.NULL, "BLOWFISH_CBC": Encr.BLOWFISH, "CAST_CBC": Encr.CAST128,
}
INTEG_TOKENS: dict[str, Integ] = {
    "HMAC_MD5_96": Integ.MD5, "HMAC_SHA1_96": Integ.SHA1, "HMAC_SHA2_256_128": Integ.SHA256,
    "HMAC_SHA2_384_192": Integ.SHA384, "HMAC_SHA2_512_256": Integ.SHA512,
    "AES_XCBC_96": Integ.AESXCBC, "AES_CMAC_96": Integ.AESCMAC, "HMAC_SHA2_256_96":
    Integ.SHA256_96,
}
TYPES = ("encryption", "integrity", "prf", "dh")


@dataclass
class Offer:
    """What one side's proposal list allows, per transform type (tokens as logged)."""

    protocol: str  # IKE | ESP | AH
    text: str
    sets: dict[str, set[str]] = field(default_factory=lambda: {t: set() for t in TYPES})

    def groups(self) -> set[int]:
        return {DH_TOKENS[t] for t in self.sets["dh"] if t in DH_TOKENS}


def _type(token: str) -> str | None:
    if token in DH_TOKENS or token.startswith(("MODP_", "ECP_", "CURVE_")):
        return "dh"
    if token.startswith("PRF_"):
        return "prf"
    if token.startswith("HMAC_") or token in INTEG_TOKENS:
        return "integrity"
    if token.endswith("EXT_SEQ"):
        return None
    return "encryption"


def parse_offer(text: str) -> Offer:
    """``IKE:A/B/C, IKE:D/E`` → one :class:`Offer` (the union of the listed proposals)."""
    items = [i.strip() for i in text.split(",") if i.strip()]
    protocol = items[0].partition(":")[0] if items else ""
    offer = Offer(protocol, text.strip())
    for item in items:
        _, _, algs = item.partition(":")
        for token in algs.split("/"):
            kind = _type(token.strip())
            if kind:
                offer.sets[kind].add(token.strip())
    return offer


def dh_name(token: str) -> str:
    n = DH_TOKENS.get(token)
    return f"DH{n} ({token})" if n else token


def mismatch(offered: Offer, accepted: Offer) -> list[str]:
    """The transform types with no common value, worded for a person."""
    out = []
    for kind in TYPES:
        a, b = offered.sets[kind], accepted.sets[kind]
        if a and b and not a & b:
            if kind == "dh":
                out.append(f"no common DH group: offered {', '.join(sorted(map(dh_name, a)))}; "
                           f"accepted {', '.join(sorted(map(dh_name, b)))}")
            else:
                out.append(f"no common {kind}: offered {', '.join(sorted(a))}; accepted "
                           f"{', '.join(sorted(b))}")
    return out


def planned_sets(ike: tuple[IkeProposal, ...] | None = None,
                 esp: tuple[EspProposal, ...] | None = None) -> dict[str, set[str]]:
    """A planned rule's proposals as token sets (same vocabulary as the log)."""
    enc_tok = {v: k for k, v in ENCR_TOKENS.items()}
    int_tok = {v: k for k, v in INTEG_TOKENS.items()}
    dh_tok = {v: k for k, v in DH_TOKENS.items()}
    sets: dict[str, set[str]] = {t: set() for t in TYPES}
    for p in ike or ():
        sets["encryption"].add(enc_tok.get(p.encryption, p.encryption.value))
        if p.integrity:
            sets["integrity"].add(int_tok.get(p.integrity, p.integrity.value))
        sets["dh"].add(dh_tok.get(p.group, str(p.group)))
    for e in esp or ():
        if e.encryption is not None:
            sets["encryption"].add(enc_tok.get(e.encryption, e.encryption.value))
        if e.integrity:
            sets["integrity"].add(int_tok.get(e.integrity, e.integrity.value))
    return sets


def deviations(observed: Offer, planned: dict[str, set[str]]) -> list[str]:
    """Types where ``observed`` uses something its planned policy does not list."""
    out = []
    for kind in ("encryption", "integrity", "dh"):
        extra = observed.sets[kind] - planned[kind]
        if extra and planned[kind]:
            names = sorted(map(dh_name, extra)) if kind == "dh" else sorted(extra)
            want = sorted(map(dh_name, planned[kind])) if kind == "dh" else sorted(planned[kind])
            out.append(f"{kind} {', '.join(names)} (planned: {', '.join(want)})")
    return out
