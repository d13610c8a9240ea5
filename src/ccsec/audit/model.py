"""What the audit works on: imported ends (a parsed policy + where it came from + facts).

Every importer — the format modules' parsers, the legacy ``ipsec.conf`` reader, the Windows
collector JSON — ends in :class:`ImportedEnd`, so the checks judge a rendered plan, a
hand-written IOS config and a Windows export the same way (DESIGN: the analyzer reads only the
model).  ``facts`` are the typed :class:`~ccsec.formats.facts.DeviceFacts` every check reads
alike; ``format_facts`` keeps what only the source format knows (an IOS router's interfaces and
crypto maps…) for work that needs the device's own terms.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ccsec.findings.model import Location
from ccsec.formats.base import Note
from ccsec.formats.facts import DeviceFacts, FormatFacts
from ccsec.formats.registry import implied_platform
from ccsec.policy import EndPolicy, Rule


@dataclass
class ImportedEnd:
    """One configuration file (or export) read into the policy model."""

    policy: EndPolicy
    source: str
    format: str
    facts: DeviceFacts = field(default_factory=DeviceFacts)
    locations: dict[str, int] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    #: the deployment host or gateway this config belongs to (None: not attached)
    host: str | None = None
    #: what only the source format knows (see :data:`~ccsec.formats.facts.FormatFacts`)
    format_facts: FormatFacts | None = None

    @property
    def platform(self) -> str:
        """The end's platform: as the file says, else what its format implies."""
        return self.policy.platform or implied_platform(self.format)

    @property
    def label(self) -> str:
        """The device name: the deployment's, the file's owner, else the file itself (an
        importer's generated ``imported-…`` policy name says nothing)."""
        name = self.host or self.policy.owner
        if name:
            return name
        if self.policy.name.startswith("imported-"):
            return self.source
        return self.policy.name

    def where(self, rule: Rule | str | None = None, aspect: str | None = None) -> Location:
        """The file and line of a rule (or one aspect of it: ike, esp, auth, filters…)."""
        line = None
        if rule is not None:
            name = rule if isinstance(rule, str) else rule.name
            if aspect:
                line = self.locations.get(f"{name}/{aspect}")
            line = line or self.locations.get(name)
        return Location(self.source, line)

    def subject(self, rule: Rule | None = None) -> str:
        return f"{self.label}:{rule.name}" if rule is not None else self.label

    def any_version(self, rule: Rule) -> bool:
        """Whether the rule initiates IKEv2 but also accepts IKEv1 as responder."""
        return rule.name in self.facts.ike_any_version
