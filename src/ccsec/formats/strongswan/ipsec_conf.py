"""strongSwan's legacy ``ipsec.conf`` + ``ipsec.secrets`` (the stroke interface) → the policy model.

Import only: ccsec never renders this format (strongSwan 6 no longer enables stroke by default;
ccsec renders ``swanctl.conf``), so it is not in the render registry — the audit's import
registry (:mod:`ccsec.audit.inventory`) lists it.  Grammar and defaults from ipsec.conf(5) and
ipsec.secrets(5) of strongSwan 5.9:

* sections start in column 0: ``config setup``, ``conn <name>``, ``ca <name>``; parameters are
  indented ``key=value`` lines (values may be double-quoted); ``#`` starts a comment;
  ``include <glob>`` (relative to the including file); ``conn %default`` sets defaults for
  every later conn; ``also=<name>`` pulls in another conn's parameters where it stands.
* ``left`` is taken as the local side (the convention ipsec.conf(5) recommends; charon itself
  decides by which address is local — ``%defaultroute``/``%any`` on the left side are read as
  "this host, address unknown" and become 0.0.0.0).
* Defaults applied when a key is missing: ``keyexchange=ike`` (initiates IKEv2, accepts IKEv1 and
  IKEv2 — reported in facts ``ike_any_version``), ``authby=pubkey``, ``type=tunnel``,
  ``auto=ignore`` (the conn is not loaded: skipped with a note), ``ikelifetime=3h``,
  ``lifetime=1h``, ``ike``/``esp`` = strongSwan's default proposals.  A proposal list that does
  not end in ``!`` gets strongSwan's default proposals appended (ipsec.conf(5) ``ike=``), which
  matters for what the end accepts.
* ``auto=route`` → trap policy (require, no clear fallback); ``auto=start`` → initiates (and
  traps); ``auto=add`` → waits for the peer: no trap, traffic leaves in clear while no SA is up
  (outbound "request").  ``type=passthrough|pass`` → filter action permit, ``drop|reject`` →
  block.
* ``leftsubnet``/``rightsubnet`` (comma lists, ``[proto/port]`` suffixes) × each other are the
  filters; without a subnet the side's own address (/32).  ``leftprotoport``/``rightprotoport``.
* Authentication: ``authby=secret|psk`` → PSK (the key from ``ipsec.secrets``: the entry whose
  selectors name both identities wins, then one naming the peer, then a wildcard ``: PSK``),
  ``pubkey|rsasig|ecdsasig`` → certificate (``rightca`` is the CA), ``leftauth``/``rightauth``
  override; their constraint strings (``rsa-1024``, ``pubkey-sha1``…) go to facts
  ``auth_constraints`` for the signature checks.  ``xauth…`` and ``eap…`` are read as their
  first round with a note; ``never`` skips the conn.

Not read (notes): ``config setup`` (charon-wide), ``ca`` sections, ``mark``, ``reqid``, ``mobike``,
``compress``, ``forceencaps`` (NAT-T is always on in strongSwan), virtual IPs, ``%dynamic``
ports, hostnames instead of addresses.  Cipher names the vocabulary does not hold (3IDEA, RC5,
DES-IV32/64) go to facts ``obsolete_algorithms``.  Never raises anything but :class:`ParseError`
(and only for binary input); everything else is a note with its line.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network, ip_address
from pathlib import Path
from typing import Literal

from ccsec.crypto import EspProposal, IkeProposal
from ccsec.errors import ParseError, Problem, shown, shown_repr
from ccsec.formats.base import Note, Parsed, Reader, check_product
from ccsec.formats.facts import DeviceFacts
from ccsec.formats.strongswan.identity import parse_id
from ccsec.formats.strongswan.include import Includer, Refused
from ccsec.formats.strongswan.keys import stroke_key
from ccsec.formats.strongswan.proposals import (
    DEFAULT_ESP,
    DEFAULT_IKE,
    ProposalError,
    parse_esp,
    parse_ike,
)
from ccsec.policy import Auth, EndPolicy, Filter, Ike, Rule, Security, to_ident
from ccsec.secrets import Secret, literal
from ccsec.textio import ascii_int

NAME = "ipsec-conf"
PARAM_RE = re.compile(r"^\s+([A-Za-z0-9_%-]+)\s*=\s*(.*)$")
SECTION_RE = re.compile(r"^(config|conn|ca)\s+(\S+)\s*$")
INCLUDE_RE = re.compile(r"^include\s+(\S+)\s*$")
PROTOS = {"tcp": 6, "udp": 17, "icmp": 1, "esp": 50, "ah": 51, "gre": 47}
OBSOLETE = frozenset({"3idea", "rc5", "des_iv32", "des_iv64", "desiv32", "desiv64", "rc4"})
DEFAULT_IKE_LIFE = 3 * 3600
DEFAULT_CHILD_LIFE = 3600
#: secrets file types ipsec.secrets(5) knows
SECRET_TYPES = ("PSK", "RSA", "ECDSA", "BLISS", "P12", "EAP", "NTLM", "XAUTH", "PIN", "PKCS8")
#: ``type=`` values that are shunts, not IPsec → the rule's filter action
SHUNT_ACTIONS: dict[str, Literal["permit", "block"]] = {
    "passthrough": "permit", "pass": "permit", "drop": "block", "reject": "block"}


@dataclass
class _Conn:
    name: str
    line: int
    params: dict[str, tuple[str, int]] = field(default_factory=dict)


@dataclass
class _SecretEntry:
    selectors: list[str]
    kind: str
    value: str
    line: int


def _strip_comment(line: str) -> str:
    if "#" not in line:
        return line.rstrip()
    if '"' not in line:
        return line.split("#", 1)[0].rstrip()
    out, quoted = [], False
    for c in line:
        if c == '"':
            quoted = not quoted
        elif c == "#" and not quoted:
            break
        out.append(c)
    return "".join(out).rstrip()


def _unquote(v: str) -> str:
    v = v.strip()
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
        return v[1:-1]
    return v


def _read_sections(text: str, source: str, notes: list[Note],
                   includer: Includer | None) -> list[_Conn]:
    """Every ``conn`` (and ``config``/``ca``) section in file order, includes expanded."""
    sections: list[_Conn] = []
    current: _Conn | None = None
    for n, raw in enumerate(text.splitlines(), start=1):
        line = _strip_comment(raw)
        if not line.strip():
            continue
        if not line[0].isspace():
            m = SECTION_RE.match(line)
            inc = INCLUDE_RE.match(line)
            if m:
                current = _Conn(f"{m.group(1)} {m.group(2)}", n)
                sections.append(current)
            elif inc:
                current = None
                sections += _include(inc.group(1), n, notes, includer)
            elif line.strip() == "version 2" or line.startswith("version "):
                current = None
            else:
                current = None
                notes.append(Note(n, "info", f"line not read (not a section): {line.strip()[:60]}"))
            continue
        m = PARAM_RE.match(line)
        if m is None or current is None:
            notes.append(Note(n, "info", f"line not read: {line.strip()[:60]}"))
            continue
        current.params[m.group(1).lower()] = (_unquote(m.group(2)), n)
    return sections


def _include(pattern: str, line: int, notes: list[Note],
             includer: Includer | None) -> list[_Conn]:
    """The sections of the files ``include`` names, confined (a refusal is a warning note)."""
    if includer is None:
        notes.append(Note(line, "info", f"include {shown(pattern, 80)}: not followed (no file "
                                        "context)"))
        return []
    where = "" if len(includer.chain) == 1 else f"{includer.chain[-1].name}: "
    out: list[_Conn] = []
    try:
        files = includer.matches(pattern)
        if not files:
            notes.append(Note(line, "info", f"{where}include {shown(pattern, 80)}: no file "
                                            "matches"))
        for f in files:
            out += _read_sections(includer.read(f), str(f), notes, includer.within(f))
    except Refused as exc:
        notes.append(Note(line, "warning", f"{where}{exc}; what it holds is not audited"))
    return out


def _resolve(conns: dict[str, _Conn], name: str, default: dict[str, tuple[str, int]],
             notes: list[Note], cache: dict[str, dict[str, tuple[str, int]]]
             ) -> dict[str, tuple[str, int]]:
    """A conn's effective parameters: %default, then also= sections in place, then its own."""
    out = dict(default)
    out.update(_expanded(conns, name, notes, cache))
    return out


