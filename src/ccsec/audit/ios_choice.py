"""Which of several IOS configurations answers one peer, and why.

An IOS router may hold several places that could answer the same peer on the same address: a
static crypto map entry whose ``set peer`` names it, a tunnel interface (``tunnel protection``)
whose ``tunnel destination`` is that peer, and a dynamic crypto map that answers anyone.  IOS
walks them in a fixed order: the static entries of the crypto map in sequence order, matching
the peer and the proxy identities the peer proposes against the entry's crypto ACL; a tunnel
interface takes the SA when the peer proposes the tunnel's selectors (``any`` ↔ ``any`` for a
VTI) from its tunnel destination; a dynamic map entry — "the lowest-priority entries in the
crypto map set" (Cisco IPsec configuration guide, dynamic crypto maps) — only when no static
entry fits.  The pairing reports a session for each candidate; this module orders them and says
which one IOS uses.
"""

from __future__ import annotations

from ccsec.formats.facts import IosFacts
from ccsec.policy import Filter, Network, Rule, subnet


def _kind(facts: IosFacts, name: str) -> tuple[int, int, str]:
    """(rank, sequence, description) of the place a rule came from."""
    for map_name, cmap in facts.crypto_maps.items():
        for e in cmap.entries:
            if e.rule == name:
                return 0, e.seq, f"crypto map {map_name} {e.seq}"
    for dyn in facts.dynamic_maps:
        if name in dyn.rules:
            return 2, dyn.seq, f"dynamic map {dyn.dynamic_map} (crypto map {dyn.map} {dyn.seq})"
    for intf_name, intf in facts.interfaces.items():
        if intf.tunnel_protection and name in (intf_name, intf.tunnel_protection,
                                               intf.tunnel_protection.removeprefix("ccsec-")):
            return 1, 0, f"interface {intf_name}"
    return 3, 0, f"rule {name}"


def _covers(outer: Filter, local: Network, remote: Network) -> bool:
    """The responder's filter (its view) takes the initiator's proposal local ↔ remote."""
    return subnet(local, outer.remote) and subnet(remote, outer.local)


def fits(initiator: Rule, candidate: Rule) -> bool:
    """Every selector pair the initiator proposes is permitted by the candidate."""
    return all(any(_covers(c, f.local, f.remote) or c.dynamic or f.dynamic
                   for c in candidate.filters) for f in initiator.filters)


def ios_order(facts: IosFacts, initiator: Rule, rules: list[Rule]) -> list[tuple[Rule, str]]:
    """The candidates in the order IOS tries them, each with the sentence the session gets:
    which one IOS uses and why, and why it passes over the others."""
    ranked = sorted(rules, key=lambda r: _kind(facts, r.name)[:2])
    chosen = next((r for r in ranked if fits(initiator, r)), None)
    out: list[tuple[Rule, str]] = []
    for r in ranked:
        what = _kind(facts, r.name)[2]
        if r is chosen:
            why = f"IOS answers this peer with {what}: " + (
                "a static crypto map entry naming the peer whose ACL permits the proposed "
                "traffic comes first" if _kind(facts, r.name)[0] == 0 else
                "the tunnel's destination is this peer and its selectors fit the proposal"
                if _kind(facts, r.name)[0] == 1 else
                "no static entry or tunnel fits, so the dynamic map answers")
        elif chosen is None:
            why = (f"IOS would try {what}, but the proposed traffic fits none of the candidates "
                   "(the session with the first fails on selectors)")
        else:
            why = (f"IOS does not use {what} for this peer: {_kind(facts, chosen.name)[2]} "
                   "answers first")
        out.append((r, why))
    if chosen is not None:
        out.sort(key=lambda item: item[0] is not chosen)
    return out
