"""Writing output so that a failure never leaves a half-written file or directory behind, and
nothing the user did not ask to replace is ever replaced or deleted.

Single files: temp file in the same directory, fsync, rename; an existing file is replaced only
with ``force`` (and never when it is a directory or a device).  Whole output trees
(``render``, ``demo``): staged in a sibling temp directory and swapped in with renames, so the
old tree stays intact until the new one is complete.  An existing tree is replaced only with
``force`` and only when it is exactly what ccsec wrote there: the marker file :data:`OWN_MARKER`
lists every file with its SHA-256, and any file that is not listed, is missing or has changed
(``web/src/app.js`` beside an ``index.json``) stops the replacement before anything is touched.
The marker is written 0600 (it hashes files that hold keys).  Files that hold a key are created
with mode 0600 from the start.  Every OS error is a :class:`OutputError`: the path and the
reason on one line, exit 2.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import stat
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from ccsec.errors import Problem, UserError

#: the index every rendered tree holds (what was rendered, proof levels; keys redacted)
MARKER = "index.json"
#: ccsec's record of a tree it wrote: every file and its SHA-256 (0600)
OWN_MARKER = ".ccsec-output.json"
_MARKER_KIND = "ccsec output tree"
_FORCE_FIX = "pass --force to replace it"


class OutputError(UserError):
    """An output path cannot be written (exists, not ours, or the OS refused)."""


def os_error(path: str | Path, exc: OSError, field: str = "-o/--out") -> OutputError:
    """An OS error as one line: which path, and why."""
    where = exc.filename if isinstance(exc.filename, str) else str(path)
    return OutputError(Problem(f"cannot write {where}: {exc.strerror or exc}", field=field,
                               fix="choose a path you can write to"))


@dataclass(frozen=True)
class OutFile:
    text: str
    secret: bool = False


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write(path: Path, data: bytes, secret: bool, sync: bool = True,
           parent_made: bool = False) -> None:
    if not parent_made:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if secret else 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        if not secret:  # 0644 whatever the umask (on the open file: no second path lookup)
            os.fchmod(fh.fileno(), 0o644)
        if sync:
            os.fsync(fh.fileno())


def _syncfs(directory: Path) -> bool:
    """Flush the file system holding ``directory`` in one call (Linux ``syncfs(2)``): one
    journal commit for a whole output tree instead of one per file (6,000 files: ~4.5 s of
    fsync → a fraction of a second).  False where it is not available."""
    syncfs = _libc_syncfs()
    if syncfs is None:
        return False
    fd = os.open(directory, os.O_RDONLY)
    try:
        return bool(syncfs(fd) == 0)
    finally:
        os.close(fd)


@functools.cache
def _libc_syncfs() -> Callable[[int], int] | None:
    """libc's ``syncfs``: from the symbols this process already has (Linux: libc is loaded),
    else looked up by name (``find_library`` runs ``ldconfig``: 25 ms)."""
    import ctypes
    import ctypes.util

    def symbol(lib: str | None) -> Callable[[int], int] | None:
        try:
            return cast(Callable[[int], int] | None,
                        getattr(ctypes.CDLL(lib, use_errno=True), "syncfs", None))
        except OSError:
            return None

    found = symbol(None) if sys.platform == "linux" else None
    if found is None:
        name = ctypes.util.find_library("c")
        found = symbol(name) if name is not None else None
    return found


def _sync_tree(stage: Path, written: list[Path]) -> None:
    """Durable before the swap: the whole tree at once where the OS can, else per file."""
    if _syncfs(stage):
        return
    for target in written:
        fd = os.open(target, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _encode(text: str) -> bytes:
    return text.encode("utf-8")


# ------------------------------------------------------------------------- single files


def check_file_target(out: str | Path, force: bool, owned: Callable[[Path], bool] | None = None,
                      what: str = "file", kind: str = "ccsec output") -> Path:
    """Fail early (before any work) if ``out`` may not be written: it is a directory or not a
    regular file, ``owned`` says it is not ``kind`` (never replaced, even with ``force``), or
    it exists and ``force`` is off."""
    out = Path(out)
    try:
        info = out.lstat()
    except FileNotFoundError:
        return out
    except OSError as exc:
        raise os_error(out, exc) from None
    if stat.S_ISDIR(info.st_mode):
        raise OutputError(Problem(f"{out} is a directory", field="-o/--out",
                                  fix=f"give the name of a {what} to write"))
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISLNK(info.st_mode)):
        raise OutputError(Problem(f"{out} exists and is not a regular file", field="-o/--out",
                                  fix="choose another path"))
    if owned is not None and not owned(out):
        raise OutputError(Problem(f"{out} exists and is not a {kind}", field="-o/--out",
                                  fix="choose a new name (ccsec replaces only its own output, "
                                  "even with --force)"))
    if not force:
        raise OutputError(Problem(f"{out} already exists", field="-o/--out", fix=_FORCE_FIX))
    return out


def atomic_write_bytes(path: str | Path, data: bytes, secret: bool = False) -> None:
    """Write one file atomically (temp + fsync + rename); 0600 when it holds a secret.  The
    temp file is removed on any failure; OS errors become :class:`OutputError`."""
    path = Path(path)
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600 if secret else 0o644)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise os_error(path, exc) from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def atomic_write(path: str | Path, text: str, secret: bool = False) -> None:
    """:func:`atomic_write_bytes` of UTF-8 text (``\\n`` line ends as given)."""
    atomic_write_bytes(path, _encode(text), secret)


def write_new_files(out_dir: str | Path, files: Mapping[str, bytes], force: bool) -> list[Path]:
    """Write ``files`` (names → bytes) into ``out_dir``, all or nothing: every target is
    checked first (exists → needs ``force``; never a directory or device), every file is
    staged as a temp file, then all are renamed into place.  Other files in the directory
    are never touched."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise OutputError(Problem(f"{out} exists and is not a directory", field="-o/--out",
                                  fix="give a directory"))
    targets = [check_file_target(out / name, force) for name in files]
    staged: list[tuple[str, Path]] = []
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=out)
            staged.append((tmp, out / name))
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o644)
        for tmp, target in staged:
            os.replace(tmp, target)
    except OSError as exc:
        raise os_error(out, exc) from None
    finally:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
    return targets


