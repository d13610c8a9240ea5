"""The Windows collector's JSON (``ccsec collector windows``, schema
``ccsec.collector.schema.CollectorExport``) → one :class:`EndPolicy` for the host.

Each connection security rule (``Rules``) becomes a rule; its crypto comes from the sets it
names, else from the machine defaults Windows uses, in this order:

* quick mode: the rule's ``QuickModeCryptoSet``, else the default set
  ``{E5A5D32A-4BCE-4e4d-B07F-4AB1BA7E5FE2}`` [O] if exported, else Windows' documented default
  (``netsh advfirewall`` help: ESP SHA-1 with AES-128 and 3DES [D]) with a note;
* main mode: a ``MainModeRule`` whose addresses cover the rule's, else the default set
  ``{…FE1}`` [D], else the documented default ``dhgroup2-aes128-sha1, dhgroup2-3des-sha1`` [D]
  with a note;
* phase-1 authentication: the rule's ``Phase1AuthSet``, else the default ``{…FE3}`` [O], else
  computer Kerberos (Windows' default first method) with a note.

``KeyModule`` ``IKEv2`` → IKEv2; ``Default``/``IKEv1``/``AuthIP`` → IKEv1 (``Default`` is
IKEv1+AuthIP before Windows 11 24H2/Server 2025 and IKEv1+IKEv2 after, platform-syntax.md §4.2
— the note says so).  Enum values are the collector's strings; raw CIM integers
(platform-syntax.md §4.5 table) are accepted too.

The collector never copies a pre-shared key (``PreSharedKeyPresent`` only), so PSK rules carry
an unreadable key (equality with the peer cannot be checked) and facts ``psk_clear_on_host``
lists them: Windows stores the key in clear text in its policy store.  Not read yet (notes):
``Phase2AuthSets`` (user/second authentication), ``NetshIpsecStatic`` (the ``show all`` layout
is undocumented [V]; export the legacy store with ``ccsec`` netsh scripts instead), certificate
criteria beyond the root CA, port ranges.

This is a parse-only reader: the collector writes these files, ccsec never does.

Shared with the PowerShell parser (:mod:`.netsecurity`, :mod:`.vocabulary`): the cmdlets'
enum words, Windows' built-in default sets and their GUIDs, the default lifetimes, the
LocalAddress × RemoteAddress product a rule stands for and the SameAsMainMode PFS group.  Not
shared: :class:`~ccsec.formats.windows.netsecurity.PolicyBuilder` itself, because the two
read different things and their outputs (pinned by tests) differ where Windows fills a gap.
A collector file is the store Windows kept, so a rule it cannot read is skipped with a
warning (a script's is a ParseError), proposals keep duplicates, an empty auth set falls
back to Kerberos, the default quick-mode set has no volume limit, a rule finds its main-mode
rule by a shared remote address string (not by ccsec's object names or subnet cover), and
raw CIM numbers are read beside the enum words.
"""

from __future__ import annotations

import json
from ipaddress import IPv4Address, IPv4Network, ip_address, ip_network
from typing import Literal

from pydantic import ValidationError

from ccsec.collector.schema import (
    AuthSet,
    CollectorExport,
    IpsecExport,
    IpsecRule,
    MainModeCryptoSet,
    QuickModeCryptoSet,
)
from ccsec.crypto import Encr, EspProposal, IkeProposal, Integ
from ccsec.errors import ParseError, Problem
from ccsec.formats.base import Note, Parsed, Reader, plain_reason
from ccsec.formats.facts import CollectorFacts, DeviceFacts, ipv4_addresses
from ccsec.formats.windows.netsecurity import expand, same_as_main_mode
from ccsec.formats.windows.vocabulary import (
    DEFAULT_MM,
    DEFAULT_MM_MINUTES,
    DEFAULT_QM,
    DEFAULT_QM_MINUTES,
    DEFAULT_SET_GUIDS,
    PROTO_OUT,
    QM_ENCR,
    QM_HASH,
    SECURITY,
)
from ccsec.policy import Auth, EndPolicy, Ike, Rule, Security, to_ident

NAME = "windows-collector"

#: the cmdlets' -Encryption words (ESP null encryption is read from the encapsulation) and
#: the raw MSFT_NetIKEQMCryptoProposal.CipherAlgorithm values (platform-syntax.md §4.5)
ENCR: dict[str, Encr] = {
    **{word.upper(): encr for encr, word in QM_ENCR.items() if encr is not Encr.NULL},
    "2": Encr.DES, "6": Encr.TDES, "65001": Encr.AES128, "65002": Encr.AES192,
    "65003": Encr.AES256, "65004": Encr.AES128GCM, "65005": Encr.AES192GCM,
    "65006": Encr.AES256GCM}
