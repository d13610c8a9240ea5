"""The CUCM reader: a sheet or ``show ipsec information`` output → policies, with notes.

Parse: (1) the sheet — ccsec's own output and hand-filled sheets in the same layout (labels
case-insensitive, "Pre-shared Key" and "Preshared Key", ``[x]``/``[ ]``/yes/no, blank optional
fields, a ``...`` line meaning "the remaining fields as in the policy above"); (2) the output of
``show ipsec information <group> <name>`` (labels PolicyGroup, PolicyName, Type, …; tokens
``transport``, ``psk``, ``sha1``, ``null_enc``, ``null``, ``enabled``/``disabled``; the Gen 3
spellings are [U], so several are accepted).  :mod:`.scan` groups the lines into blocks; here
each block becomes a rule.  Values outside the selected value table become warning notes for
the audit to judge.  A value that cannot be mapped at all is a ParseError in a sheet (a typo
someone can fix) but only a warning in ``show`` output (the node's real state, whose token
spellings are unverified): that policy is then skipped and its token kept in
``CucmFacts.unknown_tokens`` (``Parsed.format_facts``).

A sheet names its table on a ``# value table: KEY`` line, which the reader honours (a
hand-filled ``# release: 12.5(1)SU5  FIPS mode: yes`` line also selects one, via ``RELEASES``)
— edit that line to audit a sheet against another release or mode.
"""

from __future__ import annotations

from functools import lru_cache
from ipaddress import IPv4Address, IPv4Network
from typing import Literal

from ccsec.crypto import DH_GROUPS, GROUP_BY_KEYWORD, Encr, EspProposal, IkeProposal, Integ
from ccsec.errors import ParseError, Problem, shown_repr
from ccsec.formats.base import Note, Parsed, device_name, meta_str, plain_reason, read_meta
from ccsec.formats.cucm import values
from ccsec.formats.cucm.scan import Block, Scan, inherit, scan_lines, select_table
from ccsec.formats.cucm.values import (
    ASSUMED_LIFETIME_S,
    AUTH_TOKENS,
    DH_RE,
    ENCR_TOKENS,
    ESP_TOKENS,
    FALSE_WORDS,
    FIELD_LABEL,
    HASH_TOKENS,
    LIFETIME_RE,
    NONE_WORDS,
    PORT_RE,
    PROTOCOL_LABELS,
    PROTOCOL_TOKENS,
    PSK_RE,
    TRUE_WORDS,
    ValueTable,
    cert_identity,
    fold,
)
from ccsec.formats.facts import CucmFacts, CucmUnknownToken
from ccsec.policy import IDENT_RE, Auth, EndPolicy, Filter, Identity, Ike, Rule
from ccsec.secrets import Secret, literal

#: what the text is: a sheet, or the output of ``show ipsec information``
Kind = Literal["sheet", "show"]


class _Bad(Exception):
    """A value that maps to nothing (ParseError in a sheet, a skipped policy in show output)."""

    def __init__(self, key: str, line: int, token: str, fix: str) -> None:
        super().__init__(token)
        self.key, self.line, self.token, self.fix = key, line, token, fix


def read(text: str, source: str, default: ValueTable, format_name: str, comment: str) -> Parsed:
    """Read a sheet or ``show`` output against ``default`` (or the table the text names).

    A value that maps to nothing is a ParseError in a sheet but in ``show`` output only skips
    that policy, its token kept in ``CucmFacts.unknown_tokens`` (see the package docstring)."""
    parsed = Parsed(policies=[], source=source, format=format_name)
    lines = text.splitlines()
    scan = scan_lines(lines, parsed)
    kind: Kind = "show" if scan.prompt or scan.show_labels > scan.sheet_labels else "sheet"
    table = select_table(scan, parsed, default)
    unknown: list[CucmUnknownToken] = []
    reader = _Reader(table, kind, source, parsed)
    groups: dict[str, list[Rule]] = {}
    names: dict[str, set[str]] = {}  # per group: a policy seen twice is found in one step
    for block in inherit(scan.blocks, parsed):
        try:
            group, rule = reader.rule(block)
        except _Bad as bad:
            if kind == "sheet":
                raise reader.error(bad) from None
            reader.skip(block, bad, unknown)
            groups.setdefault(block.fields["group"][0], [])  # read before the bad value
            continue
        rules = groups.setdefault(group, [])
        seen = names.setdefault(group, set())
        if rule.name in seen:
            parsed.notes.append(Note(block.line, "warning", f"policy {group}/{rule.name} "
                                     "appears twice; the first one is used"))
            continue
        seen.add(rule.name)
        rules.append(rule)
    parsed.format_facts = CucmFacts(
        input="show ipsec information" if kind == "show" else "sheet",
        value_table=table.key, certificate_names=reader.certificate_names,
        unknown_tokens=tuple(unknown))
    parsed.policies = _policies(groups, read_meta(lines, comment), scan, source)
    return parsed


