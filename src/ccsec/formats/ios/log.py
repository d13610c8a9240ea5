"""What the import passes tell the user as they go: notes with their line, where each rule's
parts were read (``Parsed.locations``), and references to objects the config never defines.

One :class:`Log` is shared by the read, bind and build passes, so notes keep the order in
which the import met them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from ccsec.formats.base import Note, Parsed, plain_reason
from ccsec.formats.facts import IosDangling
from ccsec.formats.ios.tree import NAVIGATION, Node, placeholder

Severity = Literal["info", "warning"]


class Log:
    def __init__(self, parsed: Parsed) -> None:
        self.notes = parsed.notes
        self.locations = parsed.locations
        self.dangling_refs: list[IosDangling] = []
        #: lines already reported as holding a placeholder (one note per line)
        self.placeholder_lines: set[int] = set()

    def note(self, line: int | None, message: str, severity: Severity = "info") -> None:
        self.notes.append(Note(line, severity, message))

    def unread(self, node: Node, exc: Exception | None = None) -> None:
        """A line the importer does not read: a placeholder (noted once per line) or not
        understood (with the reason when there is one)."""
        ph = placeholder(node.text)
        if ph:
            if node.line not in self.placeholder_lines:
                self.placeholder_lines.add(node.line)
                self.note(node.line, f"placeholder {ph} not read: {node.text}")
        else:
            why = f" ({plain_reason(exc)})" if isinstance(exc, ValueError) and str(exc) else ""
            self.note(node.line, f"line not read{why}: {node.text}")

    def each(self, nodes: list[Node], handler: Callable[[Node, list[str]], bool | None]) -> None:
        """Run ``handler`` on every line; a line it rejects (False) or chokes on becomes a
        note.  None means read (or deliberately skipped)."""
        for node in nodes:
            if node.text.strip().lower() in NAVIGATION:
                continue  # pasted CLI: leaving a sub-mode is not configuration
            try:
                known = handler(node, node.text.split())
            except (ValueError, IndexError, KeyError) as exc:
                self.unread(node, exc)
                continue
            if known is False:
                self.unread(node)

    def dangling(self, kind: str, name: str, line: int) -> None:
        self.dangling_refs.append(IosDangling(kind, name, line))
        self.note(line, f"{kind} {name} is referenced but not defined", "warning")
