"""libreswan's pluto as a second IKE implementation: its installation, configuration and logs.

libreswan cannot be installed beside strongSwan's Debian packages (they conflict as IKE
daemons), so ``scripts/system-deps.sh`` unpacks its package into a root of its own
(:data:`DEFAULT_ROOT`, or ``CCSEC_LIBRESWAN_ROOT``).  pluto runs from there in a network
namespace and a private mount namespace in which that root's ``/usr/libexec`` is bound over
the host's (pluto runs its helpers, ``addconn`` above all, from the compiled-in
``/usr/libexec/ipsec``); nothing of the host changes.

This module writes one end's policy as a libreswan ``ipsec.conf`` connection (``ipsec.conf(5)``
of libreswan 4.10: ``ike=``/``esp=`` in libreswan's words, ``ikev2=``, ``leftid``/``rightid``,
``leftcert`` from an NSS database) and reads pluto's log.  What libreswan 4 cannot negotiate is
refused with the reason (DH group 2 is no longer compiled in; IKEv1 has no ECDSA).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ccsec.crypto import DH_GROUPS, Encr, EspProposal, IkeProposal, Integ, Prf, is_aead
from ccsec.policy import Identity, Rule

DEFAULT_ROOT = Path("/opt/ccsec/libreswan")
ROOT_ENV = "CCSEC_LIBRESWAN_ROOT"
#: the tools the witness needs beside the unpacked package (libnss3-tools, openssl)
TOOLS = ("certutil", "pk12util", "openssl", "unshare")

ENCR = {
    Encr.TDES: "3des", Encr.AES128: "aes128", Encr.AES192: "aes192", Encr.AES256: "aes256",
    Encr.AES128CTR: "aes_ctr128", Encr.AES256CTR: "aes_ctr256",
    Encr.AES128GCM: "aes_gcm128", Encr.AES192GCM: "aes_gcm192", Encr.AES256GCM: "aes_gcm256",
    Encr.AES128GCM8: "aes_gcm_a128", Encr.AES128GCM12: "aes_gcm_b128",
    Encr.AES256GCM8: "aes_gcm_a256", Encr.AES256GCM12: "aes_gcm_b256",
    Encr.AES128CCM8: "aes_ccm_a128", Encr.AES128GMAC: "aes_gmac128",
    Encr.AES256GMAC: "aes_gmac256", Encr.CHACHA20POLY1305: "chacha20_poly1305",
    Encr.NULL: "null",
}
INTEG = {Integ.MD5: "md5", Integ.SHA1: "sha1", Integ.SHA256: "sha2_256",
         Integ.SHA384: "sha2_384", Integ.SHA512: "sha2_512", Integ.AESXCBC: "aes_xcbc",
         Integ.AESCMAC: "aes_cmac"}
PRF = {Prf.MD5: "md5", Prf.SHA1: "sha1", Prf.SHA256: "sha2_256", Prf.SHA384: "sha2_384",
       Prf.SHA512: "sha2_512", Prf.AESXCBC: "aes_xcbc"}
#: the groups libreswan 4 has compiled in (modp1024, DH 2, is not: ipsec.conf(5), ike=)
GROUPS = frozenset({5, 14, 15, 16, 17, 18, 19, 20, 21, 31})
#: the groups its IKEv1 takes for PFS in quick mode (its algorithm table at start-up: the
#: elliptic-curve groups are "IKEv1: IKE" only)
IKEV1_PFS_GROUPS = frozenset({5, 14, 15, 16, 17, 18})


@dataclass(frozen=True)
class Install:
    """Where the unpacked libreswan lives."""

    root: Path

    @classmethod
    def find(cls) -> Install:
        return cls(Path(os.environ.get(ROOT_ENV) or DEFAULT_ROOT))

    @property
    def libexec(self) -> Path:
        return self.root / "usr" / "libexec"

    @property
    def pluto(self) -> Path:
        return self.libexec / "ipsec" / "pluto"

    @property
    def whack(self) -> Path:
        return self.libexec / "ipsec" / "whack"

    def missing(self) -> str | None:
        """Why libreswan cannot run here (None when it can)."""
        if not self.pluto.is_file():
            return (f"libreswan is not unpacked at {self.root} (pluto missing): run "
                    f"'make system-deps' as root, or set {ROOT_ENV}")
        return None


# ------------------------------------------------------------------ ipsec.conf


class Unsupported(ValueError):
    """Something of the policy libreswan 4 cannot negotiate (the message says what)."""


def _group(group: int) -> str:
    if group not in GROUPS:
        raise Unsupported(f"DH group {group} ({DH_GROUPS[group].keyword}) is not compiled "
                          "into libreswan 4")
    return f"dh{group}"


def ike_text(p: IkeProposal) -> str:
    """One IKE proposal in libreswan's ``ike=`` words (an AEAD cipher names the PRF second;
    libreswan has no PRF apart from the integrity algorithm otherwise)."""
    if p.encryption not in ENCR:
        raise Unsupported(f"IKE cipher {p.encryption.value} has no libreswan name")
    if is_aead(p.encryption):
        if p.prf is None or p.prf not in PRF:
            raise Unsupported(f"IKE proposal {p.label()} needs a PRF libreswan knows")
        return f"{ENCR[p.encryption]}-{PRF[p.prf]};{_group(p.group)}"
    if p.integrity not in INTEG:
        raise Unsupported(f"IKE integrity of {p.label()} has no libreswan name")
    return f"{ENCR[p.encryption]}-{INTEG[p.integrity]};{_group(p.group)}"


def esp_text(p: EspProposal, pfs: int | None, version: int = 2) -> str:
    """One ESP proposal in libreswan's ``esp=`` words (``;dhN``: the PFS group)."""
    if version == 1 and pfs is not None and pfs not in IKEV1_PFS_GROUPS:
        raise Unsupported(f"libreswan's IKEv1 has no PFS with DH group {pfs} "
                          f"({DH_GROUPS[pfs].keyword}); its quick mode takes MODP groups only")
    if p.encryption is None or p.ah is not None:
        raise Unsupported(f"ESP proposal {p.label()}: libreswan negotiates ESP alone, no AH")
    if p.encryption not in ENCR:
        raise Unsupported(f"ESP cipher {p.encryption.value} has no libreswan name")
    if is_aead(p.encryption):
        text = f"{ENCR[p.encryption]}-null"
    elif p.integrity is None or p.integrity not in INTEG:
        raise Unsupported(f"ESP proposal {p.label()} needs an integrity libreswan knows")
    else:
        text = f"{ENCR[p.encryption]}-{INTEG[p.integrity]}"
    return text + (f";{_group(pfs)}" if pfs is not None else "")


