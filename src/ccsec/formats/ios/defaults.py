"""What IOS does where ``show running-config`` is silent: the hidden defaults the importer
applies, each with its source (platform-syntax.md §5; [D] documented, [V] varies by release).

* ``crypto isakmp policy``: encryption DES, hash SHA-1, authentication rsa-sig, group 1,
  lifetime 86400 s (§5.1 [V] per release).
* transform set ``mode tunnel`` (§5.4 [D]); ``set pfs`` without a group = group 1 [D];
  SA lifetime 3600 s / 4,608,000 KB unless ``crypto ipsec security-association lifetime``
  says otherwise [D]; IKEv2 profile lifetime 86400 s [D]; IKE version 1 for a crypto map
  entry without ``set ikev2-profile`` [D].
* Built-in policies (the ISAKMP suites 65507–65514, the IKEv2 smart-default proposal and
  policy, the smart-default transform set) stay in effect unless switched off; their exact
  contents vary by release [V].
"""

from __future__ import annotations

from functools import lru_cache

from ccsec.crypto import Encr, EspProposal, IkeProposal, Integ

DEFAULT_SA_SECONDS = 3600
DEFAULT_SA_KB = 4608000
DEFAULT_IKEV2_LIFETIME = 86400
DEFAULT_ISAKMP_LIFETIME = 86400
#: IOS defaults of a ``crypto isakmp policy`` (platform-syntax.md §5.1 [V])
ISAKMP_ENCRYPTION = Encr.DES
ISAKMP_HASH = Integ.SHA1
ISAKMP_AUTHENTICATION = "certificate"
ISAKMP_GROUP = 1
#: the same defaults as IOS words, in the order a policy lists them (for the note)
ISAKMP_DEFAULT_WORDS = {"encryption": "des", "hash": "sha", "authentication": "rsa-sig",
                        "group": "1", "lifetime": "86400"}
#: built-in ISAKMP suites 65507–65514: (encryption, hash, auth, group) [V release-dependent]
DEFAULT_ISAKMP_SUITES = (
    (Encr.AES128, Integ.SHA1, "certificate", 5), (Encr.AES128, Integ.SHA1, "psk", 5),
    (Encr.AES128, Integ.MD5, "certificate", 5), (Encr.AES128, Integ.MD5, "psk", 5),
    (Encr.TDES, Integ.SHA1, "certificate", 2), (Encr.TDES, Integ.SHA1, "psk", 2),
    (Encr.TDES, Integ.MD5, "certificate", 2), (Encr.TDES, Integ.MD5, "psk", 2),
)
#: IKEv2 smart-default proposal (IOS 15.x configuration guide; newer IOS XE differs [V])
DEFAULT_IKEV2 = ((Encr.AES256, Encr.AES192, Encr.AES128),
                 (Integ.SHA512, Integ.SHA384, Integ.SHA256, Integ.SHA1, Integ.MD5), (5, 2))
#: smart-default transform set ``default`` [V]
DEFAULT_TRANSFORMS = (EspProposal(encryption=Encr.AES128, integrity=Integ.SHA1),
                      EspProposal(encryption=Encr.TDES, integrity=Integ.SHA1))


def default_isakmp(method: str) -> list[IkeProposal]:
    """The built-in ISAKMP suites for one authentication method, in priority order."""
    return [IkeProposal(encryption=e, integrity=h, group=g)
            for e, h, a, g in DEFAULT_ISAKMP_SUITES if a == method]


def default_ikev2() -> list[IkeProposal]:
    return list(_default_ikev2())


@lru_cache(maxsize=1)
def _default_ikev2() -> tuple[IkeProposal, ...]:
    """Built once: every import reports the smart-default suites (30 frozen proposals)."""
    encs, integs, groups = DEFAULT_IKEV2
    return tuple(IkeProposal(encryption=e, integrity=i, group=g)
                 for e in encs for i in integs for g in groups)


@lru_cache(maxsize=1)
def default_labels() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The suites of the two default-policy facts (the same text for every import)."""
    isakmp = tuple(f"{e.value}-{h.value}-{a}-group{g}" for e, h, a, g in DEFAULT_ISAKMP_SUITES)
    return isakmp, tuple(p.label() for p in _default_ikev2())
