"""Fiscal years from the organisation's ``FinancialYearEndDay`` and ``FinancialYearEndMonth``:
Xero keeps no history of year ends, so every year is derived from the current setting."""

from __future__ import annotations

import calendar
import datetime as dt

from sfsync.models import FiscalYear, Period


def _end_in(year: int, day: int, month: int) -> dt.date:
    last = calendar.monthrange(year, month)[1]
    # 28 February means the end of February, leap years included.
    if month == 2 and day >= 28:
        return dt.date(year, 2, last)
    return dt.date(year, month, min(day, last))


def _add_months(day: dt.date, months: int, anchor_day: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(anchor_day, last))


def year_end_containing(day: dt.date, end_day: int, end_month: int) -> dt.date:
    """The last day of the fiscal year that ``day`` falls in."""
    end = _end_in(day.year, end_day, end_month)
    return end if day <= end else _end_in(day.year + 1, end_day, end_month)


def periods(start: dt.date, end: dt.date) -> tuple[Period, ...]:
    """Monthly periods from ``start``; the last one ends with the year."""
    result = []
    number = 1
    current = start
    while current <= end:
        following = _add_months(start, number, start.day)
        last = min(end, following - dt.timedelta(days=1))
        if number == 12 or following > end:
            last = end
        result.append(Period(number=number, start=current, end=last))
        if last >= end:
            break
        current = last + dt.timedelta(days=1)
        number += 1
    return tuple(result)


def fiscal_year(end: dt.date, end_day: int, end_month: int, *, closed_until: dt.date | None) -> FiscalYear:
    previous_end = _end_in(end.year - 1, end_day, end_month)
    start = previous_end + dt.timedelta(days=1)
    label = str(end.year) if start.year == end.year else f"{start.year}-{end.year}"
    return FiscalYear(
        start=start,
        end=end,
        label=label,
        closed=closed_until is not None and end <= closed_until,
        periods=periods(start, end),
    )


def fiscal_years_between(
    first: dt.date,
    last: dt.date,
    end_day: int,
    end_month: int,
    *,
    closed_until: dt.date | None = None,
) -> list[FiscalYear]:
    """Every fiscal year from the one holding ``first`` to the one holding ``last``."""
    years = []
    end = year_end_containing(first, end_day, end_month)
    final = year_end_containing(last, end_day, end_month)
    while end <= final:
        years.append(fiscal_year(end, end_day, end_month, closed_until=closed_until))
        end = _end_in(end.year + 1, end_day, end_month)
    return years


def place(day: dt.date, years: list[FiscalYear]) -> tuple[FiscalYear | None, Period | None]:
    """The fiscal year and period ``day`` falls in."""
    for year in years:
        if year.contains(day):
            for period in year.periods:
                if period.start <= day <= period.end:
                    return year, period
            return year, None
    return None, None
