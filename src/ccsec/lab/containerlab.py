"""The lab as a containerlab topology: one container per lab namespace, the same links,
addresses, routes, NAT, fail-closed rules, rendered swanctl.conf files and checks.

``ccsec lab up`` builds the deployment as network namespaces on one machine; this module writes
the *same* lab (it calls the lab's own planners: :func:`ccsec.lab.topology.build`,
:func:`ccsec.lab.build.lab_policy` (each end played from its own platform file, then the lab's
substitutions), the strongswan renderer, the lab's daemon settings and
firewall rulesets, :func:`ccsec.lab.build.derive_checks`) as files a container engine runs: a
containerlab topology (``ccsec.clab.yml``) that runs on any host with containerlab and, through
clabernetes, unchanged on a Kubernetes cluster.

Per node, ``nodes/<node>/start.sh`` is the container's command: it waits until containerlab has
wired the node's links, drops the management network's default route (the lab routes by
itself), sets the node's sysctls and ``ip`` configuration (the lab's own batch lines), loads its
nftables rules (NAT masquerade, fail-closed), and for an IPsec end starts charon with the
rendered ``swanctl.conf`` and keeps it in the foreground.  ``verify.sh`` runs the lab's checks
from the host: SAs up, traffic flows, zero clear text on the WAN captures, NAT-T exactly where
a NAT is.  The interface the lab calls ``eth0`` is ``e0`` here (a container's ``eth0`` is
containerlab's management interface).

Validated against containerlab's published JSON schema in the tests; not run here (no container
engine on the machines this project is built on).
"""

from __future__ import annotations

import json
import shlex
import tempfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

import yaml

from ccsec import __version__
from ccsec.deployment.model import Deployment
from ccsec.fileio import MARKER, OutFile
from ccsec.formats.base import RenderContext
from ccsec.formats.strongswan.swanctl import FORMAT
from ccsec.lab import charon, firewall, pki
from ccsec.lab.build import derive_checks, lab_policy
from ccsec.lab.state import CheckSpec
from ccsec.lab.topology import Node, Topology, select_hosts
from ccsec.lab.topology import build as build_topology
from ccsec.lab.transform import Datapath, Substitution, lab_ca_name
from ccsec.plan import plan
from ccsec.policy import EndPolicy, v4net
from ccsec.secrets import SecretResolver

TOPOLOGY_FILE = "ccsec.clab.yml"
#: the image every node runs: built from the exported Dockerfile (or any image with the same
#: tools: charon-systemd, swanctl, the lab's plugins, iproute2, nftables, tcpdump, ping)
IMAGE = "ccsec-strongswan-lab:bookworm"
#: where a node's exported directory is mounted, and where charon keeps its socket and log
MOUNT, RUN = PurePosixPath("/ccsec"), PurePosixPath("/run/ccsec")
#: the lab's name for the one interface of a host or probe namespace, and the export's
LAB_ETH0, CLAB_ETH0 = "eth0", "e0"
LINK_WAIT_S = 120
PINGS = 3
#: the Debian packages of the image (the lab's own list, scripts/system-deps.sh, minus tests)
PACKAGES = ("charon-systemd", "strongswan-swanctl", "strongswan-charon",
            "libstrongswan-standard-plugins", "libstrongswan-extra-plugins",
            "libcharon-extra-plugins", "iproute2", "nftables", "tcpdump", "iputils-ping",
            "procps", "netbase")


def _name(topo: Topology, ns: str) -> str:
    """Container name of a lab namespace (the namespace name without the lab's prefix)."""
    return ns[len(topo.prefix):]


def _iface(name: str) -> str:
    return CLAB_ETH0 if name == LAB_ETH0 else name


def _sh(words: Iterable[object]) -> str:
    return " ".join(shlex.quote(str(w)) for w in words)


def _links(topo: Topology) -> list[dict[str, list[str]]]:
    return [{"endpoints": [f"{_name(topo, lk.a_ns)}:{_iface(lk.a_if)}",
                           f"{_name(topo, lk.b_ns)}:{_iface(lk.b_if)}"]}
            for lk in topo.links]


