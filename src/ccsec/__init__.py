"""ccsec — IPsec policy as code for multi-site contact centers.

Describe the deployment once; ccsec derives every path that must be protected, renders the
policy for both ends of every path in every platform's format, audits what is configured, proves
the policy on real strongSwan in a lab, and diagnoses logs and counters.
"""

__version__ = "0.1.0"
