"""Shell completion of option values (``ccsec --install-completion`` installs it): formats,
profiles, severities, rule families and ids, logging targets.  Subcommands and option names
are completed by typer itself; these add the values, so ``--format <TAB>`` offers the formats
ccsec renders rather than nothing.

Each completer takes what the user typed so far and returns the candidates that start with it.
They import lazily: completion runs the CLI on every key press.
"""

from __future__ import annotations

from collections.abc import Iterable

SEVERITIES = ("critical", "high", "medium", "low", "info")


def _starting(candidates: Iterable[str], incomplete: str) -> list[str]:
    return [c for c in candidates if c.startswith(incomplete)]


def complete_render_format(incomplete: str) -> list[str]:
    from ccsec.formats.registry import names

    return _starting([*names(), "all"], incomplete)


def complete_profile(incomplete: str) -> list[str]:
    from ccsec.crypto import PROFILES

    return _starting(PROFILES, incomplete)


def complete_severity(incomplete: str) -> list[str]:
    return _starting(SEVERITIES, incomplete)


def complete_audit_format(incomplete: str) -> list[str]:
    return _starting(("text", "json", "sarif"), incomplete)


def complete_family(incomplete: str) -> list[str]:
    from ccsec.findings.families import load_all
    from ccsec.findings.model import CATALOG

    load_all()
    return _starting(sorted({r.family for r in CATALOG.all()}), incomplete)


def complete_rule_id(incomplete: str) -> list[str]:
    from ccsec.findings.families import load_all
    from ccsec.findings.model import CATALOG

    load_all()
    return _starting([r.id for r in CATALOG.all()], incomplete.upper())


def complete_logging_target(incomplete: str) -> list[str]:
    from ccsec.monitor.logscripts import TARGETS

    return _starting(TARGETS, incomplete)
