"""What the IOS parser reads back differently from the policy a gateway was rendered from.

The loss table (:data:`LOSSES`) is run by :meth:`ccsec.formats.base.Format.project`; the
round-trip tests check that ``parse(render(p)) == project(p)`` and that ``project`` changes these
fields and no others.  Most losses come from IOS keeping settings device-wide
(:class:`~ccsec.formats.ios.device.Device`): every rule reads back what the whole router does.
"""

from __future__ import annotations

from ccsec.formats.base import Loss, Projecting
from ccsec.formats.ios.device import Device
from ccsec.policy import Auth, Identity, Ike, Rule


def _device(at: Projecting) -> Device:
    assert isinstance(at.device, Device)
    return at.device


def _rule(at: Projecting) -> Rule:
    assert at.rule is not None
    return at.rule


def merged_ike(at: Projecting) -> Ike:
    """An IKEv1 rule gets the ordered union of the proposals of every IKEv1 rule with the same
    authentication method (``crypto isakmp policy`` carries the method, PRFs equal to the hash's
    dropped) and the shortest IKEv1 lifetime; an IKEv2 rule the union over the IKEv2 rules with
    the same local address (one ``crypto ikev2 policy`` per address)."""
    rule, dev = _rule(at), _device(at)
    ike = rule.ike
    if ike.version == 1 and rule.auth:
        return ike.model_copy(update={
            "proposals": dev.v1_union.get(rule.auth[0].method, ike.proposals),
            "lifetime_s": dev.v1_lifetime or ike.lifetime_s})
    if ike.version == 2:
        return ike.model_copy(update={
            "proposals": dev.v2_union.get(str(rule.local_address), ike.proposals)})
    return ike


def auth_as_read(at: Projecting) -> tuple[Auth, ...]:
    """A PSK comes back resolved and without a CA; a certificate rule without a key (each is
    meaningless for the other method and IOS has nowhere to write it)."""
    out = []
    for a in _rule(at).auth:
        if a.method == "psk":
            out.append(a.model_copy(update={"psk": at.ctx.resolve(a.psk), "ca": None}))
        else:
            out.append(a.model_copy(update={"psk": None}))
    return tuple(out)


def local_id_as_read(at: Projecting) -> Identity | None:
    """An IKEv1 rule without a local identity sends its address (``crypto isakmp identity
    address``, written out)."""
    rule = _rule(at)
    if rule.local_id is None and rule.ike.version == 1:
        return Identity(kind="address", value=str(rule.local_address))
    return rule.local_id


def peer_id_as_read(at: Projecting) -> Identity:
    """A rule without a peer identity matches the peer's address (IOS needs a ``match
    identity`` statement to select the profile)."""
    rule = _rule(at)
    return rule.peer_id or Identity(kind="address", value=str(rule.peer_address))


def lan_interface_as_read(at: Projecting) -> str | None:
    """The LAN interface appears in a VTI's ``ip unnumbered`` and in ``ip nat inside``; a
    crypto-map gateway without source NAT names it nowhere."""
    end = at.end
    return end.lan_interface if end.tunnel_style == "vti" or end.source_nat else None


LOSSES: tuple[Loss, ...] = (
    Loss("rule.auth", "keys come back resolved; a PSK rule's CA and a certificate rule's key "
         "have no IOS form", auth_as_read),
    Loss("rule.ike", "IKE proposals are device-global on IOS (isakmp policies per "
         "authentication method with one lifetime, ikev2 policies per local address)",
         merged_ike),
    Loss("rule.local_id", "an IKEv1 rule without a local identity sends its address",
         local_id_as_read),
    Loss("rule.peer_id", "a rule without a peer identity matches the peer's address",
         peer_id_as_read),
    Loss("rule.initiate", "a crypto map negotiates when traffic matches; a VTI starts its SA "
         "as soon as the interface is up", lambda at: at.end.tunnel_style == "vti"),
    Loss("rule.connection_type", "IOS has no connection type", "all"),
    Loss("rule.nat_keepalive_s", "the NAT keepalive is device-global per IKE version (the "
         "shortest of its rules)",
         lambda at: _device(at).keepalive.get(_rule(at).ike.version)),
    Loss("rule.nat_traversal", "NAT-T is device-global: off for one rule is off for all",
         lambda at: not _device(at).nat_t_off),
    Loss("end.default_response_rule", "IOS has no default response rule", False),
    Loss("end.lan_interface", "a crypto-map gateway without source NAT names its LAN "
         "interface nowhere", lan_interface_as_read),
)
