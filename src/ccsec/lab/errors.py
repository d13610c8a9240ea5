"""Errors the lab raises: all are user-facing (exit 2, one line, with a fix)."""

from __future__ import annotations

from ccsec.errors import Problem, UserError


class LabError(UserError):
    """The lab could not be built, driven or torn down (missing tool, daemon did not start…)."""


def lab_error(message: str, fix: str | None = None, field: str | None = None) -> LabError:
    return LabError(Problem(message, field=field, fix=fix))
