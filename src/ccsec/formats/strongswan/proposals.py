"""strongSwan proposal strings ↔ the crypto vocabulary (swanctl.conf and ipsec.conf share them).

A strongSwan proposal joins algorithms with ``-``; IKEv2 allows several of one type in one
proposal, meaning any combination — we expand those into single-algorithm proposals in the
order strongSwan would prefer them (encryption, then integrity/PRF, then group).
"""

from __future__ import annotations

from functools import lru_cache
from itertools import product
from typing import Any, TypeVar

from ccsec.crypto import (
    DH_GROUPS,
    GROUP_BY_KEYWORD,
    Encr,
    EspProposal,
    IkeProposal,
    Integ,
    Prf,
    is_aead,
)
from ccsec.errors import shown_repr
from ccsec.formats.base import MAX_PRODUCT

ENCR_WORDS: dict[str, Encr] = {e.value: e for e in Encr}
ENCR_WORDS.update({
    "aes": Encr.AES128,
    "aes128gcm": Encr.AES128GCM,
    "aes192gcm": Encr.AES192GCM,
    "aes256gcm": Encr.AES256GCM,
    "aes128gcm128": Encr.AES128GCM,
    "aes256gcm128": Encr.AES256GCM,
    "aes128gcm64": Encr.AES128GCM8,
    "aes128gcm96": Encr.AES128GCM12,
    "aes256gcm64": Encr.AES256GCM8,
    "aes256gcm96": Encr.AES256GCM12,
    "aes128ccm64": Encr.AES128CCM8,
    "des3": Encr.TDES,
    "cast": Encr.CAST128,
    "chacha20poly1305compat": Encr.CHACHA20POLY1305,
})
INTEG_WORDS: dict[str, Integ] = {i.value: i for i in Integ}
INTEG_WORDS.update({
    "sha": Integ.SHA1,
    "sha1_96": Integ.SHA1,
    "sha2_256": Integ.SHA256,
    "sha2_384": Integ.SHA384,
    "sha2_512": Integ.SHA512,
    "sha2_256_96": Integ.SHA256_96,
    "md5_96": Integ.MD5,
})
PRF_WORDS: dict[str, Prf] = {p.value: p for p in Prf}
PRF_WORDS.update({"prfsha": Prf.SHA1, "prfsha2_256": Prf.SHA256, "prfsha2_384": Prf.SHA384,
                  "prfsha2_512": Prf.SHA512})

#: strongSwan 5.9's built-in "default" proposals (used when a config says ``default`` or
#: omits proposals): IKE AES-CBC/SHA-2/ECP+MODP≥3072, ESP AES-GCM-128 + AES-CBC-128/SHA-256.
#: [V] these change between strongSwan releases; recheck with `swanctl --list-algs`/the NEWS file.
DEFAULT_IKE = (
    "aes128-aes192-aes256-sha256-sha384-sha512-ecp256-ecp384-ecp521-modp3072-modp4096"
)
DEFAULT_ESP = "aes128gcm16-aes128-sha256"

T = TypeVar("T")


class ProposalError(ValueError):
    """A proposal string ccsec cannot read (unknown keyword…)."""


def _split(text: str) -> tuple[list[Encr], list[Integ], list[Prf], list[int], list[str]]:
    encs: list[Encr] = []
    integs: list[Integ] = []
    prfs: list[Prf] = []
    groups: list[int] = []
    other: list[str] = []
    for token in text.strip().lower().split("-"):
        token = token.strip()
        if not token:
            continue
        if token.startswith("ke") and "_" in token[:4]:
            token = token.split("_", 1)[1]  # RFC 9370 additional key exchange: keep the group
            if token in GROUP_BY_KEYWORD:
                continue
        if token in ENCR_WORDS:
            encs.append(ENCR_WORDS[token])
        elif token in INTEG_WORDS:
            integs.append(INTEG_WORDS[token])
        elif token in PRF_WORDS:
            prfs.append(PRF_WORDS[token])
        elif token in GROUP_BY_KEYWORD:
            groups.append(GROUP_BY_KEYWORD[token])
        elif token in ("esn", "noesn", "none"):
            other.append(token)
        else:
            raise ProposalError(f"unknown algorithm keyword '{token}'")
    return encs, integs, prfs, groups, other


