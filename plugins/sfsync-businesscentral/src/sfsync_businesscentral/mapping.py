"""Business Central's entities → sfsync's models: accounting periods, accounts, company details.

* **Fiscal years** are the accounting periods between two ``newFiscalYear`` markers: a year runs
  from its marker's ``startingDate`` to the day before the next marker; each period to the day
  before the next period. The last period ends a month after it starts (Business Central's
  periods are months unless a firm chose otherwise; the true end of the very last period is
  UNVERIFIED, the API shows only starting dates). A year whose periods are all ``closed`` is
  closed (its closing entries are posted); ``dateLocked`` periods are kept as closed too.
* **Accounts** of ``accountType`` ``Posting`` are the chart; ``category`` Income, Cost of Goods
  Sold and Expense are profit and loss, Assets, Liabilities and Equity balance sheet.
* **Company details** from ``companyInformation``; the fiscal year ends the day before
  ``currentFiscalYearStartDate``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from sfsync.errors import MalformedResponse
from sfsync.models import Account, AccountKind, CompanyDetails, FiscalYear, Period

__all__ = ["amount", "day", "stamp", "to_account", "to_details", "to_fiscal_years"]

PROFIT_AND_LOSS = frozenset({"Income", "Cost_x0020_of_x0020_Goods_x0020_Sold", "Cost of Goods Sold", "Expense"})
BALANCE_SHEET = frozenset({"Assets", "Liabilities", "Equity"})


def day(value: Any, what: str) -> dt.date:
    """An ``Edm.Date``."""
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise MalformedResponse(f"Business Central sent {what} {value!r}, which is not a date") from exc


def stamp(value: Any, what: str) -> dt.datetime:
    """An ``Edm.DateTimeOffset``."""
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise MalformedResponse(f"Business Central sent {what} {value!r}, which is not a time") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def amount(value: Any, what: str) -> Decimal:
    """An ``Edm.Decimal`` (read as ``Decimal``) or a trial balance's amount string."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return Decimal(value.replace(",", "")) if value.strip() else Decimal(0)
        except InvalidOperation:
            pass
    raise MalformedResponse(f"Business Central sent {what} {value!r}, which is not an amount")


def _next_month(start: dt.date) -> dt.date:
    return dt.date(start.year + start.month // 12, start.month % 12 + 1, 1) if start.day == 1 else (
        start + dt.timedelta(days=31))


def to_fiscal_years(periods: list[dict[str, Any]]) -> list[FiscalYear]:
    """The fiscal years the accounting periods describe."""
    rows = sorted(((day(p.get("startingDate"), "an accounting period's startingDate"), p) for p in periods),
                  key=lambda item: item[0])
    years: list[list[tuple[dt.date, dict[str, Any]]]] = []
    for start, period in rows:
        if period.get("newFiscalYear") is True or not years:
            years.append([])
        years[-1].append((start, period))
    out = []
    for index, year in enumerate(years):
        end = (years[index + 1][0][0] if index + 1 < len(years) else _next_month(year[-1][0])) - dt.timedelta(days=1)
        numbered = []
        for number, (start, _period) in enumerate(year, start=1):
            following = year[number][0] if number < len(year) else end + dt.timedelta(days=1)
            numbered.append(Period(number=number, start=start, end=following - dt.timedelta(days=1)))
        first = year[0][0]
        label = str(first.year) if (first.month, first.day) == (1, 1) else f"{first.year}-{end.year}"
        closed = all(p.get("closed") is True for _s, p in year)
        out.append(FiscalYear(start=first, end=end, label=label, closed=closed, periods=tuple(numbered)))
    return out


def to_account(item: dict[str, Any]) -> Account:
    """A G/L account."""
    number = str(item.get("number") or "").strip()
    if not number:
        raise MalformedResponse(f"Business Central's account {item.get('id')} has no number")
    category = str(item.get("category") or "")
    kind = (AccountKind.PROFIT_LOSS if category in PROFIT_AND_LOSS
            else AccountKind.BALANCE_SHEET if category in BALANCE_SHEET else AccountKind.UNKNOWN)
    return Account(code=number, name=str(item.get("displayName") or ""), kind=kind, ref=str(item.get("id") or ""))


def to_details(info: dict[str, Any]) -> CompanyDetails:
    """A company's master data."""
    street = " ".join(str(info.get(k) or "") for k in ("addressLine1", "addressLine2")).strip()
    start = info.get("currentFiscalYearStartDate")
    year_end = (day(start, "currentFiscalYearStartDate") - dt.timedelta(days=1)).strftime("%m-%d") if start else None
    return CompanyDetails(
        name=str(info.get("displayName") or ""),
        vat_number=info.get("taxRegistrationNumber") or None,
        street=street or None,
        postal_code=info.get("postalCode") or None,
        city=info.get("city") or None,
        country=info.get("country") or None,
        email=info.get("email") or None,
        phone=info.get("phoneNumber") or None,
        fiscal_year_end=year_end,
        modified=stamp(info["lastModifiedDateTime"], "lastModifiedDateTime") if info.get("lastModifiedDateTime") else None,
    )
