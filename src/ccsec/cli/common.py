"""Shared CLI plumbing: consoles, JSON output, loading the deployment argument."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from ccsec.deployment import Deployment, load, loads
from ccsec.deployment.demo import demo_text


def _width(stream: object) -> int | None:
    """Full-width tables when piped (rich would wrap at 80 columns); the terminal's otherwise."""
    isatty = getattr(stream, "isatty", lambda: False)()
    return None if isatty or "COLUMNS" in os.environ else 200


_NO_COLOR = bool(os.environ.get("NO_COLOR")) or None
#: stdout for results; rich turns colour off when stdout is not a TTY or NO_COLOR is set
console = Console(highlight=False, no_color=_NO_COLOR, width=_width(sys.stdout))
err = Console(stderr=True, highlight=False, no_color=_NO_COLOR, width=_width(sys.stderr))

PROOF_HELP = (
    "Proof levels: strongswan output is proven on real strongSwan by `ccsec lab run`; "
    "windows-powershell, windows-netsh, ios and cucm output is pinned to each platform's "
    "documented syntax (golden files + round-trip parsing) and was not run on those platforms."
)


def print_json(obj: Any) -> None:
    """JSON on stdout, nothing else (safe to pipe)."""
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")


def load_deployment(path: str) -> Deployment:
    """A deployment file; the word ``demo`` means the bundled example."""
    if path == "demo" and not Path(path).exists():
        return loads(demo_text(), "demo.yaml")
    return load(path)
