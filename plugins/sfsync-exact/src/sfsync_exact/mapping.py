"""Exact rows → sfsync models (divisions, periods, GL accounts, transaction lines, balances)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sfsync.errors import MalformedResponse
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
    "to_company",
    "to_details",
    "to_fiscal_years",
    "to_line",
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


def to_line(row: dict[str, Any], base_currency: str | None) -> LedgerLine:
    """One ``TransactionLines`` row; ``AmountDC`` is signed (positive = debit)."""
    account = text(row.get("GLAccountCode"))
    day = parse_date(row.get("Date"))
    amount = parse_decimal(row.get("AmountDC"))
    if (
        not row.get("ID")
        or not row.get("EntryID")
        or account is None
        or day is None
        or amount is None
    ):
        raise MalformedResponse(
            f"Exact sent a transaction line without ID, EntryID, GLAccountCode, Date or AmountDC "
            f"({row.get('ID')!r})"
        )
    currency = text(row.get("Currency"))
    foreign = currency is not None and base_currency is not None and currency != base_currency
    year = row.get("FinancialYear")
    return LedgerLine.from_signed(
        amount,
        id=str(row["ID"]),
        entry=str(row["EntryID"]),
        journal=text(row.get("JournalCode")),
        date=day,
        period=row.get("FinancialPeriod"),
        fiscal_year=str(year) if year is not None else None,
        account=account,
        description=text(row.get("Description")) or "",
        currency=currency if foreign else None,
        foreign_amount=parse_decimal(row.get("AmountFC")) if foreign else None,
        counterparty=text(row.get("AccountName")) or text(row.get("AccountCode")),
        vat_code=text(row.get("VATCode")),
        modified=parse_stamp(row.get("Modified")),
    )
