"""Which strongSwan release a swanctl.conf is written for, and what that release can load.

A file ccsec writes must load on the oldest strongSwan the deployment runs (the target:
``strongswan_version`` in the deployment file, ``ccsec render --strongswan-version``, default
:data:`ccsec.crypto.STRONGSWAN_DEFAULT`).  Keys that only later releases know are not written
for an older target — charon refuses a whole file over one unknown value — and the header of
every file states the release it needs.  One row per such key, with where its release is
documented.
"""

from __future__ import annotations

from dataclasses import dataclass

from ccsec.crypto import STRONGSWAN_OLDEST, strongswan_target, version_tuple

Version = tuple[int, int, int]


@dataclass(frozen=True)
class Feature:
    """A swanctl.conf value that exists from ``since`` on."""

    key: str
    since: Version
    source: str


#: ``start_action = trap|start``: trap policies installed and the SA initiated at once (before,
#: ``start`` alone leaves traffic in clear text until the SA is up, ``trap`` waits for the
#: first packet).  strongSwan NEWS for 5.9.6: "Immediately initiating a CHILD_SA with trap
#: policies is now possible via start_action=trap|start"
TRAP_START = Feature("start_action = trap|start", (5, 9, 6), "strongSwan 5.9.6 NEWS")

FEATURES: tuple[Feature, ...] = (TRAP_START,)


def release(version: Version) -> str:
    return ".".join(str(n) for n in version)


@dataclass(frozen=True)
class Target:
    """The release a file is written for."""

    version: Version

    @classmethod
    def of(cls, release: str | None) -> Target:
        """``release`` (None: the default) as a target; older than ccsec writes for is a
        :class:`ValueError`."""
        return cls(strongswan_target(release))

    def has(self, feature: Feature) -> bool:
        return self.version >= feature.since

    def needs(self, used: list[Feature]) -> Version:
        """The oldest release that loads a file using ``used``."""
        return max([version_tuple(STRONGSWAN_OLDEST), *(f.since for f in used)])
