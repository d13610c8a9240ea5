"""Windows IPsec: the two scripts ccsec renders and parses, and the collector JSON it reads.

* :mod:`.vocabulary` — algorithm, group, protocol and interface words, limits and Windows'
  built-in defaults of both stores, shared by every module below;
* :mod:`.text` — how model text enters a PowerShell or netsh script (quoting, what cannot be
  carried);
* :mod:`.support` — the support-table rows and losses both formats share (the base class runs
  the tables: reasons item by item, name clashes, conflicts between rules);
* ``windows-powershell`` (modern store, NetSecurity cmdlets): :mod:`.powershell` renders;
  :mod:`.ps_support` holds what it refuses and loses, as tables; :mod:`.ps_lexer` (with
  :mod:`.ps_templates` for statements shaped like ones met before) → :mod:`.ps_interpreter`
  (with :mod:`.ps_cmdlets`, :mod:`.ps_values`, :mod:`.ps_plan`) run a script against a model
  store; :mod:`.netsecurity` turns the store into policy;
* ``windows-netsh`` (legacy store, ``netsh ipsec static``): :mod:`.netsh` renders;
  :mod:`.netsh_support` holds what it refuses and loses, as tables; :mod:`.netsh_grammar` →
  :mod:`.netsh_store` replay a script; :mod:`.netsh_builder` turns the store into policy;
* ``windows-collector`` (read only): :mod:`.collector` reads ``ccsec collector windows`` JSON.

Nothing is imported here: the format registry loads the module it needs.
"""
