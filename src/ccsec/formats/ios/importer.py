"""Cisco IOS / IOS XE running-config → the policy model, plus the facts the audit needs.

Reads ccsec's own ``ios.cfg`` and real-world ``show running-config`` text (and vendor templates
full of ``<placeholders>``): one :class:`~ccsec.policy.EndPolicy` per file, one rule per static
crypto map entry, per dynamic map entry reached from a crypto map, and per tunnel interface with
``tunnel protection``.  Rule names: ``ccsec-<rule>`` objects give ``<rule>`` back (the ACL of a
crypto map entry, the ``crypto ipsec profile`` of a VTI); anything else is named
``<map>-<seq>``, ``<dynamic-map>-<seq>`` or the tunnel interface name.

The import runs in passes over one shared :class:`~ccsec.formats.ios.log.Log` (notes keep the
order the import meets them):

1. :mod:`~ccsec.formats.ios.tree` — the text as a tree of the blocks the importer reads;
2. :mod:`~ccsec.formats.ios.read` (IKE blocks: :mod:`~ccsec.formats.ios.read_ike`) — every
   object by name (policies, keyrings, profiles, transform sets, maps, ACLs, interfaces, NAT,
   PKI), references left as names;
3. :mod:`~ccsec.formats.ios.bind` — where SAs are used (map entries, dynamic entries, tunnels)
   and the resolvers that follow names between objects, reporting dangling references;
4. :mod:`~ccsec.formats.ios.build` — rules and the end policy, with the hidden defaults of
   :mod:`~ccsec.formats.ios.defaults`; then :mod:`~ccsec.formats.ios.nat` decides, per rule,
   whether source NAT leaves its traffic alone.

Speed (parser-anchors.md): the tree splits the text once and builds nodes only for the blocks
read here; each line is split once and dispatched on its first words; every object is looked
up by name (keys by peer and NAT ACLs by prefix are indexed, so nothing is quadratic);
algorithm objects are built once per definition and shared by every rule that references them;
cyclic GC is paused during the import.

Built-in policies are **facts, not rule proposals**: the default ISAKMP suites 65507–65514 and
the IKEv2 smart-default proposal/policy stay in effect unless switched off (``no crypto isakmp
default policy``, ``no crypto ikev2 policy|proposal default``).  A rule only receives them when
no configured policy could serve it (then an info note says so) — their exact contents and when
IOS offers them vary by release [V].

``Parsed.format_facts`` is an :class:`~ccsec.formats.facts.IosFacts` (interfaces, crypto maps,
dynamic maps, manual keying, NAT rules and per-rule exemption, NAT-T and keepalives, aggressive
mode, default policies, crypto engine lines, trust points and RSA keys, unreadable keys, crypto
ACL denies, dangling references, incomplete entries, transform-set modes; every record that
points at a line carries it); ``Parsed.facts`` is its
:meth:`~ccsec.formats.facts.IosFacts.device_facts`.

``Parsed.locations``: ``<rule>`` (map entry / tunnel), ``<rule>/ike`` (IKE profile or first
policy), ``<rule>/esp`` (``set transform-set``), ``<rule>/auth`` (keyring / key / trust point),
``<rule>/filters`` (the ACL), and ``ios.<setting>`` for the lines that switch a device-wide
default off (``ios.nat_t``, ``ios.isakmp_aggressive_mode``, ``ios.isakmp_default_policies``,
``ios.crypto_accelerator_disabled``).

Never raises for odd input except :class:`ParseError` on binary data (a NUL byte): unknown
crypto lines, placeholders and unreadable values become info notes with their line; things that
change what IOS negotiates (dangling references, incomplete entries) are warnings.
Top-level commands outside IPsec (logging, AAA, lines…) are skipped and counted in one note.
"""

from __future__ import annotations

import gc
from dataclasses import replace

from ccsec.errors import ParseError, Problem
from ccsec.formats.base import Parsed
from ccsec.formats.facts import (
    IosFacts,
    IosIkev2Defaults,
    IosInterface,
    IosIsakmpDefaults,
    IosKeepalive,
    IosSwitch,
    SharedKey,
)
from ccsec.formats.ios.bind import Binder
from ccsec.formats.ios.build import Builder
from ccsec.formats.ios.defaults import default_labels
from ccsec.formats.ios.log import Log
from ccsec.formats.ios.nat import with_exemptions
from ccsec.formats.ios.objects import Config
from ccsec.formats.ios.read import read
from ccsec.formats.ios.tree import is_placeholder, parse_tree
from ccsec.policy import Identity, Rule


