"""Cisco IOS / IOS XE: the site-tunnel renderer and the running-config importer.

* :mod:`~ccsec.formats.ios.render` — the :class:`~ccsec.formats.base.Format` (``FORMAT``):
  renders a gateway's configuration from :mod:`~ccsec.formats.ios.device` (what its rules
  become device-wide); what IOS cannot express is the table in
  :mod:`~ccsec.formats.ios.support`, what it reads back differently the table in
  :mod:`~ccsec.formats.ios.losses`.
* :mod:`~ccsec.formats.ios.tree` — configuration text as a light tree, and the IOS words and
  lexical helpers both directions share.
* :mod:`~ccsec.formats.ios.importer` — ``parse(text, source)``: a running-config into the
  policy model and :class:`~ccsec.formats.facts.IosFacts`, in passes: ``read`` /
  ``read_ike`` (tree → raw :mod:`~ccsec.formats.ios.objects`), ``bind`` (where SAs are used,
  references resolved), ``build`` (rules, end policy), with ``acl`` (ACEs and their index),
  ``nat`` (does NAT leave a rule's traffic alone), ``defaults`` (what IOS hides) and ``log``
  (notes, locations, dangling references).

Nothing is imported here, so loading one module does not load the others.
"""