#: the cmdlets' hash words and the raw CIM values; AES-GMAC-192 (word and 65004) is read as
#: AES-128 GMAC, the model having no 192-bit GMAC integrity
HASH: dict[str, Integ] = {
    **{word.upper(): integ for integ, word in QM_HASH.items()},
    "AESGMAC192": Integ.AES128GMAC,
    "2": Integ.MD5, "3": Integ.SHA1, "65001": Integ.SHA256, "65002": Integ.SHA384,
    "65003": Integ.AES128GMAC, "65004": Integ.AES128GMAC, "65005": Integ.AES256GMAC}
#: a value that names no algorithm or group
NONE = {"", "NONE", "0", "NOTCONFIGURED"}
#: -InboundSecurity / -OutboundSecurity words (upper case) and raw CIM values → model values
SECURITY_IN: dict[str, Security] = {
    **{word.upper(): model for model, word in SECURITY.items()},
    "2": "require", "1": "request", "0": "none"}


def _u(value: str | None) -> str:
    return (value or "").strip().upper()


def _group(value: str | None) -> int | None:
    v = _u(value)
    if v in NONE:
        return None
    v = v.removeprefix("DH")
    return int(v) if v.isdigit() else None


def _mm(sets: dict[str, MainModeCryptoSet], name: str | None,
        notes: list[Note]) -> tuple[tuple[IkeProposal, ...], int | None]:
    s = sets.get(name or "") or sets.get(DEFAULT_SET_GUIDS["mmcrypto"])
    if s is None:
        notes.append(Note(None, "info", "main-mode crypto: Windows default assumed "
                          "(dhgroup2-aes128-sha1, dhgroup2-3des-sha1 [D])"))
        return DEFAULT_MM, None
    out = []
    for p in s.proposal:
        enc, integ = ENCR.get(_u(p.encryption)), HASH.get(_u(p.hash))
        group = _group(p.key_exchange)
        if enc is None or integ is None or group is None:
            notes.append(Note(None, "warning", f"main-mode set {s.name}: proposal "
                              f"{p.encryption}/{p.hash}/{p.key_exchange} not read"))
            continue
        out.append(IkeProposal(encryption=enc, integrity=integ, group=group))
    return tuple(out), (s.max_minutes * 60 if s.max_minutes else None)


def _qm(sets: dict[str, QuickModeCryptoSet], name: str | None, notes: list[Note],
        ike: tuple[IkeProposal, ...]
        ) -> tuple[tuple[EspProposal, ...], int | None, int | None, int | None]:
    s = sets.get(name or "") or sets.get(DEFAULT_SET_GUIDS["qmcrypto"])
    if s is None:
        notes.append(Note(None, "info", "quick-mode crypto: Windows default assumed "
                          "(ESP SHA1 AES128 / 3DES [D])"))
        return DEFAULT_QM, None, None, None
    out: list[EspProposal] = []
    minutes = kb = None
    for p in s.proposal:
        enc_word = _u(p.encryption)
        encap = _u(p.encapsulation).replace(" ", "")
        esp_hash = HASH.get(_u(p.esp_hash))
        ah_hash = HASH.get(_u(p.ah_hash)) if "AH" in encap else None
        enc = ENCR.get(enc_word)
        if enc is not None and enc_word.startswith("AESGCM"):
            esp_hash = None
        elif enc is None and "ESP" in encap and enc_word in NONE:
            enc = Encr.NULL
        try:
            if "ESP" in encap or not encap:
                out.append(EspProposal(encryption=enc, integrity=esp_hash, ah=ah_hash))
            elif ah_hash is not None:
                out.append(EspProposal(encryption=None, ah=ah_hash))
        except ValueError:
            notes.append(Note(None, "warning", f"quick-mode set {s.name}: proposal "
                              f"{p.encapsulation}/{p.encryption}/{p.esp_hash} not read"))
            continue
        minutes = minutes or p.max_minutes
        kb = kb or p.max_kilo_bytes
    pfs_word = _u(s.perfect_forward_secrecy_group)
    pfs = same_as_main_mode(ike) if pfs_word == "SAMEASMAINMODE" else _group(pfs_word)
    return tuple(out), pfs, (minutes * 60 if minutes else None), kb


