"""Shared CLI plumbing: consoles, output verbosity, progress, JSON output, the deployment
argument.

Verbosity is one shared :data:`STATE`, set by the root callback (``--quiet``/``--verbose``) and
read by every command through :func:`say` (chatter: headings, hints, proof footers — hidden by
``--quiet``), :func:`detail` (extra detail on stderr — shown by ``--verbose``) and the
progress helpers (shown only on a terminal and never with ``--quiet``).  Results and errors are
always printed.  Colour is off when the stream is not a terminal or ``NO_COLOR`` is set.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.console import Console
from rich.errors import MarkupError
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from ccsec.deployment import Deployment
from ccsec.findings.columns import literal, terminal_safe

if TYPE_CHECKING:
    from ccsec.audit.inventory import Skipped
    from ccsec.audit.model import ImportedEnd


def _width(stream: object) -> int | None:
    """Full-width tables when piped (rich would wrap at 80 columns); the terminal's otherwise."""
    isatty = getattr(stream, "isatty", lambda: False)()
    return None if isatty or "COLUMNS" in os.environ else 200


class _Console(Console):
    """A console that shows text from files safely: control characters become visible
    escapes, and text that is not valid rich markup (a log line with ``[/IKE]``, a file named
    ``a[/b].cfg``) is shown as it is instead of raising MarkupError.  Its reader may go away
    (``ccsec audit … | head``): rich's default exits 1 — the code for "findings" — so the
    broken pipe goes to the CLI's exit-code contract instead (quiet, 141)."""

    def render_str(self, text: str, **kwargs: Any) -> Any:
        text = terminal_safe(text)
        try:
            return super().render_str(text, **kwargs)
        except MarkupError:
            return super().render_str(text, **{**kwargs, "markup": False})

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError


_NO_COLOR = bool(os.environ.get("NO_COLOR")) or None
#: NO_COLOR (no-color.org) means no escape sequences at all here, not only no colours (rich
#: alone would keep bold and underline)
_SYSTEM: Literal["auto"] | None = None if _NO_COLOR else "auto"
#: stdout for results; rich turns colour off when stdout is not a TTY or NO_COLOR is set


#: emoji off: ``file.cfg:100:`` in a parser note must not become a picture
console = _Console(highlight=False, no_color=_NO_COLOR, color_system=_SYSTEM, emoji=False,
                  width=_width(sys.stdout))
err = _Console(stderr=True, highlight=False, no_color=_NO_COLOR, color_system=_SYSTEM,
              emoji=False, width=_width(sys.stderr))


@dataclass
class CliState:
    """What the root options set for the whole invocation."""

    quiet: bool = False
    verbose: bool = False
    #: tables keep every column (``--wide``) instead of leaving out what does not fit
    wide: bool = False
    #: deployment warnings are errors (``--strict``)
    strict: bool = False
    #: the process ends with this command without tearing its objects down (``cli.run``)
    ends_process: bool = False
    #: what :func:`keep` holds until then
    kept: list[object] = field(default_factory=list)


#: the shared context every command reads (the root callback also puts it in ``ctx.obj``)
STATE = CliState()


def keep(*results: object) -> None:
    """Hold a command's large results until the process ends.  ``ccsec`` exits without
    freeing its objects one by one (``cli.run``), but a command that returns frees its locals
    first: 0.2 s for the million objects of a 1,000-site audit.  In-process callers (the
    tests, tools running many commands) hold nothing."""
    if STATE.ends_process:
        STATE.kept.extend(results)


def configure(quiet: bool = False, verbose: bool = False, *, wide: bool = False,
              strict: bool = False) -> CliState:
    """Set verbosity for this invocation and re-read NO_COLOR (the CLI runs in-process in
    tests and tools, so the environment may have changed since import)."""
    STATE.quiet, STATE.verbose = quiet, verbose and not quiet
    STATE.wide, STATE.strict = wide, strict
    no_color = bool(os.environ.get("NO_COLOR"))
    for c, stream in ((console, sys.stdout), (err, sys.stderr)):
        c.no_color = no_color
        c.quiet = False  # a broken pipe earlier in this process silenced it
        columns = os.environ.get("COLUMNS", "")
        width = int(columns) if columns.isdigit() and int(columns) > 0 else _width(stream)
        if width is not None:
            c.width = width
    return STATE


