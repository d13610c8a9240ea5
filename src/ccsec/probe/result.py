"""What a probe found, as one document: ``ccsec probe --json`` writes it, ``ccsec report
--probe`` reads it back.

The document is versioned (``schema``) and self-describing: per IKE version the accepted
proposals, whether the enumeration finished (and why not), the packets it sent next to the
packets an exhaustive one-combination-per-packet scan of the same space needs; the IKEv1
aggressive-mode answer; NAT-T and NAT detection; fragmentation; vendor IDs; and the findings
judged from all of it (with ``--deployment``, the drift from ccsec's plan as well).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ccsec.crypto import IkeProposal
from ccsec.errors import Problem, UserError
from ccsec.findings.model import Finding

SCHEMA = "ccsec-probe/1"


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VersionResult(_M):
    """One IKE version: what the target accepted, and what it cost to find out."""

    version: Literal[1, 2]
    #: the target answered this version on this port at all
    answered: bool = False
    accepted: list[IkeProposal] = Field(default_factory=list)
    #: the whole space was decided (every combination accepted or refused)
    complete: bool = False
    stopped: str | None = None
    packets: int = 0
    #: packets a one-combination-per-packet scan of the same space sends
    exhaustive: int = 0
    space: dict[str, object] = Field(default_factory=dict)
    #: status notifies of accepting answers (IKEv2), by name
    notifies: list[str] = Field(default_factory=list)
    #: IKEv2 SIGNATURE_HASH_ALGORITHMS the responder announced (RFC 7427)
    signature_hashes: list[str] = Field(default_factory=list)
    fragmentation: bool | None = None
    #: answers that did not fit the protocol (a responder choosing what was not offered …)
    anomalies: list[str] = Field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        return self.packets / self.exhaustive if self.exhaustive else None


class Aggressive(_M):
    """IKEv1 aggressive mode: offered once with a proposal main mode accepted."""

    tried: bool = False
    accepted: bool | None = None
    auth: str = "psk"
    identity: str = ""
    proposal: IkeProposal | None = None
    #: the responder's answer in one line (HASH_R received, or the notify it sent)
    detail: str = ""
    packets: int = 0


class Nat(_M):
    """NAT traversal support, and whether a NAT sits between the probe and the target."""

    supported: bool | None = None
    evidence: list[str] = Field(default_factory=list)
    #: the responder saw another source address/port than the probe sent from
    probe_behind_nat: bool | None = None
    #: the responder's own address/port differs from the one the probe talked to
    target_behind_nat: bool | None = None


class VendorId(_M):
    hex: str
    name: str | None = None
    vendor: str | None = None
    ike: Literal[1, 2]


class Drift(_M):
    """Accepted vs planned, per IKE version, for one end of a ccsec deployment."""

    deployment: str
    end: str
    planned: dict[str, list[str]] = Field(default_factory=dict)
    extra: dict[str, list[str]] = Field(default_factory=dict)
    missing: dict[str, list[str]] = Field(default_factory=dict)


class ProbeResult(_M):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_: str = Field(default=SCHEMA, alias="schema")
    target: str
    address: str
    port: int
    source: str = ""
    started: str = ""
    seconds: float = 0.0
    limits: dict[str, float] = Field(default_factory=dict)
    ikev2: VersionResult | None = None
    ikev1: VersionResult | None = None
    aggressive: Aggressive | None = None
    nat: Nat = Field(default_factory=Nat)
    vendor_ids: list[VendorId] = Field(default_factory=list)
    drift: Drift | None = None
    findings: list[Finding] = Field(default_factory=list)

    @property
    def packets(self) -> int:
        return sum(v.packets for v in self.versions()) + (
            self.aggressive.packets if self.aggressive else 0)

    def versions(self) -> list[VersionResult]:
        return [v for v in (self.ikev2, self.ikev1) if v is not None]

    def to_json(self) -> dict[str, object]:
        data = self.model_dump(mode="json", by_alias=True)
        data["packets"] = self.packets
        for key in ("ikev2", "ikev1"):
            version = getattr(self, key)
            if version is not None:
                section = data[key]
                section["accepted_labels"] = [p.label() for p in version.accepted]
                section["ratio"] = None if version.ratio is None else round(version.ratio, 5)
        data["findings"] = [f.to_json() for f in self.findings]
        return data


def load(path: str | Path) -> ProbeResult:
    """A probe result written by ``ccsec probe --json`` (a clear error for anything else)."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(Problem(f"cannot read {p}: {exc.strerror or exc}", field="--probe",
                                fix="give the file `ccsec probe --json` wrote")) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(Problem(f"{p} is not JSON: {exc}", field="--probe",
                                fix="give the file `ccsec probe --json` wrote")) from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise UserError(Problem(f"{p} is not a ccsec probe result (schema {SCHEMA})",
                                field="--probe", fix="give the file `ccsec probe --json` "
                                "wrote"))
    data.pop("packets", None)
    for f in data.get("findings") or []:
        # Finding.to_json writes a place-less finding's location as nulls
        if isinstance(f, dict) and isinstance(f.get("location"), dict) \
                and f["location"].get("file") is None:
            f["location"] = None
    for key in ("ikev2", "ikev1"):
        if isinstance(data.get(key), dict):
            data[key].pop("accepted_labels", None)
            data[key].pop("ratio", None)
    try:
        return ProbeResult.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise UserError(Problem(f"{p}: {where}: {first['msg']}", field="--probe",
                                fix="give the file `ccsec probe --json` wrote, unchanged")) \
            from None
