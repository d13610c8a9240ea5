"""Replays a netsh ``ipsec static`` script against an in-memory store, as netsh would.

Line by line: comments and ``rem``/``echo off`` are skipped; ``netsh …`` (cmd/.bat style),
``pushd``/``popd`` and context lines are followed; each ``ipsec static`` command changes the
store — policies, filter lists, filter actions, rules — with netsh's defaults for every tag a
script leaves out.  Rules hold the objects they name, so a later ``newname=`` keeps the link
(netsh refers by GUID).  What the store cannot hold (DNS names, IPv6, ``ipsec dynamic``…) is a
note; a reference to an object the script never created, or a malformed value, is a
:class:`~ccsec.errors.ParseError` with file:line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network, ip_address
from typing import Literal, TypeVar

from ccsec.crypto import IkeProposal
from ccsec.errors import ParseError, Problem
from ccsec.formats.base import Note
from ccsec.formats.dn import from_encoding_order
from ccsec.formats.windows.netsh_grammar import (
    AUTH_TAGS,
    OBJECTS,
    REDIRECT,
    VERBS,
    BadLine,
    QmOffers,
    bind,
    number,
    parse_mmsec,
    parse_qmsec,
    parse_rootca,
    pick,
    prefix_length,
    reason,
    required_tag,
    tag_value,
    tokenize,
    try_pick,
    walk_context,
    yes_no,
)
from ccsec.formats.windows.vocabulary import NETSH_DEFAULT_MM_LIFETIME_MIN, NETSH_PROTO_IN
from ccsec.policy import Auth
from ccsec.secrets import literal

T = TypeVar("T")
#: the objects ``newname=`` renames, and the ones rules use
Named = TypeVar("Named", "NPolicy", "NFilterList", "NFilterAction", "NRule")
Used = TypeVar("Used", "NFilterList", "NFilterAction")

Action = Literal["permit", "block", "negotiate"]
ConnType = Literal["all", "lan", "dialup"]
_ACTIONS: dict[str, Action] = {"permit": "permit", "block": "block", "negotiate": "negotiate"}
_CONNTYPES: dict[str, ConnType] = {"all": "all", "lan": "lan", "dialup": "dialup"}


@dataclass(frozen=True)
class NFilter:
    """One netsh filter as written (src/dst; a filter ccsec cannot hold is never built)."""

    src: IPv4Network
    dst: IPv4Network
    protocol: int | None
    srcport: int | None
    dstport: int | None
    mirrored: bool
    line: int


@dataclass(eq=False)
class NFilterList:
    """A filter list; rules hold the object itself, so a later rename keeps the link (GUIDs)."""

    name: str
    line: int
    filters: list[NFilter] = field(default_factory=list)


@dataclass(eq=False)
class NFilterAction:
    """A filter action with netsh's defaults for every tag a script leaves out."""

    name: str
    line: int
    qmpfs: bool = False
    inpass: bool = False
    soft: bool = False
    action: Action = "negotiate"
    qm: QmOffers | None = None
    qm_line: int | None = None


@dataclass(eq=False)
class NRule:
    """A netsh rule: references resolved to objects when the line runs, as netsh does."""

    name: str
    line: int
    policy: NPolicy
    filterlist: NFilterList
    filteraction: NFilterAction
    tunnel: IPv4Address | None = None
    conntype: ConnType = "all"
    activate: bool = True
    description: str = ""
    auth: list[Auth] = field(default_factory=list)
    auth_line: int | None = None


@dataclass(eq=False)
class NPolicy:
    """A policy; ``defaultrule`` stays ``None`` until the script sets it (default noted)."""

    name: str
    line: int
    description: str = ""
    mmsec: tuple[IkeProposal, ...] | None = None
    mmlifetime: int = NETSH_DEFAULT_MM_LIFETIME_MIN
    ike_line: int | None = None
    defaultrule: bool | None = None
    assigned: bool = False
    #: casefolded rule name → rule, in script order (netsh names are case-insensitive [V])
    rules: dict[str, NRule] = field(default_factory=dict)


