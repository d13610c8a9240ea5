"""Configurations of examples/multi-site.yaml broken on purpose so that one audit finds every
status a path can have: protected, weaker, failed, one-sided and missing.

* weaker: gw-west and gw-tokyo both offer AES-128/SHA-1 for their tunnel (both agree, below
  the profile);
* failed: gw-nagoya's tunnel to gw-west offers only AES-128/SHA-1/MODP-1024 for IKE, which
  gw-west does not accept;
* one-sided: pg3's configuration is gone, so the router's rules for pg3 have no peer;
* missing: cucm-nagoya's is gone too, so pg3 ↔ cucm-nagoya has a rule at neither end.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from conftest import EXAMPLES

DEPLOYMENT = EXAMPLES / "multi-site.yaml"
WEAK_SET = "crypto ipsec transform-set weak esp-aes 128 esp-sha-hmac\n mode tunnel\n"


def _weaken_tokyo_tunnel(conf: Path) -> None:
    """Add a weak transform set and use it (only) in the crypto map entry of the tunnel
    between dc-west and pg-tokyo."""
    text = conf.read_text(encoding="utf-8")
    text = text.replace("crypto ipsec transform-set ", WEAK_SET + "crypto ipsec transform-set ",
                        1)
    entries = re.split(r"(?=^crypto map ccsec \d+ ipsec-isakmp$)", text, flags=re.M)
    for i, entry in enumerate(entries):
        if "match address ccsec-t-dc-west-pg-tokyo" in entry:
            entries[i] = re.sub(r"^ set transform-set .*$", " set transform-set weak", entry,
                                count=1, flags=re.M)
            break
    else:
        raise AssertionError(f"no crypto map entry for the tokyo tunnel in {conf}")
    conf.write_text("".join(entries), encoding="utf-8")


def mixed_configs(out: Path) -> Path:
    """Render multi-site.yaml into ``out`` (certificates only: no key needed) and break it as
    the module says."""
    from ccsec.cli import main

    assert main(["-q", "render", str(DEPLOYMENT), "-o", str(out)]) == 0
    _weaken_tokyo_tunnel(out / "gw-west" / "ios.cfg")
    _weaken_tokyo_tunnel(out / "gw-tokyo" / "ios.cfg")
    nagoya = out / "gw-nagoya" / "swanctl.conf"
    text = nagoya.read_text(encoding="utf-8")
    old = "proposals = aes256-sha256-ecp256, aes256-sha256-modp2048"
    assert old in text
    nagoya.write_text(text.replace(old, "proposals = aes128-sha1-modp1024", 1),
                      encoding="utf-8")
    shutil.rmtree(out / "pg3")
    shutil.rmtree(out / "cucm-nagoya")
    return out
