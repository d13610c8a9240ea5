"""The JSON file the ccsec Windows collector writes (``ccsec collector windows``) — its schema.

One file per host.  The envelope keys are ccsec's (snake_case); objects projected from Windows
cmdlets keep the cmdlet property names (PascalCase), so each field can be looked up in the
cmdlet's documentation.  Enum values are strings (the collector casts with ``[string]``, as
platform-syntax.md §4.5 recommends: Windows PowerShell 5.1 has no ``-EnumsAsStrings``), dates
are ISO-8601 strings (``.ToString('o')``).  ``ccsec collector windows --schema`` prints the JSON
Schema of this model.

The ``ipsec`` part is the input of the NetIPsec → policy importer (issue [audit]); it is the
§4.5 projection, complete:

* ``Rules``: ``Get-NetIPsecRule -PolicyStore ActiveStore -TracePolicyStore`` flattened with the
  rule's address, port, protocol and interface-type filters
  (``Get-NetFirewall{Address,Port,InterfaceType}Filter -AssociatedNetIPsecRule``) and its
  ``PolicyStoreSource``;
* ``MainModeRules`` (``Get-NetIPsecMainModeRule``) with their address filters;
* ``MainModeCryptoSets`` / ``QuickModeCryptoSets`` with their ordered proposals;
* ``Phase1AuthSets`` / ``Phase2AuthSets`` with their ordered proposals — a pre-shared key is
  NEVER copied: the collector records only ``PreSharedKeyPresent``;
* ``FirewallSetting`` (``Get-NetFirewallSetting -PolicyStore ActiveStore``: IPsec through NAT,
  exemptions, CRL level, key encoding…);
* ``NetshIpsecStatic``: the text of ``netsh ipsec static show all`` (the legacy store Cisco's
  wizard procedure creates), every line that carries a pre-shared key redacted by the collector.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_pascal

SCHEMA_ID = "ccsec-windows-collector/1"
REDACTED = "<redacted>"


def _lists(cls: type[BaseModel], data: Any) -> Any:
    """PowerShell writes ``null`` for an empty array and a bare value for a one-item array
    that lost its ``@()``: both are read as lists here."""
    if not isinstance(data, dict):
        return data
    out = dict(data)
    for name, f in cls.model_fields.items():
        if getattr(f.annotation, "__origin__", None) is not list:
            continue
        for key in {name, f.alias or name}:
            if key in out and out[key] is None:
                out[key] = []
            elif key in out and not isinstance(out[key], list):
                out[key] = [out[key]]
    return out


class _Win(BaseModel):
    """Objects projected from cmdlets: PascalCase keys, unknown keys kept (newer collectors)."""

    model_config = ConfigDict(alias_generator=to_pascal, populate_by_name=True, extra="allow",
                              frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _powershell_lists(cls, data: Any) -> Any:
        return _lists(cls, data)


class _Ccsec(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _powershell_lists(cls, data: Any) -> Any:
        return _lists(cls, data)


# ------------------------------------------------------------------- IPsec (§4.5)

class QmProposal(_Win):
    encapsulation: str | None = None  # None | AH | ESP | AH, ESP
    encryption: str | None = None  # None, DES, DES3, AES128 … AESGCM256
    esp_hash: str | None = Field(default=None, alias="ESPHash")
    ah_hash: str | None = Field(default=None, alias="AHHash")
    max_minutes: int | None = None
    max_kilo_bytes: int | None = None


class QuickModeCryptoSet(_Win):
    name: str
    display_name: str | None = None
    perfect_forward_secrecy_group: str | None = None  # None, DH1 … DH24, SameAsMainMode
    proposal: list[QmProposal] = Field(default_factory=list)
    policy_store_source: str | None = None


class MmProposal(_Win):
    encryption: str | None = None
    hash: str | None = None
    key_exchange: str | None = None  # DH1, DH2, DH14, DH19, DH20, DH24


class MainModeCryptoSet(_Win):
    name: str
    display_name: str | None = None
    proposal: list[MmProposal] = Field(default_factory=list)
    max_minutes: int | None = None
    max_sessions: int | None = None
    force_diffie_hellman: bool | None = None
    policy_store_source: str | None = None


class AuthProposal(_Win):
    authentication_method: str | None = None  # MachineKerberos, MachineCert, MachinePreSharedKey…
    authority: str | None = None  # CA subject DN (certificates)
    authority_type: str | None = None  # Root | Intermediate
    signing: str | None = None  # RSA | ECDSA256 | ECDSA384
    proxy: str | None = None  # Kerberos proxy
    pre_shared_key_present: bool = False  # the key itself is never collected


class AuthSet(_Win):
    name: str
    display_name: str | None = None
    proposal: list[AuthProposal] = Field(default_factory=list)
    policy_store_source: str | None = None


class IpsecRule(_Win):
    """One connection security rule with its filters (``MSFT_NetConSecRule`` + filters)."""

    name: str
    display_name: str | None = None
    description: str | None = None
    display_group: str | None = None
    enabled: str | None = None  # True | False
    mode: str | None = None  # Transport | Tunnel | None
    inbound_security: str | None = None  # None | Request | Require
    outbound_security: str | None = None
    key_module: str | None = None  # Default | IKEv1 | AuthIP | IKEv2
    phase1_auth_set: str | None = None
    phase2_auth_set: str | None = None
    quick_mode_crypto_set: str | None = None
    profile: str | None = None
    local_address: list[str] = Field(default_factory=list)
    remote_address: list[str] = Field(default_factory=list)
    local_tunnel_endpoint: list[str] = Field(default_factory=list)
    remote_tunnel_endpoint: list[str] = Field(default_factory=list)
    protocol: str | None = None
    local_port: list[str] = Field(default_factory=list)
    remote_port: list[str] = Field(default_factory=list)
    interface_type: list[str] = Field(default_factory=list)
    policy_store_source: str | None = None
    policy_store_source_type: str | None = None


class MainModeRule(_Win):
    name: str
    display_name: str | None = None
    enabled: str | None = None
    main_mode_crypto_set: str | None = None
    phase1_auth_set: str | None = None
    profile: str | None = None
    local_address: list[str] = Field(default_factory=list)
    remote_address: list[str] = Field(default_factory=list)
    policy_store_source: str | None = None


class FirewallSetting(_Win):
    allow_ipsec_through_nat: str | None = Field(default=None, alias="AllowIPsecThroughNAT")
    exemptions: str | None = None
    cert_validation_level: str | None = None
    key_encoding: str | None = None
    max_sa_idle_time_seconds: int | None = Field(default=None, alias="MaxSAIdleTimeSeconds")
    require_full_auth_support: str | None = None
    enable_packet_queuing: str | None = None


class IpsecExport(_Win):
    rules: list[IpsecRule] = Field(default_factory=list)
    main_mode_rules: list[MainModeRule] = Field(default_factory=list)
    main_mode_crypto_sets: list[MainModeCryptoSet] = Field(default_factory=list)
    quick_mode_crypto_sets: list[QuickModeCryptoSet] = Field(default_factory=list)
    phase1_auth_sets: list[AuthSet] = Field(default_factory=list)
    phase2_auth_sets: list[AuthSet] = Field(default_factory=list)
    firewall_setting: FirewallSetting | None = None
    netsh_ipsec_static: str | None = None


# ------------------------------------------------------------------------- posture

class Address(_Win):
    interface_alias: str | None = None
    ip_address: str = Field(alias="IPAddress")
    prefix_length: int | None = None
    address_family: str | None = None


class HostInfo(_Win):
    computer_name: str
    domain: str | None = None
    os_caption: str | None = None
    os_version: str | None = None
    addresses: list[Address] = Field(default_factory=list)


class Hotfix(_Win):
    hot_fix_id: str = Field(alias="HotFixID")
    description: str | None = None
    installed_on: str | None = None  # ISO-8601, or null (Win32_QuickFixEngineering quirk [U])
    installed_by: str | None = None


class UpdateHistory(_Win):
    date: str | None = None
    title: str | None = None
    result_code: int | None = None  # WUA OperationResultCode: 2 = succeeded [U]
    operation: int | None = None


class WindowsUpdatePolicy(_Win):
    """HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate(\\AU) [S19]; null = not set."""

    wu_server: str | None = Field(default=None, alias="WUServer")
    wu_status_server: str | None = Field(default=None, alias="WUStatusServer")
    use_wu_server: int | None = Field(default=None, alias="UseWUServer")
    no_auto_update: int | None = None
    au_options: int | None = Field(default=None, alias="AUOptions")
    scheduled_install_day: int | None = None
    scheduled_install_time: int | None = None
    do_not_connect_to_windows_update_internet_locations: int | None = None
    target_group: str | None = None


class MpPreference(_Win):
    """Get-MpPreference subset [S27]; enums as numbers."""

    disable_realtime_monitoring: bool | None = None
    real_time_scan_direction: int | None = None  # 0 both, 1 incoming, 2 outgoing
    disable_scanning_network_files: bool | None = None
    disable_scanning_mapped_network_drives_for_full_scan: bool | None = None
    exclusion_path: list[str] = Field(default_factory=list)
    exclusion_extension: list[str] = Field(default_factory=list)
    exclusion_process: list[str] = Field(default_factory=list)
    scan_schedule_day: int | None = None  # 0 every day, 1-7 Sun-Sat, 8 never
    scan_schedule_time: str | None = None  # hh:mm:ss or minutes after midnight
    scan_parameters: int | None = None  # 1 quick, 2 full
    scan_avg_cpu_load_factor: int | None = Field(default=None, alias="ScanAvgCPULoadFactor")
    disable_archive_scanning: bool | None = None
    disable_behavior_monitoring: bool | None = None
    disable_ioav_protection: bool | None = Field(default=None, alias="DisableIOAVProtection")
    signature_update_interval: int | None = None


class MpStatus(_Win):
    """Get-MpComputerStatus subset [P]."""

    am_service_enabled: bool | None = Field(default=None, alias="AMServiceEnabled")
    antivirus_enabled: bool | None = None
    real_time_protection_enabled: bool | None = None
    on_access_protection_enabled: bool | None = None
    am_running_mode: str | None = Field(default=None, alias="AMRunningMode")
    antivirus_signature_version: str | None = None
    antivirus_signature_last_updated: str | None = None
    antivirus_signature_age: int | None = None
    full_scan_age: int | None = None
    quick_scan_age: int | None = None


class Defender(_Ccsec):
    available: bool = False
    preference: MpPreference | None = None
    status: MpStatus | None = None


class Service(_Win):
    name: str
    display_name: str | None = None
    status: str | None = None
    start_type: str | None = None


class Hips(_Ccsec):
    #: service names looked for (the collector's list, ``ccsec.collector.windows.HIPS_SERVICES``)
    checked: list[str] = Field(default_factory=list)
    found: list[Service] = Field(default_factory=list)


class FirewallProfile(_Win):
    name: str
    enabled: str | None = None
    default_inbound_action: str | None = None
    default_outbound_action: str | None = None
    allow_local_ipsec_rules: str | None = Field(default=None, alias="AllowLocalIPsecRules")


class RegistryValue(_Ccsec):
    key: str
    name: str
    value: str | None = None


class IpsecEvent(_Ccsec):
    """A Security-log IPsec event: ``EventData`` ``Data`` elements by ``Name``."""

    id: int
    time: str | None = None
    computer: str | None = None
    data: dict[str, str] = Field(default_factory=dict)


class SectionError(_Ccsec):
    section: str
    message: str


class CollectorExport(_Ccsec):
    """The whole file."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    schema_id: Literal["ccsec-windows-collector/1"] = Field(alias="schema")
    collector_version: str | None = None
    collected_at: str | None = None
    host: HostInfo
    ipsec: IpsecExport = Field(default_factory=IpsecExport)
    hotfixes: list[Hotfix] = Field(default_factory=list)
    update_history: list[UpdateHistory] = Field(default_factory=list)
    windows_update: WindowsUpdatePolicy = Field(default_factory=WindowsUpdatePolicy)
    defender: Defender = Field(default_factory=Defender)
    hips: Hips = Field(default_factory=Hips)
    firewall_profiles: list[FirewallProfile] = Field(default_factory=list)
    icm_schedules: list[RegistryValue] = Field(default_factory=list)
    ipsec_events: list[IpsecEvent] = Field(default_factory=list)
    errors: list[SectionError] = Field(default_factory=list)