class NetshStore:
    """Replays a netsh script against an in-memory store, as netsh would, line by line."""

    def __init__(self, source: str, notes: list[Note]) -> None:
        self.source = source
        self.notes = notes
        self.policies: dict[str, NPolicy] = {}
        self.filterlists: dict[str, NFilterList] = {}
        self.filteractions: dict[str, NFilterAction] = {}
        self.context: tuple[str, ...] = ()
        self.stack: list[tuple[str, ...]] = []
        self.location: str | None = None  # set store location=…
        self.line = 0
        self.token_error: str | None = None

    def note(self, severity: Literal["info", "warning"], message: str) -> None:
        self.notes.append(Note(self.line, severity, message))

    def run(self, lines: list[str]) -> None:
        for n, raw in enumerate(lines, start=1):
            self.line = n
            text = raw.strip()
            if not text or text.startswith(("#", "::")) or text.lower() in ("@echo off",
                                                                            "echo off"):
                continue
            word = text.split(None, 1)[0].lower().lstrip("@")
            if word == "rem":
                continue
            try:
                self.statement(text.lstrip("@"))
            except BadLine as exc:
                raise ParseError(Problem(str(exc), self.source, n, fix=exc.fix)) from None
            except ValueError as exc:  # model validation of a value on this line
                raise ParseError(Problem(reason(exc), self.source, n)) from None

    # -------------------------------------------------------------- contexts

    def statement(self, text: str) -> None:
        tokens, self.token_error = tokenize(text)
        words = [v for _, v in tokens]
        if words and tokens[0][0] is None and words[0].lower() == "netsh":
            self.netsh_line(tokens[1:])
            return
        head = words[0].lower() if words else ""
        if head == "popd" and len(tokens) == 1:
            if not self.stack:
                self.note("warning", "popd without pushd")
            self.context = self.stack.pop() if self.stack else ()
            return
        if head == "pushd" and tokens[0][0] is None:
            ctx, rest = walk_context(self.context, tokens[1:])
            if rest:
                self.note("warning", f"pushd to an unknown context: {text}")
                return
            self.stack.append(self.context)
            self.context = ctx
            return
        ctx, rest = walk_context(self.context, tokens)
        if not rest:
            self.context = ctx  # a line naming a context enters it
            return
        self.command(ctx, rest, text)

    def netsh_line(self, tokens: list[tuple[str | None, str]]) -> None:
        """A cmd/.bat line ``netsh ipsec static …``: always starts at the root context."""
        while tokens and tokens[-1][0] is None and REDIRECT.match(tokens[-1][1]):
            tokens = tokens[:-1]
        if tokens and tokens[0][0] is None and tokens[0][1].startswith("-"):
            self.note("warning", "netsh options (-f, -r, -c …) are not read")
            return
        ctx, rest = walk_context((), tokens)
        if rest:
            self.command(ctx, rest, "netsh …")
        else:
            self.note("info", "an interactive netsh session start does nothing in a script")

    def command(self, ctx: tuple[str, ...], rest: list[tuple[str | None, str]],
                text: str) -> None:
        if ctx == ("ipsec", "dynamic"):
            self.note("info", "`ipsec dynamic` changes only the running state, not the stored "
                      "policy ccsec reads — ignored")
            return
        if ctx != ("ipsec", "static"):
            verb = try_pick(rest[0], VERBS)
            if ctx == () and verb in OBJECTS and len(rest) > 1 and \
                    try_pick(rest[1], OBJECTS[verb]):
                self.note("warning", "no `ipsec static` context on this line; read as an "
                          "`ipsec static` command")
            else:
                self.note("info", f"not an `ipsec static` command, not read: {text[:60]}")
                return
        self.static(rest)

    # -------------------------------------------------------------- commands

    def static(self, rest: list[tuple[str | None, str]]) -> None:
        if self.token_error:
            raise BadLine(self.token_error)
        if rest[0][0] is not None:
            raise BadLine(f"expected a verb (add, set, delete …), found {rest[0][0]}=")
        verb = pick(rest[0][1], VERBS, "verb")
        if verb in ("show", "exportpolicy", "importpolicy"):
            self.note("info" if verb == "show" else "warning",
                      f"`{verb}` does not change the stored policy; not read")
            return
        if verb is None or len(rest) < 2 or rest[1][0] is not None:
            self.note("info", "unknown `ipsec static` command, not read")
            return
        obj = pick(rest[1][1], OBJECTS[verb], "object")
        if obj is None:
            self.note("info", f"unknown `ipsec static {verb}` object, not read")
            return
        if (verb, obj) == ("delete", "all"):
            self.policies.clear()
            self.filterlists.clear()
            self.filteractions.clear()
            return
        tags = bind((verb, obj), rest[2:])
        getattr(self, f"{verb}_{obj}")(tags)

    def add_policy(self, tags: list[tuple[str, str]]) -> None:
        name = required_tag(tags, "name")
        if name.casefold() in self.policies:
            self.note("warning", f"policy {name} already exists; netsh rejects this line")
            return
        p = NPolicy(name, self.line)
        self.policies[name.casefold()] = p
        self.policy_tags(p, tags)

    def set_policy(self, tags: list[tuple[str, str]]) -> None:
        if tag_value(tags, "guid") is not None:
            self.note("warning", "set policy guid= cannot be resolved in a script; not read")
            return
        p = self.find(self.policies, required_tag(tags, "name"), "policy")
        self.policy_tags(p, tags)

    def policy_tags(self, p: NPolicy, tags: list[tuple[str, str]]) -> None:
        for tag, value in tags:
            if tag == "description":
                p.description = value
            elif tag == "mmpfs" and yes_no(value, tag):
                self.note("info", "mmpfs=yes (master key PFS) is not part of ccsec's model")
            elif tag in ("qmpermm", "pollinginterval"):
                number(value, tag)
            elif tag == "mmlifetime":
                p.mmlifetime = number(value, tag, 1)
                p.ike_line = self.line
            elif tag == "activatedefaultrule":
                p.defaultrule = yes_no(value, tag)
            elif tag == "assign":
                self.assign(p, yes_no(value, tag))
            elif tag == "mmsecmethods":
                p.mmsec = parse_mmsec(value, self.line, self.notes)
                p.ike_line = self.line
            elif tag == "newname":
                self.rename(self.policies, p, value, "policy")
            elif tag == "gponame":
                self.note("warning", "gponame= assigns the policy in a domain GPO; not read")

    def assign(self, p: NPolicy, on: bool) -> None:
        if on:
            for other in self.policies.values():
                other.assigned = False  # one assigned policy per store
        p.assigned = on

    def delete_policy(self, tags: list[tuple[str, str]]) -> None:
        if tag_value(tags, "all"):
            self.policies.clear()
            return
        name = required_tag(tags, "name")
        if self.policies.pop(name.casefold(), None) is None:
            self.note("warning", f"policy {name} does not exist; netsh rejects this line")

    def add_filterlist(self, tags: list[tuple[str, str]]) -> None:
        name = required_tag(tags, "name")
        if name.casefold() in self.filterlists:
            self.note("warning", f"filter list {name} already exists; netsh rejects this line")
            return
        self.filterlists[name.casefold()] = NFilterList(name, self.line)

    def set_filterlist(self, tags: list[tuple[str, str]]) -> None:
        fl = self.find(self.filterlists, required_tag(tags, "name"), "filter list")
        for tag, value in tags:
            if tag == "newname":
                self.rename(self.filterlists, fl, value, "filter list")

    def delete_filterlist(self, tags: list[tuple[str, str]]) -> None:
        if tag_value(tags, "all"):
            self.delete_unused(self.filterlists, "filterlist", "filter list")
            return
        fl = self.find(self.filterlists, required_tag(tags, "name"), "filter list")
        self.refuse_in_use(fl, "filterlist", "filter list")
        del self.filterlists[fl.name.casefold()]

    def add_filter(self, tags: list[tuple[str, str]]) -> None:
        name = required_tag(tags, "filterlist")
        f = self.filter_of(tags, require=True)
        fl = self.filterlists.get(name.casefold())
        if fl is None:  # adding a filter to a missing list creates the list [D]
            fl = self.filterlists[name.casefold()] = NFilterList(name, self.line)
        if f is not None:
            fl.filters.append(f)

    def delete_filter(self, tags: list[tuple[str, str]]) -> None:
        fl = self.find(self.filterlists, required_tag(tags, "filterlist"), "filter list")
        f = self.filter_of(tags, require=True)
        keep = [g for g in fl.filters if f is None or not _same_filter(g, f, tags)]
        if len(keep) == len(fl.filters):
            self.note("warning", "no filter matches; netsh rejects this line")
        fl.filters = keep

    def filter_of(self, tags: list[tuple[str, str]], require: bool) -> NFilter | None:
        """A filter from add/delete filter tags; ``None`` (with a note) if ccsec cannot hold it."""
        src = tag_value(tags, "srcaddr")
        dst = tag_value(tags, "dstaddr")
        if require and (src is None or dst is None):
            raise BadLine("a filter needs srcaddr= and dstaddr=")
        proto_text = (tag_value(tags, "protocol") or "ANY").upper()
        protocol = NETSH_PROTO_IN[proto_text] if proto_text in NETSH_PROTO_IN else \
            number(proto_text, "protocol", 0, 255)
        sport = number(tag_value(tags, "srcport") or "0", "srcport", 0, 65535) or None
        dport = number(tag_value(tags, "dstport") or "0", "dstport", 0, 65535) or None
        mirrored = yes_no(tag_value(tags, "mirrored") or "yes", "mirrored")
        if (sport or dport) and protocol not in (6, 17):
            raise BadLine("srcport/dstport need protocol=TCP or UDP")
        a = self.address(src or "", tag_value(tags, "srcmask"), "srcaddr")
        b = self.address(dst or "", tag_value(tags, "dstmask"), "dstaddr")
        if a is None or b is None:
            return None
        if (dst or "").lower() == "me" and (src or "").lower() != "me" and mirrored:
            a, b, sport, dport = b, a, dport, sport  # a mirrored filter: put "me" first
        return NFilter(a, b, protocol or None, sport, dport, mirrored, self.line)

    def address(self, addr: str, mask: str | None, tag: str) -> IPv4Network | None:
        low = addr.lower()
        if not low:
            raise BadLine(f"{tag}= is empty")
        if low == "any":
            return IPv4Network("0.0.0.0/0")
        if low == "me":
            self.note("warning", f"{tag}=me read as any local address (0.0.0.0/0)")
            return IPv4Network("0.0.0.0/0")
        try:
            host = ip_address(addr)
        except ValueError:
            host = None
        if host is None or host.version != 4:
            self.note("warning", f"{tag}={addr}: DNS names, ranges, server types and IPv6 have "
                      "no place in ccsec's policy model; this filter is not read")
            return None
        return IPv4Network(f"{host}/{prefix_length(mask)}", strict=False)

    def add_filteraction(self, tags: list[tuple[str, str]]) -> None:
        name = required_tag(tags, "name")
        if name.casefold() in self.filteractions:
            self.note("warning", f"filter action {name} already exists; netsh rejects "
                      "this line")
            return
        fa = self.filteractions[name.casefold()] = NFilterAction(name, self.line)
        self.action_tags(fa, tags)

    def set_filteraction(self, tags: list[tuple[str, str]]) -> None:
        if tag_value(tags, "guid") is not None:
            self.note("warning", "set filteraction guid= cannot be resolved; not read")
            return
        fa = self.find(self.filteractions, required_tag(tags, "name"), "filter action")
        self.action_tags(fa, tags)

    def action_tags(self, fa: NFilterAction, tags: list[tuple[str, str]]) -> None:
        for tag, value in tags:
            if tag in ("qmpfs", "inpass", "soft"):
                setattr(fa, tag, yes_no(value, tag))
            elif tag == "action":
                action = _ACTIONS.get(value.lower())
                if action is None:
                    raise BadLine(f"action={value}: expected permit, block or negotiate")
                fa.action = action
            elif tag == "qmsecmethods":
                fa.qm = parse_qmsec(value)
                fa.qm_line = self.line
            elif tag == "newname":
                self.rename(self.filteractions, fa, value, "filter action")

    def delete_filteraction(self, tags: list[tuple[str, str]]) -> None:
        if tag_value(tags, "all"):
            self.delete_unused(self.filteractions, "filteraction", "filter action")
            return
        fa = self.find(self.filteractions, required_tag(tags, "name"), "filter action")
        self.refuse_in_use(fa, "filteraction", "filter action")
        del self.filteractions[fa.name.casefold()]

    def add_rule(self, tags: list[tuple[str, str]]) -> None:
        name = required_tag(tags, "name")
        p = self.find(self.policies, required_tag(tags, "policy"), "policy")
        if name.casefold() in p.rules:
            self.note("warning", f"rule {name} already exists in policy {p.name}; netsh "
                      "rejects this line")
            return
        fl = self.find(self.filterlists, required_tag(tags, "filterlist"), "filter list")
        fa = self.find(self.filteractions, required_tag(tags, "filteraction"), "filter action")
        rule = NRule(name, self.line, p, fl, fa)
        self.rule_tags(rule, tags)
        p.rules[rule.name.casefold()] = rule

    def set_rule(self, tags: list[tuple[str, str]]) -> None:
        rule = self.find_rule(tags)
        self.rule_tags(rule, tags)

    def delete_rule(self, tags: list[tuple[str, str]]) -> None:
        if tag_value(tags, "all"):
            self.find(self.policies, required_tag(tags, "policy"), "policy").rules.clear()
            return
        rule = self.find_rule(tags)
        del rule.policy.rules[rule.name.casefold()]

    def find_rule(self, tags: list[tuple[str, str]]) -> NRule:
        p = self.find(self.policies, required_tag(tags, "policy"), "policy")
        ident = tag_value(tags, "id")
        if ident is not None:
            n = number(ident, "id", 1)
            if n > len(p.rules):
                raise BadLine(f"policy {p.name} has no rule id {n}")
            return list(p.rules.values())[n - 1]
        name = required_tag(tags, "name")
        if name.casefold() not in p.rules:
            raise BadLine(f"policy {p.name} has no rule {name}")
        return p.rules[name.casefold()]

    def rule_tags(self, rule: NRule, tags: list[tuple[str, str]]) -> None:
        auth: list[Auth] = []
        auth_given = False
        for tag, value in tags:
            if tag == "filterlist":
                rule.filterlist = self.find(self.filterlists, value, "filter list")
            elif tag == "filteraction":
                rule.filteraction = self.find(self.filteractions, value, "filter action")
            elif tag == "tunnel":
                rule.tunnel = self.tunnel(value)
            elif tag == "conntype":
                conntype = _CONNTYPES.get(value.lower())
                if conntype is None:
                    raise BadLine(f"conntype={value}: expected lan, dialup or all")
                rule.conntype = conntype
            elif tag == "activate":
                rule.activate = yes_no(value, tag)
            elif tag == "description":
                rule.description = value
            elif tag == "newname":
                self.rename(rule.policy.rules, rule, value, "rule")
            elif tag in AUTH_TAGS:
                auth_given = True
                auth += self.auth(tag, value)
        if auth_given:
            rule.auth = auth
            rule.auth_line = self.line

    def auth(self, tag: str, value: str) -> list[Auth]:
        if tag == "kerberos":
            return [Auth(method="kerberos")] if yes_no(value, tag) else []
        if tag == "rootca":
            ca = from_encoding_order(parse_rootca(value, self.line, self.notes))
            return [Auth(method="certificate", ca=ca)]
        if not value:
            raise BadLine("psk= is empty")
        if value.startswith(("<", "%")) and value.endswith((">", "%")):
            self.note("warning", "psk= looks like a placeholder, not a key")
        return [Auth(method="psk", psk=literal(value))]

    def tunnel(self, value: str) -> IPv4Address | None:
        try:
            addr = ip_address(value)
        except ValueError:
            addr = None
        if value.lower() in ("no", "none", ""):
            self.note("warning", f"tunnel={value} is not a documented value [V]; read as "
                      "transport mode")
            return None
        if not isinstance(addr, IPv4Address):
            raise BadLine(f"tunnel={value}: ccsec needs the tunnel endpoint as an IPv4 address")
        return addr

    def set_defaultrule(self, tags: list[tuple[str, str]]) -> None:
        p = self.find(self.policies, required_tag(tags, "policy"), "policy")
        activate = tag_value(tags, "activate")
        if activate is not None:
            p.defaultrule = yes_no(activate, "activate")
        self.note("info", "the default response rule is ignored on Windows Vista and later")

    def set_store(self, tags: list[tuple[str, str]]) -> None:
        location = (tag_value(tags, "location") or "").lower()
        if location not in ("local", "domain", "persistent"):
            raise BadLine(f"location={location}: expected local or domain")
        self.location = location
        if location != "local":
            self.note("warning", f"the script writes the {location} store, not the local one")

    def set_batch(self, tags: list[tuple[str, str]]) -> None:
        mode = (tag_value(tags, "mode") or "").lower()
        if mode not in ("enable", "disable"):
            raise BadLine(f"mode={mode}: expected enable or disable")

    # -------------------------------------------------------------- helpers

    def find(self, table: dict[str, T], name: str, what: str) -> T:
        found = table.get(name.casefold())
        if found is None:
            raise BadLine(f"{what} '{name}' does not exist at this point of the script",
                          fix=f"add the {what} before the line that uses it, or correct the "
                          "name")
        return found

    def rename(self, table: dict[str, Named], obj: Named, new: str, what: str) -> None:
        """``newname=``: keeps the object (rules refer to objects, as netsh does by GUID)."""
        if not new:
            raise BadLine("newname= is empty")
        if new.casefold() in table and table[new.casefold()] is not obj:
            raise BadLine(f"{what} '{new}' already exists")
        items = [(new.casefold() if v is obj else k, v) for k, v in table.items()]
        table.clear()
        table.update(items)  # keeps script order: rule id= is the position [V]
        obj.name = new

    def users(self, obj: Used, attr: str) -> list[NRule]:
        return [r for p in self.policies.values() for r in p.rules.values()
                if getattr(r, attr) is obj]

    def refuse_in_use(self, obj: Used, attr: str, what: str) -> None:
        users = self.users(obj, attr)
        if users:
            raise BadLine(f"{what} '{obj.name}' is still used by rule {users[0].name}; "
                          "netsh's behaviour here is not documented [V] — delete the rule "
                          "first")

    def delete_unused(self, table: dict[str, Used], attr: str, what: str) -> None:
        in_use = {id(getattr(r, attr)) for p in self.policies.values() for r in p.rules.values()}
        for key, obj in list(table.items()):
            if id(obj) in in_use:
                self.note("warning", f"{what} {obj.name} is in use and kept [V]")
            else:
                del table[key]


def _same_filter(f: NFilter, g: NFilter, tags: list[tuple[str, str]]) -> bool:
    """``delete filter`` matches on the tags it was given (addresses always)."""
    given = {t for t, _ in tags}
    if (f.src, f.dst) != (g.src, g.dst):
        return False
    checks = {"protocol": f.protocol == g.protocol, "srcport": f.srcport == g.srcport,
              "dstport": f.dstport == g.dstport, "mirrored": f.mirrored == g.mirrored}
    return all(ok for tag, ok in checks.items() if tag in given)