def _expanded(conns: dict[str, _Conn], name: str, notes: list[Note],
              cache: dict[str, dict[str, tuple[str, int]]]) -> dict[str, tuple[str, int]]:
    """A conn's own parameters with its ``also=`` conns expanded where they stand (without
    %default), each conn expanded once (``cache``) and without recursion: a chain of thousands
    of ``also=`` is linear, and a loop is a note."""
    stack: list[tuple[str, bool]] = [(name, False)]
    path: set[str] = set()  # conns being expanded (the chain from ``name``)
    while stack:
        cur, ready = stack.pop()
        if cur in cache:
            continue
        params = conns[cur].params
        if not ready:
            path.add(cur)
            stack.append((cur, True))
            stack += [(o, False) for v, _ in (params.get("also", ("", 0)),) for o in v.split()
                      if o in conns and o not in cache and o not in path]
            continue
        out: dict[str, tuple[str, int]] = {}
        for key, (value, line) in params.items():
            if key != "also":
                out[key] = (value, line)
                continue
            for other in value.split():
                if other not in conns:
                    notes.append(Note(line, "warning", f"conn {cur}: also={other} is not defined"))
                elif other not in cache:
                    notes.append(Note(line, "warning", f"conn {cur}: also={other} loops"))
                else:
                    out.update(cache[other])
        cache[cur] = out
        path.discard(cur)
    return cache[name]


