"""``ccsec logging enable|disable --target …``: the exact, reviewable script; ccsec runs nothing.

Every script is static text (no value from the user is formatted into it) and ``disable``
undoes exactly what ``enable`` did:

* ``windows-legacy`` — the seed's procedure (000 「IPSec ロギングの有効化」 steps 1–14) as
  ``reg.exe`` commands: key ``HKLM\\System\\CurrentControlSet\\Services\\PolicyAgent\\Oakley``
  (case-sensitive), DWORD ``EnableLogging`` = 1, ``net stop policyagent & net start policyagent``,
  log in ``%windir%\\debug\\Oakley.log``.  Applies to Windows 2000/XP/2003 (IKEEXT replaced the
  Policy Agent's IKE from Vista/2008 on [U, high confidence]).
* ``windows`` — ``auditpol`` by subcategory GUID (works on non-English Windows, where the names
  are localized) for IPsec Main/Quick/Extended Mode and IPsec Driver, and
  ``netsh wfp set options netevents=on``; the previous audit settings are saved with
  ``auditpol /backup`` and restored for exactly those subcategories by ``disable``.
* ``strongswan`` — a ``strongswan.d`` snippet with charon file, syslog and journal loggers at
  IKE/CFG level 2, loaded with ``swanctl --reload-settings`` (verified in the lab: the new file
  logger appears without a restart); ``swanctl --log`` streams the same messages over vici.
"""

from __future__ import annotations

from typing import Literal

Target = Literal["windows-legacy", "windows", "strongswan"]
TARGETS: tuple[str, ...] = ("windows-legacy", "windows", "strongswan")

#: auditpol subcategory GUIDs (Microsoft WFP "Auditing" page [S3], facts §1.2 [V])
AUDIT_SUBCATEGORIES: dict[str, str] = {
    "{0CCE9218-69AE-11D9-BED3-505054503030}": "IPsec Main Mode (4650-4655, 4976, 5049, 5453)",
    "{0CCE9219-69AE-11D9-BED3-505054503030}": "IPsec Quick Mode (5451, 5452, 4654, 4977)",
    "{0CCE921A-69AE-11D9-BED3-505054503030}": "IPsec Extended Mode (4978-4984)",
    "{0CCE9213-69AE-11D9-BED3-505054503030}": "IPsec Driver (4960-4965, 5478-5485)",
}

LEGACY_ENABLE = r"""@echo off
rem ccsec logging enable --target windows-legacy
rem The Oakley (IKE) log, exactly as the guide's procedure (000 "IPSec activity" >
rem "Enabling IPsec logging", steps 1-14). Windows 2000/XP/Server 2003 only: from Vista/2008
rem on IKE runs in IKEEXT and no Oakley.log is written - use --target windows there.
rem Steps 1-12: key Oakley (case-sensitive) under PolicyAgent, DWORD EnableLogging = 1
reg add "HKLM\System\CurrentControlSet\Services\PolicyAgent\Oakley" /v EnableLogging /t REG_DWORD /d 1 /f
rem Step 13: restart the IPsec Policy Agent so it reads the value
net stop policyagent & net start policyagent
rem Step 14: the log is %windir%\debug\Oakley.log (a rotated copy may appear as Oakley.log.sav)
echo Oakley log: %windir%\debug\Oakley.log
rem Read it with: ccsec logs Oakley.log [--deployment DEPLOYMENT]
"""

LEGACY_DISABLE = r"""@echo off
rem ccsec logging disable --target windows-legacy
rem Undoes 'enable': removes the EnableLogging value, then the Oakley key if nothing else is in
rem it, and restarts the Policy Agent. The log file itself is kept (it is evidence).
reg delete "HKLM\System\CurrentControlSet\Services\PolicyAgent\Oakley" /v EnableLogging /f
reg query "HKLM\System\CurrentControlSet\Services\PolicyAgent\Oakley" /s | findstr /c:"REG_" >nul || reg delete "HKLM\System\CurrentControlSet\Services\PolicyAgent\Oakley" /f
net stop policyagent & net start policyagent
"""

