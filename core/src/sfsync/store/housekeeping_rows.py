"""Listing a firm's users and deleting a dossier with everything kept for it, shared by both SQL
stores (the SQL is written once with ``?`` placeholders, see :class:`LevelsRows`)."""

from __future__ import annotations

from typing import ClassVar

from sfsync.store.base import User
from sfsync.store.levels_rows import LevelsRows

__all__ = ["DOSSIER_TABLES", "HousekeepingRows"]

DOSSIER_TABLES = (
    "fiscal_years", "accounts", "trial_balance", "opening_balances", "checkpoints", "runs", "locks", "links",
    "admin_links", "company_details",
)
"""Every table with a ``dossier_id`` column besides the ledger (each store says how its ledger
lines go: :attr:`HousekeepingRows.ledger_deletes`)."""


class HousekeepingRows(LevelsRows):
    """Users of a firm, and removing a dossier whole."""

    ledger_deletes: ClassVar[tuple[str, ...]] = (
        "DELETE FROM ledger_lines WHERE set_id IN (SELECT id FROM ledger_sets WHERE dossier_id = ?)",
        "DELETE FROM ledger_sets WHERE dossier_id = ?",
    )
    """The statements that delete one dossier's ledger lines (parameter: the dossier id); both
    stores keep lines by set (``ledger_sets``)."""

    def list_users(self, firm_id: str) -> list[User]:
        """The firm's users: admins first, then members, each by email."""
        rows = self._all(self._q("SELECT id, firm_id, email, role FROM users WHERE firm_id = ? ORDER BY role, email"),
                         (firm_id,))
        return [User(*row) for row in rows]

    def delete_dossier(self, dossier_id: str) -> None:
        """Remove the dossier and everything kept for it (lines, balances, runs, links), in one
        transaction: a failure leaves it whole."""
        with self._tx() as db:
            for statement in self.ledger_deletes:
                db.execute(self._q(statement), (dossier_id,))
            for name in DOSSIER_TABLES:
                db.execute(self._q(f"DELETE FROM {name} WHERE dossier_id = ?"), (dossier_id,))  # a fixed table name
            db.execute(self._q("DELETE FROM dossiers WHERE id = ?"), (dossier_id,))