def parse_secrets(text: str) -> tuple[list[_SecretEntry], list[Note]]:
    """``ipsec.secrets``: ``[selectors] : TYPE value`` entries (multi-line values not needed
    for PSKs)."""
    entries: list[_SecretEntry] = []
    notes: list[Note] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = _strip_comment(raw).strip()
        if not line or line.startswith("include"):
            continue
        left, sep, right = line.partition(":")
        if not sep:
            notes.append(Note(n, "info", "secrets line not read"))
            continue
        kind, _, value = right.strip().partition(" ")
        if kind.upper() not in SECRET_TYPES:
            notes.append(Note(n, "info", "secrets line not read"))
            continue
        v = value.strip()
        quoted = len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'"
        key = stroke_key(_unquote(v), quoted)  # 0x/0s values are hex/Base64 unless quoted
        if key is None:
            notes.append(Note(n, "warning", "secret is neither valid hex (0x) nor Base64 (0s)"))
        entries.append(_SecretEntry(left.split(), kind.upper(), key or "", n))
    return entries, notes


class _Psks:
    """The PSK entries of ipsec.secrets indexed by selector: a conn's key is found among the
    entries that name one of its identities (and the wildcards), not by a scan of every entry
    — 50,000 conns against 50,000 secrets would be 2.5·10⁹ steps."""

    def __init__(self, entries: list[_SecretEntry]) -> None:
        #: (position, selectors without %any, value) of every PSK entry
        self.psks = [(i, [s for s in e.selectors if s != "%any"], e.value)
                     for i, e in enumerate(entries) if e.kind == "PSK"]
        self.by_selector: dict[str, list[int]] = {}
        self.wildcard: tuple[int, str] | None = None
        for k, (_, sel, value) in enumerate(self.psks):
            for s in set(sel):
                self.by_selector.setdefault(s, []).append(k)
            if not sel and self.wildcard is None:
                self.wildcard = (k, value)

    def find(self, ids: list[str]) -> Secret | None:
        """The entry whose selectors all name the conn's identities, the most selectors
        winning (the first of equals); a wildcard entry when none does."""
        best: tuple[int, int, str] | None = None  # (-score, position, value)
        for k in sorted({k for i in ids for k in self.by_selector.get(i, ())}):
            _, sel, value = self.psks[k]
            if all(s in ids for s in sel):
                cand = (-len(sel), k, value)
                best = cand if best is None or cand < best else best
        if best is None and self.wildcard is not None:
            best = (0, *self.wildcard)
        return literal(best[2]) if best and best[2] else None


def _addr(value: str | None) -> IPv4Address | None:
    if value is None:
        return None
    v = value.split(",")[0].strip()
    if v in ("%defaultroute", "%any", "%any4", "%any6", ""):
        return None
    v = v.lstrip("%")
    try:
        a = ip_address(v)
    except ValueError:
        return None
    return a if isinstance(a, IPv4Address) else None


