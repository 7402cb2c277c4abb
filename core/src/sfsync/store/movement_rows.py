"""A dossier's ledger as *movements*: the debit and credit of its lines added up per account,
date, booking period and fiscal year, shared by both SQL stores.

A trial balance computed from lines (:mod:`sfsync.trial_balance_view`) needs no more than that,
and reading six columns instead of building every line as a model is what keeps a figures page
fast (issue 27). Both stores run the same ``SELECT`` (each says how its lines of one generation
are found, :attr:`MovementRows.lines_of_generation`); the amounts are added up here with
:class:`~decimal.Decimal`, since SQLite has no exact decimal sum.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

__all__ = ["LedgerMovement", "MovementRows"]

_ZERO = Decimal(0)


class LedgerMovement(NamedTuple):
    """The lines of one account on one date in one booking period, added up."""

    account: str
    date: dt.date
    period: int | None
    fiscal_year: str | None
    debit: Decimal
    credit: Decimal


def _day(value: Any) -> dt.date:
    """A date as SQLite (ISO text) or PostgreSQL (``date``) gives it back."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _amount(value: Any) -> Decimal:
    """An amount as SQLite (plain decimal text) or PostgreSQL (``NUMERIC``) gives it back."""
    return value if isinstance(value, Decimal) else Decimal(value)


class MovementRows:
    """The ledger's movements (mixed into each SQL store)."""

    lines_of_generation: ClassVar[str] = ""
    """The ``WHERE`` clause, with ``?`` for the dossier and the generation, that picks one
    generation's ledger lines."""

    placeholder: ClassVar[str] = "?"

    if TYPE_CHECKING:  # provided by the store
        def _gen(self, dossier_id: str, generation: int | None) -> int | None: ...
        def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]: ...

    def ledger_movements(self, dossier_id: str, generation: int | None = None) -> list[LedgerMovement]:
        """The active (or ``generation``'s) ledger added up per account, date, booking period
        and fiscal year, ordered by those; every amount exact."""
        gen = self._gen(dossier_id, generation)
        sql = f"SELECT account, date, period, fiscal_year, debit, credit FROM ledger_lines WHERE {self.lines_of_generation}"
        if self.placeholder != "?":
            sql = sql.replace("?", self.placeholder)
        sums: dict[tuple[Any, Any, Any, Any], list[Decimal]] = {}
        for account, day, period, year, debit, credit in self._all(sql, (dossier_id, gen)):
            total = sums.get((account, day, period, year))
            if total is None:
                total = sums[(account, day, period, year)] = [_ZERO, _ZERO]
            total[0] += _amount(debit)
            total[1] += _amount(credit)
        moves = [LedgerMovement(account, _day(day), period, year, debit, credit)
                 for (account, day, period, year), (debit, credit) in sums.items()]
        moves.sort(key=lambda m: (m.account, m.date, -1 if m.period is None else m.period, m.fiscal_year or ""))
        return moves
