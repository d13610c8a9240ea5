"""The format registry: every format ccsec renders and parses, keyed by name.

Modules are imported on first use so that a command touching one format does not pay for the
others.  ``DEFAULTS`` says which formats an end gets when the user does not pick: Windows hosts
both Windows formats (the legacy netsh one only where it can express the profile), CUCM nodes
the CUCM sheet, Linux hosts and strongSwan gateways swanctl.conf, IOS gateways IOS.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from ccsec.errors import Problem, UserError

if TYPE_CHECKING:
    from ccsec.formats.base import Format

_MODULES: dict[str, str] = {
    "windows-powershell": "ccsec.formats.windows.powershell",
    "windows-netsh": "ccsec.formats.windows.netsh",
    "cucm": "ccsec.formats.cucm.render",
    "ios": "ccsec.formats.ios.render",
    "strongswan": "ccsec.formats.strongswan.swanctl",
}

DEFAULTS: dict[str, tuple[str, ...]] = {
    "windows": ("windows-powershell", "windows-netsh"),
    "cucm": ("cucm",),
    "linux": ("strongswan",),
    "strongswan": ("strongswan",),
    "ios": ("ios",),
}

#: default formats that are skipped (with a note) when they cannot express a policy
BEST_EFFORT = frozenset({"windows-netsh"})


def names() -> list[str]:
    return list(_MODULES)


def get(name: str) -> Format:
    if name not in _MODULES:
        raise UserError(Problem(f"unknown format '{name}'", field="--format",
                                fix=f"use one of: {', '.join(_MODULES)}"))
    return import_module(_MODULES[name]).FORMAT  # type: ignore[no-any-return]


def defaults_for(platform: str | None) -> tuple[str, ...]:
    return DEFAULTS.get(platform or "", ())
