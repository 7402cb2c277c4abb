"""Where sfsync keeps firms, connections, dossiers, synced figures and run results.

:class:`Store` is the protocol; :class:`SQLiteStore` is the embedded default (one file, WAL,
nothing to install) and ``sfsync.store.postgres.PostgresStore`` the production store.
"""

from sfsync.store.base import (
    ConnectionRecord,
    DossierRecord,
    Firm,
    LinkRecord,
    RunRecord,
    Store,
    User,
)
from sfsync.store.sqlite import SQLiteStore

__all__ = [
    "ConnectionRecord",
    "DossierRecord",
    "Firm",
    "LinkRecord",
    "RunRecord",
    "SQLiteStore",
    "Store",
    "User",
    "open_store",
]


def open_store(url: str) -> Store:
    """Open a store from a URL: ``sqlite:///path.db`` (or a plain path) or ``postgresql://…``."""
    if url.startswith(("postgresql://", "postgres://")):
        from sfsync.store.postgres import PostgresStore

        return PostgresStore(url)
    return SQLiteStore(url.removeprefix("sqlite:///"))
