"""strongSwan: the swanctl.conf format ccsec renders, runs in its lab and reads back, and the
legacy ipsec.conf format it only reads.

- :mod:`.swanctl` — the :class:`~ccsec.formats.base.Format` for ``swanctl.conf`` (``FORMAT``:
  render, parse, what it cannot express and what ``project`` loses);
- :mod:`.swanconf` — the strongswan.conf/swanctl.conf file grammar (sections, ``include``,
  quoting) as charon reads it; the lab writes its strongswan.conf with it too;
- :mod:`.ipsec_conf` — ``ipsec.conf`` + ``ipsec.secrets`` (the stroke interface), import only;
- :mod:`.identity` — strongSwan's identity syntax, which both config formats share;
- :mod:`.proposals` — strongSwan's proposal keywords (``aes128-sha256-modp2048``), which both
  config formats share.
"""
