"""Encryption of credentials, tokens and connection state at rest (Fernet: AES-128-CBC + HMAC).

The key comes from ``SFSYNC_SECRET_KEY`` (a Fernet key: ``sfsync secret-key`` prints a new one),
or, for the embedded default, from a key file created beside the database with 0600 permissions.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from sfsync.errors import ConfigurationError

__all__ = ["SecretBox", "generate_key"]


def generate_key() -> str:
    """A new random key for ``SFSYNC_SECRET_KEY``."""
    return Fernet.generate_key().decode()


class SecretBox:
    """Seals and opens JSON-able values. Its repr never shows the key."""

    def __init__(self, key: str | bytes) -> None:
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(
                "SFSYNC_SECRET_KEY is not a valid key; create one with `sfsync secret-key`"
            ) from exc

    @classmethod
    def from_environment(cls, key_file: Path | None = None) -> SecretBox:
        """The key from ``SFSYNC_SECRET_KEY``, else from ``key_file`` (created 0600 if missing)."""
        key = os.environ.get("SFSYNC_SECRET_KEY")
        if key:
            return cls(key)
        if key_file is None:
            raise ConfigurationError("set SFSYNC_SECRET_KEY (create one with `sfsync secret-key`)")
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(generate_key())
        mode = key_file.stat().st_mode & 0o777
        if mode & 0o077:
            raise ConfigurationError(
                f"the key file {key_file} can be read by others (mode {mode:o}); run chmod 600 on it"
            )
        return cls(key_file.read_text().strip())

    def seal(self, value: Any) -> bytes:
        """Encrypt a JSON-able value."""
        return self._fernet.encrypt(json.dumps(value).encode())

    def open(self, sealed: bytes) -> Any:
        """Decrypt what :meth:`seal` made; a wrong key is a clear error."""
        try:
            return json.loads(self._fernet.decrypt(sealed))
        except InvalidToken as exc:
            raise ConfigurationError(
                "stored credentials cannot be decrypted with this SFSYNC_SECRET_KEY; "
                "use the key they were saved with"
            ) from exc

    def __repr__(self) -> str:
        return "SecretBox(key=***)"
