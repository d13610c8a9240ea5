"""Algorithm vocabulary, standards status, security profiles and platform capabilities.

Every algorithm is named once here (canonical names are strongSwan's keywords, which map 1:1 to
IANA transform ids), and every format translates through this vocabulary — DH groups always by
IANA number (the legacy Windows store calls IANA group 14 "3"; see platform-syntax.md §2.1).

Status columns come from ``shared/reference/algorithm-guidance.md``: RFC 8221 §5/§6 (ESP),
RFC 8247 §2.1–2.4 (IKEv2), RFC 9395/IANA "Deprecated", and Cisco's Next Generation Encryption
classes.  Cells that reference marks [U]/[S] keep that mark in ``AlgInfo.note``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

from ccsec.workers import FastPickle

#: the IKE versions ccsec models (RFC 2409 and RFC 7296)
IkeVersion = Literal[1, 2]


class Encr(StrEnum):
    """Encryption transforms (strongSwan keyword = value)."""

    DES = "des"
    TDES = "3des"
    AES128 = "aes128"
    AES192 = "aes192"
    AES256 = "aes256"
    AES128CTR = "aes128ctr"
    AES192CTR = "aes192ctr"
    AES256CTR = "aes256ctr"
    AES128GCM = "aes128gcm16"
    AES192GCM = "aes192gcm16"
    AES256GCM = "aes256gcm16"
    AES128GCM8 = "aes128gcm8"
    AES128GCM12 = "aes128gcm12"
    AES256GCM8 = "aes256gcm8"
    AES256GCM12 = "aes256gcm12"
    AES192GCM8 = "aes192gcm8"
    AES192GCM12 = "aes192gcm12"
    AES128CCM8 = "aes128ccm8"
    AES128CCM12 = "aes128ccm12"
    AES128CCM16 = "aes128ccm16"
    AES192CCM8 = "aes192ccm8"
    AES192CCM12 = "aes192ccm12"
    AES192CCM16 = "aes192ccm16"
    AES256CCM8 = "aes256ccm8"
    AES256CCM12 = "aes256ccm12"
    AES256CCM16 = "aes256ccm16"
    AES128GMAC = "aes128gmac"  # ENCR_NULL_AUTH_AES_GMAC: integrity only
    AES192GMAC = "aes192gmac"
    AES256GMAC = "aes256gmac"
    CHACHA20POLY1305 = "chacha20poly1305"
    NULL = "null"
    BLOWFISH = "blowfish"
    BLOWFISH192 = "blowfish192"
    BLOWFISH256 = "blowfish256"
    CAST128 = "cast128"
    IDEA = "idea"
    CAMELLIA128 = "camellia128"
    CAMELLIA192 = "camellia192"
    CAMELLIA256 = "camellia256"
    CAMELLIA128CTR = "camellia128ctr"
    CAMELLIA192CTR = "camellia192ctr"
    CAMELLIA256CTR = "camellia256ctr"
    CAMELLIA128CCM8 = "camellia128ccm8"
    CAMELLIA128CCM12 = "camellia128ccm12"
    CAMELLIA128CCM16 = "camellia128ccm16"
    CAMELLIA192CCM8 = "camellia192ccm8"
    CAMELLIA192CCM12 = "camellia192ccm12"
    CAMELLIA192CCM16 = "camellia192ccm16"
    CAMELLIA256CCM8 = "camellia256ccm8"
    CAMELLIA256CCM12 = "camellia256ccm12"
    CAMELLIA256CCM16 = "camellia256ccm16"
    SERPENT128 = "serpent128"
    SERPENT192 = "serpent192"
    SERPENT256 = "serpent256"
    TWOFISH128 = "twofish128"
    TWOFISH192 = "twofish192"
    TWOFISH256 = "twofish256"


class Integ(StrEnum):
    """Integrity transforms (strongSwan keyword = value)."""

    MD5 = "md5"
    MD5_128 = "md5_128"
    SHA1 = "sha1"
    SHA1_160 = "sha1_160"
    SHA256 = "sha256"
    SHA256_96 = "sha256_96"
    SHA384 = "sha384"
    SHA512 = "sha512"
    AESXCBC = "aesxcbc"
    AESCMAC = "aescmac"
    CAMELLIAXCBC = "camelliaxcbc"
    AES128GMAC = "aes128gmac"  # AUTH_AES_128_GMAC (Windows -ESPHash AESGMAC128 without GCM)
    AES256GMAC = "aes256gmac"
    DESMAC = "desmac"
    KPDKMD5 = "kpdkmd5"


class Prf(StrEnum):
    """IKEv2 pseudo-random functions."""

    MD5 = "prfmd5"
    SHA1 = "prfsha1"
    SHA256 = "prfsha256"
    SHA384 = "prfsha384"
    SHA512 = "prfsha512"
    AESXCBC = "prfaesxcbc"
    AESCMAC = "prfaescmac"
    CAMELLIAXCBC = "prfcamelliaxcbc"
    TIGER = "prftiger"


@dataclass(frozen=True)
class AlgInfo:
    """Standards status of one algorithm. Levels use the RFCs' words (MUST, SHOULD NOT, …)."""

    iana: str
    esp: str | None = None  # RFC 8221 level
    ike: str | None = None  # RFC 8247 level
    nge: str | None = None  # Cisco NGE class: Avoid | Legacy | Acceptable | NGE
    deprecated: str | None = None  # IANA "Deprecated" by RFC 8247 / RFC 9395
    aead: bool = False
    key_bits: int | None = None
    note: str = ""


