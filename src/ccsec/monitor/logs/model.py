"""One IKE log event, whatever produced it (charon, Oakley.log, Windows security events).

Every parser turns its lines/records into :class:`IkeEvent` values with the same vocabulary
(:class:`Kind`), so the diagnosis and the per-peer timeline never look at a source format.
Each event keeps where it came from (file:line) and whether its format is verified against a
real sample (charon: yes; Oakley.log and rendered Windows messages: built from documentation).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Kind(StrEnum):
    START = "start"  # a negotiation begins (initiating / peer is initiating)
    PROPOSALS = "proposals"  # received/configured/selected proposal lists (detail only)
    IKE_ESTABLISHED = "ike-established"
    CHILD_ESTABLISHED = "child-established"
    IKE_NO_PROPOSAL = "ike-no-proposal"
    CHILD_NO_PROPOSAL = "child-no-proposal"
    INVALID_KE = "invalid-ke"  # IKEv2 DH guess rejected, retried with another group
    AUTH_FAILED = "auth-failed"
    PSK_MISMATCH = "psk-mismatch"
    DECRYPT_FAILED = "decrypt-failed"  # IKEv1: keys differ after DH → PSK mismatch symptom
    TS_UNACCEPTABLE = "ts-unacceptable"
    NO_CONFIG = "no-config"  # no IKE/peer config or no policy for this peer
    NO_CHILD_CONFIG = "no-child-config"
    RETRANSMIT = "retransmit"
    TIMEOUT = "timeout"
    NAT_LOCAL = "nat-local"
    NAT_REMOTE = "nat-remote"
    NAT_T_MISSING = "nat-t-missing"
    KERNEL_FAILED = "kernel-failed"  # the local IPsec stack refused the SA/policy
    CLEARTEXT = "cleartext-received"  # Windows 4963
    PACKET_INTEGRITY = "packet-integrity"  # Windows 4960/4961/4962/4965, invalid packets
    SERVICE_DOWN = "service-down"  # IKEEXT not running (5453), IPsec services stopped
    DELETED = "deleted"
    FAILED = "failed"  # any other failure (with reason in detail)
    INFO = "info"


#: kinds that end a negotiation unsuccessfully; the order is the diagnosis priority (most
#: specific first: a PSK mismatch explains the retransmits that follow it, not the reverse)
FAILURE_PRIORITY: tuple[Kind, ...] = (
    Kind.PSK_MISMATCH,
    Kind.AUTH_FAILED,
    Kind.IKE_NO_PROPOSAL,
    Kind.NO_CONFIG,
    Kind.CHILD_NO_PROPOSAL,
    Kind.TS_UNACCEPTABLE,
    Kind.NO_CHILD_CONFIG,
    Kind.DECRYPT_FAILED,
    Kind.NAT_T_MISSING,
    Kind.KERNEL_FAILED,
    Kind.SERVICE_DOWN,
    Kind.CLEARTEXT,
    Kind.PACKET_INTEGRITY,
    Kind.TIMEOUT,
    Kind.FAILED,
)


@dataclass(slots=True)
class IkeEvent:
    """One line (or one record) that says something about an IKE negotiation."""

    file: str
    line: int
    kind: Kind
    text: str
    fmt: str
    time: datetime | None = None
    local: str | None = None
    peer: str | None = None
    conn: str | None = None
    session: str | None = None
    role: str | None = None  # initiator | responder
    ike_version: int | None = None
    detail: dict[str, str] = field(default_factory=dict)
    #: the line format was checked against real output (False: built from documentation)
    verified: bool = True

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class ParsedLog:
    """What one file yielded: its events, the format name, and lines the parser skipped."""

    file: str
    fmt: str
    events: list[IkeEvent]
    verified: bool
    lines: int = 0
    skipped: int = 0
