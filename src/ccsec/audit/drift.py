"""Drift: the planned policy of each device vs what its running configuration holds.

Per device the planned :class:`EndPolicy` is projected through the format of the config found
for it (``Format.project``: what that format's parser would read back), then compared rule by
rule (by name, else by peer address and filters) on everything that changes what is
negotiated.  For IOS the remediation commands come from **hier_config** (3.x): the intended
configuration is the IOS renderer's output for the planned end, the running one is the file;
both are first cut down to the IPsec-relevant part (crypto objects, the ACLs and NAT rules they
reference, crypto/NAT/tunnel lines of interfaces, routes into tunnels), so the remediation never
touches unrelated configuration.  Pre-shared keys are rendered as ``<redacted>``: the
remediation is for review and shows no key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ccsec.audit.model import ImportedEnd
from ccsec.deployment.model import Deployment
from ccsec.errors import UserError
from ccsec.formats.base import RenderContext
from ccsec.plan import plan
from ccsec.policy import EndPolicy, Rule
from ccsec.secrets import REDACTED, Secret


class _RedactingContext(RenderContext):
    """Renders every pre-shared key as ``<redacted>`` (remediation output is for people)."""

    def reveal(self, secret: Secret | None, where: str) -> str:
        return REDACTED


@dataclass
class DeviceDrift:
    device: str
    format: str | None
    file: str | None
    differences: list[str] = field(default_factory=list)
    remediation: list[str] = field(default_factory=list)

    @property
    def in_sync(self) -> bool:
        return not self.differences and not self.remediation

    def to_json(self) -> dict[str, object]:
        return {"device": self.device, "format": self.format, "file": self.file,
                "in_sync": self.in_sync, "differences": self.differences,
                "remediation": self.remediation}


def _key(r: Rule) -> tuple[object, ...]:
    return (r.peer_address, frozenset((f.local, f.remote) for f in r.filters))


def _fields(r: Rule) -> dict[str, object]:
    return {
        "mode": r.mode,
        "action": r.action,
        "IKE version": r.ike.version,
        "IKE exchange": r.ike.exchange,
        "IKE proposals": tuple(p.label() for p in r.ike.proposals),
        "ESP proposals": tuple(p.label() for p in r.esp),
        "PFS group": r.pfs_group,
        "authentication": tuple((a.method, a.ca) for a in r.auth),
        "inbound": r.inbound,
        "outbound": r.outbound,
        "filters": tuple(sorted(f"{f.local}->{f.remote}/{f.protocol}" for f in r.filters)),
        "peer": str(r.peer_address),
        "enabled": r.enabled,
        "QoS pre-classify": r.qos_preclassify,
    }


def compare(planned: EndPolicy, running: EndPolicy) -> list[str]:
    """What differs between two policies, one sentence per difference."""
    out: list[str] = []
    by_name = {r.name: r for r in running.rules}
    by_key = {_key(r): r for r in running.rules}
    used: set[str] = set()
    for want in planned.rules:
        have = by_name.get(want.name) or by_key.get(_key(want))
        if have is None:
            out.append(f"rule {want.name} (peer {want.peer_address}) is missing")
            continue
        used.add(have.name)
        a, b = _fields(want), _fields(have)
        for k in a:
            if a[k] != b[k]:
                out.append(f"rule {want.name}: {k} is {_show(b[k])}, planned {_show(a[k])}")
    for extra in running.rules:
        if extra.name not in used:
            out.append(f"rule {extra.name} (peer {extra.peer_address}) is not in the plan")
    return out


def _show(v: object) -> str:
    if isinstance(v, tuple):
        return "[" + ", ".join(str(x) for x in v) + "]"
    return str(v)


# ------------------------------------------------------------------ IOS: hier_config

_RELEVANT_TOP = ("crypto ", "ip nat ", "no crypto ")
_RELEVANT_CHILD = ("crypto map", "ip nat", "qos pre-classify", "tunnel ", "ip access-group ccsec")


def _blocks(text: str) -> list[tuple[str, list[str]]]:
    out: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        s = line.rstrip()
        if not s or s.lstrip().startswith("!") or s.strip() == "end":
            continue
        if not s[0].isspace():
            out.append((s, []))
        elif out:
            out[-1][1].append(s)
    return out


def _referenced_acls(blocks: list[tuple[str, list[str]]]) -> set[str]:
    names: set[str] = set()
    for head, children in blocks:
        for line in [head, *children]:
            m = re.search(r"\bmatch address (\S+)|\bsource list (\S+)|"
                          r"\bmatch ip address (\S+)|ip access-group (\S+)", line)
            if m:
                names.add(next(g for g in m.groups() if g))
    return names


def ipsec_subset(text: str) -> str:
    """The IPsec-relevant part of an IOS configuration (see the module docstring)."""
    blocks = _blocks(text)
    acls = _referenced_acls(blocks)
    out: list[str] = []
    for head, children in blocks:
        keep_all = head.startswith(_RELEVANT_TOP)
        m = re.match(r"(?:ip access-list \S+ |access-list )(\S+)", head)
        if m and (m.group(1) in acls or m.group(1).startswith("ccsec")):
            keep_all = True
        if head.startswith("ip route ") and "Tunnel" in head:
            keep_all = True
        if head.startswith("interface Tunnel") and any(
                c.strip().startswith(("tunnel protection", "tunnel mode ipsec"))
                for c in children):
            keep_all = True
        if keep_all:
            out += [head, *children]
        elif head.startswith("interface "):
            kept = [c for c in children if c.strip().startswith(_RELEVANT_CHILD)]
            if kept:
                out += [head, *kept]
    return "\n".join(out) + "\n"


def ios_remediation(running_text: str, intended_text: str) -> list[str]:
    """hier_config's remediation from running to intended, IPsec part only."""
    from hier_config import Platform, WorkflowRemediation, get_hconfig

    running = get_hconfig(Platform.CISCO_IOS, ipsec_subset(running_text))
    intended = get_hconfig(Platform.CISCO_IOS, ipsec_subset(intended_text))
    rem = WorkflowRemediation(running, intended).remediation_config
    return [line.cisco_style_text() for line in rem.all_children_sorted()]


