"""Host names in configurations → addresses, from a hosts file the user gives (``--hosts``).

A configuration may name its peer by host name (strongSwan ``remote_addrs = vpn.example.com``,
ipsec.conf ``right=moon.example.com``); charon resolves it with DNS when it needs it.  The audit
never asks DNS (its verdicts must not depend on the machine it runs on): a name is resolved
through the hosts file given with ``--hosts`` (the ``/etc/hosts`` format: an address, then
names), or it stays unresolved — the rule then pairs with no one and says why.  It never
becomes "any peer".
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from ipaddress import ip_address
from pathlib import Path

from ccsec.audit.model import ImportedEnd
from ccsec.errors import UserError
from ccsec.formats.base import Note
from ccsec.policy import Address
from ccsec.textio import read_text


@dataclass(frozen=True)
class HostsTable:
    """Names (lower case, without a trailing dot) → addresses, in file order."""

    names: dict[str, tuple[Address, ...]] = field(default_factory=dict)
    source: str = ""

    def lookup(self, name: str, family: int | None = None) -> Address | None:
        """The first address of ``name`` (of ``family`` when one is given and present)."""
        found = self.names.get(name.lower().rstrip("."), ())
        for a in found:
            if family is None or a.version == family:
                return a
        return found[0] if found else None


def parse_hosts(text: str, source: str = "<hosts>") -> HostsTable:
    """The hosts-file format: ``address name [alias …]``, ``#`` comments; lines whose first
    word is not an address are skipped."""
    names: dict[str, dict[Address, None]] = {}  # ordered sets: one step per repeat
    for raw in text.splitlines():
        words = raw.split("#", 1)[0].split()
        if len(words) < 2:
            continue
        try:
            addr = ip_address(words[0])
        except ValueError:
            continue
        for name in words[1:]:
            names.setdefault(name.lower().rstrip("."), {}).setdefault(addr)
    return HostsTable({k: tuple(v) for k, v in names.items()}, source)


def load_hosts(path: str | Path | None) -> HostsTable | None:
    """Read a hosts file (``None``: no file given).  A missing file is a usage error."""
    if path is None:
        return None
    p = Path(path)
    # bounded, regular files only (a clean error naming the file and the option otherwise)
    try:
        text = read_text(p)
    except UserError as exc:
        raise UserError([replace(q, field=q.field or "--hosts") for q in exc.problems]) \
            from None
    return parse_hosts(text, str(p))


def resolve_names(ends: list[ImportedEnd], hosts: HostsTable | None) -> None:
    """Give every rule that names its peer by host name the address the hosts file has for it,
    in place; a name it lacks stays unresolved (with a note on the end)."""
    for end in ends:
        rules = list(end.policy.rules)
        changed = False
        for i, r in enumerate(rules):
            if r.peer_name is None:
                continue
            family = None if r.local_address.is_unspecified else r.local_address.version
            found = hosts.lookup(r.peer_name, family) if hosts else None
            line = end.locations.get(r.name)
            if found is None:
                where = f"in {hosts.source}" if hosts else "(no --hosts file given)"
                end.notes.append(Note(line, "warning", f"{r.name}: peer host name "
                                      f"{r.peer_name} is not resolved {where}: the rule pairs "
                                      "with no configuration"))
                continue
            rules[i] = r.model_copy(update={"peer_address": found, "peer_name": None})
            end.notes.append(Note(line, "info", f"{r.name}: peer {r.peer_name} resolved to "
                                  f"{found} (hosts file)"))
            changed = True
        if changed:
            end.policy = end.policy.model_copy(update={"rules": tuple(rules)})
