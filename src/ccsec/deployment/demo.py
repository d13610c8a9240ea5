"""The bundled demo deployment (``ccsec demo``, ``make demo``, tests)."""

from __future__ import annotations

from importlib.resources import files


def demo_text() -> str:
    """The YAML text of the demo deployment shipped inside the package."""
    return files("ccsec").joinpath("data/demo.yaml").read_text(encoding="utf-8")
