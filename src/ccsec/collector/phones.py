"""A Communications Manager phone export (CSV) → :class:`Phone` values.

Built from documentation only [U]: the Bulk Administration Tool exposes the product-specific
fields Device Security Mode, PC Port, Settings Access, Gratuitous ARP, PC Voice VLAN Access, Web
Access … (windows-and-cce-facts.md §5.2 [S30]); how they appear in a BAT *export* was not
verified.  The reader therefore keys on column names, not positions: a header row whose names
are matched case- and punctuation-insensitively against :data:`COLUMNS` (``DEVICE NAME``,
``Device Type``, ``PC Port``, ``PC Voice VLAN Access``, ``Span to PC Port``, ``Gratuitous ARP``,
``Device Security Profile`` or ``Device Security Mode``, ``Device Pool`` …).  Setting values are
read as words (Enabled/Disabled, On/Off, True/False, Yes/No); numeric 0/1 values are refused
unless the caller opts into the ``SEP*.cnf.xml`` vendorConfig encoding (0 = Enabled,
1 = Disabled [U], "calibrate with one phone whose UI state is known").
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from ccsec.errors import ParseError, Problem

COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("devicename", "name", "macaddress"),
    "model": ("devicetype", "phonetype", "model", "product", "producttype"),
    "description": ("description",),
    "pool": ("devicepool", "devicepoolname"),
    "security": ("devicesecuritymode", "securitymode", "devicesecurityprofile",
                 "securityprofile", "securityprofilename"),
    "pc_port": ("pcport",),
    "voice_vlan": ("pcvoicevlanaccess", "voicevlanaccess"),
    "span": ("spantopcport",),
    "garp": ("gratuitousarp", "garp"),
    "web": ("webaccess",),
    "settings": ("settingsaccess", "settingaccess"),
}
SETTINGS = ("pc_port", "voice_vlan", "span", "garp", "web", "settings")
_TRUE = {"enabled", "enable", "on", "true", "yes", "t", "y"}
_FALSE = {"disabled", "disable", "off", "false", "no", "f", "n"}
FIX = ("export with Bulk Administration > Phones > Export Phones (all details) or write a CSV "
       "with a header row naming the columns")


@dataclass
class Phone:
    line: int
    name: str
    model: str
    description: str = ""
    pool: str = ""
    security: str = ""  # non-secure | authenticated | encrypted | "" (unknown)
    security_text: str = ""
    settings: dict[str, bool | None] = field(default_factory=dict)


def _norm(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def security_mode(text: str) -> str:
    """Mode from a mode value or a profile name (``Cisco 7960 - Standard SCCP Non-Secure
    Profile`` → non-secure)."""
    t = text.lower().replace("-", " ")
    if "encrypt" in t:
        return "encrypted"
    if "authenticat" in t:
        return "authenticated"
    if "non secure" in t or "nonsecure" in t or t.strip() in ("1", "none"):
        return "non-secure"
    return ""


def _setting(value: str, numeric: bool, file: str, line: int, column: str) -> bool | None:
    v = value.strip().lower()
    if not v or v in ("default", "<none>"):
        return None
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    if v in ("0", "1") and numeric:
        return v == "0"  # vendorConfig: 0 = Enabled, 1 = Disabled [U]
    fix = ("pass --numeric-encoding vendorconfig if the export uses SEP*.cnf.xml's 0/1 "
           "(0 = Enabled) [U]" if v in ("0", "1") else "use Enabled or Disabled")
    raise ParseError(Problem(f"cannot read {value!r} as Enabled/Disabled", file=file, line=line,
                             field=column, fix=fix))


def parse(text: str, file: str, numeric: bool = False) -> list[Phone]:
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = next(reader)
    except StopIteration:
        raise ParseError(Problem("empty file", file=file, fix=FIX)) from None
    except csv.Error as exc:
        raise ParseError(Problem(f"malformed CSV: {exc}", file=file, line=1, fix=FIX)) from None
    normed = [_norm(h) for h in header]
    index: dict[str, int] = {}
    for key, names in COLUMNS.items():
        for n in names:
            if n in normed:
                index[key] = normed.index(n)
                break
    for required in ("name", "model"):
        if required not in index:
            raise ParseError(Problem(f"no {COLUMNS[required][0]!r}-like column in the header",
                                     file=file, line=1, fix=FIX))
    phones = []
    prev = 1
    try:
        for row in reader:
            start, prev = prev + 1, reader.line_num
            if not any(c.strip() for c in row):
                continue
            if len(row) != len(header):
                raise ParseError(Problem(f"{len(row)} fields, the header has {len(header)}",
                                         file=file, line=start, fix=FIX))
            cell = {k: row[i].strip() for k, i in index.items()}
            ph = Phone(start, cell["name"], cell["model"], cell.get("description", ""),
                       cell.get("pool", ""), security_mode(cell.get("security", "")),
                       cell.get("security", ""))
            for key in SETTINGS:
                if key in index:
                    ph.settings[key] = _setting(cell[key], numeric, file, start, header[index[key]])
            phones.append(ph)
    except csv.Error as exc:
        raise ParseError(Problem(f"malformed CSV: {exc}", file=file, line=reader.line_num,
                                 fix=FIX)) from None
    return phones
