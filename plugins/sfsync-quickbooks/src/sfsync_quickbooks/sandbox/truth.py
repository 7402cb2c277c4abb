"""The QuickBooks sandbox's own figures (``Sandbox.truth``), added up from a company's postings.

Every posting of a live transaction counts at its date's month in the fiscal year that holds it
(QuickBooks has no booking periods of its own). The balance at a year's start is QuickBooks':
every balance-sheet account's postings of earlier years, with their income and expense carried
to Retained Earnings.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sfsync.models import CompanyDetails
from sfsync.truth import PackageTruth, TruthBuilder

from sfsync_quickbooks.sandbox.books import SCompany, fiscal_start
from sfsync_quickbooks.sandbox.reports import txn_line_ids


def _period(day: dt.date, start: dt.date) -> int:
    return (day.year - start.year) * 12 + day.month - start.month + 1


def company_truth(company: SCompany) -> PackageTruth:
    accounts = {a.id: a for a in company.accounts}
    retained = next(a.number for a in company.accounts if a.subtype == "RetainedEarnings")
    books = TruthBuilder()
    starts: set[dt.date] = set()
    live = company.live()
    for txn in live:
        start = fiscal_start(txn.date, company.fiscal_start_month)
        starts.add(start)
        for posting, line_id in zip(txn.postings, txn_line_ids(company, txn), strict=True):
            books.add(accounts[posting.account].number, start, _period(txn.date, start), posting.amount,
                      line_id=line_id)
    balances: dict[dt.date, dict[str, Decimal]] = {}
    for start in sorted(starts):
        at: dict[str, Decimal] = {}
        for txn in live:
            if txn.date >= start:
                continue
            for posting in txn.postings:
                account = accounts[posting.account]
                code = retained if account.classification in ("Revenue", "Expense") else account.number
                at[code] = at.get(code, Decimal(0)) + posting.amount
        balances[start] = {code: amount for code, amount in at.items() if amount}
    details = CompanyDetails(
        name=company.legal_name, vat_number=company.vat_number, street=company.street,
        postal_code=company.postal_code, city=company.city, country=company.country,
        email=company.email, phone=company.phone,
    )
    return books.build(opening_balances=balances, company_details=details, result_account=retained)
