"""PolicySet → one file per end and format, plus ``index.json``; all in memory before any write.

Every problem (an unset key variable, a format that cannot express a policy) is found before
the first byte is written, so a failed render leaves the output directory as it was.
``index.json`` lists every file with its proof level and never holds a key: files that contain
one are hashed with the key redacted.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from ccsec import __version__
from ccsec.errors import Problem, UnsupportedError, UserError
from ccsec.fileio import MARKER, OutFile
from ccsec.formats import registry
from ccsec.formats.base import RenderContext
from ccsec.gcpause import gc_paused
from ccsec.policy import EndPolicy, PolicySet
from ccsec.secrets import REDACTED
from ccsec.workers import default_workers, fork_map, shared

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
    """One format not rendered for some ends: the ends, the causes (the first is shown, the
    rest with ``-v`` and in ``index.json``) and what to do — one line, not one per end.

    For a best-effort format the causes are those of the first end it could not express
    (``example``); the other ends are only tested (:meth:`Format.expressible`), which stops
    at their first refusal — a thousand refused ends would otherwise cost seconds."""

    format: str
    reasons: tuple[str, ...]
    fix: str
    ends: tuple[str, ...]
    example: str = ""

    @property
    def reason(self) -> str:
        more = len(self.reasons) - 1
        return self.reasons[0] + (f" (and {more} more reason{'s' if more > 1 else ''})"
                                  if more else "")


@dataclass
class RenderResult:
    files: list[Rendered] = field(default_factory=list)
    #: best-effort formats that could not express some ends, grouped by format and cause
    skipped: list[Skipped] = field(default_factory=list)
    #: the formats the user selected (None: every format of each end's platform)
    selected: tuple[str, ...] | None = None
    #: ends none of whose platform's formats was selected (nothing rendered for them)
    unselected: list[str] = field(default_factory=list)


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


ALL = "all"


def selection(requested: Sequence[str] | None) -> tuple[str, ...] | None:
    """The formats named with ``--format`` (each checked), or None for "every format each
    end's platform has" (no ``--format``, or ``--format all``)."""
    if not requested or ALL in requested:
        return None
    for name in requested:
        registry.get(name)  # unknown names fail before any work
    return tuple(dict.fromkeys(requested))


def choose(end: EndPolicy, requested: Sequence[str] | None) -> list[tuple[str, bool]]:
    """(format, required) pairs for one end.  Without a selection: every format of the end's
    platform, required except the best-effort ones.  With one: the selected formats that are
    for the end's platform, all required (the user asked for them by name); a format is never
    rendered for an end whose platform does not have it (no ``ipsec.ps1`` for a router)."""
    chosen = selection(requested)
    if chosen is None:
        return [(f, not registry.best_effort(f)) for f in registry.defaults_for(end.platform)]
    return [(f, True) for f in chosen if registry.for_platform(f, end.platform)]


_SUBJECT = re.compile(r"^(?:rule|policy) \S+: ")


def cause(reason: str) -> str:
    """A refusal without the rule or policy it names: the same cause on many ends is one
    line, not hundreds."""
    return _SUBJECT.sub("", reason, count=1)


def name_ends(ends: Sequence[str], limit: int = 6) -> str:
    """``a, b, c`` — or the first ``limit`` and how many more."""
    if len(ends) <= limit:
        return ", ".join(ends)
    return f"{', '.join(ends[:limit])} and {len(ends) - limit:,} more"


class _Refusals:
    """Refusals collected per format: the ends it could not express and every cause, in the
    order met."""

    def __init__(self, first_only: bool = False) -> None:
        #: keep the causes of the first end only (best-effort formats)
        self.first_only = first_only
        self.ends: dict[str, list[str]] = {}
        self.causes: dict[str, dict[str, None]] = {}

    def known(self, fmt: str) -> bool:
        """Whether the causes are collected already and only the ends still count."""
        return self.first_only and fmt in self.ends

    def add(self, fmt: str, reasons: list[str], owner: str) -> None:
        self.ends.setdefault(fmt, []).append(owner)
        self.causes.setdefault(fmt, {}).update(dict.fromkeys(cause(r) for r in reasons))

    def skipped(self) -> list[Skipped]:
        return [Skipped(fmt, tuple(self.causes[fmt]), registry.when_refused(fmt), tuple(ends),
                        ends[0] if self.first_only else "")
                for fmt, ends in self.ends.items()]

    def problems(self) -> list[Problem]:
        return [Problem(f"{s.format} cannot express the policy of {len(s.ends):,} end(s) "
                        f"({name_ends(s.ends)}): {s.reason}", field=f"--format {s.format}",
                        fix=s.fix or "render these ends in another of their platform's "
                        "formats (see `ccsec render --help`)")
                for s in self.skipped()]