ENCR: dict[Encr, AlgInfo] = {
    Encr.DES: AlgInfo("ENCR_DES", "MUST NOT", "MUST NOT", "Avoid", "RFC 8247", key_bits=56),
    Encr.TDES: AlgInfo("ENCR_3DES", "SHOULD NOT", "MAY", "Legacy", key_bits=168),
    Encr.AES128: AlgInfo("ENCR_AES_CBC", "MUST", "MUST", "Acceptable", key_bits=128,
                         note="NGE status cell of AES-CBC not captured [U]"),
    Encr.AES192: AlgInfo("ENCR_AES_CBC", "MAY", "MAY", "Acceptable", key_bits=192,
                         note="192-bit keys stay MAY (RFC 8221 §5 note 1)"),
    Encr.AES256: AlgInfo("ENCR_AES_CBC", "MUST", "MUST", "Acceptable", key_bits=256),
    Encr.AES128CTR: AlgInfo("ENCR_AES_CTR", "MAY", "MAY", key_bits=128),
    Encr.AES256CTR: AlgInfo("ENCR_AES_CTR", "MAY", "MAY", key_bits=256),
    Encr.AES128GCM: AlgInfo("ENCR_AES_GCM_16", "MUST", "SHOULD", "NGE", aead=True, key_bits=128),
    Encr.AES192GCM: AlgInfo("ENCR_AES_GCM_16", "MAY", "MAY", "NGE", aead=True, key_bits=192),
    Encr.AES256GCM: AlgInfo("ENCR_AES_GCM_16", "MUST", "SHOULD", "NGE", aead=True, key_bits=256),
    Encr.AES128GCM8: AlgInfo("ENCR_AES_GCM_8", "MAY", "MAY", aead=True, key_bits=128),
    Encr.AES128GCM12: AlgInfo("ENCR_AES_GCM_12", "MAY", "MAY", aead=True, key_bits=128),
    Encr.AES256GCM8: AlgInfo("ENCR_AES_GCM_8", "MAY", "MAY", aead=True, key_bits=256),
    Encr.AES256GCM12: AlgInfo("ENCR_AES_GCM_12", "MAY", "MAY", aead=True, key_bits=256),
    Encr.AES128CCM8: AlgInfo("ENCR_AES_CCM_8", "SHOULD (IoT)", "SHOULD (IoT)", aead=True,
                             key_bits=128),
    Encr.AES192CTR: AlgInfo("ENCR_AES_CTR", "MAY", "MAY", key_bits=192),
    Encr.AES192GCM8: AlgInfo("ENCR_AES_GCM_8", "MAY", "MAY", aead=True, key_bits=192),
    Encr.AES192GCM12: AlgInfo("ENCR_AES_GCM_12", "MAY", "MAY", aead=True, key_bits=192),
    Encr.AES128CCM12: AlgInfo("ENCR_AES_CCM_12", "MAY", "MAY", aead=True, key_bits=128),
    Encr.AES128CCM16: AlgInfo("ENCR_AES_CCM_16", "MAY", "MAY", aead=True, key_bits=128),
    Encr.AES192CCM8: AlgInfo("ENCR_AES_CCM_8", "MAY", "MAY", aead=True, key_bits=192),
    Encr.AES192CCM12: AlgInfo("ENCR_AES_CCM_12", "MAY", "MAY", aead=True, key_bits=192),
    Encr.AES192CCM16: AlgInfo("ENCR_AES_CCM_16", "MAY", "MAY", aead=True, key_bits=192),
    Encr.AES256CCM8: AlgInfo("ENCR_AES_CCM_8", "SHOULD (IoT)", "SHOULD (IoT)", aead=True,
                             key_bits=256),
    Encr.AES256CCM12: AlgInfo("ENCR_AES_CCM_12", "MAY", "MAY", aead=True, key_bits=256),
    Encr.AES256CCM16: AlgInfo("ENCR_AES_CCM_16", "MAY", "MAY", aead=True, key_bits=256),
    Encr.AES192GMAC: AlgInfo("ENCR_NULL_AUTH_AES_GMAC", "MAY", None, aead=True, key_bits=192,
                             note="authentication only, no confidentiality"),
    Encr.AES128GMAC: AlgInfo("ENCR_NULL_AUTH_AES_GMAC", "MAY", None, aead=True, key_bits=128,
                             note="authentication only, no confidentiality"),
    Encr.AES256GMAC: AlgInfo("ENCR_NULL_AUTH_AES_GMAC", "MAY", None, aead=True, key_bits=256,
                             note="authentication only, no confidentiality"),
    Encr.CHACHA20POLY1305: AlgInfo("ENCR_CHACHA20_POLY1305", "SHOULD", "SHOULD", aead=True,
                                   key_bits=256),
    Encr.NULL: AlgInfo("ENCR_NULL", "MUST", "MUST NOT", note="no confidentiality"),
    Encr.BLOWFISH: AlgInfo("ENCR_BLOWFISH", "MUST NOT", None, deprecated="RFC 9395",
                           key_bits=128),
    Encr.BLOWFISH192: AlgInfo("ENCR_BLOWFISH", "MUST NOT", None, deprecated="RFC 9395",
                              key_bits=192),
    Encr.BLOWFISH256: AlgInfo("ENCR_BLOWFISH", "MUST NOT", None, deprecated="RFC 9395",
                              key_bits=256),
    Encr.CAST128: AlgInfo("ENCR_CAST", "MAY", None, deprecated="RFC 9395"),
    Encr.IDEA: AlgInfo("ENCR_IDEA", None, None, deprecated="RFC 9395"),
    **{e: AlgInfo(iana, None, None, aead="CCM" in iana, key_bits=bits,
                  note="not in RFC 8221/8247 (RFC 5529/4312 Camellia)")
       for e, iana, bits in (
           (Encr.CAMELLIA128, "ENCR_CAMELLIA_CBC", 128),
           (Encr.CAMELLIA192, "ENCR_CAMELLIA_CBC", 192),
           (Encr.CAMELLIA256, "ENCR_CAMELLIA_CBC", 256),
           (Encr.CAMELLIA128CTR, "ENCR_CAMELLIA_CTR", 128),
           (Encr.CAMELLIA192CTR, "ENCR_CAMELLIA_CTR", 192),
           (Encr.CAMELLIA256CTR, "ENCR_CAMELLIA_CTR", 256),
           (Encr.CAMELLIA128CCM8, "ENCR_CAMELLIA_CCM_8", 128),
           (Encr.CAMELLIA128CCM12, "ENCR_CAMELLIA_CCM_12", 128),
           (Encr.CAMELLIA128CCM16, "ENCR_CAMELLIA_CCM_16", 128),
           (Encr.CAMELLIA192CCM8, "ENCR_CAMELLIA_CCM_8", 192),
           (Encr.CAMELLIA192CCM12, "ENCR_CAMELLIA_CCM_12", 192),
           (Encr.CAMELLIA192CCM16, "ENCR_CAMELLIA_CCM_16", 192),
           (Encr.CAMELLIA256CCM8, "ENCR_CAMELLIA_CCM_8", 256),
           (Encr.CAMELLIA256CCM12, "ENCR_CAMELLIA_CCM_12", 256),
           (Encr.CAMELLIA256CCM16, "ENCR_CAMELLIA_CCM_16", 256))},
    **{e: AlgInfo(iana, None, None, key_bits=bits,
                  note="strongSwan private-use transform, not IANA-registered")
       for e, iana, bits in (
           (Encr.SERPENT128, "ENCR_SERPENT_CBC", 128),
           (Encr.SERPENT192, "ENCR_SERPENT_CBC", 192),
           (Encr.SERPENT256, "ENCR_SERPENT_CBC", 256),
           (Encr.TWOFISH128, "ENCR_TWOFISH_CBC", 128),
           (Encr.TWOFISH192, "ENCR_TWOFISH_CBC", 192),
           (Encr.TWOFISH256, "ENCR_TWOFISH_CBC", 256))},
}