def _node_ifaces(topo: Topology, ns: str) -> list[str]:
    out = [_iface(lk.a_if) for lk in topo.links if lk.a_ns == ns]
    return out + [_iface(lk.b_if) for lk in topo.links if lk.b_ns == ns]


def _start_script(topo: Topology, node: Node, end: EndPolicy | None,
                  extra_nft: list[str]) -> str:
    """The container's command (see the module docstring)."""
    name = _name(topo, node.ns)
    ifaces = _node_ifaces(topo, node.ns)
    lines = [
        "#!/bin/sh",
        f"# ccsec lab node {name} ({node.kind}); written by ccsec {__version__}: the lab's own",
        "# addresses, routes and rules (ccsec lab up runs the same as network namespaces)",
        "set -eu",
        f"# containerlab wires the links after the container starts (wait {LINK_WAIT_S} s)",
        f"for _ in $(seq {LINK_WAIT_S}); do",
        "  missing=''",
        f"  for dev in {' '.join(ifaces)}; do",
        '    ip link show "$dev" >/dev/null 2>&1 || missing="$missing $dev"',
        "  done",
        '  [ -z "$missing" ] && break',
        "  sleep 1",
        "done",
        '[ -z "$missing" ] || { echo "ccsec: links missing:$missing" >&2; exit 1; }',
        "# the lab routes by itself: drop the management network's default route",
        "ip route del default 2>/dev/null || true",
    ]
    for key, value in topo.sysctls[node.ns].items():
        lines.append(f"sysctl -qw {shlex.quote(f'{key}={value}')} || true")
    batch = [" ".join(_iface(str(t)) for t in line) for line in topo.config.get(node.ns, ())]
    if batch:
        lines += ["ip -batch - <<'CCSEC_IP'", *batch, "CCSEC_IP"]
    lines += [f"nft -f {MOUNT / f}" for f in extra_nft]
    if end is None:
        lines.append("exec sleep infinity")
        return "\n".join(lines) + "\n"
    subdirs = " ".join(str(RUN / "swanctl" / d) for d in charon.SWANCTL_SUBDIRS)
    sock = RUN / "charon.vici"
    lines += [
        f"mkdir -p {subdirs}",
        f"cp -R {MOUNT / 'swanctl'}/. {RUN / 'swanctl'}/",
        f"chmod -R go-rwx {RUN / 'swanctl'}",
        f"STRONGSWAN_CONF={MOUNT / 'strongswan.conf'} {charon.CHARON} &",
        "charon_pid=$!",
        f"for _ in $(seq 100); do [ -S {sock} ] && break; sleep 0.1; done",
        f"SWANCTL_DIR={RUN / 'swanctl'} swanctl --load-all --noprompt --uri unix://{sock}",
        'wait "$charon_pid"',
    ]
    return "\n".join(lines) + "\n"


def _end_files(name: str, end: EndPolicy, text: str, datapath: Datapath,
               ca_pem: str | None, cred: pki.Credential | None) -> dict[str, OutFile]:
    """strongswan.conf (the lab's daemon settings, paths inside the container) and swanctl/."""
    inst = charon.Instance(end.owner or end.name, name, Path(str(RUN)))
    keep = [r.nat_keepalive_s for r in end.rules if r.nat_keepalive_s]
    base = f"nodes/{name}"
    out = {
        f"{base}/strongswan.conf": OutFile(charon.strongswan_conf(inst, datapath,
                                                                  min(keep) if keep else None)),
        f"{base}/swanctl/swanctl.conf": OutFile(text, secret=True),
    }
    if ca_pem:
        out[f"{base}/swanctl/x509ca/lab-ca.pem"] = OutFile(ca_pem)
    if cred is not None:
        owner = end.owner or end.name
        out[f"{base}/swanctl/private/{owner}.key"] = OutFile(cred.key, secret=True)
        out[f"{base}/swanctl/x509/{owner}.pem"] = OutFile(cred.cert)
    return out


def _failclosed(topo: Topology, end: EndPolicy, gateways: set[str],
                datapath: Datapath) -> str:
    owner = end.owner or end.name
    if owner in gateways:
        site = next(s for s in topo.sites.values() if s.gateway == owner)
        remote = [v4net(f.remote) for r in end.rules for f in r.filters]
        return firewall.gateway_ruleset(site.prefixes, remote, datapath)
    return firewall.host_ruleset(datapath)


