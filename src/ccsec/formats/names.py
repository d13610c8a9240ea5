"""Unique object names for imported rules and policies, in linear time.

Importers turn real-world names into identifiers, and two objects may end up with the same one
(two crypto maps on one ACL, a thousand Windows rules named alike): the second becomes
``name-2``, the third ``name-3``…  Counting up from 2 for every newcomer costs N² steps for N
equal names (the hardening fuzzer found a 100 KB IOS config that took seconds); this keeps the
next suffix per name, so each name costs one step, and cuts the stem so that the result stays
within the identifier length.
"""

from __future__ import annotations


class UniqueNames:
    """Names taken so far; :meth:`take` hands out the first free ``name``, ``name-2``…

    ``fold``: compare case-insensitively (Windows); ``limit``: the longest name; ``stem``: a
    fixed length the name is cut to before a suffix (default: whatever leaves room for it)."""

    def __init__(self, *, fold: bool = False, limit: int = 80, stem: int | None = None) -> None:
        self._taken: set[str] = set()
        self._next: dict[str, int] = {}
        self._fold = fold
        self._limit = limit
        self._stem = stem

    def _key(self, name: str) -> str:
        return name.casefold() if self._fold else name

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._key(name) in self._taken

    def add(self, name: str) -> None:
        self._taken.add(self._key(name))

    def take(self, name: str) -> str:
        """``name`` if it is free, else the first free suffixed form; taken from now on.  The
        suffixes already handed out for ``name`` are not tried again."""
        key = self._key(name)
        out, n = name, self._next.get(key, 2)
        while self._key(out) in self._taken:
            suffix = f"-{n}"
            cut = self._stem if self._stem is not None else self._limit - len(suffix)
            out, n = name[:cut] + suffix, n + 1
        self._next[key] = n
        self.add(out)
        return out
