"""The public documents the rules cite, and what the evidence markers in rule texts mean.

A citation a user can follow: an RFC section (``RFC 8247 §2.4``), or a document's title with
its address (``Cisco, Security Guide for Cisco Unified ICM/Contact Center Enterprise 12.6(2),
“IPsec and NAT Support” › Supported Communication Paths — https://…``).  Every rule cites only
such sources (``tests/ux/test_ux_citations.py`` holds them to it); ccsec's own design notes are
not shipped and are never cited.

Rule texts carry evidence markers where a fact is weaker than a vendor's reference page;
:data:`MARKERS` says what each means and ``ccsec explain`` prints it.
"""

from __future__ import annotations

from dataclasses import dataclass

#: evidence markers used in rule texts, findings and rendered files' comments
MARKERS: dict[str, str] = {
    "[D]": "documented: the vendor's own reference (guide, command help, man page) for the "
           "product named says so",
    "[O]": "observed: seen in public configurations, scripts or a sibling product's "
           "documentation, not in the vendor's reference for this product",
    "[S]": "secondary source: read in a copy or quotation of the primary text (mirror, "
           "Q&A, vendor-copied text); believed, but re-check against the primary",
    "[P]": "public third-party copy: taken from a public wrapper, sample or community note "
           "(e.g. counter names from generated WMI classes), not from the vendor's page",
    "[U]": "unverified: inference or general knowledge, not read in a primary text; "
           "confirm on a real system before relying on it",
    "[V]": "verify on a real target: the documentation is missing or contradicts practice",
}


@dataclass(frozen=True)
class Doc:
    """A public document: who published it, its title, and where to read it."""

    title: str
    url: str

    def at(self, where: str = "", mark: str = "") -> str:
        """The citation, optionally narrowed to a chapter or section (``› Section``) and
        with an evidence marker (``[S]``: read in a copy, …) before the address."""
        return (f"{self.title}{f' › {where}' if where else ''}{f' {mark}' if mark else ''}"
                f" — {self.url}")


def rfc(number: int, section: str, note: str = "") -> str:
    """``RFC 8247 §2.4 (note)`` — the section a reader opens on rfc-editor.org."""
    return f"RFC {number} §{section}" + (f" ({note})" if note else "")


def cve(cve_id: str, note: str) -> str:
    return f"{cve_id} ({note}) — https://nvd.nist.gov/vuln/detail/{cve_id}"


RFC9395 = Doc(
    "RFC 9395, Deprecation of the Internet Key Exchange Version 1 (IKEv1) Protocol and "
    "Obsoleted Algorithms (abstract: IKEv1 deprecated, RFCs 2407–2409 Historic)",
    "https://www.rfc-editor.org/rfc/rfc9395").at()


# ------------------------------------------------------------------- Cisco contact center

CCE_IPSEC = Doc(
    "Cisco, Security Guide for Cisco Unified ICM/Contact Center Enterprise, Release 12.6(2), "
    "chapter “IPsec and NAT Support”",
    "https://www.cisco.com/c/en/us/td/docs/voice_ip_comm/cust_contact/contact_center/"
    "icm_enterprise/icm_enterprise_12_6_2/configuration/guide/"
    "ucce_b_security-guide-for-cisco-unified-icm_contact_center_-enterprise_release_1262/"
    "ucce_m_ipsec-and-nat-support-1.html")
CCE_ISOLATION = Doc(
    "Cisco, Security Guide for Cisco Unified ICM/Contact Center Enterprise, Release 12.5(1), "
    "chapter “IPsec with Network Isolation Utility”",
    "https://www.cisco.com/c/en/us/td/docs/voice_ip_comm/cust_contact/contact_center/"
    "icm_enterprise/icm_enterprise_12_5_1/configuration/guide/ucce_b_125-security-guide/"
    "ucce_b_125-security-guide_chapter_0101.html")
CCE_SOLUTION_SECURITY = Doc(
    "Cisco, Solution Design Guide for Cisco Unified Contact Center Enterprise, Release "
    "12.5(1), chapter “Solution Security”",
    "https://cisco.com/c/en/us/td/docs/voice_ip_comm/cust_contact/contact_center/"
    "icm_enterprise/icm_enterprise_12_5_1/design/guide/ucce_b_soldg-for-unified-cce-12_5/"
    "ucce_b_soldg-for-unified-cce-12_5_chapter_0111.html")