def _node(topo: Topology, node: Node, is_end: bool, datapath: Datapath,
          image: str) -> dict[str, object]:
    name = _name(topo, node.ns)
    spec: dict[str, object] = {
        "kind": "linux",
        "image": image,
        "group": node.site or node.kind,
        "labels": {"ccsec-kind": node.kind, "ccsec-name": node.name},
        "binds": [f"nodes/{name}:{MOUNT}:ro"],
        "cmd": f"sh {MOUNT / 'start.sh'}",
        # addresses, routes, nftables, xfrm or TUN inside the node's own network namespace
        "cap-add": ["NET_ADMIN", "NET_RAW"],
    }
    if is_end and datapath == "libipsec":
        spec["devices"] = ["/dev/net/tun"]
    return spec


def _initiators(ends: list[EndPolicy], starters: set[tuple[str | None, str]]) -> dict[str, str]:
    """Check (rule) id → the end planned to initiate it (as ``lab up`` starts it: a trap policy
    or crypto map waits for a packet, and kernel-libipsec raises no acquire)."""
    return {r.name: (e.owner or e.name) for e in ends for r in e.rules
            if (e.owner, r.name) in starters}


def _captures(topo: Topology, c: CheckSpec) -> list[tuple[str, str, str]]:
    """(node, interface, BPF) where the check's clear text would show: the WAN links of its
    sites, and for host paths also their LANs (as ``ccsec lab verify`` reads them)."""
    out = [(_name(topo, p.ns), _iface(p.iface), c.wan_filter) for p in topo.captures
           if p.kind == "wan" and p.site in c.sites]
    if c.lan_filter:
        out += [(_name(topo, p.ns), _iface(p.iface), c.lan_filter) for p in topo.captures
                if p.kind == "lan" and p.site in c.sites]
    return out


def _verify_script(topo: Topology, checks: list[CheckSpec], ends: list[EndPolicy],
                   starters: set[tuple[str | None, str]], lab_name: str) -> str:
    """The lab's checks, run from the host through the container engine (see the README).

    NAT-T is judged as the lab judges it: ``nat-local=yes`` at an end proves a real NAT
    (kernel-libipsec always encapsulates and reports a NAT at the peer)."""
    node_of = {(e.owner or e.name): _name(topo, topo.ns_of(e.owner or e.name)) for e in ends}
    starts = _initiators(ends, starters)
    vici = f"unix://{RUN / 'charon.vici'}"
    lines = [
        "#!/bin/sh",
        f"# ccsec lab checks for containerlab topology '{lab_name}' (written by ccsec "
        f"{__version__}):",
        "# per path and site tunnel: SAs up at both ends, traffic flows, zero clear-text",
        "# packets on the captures, NAT-T exactly where a NAT is.  Each step runs in a node",
        '# through $CCSEC_EXEC (default: docker exec), the node being "$CCSEC_NODE_PREFIX<node>"',
        f"# (default: clab-{lab_name}-, containerlab's container names).",
        "set -u",
        'EXEC="${CCSEC_EXEC:-docker exec}"',
        f'PREFIX="${{CCSEC_NODE_PREFIX:-clab-{lab_name}-}}"',
        'in_node() { node="$1"; shift; $EXEC "$PREFIX$node" "$@"; }',
        f'sas() {{ in_node "$1" swanctl --list-sas --raw --ike "$2" --uri {vici} 2>/dev/null; }}',
        "failed=0",
        'fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }',
        "",
    ]
    for c in checks:
        caps = _captures(topo, c)
        lines.append(f"# {c.id} ({c.kind} {c.catalog}): {c.ends[0]} <-> {c.ends[1]}")
        starter = starts.get(c.id)
        if starter is not None:
            lines.append(f"in_node {_sh([node_of[starter]])} swanctl --initiate --child "
                         f"{_sh([c.id])} --ike {_sh([c.id])} --timeout 10 --uri {vici} "
                         ">/dev/null 2>&1 || true")
        for n, (node, iface, bpf) in enumerate(caps):
            lines.append(f"in_node {_sh([node])} timeout 8 tcpdump -n -p -i {_sh([iface])} "
                         f"-w /tmp/{c.id}-{n}.pcap {_sh([bpf])} >/dev/null 2>&1 &")
        lines += [
            "sleep 1",
            f"in_node {_sh([_name(topo, c.a.ns)])} ping -c {PINGS} -W 2 {c.b.address} "
            f">/dev/null || fail {c.id} 'no ICMP replies from {c.b.address}'",
            "nat=0",
        ]
        for node in (node_of[o] for o in c.ends if o in node_of):
            lines += [
                f"out=$(sas {_sh([node])} {_sh([c.id])})",
                'case "$out" in *state=ESTABLISHED*state=INSTALLED*) ;; '
                f"*) fail {c.id} 'SA not up at {node}' ;; esac",
                'case "$out" in *nat-local=yes*) nat=1 ;; esac',
            ]
        want = 1 if c.nat_expected else 0
        wrong = "not engaged although a NAT is there" if want else "engaged without a NAT"
        lines.append(f"[ \"$nat\" = {want} ] || fail {c.id} 'NAT-T {wrong}'")
        lines.append("wait")
        for n, (node, iface, _) in enumerate(caps):
            lines += [
                f"leaks=$(in_node {_sh([node])} tcpdump -n -r /tmp/{c.id}-{n}.pcap 2>/dev/null"
                " | wc -l)",
                f"[ \"$leaks\" = 0 ] || fail {c.id} \"$leaks clear-text packets on "
                f"{node}:{iface}\"",
            ]
        lines += [f"echo 'checked {c.id}'", ""]
    lines += [f'echo "$failed failures in {len(checks)} checks"', '[ "$failed" = 0 ]']
    return "\n".join(lines) + "\n"