def say(*objects: Any, **kwargs: Any) -> None:
    """Chatter on stdout (headings, hints, footers): not with --quiet.  Wrapped at word
    boundaries on a terminal, one line per message in a file or pipe."""
    if not STATE.quiet:
        kwargs.setdefault("soft_wrap", not console.is_terminal)
        console.print(*objects, **kwargs)


def detail(message: str) -> None:
    """Extra detail on stderr (parser notes, proof notes): only with --verbose."""
    if STATE.verbose:
        err.print(message, markup=False, soft_wrap=True, style="dim")


def _live() -> bool:
    return not STATE.quiet and err.is_terminal


Advance = Callable[..., None]


@contextmanager
def progress(total: int, what: str) -> Iterator[Advance]:
    """A progress bar on stderr over ``total`` items (a terminal only, never with --quiet);
    yields ``advance(label, n=1)`` — ``n=0`` only renames the current step."""
    if not _live() or total <= 0:
        yield lambda _label, n=1: None
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=err,
                  transient=True) as bar:
        task = bar.add_task(literal(what), total=total)

        def advance(label: str, n: int = 1) -> None:
            bar.update(task, advance=n,
                       description=literal(f"{what}: {label}" if n else label))

        yield advance


@contextmanager
def stages(first: str) -> Iterator[Callable[[str], None]]:
    """A spinner on stderr naming the current stage of work that has no item count
    (a terminal only, never with --quiet); yields ``step(text)``."""
    if not _live() or getattr(err, "_live_stack", None):  # one live display at a time
        yield lambda _text: None
        return
    from rich.live import Live
    from rich.spinner import Spinner

    spinner = Spinner("dots", text=literal(first), style="green")
    # Drawn at once and on every step: the auto-refresh tick alone (80 ms) would never show a
    # stage that ends sooner, and the user would not see what ccsec was doing.
    with Live(spinner, console=err, transient=True, refresh_per_second=12.5) as live:
        live.refresh()

        def step(text: str) -> None:
            spinner.update(text=literal(text))
            live.refresh()

        yield step

#: every command that writes to -o refuses to replace anything unless this is given
ForceOpt = Annotated[bool, typer.Option(
    "--force", help="replace what an earlier ccsec run wrote at -o (never anything else)")]

PROOF_HELP = (
    "Proof levels: strongswan output is proven on real strongSwan by `ccsec lab run`; "
    "windows-powershell, windows-netsh, ios and cucm output is pinned to each platform's "
    "documented syntax (golden files + round-trip parsing) and was not run on those platforms."
)


def print_json(obj: Any) -> None:
    """JSON on stdout, nothing else (safe to pipe)."""
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()  # a closed pipe shows here, inside the exit-code contract


def load_deployment(path: str) -> Deployment:
    """A deployment file, validated with the path catalog's rules; ``demo`` is the bundled
    example.  Its warnings (valid, but most often a mistake) go to stderr — unless
    ``--quiet`` — or, with ``--strict``, are errors (exit 2)."""
    from ccsec.paths import load_deployment as load_checked
    from ccsec.paths import warnings_of

    with stages(f"reading {path}"):
        dep = load_checked(path, strict=STATE.strict)
        keep(dep)
        if STATE.quiet or STATE.strict:
            return dep
        for problem in warnings_of(dep, path):
            err.print(f"ccsec: warning: {problem}", markup=False, soft_wrap=not err.is_terminal)
    return dep


def import_notes(ends: Iterable[ImportedEnd], skipped: Iterable[Skipped]) -> None:
    """--verbose: what each importer noticed but did not turn into policy, and skipped files
    (``ccsec audit`` and ``ccsec report --configs`` alike)."""
    for end in ends:
        for n in end.notes:
            detail(f"{end.source}:{n.line or '-'}: {n.severity}: {n.message}")
    for s in skipped:
        detail(f"skipped {s.path}: {s.reason}")
