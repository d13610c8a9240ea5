"""Collecting facts from hosts: the read-only Windows collector script, its JSON schema, the
importer of its files, and the Communications Manager phone export reader."""
