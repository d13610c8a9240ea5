"""YAML → :class:`Deployment`, with every error located at ``file:line`` and a field path.

ruamel.yaml's round-trip loader keeps the line of every key and list item; we walk the document
once to record them, validate with pydantic and the cross-field rules, and translate each error's
location (a path such as ``('hosts', 3, 'public')``) back to a line.  Errors never echo the value
of a ``psk`` field.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from ccsec.deployment.model import Deployment
from ccsec.deployment.validate import Check, Issue, Loc, validate
from ccsec.errors import DeploymentError, Problem
from ccsec.gcpause import gc_paused

_CLoader: type[Any] | None
try:  # libyaml through ruamel (optional): ~6x faster than the pure-Python loaders
    from ruamel.yaml.cyaml import CSafeLoader as _CLoader
except ImportError:  # pragma: no cover - depends on the installed extras
    _CLoader = None

SECRET_FIELDS = {"psk"}


class LineMap:
    """Line numbers (1-based) of every key and item of a ruamel document, by path."""

    def __init__(self, doc: Any) -> None:
        self.lines: dict[Loc, int] = {}
        self.names: dict[Loc, str] = {}
        self._walk(doc, ())

    def _walk(self, node: Any, loc: Loc) -> None:
        if isinstance(node, CommentedMap):
            if loc not in self.lines:
                self.lines[loc] = node.lc.line + 1
            name = node.get("name")
            if isinstance(name, str):
                self.names[loc] = name
            for key, value in node.items():
                child = (*loc, str(key))
                try:
                    self.lines[child] = node.lc.key(key)[0] + 1
                except (KeyError, TypeError):
                    self.lines[child] = node.lc.line + 1
                self._walk(value, child)
        elif isinstance(node, CommentedSeq):
            if loc not in self.lines:
                self.lines[loc] = node.lc.line + 1
            for i, value in enumerate(node):
                child = (*loc, i)
                try:
                    self.lines[child] = node.lc.item(i)[0] + 1
                except (KeyError, TypeError):
                    self.lines[child] = node.lc.line + 1
                self._walk(value, child)

    def line(self, loc: Loc) -> int:
        for n in range(len(loc), -1, -1):
            if loc[:n] in self.lines:
                return self.lines[loc[:n]]
        return 1

    def field(self, loc: Loc) -> str:
        """``hosts[rgr-a].public`` — list items named by their ``name`` where they have one."""
        out = ""
        for n, part in enumerate(loc):
            if isinstance(part, int):
                name = self.names.get(loc[: n + 1])
                out += f"[{name}]" if name else f"[{part}]"
            else:
                out += ("." if out else "") + part
        return out or "(document)"


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _pydantic_message(err: ErrorDetails, secret: bool) -> tuple[str, str]:
    kind = err["type"]
    value = "<redacted>" if secret else repr(err.get("input"))
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
    msg = err["msg"]
    return (f"{msg} (got {value})" if not secret and "input" in err else msg), "see `ccsec schema`"


def _problems_from_validation(exc: ValidationError, lines: LineMap, file: str) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc: Loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
        secret = any(p in SECRET_FIELDS for p in loc if isinstance(p, str))
        message, fix = _pydantic_message(err, secret)
        problems.append(Problem(message, file, lines.line(loc), lines.field(loc), fix))
    return problems


def _problems_from_issues(issues: list[Issue], lines: LineMap, file: str) -> list[Problem]:
    return [Problem(i.message, file, lines.line(i.loc), lines.field(i.loc), i.fix) for i in issues]


def _fast_data(text: str) -> Any:
    """The document as plain data through the fastest loader at hand, or None to use the
    line-tracking one.

    The round-trip loader (pure Python, comments and line numbers kept) takes ~5 s for a
    1,000-site file; its line numbers are only needed to report errors.  So a document is
    first read by ruamel's libyaml-based loader (``ruamel.yaml.clibz``, when installed) or
    its pure safe loader — both YAML 1.2 with the same resolver rules — and any hint of
    trouble (a ``%YAML`` directive that could change the rules, a load error, a validation
    error) falls back to the round-trip path, which produces exactly the errors it always
    did.
    """
    if "%YAML" in text:
        return None
    try:
        if _CLoader is not None:
            loader = _CLoader(text)
            try:
                return loader.get_single_data()
            finally:
                loader.dispose()
        return YAML(typ="safe", pure=True).load(text)
    except Exception:  # any failure: the round-trip loader reports it with its line
        return None


def _fast(text: str, checks: Sequence[Check] = ()) -> Deployment | None:
    """A deployment from a clean document, or None when there is anything to report."""
    data = _fast_data(text)
    if not isinstance(data, dict):
        return None
    try:
        dep = Deployment.model_validate(_plain(data))
    except ValidationError:
        return None
    return None if validate(dep, checks) else dep


@gc_paused
def loads(text: str, file: str = "<deployment>", checks: Sequence[Check] = ()) -> Deployment:
    """Parse and validate a deployment document; raise :class:`DeploymentError` on any problem.

    ``checks`` are rules of later layers (``ccsec.paths.DEPLOYMENT_CHECKS``) that are reported
    at their line like the loader's own."""
    dep = _fast(text, checks)
    if dep is not None:
        return dep
    yaml = YAML(typ="rt")
    try:
        doc = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise DeploymentError(
            Problem(f"not valid YAML: {exc.problem or exc.context}", file, line,
                    fix="check indentation, colons and quotes on this line")
        ) from None
    except YAMLError as exc:
        raise DeploymentError(Problem(f"not valid YAML: {exc}", file, 1)) from None
    if not isinstance(doc, CommentedMap):
        raise DeploymentError(
            Problem("the deployment file must be a YAML mapping (deployment:, sites:, hosts: …)",
                    file, 1, fix="start from `ccsec init` or the README example")
        )
    lines = LineMap(doc)
    try:
        dep = Deployment.model_validate(_plain(doc))
    except ValidationError as exc:
        raise DeploymentError(_problems_from_validation(exc, lines, file)) from None
    issues = validate(dep, checks)
    if issues:
        raise DeploymentError(_problems_from_issues(issues, lines, file))
    return dep


def load(path: str | Path, checks: Sequence[Check] = ()) -> Deployment:
    """Read a deployment file from disk."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DeploymentError(Problem("file not found", str(p),
                                      fix="give the path of a deployment YAML file")) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DeploymentError(Problem(f"cannot read file: {exc}", str(p))) from None
    return loads(text, str(p), checks)
