"""Fiscal years from ``res.company.fiscalyear_last_day``/``fiscalyear_last_month``, computed as
``odoo.tools.date_utils.get_fiscal_year`` does (the end day clamped to the month's length), with
calendar months as periods and years up to ``fiscalyear_lock_date`` marked closed."""

from __future__ import annotations

import calendar
import datetime as dt

from sfsync.models import FiscalYear, Period

__all__ = ["fiscal_year_of", "fiscal_years", "period_of"]


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


def period_of(day: dt.date, years: list[FiscalYear]) -> tuple[int | None, str | None]:
    """The period number and fiscal-year label of ``day``."""
    for year in years:
        if year.contains(day):
            for period in year.periods:
                if period.start <= day <= period.end:
                    return period.number, year.label
            return None, year.label
    return None, None
