"""The lab CA and one certificate per end, made with strongSwan's ``pki`` (ECDSA P-256).

The CA's subject is the deployment's root CA name, so the ``ca_id`` the renderer writes is the
planned one.  Each end's certificate carries every local identity its rules use (subject or
subjectAltName), so the rendered ``id =`` lines are honoured as they are.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ccsec.errors import Problem, UnsupportedError
from ccsec.formats.dn import encoding_order
from ccsec.lab.proc import run
from ccsec.policy import EndPolicy, Identity

LIFETIME_DAYS = "30"
#: key types the lab makes: ECDSA P-256 (the lab's own), RSA 2048 (IKEv1 peers that sign with
#: RSA only, e.g. libreswan: its IKEv1 has no ECDSA)
KEYS = {"ecdsa": ("ecdsa", "256"), "rsa": ("rsa", "2048")}


@dataclass(frozen=True)
class Credential:
    key: str
    cert: str


@dataclass(frozen=True)
class LabCA:
    dn: str
    key_path: Path
    cert_path: Path

    @property
    def cert(self) -> str:
        return self.cert_path.read_text(encoding="ascii")


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(text)


def _genkey(kind: str = "ecdsa") -> str:
    key_type, size = KEYS[kind]
    return run(["pki", "--gen", "--type", key_type, "--size", size, "--outform", "pem"]).stdout


def make_ca(directory: Path, dn: str, kind: str = "ecdsa") -> LabCA:
    """A self-signed lab CA with subject ``dn`` (RFC 4514 order, as the deployment names it;
    ``pki`` takes the RDNs in encoding order, see :mod:`ccsec.formats.dn`)."""
    directory.mkdir(parents=True, exist_ok=True)
    key = directory / "ca.key"
    cert = directory / "ca.pem"
    _write_private(key, _genkey(kind))
    out = run(["pki", "--self", "--ca", "--lifetime", LIFETIME_DAYS, "--in", str(key),
               "--type", KEYS[kind][0], "--dn", encoding_order(dn), "--outform", "pem"]).stdout
    cert.write_text(out, encoding="ascii")
    return LabCA(dn, key, cert)


def identities(end: EndPolicy) -> list[Identity]:
    """The distinct local identities of the end's certificate rules, in rule order."""
    ids = [r.local_id for r in end.rules
           if r.local_id is not None and any(a.method == "certificate" for a in r.auth)]
    return list(dict.fromkeys(ids))


def needs_certificate(end: EndPolicy) -> bool:
    return any(a.method == "certificate" for r in end.rules for a in r.auth)


def subject_and_sans(end: EndPolicy) -> tuple[str, list[str]]:
    """Certificate subject and SANs that make every rendered local ``id`` match."""
    ids = identities(end)
    dns = [i.value for i in ids if i.kind == "dn"]
    bad = [i for i in ids if i.kind == "keyid"]
    owner = end.owner or end.name
    if len(dns) > 1 or bad:
        raise UnsupportedError(Problem(
            "one lab certificate cannot carry several DN (or key-id) identities",
            field=f"lab end {owner}", fix="use one DN identity per end, or FQDN identities"))
    sans = [i.value for i in ids if i.kind in ("fqdn", "address")]
    if dns:
        return encoding_order(dns[0]), sans
    return f"CN={sans[0] if sans else owner}", sans


def issue(ca: LabCA, end: EndPolicy, directory: Path, kind: str = "ecdsa") -> Credential:
    """A key and a certificate for ``end`` signed by the lab CA."""
    owner = end.owner or end.name
    subject, sans = subject_and_sans(end)
    directory.mkdir(parents=True, exist_ok=True)
    key = directory / f"{owner}.key"
    _write_private(key, _genkey(kind))
    args = ["pki", "--issue", "--lifetime", LIFETIME_DAYS, "--cacert", str(ca.cert_path),
            "--cakey", str(ca.key_path), "--in", str(key), "--type", "priv", "--dn", subject]
    for san in sans:
        args += ["--san", san]
    args += ["--flag", "serverAuth", "--flag", "clientAuth", "--flag", "ikeIntermediate",
             "--outform", "pem"]
    cert = run(args).stdout
    return Credential(key.read_text(encoding="ascii"), cert)


def issue_all(ca: LabCA, ends: list[EndPolicy], directory: Path) -> dict[str, Credential]:
    """Certificates for every end that authenticates with one (in parallel: pki is slow-ish)."""
    directory.mkdir(parents=True, exist_ok=True)
    wanted = [e for e in ends if needs_certificate(e)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        creds = list(pool.map(lambda e: issue(ca, e, directory), wanted))
    return {(e.owner or e.name): c for e, c in zip(wanted, creds, strict=True)}