def id_text(ident: Identity | None) -> str:
    """An identity as ``leftid``/``rightid`` take it (``@`` keeps an FQDN from being resolved;
    a DN is quoted)."""
    if ident is None:
        return "%fromcert"
    if ident.kind == "fqdn":
        return f"@{ident.value}"
    if ident.kind == "dn":
        return '"' + ident.value + '"'
    if ident.kind == "keyid":
        return f"@[{ident.value}]"
    return ident.value


def conn_lines(rule: Rule, cert: str | None, initiate: bool) -> list[str]:
    """``rule`` (one end of a path, as its platform runs it) as libreswan connections: one per
    filter (libreswan negotiates one pair of subnets per connection, as IOS per ACL line)."""
    if rule.ike.exchange != "main":
        raise Unsupported("aggressive mode is not part of the witness")
    auth = rule.auth[0]
    if auth.method == "kerberos":
        raise Unsupported("libreswan has no Kerberos")
    ike = ",".join(ike_text(p) for p in rule.ike.proposals)
    esp = ",".join(esp_text(p, rule.pfs_group, rule.ike.version) for p in rule.esp)
    base = [
        f"    left={rule.local_address}",
        f"    right={rule.peer_address}",
        f"    leftid={id_text(rule.local_id)}",
        f"    rightid={id_text(rule.peer_id)}",
        f"    ikev2={'yes' if rule.ike.version == 2 else 'no'}",
        f"    ike={ike}",
        f"    esp={esp}",
        f"    pfs={'yes' if rule.pfs_group is not None else 'no'}",
        f"    ikelifetime={rule.ike.lifetime_s}s",
        f"    salifetime={rule.lifetime_s}s",
        f"    type={rule.mode}",
    ]
    if auth.method == "psk":
        base.append("    authby=secret")
    else:
        if rule.ike.version == 1:
            base.append("    authby=rsasig")  # IKEv1 in libreswan signs with RSA only
        base += [f"    leftcert={cert}", "    leftsendcert=always"]
    if rule.dpd_s:
        base += [f"    dpddelay={rule.dpd_s}s", f"    dpdtimeout={rule.dpd_s * 3}s"]
    out: list[str] = []
    for n, f in enumerate(rule.filters):
        name = rule.name if n == 0 else f"{rule.name}-{n + 1}"
        out += [f"conn {name}", *base, f"    leftsubnet={f.local}", f"    rightsubnet={f.remote}",
                f"    auto={'start' if initiate else 'add'}", ""]
    return out


