"""The two reports the connector reads, computed from the postings: ``GeneralLedger`` (every
posting per account, with the columns asked for) and ``TrialBalance`` (balances at the end date).

Facts: Report.xsd (``Header``/``Columns``/``Rows``, ``ColData`` with ``value`` and ``id``); the
GeneralLedger column keys ``tx_date``, ``txn_type``, ``doc_num``, ``name``, ``memo``,
``split_acc``, ``subt_nat_amount``, ``rbal_nat_amount`` are its defaults. UNVERIFIED, kept in
:data:`GL_COLUMNS`: the keys ``debt_amt``, ``credit_amt``, ``currency``, ``exch_rate`` and
``nat_foreign_amount``, and that TrialBalance ignores ``start_date`` for the balances it shows
(balance-sheet accounts cumulative, income and expense from the fiscal year's start, earlier
years' result in Retained Earnings).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sfsync_quickbooks.sandbox.books import SAccount, SCompany, STxn, fiscal_start
from sfsync_quickbooks.sandbox.wire import money, report_header

GL_COLUMNS: dict[str, tuple[str, str]] = {
    "tx_date": ("Date", "Date"),
    "txn_type": ("Transaction Type", "String"),
    "doc_num": ("Num", "String"),
    "name": ("Name", "String"),
    "memo": ("Memo/Description", "String"),
    "split_acc": ("Split", "String"),
    "subt_nat_amount": ("Amount", "Money"),
    "rbal_nat_amount": ("Balance", "Money"),
    "debt_amt": ("Debit", "Money"),
    "credit_amt": ("Credit", "Money"),
    "currency": ("Currency", "String"),
    "exch_rate": ("Exchange Rate", "Rate"),
    "nat_foreign_amount": ("Foreign Amount", "Money"),
}
GL_DEFAULT = ("tx_date", "txn_type", "doc_num", "name", "memo", "split_acc", "subt_nat_amount",
              "rbal_nat_amount")
TXN_TYPE_LABELS = {"Invoice": "Invoice", "Bill": "Bill", "Payment": "Payment", "Purchase": "Expense",
                   "JournalEntry": "Journal Entry"}
"""The report writes a transaction's type as a person reads it (a Purchase is an 'Expense')."""


def _column(key: str) -> dict[str, Any]:
    title, kind = GL_COLUMNS[key]
    return {"ColTitle": title, "ColType": kind, "MetaData": [{"Name": "ColKey", "Value": key}]}


def _profit_loss(account: SAccount) -> bool:
    return account.classification in ("Revenue", "Expense")