# ------------------------------------------------------------------------- output trees


def _listing(root: Path) -> dict[str, str] | None:
    """Every file under ``root`` (relative path → SHA-256), or None when the tree holds
    anything but regular files and directories (a symlink, a device…)."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        base = Path(dirpath)
        for name in dirnames:
            if (base / name).is_symlink():
                return None
        for name in filenames:
            p = base / name
            if not stat.S_ISREG(p.lstat().st_mode):
                return None
            out[p.relative_to(root).as_posix()] = _digest(p.read_bytes())
    return out


def _marker(digests: Mapping[str, str]) -> bytes:
    listing = dict(sorted(digests.items()))
    doc = {"kind": _MARKER_KIND, "files": listing,
           "digest": _digest(json.dumps(listing, sort_keys=True).encode())}
    return (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode()


def _not_ours(out: Path) -> str | None:
    """Why the existing tree ``out`` is not exactly a tree ccsec wrote (None: it is)."""
    marker = out / OWN_MARKER
    try:
        doc = json.loads(marker.read_bytes())
        listing = doc["files"]
        if doc.get("kind") != _MARKER_KIND or not isinstance(listing, dict) or \
                doc.get("digest") != _digest(json.dumps(listing, sort_keys=True).encode()):
            return f"its {OWN_MARKER} is not one ccsec wrote"
    except FileNotFoundError:
        return f"it has no {OWN_MARKER} (ccsec did not write it, or an older ccsec did)"
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return f"its {OWN_MARKER} cannot be read"
    try:
        found = _listing(out)
    except OSError as exc:
        return f"it cannot be read ({exc.strerror})"
    if found is None:
        return "it holds links or special files"
    found.pop(OWN_MARKER, None)
    extra = sorted(set(found) - set(listing))
    if extra:
        return f"it holds files ccsec did not write ({', '.join(extra[:3])}" + \
            (f" and {len(extra) - 3} more)" if len(extra) > 3 else ")")
    changed = sorted(rel for rel, h in found.items() if listing.get(rel) != h)
    if changed:
        return f"files changed since ccsec wrote them ({', '.join(changed[:3])})"
    return None


def check_target(out: str | Path, force: bool = False) -> Path:
    """Fail early (before any work) if ``out`` cannot become a ccsec output directory:
    new or empty is fine; an existing tree needs ``force`` and must be exactly ccsec's."""
    out = Path(out).absolute()
    try:
        if out.is_symlink() or (out.exists() and not out.is_dir()):
            raise OutputError(Problem(f"{out} exists and is not a directory",
                                      field="-o/--out", fix="choose a new or empty directory"))
        if not out.exists() or not any(out.iterdir()):
            return out
    except OSError as exc:
        raise os_error(out, exc) from None
    if not force:
        raise OutputError(Problem(f"{out} already exists and is not empty", field="-o/--out",
                                  fix=_FORCE_FIX + " (only a tree ccsec wrote, unchanged, is "
                                  "replaced)"))
    why = _not_ours(out)
    if why is not None:
        raise OutputError(Problem(f"{out} is not replaced: {why}", field="-o/--out",
                                  fix="choose a new or empty directory, or move the files "
                                  "away (ccsec never deletes what it did not write)"))
    return out


def _remove_tree(path: Path) -> None:
    """Delete a tree ccsec wrote (verified before), read-only directories included: each
    directory is made writable by its owner before its entries go."""
    for dirpath, dirnames, _ in os.walk(path, followlinks=False):
        os.chmod(dirpath, 0o700)
        for name in dirnames:
            sub = os.path.join(dirpath, name)
            if not os.path.islink(sub):
                os.chmod(sub, 0o700)
    shutil.rmtree(path)