INTEG: dict[Integ, AlgInfo] = {
    Integ.MD5: AlgInfo("AUTH_HMAC_MD5_96", "MUST NOT", "MUST NOT", "Legacy", "RFC 8247"),
    Integ.MD5_128: AlgInfo("AUTH_HMAC_MD5_128", None, None, "Legacy", "RFC 8247"),
    Integ.SHA1: AlgInfo("AUTH_HMAC_SHA1_96", "MUST-", "MUST-", "Acceptable"),
    Integ.SHA1_160: AlgInfo("AUTH_HMAC_SHA1_160", None, None, None, "RFC 8247"),
    Integ.SHA256: AlgInfo("AUTH_HMAC_SHA2_256_128", "MUST", "MUST", "NGE"),
    Integ.SHA256_96: AlgInfo("AUTH_HMAC_SHA2_256_96", None, None, None,
                             note="non-standard truncation (Linux interop only)"),
    Integ.SHA384: AlgInfo("AUTH_HMAC_SHA2_384_192", "MAY", "MAY", "NGE"),
    Integ.SHA512: AlgInfo("AUTH_HMAC_SHA2_512_256", "SHOULD", "SHOULD", "NGE"),
    Integ.AESXCBC: AlgInfo("AUTH_AES_XCBC_96", "SHOULD (IoT)", "SHOULD (IoT)"),
    Integ.AESCMAC: AlgInfo("AUTH_AES_CMAC_96", "MAY", "MAY"),
    Integ.CAMELLIAXCBC: AlgInfo("AUTH_CAMELLIA_XCBC_96", None, None,
                                note="strongSwan private-use transform"),
    Integ.AES128GMAC: AlgInfo("AUTH_AES_128_GMAC", "MAY", None,
                              note="RFC 8221 §6: should only be used for AH"),
    Integ.AES256GMAC: AlgInfo("AUTH_AES_256_GMAC", "MAY", None,
                              note="RFC 8221 §6: should only be used for AH"),
    Integ.DESMAC: AlgInfo("AUTH_DES_MAC", "MUST NOT", "MUST NOT", None, "RFC 8247"),
    Integ.KPDKMD5: AlgInfo("AUTH_KPDK_MD5", "MUST NOT", "MUST NOT", None, "RFC 8247"),
}

