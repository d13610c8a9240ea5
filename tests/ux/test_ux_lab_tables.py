"""The lab's text report at 80 columns: ids, end names and addresses whole, what is left out
named (issue 16, item 8: "tables fit 80 columns without cutting addresses")."""

from __future__ import annotations

import io

from rich.console import Console

from ccsec.lab.report import print_report

RESULT = {"id": "p3-rgr-a-rgr-b-priv", "kind": "path", "ends": ["rgr-a", "rgr-b"],
          "established": True, "traffic": True, "cleartext_packets": 0, "nat_t": False,
          "nat_expected": False, "esp_in_udp_captured": 12, "ok": False,
          "problems": ["CHILD_SA not installed on rgr-b [/IKE]"]}
DOC = {
    "results": [RESULT, {**RESULT, "id": "t-dc-east-pg-osaka", "kind": "tunnel",
                         "ends": ["rtr-east", "gw-osaka"], "nat_t": True, "nat_expected": True,
                         "ok": True, "problems": []}],
    "links": [{"link": "wan-osaka-nat", "kind": "wan", "packets": 812,
               "ike_or_esp_in_udp": 812, "other": 0}],
    "faults": [{"fault": "kill-charon", "target": "gw-osaka", "recovery_s": 3.21,
                "cleartext_packets": 0, "lost_pings": 2, "notes": ["restarted by the lab"],
                "ok": True}],
    "lab": {"lab": "ccsec-demo", "deployment": "acme-contact-center", "profile": "recommended"},
    "timings_s": {"up": 12.5, "verify": 3.0}, "ok": False,
    "wan_packets_not_ike_or_esp_in_udp": 0,
}


def _printed(wide: bool) -> str:
    out = io.StringIO()
    console = Console(file=out, width=80, force_terminal=True, color_system=None)
    print_report(console, DOC, wide=wide)
    return out.getvalue()


def test_the_lab_report_fits_80_columns_whole() -> None:
    text = _printed(wide=False)
    assert max(len(line) for line in text.splitlines()) <= 80, text
    for whole in ("p3-rgr-a-rgr-b-priv", "t-dc-east-pg-osaka", "wan-osaka-nat", "kill-charon"):
        assert whole in text, whole
    assert "left out to fit 80 columns" in text
    assert "[/IKE]" in text  # charon's text is shown literally, not read as markup


def test_wide_keeps_every_column() -> None:
    text = _printed(wide=True)
    assert "left out" not in text and "ESP in captures" in text