def _dockerfile() -> str:
    return (
        f"# the image of every node of a ccsec containerlab export (ccsec {__version__}):\n"
        "# strongSwan with the plugins the lab loads, and the network tools its scripts use\n"
        "FROM debian:bookworm-slim\n"
        "RUN apt-get update \\\n"
        "    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\\n"
        f"       {' '.join(PACKAGES)} \\\n"
        "    && rm -rf /var/lib/apt/lists/*\n"
        'CMD ["sleep", "infinity"]\n'
    )


def _readme(lab_name: str, dep: Deployment, nodes: int, links: int, checks: int,
            subs: list[Substitution], datapath: Datapath, image: str) -> str:
    subst = "\n".join(f"- {s.text()}" for s in subs) or "- none"
    return f"""# {lab_name}: the ccsec lab of `{dep.deployment}` as a containerlab topology

Written by ccsec {__version__}: {nodes} nodes, {links} links, {checks} paths and site tunnels
to check.  The same lab as `ccsec lab up` (namespaces on one machine), one container per
namespace.  This export was validated against containerlab's JSON schema; it was **not run**
where it was written (no container engine there).

## Run it with containerlab (one host)

    docker build -t {image} .
    sudo containerlab deploy -t {TOPOLOGY_FILE}
    sh verify.sh            # SAs, traffic, zero clear text, NAT-T
    sudo containerlab destroy -t {TOPOLOGY_FILE}

## Run it on Kubernetes with clabernetes

Push the image to a registry the cluster pulls from and set that name as every node's
`image` (or export again with `--image`), then hand the same topology file to clabernetes.
Each node reads its files from a bind mount of `nodes/<node>` (relative to the topology
file): check how your clabernetes version carries bound local files into the cluster (this
was not tried here).  `verify.sh` reaches each node through `$CCSEC_EXEC` and
`$CCSEC_NODE_PREFIX`: set them to the command and names that reach a node's container on your
platform.

## What is inside

- `{TOPOLOGY_FILE}`: nodes (kind linux) and links; data path: {datapath}
  ({'kernel-libipsec, the nodes map /dev/net/tun' if datapath == 'libipsec' else 'kernel ESP'})
- `nodes/<node>/start.sh`: the node's addresses, routes, sysctls and nftables rules; for an
  IPsec end also `strongswan.conf` and `swanctl/` (the strongswan renderer's output; files
  holding keys are 0600)
- `verify.sh`: the lab's checks
- `Dockerfile`: the node image

## Substitutions (as `ccsec lab up` makes them)

{subst}
"""


