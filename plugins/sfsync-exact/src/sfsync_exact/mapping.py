"""Exact rows → sfsync models (divisions, periods, GL accounts, transaction lines, balances)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sfsync.errors import MalformedResponse
from sfsync.ledger_columns import LedgerColumns
from sfsync.models import (
    Account,
    AccountKind,
    Company,
    CompanyDetails,
    FiscalYear,
    LedgerLine,
    Period,
)

from sfsync_exact.wire import parse_date, parse_decimal, parse_int64, parse_stamp, text

__all__ = [
    "DIVISION_FIELDS",
    "LINE_FIELDS",
    "to_account",
    "to_columns",
    "to_company",
    "to_details",
    "to_fiscal_years",
    "to_line",
    "to_records",
]

DIVISION_FIELDS = (
    "Code,Description,Hid,Country,Currency,VATNumber,CustomerCode,Status,BlockingStatus"
)
LINE_FIELDS = (
    "ID,EntryID,EntryNumber,Date,FinancialYear,FinancialPeriod,GLAccountCode,AmountDC,AmountFC,"
    "Currency,Description,JournalCode,AccountCode,AccountName,VATCode,Modified"
)


def to_company(row: dict[str, Any]) -> Company:
    code = str(row["Code"])
    extra = {
        "hid": str(parse_int64(row.get("Hid")) or ""),
        "customer_code": text(row.get("CustomerCode")) or "",
        "status": {0: "inactive", 1: "active", 2: "archived"}.get(
            row.get("Status") or 0, "unknown"
        ),
    }
    if row.get("BlockingStatus"):
        extra["blocking_status"] = str(row["BlockingStatus"])
    return Company(
        ref=code,
        code=code,
        name=text(row.get("Description")) or code,
        vat_number=text(row.get("VATNumber")),
        currency=text(row.get("Currency")),
        country=text(row.get("Country")),
        extra=extra,
    )


def to_details(row: dict[str, Any]) -> CompanyDetails:
    return CompanyDetails(
        name=text(row.get("Description")) or str(row.get("Code")),
        vat_number=text(row.get("VATNumber")),
        country=text(row.get("Country")),
    )


def to_fiscal_years(rows: list[dict[str, Any]]) -> list[FiscalYear]:
    """Group ``FinancialPeriods`` by ``FinYear``: a year runs from its first period's start to its
    last period's end (any number of periods: 12 months, 13 four-week periods…)."""
    by_year: dict[int, list[Period]] = defaultdict(list)
    for row in rows:
        start, end = parse_date(row.get("StartDate")), parse_date(row.get("EndDate"))
        if start is None or end is None or row.get("FinYear") is None:
            raise MalformedResponse("Exact sent a financial period without year, start or end")
        by_year[int(row["FinYear"])].append(
            Period(number=int(row["FinPeriod"]), start=start, end=end)
        )
    years = []
    for year, periods in sorted(by_year.items()):
        periods.sort(key=lambda p: (p.start, p.number))
        years.append(
            FiscalYear(
                start=min(p.start for p in periods),
                end=max(p.end for p in periods),
                label=str(year),
                periods=tuple(periods),
            )
        )
    return years


def to_account(row: dict[str, Any]) -> Account:
    code = text(row.get("Code"))
    if code is None:
        raise MalformedResponse("Exact sent a GL account without a code")
    kind = {"B": AccountKind.BALANCE_SHEET, "W": AccountKind.PROFIT_LOSS}.get(
        text(row.get("BalanceType")) or "", AccountKind.UNKNOWN
    )
    return Account(code=code, name=text(row.get("Description")) or "", kind=kind, ref=row.get("ID"))


