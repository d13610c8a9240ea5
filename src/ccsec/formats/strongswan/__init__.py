"""strongSwan: the swanctl.conf format ccsec renders, runs in its lab and reads back, and the
legacy ipsec.conf format it only reads.

- :mod:`.swanctl` — the :class:`~ccsec.formats.base.Format` for ``swanctl.conf`` (``FORMAT``:
  render, parse, what it cannot express and what ``project`` loses);
- :mod:`.swanconf` — the strongswan.conf/swanctl.conf file grammar (sections, ``include``,
  quoting) as charon reads it; the lab writes its strongswan.conf with it too;
- :mod:`.ipsec_conf` — ``ipsec.conf`` + ``ipsec.secrets`` (the stroke interface), import only;
- :mod:`.identity` — strongSwan's identity syntax, which both config formats share;
- :mod:`.swanctl_read` — swanctl.conf connections read as charon loads them;
- :mod:`.selectors` — address lists and traffic selectors (ranges, IPv6, ``dynamic``);
- :mod:`.keys` — secrets: value encodings and the choice of a key per pair of identities;
- :mod:`.settings` — the strongswan.conf settings that change a negotiation;
- :mod:`.proposals` — strongSwan's proposal keywords (``aes128-sha256-modp2048``, the whole
  keyword table and the default proposals), which both config formats share and an IKE probe
  speaks.
"""
