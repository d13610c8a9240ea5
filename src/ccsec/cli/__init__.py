"""The ``ccsec`` command: a thin typer app; every command lives in a module of this package.

Errors the user can cause (:class:`ccsec.errors.UserError`) are printed as one line each —
file:line: field: what — fix — and exit 2 without a traceback.
"""

from __future__ import annotations

import sys
from importlib import import_module
from typing import Annotated

import typer

from ccsec import __version__
from ccsec.cli.common import PROOF_HELP, configure, err
from ccsec.errors import UserError

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
) -> None:
    """ccsec"""
    if quiet and verbose:
        raise typer.BadParameter("--quiet and --verbose exclude each other")
    ctx.obj = configure(quiet, verbose)


for _name in COMMAND_MODULES:
    import_module(_name).register(app)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app and turn user errors into exit code 2."""
    configure()  # each invocation starts from the defaults (in-process callers run many)
    try:
        app(args=argv, prog_name="ccsec")
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except UserError as exc:
        for problem in exc.problems:
            err.print(f"ccsec: error: {problem}", markup=False, soft_wrap=True)
        return exc.exit_code
    except KeyboardInterrupt:
        err.print("ccsec: interrupted")
        return 130
    return 0


def run() -> None:
    sys.exit(main())