# ------------------------------------------------------------------------------- drift


def drift(dep: Deployment, ends: list[ImportedEnd], profile: str | None = None,
          root: Path | None = None) -> list[DeviceDrift]:
    """One report per planned device (and per unplanned config found)."""
    from ccsec.formats import registry as formats

    ps = plan(dep, profile)
    ctx = _RedactingContext(dep.deployment, ps.profile, None)
    by_host: dict[str, list[ImportedEnd]] = {}
    for e in ends:
        if e.host:
            by_host.setdefault(e.host, []).append(e)
    out: list[DeviceDrift] = []
    for planned in ps.ends:
        owner = planned.owner or planned.name
        found = by_host.get(owner, [])
        if not found:
            out.append(DeviceDrift(owner, None, None,
                                   [f"no configuration found for {owner} "
                                    f"({len(planned.rules)} planned rule(s))"]))
            continue
        for end in found:
            report = DeviceDrift(owner, end.format, end.source)
            try:
                fmt = formats.get(end.format)
                projected = fmt.project(planned, ctx)
            except (UserError, ImportError, AttributeError):
                fmt, projected = None, planned
            report.differences = compare(projected, end.policy)
            if end.format == "ios" and fmt is not None and root is not None:
                try:
                    intended = fmt.render(planned, ctx)
                    running = (root / end.source).read_text(encoding="utf-8", errors="replace") \
                        if root.is_dir() else root.read_text(encoding="utf-8", errors="replace")
                    report.remediation = ios_remediation(running, intended)
                except (UserError, OSError) as exc:
                    report.differences.append(f"no remediation: {exc}")
            out.append(report)
    planned_owners = {p.owner for p in ps.ends}
    for e in ends:
        if e.host is None or e.host not in planned_owners:
            out.append(DeviceDrift(e.host or e.label, e.format, e.source,
                                   [f"{e.source}: device has no planned policy"]))
    return out
