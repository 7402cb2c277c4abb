"""WinBooks on Web's objects as sfsync's models: folders, bookyears with their periods, accounts, lines."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from sfsync.errors import MalformedResponse
from sfsync.models import Account, AccountKind, Company, CompanyDetails, FiscalYear, Period

from sfsync_winbooks_online.assumed import BOOKYEAR_CLOSED_FIELD, MODIFIED_FIELD, PERIOD_YEAR_FIELD

__all__ = ["PeriodPlace", "line_records", "parse_date", "to_account", "to_company", "to_details", "to_fiscal_years"]

_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
PeriodPlace = tuple[FiscalYear, int]
"""A BookPeriod's fiscal year and number."""


def parse_date(value: object) -> dt.datetime:
    """``/Date(1520491871000)/`` (Unix milliseconds) as a UTC datetime."""
    found = _DATE.match(str(value))
    if not found:
        raise MalformedResponse(f"WinBooks on Web sent {value!r} where a /Date(ms)/ belongs")
    return dt.datetime.fromtimestamp(int(found.group(1)) / 1000, dt.UTC)


def to_company(item: dict[str, Any]) -> Company:
    return Company(ref=str(item["Code"]), code=str(item["Code"]), name=str(item.get("Name") or item["Code"]),
                   vat_number=item.get("VatNumber") or None, country=item.get("CountryCode") or None, currency="EUR")


def to_details(item: dict[str, Any]) -> CompanyDetails:
    return CompanyDetails(name=str(item.get("Name") or item["Code"]), vat_number=item.get("VatNumber") or None,
                          street=item.get("Address") or None, postal_code=item.get("ZipCode") or None,
                          city=item.get("City") or None, country=item.get("CountryCode") or None,
                          email=item.get("Email") or None)


def _month_end(year: int, month: int) -> dt.date:
    return (dt.date(year + month // 12, month % 12 + 1, 1)) - dt.timedelta(days=1)


def to_fiscal_years(years: list[dict[str, Any]], periods: list[dict[str, Any]]) -> tuple[list[FiscalYear], dict[str, PeriodPlace]]:
    """The fiscal years (from their book periods' months; period 0 is the opening, on the first
    day) and where each BookPeriod Id is."""
    by_year: dict[str, list[dict[str, Any]]] = {}
    for period in periods:
        by_year.setdefault(str(period[PERIOD_YEAR_FIELD]), []).append(period)
    out, places = [], {}
    for year in years:
        months = sorted((p for p in by_year.get(str(year["Id"]), []) if int(p["Number"])), key=lambda p: int(p["Number"]))
        if not months:
            continue
        spans = {int(p["Number"]): (dt.date(int(p["RelatedYear"]), int(p["RelatedMonth"]), 1),
                                    _month_end(int(p["RelatedYear"]), int(p["RelatedMonth"]))) for p in months}
        start, end = min(s for s, _ in spans.values()), max(e for _, e in spans.values())
        listed = [Period(number=0, start=start, end=start), *(Period(number=n, start=s, end=e) for n, (s, e) in sorted(spans.items()))]
        fiscal = FiscalYear(start=start, end=end, label=str(year.get("Code") or start.year),
                            closed=bool(year.get(BOOKYEAR_CLOSED_FIELD)), periods=tuple(listed))
        out.append(fiscal)
        for period in by_year[str(year["Id"])]:
            places[str(period["Id"])] = (fiscal, int(period["Number"]))
    return sorted(out, key=lambda y: y.start), places


def to_account(item: dict[str, Any]) -> Account:
    code = str(item["Code"])
    first = code[:1]
    kind = AccountKind.BALANCE_SHEET if first in "12345" and first else (
        AccountKind.PROFIT_LOSS if first in ("6", "7") else AccountKind.UNKNOWN)
    return Account(code=code, name=str(item.get("Name") or ""), kind=kind, ref=str(item.get("Id") or "") or None)


def line_records(header: dict[str, Any], places: dict[str, PeriodPlace]) -> list[dict[str, Any]]:
    """A GLTransHeader's transactions as ledger records (the package's own Ids)."""
    try:
        year, number = places[str(header["BookPeriod_Id"])]
        day = parse_date(header["BookDate"]).date().isoformat()
        modified = parse_date(header[MODIFIED_FIELD]) if header.get(MODIFIED_FIELD) else None
        lines = header["GLTransactions"]
    except KeyError as exc:
        raise MalformedResponse(f"a WinBooks on Web GLTransHeader lacks {exc} (or names an unknown book period)") from exc
    out = []
    for trans in lines:
        currency = str(trans.get("CurrencyCode") or "EUR")
        amount = trans["Amount"]
        out.append({
            "id": str(trans["Id"]), "entry": str(header["Id"]), "journal": str(header.get("JournalCode") or ""),
            "date": day, "period": number, "fiscal_year": year.label, "account": str(trans["GLAccountCode"]),
            "description": str(trans.get("CommentBooking") or ""),
            "amount": amount if isinstance(amount, Decimal) else Decimal(str(amount)),
            "currency": currency if currency != "EUR" else None,
            "foreign_amount": trans.get("CurrencyAmount") if currency != "EUR" else None,
            "modified": modified,
        })
    return out
