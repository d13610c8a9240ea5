"""The netsh script grammar: a line → (tag, value) pairs → a bound ``ipsec static`` command.

:func:`tokenize` splits one line as netsh does (quotes group and are dropped, ``tag=value``);
:data:`SPECS` lists each command's tags in documented order (positional values follow it,
``netsh ipsec static <verb> <object> ?`` [D]) and :func:`bind` expands tag abbreviations and
places positional values.  The value parsers read what the help text documents:
``mmsecmethods`` (and, with a warning, the online page's contradicting form [V]),
``qmsecmethods`` offers with their lifetimes, ``rootca`` with its ``\\'`` escape and options.
A malformed value raises :class:`BadLine`, which the store turns into a
:class:`~ccsec.errors.ParseError` with file:line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv4Network

from pydantic import ValidationError

from ccsec.crypto import Encr, EspProposal, IkeProposal, Integ
from ccsec.formats.base import Note
from ccsec.formats.windows.vocabulary import (
    NETSH_ESP_CONF,
    NETSH_MM_ENCR,
    NETSH_MM_GROUP,
    NETSH_MM_INTEG,
    NETSH_QM_HASH,
)

# inverse tables: netsh word (upper case) → model value
_MM_ENCR_IN = {v.upper(): k for k, v in NETSH_MM_ENCR.items()}
_MM_INTEG_IN = {v.upper(): k for k, v in NETSH_MM_INTEG.items()}
_MM_GROUP_IN = {v: k for k, v in NETSH_MM_GROUP.items()}
_ESP_CONF_IN = {v.upper(): k for k, v in NETSH_ESP_CONF.items()}
_QM_HASH_IN = {v.upper(): k for k, v in NETSH_QM_HASH.items()}
#: the online page's "3DES-SHA1 DHGroup2;AES128-SHA256 DHGroup14" form [V] (parse only)
_V_ENCR_IN = {**_MM_ENCR_IN, "AES128": Encr.AES128, "AES192": Encr.AES192, "AES256": Encr.AES256}
_V_INTEG_IN = {**_MM_INTEG_IN, "SHA256": Integ.SHA256, "SHA384": Integ.SHA384}
_V_GROUP_IN = {"DHGROUP1": 1, "DHGROUP2": 2, "DHGROUP14": 14, "DHGROUP24": 24,
               "ECDHP256": 19, "ECDHP384": 20}

# ------------------------------------------------------------------------------ tokenizer

_TOKEN = re.compile(r'(?:[^\s"]|"[^"]*")+')
_TAG = re.compile(r"([A-Za-z]+)=")
_DIGITS = re.compile(r"[0-9]{1,10}")
REDIRECT = re.compile(r"[0-9]?>")


class BadLine(ValueError):
    """A malformed value on the current line (turned into a ParseError with file:line)."""

    def __init__(self, message: str, fix: str = "see `netsh ipsec static <verb> <object> ?`"
                 ) -> None:
        super().__init__(message)
        self.fix = fix


def tokenize(line: str) -> tuple[list[tuple[str | None, str]], str | None]:
    """(tag, value) pairs of one netsh line, and what is malformed about it (if anything).

    Quotes group, they are not part of the value.  A malformed line is only an error once it
    turns out to be an ``ipsec static`` command; any other line just becomes a note.
    """
    error = None
    if line.count('"') % 2:
        error = "unterminated double quote"
        line += '"'
    out: list[tuple[str | None, str]] = []
    for tok in _TOKEN.findall(line):
        m = _TAG.match(tok)
        if m:
            out.append((m.group(1).lower(), tok[m.end():].replace('"', "")))
            continue
        if tok.startswith("=") or (tok.endswith("=") and '"' not in tok):
            error = error or f"'{tok}': write tag=value without spaces around '='"
        out.append((None, tok.replace('"', "")))
    return out, error


# ------------------------------------------------------------------------ command grammar

#: tags of each command in documented order (positional values follow this order)
SPECS: dict[tuple[str, str], tuple[str, ...]] = {
    ("add", "policy"): ("name", "description", "mmpfs", "qmpermm", "mmlifetime",
                        "activatedefaultrule", "pollinginterval", "assign", "mmsecmethods"),
    ("set", "policy"): ("name", "guid", "newname", "description", "mmpfs", "qmpermm",
                        "mmlifetime", "activatedefaultrule", "pollinginterval", "assign",
                        "gponame", "mmsecmethods"),
    ("delete", "policy"): ("name",),
    ("add", "filterlist"): ("name", "description"),
    ("set", "filterlist"): ("name", "guid", "newname", "description"),
    ("delete", "filterlist"): ("name",),
    ("add", "filter"): ("filterlist", "srcaddr", "dstaddr", "description", "protocol",
                        "mirrored", "srcmask", "dstmask", "srcport", "dstport"),
    ("delete", "filter"): ("filterlist", "srcaddr", "dstaddr", "protocol", "srcmask",
                           "dstmask", "srcport", "dstport", "mirrored"),
    ("add", "filteraction"): ("name", "description", "qmpfs", "inpass", "soft", "action",
                              "qmsecmethods"),
    ("set", "filteraction"): ("name", "guid", "newname", "description", "qmpfs", "inpass",
                              "soft", "action", "qmsecmethods"),
    ("delete", "filteraction"): ("name",),
    ("add", "rule"): ("name", "policy", "filterlist", "filteraction", "tunnel", "conntype",
                      "activate", "description", "kerberos", "psk", "rootca"),
    ("set", "rule"): ("name", "id", "policy", "newname", "description", "filterlist",
                      "filteraction", "tunnel", "conntype", "activate", "kerberos", "psk",
                      "rootca"),
    ("delete", "rule"): ("name", "id", "policy"),
    ("set", "defaultrule"): ("policy", "qmpfs", "activate", "qmsecmethods", "kerberos", "psk",
                             "rootca"),
    ("set", "store"): ("location", "domain"),
    ("set", "batch"): ("mode",),
}
#: how many leading untagged values a command takes positionally
POSITIONAL = {("set", "policy"): 1, ("set", "filterlist"): 1, ("set", "filteraction"): 1,
              ("set", "rule"): 1, ("delete", "policy"): 1, ("delete", "filterlist"): 1,
              ("delete", "filteraction"): 1, ("delete", "rule"): 1}
VERBS = ("add", "set", "delete", "show", "exportpolicy", "importpolicy")
OBJECTS = {
    "add": ("policy", "filterlist", "filter", "filteraction", "rule"),
    "set": ("policy", "filterlist", "filteraction", "rule", "defaultrule", "store", "batch"),
    "delete": ("policy", "filterlist", "filter", "filteraction", "rule", "all"),
}
AUTH_TAGS = ("kerberos", "psk", "rootca")


def pick(word: str, choices: Iterable[str], what: str) -> str | None:
    """``word`` as one of ``choices``: exact, else a unique prefix (netsh abbreviations)."""
    word = word.lower()
    choices = tuple(choices)
    if word in choices:
        return word
    hits = [c for c in choices if c.startswith(word)]
    if len(hits) > 1:
        raise BadLine(f"'{word}' is ambiguous for a {what}: {', '.join(hits)}")
    return hits[0] if hits else None


def bind(cmd: tuple[str, str], args: list[tuple[str | None, str]]) -> list[tuple[str, str]]:
    """Full tag names for ``args`` (abbreviations expanded, positional values placed)."""
    order = SPECS[cmd]
    limit = POSITIONAL.get(cmd, len(order))
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for i, (tag, value) in enumerate(args):
        if tag is None:
            if value.lower() == "all" and cmd[0] == "delete":
                out.append(("all", "yes"))
                continue
            if i >= limit:
                raise BadLine(f"value '{value}' has no tag= and is not in a documented position")
            full = order[i]
        else:
            picked = pick(tag, order, f"{cmd[0]} {cmd[1]} tag")
            if picked is None:
                raise BadLine(f"unknown tag '{tag}=' for {cmd[0]} {cmd[1]} "
                           f"(tags: {', '.join(order)})")
            full = picked
        if full in seen and full != "rootca":
            raise BadLine(f"tag {full}= given twice")
        seen.add(full)
        out.append((full, value))
    return out


# --------------------------------------------------------------------------- value parsers


def yes_no(value: str, tag: str) -> bool:
    v = value.lower()
    if v in ("yes", "y"):
        return True
    if v in ("no", "n"):
        return False
    raise BadLine(f"{tag}={value}: expected yes or no")


def number(value: str, tag: str, lo: int = 0, hi: int | None = None) -> int:
    if not _DIGITS.fullmatch(value):
        raise BadLine(f"{tag}={value}: expected a number")
    n = int(value)
    if n < lo or (hi is not None and n > hi):
        raise BadLine(f"{tag}={value}: out of range")
    return n


def parse_mmsec(value: str, line: int, notes: list[Note]) -> tuple[IkeProposal, ...]:
    """mmsecmethods: ``3DES-SHA1-2 DES-MD5-1`` [D], or the online page's form [V]."""
    if ";" in value or "dhgroup" in value.lower() or "ecdh" in value.lower():
        notes.append(Note(line, "warning", "mmsecmethods uses the online page's "
                          "'ENC-HASH DHGroupN;…' form, which contradicts the built-in help "
                          "grammar [V] — confirm with `netsh ipsec static show policy`"))
        return tuple(_v_method(m.strip()) for m in value.split(";") if m.strip())
    out = []
    for item in value.split():
        parts = item.upper().split("-")
        if (len(parts) != 3 or parts[0] not in _MM_ENCR_IN or parts[1] not in _MM_INTEG_IN
                or parts[2] not in _MM_GROUP_IN):
            raise BadLine(f"mmsecmethods entry '{item}': expected DES|3DES-MD5|SHA1-1|2|3")
        out.append(IkeProposal(encryption=_MM_ENCR_IN[parts[0]],
                               integrity=_MM_INTEG_IN[parts[1]], group=_MM_GROUP_IN[parts[2]]))
    if not out:
        raise BadLine("mmsecmethods is empty")
    return tuple(out)


