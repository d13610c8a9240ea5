"""strongswan.conf: the charon-wide settings that change what a connection negotiates.

A host's ``/etc/strongswan.conf`` lies beside its ``ipsec.conf`` and one level above
``swanctl/swanctl.conf``; the readers of both formats take it from there (the audit never reads
it on its own).  What is read (strongswan.conf(5)):

* ``charon.i_dont_care_about_security_and_use_aggressive_mode_psk`` — a responder answers
  IKEv1 aggressive mode with a pre-shared key only when this is set;
* ``charon.plugins.ha`` with ``local``, ``remote`` and ``secret`` — the HA plugin protects its
  sync channel itself: an IKEv2 transport-mode connection between the two nodes, authenticated
  by that secret, for ICMP and UDP port 4510 (the plugin's ``ha_tunnel.c``), with strongSwan's
  default proposals.

Everything else (plugins, timeouts, logging, the redirect and mediation services) is not read,
and one note says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import ip_address, ip_network
from pathlib import Path

from ccsec.errors import ParseError
from ccsec.formats.base import Note
from ccsec.formats.strongswan.include import Includer, Refused
from ccsec.formats.strongswan.keys import decode
from ccsec.formats.strongswan.proposals import ike_list, parse_esp, shared_ike
from ccsec.formats.strongswan.swanconf import Section, file_includer, parse_conf
from ccsec.policy import Auth, Filter, Rule

HA_PORT = 4510
TRUE = frozenset({"yes", "true", "1", "enabled"})


@dataclass
class CharonSettings:
    """The settings of one strongswan.conf that the audit reads."""

    source: str = ""
    aggressive_psk: bool = False
    ha_rule: Rule | None = None
    notes: list[Note] = field(default_factory=list)


def beside(config: str) -> Path | None:
    """The strongswan.conf that belongs to a configuration file: in its directory (ipsec.conf)
    or the one above (swanctl/swanctl.conf)."""
    top = Includer.for_file(config)
    if top is None:
        return None
    here = Path(config).parent
    for d in (here, here.parent):
        candidate = d / "strongswan.conf"
        # only inside what the audit reads: the directory above may be outside --configs
        if top.allows(candidate) and candidate.is_file():
            return candidate
    return None


def load(config: str) -> CharonSettings | None:
    """The settings beside ``config`` (None: there is no strongswan.conf there)."""
    path = beside(config)
    if path is None:
        return None
    includer = Includer.for_file(str(path))
    assert includer is not None  # a file path
    notes: list[Note] = []
    try:
        text = includer.read(path)
        root = parse_conf(text, str(path), file_includer(includer, notes))
    except (Refused, ParseError) as exc:
        out = CharonSettings(str(path))
        out.notes.append(Note(None, "warning", f"{path.name}: not read ({exc})"))
        return out
    settings = read(root, str(path))
    settings.notes[:0] = notes
    return settings


def read(root: Section, source: str) -> CharonSettings:
    out = CharonSettings(source)
    charon = root.section("charon") or root.section("charon-systemd")
    if charon is None:
        return out
    flag = charon.value("i_dont_care_about_security_and_use_aggressive_mode_psk") or ""
    out.aggressive_psk = flag.lower() in TRUE
    plugins = charon.section("plugins")
    ha = plugins.section("ha") if plugins else None
    if ha is not None:
        out.ha_rule = _ha_rule(ha, out)
    out.notes.append(Note(None, "info", f"{Path(source).name}: charon settings other than "
                          "aggressive-mode PSK and the HA sync channel (plugins, timeouts, "
                          "redirects, mediation…) are not read"))
    return out


def _ha_rule(ha: Section, out: CharonSettings) -> Rule | None:
    local, remote, secret = ha.value("local"), ha.value("remote"), ha.value("secret")
    if not (local and remote and secret):
        return None  # without a secret the plugin sends its sync messages unprotected
    key = decode(secret)
    try:
        la, ra = ip_address(local.strip()), ip_address(remote.strip())
    except ValueError:
        out.notes.append(Note(None, "warning", f"{Path(out.source).name} charon.plugins.ha "
                              f"(line {ha.line}): local/remote are not addresses: the HA sync "
                              "channel is not audited"))
        return None
    here, there = ip_network(la), ip_network(ra)
    props = ike_list(("default",))
    esp, _, _ = parse_esp("default")
    return Rule(
        name="ha-sync",
        description="HA plugin sync channel (charon.plugins.ha)",
        mode="transport",
        local_address=la,
        peer_address=ra,
        filters=(Filter(local=here, remote=there, protocol=1),
                 Filter(local=here, remote=there, protocol=17, local_port=HA_PORT,
                        remote_port=HA_PORT)),
        auth=(Auth(method="psk", psk=key),),
        ike=shared_ike(2, "main", props, 14400),
        esp=tuple(esp),
        lifetime_kb=None,
        initiate=True,
    )
