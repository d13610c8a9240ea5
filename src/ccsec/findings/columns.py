"""Tables that fit the terminal without cutting what must stay whole.

rich shrinks a table that is wider than the terminal by cutting cells (``10.10.1.…``,
``p2-rgr-a-…``): the one thing an operator must never get is half an address.  Here each column
says whether its cells are *atomic* (ids, addresses, file:line — never broken inside a word) or
*text* (wraps at spaces), and how readily it may be left out.  When the table does not fit, the
most expendable columns are left out, one at a time, and the caption names them; ``--wide``
keeps every column and lets the terminal wrap the lines.  Every command that prints a table
builds it here, so the rule is the same everywhere.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ccsec.errors import shown

#: what may not reach a terminal from a file's text: C0 controls but newline and tab (ESC
#: sequences could move the cursor, retitle the window…), DEL, C1, bidi overrides
_TERMINAL_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e"
                              "\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """``text`` with every character that may not reach a terminal made a visible escape."""
    return _TERMINAL_UNSAFE.sub(lambda m: shown(m.group(), None), text)


def literal(text: str) -> str:
    """Text shown through rich markup as it is: markup escaped, control characters made
    visible (labels and cells name files, devices and log lines)."""
    return escape(terminal_safe(text))


#: rich's default box: a border and a space each side of every cell, a line between columns
_PER_COLUMN = 3
_EDGE = 1
#: a text column never asks for more than this much room for its longest word
_TEXT_MIN = 32
#: width used when every column is kept (``--wide``): lines as long as the table needs
_UNBOUNDED = 100_000


@dataclass(frozen=True)
class Column:
    """One column: its header, whether its cells are atomic, and how expendable it is
    (``drop`` 0 = always shown; higher numbers are left out first)."""

    header: str
    atomic: bool = False
    drop: int = 0
    justify: str = "left"


def _longest_word(text: str) -> int:
    return max((len(w) for w in text.split()), default=0)


def _longest_line(text: str) -> int:
    return max((len(line) for line in text.splitlines()), default=0)


def _need(col: Column, cells: Sequence[str]) -> int:
    """The narrowest the column can be without breaking a word (atomic: a line)."""
    head = _longest_word(col.header)
    if col.atomic:
        return max([head, *(_longest_line(c) for c in cells)])
    return max([head, *(min(_longest_word(c), _TEXT_MIN) for c in cells)])


def _plain(cell: str) -> str:
    """The cell as displayed (rich markup such as ``[red]…[/]`` takes no room)."""
    from rich.text import Text

    return Text.from_markup(cell).plain if "[" in cell else cell


def _natural(col: Column, cells: Sequence[str]) -> int:
    """The width the column would take with room to spare (its longest line)."""
    return max([len(col.header), *(_longest_line(c) for c in cells)])


def _share(width: int, needs: list[int], naturals: list[int]) -> list[int | None]:
    """Column widths that add up to at most ``width``: each column its need, then the room
    left shared out in proportion to how much more each would take (rich's own shrinking
    cuts atomic cells and overshoots when minimum widths are set, so ccsec decides)."""
    room = width - sum(needs) - _PER_COLUMN * len(needs) - _EDGE
    wants = [max(0, n - m) for n, m in zip(naturals, needs, strict=True)]
    if room <= 0 or not any(wants):
        return [max(m, 1) for m in needs]
    total = sum(wants)
    extra = [min(w, room * w // total) for w in wants]
    return [m + e for m, e in zip(needs, extra, strict=True)]


@dataclass
class Fitted:
    """A table ready to print and the headers left out to make it fit."""

    table: Table
    hidden: list[str]
    #: lay the table out at its natural width (``--wide``, or no terminal to fit)
    unbounded: bool
    #: plain text for a file or pipe: (title, headers, rows of cells), None on a terminal
    plain: tuple[str, list[str], list[list[str]]] | None = None

    def print(self, console: Console) -> None:
        if self.plain is not None:
            console.file.write(plain_table(*self.plain))
            console.file.flush()
            return
        if not self.unbounded:
            console.print(self.table)
            return
        # rich never prints wider than the console: widen it for this table only
        wanted = console.measure(self.table, options=console.options.update_width(_UNBOUNDED))
        saved = console.width
        console.width = max(saved, wanted.maximum)
        try:
            console.print(self.table)
        finally:
            console.width = saved


def fit(columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int | None,
        wide: bool = False, **table_args: Any) -> Fitted:
    """A rich table of ``rows`` that fits ``width`` (None: no limit) by leaving out the most
    expendable columns; with ``wide`` every column is kept."""
    keep = list(range(len(columns)))
    needs = [_need(c, [_plain(r[i]) for r in rows]) for i, c in enumerate(columns)]
    hidden: list[str] = []
    if width is not None and not wide:
        def total() -> int:
            return sum(needs[i] for i in keep) + _PER_COLUMN * len(keep) + _EDGE

        while total() > width:
            expendable = [i for i in keep if columns[i].drop > 0]
            if not expendable:
                break
            out = max(expendable, key=lambda i: (columns[i].drop, i))
            keep.remove(out)
            hidden.append(columns[out].header)
        if total() > width:
            # what must stay whole is wider than the terminal even alone: lines as long as
            # the table needs (the terminal wraps them) rather than cut ids or addresses
            wide = True
    if hidden:
        note = (f"left out to fit {width} columns: {', '.join(hidden)} "
                "(ccsec --wide COMMAND shows every column)")
        table_args["caption"] = (f"{table_args['caption']}; {note}"
                                 if table_args.get("caption") else note)
    widths = _share(width, [needs[i] for i in keep],
                    [_natural(columns[i], [_plain(r[i]) for r in rows]) for i in keep]) \
        if width is not None and not wide else [None] * len(keep)
    table = Table(**table_args)
    for i, w in zip(keep, widths, strict=True):
        c = columns[i]
        table.add_column(c.header, justify=c.justify,  # type: ignore[arg-type]
                         no_wrap=c.atomic, width=w, overflow="fold")
    if width is None:  # a file or pipe: plain columns, no box (and no rich layout cost)
        title = str(table_args.get("title") or "")
        plain_rows = [[" ".join(_plain(r[i]).split("\n")) for i in keep] for r in rows]
        return Fitted(table, hidden, True, (title, [columns[i].header for i in keep],
                                            plain_rows))
    for r in rows:
        table.add_row(*(r[i] for i in keep))
    return Fitted(table, hidden, wide or width is None)


def plain_table(title: str, headers: list[str], rows: list[list[str]]) -> str:
    """Columns padded to their widest cell, two spaces apart (as the README shows them):
    what ``grep``/``awk`` read well, written without rich's layout (28,000 path rows would
    take rich seconds)."""
    widths = [max([len(h), *(len(r[k]) for r in rows)]) for k, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    out = [title] if title else []
    out.append(line(headers))
    out += [line(r) for r in rows]
    return "\n".join(out) + "\n"


def terminal_width(console: Console) -> int | None:
    """The width to fit: the terminal's (or ``COLUMNS``), or None when the output goes to a
    file or pipe — those get every column, uncut (scripts should use ``--json``)."""
    return console.width if console.is_terminal or "COLUMNS" in os.environ else None


def print_literal(console: Console, columns: Sequence[Column], rows: Sequence[Sequence[str]],
                  title: str, wide: bool) -> None:
    """A table of text from files and daemons (log lines, host and connection names), every
    cell and the title shown literally (:func:`literal`), fitted to ``console``."""
    cells = [[literal(c) for c in r] for r in rows]
    fit(columns, cells, terminal_width(console), wide, title=literal(title)).print(console)
