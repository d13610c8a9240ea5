"""Authentication rounds as strongSwan runs them: each end proves itself the way its ``local``
round says and requires of its peer what its ``remote`` round says, round by round (RFC 4739
multiple authentication; IKEv1 XAUTH as the second round).

A round passes when what the prover does is what the verifier requires: the same kind
(``psk``, ``pubkey`` — any signature scheme —, ``eap``, ``xauth``), ``any`` accepting every
kind (ipsec.conf ``rightauth=any``).  EAP: a client configured with plain ``eap`` follows the
method the server asks for; two different named methods fail (the client answers EAP-Nak);
``eap-radius`` leaves the method to the RADIUS server, which no configuration here shows.
Password-based methods (MD5, MSCHAPv2, GTC, TTLS and PEAP with their inner methods, XAUTH)
succeed only when the password the client holds equals the one the server holds for the
client's EAP/XAUTH identity (``secrets``/ipsec.secrets ``EAP``/``XAUTH`` entries).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ccsec.formats.facts import SharedKey
from ccsec.formats.strongswan.identity import id_matches
from ccsec.formats.strongswan.keys import best_key
from ccsec.policy import AuthRound, Identity, Rule
from ccsec.secrets import Secret

#: EAP methods whose success depends on a password both ends hold
PASSWORD_EAP = frozenset({"eap", "eap-md5", "eap-mschapv2", "eap-gtc", "eap-ttls", "eap-peap",
                          "eap-leap"})
_AS_ROUND = {"psk": "psk", "certificate": "pubkey", "kerberos": "kerberos"}


@dataclass
class RoundsResult:
    failure: str | None = None
    cause: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Party:
    """One end as the round check sees it."""

    name: str
    rule: Rule
    keys: tuple[SharedKey, ...] = ()


def kind(method: str) -> str:
    """psk, pubkey, eap, xauth, any, never or "" (no round)."""
    m = method.lower().removeprefix("ike:")
    if not m:
        return ""
    if m.startswith(("psk", "secret")):
        return "psk"
    if m.startswith("eap"):
        return "eap"
    if m.startswith("xauth"):
        return "xauth"
    if m in ("any", "never", "kerberos"):
        return m
    return "pubkey"


def rounds_of(rule: Rule) -> Sequence[AuthRound]:
    """The rule's rounds as configured, or one symmetric round from its method."""
    if rule.auth_rounds:
        return rule.auth_rounds
    method = _AS_ROUND.get(rule.auth[0].method, "pubkey")
    return (AuthRound(local=method, remote=method, local_id=rule.local_id,
                      remote_id=rule.peer_id),)


def applies(ini: Rule, res: Rule) -> bool:
    """Rounds are compared when a configuration states them (strongSwan's EAP, XAUTH, several
    rounds, different methods per direction) and neither end uses Kerberos."""
    if not (ini.auth_rounds or res.auth_rounds):
        return False
    return all(a.method != "kerberos" for r in (ini, res) for a in r.auth)


def first_method(ini: Rule, res: Rule) -> str:
    """The model's method for the first round: psk when either end proves itself by PSK."""
    first = [rounds_of(r)[0] for r in (ini, res)]
    return "psk" if any(kind(x.local) == "psk" for x in first) else "certificate"


def check_rounds(ini: Party, res: Party, version: int) -> RoundsResult:
    out = RoundsResult()
    if not applies(ini.rule, res.rule):
        return out
    ri, rr = rounds_of(ini.rule), rounds_of(res.rule)
    for n in range(max(len(ri), len(rr))):
        a = ri[n] if n < len(ri) else AuthRound()
        b = rr[n] if n < len(rr) else AuthRound()
        for prover, verifier, does, requires in ((ini, res, a, b), (res, ini, b, a)):
            why = _round(n + 1, prover, verifier, does, requires, prover is ini, out)
            if why:
                out.failure, out.cause = why
                return out
    return out


def _round(n: int, prover: Party, verifier: Party, does: AuthRound, requires: AuthRound,
           initiator: bool, out: RoundsResult) -> tuple[str, str] | None:
    d, r = kind(does.local), kind(requires.remote)
    if not r or r == "any":
        if d and not r and n > 1:
            out.notes.append(f"{prover.name} runs authentication round {n} ({does.local}) that "
                             f"{verifier.name} does not ask for")
        return None
    if not d:
        return (f"{verifier.name} requires authentication round {n} by {requires.remote} of "
                f"{prover.name}, which has no such round", "method")
    if d != r:
        return (f"round {n}: {verifier.name} requires {requires.remote} of {prover.name}, which "
                f"authenticates with {does.local}", "method")
    if d == "eap":
        if not initiator:
            # EAP runs from the initiator to the responder; a responder "doing EAP" is
            # EAP-only authentication (RFC 5998): it proves itself inside the method (the
            # TLS server certificate of EAP-TTLS/PEAP/TLS), which needs no password
            return None
        return _eap(n, prover, verifier, does, requires, out)
    if d == "xauth":
        return _password(n, "xauth", "XAUTH", prover, verifier, does, requires, out)
    return None


def _eap(n: int, prover: Party, verifier: Party, does: AuthRound, requires: AuthRound,
         out: RoundsResult) -> tuple[str, str] | None:
    mine, wanted = does.local.lower(), requires.remote.lower()
    if wanted in ("eap-radius", "eap-dynamic") or mine == "eap-radius":
        out.notes.append(f"round {n}: {verifier.name} leaves EAP to "
                         f"{'RADIUS' if 'radius' in wanted + mine else 'its EAP plugins'}: the "
                         "method and credentials are not in the configurations")
        return None
    if mine != "eap" and wanted != "eap" and mine != wanted:
        return (f"round {n}: {verifier.name} asks for {wanted}, {prover.name} does only {mine} "
                "(EAP-Nak)", "method")
    method = wanted if wanted != "eap" else mine
    if method not in PASSWORD_EAP:
        out.notes.append(f"round {n}: {method} credentials (certificates, SIM/AKA) are not "
                         "compared")
        return None
    return _password(n, "eap", method.upper(), prover, verifier, does, requires, out)


def _password(n: int, key_kind: str, what: str, prover: Party, verifier: Party,
              does: AuthRound, requires: AuthRound, out: RoundsResult) -> tuple[str, str] | None:
    ident: Identity | None = does.local_id
    if requires.remote_id is not None and ident is not None \
            and not id_matches(requires.remote_id, ident):
        return (f"round {n}: {verifier.name} expects the {what} identity "
                f"'{requires.remote_id.value}', {prover.name} sends '{ident.value}'", "identity")
    theirs = [k for k in verifier.keys if k.kind == key_kind]
    if ident is None:
        out.notes.append(f"round {n}: {prover.name}'s {what} identity is asked for at run time "
                         "(not configured): its password is not compared")
        return None
    if not theirs:
        out.notes.append(f"round {n}: {verifier.name}'s {what} passwords are not in its "
                         "configuration: not compared")
        return None
    key = best_key(theirs, key_kind, ident, None)
    if key is None or (key.owners and not any(id_matches(o, ident) for o in key.owners)):
        return (f"round {n}: {verifier.name} holds no {what} password for {ident.value}",
                "psk")
    mine: Secret | None = does.secret
    if mine is None:
        out.notes.append(f"round {n}: {prover.name}'s {what} password is not in its "
                         "configuration: not compared")
        return None
    if mine != key.secret:
        return (f"round {n}: the {what} passwords of {prover.name} and {verifier.name} "
                f"for {ident.value} differ", "psk")
    return None