def export(dep: Deployment, *, profile: str | None = None, hosts: list[str] | None = None,
           datapath: Datapath = "libipsec", image: str = IMAGE,
           base: Path | None = None) -> dict[str, OutFile]:
    """Every file of the export, in memory (``write_tree`` writes them all or nothing)."""
    ps = plan(dep, profile)
    select_hosts(dep, hosts)
    topo = build_topology(dep, "", hosts)
    gateways = {s.gateway for s in topo.sites.values() if s.gateway}
    owners = gateways | set(topo.hosts)
    ca_dn = lab_ca_name(dep.pki.root_ca if dep.pki else None)
    ctx = RenderContext(dep.deployment, ps.profile, SecretResolver(base or Path.cwd()),
                        strongswan_version=dep.strongswan_version)
    ends, subs, starters = lab_policy(dep, ps, owners, datapath, ca_dn, ctx)
    texts = {(e.owner or e.name): FORMAT.render(e, ctx) for e in ends}
    creds: dict[str, pki.Credential] = {}
    ca_pem = None
    if any(pki.needs_certificate(e) for e in ends):
        with tempfile.TemporaryDirectory(prefix="ccsec-export-pki-") as work:
            ca = pki.make_ca(Path(work) / "ca", ca_dn)
            creds = pki.issue_all(ca, ends, Path(work) / "ends")
            ca_pem = ca.cert
    by_ns = {topo.ns_of(e.owner or e.name): e for e in ends}
    lab_name = "ccsec-" + "".join(c if c.isalnum() or c in "-._" else "-"
                                  for c in dep.deployment.lower()).strip("-._")
    files: dict[str, OutFile] = {}
    nodes: dict[str, object] = {}
    for node in topo.nodes:
        name = _name(topo, node.ns)
        end = by_ns.get(node.ns)
        nft: list[str] = []
        if node.ns in topo.nat_rules:
            files[f"nodes/{name}/nat.nft"] = OutFile(topo.nat_rules[node.ns])
            nft.append("nat.nft")
        if end is not None:
            owner = end.owner or end.name
            files.update(_end_files(name, end, texts[owner], datapath, ca_pem,
                                    creds.get(owner)))
            files[f"nodes/{name}/failclosed.nft"] = OutFile(
                _failclosed(topo, end, gateways, datapath))
            nft.append("failclosed.nft")
        files[f"nodes/{name}/start.sh"] = OutFile(_start_script(topo, node, end, nft))
        nodes[name] = _node(topo, node, end is not None, datapath, image)
    checks = derive_checks(dep, ps, topo, {e.owner or e.name for e in ends})
    doc = {"name": lab_name, "topology": {"nodes": nodes, "links": _links(topo)}}
    # PyYAML (a runtime dependency; ruamel.yaml is a test dependency only), block style, keys
    # in the order written
    files[TOPOLOGY_FILE] = OutFile(
        f"# {lab_name}: the ccsec lab of '{dep.deployment}' (ccsec {__version__}); see README.md\n"
        + yaml.safe_dump(doc, default_flow_style=False, sort_keys=False, width=4096,
                         allow_unicode=True))
    files["verify.sh"] = OutFile(_verify_script(topo, checks, ends, starters, lab_name))
    files["Dockerfile"] = OutFile(_dockerfile())
    files["README.md"] = OutFile(_readme(lab_name, dep, len(nodes), len(topo.links),
                                         len(checks), subs, datapath, image))
    files[MARKER] = OutFile(json.dumps({
        "generator": f"ccsec {__version__}", "kind": "containerlab export",
        "deployment": dep.deployment, "profile": ps.profile, "topology": TOPOLOGY_FILE,
        "datapath": datapath, "image": image, "nodes": sorted(nodes),
        "checks": [c.id for c in checks],
        "files": sorted(f for f in files if f != MARKER),
    }, indent=1) + "\n")
    return files
