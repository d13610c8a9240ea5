"""Operating IPsec (MISSION D2/D4): IKE logging scripts, log parsers and diagnosis, perfmon.

Nothing here changes a host: ccsec prints the scripts an administrator reviews and runs, and
reads what the hosts produced (logs, event exports, counter CSV).
"""
