"""``ccsec collector windows``: ONE read-only PowerShell script that writes one JSON file.

The script is static text (nothing from the user or the deployment is formatted into it; its
only inputs are its own PowerShell parameters), it calls only read cmdlets (Get-*, ConvertTo-*,
Select/Where/ForEach, Test-Path, New-Object for the read-only Windows Update searcher and an
in-memory list) plus ``netsh ipsec static show all`` and writes the result with ``Out-File``.
``ccsec.collector.pscheck`` enforces that in the tests.  The file it writes is described by
``ccsec.collector.schema.CollectorExport``.

Pre-shared keys are never collected: auth proposals carry only ``PreSharedKeyPresent`` and every
``netsh`` output line that mentions a pre-shared key is redacted before it is stored.
Run it elevated (the Security log and ActiveStore need administrator rights); sections that fail
are listed under ``errors`` and the rest is still written.
"""

from __future__ import annotations

#: Windows service names of host intrusion-prevention / endpoint-protection agents the collector
#: looks for (MISSION E4: Cisco Security Agent in the seed; its successors in practice).
#: [U] every name is from general knowledge of the vendors' installers, not checked against a
#: vendor document in this pass — confirm with `Get-Service` on a host that runs the product.
HIPS_SERVICES: dict[str, str] = {
    "CSAgent": "Cisco Security Agent (the HIPS of Cisco's IPCC security guide, end of life) [U]",
    "CiscoAMP": "Cisco Secure Endpoint (AMP for Endpoints) [U]",
    "enterceptAgent": "McAfee Host Intrusion Prevention [U]",
    "SepMasterService": "Symantec Endpoint Protection (IPS component) [U]",
    "ds_agent": "Trend Micro Deep Security Agent [U]",
    "CSFalconService": "CrowdStrike Falcon Sensor [U]",
    "Sense": "Microsoft Defender for Endpoint (EDR sensor) [U]",
    "SentinelAgent": "SentinelOne agent [U]",
    "CbDefense": "VMware Carbon Black Cloud sensor [U]",
}

