"""Ledger lines from the ``GeneralLedger`` report.

Why the report and not the transaction entities: QuickBooks exposes postings only through its
reports. An Invoice, Bill, Payment or Deposit carries its *document* lines; the receivable,
payable, tax, discount and exchange legs that QuickBooks posts for it are implicit, and some
postings have no readable entity at all (inventory adjustments, payroll, the automatic
exchange-rate revaluation). Rebuilding postings from entities would repeat QuickBooks' posting
rules and still miss types. The GeneralLedger report *is* the posted ledger: every posting once,
under its account, with the transaction's type and Id, so the lines of a transaction balance and
an edit or deletion found by CDC maps back to them.

A report line has no id of its own: a line is keyed by its transaction's entity and Id, its
account, and its ordinal among that transaction's postings to that account
(``Invoice-130-84-0``), stable as long as the transaction is.

Columns asked for: :data:`COLUMNS` (UNVERIFIED beyond QuickBooks' default columns: see the
sandbox's ``reports`` module, where the same names are kept).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from sfsync.errors import MalformedResponse
from sfsync.models import FiscalYear

from sfsync_quickbooks.fiscal import place

COLUMNS = ("tx_date", "txn_type", "doc_num", "name", "memo", "debt_amt", "credit_amt", "currency",
           "nat_foreign_amount")

ENTITY_OF_TYPE = {
    "Invoice": "Invoice",
    "Bill": "Bill",
    "Payment": "Payment",
    "Expense": "Purchase",
    "Check": "Purchase",
    "Cash Expense": "Purchase",
    "Credit Card Expense": "Purchase",
    "Credit Card Credit": "Purchase",
    "Journal Entry": "JournalEntry",
    "Deposit": "Deposit",
    "Transfer": "Transfer",
    "Bill Payment (Check)": "BillPayment",
    "Bill Payment (Credit Card)": "BillPayment",
    "Sales Receipt": "SalesReceipt",
    "Credit Memo": "CreditMemo",
    "Refund": "RefundReceipt",
    "Vendor Credit": "VendorCredit",
    "Credit Card Payment": "CreditCardPayment",
}
"""The report's transaction types as the entities CDC names; other types (inventory and payroll
postings) keep their report name and are only refreshed by a full read."""

TRACKED_ENTITIES = tuple(sorted(set(ENTITY_OF_TYPE.values())))


def entry_id(entity: str, txn_id: str) -> str:
    return f"{entity}-{txn_id}"


def _amount(value: str, *, where: str) -> Decimal:
    raw = value.replace(",", "").strip()
    if raw == "":
        return Decimal(0)
    try:
        return Decimal(raw)
    except InvalidOperation as exc:
        raise MalformedResponse(f"QuickBooks' GeneralLedger {where}: {raw[:30]!r} is not an amount") from exc


def _columns(report: dict[str, Any]) -> list[str]:
    keys = []
    for column in (report.get("Columns") or {}).get("Column") or []:
        key = next((m.get("Value") for m in column.get("MetaData") or [] if m.get("Name") == "ColKey"), None)
        keys.append(str(key or column.get("ColTitle") or ""))
    return keys


def ledger_records(
    report: dict[str, Any],
    years: list[FiscalYear],
    codes: dict[str, str],
    home_currency: str,
    *,
    only: set[str] | None = None,
) -> list[dict[str, Any]]:
    """Records for ``LedgerColumns.from_records`` from one GeneralLedger report; ``only`` keeps
    the lines of those entries."""
    keys = _columns(report)
    missing = [k for k in COLUMNS if k not in keys]
    if missing:
        raise MalformedResponse(f"QuickBooks' GeneralLedger lacks the columns {missing}")
    at = {k: keys.index(k) for k in COLUMNS}
    records: list[dict[str, Any]] = []
    ordinals: dict[tuple[str, str], int] = {}
    for section in (report.get("Rows") or {}).get("Row") or []:
        _section(section, at, years, codes, home_currency, only, records, ordinals)
    return records


def _section(section: dict[str, Any], at: dict[str, int], years: list[FiscalYear], codes: dict[str, str],
             home: str, only: set[str] | None, records: list[dict[str, Any]],
             ordinals: dict[tuple[str, str], int]) -> None:
    head = ((section.get("Header") or {}).get("ColData") or [{}])[0]
    account_id = str(head.get("id") or "")
    rows = (section.get("Rows") or {}).get("Row") or []
    for row in rows:
        if row.get("type") == "Section" or "Header" in row:
            # Sub-accounts nest as sections of their own.
            _section(row, at, years, codes, home, only, records, ordinals)
            continue
        cells = row.get("ColData") or []
        if len(cells) < len(at):
            raise MalformedResponse("a QuickBooks GeneralLedger row has fewer cells than columns")
        kind = cells[at["txn_type"]]
        txn_id = str(kind.get("id") or "")
        if not txn_id:
            continue  # Beginning Balance and other rows that are not postings
        if not account_id:
            raise MalformedResponse(f"QuickBooks' GeneralLedger lists transaction {txn_id} under no account")
        if account_id not in codes:
            raise MalformedResponse(f"QuickBooks' GeneralLedger names account {account_id}, which the chart lacks")
        label = str(kind.get("value") or "")
        entity = ENTITY_OF_TYPE.get(label, label.replace(" ", "") or "Transaction")
        entry = entry_id(entity, txn_id)
        if only is not None and entry not in only:
            continue
        n = ordinals.get((entry, account_id), 0)
        ordinals[(entry, account_id)] = n + 1
        line_id = f"{entry}-{account_id}-{n}"
        try:
            day = dt.date.fromisoformat(str(cells[at["tx_date"]].get("value")))
        except ValueError as exc:
            raise MalformedResponse(f"QuickBooks' GeneralLedger line {line_id} has no date") from exc
        where = f"line {line_id}"
        amount = (_amount(str(cells[at["debt_amt"]].get("value") or ""), where=where)
                  - _amount(str(cells[at["credit_amt"]].get("value") or ""), where=where))
        currency = str(cells[at["currency"]].get("value") or "") or home
        year, period = place(day, years)
        memo = str(cells[at["memo"]].get("value") or "")
        doc = str(cells[at["doc_num"]].get("value") or "")
        records.append({
            "id": line_id,
            "entry": entry,
            "journal": entity,
            "date": day,
            "period": period.number if period else None,
            "fiscal_year": year.label if year else None,
            "account": codes[account_id],
            "description": (memo or doc)[:500],
            "amount": amount,
            "currency": currency if currency != home else None,
            "foreign_amount": _amount(str(cells[at["nat_foreign_amount"]].get("value") or ""), where=where)
            if currency != home else None,
            "counterparty": str(cells[at["name"]].get("value") or "") or None,
        })
