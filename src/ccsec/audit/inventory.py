"""A directory of mixed configuration files → imported ends, each attached to its device.

Format detection sniffs the **content** (file names in real audits are whatever the customer's
backup tool chose), with the sniffers of the format registry (:mod:`ccsec.formats.registry`):
a collector JSON carries its schema id; swanctl.conf has ``connections {``; ipsec.conf has
``conn <name>`` sections and ipsec.secrets ``: PSK`` lines; netsh scripts have ``add
rule|filter…`` commands; PowerShell has ``New-NetIPsec…`` cmdlets; a CUCM sheet has its page
labels; an IOS config has ``crypto …``/``interface …`` commands.  Each detected format is read
by the registry's reader for it (:data:`IMPORTERS`).

Each imported end is attached to the deployment host or gateway that owns most of its addresses
(rule addresses, interface addresses, the collector's host addresses; a ``ccsec-meta`` owner or
the name the device gives itself — IOS hostname, Windows computer name — equal to a device name
wins outright).

Each end carries its file's typed facts (:class:`~ccsec.formats.facts.DeviceFacts`, and the
format's own record): the importers fill them, so nothing here knows a format's vocabulary.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from ipaddress import IPv4Address
from pathlib import Path
from typing import NamedTuple, TypeVar

from ccsec.audit.model import ImportedEnd
from ccsec.deployment.model import Deployment
from ccsec.errors import Problem, UserError
from ccsec.formats import registry
from ccsec.formats.base import Parsed
from ccsec.formats.registry import sniff
from ccsec.formats.strongswan.include import Includer, Refused, confined
from ccsec.gcpause import gc_paused
from ccsec.policy import Address
from ccsec.textio import max_bytes, read_bytes
from ccsec.workers import default_workers, fork_map

T = TypeVar("T")


def _read_with(name: str) -> Callable[[str, str], Parsed]:
    def parse(text: str, source: str) -> Parsed:
        return registry.reader(name).parse(text, source)

    return parse


def _ipsec_conf(text: str, source: str, secrets: str | None = None) -> Parsed:
    from ccsec.formats.strongswan.ipsec_conf import FORMAT

    return FORMAT.parse(text, source, secrets=secrets)


#: format name → reader (text, source) → Parsed: every format of the registry ccsec reads
IMPORTERS: dict[str, Callable[[str, str], Parsed]] = {
    name: _read_with(name) for name in registry.readers()}


@dataclass
class Skipped:
    path: str
    reason: str
    line: int | None = None
    unreadable: bool = False


@dataclass
class Inventory:
    ends: list[ImportedEnd] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    #: files looked at (read, skipped, or read as part of another)
    files: int = 0
    #: the deployment the ends were attached to (loaded meanwhile when asked to)
    deployment: Deployment | None = None


class _Entry(NamedTuple):
    """A file found under the configuration directory: whether it is a link, and its size
    (of what a link points to; 0 when that cannot be read)."""

    path: Path
    link: bool
    size: int


def _files(root: Path) -> list[_Entry]:
    """Every file under ``root`` (hidden ones excluded), in path order, links not followed
    into directories; a link to a file stays in the list (it is checked before it is read).
    One pass over the directory entries gives the link test and the size as well (6,000
    files: a tenth of a second less than a walk and two calls per file)."""
    if not root.is_dir():
        return [_Entry(root, root.is_symlink(), _size(root))]
    out: list[_Entry] = []
    todo = [str(root)]
    while todo:
        try:
            listing = os.scandir(todo.pop())
        except OSError:  # as os.walk: a directory that cannot be listed adds nothing
            continue
        with listing:
            for entry in listing:
                if entry.name.startswith("."):
                    continue
                try:
                    folder = entry.is_dir()  # a link to a directory counts as one
                except OSError:
                    folder = False
                if folder:
                    if not entry.is_symlink():
                        todo.append(entry.path)
                    continue
                try:
                    size = entry.stat().st_size
                except OSError:
                    size = 0
                out.append(_Entry(Path(entry.path), entry.is_symlink(), size))
    out.sort(key=lambda e: e.path)
    return out


def _outside(path: Path, root: Path) -> bool:
    """Whether a link under ``root`` points outside it (never read: the user named the
    directory, not what its links point to)."""
    real = Path(os.path.realpath(path))
    top = Path(os.path.realpath(root))
    return real != top and top not in real.parents


def _read(path: Path) -> str | None:
    """The text of one file (None for binary data); bounded (:func:`ccsec.textio.max_bytes`),
    regular files only: anything else raises ParseError with the reason."""
    data = read_bytes(path, max_bytes())
    if b"\x00" in data[:8192]:
        return None
    return data.decode("utf-8", errors="replace").lstrip("\ufeff")


#: below this much input a second process costs more than it saves (fork + result transfer:
#: tens of milliseconds; a megabyte of swanctl.conf or PowerShell takes a few tenths of a
#: second to read)
PARALLEL_MIN_BYTES = 1024 * 1024
#: files handed to one worker at a time: big enough to amortise the transfer, small enough
#: that the workers finish together
BATCH_BYTES = 1024 * 1024
#: formats whose reading depends on other files (``include``, ipsec.secrets beside
#: ipsec.conf) or that are not configurations: the first pass hands their text back
_CONTEXTUAL = frozenset({"strongswan", "ipsec-conf", "ipsec-secrets", "strongswan-conf",
                         "ccsec-index"})


@dataclass
class _Scan:
    """What the first pass learned of one file: a reason to skip it, its parse (or the parse
    error's message and line), or — for the formats in ``_CONTEXTUAL`` — its text."""

    fmt: str | None = None
    skip: str | None = None
    unreadable: bool = False
    parsed: Parsed | None = None
    text: str | None = None
    line: int | None = None


def _parse(fmt: str, text: str, path: str, secrets: str | None = None) -> _Scan:
    """One file through its reader.  Whatever goes wrong with one file stays with that file
    (a finding), so the rest of the directory is still audited: a reader's ParseError, and —
    should a reader meet input it was not made for — any other exception too."""
    try:
        if fmt == "ipsec-conf":
            return _Scan(fmt, parsed=_ipsec_conf(text, path, secrets))
        return _Scan(fmt, parsed=IMPORTERS[fmt](text, path))
    except UserError as exc:
        p = exc.problems[0]
        return _Scan(fmt, skip=f"{fmt}: {p.message}", unreadable=True, line=p.line)
    except Exception as exc:  # one file's failure must not end the audit of the others
        return _Scan(fmt, skip=f"{fmt}: ccsec could not read this file ({type(exc).__name__}; "
                     "please report it)", unreadable=True)


def _scan(path: Path) -> _Scan:
    """Read, sniff and (unless the format needs the other files) parse one file."""
    try:
        text = _read(path)
    except UserError as exc:
        return _Scan(skip=exc.problems[0].message, unreadable=True)
    if text is None:
        return _Scan(skip="binary file")
    fmt = sniff(text)
    if fmt is None:
        return _Scan(skip="not a configuration format ccsec reads")
    if fmt == "strongswan" and "include" not in text:
        # read now: with no include its reading needs no other file (the word anywhere, a
        # comment too, keeps it for the second pass); that pass still drops it if another
        # file includes it
        scan = _parse(fmt, text, str(path))
        scan.text = text
        return scan
    if fmt in _CONTEXTUAL:
        return _Scan(fmt, text=text)
    return _parse(fmt, text, str(path))


@gc_paused
def _scan_batch(paths: list[Path]) -> list[_Scan]:
    return [_scan(p) for p in paths]


def _batches(items: Sequence[T], sizes: list[int]) -> list[list[T]]:
    """``items`` in runs of about :data:`BATCH_BYTES` (one item over it is a run alone)."""
    out: list[list[T]] = [[]]
    total = 0
    for item, size in zip(items, sizes, strict=True):
        if out[-1] and total + size > BATCH_BYTES:
            out.append([])
            total = 0
        out[-1].append(item)
        total += size
    return out


def scan_all(paths: list[Path], workers: int | None = None,
             meanwhile: Callable[[], None] | None = None,
             sizes: list[int] | None = None) -> list[_Scan]:
    """Every file's first pass, in file order.  Reading and parsing one file is a pure function
    of its bytes, so a large directory is spread over worker processes (fork: nothing to
    re-import) in batches; the results are the objects a sequential run makes, in its order.
    ``meanwhile`` runs in this process while the workers read (first, without workers);
    ``sizes``: the files' sizes, when the caller has them (they balance the batches)."""
    if sizes is None:
        sizes = [_size(p) for p in paths]
    return _over_workers(_scan_batch, paths, sizes, workers, meanwhile)


def _over_workers(batch: Callable[[list[T]], list[_Scan]], items: Sequence[T], sizes: list[int],
                  workers: int | None, meanwhile: Callable[[], None] | None = None
                  ) -> list[_Scan]:
    """``batch`` over ``items`` in order: in batches over the workers when there is
    :data:`PARALLEL_MIN_BYTES` of input or more, else in one batch in this process."""
    n = default_workers() if workers is None else workers
    if n > 1 and len(items) > 1 and sum(sizes) >= PARALLEL_MIN_BYTES:
        batches = _batches(items, sizes)
    else:
        n, batches = 1, [list(items)]
    return [s for scans in fork_map(batch, batches, n, meanwhile) for s in scans]


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


@gc_paused
def load_directory(root: Path, dep: Deployment | None = None,
                   display_root: Path | None = None, workers: int | None = None,
                   include_dirs: tuple[Path, ...] = (),
                   load: Callable[[], Deployment] | None = None) -> Inventory:
    """Read every file under ``root`` (a file works too); nothing here raises for one bad file:
    it lands in ``skipped``.  A missing root is a :class:`UserError`.  ``workers``: processes
    for reading and parsing (default :func:`default_workers`; 1 = this process only).
    strongSwan ``include`` statements are followed only inside ``root`` (the file's directory
    when ``root`` is a file) and ``include_dirs``; links to files outside ``root`` are not
    read.  ``load``: the deployment (instead of ``dep``), loaded while the workers read — an
    error loading it is raised as it would be before reading (it lands in
    :attr:`Inventory.deployment`)."""
    loaded: list[Deployment | None] = [dep]

    def load_deployment() -> None:
        if load is not None:
            loaded[0] = load()

    if not root.exists():
        load_deployment()  # a broken deployment is the first error, as without workers
        raise UserError(Problem(f"{root} does not exist", field="--configs",
                                fix="point --configs at a directory of configuration files"))
    top = root if root.is_dir() else root.parent
    shown = display_root or top
    entries = _files(root)
    paths = [e.path for e in entries]
    links_out = {e.path for e in entries if e.link and _outside(e.path, top)}
    readable = [e for e in entries if e.path not in links_out]
    files = [e.path for e in readable]
    with confined((top, *include_dirs)):
        scans = dict(zip(files, scan_all(files, workers, load_deployment,
                                         [e.size for e in readable]), strict=True))
        _parse_contextual(files, [scans[p] for p in files], scans, workers)
    for p in links_out:
        scans[p] = _Scan(skip="a link to a file outside the configuration directory (not read)")
    inv = Inventory(files=len(paths))
    for path in paths:
        scan = scans[path]
        source = _rel(path, shown)
        if scan.skip is not None:
            inv.skipped.append(Skipped(source, scan.skip, scan.line, scan.unreadable))
        elif scan.parsed is not None and scan.fmt is not None:
            inv.ends.extend(_ends(scan.parsed, source, scan.fmt))
    inv.deployment = dep = loaded[0]
    if dep is not None:
        attach(inv.ends, dep)
    return inv


def _parse_contextual(paths: list[Path], scans: list[_Scan], by_path: dict[Path, _Scan],
                      workers: int | None = None) -> None:
    """Second pass over the files whose reading depends on their neighbours (results go into
    ``by_path``): strongSwan files another one includes are read as part of it (dropped here),
    an ipsec.conf takes the ipsec.secrets beside it, and the index ccsec writes is not a
    config.  The files that remain are parsed like the first pass's, over the workers."""
    texts = {p: (s.fmt, s.text) for p, s in zip(paths, scans, strict=True)
             if s.text is not None and s.fmt is not None}
    read = {p: s for p, s in zip(paths, scans, strict=True) if s.text is not None and
            (s.parsed is not None or s.skip is not None)}  # read in the first pass
    if not texts:
        return
    secrets_by_dir = {p.parent: t for p, (f, t) in texts.items() if f == "ipsec-secrets"}
    conf_dirs = {p.parent for p, (f, _) in texts.items() if f == "ipsec-conf"}
    # strongswan.conf belongs to the ipsec.conf beside it or the swanctl.conf one level down
    config_dirs = {d for p, (f, _) in texts.items() if f in ("ipsec-conf", "strongswan")
                   for d in (p.parent, p.parent.parent)}
    included = _included(texts)
    jobs: list[_Job] = []
    owners: list[Path] = []
    for path in paths:
        if path not in texts:
            continue
        fmt, text = texts[path]
        if path in included or fmt == "ccsec-index" or \
                (fmt == "ipsec-secrets" and path.parent in conf_dirs) or \
                (fmt == "strongswan-conf" and path.parent in config_dirs):
            by_path[path] = _Scan(fmt)  # read with another file, or not a configuration
        elif fmt == "strongswan-conf":
            by_path[path] = _Scan(fmt, skip="strongswan.conf without a connection "
                                  "configuration beside it (charon-wide settings only)")
        elif fmt == "ipsec-secrets":
            by_path[path] = _Scan(fmt, skip="ipsec.secrets without an ipsec.conf beside it")
        elif path in read:
            by_path[path] = replace(read[path], text=None)
        else:
            jobs.append((fmt, text, str(path), secrets_by_dir.get(path.parent)))
            owners.append(path)
    by_path.update(zip(owners, _parse_jobs(jobs, workers), strict=True))


#: one file of the second pass: format, text, path, the ipsec.secrets beside it
_Job = tuple[str, str, str, str | None]


@gc_paused
def _parse_batch(jobs: list[_Job]) -> list[_Scan]:
    return [_parse(*job) for job in jobs]


def _parse_jobs(jobs: list[_Job], workers: int | None) -> list[_Scan]:
    """Every job's parse, in order; over worker processes when there is much text (the
    workers are forked inside :func:`~ccsec.formats.strongswan.include.confined`, so they
    follow includes exactly as far as this process would)."""
    return _over_workers(_parse_batch, jobs, [len(job[1]) for job in jobs], workers)


def _ends(parsed: Parsed, source: str, fmt: str) -> list[ImportedEnd]:
    """One imported end per policy of a parsed file, each with the file's facts."""
    return [ImportedEnd(policy=policy, source=source, format=fmt, facts=parsed.facts,
                        locations=dict(parsed.locations), notes=list(parsed.notes),
                        format_facts=parsed.format_facts)
            for policy in parsed.policies]


_INCLUDE = re.compile(r"(?m)^[ \t]*include[ \t]+(\S+)[ \t]*\r?$")


def _included(texts: dict[Path, tuple[str, str]]) -> set[Path]:
    """Files read as part of another strongSwan file (through ``include``), so not audited on
    their own: those reachable from a file that nothing includes.  A file that includes itself,
    or files that include each other with no outside file including them, stay audited on
    their own (their reader reports the cycle) — an include never hides a file."""
    edges: dict[Path, set[Path]] = {}
    for path, (fmt, text) in texts.items():
        if fmt not in ("strongswan", "ipsec-conf") or "include" not in text:
            continue
        includer = Includer.for_file(str(path))
        if includer is None:
            continue
        me = includer.chain[-1]
        for pattern in _INCLUDE.findall(text):
            try:
                edges.setdefault(me, set()).update(
                    q for q in includer.matches(pattern, cycles=False) if q != me)
            except Refused:
                continue
    if not edges:  # nothing includes anything: no need to resolve every path
        return set()
    real = {p: Path(os.path.realpath(p)) for p in texts}
    targets = {q for qs in edges.values() for q in qs}
    reached: set[Path] = set()
    todo = [r for r in edges if r not in targets]
    while todo:
        for q in edges.get(todo.pop(), ()):
            if q not in reached:
                reached.add(q)
                todo.append(q)
    return {p for p in texts if real[p] in reached}


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()



# --------------------------------------------------------------------------- attaching


def _index(dep: Deployment) -> dict[IPv4Address, str]:
    from ccsec.deployment.validate import gateway_lan

    idx: dict[IPv4Address, str] = {}
    for h in dep.hosts:
        idx[h.public] = h.name
        if h.private is not None:
            idx[h.private] = h.name
    for i, s in enumerate(dep.sites):
        if s.gateway is not None:
            idx[s.gateway.wan] = s.gateway.name
            idx[gateway_lan(dep, i)] = s.gateway.name
            if s.nat is not None:
                idx.setdefault(s.nat.public, s.gateway.name)
    return idx


def _addresses(end: ImportedEnd) -> list[Address]:
    out: list[Address] = []
    for r in end.policy.rules:
        if int(r.local_address):
            out.append(r.local_address)
        out += [f.local.network_address for f in r.filters if f.local.prefixlen == 32]
    out += end.facts.addresses
    return out


def attach(ends: list[ImportedEnd], dep: Deployment) -> None:
    """Set ``end.host`` to the deployment device each end belongs to (or leave None)."""
    idx = _index(dep)
    names = {h.name.lower(): h.name for h in dep.hosts}
    names.update({g.name.lower(): g.name for _, g in dep.gateways()})
    for end in ends:
        for hint in (end.policy.owner, end.facts.device_name):
            if hint is not None and hint.lower() in names:
                end.host = names[hint.lower()]
                break
        else:
            votes = Counter(idx[a] for a in _addresses(end)
                            if isinstance(a, IPv4Address) and a in idx)
            if votes:
                end.host = votes.most_common(1)[0][0]
