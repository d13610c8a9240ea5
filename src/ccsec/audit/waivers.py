"""Waivers: accepted findings, each with a reason and an expiry date (InSpec-style).

File format (YAML)::

    waivers:
      - rule: IPSEC-IKE-004          # rule id
        subject: "pg1-a:*"           # the finding's subject; shell-style wildcards allowed
        reason: Kerberos forces IKEv1 on the PG until the certificate rollout
        expires: 2027-03-31          # the day after which the waiver stops applying

A waiver removes matching findings until its expiry date has passed; from then on the findings
are back and one ``IPSEC-WAIVER-001`` finding says the waiver expired.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fnmatch import fnmatchcase
from pathlib import Path

from ccsec.errors import Problem, UserError, shown
from ccsec.findings.model import Finding, Location, Severity, finding, rule
from ccsec.findings.sources import INSPEC_WAIVERS
from ccsec.textio import decode_utf8, read_bytes
from ccsec.yamlsafe import compose

#: a waivers file is a short hand-written list
MAX_BYTES = 4 * 1024 * 1024
#: longest rule, subject or reason kept (they are echoed in findings)
MAX_TEXT = 1000

EXPIRED = rule(
    "IPSEC-WAIVER-001", "Waiver expired", Severity.LOW, "waivers",
    "A waiver accepted these findings until a date that has passed; they are reported again.",
    "Fix the findings, or renew the waiver with a new reason and expiry date.",
    (INSPEC_WAIVERS.at(),))


class WaiverError(UserError):
    """The waivers file is malformed."""


@dataclass(frozen=True)
class Waiver:
    rule: str
    subject: str
    reason: str
    expires: date
    line: int | None = None

    def matches(self, f: Finding) -> bool:
        return f.rule.upper() == self.rule.upper() and fnmatchcase(f.subject, self.subject)


def _problem(path: str, line: int | None, msg: str) -> Problem:
    return Problem(msg, path, line, fix="each waiver needs rule, subject, reason and "
                   "expires: YYYY-MM-DD")


def load(path: Path) -> list[Waiver]:
    """Read a waivers file; every error names file and line."""
    src = str(path)
    return parse(decode_utf8(read_bytes(path, MAX_BYTES, WaiverError), src, WaiverError), src)


def parse(text: str, src: str = "<waivers>") -> list[Waiver]:
    """The waivers of a waivers document (``src`` names it in errors)."""
    doc = compose(text, src, WaiverError)
    top = doc.data
    base: tuple[str, ...] = ("waivers",) if isinstance(top, dict) else ()
    items = top.get("waivers") if isinstance(top, dict) else top
    if items is None:
        return []
    if not isinstance(items, list):
        raise WaiverError(_problem(src, 1, "expected a list of waivers (or waivers: [...])"))
    out = []
    for i, item in enumerate(items):
        line = doc.line((*base, i))
        if not isinstance(item, dict):
            raise WaiverError(_problem(src, line, f"waiver {i + 1} is not a mapping"))
        missing = [k for k in ("rule", "subject", "reason", "expires") if not item.get(k)]
        if missing:
            raise WaiverError(_problem(src, line, f"waiver {i + 1} lacks {', '.join(missing)}"))
        texts = {k: item[k] for k in ("rule", "subject", "reason")}
        bad = [k for k, v in texts.items() if not isinstance(v, str | int | float)
               or len(str(v)) > MAX_TEXT or shown(v, None) != str(v)]
        if bad:
            raise WaiverError(_problem(src, line, f"waiver {i + 1}: {', '.join(bad)} must be "
                                       f"one line of text (at most {MAX_TEXT} characters, no "
                                       "control characters)"))
        expires = item["expires"]
        if isinstance(expires, str):
            try:
                expires = date.fromisoformat(expires)
            except ValueError:
                expires = None
        if not isinstance(expires, date):
            raise WaiverError(_problem(src, line, f"waiver {i + 1}: expires is not a date"))
        out.append(Waiver(str(item["rule"]), str(item["subject"]), str(item["reason"]),
                          expires, line))
    return out


def apply(findings: list[Finding], waivers: list[Waiver], today: date | None = None,
          source: str = "waivers") -> tuple[list[Finding], list[tuple[Finding, Waiver]]]:
    """(findings still reported, (finding, waiver) pairs that were waived).  Expired waivers
    waive nothing and add an ``IPSEC-WAIVER-001`` finding each."""
    today = today or date.today()
    active = [w for w in waivers if w.expires >= today]
    kept: list[Finding] = []
    waived: list[tuple[Finding, Waiver]] = []
    for f in findings:
        w = next((w for w in active if w.matches(f)), None)
        if w is None:
            kept.append(f)
        else:
            waived.append((f, w))
    for w in waivers:
        if w.expires < today:
            hits = sum(1 for f in findings if w.matches(f))
            kept.append(finding(EXPIRED, f"{w.rule} {w.subject}",
                                f"waiver for {w.rule} on '{w.subject}' expired on "
                                f"{w.expires.isoformat()} ({w.reason}); {hits} finding(s) apply "
                                "again", Location(source, w.line)))
    return kept, waived
