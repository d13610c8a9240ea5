"""The rule catalog: one module per family, each rule a small definition with an id,
severity, rationale and public citations.

The audit families (``crypto``, ``auth``, ``ike``, ``fallback``, ``nat``, ``ops``,
``coverage``, ``peers``) also hold ``check(ctx)``, which reads only the audit model and context.
The operations families (``logs``, ``perf``, ``posture``, ``phones``) hold rules (and, for
posture and phones, the checks over the collector's data); the log diagnosis and the perf judge
that fire them live in :mod:`ccsec.monitor`.  The table of families is
:mod:`ccsec.findings.families`.
"""
