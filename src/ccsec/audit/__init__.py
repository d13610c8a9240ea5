"""Auditing real configurations (issue #3): import, pair peers, emulate IKE, judge, report.

``negotiate`` (peer compatibility, a pure function) is the piece other code builds on — the
lab's differential test compares its prediction with real strongSwan; ``engine.run_audit`` ties
importers, pairing, coverage and the rule catalog together for ``ccsec audit``.
"""
