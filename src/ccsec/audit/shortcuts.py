"""The audit's shortcuts, and the switch that turns them off.

At 1,000 sites the audit asks the same questions thousands of times: two rules carrying the
same two proposal lists, the plan for the same pair of platforms, the findings of the same
proposal.  The shortcuts answer each from a table keyed on exactly what the answer depends on
(values, never names: a message that names an end is built from the cached, name-free part).
Every table lives for one call (an audit, one check family's pass), so the audit stays a pure
function of its inputs.

:data:`FAST` off takes the long way everywhere; ``tests/ux/test_ux_speed_audit.py`` audits
the same inputs both ways and requires identical results.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

#: take the shortcuts (False: compute every answer the long way, for the equality tests)
FAST = True


@contextmanager
def long_way() -> Iterator[None]:
    """Every shortcut off inside the block."""
    global FAST
    was, FAST = FAST, False
    try:
        yield
    finally:
        FAST = was
