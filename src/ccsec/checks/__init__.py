"""The rule catalog: one module per family, each rule a small function with metadata.

``load_all()`` imports every family so the catalog is complete (``ccsec rules``); commands that
only need one family import it directly.
"""

from __future__ import annotations

from importlib import import_module

from ccsec.checks.model import CATALOG, CheckRule, Finding, Location, Severity, finding, rule

#: every check family module; one line each
FAMILIES: tuple[str, ...] = ()


def load_all() -> None:
    for name in FAMILIES:
        import_module(name)


__all__ = ["CATALOG", "FAMILIES", "CheckRule", "Finding", "Location", "Severity", "finding",
           "load_all", "rule"]