PRF: dict[Prf, AlgInfo] = {
    Prf.MD5: AlgInfo("PRF_HMAC_MD5", None, "MUST NOT", "Avoid", "RFC 8247"),
    Prf.SHA1: AlgInfo("PRF_HMAC_SHA1", None, "MUST-", "Acceptable"),
    Prf.SHA256: AlgInfo("PRF_HMAC_SHA2_256", None, "MUST", "NGE"),
    Prf.SHA384: AlgInfo("PRF_HMAC_SHA2_384", None, "MAY", "NGE"),
    Prf.SHA512: AlgInfo("PRF_HMAC_SHA2_512", None, "SHOULD+", "NGE"),
    Prf.AESXCBC: AlgInfo("PRF_AES128_XCBC", None, "SHOULD (IoT)"),
    Prf.AESCMAC: AlgInfo("PRF_AES128_CMAC", None, "MAY"),
    Prf.CAMELLIAXCBC: AlgInfo("PRF_CAMELLIA128_XCBC", None, None,
                              note="strongSwan private-use transform"),
    Prf.TIGER: AlgInfo("PRF_HMAC_TIGER", None, None, None, "RFC 9395"),
}

#: the PRF an IKE SA uses when the proposal names none (derived from the integrity algorithm)
PRF_OF_INTEG: dict[Integ, Prf] = {
    Integ.MD5: Prf.MD5,
    Integ.SHA1: Prf.SHA1,
    Integ.SHA256: Prf.SHA256,
    Integ.SHA384: Prf.SHA384,
    Integ.SHA512: Prf.SHA512,
    Integ.AESXCBC: Prf.AESXCBC,
    Integ.AESCMAC: Prf.AESCMAC,
    Integ.CAMELLIAXCBC: Prf.CAMELLIAXCBC,
}


