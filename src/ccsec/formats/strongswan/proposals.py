"""strongSwan proposal strings ↔ the crypto vocabulary (swanctl.conf and ipsec.conf share them).

The keywords are strongSwan's own table (``src/libstrongswan/crypto/proposal/
proposal_keywords_static.txt``, 5.9 and 6.x; documented at docs.strongswan.org "Algorithm
Proposals"): every keyword there is read, and a word that is not there is refused as charon
refuses it (the connection is not loaded).  This module is the one place the vocabulary of
proposal keywords lives: the audit's readers and any tool that speaks IKE (an IKE probe) take
their words from :data:`ENCR_WORDS`, :data:`INTEG_WORDS`, :data:`PRF_WORDS` and
:data:`~ccsec.crypto.GROUP_BY_KEYWORD`.

A strongSwan proposal joins algorithms with ``-``; IKEv2 allows several of one type in one
proposal, meaning any combination — we expand those into single-algorithm proposals in the
order strongSwan would prefer them (encryption, then integrity/PRF, then group).  ``ke1_`` …
``ke7_`` name RFC 9370 additional key exchanges (``ke1_none`` makes one optional).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import product
from typing import Any, Literal, TypeVar

from ccsec.crypto import (
    DH_GROUPS,
    GROUP_BY_KEYWORD,
    PRF_OF_INTEG,
    Encr,
    EspProposal,
    IkeProposal,
    Integ,
    Prf,
    is_aead,
)
from ccsec.errors import shown_repr
from ccsec.formats.base import MAX_PRODUCT
from ccsec.policy import Ike

#: every encryption keyword of strongSwan's table → the vocabulary (canonical names are values)
ENCR_WORDS: dict[str, Encr] = {e.value: e for e in Encr if e not in (Encr.IDEA,)}
for _size in (128, 192, 256):
    for _icv, _bits in ((8, 64), (12, 96), (16, 128)):
        ENCR_WORDS[f"aes{_size}gcm{_bits}"] = Encr(f"aes{_size}gcm{_icv}")
        ENCR_WORDS[f"aes{_size}ccm{_bits}"] = Encr(f"aes{_size}ccm{_icv}")
        ENCR_WORDS[f"camellia{_size}ccm{_bits}"] = Encr(f"camellia{_size}ccm{_icv}")
    ENCR_WORDS[f"aes{_size}gcm"] = Encr(f"aes{_size}gcm16")
    ENCR_WORDS[f"aes{_size}ccm"] = Encr(f"aes{_size}ccm16")
ENCR_WORDS.update({
    "aes": Encr.AES128,
    "camellia": Encr.CAMELLIA128,
    "serpent": Encr.SERPENT128,
    "twofish": Encr.TWOFISH128,
    "blowfish128": Encr.BLOWFISH,
    "chacha20poly1305compat": Encr.CHACHA20POLY1305,
})
INTEG_WORDS: dict[str, Integ] = {i.value: i for i in Integ
                                 if i not in (Integ.DESMAC, Integ.KPDKMD5, Integ.AES128GMAC,
                                              Integ.AES256GMAC)}
INTEG_WORDS.update({
    "sha": Integ.SHA1,
    "sha2_256": Integ.SHA256,
    "sha2_384": Integ.SHA384,
    "sha2_512": Integ.SHA512,
    "sha2_256_96": Integ.SHA256_96,
})
PRF_WORDS: dict[str, Prf] = {p.value: p for p in Prf if p is not Prf.TIGER}
#: key exchange keywords that mean "no key exchange" (no PFS in an ESP proposal)
NO_KE = frozenset({"none", "modpnone"})
OTHER_WORDS = frozenset({"esn", "noesn"})

#: strongSwan's built-in default proposals (``default``, or proposals left out), as
#: ``proposal_create_default[_aead]`` builds them from the algorithms the usual plugin set
#: (openssl) provides — IKE: AES-CBC/CTR, Camellia-CBC/CTR, 3DES with SHA-2/AES-XCBC/AES-CMAC/
#: SHA-1, and AES-GCM/CCM, Camellia-CCM, ChaCha20-Poly1305 with the SHA-2/AES/SHA-1 PRFs; key
#: exchange ECP 256/384/521, Brainpool, Curve25519/448, MODP 3072–8192 and 2048.  ESP:
#: AES-GCM-16 and AES-CBC with SHA-2/SHA-1/AES-XCBC.  The same code builds them in 5.9 and 6.x.
#: In a classic IKE proposal without PRF keywords every integrity algorithm goes with the PRF
#: of every integrity algorithm of the proposal (charon derives them all).  [V] the set
#: depends on the plugins loaded.
_KE_DEFAULT = ("ecp256-ecp384-ecp521-ecp256bp-ecp384bp-ecp512bp-curve25519-curve448-"
               "modp3072-modp4096-modp6144-modp8192-modp2048")
DEFAULT_IKE_PROPOSALS = (
    "aes128gcm16-aes192gcm16-aes256gcm16-aes128ccm16-aes192ccm16-aes256ccm16-"
    "camellia128ccm16-camellia192ccm16-camellia256ccm16-chacha20poly1305-aes128gcm12-"
    "aes192gcm12-aes256gcm12-aes128gcm8-aes192gcm8-aes256gcm8-aes128ccm12-aes192ccm12-"
    "aes256ccm12-aes128ccm8-aes192ccm8-aes256ccm8-"
    "prfsha256-prfsha384-prfsha512-prfaesxcbc-prfaescmac-prfsha1-" + _KE_DEFAULT,
    "aes128-aes192-aes256-aes128ctr-aes192ctr-aes256ctr-camellia128-camellia192-camellia256-"
    "camellia128ctr-camellia192ctr-camellia256ctr-3des-"
    "sha256-sha384-sha512-aesxcbc-aescmac-sha1-" + _KE_DEFAULT,
)
DEFAULT_ESP_PROPOSALS = (
    "aes128gcm16-aes192gcm16-aes256gcm16",
    "aes128-aes192-aes256-sha256-sha384-sha512-sha1-aesxcbc",
)
#: kept for callers that want one string per kind (the first proposal of each)
DEFAULT_IKE = DEFAULT_IKE_PROPOSALS[1]
DEFAULT_ESP = DEFAULT_ESP_PROPOSALS[0]

T = TypeVar("T")


class ProposalError(ValueError):
    """A proposal string strongSwan refuses (a word that is not a keyword, a missing
    algorithm type…)."""


class _Parts:
    def __init__(self) -> None:
        self.encs: list[Encr] = []
        self.integs: list[Integ] = []
        self.prfs: list[Prf] = []
        self.groups: list[int] = []
        #: ADDKE slot (1-7) → methods offered (0 = none)
        self.additional: dict[int, list[int]] = {}
        self.other: list[str] = []
        self.no_ke = False


def _split(text: str) -> _Parts:
    parts = _Parts()
    for token in text.strip().lower().split("-"):
        token = token.strip()
        if not token:
            continue
        if len(token) > 4 and token[:2] == "ke" and token[2].isdigit() and token[3] == "_":
            slot, word = int(token[2]), token[4:]
            if not 1 <= slot <= 7 or (word not in GROUP_BY_KEYWORD and word not in NO_KE):
                raise ProposalError(f"'{token}' is not a strongSwan proposal keyword")
            parts.additional.setdefault(slot, []).append(GROUP_BY_KEYWORD.get(word, 0))
        elif token in ENCR_WORDS:
            parts.encs.append(ENCR_WORDS[token])
        elif token in INTEG_WORDS:
            parts.integs.append(INTEG_WORDS[token])
        elif token in PRF_WORDS:
            parts.prfs.append(PRF_WORDS[token])
        elif token in GROUP_BY_KEYWORD:
            parts.groups.append(GROUP_BY_KEYWORD[token])
        elif token in NO_KE:
            parts.no_ke = True
        elif token in OTHER_WORDS:
            parts.other.append(token)
        else:
            raise ProposalError(f"'{token}' is not a strongSwan proposal keyword")
    return parts


def _or_none(items: list[T]) -> list[T | None]:
    """``items``, or one ``None`` when there are none (the proposal leaves that algorithm out)."""
    return [*items] if items else [None]


def _bounded(text: str, *sizes: int) -> None:
    """A proposal string expands to the product of its algorithm lists: refuse a huge one
    before building it (a few kilobytes of keywords would be billions of proposals; the
    largest of strongSwan's own default strings is under 2,000)."""
    total = 1
    for size in sizes:
        total *= max(size, 1)
    if total > MAX_PRODUCT:
        raise ProposalError(f"proposal {shown_repr(text, 60)} expands to {total:,} "
                            f"combinations, more than {MAX_PRODUCT:,}")


#: distinct proposals one file may expand to in all (each distinct proposal list is kept
#: once; a file of many distinct long lists would otherwise fill the memory)
MAX_DISTINCT = 200_000


@dataclass
class _Budget:
    total: int = 0
    #: the tuples counted (kept alive, so their ``id`` is not reused while counted)
    seen: dict[int, tuple[Any, ...]] = field(default_factory=dict)


_BUDGET: ContextVar[_Budget | None] = ContextVar("ccsec_proposal_budget", default=None)


@contextmanager
def proposal_budget() -> Iterator[None]:
    """Within this block (one file being read), the distinct proposals built are counted;
    past :data:`MAX_DISTINCT` the next list is a ProposalError for its connection."""
    token = _BUDGET.set(_Budget())
    try:
        yield
    finally:
        _BUDGET.reset(token)


def _charge(result: tuple[Any, ...]) -> tuple[Any, ...]:
    budget = _BUDGET.get()
    if budget is not None and id(result) not in budget.seen:
        budget.seen[id(result)] = result
        budget.total += len(result)
        if budget.total > MAX_DISTINCT:
            raise ProposalError(f"more than {MAX_DISTINCT:,} distinct proposals in one file")
    return result


def _additional(parts: _Parts) -> list[tuple[int, ...]]:
    """Every combination of the additional key exchanges, slot by slot (empty slots skipped)."""
    if not parts.additional:
        return [()]
    top = max(parts.additional)
    choices = [parts.additional.get(n, [0]) for n in range(1, top + 1)]
    _bounded("-".join(f"ke{n}" for n in parts.additional), *(len(c) for c in choices))
    out = []
    for combo in product(*choices):
        trimmed = list(combo)
        while trimmed and trimmed[-1] == 0:
            trimmed.pop()  # a slot left out is the same as its "none"
        out.append(tuple(trimmed))
    return list(dict.fromkeys(out))


def parse_ike(text: str) -> list[IkeProposal]:
    """One strongSwan IKE proposal string (``default`` allowed) → single-algorithm proposals."""
    return list(_charge(_parse_ike(text.strip().lower())))


@lru_cache(maxsize=512)
def _parse_ike(text: str) -> tuple[IkeProposal, ...]:
    if text == "default":
        return tuple(dict.fromkeys(p for t in DEFAULT_IKE_PROPOSALS for p in _parse_ike(t)))
    parts = _split(text)
    if not parts.encs or not parts.groups:
        raise ProposalError(f"IKE proposal '{text}' needs an encryption algorithm and a key "
                            "exchange method")
    extra = _additional(parts)
    aead = sum(1 for e in parts.encs if is_aead(e))
    per_group = aead * max(len(parts.prfs), len(parts.integs)) + \
        (len(parts.encs) - aead) * len(parts.integs) * max(len(parts.prfs), len(parts.integs), 1)
    _bounded(text, len(parts.groups), len(extra), per_group)
    out: list[IkeProposal] = []
    for enc, group, more in product(parts.encs, parts.groups, extra):
        if is_aead(enc):
            # charon drops integrity algorithms from AEAD proposals and, when no PRF is
            # given, derives the PRFs from them (proposal.c, check_proposal)
            prfs = parts.prfs or [PRF_OF_INTEG[i] for i in parts.integs if i in PRF_OF_INTEG]
            if not prfs:
                raise ProposalError(f"AEAD IKE proposal '{text}' needs a PRF")
            out += [IkeProposal(encryption=enc, prf=prf, group=group, additional_ke=more)
                    for prf in dict.fromkeys(prfs)]
        else:
            if not parts.integs:
                raise ProposalError(f"IKE proposal '{text}' needs an integrity algorithm")
            out += [IkeProposal(encryption=enc, integrity=integ, prf=maybe_prf, group=group,
                                additional_ke=more)
                    for integ in parts.integs for maybe_prf in _prfs_with(integ, parts)]
    return tuple(dict.fromkeys(out))


def _prfs_with(integ: Integ, parts: _Parts) -> list[Prf | None]:
    """The PRFs a classic (non-AEAD) IKE proposal offers beside ``integ``: the ones it names,
    else — as charon's ``check_proposal`` does — the PRF of *every* integrity algorithm in the
    proposal, so that ``aes256-sha256-sha384-ecp256`` is also accepted with sha256 integrity
    and prfsha384 (measured against charon 5.9.8 by ``ccsec probe``).  ``None`` stands for the
    PRF that follows ``integ`` itself (the model's default)."""
    if parts.prfs:
        return list(parts.prfs)
    own = PRF_OF_INTEG.get(integ)
    derived = dict.fromkeys(PRF_OF_INTEG[i] for i in parts.integs if i in PRF_OF_INTEG)
    return [None if prf == own else prf for prf in derived] or [None]


def ike_list(items: tuple[str, ...]) -> tuple[IkeProposal, ...]:
    """Several proposal strings (a ``proposals`` list) → one shared tuple, duplicates dropped.

    The same list gives the same tuple object, so everything judged per proposal list (the
    negotiation's key sets, the algorithm checks) is computed once for all rules that share
    it — strongSwan's default list alone expands to thousands of proposals."""
    return _charge(_ike_list(items))


@lru_cache(maxsize=512)
def _ike_list(items: tuple[str, ...]) -> tuple[IkeProposal, ...]:
    out: list[IkeProposal] = []
    for text in items:
        out += _parse_ike(text.strip().lower())
    return tuple(dict.fromkeys(out))


def shared_ike(version: Literal[1, 2], exchange: Literal["main", "aggressive"],
               proposals: tuple[IkeProposal, ...], lifetime_s: int) -> Ike:
    """An :class:`~ccsec.policy.Ike` that keeps ``proposals`` (the shared tuple) as it is."""
    base = Ike(version=version, exchange=exchange, proposals=proposals[:1],
               lifetime_s=lifetime_s)
    return base.model_copy(update={"proposals": proposals})


def parse_esp(text: str, ah: bool = False) -> tuple[list[EspProposal], int | None, bool]:
    """One ESP (or AH) proposal string → (proposals, KE group for PFS or None, esn)."""
    props, groups, esn = _parse_esp(text.strip().lower(), ah)
    return list(_charge(props)), groups[0] if groups and groups[0] else None, esn


def esp_groups(text: str, ah: bool = False) -> tuple[int, ...]:
    """Every PFS group one ESP proposal string offers (several mean any of them; 0 = no PFS,
    which is also what a proposal without a group offers)."""
    return _parse_esp(text.strip().lower(), ah)[1] or (0,)


def pfs_choice(groups: list[int]) -> tuple[int | None, tuple[int, ...]]:
    """The PFS group of a rule (the first offered) and the others it accepts (0 = none)."""
    ordered = list(dict.fromkeys(groups))
    if not ordered:
        return None, ()
    first = ordered[0] or None
    return first, tuple(ordered[1:])


@lru_cache(maxsize=512)
def _parse_esp(text: str, ah: bool) -> tuple[tuple[EspProposal, ...], tuple[int, ...], bool]:
    if text == "default":
        if ah:
            return _parse_esp("sha256-sha384-sha512-sha1-aesxcbc", True)
        out: list[EspProposal] = []
        for t in DEFAULT_ESP_PROPOSALS:
            out += _parse_esp(t, False)[0]
        return tuple(dict.fromkeys(out)), (), False
    parts = _split(text)
    _bounded(text, len(parts.encs), len(parts.integs))
    group = tuple(dict.fromkeys(parts.groups + ([0] if parts.no_ke and parts.groups else [])))
    esn = "esn" in parts.other
    if ah:
        if not parts.integs:
            raise ProposalError(f"AH proposal '{text}' needs an integrity algorithm")
        return tuple(EspProposal(encryption=None, ah=i) for i in parts.integs), group, esn
    if not parts.encs:
        raise ProposalError(f"ESP proposal '{text}' needs an encryption algorithm")
    props: list[EspProposal] = []
    for enc in parts.encs:
        if is_aead(enc):
            props.append(EspProposal(encryption=enc))
        else:
            props += [EspProposal(encryption=enc, integrity=maybe_integ)
                      for maybe_integ in _or_none(parts.integs)]
    return tuple(dict.fromkeys(props)), group, esn


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
