"""``python -m ccsec``."""

from ccsec.cli import run

run()