def _auth(sets: dict[str, AuthSet], name: str | None, notes: list[Note]) -> tuple[Auth, ...]:
    s = sets.get(name or "") or sets.get(DEFAULT_SET_GUIDS["p1auth"])
    if s is None:
        notes.append(Note(None, "info", "phase-1 authentication: Windows default assumed "
                          "(computer Kerberos)"))
        return (Auth(method="kerberos"),)
    out: list[Auth] = []
    for p in s.proposal:
        m = _u(p.authentication_method)
        if "KERBEROS" in m:
            out.append(Auth(method="kerberos"))
        elif "CERT" in m:
            out.append(Auth(method="certificate", ca=p.authority or None))
        elif "PRESHARED" in m or "PSK" in m:
            out.append(Auth(method="psk", psk=None))
        else:
            notes.append(Note(None, "info", f"auth set {s.name}: method "
                              f"{p.authentication_method} not modelled"))
    return tuple(out) or (Auth(method="kerberos"),)


def _nets(values: list[str], notes: list[Note], what: str) -> list[IPv4Network]:
    out = []
    for v in values or ["Any"]:
        w = v.strip()
        if w.upper() in ("ANY", "*"):
            out.append(IPv4Network("0.0.0.0/0"))
            continue
        try:
            n = ip_network(w, strict=False)
        except ValueError:
            notes.append(Note(None, "info", f"{what} address '{w}' not read (keyword or range)"))
            continue
        if isinstance(n, IPv4Network):
            out.append(n)
    return out


def _first_host(nets: list[IPv4Network], endpoints: list[str]) -> IPv4Address:
    for e in endpoints:
        try:
            a = ip_address(e.strip())
        except ValueError:
            continue
        if isinstance(a, IPv4Address):
            return a
    for n in nets:
        if n.prefixlen == 32:
            return n.network_address
    return IPv4Address("0.0.0.0")


def _proto(value: str | None) -> int | None:
    v = _u(value)
    if v in NONE or v == "ANY":
        return None
    return {"TCP": 6, "UDP": 17, "ICMPV4": 1}.get(v, int(v) if v.isdigit() else None)


def _port(values: list[str]) -> int | None:
    for v in values:
        if v.strip().isdigit():
            return int(v)
    return None


class _Export:
    """The export indexed once for the rules' look-ups (sets by name, main-mode rules by remote
    address, rule names' lines found moving forward): each rule costs a few steps, not a scan
    of the whole export — 21,000 rules took minutes that way."""

    def __init__(self, ex: IpsecExport, text: str) -> None:
        self.mm_sets = {s.name: s for s in ex.main_mode_crypto_sets}
        self.qm_sets = {s.name: s for s in ex.quick_mode_crypto_sets}
        self.p1_sets = {s.name: s for s in ex.phase1_auth_sets}
        self.mm_rules = ex.main_mode_rules
        #: remote address → position of the first main-mode rule naming it
        self.mm_by_remote: dict[str, int] = {}
        for i, m in enumerate(ex.main_mode_rules):
            for address in m.remote_address:
                self.mm_by_remote.setdefault(address, i)
        self.text = text
        self._pos = 0
        self._line = 1

    def main_mode_set(self, r: IpsecRule) -> str | None:
        """The crypto set of the first main-mode rule sharing a remote address with ``r``."""
        hits = [self.mm_by_remote[a] for a in r.remote_address if a in self.mm_by_remote]
        return self.mm_rules[min(hits)].main_mode_crypto_set if hits else None

    def line_of(self, name: str) -> int | None:
        """The line of a rule's name, searched from the previous rule's on (rules come in file
        order); from the start again if it is not ahead."""
        needle = json.dumps(name)
        i = self.text.find(needle, self._pos)
        if i < 0:
            i = self.text.find(needle)
            if i < 0:
                return None
            return self.text.count("\n", 0, i) + 1
        self._line += self.text.count("\n", self._pos, i)
        self._pos = i
        return self._line


