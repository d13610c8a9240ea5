"""`ccsec logging enable|disable`: exact scripts, and disable undoes exactly what enable did."""

from __future__ import annotations

import re

from ccsec.monitor.logscripts import AUDIT_SUBCATEGORIES, STRONGSWAN_SNIPPET, script

KEY = r"HKLM\System\CurrentControlSet\Services\PolicyAgent\Oakley"


def test_legacy_enable_is_the_seed_procedure() -> None:
    s = script("enable", "windows-legacy")
    assert f'reg add "{KEY}" /v EnableLogging /t REG_DWORD /d 1 /f' in s
    assert "net stop policyagent & net start policyagent" in s
    assert r"%windir%\debug\Oakley.log" in s


def test_legacy_disable_undoes_it() -> None:
    s = script("disable", "windows-legacy")
    assert f'reg delete "{KEY}" /v EnableLogging /f' in s
    # the key itself only when nothing else is left in it
    assert f'findstr /c:"REG_" >nul || reg delete "{KEY}" /f' in s
    assert "net stop policyagent & net start policyagent" in s
    assert "reg add" not in s


def test_windows_uses_guids_only() -> None:
    enable, disable = script("enable", "windows"), script("disable", "windows")
    sets = re.findall(r"^auditpol /set /subcategory:'(\{[0-9A-F-]+\})'", enable, re.M)
    assert sets == list(AUDIT_SUBCATEGORIES)
    assert not re.search(r'/subcategory:"IPsec', enable)  # no localized names in commands
    assert "netsh wfp set options netevents=on" in enable
    assert "auditpol /backup /file:$backup" in enable
    for guid in AUDIT_SUBCATEGORIES:
        assert f"'{guid}'" in disable
    assert "auditpol /set /subcategory:$g /success:$success /failure:$failure" in disable


def test_strongswan_enable_and_disable_touch_one_file() -> None:
    enable, disable = script("enable", "strongswan"), script("disable", "strongswan")
    path = "/etc/strongswan.d/ccsec-ike-logging.conf"
    assert f"f={path}" in enable and f"f={path}" in disable
    assert STRONGSWAN_SNIPPET in enable and "swanctl --reload-settings" in enable
    assert 'rm -f "$f"' in disable and "swanctl --reload-settings" in disable
    assert "swanctl --log" in enable


def test_strongswan_snippet_parses_as_strongswan_conf() -> None:
    from ccsec.formats.strongswan.swanconf import parse_conf

    root = parse_conf(STRONGSWAN_SNIPPET, "ccsec-ike-logging.conf")
    charon = root.section("charon")
    filelog = charon.section("filelog").section("ccsec-ike")
    assert filelog.value("path") == "/var/log/charon-ike.log"
    assert (filelog.value("ike"), filelog.value("cfg"), filelog.value("ike_name")) == (
        "2", "2", "yes")
    # a syslog logger is kept: defining any logger drops charon's built-in default
    assert charon.section("syslog").section("daemon").value("ike") == "2"
    assert root.section("charon-systemd").section("journal").value("cfg") == "2"
