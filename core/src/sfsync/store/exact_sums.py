"""Exact debit-minus-credit sums per entry in SQLite, at any size.

SQLite has no decimal type: amounts are stored as plain decimal text (``codec.money``). Summing
``CAST(ROUND(amount * 1e6) AS INTEGER)`` is inexact past 2**53 and makes ``SUM`` raise "integer
overflow" once an entry's debits pass about 9.2e12 — realistic for books in IDR, VND or IRR. So
each amount is cut into three whole numbers below 10**9, summed separately::

    amount = high * 10**9 + low + fraction / 10**9

``high`` and ``low`` come from ``CAST(amount AS INTEGER)`` (exact for up to 18 digits), the
fraction from the decimals (two decimals, the common case, without any floating point; others
through a REAL that is exact for up to 9 decimals). Such sums stay exact up to millions of lines in
one entry, and the entry balances exactly when the carries go through without remainder. An amount
that cannot be cut (over 18 digits before or 9 after the point) makes its entry a *suspect*, which
the caller sums with :class:`~decimal.Decimal`: nothing is ever rounded away or hidden.
"""

from __future__ import annotations

__all__ = ["UNBALANCED_SQL"]

_PART = 1_000_000_000


def _fraction(column: str) -> str:
    """The decimals of a non-negative amount, in units of 10**-9 (exact for up to 9 decimals)."""
    dot = f"instr({column}, '.')"
    return (
        f"(CASE WHEN {column} = '0' THEN 0"
        f" WHEN substr({column}, -3, 1) = '.' THEN CAST(substr({column}, -2) AS INTEGER) * 10000000"
        f" WHEN {dot} = 0 THEN 0"
        f" ELSE ROUND(CAST(substr({column}, {dot}) AS REAL) * 1e9) END)"
    )


def _too_long(column: str) -> str:
    """Whether an amount cannot be cut: over 18 characters, or over 9 decimals (the first test
    lets the usual short amounts through at once)."""
    dot = f"instr({column}, '.')"
    return (
        f"(length({column}) > 11 AND (length({column}) > 18 OR {dot} > 0 AND length({column}) - {dot} > 9))"
    )


def _unbalanced_sql() -> str:
    debit, credit = "CAST(debit AS INTEGER)", "CAST(credit AS INTEGER)"
    carry = f"(low + fraction / {_PART})"
    return (
        "SELECT entry FROM ("
        f" SELECT entry, SUM({debit} / {_PART} - {credit} / {_PART}) AS high,"
        f" SUM({debit} % {_PART} - {credit} % {_PART}) AS low,"
        f" CAST(SUM({_fraction('debit')} - {_fraction('credit')}) AS INTEGER) AS fraction,"
        f" MAX({_too_long('debit')} OR {_too_long('credit')}) AS suspect"
        " FROM ledger_lines WHERE set_id = ? GROUP BY entry"
        f") WHERE suspect OR fraction % {_PART} != 0 OR {carry} % {_PART} != 0 OR high + {carry} / {_PART} != 0"
        " ORDER BY entry"
    )


UNBALANCED_SQL = _unbalanced_sql()
"""The entries of a ledger set (``?``) whose debits and credits may differ, in entry order: every
one that does, and those with an amount too long to cut (to be confirmed with Decimal)."""
