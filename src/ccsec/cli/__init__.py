"""The ``ccsec`` command: a thin typer app; every command lives in a module of this package.

Exit codes are a contract (README, "Exit codes"), the same for every command:

* 0 — done, nothing at or above ``--fail-on`` (and, for ``diff``, no drift);
* 1 — a finding at or above ``--fail-on``, or drift for ``diff``;
* 2 — a usage or input error: one line per problem (file:line: field: what — fix), nothing
  written, never a traceback; so is an OS error on a path (the path and the reason);
* 3 — a bug in ccsec: one line (the traceback with ``-v``);
* 130 — interrupted; 141 — the reader of the output went away (``ccsec audit … | head``),
  quietly.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import sys
import threading
import traceback
from functools import cache
from importlib import import_module
from typing import Annotated, Any

import typer
import typer.core
import typer.main

from ccsec import __version__
from ccsec.cli.common import PROOF_HELP, STATE, configure, err
from ccsec.errors import Problem, UserError

EXIT_USAGE = 2
EXIT_BUG = 3
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141

app = typer.Typer(
    name="ccsec",
    help="IPsec policy as code for multi-site contact centers: derive every path, render both "
    "ends in every format, audit, prove on real strongSwan, monitor.\n\n" + PROOF_HELP,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

#: each module has ``register(app)``; one line per command family
COMMAND_MODULES = ("ccsec.cli.spine", "ccsec.cli.ops", "ccsec.cli.audit", "ccsec.cli.lab",
                   "ccsec.cli.report", "ccsec.cli.scale", "ccsec.cli.probe")


def _version(value: bool) -> None:
    if value:
        print(f"ccsec {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="results and errors only: no headings, hints "
                           "or progress")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="extra detail on stderr, e.g. the notes "
                           "parsers made while reading configurations")
    ] = False,
    wide: Annotated[
        bool, typer.Option("--wide", help="tables show every column however wide the terminal "
                           "(by default columns that do not fit are left out, never cut)")
    ] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="deployment warnings (things you might mean, such "
                           "as a pair with one side) are errors: exit 2")
    ] = False,
) -> None:
    """ccsec"""
    if quiet and verbose:
        raise typer.BadParameter("--quiet and --verbose exclude each other",
                                 param_hint="'--quiet' / '--verbose'")
    ctx.obj = configure(quiet, verbose, wide=wide, strict=strict)


for _name in COMMAND_MODULES:
    import_module(_name).register(app)


class _Argument(typer.core.TyperArgument):
    """An argument shown as ``DEPLOYMENT`` in usage lines (typer's default is ``{deployment}``
    and ``<str>``, which users copied literally)."""

    def _usage_display_name(self) -> str:
        name = self.display_name_raw
        name = name if self.required else f"[{name}]"
        return name + ("..." if self.nargs != 1 else "")

    def display_type(self, ctx: Any) -> str:
        return ""


class _Option(typer.core.TyperOption):
    """An option shown with a word for its value (``--out DIR``), not a Python type."""

    def display_type(self, ctx: Any) -> str:
        return "" if self.is_flag else self.metavar or (self.name or "value").upper()


def _plain_metavars(command: Any) -> None:
    """Arguments as NAME, option values as their metavar or NAME, across every command."""
    for param in command.params:
        if isinstance(param, typer.core.TyperArgument):
            param.__class__ = _Argument
            param.metavar = param.metavar or (param.name or "arg").upper()
        elif isinstance(param, typer.core.TyperOption):
            param.__class__ = _Option
    for sub in getattr(command, "commands", {}).values():
        _plain_metavars(sub)


@cache
def command() -> Any:
    """The click command tree, built once per process (tests run many invocations)."""
    cmd = typer.main.get_command(app)
    _plain_metavars(cmd)
    return cmd


def _quiet_stdout() -> None:
    """After a broken pipe: point stdout at /dev/null so the interpreter's final flush does
    not raise again (the Python documentation's recipe for SIGPIPE)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout without a file descriptor (in-process callers)
        pass


def _invoke(argv: list[str] | None) -> int:
    result: Any = command().main(args=argv, prog_name="ccsec", standalone_mode=False)
    return result if isinstance(result, int) and not isinstance(result, bool) else 0


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app and map every outcome to the exit-code contract."""
    configure()  # each invocation starts from the defaults (in-process callers run many)
    try:
        return _invoke(argv)
    except typer.Exit as exc:
        return exc.exit_code
    except typer.TyperException as exc:  # usage errors: bad option, missing argument
        show = getattr(exc, "show", None)
        if show is not None:
            show()
        else:
            err.print(f"Error: {exc.format_message()}", markup=False, soft_wrap=True)
        return EXIT_USAGE
    except UserError as exc:
        for problem in exc.problems:
            err.print(f"ccsec: error: {problem}", markup=False, soft_wrap=True)
        return exc.exit_code
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_BROKEN_PIPE
    except OSError as exc:
        # a file the OS refused that no reader turned into a UserError: still one line
        where = exc.filename if isinstance(exc.filename, str) else None
        problem = Problem(exc.strerror or str(exc), file=where, fix="check the path and its "
                          "permissions")
        err.print(f"ccsec: error: {problem}", markup=False, soft_wrap=True)
        return UserError.exit_code
    except (KeyboardInterrupt, typer.Abort):
        err.print("ccsec: interrupted")
        return EXIT_INTERRUPTED
    except Exception as exc:  # a bug: one line, the traceback with -v
        err.print(f"ccsec: internal error: {type(exc).__name__}: {exc} — this is a bug in "
                  "ccsec; run again with -v for the traceback and report it",
                  markup=False, soft_wrap=True)
        if STATE.verbose:
            err.print("".join(traceback.format_exception(exc)), markup=False, soft_wrap=True)
        return EXIT_BUG


def run() -> None:
    """The ``ccsec`` process.  A command is one short batch job (the lab's too: it polls for
    minutes at most), so the cyclic garbage collector is off for the life of the process:
    a 1,000-site audit keeps millions of objects alive until it exits, and each collection
    walks them all again while freeing nothing — reference counting frees everything that
    is not in a cycle at once, and the few cycles left go with the process.  Measured on
    render + audit of 1,000 sites: 3 s of 16 s (bench/RESULTS.md).  In-process callers
    (:func:`main`, the API, the tests) keep their collector; the bulk steps pause it
    themselves (:mod:`ccsec.gcpause`).

    For the same reason the process ends without tearing its objects down one by one (1 s
    after a 1,000-site audit): the output is flushed and the exit handlers run
    (multiprocessing, temporary directories, logging) — then the process exits.  The
    commands :func:`~ccsec.cli.common.keep` their large results until then, so that
    returning from the command does not free them one by one either."""
    gc.disable()
    STATE.ends_process = True
    code = main()
    os._exit(_flush(code))


def _flush(code: int) -> int:
    """Flush stdout and stderr before the process exits: a closed pipe is the quiet 141 as
    anywhere else, another OS error (a full disk) one line and exit 2; then the exit
    handlers the interpreter would run on its way out."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_stdout()
        code = EXIT_BROKEN_PIPE
    except (OSError, ValueError) as exc:
        code = _flush_failed(exc)
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.flush()
    # what the interpreter does on its way out, in its order — wait for threads that are not
    # daemons, then the exit handlers — without the object teardown
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    return code


def _flush_failed(exc: Exception) -> int:
    with contextlib.suppress(OSError, ValueError):
        err.print(f"ccsec: error: cannot write the output: {exc}", markup=False,
                  soft_wrap=True)
    return UserError.exit_code
