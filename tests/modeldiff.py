"""Readable differences between two pydantic models (for round-trip assertion messages)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


def diff(a: Any, b: Any, path: str = "") -> list[str]:
    """Paths where ``a`` and ``b`` differ, with both values."""
    if isinstance(a, BaseModel) and isinstance(b, BaseModel) and type(a) is type(b):
        out: list[str] = []
        for name in type(a).model_fields:
            out += diff(getattr(a, name), getattr(b, name), f"{path}.{name}")
        return out
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b):
            return [f"{path}: length {len(a)} != {len(b)}: {a!r} vs {b!r}"]
        out = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            out += diff(x, y, f"{path}[{i}]")
        return out
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def assert_same(parsed: Any, expected: Any) -> None:
    problems = diff(parsed, expected)
    assert not problems, "parsed != projected:\n" + "\n".join(problems[:20])