def parse(text: str, source: str = "<text>") -> Parsed:
    """Read an IOS configuration (see the module docstring for what is read)."""
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ParseError(Problem("binary data (NUL byte) in an IOS configuration", source, line,
                                 fix="export the config as text: show running-config"))
    # The import allocates ~10 objects per line and keeps most of them until it returns, so
    # cyclic GC passes only cost time (~30% on a 17k-line hub); refcounting still frees all.
    paused = gc.isenabled()
    gc.disable()
    try:
        return _import(text, source)
    finally:
        if paused:
            gc.enable()


def _import(text: str, source: str) -> Parsed:
    parsed = Parsed(policies=[], source=source, format="ios")
    log = Log(parsed)
    nodes, skipped = parse_tree(text)
    cfg = read(text, nodes, log)
    if skipped:
        log.note(None, f"{skipped} top-level line(s) outside IPsec (logging, AAA, lines…) not "
                       "read")
    binder = Binder(cfg, log)
    bindings = binder.bindings()
    builder = Builder(cfg, binder, log)
    rules = builder.rules(bindings)
    ios = _facts(builder, rules)
    parsed.format_facts = ios
    parsed.facts = replace(ios.device_facts(), shared_keys=_shared_keys(cfg))
    parsed.policies.append(builder.end_policy(source, rules, bindings))
    return parsed


def _shared_keys(cfg: Config) -> tuple[SharedKey, ...]:
    """Every readable pre-shared key of the keyrings (and global ``crypto isakmp key``), with
    the peers it is for: a host address, or any peer (``address 0.0.0.0``)."""
    out: list[SharedKey] = []
    entries = list(cfg.isakmp_keys)
    entries += [e for ring in cfg.v1_keyrings.values() for e in ring.entries]
    entries += [e for ring in cfg.v2_keyrings.values() for e in ring]
    for e in entries:
        if e.key is None or e.key.value is None or is_placeholder(e.key.value):
            continue
        secret = e.key.secret()
        if secret is None:
            continue
        owners = [Identity(kind="address", value=str(n.network_address)) for n in e.nets
                  if n.prefixlen == 32]
        owners += [Identity(kind="email" if "@" in v else "fqdn", value=v)
                   for _, v in e.ids if v]
        out.append(SharedKey("psk", tuple(owners), secret, e.line))
    return tuple(out)


def _facts(builder: Builder, rules: list[Rule]) -> IosFacts:
    """Everything the passes learned about the router, as :class:`IosFacts`."""
    cfg, binder, log = builder.cfg, builder.binder, builder.log
    g = cfg.g
    nat = tuple(with_exemptions(n, rules, cfg.acls, cfg.route_maps, log) for n in cfg.nat)
    isakmp_suites, ikev2_suites = default_labels()
    policy_off, proposal_off = g.ikev2_policy_default_off, g.ikev2_proposal_default_off
    for key, line in (("ios.nat_t", g.nat_t_off),
                      ("ios.isakmp_aggressive_mode", g.aggressive_off),
                      ("ios.isakmp_default_policies", g.isakmp_default_off)):
        if line is not None:
            log.locations[key] = line
    return IosFacts(
        hostname=cfg.hostname,
        interfaces={n: IosInterface(i.line, i.shutdown, i.address, i.crypto_map, i.nat,
                                    i.tunnel_source, i.tunnel_destination, i.tunnel_mode,
                                    i.protection)
                    for n, i in cfg.interfaces.items()},
        crypto_maps=binder.crypto_maps,
        dynamic_maps=tuple(binder.dynamic_uses),
        manual_keying=tuple(cfg.manual),
        nat=nat,
        nat_static=tuple(cfg.nat_static),
        nat_t=IosSwitch(g.nat_t_off is None, g.nat_t_off),
        nat_keepalive_v1=IosKeepalive(*g.nat_keepalive_v1) if g.nat_keepalive_v1 else None,
        nat_keepalive_v2=IosKeepalive(*g.nat_keepalive_v2) if g.nat_keepalive_v2 else None,
        isakmp_aggressive_mode=IosSwitch(g.aggressive_off is None, g.aggressive_off),
        isakmp_default_policies=IosIsakmpDefaults(
            g.isakmp_default_off is None and g.isakmp_off is None, g.isakmp_default_off,
            isakmp_suites),
        ikev2_defaults=IosIkev2Defaults(
            policy_off is None, proposal_off is None,
            tuple(x for x in (policy_off, proposal_off) if x), ikev2_suites),
        crypto_engine=tuple(cfg.engines),
        crypto_accelerator_disabled=cfg.accelerator_disabled,
        trustpoints=cfg.trustpoints,
        rsa_keys=tuple(cfg.rsa_keys),
        unreadable_keys=tuple(cfg.unreadable_keys),
        crypto_acl_denies=tuple(builder.acl_denies),
        dangling=tuple(log.dangling_refs),
        incomplete=tuple(builder.incomplete),
        transform_set_modes=cfg.transform_modes,
    )
