"""Fiscal years from ``res.company.fiscalyear_last_day``/``fiscalyear_last_month``, computed as
``odoo.tools.date_utils.get_fiscal_year`` does (the end day clamped to the month's length), with
calendar months as periods and years up to ``fiscalyear_lock_date`` marked closed."""

from __future__ import annotations

import calendar
import datetime as dt

from sfsync.models import FiscalYear, Period

__all__ = ["fiscal_year_of", "fiscal_years", "merge_custom_years", "period_of"]


def _end(year: int, month: int, day: int) -> dt.date:
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def fiscal_year_of(day: dt.date, last_day: int, last_month: int) -> tuple[dt.date, dt.date]:
    """The (start, end) of the fiscal year containing ``day``."""
    end = _end(day.year, last_month, last_day)
    if day <= end:
        start = _end(day.year - 1, last_month, last_day) + dt.timedelta(days=1)
        return start, end
    return end + dt.timedelta(days=1), _end(day.year + 1, last_month, last_day)


def _periods(start: dt.date, end: dt.date) -> tuple[Period, ...]:
    periods = []
    cursor = start
    number = 1
    while cursor <= end:
        month_end = dt.date(cursor.year, cursor.month, calendar.monthrange(cursor.year, cursor.month)[1])
        periods.append(Period(number=number, start=cursor, end=min(month_end, end)))
        cursor = min(month_end, end) + dt.timedelta(days=1)
        number += 1
    return tuple(periods)


def fiscal_years(first: dt.date, last: dt.date, last_day: int, last_month: int,
                 lock_date: dt.date | None = None) -> list[FiscalYear]:
    """Every fiscal year from the one containing ``first`` to the one containing ``last``."""
    years = []
    start, end = fiscal_year_of(first, last_day, last_month)
    while start <= last:
        label = str(end.year) if start.year == end.year else f"{start.year}-{end.year}"
        years.append(FiscalYear(start=start, end=end, label=label, closed=bool(lock_date and lock_date >= end),
                                periods=_periods(start, end)))
        start, end = fiscal_year_of(end + dt.timedelta(days=1), last_day, last_month)
    return years


def merge_custom_years(
    custom: list[FiscalYear], computed: list[FiscalYear], *, first: dt.date | None = None
) -> list[FiscalYear]:
    """Enterprise ``account.fiscal.year`` records win; computed years fill what they leave
    uncovered (cut where they would overlap), so the result never overlaps. Pieces that end
    before ``first`` (the first ledger date) hold nothing and are dropped."""
    taken = sorted(((y.start, y.end) for y in custom), key=lambda r: r[0])
    result = list(custom)
    for year in computed:
        pieces = [(year.start, year.end)]
        for start, end in taken:
            next_pieces = []
            for piece_start, piece_end in pieces:
                if end < piece_start or start > piece_end:
                    next_pieces.append((piece_start, piece_end))
                    continue
                if piece_start < start:
                    next_pieces.append((piece_start, start - dt.timedelta(days=1)))
                if piece_end > end:
                    next_pieces.append((end + dt.timedelta(days=1), piece_end))
            pieces = next_pieces
        for start, end in pieces:
            if first is not None and end < first:
                continue
            whole = (start, end) == (year.start, year.end)
            result.append(year if whole else FiscalYear(start=start, end=end, label=year.label, closed=year.closed,
                                                        periods=_periods(start, end)))
    return sorted(result, key=lambda y: y.start)


def custom_year(name: str, start: dt.date, end: dt.date, lock_date: dt.date | None) -> FiscalYear:
    """A fiscal year from an ``account.fiscal.year`` record (any length: an extended first year)."""
    return FiscalYear(start=start, end=end, label=name or f"{start.year}-{end.year}",
                      closed=bool(lock_date and lock_date >= end), periods=_periods(start, end))


def period_of(day: dt.date, years: list[FiscalYear]) -> tuple[int | None, str | None]:
    """The period number and fiscal-year label of ``day``."""
    for year in years:
        if year.contains(day):
            for period in year.periods:
                if period.start <= day <= period.end:
                    return period.number, year.label
            return None, year.label
    return None, None