WINDOWS_ENABLE = r"""# ccsec logging enable --target windows  (run elevated in Windows PowerShell)
# IPsec auditing to the Security log by subcategory GUID (locale-proof) and WFP net events.
# Events: 4650-4655, 4976-4984, 5451-5453 (IKE), 4960-4965 (driver). Microsoft lists these
# subcategories as troubleshooting-only with a high event volume: disable them afterwards.
$ErrorActionPreference = 'Stop'
$state = Join-Path -Path $env:ProgramData -ChildPath 'ccsec\ike-logging'
if (-not (Test-Path -Path $state)) { New-Item -ItemType Directory -Path $state | Out-Null }
$backup = Join-Path -Path $state -ChildPath 'auditpol-before.csv'
# 1. remember the audit policy as it is now (disable restores these subcategories from it)
if (-not (Test-Path -Path $backup)) { auditpol /backup /file:$backup }
netsh wfp show options optionsfor=netevents | Out-File -FilePath (Join-Path -Path $state -ChildPath 'wfp-netevents-before.txt') -Encoding utf8
# 2. audit success and failure of IPsec Main Mode, Quick Mode, Extended Mode, IPsec Driver
auditpol /set /subcategory:'{0CCE9218-69AE-11D9-BED3-505054503030}' /success:enable /failure:enable
auditpol /set /subcategory:'{0CCE9219-69AE-11D9-BED3-505054503030}' /success:enable /failure:enable
auditpol /set /subcategory:'{0CCE921A-69AE-11D9-BED3-505054503030}' /success:enable /failure:enable
auditpol /set /subcategory:'{0CCE9213-69AE-11D9-BED3-505054503030}' /success:enable /failure:enable
# 3. WFP net events (IKE failures with their error codes): on is the documented default
netsh wfp set options netevents=on
# Export for ccsec (either works):
#   wevtutil qe Security /q:"*[System[(EventID>=4650 and EventID<=4655) or (EventID>=4976 and EventID<=4984) or (EventID>=5451 and EventID<=5453)]]" /f:xml > ipsec-events.xml
#   or the collector: ccsec collector windows > ccsec-collect.ps1
# On-demand WFP/IKEEXT capture (a .cab with an XML report): netsh wfp capture start ... netsh wfp capture stop
auditpol /get /subcategory:'{0CCE9218-69AE-11D9-BED3-505054503030},{0CCE9219-69AE-11D9-BED3-505054503030},{0CCE921A-69AE-11D9-BED3-505054503030},{0CCE9213-69AE-11D9-BED3-505054503030}' /r
"""

WINDOWS_DISABLE = r"""# ccsec logging disable --target windows  (run elevated in Windows PowerShell)
# Restores the four IPsec subcategories to the state 'enable' saved (auditpol /backup file,
# column 4 = Subcategory GUID, column 7 = Setting Value: 0 none, 1 success, 2 failure,
# 3 both [U]); without the backup they go back to Microsoft's default, No Auditing.
$ErrorActionPreference = 'Stop'
$state = Join-Path -Path $env:ProgramData -ChildPath 'ccsec\ike-logging'
$backup = Join-Path -Path $state -ChildPath 'auditpol-before.csv'
$guids = @('{0CCE9218-69AE-11D9-BED3-505054503030}', '{0CCE9219-69AE-11D9-BED3-505054503030}',
           '{0CCE921A-69AE-11D9-BED3-505054503030}', '{0CCE9213-69AE-11D9-BED3-505054503030}')
$before = @{}
if (Test-Path -Path $backup) {
  Get-Content -Path $backup | Select-Object -Skip 1 | ConvertFrom-Csv -Header 'Machine', 'Target', 'Name', 'Guid', 'Inclusion', 'Exclusion', 'Value' | ForEach-Object {
    $before[$_.Guid.ToUpperInvariant()] = [int]$_.Value
  }
}
foreach ($g in $guids) {
  $v = 0
  if ($before.ContainsKey($g)) { $v = $before[$g] }
  $success = 'disable'
  $failure = 'disable'
  if ($v -band 1) { $success = 'enable' }
  if ($v -band 2) { $failure = 'enable' }
  auditpol /set /subcategory:$g /success:$success /failure:$failure
}
# WFP net events: back to off only if they were off before 'enable' (on is the default)
$wfp = Join-Path -Path $state -ChildPath 'wfp-netevents-before.txt'
if ((Test-Path -Path $wfp) -and ((Get-Content -Path $wfp -Raw) -match '(?im)netevents\s*[:=]\s*off')) {
  netsh wfp set options netevents=off
}
Remove-Item -Path $state -Recurse -Force
"""

