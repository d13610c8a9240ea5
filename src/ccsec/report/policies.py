"""Each end's generated policy for a report, in every format its platform takes, keys redacted.

A report is read by people who must never see a pre-shared key, so the report renders with a
resolver that never reads a key at all: every ``env:``/``file:`` reference resolves to a fixed
placeholder that every format accepts as a key, and the placeholder is replaced with
``<redacted>`` in the text.  The real key is neither needed (no variable has to be set to make a
report) nor ever in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import SecretStr

from ccsec.errors import UserError
from ccsec.formats import registry
from ccsec.formats.base import RenderContext
from ccsec.policy import EndPolicy, PolicySet
from ccsec.render import choose
from ccsec.secrets import REDACTED, Secret, SecretResolver

#: what every format accepts as a key (letters, digits, hyphens; no keyword, no blank)
PLACEHOLDER = "ccsec-report-redacted-key-7f3a"


class RedactingResolver(SecretResolver):
    """Resolves every key reference to :data:`PLACEHOLDER` without reading it."""

    def __init__(self) -> None:
        super().__init__(env={})

    def resolve(self, secret: Secret, where: str = "psk") -> Secret:
        return Secret(ref=secret.ref, value=SecretStr(PLACEHOLDER))


def redacted_context(ps: PolicySet) -> RenderContext:
    return RenderContext(ps.deployment, ps.profile, RedactingResolver())


def redact(text: str, end: EndPolicy) -> str:
    """The placeholder, and any key value the policy itself carries, as ``<redacted>``."""
    text = text.replace(PLACEHOLDER, REDACTED)
    for rule in end.rules:
        for auth in rule.auth:
            if auth.psk is not None and auth.psk.value is not None:
                value = auth.psk.value.get_secret_value()
                if value:
                    text = text.replace(value, REDACTED)
    return text


@dataclass(frozen=True)
class FormatText:
    format: str
    title: str
    file_name: str
    proof: str
    text: str


@dataclass
class EndTexts:
    """One host or gateway: its policy in each of its platform's formats."""

    owner: str
    platform: str
    rules: int
    texts: list[FormatText] = field(default_factory=list)
    #: (format, why it cannot express this end)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def end_texts(ps: PolicySet, tick: Callable[[str], None] | None = None) -> list[EndTexts]:
    """Render every end in every format its platform gets (as ``ccsec render`` would), keys
    redacted; a format that cannot express an end is listed with the reason, not an error."""
    ctx = redacted_context(ps)
    out = []
    for end in ps.ends:
        owner = end.owner or end.name
        item = EndTexts(owner, end.platform or "", len(end.rules))
        for name, _required in choose(end, None):
            fmt = registry.get(name)
            reasons = fmt.unsupported(end)
            if reasons:
                item.skipped.append((name, "; ".join(reasons)))
                continue
            try:
                text = fmt.render(end, ctx)
            except UserError as exc:
                item.skipped.append((name, "; ".join(str(p) for p in exc.problems)))
                continue
            item.texts.append(FormatText(name, fmt.title, fmt.file_name, fmt.proof,
                                         redact(text, end)))
        out.append(item)
        if tick is not None:
            tick(owner)
    return out


def proof_levels() -> list[dict[str, str]]:
    """Every format with how far its output was proven (lab-run or syntax only)."""
    rows = []
    for name in registry.names():
        fmt = registry.get(name)
        rows.append({"format": name, "title": fmt.title, "proof": fmt.proof,
                     "note": fmt.proof_note or "run on real strongSwan by `ccsec lab run`"})
    return rows
