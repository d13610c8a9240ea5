"""The CUCM reader's first pass: the lines of a sheet or of ``show`` output → policy blocks.

A sheet is ccsec's own output or a hand-filled one in the same layout: ``Label : value`` lines
(labels case-insensitive, "Pre-shared Key" and "Preshared Key"), comment lines, and a ``...``
line meaning "the remaining fields as in the policy above".  ``show ipsec information <group>
<name>`` output has its own labels (PolicyGroup, PolicyName, Type, …) and ``admin:`` prompt
lines.  A label seen twice starts a new block.  Comment lines that mean something are read
here: ``# ccsec-rule`` (the next rule's description), ``# value table: KEY``, a hand-filled
``# release: 12.5(1)SU5  FIPS mode: yes`` (which selects a table via ``RELEASES``) and
``# node:``/``# enter on:``.  Turning a block's values into a rule is :mod:`.read`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ccsec.errors import ParseError, Problem
from ccsec.formats.base import Note, Parsed, unjson_comment
from ccsec.formats.cucm import values
from ccsec.formats.cucm.values import (
    FIPS_RE,
    LABELS,
    NODE_RE,
    RELEASE_RE,
    RULE_TAG,
    SHEET_ONLY,
    SHOW_ONLY,
    TABLE_RE,
    TABLES,
    TRUE_WORDS,
    ValueTable,
    fold,
    table_for_release,
)


@dataclass
class Block:
    """One policy's lines: key → (value, line)."""

    line: int
    fields: dict[str, tuple[str, int]] = field(default_factory=dict)
    description: str = ""
    inherit_line: int | None = None
    command: tuple[str, str] | None = None


@dataclass
class Scan:
    """What a pass over the lines found: the blocks, and the lines that select a value table."""

    blocks: list[Block] = field(default_factory=list)
    table: str | None = None
    table_line: int | None = None
    release: int | None = None
    fips: bool | None = None
    node: str | None = None
    prompt: bool = False
    show_labels: int = 0
    sheet_labels: int = 0


#: the characters of a ruler line (``-----``, ``=====``…), which carries nothing
_RULER = frozenset("-=*_ ")


#: the first characters of a stripped line that can be a ruler (``_RULER`` minus the space)
_RULER_STARTS = frozenset("-=*_")
#: the first character after ``#`` and blanks of every comment ``_comment`` reads besides
#: ``# ccsec-rule``: value table, release, node, enter on, fips mode.  No other character
#: lower-cases (or, under re.IGNORECASE, folds) to one of these letters, and ``str.lstrip``
#: strips what the patterns' ``\s*`` matches (both are Py_UNICODE_ISSPACE)
_COMMENT_KEYS = frozenset("vrnefVRNEF")


def _field(s: str, n: int, parsed: Parsed) -> tuple[str, str]:
    """``Label : value`` → (label, value); any other line is not a field of the page."""
    label, sep, value = s.partition(":")
    if not sep:
        raise ParseError(Problem("not a 'Label : value' line", parsed.source, n,
                                 fix="write each field as 'Label : value' (the page's "
                                 "label), or start the line with # for a comment"))
    return label, value


def scan_lines(lines: list[str], parsed: Parsed) -> Scan:
    """Group the ``Label : value`` lines into blocks (a repeated label starts the next one)."""
    return _scan_fast(lines, parsed) if values.FAST else _scan_long(lines, parsed)


def _scan_fast(lines: list[str], parsed: Parsed) -> Scan:
    """:func:`_scan_long` with the same results in fewer steps per line (issue 16): the first
    character picks the branch, a comment line goes to :func:`_comment` only when it can mean
    something (``_COMMENT_KEYS``), and the label counts are kept in locals."""
    scan = Scan()
    blocks, notes, labels = scan.blocks, parsed.notes, LABELS
    current: Block | None = None
    description: str | None = None
    show = sheet = 0
    n = 0
    for raw in lines:
        n += 1
        s = raw.strip()
        if not s:
            continue
        c = s[0]
        if c == "#":
            if s.startswith(RULE_TAG) or s[1:].lstrip()[:1] in _COMMENT_KEYS:
                description = _comment(s, n, scan, parsed, description)
            continue
        if c in _RULER_STARTS and _RULER.issuperset(s):
            continue
        if c == "." and s.startswith("..."):
            _elided(n, current, notes)
            continue
        if (c == "a" or c == "A") and s.lower().startswith("admin:"):
            current, description = _at_prompt(s, n, scan, parsed, current, description)
            continue
        label, value = _field(s, n, parsed)
        norm = fold(label)
        key = labels.get(norm)
        if key is None:
            notes.append(Note(n, "warning", f"unknown field '{label.strip()[:40]}' ignored"))
            continue
        show += norm in SHOW_ONLY
        sheet += norm in SHEET_ONLY
        if current is None or key in current.fields:
            current = Block(line=n, description=description or "")
            blocks.append(current)
            description = None
        current.fields[key] = (value.strip(), n)
    scan.show_labels, scan.sheet_labels = show, sheet
    return scan


