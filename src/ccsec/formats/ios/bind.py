"""The bind pass: where SAs are used, and every reference between objects resolved by name.

:meth:`Binder.bindings` finds each place an SA spec is used — a static crypto map entry, each
entry of a dynamic map a crypto map points at, a tunnel interface with ``tunnel protection`` —
on which interface, whether it is up, and under which rule name.  The resolvers the build pass
calls (transform sets, IKE profiles, keyrings and their keys, IKEv2 policies and proposals,
certificate maps, trust points, interface addresses) report every reference to an object the
configuration never defines, at the line that makes it, in the order the build meets them.

Keys are looked up through :class:`KeyIndex` (one per keyring, built on first use), so a hub
with thousands of peers is never scanned per crypto map entry.
"""

from __future__ import annotations

from collections import Counter
from ipaddress import IPv4Address, IPv4Network

from ccsec.crypto import IkeProposal
from ccsec.formats.facts import IosCryptoMap, IosDynamicMapUse, IosMapEntry, IosTrustpoint
from ccsec.formats.ios.log import Log
from ccsec.formats.ios.objects import (
    Binding,
    Config,
    IkeProfile,
    Interface,
    KeyEntry,
    MapEntry,
    SaSpec,
    TransformSet,
)
from ccsec.formats.ios.tree import addr, rule_of
from ccsec.formats.names import UniqueNames
from ccsec.policy import to_ident

NOWHERE = IPv4Address("0.0.0.0")


class KeyIndex:
    """Keys by peer: host addresses in a dict, the few wider entries by prefix length.

    A hub with thousands of ``crypto isakmp key … address`` lines is looked up once per crypto
    map entry; a linear scan there would make the import quadratic.
    """

    def __init__(self, entries: list[KeyEntry]) -> None:
        self.hosts: dict[IPv4Address, KeyEntry] = {}
        wide: list[tuple[int, IPv4Network, KeyEntry]] = []
        self.ids: dict[str, KeyEntry] = {}
        for e in entries:
            for net in e.nets:
                if net.prefixlen == 32:
                    self.hosts.setdefault(net.network_address, e)
                else:
                    wide.append((net.prefixlen, net, e))
            for _, value in e.ids:
                self.ids.setdefault(value, e)
        wide.sort(key=lambda t: -t[0])
        self.wide = wide

    def match(self, peer: IPv4Address | None, ids: list[tuple[str, str]]) -> KeyEntry | None:
        """Longest address match (IOS's rule), then an identity the profile matches."""
        if peer is not None:
            hit = self.hosts.get(peer)
            if hit is not None:
                return hit
            hit = next((e for _, net, e in self.wide if peer in net), None)
            if hit is not None:
                return hit
        return next((self.ids[v] for _, v in ids if v in self.ids), None)


