"""Reading the files a user names: bounded, regular files only, decoded without surprises.

Text files Windows tools wrote come as UTF-16 with BOM (PowerShell 5.1 ``Out-File``), UTF-8
with or without BOM, or the ANSI code page; :func:`decode` takes each.  Every read is bounded:
a file over :func:`max_bytes` is refused with its size and what to do, and only regular files
are read (``/dev/zero``, a FIFO or a directory given as a file would never end or not be a
file at all).  JSON is parsed with numbers and nesting bounded, so a 5,000-digit number or
100,000 ``[`` is a located ParseError, never a ValueError or RecursionError traceback.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from ccsec.errors import ParseError, Problem, UserError

#: the default limit per input file; ``CCSEC_MAX_FILE_MB`` raises or lowers it
MAX_BYTES = 64 * 1024 * 1024
#: the longest number JSON input may spell (Python refuses more than 4,300 digits anyway)
MAX_JSON_NUMBER = 100


def max_bytes() -> int:
    """The size limit per input file: ``CCSEC_MAX_FILE_MB`` (whole MiB) or 64 MiB."""
    env = os.environ.get("CCSEC_MAX_FILE_MB", "")
    return int(env) * 1024 * 1024 if env.isascii() and env.isdigit() and int(env) > 0 \
        else MAX_BYTES


def too_large(size: int, limit: int, file: str) -> ParseError:
    return ParseError(Problem(
        f"file is {size / 1048576:,.1f} MiB, over the limit of {limit // 1048576:,} MiB per file",
        file=file, fix="split it or filter it to what matters (a time window, one device), or "
        "raise the limit with CCSEC_MAX_FILE_MB=<MiB>"))


def read_bytes(path: str | Path, limit: int | None = None,
               error: type[UserError] = ParseError) -> bytes:
    """The bytes of a regular file, at most ``limit`` (default :func:`max_bytes`); anything
    else raises ``error`` naming the file and what to do."""
    p = Path(path)
    limit = max_bytes() if limit is None else limit
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise error(Problem(f"cannot read: {exc.strerror or exc}", file=str(p),
                            fix="check the path and permissions")) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "a directory" if stat.S_ISDIR(info.st_mode) else \
                "a device, pipe or socket, not a regular file"
            raise error(Problem(f"is {kind}", file=str(p), fix="name a regular file"))
        if info.st_size > limit:
            raise _as(error, too_large(info.st_size, limit, str(p)))
        chunks: list[bytes] = []
        total = 0
        while True:  # the size may have changed since fstat: never read past the limit
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise _as(error, too_large(total, limit, str(p)))
        return b"".join(chunks)
    except OSError as exc:
        raise error(Problem(f"cannot read: {exc.strerror or exc}", file=str(p),
                            fix="check the path and permissions")) from None
    finally:
        os.close(fd)


def _as(error: type[UserError], exc: UserError) -> UserError:
    return exc if isinstance(exc, error) else error(exc.problems)


def decode(data: bytes, file: str) -> str:
    """Text of ``data`` by its BOM; UTF-8 without one, cp1252 as the last resort."""
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ParseError(Problem(f"not valid UTF-16 text ({exc.reason})", file=file,
                                     fix="export the file again")) from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def decode_utf8(data: bytes, file: str, error: type[UserError] = ParseError) -> str:
    """Strict UTF-8 (a BOM is dropped): files ccsec's users write by hand (deployment, waivers,
    key files); a bad byte is named with its line."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise error(Problem(f"not UTF-8 text (byte 0x{data[exc.start]:02x})", file=file,
                            line=line, fix="save the file as UTF-8")) from None


def read_text(path: str | Path, limit: int | None = None) -> str:
    """The decoded text of a file the user named (errors name the file and say what to do)."""
    return decode(read_bytes(path, limit), str(path))


def ascii_int(text: str, max_digits: int = 18) -> int | None:
    """The integer ``text`` spells in ASCII digits (surrounding blanks allowed), or None.

    ``str.isdigit`` is true for "①" and "²", which ``int()`` refuses, and a 5,000-digit
    number passes it too; configuration numbers are short ASCII digit strings."""
    t = text.strip()
    if t and len(t) <= max_digits and t.isascii() and t.isdigit():
        return int(t)
    return None


def _parse_int(text: str) -> int:
    if len(text) > MAX_JSON_NUMBER:
        raise ValueError(f"a number of {len(text):,} digits")
    return int(text)


def _parse_float(text: str) -> float:
    if len(text) > MAX_JSON_NUMBER:
        raise ValueError(f"a number of {len(text):,} characters")
    return float(text)


def load_json(text: str, file: str, fix: str) -> Any:
    """A JSON document, or a ParseError at its line: malformed, a number too long to be one,
    or nested too deeply for Python's parser."""
    try:
        return json.loads(text, parse_int=_parse_int, parse_float=_parse_float)
    except json.JSONDecodeError as exc:
        raise ParseError(Problem(f"malformed JSON: {exc.msg}", file=file, line=exc.lineno,
                                 fix=fix)) from None
    except RecursionError:
        raise ParseError(Problem("JSON nested too deeply to read", file=file, line=1,
                                 fix=fix)) from None
    except ValueError as exc:
        raise ParseError(Problem(f"malformed JSON: {exc}", file=file, fix=fix)) from None
