"""Reading text files Windows tools wrote: UTF-16 with BOM (PowerShell 5.1 ``Out-File``),
UTF-8 with or without BOM, or the ANSI code page.  Decoding problems become ParseErrors with
the file name, never a UnicodeDecodeError traceback."""

from __future__ import annotations

from pathlib import Path

from ccsec.errors import ParseError, Problem

MAX_BYTES = 512 * 1024 * 1024


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


def read_text(path: str | Path) -> str:
    """The decoded text of a file the user named (errors name the file and say what to do)."""
    p = Path(path)
    try:
        if p.stat().st_size > MAX_BYTES:
            raise ParseError(Problem("file is larger than 512 MiB", file=str(p),
                                     fix="split it or filter it to the time window of interest"))
        data = p.read_bytes()
    except OSError as exc:
        raise ParseError(Problem(f"cannot read: {exc.strerror}", file=str(p),
                                 fix="check the path and permissions")) from None
    return decode(data, str(p))
