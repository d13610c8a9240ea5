"""``ccsec probe``: ask a live gateway, over IKE only, which IKE proposals it really accepts.

Beside the audit (it reads packets, not files) and judged by the same rule catalog.  Modules,
bottom up: ``iana`` (wire numbers of the vocabulary's algorithms), ``groups`` (real key exchange
values for every DH group), ``wire`` (the IKE encoder/decoder), ``vendors`` (vendor IDs),
``space`` (what is asked, and the exhaustive yardstick), ``transport`` (one rate-limited UDP
conversation with budget, deadline and half-open pace), ``result`` (the JSON document),
``ikev2`` and ``ikev1`` (the adaptive enumerations, aggressive mode), ``drift`` (plan vs
accepted), ``judge`` (findings), ``run`` (the command's orchestration).

A probe never authenticates (no IKE_AUTH, no IKEv1 message 3) and sends nothing but IKE, and
only to the address it was given.
"""
