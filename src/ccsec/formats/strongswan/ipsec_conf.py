"""strongSwan's legacy ``ipsec.conf`` + ``ipsec.secrets`` (the stroke interface) → the policy model.

Import only: ccsec never renders this format (strongSwan 6 no longer enables stroke by default;
ccsec renders ``swanctl.conf``), so it is not in the render registry — the audit's import
registry (:mod:`ccsec.audit.inventory`) lists it.  Grammar and defaults from ipsec.conf(5) and
ipsec.secrets(5) of strongSwan 5.9:

* sections start in column 0: ``config setup``, ``conn <name>``, ``ca <name>``; parameters are
  indented ``key=value`` lines (values may be double-quoted); ``#`` at the start of a line or
  after white space starts a comment (``leftid=@#0a1b…`` is a key id); ``include <glob>``
  (relative to the including file); ``conn %default`` sets defaults for every later conn;
  ``also=<name>`` pulls in another conn's parameters where it stands.
* ``left`` is taken as the local side (the convention ipsec.conf(5) recommends).  ``left``/
  ``right`` are address lists (:mod:`.selectors`): ``%defaultroute``/``%any``/unset are "any
  address" — the audit places such an end by the addresses its peers aim at; IPv6 is read; a
  host name becomes the rule's ``peer_name`` (resolved by the audit with ``--hosts``, never
  "any"); subnets and ranges are the peers a responder accepts.
* Defaults applied when a key is missing: ``keyexchange=ike`` (initiates IKEv2, accepts IKEv1 and
  IKEv2 — reported in facts ``ike_any_version``), ``authby=pubkey``, ``type=tunnel``,
  ``auto=ignore`` (the conn is not loaded: skipped with a note), ``ikelifetime=3h``,
  ``lifetime=1h``, ``ike``/``esp`` = strongSwan's default proposals.  A proposal list that does
  not end in ``!`` gets strongSwan's default proposals appended (ipsec.conf(5) ``ike=``), which
  matters for what the end accepts; PFS groups of several proposals are alternatives.
* ``auto=route`` → trap policy (require, no clear fallback); ``auto=start`` → initiates (and
  traps); ``auto=add`` → waits for the peer: no trap, traffic leaves in clear while no SA is up
  (outbound "request").  ``type=passthrough|pass`` → filter action permit, ``drop|reject`` →
  block.
* ``leftsubnet``/``rightsubnet`` (comma lists, ``[proto/port]`` suffixes, ranges, IPv6) × each
  other, pairing each family with its own, are the filters; without a subnet the side's own
  address — dynamic (the IKE address, or the virtual IP): ``leftsourceip=%config`` requests one,
  ``rightsourceip=<pool>`` hands them out (``%poolname``/``%dhcp``/``%radius``: addresses not in
  this file).  ``leftprotoport``/``rightprotoport``.
* Authentication: ``authby=secret|psk`` → PSK (the key from ``ipsec.secrets``, chosen by the
  identities as charon does; every PSK/EAP/XAUTH entry is kept in facts ``shared_keys`` so a
  gateway's key is chosen per client), ``pubkey|rsasig|ecdsasig`` → certificate (``rightca`` is
  the CA), ``leftauth``/``rightauth`` override; their constraint strings (``rsa-1024``,
  ``pubkey-sha1``…) go to facts ``auth_constraints``.  EAP and XAUTH (``leftauth=eap-md5``,
  ``authby=xauthpsk``, ``leftauth2``/``rightauth2``, ``eap_identity``, ``xauth_identity``) are
  authentication rounds (:class:`~ccsec.policy.AuthRound`) with the client's password from
  ipsec.secrets; ``never`` skips the conn.
* ``strongswan.conf`` beside the file: see :mod:`.settings`.

Not modelled, each reported once per file with what it changes for the verdict: ``config
setup`` (charon-wide), ``ca`` sections (trust anchors and revocation are taken as given),
``mark``, ``reqid``, ``mobike``, ``compress``, ``forceencaps`` (NAT-T is always on in
strongSwan), firewall and updown settings.  Cipher names the vocabulary does not hold (3IDEA,
RC5, DES-IV32/64) go to facts ``obsolete_algorithms``.  Never raises anything but
:class:`ParseError` (and only for binary input); everything else is a note with its line.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from ipaddress import ip_address
from pathlib import Path
from typing import Literal

from ccsec.crypto import EspProposal, IkeProposal
from ccsec.errors import ParseError, Problem, shown
from ccsec.formats.base import Note, Parsed, Reader, check_product, plain_reason
from ccsec.formats.dn import from_encoding_order
from ccsec.formats.facts import DeviceFacts, SharedKey
from ccsec.formats.strongswan.identity import parse_id
from ccsec.formats.strongswan.include import Includer, Refused
from ccsec.formats.strongswan.keys import best_key, decode
from ccsec.formats.strongswan.proposals import (
    ProposalError,
    esp_groups,
    ike_list,
    parse_esp,
    parse_ike,
    pfs_choice,
    proposal_budget,
    shared_ike,
)
from ccsec.formats.strongswan.selectors import (
    AddressList,
    Selector,
    SelectorError,
    host_net,
    parse_addresses,
    parse_selectors,
    whole,
)
from ccsec.formats.strongswan.settings import load as load_settings
from ccsec.policy import (
    Address,
    Auth,
    AuthRound,
    EndPolicy,
    Filter,
    Identity,
    Network,
    Rule,
    Security,
    to_ident,
)
from ccsec.secrets import literal

NAME = "ipsec-conf"
PARAM_RE = re.compile(r"^\s+([A-Za-z0-9_%-]+)\s*=\s*(.*)$")
SECTION_RE = re.compile(r"^(config|conn|ca)\s+(\S+)\s*$")
INCLUDE_RE = re.compile(r"^include\s+(\S+)\s*$")
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
    quoted: bool = False


def _strip_comment(line: str) -> str:
    """A line without its comment: ``#`` at the start or after white space, outside quotes
    (``leftid=@#0123…`` is a key id, not a comment)."""
    if "#" not in line:
        return line.rstrip()
    out, quoted = [], False
    for i, c in enumerate(line):
        if c == '"':
            quoted = not quoted
        elif c == "#" and not quoted and (i == 0 or line[i - 1] in " \t"):
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
        # a quoted value is the key itself; 0x/0s decode only unquoted (stroke_cred.c)
        entries.append(_SecretEntry(left.split(), kind.upper(), _unquote(v), n, quoted))
    return entries, notes


def _shared_keys(entries: list[_SecretEntry]) -> list[SharedKey]:
    """The PSK, EAP and XAUTH entries of ipsec.secrets as keys with their owner identities."""
    kinds: dict[str, Literal["psk", "eap", "xauth"]] = {"PSK": "psk", "EAP": "eap",
                                                        "NTLM": "eap", "XAUTH": "xauth"}
    out: list[SharedKey] = []
    for e in entries:
        kind = kinds.get(e.kind)
        value = (literal(e.value) if e.value else None) if e.quoted else \
            decode(e.value) if kind else None
        if kind is None or value is None:
            continue
        owners = tuple(i for sel in e.selectors for i in [parse_id(sel)] if i is not None)
        out.append(SharedKey(kind, owners, value, e.line))
    return out


def _seconds(text: str | None, default: int) -> int:
    """An ipsec.conf time (``20m``, ``1h``, ``30s``, ``1d``; a bare number is seconds)."""
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
    return max(1, int(value)) if math.isfinite(value) and value < 10**10 else default


#: conn parameters ccsec reads (others: one note per parameter and file, :data:`UNMODELLED`)
READ = frozenset({
    "left", "right", "leftsubnet", "rightsubnet", "leftprotoport", "rightprotoport",
    "leftid", "rightid", "leftauth", "rightauth", "leftauth2", "rightauth2", "leftid2",
    "rightid2", "authby", "auto", "type", "keyexchange", "ike", "esp", "ah", "ikelifetime",
    "lifetime", "keylife", "aggressive", "dpdaction", "dpddelay", "leftsourceip",
    "rightsourceip", "rightca", "leftca", "eap_identity", "xauth_identity", "xauth", "also",
    "conn", "leftcert", "rightcert"})
#: parameters read but not modelled → what that changes for the verdict
UNMODELLED: dict[str, str] = {
    "leftfirewall": "the updown firewall rules are not read",
    "rightfirewall": "the updown firewall rules are not read",
    "lefthostaccess": "the updown firewall rules are not read",
    "righthostaccess": "the updown firewall rules are not read",
    "leftupdown": "the updown script is not read", "rightupdown": "the updown script is not read",
    "keyingtries": "retries change no verdict", "rekeymargin": "no effect on the verdict",
    "margintime": "no effect on the verdict", "rekeyfuzz": "no effect on the verdict",
    "rekey": "no effect on whether the SA establishes", "reauth": "reauthentication is not "
    "modelled", "leftsendcert": "no effect on the verdict", "rightsendcert": "no effect on the "
    "verdict", "mobike": "MOBIKE changes nothing about whether the SA establishes",
    "fragmentation": "IKE fragmentation changes nothing about whether the SA establishes",
    "compress": "IP compression is not modelled", "forceencaps": "NAT-T is always on in "
    "strongSwan; forced UDP encapsulation changes no verdict",
    "mark": "marks select traffic beyond the selectors: not modelled",
    "mark_in": "not modelled", "mark_out": "not modelled", "reqid": "not modelled",
    "certuribase": "hash-and-URL certificates are not fetched",
    "leftgroups": "group membership cannot be seen in a configuration: judged as a member",
    "rightgroups": "group membership cannot be seen in a configuration: judged as a member",
    "aaa_identity": "the AAA server's identity is not checked",
    "rightallowany": "not modelled", "leftallowany": "not modelled",
    "installpolicy": "not modelled", "closeaction": "no effect on whether the SA establishes",
    "inactivity": "no effect on whether the SA establishes", "ikedscp": "not modelled",
    "modeconfig": "mode-config push/pull is not modelled", "leftcert2": "not read",
    "rightcert2": "not read", "leftca2": "not read", "rightca2": "not read",
    "leftdns": "not modelled", "rightdns": "not modelled", "leftikeport": "IKE ports are not "
    "compared", "rightikeport": "IKE ports are not compared", "lifebytes": "not modelled",
    "lifepackets": "not modelled", "dpdtimeout": "no effect on the verdict",
    "replay_window": "no effect on the verdict", "tfc": "no effect on the verdict",
    "ikelifetime": "",
}


def _sourceip(value: str | None, family: int | None = None
              ) -> tuple[list[Address], list[Network], bool]:
    """``leftsourceip``/``rightsourceip``: (virtual IPs requested, pools handed out, unknown
    pool).  ``%config``/``%config4``/``%config6``/``%modeconfig`` request one; a subnet or range
    is a pool; ``%poolname``, ``%dhcp``, ``%radius`` are pools whose addresses the file does not
    hold."""
    vips: list[Address] = []
    pools: list[Network] = []
    unknown = False
    for item in (value or "").split(","):
        item = item.strip()
        low = item.lower()
        if not item:
            continue
        if low in ("%config", "%modeconfig", "%modecfg", "%cfg"):
            vips.append(ip_address("::" if family == 6 else "0.0.0.0"))
        elif low == "%config4":
            vips.append(ip_address("0.0.0.0"))
        elif low == "%config6":
            vips.append(ip_address("::"))
        elif item.startswith("%"):
            unknown = True
        else:
            try:
                pools += [x.network for x in parse_selectors(item, []).selectors]
            except SelectorError:
                unknown = True
    return vips, pools, unknown


class _ConnReader:
    """Turns one resolved conn into a Rule (or a note saying why not)."""

    def __init__(self, parsed: Parsed, secrets: list[_SecretEntry]) -> None:
        self.parsed = parsed
        self.secrets = secrets
        self.keys = tuple(_shared_keys(secrets))  # a tuple: best_key indexes it
        self.origins: dict[str, str] = {}
        self.not_built: dict[str, str] = {}
        self.unmodelled: dict[str, tuple[int, int]] = {}
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
        self.note(line, f"conn {name}: {key} proposal '{item}' not read ({plain_reason(exc)})",
                  "warning")

    def ike_proposals(self, name: str, p: dict[str, tuple[str, int]]
                      ) -> tuple[tuple[IkeProposal, ...], int]:
        """``ike=`` proposals (duplicates dropped) and the line they were read from."""
        items, line = self._items("ike", p)
        readable: list[str] = []
        for item in items:
            try:
                parse_ike(item)
                readable.append(item)
            except (ProposalError, ValueError) as exc:
                self._unread(name, "ike", item, line, exc)
        return ike_list(tuple(readable)) if readable else (), line

    def esp_proposals(self, name: str, key: str, p: dict[str, tuple[str, int]], ah: bool = False
                      ) -> tuple[list[EspProposal], tuple[int | None, tuple[int, ...]], int]:
        """``esp=`` (or ``ah=``) proposals, the PFS groups offered (first, others), the line."""
        items, line = self._items(key, p)
        out: list[EspProposal] = []
        groups: list[int] = []
        for item in items:
            try:
                props, _, _ = parse_esp(item, ah=ah)
                groups += esp_groups(item, ah=ah)
                out += props
            except (ProposalError, ValueError) as exc:
                self._unread(name, key, item, line, exc)
        return list(dict.fromkeys(out)), pfs_choice(groups), line

    def seen(self, p: dict[str, tuple[str, int]]) -> None:
        """Count the parameters ccsec does not read (reported once per file)."""
        for key, (_, line) in p.items():
            if key in READ:
                continue
            first, count = self.unmodelled.get(key, (line, 0))
            self.unmodelled[key] = (min(first, line), count + 1)

    def flush_unmodelled(self) -> None:
        for key, (line, count) in sorted(self.unmodelled.items(), key=lambda x: x[1][0]):
            effect = UNMODELLED.get(key)
            more = f" (and {count - 1} more)" if count > 1 else ""
            if effect is None:
                self.note(line, f"parameter '{key}'{more} is not one ccsec knows: not read")
            elif effect:
                self.note(line, f"'{key}'{more} not modelled: {effect}")

    def rule(self, cname: str, line: int, p: dict[str, tuple[str, int]]) -> Rule | None:
        def get(key: str, default: str | None = None) -> str | None:
            return p[key][0] if key in p else default

        name = to_ident(cname, "conn")
        auto = (get("auto", "ignore") or "ignore").lower()
        if auto == "ignore":
            self.note(line, f"conn {cname}: auto=ignore (or unset) — charon does not load it, "
                      "so it is not audited")
            return None
        self.seen(p)
        self.parsed.locations[name] = line
        left, right = parse_addresses(get("left")), parse_addresses(get("right"))
        for side, lst in (("left", left), ("right", right)):
            if lst.unread:
                self.note(p[side][1], f"conn {cname}: {side}={get(side)}: "
                          f"{', '.join(lst.unread)} not read", "warning")
        subnet_family = next((n.network.version for n in parse_selectors(get("rightsubnet"), [])
                              .selectors), None) if get("rightsubnet") else None
        vips, _, _ = _sourceip(get("leftsourceip"), subnet_family)
        _, pools, unknown_pool = _sourceip(get("rightsourceip"))
        if unknown_pool and not pools:
            self.note(p["rightsourceip"][1], f"conn {cname}: rightsourceip={get('rightsourceip')}"
                      ": the pool's addresses are not in this file; any address is assumed")
            pools = [whole(right.family or left.family)]
        fam = left.family or right.family
        local_dyn = ([whole(v.version) for v in vips] if vips else
                     [host_net(left.first)] if left.concrete else [whole(fam)])
        remote_dyn = (pools if pools else
                      [host_net(right.first)] if right.concrete else [whole(fam)])
        ls = _side_selectors(get("leftsubnet"), get("leftprotoport"), local_dyn)
        rs = _side_selectors(get("rightsubnet"), get("rightprotoport"), remote_dyn)
        filters = _pair(ls, rs)
        if not filters:
            raise ValueError("leftsubnet and rightsubnet have no address family in common")
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
            self.note(line, f"conn {cname}: no readable IKE or ESP proposal — charon does not "
                      "load it", "warning")
            return None
        typ = (get("type", "tunnel") or "tunnel").lower()
        action: Literal["negotiate", "permit", "block"] = SHUNT_ACTIONS.get(typ, "negotiate")
        if action != "negotiate":  # a shunt policy: no IKE, so authby (often never) is moot
            auth: tuple[Auth, tuple[AuthRound, ...]] | None = (Auth(method="certificate"), ())
        else:
            auth = self.auth(cname, name, p, line, left, right)
        if auth is None:
            return None
        first, rounds = auth
        outbound: Security = "require" if auto in ("route", "start") else "request"
        return Rule(
            name=name,
            mode="transport" if typ in ("transport", "transport_proxy") else "tunnel",
            local_address=left.first,
            peer_address=right.first,
            peer_name=right.names[0] if right.names and not right.addresses else None,
            peer_alternatives=(*right.ranges, *(host_net(a) for a in right.addresses[1:])),
            local_id=parse_id(get("leftid")),
            peer_id=parse_id(get("rightid")),
            filters=tuple(filters),
            action=action,
            inbound=outbound,
            outbound=outbound,
            auth=(first,),
            auth_rounds=rounds,
            ike=shared_ike(version,
                           "aggressive" if (get("aggressive", "no") or "").lower() == "yes"
                           else "main", ike_props,
                           _seconds(get("ikelifetime"), DEFAULT_IKE_LIFE)),
            esp=tuple(esp_props),
            pfs_group=group[0],
            pfs_alternatives=group[1],
            lifetime_s=_seconds(get("lifetime", get("keylife")), DEFAULT_CHILD_LIFE),
            lifetime_kb=None,
            dpd_s=_seconds(get("dpddelay"), 30) if (get("dpdaction", "none") or "none") != "none"
            else None,
            initiate=auto == "start",
            virtual_ips=tuple(vips),
            pools=tuple(pools),
        )

    def auth(self, cname: str, name: str, p: dict[str, tuple[str, int]], line: int,
             left: AddressList, right: AddressList
             ) -> tuple[Auth, tuple[AuthRound, ...]] | None:
        """The first round as the rule's method, and every round when they say more than one
        method both ways (EAP, XAUTH, a second round, different methods per side)."""
        def get(key: str, default: str | None = None) -> str | None:
            return p[key][0] if key in p else default

        authby = (get("authby", "pubkey") or "pubkey").lower()
        la, ra = _rounds_of(authby, get("leftauth"), get("rightauth"), get("xauth"))
        la2, ra2 = (get("leftauth2") or "").lower(), (get("rightauth2") or "").lower()
        self.parsed.locations[f"{name}/auth"] = p.get("authby", p.get("leftauth", ("", line)))[1]
        cons = [c for c in (get("leftauth"), get("rightauth")) if c]
        if authby not in ("secret", "psk", "pubkey"):
            cons.append(authby)
        if cons:
            self.constraints[name] = cons
        if "never" in (authby, la[0]):
            self.note(line, f"conn {cname}: authby=never — no IKE authentication, skipped")
            return None
        local_id, peer_id = parse_id(get("leftid")), parse_id(get("rightid"))
        if la[0] == "psk" or ra[0] == "psk":
            me = local_id or (Identity(kind="address", value=str(left.first))
                              if left.concrete else None)
            other = peer_id or (Identity(kind="address", value=str(right.first))
                                if right.concrete else None)
            key = best_key(self.keys, "psk", me, other)
            if key is None:
                self.note(line, f"conn {cname}: no PSK for this conn in ipsec.secrets",
                          "warning")
            first = Auth(method="psk", psk=key.secret if key else None)
        else:
            ca = get("rightca")
            if ca == "%same":
                ca = get("leftca")
            # strongSwan's RDN order → the model's (RFC 4514, ccsec.formats.dn)
            first = Auth(method="certificate", ca=from_encoding_order(ca) if ca else None)
        if la2:
            la.append(la2)
        if ra2:
            ra.append(ra2)
        simple = len(la) == 1 and len(ra) == 1 and la[0] == ra[0] and \
            la[0] in ("psk", "pubkey")
        if simple:
            return first, ()
        eap_id = parse_id(get("eap_identity"))
        xauth_id = parse_id(get("xauth_identity"))
        rounds = []
        for i in range(max(len(la), len(ra))):
            lm = la[i] if i < len(la) else ""
            rm = ra[i] if i < len(ra) else ""
            lid = (eap_id if lm.startswith("eap") else xauth_id if lm.startswith("xauth")
                   else None) or (parse_id(get("leftid2")) if i else None) or local_id
            rid = parse_id(get("rightid2")) if i else peer_id
            if rm.startswith("eap") and get("eap_identity") == "%identity":
                rid = None
            secret = None
            kind = "eap" if lm.startswith("eap") else "xauth" if lm.startswith("xauth") else None
            if kind and lid is not None:
                key = best_key(self.keys, kind, lid, None)
                secret = key.secret if key else None
            rounds.append(AuthRound(local=lm, remote=rm, local_id=lid, remote_id=rid,
                                    secret=secret))
        return first, tuple(rounds)


def _rounds_of(authby: str, leftauth: str | None, rightauth: str | None,
               xauth: str | None) -> tuple[list[str], list[str]]:
    """The first-round methods of both sides (ipsec.conf(5) ``authby``, ``leftauth``,
    ``rightauth``): ``secret``/``psk`` → psk, ``rsasig``/``ecdsasig``/``pubkey`` → pubkey,
    ``xauthpsk``/``xauthrsasig`` → psk/pubkey plus an XAUTH round on the XAUTH client (``xauth=
    client``, the default, makes the left side the client), ``rightauth=any`` accepts any."""
    base = {"secret": "psk", "psk": "psk", "rsasig": "pubkey", "rsa": "pubkey",
            "ecdsasig": "pubkey", "ecdsa": "pubkey", "pubkey": "pubkey", "never": "never",
            "xauthpsk": "psk", "xauthrsasig": "pubkey", "hybridrsasig": "pubkey"}
    method = base.get(authby, "pubkey")
    la = [(leftauth or method).lower()]
    ra = [(rightauth or method).lower()]
    if authby.startswith(("xauth", "hybrid")):
        if (xauth or "client").lower() == "server":
            ra.append("xauth")
        else:
            la.append("xauth")
    if authby.startswith("hybrid"):
        side = ra if (xauth or "client").lower() == "server" else la
        side[0] = "xauth"  # hybrid: the XAUTH client authenticates by XAUTH only
    return la, ra


def _side_selectors(subnet: str | None, protoport: str | None, dynamic: list[Network]
                    ) -> list[Selector]:
    """``leftsubnet`` (or the side's own address: ``dynamic``) with ``leftprotoport``."""
    text = subnet if subnet else "%dynamic"
    sel = parse_selectors(text, dynamic).selectors
    if protoport and not any(x.protocol for x in sel):
        (pp,) = parse_selectors(f"0.0.0.0/0[{protoport}]", []).selectors
        sel = [Selector(x.network, pp.protocol, pp.port, pp.port_max, x.dynamic) for x in sel]
    return sel


def _pair(ls: list[Selector], rs: list[Selector]) -> list[Filter]:
    check_product("leftsubnet × rightsubnet", len(ls), len(rs))
    out: dict[Filter, None] = {}  # duplicates dropped, order kept (a list scan was n²)
    for a in ls:
        for b in rs:
            if a.network.version != b.network.version:
                continue
            if a.protocol and b.protocol and a.protocol != b.protocol:
                continue
            f = Filter(local=a.network, remote=b.network, protocol=a.protocol or b.protocol,
                       local_port=a.port, remote_port=b.port, local_port_max=a.port_max,
                       remote_port_max=b.port_max, local_dynamic=a.dynamic,
                       remote_dynamic=b.dynamic)
            out.setdefault(f)
    return list(out)


class IpsecConf(Reader):
    """The import-only legacy strongSwan format."""

    name = NAME
    title = "strongSwan ipsec.conf + ipsec.secrets (legacy stroke)"

    def parse(self, text: str, source: str = "<text>", secrets: str | None = None) -> Parsed:
        """Read ``ipsec.conf`` text; ``secrets`` is the text of the matching ipsec.secrets (when
        omitted and ``source`` is a file, ``ipsec.secrets`` beside it is read if present).
        The proposals one file expands to are bounded (:func:`.proposals.proposal_budget`)."""
        with proposal_budget():
            return self._parse(text, source, secrets)

    def _parse(self, text: str, source: str, secrets: str | None) -> Parsed:
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
                parsed.notes.append(Note(s.line, "info", f"ca {name}: trust anchor and "
                                         "revocation sources not read — certificate trust and "
                                         "revocation are taken as given"))
            elif kind == "config":
                parsed.notes.append(Note(s.line, "info", f"config {name}: charon-wide settings "
                                         "(uniqueids, strictcrlpolicy…) not read"))
        reader = _ConnReader(parsed, entries)
        rules: list[Rule] = []
        seen: set[str] = set()
        expanded: dict[str, dict[str, tuple[str, int]]] = {}
        for name in dict.fromkeys(order):
            conn = conns[name]
            try:
                params = _resolve(conns, name, default, parsed.notes, expanded)
                r = reader.rule(name, conn.line, params)
            except (ValueError, TypeError) as exc:
                msg = plain_reason(exc)
                reader.not_built[name] = msg
                parsed.notes.append(Note(conn.line, "warning", f"conn {name} not audited: {msg}"))
                continue
            if r is not None:
                if r.name in seen:
                    r = r.model_copy(update={"name": to_ident(f"{r.name}-{len(seen)}", "conn")})
                seen.add(r.name)
                rules.append(r)
                reader.origins[r.name] = name
        reader.flush_unmodelled()
        settings = load_settings(source)
        if settings is not None:
            parsed.notes += settings.notes
            if settings.ha_rule is not None:
                rules.append(settings.ha_rule)
                reader.origins[settings.ha_rule.name] = "strongswan.conf/charon.plugins.ha"
        parsed.facts = DeviceFacts(
            aggressive_psk_allowed=bool(settings and settings.aggressive_psk),
            ike_any_version=frozenset(reader.any_version),
            auth_constraints={k: tuple(v) for k, v in reader.constraints.items()},
            obsolete_algorithms={k: tuple(v) for k, v in reader.obsolete.items()},
            origins=reader.origins,
            shared_keys=tuple(reader.keys),
            not_built=reader.not_built,
            own_addresses=tuple(dict.fromkeys(r.local_address for r in rules
                                              if not r.local_address.is_unspecified)))
        stem = Path(source).stem if not source.startswith("<") else "ipsec"
        parsed.policies.append(EndPolicy(name=to_ident(f"imported-{stem}", "conn"),
                                         platform="strongswan", rules=tuple(rules)))
        return parsed


FORMAT = IpsecConf()