CCE_SRND_SECURITY = Doc(
    "Cisco, Unified Contact Center Enterprise 7.5 Solution Reference Network Design (SRND), "
    "chapter 8 “Securing Unified CCE” (the successor of the IPCC SRND chapter “Securing "
    "IPCC”), public copy",
    "https://manualsbrain.com/en/manuals/1694762/?page=289")
CCE_ANTIVIRUS = Doc(
    "Cisco, Security Guide for Cisco Unified ICM/Contact Center Enterprise, Release 15.0(1), "
    "“General Antivirus Guidelines”",
    "https://www.cisco.com/c/en/us/td/docs/voice_ip_comm/cust_contact/contact_center/"
    "icm_enterprise/icm_enterprise_15_0_1/configuration/guide/"
    "ucce_b_security-guide-for-cisco-unified-icm-contact-center-enterprise-release-15-0/"
    "general_antivirus_guidelines.html")
HCS_SECURITY = Doc(
    "Cisco, Solution Design Guide for Cisco HCS for Contact Center, Release 12.5, chapter "
    "“Solution Security”",
    "https://www.cisco.com/c/en/us/td/docs/voice_ip_comm/cust_contact/contact_center/hcs-cc/"
    "12_5_1/Solution_Design_Guide/hcscc_b_soldg-for-hcs-cc-12_5/"
    "hcscc_b_soldg-for-hcs-cc-12_5_chapter_0111.html")
CTIOS_MONITOR = Doc(
    "Cisco, CTI OS System Manager Guide for Cisco Unified ICM/Contact Center Enterprise, "
    "Release 12.6(1), “CTI OS Silent Monitor Installation and Configuration”",
    "https://www.cisco.com/c/en/us/td/docs/voice_ip_comm/cust_contact/contact_center/"
    "icm_enterprise/icm_enterprise_12_6_1/installation/guide/"
    "ucce_b_cti-os-system-manager-guide12-6-1/ucce_b_cti-os-system-manager-guide12-5_chapter_"
    "0100.html")

# ------------------------------------------------------------- Cisco Communications Manager

CUCM_IPSEC = Doc(
    "Cisco, Administration Guide for Cisco Unified Communications Manager, Release 15, "
    "“Manage IPSec Policies”",
    "https://www.cisco.com/c/en/us/td/docs/voice_ip_comm/cucm/admin/15/adminGd/"
    "cucm_b_administration-guide-15/cucm_b_test-adminguide_chapter_010001.html")
CUCM_IPSEC_SETUP = Doc(
    "Cisco, Security Guide for Cisco Unified Communications Manager, Release 12.5(1)SU3, "
    "“IPSec Setup”",
    "https://www.cisco.com/c/en/us/td/docs/voice_ip_comm/cucm/security/12_5_1SU3/"
    "cucm_b_security_guide_1251SU3/cucm_m_ipsec-setup.html")
CUCM_PHONE_HARDENING = Doc(
    "Cisco, Security Guide for Cisco Unified Communications Manager, Release 12.5(1), "
    "“Phone Hardening”",
    "https://www.cisco.com/c/en/us/td/docs/voice_ip_comm/cucm/security/12_5_1/"
    "cucm_b_security-guide-1251/cucm_b_security-guide-1251_chapter_01110.html")

# ------------------------------------------------------------------------ Cisco IOS, crypto

CISCO_NGE = Doc(
    "Cisco, Next Generation Encryption (recommendations for cryptographic algorithms: "
    "Avoid / Legacy / Acceptable / NGE)",
    "https://www.cisco.com/c/en/us/about/security-center/next-generation-cryptography.html")
IOS_NAT_ORDER = Doc(
    "Cisco, NAT Order of Operation (inside-to-outside: NAT before the crypto map)",
    "https://www.cisco.com/c/en/us/support/docs/ip/network-address-translation-nat/6209-5.html")
IOS_IKEV2_LEGACY = Doc(
    "Cisco, IOS FlexVPN and IKEv2 Configuration Guide, “Appendix: IKEv2 and Legacy VPNs”",
    "https://www.cisco.com/en/US/docs/ios-xml/ios/sec_conn_ike2vpn/configuration/15-2mt/"
    "sec-apx-ikev2-legacy.html")

# -------------------------------------------------------------------------------- Microsoft

MS_NEW_IPSEC_RULE = Doc(
    "Microsoft, New-NetIPsecRule (NetSecurity module)",
    "https://learn.microsoft.com/en-us/powershell/module/netsecurity/new-netipsecrule")