def _selectors(value: str | None, own: IPv4Address | None,
               protoport: str | None) -> list[tuple[IPv4Network, int | None, int | None]]:
    proto, port = _protoport(protoport)
    if not value:
        if own is None:
            raise ValueError("no subnet and no concrete address for this side")
        return [(IPv4Network(own), proto, port)]
    out = []
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        net, _, sel = part.partition("[")
        p, po = proto, port
        if sel:
            p, po = _protoport(sel.rstrip("]"))
        out.append((IPv4Network(net.strip(), strict=False), p, po))
    return out


def _protoport(text: str | None) -> tuple[int | None, int | None]:
    if not text:
        return None, None
    p, _, po = text.partition("/")
    p = p.strip().lower()
    number = ascii_int(p, 3)
    proto = None if p in ("", "%any", "0") else (number if number is not None else PROTOS.get(p))
    if (p and proto is None and p not in ("%any", "0")) or (proto is not None and proto > 255):
        raise ValueError(f"unknown protocol {shown_repr(p, 40)}")
    port = ascii_int(po, 5)
    if port is not None and port > 65535:
        raise ValueError(f"port {port} is out of range")
    return proto, (port or None)


def _seconds(text: str | None, default: int) -> int:
    if not text:
        return default
    t = text.strip().lower()
    scale = {"s": 1, "m": 60, "h": 3600, "d": 86400}.get(t[-1:], 1)
    digits = t[:-1] if t[-1:] in "smhd" else t
    try:
        value = float(digits) * scale
    except ValueError:
        return default
    # inf, nan and absurd values (``1e999s``) are not lifetimes charon would keep either
    return max(60, int(value)) if math.isfinite(value) and value < 10**10 else default


