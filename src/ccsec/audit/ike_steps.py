"""Phase 1 of a static negotiation, one check per step, in the order IKE reaches them: the IKE
version, main vs aggressive mode, the IKE proposal, authentication (methods, Kerberos, keys,
root CAs, identities).  Each check raises ``Stop`` with the status and reason of the first
step that fails (see :mod:`ccsec.audit.negotiate`)."""

from __future__ import annotations

from functools import lru_cache

from ccsec.audit import shortcuts
from ccsec.audit.exchange import (
    Peer,
    Status,
    Stop,
    address_of,
    is_strongswan,
)
from ccsec.crypto import IkeProposal, is_aead
from ccsec.formats.dn import compared_rdns
from ccsec.formats.strongswan.identity import id_matches
from ccsec.formats.strongswan.keys import best_key
from ccsec.policy import (
    Auth,
    AuthMethod,
    Identity,
)


def _versions(p: Peer) -> frozenset[int]:
    return p.side.versions or frozenset({p.rule.ike.version})


def _accepts_aggressive(p: Peer) -> bool:
    if p.side.accepts_aggressive is not None:
        return p.side.accepts_aggressive
    if p.platform == "ios":
        return True  # IOS answers aggressive mode unless `crypto isakmp aggressive-mode disable`
    if p.platform in ("windows", "cucm"):
        return False
    psk = any(a.method == "psk" for a in p.rule.auth)
    return p.rule.ike.exchange == "aggressive" and not psk


def check_version(ini: Peer, res: Peer) -> int:
    v = ini.rule.ike.version
    if v not in _versions(res):
        accepted = " and ".join(f"IKEv{x}" for x in sorted(_versions(res)))
        raise Stop(
            Status.IKE_PHASE1_FAILED,
            f"{ini.name} initiates IKEv{v}, {res.name} accepts only {accepted}",
            "version",
        )
    return v


def check_exchange(ini: Peer, res: Peer) -> None:
    """IKEv1 main vs aggressive mode.

    Most responders refuse the other exchange type outright (phase 1).  strongSwan's charon
    negotiates the proposal first and refuses when it looks for a peer config to authenticate
    against, so the initiator gets AUTHENTICATION_FAILED: "Aggressive Mode PSK disabled for
    security reasons" (unless ``charon.i_dont_care_about_security_and_use_aggressive_mode_psk``,
    modelled by :attr:`Side.accepts_aggressive`), or "found 1 matching config, but none allows
    pre-shared key authentication using Main Mode" for a main-mode initiator against an
    aggressive connection (lab-observed, strongSwan 5.9.8: tests/lab/test_lab_differential.py).
    """
    mode = ini.rule.ike.exchange
    if mode == "aggressive":
        refused = not _accepts_aggressive(res)
        why = f"{ini.name} uses IKEv1 aggressive mode, {res.name} answers main mode only"
    else:
        refused = res.rule.ike.exchange == "aggressive" and res.platform != "ios"
        why = f"{ini.name} uses IKEv1 main mode, {res.name} is set to aggressive mode"
    if not refused:
        return
    if is_strongswan(res):
        raise Stop(
            Status.AUTH_MISMATCH,
            f"{why}: strongSwan agrees on the proposal, then finds no connection that allows "
            f"this authentication in {mode} mode and answers AUTHENTICATION_FAILED",
            "exchange",
        )
    raise Stop(Status.IKE_PHASE1_FAILED, why, "exchange")


def _ike_key(p: IkeProposal, version: int) -> tuple[object, ...]:
    if version == 1:
        return (p.encryption, p.integrity, p.group)
    return (p.encryption, p.integrity, p.effective_prf, p.group, p.additional_ke)


#: id(proposals) → (proposals, usable proposals, their keys in order, the keys as a set):
#: strongSwan's default list expands to thousands of single-algorithm proposals that many rules
#: share, and a 1,000-site audit negotiates every rule's list in each direction, so the keys
#: are computed once per list (the list is kept, so its id is not reused while cached)
_KEYS: dict[tuple[int, int], tuple[tuple[IkeProposal, ...], list[IkeProposal],
                                   list[tuple[object, ...]], frozenset[tuple[object, ...]]]] = {}
