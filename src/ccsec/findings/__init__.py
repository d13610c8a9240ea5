"""Findings: the rule catalog's entries, one finding per subject, and every way out of ccsec
(text tables, JSON, SARIF, the ``--fail-on`` exit code).

The lowest layer of judgement: the audit, its check families, the operations commands (logs,
perf, posture, phones), the report and the CLI all produce or print
:class:`~ccsec.findings.model.Finding` through this package and nothing else.
"""