class _ConnReader:
    """Turns one resolved conn into a Rule (or a note saying why not)."""

    def __init__(self, parsed: Parsed, secrets: _Psks) -> None:
        self.parsed = parsed
        self.secrets = secrets
        self.any_version: list[str] = []
        self.constraints: dict[str, list[str]] = {}
        self.obsolete: dict[str, list[str]] = {}

    def note(self, line: int | None, msg: str, sev: Literal["info", "warning"] = "info") -> None:
        self.parsed.notes.append(Note(line, sev, msg))

    def _items(self, key: str, p: dict[str, tuple[str, int]]) -> tuple[list[str], int]:
        """A proposal list's items (strongSwan's defaults appended unless it ends in ``!``)."""
        value, line = p.get(key, ("", p.get("conn", ("", 0))[1]))
        strict = value.rstrip().endswith("!")
        items = [x.strip() for x in value.rstrip().rstrip("!").split(",") if x.strip()]
        if not items:
            items = ["default"]
        elif not strict:
            items.append("default")
        return items, line

    def _unread(self, name: str, key: str, item: str, line: int, exc: Exception) -> None:
        bad = [t for t in item.lower().split("-") if t in OBSOLETE]
        if bad:
            self.obsolete.setdefault(name, []).extend(bad)
        self.note(line, f"conn {name}: {key} proposal '{item}' not read ({exc})", "warning")

    def ike_proposals(self, name: str, p: dict[str, tuple[str, int]]
                      ) -> tuple[list[IkeProposal], int]:
        """``ike=`` proposals (duplicates dropped) and the line they were read from."""
        items, line = self._items("ike", p)
        out: list[IkeProposal] = []
        for item in items:
            try:
                out += [x for x in parse_ike(item if item != "default" else DEFAULT_IKE)
                        if x not in out]
            except (ProposalError, ValueError) as exc:
                self._unread(name, "ike", item, line, exc)
        return out, line

    def esp_proposals(self, name: str, key: str, p: dict[str, tuple[str, int]], ah: bool = False
                      ) -> tuple[list[EspProposal], int | None, int]:
        """``esp=`` (or ``ah=``) proposals, the first PFS group named, and the line."""
        items, line = self._items(key, p)
        out: list[EspProposal] = []
        group: int | None = None
        for item in items:
            try:
                props, g, _ = parse_esp(item if item != "default" else DEFAULT_ESP, ah=ah)
                group = group if group is not None else g
                out += [x for x in props if x not in out]
            except (ProposalError, ValueError) as exc:
                self._unread(name, key, item, line, exc)
        return out, group, line

    def rule(self, cname: str, line: int, p: dict[str, tuple[str, int]]) -> Rule | None:
        def get(key: str, default: str | None = None) -> str | None:
            return p[key][0] if key in p else default

        name = to_ident(cname, "conn")
        auto = (get("auto", "ignore") or "ignore").lower()
        if auto == "ignore":
            self.note(line, f"conn {cname}: auto=ignore (or unset) — not loaded, not audited")
            return None
        self.parsed.locations[name] = line
        local, peer = _addr(get("left")), _addr(get("right"))
        if get("left") and local is None and get("left") not in ("%defaultroute", "%any"):
            self.note(p["left"][1], f"conn {cname}: left={get('left')} is not an IPv4 address")
        if get("right") and peer is None and get("right") not in ("%any", "%any4"):
            self.note(p["right"][1], f"conn {cname}: right={get('right')} is not an IPv4 "
                      "address (read as any peer)")
        ls = _selectors(get("leftsubnet"), local, get("leftprotoport"))
        rs = _selectors(get("rightsubnet"), peer, get("rightprotoport"))
        check_product(f"conn {cname}: leftsubnet × rightsubnet", len(ls), len(rs))
        filters = tuple(Filter(local=a, remote=b, protocol=pa or pb, local_port=lp,
                               remote_port=rp) for a, pa, lp in ls for b, pb, rp in rs)
        self.parsed.locations[f"{name}/filters"] = p.get("leftsubnet", (None, line))[1]
        kx = (get("keyexchange", "ike") or "ike").lower()
        version: Literal[1, 2] = 1 if kx == "ikev1" else 2
        if kx == "ike":
            self.any_version.append(name)
        ike_props, ike_line = self.ike_proposals(name, p)
        self.parsed.locations[f"{name}/ike"] = ike_line or line
        if "ah" in p:
            esp_props, group, esp_line = self.esp_proposals(name, "ah", p, ah=True)
        else:
            esp_props, group, esp_line = self.esp_proposals(name, "esp", p)
        self.parsed.locations[f"{name}/esp"] = esp_line or line
        if not ike_props or not esp_props:
            self.note(line, f"conn {cname}: no readable IKE or ESP proposal — skipped", "warning")
            return None
        auth = self.auth(cname, name, p, line)
        if auth is None:
            return None
        typ = (get("type", "tunnel") or "tunnel").lower()
        action: Literal["negotiate", "permit", "block"] = SHUNT_ACTIONS.get(typ, "negotiate")
        outbound: Security = "require" if auto in ("route", "start") else "request"
        return Rule(
            name=name,
            mode="transport" if typ in ("transport", "transport_proxy") else "tunnel",
            local_address=local or IPv4Address("0.0.0.0"),
            peer_address=peer or IPv4Address("0.0.0.0"),
            local_id=parse_id(get("leftid")),
            peer_id=parse_id(get("rightid")),
            filters=filters,
            action=action,
            inbound=outbound,
            outbound=outbound,
            auth=(auth,),
            ike=Ike(version=version,
                    exchange="aggressive" if (get("aggressive", "no") or "").lower() == "yes"
                    else "main",
                    proposals=tuple(ike_props),
                    lifetime_s=_seconds(get("ikelifetime"), DEFAULT_IKE_LIFE)),
            esp=tuple(esp_props),
            pfs_group=group,
            lifetime_s=_seconds(get("lifetime", get("keylife")), DEFAULT_CHILD_LIFE),
            lifetime_kb=None,
            dpd_s=_seconds(get("dpddelay"), 30) if (get("dpdaction", "none") or "none") != "none"
            else None,
            initiate=auto == "start",
        )

    def auth(self, cname: str, name: str, p: dict[str, tuple[str, int]], line: int) -> Auth | None:
        def get(key: str, default: str | None = None) -> str | None:
            return p[key][0] if key in p else default

        authby = (get("authby", "pubkey") or "pubkey").lower()
        left = (get("leftauth") or authby).lower()
        right = (get("rightauth") or authby).lower()
        self.parsed.locations[f"{name}/auth"] = p.get("authby", p.get("leftauth", ("", line)))[1]
        cons = [c for c in (get("leftauth"), get("rightauth")) if c]
        if authby not in ("secret", "psk", "pubkey"):
            cons.append(authby)
        if cons:
            self.constraints[name] = cons
        if "never" in (authby, left):
            self.note(line, f"conn {cname}: authby=never — skipped")
            return None
        for side, value in (("leftauth", left), ("rightauth", right)):
            if value.startswith(("xauth", "eap")) and value not in ("xauthpsk", "xauthrsasig"):
                self.note(p.get(side, ("", line))[1], f"conn {cname}: {side}={value}: "
                          "EAP/XAUTH rounds are not modelled; the first round is audited")
        psk = any(v in ("secret", "psk", "xauthpsk") for v in (left, authby)) and \
            left not in ("pubkey",) and not left.startswith(("rsa", "ecdsa", "pubkey"))
        if psk:
            ids = [x for x in (get("leftid"), get("rightid"), get("left"), get("right")) if x]
            key = self.secrets.find(ids)
            if key is None:
                self.note(line, f"conn {cname}: no PSK for this conn in ipsec.secrets",
                          "warning")
            return Auth(method="psk", psk=key)
        ca = get("rightca")
        if ca == "%same":
            ca = get("leftca")
        return Auth(method="certificate", ca=ca or None)