#: entries kept before the table starts again (above the rules of a 1,000-site tree)
_KEYS_MAX = 1 << 16


def _ike_table(props: tuple[IkeProposal, ...], version: int
               ) -> tuple[list[IkeProposal], list[tuple[object, ...]],
                          frozenset[tuple[object, ...]]]:
    hit = _KEYS.get((id(props), version)) if shortcuts.FAST else None
    if hit is None or hit[0] is not props:
        usable = [x for x in props if version == 2 or not is_aead(x.encryption)]
        keys = [_ike_key(x, version) for x in usable]
        if len(_KEYS) > _KEYS_MAX:
            _KEYS.clear()
        hit = (props, usable, keys, frozenset(keys))
        _KEYS[(id(props), version)] = hit
    return hit[1], hit[2], hit[3]


def check_ike(ini: Peer, res: Peer, version: int) -> IkeProposal:
    _, _, offered = _ike_table(ini.rule.ike.proposals, version)
    usable, mine_keys, _ = _ike_table(res.rule.ike.proposals, version)
    for mine, key in zip(usable, mine_keys, strict=True):
        if key in offered:
            return mine
    a = _labels(ini.rule.ike.proposals)
    b = _labels(res.rule.ike.proposals)
    how = (
        "IKEv1 needs one whole transform (cipher, hash, group) in common"
        if version == 1
        else "IKEv2 needs one proposal with a common algorithm of each type"
    )
    raise Stop(
        Status.IKE_PHASE1_FAILED,
        f"no common IKE proposal ({how}): {ini.name} offers {a}; {res.name} accepts {b}",
        "proposal",
    )


def _labels(props: tuple[IkeProposal, ...], most: int = 8) -> str:
    shown = ", ".join(x.label() for x in props[:most])
    return shown + (f" … ({len(props)} in all)" if len(props) > most else "")


def _methods(p: Peer) -> list[str]:
    return [a.method for a in p.rule.auth]


def _auth_of(p: Peer, method: AuthMethod) -> Auth:
    """The rule's auth entry of ``method`` (a strongSwan end that proves itself one way and
    requires another has only its own method here: an empty entry stands for the other)."""
    for a in p.rule.auth:
        if a.method == method:
            return a
    return Auth(method=method)


def check_auth(ini: Peer, res: Peer, version: int) -> str:
    common = [m for m in _methods(ini) if m in _methods(res)]
    if not common:
        wire = (
            " (IKEv1 negotiates the method inside the proposal: NO_PROPOSAL_CHOSEN on the wire)"
            if version == 1
            else ""
        )
        raise Stop(
            Status.AUTH_MISMATCH,
            f"no common authentication method: {ini.name} uses "
            f"{'/'.join(_methods(ini))}, {res.name} uses {'/'.join(_methods(res))}{wire}",
            "method",
        )
    method = common[0]
    if method == "kerberos":
        for p in (ini, res):
            if p.platform not in ("windows", ""):
                raise Stop(
                    Status.AUTH_MISMATCH,
                    f"Kerberos is a Windows method; {p.name} runs {p.platform}",
                    "kerberos",
                )
        if ini.side.domain and res.side.domain and ini.side.domain != res.side.domain:
            raise Stop(
                Status.AUTH_MISMATCH,
                f"Kerberos across AD domains: {ini.name} is in {ini.side.domain}, "
                f"{res.name} in {res.side.domain} (use certificates)",
                "kerberos",
            )
    return method


def _session_psk(p: Peer, other: Peer) -> object:
    """The key an end uses towards ``other``: the one its rule names when the rule says who
    the peer is (the reader chose it for that peer); for a rule open to any peer, chosen among
    the end's keys by both identities, as charon does (a gateway holds one key per client)."""
    own = _auth_of(p, "psk").psk
    open_peer = p.rule.peer_id is None and p.rule.peer_address.is_unspecified
    if not p.side.keys or (own is not None and not open_peer):
        return own
    me = _effective_local_id(p, "psk")
    them = _effective_local_id(other, "psk")
    key = best_key(p.side.keys, "psk", me, them)
    return key.secret if key else None


