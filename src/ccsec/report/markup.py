"""The few pieces of markup every section of the report uses: escaping, tables, badges.

:func:`esc` is the only way a string from outside (deployment, configurations, lab JSON) gets
into the page.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape


def esc(value: object) -> str:
    """Escape anything for HTML text and double- or single-quoted attributes."""
    return escape("" if value is None else str(value), quote=True)


def table(cols: Iterable[tuple[str, str]], rows: Iterable[str], cls: str = "",
           table_id: str = "") -> str:
    """A table; ``cols`` are (label, sort type: text | num | sev | '')."""
    head = "".join(
        f'<th scope="col" data-sort="{esc(kind)}">{esc(label)}</th>' if kind
        else f'<th scope="col">{esc(label)}</th>' for label, kind in cols)
    ident = f' id="{esc(table_id)}"' if table_id else ""
    return (f'<div class="table-wrap"><table class="{esc(cls)}"{ident}><thead><tr>{head}</tr>'
            f"</thead><tbody>{''.join(rows)}</tbody></table></div>")


def badge(status: str, text: str | None = None) -> str:
    return f'<span class="badge s-{esc(status)}">{esc(text or status)}</span>'


def proof_badge(proof: str) -> str:
    if proof == "lab":
        return '<span class="proof proof-lab">lab-proven</span>'
    return '<span class="proof proof-syntax">syntax only</span>'
