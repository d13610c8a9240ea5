"""Explicit, reported changes that let strongSwan play an end it cannot be.

The lab never writes its own swanctl.conf: every charon gets ``strongswan.FORMAT.render`` of its
end's policy as its platform runs it (:mod:`ccsec.lab.platforms`: the end's own rendered file,
read back).  Where that policy asks for something this lab cannot run, the *policy* is changed
here, before rendering, and every change is returned as a :class:`Substitution` so that the
command output and the JSON report state it.  Nothing else is changed: proposals, DH and PFS
groups, lifetimes, identities and traffic selectors are the platform file's.

- Kerberos (Windows in one AD domain) → a certificate from the lab CA.  The lab CA carries the
  deployment's own root CA name, so the rendered ``ca_id`` is the planned one.
- Transport mode → a host-to-host tunnel between the same two /32s, when the kernel has no ESP
  (kernel-libipsec does tunnel mode only; lab recipe §4).  With kernel ESP, true transport mode.
- Windows, IOS and Communications Manager ends are played by strongSwan (informational: the
  policy is unchanged); so are an IOS VTI (as a policy-based tunnel with the same selectors)
  and a gateway's own PAT (not run: only protected, NAT-exempt traffic crosses the lab).
- A rule whose other end is not in the lab (``--hosts``) is left out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict

from ccsec.errors import Problem, UnsupportedError
from ccsec.formats.strongswan.swanctl import FORMAT
from ccsec.policy import Auth, EndPolicy, PolicySet, Rule

Datapath = Literal["libipsec", "kernel"]
STRONGSWAN_PLATFORMS = frozenset({"linux", "strongswan"})
LAB_CA_FALLBACK = "CN=ccsec lab root CA, O=ccsec lab"


class Substitution(BaseModel):
    """One change the lab made to a planned policy before rendering it."""

    model_config = ConfigDict(frozen=True)

    end: str
    rule: str | None
    change: str
    reason: str

    def text(self) -> str:
        where = self.end + (f" / {self.rule}" if self.rule else "")
        return f"{where}: {self.change} ({self.reason})"


KERBEROS = ("Kerberos -> certificate from the lab CA '{ca}'",
            "strongSwan has no Kerberos (AuthIP); identities and proposals unchanged")
TRANSPORT = ("transport mode -> host-to-host tunnel mode between the same /32 selectors",
             "this kernel has no ESP; kernel-libipsec does tunnel mode only (strongSwan "
             "documentation: kernel-libipsec plugin)")
PLAYED = ("{platform} end played by strongSwan",
          "same proposals, DH/PFS groups, lifetimes, identities and selectors as its own "
          "file reads back")
OMITTED = ("rule left out: peer {peer} is not in the lab", "--hosts did not select it")
VTI = ("IOS route-based VTI played as a policy-based strongSwan tunnel",
       "same proposals and selectors; strongSwan's swanctl.conf here has no VTI interface")
PAT = ("gateway source NAT (PAT) not run",
       "the lab carries only protected traffic, which the planned NAT exemption keeps "
       "untranslated; the site's NAT device is the lab's NAT namespace")


def lab_ca_name(root_ca: str | None) -> str:
    """The lab CA's subject: the deployment's root CA name, so ``ca_id`` matches."""
    return root_ca or LAB_CA_FALLBACK


def transform_end(
    end: EndPolicy,
    datapath: Datapath,
    ca_dn: str,
    keep: Callable[[Rule], str | None] = lambda r: None,
) -> tuple[EndPolicy, list[Substitution]]:
    """``end`` as the lab runs it, and the list of changes made.

    ``keep(rule)`` returns the name of a peer that is missing from the lab (the rule is then
    left out) or None.
    """
    owner = end.owner or end.name
    subs: list[Substitution] = []
    if end.platform not in STRONGSWAN_PLATFORMS:
        subs.append(Substitution(end=owner, rule=None,
                                 change=PLAYED[0].format(platform=end.platform or "unknown"),
                                 reason=PLAYED[1]))
    if end.tunnel_style == "vti":
        subs.append(Substitution(end=owner, rule=None, change=VTI[0], reason=VTI[1]))
    if end.source_nat:
        subs.append(Substitution(end=owner, rule=None, change=PAT[0], reason=PAT[1]))
    rules: list[Rule] = []
    for rule in end.rules:
        missing = keep(rule)
        if missing is not None:
            subs.append(Substitution(end=owner, rule=rule.name,
                                     change=OMITTED[0].format(peer=missing), reason=OMITTED[1]))
            continue
        rule, changes = _transform_rule(rule, datapath, ca_dn)
        subs += [Substitution(end=owner, rule=rule.name, change=c, reason=r) for c, r in changes]
        rules.append(rule)
    lab_end = end.model_copy(update={"rules": tuple(rules)})
    _refuse(lab_end, datapath)
    return lab_end, subs


def _transform_rule(rule: Rule, datapath: Datapath,
                    ca_dn: str) -> tuple[Rule, list[tuple[str, str]]]:
    changes: list[tuple[str, str]] = []
    update: dict[str, object] = {}
    if any(a.method == "kerberos" for a in rule.auth):
        auth = tuple(Auth(method="certificate", ca=ca_dn) if a.method == "kerberos" else a
                     for a in rule.auth)
        update["auth"] = tuple(dict.fromkeys(auth))
        changes.append((KERBEROS[0].format(ca=ca_dn), KERBEROS[1]))
    if rule.mode == "transport" and rule.action == "negotiate" and datapath == "libipsec":
        update["mode"] = "tunnel"
        changes.append(TRANSPORT)
    return (rule.model_copy(update=update) if update else rule), changes


def _refuse(end: EndPolicy, datapath: Datapath) -> None:
    """What neither the renderer nor this data path can run: a clear error, never a guess."""
    reasons = FORMAT.unsupported(end)
    if datapath == "libipsec":
        reasons += [f"rule {r.name}: kernel-libipsec has no AH (the lab runs ESP only)"
                    for r in end.rules if any(p.ah for p in r.esp)]
    if reasons:
        owner = end.owner or end.name
        fix = "plan with a profile the lab can run"
        raise UnsupportedError([Problem(r, field=f"lab end {owner}", fix=fix) for r in reasons])


def lab_ends(
    ps: PolicySet, owners: Iterable[str], datapath: Datapath, ca_dn: str
) -> tuple[list[EndPolicy], list[Substitution]]:
    """Every end of ``ps`` that the lab runs (its owner is in ``owners``), transformed."""
    present = set(owners)
    holders: dict[str, list[str]] = {}  # rule (path) name → owners of its ends
    for end in ps.ends:
        for rule in end.rules:
            holders.setdefault(rule.name, []).append(end.owner or end.name)
    peer_of = {(o, name): p for name, os_ in holders.items() for o in os_ for p in os_ if p != o}
    out: list[EndPolicy] = []
    subs: list[Substitution] = []
    for end in ps.ends:
        if end.owner not in present:
            continue

        def missing(rule: Rule, owner: str = end.owner or "") -> str | None:
            peer = peer_of.get((owner, rule.name))
            return peer if peer is not None and peer not in present else None

        lab_end, changes = transform_end(end, datapath, ca_dn, missing)
        subs += changes
        if lab_end.rules:
            out.append(lab_end)
    return out, subs


def summarize(subs: Iterable[Substitution]) -> list[dict[str, object]]:
    """Substitutions grouped by change: what, why, and which ends/rules (for the report)."""
    groups: dict[tuple[str, str], list[str]] = {}
    for s in subs:
        where = s.end + (f"/{s.rule}" if s.rule else "")
        groups.setdefault((s.change, s.reason), []).append(where)
    return [{"change": c, "reason": r, "where": w} for (c, r), w in groups.items()]
