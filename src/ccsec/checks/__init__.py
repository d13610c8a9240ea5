"""The rule catalog: one module per family, each rule a small function with metadata.

``load_all()`` imports every family so the catalog is complete (``ccsec rules``); commands that
only need one family import it directly.
"""

from __future__ import annotations

from importlib import import_module

from ccsec.checks.model import CATALOG, CheckRule, Finding, Location, Severity, finding, rule

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
#: the families of the operations commands (logs, perf, posture, phones)
OPS_FAMILIES: tuple[str, ...] = (
    "ccsec.checks.logs",
    "ccsec.checks.perf",
    "ccsec.checks.posture",
    "ccsec.checks.phones",
)
#: every check family module, in catalog order
FAMILIES: tuple[str, ...] = (*OPS_FAMILIES, *AUDIT_FAMILIES, "ccsec.audit.waivers")


def load_all() -> None:
    for name in FAMILIES:
        import_module(name)


__all__ = ["AUDIT_FAMILIES", "CATALOG", "FAMILIES", "OPS_FAMILIES", "CheckRule", "Finding",
           "Location", "Severity", "finding", "load_all", "rule"]