def _policies(groups: dict[str, list[Rule]], meta: dict[str, object], scan: Scan,
              source: str) -> list[EndPolicy]:
    """One EndPolicy per Policy Group Name; a ccsec sheet's meta line restores name, owner and
    description, a hand-filled one's ``# node:`` line the owner."""
    meta_name = meta_str(meta, "name")
    owner = meta_str(meta, "owner") if meta else device_name(scan.node)
    platform = meta_str(meta, "platform") if meta else "cucm"
    if not groups and meta_name:
        groups = {meta_name: []}
    if not groups:
        raise ParseError(Problem("no IPsec policy found", source,
                                 fix="a sheet has 'Policy Group Name : …' and 'Policy Name "
                                 ": …' lines per policy; show output has PolicyGroup and "
                                 "PolicyName lines"))
    out = []
    for group, rules in groups.items():
        description = meta_str(meta, "description", "") if group == meta_name else ""
        try:
            out.append(EndPolicy(name=group, description=description or "", owner=owner,
                                 platform=platform, rules=tuple(rules)))
        except ValueError as exc:
            raise ParseError(Problem(f"policy group {shown_repr(group, 40)}: "
                                     f"{plain_reason(exc)}", source)) from None
    return out


def _new_ike_proposal(encryption: Encr, integrity: Integ, group: int) -> IkeProposal:
    return IkeProposal(encryption=encryption, integrity=integrity, group=group)


def _new_esp_proposal(encryption: Encr, integrity: Integ | None) -> EspProposal:
    return EspProposal(encryption=encryption, integrity=integrity)


def _new_ike(proposal: IkeProposal, lifetime_s: int) -> Ike:
    return Ike(version=1, proposals=(proposal,), lifetime_s=lifetime_s)


# The models are frozen and built from their arguments alone, so the rules of a tree can share
# one instance per value set (equal, and serialised alike, to one built per rule); a value set
# the models refuse raises each time, as lru_cache keeps no exceptions.
_ike_proposal = lru_cache(maxsize=256)(_new_ike_proposal)
_esp_proposal = lru_cache(maxsize=256)(_new_esp_proposal)
_ike = lru_cache(maxsize=256)(_new_ike)


