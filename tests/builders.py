"""Small deployments written for one test each (YAML is a superset of JSON)."""

from __future__ import annotations

import json
from typing import Any

from ccsec.deployment import Deployment, loads

CENTRAL = {"name": "dc", "kind": "central", "prefixes": ["10.1.0.0/16"],
           "gateway": {"name": "gw-dc", "platform": "ios", "wan": "198.51.100.1"}}
REMOTE = {"name": "rs", "kind": "remote", "prefixes": ["10.2.0.0/16"],
          "gateway": {"name": "gw-rs", "platform": "ios", "wan": "198.51.100.2"}}


def host(name: str, roles: list[str], public: str, site: str = "dc", **extra: Any) -> dict:
    doc: dict[str, Any] = {"name": name, "site": site, "roles": roles, "public": public,
                           "domain": "icm.t.example"}
    doc.update(extra)
    return doc


def make(hosts: list[dict], sites: list[dict] | None = None, **top: Any) -> Deployment:
    doc: dict[str, Any] = {
        "deployment": "t",
        "domains": ["icm.t.example", "uc.t.example"],
        "pki": {"root_ca": "CN=T Root"},
        "sites": sites or [CENTRAL, REMOTE],
        "hosts": hosts,
    }
    doc.update(top)
    return loads(json.dumps(doc), "test.yaml")