MS_AUTH_PROPOSAL = Doc(
    "Microsoft, New-NetIPsecAuthProposal (NetSecurity module)",
    "https://learn.microsoft.com/powershell/module/netsecurity/new-netipsecauthproposal")
MS_IPSEC_ALGORITHMS = Doc(
    "Microsoft, IPsec Algorithms and Methods Supported in Windows",
    "https://go.microsoft.com/fwlink/?linkid=129230")
MS_NETSH_IPSEC = Doc(
    "Microsoft, Netsh commands for Internet Protocol security (IPsec), netsh ipsec static",
    "https://learn.microsoft.com/en-us/previous-versions/windows/it-pro/"
    "windows-server-2003/cc739550(v=ws.10)")
MS_WFP_AUDITING = Doc(
    "Microsoft, Windows Filtering Platform: Auditing and Logging (events 4650–4655, "
    "4976–4984, 5451–5453)",
    "https://learn.microsoft.com/en-us/windows/win32/fwp/auditing-and-logging")
MS_IKE_ERRORS = Doc(
    "Microsoft, System Error Codes (12000–15999): ERROR_IPSEC_IKE_*",
    "https://learn.microsoft.com/windows/win32/debug/system-error-codes--12000-15999-")
MS_TYPEPERF = Doc(
    "Microsoft, typeperf (Windows commands)",
    "https://learn.microsoft.com/windows-server/administration/windows-commands/typeperf")
MS_BOTTLENECKS = Doc(
    "Microsoft, Windows 2000 Resource Kit, “Identifying Potential Bottlenecks” (table 5.8)",
    "https://learn.microsoft.com/en-us/previous-versions/windows/it-pro/windows-2000-server/"
    "cc938549(v=technet.10)")
MS_COMMON_COUNTERS = Doc(
    "Microsoft, Exchange Server 2010 “Common Counters” (processor, memory, paging thresholds)",
    "https://learn.microsoft.com/en-us/previous-versions/exchange-server/exchange-140/"
    "ff367896(v=exchg.140)")
MS_UPDATE_SETTINGS = Doc(
    "Microsoft, Manage additional Windows Update settings (WUServer, WUStatusServer)",
    "https://learn.microsoft.com/en-us/windows/deployment/update/waas-wu-settings")
MS_GET_HOTFIX = Doc(
    "Microsoft, Get-HotFix (Microsoft.PowerShell.Management)",
    "https://learn.microsoft.com/en-us/powershell/module/microsoft.powershell.management/"
    "get-hotfix")
MS_DEFENDER_PREFS = Doc(
    "Microsoft, Set-MpPreference (Defender module)",
    "https://learn.microsoft.com/en-us/powershell/module/defender/set-mppreference")

# --------------------------------------------------------------------- other public sources

STRONGSWAN_SWANCTL = Doc(
    "strongSwan documentation, swanctl.conf",
    "https://docs.strongswan.org/docs/latest/swanctl/swanctlConf.html")
STRONGSWAN_SOURCE = Doc(
    "strongSwan source code, charon IKE tasks (log message texts)",
    "https://github.com/strongswan/strongswan")
VYOS_IPSEC_TROUBLESHOOTING = Doc(
    "VyOS documentation, Troubleshooting Site-to-Site VPN IPsec (charon log messages)",
    "https://docs.vyos.io/en/latest/configuration/vpn/ipsec/troubleshooting_ipsec.html")
IKE_SCAN = Doc(
    "ike-scan README (aggressive-mode PSK capture and psk-crack)",
    "https://github.com/royhills/ike-scan")
IANA_IKEV2 = Doc(
    "IANA, Internet Key Exchange Version 2 (IKEv2) Parameters, transform types and their "
    "“Deprecated” status",
    "https://www.iana.org/assignments/ikev2-parameters")
NIST_800_77 = Doc(
    "NIST SP 800-77 Rev. 1, Guide to IPsec VPNs",
    "https://doi.org/10.6028/NIST.SP.800-77r1")
PYWSUS = Doc(
    "GoSecure, pywsus (serving malicious updates to clients of a WSUS reached over http)",
    "https://github.com/GoSecure/pywsus")
INSPEC_WAIVERS = Doc(
    "Chef InSpec, Waivers (expiration_date)",
    "https://docs.chef.io/inspec/waivers/")
