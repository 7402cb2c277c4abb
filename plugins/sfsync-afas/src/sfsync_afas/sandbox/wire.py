"""AFAS's wire format as the sandbox writes it: the ``{skip, take, rows}`` envelope, dates, the
error body, and the rows and metainfo of each GetConnector.

* Dates and date-times are written ``2025-03-04T00:00:00Z`` / ``2025-03-04T10:22:13Z``: "Date-time
  fields contain a date with a Z at the end … The time is always Amsterdam" (get-connector.md).
* Amounts are JSON numbers with their exact digits; booleans are JSON booleans; an empty text is
  ``null`` (the get-connector.md sample shows ``"AddressAdd": null``).
* Errors: ``{"externalMessage", "errorNumber", "profitLogReference"}`` (troubleshooting.md).
* Row fields are exactly the Mutaties.json schema's for each connector (the tests hold them to it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sfsync.sandbox.responses import json_response
from sfsync.sandbox.routing import Response

from sfsync_afas.facts import UNEXPECTED_ERROR_NUMBER
from sfsync_afas.sandbox.books import CHART, JOURNALS, Administration, Line, Year

__all__ = ["FIELDS", "afas_error", "envelope", "metainfo", "row_makers", "when"]


def when(value: dt.date | dt.datetime) -> str:
    """AFAS's date(-time) text."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{value.isoformat()}T00:00:00Z"


def afas_error(status: int, message: str, number: int = UNEXPECTED_ERROR_NUMBER, headers: dict[str, str] | None = None) -> Response:
    """AFAS's error body, with a logbook reference as Profit makes one."""
    reference = hashlib.md5(f"{status}:{message}".encode(), usedforsecurity=False).hexdigest().upper()
    return json_response({"externalMessage": message, "errorNumber": number, "profitLogReference": reference},
                         status, headers or {})


def envelope(skip: int, take: int, rows: list[dict[str, Any]]) -> Response:
    return json_response({"skip": skip, "take": take, "rows": rows})


def _administration(admin: Administration) -> dict[str, Any]:
    return {"AdminId": admin.id, "AdminNm": admin.name, "AdminCd": admin.code}


def _account(code: str) -> dict[str, Any]:
    description, kind, role = CHART[code]
    collect = role in ("debtors", "creditors")
    return {
        "Account": code, "Description": description, "Type": kind, "Sort": "B" if role.startswith("vat") else "O",
        "Blocked": False, "CollectAccount": collect, "CollectAccountType": {"debtors": "D", "creditors": "C"}.get(role, "N"),
        "Feature": None, "CollectOn": None, "VatAllowed": kind in ("3", "4"), "VatCode": None, "Budget": "N",
        "ToProject": "N", "DimAx1": "N", "DimAx2": "N", "DimAx3": "N", "DimAx4": "N", "DimAx5": "N",
    }


def _transaction(line: Line) -> dict[str, Any]:
    return {
        "UnitId": line.unit, "EntryNo": line.entry, "SeqNo": line.seq, "Year": line.year, "Period": line.period,
        "JournalId": line.journal, "AccountNo": line.account, "AmtDebit": line.debit, "AmtCredit": line.credit,
        "EntryDate": when(line.entry_date), "InvoiceId": line.invoice, "VoucherDate": when(line.entry_date),
        "VoucherNo": line.voucher_no, "VatCode": line.vat_code, "VatAmt": line.vat_amount,
        "Description": line.description, "Created": when(line.created), "Modified": when(line.modified),
    }


def period_balances(admin: Administration) -> list[dict[str, Any]]:
    """Profit_Period_balance: debit and credit per account and period with movements."""
    sums: dict[tuple[int, int, str], list[Decimal]] = {}
    for line in admin.lines.values():
        total = sums.setdefault((line.year, line.period, line.account), [Decimal(0), Decimal(0)])
        total[0] += line.debit
        total[1] += line.credit
    return [
        {"UnitId": admin.id, "Year": year, "Period": period, "AccountNr": account, "AccountDesc": CHART[account][0],
         "Credit": credit, "Debit": debit, "Balance": debit - credit, "Budget": Decimal("0.00")}
        for (year, period, account), (debit, credit) in sorted(sums.items())
    ]


def _periods(admin: Administration, year: Year) -> list[dict[str, Any]]:
    return [
        {"Unit": admin.id, "Year": year.number, "Period": number, "PeriodDesc": f"{first:%B %Y}",
         "DateFrom": when(first), "DateTo": when(last), "Blocked": year.closed, "Periodtable": 1,
         "TableDesc": "Maanden"}
        for number, first, last in year.periods()
    ]