def config(rules: list[tuple[Rule, bool]], cert: str | None, log: Path) -> str:
    """A whole ``ipsec.conf``: IKEv1 accepted (libreswan 4 drops it by default), no DNSSEC."""
    lines = ["config setup", f"    logfile={log}", "    logappend=no", "    dnssec-enable=no",
             "    ikev1-policy=accept", "    plutodebug=none", ""]
    for rule, initiate in rules:
        lines += conn_lines(rule, cert, initiate)
    return "\n".join(lines) + "\n"


def secrets(rule: Rule, key: str | None) -> str:
    """``ipsec.secrets``: the pre-shared key of a PSK rule between the two IKE identities."""
    if key is None:
        return ""
    mine = rule.local_id.value if rule.local_id else str(rule.local_address)
    theirs = rule.peer_id.value if rule.peer_id else str(rule.peer_address)
    quoted = key.replace("\\", "\\\\").replace('"', '\\"')
    return f'{mine} {theirs} : PSK "{quoted}"\n'


# ------------------------------------------------------------------------ the log


@dataclass(frozen=True)
class PlutoReading:
    """What pluto's log says about one negotiation."""

    ike: bool
    child: bool
    installed: bool
    kernel_refused: bool
    evidence: list[str]


_IKE_UP = re.compile(r"established IKE SA|ISAKMP SA established|IKE SA established|"
                     r"STATE_MAIN_[RI]3|STATE_V2_ESTABLISHED_IKE_SA")
_CHILD_UP = re.compile(r"proposal \S+:(ESP|AH)=.* chosen from|established Child SA|"
                       r"IPsec SA established|STATE_QUICK_[RI][12]|quick_inI1_outR1|"
                       r"negotiated connection")
_INSTALLED = re.compile(r"established Child SA|IPsec SA established")
_KERNEL = re.compile(r"netlink response for Add SA|setup_half_ipsec_sa\(\) hit fail|"
                     r"kernel: .* failed")
_FAIL = re.compile(r"NO_PROPOSAL_CHOSEN|no acceptable|AUTHENTICATION_FAILED|TS_UNACCEPTABLE|"
                   r"no suitable connection|INVALID_ID_INFORMATION|authentication failed|"
                   r"failed to|no connection|not authenticated|signature")


def read_log(text: str) -> PlutoReading:
    """The negotiation as pluto logged it: IKE SA up, CHILD SA agreed (proposal and traffic
    selectors accepted), installed, or refused by a kernel without ESP."""
    lines = [ln.strip() for ln in text.splitlines() if ": | " not in ln]
    ike = [ln for ln in lines if _IKE_UP.search(ln)]
    kernel = [ln for ln in lines if _KERNEL.search(ln)]
    # pluto installs a CHILD SA only once its proposal and selectors are agreed: an attempt
    # the kernel refuses is an agreement too
    child = [ln for ln in lines if _CHILD_UP.search(ln)] + kernel
    failed = [ln for ln in lines if _FAIL.search(ln)]
    installed = any(_INSTALLED.search(ln) for ln in lines) and not kernel
    evidence = list(dict.fromkeys(ike[:1] + child[:1] + kernel[:1] + failed[:3]))
    return PlutoReading(bool(ike), bool(child), installed, bool(kernel), evidence)
