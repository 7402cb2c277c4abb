"""The host's sign-in accounts: an e-mail address, the sfsync user it acts as, and an Argon2 hash.

Passwords are the host's business, not the core's (a host may sign people in with its own single
sign-on instead), so they live in a table of the host's own, ``web_accounts``, in the same
database as the store: the SQLite file, or PostgreSQL when configured.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["PasswordBook"]

_TABLE = (
    "CREATE TABLE IF NOT EXISTS web_accounts ("
    "email TEXT PRIMARY KEY, user_id TEXT NOT NULL, password_hash TEXT NOT NULL)"
)


class PasswordBook:
    """Sign-in accounts kept in SQLite (``path``) or PostgreSQL (``dsn``).

    ``hasher`` defaults to argon2-cffi's own parameters (RFC 9106's low-memory profile); tests
    pass cheaper ones. A stored hash made with other parameters is re-hashed at the next sign-in.
    """

    def __init__(self, *, path: Path | None = None, dsn: str | None = None, hasher: PasswordHasher | None = None) -> None:
        if (path is None) == (dsn is None):
            raise ValueError("give either the SQLite path or the PostgreSQL dsn")
        self.path, self.dsn = path, dsn
        self.hasher = hasher or PasswordHasher()
        self._dummy: str | None = None
        self._mark = "%s" if dsn else "?"
        self._execute(_TABLE, ())

    def _connect(self) -> Any:
        if self.dsn:
            import psycopg

            return psycopg.connect(self.dsn, autocommit=True)
        assert self.path is not None
        return sqlite3.connect(self.path, isolation_level=None, timeout=30)

    def _execute(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with closing(self._connect()) as db:
            cursor = db.execute(sql.replace("?", self._mark), params)
            return list(cursor.fetchall()) if cursor.description else []

    def set_password(self, email: str, user_id: str, password: str) -> None:
        """Give ``email`` (acting as ``user_id``) a password, replacing any earlier one."""
        if len(password) < 10:
            raise ValueError("a password needs at least 10 characters")
        digest = self.hasher.hash(password)
        self._execute("DELETE FROM web_accounts WHERE email = ?", (email.casefold(),))
        self._execute("INSERT INTO web_accounts (email, user_id, password_hash) VALUES (?, ?, ?)",
                      (email.casefold(), user_id, digest))

    def check(self, email: str, password: str) -> str | None:
        """The user id of ``email`` when ``password`` is right, else ``None``."""
        rows = self._execute("SELECT user_id, password_hash FROM web_accounts WHERE email = ?", (email.casefold(),))
        if self._dummy is None:
            # Checking against this when the address is unknown takes as long as a real check,
            # so the time a refusal takes does not tell which addresses have an account.
            self._dummy = self.hasher.hash("no such account")
        digest = rows[0][1] if rows else self._dummy
        try:
            self.hasher.verify(digest, password)
        except (VerificationError, InvalidHashError):
            return None
        if not rows:
            return None
        if self.hasher.check_needs_rehash(digest):
            self._execute("UPDATE web_accounts SET password_hash = ? WHERE email = ?", (self.hasher.hash(password), email.casefold()))
        return str(rows[0][0])
