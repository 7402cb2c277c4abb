"""A dossier's ledger added up for a trial balance, shared by both SQL stores.

A trial balance computed from lines (:mod:`sfsync.trial_balance_view`) needs each account's
debit and credit per booking period, not the lines themselves; reading every line as a model is
what made a figures page slow (issue 27). So the database adds them up:

- :meth:`MovementRows.period_totals`: the lines that count by their date (no booking period and
  no fiscal year given) per account and period of the fiscal years, the period found in SQL;
- :meth:`MovementRows.ledger_movements`: the other lines per account, date, booking period and
  fiscal year, which the caller places in their booking periods (:class:`~sfsync.placement.Placer`).

Both stores run the same statements (each says how its lines of one generation are found,
:attr:`MovementRows.lines_of_generation`, and how it adds amounts up exactly,
:attr:`MovementRows.exact_sum`: PostgreSQL's ``SUM`` of ``NUMERIC``; SQLite, which has no exact
decimal sum, hands the amounts over as one text and they are added with
:class:`~decimal.Decimal` here). Money never passes through a float.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import MAX_PREC, Context, Decimal, localcontext
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

__all__ = ["EXACT", "LedgerMovement", "MovementRows", "PeriodTotal", "YearSpan"]

_ZERO = Decimal(0)

EXACT = Context(prec=MAX_PREC)
"""Decimal arithmetic that never rounds: sums of amounts stay exact past the default context's
28 digits (an amount in IDR with nine decimals has more)."""


class LedgerMovement(NamedTuple):
    """The lines of one account on one date in one booking period, added up."""

    account: str
    date: dt.date
    period: int | None
    fiscal_year: str | None
    debit: Decimal
    credit: Decimal


class PeriodTotal(NamedTuple):
    """The lines of one account that count by date in one period of one fiscal year, added up
    (``year`` and ``period`` index the spans given, from 0)."""

    account: str
    year: int
    period: int
    debit: Decimal
    credit: Decimal


class YearSpan(NamedTuple):
    """A fiscal year as the sums need it: its first and last day and each period's last day."""

    start: dt.date
    end: dt.date
    period_ends: Sequence[dt.date]


def _day(value: Any) -> dt.date:
    """A date as SQLite (ISO text) or PostgreSQL (``date``) gives it back."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _total(value: Any) -> Decimal:
    """An exact sum as the store gives it: a ``NUMERIC`` (PostgreSQL), or the amounts as text
    joined by commas (SQLite), added up here."""
    if value is None:
        return _ZERO
    if isinstance(value, Decimal):
        return value
    text = str(value)
    return Decimal(text) if "," not in text else sum(map(Decimal, text.split(",")), _ZERO)


def _period_case(spans: Sequence[YearSpan]) -> str:
    """SQL giving a line's ``year * 1000 + period`` by its date, NULL outside every year: the
    latest year starting on or before the date, if it contains the date, and in it the first
    period ending on or after the date (the last period for a day after every period's end).
    The dates are ``date.isoformat()`` of the store's own fiscal years, written as literals."""
    whens = []
    for index in sorted(range(len(spans)), key=lambda i: spans[i].start, reverse=True):
        span = spans[index]
        ends = list(span.period_ends) or [span.end]
        inner = " ".join(f"WHEN date <= '{end.isoformat()}' THEN {index * 1000 + p}" for p, end in enumerate(ends[:-1]))
        last = index * 1000 + len(ends) - 1
        whens.append(f"WHEN date >= '{span.start.isoformat()}' THEN"
                     f" (CASE WHEN date > '{span.end.isoformat()}' THEN NULL {inner} ELSE {last} END)")
    return f"(CASE {' '.join(whens)} ELSE NULL END)" if whens else "NULL"


class MovementRows:
    """The ledger added up for a trial balance (mixed into each SQL store)."""

    lines_of_generation: ClassVar[str] = ""
    """The ``WHERE`` clause, with ``?`` for the dossier and the generation, that picks one
    generation's ledger lines."""

    exact_sum: ClassVar[str] = "group_concat({column})"
    """The aggregate that adds ``{column}``'s amounts up exactly (read back by :func:`_total`)."""

    placeholder: ClassVar[str] = "?"

    if TYPE_CHECKING:  # provided by the store
        def _gen(self, dossier_id: str, generation: int | None) -> int | None: ...
        def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]: ...

    def _sums(self, keys: str, where: str, dossier_id: str, generation: int | None) -> list[Any]:
        debit, credit = self.exact_sum.format(column="debit"), self.exact_sum.format(column="credit")
        sql = (f"SELECT {keys}, {debit}, {credit} FROM ledger_lines WHERE {self.lines_of_generation} AND {where}"
               f" GROUP BY {keys}")
        if self.placeholder != "?":
            sql = sql.replace("?", self.placeholder)
        return self._all(sql, (dossier_id, self._gen(dossier_id, generation)))

    def period_totals(
        self, dossier_id: str, spans: Sequence[YearSpan], generation: int | None = None
    ) -> list[PeriodTotal]:
        """The lines without a booking period or fiscal year, added up per account and period
        of ``spans`` (the fiscal years, ordered as the caller indexes them); lines dated
        outside every year are left out."""
        if not spans:
            return []
        rows = self._sums(f"account, {_period_case(spans)}", "period IS NULL AND fiscal_year IS NULL",
                          dossier_id, generation)
        with localcontext(EXACT):
            return [PeriodTotal(account, code // 1000, code % 1000, _total(debit), _total(credit))
                    for account, code, debit, credit in rows if code is not None]

    def ledger_movements(self, dossier_id: str, generation: int | None = None) -> list[LedgerMovement]:
        """The lines with a booking period or a fiscal year, added up per account, date,
        booking period and fiscal year."""
        rows = self._sums("account, date, period, fiscal_year", "(period IS NOT NULL OR fiscal_year IS NOT NULL)",
                          dossier_id, generation)
        # The same days and sums come back on many rows (an entry's accounts, the zero side of
        # each line): each is read once.
        days: dict[Any, dt.date] = {}
        sums: dict[Any, Decimal] = {}
        with localcontext(EXACT):
            for value in {v for row in rows for v in (row[4], row[5])}:
                sums[value] = _total(value)
            return [LedgerMovement(account, days[day] if day in days else days.setdefault(day, _day(day)),
                                   period, year, sums[debit], sums[credit])
                    for account, day, period, year, debit, credit in rows]