def _scan_long(lines: list[str], parsed: Parsed) -> Scan:
    """The reference pass: every line through every test, as first written."""
    scan = Scan()
    current: Block | None = None
    description: str | None = None
    for n, raw in enumerate(lines, start=1):
        s = raw.strip()
        if not s or _RULER.issuperset(s):
            continue
        if s.startswith("#"):
            description = _comment(s, n, scan, parsed, description)
            continue
        if s.startswith("..."):
            _elided(n, current, parsed.notes)
            continue
        if s.lower().startswith("admin:"):
            current, description = _at_prompt(s, n, scan, parsed, current, description)
            continue
        label, value = _field(s, n, parsed)
        norm = fold(label)
        key = LABELS.get(norm)
        if key is None:
            parsed.notes.append(Note(n, "warning", f"unknown field '{label.strip()[:40]}' "
                                     "ignored"))
            continue
        scan.show_labels += norm in SHOW_ONLY
        scan.sheet_labels += norm in SHEET_ONLY
        if current is None or key in current.fields:
            current = Block(line=n, description=description or "")
            scan.blocks.append(current)
            description = None
        current.fields[key] = (value.strip(), n)
    return scan


def _comment(s: str, n: int, scan: Scan, parsed: Parsed,
             description: str | None) -> str | None:
    """Read the comment lines that mean something; return the pending rule description."""
    if s.startswith(RULE_TAG):
        value = unjson_comment(s[len(RULE_TAG):])
        if value is None:
            parsed.notes.append(Note(n, "warning", "unreadable ccsec-rule description"))
        return value if value is not None else description
    if m := TABLE_RE.match(s):
        scan.table, scan.table_line = m.group(1), n
    elif m := RELEASE_RE.match(s):
        scan.release = int(m.group(1))
        scan.table_line = scan.table_line or n
    elif m := NODE_RE.match(s):
        scan.node = scan.node or m.group(1)
    if m := FIPS_RE.match(s):
        word = m.group(1).lower()
        scan.fips = word in TRUE_WORDS
        scan.table_line = scan.table_line or n
    return description


def _elided(n: int, current: Block | None, notes: list[Note]) -> None:
    """A ``...`` line: the block it is in takes its missing fields as assumed; before any
    block, a note."""
    if current is None:
        notes.append(Note(n, "info", "'...' before any policy: elided lines "
                          "(missing fields get assumed values)"))
    else:
        current.inherit_line = n


def _at_prompt(s: str, n: int, scan: Scan, parsed: Parsed, current: Block | None,
               description: str | None) -> tuple[Block | None, str | None]:
    """An ``admin:`` line (:func:`_prompt`): the current block after it, and the pending
    rule description (taken by a block the prompt starts)."""
    block = _prompt(s, n, scan, parsed, current, description)
    return block, None if block is not None and block.line == n else description


def _prompt(s: str, n: int, scan: Scan, parsed: Parsed, current: Block | None,
            description: str | None) -> Block | None:
    """An ``admin:`` prompt line: ``show ipsec information`` starts a block, others are noted."""
    words = s[len("admin:"):].split()
    if [w.lower() for w in words[:3]] != ["show", "ipsec", "information"]:
        parsed.notes.append(Note(n, "info", "CLI prompt line without show ipsec "
                                 "information ignored"))
        return current
    scan.prompt = True
    block = Block(line=n, description=description or "")
    if len(words) >= 5:
        block.command = (words[3], words[4])
    scan.blocks.append(block)
    return block


def select_table(scan: Scan, parsed: Parsed, default: ValueTable) -> ValueTable:
    """The table the text names (``# value table:``, else ``# release:``/``FIPS mode:``), else
    ``default``; an unknown name is a warning, so editing that line re-audits a sheet."""
    line = scan.table_line
    if scan.table is not None:
        if scan.table in TABLES:
            return TABLES[scan.table]
        parsed.notes.append(Note(line, "warning", f"unknown value table '{scan.table[:20]}'; "
                                 f"checked against '{default.key}' (tables: "
                                 f"{', '.join(TABLES)})"))
        return default
    if scan.release is not None or scan.fips is not None:
        major = scan.release if scan.release is not None else 12
        key, warning = table_for_release(major, bool(scan.fips))
        if warning:
            parsed.notes.append(Note(line, "warning", warning))
        return TABLES[key]
    return default


def inherit(blocks: list[Block], parsed: Parsed) -> list[Block]:
    """Blocks with a '...' line take their missing fields from the block above."""
    for i, block in enumerate(blocks):
        if block.inherit_line is None:
            continue
        if i == 0:
            parsed.notes.append(Note(block.inherit_line, "info", "'...': elided lines "
                                     "(missing fields get assumed values)"))
            continue
        for key, value in blocks[i - 1].fields.items():
            block.fields.setdefault(key, value)
        parsed.notes.append(Note(block.inherit_line, "info", "'...': the remaining fields "
                                 "are taken from the policy above"))
    return blocks