STRONGSWAN_SNIPPET = """# ccsec IKE logging (ccsec logging enable --target strongswan); remove to undo
charon {
    filelog {
        ccsec-ike {
            path = /var/log/charon-ike.log
            time_format = %b %e %T
            ike_name = yes
            append = yes
            flush_line = yes
            default = 1
            ike = 2
            cfg = 2
            net = 1
            knl = 1
        }
    }
    syslog {
        # keep logging to syslog: once any logger is configured the built-in default is gone
        daemon {
            default = 1
            ike = 2
            cfg = 2
            ike_name = yes
        }
    }
}
charon-systemd {
    journal {
        default = 1
        ike = 2
        cfg = 2
    }
}
"""

STRONGSWAN_ENABLE = """#!/bin/sh
# ccsec logging enable --target strongswan  (run as root on the strongSwan host)
# charon loggers at level 2 for IKE and CFG: "received proposals"/"configured proposals",
# NO_PROPOSAL_CHOSEN, AUTHENTICATION_FAILED, TS_UNACCEPTABLE, retransmits... (strongswan.conf(5)
# LOGGER CONFIGURATION). Written as its own strongswan.d file so 'disable' removes exactly it.
set -eu
f=/etc/strongswan.d/ccsec-ike-logging.conf
if [ -e "$f" ] && ! head -n 1 "$f" | grep -q '^# ccsec IKE logging'; then
    echo "$f exists and was not written by ccsec; not touching it" >&2; exit 1
fi
cat > "$f" <<'CCSEC_EOF'
""" + STRONGSWAN_SNIPPET + """CCSEC_EOF
chmod 0644 "$f"
# load the new loggers into the running daemon (no restart needed)
swanctl --reload-settings
echo "charon IKE log: /var/log/charon-ike.log (and syslog/journal)"
# live, over vici, while it runs:   swanctl --log
# Python vici equivalent:           vici.Session().listen(["log"])
# Read it with: ccsec logs /var/log/charon-ike.log [--deployment DEPLOYMENT]
"""

STRONGSWAN_DISABLE = """#!/bin/sh
# ccsec logging disable --target strongswan  (run as root) - removes exactly the snippet
# 'enable' wrote and reloads the settings; the log file is kept.
set -eu
f=/etc/strongswan.d/ccsec-ike-logging.conf
if [ -e "$f" ] && head -n 1 "$f" | grep -q '^# ccsec IKE logging'; then
    rm -f "$f"
    swanctl --reload-settings
else
    echo "no ccsec logging snippet at $f; nothing to undo" >&2
fi
"""

SCRIPTS: dict[tuple[str, str], str] = {
    ("enable", "windows-legacy"): LEGACY_ENABLE,
    ("disable", "windows-legacy"): LEGACY_DISABLE,
    ("enable", "windows"): WINDOWS_ENABLE,
    ("disable", "windows"): WINDOWS_DISABLE,
    ("enable", "strongswan"): STRONGSWAN_ENABLE,
    ("disable", "strongswan"): STRONGSWAN_DISABLE,
}

#: what each script is, for the table the CLI prints before it
KIND = {"windows-legacy": "cmd.exe batch (run as Administrator)",
        "windows": "Windows PowerShell (run elevated)",
        "strongswan": "POSIX sh (run as root)"}


def script(action: str, target: str) -> str:
    return SCRIPTS[(action, target)]