def _v_method(item: str) -> IkeProposal:
    algs, _, group = item.upper().partition(" ")
    enc, _, integ = algs.partition("-")
    group = group.strip()
    if enc not in _V_ENCR_IN or integ not in _V_INTEG_IN or group not in _V_GROUP_IN:
        raise BadLine(f"mmsecmethods entry '{item}': expected e.g. 3DES-SHA1 DHGroup2")
    return IkeProposal(encryption=_V_ENCR_IN[enc], integrity=_V_INTEG_IN[integ],
                       group=_V_GROUP_IN[group])


@dataclass(frozen=True)
class QmOffers:
    proposals: tuple[EspProposal, ...]
    life_s: int | None
    life_kb: int | None
    mixed_lifetimes: bool


_ESP_RE = re.compile(r"ESP\[([A-Z0-9]+),([A-Z0-9]+)\]")
_AH_RE = re.compile(r"AH\[([A-Z0-9]+)\]")
_LIFE_RE = re.compile(r"([0-9]{1,10})([KS])")


def parse_qmsec(value: str) -> QmOffers:
    """qmsecmethods: ``ESP[3DES,SHA1]:100000k/3600s AH[MD5]:3600s …`` (help text [D])."""
    props: list[EspProposal] = []
    lives: list[tuple[int | None, int | None]] = []
    for offer in value.upper().split():
        algs, _, life = offer.partition(":")
        props.append(_qm_algs(algs, offer))
        lives.append(_qm_life(life, offer) if life else (None, None))
    if not props:
        raise BadLine("qmsecmethods is empty")
    life_s, life_kb = lives[0]
    return QmOffers(tuple(props), life_s, life_kb, len(set(lives)) > 1)


