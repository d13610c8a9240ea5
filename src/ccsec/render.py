"""PolicySet → one file per end and format, plus ``index.json``; all in memory before any write.

Every problem (an unset key variable, a format that cannot express a policy) is found before
the first byte is written, so a failed render leaves the output directory as it was.
``index.json`` lists every file with its proof level and never holds a key: files that contain
one are hashed with the key redacted.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from ccsec import __version__
from ccsec.errors import Problem, UnsupportedError, UserError
from ccsec.fileio import MARKER, OutFile
from ccsec.formats import registry
from ccsec.formats.base import RenderContext
from ccsec.gcpause import gc_paused
from ccsec.policy import EndPolicy, PolicySet
from ccsec.secrets import REDACTED

PROOF = {
    "lab": "run on real strongSwan (charon, kernel-libipsec) in network namespaces by "
    "`ccsec lab run`: SAs established, traffic flowed, zero clear-text packets on the WAN",
    "syntax": "pinned to the platform's documented syntax (golden files, round-trip parse); "
    "not executed on the platform here",
}


@dataclass(frozen=True)
class Rendered:
    end: str
    format: str
    path: str
    text: str
    secret: bool
    proof: str


@dataclass(frozen=True)
class Skipped:
    end: str
    format: str
    reason: str


@dataclass
class RenderResult:
    files: list[Rendered] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def _holds_secret(end: EndPolicy) -> bool:
    return any(a.method == "psk" for r in end.rules for a in r.auth)


def _secret_values(end: EndPolicy, ctx: RenderContext) -> list[str]:
    out = []
    for r in end.rules:
        for a in r.auth:
            if a.method == "psk" and a.psk is not None:
                resolved = ctx.resolve(a.psk)
                if resolved is not None and resolved.value is not None:
                    out.append(resolved.reveal())
    return out


def choose(end: EndPolicy, requested: list[str] | None) -> list[tuple[str, bool]]:
    """(format, required) pairs for one end. Defaults are required except best-effort ones;
    a requested format outside the end's defaults is a widening and only rendered if it fits."""
    defaults = registry.defaults_for(end.platform)
    if not requested:
        return [(f, not registry.best_effort(f)) for f in defaults]
    return [(f, f in defaults) for f in requested]


@gc_paused
def render_policy_set(ps: PolicySet, ctx: RenderContext, requested: list[str] | None = None,
                      on_end: Callable[[str], None] | None = None) -> RenderResult:
    """Every end in its formats; all ends' problems are collected before one error is raised,
    so nothing is written unless everything renders.  ``on_end(owner)`` follows progress."""
    for name in requested or []:
        registry.get(name)  # unknown names fail before any work
    result = RenderResult()
    problems: list[Problem] = []
    for end in ps.ends:
        owner = end.owner or end.name
        for name, required in choose(end, requested):
            fmt = registry.get(name)
            reasons = fmt.unsupported(end)
            if reasons:
                if required:
                    problems += [Problem(r, field=f"{name} for {owner}") for r in reasons]
                else:
                    result.skipped.append(Skipped(owner, name, reasons[0]))
                continue
            try:
                text = fmt.render(end, ctx)
            except UserError as exc:
                problems += exc.problems
                continue
            result.files.append(Rendered(owner, name, f"{owner}/{fmt.file_name}", text,
                                         fmt.may_hold_secrets and _holds_secret(end), fmt.proof))
        if on_end is not None:
            on_end(owner)
    if problems:
        raise UnsupportedError(problems)
    return result


def index_json(ps: PolicySet, result: RenderResult, ctx: RenderContext) -> str:
    secrets_by_end = {e.owner or e.name: _secret_values(e, ctx) for e in ps.ends}
    files = []
    for f in result.files:
        text = f.text
        for value in secrets_by_end.get(f.end, []):
            text = text.replace(value, REDACTED)
        files.append({
            "end": f.end,
            "format": f.format,
            "path": f.path,
            "sha256": hashlib.sha256(text.encode()).hexdigest(),
            "sha256_of": "redacted text" if f.secret else "file",
            "holds_secret": f.secret,
            "proof": f.proof,
        })
    doc = {
        "generator": f"ccsec {__version__}",
        "deployment": ps.deployment,
        "profile": ps.profile,
        "proof_levels": PROOF,
        "files": files,
        "skipped": [s.__dict__ for s in result.skipped],
        "paths": [p.to_json() for p in ps.paths],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


@gc_paused
def output_files(ps: PolicySet, result: RenderResult, ctx: RenderContext) -> dict[str, OutFile]:
    files = {f.path: OutFile(f.text, f.secret) for f in result.files}
    files[MARKER] = OutFile(index_json(ps, result, ctx))
    return files
