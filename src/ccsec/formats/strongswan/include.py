"""``include`` in swanctl.conf and ipsec.conf, confined: nothing is read outside what the user
named.

An audit reads what the user pointed ``--configs`` at, and its findings travel (JSON and SARIF
are uploaded to code-scanning services), so an ``include`` must not become a way to read — and
quote — any file of the machine running ccsec.  An include is followed only when every file it
matches:

* lies inside one of the allowed directories (the audited directory, or the including file's
  own directory when a single file is read, plus any directory the user allows with
  ``--include-dir``), after symlinks are resolved;
* is a regular file (never ``/dev/zero``, a FIFO or a directory) under the size limit;
* is not already being read (a cycle), at most :data:`MAX_DEPTH` includes deep, and the glob
  matches at most :data:`MAX_MATCHES` files.

Anything else is refused with a reason that names the pattern and never the content of what it
points to; the readers turn a refusal into a warning note and go on with the rest of the file.
Globs are charon's (glob(3)): ``*``, ``?`` and ``[…]`` in any component, no ``**`` recursion.
"""

from __future__ import annotations

import glob
import os
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

from ccsec.errors import ParseError, shown
from ccsec.textio import decode, max_bytes, read_bytes

#: includes within includes (charon itself stops at 10)
MAX_DEPTH = 10
#: files one include pattern may match
MAX_MATCHES = 256
#: longest pattern followed (PATH_MAX on Linux)
MAX_PATTERN = 4096
#: path components with wildcards in one pattern (each multiplies the directories walked)
MAX_WILDCARDS = 4
#: files read through includes for one top-level file, all levels together: a file that
#: includes another 200 times, which includes a third 200 times… is an expansion bomb
MAX_READS = 256

#: directories an audit allows includes from (set by the audit for the files it reads)
_ALLOWED: ContextVar[tuple[Path, ...] | None] = ContextVar("ccsec_include_roots", default=None)


@contextmanager
def confined(roots: Iterable[Path]) -> Iterator[None]:
    """Within this block, includes are followed only into ``roots`` (resolved)."""
    token = _ALLOWED.set(tuple(_real(Path(r)) for r in roots))
    try:
        yield
    finally:
        _ALLOWED.reset(token)


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))


class Refused(Exception):
    """An include that is not followed, and why (the message names the pattern only)."""


@dataclass
class _Budget:
    """What the includes of one top-level file have read so far (shared by every level)."""

    files: int = 0
    bytes: int = 0


@dataclass(frozen=True)
class Includer:
    """Resolves the includes of one top-level file: its allowed roots, the chain of files
    being read (for cycles and depth) and the budget all its includes share."""

    roots: tuple[Path, ...]
    chain: tuple[Path, ...] = ()
    budget: _Budget = field(default_factory=_Budget)

    @classmethod
    def for_file(cls, source: str) -> Includer | None:
        """The includer of a top-level file (None for text that is not a file: includes then
        have no directory to be relative to)."""
        if not source or source.startswith("<"):
            return None
        path = Path(source)
        allowed = _ALLOWED.get()
        roots = allowed if allowed is not None else (_real(path.parent),)
        return cls(roots, (_real(path),))

    @property
    def base(self) -> Path:
        """The directory relative includes of the file being read start from."""
        return self.chain[-1].parent

    def within(self, path: Path) -> Includer:
        return Includer(self.roots, (*self.chain, path), self.budget)

    def matches(self, pattern: str, cycles: bool = True) -> list[Path]:
        """The files ``pattern`` names (sorted, resolved), or :class:`Refused`; ``cycles=False``
        lists a file in the chain too (to see who includes whom, not to read)."""
        if not pattern:
            raise Refused("include without a file name")
        if len(pattern) > MAX_PATTERN or "\x00" in pattern:
            raise Refused(f"include {shown(pattern, 60)}: not a usable file name")
        if len(self.chain) > MAX_DEPTH:
            raise Refused(f"include {shown(pattern, 80)}: includes nested deeper than "
                          f"{MAX_DEPTH}")
        full = pattern if os.path.isabs(pattern) else os.path.join(self.base, pattern)
        parts = full.split(os.sep)
        magic = [i for i, part in enumerate(parts) if glob.has_magic(part)]
        if not magic:
            return [self._check(pattern, Path(full), cycles)] if os.path.lexists(full) else []
        # the fixed part must already be inside an allowed directory (no walk of the
        # machine), and the wildcard part may not climb out again or multiply without end
        fixed = os.sep.join(parts[:magic[0]]) or os.sep
        if not self._inside(_real(Path(fixed))):
            raise Refused(f"include {shown(pattern, 80)}: outside the configuration "
                          "directory (not read)")
        if len(magic) > MAX_WILDCARDS or ".." in parts[magic[0]:]:
            raise Refused(f"include {shown(pattern, 80)}: too many wildcards or '..' after "
                          "one")
        found: list[Path] = []
        try:
            for i, name in enumerate(glob.iglob(full, recursive=False)):
                if i >= MAX_MATCHES:
                    raise Refused(f"include {shown(pattern, 80)}: matches more than "
                                  f"{MAX_MATCHES} files")
                found.append(Path(name))
        except (OSError, ValueError) as exc:
            raise Refused(f"include {shown(pattern, 80)}: cannot be resolved "
                          f"({getattr(exc, 'strerror', None) or type(exc).__name__})") from None
        return sorted({self._check(pattern, p, cycles) for p in found})

    def allows(self, path: Path) -> bool:
        """Whether ``path`` (links resolved) lies inside the allowed directories."""
        return self._inside(_real(path))

    def _inside(self, real: Path) -> bool:
        return any(root == real or root in real.parents for root in self.roots)

    def _check(self, pattern: str, path: Path, cycles: bool = True) -> Path:
        real = _real(path)
        if not self._inside(real):
            raise Refused(f"include {shown(pattern, 80)}: outside the configuration "
                          "directory (not read)")
        try:
            mode = os.stat(real).st_mode
        except OSError as exc:
            raise Refused(f"include {shown(pattern, 80)}: cannot be read "
                          f"({exc.strerror})") from None
        if not stat.S_ISREG(mode):
            raise Refused(f"include {shown(pattern, 80)}: not a regular file (not read)")
        if cycles and real in self.chain:
            raise Refused(f"include {shown(pattern, 80)}: includes a file that is already "
                          "being read (a cycle)")
        return real

    def read(self, path: Path) -> str:
        """The text of a matched file (bounded: each file, and all files one top-level file
        includes together), or :class:`Refused`."""
        budget = self.budget
        if budget.files >= MAX_READS:
            raise Refused(f"include {shown(path.name, 80)}: more than {MAX_READS:,} files "
                          "included in all (an include expansion bomb?)")
        left = max_bytes() - budget.bytes
        try:
            data = read_bytes(path, max(left, 0))
        except ParseError as exc:
            raise Refused(f"include {shown(path.name, 80)}: {exc.problems[0].message}"
                          + (" (all includes together)" if left < max_bytes() else "")) from None
        budget.files += 1
        budget.bytes += len(data)
        return decode(data, str(path))
