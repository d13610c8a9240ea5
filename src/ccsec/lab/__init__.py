"""The ccsec lab: the deployment as network namespaces running real strongSwan (MISSION F1).

Modules, bottom up: ``proc`` (bounded commands, pid+start-time process refs), ``netns``
(namespaces, ip batches, sockets inside a namespace), ``topology`` (pure: deployment →
namespaces, links, addresses, routes), ``transform`` (pure: the explicit policy substitutions),
``pki`` (lab CA with ``pki``), ``charon`` (one daemon per namespace, vici), ``firewall``
(fail-closed nftables), ``capture`` (tcpdump), ``traffic`` (ping, TCP marker), ``state``
(state file, teardown), ``build`` (``up``), ``sas``, ``verify``, ``faults``, ``report``,
``runner`` (``run``) and ``pair`` (two arbitrary ends negotiated for real, for the
differential test).

Every swanctl.conf the lab runs is ``ccsec.formats.strongswan.swanctl.FORMAT.render`` of that end's
(substituted, and reported) policy: the lab has no config generator of its own.
"""

#: the faults ``ccsec lab faults`` can inject (here, so the CLI names them without importing
#: the lab's machinery)
FAULTS = ("gateway-charon-kill", "nat-rebinding", "rekey", "host-charon-stop")
