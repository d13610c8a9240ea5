"""Host posture rules: patches, antivirus, HIPS, firewall, segmentation (Cisco's contact
center security guidance, Microsoft's settings reference).

Inputs: collector files (``ccsec.collector.schema.CollectorExport``) and, optionally, the
deployment (roles, agent networks).  Thresholds that are ccsec's own choice are options
(:class:`PostureOptions`) and say so in the finding.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ccsec.collector.posture import HostExport
from ccsec.collector.schema import CollectorExport, MpPreference
from ccsec.deployment.model import Deployment, Host, Role
from ccsec.findings.model import CheckRule, Finding, Location, Severity, finding, rule
from ccsec.findings.sources import (
    CCE_ANTIVIRUS,
    CCE_SOLUTION_SECURITY,
    CCE_SRND_SECURITY,
    HCS_SECURITY,
    MS_DEFENDER_PREFS,
    MS_GET_HOTFIX,
    MS_UPDATE_SETTINGS,
    PYWSUS,
)
from ccsec.textio import ascii_int

FAMILY = "posture"
SEG = CCE_SOLUTION_SECURITY.at("servers in the data center behind the secure network; not "
                               "internet-facing")
SEG_OLD = CCE_SRND_SECURITY.at("Security Overview (web collaboration excepted)", "[S]")
PATCH = CCE_SRND_SECURITY.at("Patch Management › Automated Patch Management (a local WSUS "
                             "server)", "[S]")
AV = CCE_ANTIVIRUS.at()
CSA = CCE_SRND_SECURITY.at("Intrusion Prevention (Cisco Security Agent, standalone or "
                           "managed)", "[S]")
FW = CCE_SOLUTION_SECURITY.at()
FACTS_WU = MS_UPDATE_SETTINGS.at()
FACTS_AV = MS_DEFENDER_PREFS.at()

PATCH_AGE = rule(
    "POSTURE-PATCH-001", "No security update installed recently", Severity.MEDIUM, FAMILY,
    "Cisco assesses Microsoft security updates (Field Notice within about 24 h) and expects "
    "customers to apply the applicable ones; a server whose newest update is old misses them.",
    "Review the Cisco field notices and apply the approved Microsoft updates in a maintenance "
    "window.",
    (CCE_SRND_SECURITY.at("Patch Management › Security Patches", "[S]"), MS_GET_HOTFIX.at()),
    unverified="Get-HotFix InstalledOn can be empty or oddly encoded [U]; the age threshold "
    "is ccsec's option (--max-patch-age)",
)
WSUS_MISSING = rule(
    "POSTURE-PATCH-002", "Automatic updates not pointed at a local update server",
    Severity.MEDIUM, FAMILY,
    "Without a local SUS/WSUS server the customer does not control which patches reach the "
    "contact-center servers and when (the guide recommends a local server).",
    "Set the WindowsUpdate policy: WUServer/WUStatusServer = the local WSUS (https), "
    "UseWUServer = 1, and approve updates there.",
    (PATCH, FACTS_WU),
)
WSUS_HTTP = rule(
    "POSTURE-PATCH-003", "WSUS server reached over plain http", Severity.HIGH, FAMILY,
    "Update metadata fetched over http can be intercepted and replaced (public tooling "
    "such as pywsus does exactly this).",
    "Configure WSUS with TLS and set WUServer/WUStatusServer to https:// URLs.",
    (PATCH, FACTS_WU, PYWSUS.at()),
)
RT_READS = rule(
    "POSTURE-AV-001", "Real-time scanning also scans reads", Severity.MEDIUM, FAMILY,
    "Cisco: on-access scanning may be enabled but only for incoming files (on write); scanning "
    "on read costs the real-time application too much.",
    "Set-MpPreference -RealTimeScanDirection 1 (Incoming) — or the equivalent in the supported "
    "third-party product.",
    (AV, FACTS_AV),
)
NET_DRIVES = rule(
    "POSTURE-AV-002", "Antivirus scans network drives", Severity.LOW, FAMILY,
    "Cisco: do not scan files accessed from remote drives (mapped or UNC); each machine scans "
    "its own disks.",
    "Set-MpPreference -DisableScanningNetworkFiles $true "
    "-DisableScanningMappedNetworkDrivesForFullScan $true.",
    (AV, FACTS_AV),
)
EXCLUSIONS = rule(
    "POSTURE-AV-003", "Application exclusions missing", Severity.MEDIUM, FAMILY,
    "Cisco: exclude the ICM directory (C:\\icm) from all scans and the file types known to "
    "carry no risk (*.hst, *.ems, *.repl, *.localrepl).",
    "Add the missing ExclusionPath/ExclusionExtension entries (Add-MpPreference) or the "
    "product's equivalent.",
    (AV, FACTS_AV),
)
BUSY_SCAN = rule(
    "POSTURE-AV-004", "Scheduled scan in busy hours", Severity.MEDIUM, FAMILY,
    "Cisco: schedule disk scans only at low-usage times (maintenance windows); on Router/PG "
    "not at peak load and not on the hour or half-hour.",
    "Move the scheduled scan (ScanScheduleTime) into the maintenance window, off :00/:30.",
    (AV, FACTS_AV),
    unverified="the busy window is ccsec's option (--busy-hours); Logger/Distributor purge "
    "schedules are collected but their value format is unverified [U]",
)
STALE_DEFS = rule(
    "POSTURE-AV-005", "Antivirus definitions out of date", Severity.HIGH, FAMILY,
    "The guide requires current virus definitions; the HCS design guide asks for daily updates.",
    "Fix the definition update source/schedule (Update-MpSignature, WSUS or the vendor's "
    "server) and check it runs daily.",
    (CCE_SRND_SECURITY.at("Security Overview (latest virus definitions)", "[S]"),
     HCS_SECURITY.at(), FACTS_AV),
    unverified="the age threshold (--max-definition-age, default 2 days) is ccsec's",
)
AV_OFF = rule(
    "POSTURE-AV-006", "Antivirus real-time protection not running", Severity.HIGH, FAMILY,
    "The server runs without active antivirus protection (Defender active but real-time "
    "protection off, or the AV service disabled).",
    "Enable the supported antivirus (Set-MpPreference -DisableRealtimeMonitoring $false) with "
    "Cisco's exclusions and scan-on-write only.",
    (AV, FACTS_AV),
)
AV_CPU = rule(
    "POSTURE-AV-007", "Scan CPU limit above 20 %", Severity.LOW, FAMILY,
    "Cisco: antivirus must not use more than 20 % CPU at any time (Defender's default average "
    "limit is 50 %).",
    "Set-MpPreference -ScanAvgCPULoadFactor 20.",
    (AV, FACTS_AV),
)
NO_HIPS = rule(
    "POSTURE-HIPS-001", "No host intrusion-prevention agent", Severity.MEDIUM, FAMILY,
    "The guide layers a host intrusion-prevention agent (Cisco Security Agent, standalone or "
    "managed) on top of antivirus; none of the known agents' services was found.",
    "Install the supported HIPS/endpoint agent for this release, or record a waiver naming the "
    "product the collector does not know.",
    (CSA,),
    unverified="the service-name list is from general knowledge [U] (ccsec.collector.windows."
    "HIPS_SERVICES)",
)
FW_OFF = rule(
    "POSTURE-FW-001", "Windows Firewall profile disabled", Severity.HIGH, FAMILY,
    "A disabled firewall profile leaves every listening port open; the guide expects the "
    "ports of each component to be known and filtered.",
    "Enable the profile (Set-NetFirewallProfile -Enabled True) with the CCE port rules "
    "(`ccsec ports`).",
    (FW,),
)
SEG_AGENT = rule(
    "POSTURE-SEG-001", "Server address inside an agent desktop network", Severity.HIGH, FAMILY,
    "Desktops live in the open enterprise VLAN; contact-center servers belong in the data "
    "center behind the secure network.",
    "Move the server to a server network (or correct the agent network's prefix).",
    (SEG,),
)
SEG_PUBLIC = rule(
    "POSTURE-SEG-002", "Public address on a server that must not face the internet",
    Severity.HIGH, FAMILY,
    "IPCC servers are not designed to be exposed to the internet (only the web collaboration "
    "option is).",
    "Use private addressing behind the data-center firewall (NAT at the edge), or mark the "
    "host web-collab if it is the web collaboration server.",
    (SEG, SEG_OLD),
)

ALL = (PATCH_AGE, WSUS_MISSING, WSUS_HTTP, RT_READS, NET_DRIVES, EXCLUSIONS, BUSY_SCAN,
       STALE_DEFS, AV_OFF, AV_CPU, NO_HIPS, FW_OFF, SEG_AGENT, SEG_PUBLIC)

ICM_EXTENSIONS = ("hst", "ems", "repl", "localrepl")


@dataclass(frozen=True)
class PostureOptions:
    max_patch_age_days: int = 45
    max_definition_age_days: int = 2
    busy_hours: tuple[int, int] = (7 * 60, 20 * 60)  # minutes after midnight, [start, end)
    icm_root: str = "C:\\icm"
    now: datetime | None = None


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    t = text.strip()
    t = t[:-1] + "+00:00" if t.endswith("Z") else t
    if "." in t:
        head, frac = t.split(".", 1)
        n = len(frac) - len(frac.lstrip("0123456789"))
        t = f"{head}.{frac[:min(n, 6)]}{frac[n:]}"
    try:
        dt = datetime.fromisoformat(t)
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _minutes(text: str | None) -> int | None:
    """ScanScheduleTime as minutes after midnight: ``02:00:00``, ``120`` or a date-time."""
    if not text:
        return None
    t = text.strip()
    minutes = ascii_int(t, 5)  # "²" and 5,000-digit strings pass str.isdigit, not int()
    if minutes is not None:
        return minutes
    dt = _parse_time(t)
    if dt is not None:
        return dt.hour * 60 + dt.minute
    parts = t.split(" ")[-1].split(":")
    hours = ascii_int(parts[0], 2) if len(parts) >= 2 else None
    mins = ascii_int(parts[1], 2) if len(parts) >= 2 else None
    if hours is not None and mins is not None:
        return hours * 60 + mins
    return None


class _Ctx:
    """One host: its export, the deployment host it matches, and where keys are."""

    def __init__(self, hx: HostExport, host: Host | None, opts: PostureOptions) -> None:
        self.hx, self.data, self.host, self.opts = hx, hx.data, host, opts
        self.subject = hx.data.host.computer_name + (f" ({host.name})" if host else "")
        self.now = opts.now or _parse_time(hx.data.collected_at) or datetime.now(UTC)

    def loc(self, key: str) -> Location:
        return Location(self.hx.file, self.hx.line_of(key))

    def f(self, r: CheckRule, msg: str, key: str, severity: Severity | None = None,
          fix: str | None = None) -> Finding:
        return finding(r, self.subject, msg, self.loc(key), fix=fix, severity=severity)


def _patches(c: _Ctx) -> list[Finding]:
    out = []
    dates = [d for h in c.data.hotfixes if (d := _parse_time(h.installed_on))]
    dates += [d for u in c.data.update_history if u.result_code in (2, 3)
              and (d := _parse_time(u.date))]
    limit = timedelta(days=c.opts.max_patch_age_days)
    if not dates:
        out.append(c.f(PATCH_AGE, "no dated hotfix or update-history entry in the export — "
                       "cannot tell when this host was last patched", "hotfixes"))
    elif c.now - max(dates) > limit:
        out.append(c.f(PATCH_AGE, f"newest update installed {max(dates).date()}, "
                       f"{(c.now - max(dates)).days} days before collection (limit "
                       f"{c.opts.max_patch_age_days} days, --max-patch-age)", "hotfixes"))
    wu = c.data.windows_update
    server = (wu.wu_server or "").strip()
    if wu.use_wu_server != 1 or not server:
        why = ("UseWUServer=1 but WUServer is empty" if wu.use_wu_server == 1 else
               "no WUServer/UseWUServer policy: updates come from Microsoft's public service")
        if wu.no_auto_update == 1:
            why += " and automatic updates are disabled (NoAutoUpdate=1)"
        out.append(c.f(WSUS_MISSING, why, "windows_update"))
    elif server.lower().startswith("http://"):
        out.append(c.f(WSUS_HTTP, f"WUServer is {server}", "WUServer"))
    status = (wu.wu_status_server or "").strip().lower()
    if wu.use_wu_server == 1 and status.startswith("http://") and not server.lower().startswith(
            "http://"):
        out.append(c.f(WSUS_HTTP, f"WUStatusServer is {wu.wu_status_server}", "WUStatusServer"))
    return out


def _exclusions(c: _Ctx, p: MpPreference) -> Finding | None:
    paths = {x.rstrip("\\/").lower() for x in p.exclusion_path}
    exts = {x.lstrip("*.").lower() for x in p.exclusion_extension}
    missing = []
    root = c.opts.icm_root.rstrip("\\/").lower()
    if root not in paths:
        missing.append(f"path {c.opts.icm_root}")
    missing += [f"*.{e}" for e in ICM_EXTENSIONS if e not in exts]
    if not missing:
        return None
    return c.f(EXCLUSIONS, "missing exclusions: " + ", ".join(missing), "ExclusionPath")


def _busy_scan(c: _Ctx, p: MpPreference) -> Finding | None:
    if p.scan_schedule_day in (None, 8):
        return None
    minute = _minutes(p.scan_schedule_time)
    if minute is None:
        return None
    start, end = c.opts.busy_hours
    kind = "full" if p.scan_parameters == 2 else "quick"
    when = f"{minute // 60:02d}:{minute % 60:02d}"
    if start <= minute < end:
        return c.f(BUSY_SCAN, f"scheduled {kind} scan at {when}, inside the busy window "
                   f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d} "
                   "(--busy-hours)", "ScanScheduleTime")
    if c.host is not None and c.host.has(Role.ROUTER, Role.PG) and minute % 30 == 0:
        return c.f(BUSY_SCAN, f"scheduled {kind} scan at {when} on a "
                   f"{'/'.join(r.value for r in c.host.roles)} host: Cisco says not on the hour "
                   "or half-hour", "ScanScheduleTime")
    return None


def _antivirus(c: _Ctx) -> list[Finding]:
    d = c.data.defender
    if not d.available or d.preference is None:
        return []
    p, s = d.preference, d.status
    passive = bool(s and (s.am_running_mode or "").lower().startswith(("passive", "edr")))
    out: list[Finding | None] = []
    if s is not None and not passive and (p.disable_realtime_monitoring
                                          or s.real_time_protection_enabled is False
                                          or s.antivirus_enabled is False):
        out.append(c.f(AV_OFF, "Defender is the active antivirus but real-time protection is "
                       "off", "RealTimeProtectionEnabled"))
    if not passive and not p.disable_realtime_monitoring:
        if p.real_time_scan_direction in (0, None):
            out.append(c.f(RT_READS, "RealTimeScanDirection=0 (both): files are scanned on "
                           "read as well as on write", "RealTimeScanDirection"))
        elif p.real_time_scan_direction == 2:
            out.append(c.f(RT_READS, "RealTimeScanDirection=2 (outgoing only): incoming files "
                           "are NOT scanned", "RealTimeScanDirection", severity=Severity.HIGH,
                           fix="Set-MpPreference -RealTimeScanDirection 1 (Incoming)"))
    nets = [n for n, v in (("DisableScanningNetworkFiles", p.disable_scanning_network_files),
                           ("DisableScanningMappedNetworkDrivesForFullScan",
                            p.disable_scanning_mapped_network_drives_for_full_scan)) if not v]
    if nets:
        out.append(c.f(NET_DRIVES, " and ".join(f"{n} is not set" for n in nets),
                       "DisableScanningNetworkFiles"))
    out += [_exclusions(c, p), _busy_scan(c, p)]
    if p.scan_avg_cpu_load_factor is not None and (p.scan_avg_cpu_load_factor == 0
                                                   or p.scan_avg_cpu_load_factor > 20):
        out.append(c.f(AV_CPU, f"ScanAvgCPULoadFactor={p.scan_avg_cpu_load_factor}"
                       + (" (no throttling)" if p.scan_avg_cpu_load_factor == 0 else ""),
                       "ScanAvgCPULoadFactor"))
    out.append(_definitions(c))
    return [f for f in out if f is not None]


def _definitions(c: _Ctx) -> Finding | None:
    s = c.data.defender.status
    if s is None:
        return None
    age = None
    updated = _parse_time(s.antivirus_signature_last_updated)
    if updated is not None:
        age = (c.now - updated).days
    elif s.antivirus_signature_age is not None:
        age = s.antivirus_signature_age
    if age is None or age <= c.opts.max_definition_age_days:
        return None
    return c.f(STALE_DEFS, f"definitions {age} days old at collection (limit "
               f"{c.opts.max_definition_age_days}, --max-definition-age)",
               "AntivirusSignatureLastUpdated")


def _hips_fw(c: _Ctx) -> list[Finding]:
    out = []
    if "hips" not in {e.section for e in c.data.errors} and not c.data.hips.found:
        out.append(c.f(NO_HIPS, "none of the known HIPS/endpoint agent services is installed "
                       f"(looked for: {', '.join(c.data.hips.checked) or 'none'})", "hips"))
    for prof in c.data.firewall_profiles:
        if (prof.enabled or "").lower() in ("false", "0"):
            out.append(c.f(FW_OFF, f"firewall profile {prof.name} is disabled",
                           "firewall_profiles"))
    return out


def _addresses(data: CollectorExport) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    out = []
    for a in data.host.addresses:
        try:
            out.append(ipaddress.ip_address(a.ip_address.split("%")[0]))
        except ValueError:
            continue
    return out


def _segmentation_of(subject: str, role_names: list[Role] | None,
                     addrs: list[ipaddress.IPv4Address | ipaddress.IPv6Address],
                     dep: Deployment, loc: Location | None) -> list[Finding]:
    out = []
    for a in addrs:
        for net in dep.agent_networks:
            if a.version == 4 and a in net.prefix:
                out.append(finding(SEG_AGENT, subject, f"{a} is inside agent network "
                                   f"{net.name} ({net.prefix})", loc))
        web = role_names is not None and Role.WEB_COLLAB in role_names
        if a.is_global and not web:
            out.append(finding(SEG_PUBLIC, subject, f"{a} is a public (globally routable) "
                               "address", loc))
    return out


def segmentation(dep: Deployment, deployment_file: str) -> list[Finding]:
    """Deployment-only segmentation checks (no collector file needed)."""
    out = []
    for h in dep.hosts:
        addrs: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [
            a for a in (h.public, h.private) if a is not None]
        out += _segmentation_of(h.name, list(h.roles), addrs, dep, Location(deployment_file))
    return out


def match_host(data: CollectorExport, dep: Deployment | None) -> Host | None:
    if dep is None:
        return None
    name = data.host.computer_name.split(".")[0].lower()
    addrs = {str(a) for a in _addresses(data)}
    for h in dep.hosts:
        if h.name.lower() == name or {str(h.public), str(h.private)} & addrs:
            return h
    return None


def check_host(hx: HostExport, dep: Deployment | None, opts: PostureOptions) -> list[Finding]:
    host = match_host(hx.data, dep)
    c = _Ctx(hx, host, opts)
    out = _patches(c) + _antivirus(c) + _hips_fw(c)
    if dep is not None:
        declared = {str(a) for a in (host.public, host.private) if a} if host else set()
        extra = [a for a in _addresses(hx.data) if str(a) not in declared]  # deployment: once
        out += _segmentation_of(c.subject, list(host.roles) if host else None, extra, dep,
                                c.loc("Addresses"))
    return out
