"""Small builders for audit tests: rules, their mirror image, ends, imported ends."""

from __future__ import annotations

from ipaddress import IPv4Network, ip_address
from typing import Any

from ccsec.audit.model import ImportedEnd
from ccsec.crypto import Encr, EspProposal, IkeProposal, Integ, Prf
from ccsec.formats.facts import DeviceFacts
from ccsec.policy import Auth, EndPolicy, Filter, Identity, Ike, Rule
from ccsec.secrets import literal

CA = "CN=Test Root CA, O=Test"


def ike(enc: str = "aes256", integ: str | None = "sha256", group: int = 19,
        prf: str | None = None) -> IkeProposal:
    return IkeProposal(encryption=Encr(enc), integrity=Integ(integ) if integ else None,
                       prf=Prf(prf) if prf else None, group=group)


def esp(enc: str | None = "aes256gcm16", integ: str | None = None,
        ah: str | None = None) -> EspProposal:
    return EspProposal(encryption=Encr(enc) if enc else None,
                       integrity=Integ(integ) if integ else None, ah=Integ(ah) if ah else None)


def auth(method: str = "certificate", *, ca: str | None = CA, psk: str | None = None) -> Auth:
    if method == "psk":
        return Auth(method="psk", psk=literal(psk or "a-long-test-key-0123456789"))
    if method == "certificate":
        return Auth(method="certificate", ca=ca)
    return Auth(method="kerberos")


def flt(local: str, remote: str, **kw: Any) -> Filter:
    return Filter(local=IPv4Network(local), remote=IPv4Network(remote), **kw)


def rule(name: str = "r1", local: str = "10.0.0.1", peer: str = "10.0.0.2", *,
         mode: str = "transport", filters: tuple[Filter, ...] | None = None,
         auths: tuple[Auth, ...] | None = None, version: int = 2, exchange: str = "main",
         ikes: tuple[IkeProposal, ...] | None = None, esps: tuple[EspProposal, ...] | None = None,
         pfs: int | None = 19, **kw: Any) -> Rule:
    return Rule(
        name=name,
        mode=mode,  # type: ignore[arg-type]
        local_address=ip_address(local),  # type: ignore[arg-type]
        peer_address=ip_address(peer),  # type: ignore[arg-type]
        filters=filters or (flt(f"{local}/32", f"{peer}/32"),),
        auth=auths or (auth(),),
        ike=Ike(version=version, exchange=exchange,  # type: ignore[arg-type]
                proposals=ikes or (ike(),)),
        esp=esps or (esp(),),
        pfs_group=pfs,
        **kw,
    )


def mirror(r: Rule, **changes: Any) -> Rule:
    """The other end's rule: addresses, filters and identities swapped."""
    base = r.model_copy(update={
        "local_address": r.peer_address,
        "peer_address": r.local_address,
        "local_id": r.peer_id,
        "peer_id": r.local_id,
        "filters": tuple(Filter(local=f.remote, remote=f.local, protocol=f.protocol,
                                local_port=f.remote_port, remote_port=f.local_port)
                         for f in r.filters),
    })
    ike_changes = {k[4:]: changes.pop(k) for k in list(changes) if k.startswith("ike_")}
    if ike_changes:
        changes["ike"] = base.ike.model_copy(update=ike_changes)
    return base.model_copy(update=changes)


def end(r: Rule | tuple[Rule, ...], owner: str = "a", platform: str | None = "strongswan",
        **kw: Any) -> EndPolicy:
    rules = r if isinstance(r, tuple) else (r,)
    return EndPolicy(name=f"p-{owner}", owner=owner, platform=platform, rules=rules, **kw)


def imported(r: Rule | tuple[Rule, ...] | EndPolicy, owner: str = "a",
             platform: str | None = "strongswan", fmt: str = "strongswan", source: str = "",
             facts: DeviceFacts | None = None, **kw: Any) -> ImportedEnd:
    policy = r if isinstance(r, EndPolicy) else end(r, owner, platform, **kw)
    return ImportedEnd(policy=policy, source=source or f"{owner}.conf", format=fmt,
                       facts=facts or DeviceFacts(), host=policy.owner)


def ident(kind: str, value: str) -> Identity:
    return Identity(kind=kind, value=value)  # type: ignore[arg-type]
