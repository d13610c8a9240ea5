"""Distinguished names in the RDN order each platform writes them.

The policy model (and the deployment file's ``pki.root_ca``) writes a DN as RFC 4514 does: the
most specific RDN first, ``CN=ACME Root CA, O=ACME`` — the way Windows' certificate dialog and
``openssl x509 -nameopt RFC2253`` show a subject.  The certificate itself encodes the RDNs the
other way round (``O`` first).  The platforms differ:

* strongSwan reads and prints a DN string in encoding order (its documentation's
  ``C=CH, O=strongSwan Project, CN=strongSwan Root CA``) and with ``charon.rdn_matching =
  strict``, the default (strongswan.conf(5)), compares ``ca_id`` and DN identities RDN by RDN
  in that order — the RFC 4514 string names another DN;
* Windows: Microsoft's ``New-NetIPsecAuthProposal -Authority`` example names
  ``"C=US, O=MSFT, CN='Microsoft Root Authority'"`` and netsh's ``rootca=`` help the same
  way — encoding order [V: how IKEEXT compares the string is not documented];
* IOS certificate maps compare a field with the DN as IOS prints it; ccsec writes one
  ``co`` (contains) line per RDN, which holds whatever order and separators IOS prints.

So each renderer writes :func:`encoding_order` where its platform wants it and its parser reads
it back with :func:`from_encoding_order`.
"""

from __future__ import annotations


def rdns(dn: str) -> list[str]:
    """The RDNs of a DN string (``,`` separates them; ``\\,`` and ``"…"`` quote a comma)."""
    out: list[str] = []
    cur: list[str] = []
    quoted = escaped = False
    for c in dn:
        if escaped:
            cur.append(c)
            escaped = False
        elif c == "\\":
            cur.append(c)
            escaped = True
        elif c == '"':
            cur.append(c)
            quoted = not quoted
        elif c == "," and not quoted:
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
    out.append("".join(cur).strip())
    return [r for r in out if r]


def compared_rdns(dn: str) -> list[str]:
    """The RDNs of a DN as strongSwan compares identities: ``,`` and ``/`` (OpenSSL's
    one-line form) separate them, ``\\`` escapes the next character and is dropped — the text
    to compare, not to write back (:func:`rdns` keeps escapes and quotes for that)."""
    out: list[str] = []
    cur: list[str] = []
    esc = False
    for c in dn:
        if esc:
            cur.append(c)
            esc = False
        elif c == "\\":
            esc = True
        elif c in ",/" and cur:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(c)
    if cur:
        out.append("".join(cur))
    return [p for p in (s.strip() for s in out) if p]


def _reversed(dn: str) -> str:
    parts = rdns(dn)
    return dn if len(parts) < 2 else ", ".join(reversed(parts))


def encoding_order(dn: str) -> str:
    """An RFC 4514 DN string (most specific RDN first) in the certificate's encoding order,
    as strongSwan and the Windows cmdlets take it (a one-RDN name is left as it is written)."""
    return _reversed(dn)


def from_encoding_order(dn: str) -> str:
    """A DN string in encoding order (strongSwan, Windows) as the model writes it (RFC 4514;
    RDNs separated by ``, ``)."""
    return _reversed(dn)
