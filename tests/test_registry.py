"""The format registry is the one place format facts live: every row resolves to working code,
and everything that chooses or detects a format asks it."""

from __future__ import annotations

import pytest

from ccsec.errors import UserError
from ccsec.formats import registry
from ccsec.formats.base import Format, Reader


@pytest.mark.parametrize("row", [r for r in registry.ROWS if r.module], ids=lambda r: r.name)
def test_every_row_resolves_to_its_reader(row: registry.Row) -> None:
    reader = registry.reader(row.name)
    assert isinstance(reader, Reader) and reader.name == row.name
    assert isinstance(reader, Format) == row.renders


def test_render_formats_and_platform_defaults() -> None:
    assert registry.names() == ["windows-powershell", "windows-netsh", "cucm", "ios",
                                "strongswan"]
    assert registry.defaults_for("windows") == ("windows-powershell", "windows-netsh")
    assert registry.defaults_for("linux") == ("strongswan",)
    assert registry.defaults_for("strongswan") == ("strongswan",)
    assert registry.defaults_for("cucm") == ("cucm",)
    assert registry.defaults_for("ios") == ("ios",)
    assert registry.defaults_for(None) == ()
    assert [n for n in registry.names() if registry.best_effort(n)] == ["windows-netsh"]


def test_import_only_formats_are_read_but_not_written() -> None:
    assert set(registry.readers()) - set(registry.names()) == {"ipsec-conf", "windows-collector"}
    with pytest.raises(UserError, match="reads ipsec-conf but does not write it"):
        registry.get("ipsec-conf")
    with pytest.raises(UserError, match="unknown format 'xml'"):
        registry.get("xml")
    with pytest.raises(UserError, match="unknown format 'ipsec-secrets'"):
        registry.reader("ipsec-secrets")  # a companion file, read with its ipsec.conf


@pytest.mark.parametrize(("text", "expected"), [
    ("connections {\n  a {\n  }\n}\n", "strongswan"),
    ("config setup\nconn a\n  left=1.2.3.4\n", "ipsec-conf"),
    ("1.2.3.4 : PSK \"x\"\n", "ipsec-secrets"),
    ("New-NetIPsecRule -DisplayName x\n", "windows-powershell"),
    ("netsh ipsec static add policy name=x\n", "windows-netsh"),
    ("Policy Group Name : G\n", "cucm"),
    ("hostname r1\ncrypto isakmp policy 10\n", "ios"),
    ('{"schema": "ccsec-windows-collector/1"}', "windows-collector"),
    ('{\n  "generator" :  "ccsec 0.1.0"}', "ccsec-index"),
    ('{"other": 1}', None),
    ("just notes\n", None),
])
def test_sniff_by_content(text: str, expected: str | None) -> None:
    assert registry.sniff(text) == expected


def test_sniff_order_is_the_rank_order() -> None:
    """A swanctl.conf that also holds an IOS-looking line is swanctl (rank 20 < 80)."""
    assert registry.sniff("connections {\n}\ninterface eth0\n") == "strongswan"


def test_implied_platforms() -> None:
    assert registry.implied_platform("ipsec-conf") == "strongswan"
    assert registry.implied_platform("windows-collector") == "windows"
    assert registry.implied_platform("nope") == ""
