"""The sandbox's own figures (``Sandbox.truth``), added up from a company's seeded G/L entries.

Business Central books an entry in the accounting period its posting date falls in (there is no
booking period apart from the date), so each entry counts in the month of its fiscal year. The
balance at a year's start is every balance-sheet account's balance the day before: profit and
loss reaches the retained-earnings account only through the closing entries *Close Income
Statement* posts, which are G/L entries like any other (so no result account is carried).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sfsync.models import CompanyDetails
from sfsync.truth import PackageTruth, TruthBuilder

from sfsync_businesscentral.sandbox.books import Company

__all__ = ["company_truth"]


def _period(start: dt.date, day: dt.date) -> int:
    return (day.year - start.year) * 12 + day.month - start.month + 1


def company_truth(company: Company) -> PackageTruth:
    """The trial balance, line places, balances at each year's start and details of a company."""
    books = TruthBuilder()
    for entry in company.entries.values():
        start = next(s for s, e in company.years if s <= entry.posting_date <= e)
        books.add(entry.account.number, start, _period(start, entry.posting_date), entry.debit - entry.credit,
                  line_id=entry.id)
    balances: dict[dt.date, dict[str, Decimal]] = {}
    for start, _end in company.years:
        at: dict[str, Decimal] = {}
        for entry in company.entries.values():
            if entry.posting_date < start and not entry.account.profit_and_loss:
                at[entry.account.number] = at.get(entry.account.number, Decimal(0)) + entry.debit - entry.credit
        balances[start] = at
    street, city, postal = company.address
    details = CompanyDetails(
        name=company.name, vat_number=company.vat_number, street=street, postal_code=postal, city=city,
        country=company.country, email=f"boekhouding@{company.code.lower()}.example",
        phone="+32 16 00 00 00" if company.country == "BE" else "+31 30 000 0000",
        fiscal_year_end=(company.years[-1][0] - dt.timedelta(days=1)).strftime("%m-%d"), modified=company.created,
    )
    return books.build(opening_balances=balances, company_details=details)