class Binder:
    def __init__(self, cfg: Config, log: Log) -> None:
        self.cfg = cfg
        self.log = log
        #: facts of the bind pass: every crypto map, every dynamic map a crypto map uses
        self.crypto_maps: dict[str, IosCryptoMap] = {}
        self.dynamic_uses: list[IosDynamicMapUse] = []
        self._key_indexes: dict[str, KeyIndex] = {}
        self._global_pools: list[KeyIndex] | None = None

    # ------------------------------------------------------------------- bindings

    def bindings(self) -> list[Binding]:
        """Every place an SA spec is used: crypto map entries (static and dynamic), VTIs."""
        cfg = self.cfg
        applied: dict[str, list[str]] = {}
        for name, intf in cfg.interfaces.items():
            if intf.crypto_map:
                applied.setdefault(intf.crypto_map, []).append(name)
        out: list[Binding] = []
        used = UniqueNames()
        for name, entries in cfg.maps.items():
            intfs = applied.get(name, [])
            up = [i for i in intfs if not cfg.interfaces[i].shutdown]
            rows = []
            for entry in sorted(entries, key=lambda e: e.seq):
                where = up[0] if up else (intfs[0] if intfs else None)
                made = self.map_bindings(entry, where, bool(up), used)
                out += made
                rows.append(IosMapEntry(entry.seq, entry.kind, entry.line,
                                        made[0].name if len(made) == 1 else None))
            first = min(e.line for e in entries)
            self.crypto_maps[name] = IosCryptoMap(first, tuple(intfs), bool(up),
                                                  cfg.map_local.get(name), tuple(rows))
            if not up:
                self.log.note(first, f"crypto map {name} is not applied to an interface that "
                                     "is up: its entries protect nothing", "warning")
        shared = Counter(i.protection for i in cfg.interfaces.values() if i.protection)
        routes: dict[str, list[IPv4Network]] = {}
        for net, target, _ in cfg.routes:
            routes.setdefault(target, []).append(net)
        for name, intf in cfg.interfaces.items():
            if intf.protection:
                out.append(self.vti_binding(name, intf, used, shared[intf.protection] == 1,
                                            routes.get(name, [])))
            elif name.lower().startswith("tunnel") and intf.tunnel_source is not None:
                self.log.note(intf.line, f"interface {name} has no 'tunnel protection': its "
                              "traffic is not IPsec (a GRE or IP-in-IP tunnel in clear), so no "
                              "rule is built for it")
        return out

    def map_bindings(self, entry: MapEntry, intf: str | None, up: bool,
                     used: UniqueNames) -> list[Binding]:
        local = self.interface_address(self.cfg.map_local.get(entry.map) or intf)
        if entry.kind in ("manual", "gdoi"):
            return []
        if entry.kind == "dynamic":
            return self.dynamic_bindings(entry, intf, up, local, used)
        name = unique(rule_of(entry.spec.acl or "") or f"{entry.map}-{entry.seq}", used)
        spec = entry.spec
        return [Binding(name, entry.line, "map", spec, spec.peers[0] if spec.peers else None,
                        local, up, intf, spec.acl, description=spec.description,
                        qos=spec.qos)]

    def dynamic_bindings(self, entry: MapEntry, intf: str | None, up: bool,
                         local: IPv4Address | None, used: UniqueNames) -> list[Binding]:
        assert entry.dynamic is not None  # a "dynamic" entry names its dynamic map
        specs = self.cfg.dynamic.get(entry.dynamic)
        if specs is None:
            self.log.dangling("crypto dynamic-map", entry.dynamic, entry.line)
            return []
        out = []
        for seq, spec in sorted(specs, key=lambda s: s[0]):
            name = unique(f"{entry.dynamic}-{seq}", used)
            out.append(Binding(name, spec.line, "dynamic", spec,
                               spec.peers[0] if spec.peers else NOWHERE, local, up, intf,
                               spec.acl, description=spec.description, qos=spec.qos))
        self.dynamic_uses.append(IosDynamicMapUse(entry.map, entry.seq, entry.dynamic,
                                                  entry.line, tuple(b.name for b in out)))
        return out

    def vti_binding(self, name: str, intf: Interface, used: UniqueNames, own_profile: bool,
                    routes: list[IPv4Network]) -> Binding:
        """A tunnel interface; named after its ``ccsec-<rule>`` profile when it has its own."""
        assert intf.protection is not None  # only protected tunnels are bound
        spec = self.cfg.ipsec_profiles.get(intf.protection)
        if spec is None:
            self.log.dangling("crypto ipsec profile", intf.protection, intf.line)
            spec = SaSpec(intf.line)
        base = rule_of(intf.protection) if own_profile else None
        rname = unique(base or name, used)
        source = intf.tunnel_source
        local = self.interface_address(source)
        # no 'tunnel mode' line = IOS's default GRE (IPsec then protects the GRE packets) [D]
        gre = not (intf.tunnel_mode or "gre").startswith("ipsec")
        wan = source if source and not _is_ip(source) else None
        return Binding(rname, intf.line, "vti", spec, intf.tunnel_destination, local,
                       not intf.shutdown, wan, intf.acl_out, routes, gre,
                       intf.description or spec.description, intf.qos or spec.qos)

    # ------------------------------------------------------------------ resolvers

    def interface_address(self, ref: str | None) -> IPv4Address | None:
        """An interface's address, or ``ref`` itself when it is an address."""
        if ref is None:
            return None
        intf = self.cfg.interfaces.get(ref)
        if intf is not None:
            return intf.address
        try:
            return addr(ref)
        except ValueError:
            return None

    def profile_local(self, refs: list[str]) -> IPv4Address | None:
        for ref in refs:
            found = self.interface_address(ref)
            if found is not None:
                return found
        return None

    def ikev2_profile(self, b: Binding) -> IkeProfile:
        """The entry's IKEv2 profile (an empty one, noted, when it is not defined)."""
        name = b.spec.ikev2_profile
        assert name is not None  # only called for entries that set one
        prof = self.cfg.v2_profiles.get(name)
        if prof is None:
            self.log.dangling("crypto ikev2 profile", name, b.line)
            prof = IkeProfile(b.line)
        return prof

    def isakmp_profile(self, b: Binding) -> IkeProfile | None:
        name = b.spec.isakmp_profile
        prof = self.cfg.v1_profiles.get(name) if name else None
        if name and prof is None:
            self.log.dangling("crypto isakmp profile", name, b.line)
        return prof

    def transform_sets(self, b: Binding) -> list[TransformSet]:
        """The entry's transform sets that exist, in order."""
        out = []
        for name in b.spec.transform_sets:
            ts = self.cfg.transform_sets.get(name)
            if ts is None:
                self.log.dangling("crypto ipsec transform-set", name,
                                  b.spec.lines.get("esp", b.line))
                continue
            out.append(ts)
        return out

    def v2_policy_proposals(self, local: IPv4Address) -> list[IkeProposal] | None:
        """The proposals of the IKEv2 policy for a local address (the one matching it, else
        the first without ``match address local``); None when no policy applies."""
        policies = self.cfg.v2_policies
        exact = [p for p in policies if str(local) in p.local]
        wildcard = [p for p in policies if not p.local]
        chosen = (exact or wildcard)[:1]
        if not chosen:
            return None
        policy = chosen[0]
        out: list[IkeProposal] = []
        for pname in policy.proposals:
            defined = self.cfg.v2_proposals.get(pname)
            if defined is None:
                self.log.dangling("crypto ikev2 proposal", pname, policy.line)
                continue
            out += [p for p in defined.proposals if p not in out]
        return out

    def v2_key(self, b: Binding, prof: IkeProfile) -> KeyEntry | None:
        """The keyring entry of an IKEv2 profile's keyrings that matches the peer."""
        entry = None
        for kr in prof.keyrings:
            peers = self.cfg.v2_keyrings.get(kr)
            if peers is None:
                self.log.dangling("crypto ikev2 keyring", kr, prof.line)
                continue
            entry = entry or self.key_index(f"v2:{kr}", peers).match(b.peer, prof.remote_ids)
        return entry

    def v1_key(self, b: Binding, prof: IkeProfile | None) -> KeyEntry | None:
        """The IKEv1 key for the peer: from the profile's keyrings, or — without a profile
        keyring — the global keys, then every keyring."""
        cfg = self.cfg
        if prof and prof.keyrings:
            pools = [self.key_index(f"v1:{k}", cfg.v1_keyrings[k].entries)
                     for k in prof.keyrings if k in cfg.v1_keyrings]
            for k in prof.keyrings:
                if k not in cfg.v1_keyrings:
                    self.log.dangling("crypto keyring", k, prof.line)
        else:
            pools = self.global_pools()
        ids = prof.remote_ids if prof else []
        return next((e for pool in pools if (e := pool.match(b.peer, ids))), None)

    def global_pools(self) -> list[KeyIndex]:
        """Where a peer without an isakmp profile finds its key: global keys, then keyrings."""
        if self._global_pools is None:
            self._global_pools = [self.key_index("global", self.cfg.isakmp_keys)] + [
                self.key_index(f"v1:{k}", kr.entries) for k, kr in self.cfg.v1_keyrings.items()]
        return self._global_pools

    def key_index(self, name: str, entries: list[KeyEntry]) -> KeyIndex:
        """One index per keyring (and one for the global keys), built on first use."""
        index = self._key_indexes.get(name)
        if index is None:
            index = self._key_indexes[name] = KeyIndex(entries)
        return index

    def cert_field(self, maps: list[str], name: str) -> str | None:
        """The value a certificate map requires of a field: ``… eq VALUE``, else the DN its
        ``co`` lines name RDN by RDN (``co CN=…``, ``co O=…``: how ccsec pins a CA whatever
        order IOS prints its DN in)."""
        for m in maps:
            rows = self.cfg.cert_maps.get(m)
            if rows is None:
                self.log.dangling("crypto pki certificate map", m, 0)
                continue
            for fld, op, value in rows:
                if fld == name and op == "eq":
                    return value
            parts = [value for fld, op, value in rows if fld == name and op == "co"]
            if parts and all("=" in p for p in parts):
                return ", ".join(parts)
        return None

    def trustpoint(self, name: str) -> IosTrustpoint | None:
        return self.cfg.trustpoints.get(name)

    def subject(self, trustpoints: list[str]) -> str | None:
        """The subject name of the first of ``trustpoints`` that has one."""
        for name in trustpoints:
            tp = self.cfg.trustpoints.get(name)
            if tp and tp.subject:
                return tp.subject
        return None


def unique(name: str, used: UniqueNames) -> str:
    """A rule name not used yet (``-2``, ``-3``… appended), as an identifier."""
    return used.take(to_ident(name))


def _is_ip(text: str) -> bool:
    try:
        IPv4Address(text)
    except ValueError:
        return False
    return True