def general_ledger(company: SCompany, start: dt.date, end: dt.date, columns: tuple[str, ...],
                   now: dt.datetime, basis: str) -> dict[str, Any]:
    accounts = {a.id: a for a in company.accounts}
    live = [t for t in company.live() if start <= t.date <= end]
    live.sort(key=lambda t: (t.date, int(t.id)))
    sections = []
    for item in sorted(company.accounts, key=lambda a: int(a.id)):
        rows = []
        opening = sum((p.amount for t in company.live() if t.date < start for p in t.postings
                       if p.account == item.id), Decimal(0))
        if _profit_loss(item):
            opening = Decimal(0)
        running = opening
        for txn in live:
            for posting in txn.postings:
                if posting.account != item.id:
                    continue
                running += posting.amount
                split = next((accounts[p.account].name for p in txn.postings if p.account != item.id), "")
                cells = {
                    "tx_date": {"value": txn.date.isoformat()},
                    "txn_type": {"value": TXN_TYPE_LABELS[txn.kind], "id": txn.id},
                    "doc_num": {"value": txn.doc},
                    "name": {"value": txn.party},
                    "memo": {"value": posting.memo},
                    "split_acc": {"value": split},
                    "subt_nat_amount": {"value": money(posting.amount)},
                    "rbal_nat_amount": {"value": money(running)},
                    "debt_amt": {"value": money(posting.amount) if posting.amount > 0 else ""},
                    "credit_amt": {"value": money(-posting.amount) if posting.amount < 0 else ""},
                    "currency": {"value": txn.currency},
                    "exch_rate": {"value": format(txn.rate, "f")},
                    "nat_foreign_amount": {"value": money(posting.foreign) if posting.foreign is not None
                                           else money(posting.amount)},
                }
                rows.append({"ColData": [cells[key] for key in columns], "type": "Data"})
        if not rows and opening == 0:
            continue
        blank = [{"value": ""} for _ in columns[1:]]
        if opening and not _profit_loss(item):
            first = [{"value": "Beginning Balance"}, *[{"value": ""} for _ in columns[1:]]]
            if "rbal_nat_amount" in columns:
                first[columns.index("rbal_nat_amount")] = {"value": money(opening)}
            rows.insert(0, {"ColData": first, "type": "Data"})
        total = [{"value": f"Total for {item.name}"}, *blank]
        if "subt_nat_amount" in columns:
            total[columns.index("subt_nat_amount")] = {"value": money(running - opening)}
        sections.append({
            "Header": {"ColData": [{"value": item.name, "id": item.id}, *blank]},
            "Rows": {"Row": rows},
            "Summary": {"ColData": total},
            "type": "Section",
        })
    return {
        "Header": report_header("GeneralLedger", start, end, company.currency, now, basis, not sections),
        "Columns": {"Column": [_column(key) for key in columns]},
        "Rows": {"Row": sections},
    }


def balances_at(company: SCompany, end: dt.date) -> dict[str, Decimal]:
    """Per account Id, the trial-balance figure at ``end`` (debit positive)."""
    year_start = fiscal_start(end, company.fiscal_start_month)
    accounts = {a.id: a for a in company.accounts}
    retained = next(a.id for a in company.accounts if a.subtype == "RetainedEarnings")
    out: dict[str, Decimal] = {}
    for txn in company.live():
        if txn.date > end:
            continue
        for posting in txn.postings:
            key = posting.account
            if _profit_loss(accounts[key]) and txn.date < year_start:
                key = retained
            out[key] = out.get(key, Decimal(0)) + posting.amount
    return {k: v for k, v in out.items() if v != 0}


def trial_balance(company: SCompany, start: dt.date, end: dt.date, now: dt.datetime,
                  basis: str) -> dict[str, Any]:
    balances = balances_at(company, end)
    rows: list[dict[str, Any]] = []
    debit_total = credit_total = Decimal(0)
    for item in sorted(company.accounts, key=lambda a: int(a.id)):
        amount = balances.get(item.id)
        if amount is None:
            continue
        debit_total += max(amount, Decimal(0))
        credit_total += max(-amount, Decimal(0))
        rows.append({"ColData": [
            {"value": item.name, "id": item.id},
            {"value": money(amount) if amount > 0 else ""},
            {"value": money(-amount) if amount < 0 else ""},
        ]})
    rows.append({"Summary": {"ColData": [{"value": "TOTAL"}, {"value": money(debit_total)},
                                         {"value": money(credit_total)}]},
                 "type": "Section", "group": "GrandTotal"})
    return {
        "Header": report_header("TrialBalance", start, end, company.currency, now, basis, not balances),
        "Columns": {"Column": [{"ColTitle": "", "ColType": "Account"},
                               {"ColTitle": "Debit", "ColType": "Money"},
                               {"ColTitle": "Credit", "ColType": "Money"}]},
        "Rows": {"Row": rows},
    }


def txn_line_ids(company: SCompany, txn: STxn) -> list[str]:
    """The line ids the connector gives this transaction's postings: entity, Id, account and the
    ordinal of the posting among this transaction's postings to that account."""
    seen: dict[str, int] = {}
    ids = []
    for posting in txn.postings:
        n = seen.get(posting.account, 0)
        seen[posting.account] = n + 1
        ids.append(f"{txn.kind}-{txn.id}-{posting.account}-{n}")
    return ids
