"""Win32 IKE error codes 13801–13883 (ERROR_IPSEC_IKE_*) → text and diagnosis class.

They are the ``Failure Reason`` of Windows events 4652–4654, the ``Failure error code`` of
IKEEXT traces and the Oakley.log ``status`` hex value.  Texts and codes: Microsoft "System Error
Codes 12000–15999" as tabulated in windows-and-cce-facts.md §1.4 [V]; the mapping to a
diagnosis class is ccsec's (the facts file's suggested classification, own mapping).
"""

from __future__ import annotations

from ccsec.monitor.logs.model import Kind
from ccsec.textio import ascii_int

#: code → (English FormatMessage text, diagnosis kind)
IKE_ERRORS: dict[int, tuple[str, Kind]] = {
    13801: ("IKE authentication credentials are unacceptable", Kind.AUTH_FAILED),
    13802: ("IKE security attributes are unacceptable", Kind.IKE_NO_PROPOSAL),
    13803: ("IKE Negotiation in progress", Kind.INFO),
    13804: ("General processing error", Kind.FAILED),
    13805: ("Negotiation timed out", Kind.TIMEOUT),
    13806: ("IKE failed to find valid machine certificate", Kind.AUTH_FAILED),
    13807: ("IKE SA deleted by peer before establishment completed", Kind.FAILED),
    13808: ("IKE SA deleted before establishment completed", Kind.FAILED),
    13809: ("Negotiation request sat in Queue too long", Kind.TIMEOUT),
    13810: ("Negotiation request sat in Queue too long", Kind.TIMEOUT),
    13811: ("Negotiation request sat in Queue too long", Kind.TIMEOUT),
    13812: ("Negotiation request sat in Queue too long", Kind.TIMEOUT),
    13813: ("No response from peer", Kind.TIMEOUT),
    13814: ("Negotiation took too long", Kind.TIMEOUT),
    13815: ("Negotiation took too long", Kind.TIMEOUT),
    13816: ("Unknown error occurred", Kind.FAILED),
    13817: ("Certificate Revocation Check failed", Kind.AUTH_FAILED),
    13818: ("Invalid certificate key usage", Kind.AUTH_FAILED),
    13819: ("Invalid certificate type", Kind.AUTH_FAILED),
    13820: ("IKE negotiation failed because the machine certificate used does not have a private "
            "key", Kind.AUTH_FAILED),
    13822: ("Failure in Diffie-Hellman computation", Kind.FAILED),
    13824: ("Invalid header", Kind.FAILED),
    13825: ("No policy configured", Kind.NO_CONFIG),
    13826: ("Failed to verify signature", Kind.AUTH_FAILED),
    13827: ("Failed to authenticate using Kerberos", Kind.AUTH_FAILED),
    13828: ("Peer's certificate did not have a public key", Kind.AUTH_FAILED),
    13846: ("Invalid cookie received.", Kind.FAILED),
    13847: ("Peer failed to send valid machine certificate", Kind.AUTH_FAILED),
    13848: ("Certification Revocation check of peer's certificate failed", Kind.AUTH_FAILED),
    13849: ("New policy invalidated SAs formed with old policy", Kind.INFO),
    13850: ("There is no available Main Mode IKE policy.", Kind.NO_CONFIG),
    13855: ("Failed to obtain Kerberos server credentials", Kind.AUTH_FAILED),
    13857: ("Failed to obtain new SPI for the inbound SA from IPsec driver", Kind.KERNEL_FAILED),
    13860: ("Failed to add Security Association to IPsec Driver", Kind.KERNEL_FAILED),
    13865: ("Invalid Diffie-Hellman group", Kind.IKE_NO_PROPOSAL),
    13868: ("Policy match error", Kind.IKE_NO_PROPOSAL),
    13870: ("Hash verification failed", Kind.PSK_MISMATCH),
    13871: ("Invalid hash algorithm", Kind.IKE_NO_PROPOSAL),
    13873: ("Invalid encryption algorithm", Kind.IKE_NO_PROPOSAL),
    13874: ("Invalid authentication algorithm", Kind.IKE_NO_PROPOSAL),
}
# 13829–13842: "Error processing <payload> payload" (payload parsing errors)
for _code in range(13829, 13843):
    IKE_ERRORS.setdefault(_code, ("Error processing a payload", Kind.FAILED))

_BY_TEXT = {text.lower().rstrip("."): code for code, (text, _) in IKE_ERRORS.items()}


def lookup(value: str) -> tuple[int | None, str, Kind]:
    """Code, text and class of a failure reason given as text, ``%%13868``, decimal or hex."""
    v = value.strip()
    code: int | None = None
    digits = v.lstrip("%")
    if digits.isdigit():
        code = ascii_int(digits)
    elif v.lower().startswith("0x"):
        try:
            code = int(v[:18], 16)
        except ValueError:
            code = None
    else:
        code = _BY_TEXT.get(v.lower().rstrip("."))
    if code is not None and code in IKE_ERRORS:
        text, kind = IKE_ERRORS[code]
        return code, text, kind
    return code, v, Kind.FAILED


def from_hex_status(status: str) -> tuple[int | None, str, Kind]:
    """An Oakley ``status 35ed`` value (hex without 0x)."""
    try:
        code = int(status, 16)
    except ValueError:
        return None, status, Kind.FAILED
    return lookup(str(code))