def to_records(rows: Iterable[dict[str, Any]], base_currency: str | None) -> list[dict[str, Any]]:
    """``TransactionLines`` rows as ledger records for :meth:`LedgerColumns.from_records`.

    Each record is keyed by ``LedgerLine``'s field names, with ``amount`` (``AmountDC``, signed:
    positive = debit) for ``debit``/``credit``, and holds plain values (``str``, ``date``,
    ``Decimal``, ``int``, aware ``datetime``) so a page is validated a column at a time. A row
    without ID, EntryID, GLAccountCode, Date or AmountDC raises :class:`MalformedResponse`; any
    other bad value is left for ``LedgerLine``'s own rules, whose error names field and value.
    """
    # The lines of an entry share their Date and Modified: decode each distinct text once a page.
    days: dict[str, dt.date | None] = {}
    stamps: dict[str, dt.datetime | None] = {}
    records: list[dict[str, Any]] = []
    append = records.append
    for row in rows:
        get = row.get
        raw_day, raw_stamp = get("Date"), get("Modified")
        if type(raw_day) is str:
            day = (
                days[raw_day] if raw_day in days else days.setdefault(raw_day, parse_date(raw_day))
            )
        else:
            day = parse_date(raw_day)
        account = text(get("GLAccountCode"))
        amount = parse_decimal(get("AmountDC"))
        if not get("ID") or not get("EntryID") or account is None or day is None or amount is None:
            raise MalformedResponse(
                f"Exact sent a transaction line without ID, EntryID, GLAccountCode, Date or AmountDC "
                f"({get('ID')!r})"
            )
        if type(raw_stamp) is str:
            stamp = (
                stamps[raw_stamp]
                if raw_stamp in stamps
                else stamps.setdefault(raw_stamp, parse_stamp(raw_stamp))
            )
        else:
            stamp = parse_stamp(raw_stamp)
        currency = text(get("Currency"))
        foreign = currency is not None and base_currency is not None and currency != base_currency
        year = get("FinancialYear")
        append(
            {
                "id": str(row["ID"]),
                "entry": str(row["EntryID"]),
                "journal": text(get("JournalCode")),
                "date": day,
                "period": get("FinancialPeriod"),
                "fiscal_year": str(year) if year is not None else None,
                "account": account,
                "description": text(get("Description")) or "",
                "amount": amount,
                "currency": currency if foreign else None,
                "foreign_amount": parse_decimal(get("AmountFC")) if foreign else None,
                "counterparty": text(get("AccountName")) or text(get("AccountCode")),
                "vat_code": text(get("VATCode")),
                "modified": stamp,
            }
        )
    return records


_DECODERS: dict[str, Any] = {
    "Date": parse_date, "Modified": parse_stamp, "AmountDC": parse_decimal, "AmountFC": parse_decimal,
    "GLAccountCode": text, "Currency": text, "JournalCode": text, "Description": text,
}


def _wrongly_typed(row: dict[str, Any], exc: Exception) -> MalformedResponse:
    """A MalformedResponse naming the line, the field and the value Exact sent (the error path
    only: the hot path decodes without a check per field)."""
    for name, decode in _DECODERS.items():
        try:
            decode(row.get(name))
        except (ValueError, TypeError, AttributeError) as wrong:
            return MalformedResponse(
                f"Exact sent transaction line {row.get('ID')!r} with {name} {row.get(name)!r}, which is not "
                f"of the type Exact documents ({wrong})"
            )
    return MalformedResponse(f"Exact sent transaction line {row.get('ID')!r} with a value it cannot hold ({exc})")


def to_columns(rows: Iterable[dict[str, Any]], base_currency: str | None) -> LedgerColumns:
    """A page of ``TransactionLines`` rows as validated ledger columns (the sync's hot path).

    A value of the wrong type (a number where a ``/Date()/`` belongs, text for an amount, a
    period that is not a number) is a :class:`MalformedResponse` naming line, field and value.
    """
    page = rows if isinstance(rows, list) else list(rows)
    try:
        return LedgerColumns.from_records(to_records(page, base_currency))
    except (ValueError, TypeError, AttributeError) as exc:  # pydantic's ValidationError is a ValueError
        for row in page:
            try:
                LedgerColumns.from_records(to_records([row], base_currency))
            except (ValueError, TypeError, AttributeError) as one:
                raise _wrongly_typed(row, one) from exc
        raise MalformedResponse(f"Exact sent a page of transaction lines that cannot be read ({exc})") from exc


def to_line(row: dict[str, Any], base_currency: str | None) -> LedgerLine:
    """One ``TransactionLines`` row; ``AmountDC`` is signed (positive = debit)."""
    (fields,) = to_records([row], base_currency)
    return LedgerLine.from_signed(fields.pop("amount"), **fields)
