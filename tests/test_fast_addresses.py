"""The C fast path for dotted quads in the strongSwan readers must read exactly what
:mod:`ipaddress` reads — the same object, or an error for the same text."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

from hypothesis import given
from hypothesis import strategies as st

from ccsec.formats.strongswan.selectors import fast_address, fast_network, host_net

# texts near the dotted-quad grammar: digits, dots, a slash, leading zeros, signs, spaces,
# IPv6 characters — where a fast path would drift from ipaddress if it were too lenient
NEARLY = st.text(alphabet="0123456789./:abcdef+- x", max_size=24)
QUADS = st.builds(lambda parts, n: ".".join(parts) + (f"/{n}" if n is not None else ""),
                  st.lists(st.sampled_from(["0", "1", "01", "9", "10", "99", "255", "256",
                                            "000", "127", "1000", ""]),
                           min_size=3, max_size=5),
                  st.one_of(st.none(), st.sampled_from(["0", "8", "08", "24", "32", "33",
                                                         "", "255.255.0.0", "-1"])))


def _same(fast, slow, text: str) -> None:
    try:
        expected = slow(text)
    except ValueError:
        try:
            got = fast(text)
        except ValueError:
            return
        raise AssertionError(f"{text!r}: ipaddress refuses it, the fast path read {got!r}") \
            from None
    assert fast(text) == expected and type(fast(text)) is type(expected), text


@given(st.one_of(NEARLY, QUADS))
def test_fast_address_reads_what_ipaddress_reads(text: str) -> None:
    _same(fast_address, ip_address, text)


@given(st.one_of(NEARLY, QUADS))
def test_fast_network_reads_what_ipaddress_reads(text: str) -> None:
    _same(fast_network, lambda t: ip_network(t, strict=False), text)


@given(st.integers(0, 2**32 - 1) | st.integers(0, 2**128 - 1))
def test_host_net_is_the_single_address(value: int) -> None:
    for addr in ((IPv4Address(value),) if value < 2**32 else ()) + (IPv6Address(value),):
        assert host_net(addr) == ip_network(addr)
        assert host_net(addr).num_addresses == 1