SCRIPT = r"""<#
  ccsec Windows collector — READ-ONLY. Schema: ccsec-windows-collector/1
  Writes one JSON file with the host's IPsec policy (NetSecurity ActiveStore and the legacy
  netsh ipsec static store), hotfixes, Windows Update/WSUS policy, Defender preferences and
  status, host intrusion-prevention agents, firewall profiles, ICM schedules and recent IPsec
  Security-log events. It changes nothing on the host. Pre-shared keys are never written out.
  Run elevated:  powershell -ExecutionPolicy Bypass -File .\ccsec-collect.ps1 [-OutFile path]
#>
[CmdletBinding()]
param(
  [string]$OutFile = (Join-Path -Path (Get-Location) -ChildPath ('ccsec-' + $env:COMPUTERNAME + '.json')),
  [int]$EventDays = 7,
  [int]$MaxEvents = 2000
)
$ErrorActionPreference = 'Stop'
$errors = New-Object -TypeName 'System.Collections.Generic.List[object]'

function Get-CcsecItems {
  param([string]$Name, [scriptblock]$Block)
  try { return ,@(& $Block) }
  catch { $errors.Add([pscustomobject]@{ section = $Name; message = [string]$_.Exception.Message }); return ,@() }
}
function Get-CcsecObject {
  param([string]$Name, [scriptblock]$Block)
  try { return (& $Block) }
  catch { $errors.Add([pscustomobject]@{ section = $Name; message = [string]$_.Exception.Message }); return $null }
}
function Get-CcsecStrings {
  param($Value)
  if ($null -eq $Value) { return ,@() }
  return ,@($Value | ForEach-Object { [string]$_ })
}
function Get-CcsecIso {
  param($Value)
  if ($null -eq $Value) { return $null }
  try { return ([datetime]$Value).ToString('o') } catch { return [string]$Value }
}
function Get-CcsecValue {
  param($Item, [string]$Name)
  if ($null -eq $Item) { return $null }
  $prop = $Item.PSObject.Properties[$Name]
  if ($null -eq $prop) { return $null }
  return $prop.Value
}

# ---------------------------------------------------------------- host
$hostInfo = Get-CcsecObject 'host' {
  $cs = Get-CimInstance -ClassName Win32_ComputerSystem
  $os = Get-CimInstance -ClassName Win32_OperatingSystem
  [pscustomobject]@{
    ComputerName = $env:COMPUTERNAME; Domain = [string]$cs.Domain
    OsCaption = [string]$os.Caption; OsVersion = [string]$os.Version
    Addresses = @(Get-NetIPAddress | Where-Object { $_.IPAddress -notlike '127.*' -and $_.IPAddress -ne '::1' } | ForEach-Object {
      [pscustomobject]@{ InterfaceAlias = [string]$_.InterfaceAlias; IPAddress = [string]$_.IPAddress
                         PrefixLength = [int]$_.PrefixLength; AddressFamily = [string]$_.AddressFamily } })
  }
}
if ($null -eq $hostInfo) { $hostInfo = [pscustomobject]@{ ComputerName = $env:COMPUTERNAME } }

# ---------------------------------------------- IPsec (Get-NetIPsecRule and its filters)
$rules = Get-CcsecItems 'ipsec.rules' {
  Get-NetIPsecRule -PolicyStore ActiveStore -TracePolicyStore | ForEach-Object {
    $r = $_
    $af = Get-NetFirewallAddressFilter -AssociatedNetIPsecRule $r
    $pf = Get-NetFirewallPortFilter -AssociatedNetIPsecRule $r
    $itf = Get-NetFirewallInterfaceTypeFilter -AssociatedNetIPsecRule $r
    [pscustomobject]@{
      Name = $r.Name; DisplayName = $r.DisplayName; Description = $r.Description; DisplayGroup = $r.DisplayGroup
      Enabled = [string]$r.Enabled; Mode = [string]$r.Mode
      InboundSecurity = [string]$r.InboundSecurity; OutboundSecurity = [string]$r.OutboundSecurity
      KeyModule = [string]$r.KeyModule; Phase1AuthSet = $r.Phase1AuthSet; Phase2AuthSet = $r.Phase2AuthSet
      QuickModeCryptoSet = $r.QuickModeCryptoSet; Profile = [string]$r.Profile
      LocalAddress = (Get-CcsecStrings $af.LocalAddress); RemoteAddress = (Get-CcsecStrings $af.RemoteAddress)
      LocalTunnelEndpoint = (Get-CcsecStrings $r.LocalTunnelEndpoint); RemoteTunnelEndpoint = (Get-CcsecStrings $r.RemoteTunnelEndpoint)
      Protocol = [string]$pf.Protocol; LocalPort = (Get-CcsecStrings $pf.LocalPort); RemotePort = (Get-CcsecStrings $pf.RemotePort)
      InterfaceType = (Get-CcsecStrings $itf.InterfaceType)
      PolicyStoreSource = [string]$r.PolicyStoreSource; PolicyStoreSourceType = [string]$r.PolicyStoreSourceType
    }
  }
}
$mmRules = Get-CcsecItems 'ipsec.main_mode_rules' {
  Get-NetIPsecMainModeRule -PolicyStore ActiveStore -TracePolicyStore | ForEach-Object {
    $r = $_
    $af = Get-NetFirewallAddressFilter -AssociatedNetIPsecMainModeRule $r
    [pscustomobject]@{
      Name = $r.Name; DisplayName = $r.DisplayName; Enabled = [string]$r.Enabled
      MainModeCryptoSet = $r.MainModeCryptoSet; Phase1AuthSet = $r.Phase1AuthSet; Profile = [string]$r.Profile
      LocalAddress = (Get-CcsecStrings $af.LocalAddress); RemoteAddress = (Get-CcsecStrings $af.RemoteAddress)
      PolicyStoreSource = [string]$r.PolicyStoreSource
    }
  }
}
$mmSets = Get-CcsecItems 'ipsec.main_mode_crypto_sets' {
  Get-NetIPsecMainModeCryptoSet -PolicyStore ActiveStore | ForEach-Object {
    [pscustomobject]@{
      Name = $_.Name; DisplayName = $_.DisplayName; MaxMinutes = $_.MaxMinutes; MaxSessions = $_.MaxSessions
      ForceDiffieHellman = [bool]$_.ForceDiffieHellman; PolicyStoreSource = [string]$_.PolicyStoreSource
      Proposal = @($_.Proposal | ForEach-Object {
        [pscustomobject]@{ Encryption = [string]$_.Encryption; Hash = [string]$_.Hash; KeyExchange = [string]$_.KeyExchange } })
    }
  }
}
$qmSets = Get-CcsecItems 'ipsec.quick_mode_crypto_sets' {
  Get-NetIPsecQuickModeCryptoSet -PolicyStore ActiveStore | ForEach-Object {
    [pscustomobject]@{
      Name = $_.Name; DisplayName = $_.DisplayName; PolicyStoreSource = [string]$_.PolicyStoreSource
      PerfectForwardSecrecyGroup = [string]$_.PerfectForwardSecrecyGroup
      Proposal = @($_.Proposal | ForEach-Object {
        [pscustomobject]@{ Encapsulation = [string]$_.Encapsulation; Encryption = [string]$_.Encryption
                           ESPHash = [string]$_.ESPHash; AHHash = [string]$_.AHHash
                           MaxMinutes = $_.MaxMinutes; MaxKiloBytes = $_.MaxKiloBytes } })
    }
  }
}
function Get-CcsecAuthSets {
  param($Sets)
  return ,@($Sets | ForEach-Object {
    [pscustomobject]@{
      Name = $_.Name; DisplayName = $_.DisplayName; PolicyStoreSource = [string]$_.PolicyStoreSource
      Proposal = @($_.Proposal | ForEach-Object {
        [pscustomobject]@{ AuthenticationMethod = [string]$_.AuthenticationMethod; Authority = [string]$_.Authority
                           AuthorityType = [string]$_.AuthorityType; Signing = [string]$_.Signing
                           Proxy = [string]$_.Proxy; PreSharedKeyPresent = [bool]$_.PreSharedKey } })
    } })
}
$p1Sets = Get-CcsecItems 'ipsec.phase1_auth_sets' { Get-CcsecAuthSets (Get-NetIPsecPhase1AuthSet -PolicyStore ActiveStore) }
$p2Sets = Get-CcsecItems 'ipsec.phase2_auth_sets' { Get-CcsecAuthSets (Get-NetIPsecPhase2AuthSet -PolicyStore ActiveStore) }
$fwSetting = Get-CcsecObject 'ipsec.firewall_setting' {
  $s = Get-NetFirewallSetting -PolicyStore ActiveStore
  [pscustomobject]@{
    AllowIPsecThroughNAT = [string]$s.AllowIPsecThroughNAT; Exemptions = [string]$s.Exemptions
    CertValidationLevel = [string]$s.CertValidationLevel; KeyEncoding = [string]$s.KeyEncoding
    MaxSAIdleTimeSeconds = $s.MaxSAIdleTimeSeconds; RequireFullAuthSupport = [string]$s.RequireFullAuthSupport
    EnablePacketQueuing = [string]$s.EnablePacketQueuing
  }
}
$netsh = Get-CcsecObject 'ipsec.netsh_ipsec_static' {
  $lines = & netsh.exe ipsec static show all
  (@($lines) | ForEach-Object {
    $line = [string]$_
    if ($line -match '(?i)pre-?shared|preshared|psk') {
      $head = ($line -split '[:=]', 2)[0]
      if ($head -eq $line) { '<redacted line: pre-shared key>' } else { $head + ': <redacted>' }
    } else { $line }
  }) -join "`n"
}

# --------------------------------------------------------------- patches
$hotfixes = Get-CcsecItems 'hotfixes' {
  Get-HotFix | ForEach-Object {
    $on = $null
    try { if ($_.InstalledOn) { $on = $_.InstalledOn.ToString('o') } } catch { $on = $null }
    [pscustomobject]@{ HotFixID = [string]$_.HotFixID; Description = [string]$_.Description
                       InstalledOn = $on; InstalledBy = [string]$_.InstalledBy }
  }
}
$history = Get-CcsecItems 'update_history' {
  $session = New-Object -ComObject 'Microsoft.Update.Session'
  $searcher = $session.CreateUpdateSearcher()
  $count = $searcher.GetTotalHistoryCount()
  if ($count -gt 0) {
    $searcher.QueryHistory(0, [Math]::Min($count, 200)) | ForEach-Object {
      [pscustomobject]@{ Date = (Get-CcsecIso $_.Date); Title = [string]$_.Title
                         ResultCode = [int]$_.ResultCode; Operation = [int]$_.Operation }
    }
  }
}
$wu = Get-CcsecObject 'windows_update' {
  $base = 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate'
  $p = Get-ItemProperty -Path $base -ErrorAction SilentlyContinue
  $au = Get-ItemProperty -Path ($base + '\AU') -ErrorAction SilentlyContinue
  [pscustomobject]@{
    WUServer = (Get-CcsecValue $p 'WUServer'); WUStatusServer = (Get-CcsecValue $p 'WUStatusServer')
    TargetGroup = (Get-CcsecValue $p 'TargetGroup')
    DoNotConnectToWindowsUpdateInternetLocations = (Get-CcsecValue $p 'DoNotConnectToWindowsUpdateInternetLocations')
    UseWUServer = (Get-CcsecValue $au 'UseWUServer'); NoAutoUpdate = (Get-CcsecValue $au 'NoAutoUpdate')
    AUOptions = (Get-CcsecValue $au 'AUOptions'); ScheduledInstallDay = (Get-CcsecValue $au 'ScheduledInstallDay')
    ScheduledInstallTime = (Get-CcsecValue $au 'ScheduledInstallTime')
  }
}

# ------------------------------------------------------- antivirus, HIPS, firewall
$defender = Get-CcsecObject 'defender' {
  $pref = Get-MpPreference
  $st = Get-MpComputerStatus
  [pscustomobject]@{
    available = $true
    preference = [pscustomobject]@{
      DisableRealtimeMonitoring = [bool]$pref.DisableRealtimeMonitoring; RealTimeScanDirection = [int]$pref.RealTimeScanDirection
      DisableScanningNetworkFiles = [bool]$pref.DisableScanningNetworkFiles
      DisableScanningMappedNetworkDrivesForFullScan = [bool]$pref.DisableScanningMappedNetworkDrivesForFullScan
      ExclusionPath = (Get-CcsecStrings $pref.ExclusionPath); ExclusionExtension = (Get-CcsecStrings $pref.ExclusionExtension)
      ExclusionProcess = (Get-CcsecStrings $pref.ExclusionProcess)
      ScanScheduleDay = [int]$pref.ScanScheduleDay; ScanScheduleTime = [string]$pref.ScanScheduleTime
      ScanParameters = [int]$pref.ScanParameters; ScanAvgCPULoadFactor = [int]$pref.ScanAvgCPULoadFactor
      DisableArchiveScanning = [bool]$pref.DisableArchiveScanning; DisableBehaviorMonitoring = [bool]$pref.DisableBehaviorMonitoring
      DisableIOAVProtection = [bool]$pref.DisableIOAVProtection; SignatureUpdateInterval = [int]$pref.SignatureUpdateInterval
    }
    status = [pscustomobject]@{
      AMServiceEnabled = [bool]$st.AMServiceEnabled; AntivirusEnabled = [bool]$st.AntivirusEnabled
      RealTimeProtectionEnabled = [bool]$st.RealTimeProtectionEnabled; OnAccessProtectionEnabled = [bool]$st.OnAccessProtectionEnabled
      AMRunningMode = [string]$st.AMRunningMode; AntivirusSignatureVersion = [string]$st.AntivirusSignatureVersion
      AntivirusSignatureLastUpdated = (Get-CcsecIso $st.AntivirusSignatureLastUpdated)
      AntivirusSignatureAge = [int]$st.AntivirusSignatureAge; FullScanAge = [int]$st.FullScanAge; QuickScanAge = [int]$st.QuickScanAge
    }
  }
}
if ($null -eq $defender) { $defender = [pscustomobject]@{ available = $false } }
$hipsNames = @('CSAgent', 'CiscoAMP', 'enterceptAgent', 'SepMasterService', 'ds_agent', 'CSFalconService', 'Sense', 'SentinelAgent', 'CbDefense')
$hips = Get-CcsecObject 'hips' {
  [pscustomobject]@{
    checked = $hipsNames
    found = @(Get-Service -Name $hipsNames -ErrorAction SilentlyContinue | ForEach-Object {
      [pscustomobject]@{ Name = $_.Name; DisplayName = $_.DisplayName; Status = [string]$_.Status; StartType = [string]$_.StartType } })
  }
}
$profiles = Get-CcsecItems 'firewall_profiles' {
  Get-NetFirewallProfile -PolicyStore ActiveStore | ForEach-Object {
    [pscustomobject]@{ Name = [string]$_.Name; Enabled = [string]$_.Enabled
                       DefaultInboundAction = [string]$_.DefaultInboundAction; DefaultOutboundAction = [string]$_.DefaultOutboundAction
                       AllowLocalIPsecRules = [string]$_.AllowLocalIPsecRules }
  }
}
$icm = Get-CcsecItems 'icm_schedules' {
  $root = 'HKLM:\SOFTWARE\Cisco Systems, Inc.\ICM'
  if (Test-Path -Path $root) {
    Get-ChildItem -Path $root -Recurse -ErrorAction SilentlyContinue | Where-Object { $_.Property -contains 'Schedule' } | ForEach-Object {
      $v = Get-ItemProperty -Path $_.PSPath -ErrorAction SilentlyContinue
      [pscustomobject]@{ key = [string]$_.Name; name = 'Schedule'; value = [string](Get-CcsecValue $v 'Schedule') }
    }
  }
}

# ------------------------------------------------- IPsec Security-log events
$since = (Get-Date).AddDays(-$EventDays)
$idGroups = @(
  @(4650, 4651, 4652, 4653, 4654, 4655, 5451, 5452, 5453, 4963, 4960, 4961),
  @(4962, 4965, 4976, 4977, 4978, 4979, 4980, 4981, 4982, 4983, 4984, 5049)
)
$events = Get-CcsecItems 'ipsec_events' {
  foreach ($ids in $idGroups) {
    Get-WinEvent -FilterHashtable @{ LogName = 'Security'; Id = $ids; StartTime = $since } -MaxEvents $MaxEvents -ErrorAction SilentlyContinue | ForEach-Object {
      $x = [xml]$_.ToXml()
      $data = [ordered]@{}
      foreach ($d in @($x.Event.EventData.Data)) {
        if ($null -ne $d -and $d.Name) { $data[[string]$d.Name] = [string]$d.'#text' }
      }
      [pscustomobject]@{ id = [int]$_.Id; time = (Get-CcsecIso $_.TimeCreated); computer = [string]$_.MachineName; data = $data }
    }
  }
}

$export = [ordered]@{
  schema = 'ccsec-windows-collector/1'
  collector_version = '1'
  collected_at = (Get-Date).ToUniversalTime().ToString('o')
  host = $hostInfo
  ipsec = [ordered]@{
    Rules = $rules; MainModeRules = $mmRules; MainModeCryptoSets = $mmSets; QuickModeCryptoSets = $qmSets
    Phase1AuthSets = $p1Sets; Phase2AuthSets = $p2Sets; FirewallSetting = $fwSetting; NetshIpsecStatic = $netsh
  }
  hotfixes = $hotfixes
  update_history = $history
  windows_update = $wu
  defender = $defender
  hips = $hips
  firewall_profiles = $profiles
  icm_schedules = $icm
  ipsec_events = $events
  errors = @($errors)
}
$export | ConvertTo-Json -Depth 10 | Out-File -FilePath $OutFile -Encoding utf8
Write-Host ('ccsec collector: wrote ' + $OutFile)
"""


def script() -> str:
    """The collector script (static text)."""
    return SCRIPT
