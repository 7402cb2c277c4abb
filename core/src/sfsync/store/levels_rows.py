"""Rows of the connection levels, shared by both SQL stores: support staff, administrative links
and company details with their history (schema version 4).

One writer for these tables: the SQL is written once with ``?`` placeholders and each store says
its own placeholder (:attr:`LevelsRows.placeholder`). Timestamps are ISO text on the way in (both
drivers take them), and read back from text or from a driver's datetime alike.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, ClassVar

from sfsync.models import CompanyDetails, Granularity, SyncMode
from sfsync.store.base import CompanyDetailsRecord, LinkRecord, User

__all__ = ["ADMIN_LINK_COLUMNS", "LEVELS_TABLES", "LevelsRows", "admin_link_of", "owner_backfill"]

LEVELS_TABLES = """
CREATE TABLE IF NOT EXISTS support_users (
    id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS admin_links (
    dossier_id TEXT PRIMARY KEY, connection_id TEXT NOT NULL,
    company_ref TEXT NOT NULL, company_name TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS company_details (
    dossier_id TEXT NOT NULL, version INTEGER NOT NULL, source TEXT NOT NULL, fetched_at TEXT NOT NULL,
    data TEXT NOT NULL, PRIMARY KEY (dossier_id, version))
"""
"""The tables of schema version 4 (the connection columns are added by each store's migration)."""


def owner_backfill() -> str:
    """SQL that binds an existing dossier-level connection to the dossier first linked to it,
    so that a store migrated to version 4 keeps the rule that such a connection has one dossier."""
    return (
        "UPDATE connections SET owner_dossier_id = (SELECT dossier_id FROM links"
        " WHERE links.connection_id = connections.id ORDER BY links.created_at LIMIT 1)"
        " WHERE level = 'dossier'"
    )


ADMIN_LINK_COLUMNS = "dossier_id, connection_id, company_ref, company_name, created_at"
"""The columns of ``admin_links`` that :func:`admin_link_of` reads, in its order."""


def admin_link_of(row: Sequence[Any]) -> LinkRecord:
    """The administrative link of an ``admin_links`` row selected as :data:`ADMIN_LINK_COLUMNS`."""
    return LinkRecord(
        dossier_id=row[0], connection_id=row[1], company_ref=row[2], company_name=row[3],
        mode=SyncMode.REPLACE, granularity=Granularity.DETAILS, needs_full_sync=False,
        created_at=_text_time(row[4]),
    )


def _text_time(value: Any) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


class LevelsRows:
    """Support staff, administrative links and company details, for a store with ``_tx``,
    ``_one`` and ``_all`` (both SQL stores)."""

    placeholder: ClassVar[str] = "?"

    if TYPE_CHECKING:  # provided by the store
        def _tx(self) -> AbstractContextManager[Any]: ...
        def _one(self, sql: str, params: Sequence[Any] = ()) -> Any: ...
        def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]: ...

    def _q(self, sql: str) -> str:
        return sql if self.placeholder == "?" else sql.replace("?", self.placeholder)

    # --- support staff --------------------------------------------------------------------------

    def add_support_user(self, email: str) -> User:
        """Add a member of the host's support staff (no firm; acts across firms)."""
        user = User(f"sup_{uuid.uuid4().hex[:12]}", "", email, "support")
        with self._tx() as db:
            db.execute(self._q("INSERT INTO support_users (id, email, created_at) VALUES (?, ?, ?)"),
                       (user.id, email, _now()))
        return user

    def find_support_user(self, email: str) -> User | None:
        """The support staff member with this email, if any."""
        row = self._one(self._q("SELECT id, email FROM support_users WHERE email = ?"), (email,))
        return User(row[0], "", row[1], "support") if row else None

    def _support_user(self, user_id: str) -> User | None:
        row = self._one(self._q("SELECT id, email FROM support_users WHERE id = ?"), (user_id,))
        return User(row[0], "", row[1], "support") if row else None

    # --- administrative links -------------------------------------------------------------------

    def save_admin_link(self, link: LinkRecord) -> None:
        """Save the dossier's administrative link (one per dossier); ``created_at`` is when it was
        last saved, so the runner asks for the details afresh after a re-link."""
        with self._tx() as db:
            db.execute(self._q(
                "INSERT INTO admin_links (dossier_id, connection_id, company_ref, company_name, created_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (dossier_id) DO UPDATE SET"
                " connection_id = excluded.connection_id, company_ref = excluded.company_ref,"
                " company_name = excluded.company_name, created_at = excluded.created_at"),
                (link.dossier_id, link.connection_id, link.company_ref, link.company_name, _now()))

    def get_admin_link(self, dossier_id: str) -> LinkRecord | None:
        """The dossier's administrative link, if it has one."""
        row = self._one(self._q(f"SELECT {ADMIN_LINK_COLUMNS} FROM admin_links WHERE dossier_id = ?"), (dossier_id,))
        return None if row is None else admin_link_of(row)

    def delete_admin_link(self, dossier_id: str) -> None:
        """Remove the dossier's administrative link; its kept details stay."""
        with self._tx() as db:
            db.execute(self._q("DELETE FROM admin_links WHERE dossier_id = ?"), (dossier_id,))

    # --- company details --------------------------------------------------------------------------

    def save_company_details(
        self, dossier_id: str, source: str, details: CompanyDetails, *, at: dt.datetime
    ) -> bool:
        """Keep ``details`` as a new version unless they equal the current one."""
        data = details.model_dump_json()
        with self._tx() as db:
            row = db.execute(self._q(
                "SELECT version, data FROM company_details WHERE dossier_id = ? ORDER BY version DESC LIMIT 1"),
                (dossier_id,)).fetchone()
            if row is not None and details.same_as(CompanyDetails.model_validate_json(row[1])):
                return False
            db.execute(self._q(
                "INSERT INTO company_details (dossier_id, version, source, fetched_at, data)"
                " VALUES (?, ?, ?, ?, ?)"),
                (dossier_id, (row[0] if row else 0) + 1, source, at.isoformat(), data))
        return True

    def _details_rows(self, dossier_id: str, limit: int) -> Iterator[CompanyDetailsRecord]:
        rows = self._all(self._q(
            "SELECT dossier_id, source, fetched_at, data FROM company_details WHERE dossier_id = ?"
            " ORDER BY version DESC LIMIT ?"), (dossier_id, limit))
        for row in rows:
            yield CompanyDetailsRecord(
                dossier_id=row[0], source=row[1], fetched_at=_text_time(row[2]),
                details=CompanyDetails.model_validate(json.loads(row[3])),
            )

    def company_details(self, dossier_id: str) -> CompanyDetailsRecord | None:
        """The dossier's current company details, if any were fetched."""
        return next(self._details_rows(dossier_id, 1), None)

    def company_details_history(self, dossier_id: str, *, limit: int = 20) -> list[CompanyDetailsRecord]:
        """Every kept version, newest first."""
        return list(self._details_rows(dossier_id, limit))
