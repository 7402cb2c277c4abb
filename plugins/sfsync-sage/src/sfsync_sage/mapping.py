"""Sage's resources → sfsync's models: businesses, financial settings, ledger accounts, entries.

* A business is a company; Sage gives no business code, so ``code`` is its id.
* Fiscal years are not a Sage resource: they follow from ``/financial_settings``. The current year
  ends on ``year_end_date``; earlier years end on its anniversaries back to
  ``accounts_start_date`` (the first year may be short); years that ended on or before
  ``year_end_lockdown_date`` are closed. Where a business books past ``year_end_date`` before
  running its year end, the following years are added up to today (UNVERIFIED how Sage rolls it).
* A ledger account is balance sheet or profit and loss by its ``ledger_account_type``.
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal
from typing import Any

from sfsync.errors import MalformedResponse
from sfsync.models import Account, AccountKind, Company, CompanyDetails, FiscalYear, Period

__all__ = [
    "PROFIT_AND_LOSS_TYPES",
    "account_code",
    "amount",
    "to_account",
    "to_company",
    "to_details",
    "to_fiscal_years",
]

PROFIT_AND_LOSS_TYPES = frozenset({"SALES", "OTHER_INCOME", "DIRECT_EXPENSES", "OVERHEADS", "DEPRECIATION"})
BALANCE_SHEET_TYPES = frozenset(
    {"BANK", "CURRENT_ASSETS", "FIXED_ASSETS", "FUTURE_ASSETS", "CURRENT_LIABILITY", "FUTURE_LIABILITY",
     "LT_LIABILITY", "EQUITY"}
)


def _date(value: Any, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise MalformedResponse(f"Sage sent {what} {value!r}, which is not a date") from exc


def amount(value: Any, what: str) -> Decimal:
    """A Sage amount (a JSON number read as Decimal, or a string) as a Decimal."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return Decimal(value)
        except ArithmeticError:
            pass
    raise MalformedResponse(f"Sage sent {what} {value!r}, which is not an amount")


def to_company(item: dict[str, Any]) -> Company:
    country = item.get("country") or {}
    return Company(
        ref=str(item["id"]),
        code=str(item["id"]),
        name=str(item.get("name") or item.get("displayed_as") or item["id"]),
        country=str(country.get("id")) if isinstance(country, dict) and country.get("id") else None,
    )


def to_details(business: dict[str, Any], settings: dict[str, Any]) -> CompanyDetails:
    country = business.get("country") or {}
    return CompanyDetails(
        name=str(business.get("name") or business.get("displayed_as") or ""),
        vat_number=str(settings["tax_number"]) if settings.get("tax_number") else None,
        street=" ".join(str(business.get(k) or "") for k in ("address_line_1", "address_line_2")).strip() or None,
        postal_code=business.get("postal_code") or None,
        city=business.get("city") or None,
        country=str(country.get("id")) if isinstance(country, dict) and country.get("id") else None,
        phone=business.get("telephone") or business.get("mobile") or None,
        fiscal_year_end=_date(settings["year_end_date"], "year_end_date").strftime("%m-%d") if settings.get("year_end_date") else None,
        modified=dt.datetime.fromisoformat(str(business["updated_at"]).replace("Z", "+00:00")) if business.get("updated_at") else None,
    )


def _anniversary(day: dt.date, years: int) -> dt.date:
    year = day.year + years
    # A year end on 29 February falls on the 28th in other years.
    return dt.date(year, day.month, min(day.day, calendar.monthrange(year, day.month)[1]))


def _months(start: dt.date, end: dt.date) -> tuple[Period, ...]:
    periods, day, number = [], start, 1
    while day <= end:
        last = min(dt.date(day.year, day.month, calendar.monthrange(day.year, day.month)[1]), end)
        periods.append(Period(number=number, start=day, end=last))
        day, number = last + dt.timedelta(days=1), number + 1
    return tuple(periods)


def to_fiscal_years(settings: dict[str, Any], today: dt.date) -> list[FiscalYear]:
    first = _date(settings.get("accounts_start_date"), "accounts_start_date")
    year_end = _date(settings.get("year_end_date"), "year_end_date")
    lockdown = _date(settings["year_end_lockdown_date"], "year_end_lockdown_date") if settings.get("year_end_lockdown_date") else None
    if year_end < first:
        raise MalformedResponse(f"Sage's year_end_date {year_end} is before accounts_start_date {first}")
    ends = [year_end]
    step = 1
    while _anniversary(year_end, step - 1) < today:  # booked past the year end: add the next years
        ends.append(_anniversary(year_end, step))
        step += 1
    back = -1
    while _anniversary(year_end, back) >= first:
        ends.insert(0, _anniversary(year_end, back))
        back -= 1
    years = []
    start = first
    for end in ends:
        label = str(end.year) if (start.month, start.day) == (1, 1) else f"{start.year}-{end.year}"
        years.append(FiscalYear(start=start, end=end, label=label, closed=lockdown is not None and end <= lockdown,
                                periods=_months(start, end)))
        start = end + dt.timedelta(days=1)
    return years


def nominal_code(value: Any, where: str) -> str:
    """A nominal code (an integer of at least 1 in Sage's API) as the account code we store.

    Anything else is refused, not turned into a string: ``str()`` of a wrongly typed code gave
    every line the same account ``'n/a'`` and the sync finished ``ok`` with every line changed.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise MalformedResponse(f"Sage sent the nominal code {value!r} of {where}, which is not a whole number")
    return str(value)


def account_code(item: dict[str, Any]) -> str:
    """The code of a ledger account of ``/ledger_accounts`` (its ``nominal_code``)."""
    code = item.get("nominal_code")
    if code is None:
        raise MalformedResponse(f"Sage's ledger account {item.get('id')} has no nominal_code")
    return nominal_code(code, f"ledger account {item.get('id')}")


def to_account(item: dict[str, Any]) -> Account:
    kind_id = str((item.get("ledger_account_type") or {}).get("id") or "")
    if kind_id in PROFIT_AND_LOSS_TYPES:
        kind = AccountKind.PROFIT_LOSS
    elif kind_id in BALANCE_SHEET_TYPES:
        kind = AccountKind.BALANCE_SHEET
    else:
        kind = AccountKind.UNKNOWN
    return Account(code=account_code(item), name=str(item.get("name") or item.get("displayed_as") or ""),
                   kind=kind, ref=str(item["id"]))
