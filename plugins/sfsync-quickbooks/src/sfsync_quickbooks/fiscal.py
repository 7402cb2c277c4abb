"""Fiscal years from ``CompanyInfo.FiscalYearStartMonth`` (confirmed by Preferences'
``AccountingInfoPrefs.FirstMonthOfFiscalYear``): QuickBooks has no fiscal-year entity, a year is
twelve calendar months from that month, and ``BookCloseDate`` closes the years up to it."""

from __future__ import annotations

import datetime as dt

from sfsync.errors import MalformedResponse
from sfsync.models import FiscalYear, Period

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")


def month_number(name: object, *, where: str) -> int:
    try:
        return MONTHS.index(str(name)) + 1
    except ValueError as exc:
        raise MalformedResponse(f"QuickBooks' {where} is not a month: {str(name)[:20]!r}") from exc


def year_start(day: dt.date, start_month: int) -> dt.date:
    """The first day of the fiscal year that holds ``day``."""
    return dt.date(day.year if day.month >= start_month else day.year - 1, start_month, 1)


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def fiscal_year(start: dt.date, *, closed_until: dt.date | None) -> FiscalYear:
    periods = []
    day = start
    for number in range(1, 13):
        following = _next_month(day)
        periods.append(Period(number=number, start=day, end=following - dt.timedelta(days=1)))
        day = following
    end = periods[-1].end
    label = str(start.year) if start.month == 1 else f"{start.year}-{end.year}"
    closed = closed_until is not None and end <= closed_until
    return FiscalYear(start=start, end=end, label=label, closed=closed, periods=tuple(periods))


def fiscal_years_between(first: dt.date, last: dt.date, start_month: int, *,
                         closed_until: dt.date | None) -> list[FiscalYear]:
    """Every fiscal year from the one holding ``first`` to the one holding ``last``."""
    years = []
    start = year_start(first, start_month)
    while start <= last:
        year = fiscal_year(start, closed_until=closed_until)
        years.append(year)
        start = year.end + dt.timedelta(days=1)
    return years


def place(day: dt.date, years: list[FiscalYear]) -> tuple[FiscalYear | None, Period | None]:
    for year in years:
        if year.contains(day):
            return year, next((p for p in year.periods if p.start <= day <= p.end), None)
    return None, None


def report_windows(start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    """``start``-``end`` cut into windows of at most six calendar months, as Intuit advises for
    reports."""
    windows = []
    day = start
    while day <= end:
        following = day
        for _ in range(6):
            following = _next_month(following)
        stop = min(end, following - dt.timedelta(days=1))
        windows.append((day, stop))
        day = stop + dt.timedelta(days=1)
    return windows
