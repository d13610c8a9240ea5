"""Auditing real configurations: import, attach to the deployment, pair peers, emulate IKE,
judge with the rule catalog, waive.

``pipeline.run`` is the one entry point (CLI, API, report); ``engine.run_audit`` judges ends
already in memory; ``negotiate`` (peer compatibility, a pure function) is what the lab's
differential test compares with real strongSwan.
"""
