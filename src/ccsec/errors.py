"""Errors a user can cause, and how they are shown.

Every error a user can provoke (a bad deployment file, an unreadable config, a format that cannot
express a policy) is a :class:`UserError`.  The CLI prints ``str(error)`` — one line per problem,
naming file, line and field and saying how to fix it — and exits 2, without a traceback.
Programming errors are *not* UserErrors and keep their tracebacks.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One located problem: ``file:line: field: message — fix``."""

    message: str
    file: str | None = None
    line: int | None = None
    field: str | None = None
    fix: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file if self.line is None else f"{self.file}:{self.line}"
            where += ": "
        field = f"{self.field}: " if self.field else ""
        fix = f" — fix: {self.fix}" if self.fix else ""
        return f"{where}{field}{self.message}{fix}"


class UserError(Exception):
    """Base class for errors caused by input; shown without traceback, exit code 2."""

    exit_code = 2

    def __init__(self, problems: list[Problem] | Problem | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class DeploymentError(UserError):
    """The deployment file is malformed or inconsistent."""


class PlanError(UserError):
    """The deployment is valid but no policy can be planned for it (e.g. no common proposal)."""


class UnsupportedError(UserError):
    """A format cannot express something the policy needs (Kerberos on IOS, a quote in netsh…)."""


class ParseError(UserError):
    """A configuration file could not be read as the format it claims to be."""


class SecretError(UserError):
    """A secret reference could not be resolved (unset variable, unreadable file)."""