def _bounded(text: str, *lists: list[Any]) -> None:
    """A proposal string expands to the product of its algorithm lists: refuse a huge one
    before building it (a few kilobytes of keywords would be billions of proposals)."""
    total = 1
    for items in lists:
        total *= max(len(items), 1)
    if total > MAX_PRODUCT:
        raise ProposalError(f"proposal {shown_repr(text, 60)} expands to {total:,} "
                            f"combinations, more than {MAX_PRODUCT:,}")


def _or_none(items: list[T]) -> list[T | None]:
    """``items``, or one ``None`` when there are none (the proposal leaves that algorithm out)."""
    return [*items] if items else [None]


def parse_ike(text: str) -> list[IkeProposal]:
    """One strongSwan IKE proposal string (``default`` allowed) → single-algorithm proposals.
    (The same few strings recur on every connection of a file: each is expanded once.)"""
    return list(_parse_ike(text))


@lru_cache(maxsize=1024)
def _parse_ike(text: str) -> tuple[IkeProposal, ...]:
    if text.strip().lower() == "default":
        text = DEFAULT_IKE
    encs, integs, prfs, groups, _ = _split(text)
    if not encs or not groups:
        raise ProposalError(f"IKE proposal '{text}' needs an encryption algorithm and a DH group")
    _bounded(text, encs, integs, prfs, groups)
    out: list[IkeProposal] = []
    for enc, group in product(encs, groups):
        if is_aead(enc):
            if not prfs:
                raise ProposalError(f"AEAD IKE proposal '{text}' needs a PRF")
            for prf in prfs:
                out.append(IkeProposal(encryption=enc, prf=prf, group=group))
        else:
            if not integs:
                raise ProposalError(f"IKE proposal '{text}' needs an integrity algorithm")
            for integ in integs:
                for maybe_prf in _or_none(prfs):
                    out.append(IkeProposal(encryption=enc, integrity=integ, prf=maybe_prf,
                                           group=group))
    return tuple(_order_like_strongswan(out))


def _order_like_strongswan(props: list[IkeProposal]) -> list[IkeProposal]:
    """Duplicates dropped, first occurrence kept (a dict, not a list scan: the default proposal
    expands to about a thousand combinations)."""
    return list(dict.fromkeys(props))


def parse_esp(text: str, ah: bool = False) -> tuple[list[EspProposal], int | None, bool]:
    """One ESP (or AH) proposal string → (proposals, KE group for PFS or None, esn)."""
    if text.strip().lower() == "default":
        text = DEFAULT_ESP
    encs, integs, _, groups, other = _split(text)
    _bounded(text, encs, integs)
    group = groups[0] if groups else None
    esn = "esn" in other
    if ah:
        if not integs:
            raise ProposalError(f"AH proposal '{text}' needs an integrity algorithm")
        return [EspProposal(encryption=None, ah=i) for i in integs], group, esn
    if not encs:
        raise ProposalError(f"ESP proposal '{text}' needs an encryption algorithm")
    out: list[EspProposal] = []
    for enc in encs:
        if is_aead(enc):
            out.append(EspProposal(encryption=enc))
        else:
            for maybe_integ in _or_none(integs):
                out.append(EspProposal(encryption=enc, integrity=maybe_integ))
    return out, group, esn


def ike_label(p: IkeProposal) -> str:
    return p.label()


def esp_label(p: EspProposal, pfs: int | None) -> str:
    parts = [p.encryption.value] if p.encryption else []
    if p.integrity:
        parts.append(p.integrity.value)
    if p.ah and not p.encryption:
        parts = [p.ah.value]
    if pfs is not None:
        parts.append(DH_GROUPS[pfs].keyword)
    return "-".join(parts)
