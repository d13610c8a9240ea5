"""Random strongSwan IKE proposal sets for the probe tests, and the set strongSwan accepts.

The algorithms are drawn from what the running charon reports (``swanctl --list-algs``: the
plugins it loaded) intersected with the probe's search space, so every configuration loads and
every algorithm in it can be negotiated.  The accepted set follows strongSwan's documented
proposal semantics (docs.strongswan.org "Proposals"): a proposal accepts every combination of
its algorithms (IKEv2: encryption × integrity × PRF × group, or AEAD × PRF × group; a classic
IKEv2 proposal without a PRF keyword gets the PRFs of its integrity algorithms; IKEv1:
encryption × hash × group), and the connection accepts the union of its proposals.

Used by ``tests/lab/test_probe_lab.py`` (a few configurations per version) and
``bench/probe_bench.py`` (≥ 50 per version).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import TypeVar

from ccsec.crypto import DH_GROUPS, ENCR, INTEG, PRF, PRF_OF_INTEG, Encr, IkeProposal, Integ, Prf
from ccsec.lab.proc import run
from ccsec.probe.space import v1_space, v2_space

#: strongSwan's algorithm names (``--list-algs``) where they differ from the IANA name's tail
_ENCR_ALIAS = {"3DES_CBC": "ENCR_3DES", "DES_CBC": "ENCR_DES", "BLOWFISH_CBC": "ENCR_BLOWFISH",
               "CAST_CBC": "ENCR_CAST"}
_DH_NAMES = {"MODP_768": 1, "MODP_1024": 2, "MODP_1536": 5, "MODP_2048": 14, "MODP_3072": 15,
             "MODP_4096": 16, "MODP_6144": 17, "MODP_8192": 18, "ECP_256": 19, "ECP_384": 20,
             "ECP_521": 21, "MODP_1024_160": 22, "MODP_2048_224": 23, "MODP_2048_256": 24,
             "ECP_192": 25, "ECP_224": 26, "ECP_224_BP": 27, "ECP_256_BP": 28,
             "ECP_384_BP": 29, "ECP_512_BP": 30, "CURVE_25519": 31, "CURVE_448": 32}


T = TypeVar("T")


@dataclass(frozen=True)
class Pools:
    """What a random configuration may use, per kind."""

    v2_plain: tuple[Encr, ...]
    v2_aead: tuple[Encr, ...]
    v2_integs: tuple[Integ, ...]
    prfs: tuple[Prf, ...]
    groups: tuple[int, ...]
    v1_encs: tuple[Encr, ...]
    v1_hashes: tuple[Integ, ...]


def loaded_algorithms(socket_path: str) -> dict[str, set[str]]:
    """``swanctl --list-algs`` of a running charon: section → algorithm names."""
    out = run(["swanctl", "--list-algs", "--uri", f"unix://{socket_path}"]).stdout
    algs: dict[str, set[str]] = {}
    section = ""
    for line in out.splitlines():
        if line and not line.startswith(" ") and line.endswith(":"):
            section = line[:-1]
        elif m := re.match(r"\s+(\S+)\[", line):
            algs.setdefault(section, set()).add(m.group(1))
    return algs


def pools(algs: dict[str, set[str]]) -> Pools:
    """The probe's space narrowed to what this charon supports."""
    enc_names = {_ENCR_ALIAS.get(n, f"ENCR_{n}") for n in algs.get("encryption", set())
                 | algs.get("aead", set())}
    integ_names = {f"AUTH_{n}" for n in algs.get("integrity", set())}
    prf_names = algs.get("prf", set())
    groups = {_DH_NAMES[n] for n in algs.get("dh", set()) if n in _DH_NAMES}
    s2, s1 = v2_space(), v1_space()
    return Pools(
        v2_plain=tuple(e for e in s2.plain if ENCR[e].iana in enc_names),
        v2_aead=tuple(e for e in s2.aead if ENCR[e].iana in enc_names),
        v2_integs=tuple(i for i in s2.integs if INTEG[i].iana in integ_names),
        prfs=tuple(p for p in s2.prfs if PRF[p].iana in prf_names),
        groups=tuple(g for g in s2.groups if g in groups),
        v1_encs=tuple(e for e in s1.encs if ENCR[e].iana in enc_names),
        v1_hashes=tuple(h for h in s1.hashes if INTEG[h].iana in integ_names),
    )


@dataclass(frozen=True)
class Config:
    version: int
    proposals: tuple[str, ...]
    accepted: frozenset[IkeProposal]


def _pick(rng: random.Random, pool: tuple[T, ...], most: int) -> list[T]:
    return rng.sample(pool, rng.randint(1, min(most, len(pool))))


def _word(g: int) -> str:
    return DH_GROUPS[g].keyword


def v2_config(rng: random.Random, p: Pools, most: int = 3) -> Config:
    """1–2 IKEv2 proposals, each AEAD or classic, 1–``most`` algorithms of each kind."""
    words: list[str] = []
    accepted: set[IkeProposal] = set()
    for _ in range(rng.randint(1, 2)):
        groups = _pick(rng, p.groups, most)
        if p.v2_aead and rng.random() < 0.4:
            encs, prfs = _pick(rng, p.v2_aead, most), _pick(rng, p.prfs, most)
            words.append("-".join([e.value for e in encs] + [x.value for x in prfs]
                                  + [_word(g) for g in groups]))
            accepted |= {IkeProposal(encryption=e, prf=x, group=g)
                         for e in encs for x in prfs for g in groups}
            continue
        encs = _pick(rng, p.v2_plain, most)
        explicit = rng.random() < 0.5
        integ_pool = p.v2_integs if explicit else tuple(i for i in p.v2_integs
                                                         if PRF_OF_INTEG.get(i) in p.prfs)
        integs = _pick(rng, integ_pool, most)
        prfs = _pick(rng, p.prfs, most) if explicit else list(dict.fromkeys(
            PRF_OF_INTEG[i] for i in integs))
        words.append("-".join([e.value for e in encs] + [i.value for i in integs]
                              + ([x.value for x in prfs] if explicit else [])
                              + [_word(g) for g in groups]))
        accepted |= {IkeProposal(encryption=e, integrity=i, prf=x, group=g)
                     for e in encs for i in integs for x in prfs for g in groups}
    return Config(2, tuple(words), frozenset(accepted))


def v1_config(rng: random.Random, p: Pools, most: int = 3) -> Config:
    """1–2 IKEv1 proposals, 1–``most`` encryptions, hashes and groups each."""
    words: list[str] = []
    accepted: set[IkeProposal] = set()
    for _ in range(rng.randint(1, 2)):
        encs, hashes = _pick(rng, p.v1_encs, most), _pick(rng, p.v1_hashes, most)
        groups = _pick(rng, p.groups, most)
        words.append("-".join([e.value for e in encs] + [h.value for h in hashes]
                              + [_word(g) for g in groups]))
        accepted |= {IkeProposal(encryption=e, integrity=h, group=g)
                     for e in encs for h in hashes for g in groups}
    return Config(1, tuple(words), frozenset(accepted))
