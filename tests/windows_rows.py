"""The rows of a Windows format's support tables, and which of them refuse a policy.

Item rows sit inside a group row (``ike-proposal``, ``esp-proposal``, ``auth-method``); they are
named ``<group>/<row>`` here so a test can ask that every row, nested or not, has a case.
"""

from __future__ import annotations

from ccsec.formats.windows.tables import ItemGroup, WindowsFormat
from ccsec.policy import EndPolicy


def row_ids(fmt: WindowsFormat) -> list[str]:
    """Every row id of ``fmt``'s tables, in the order reasons are reported."""
    out = [row.id for row in (*fmt.END_REFUSALS, *fmt.RULE_IN_END_REFUSALS)]
    for row in fmt.REFUSALS:
        if isinstance(row, ItemGroup):
            out += [f"{row.id}/{sub.id}" for sub in row.rows]
        else:
            out.append(row.id)
    return out + [row.id for row in fmt.LATE_END_REFUSALS]


def fired(fmt: WindowsFormat, end: EndPolicy) -> set[str]:
    """The ids of the rows that refuse ``end``."""
    out = {row.id for row in (*fmt.END_REFUSALS, *fmt.LATE_END_REFUSALS) if row.messages(end)}
    out |= {row.id for row in fmt.RULE_IN_END_REFUSALS if any(row.messages(end))}
    for rule in end.rules:
        for row in fmt.REFUSALS:
            if isinstance(row, ItemGroup):
                out |= {f"{row.id}/{sub.id}" for item in row.items(rule) for sub in row.rows
                        if sub.messages(rule, item)}
            elif row.messages(rule):
                out.add(row.id)
    return out