def _qm_algs(algs: str, offer: str) -> EspProposal:
    esp: tuple[Encr, Integ | None] | None = None
    ah: Integ | None = None
    for part in algs.split("+"):
        m = _ESP_RE.fullmatch(part)
        if m and esp is None and m.group(1) in _ESP_CONF_IN and (
                m.group(2) == "NONE" or m.group(2) in _QM_HASH_IN):
            esp = (_ESP_CONF_IN[m.group(1)], _QM_HASH_IN.get(m.group(2)))
            continue
        m = _AH_RE.fullmatch(part)
        if m and ah is None and m.group(1) in _QM_HASH_IN:
            ah = _QM_HASH_IN[m.group(1)]
            continue
        raise BadLine(f"qmsecmethods offer '{offer}': expected ESP[DES|3DES|None,MD5|SHA1|None], "
                   "AH[MD5|SHA1] or AH[…]+ESP[…]")
    if esp is None:
        return EspProposal(encryption=None, ah=ah)
    encr, integ = esp
    if encr == Encr.NULL and integ is None:
        raise BadLine(f"qmsecmethods offer '{offer}': ESP[None,None] protects nothing")
    return EspProposal(encryption=encr, integrity=integ, ah=ah)


def _qm_life(life: str, offer: str) -> tuple[int | None, int | None]:
    seconds = kbytes = None
    for part in life.split("/"):
        m = _LIFE_RE.fullmatch(part)
        if not m:
            raise BadLine(f"qmsecmethods offer '{offer}': lifetime must look like 100000k/3600s")
        if m.group(2) == "S" and seconds is None:
            seconds = int(m.group(1))
        elif m.group(2) == "K" and kbytes is None:
            kbytes = int(m.group(1))
        else:
            raise BadLine(f"qmsecmethods offer '{offer}': lifetime unit given twice")
    return seconds, kbytes


