"""What every format module provides: render, parse, and an honest account of what it loses.

A format is a renderer and a parser side by side.  ``parse(render(p))`` must equal
``project(p)``: the policy with exactly the fields the format cannot carry reset to what its
parser reports for them (documented per format).  ``unsupported(p)`` lists what the format
cannot express at all (Kerberos on IOS, a double quote in a netsh description…); rendering such
a policy raises :class:`UnsupportedError`, never a silent substitute.

Every rendered file starts with the same header: what generated it, for which end, and whether
it was proven on a real IPsec stack or checked by syntax only.  A machine-readable
``ccsec-meta`` line carries the policy name, owner and free-text description (JSON, ASCII only,
so nothing in a description can break out of the comment).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from ccsec import __version__
from ccsec.errors import Problem, UnsupportedError
from ccsec.formats.facts import DeviceFacts, FormatFacts
from ccsec.policy import EndPolicy, Rule
from ccsec.secrets import Secret, SecretResolver

META_TAG = "ccsec-meta:"
#: the facts of a file whose format tells nothing beyond its policy (shared: facts are frozen)
NO_FACTS = DeviceFacts()


@dataclass(frozen=True)
class Note:
    """Something a parser noticed but did not turn into policy (unknown line, placeholder…)."""

    line: int | None
    severity: Literal["info", "warning"]
    message: str


@dataclass
class Parsed:
    """A parser's result: the policies found, notes, and the line of each object it read."""

    policies: list[EndPolicy]
    notes: list[Note] = field(default_factory=list)
    #: "<rule name>" or "<rule name>/<aspect>" (ike, esp, auth, filters…) → line number
    locations: dict[str, int] = field(default_factory=dict)
    source: str = "<text>"
    format: str = ""
    #: what the device is beyond its policy, as the audit's checks read it (rules that are
    #: down, NAT that translates protected traffic, key sizes…)
    facts: DeviceFacts = NO_FACTS
    #: what only this format knows (e.g. IOS: interfaces, crypto maps, NAT rules)
    format_facts: FormatFacts | None = None


@dataclass(frozen=True)
class RenderContext:
    """Everything a renderer needs besides the policy itself."""

    deployment: str = ""
    profile: str = ""
    resolver: SecretResolver | None = None

    def reveal(self, secret: Secret | None, where: str) -> str:
        """The key for a config that must contain it (resolving ``env:``/``file:`` now)."""
        if secret is None:
            raise UnsupportedError(Problem("a pre-shared key is present but unreadable",
                                           field=where, fix="re-enter the key"))
        if secret.value is None:
            if self.resolver is None:
                raise UnsupportedError(Problem(f"pre-shared key {secret.ref} is not resolved",
                                               field=where))
            secret = self.resolver.resolve(secret, where)
        return secret.reveal()

    def resolve(self, secret: Secret | None) -> Secret | None:
        if secret is None or secret.value is not None or self.resolver is None:
            return secret
        return self.resolver.resolve(secret)


def host_projection(end: EndPolicy, rules: Iterable[Rule], **losses: object) -> EndPolicy:
    """``end`` with ``rules`` as a host format reads it back: the gateway-only fields (WAN/LAN
    interface, tunnel style, source NAT) are never written, so they come back empty; a format
    adds its own further ``losses`` (e.g. ``default_response_rule=False``)."""
    return end.model_copy(update={"rules": tuple(rules), "wan_interface": None,
                                  "lan_interface": None, "tunnel_style": None,
                                  "source_nat": False, **losses})


class Format(ABC):
    """A renderer/parser pair for one configuration format."""

    name: ClassVar[str]
    title: ClassVar[str]
    file_name: ClassVar[str]
    comment: ClassVar[str] = "#"
    #: how far the output was proven: "lab" (run on real strongSwan) or "syntax"
    proof: ClassVar[Literal["lab", "syntax"]] = "syntax"
    proof_note: ClassVar[str]
    #: end platforms that get this format by default
    platforms: ClassVar[frozenset[str]]
    #: rendered files may contain a key (written 0600)
    may_hold_secrets: ClassVar[bool] = True

    @abstractmethod
    def unsupported(self, end: EndPolicy) -> list[str]:
        """Why this format cannot express ``end`` (empty when it can)."""

    @abstractmethod
    def render_body(self, end: EndPolicy, ctx: RenderContext) -> list[str]:
        """The configuration lines (the header is added by :meth:`render`)."""

    @abstractmethod
    def parse(self, text: str, source: str = "<text>") -> Parsed:
        """Read a file of this format (ccsec's own output or a real-world one)."""

    @abstractmethod
    def project(self, end: EndPolicy, ctx: RenderContext) -> EndPolicy:
        """``end`` as this format's parser will read it back (the documented losses applied)."""

    def render(self, end: EndPolicy, ctx: RenderContext) -> str:
        reasons = self.unsupported(end)
        if reasons:
            raise UnsupportedError(
                [Problem(r, field=f"{self.name} for {end.owner or end.name}") for r in reasons]
            )
        lines = self.header(end, ctx) + self.render_body(end, ctx)
        return "\n".join(lines) + "\n"

    def header(self, end: EndPolicy, ctx: RenderContext) -> list[str]:
        c = self.comment
        meta = {
            "name": end.name,
            "owner": end.owner,
            "platform": end.platform,
            "description": end.description,
        }
        proof = (
            "proven on strongSwan in the ccsec lab (ccsec lab run)"
            if self.proof == "lab"
            else "syntax only: " + self.proof_note
        )
        profile = ctx.profile if ctx.profile.isidentifier() else json_comment(ctx.profile)
        return [
            f"{c} generated by ccsec {__version__} - {self.title}",
            f"{c} end: {end.owner or '-'} ({end.platform or '-'}) policy {end.name}"
            + (f", profile {profile}" if ctx.profile else ""),
            f"{c} proof: {proof}",
            f"{c} {META_TAG} {json_comment_obj(meta)}",
        ]


def read_meta(lines: list[str], comment: str) -> dict[str, object]:
    """The ``ccsec-meta`` JSON of a rendered file, or ``{}`` for a file ccsec did not write."""
    tag = f"{comment} {META_TAG}"
    for line in lines[:20]:
        if line.startswith(tag):
            try:
                meta = json.loads(line[len(tag):])
            except json.JSONDecodeError:
                return {}
            return meta if isinstance(meta, dict) else {}
    return {}


def meta_str(meta: dict[str, object], key: str, default: str | None = None) -> str | None:
    value = meta.get(key, default)
    return value if isinstance(value, str) else default


def json_comment(value: str) -> str:
    """A free-text value as a one-line JSON string (safe inside any line comment).

    ASCII only, and ``?`` escaped too: pasted into an IOS CLI, a ``?`` opens context help even
    on a comment line [V]."""
    return json_comment_obj(value)


def json_comment_obj(value: object) -> str:
    return json.dumps(value, ensure_ascii=True, sort_keys=True).replace("?", "\\u003f")


def unjson_comment(text: str) -> str | None:
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, str) else None
