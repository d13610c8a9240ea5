"""A directory of mixed configuration files → imported ends, each attached to its device.

Format detection sniffs the **content** (file names in real audits are whatever the customer's
backup tool chose): a collector JSON carries its schema id; swanctl.conf has ``connections {``;
ipsec.conf has ``conn <name>`` sections and ipsec.secrets ``: PSK`` lines; netsh scripts have
``add rule|filter…`` commands; PowerShell has ``New-NetIPsec…`` cmdlets; a CUCM sheet has its
page labels; an IOS config has ``crypto …``/``interface …`` commands.  The import registry
(:data:`IMPORTERS`) maps each detected format to its reader: the render formats' parsers
(:mod:`ccsec.formats`) plus the import-only ones (``ipsec-conf``, ``windows-collector``).

Each imported end is attached to the deployment host or gateway that owns most of its addresses
(rule addresses, interface addresses, the collector's host addresses; a ``ccsec-meta`` owner or a
Windows computer name equal to a device name wins outright).

IOS importer facts (``ios.*``, documented in :mod:`ccsec.formats.ios_import`) are translated
into the generic facts the checks read: ``down_rules``, ``manual_keying``,
``nat_exemption_missing``, ``aggressive_mode_disabled``, ``crypto_engines``, ``rsa_key_bits``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from ipaddress import IPv4Address, ip_address
from pathlib import Path

from ccsec.audit.model import ImportedEnd
from ccsec.deployment.model import Deployment
from ccsec.errors import ParseError, Problem, UserError
from ccsec.formats.base import Parsed

MAX_BYTES = 20 * 1024 * 1024

_SWANCTL = re.compile(r"(?m)^\s*(connections|secrets|authorities)\s*\{")
_IPSEC_CONF = re.compile(r"(?m)^(conn|config)\s+\S+\s*$")
_SECRETS = re.compile(r"(?m)^[^#\n]*:\s*(PSK|RSA|ECDSA|EAP|XAUTH|P12|PIN|NTLM|PKCS8)\s")
_NETSH = re.compile(r"(?im)^\s*(?:netsh\s+)?(?:ipsec\s+static\s+)?(?:add|set)\s+"
                    r"(?:policy|filterlist|filteraction|filter|rule)\s+\w+=|^\s*pushd\s+ipsec")
_POWERSHELL = re.compile(r"(?i)\bNew-NetIPsec(Rule|MainModeCryptoSet|QuickModeCryptoSet|"
                         r"Phase1AuthSet)\b")
_CUCM = re.compile(r"(?im)^\s*(Policy Group Name|PolicyGroup)\s*:")
_IOS = re.compile(r"(?m)^(crypto\s+(isakmp|ikev2|ipsec|map|keyring|dynamic-map|pki)\b|"
                  r"interface\s+\S+|hostname\s+\S+|ip\s+access-list\s+)")
_CCSEC_INDEX = re.compile(r'"generator"\s*:\s*"ccsec ')


def sniff(text: str) -> str | None:
    """The format of a configuration text, or None when it is none ccsec reads."""
    head = text[:200_000]
    stripped = head.lstrip()
    if stripped.startswith(("{", "[")):
        if '"ccsec-windows-collector/' in head[:4096]:
            return "windows-collector"
        if _CCSEC_INDEX.search(head[:4096]):
            return "ccsec-index"
        return None
    if _SWANCTL.search(head):
        return "strongswan"
    if _IPSEC_CONF.search(head):
        return "ipsec-conf"
    if _SECRETS.search(head):
        return "ipsec-secrets"
    if _POWERSHELL.search(head):
        return "windows-powershell"
    if _NETSH.search(head):
        return "windows-netsh"
    if _CUCM.search(head):
        return "cucm"
    if _IOS.search(head):
        return "ios"
    return None


def _render_format(name: str) -> Callable[[str, str], Parsed]:
    def parse(text: str, source: str) -> Parsed:
        from ccsec import formats

        try:
            fmt = formats.get(name)
        except (ImportError, AttributeError):
            raise ParseError(Problem(f"the {name} importer is not available in this build",
                                     source)) from None
        return fmt.parse(text, source)

    return parse


def _windows_collector(text: str, source: str) -> Parsed:
    from ccsec.audit.windows_import import parse

    return parse(text, source)


def _ipsec_conf(text: str, source: str, secrets: str | None = None) -> Parsed:
    from ccsec.formats.ipsec_conf import FORMAT

    return FORMAT.parse(text, source, secrets=secrets)


#: format name → reader (text, source) → Parsed; the render formats plus import-only ones
IMPORTERS: dict[str, Callable[[str, str], Parsed]] = {
    "ios": _render_format("ios"),
    "strongswan": _render_format("strongswan"),
    "windows-netsh": _render_format("windows-netsh"),
    "windows-powershell": _render_format("windows-powershell"),
    "cucm": _render_format("cucm"),
    "ipsec-conf": _ipsec_conf,
    "windows-collector": _windows_collector,
}


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


def _files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*")
                  if p.is_file() and not any(part.startswith(".") for part in
                                             p.relative_to(root).parts))


def _read(path: Path) -> str | None:
    data = path.read_bytes()[:MAX_BYTES]
    if b"\x00" in data[:8192]:
        return None
    return data.decode("utf-8", errors="replace").lstrip("\ufeff")


def load_directory(root: Path, dep: Deployment | None = None,
                   display_root: Path | None = None) -> Inventory:
    """Read every file under ``root`` (a file works too); nothing here raises for one bad file:
    it lands in ``skipped``.  A missing root is a :class:`UserError`."""
    if not root.exists():
        raise UserError(Problem(f"{root} does not exist", field="--configs",
                                fix="point --configs at a directory of configuration files"))
    inv = Inventory()
    shown = display_root or (root if root.is_dir() else root.parent)
    texts: dict[Path, tuple[str, str]] = {}
    for path in _files(root):
        try:
            text = _read(path)
        except OSError as exc:
            inv.skipped.append(Skipped(_rel(path, shown), f"cannot read: {exc.strerror}",
                                       unreadable=True))
            continue
        if text is None:
            inv.skipped.append(Skipped(_rel(path, shown), "binary file"))
            continue
        fmt = sniff(text)
        if fmt is None:
            inv.skipped.append(Skipped(_rel(path, shown), "not a configuration format ccsec "
                                       "reads"))
            continue
        texts[path] = (fmt, text)
    secrets_by_dir = {p.parent: t for p, (f, t) in texts.items() if f == "ipsec-secrets"}
    included = _included(texts)
    for path, (fmt, text) in texts.items():
        if path in included:
            continue  # read as part of the file that includes it
        if fmt in ("ipsec-secrets", "ccsec-index"):
            if fmt == "ipsec-secrets" and not any(
                    q.parent == path.parent and f == "ipsec-conf" for q, (f, _) in texts.items()):
                inv.skipped.append(Skipped(_rel(path, shown), "ipsec.secrets without an "
                                           "ipsec.conf beside it"))
            continue
        source = _rel(path, shown)
        try:
            if fmt == "ipsec-conf":
                parsed = _ipsec_conf(text, str(path), secrets_by_dir.get(path.parent))
            else:
                parsed = IMPORTERS[fmt](text, str(path))
        except ParseError as exc:
            p = exc.problems[0]
            inv.skipped.append(Skipped(source, f"{fmt}: {p.message}", p.line, unreadable=True))
            continue
        for policy in parsed.policies:
            end = ImportedEnd(policy=policy, source=source, format=fmt,
                              facts=dict(parsed.facts), locations=dict(parsed.locations),
                              notes=list(parsed.notes))
            if fmt == "ios":
                end.facts.update(ios_facts(parsed.facts))
            elif fmt == "strongswan":
                end.facts.setdefault("ike_any_version", [])
            inv.ends.append(end)
    if dep is not None:
        attach(inv.ends, dep)
    return inv


_INCLUDE = re.compile(r"(?m)^\s*include\s+(\S+)\s*$")


def _included(texts: dict[Path, tuple[str, str]]) -> set[Path]:
    """Files another strongSwan file pulls in with ``include`` (not audited on their own)."""
    out: set[Path] = set()
    for path, (fmt, text) in texts.items():
        if fmt not in ("strongswan", "ipsec-conf"):
            continue
        for pattern in _INCLUDE.findall(text):
            p = Path(pattern)
            base = p.parent if p.is_absolute() else path.parent / p.parent
            try:
                out.update(q.resolve() for q in base.glob(p.name))
            except (OSError, ValueError):
                continue
    return {p for p in texts if p.resolve() in out}


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()




# --------------------------------------------------------------------------- IOS facts


def _list(facts: dict[str, object], key: str) -> list[dict[str, object]]:
    v = facts.get(key)
    return [x for x in v if isinstance(x, dict)] if isinstance(v, list) else []


def _dict(facts: dict[str, object], key: str) -> dict[str, dict[str, object]]:
    v = facts.get(key)
    return {k: x for k, x in v.items() if isinstance(x, dict)} if isinstance(v, dict) else {}


def ios_facts(facts: dict[str, object]) -> dict[str, object]:
    """The ``ios.*`` facts as the generic keys the checks and the pairing read."""
    out: dict[str, object] = {}
    ifaces = _dict(facts, "ios.interfaces")
    down: dict[str, str] = {}
    for name, cmap in _dict(facts, "ios.crypto_maps").items():
        if cmap.get("applied") is False:
            where = ", ".join(str(i) for i in cmap.get("interfaces") or []) or "no interface"
            for e in cmap.get("entries") or []:
                if isinstance(e, dict) and e.get("rule"):
                    down[str(e["rule"])] = (f"crypto map {name} is not applied to an interface "
                                            f"that is up ({where})")
    for dyn in _list(facts, "ios.dynamic_maps"):
        parent = _dict(facts, "ios.crypto_maps").get(str(dyn.get("map")))
        if parent and parent.get("applied") is False:
            for r in dyn.get("rules") or []:  # type: ignore[union-attr]
                down[str(r)] = (f"crypto map {dyn.get('map')} is not applied to an interface "
                                "that is up")
    for name, i in ifaces.items():
        prof = i.get("tunnel_protection")
        if not prof:
            continue
        src = ifaces.get(str(i.get("tunnel_source") or ""), {})
        if i.get("shutdown") or src.get("shutdown"):
            why = f"interface {name} is shut down" if i.get("shutdown") else \
                f"tunnel source {i.get('tunnel_source')} of {name} is shut down"
            for rule in {name, str(prof).removeprefix("ccsec-"), str(prof)}:
                down[rule] = why
    out["down_rules"] = down
    out["manual_keying"] = [{"name": f"crypto map {m.get('map')} {m.get('seq')} ipsec-manual",
                             "line": m.get("line")} for m in _list(facts, "ios.manual_keying")]
    missing = []
    for nat in _list(facts, "ios.nat"):
        exempt = nat.get("exempt")
        if isinstance(exempt, dict):
            for rule, state in exempt.items():
                if state in ("translated", "partial"):
                    via = nat.get("acl") or nat.get("route_map")
                    missing.append({"line": nat.get("line"), "rule": rule,
                                    "what": f"ip nat inside source ({via}) {state} for {rule}"})
    out["nat_exemption_missing"] = missing
    aggressive = facts.get("ios.isakmp_aggressive_mode")
    out["aggressive_mode_disabled"] = isinstance(aggressive, dict) and bool(
        aggressive.get("disabled"))
    engines = []
    if facts.get("ios.crypto_accelerator_disabled"):
        for e in _list(facts, "ios.crypto_engine"):
            if str(e.get("text", "")).startswith("no crypto engine"):
                engines.append({"name": e.get("text"), "hardware": False, "line": e.get("line")})
    out["crypto_engines"] = engines
    out["rsa_key_bits"] = {str(k.get("keypair") or k.get("trustpoint")): k.get("bits")
                           for k in _list(facts, "ios.rsa_keys") if isinstance(k.get("bits"), int)}
    out["addresses"] = [str(i["address"]) for i in ifaces.values() if i.get("address")]
    return out


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


def _addresses(end: ImportedEnd) -> list[IPv4Address]:
    out: list[IPv4Address] = []
    for r in end.policy.rules:
        if int(r.local_address):
            out.append(r.local_address)
        out += [f.local.network_address for f in r.filters if f.local.prefixlen == 32]
    for a in end.facts.get("addresses") or []:  # type: ignore[union-attr]
        try:
            ip = ip_address(str(a))
        except ValueError:
            continue
        if isinstance(ip, IPv4Address):
            out.append(ip)
    return out


def attach(ends: list[ImportedEnd], dep: Deployment) -> None:
    """Set ``end.host`` to the deployment device each end belongs to (or leave None)."""
    idx = _index(dep)
    names = {h.name.lower(): h.name for h in dep.hosts}
    names.update({g.name.lower(): g.name for _, g in dep.gateways()})
    for end in ends:
        for hint in (end.policy.owner, end.facts.get("computer_name"),
                     end.facts.get("ios.hostname")):
            if isinstance(hint, str) and hint.lower() in names:
                end.host = names[hint.lower()]
                break
        else:
            votes = Counter(idx[a] for a in _addresses(end) if a in idx)
            if votes:
                end.host = votes.most_common(1)[0][0]