def check_psk(ini: Peer, res: Peer) -> str | None:
    a, b = _session_psk(ini, res), _session_psk(res, ini)
    if a is None or b is None:
        who = ini.name if a is None else res.name
        return f"{who}'s pre-shared key is stored in a form ccsec cannot read; equality unverified"
    if a != b:
        raise Stop(
            Status.IKE_PHASE1_KEY_MISMATCH,
            f"the pre-shared keys of {ini.name} and {res.name} differ",
            "psk",
        )
    return None


@lru_cache(maxsize=4096)  # pure, and every certificate session compares the same few CAs
def normalize_dn(dn: str) -> tuple[tuple[str, str], ...]:
    """A DN as a sorted set of (TYPE, value) — Windows and strongSwan print RDNs in different
    orders and spacing; values compare case-insensitively."""
    parts: list[tuple[str, str]] = []
    for rdn in compared_rdns(dn):
        key, _, value = rdn.partition("=")
        parts.append((key.strip().upper(), value.strip().casefold()))
    return tuple(sorted(parts))


@lru_cache(maxsize=4096)
def ordered_dn(dn: str) -> tuple[tuple[str, str], ...]:
    """A DN as strongSwan compares it: RDN by RDN in order, values case-insensitive."""
    parts = (rdn.partition("=") for rdn in compared_rdns(dn))
    return tuple((k.strip().upper(), v.strip().casefold()) for k, _, v in parts)


def check_ca(ini: Peer, res: Peer) -> str | None:
    a, b = _auth_of(ini, "certificate").ca, _auth_of(res, "certificate").ca
    if a and b and normalize_dn(a) != normalize_dn(b):
        raise Stop(
            Status.AUTH_MISMATCH,
            f"{ini.name} trusts root CA '{a}', {res.name} trusts '{b}': each end's "
            "certificate must chain to the CA the other end trusts",
            "ca",
        )
    if a and b and is_strongswan(ini) and is_strongswan(res) and ordered_dn(a) != ordered_dn(b):
        # Windows and strongSwan print one DN in opposite RDN orders, so across platforms the
        # order is ignored; but charon matches ``ca_id`` against the CA certificate's subject
        # RDN by RDN, so of two strongSwan ends naming one CA in two orders, one names it
        # wrongly and refuses its peer ("constraint check failed: peer not authenticated by
        # CA"; lab-observed, strongSwan 5.9.8; letter case is ignored)
        raise Stop(
            Status.AUTH_MISMATCH,
            f"{ini.name} names its root CA '{a}', {res.name} '{b}': the same RDNs in another "
            "order, and strongSwan matches ca_id RDN by RDN in order, so one of them does "
            "not match the CA certificate",
            "ca",
        )
    if not a or not b:
        return "one end names no root CA: certificate trust unverified"
    return None


def _id_key(ident: Identity) -> tuple[str, object]:
    if ident.kind == "dn":
        return ("dn", normalize_dn(ident.value))
    return (ident.kind, ident.value.casefold().rstrip("."))


def _effective_local_id(p: Peer, method: str) -> Identity | None:
    if p.rule.local_id is not None:
        return p.rule.local_id
    if method == "psk":  # strongSwan, IOS and Windows default to the IP address for PSK
        return Identity(kind="address", value=str(address_of(p)))
    return None


def check_ids(ini: Peer, res: Peer, method: str) -> None:
    if method == "kerberos":
        return
    for expecter, sender in ((res, ini), (ini, res)):
        expected = expecter.rule.peer_id
        sent = _effective_local_id(sender, method)
        if expected is None or sent is None:
            continue
        if expected.kind == "address" and sent.kind == "address" and \
                sender.rule.local_id is None and address_of(sender).is_unspecified:
            continue  # the sender's address is not known here
        if not id_matches(expected, sent) and _id_key(expected) != _id_key(sent):
            raise Stop(
                Status.AUTH_MISMATCH,
                f"{expecter.name} expects peer identity {expected.kind} "
                f"'{expected.value}', {sender.name} sends {sent.kind} '{sent.value}'",
                "identity",
            )