@dataclass
class _EndOutcome:
    """What rendering one end gave: its files, the formats that refused it (``reasons`` None:
    a best-effort format whose causes an earlier end of the same batch gave already), the
    problems of its files, and whether no selected format is for its platform."""

    owner: str
    files: list[Rendered] = field(default_factory=list)
    refusals: list[tuple[str, bool, list[str] | None]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unselected: bool = False


def _render_end(end: EndPolicy, chosen: tuple[str, ...] | None, ctx: RenderContext,
                known: set[str]) -> _EndOutcome:
    """One end in each of its chosen formats.  ``known``: best-effort formats whose causes
    were collected from an earlier end (only whether this end is refused is asked, not why)."""
    out = _EndOutcome(end.owner or end.name)
    pairs = choose(end, chosen)
    out.unselected = chosen is not None and not pairs
    for name, required in pairs:
        fmt = registry.get(name)
        # the cheap test first: most ends render, and the messages of the refused ones
        # are formatted once per format, not once per end
        if not fmt.expressible(end):
            if not required and name in known:
                out.refusals.append((name, required, None))
                continue
            reasons = fmt.unsupported(end)
            if reasons:
                out.refusals.append((name, required, reasons))
                if not required:
                    known.add(name)
                continue
        try:
            text = fmt.render(end, ctx, checked=True)
        except UserError as exc:
            out.problems += exc.problems
            continue
        out.files.append(Rendered(out.owner, name, f"{out.owner}/{fmt.file_name}", text,
                                  fmt.may_hold_secrets and _holds_secret(end), fmt.proof))
    return out


#: batches per worker: enough for the workers to finish together and the progress bar to
#: move, few enough to amortise the transfer
BATCHES_PER_WORKER = 16
#: below this many ends a second process costs more than it saves
PARALLEL_MIN_ENDS = 400
@gc_paused
def _render_batch(bounds: tuple[int, int]) -> list[_EndOutcome]:
    ends, chosen, ctx = shared()  # (ends, chosen formats, context)
    known: set[str] = set()
    return [_render_end(end, chosen, ctx, known) for end in ends[bounds[0]:bounds[1]]]


def _outcomes(ends: Sequence[EndPolicy], chosen: tuple[str, ...] | None, ctx: RenderContext,
              workers: int | None, meanwhile: Callable[[], None] | None = None
              ) -> Iterator[list[_EndOutcome]]:
    """Every end's outcome in end order, batch by batch; over worker processes when there are
    many ends (rendering one end is a pure function of the end and the context)."""
    n = default_workers() if workers is None else workers
    if n <= 1 or len(ends) < PARALLEL_MIN_ENDS:
        if meanwhile is not None:
            meanwhile()
        known: set[str] = set()
        yield from ([_render_end(end, chosen, ctx, known)] for end in ends)
        return
    yield from fork_map(_render_batch, _bounds(ends, n * BATCHES_PER_WORKER), n,
                        meanwhile=meanwhile, shared=(ends, chosen, ctx))


def _bounds(ends: Sequence[EndPolicy], batches: int) -> list[tuple[int, int]]:
    """``ends`` cut into about ``batches`` runs of equal work: an end's work grows with its
    rules, and the central servers' ends hold thousands (a count of ends would give the
    first worker most of the work)."""
    total = sum(len(e.rules) + 1 for e in ends)
    share = max(1, total // batches)
    out: list[tuple[int, int]] = []
    start = weight = 0
    for i, end in enumerate(ends):
        weight += len(end.rules) + 1
        if weight >= share:
            out.append((start, i + 1))
            start, weight = i + 1, 0
    if start < len(ends):
        out.append((start, len(ends)))
    return out


@gc_paused
def render_policy_set(ps: PolicySet, ctx: RenderContext, requested: Sequence[str] | None = None,
                      on_end: Callable[[str], None] | None = None,
                      on_refused: Callable[[Skipped], None] | None = None,
                      workers: int | None = None,
                      on_file: Callable[[Rendered], None] | None = None,
                      meanwhile: Callable[[], None] | None = None) -> RenderResult:
    """Every end in its formats; all ends' problems are collected before one error is raised,
    so nothing is written unless everything renders.  ``on_end(owner)`` follows progress.

    ``requested``: the formats to render (None or ``["all"]``: every format of each end's
    platform).  A required format that cannot express an end is an error; a best-effort one is
    skipped — in both cases one line per format, naming the ends and the first cause;
    ``on_refused`` receives each such format with all its causes (``--verbose``).
    ``workers``: processes (default :func:`ccsec.workers.default_workers`); the result is the
    same for any number.  ``on_file`` receives each file as soon as its end is rendered (the
    CLI writes it into the output's stage meanwhile); when an error is raised in the end,
    it has received some files — the caller discards them.  ``meanwhile`` runs in this
    process while the workers render (first of all without workers)."""
    chosen = selection(requested)
    result = RenderResult(selected=chosen)
    problems: list[Problem] = []
    refused, skipped = _Refusals(), _Refusals(first_only=True)
    for batch in _outcomes(ps.ends, chosen, ctx, workers, meanwhile):
        for outcome in batch:
            if outcome.unselected:
                result.unselected.append(outcome.owner)
            for name, required, reasons in outcome.refusals:
                if required:
                    refused.add(name, reasons or [], outcome.owner)
                else:  # the causes of the first end only (another batch may have met it)
                    skipped.add(name, [] if skipped.known(name) else reasons or [],
                                outcome.owner)
            problems += outcome.problems
            result.files += outcome.files
            if on_file is not None:
                for f in outcome.files:
                    on_file(f)
            if on_end is not None:
                on_end(outcome.owner)
    if on_refused is not None:
        for group in refused.skipped() + skipped.skipped():
            on_refused(group)
    problems = refused.problems() + list(dict.fromkeys(problems))
    if chosen is not None and not result.files and not problems:
        platforms = sorted({e.platform or "-" for e in ps.ends})
        problems.append(Problem(
            f"no end of {ps.deployment} has a platform for {', '.join(chosen)} (its ends are "
            f"{', '.join(platforms)})", field="--format",
            fix="select formats of these platforms, or --format all"))
    if problems:
        raise UnsupportedError(problems)
    result.skipped = skipped.skipped()
    return result


def index_json(ps: PolicySet, result: RenderResult, ctx: RenderContext,
               digests: Mapping[str, str] | None = None, paths: Encoded | None = None) -> str:
    """The index of a render; ``digests``: the SHA-256 of files already written (path →
    hex), reused for the files of ends without keys (their text is hashed as written);
    ``paths``: :func:`paths_index` of ``ps``, when the caller made it already."""
    secrets_by_end = {e.owner or e.name: _secret_values(e, ctx) for e in ps.ends}
    files = []
    for f in result.files:
        keys = secrets_by_end.get(f.end, [])
        known = digests.get(f.path) if digests is not None and not keys else None
        if known is None:
            text = f.text
            for value in keys:
                text = text.replace(value, REDACTED)
            known = hashlib.sha256(text.encode()).hexdigest()
        files.append({
            "end": f.end,
            "format": f.format,
            "path": f.path,
            "sha256": known,
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
        "selected_formats": list(result.selected) if result.selected else ALL,
        "skipped": [{"format": s.format, "reasons": list(s.reasons),
                     "reasons_of": s.example or "every end listed", "fix": s.fix,
                     "ends": list(s.ends)} for s in result.skipped],
        "unselected_ends": result.unselected,
        "paths": paths_index(ps) if paths is None else paths,
    }
    return _lines_json(doc)


_ENCODER = json.JSONEncoder(ensure_ascii=False)


class Encoded(str):
    """The items of a list in index.json, each encoded already, one per line."""


def paths_index(ps: PolicySet) -> Encoded:
    """The ``paths`` list of index.json, encoded: a tenth of a second for the 14,000 paths
    of a 1,000-site deployment, which ``ccsec render`` spends while its workers render."""
    return Encoded(",\n    ".join(map(_ENCODER.encode, (p.to_json() for p in ps.paths))))


def _lines_json(doc: Mapping[str, object]) -> str:
    """``doc`` as JSON with one list item per line: as readable as ``indent=2`` for a person
    scanning it, but written by the C encoder (``indent`` switches json to its pure-Python
    encoder: 2 s for the 28,000 paths of a 1,000-site deployment)."""
    encode = _ENCODER.encode  # json.dumps(…, ensure_ascii=False) makes an encoder per call
    out = []
    for key, value in doc.items():
        name = json.dumps(key)
        if isinstance(value, Encoded):
            out.append(f"  {name}: [\n    {value}\n  ]" if value else f"  {name}: []")
        elif isinstance(value, list) and value:
            items = ",\n    ".join(map(encode, value))
            out.append(f"  {name}: [\n    {items}\n  ]")
        else:
            out.append(f"  {name}: {encode(value)}")
    return "{\n" + ",\n".join(out) + "\n}\n"


@gc_paused
def output_files(ps: PolicySet, result: RenderResult, ctx: RenderContext) -> dict[str, OutFile]:
    files = {f.path: OutFile(f.text, f.secret) for f in result.files}
    files[MARKER] = OutFile(index_json(ps, result, ctx))
    return files