def write_tree(out: str | Path, files: Mapping[str, OutFile], force: bool = False) -> Path:
    """Replace directory ``out`` with exactly ``files`` (relative paths) and the marker,
    atomically.  An existing non-empty ``out`` is replaced only with ``force`` and only when it
    is an unchanged tree ccsec wrote (checked again just before the swap)."""
    with TreeWriter(out, force) as writer:
        for rel, f in files.items():
            writer.add(rel, f)
        return writer.finish()


#: how often a :class:`TreeWriter` flushes what it has written so far
FLUSH_EVERY_S = 0.3


class TreeWriter:
    """:func:`write_tree` for files that come one at a time: each is written into the stage
    (a hidden sibling of ``out``) as it comes, and :meth:`finish` swaps the whole tree in.
    A render writes each end's files while worker processes still render the next ends.
    Leaving the ``with`` block without :meth:`finish` (an error, an interrupt) removes the
    stage: ``out`` is never touched until the tree is complete.

    While files come, a thread flushes the file system every :data:`FLUSH_EVERY_S` seconds,
    so that the data goes to disk while the next files are made instead of all at once
    before the swap (110 MB for 1,000 sites); :meth:`finish` still flushes once more, after
    the last file, before the swap."""

    def __init__(self, out: str | Path, force: bool = False) -> None:
        self.out = check_target(out, force)
        self.force = force
        self._stage: Path | None = None
        self._root = ""
        self._digests: dict[str, str] = {}
        self._written: list[Path] = []
        self._dirs: set[str] = set()
        self._done = threading.Event()
        self._flusher: threading.Thread | None = None

    def __enter__(self) -> TreeWriter:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop_flushing()
        if self._stage is not None:
            shutil.rmtree(self._stage, ignore_errors=True)
            self._stage = None

    def _open(self) -> Path:
        if self._stage is None:
            try:
                self.out.parent.mkdir(parents=True, exist_ok=True)
                self._stage = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.new-",
                                                    dir=self.out.parent)).resolve()
            except OSError as exc:
                raise os_error(self.out, exc) from None
            self._root = str(self._stage) + os.sep
            if _libc_syncfs() is not None:
                self._flusher = threading.Thread(target=self._flush_while_writing,
                                                 args=(self._stage,), daemon=True,
                                                 name="ccsec-flush")
                self._flusher.start()
        return self._stage

    def _flush_while_writing(self, stage: Path) -> None:
        # a failure here is not the tree's: finish() flushes again and reports its own
        while not self._done.wait(FLUSH_EVERY_S):
            try:
                _syncfs(stage)
            except OSError:
                return

    def _stop_flushing(self) -> None:
        self._done.set()
        if self._flusher is not None:
            self._flusher.join()
            self._flusher = None

    def add(self, rel: str, f: OutFile) -> str:
        """Write one file (``rel`` inside the tree); its SHA-256 (of the bytes written)."""
        stage = self._open()
        # the stage is a fresh directory only this writer writes (no links in it), so the
        # lexical normal form is where the file lands: no resolve() per file
        target = os.path.normpath(os.path.join(stage, rel))
        if not target.startswith(self._root) or rel == OWN_MARKER or rel in self._digests:
            raise OutputError(Problem(f"output path {rel!r} escapes the output directory"
                                      if rel not in self._digests else
                                      f"output path {rel!r} is written twice"))
        data = _encode(f.text)
        try:
            parent = os.path.dirname(target)
            if parent not in self._dirs:
                os.makedirs(parent, exist_ok=True)
                self._dirs.add(parent)
            _write(Path(target), data, f.secret, sync=False, parent_made=True)
        except OSError as exc:
            raise os_error(self.out, exc) from None
        self._written.append(Path(target))
        digest = self._digests[rel] = _digest(data)
        return digest

    def finish(self) -> Path:
        """The marker, one sync, then the swap (an existing tree ccsec wrote is checked again
        just before it is replaced)."""
        stage = self._open()
        out, force = self.out, self.force
        try:
            _write(stage / OWN_MARKER, _marker(self._digests), secret=True, sync=False)
            self._stop_flushing()
            _sync_tree(stage, [*self._written, stage / OWN_MARKER])
            os.chmod(stage, 0o755)
            if out.exists():
                check_target(out, force)  # unchanged since the first check
                old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:12]}"
                if any(out.iterdir()):
                    os.rename(out, old)
                else:
                    os.rmdir(out)
                try:
                    os.rename(stage, out)
                except OSError:
                    if old.exists():
                        os.rename(old, out)  # put the previous tree back
                    raise
                self._stage = None
                if old.exists():
                    try:
                        _remove_tree(old)
                    except OSError as exc:
                        raise OutputError(Problem(
                            f"wrote {out}, but cannot remove the previous tree moved to {old}: "
                            f"{exc.strerror or exc}", field="-o/--out",
                            fix=f"remove {old} by hand")) from None
            else:
                os.rename(stage, out)
                self._stage = None
        except OSError as exc:
            raise os_error(out, exc) from None
        return out
