"""Vendor ID payloads: the ones a probe sends, and names for the ones a gateway sends back.

Most IKEv1 vendor IDs are the MD5 of a text (RFC 3947 §3.1: ``MD5("RFC 3947")``; strongSwan,
Microsoft, the NAT-T drafts), some followed by version or flag bytes (Cisco Unity, Microsoft's
``MS NT5 ISAKMPOAKLEY`` + 4-byte version, the fragmentation VID + capability flags), and a few
are short prefixes (XAuth: the first 8 bytes of the draft's MD5).  Vendor IDs are hints, not
proof: any implementation may send any of them, and many gateways send none.  Printable-ASCII
vendor IDs (Cisco IOS sends ``CISCO-DELETE-REASON``, ``FLEXVPN-SUPPORTED`` … in IKEv2) are
shown as their text.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

#: how Microsoft's version suffix maps to Windows releases (a hint; the suffix is a counter)
_MS_VERSIONS = {2: "Windows 2000", 3: "Windows XP", 4: "Windows Server 2003",
                5: "Windows Vista", 6: "Windows Server 2008 / Windows 7",
                7: "Windows 7 / Server 2008 R2", 8: "Windows 8 / Server 2012",
                9: "Windows 8.1 / Server 2012 R2", 10: "Windows 10 / Server 2016 or later"}


def _md5(text: str) -> bytes:
    return hashlib.md5(text.encode("ascii"), usedforsecurity=False).digest()


@dataclass(frozen=True)
class KnownVid:
    """A vendor ID: its bytes and how many of them identify it (the rest is version/flags)."""

    name: str
    data: bytes
    prefix: int
    vendor: str = ""

    def matches(self, vid: bytes) -> bool:
        return vid[:self.prefix] == self.data[:self.prefix] and len(vid) >= self.prefix


NATT_RFC3947 = KnownVid("NAT-T (RFC 3947)", _md5("RFC 3947"), 16)
NATT_DRAFTS = (
    KnownVid("NAT-T draft-ietf-ipsec-nat-t-ike-03", _md5("draft-ietf-ipsec-nat-t-ike-03"), 16),
    KnownVid("NAT-T draft-ietf-ipsec-nat-t-ike-02",
             _md5("draft-ietf-ipsec-nat-t-ike-02"), 16),
    KnownVid("NAT-T draft-ietf-ipsec-nat-t-ike-02\\n",
             _md5("draft-ietf-ipsec-nat-t-ike-02\n"), 16),
)
DPD = KnownVid("Dead Peer Detection (RFC 3706)", bytes.fromhex("afcad71368a1f1c96b8696fc77570100"),
               16)
XAUTH = KnownVid("XAUTH", _md5("draft-ietf-ipsra-isakmp-xauth-06.txt"), 8)
#: fragmentation VID (racoon/Cisco) with flag 0x80000000: main and aggressive mode fragments
FRAGMENTATION = KnownVid("IKE fragmentation (IKEv1, vendor extension)",
                         _md5("FRAGMENTATION") + bytes.fromhex("80000000"), 16)

KNOWN: tuple[KnownVid, ...] = (
    NATT_RFC3947, *NATT_DRAFTS, DPD, XAUTH, FRAGMENTATION,
    KnownVid("strongSwan", _md5("strongSwan"), 16, "strongSwan"),
    KnownVid("Cisco Unity", _md5("CISCO-UNITY")[:14] + b"\x01\x00", 14, "Cisco"),
    KnownVid("MS NT5 ISAKMPOAKLEY", _md5("MS NT5 ISAKMPOAKLEY"), 16, "Microsoft"),
    KnownVid("MS-Negotiation Discovery Capable", _md5("MS-Negotiation Discovery Capable"), 16,
             "Microsoft"),
    KnownVid("IKE CGA version 1", _md5("IKE CGA version 1"), 16, "Microsoft"),
    KnownVid("MS-MamieExists", _md5("MS-MamieExists"), 16, "Microsoft"),
    KnownVid("Vid-Initial-Contact", _md5("Vid-Initial-Contact"), 16, "Microsoft"),
    KnownVid("KAME/racoon", _md5("KAME/racoon"), 16, "racoon (ipsec-tools)"),
    KnownVid("IPSec-Tools", _md5("IPSec-Tools"), 16, "racoon (ipsec-tools)"),
)

#: what an IKEv1 probe announces: every NAT-T flavour (the responder answers with the one it
#: prefers), DPD and fragmentation — never another implementation's own vendor ID
V1_SENT: tuple[bytes, ...] = (NATT_RFC3947.data, *(v.data for v in NATT_DRAFTS), DPD.data,
                              FRAGMENTATION.data)


@dataclass(frozen=True)
class SeenVid:
    hex: str
    name: str | None
    vendor: str | None

    def to_json(self) -> dict[str, object]:
        return {"hex": self.hex, "name": self.name, "vendor": self.vendor}


def identify(vid: bytes) -> SeenVid:
    """Name a received vendor ID (``name`` None when unknown and not printable)."""
    for known in KNOWN:
        if known.matches(vid):
            name = known.name
            if known.vendor == "Microsoft" and known.name == "MS NT5 ISAKMPOAKLEY" \
                    and len(vid) >= 20:
                version = int.from_bytes(vid[16:20], "big")
                name += f" (version {version}: {_MS_VERSIONS.get(version, 'unknown release')})"
            return SeenVid(vid.hex(), name, known.vendor or None)
    if vid and all(32 <= b < 127 for b in vid):
        text = vid.decode("ascii")
        return SeenVid(vid.hex(), text, "Cisco" if text.startswith(("CISCO", "FLEXVPN"))
                       else None)
    return SeenVid(vid.hex(), None, None)


def natt_supported(vids: list[bytes]) -> bool:
    return any(k.matches(v) for v in vids for k in (NATT_RFC3947, *NATT_DRAFTS))


def rfc3947(vids: list[bytes]) -> bool:
    return any(NATT_RFC3947.matches(v) for v in vids)


def fragmentation_v1(vids: list[bytes]) -> bool:
    """The fragmentation VID with the main/aggressive-mode flag (strongSwan's reading)."""
    return any(FRAGMENTATION.matches(v) and len(v) == 20 and v[16] & 0x80 for v in vids)
