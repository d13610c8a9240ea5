"""Pre-shared keys: referenced in the deployment, resolved only when a config is written.

A deployment never holds a key, only a reference (``env:NAME`` or ``file:PATH``).  A rendered
config that needs the key (netsh, IOS, swanctl, the CUCM sheet) gets the value at render time and
is written with mode 0600.  A :class:`Secret` never shows its value in ``repr``/``str``/JSON, so a
key cannot leak into a report, a log line or ``index.json`` by accident.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import stat
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, SecretStr, field_serializer, model_validator

from ccsec.errors import Problem, SecretError

REDACTED = "<redacted>"
REF_PATTERN = re.compile(r"^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+)$")


class Secret(BaseModel):
    """A pre-shared key: a reference (``env:X``/``file:P``), a value, or both.

    Equality compares the reference when both sides have one, otherwise the value — so a policy
    parsed from a rendered file (value only) equals the planned policy once the plan's reference
    is resolved.
    """

    model_config = ConfigDict(frozen=True)

    ref: str | None = None
    value: SecretStr | None = None

    @model_validator(mode="after")
    def _one_of(self) -> Secret:
        if self.ref is None and self.value is None:
            raise ValueError("a secret needs a reference or a value")
        if self.ref is not None and not REF_PATTERN.match(self.ref):
            raise ValueError("a secret reference is env:NAME or file:PATH")
        return self

    @field_serializer("value")
    def _hide(self, value: SecretStr | None) -> str | None:
        return None if value is None else REDACTED

    def __repr__(self) -> str:
        return f"Secret(ref={self.ref!r}, value={'<redacted>' if self.value else None})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        if self.value is not None and other.value is not None:
            return hmac.compare_digest(self._bytes(), other._bytes())
        return self.ref == other.ref

    def __hash__(self) -> int:
        # Equality may compare by reference or by value, so only a constant hash is consistent.
        return hash("ccsec.Secret")

    def _bytes(self) -> bytes:
        """The key's bytes.  A key read from a config may be binary (strongSwan's ``0x``/``0s``
        forms): its readers keep the bytes that are not UTF-8 as surrogate escapes, which only
        ``surrogateescape`` turns back into those bytes (strict encoding raised)."""
        assert self.value is not None
        return self.value.get_secret_value().encode("utf-8", errors="surrogateescape")

    def fingerprint(self) -> str:
        """A short, salted digest: lets two configs be compared without showing either key."""
        if self.value is None:
            return f"ref:{self.ref}"
        digest = hashlib.sha256(b"ccsec-psk-v1:" + self._bytes())
        return "sha256:" + digest.hexdigest()[:16]

    def reveal(self) -> str:
        """The key itself — only for writing a config file that must contain it."""
        if self.value is None:
            raise SecretError(Problem(f"secret {self.ref} has not been resolved"))
        return self.value.get_secret_value()


class SecretResolver:
    """Resolves ``env:`` and ``file:`` references; ``base`` anchors relative file paths."""

    def __init__(self, base: Path | None = None, env: dict[str, str] | None = None) -> None:
        self.base = base or Path.cwd()
        self.env = os.environ if env is None else env

    def resolve(self, secret: Secret, where: str = "psk") -> Secret:
        if secret.value is not None or secret.ref is None:
            return secret
        kind, _, name = secret.ref.partition(":")
        if kind == "env":
            if name not in self.env or not self.env[name]:
                raise SecretError(
                    Problem(
                        f"environment variable {name} is not set (referenced as {secret.ref})",
                        field=where,
                        fix=f"export {name}=<key> before running ccsec",
                    )
                )
            value = self.env[name]
        else:
            path = Path(name)
            if not path.is_absolute():
                path = self.base / path
            value = _read_key_file(path, where)
            if not value:
                raise SecretError(Problem(f"key file {path} is empty", field=where))
        return Secret(ref=secret.ref, value=SecretStr(value))


#: a key file holds one key: anything longer is not one (and /dev/zero never ends)
MAX_KEY_FILE = 64 * 1024


def _read_key_file(path: Path, where: str) -> str:
    """The key in a key file: a regular file of at most 64 KiB of UTF-8 text, stripped."""
    fix = "point psk: file:PATH at a readable file (mode 0600) holding the key as UTF-8 text"
    try:
        with open(path, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise SecretError(Problem(f"key file {path} is not a regular file", field=where,
                                          fix=fix))
            data = fh.read(MAX_KEY_FILE + 1)
    except OSError as exc:
        raise SecretError(Problem(f"cannot read key file {path}: {exc.strerror}", field=where,
                                  fix=fix)) from None
    if len(data) > MAX_KEY_FILE:
        raise SecretError(Problem(f"key file {path} is larger than 64 KiB", field=where, fix=fix))
    try:
        return data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise SecretError(Problem(f"key file {path} is not UTF-8 text", field=where,
                                  fix=fix)) from None


def literal(value: str) -> Secret:
    """A secret read back from a config file (no reference known)."""
    return Secret(value=SecretStr(value))


def redact_text(text: str, secrets: list[Any]) -> str:
    """Replace every occurrence of each secret value in ``text`` with ``<redacted>``."""
    for s in secrets:
        if isinstance(s, Secret) and s.value is not None:
            v = s.value.get_secret_value()
            if v:
                text = text.replace(v, REDACTED)
    return text
