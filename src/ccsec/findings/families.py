"""Where the rule catalog's families live: one table, read by the audit engine and by
``ccsec rules``.

A family is a module of rules (``ccsec.checks.*``, plus the waiver rule of
:mod:`ccsec.audit.waivers`).  The audit families also define ``check(ctx)``; the audit engine
loads them by name from :data:`AUDIT_FAMILIES` (a plugin table in the manner of Aerleon's
generator table), so the engine never imports the checks and the checks depend only on the
audit model and context below them.  ``tests/test_layering.py`` holds the families to that.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

#: the families that judge configurations (each module has ``check(ctx)``; ``ccsec audit``)
AUDIT_FAMILIES: tuple[str, ...] = (
    "ccsec.checks.crypto",
    "ccsec.checks.auth",
    "ccsec.checks.ike",
    "ccsec.checks.fallback",
    "ccsec.checks.nat",
    "ccsec.checks.ops",
    "ccsec.checks.coverage",
    "ccsec.checks.peers",
)
#: the audit families that read what coverage finds (``ctx.coverage``, ``ctx.weaker``, the
#: path of each session): they run after it; the others may run beside it
#: (``tests/ux/test_ux_workers.py`` checks that no other family reads those)
AFTER_COVERAGE: frozenset[str] = frozenset({"ccsec.checks.coverage", "ccsec.checks.peers"})
#: the families of the operations commands (logs, perf, posture, phones)
OPS_FAMILIES: tuple[str, ...] = (
    "ccsec.checks.logs",
    "ccsec.checks.perf",
    "ccsec.checks.posture",
    "ccsec.checks.phones",
)
#: the family of ``ccsec probe`` (a live gateway's answers; no ``check``: the probe judges)
PROBE_FAMILIES: tuple[str, ...] = ("ccsec.checks.probe",)
#: every family module, in catalog order
FAMILIES: tuple[str, ...] = (*OPS_FAMILIES, *AUDIT_FAMILIES, *PROBE_FAMILIES,
                             "ccsec.audit.waivers")


def load(names: tuple[str, ...]) -> list[ModuleType]:
    """The family modules named (importing one registers its rules in the catalog)."""
    return [import_module(name) for name in names]


def load_all() -> None:
    """Register every rule (``ccsec rules``, ``ccsec explain``, SARIF rule descriptors)."""
    load(FAMILIES)
