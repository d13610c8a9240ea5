"""What an IOS gateway's tunnel rules become device-wide.

IOS keeps several things outside any one tunnel: ``crypto isakmp policy`` (per authentication
method, with one lifetime), ``crypto ikev2 policy`` (per local address), NAT keepalives, NAT-T,
transform sets and trust points.  The renderer writes them once from :class:`Device`, and the
loss table (:mod:`ccsec.formats.ios.losses`) reads from the same record what each rule gets back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ccsec.crypto import PRF_OF_INTEG, EspProposal, IkeProposal
from ccsec.formats.ios.tree import obj
from ccsec.policy import EndPolicy, Rule


def v1_proposal(p: IkeProposal) -> IkeProposal:
    """An IKEv1 proposal as ``crypto isakmp policy`` holds it: the PRF is the hash's own."""
    if p.prf is not None and p.integrity is not None and PRF_OF_INTEG.get(p.integrity) == p.prf:
        return p.model_copy(update={"prf": None})
    return p


def _union(groups: list[tuple[IkeProposal, ...]]) -> tuple[IkeProposal, ...]:
    out: dict[IkeProposal, None] = {}
    for props in groups:
        out.update(dict.fromkeys(props))
    return tuple(out)


def local_dn(rule: Rule) -> str | None:
    """The DN a certificate rule sends as its own identity (its trust point's subject)."""
    return rule.local_id.value if rule.local_id and rule.local_id.kind == "dn" else None


def local_subject(rule: Rule) -> str | None:
    """The subject the router enrolls its certificate with for a rule: its DN identity, or
    ``CN=<FQDN>`` for an FQDN identity (the subject its peers' certificate maps require)."""
    ident = rule.local_id
    if ident is None or ident.kind not in ("dn", "fqdn"):
        return None
    return ident.value if ident.kind == "dn" else f"CN={ident.value}"


@dataclass
class Device:
    """What a gateway's rules become device-wide (IOS keeps these outside any one tunnel)."""

    v1_policies: list[tuple[str, IkeProposal]] = field(default_factory=list)
    v1_union: dict[str, tuple[IkeProposal, ...]] = field(default_factory=dict)
    v1_lifetime: int | None = None
    v2_union: dict[str, tuple[IkeProposal, ...]] = field(default_factory=dict)
    keepalive: dict[int, int | None] = field(default_factory=dict)
    nat_t_off: bool = False
    transform_sets: dict[EspProposal, str] = field(default_factory=dict)
    trustpoints: dict[tuple[str | None, str | None], str] = field(default_factory=dict)
    #: an IKEv1 rule sends its certificate's DN: ``crypto isakmp identity dn`` (device-wide;
    #: every other isakmp profile says its own ``self-identity``)
    v1_dn_identity: bool = False

    @classmethod
    def of(cls, end: EndPolicy) -> Device:
        d = cls()
        v1 = [r for r in end.rules if r.ike.version == 1]
        for r in v1:
            method = r.auth[0].method
            props = tuple(v1_proposal(p) for p in r.ike.proposals)
            d.v1_union[method] = _union([d.v1_union.get(method, ()), props])
            for p in props:
                if (method, p) not in d.v1_policies:
                    d.v1_policies.append((method, p))
        d.v1_lifetime = min((r.ike.lifetime_s for r in v1), default=None)
        for r in end.rules:
            if r.ike.version == 2:
                key = str(r.local_address)
                d.v2_union[key] = _union([d.v2_union.get(key, ()), r.ike.proposals])
        for version in (1, 2):
            values = [r.nat_keepalive_s for r in end.rules
                      if r.ike.version == version and r.nat_keepalive_s is not None]
            d.keepalive[version] = min(values, default=None)
        d.nat_t_off = any(not r.nat_traversal for r in end.rules)
        for r in end.rules:
            for esp in r.esp:
                d.transform_sets.setdefault(
                    esp, obj(esp.label().replace(":", "-").replace("+", "-")))
            if r.auth[0].method == "certificate":
                ca_dn = (r.auth[0].ca, local_subject(r))
                d.trustpoints.setdefault(ca_dn, f"ccsec-tp{len(d.trustpoints) + 1}")
        d.v1_dn_identity = any(local_dn(r) is not None for r in v1)
        return d