@dataclass(frozen=True)
class GroupInfo:
    """A Diffie-Hellman group (IANA number is the key of :data:`DH_GROUPS`)."""

    keyword: str  # strongSwan
    kind: str  # modp | modp-subgroup | ecp | ecp-bp | curve
    bits: int  # modulus or curve size
    strength: int  # approximate symmetric-equivalent bits
    ike: str | None  # RFC 8247 §2.4 level
    nge: str | None  # Cisco class (IOS config-guide wording [S])
    deprecated: str | None = None


DH_GROUPS: dict[int, GroupInfo] = {
    1: GroupInfo("modp768", "modp", 768, 62, "MUST NOT", "Avoid", "RFC 8247"),
    2: GroupInfo("modp1024", "modp", 1024, 80, "SHOULD NOT", "Avoid"),
    5: GroupInfo("modp1536", "modp", 1536, 90, "SHOULD NOT", "Avoid"),
    14: GroupInfo("modp2048", "modp", 2048, 112, "MUST", "Acceptable"),
    15: GroupInfo("modp3072", "modp", 3072, 128, "MAY", "Acceptable"),
    16: GroupInfo("modp4096", "modp", 4096, 152, "MAY", "Acceptable"),
    17: GroupInfo("modp6144", "modp", 6144, 176, "MAY", "Acceptable"),
    18: GroupInfo("modp8192", "modp", 8192, 200, "MAY", "Acceptable"),
    19: GroupInfo("ecp256", "ecp", 256, 128, "SHOULD", "Acceptable"),
    20: GroupInfo("ecp384", "ecp", 384, 192, "MAY", "NGE"),
    21: GroupInfo("ecp521", "ecp", 521, 256, "MAY", "NGE"),
    22: GroupInfo("modp1024s160", "modp-subgroup", 1024, 80, "MUST NOT", "Avoid", "RFC 8247"),
    23: GroupInfo("modp2048s224", "modp-subgroup", 2048, 112, "SHOULD NOT", None),
    24: GroupInfo("modp2048s256", "modp-subgroup", 2048, 112, "SHOULD NOT", "NGE"),
    25: GroupInfo("ecp192", "ecp", 192, 96, "MAY", None),
    26: GroupInfo("ecp224", "ecp", 224, 112, "MAY", None),
    27: GroupInfo("ecp224bp", "ecp-bp", 224, 112, "MAY", None),
    28: GroupInfo("ecp256bp", "ecp-bp", 256, 128, "MAY", None),
    29: GroupInfo("ecp384bp", "ecp-bp", 384, 192, "MAY", None),
    30: GroupInfo("ecp512bp", "ecp-bp", 512, 256, "MAY", None),
    31: GroupInfo("curve25519", "curve", 255, 128, "MAY", None),
    32: GroupInfo("curve448", "curve", 448, 224, "MAY", None),
    # ML-KEM (FIPS 203; IKEv2 RFC 9370 additional key exchanges, strongSwan 6.0+)
    35: GroupInfo("mlkem512", "mlkem", 512, 128, None, None),
    36: GroupInfo("mlkem768", "mlkem", 768, 192, None, None),
    37: GroupInfo("mlkem1024", "mlkem", 1024, 256, None, None),
    # strongSwan private-use key exchanges (5.x plugins): no IANA number of their own
    1024: GroupInfo("modpnull", "null", 0, 0, None, None),  # testing only
    1030: GroupInfo("ntru112", "ntru", 112, 112, None, None),
    1031: GroupInfo("ntru128", "ntru", 128, 128, None, None),
    1032: GroupInfo("ntru192", "ntru", 192, 192, None, None),
    1033: GroupInfo("ntru256", "ntru", 256, 256, None, None),
    1040: GroupInfo("newhope128", "newhope", 128, 128, None, None),
}
GROUP_BY_KEYWORD: dict[str, int] = {g.keyword: n for n, g in DH_GROUPS.items()}
GROUP_BY_KEYWORD["x25519"] = 31
GROUP_BY_KEYWORD["x448"] = 32