class _Reader:
    """Turns one block into a Rule, noting every value outside the selected table."""

    def __init__(self, table: ValueTable, kind: Kind, source: str, parsed: Parsed) -> None:
        self.t, self.kind, self.source, self.parsed = table, kind, source, parsed
        self.notes = parsed.notes
        self.certificate_names: dict[str, str] = {}  # rule → Certificate Name as written

    def error(self, bad: _Bad) -> ParseError:
        label = FIELD_LABEL.get(bad.key, bad.key)
        return ParseError(Problem(f"cannot read '{bad.token[:40]}'", self.source, bad.line,
                                  field=label, fix=bad.fix))

    def skip(self, block: Block, bad: _Bad, unknown: list[CucmUnknownToken]) -> None:
        label = FIELD_LABEL.get(bad.key, bad.key)
        name = block.fields.get("name", ("?", 0))[0][:80]
        token = bad.token[:80]
        unknown.append(CucmUnknownToken(policy=name, field=label, token=token, line=bad.line))
        self.notes.append(Note(bad.line, "warning", f"policy {name}: {label} token "
                               f"'{token}' is not known to ccsec [U spellings]; policy skipped"
                               f" ({bad.fix})"))

    # -- one block

    def rule(self, b: Block) -> tuple[str, Rule]:
        group, name = self._ident(b, "group"), self._ident(b, "name")
        if b.command and (b.command[0] != group or b.command[1] != name):
            self.notes.append(Note(b.line, "warning", f"show ipsec information asked for "
                                   f"{b.command[0][:40]}/{b.command[1][:40]} but printed "
                                   f"{group}/{name}"))
        try:
            rule = self._build(b, name)
        except ValueError as exc:  # pydantic's ValidationError is a ValueError
            raise ParseError(Problem(f"policy {name}: {plain_reason(exc)}", self.source,
                                     b.line)) from None
        loc = self.parsed.locations
        loc[name] = self._line(b, "name")
        loc[f"{name}/auth"] = self._line(b, "auth", "psk", "cert")
        loc[f"{name}/ike"] = self._line(b, "encryption", "hash", "p1_dh", "p1_life")
        loc[f"{name}/esp"] = self._line(b, "esp", "p2_dh", "p2_life")
        loc[f"{name}/filters"] = self._line(b, "dst", "src", "protocol")
        return group, rule

    def _build(self, b: Block, name: str) -> Rule:
        src, dst = self._address(b, "src"), self._address(b, "dst")
        auth, peer_id = self._auth(b, name)
        shared = values.FAST  # frozen models of the same values: one instance per value set
        make_ike = _ike_proposal if shared else _new_ike_proposal
        ike = make_ike(self._cipher(b, "encryption", ENCR_TOKENS, self.t.encryption),
                       self._hash(b), self._p1_dh(b))
        make_esp = _esp_proposal if shared else _new_esp_proposal
        esp = make_esp(self._cipher(b, "esp", ESP_TOKENS, self.t.esp),
                       self._esp_integrity(b, ike.integrity))
        # IKEv1 main mode, negotiate, require/require are assumptions [U]: the page has no field
        # for the IKE version, and whether the node drops clear traffic is undocumented
        return Rule(
            name=name,
            description=b.description,
            mode=self._mode(b),
            local_address=src,
            peer_address=dst,
            peer_id=peer_id,
            filters=(self._filter(b, src, dst),),
            auth=(auth,),
            ike=(_ike if shared else _new_ike)(ike, self._life(b, "p1_life")),
            esp=(esp,),
            pfs_group=self._p2_dh(b),
            lifetime_s=self._life(b, "p2_life"),
            lifetime_kb=None,
            enabled=self._enabled(b),
        )

    def _line(self, b: Block, *keys: str) -> int:
        fields = b.fields
        for k in keys:
            if k in fields:
                return fields[k][1]
        return b.line

    def _get(self, b: Block, key: str) -> tuple[str, int] | None:
        return b.fields.get(key)

    def _missing(self, b: Block, key: str, assumed: str) -> None:
        self.notes.append(Note(b.line, "warning", f"{FIELD_LABEL.get(key, key)} not given: "
                               f"assumed {assumed} [U: page default undocumented]"))

    def _note(self, line: int, message: str,
              severity: Literal["info", "warning"] = "warning") -> None:
        self.notes.append(Note(line, severity, message))

    def _ident(self, b: Block, key: str) -> str:
        label = FIELD_LABEL[key]
        got = self._get(b, key)
        if got is None or not got[0]:
            raise ParseError(Problem(f"{label} is missing", self.source, b.line, field=label,
                                     fix=f"give every policy a '{label} : …' line"))
        value, line = got
        if not IDENT_RE.match(value):
            raise ParseError(Problem(f"{label} '{value[:40]}' is not letters, digits and "
                                     "hyphens (starting with a letter or digit, at most 80)",
                                     self.source, line, field=label,
                                     fix="the page accepts letters, digits and hyphens only"))
        return value

    def _address(self, b: Block, key: str) -> IPv4Address:
        label = FIELD_LABEL[key]
        got = self._get(b, key)
        if got is None or not got[0] or got[0].lower() == "null":
            raise ParseError(Problem(f"{label} is missing", self.source, b.line, field=label,
                                     fix=f"give every policy a '{label} : <IPv4 address>' line"))
        value, line = got
        try:
            return IPv4Address(value)
        except ValueError:
            fqdn = any(c.isalpha() for c in value)
            raise _Bad(key, line, value, "FQDN addresses are not supported on 12.x pages: use "
                       "the IPv4 address" if fqdn else "use a dotted IPv4 address") from None

    def _auth(self, b: Block, name: str) -> tuple[Auth, Identity | None]:
        got = self._get(b, "auth")
        psk, cert = self._get(b, "psk"), self._get(b, "cert")
        psk_value = self._optional(psk)
        cert_value = self._optional(cert)
        if got is None or not got[0]:
            if bool(psk_value) == bool(cert_value):
                raise ParseError(Problem("Authentication Method is missing", self.source, b.line,
                                         field="Authentication Method",
                                         fix="write 'Authentication Method : Certificate' or "
                                         "'… : Pre-shared Key'"))
            method: Literal["psk", "certificate"] = "psk" if psk_value else "certificate"
            self._missing(b, "auth", f"{method} (from the fields filled in)")
            line = b.line
        else:
            token, line = got
            found = AUTH_TOKENS.get(fold(token))
            if found is None:
                raise _Bad("auth", line, token, "use Certificate or Pre-shared Key")
            method = found
        if method not in self.t.auth:
            self._note(line, f"Authentication Method {method}: not on the {self.t.key} page "
                       "(FIPS mode has certificates only)")
        self._peer_type(b, method)
        if method == "psk":
            if cert_value:
                self._note(cert[1] if cert else line, "Certificate Name is disabled with a "
                           "pre-shared key; ignored")
            return Auth(method="psk", psk=self._psk(b, psk, psk_value)), None
        if psk_value:
            self._note(psk[1] if psk else line, "Preshared Key is disabled with Certificate "
                       "authentication; ignored")
        if not cert_value:
            self._note(cert[1] if cert else line, "Certificate Name is empty: certificate "
                       "authentication has no peer certificate")
            return Auth(method="certificate"), None
        ident = cert_identity(cert_value)
        self.certificate_names[name] = cert_value
        if ident is None:
            self._note(cert[1] if cert else line, "Certificate Name cannot be read as a peer "
                       "identity; kept in facts only")
        return Auth(method="certificate"), ident

    def _optional(self, got: tuple[str, int] | None) -> str:
        """A free-text field's value; show output prints ``null`` for "not set"."""
        if got is None:
            return ""
        value = got[0]
        return "" if self.kind == "show" and value.lower() in NONE_WORDS else value

    def _psk(self, b: Block, got: tuple[str, int] | None, value: str) -> Secret | None:
        line = got[1] if got else b.line
        if not value:
            self._note(line, "pre-shared key authentication without a Preshared Key")
            return None
        if value.startswith("<") and value.endswith(">"):
            self._note(line, "Preshared Key is a placeholder, not a key", "info")
            return None
        if not PSK_RE.match(value):
            self._note(line, "Preshared Key holds characters the page does not accept (letters, "
                       "digits and hyphens only)")
        return literal(value)

    def _peer_type(self, b: Block, method: str) -> None:
        got = self._get(b, "peer_type")
        value = self._optional(got)
        if not value or got is None:
            return
        if method == "psk":
            self._note(got[1], "Peer Type is disabled with a pre-shared key; ignored", "info")
        elif value.capitalize() not in self.t.peer_types:
            self._note(got[1], f"Peer Type '{value[:20]}' is not on the {self.t.key} page "
                       f"({', '.join(self.t.peer_types)})")

    def _token(self, b: Block, key: str) -> tuple[str, int] | None:
        got = self._get(b, key)
        return None if got is None or not got[0] else got

    def _cipher(self, b: Block, key: str, tokens: dict[str, Encr],
                allowed: dict[Encr, str]) -> Encr:
        got = self._token(b, key)
        if got is None:
            first = next(iter(allowed))
            self._missing(b, key, allowed[first])
            return first
        token, line = got
        norm = fold(token)
        norm = norm[:-3] if norm.endswith("cbc") and len(norm) > 3 else norm
        encr = tokens.get(norm)
        if encr is None:
            raise _Bad(key, line, token, "use one of " + ", ".join(allowed.values()))
        if encr not in allowed:
            self._note(line, f"{FIELD_LABEL[key]} {token[:20]} is not on the {self.t.key} page "
                       f"({', '.join(allowed.values())})")
        return encr

    def _hash(self, b: Block) -> Integ:
        got = self._token(b, "hash")
        if got is None:
            first = next(iter(self.t.hashes))
            self._missing(b, "hash", self.t.hashes[first])
            return first
        token, line = got
        integ = HASH_TOKENS.get(fold(token).removeprefix("hmac"))
        if integ is None:
            raise _Bad("hash", line, token, "use one of " + ", ".join(self.t.hashes.values()))
        if integ not in self.t.hashes:
            self._note(line, f"Hash Algorithm {token[:20]} is not on the {self.t.key} page "
                       f"({', '.join(self.t.hashes.values())})")
        return integ

    def _esp_integrity(self, b: Block, ike_hash: Integ | None) -> Integ | None:
        """Show output's AH line names the ESP integrity; a sheet has none: it follows Hash."""
        got = self._token(b, "ah")
        if got is None or got[0].lower() in NONE_WORDS:
            return ike_hash
        integ = HASH_TOKENS.get(fold(got[0]).removeprefix("hmac"))
        if integ is None:
            self._note(got[1], f"AH token '{got[0][:20]}' unknown; ESP integrity assumed to "
                       "follow Hash Algorithm [U]")
            return ike_hash
        if integ != ike_hash:
            self._note(got[1], "AH differs from Hash Algorithm; ESP integrity taken from the AH "
                       "line [U]", "info")
        return integ

    def _dh(self, b: Block, key: str) -> tuple[int | None, int]:
        got = self._get(b, key)
        if got is None:
            return None, b.line
        token, line = got
        norm = fold(token)
        if norm in NONE_WORDS:
            return None, line
        group = GROUP_BY_KEYWORD.get(norm)
        if group is None and (m := DH_RE.match(norm)):
            group = int(m.group(1))
        if group is None or group not in DH_GROUPS:
            raise _Bad(key, line, token, "use a DH group number such as 14")
        return group, line

    def _p1_dh(self, b: Block) -> int:
        group, line = self._dh(b, "p1_dh")
        if group is None:
            assumed = self.t.phase1_dh[0]
            self._note(line, f"Phase One DH not set: assumed group {assumed}, the first entry "
                       "of the page's list [U]")
            return assumed
        if group not in self.t.phase1_dh:
            self._note(line, f"Phase One DH {group} is not on the {self.t.key} page")
        return group

    def _p2_dh(self, b: Block) -> int | None:
        group, line = self._dh(b, "p2_dh")
        if group is None:
            self._note(line, "Phase Two DH not set: no PFS [U]", "info")
        elif group not in self.t.phase2_dh:
            self._note(line, f"Phase Two DH {group} is not on the {self.t.key} page")
        return group

    def _life(self, b: Block, key: str) -> int:
        got = self._token(b, key)
        if got is None:
            self._missing(b, key, f"{ASSUMED_LIFETIME_S} s")
            return ASSUMED_LIFETIME_S
        token, line = got
        m = LIFETIME_RE.match(token)
        if m is None or int(m.group(1)) < 60:
            raise _Bad(key, line, token, "give the lifetime in seconds (at least 60)")
        return int(m.group(1))

    def _mode(self, b: Block) -> Literal["transport", "tunnel"]:
        got = self._token(b, "mode")
        if got is None:
            self._missing(b, "mode", "Transport")
            return "transport"
        token, line = got
        mode = fold(token)
        if mode == "transport":
            return "transport"
        if mode == "tunnel":
            self._note(line, "Mode Tunnel: the Generation 2/3 pages offer Transport only")
            return "tunnel"
        raise _Bad("mode", line, token, "use Transport")

    def _filter(self, b: Block, src: IPv4Address, dst: IPv4Address) -> Filter:
        proto = self._protocol(b)
        src_port = self._port(b, "src_port")
        dst_port = self._port(b, "dst_port")
        remote = self._port(b, "remote_port")
        if remote is not None and remote != dst_port:
            line = b.fields["remote_port"][1]
            if dst_port is None:
                dst_port = remote
            else:
                self._note(line, "Remote Port differs from Destination Port; ccsec reads "
                           "Destination Port [U: the guides describe both alike]")
        if proto is None and (src_port or dst_port):
            self._note(self._line(b, "protocol"), "a port with Protocol Any")
        if values.FAST:  # from the integer: the same network, without printing and re-reading src
            local, remote_net = IPv4Network(int(src)), IPv4Network(int(dst))
        else:
            local, remote_net = IPv4Network(src), IPv4Network(dst)
        return Filter(local=local, remote=remote_net, protocol=proto,
                      local_port=src_port, remote_port=dst_port)

    def _protocol(self, b: Block) -> int | None:
        got = self._get(b, "protocol")
        if got is None:
            self._missing(b, "protocol", "Any")
            return None
        token, line = got
        norm = fold(token)
        if norm in PROTOCOL_TOKENS:
            return PROTOCOL_TOKENS[norm]
        if norm.isdigit() and len(norm) <= 3 and int(norm) <= 255:
            number = int(norm)
            if number == 0:
                return None
            if number not in PROTOCOL_LABELS:
                self._note(line, f"Protocol {number}: the page offers TCP, UDP and Any")
            return number
        raise _Bad("protocol", line, token, "use TCP, UDP or Any")

    def _port(self, b: Block, key: str) -> int | None:
        got = self._get(b, key)
        if got is None:
            return None
        token, line = got
        if fold(token) in ("any", "", "all", "null", "0") or token.strip() == "*":
            return None
        if PORT_RE.match(token) and 1 <= int(token) <= 65535:
            return int(token)
        raise _Bad(key, line, token, "use a port number 1-65535 or Any")

    def _enabled(self, b: Block) -> bool:
        got = self._get(b, "enabled")
        if got is None:
            self._missing(b, "enabled", "ticked")
            return True
        token, line = got
        word = "".join(token.lower().split())
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            self._note(line, "Enable Policy is not ticked: the policy is inactive")
            return False
        raise _Bad("enabled", line, token, "use [x] or [ ] (or yes/no)")
