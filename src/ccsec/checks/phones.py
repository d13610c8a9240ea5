"""Phone rules over a Communications Manager phone export.

Whether a phone's agent needs desktop-based silent monitoring/recording decides what the PC
port settings must be: CTI OS/desktop monitoring needs PC Port, PC Voice VLAN Access and Span to
PC Port enabled; Communications Manager-based monitoring (the phone mixes the media) does not
(CTI OS System Manager Guide, silent monitor chapter).  The mode comes from ``--monitoring``
or from the deployment's agent networks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ccsec.collector.phones import Phone
from ccsec.deployment.model import Deployment
from ccsec.findings.model import Finding, Location, Severity, finding, rule
from ccsec.findings.sources import (
    CCE_SRND_SECURITY,
    CTIOS_MONITOR,
    CUCM_PHONE_HARDENING,
    HCS_SECURITY,
)

FAMILY = "phones"
SEED_PHONE = CCE_SRND_SECURITY.at("phone settings: disabling PC access also disables "
                                  "monitoring", "[S]")
SEED_AUTH = CCE_SRND_SECURITY.at("device authentication: not supported on Cisco 7940/7960", "[S]")
SEED_MEDIA = CCE_SRND_SECURITY.at("media encryption: silent monitoring and recording are "
                                  "lost", "[S]")
MONITOR = CTIOS_MONITOR.at()
HARDENING = CUCM_PHONE_HARDENING.at("PC Port, PC Voice VLAN Access, Span to PC Port, "
                                    "Gratuitous ARP")

PC_PORT = rule("PHONE-001", "PC Port disabled where desktop monitoring/recording applies",
               Severity.MEDIUM, FAMILY,
               "The agent PC behind the phone needs the PC port for desktop-based silent "
               "monitoring and recording; disabling it silently breaks them.",
               "Set PC Port = Enabled on the phone (or its Common Phone Profile).",
               (SEED_PHONE, MONITOR, HARDENING))
VOICE_VLAN = rule("PHONE-002", "PC Voice VLAN Access disabled where desktop monitoring/recording "
                  "applies", Severity.MEDIUM, FAMILY,
                  "Desktop monitoring reads the voice VLAN traffic through the PC port; with PC "
                  "Voice VLAN Access disabled the PC never sees it.",
                  "Set PC Voice VLAN Access = Enabled for agent phones.",
                  (SEED_PHONE, MONITOR, HARDENING))
SPAN = rule("PHONE-003", "Span to PC Port disabled where desktop monitoring/recording applies",
            Severity.MEDIUM, FAMILY,
            "CTI OS/desktop silent monitoring needs the phone's own traffic spanned to the PC "
            "port (disabled by default).",
            "Set Span to PC Port = Enabled for agent phones (needs PC Voice VLAN Access).",
            (MONITOR, HARDENING))
AUTH_MODEL = rule("PHONE-004", "Device authentication on a model the contact center does not "
                  "support it on", Severity.HIGH, FAMILY,
                  "The guide: IPCC does not support device authentication for Cisco 7940/7960.",
                  "Use a non-secure security profile on these models (or replace the phones).",
                  (SEED_AUTH,))
MEDIA = rule("PHONE-005", "Media encryption where silent monitoring/recording is expected",
             Severity.HIGH, FAMILY,
             "With media encryption (Encrypted security mode, SRTP) agents lose silent "
             "monitoring and recording (Cisco's contact center design guide); many CCE "
             "components cannot handle SRTP.",
             "Use the Authenticated (or Non Secure) security profile for monitored/recorded "
             "agent phones.", (SEED_MEDIA, HCS_SECURITY.at()))
AUTH_PERF = rule("PHONE-006", "Device authentication enabled without performance testing",
                 Severity.LOW, FAMILY,
                 "The guide advises against device authentication unless performance was tested "
                 "thoroughly in the target environment (Communications Manager load).",
                 "Confirm the Communications Manager capacity test covers authenticated phones.",
                 (SEED_AUTH,))
GARP = rule("PHONE-007", "Gratuitous ARP accepted", Severity.LOW, FAMILY,
            "Cisco recommends disabling Gratuitous ARP on phones to prevent man-in-the-middle "
            "spoofing (some third-party recorders rely on it).",
            "Set Gratuitous ARP = Disabled unless a recorder needs it.",
            (HARDENING, HCS_SECURITY.at()))

ALL = (PC_PORT, VOICE_VLAN, SPAN, AUTH_MODEL, MEDIA, AUTH_PERF, GARP)

#: models the seed names for "device authentication not supported" (7940/7960)
NO_AUTH_MODELS = re.compile(r"\b79(?:40|60)G?\b")


@dataclass(frozen=True)
class Monitoring:
    """Per device pool (lower-case) the monitoring mode; ``default`` for the rest."""

    default: str  # desktop | cm | none
    by_pool: dict[str, str]
    #: some phone's device pool is named like an agent network: the others are not agent phones
    pools_matched: bool = False

    def of(self, phone: Phone) -> str:
        if phone.pool.lower() in self.by_pool:
            return self.by_pool[phone.pool.lower()]
        return "none" if self.pools_matched else self.default

    def bind(self, phones: list[Phone]) -> Monitoring:
        matched = any(p.pool.lower() in self.by_pool for p in phones)
        return Monitoring(self.default, self.by_pool, matched)


def monitoring_from(dep: Deployment | None, explicit: str | None) -> Monitoring:
    """``--monitoring`` wins; else the deployment (agent network with silent_monitoring →
    desktop; a device pool named like an agent network takes that network's flag); without
    either, desktop (the seed's assumption).  Once some phone's pool matches an agent network,
    phones in other pools (lobby, back office) are not treated as agent phones."""
    if explicit:
        return Monitoring(explicit, {})
    if dep is None:
        return Monitoring("desktop", {})
    by_pool = {n.name.lower(): "desktop" if n.silent_monitoring else "none"
               for n in dep.agent_networks}
    default = "desktop" if any(n.silent_monitoring for n in dep.agent_networks) else "none"
    return Monitoring(default, by_pool)


def check(phones: list[Phone], file: str, mon: Monitoring) -> list[Finding]:
    mon = mon.bind(phones)
    out = []
    for ph in phones:
        loc = Location(file, ph.line)
        subject = f"{ph.name} ({ph.model})"
        mode = mon.of(ph)
        if mode == "desktop":
            for key, r in (("pc_port", PC_PORT), ("voice_vlan", VOICE_VLAN), ("span", SPAN)):
                if ph.settings.get(key) is False:
                    out.append(finding(r, subject, f"disabled; desktop monitoring/recording "
                                       f"applies (device pool {ph.pool or '-'})", loc))
        if ph.security in ("authenticated", "encrypted"):
            if NO_AUTH_MODELS.search(ph.model):
                out.append(finding(AUTH_MODEL, subject, f"security mode {ph.security} "
                                   f"({ph.security_text}) on {ph.model}", loc))
            else:
                out.append(finding(AUTH_PERF, subject, f"security mode {ph.security}", loc))
        if ph.security == "encrypted" and mode in ("desktop", "cm"):
            out.append(finding(MEDIA, subject, f"Encrypted (SRTP) while {mode}-based silent "
                               "monitoring/recording is expected", loc))
        if ph.settings.get("garp") is True:
            out.append(finding(GARP, subject, "Gratuitous ARP enabled", loc))
    return out
