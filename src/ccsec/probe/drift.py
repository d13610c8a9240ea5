"""Planned vs accepted: what ccsec planned for one end, against what its gateway accepts.

Both sides are compared as IKE proposals in the vocabulary: IKEv2 as (encryption, integrity,
PRF, group) with the PRF made explicit (a planned proposal without one negotiates the PRF of its
integrity algorithm), IKEv1 as (encryption, hash, group).  The plan is the union of the IKE
proposals of every negotiating rule of the end: a probe asks from one address, so what it sees
is what the gateway accepts from an arbitrary peer — an accepted proposal outside the plan is
attack surface whichever connection answers, and a planned one that is refused breaks every
peer that relies on it.
"""

from __future__ import annotations

from ccsec.crypto import IkeProposal
from ccsec.policy import EndPolicy
from ccsec.probe.result import Drift, ProbeResult

Key = tuple[str, str | None, str | None, int]


def key(p: IkeProposal, version: int) -> Key:
    """The comparable form of a proposal for one IKE version."""
    if version == 1:
        return p.encryption.value, p.integrity.value if p.integrity else None, None, p.group
    prf = p.effective_prf
    return (p.encryption.value, p.integrity.value if p.integrity else None,
            prf.value if prf else None, p.group)


def _explicit(p: IkeProposal, version: int) -> IkeProposal:
    """``p`` as a probe reports it (IKEv2: PRF spelled out; IKEv1: none)."""
    if version == 1:
        return p.model_copy(update={"prf": None})
    return p.model_copy(update={"prf": p.effective_prf})


def planned(end: EndPolicy) -> dict[int, list[IkeProposal]]:
    """IKE version → the end's planned IKE proposals (negotiating rules only, deduplicated)."""
    out: dict[int, dict[Key, IkeProposal]] = {}
    for r in end.rules:
        if r.action != "negotiate":
            continue
        v = r.ike.version
        for p in r.ike.proposals:
            out.setdefault(v, {}).setdefault(key(p, v), _explicit(p, v))
    return {v: list(ps.values()) for v, ps in out.items()}


def _in_space(k: Key, space: dict[str, object]) -> bool:
    enc, integ, prf, group = k

    def has(name: str, value: object) -> bool:
        values = space.get(name)
        return isinstance(values, list) and value in values

    return (has("encryption", enc) and has("groups", group)
            and (integ is None or has("integrity", integ)) and (prf is None or has("prf", prf)))


def compare(result: ProbeResult, deployment: str, end: EndPolicy) -> Drift:
    """Accepted − planned (extra) and planned − accepted (missing), per probed version."""
    plan = planned(end)
    drift = Drift(deployment=deployment, end=end.owner or end.name,
                  planned={f"ikev{v}": [p.label() for p in ps] for v, ps in plan.items()})
    for seen in result.versions():
        v = seen.version
        want = {key(p, v): p for p in plan.get(v, [])}
        got = {key(p, v): p for p in seen.accepted}
        extra = [p.label() for k, p in got.items() if k not in want]
        # a refusal is proven only when the whole space was decided and the proposal is in it
        missing = [p.label() for k, p in want.items()
                   if k not in got and seen.complete and _in_space(k, seen.space)]
        if extra:
            drift.extra[f"ikev{v}"] = extra
        if missing:
            drift.missing[f"ikev{v}"] = missing
    return drift
