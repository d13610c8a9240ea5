"""One key, every format: what each platform's parser reads back is the same key.

Reproducer from issue 15: ``psk: env:K`` with ``K=0x41424344`` was written ``secret =
0x41424344`` in swanctl.conf, which strongSwan decodes as hex (four bytes ``ABCD``), while IOS
and PowerShell take the literal string — the two ends of a path held different keys.
"""

from __future__ import annotations

import pytest

from ccsec.deployment import loads
from ccsec.errors import UserError
from ccsec.formats import registry
from ccsec.formats.base import RenderContext
from ccsec.formats.strongswan.ipsec_conf import FORMAT as IPSEC_CONF
from ccsec.formats.strongswan.keys import decode, swanctl_value
from ccsec.plan import plan
from ccsec.render import render_policy_set
from ccsec.secrets import SecretResolver

DEPLOYMENT = """\
deployment: keys
environment: test
psk: env:K
sites:
  - name: hq
    kind: central
    prefixes: [10.10.0.0/16]
    gateway: {name: gw-hq, platform: strongswan, wan: 192.0.2.1}
  - name: br
    kind: remote
    prefixes: [10.30.0.0/16]
    gateway: {name: gw-br, platform: ios, wan: 192.0.2.2}
hosts:
  - {name: rgr-a, site: hq, roles: [router], pair: rg, side: a, public: 10.10.1.10}
  - {name: rgr-b, site: hq, roles: [router], pair: rg, side: b, public: 10.10.1.11}
  - {name: pg-1, site: br, roles: [pg], public: 10.30.1.10, os: linux}
  - {name: cm-1, site: br, roles: [cucm], public: 10.30.2.10}
"""

KEYS = ["0x41424344", "0sQUJDRA==", "0XAB", "0S", "lab-Key-0123456789", "with space",
        'quo"te', "back\\slash", "dollar$x", "hash#x", "semi;colon", "Ünïcödé-Schlüssel",
        "'single'", "0x"]


def _read_keys(fmt: str, text: str) -> set[str | None]:
    parsed = registry.reader(fmt).parse(text, f"<{fmt}>")
    return {a.psk.reveal() if a.psk is not None and a.psk.value is not None else None
            for p in parsed.policies for r in p.rules for a in r.auth if a.method == "psk"}


@pytest.mark.parametrize("key", KEYS)
def test_every_format_reads_back_the_key_it_was_given(key: str) -> None:
    rendered: dict[str, int] = {}
    for profile in ("recommended", "legacy"):  # legacy: the algorithms netsh can write
        ps = plan(loads(DEPLOYMENT, "keys.yaml"), profile)
        ctx = RenderContext(ps.deployment, ps.profile, SecretResolver(env={"K": key}))
        for fmt in registry.names():
            try:
                result = render_policy_set(ps, ctx, [fmt])
            except UserError:
                continue  # the format refuses this key (with its reason): nothing to compare
            for f in result.files:
                read = _read_keys(fmt, f.text)
                assert read <= {key}, f"{fmt} {f.path}: {read!r} != {key!r}"
                rendered[fmt] = rendered.get(fmt, 0) + bool(read)
    assert rendered.get("strongswan"), "strongSwan writes every key (hex when it must)"
    if key == "lab-Key-0123456789":
        assert set(rendered) == set(registry.names()), "a plain key: every format writes it"
    if key.startswith(("0x", "0s")) and key.replace("x", "").isalnum():
        assert rendered.get("ios") and rendered.get("windows-powershell"), \
            "the other end of the path holds the same literal key"


@pytest.mark.parametrize("key", KEYS)
def test_swanctl_encoding_round_trips(key: str) -> None:
    value = swanctl_value(key)
    decoded = decode(value)
    assert decoded is not None and decoded.reveal() == key
    if key[:2].lower() in ("0x", "0s"):
        assert value.startswith("0x") and value != key


def _stroke_key(secrets: str) -> str | None:
    conf = "conn a\n  left=1.1.1.1\n  right=2.2.2.2\n  authby=secret\n  auto=route\n"
    parsed = IPSEC_CONF.parse(conf, "f", secrets=secrets)
    psk = parsed.policies[0].rules[0].auth[0].psk if parsed.policies[0].rules else None
    return psk.reveal() if psk is not None and psk.value is not None else None


def test_strongswan_decodes_prefixed_values_like_charon() -> None:
    for value, key in (("0x41424344", "ABCD"), ("0sQUJDRA==", "ABCD"), ("0X41", "A")):
        decoded = decode(value)
        assert decoded is not None and decoded.reveal() == key
    assert _stroke_key(": PSK 0x41424344\n") == "ABCD"
    assert _stroke_key(': PSK "0x41424344"\n') == "0x41424344"  # quoted: the key itself


def test_binary_keys_compare_and_fingerprint() -> None:
    """strongSwan's corpus holds ``0s…`` keys that are not UTF-8 (``0sFpZAZqEN6Ti9sqt4ZP5EWcqx``):
    comparing two such keys raised UnicodeEncodeError in the audit (found by the corpus
    evaluation after the keys were kept byte for byte)."""
    from ccsec.secrets import Secret

    a, b, c = (decode(v) for v in ("0sFpZAZqEN6Ti9sqt4ZP5EWcqx",  # the same bytes, two forms
                                   "0x16964066a10de938bdb2ab7864fe4459cab1",
                                   "0sFpZAZqEN6Ti9sqt4ZP5EWcqy"))
    assert isinstance(a, Secret) and isinstance(b, Secret) and isinstance(c, Secret)
    assert a == b and a.fingerprint() == b.fingerprint()
    assert a != c and a.fingerprint() != c.fingerprint()
