"""YAML → :class:`Deployment`, with every error located at ``file:line`` and a field path.

The document is composed once by :mod:`ccsec.yamlsafe` (libyaml events, bounded aliases and
depth, the line of every key and list item recorded on the way), validated with pydantic and
the cross-field rules, and each error's location (a path such as ``('hosts', 3, 'public')``) is
translated back to its line.  Errors never echo the value of a ``psk`` field, and echo other
values only escaped and cut (:func:`ccsec.errors.shown`).

The file itself is read bounded (:data:`MAX_BYTES`), as strict UTF-8, and only when it is a
regular file.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from ccsec.deployment.model import Deployment
from ccsec.deployment.validate import Check, Issue, Loc, validate
from ccsec.errors import DeploymentError, Problem, shown, shown_repr
from ccsec.gcpause import gc_paused
from ccsec.textio import decode_utf8, read_bytes
from ccsec.yamlsafe import Document, compose

SECRET_FIELDS = {"psk"}
#: a deployment of 30,000 sites (synth's maximum) is ~40 MB
MAX_BYTES = 64 * 1024 * 1024


def _pydantic_message(err: ErrorDetails, secret: bool) -> tuple[str, str]:
    kind = err["type"]
    raw = err.get("input")
    value = "<redacted>" if secret else \
        shown_repr(raw, 60) if isinstance(raw, str) else shown(repr(raw), 60)
    if kind == "missing":
        return "required field is missing", "add it (see `ccsec schema`)"
    if kind == "extra_forbidden":
        return "unknown field", "remove it or fix its spelling (see `ccsec schema`)"
    if kind in ("enum", "literal_error"):
        expected = err.get("ctx", {}).get("expected", "")
        return f"unknown value {value}", f"use one of {expected}"
    if kind == "string_pattern_mismatch":
        if secret:
            return ("a pre-shared key must be a reference, never the key itself",
                    "write psk: env:NAME or psk: file:PATH")
        return f"invalid value {value}", "names are hostname labels: letters, digits, hyphens"
    if kind.startswith("ip_v4") or kind in ("ip_any_address", "ip_any_network"):
        return f"{value} is not a valid IPv4 {'network' if 'network' in kind else 'address'}", (
            "write a dotted quad (10.1.1.10) or a prefix (10.1.0.0/16) with no host bits set"
        )
    if kind == "value_error":
        # the model's own validators: their message says what is wrong and how to fix it
        msg = str(err.get("ctx", {}).get("error", err["msg"]))
        what, _, fix = msg.partition(" — fix: ")
        return what, fix or "see `ccsec schema`"
    msg = err["msg"]
    return (f"{msg} (got {value})" if not secret and "input" in err else msg), "see `ccsec schema`"


def _problems_from_validation(exc: ValidationError, doc: Document, file: str) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc: Loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
        secret = any(p in SECRET_FIELDS for p in loc if isinstance(p, str))
        message, fix = _pydantic_message(err, secret)
        problems.append(Problem(message, file, doc.line(loc), doc.field(loc), fix))
    return problems


def _problems_from_issues(issues: list[Issue], doc: Document, file: str) -> list[Problem]:
    return [Problem(i.message, file, doc.line(i.loc), doc.field(i.loc), i.fix) for i in issues]


@gc_paused
def loads(text: str, file: str = "<deployment>", checks: Sequence[Check] = ()) -> Deployment:
    """Parse and validate a deployment document; raise :class:`DeploymentError` on any problem.

    ``checks`` are rules of later layers (``ccsec.paths.DEPLOYMENT_CHECKS``) that are reported
    at their line like the loader's own."""
    doc = compose(text, file, DeploymentError)
    if not isinstance(doc.data, dict):
        raise DeploymentError(
            Problem("the deployment file must be a YAML mapping (deployment:, sites:, hosts: …)",
                    file, 1, fix="start from `ccsec init` or the README example")
        )
    try:
        dep = Deployment.model_validate(doc.data)
    except ValidationError as exc:
        raise DeploymentError(_problems_from_validation(exc, doc, file)) from None
    issues = validate(dep, checks)
    if issues:
        raise DeploymentError(_problems_from_issues(issues, doc, file))
    return dep


def load(path: str | Path, checks: Sequence[Check] = ()) -> Deployment:
    """Read a deployment file from disk."""
    p = Path(path)
    if not p.exists() and not p.is_symlink():
        raise DeploymentError(Problem("file not found", str(p),
                                      fix="give the path of a deployment YAML file"))
    data = read_bytes(p, MAX_BYTES, DeploymentError)
    return loads(decode_utf8(data, str(p), DeploymentError), str(p), checks)
