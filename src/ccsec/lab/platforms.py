"""Each end as its own platform runs it: its rendered file, read back, with the platform's ways.

The lab does not run the planned policy; it runs what each end's platform would do with the file
a user deploys.  For every end: render the file of the end's own format (``ios.cfg``,
``ipsec.ps1``, the CUCM sheet, ``swanctl.conf``), turn it into what the device holds, read that
back with the format's importer, and add what the platform does that no file says — the
identity it sends, the identities it accepts.  strongSwan then plays that policy.  A renderer
defect therefore reaches the lab: an IOS profile matching the wrong identity, a certificate map
the peer's certificate does not meet, a CA named in the wrong RDN order all fail their path.

Per platform (the sources are in each function):

* IOS: the router holds the configuration without its ``!`` comments (the CLI drops them), and
  it has a ``hostname`` and an ``ip domain name`` (IOS needs a domain name to generate its RSA
  keys [V]), so ``self-identity fqdn`` sends ``hostname.domain`` whatever a comment wished.
  Proposals, the built-in defaults where the file leaves them on, one SA per crypto-ACL line,
  lifetimes, DPD and identities are the importer's reading of that configuration.
* Windows: the script as the NetSecurity importer runs it.  Windows sends its certificate's
  subject DN as its IKE identity and accepts any peer identity whose certificate chains to the
  ``-Authority`` CA [V]; with a pre-shared key it sends its address.  It has no DPD setting.
* Communications Manager: the sheet as typed.  Its IKE daemon sends the node's ``ipsec``
  certificate subject and requires the subject of the certificate the Certificate Name names
  [U] (cucm-ipsec.md §6); with a pre-shared key its address.
* strongSwan (Linux hosts, strongSwan gateways): its own swanctl.conf, read back.

Every such change is returned as a :class:`~ccsec.lab.transform.Substitution`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ccsec.formats import registry
from ccsec.formats.base import RenderContext
from ccsec.lab.transform import Substitution
from ccsec.policy import EndPolicy, Identity, Rule

#: the domain a played IOS router has (``ip domain name``) when the deployment names none
IOS_LAB_DOMAIN = "ccsec-lab.example"


@dataclass(frozen=True)
class Played:
    """One end as its platform runs it, the file it came from and what the lab assumed."""

    end: EndPolicy
    format: str
    text: str
    subs: list[Substitution]


def own_format(end: EndPolicy) -> str:
    """The format an end of this platform is deployed with (its first default format)."""
    found = registry.defaults_for(end.platform)
    if not found:
        raise ValueError(f"no format for platform {end.platform!r}")
    return found[0]


def ios_device_text(text: str, hostname: str, domain: str) -> str:
    """An IOS file as the router holds it once pasted: ``!`` comment lines are gone (IOS does
    not keep them), and the router has its ``hostname`` and ``ip domain name``."""
    kept = [line for line in text.splitlines() if not line.lstrip().startswith("!")]
    return "\n".join([f"hostname {hostname}", f"ip domain name {domain}", *kept]) + "\n"


def _with_ids(end: EndPolicy, local: Callable[[Rule], Identity | None],
              peer: Callable[[Rule], Identity | None]) -> EndPolicy:
    rules = tuple(r.model_copy(update={"local_id": local(r), "peer_id": peer(r)})
                  for r in end.rules)
    return end.model_copy(update={"rules": rules})


def _sends_certificate_or_address(subject: str) -> Callable[[Rule], Identity]:
    """The identity of an end that sends its certificate's subject (or, with a pre-shared
    key, its address): Windows, Communications Manager."""
    def local(rule: Rule) -> Identity:
        if any(a.method == "psk" for a in rule.auth):
            return Identity(kind="address", value=str(rule.local_address))
        return Identity(kind="dn", value=subject)
    return local


def play(end: EndPolicy, ctx: RenderContext, subject: str, domain: str) -> Played:
    """``end`` as its platform runs it (``subject``: its certificate's subject DN; ``domain``:
    an IOS router's ``ip domain name``).  A Kerberos rule gets the identity of the certificate
    the lab replaces Kerberos with (:mod:`ccsec.lab.transform`)."""
    name = own_format(end)
    fmt = registry.get(name)
    owner = end.owner or end.name
    text = fmt.render(end, ctx)
    subs = [Substitution(end=owner, rule=None,
                         change=f"played from its own {fmt.file_name} ({name}), read back by "
                         "ccsec's importer",
                         reason="the lab runs what the platform would do with the deployed "
                         "file, not the planned policy")]
    device = text
    if end.platform == "ios":
        device = ios_device_text(text, owner, domain)
        subs.append(Substitution(
            end=owner, rule=None,
            change=f"IOS configuration as the router holds it: comments dropped, 'hostname "
                   f"<gateway>' and 'ip domain name {domain}' present",
            reason="IOS keeps no comment lines; a router needs a domain name for its RSA "
                   "keys [V], so 'self-identity fqdn' sends hostname.domain"))
    parsed = fmt.parse(device, f"<{owner}/{fmt.file_name}>").policies[0]
    parsed = parsed.model_copy(update={"name": end.name, "owner": owner,
                                       "platform": end.platform,
                                       "description": end.description})
    if end.platform == "windows":
        parsed = _with_ids(parsed, _sends_certificate_or_address(subject), lambda r: None)
        subs.append(Substitution(
            end=owner, rule=None,
            change="Windows sends its certificate's subject (CN=<its FQDN>; its address with "
                   "a pre-shared key) and accepts any peer identity",
            reason="IKEEXT takes its identity from the authentication method and checks the "
                   "peer's certificate chain against -Authority only [V]"))
    elif end.platform == "cucm":
        parsed = _with_ids(parsed, _sends_certificate_or_address(subject),
                           lambda r: r.peer_id)
        subs.append(Substitution(
            end=owner, rule=None,
            change="Communications Manager sends its ipsec certificate's subject (CN=<its "
                   "FQDN>) and requires the subject of the certificate its Certificate Name "
                   "names",
            reason="its Openswan/Libreswan connection takes both identities from the "
                   "certificates [U] (Cisco, Security Guide for Cisco Unified "
                   "Communications Manager: IPSec Setup)"))
    return Played(parsed, name, text, subs)
