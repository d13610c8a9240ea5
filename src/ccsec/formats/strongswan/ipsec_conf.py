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

import re
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network, ip_address
from pathlib import Path
from typing import Literal

from ccsec.crypto import EspProposal, IkeProposal
from ccsec.errors import ParseError, Problem
from ccsec.formats.base import Note, Parsed, Reader
from ccsec.formats.facts import DeviceFacts
from ccsec.formats.strongswan.identity import parse_id
from ccsec.formats.strongswan.proposals import (
    DEFAULT_ESP,
    DEFAULT_IKE,
    ProposalError,
    parse_esp,
    parse_ike,
)
from ccsec.policy import Auth, EndPolicy, Filter, Ike, Rule, Security, to_ident
from ccsec.secrets import Secret, literal

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
                   base: Path | None, depth: int = 0) -> list[_Conn]:
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
                sections += _include(inc.group(1), n, source, notes, base, depth)
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


def _include(pattern: str, line: int, source: str, notes: list[Note], base: Path | None,
             depth: int) -> list[_Conn]:
    if base is None or depth > 8:
        notes.append(Note(line, "info", f"include {pattern}: not followed (no file context)"))
        return []
    p = Path(pattern)
    root = p.parent if p.is_absolute() else base / p.parent
    out: list[_Conn] = []
    try:
        files = sorted(root.glob(p.name))
    except (OSError, ValueError):
        files = []
    if not files:
        notes.append(Note(line, "info", f"include {pattern}: no file matches"))
    for f in files:
        try:
            text = f.read_text(encoding="utf-8", errors="replace")
        except OSError:
            notes.append(Note(line, "warning", f"include {f}: cannot read"))
            continue
        out += _read_sections(text, str(f), notes, f.parent, depth + 1)
    return out


def _resolve(conns: dict[str, _Conn], name: str, default: dict[str, tuple[str, int]],
             notes: list[Note], seen: tuple[str, ...] = ()) -> dict[str, tuple[str, int]]:
    """A conn's effective parameters: %default, then also= sections in place, then its own."""
    conn = conns[name]
    out: dict[str, tuple[str, int]] = dict(default) if not seen else {}
    for key, (value, line) in conn.params.items():
        if key == "also":
            for other in value.split():
                if other in seen or other == name:
                    notes.append(Note(line, "warning", f"conn {name}: also={other} loops"))
                elif other not in conns:
                    notes.append(Note(line, "warning", f"conn {name}: also={other} is not defined"))
                else:
                    out.update(_resolve(conns, other, default, notes, (*seen, name)))
        else:
            out[key] = (value, line)
    return out


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
        entries.append(_SecretEntry(left.split(), kind.upper(), _unquote(value), n))
    return entries, notes


def _find_psk(entries: list[_SecretEntry], ids: list[str]) -> Secret | None:
    best: tuple[int, str] | None = None
    for e in entries:
        if e.kind != "PSK":
            continue
        sel = [s for s in e.selectors if s != "%any"]
        if any(s not in ids for s in sel):
            continue
        score = len(sel)
        if best is None or score > best[0]:
            best = (score, e.value)
    return literal(best[1]) if best and best[1] else None


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
    proto = None if p in ("", "%any", "0") else (int(p) if p.isdigit() else PROTOS.get(p))
    if p and proto is None and p not in ("%any", "0"):
        raise ValueError(f"unknown protocol '{p}'")
    port = int(po) if po.strip().isdigit() and int(po) > 0 else None
    return proto, port


def _seconds(text: str | None, default: int) -> int:
    if not text:
        return default
    t = text.strip().lower()
    scale = {"s": 1, "m": 60, "h": 3600, "d": 86400}.get(t[-1:], 1)
    digits = t[:-1] if t[-1:] in "smhd" else t
    try:
        return max(60, int(float(digits) * scale))
    except ValueError:
        return default


class _ConnReader:
    """Turns one resolved conn into a Rule (or a note saying why not)."""

    def __init__(self, parsed: Parsed, secrets: list[_SecretEntry]) -> None:
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
            key = _find_psk(self.secrets, ids)
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
        base = Path(source).parent if source and not source.startswith("<") else None
        if secrets is None and base is not None:
            candidate = base / "ipsec.secrets"
            try:
                secrets = candidate.read_text(encoding="utf-8", errors="replace")
            except OSError:
                secrets = None
        parsed = Parsed(policies=[], source=source, format=NAME)
        entries: list[_SecretEntry] = []
        if secrets is not None:
            entries, secret_notes = parse_secrets(secrets)
            parsed.notes += [Note(n.line, n.severity, f"ipsec.secrets: {n.message}")
                             for n in secret_notes]
        sections = _read_sections(text, source, parsed.notes, base)
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
        reader = _ConnReader(parsed, entries)
        rules: list[Rule] = []
        seen: set[str] = set()
        for name in dict.fromkeys(order):
            conn = conns[name]
            try:
                params = _resolve(conns, name, default, parsed.notes)
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
