"""Stores for tests that must hold on SQLite *and* PostgreSQL (imported, not a pytest conftest).

Use it from a test module::

    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib adds nothing
    from conftest_stores import STORE_KINDS, make_store, drop_store

    @pytest.fixture(params=STORE_KINDS)
    def store(request, tmp_path):
        store = make_store(request.param, tmp_path)
        yield store
        drop_store(store)

PostgreSQL needs ``SFSYNC_TEST_POSTGRES_DSN`` (``eval "$(bash .ci/services.sh)"`` sets it); without
it the postgres parameter is skipped with that reason. Each PostgreSQL store gets a fresh schema of
its own in that database, dropped by :func:`drop_store` (or at exit).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from sfsync.store.base import Store
from sfsync.store.sqlite import SQLiteStore

__all__ = ["POSTGRES_DSN_ENV", "STORE_KINDS", "drop_store", "make_store", "postgres_dsn"]

POSTGRES_DSN_ENV = "SFSYNC_TEST_POSTGRES_DSN"

STORE_KINDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]
"""Parameters for a ``store`` fixture: the embedded default and the production store."""

_schemas: set[str] = set()


def postgres_dsn() -> str:
    """The test server's DSN, or skip the test saying how to get one."""
    dsn = os.environ.get(POSTGRES_DSN_ENV)
    if not dsn:
        pytest.skip(
            f'{POSTGRES_DSN_ENV} is not set; run `eval "$(bash .ci/services.sh)"` as root first'
        )
    return dsn


def make_store(kind: str, tmp_path: Path) -> Store:
    """A fresh, empty store of ``kind`` (``"sqlite"`` or ``"postgres"``)."""
    if kind == "sqlite":
        return SQLiteStore(tmp_path / f"store-{uuid.uuid4().hex[:8]}.sqlite3")
    if kind == "postgres":
        pytest.importorskip(
            "psycopg", reason="psycopg is not installed (pip install 'sfsync[postgres]')"
        )
        from sfsync.store.postgres import PostgresStore

        schema = f"sfsync_t_{uuid.uuid4().hex[:12]}"
        _schemas.add(schema)
        return PostgresStore(postgres_dsn(), schema=schema)
    raise ValueError(f"unknown store kind {kind!r}")


def drop_store(store: Any) -> None:
    """Close a store made by :func:`make_store` and drop its PostgreSQL schema."""
    schema = getattr(store, "schema", None)
    store.close()
    if schema in _schemas:
        _drop_schema(schema)
        _schemas.discard(schema)


def _drop_schema(schema: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(os.environ[POSTGRES_DSN_ENV], autocommit=True) as db:
        db.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@atexit.register
def _drop_leftovers() -> None:
    for schema in list(_schemas):
        with contextlib.suppress(Exception):  # the server may be gone at exit; nothing to do
            _drop_schema(schema)