RowMaker = Callable[[list[Administration], list[tuple[dt.date, dt.datetime]]], list[dict[str, Any]]]


def row_makers() -> dict[str, RowMaker]:
    """Each GetConnector's rows over the whole environment (AFAS filters them by field)."""
    return {
        "Profit_Administrations": lambda admins, _: [_administration(a) for a in admins],
        "Profit_Accounts": lambda admins, _: [_account(code) for code in sorted(CHART)],
        "Profit_Transactions": lambda admins, _: [_transaction(x) for a in admins for x in a.lines.values()],
        "Profit_Period_balance": lambda admins, _: [row for a in admins for row in period_balances(a)],
        "Profit_periods_per_administration": lambda admins, _: [row for a in admins for y in a.years for row in _periods(a, y)],
        "Profit_Journals": lambda admins, _: [
            {"UnitId": a.id, "JournalId": code, "Description": name, "JournalType": kind, "Blocked": False}
            for a in admins for code, (name, kind) in JOURNALS.items()],
        "Profit_Fin_ChangedEntrydate": lambda _, changes: [
            {"EntryDate": when(day), "Modified": when(moment)} for day, moment in changes],
    }


FIELDS: dict[str, dict[str, str]] = {
    "Profit_Administrations": {"AdminId": "int", "AdminNm": "string", "AdminCd": "string"},
    "Profit_Accounts": {"Account": "string", "Description": "string", "Type": "string", "Sort": "string",
                        "Blocked": "boolean", "CollectAccount": "boolean", "CollectAccountType": "string",
                        "Feature": "string", "CollectOn": "string", "VatAllowed": "boolean", "VatCode": "string",
                        "Budget": "string", "ToProject": "string", "DimAx1": "string", "DimAx2": "string",
                        "DimAx3": "string", "DimAx4": "string", "DimAx5": "string"},
    "Profit_Transactions": {"UnitId": "int", "EntryNo": "int", "SeqNo": "int", "Year": "int", "Period": "int",
                            "JournalId": "string", "AccountNo": "string", "AmtDebit": "decimal", "AmtCredit": "decimal",
                            "EntryDate": "date", "InvoiceId": "string", "VoucherDate": "date", "VoucherNo": "string",
                            "VatCode": "string", "VatAmt": "decimal", "Description": "string", "Created": "date",
                            "Modified": "date"},
    "Profit_Period_balance": {"UnitId": "int", "Year": "int", "Period": "int", "AccountNr": "string",
                              "AccountDesc": "string", "Credit": "decimal", "Debit": "decimal", "Balance": "decimal",
                              "Budget": "decimal"},
    "Profit_periods_per_administration": {"Unit": "int", "Year": "int", "Period": "int", "PeriodDesc": "string",
                                          "DateFrom": "date", "DateTo": "date", "Blocked": "boolean",
                                          "Periodtable": "int", "TableDesc": "string"},
    "Profit_Journals": {"UnitId": "int", "JournalId": "string", "Description": "string", "JournalType": "string",
                        "Blocked": "boolean"},
    "Profit_Fin_ChangedEntrydate": {"EntryDate": "date", "Modified": "date"},
}
"""Each connector's fields and their metainfo ``dataType`` (the filterable and sortable fields)."""

METAINFO_DESCRIPTIONS = {
    "Profit_Administrations": "Administraties (Profit)", "Profit_Accounts": "Grootboekrekeningen (Financieel)",
    "Profit_Transactions": "Financiële mutaties", "Profit_Period_balance": "Periodesaldi",
    "Profit_periods_per_administration": "Perioden per administratie", "Profit_Journals": "Dagboeken",
    "Profit_Fin_ChangedEntrydate": "Gewijzigde boekdatums",
}


def metainfo(connector: str) -> dict[str, Any]:
    """``/metainfo/get/{connector}``: name, description and fields (get-connector.md sample)."""
    return {
        "name": connector,
        "description": METAINFO_DESCRIPTIONS[connector],
        "fields": [
            {"id": name, "fieldId": f"U{n:03d}", "dataType": kind, "label": name, "length": 0 if kind != "string" else 80,
             "controlType": 1 if kind == "string" else 5, "decimals": 2 if kind == "decimal" else 0, "decimalsFieldId": ""}
            for n, (name, kind) in enumerate(FIELDS[connector].items(), 1)
        ],
    }