class IpsecConf(Reader):
    """The import-only legacy strongSwan format."""

    name = NAME
    title = "strongSwan ipsec.conf + ipsec.secrets (legacy stroke)"

    def parse(self, text: str, source: str = "<text>", secrets: str | None = None) -> Parsed:
        """Read ``ipsec.conf`` text; ``secrets`` is the text of the matching ipsec.secrets (when
        omitted and ``source`` is a file, ``ipsec.secrets`` beside it is read if present)."""
        if "\x00" in text:
            raise ParseError(Problem("binary data, not an ipsec.conf", source, None,
                                     fix="point the audit at text configuration files"))
        includer = Includer.for_file(source)
        if secrets is None and includer is not None:
            try:
                secrets = includer.read(includer.base / "ipsec.secrets")
            except Refused:
                secrets = None
        parsed = Parsed(policies=[], source=source, format=NAME)
        entries: list[_SecretEntry] = []
        if secrets is not None:
            entries, secret_notes = parse_secrets(secrets)
            parsed.notes += [Note(n.line, n.severity, f"ipsec.secrets: {n.message}")
                             for n in secret_notes]
        sections = _read_sections(text, source, parsed.notes, includer)
        conns: dict[str, _Conn] = {}
        default: dict[str, tuple[str, int]] = {}
        order: list[str] = []
        for s in sections:
            kind, _, name = s.name.partition(" ")
            if kind == "conn" and name == "%default":
                default.update(s.params)
            elif kind == "conn":
                s.params.setdefault("conn", ("", s.line))
                conns[name] = s
                order.append(name)
            elif kind == "ca":
                parsed.notes.append(Note(s.line, "info", f"ca {name}: not read"))
        reader = _ConnReader(parsed, _Psks(entries))
        expanded: dict[str, dict[str, tuple[str, int]]] = {}
        rules: list[Rule] = []
        seen: set[str] = set()
        for name in dict.fromkeys(order):
            conn = conns[name]
            try:
                params = _resolve(conns, name, default, parsed.notes, expanded)
                r = reader.rule(name, conn.line, params)
            except (ValueError, TypeError) as exc:
                msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                parsed.notes.append(Note(conn.line, "warning", f"conn {name} skipped: {msg}"))
                continue
            if r is not None:
                if r.name in seen:
                    r = r.model_copy(update={"name": to_ident(f"{r.name}-{len(seen)}", "conn")})
                seen.add(r.name)
                rules.append(r)
        parsed.facts = DeviceFacts(
            ike_any_version=frozenset(reader.any_version),
            auth_constraints={k: tuple(v) for k, v in reader.constraints.items()},
            obsolete_algorithms={k: tuple(v) for k, v in reader.obsolete.items()})
        stem = Path(source).stem if not source.startswith("<") else "ipsec"
        parsed.policies.append(EndPolicy(name=to_ident(f"imported-{stem}", "conn"),
                                         platform="strongswan", rules=tuple(rules)))
        return parsed


FORMAT = IpsecConf()
