"""Cisco Unified CM "IPSEC Policy Configuration" sheet (catalog path 8: PG pair ↔ Unified CM).

MISSION B2/B3/B5.  Unified CM has no command or file to load an IPsec policy from, so ccsec
renders a hand-entry sheet (one file per node, one block per peer, the page's fields with their
exact labels) and reads back that sheet, hand-filled ones and ``show ipsec information`` output.

- :mod:`.values` — the page as data: value tables per release/FIPS mode, field labels, token
  spellings, the peer identity ↔ Certificate Name mapping;
- :mod:`.render` — the :class:`~ccsec.formats.base.Format` (``FORMAT``, ``with_table``): the
  sheet;
- :mod:`.support` — what the page cannot express and what ``project`` loses, as tables;
- :mod:`.scan` — lines → policy blocks, and which value table the text names;
- :mod:`.read` — blocks → rules, every value outside the table a note for the audit.
"""