def _rule(r: IpsecRule, ex: _Export, notes: list[Note], parsed: Parsed) -> Rule | None:
    name = to_ident(r.name.strip("{}") or "rule", "conn")
    line = ex.line_of(r.name)
    parsed.locations[name] = line or 0
    here: list[Note] = []
    ike, ike_life = _mm(ex.mm_sets, ex.main_mode_set(r), here)
    esp, pfs, child_life, kb = _qm(ex.qm_sets, r.quick_mode_crypto_set, here, ike)
    auth = _auth(ex.p1_sets, r.phase1_auth_set, here)
    for n in here:
        notes.append(Note(line, n.severity, f"rule {r.name}: {n.message}"))
    local = _nets(r.local_address, notes, "local")
    remote = _nets(r.remote_address, notes, "remote")
    if not ike or not esp or not local or not remote:
        notes.append(Note(line, "warning", f"rule {r.name}: no readable crypto or addresses "
                          "— skipped"))
        return None
    km = _u(r.key_module)
    if km in ("DEFAULT", ""):
        notes.append(Note(line, "info", f"rule {r.name}: KeyModule Default = IKEv1+AuthIP "
                          "(IKEv1+IKEv2 from Windows 11 24H2 / Server 2025)"))
    mode: Literal["transport", "tunnel"] = \
        "tunnel" if _u(r.mode) in ("TUNNEL", "2") else "transport"
    proto = _proto(r.protocol)
    ports = proto in PROTO_OUT  # Windows takes ports with TCP and UDP only
    filters = expand(local, remote, proto, [_port(r.local_port) if ports else None],
                     [_port(r.remote_port) if ports else None])
    return Rule(
        name=name,
        description=r.display_name or "",
        mode=mode,
        local_address=_first_host(local, r.local_tunnel_endpoint if mode == "tunnel" else []),
        peer_address=_first_host(remote, r.remote_tunnel_endpoint if mode == "tunnel" else []),
        filters=filters,
        inbound=SECURITY_IN.get(_u(r.inbound_security), "require"),
        outbound=SECURITY_IN.get(_u(r.outbound_security), "require"),
        auth=auth,
        ike=Ike(version=2 if km in ("IKEV2", "4") else 1, proposals=ike,
                lifetime_s=ike_life or DEFAULT_MM_MINUTES * 60),
        esp=esp,
        pfs_group=pfs,
        lifetime_s=child_life or DEFAULT_QM_MINUTES * 60,
        lifetime_kb=kb,
        enabled=_u(r.enabled) not in ("FALSE", "2"),
    )


def parse(text: str, source: str = "<text>") -> Parsed:
    """Read a collector JSON file; anything malformed is a :class:`ParseError`."""
    try:
        doc = CollectorExport.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0] if exc.errors() else {"msg": str(exc), "loc": ()}
        where = ".".join(str(x) for x in first.get("loc", ()))
        raise ParseError(Problem(f"not a ccsec Windows collector file: {where}: "
                                 f"{first.get('msg')}", source, None,
                                 fix="run the script `ccsec collector windows` prints and "
                                 "audit its JSON output")) from None
    parsed = Parsed(policies=[], source=source, format=NAME)
    rules: list[Rule] = []
    names: set[str] = set()
    psk_rules: list[str] = []
    index = _Export(doc.ipsec, text)
    for r in doc.ipsec.rules:
        try:
            rule = _rule(r, index, parsed.notes, parsed)
        except ValueError as exc:
            parsed.notes.append(Note(index.line_of(r.name), "warning",
                                     f"rule {r.name} skipped: {plain_reason(exc)}"))
            continue
        if rule is None:
            continue
        if rule.name in names:
            rule = rule.model_copy(update={"name": f"{rule.name[:70]}-{len(rules)}"})
        names.add(rule.name)
        rules.append(rule)
        if any(a.method == "psk" for a in rule.auth):
            psk_rules.append(rule.name)
    if doc.ipsec.phase2_auth_sets:
        parsed.notes.append(Note(None, "info", "Phase2AuthSets (second authentication) not read"))
    if doc.ipsec.netsh_ipsec_static and doc.ipsec.netsh_ipsec_static.strip():
        parsed.notes.append(Note(None, "info", "NetshIpsecStatic (netsh ipsec static show all) "
                                 "not read: its layout is undocumented [V]"))
    host = doc.host
    parsed.facts = DeviceFacts(device_name=host.computer_name,
                               addresses=ipv4_addresses(a.ip_address for a in host.addresses),
                               psk_clear_on_host=frozenset(psk_rules))
    parsed.format_facts = CollectorFacts(
        domain=host.domain,
        allow_ipsec_through_nat=doc.ipsec.firewall_setting.allow_ipsec_through_nat
        if doc.ipsec.firewall_setting else None)
    parsed.policies.append(EndPolicy(name=to_ident(host.computer_name, "conn"), owner=None,
                                     platform="windows", rules=tuple(rules)))
    return parsed


class WindowsCollector(Reader):
    """The collector's JSON as a reader (import only: ccsec writes the collector script, whose
    output this is, not the JSON itself)."""

    name = NAME
    title = "Windows IPsec collector export (ccsec collector windows)"

    def parse(self, text: str, source: str = "<text>") -> Parsed:
        return parse(text, source)


FORMAT = WindowsCollector()
