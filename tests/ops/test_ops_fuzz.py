"""Arbitrary input to the [ops] readers raises only ccsec's ParseError, never anything else."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ccsec.collector.phones import parse as parse_phones
from ccsec.errors import ParseError
from ccsec.monitor.logs import parse_text
from ccsec.monitor.perf import parse_csv

LINES = st.lists(st.one_of(
    st.text(max_size=60),
    st.sampled_from([
        "Nov 22 05:24:56 gw charon: 16[IKE] <t|1> remote host is behind NAT",
        "09[CFG] <1> received proposals: IKE:AES_CBC_256/MODP_1024",
        " 3-14: 09:41:07:512:5c4 ProcessFailure: sa:000E6C80 status:35ed",
        '"(PDH-CSV 4.0) (UTC)(0)","\\\\H\\System\\Processor Queue Length"',
        '"03/14/2025 09:00:00.118","1,5"', "<Event><System><EventID>4653</EventID>",
        '[{"Id": 4653, "Message": "Failure Reason: x"}]', "#TYPE x", '"Id","Message"',
        "DEVICE NAME,DEVICE TYPE,PC PORT", "SEP1,Cisco 7960,maybe",
    ]),
), max_size=8).map("\n".join)


@settings(max_examples=300)
@given(LINES)
def test_readers_raise_only_parse_errors(text: str) -> None:
    for reader in (lambda t: parse_text(t, "f"), lambda t: parse_csv(t, "f"),
                   lambda t: parse_phones(t, "f")):
        try:
            reader(text)
        except ParseError as exc:
            assert exc.problems and exc.problems[0].file == "f"