class IkeProposal(FastPickle, BaseModel):
    """One IKE (phase 1 / main mode) proposal: encryption, integrity or PRF, DH group."""

    model_config = ConfigDict(frozen=True)

    encryption: Encr
    integrity: Integ | None = None
    prf: Prf | None = None
    group: int
    #: RFC 9370 additional key exchanges (strongSwan ``ke1_``…``ke7_``): the method of each
    #: ADDKE transform in order, 0 = none (that exchange is optional)
    additional_ke: tuple[int, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> IkeProposal:
        if self.group not in DH_GROUPS:
            raise ValueError(f"unknown DH group {self.group}")
        if any(g and g not in DH_GROUPS for g in self.additional_ke):
            raise ValueError("unknown additional key exchange method")
        if is_aead(self.encryption):
            if self.integrity is not None:
                raise ValueError("an AEAD cipher takes no separate integrity algorithm")
            if self.prf is None:
                raise ValueError("an AEAD IKE proposal needs an explicit PRF")
        elif self.integrity is None:
            raise ValueError("a non-AEAD IKE proposal needs an integrity algorithm")
        return self

    @property
    def effective_prf(self) -> Prf | None:
        """The PRF this proposal negotiates (explicit, or derived from integrity)."""
        if self.prf is not None:
            return self.prf
        return PRF_OF_INTEG.get(self.integrity) if self.integrity else None

    def label(self) -> str:
        """strongSwan-style label, e.g. ``aes256-sha256-ecp256``."""
        parts = [self.encryption.value]
        if self.integrity:
            parts.append(self.integrity.value)
        if self.prf:
            parts.append(self.prf.value)
        parts.append(DH_GROUPS[self.group].keyword)
        parts += [f"ke{n}_{DH_GROUPS[g].keyword if g else 'none'}"
                  for n, g in enumerate(self.additional_ke, start=1)]
        return "-".join(parts)


class EspProposal(FastPickle, BaseModel):
    """One IPsec (phase 2 / quick mode) proposal. ``ah`` adds an AH header (NAT-hostile)."""

    model_config = ConfigDict(frozen=True)

    encryption: Encr | None = Encr.AES256GCM
    integrity: Integ | None = None
    ah: Integ | None = None

    @model_validator(mode="after")
    def _consistent(self) -> EspProposal:
        if self.encryption is None and self.ah is None:
            raise ValueError("a proposal needs ESP encryption or an AH integrity algorithm")
        if self.encryption is not None and is_aead(self.encryption) and self.integrity:
            raise ValueError("an AEAD cipher takes no separate integrity algorithm")
        return self

    def label(self) -> str:
        parts = []
        if self.ah:
            parts.append(f"ah:{self.ah.value}")
        if self.encryption is not None:
            esp = [self.encryption.value] + ([self.integrity.value] if self.integrity else [])
            parts.append("-".join(esp))
        return "+".join(parts)


def is_aead(encr: Encr) -> bool:
    return ENCR[encr].aead


# --------------------------------------------------------------------------- profiles


@dataclass(frozen=True)
class Profile:
    """A security profile: ordered preferences the planner intersects with both ends' platforms."""

    name: str
    summary: str
    ike_versions: tuple[IkeVersion, ...]
    ike: tuple[IkeProposal, ...]
    esp: tuple[EspProposal, ...]
    pfs_groups: tuple[int, ...]  # empty: no PFS
    ike_lifetime_s: int = 28800
    child_lifetime_s: int = 3600
    child_lifetime_kb: int = 100000


def _ike(enc: Encr, integ: Integ | None, group: int, prf: Prf | None = None) -> IkeProposal:
    return IkeProposal(encryption=enc, integrity=integ, prf=prf, group=group)


def _esp(enc: Encr, integ: Integ | None = None) -> EspProposal:
    return EspProposal(encryption=enc, integrity=integ)


PROFILES: dict[str, Profile] = {
    "legacy": Profile(
        name="legacy",
        summary="exactly the documented defaults: IKE SHA1/3DES/DH2, ESP SHA1/3DES, IKEv1, "
        "no PFS — for interoperability only; the audit always flags it",
        ike_versions=(1,),
        ike=(_ike(Encr.TDES, Integ.SHA1, 2),),
        esp=(_esp(Encr.TDES, Integ.SHA1),),
        pfs_groups=(),
    ),
    "recommended": Profile(
        name="recommended",
        summary="IKEv2 where both ends can (IKEv1 where Kerberos or CUCM need it), AES-256, "
        "SHA-256, DH 19 or 14 (>= 2048-bit, Logjam CVE-2015-4000), ESP AES-GCM where the "
        "platform has it, PFS",
        ike_versions=(2, 1),
        ike=(_ike(Encr.AES256, Integ.SHA256, 19), _ike(Encr.AES256, Integ.SHA256, 14)),
        esp=(_esp(Encr.AES256GCM), _esp(Encr.AES256, Integ.SHA256)),
        pfs_groups=(19, 14),
    ),
    "strict": Profile(
        name="strict",
        summary="AES-256-GCM, SHA-384, ECP-384 (group 20) everywhere, PFS group 20",
        ike_versions=(2, 1),
        ike=(
            _ike(Encr.AES256GCM, None, 20, Prf.SHA384),
            _ike(Encr.AES256, Integ.SHA384, 20),
        ),
        esp=(_esp(Encr.AES256GCM),),
        pfs_groups=(20,),
    ),
}


# ----------------------------------------------------------------- platform capabilities

AUTH_KINDS = ("kerberos", "certificate", "psk")


@dataclass(frozen=True)
class Capability:
    """What one platform can negotiate. Sources per platform in the docstrings of the table."""

    name: str
    ike: dict[int, frozenset[str]]  # IKE version -> auth kinds
    ike_encr: frozenset[Encr]
    ike_integ: frozenset[Integ]
    groups: frozenset[int]
    esp_encr: frozenset[Encr]
    esp_integ: frozenset[Integ]
    pfs_groups: frozenset[int]
    modes: frozenset[str]
    ike_aead: bool = True
    ike_prf: frozenset[Prf] = frozenset(Prf)
    max_ike: int = 8
    max_esp: int = 8
    esp_integ_follows_ike: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    def allows_ike(self, p: IkeProposal, version: int) -> bool:
        if p.encryption not in self.ike_encr or p.group not in self.groups:
            return False
        if is_aead(p.encryption):
            return version == 2 and self.ike_aead and p.prf in self.ike_prf
        return p.integrity in self.ike_integ and (p.prf is None or p.prf in self.ike_prf)

    def allows_esp(self, p: EspProposal) -> bool:
        if p.ah is not None and p.ah not in self.esp_integ:
            return False
        if p.encryption is not None and p.encryption not in self.esp_encr:
            return False
        return p.integrity is None or p.integrity in self.esp_integ


_ALL_ENCR = frozenset(Encr)
_ALL_INTEG = frozenset(Integ)
_ALL_GROUPS = frozenset(DH_GROUPS)

CAPABILITIES: dict[str, Capability] = {
    # PowerShell NetSecurity (platform-syntax.md §4.2): MM DES/3DES/AES128-256, MD5/SHA1/256/384,
    # DH1/2/14/19/20/24; QM adds AES-GCM; IKEv2 is certificate-only [D] (PSK over IKEv2 [O]).
    "windows": Capability(
        name="windows",
        ike={1: frozenset(AUTH_KINDS), 2: frozenset({"certificate"})},
        ike_encr=frozenset({Encr.DES, Encr.TDES, Encr.AES128, Encr.AES192, Encr.AES256}),
        ike_integ=frozenset({Integ.MD5, Integ.SHA1, Integ.SHA256, Integ.SHA384}),
        groups=frozenset({1, 2, 14, 19, 20, 24}),
        esp_encr=frozenset({Encr.DES, Encr.TDES, Encr.AES128, Encr.AES192, Encr.AES256,
                            Encr.AES128GCM, Encr.AES192GCM, Encr.AES256GCM, Encr.NULL}),
        esp_integ=frozenset({Integ.MD5, Integ.SHA1, Integ.SHA256, Integ.SHA384,
                             Integ.AES128GMAC, Integ.AES256GMAC}),
        pfs_groups=frozenset({1, 2, 14, 19, 20, 24}),
        modes=frozenset({"transport", "tunnel"}),
        ike_aead=False,
        ike_prf=frozenset(),
        notes=("AES-GCM quick mode pairs -Encryption AESGCMn with -ESPHash AESGMACn [O]",),
    ),
    # Unified OS "IPSEC Policy Configuration" page, 12.x non-FIPS values (cucm-ipsec.md §2.3, [O]):
    # one proposal per phase, transport only, no IKE version field (IKEv1 assumed [U]),
    # ESP integrity not selectable (assumed to follow the Hash Algorithm [U]).
    "cucm": Capability(
        name="cucm",
        ike={1: frozenset({"certificate", "psk"})},
        ike_encr=frozenset({Encr.TDES, Encr.AES128, Encr.AES256}),
        ike_integ=frozenset({Integ.SHA1, Integ.SHA256}),
        groups=frozenset({2, 5, 14, 15, 16, 17, 18}),
        esp_encr=frozenset({Encr.TDES, Encr.AES128, Encr.AES256}),
        esp_integ=frozenset({Integ.SHA1, Integ.SHA256}),
        pfs_groups=frozenset({2, 5, 14, 16, 17, 18}),
        modes=frozenset({"transport"}),
        ike_aead=False,
        ike_prf=frozenset(),
        max_ike=1,
        max_esp=1,
        esp_integ_follows_ike=True,
    ),
    # Cisco IOS / IOS XE (platform-syntax.md §5): IKEv1 + IKEv2, PSK or rsa-sig, no Kerberos.
    "ios": Capability(
        name="ios",
        ike={1: frozenset({"certificate", "psk"}), 2: frozenset({"certificate", "psk"})},
        ike_encr=frozenset({Encr.DES, Encr.TDES, Encr.AES128, Encr.AES192, Encr.AES256,
                            Encr.AES128GCM, Encr.AES256GCM}),
        ike_integ=frozenset({Integ.MD5, Integ.SHA1, Integ.SHA256, Integ.SHA384, Integ.SHA512}),
        groups=frozenset({1, 2, 5, 14, 15, 16, 19, 20, 21, 24}),
        esp_encr=frozenset({Encr.DES, Encr.TDES, Encr.AES128, Encr.AES192, Encr.AES256,
                            Encr.AES128GCM, Encr.AES256GCM, Encr.AES128GMAC, Encr.AES256GMAC,
                            Encr.NULL}),
        esp_integ=frozenset({Integ.MD5, Integ.SHA1, Integ.SHA256, Integ.SHA384, Integ.SHA512}),
        pfs_groups=frozenset({1, 2, 5, 14, 15, 16, 19, 20, 21, 24}),
        modes=frozenset({"tunnel"}),
        ike_prf=frozenset({Prf.MD5, Prf.SHA1, Prf.SHA256, Prf.SHA384, Prf.SHA512}),
        max_ike=6,
        max_esp=6,
    ),
    # strongSwan 5.9/6.0 with the openssl plugin (platform-syntax.md §6.5).
    "strongswan": Capability(
        name="strongswan",
        ike={1: frozenset({"certificate", "psk"}), 2: frozenset({"certificate", "psk"})},
        ike_encr=_ALL_ENCR - {Encr.AES128GMAC, Encr.AES256GMAC, Encr.NULL},
        ike_integ=_ALL_INTEG - {Integ.AES128GMAC, Integ.AES256GMAC},
        groups=_ALL_GROUPS,
        esp_encr=_ALL_ENCR,
        esp_integ=_ALL_INTEG - {Integ.AES128GMAC, Integ.AES256GMAC},
        pfs_groups=_ALL_GROUPS,
        modes=frozenset({"transport", "tunnel"}),
    ),
}
CAPABILITIES["linux"] = CAPABILITIES["strongswan"]


def dh_label(group: int) -> str:
    info = DH_GROUPS.get(group)
    return f"group {group} ({info.kind.upper()} {info.bits})" if info else f"group {group}"


# ------------------------------------------------------------------ strongSwan releases

#: the strongSwan release ccsec writes swanctl.conf for unless told otherwise: the oldest of the
#: releases the common server distributions ship — Debian 12 5.9.8, Ubuntu 22.04 5.9.5
#: (packages.ubuntu.com, jammy), RHEL 9 through EPEL 9 5.9.11 (packages.fedoraproject.org)
STRONGSWAN_DEFAULT = "5.9.5"
#: the oldest release ccsec writes for (every key it writes exists from then on)
STRONGSWAN_OLDEST = "5.9.0"
STRONGSWAN_VERSION_PATTERN = r"^\d+\.\d+\.\d+$"


def version_tuple(text: str) -> tuple[int, int, int]:
    """``"5.9.5"`` → ``(5, 9, 5)``; anything else is a :class:`ValueError` naming the form."""
    parts = text.strip().split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError(f"'{text}' is not a release number such as {STRONGSWAN_DEFAULT}")
    return int(parts[0]), int(parts[1]), int(parts[2])


def strongswan_target(text: str | None) -> tuple[int, int, int]:
    """The strongSwan release to write for (None: :data:`STRONGSWAN_DEFAULT`); older than
    :data:`STRONGSWAN_OLDEST` is a :class:`ValueError`."""
    version = version_tuple(text or STRONGSWAN_DEFAULT)
    if version < version_tuple(STRONGSWAN_OLDEST):
        raise ValueError(f"strongSwan {text} is older than {STRONGSWAN_OLDEST}, the oldest "
                         "release ccsec writes swanctl.conf for")
    return version
