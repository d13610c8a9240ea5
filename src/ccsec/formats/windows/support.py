"""What both Windows formats refuse or lose for the same reason, written once.

Both stores (the modern one behind the NetSecurity cmdlets, the legacy one behind ``netsh ipsec
static``) compare object names ignoring case, take ports only with TCP or UDP, read protocol 0
as "any", have no per-rule NAT-T switch, need a CA name for certificate authentication, and have
no place for IKE identities, DPD, "initiate", QoS pre-classification or a NAT keepalive.  The
tests ("finds") are shared here; each format words its reasons in its own vocabulary (the
cmdlet parameter or netsh tag the user would look for), except the name clash, whose sentence
is the same in both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from ccsec.crypto import Encr, EspProposal, IkeProposal
from ccsec.formats.base import Loss, RuleInEndRefusal, Subst
from ccsec.policy import Auth, EndPolicy, Rule

P = TypeVar("P", IkeProposal, EspProposal)
X = TypeVar("X", Rule, EndPolicy)

# ------------------------------------------------------------------------------ the end


def name_clashes(store: str) -> RuleInEndRefusal:
    """The row for a rule whose name an earlier rule already uses, ignoring case (both stores
    compare names so); ``store`` says whose names ("Windows object names", "netsh names")."""

    def find(end: EndPolicy) -> list[list[Subst]]:
        first: dict[str, str] = {}
        out: list[list[Subst]] = []
        for r in end.rules:
            key = r.name.casefold()
            out.append([{"store": store, "first": first[key]}] if key in first else [])
            first.setdefault(key, r.name)
        return out

    return RuleInEndRefusal(
        "duplicate-name", find,
        "{rule}: {store} are case-insensitive and rule {first} already uses this name — "
        "rename one of them")


# ------------------------------------------------------------------------------ a rule


def text_problem(check: Callable[[str], str | None],
                 text: Callable[[X], str]) -> Callable[[X], list[Subst]]:
    """One occurrence (``{problem}``) when ``check`` finds ``text(x)`` (of a rule or an end)
    unwritable."""

    def find(x: X) -> list[Subst]:
        problem = check(text(x))
        return [{"problem": problem}] if problem else []

    return find


def aggressive(rule: Rule) -> bool:
    """Both stores negotiate main mode only."""
    return rule.ike.exchange != "main"


def nat_t_off(rule: Rule) -> bool:
    """NAT traversal is a machine-wide setting in both stores, never off per rule."""
    return not rule.nat_traversal


def port_without_tcp_udp(rule: Rule) -> bool:
    """A filter port with a protocol other than TCP or UDP (both stores refuse it)."""
    return any(f.protocol not in (6, 17) and (f.local_port or f.remote_port)
               for f in rule.filters)


def protocol_zero(rule: Rule) -> bool:
    """Protocol 0 (HOPOPT) may read back as "any protocol" in both stores."""
    return any(f.protocol == 0 for f in rule.filters)


# ------------------------------------------------------------------------ a rule's items


def label(p: IkeProposal | EspProposal) -> Subst:
    """The substitution every proposal row names its proposal with."""
    return {"label": p.label()}


def proposal_when(test: Callable[[P], bool]) -> Callable[[Rule, P], list[Subst]]:
    """A yes/no proposal row, naming the proposal (``{label}``)."""
    return lambda rule, p: [label(p)] if test(p) else []


def integrity_without_esp(p: EspProposal) -> bool:
    """ESP integrity on an AH-only proposal: neither store has a place for it."""
    return p.encryption is None and p.integrity is not None


def esp_with_nothing(p: EspProposal) -> bool:
    """ESP with null encryption and no integrity, which neither store accepts."""
    return p.encryption == Encr.NULL and p.integrity is None


def cert_without_ca(a: Auth) -> bool:
    """Certificate authentication names its root CA in both stores (mandatory there)."""
    return a.method == "certificate" and not a.ca


def ca_problem_in(check: Callable[[str], str | None]) -> Callable[[Rule, Auth], list[Subst]]:
    """One occurrence (``{problem}``) when a named CA cannot be written as ``check`` decides."""

    def find(rule: Rule, a: Auth) -> list[Subst]:
        problem = check(a.ca) if a.method == "certificate" and a.ca else None
        return [{"problem": problem}] if problem else []

    return find


def psk_problem_in(check: Callable[[str], str | None]) -> Callable[[Rule, Auth], list[Subst]]:
    """One occurrence (``{problem}``) when a key known now cannot be written as ``check``
    decides; a key behind an ``env:``/``file:`` reference is checked when it is rendered."""

    def find(rule: Rule, a: Auth) -> list[Subst]:
        known = a.method == "psk" and a.psk is not None and a.psk.value is not None
        problem = check(a.psk.reveal()) if known and a.psk is not None else None
        return [{"problem": problem}] if problem else []

    return find


def auth_methods(rule: Rule) -> tuple[Auth, ...]:
    return rule.auth


def ike_proposals(rule: Rule) -> tuple[IkeProposal, ...]:
    return rule.ike.proposals


def esp_proposals(rule: Rule) -> tuple[EspProposal, ...]:
    return rule.esp


# ----------------------------------------------------------------------------- losses

#: what neither Windows store has a place for (read back unset)
WINDOWS_LOSSES: tuple[Loss, ...] = (
    Loss("rule.local_id", "Windows derives the IKE identities from the method (Kerberos "
         "principal, certificate subject, IP address)"),
    Loss("rule.peer_id", "Windows derives the IKE identities from the method (Kerberos "
         "principal, certificate subject, IP address)"),
    Loss("rule.dpd_s", "Windows has no dead peer detection setting"),
    Loss("rule.initiate", "Windows negotiates when traffic matches a rule; there is no "
         "'initiate'", False),
    Loss("rule.qos_preclassify", "Windows has no QoS pre-classification", False),
    Loss("rule.nat_keepalive_s", "the NAT keepalive interval is machine-wide on Windows"),
)
