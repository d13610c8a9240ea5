"""Shared fixtures: the demo deployment, planned policy sets, a CLI runner."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from ccsec.deployment import Deployment, load, loads
from ccsec.deployment.demo import demo_text
from ccsec.formats.base import RenderContext
from ccsec.plan import plan
from ccsec.policy import PolicySet
from ccsec.secrets import SecretResolver

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
LAB_PSK = "lab-psk-Example-0123456789"

settings.register_profile(
    "ccsec", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=150
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ccsec"))


@pytest.fixture(scope="session")
def demo() -> Deployment:
    return loads(demo_text(), "demo.yaml")


@pytest.fixture(scope="session")
def demo_ps(demo: Deployment) -> PolicySet:
    return plan(demo)


@pytest.fixture(scope="session")
def linux_lab() -> Deployment:
    return load(EXAMPLES / "linux-test.yaml")


#: the bundled deployments every format and profile is checked on (demo and examples/)
DEPLOYMENTS: dict[str, Callable[[], Deployment]] = {
    "demo": lambda: loads(demo_text(), "demo.yaml"),
    "linux-test": lambda: load(EXAMPLES / "linux-test.yaml"),
    "multi-site": lambda: load(EXAMPLES / "multi-site.yaml"),
    "ios-vti": lambda: load(EXAMPLES / "ios-vti.yaml"),
}
PROFILES = ("legacy", "recommended")


def lab_context(ps: PolicySet) -> RenderContext:
    """A render context whose env holds the example deployments' test keys."""
    env = {"CCSEC_LAB_PSK": LAB_PSK}
    return RenderContext(ps.deployment, ps.profile, SecretResolver(EXAMPLES, env=env))


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """Run ``ccsec ARGS`` in-process; returns exit code, stdout, stderr."""
    from ccsec.cli import main

    def run(*args: str) -> Result:
        code = main(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def write_yaml(tmp_path: Path) -> Callable[[str, str], Path]:
    def write(text: str, name: str = "deployment.yaml") -> Path:
        p = tmp_path / name
        p.write_text(text, encoding="utf-8")
        return p

    return write


def run_on_pty(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, bytes]:
    """Run ``python -m ccsec ARGS`` on a pseudo-terminal (what a user's terminal sees:
    colour, spinners, fitted tables); its exit code and everything it wrote."""
    main, sub = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "ccsec", *args], stdin=sub, stdout=sub,
                            stderr=sub, env=env, cwd=cwd, close_fds=True)
    os.close(sub)
    out = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    code = proc.wait(timeout=120)
    os.close(main)
    return code, out