def parse_rootca(value: str, line: int, notes: list[Note]) -> str:
    """The CA name of a ``rootca`` string: ``\\'`` is a double quote, options are stripped."""
    ca = value.replace("\\'", '"')
    found = False
    while True:
        stripped = ca.rstrip()
        cut = max(stripped.rfind(" "), stripped.rfind("\t"))
        option, colon, flag = stripped[cut + 1:].lower().partition(":")
        if cut < 0 or not colon or option not in ("certmap", "excludecaname"):
            break
        if flag in ("yes", "y"):
            notes.append(Note(line, "info", f"rootca {option}:yes is not part of ccsec's "
                              "policy model (read as the CA name only)"))
        elif flag not in ("no", "n"):
            raise BadLine(f"rootca option {option}:{flag}: expected yes or no")
        ca = stripped[:cut]
        found = True
    if not ca.strip():
        raise BadLine("rootca names no CA")
    return ca.rstrip() if found else ca


# ------------------------------------------------------------------- contexts and tags


def walk_context(ctx: tuple[str, ...], tokens: list[tuple[str | None, str]]
                 ) -> tuple[tuple[str, ...], list[tuple[str | None, str]]]:
    """Follow context words (``ipsec``, ``static``, ``..``) from ``ctx``; the rest is a command."""
    children = {(): ("ipsec",), ("ipsec",): ("static", "dynamic")}
    i = 0
    while i < len(tokens) and tokens[i][0] is None:
        word = tokens[i][1].lower()
        if word == "..":
            ctx = ctx[:-1]
        elif word in children.get(ctx, ()):
            ctx = (*ctx, word)
        else:
            break
        i += 1
    return ctx, tokens[i:]


def try_pick(token: tuple[str | None, str], choices: Iterable[str]) -> str | None:
    """Like :func:`pick` for a line that may not be a netsh command at all (no errors)."""
    if token[0] is not None:
        return None
    try:
        return pick(token[1], choices, "word")
    except BadLine:
        return None


def tag_value(tags: list[tuple[str, str]], tag: str) -> str | None:
    """The value of ``tag`` among bound tags (``None`` if not given)."""
    return next((v for t, v in tags if t == tag), None)


def required_tag(tags: list[tuple[str, str]], tag: str) -> str:
    """The value of ``tag``, which must be given and not empty (a name, a filter list …)."""
    value = tag_value(tags, tag)
    if not value:
        raise BadLine(f"{tag}= is missing or empty")
    return value


def prefix_length(mask: str | None) -> int:
    """A prefix length from ``srcmask``/``dstmask``: ``1``–``32`` or dotted; default /32."""
    if mask is None or mask == "":
        return 32
    if _DIGITS.fullmatch(mask):
        return number(mask, "mask", 0, 32)
    try:
        return IPv4Network(f"0.0.0.0/{mask}").prefixlen
    except ValueError:
        raise BadLine(f"mask {mask}: expected a prefix length or a contiguous dotted mask") \
            from None


def reason(exc: ValueError) -> str:
    """One line for a value error (pydantic's own text spans several lines)."""
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(x) for x in e['loc']) or 'value'}: {e['msg']}"
                         for e in exc.errors())
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__

