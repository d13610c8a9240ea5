"""Hypothesis strategies for policies, tuned per format by a :class:`Knobs` record.

Each format has a knob entry saying what it can express (ciphers, auth methods, modes…), so the
round-trip property exercises policies the format must carry exactly; a separate wide strategy
checks that anything else is refused with UnsupportedError and never crashes or half-renders.
Descriptions deliberately mix quotes, newlines, ``$(…)``, backticks, semicolons, comment and
here-string markers and non-ASCII.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network

from hypothesis import strategies as st

from ccsec.crypto import Encr, EspProposal, IkeProposal, Integ, Prf
from ccsec.policy import Auth, EndPolicy, Filter, Identity, Ike, Rule
from ccsec.secrets import literal

TRICKY = [
    '"', "'", "\n", "\r\n", "\r", "\t", "$(Remove-Item C:\\ -Recurse)", "`whoami`", "; ",
    "&&", "|", "%PATH%", "#", "!", "{", "}", "\\", "\\\"", "ü", "日本語", "<#", "#>", "@'",
    "'@", "${env:X}", "^", "<U+0000>", "\u2028", "end", "exit", "\"; delete all; \"",
]


def descriptions(tricky: bool = True) -> st.SearchStrategy[str]:
    plain = st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=10
    )
    parts = st.one_of(st.sampled_from(TRICKY), plain) if tricky else plain
    return st.lists(parts, max_size=6).map("".join)


IDENT = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9-]{0,24}", fullmatch=True)
SAFE_TEXT = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 .,=-]{0,30}[A-Za-z0-9]", fullmatch=True)
DN = st.builds(lambda cn, o: f"CN={cn}, O={o}",
               st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 -]{0,14}[A-Za-z0-9]", fullmatch=True),
               st.from_regex(r"[A-Za-z0-9]{1,10}", fullmatch=True))
FQDN = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?(\.[a-z0-9]{1,8}){0,3}", fullmatch=True)


def _ike(e: Encr, i: Integ | None, g: int, prf: Prf | None = None) -> IkeProposal:
    return IkeProposal(encryption=e, integrity=i, prf=prf, group=g)


def _esp(e: Encr | None, i: Integ | None = None, ah: Integ | None = None) -> EspProposal:
    return EspProposal(encryption=e, integrity=i, ah=ah)


@dataclass(frozen=True)
class Knobs:
    """What a format can carry exactly (the round-trip property stays inside this)."""

    ike_versions: tuple[int, ...] = (1, 2)
    exchanges: tuple[str, ...] = ("main",)
    ike: tuple[IkeProposal, ...] = ()
    esp: tuple[EspProposal, ...] = ()
    pfs: tuple[int | None, ...] = (None, 14, 19, 20)
    auth: tuple[str, ...] = ("certificate", "psk")
    modes: tuple[str, ...] = ("transport", "tunnel")
    actions: tuple[str, ...] = ("negotiate",)
    security: tuple[tuple[str, str], ...] = (("require", "require"),)
    connection_types: tuple[str, ...] = ("all",)
    max_ike: int = 3
    max_esp: int = 3
    max_rules: int = 3
    max_filters: int = 3
    ports: bool = True
    ids: bool = True
    psk_alphabet: str = "".join(chr(c) for c in range(33, 127))
    psk_min: int = 1
    lifetime_kb: bool = True
    #: IKE and child lifetimes are drawn from these ranges, in multiples of ``lifetime_step``
    ike_lifetime: tuple[int, int] = (300, 86400)
    child_lifetime: tuple[int, int] = (300, 86400)
    lifetime_step: int = 1
    kb_range: tuple[int, int] = (1, 10_000_000)
    dpd: bool = True
    initiate: bool = True
    platform: str | None = "linux"
    gateway: bool = False
    extra: dict[str, object] = field(default_factory=dict)


MODERN_IKE = (
    _ike(Encr.AES256, Integ.SHA256, 19),
    _ike(Encr.AES256, Integ.SHA256, 14),
    _ike(Encr.AES128, Integ.SHA1, 2),
    _ike(Encr.TDES, Integ.SHA1, 2),
    _ike(Encr.AES256, Integ.SHA384, 20),
    _ike(Encr.AES256GCM, None, 20, Prf.SHA384),
    _ike(Encr.AES128GCM, None, 19, Prf.SHA256),
    _ike(Encr.AES256, Integ.SHA512, 21, Prf.SHA512),
)
MODERN_ESP = (
    _esp(Encr.AES256GCM),
    _esp(Encr.AES128GCM),
    _esp(Encr.AES256, Integ.SHA256),
    _esp(Encr.TDES, Integ.SHA1),
    _esp(Encr.AES128, Integ.SHA1),
    _esp(Encr.NULL, Integ.SHA256),
)

def _network(addr: IPv4Address, plen: int) -> IPv4Network:
    return IPv4Network((int(addr), plen), strict=False)


@st.composite
def filters(draw: st.DrawFn, k: Knobs, local: IPv4Address, mode: str) -> tuple[Filter, ...]:
    n = draw(st.integers(1, k.max_filters))
    out: list[Filter] = []
    for _ in range(n):
        plen_l = 32 if mode == "transport" else draw(st.sampled_from([8, 16, 24, 32]))
        plen_r = 32 if mode == "transport" else draw(st.sampled_from([8, 16, 24, 32]))
        proto = draw(st.sampled_from([None, 6, 17, 1, 47])) if k.ports else None
        port = (lambda: draw(st.one_of(st.none(), st.integers(1, 65535)))) if proto in (6, 17) \
            else (lambda: None)
        f = Filter(
            local=_network(local if mode == "transport" else draw(st.ip_addresses(v=4)), plen_l),
            remote=_network(draw(st.ip_addresses(v=4)), plen_r),
            protocol=proto,
            local_port=port(),
            remote_port=port(),
        )
        if f not in out:
            out.append(f)
    return tuple(out)


def _lifetime(bounds: tuple[int, int], step: int) -> st.SearchStrategy[int]:
    lo, hi = bounds
    return st.integers(-(-lo // step), hi // step).map(lambda n: n * step)


@st.composite
def identities(draw: st.DrawFn, addr: IPv4Address) -> Identity | None:
    kind = draw(st.sampled_from(["none", "address", "fqdn", "dn"]))
    if kind == "none":
        return None
    if kind == "address":
        return Identity(kind="address", value=str(addr))
    if kind == "fqdn":
        return Identity(kind="fqdn", value=draw(FQDN))
    return Identity(kind="dn", value=draw(DN))


@st.composite
def rules(draw: st.DrawFn, k: Knobs, name: str) -> Rule:
    mode = draw(st.sampled_from(k.modes))
    local = draw(st.ip_addresses(v=4))
    peer = draw(st.ip_addresses(v=4).filter(lambda a: a != local))
    method = draw(st.sampled_from(k.auth))
    if method == "psk":
        secret = draw(st.text(alphabet=k.psk_alphabet, min_size=k.psk_min, max_size=24))
        auth = Auth(method="psk", psk=literal(secret))
    elif method == "certificate":
        auth = Auth(method="certificate", ca=draw(st.one_of(st.none(), DN)))
    else:
        auth = Auth(method="kerberos")
    version = draw(st.sampled_from(k.ike_versions))
    pool_ike = [p for p in k.ike if version == 2 or p.integrity is not None]
    ike = draw(st.lists(st.sampled_from(pool_ike), min_size=1, max_size=k.max_ike, unique=True))
    esp = draw(st.lists(st.sampled_from(k.esp), min_size=1, max_size=k.max_esp, unique=True))
    inbound, outbound = draw(st.sampled_from(k.security))
    return Rule(
        name=name,
        description=draw(descriptions()),
        mode=mode,  # type: ignore[arg-type]
        local_address=local,
        peer_address=peer,
        local_id=draw(identities(local)) if k.ids and method != "kerberos" else None,
        peer_id=draw(identities(peer)) if k.ids and method != "kerberos" else None,
        filters=draw(filters(k, local, mode)),
        action=draw(st.sampled_from(k.actions)),  # type: ignore[arg-type]
        inbound=inbound,  # type: ignore[arg-type]
        outbound=outbound,  # type: ignore[arg-type]
        auth=(auth,),
        ike=Ike(
            version=version,  # type: ignore[arg-type]
            exchange=draw(st.sampled_from(k.exchanges)) if version == 1 else "main",  # type: ignore[arg-type]
            proposals=tuple(ike),
            lifetime_s=draw(_lifetime(k.ike_lifetime, k.lifetime_step)),
        ),
        esp=tuple(esp),
        pfs_group=draw(st.sampled_from(k.pfs)),
        lifetime_s=draw(_lifetime(k.child_lifetime, k.lifetime_step)),
        lifetime_kb=draw(st.one_of(st.none(), st.integers(*k.kb_range))) if k.lifetime_kb
        else 100000,
        connection_type=draw(st.sampled_from(k.connection_types)),  # type: ignore[arg-type]
        dpd_s=draw(st.one_of(st.none(), st.integers(5, 120))) if k.dpd else None,
        initiate=draw(st.booleans()) if k.initiate else False,
    )


@st.composite
def end_policies(draw: st.DrawFn, k: Knobs) -> EndPolicy:
    names = draw(st.lists(IDENT, min_size=1, max_size=k.max_rules, unique_by=str.lower))
    owner = draw(st.one_of(st.none(), st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True)))
    extra: dict[str, object] = {}
    if k.gateway:
        extra = {
            "wan_interface": "GigabitEthernet0/0",
            "lan_interface": "GigabitEthernet0/1",
            "tunnel_style": draw(st.sampled_from(["crypto-map", "vti"])),
            "source_nat": draw(st.booleans()),
        }
    return EndPolicy(
        name=draw(IDENT),
        description=draw(descriptions()),
        owner=owner,
        platform=k.platform,
        rules=tuple(draw(rules(k, n)) for n in names),
        **extra,  # type: ignore[arg-type]
    )


@st.composite
def any_end_policy(draw: st.DrawFn) -> EndPolicy:
    """Wide: every method, mode, action and security setting, for the refuse-or-roundtrip test."""
    k = Knobs(
        ike=MODERN_IKE,
        esp=(*MODERN_ESP, _esp(None, ah=Integ.SHA1), _esp(Encr.AES256, Integ.SHA256, Integ.SHA1)),
        auth=("kerberos", "certificate", "psk"),
        exchanges=("main", "aggressive"),
        actions=("negotiate", "permit", "block"),
        security=(("require", "require"), ("request", "request"), ("require", "request"),
                  ("none", "none")),
        connection_types=("all", "lan", "dialup"),
        platform=draw(st.sampled_from(["windows", "linux", "cucm", "ios", "strongswan", None])),
        gateway=draw(st.booleans()),
    )
    return draw(end_policies(k))
