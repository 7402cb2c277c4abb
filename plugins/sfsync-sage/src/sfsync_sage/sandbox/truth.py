"""The Sage sandbox's own figures (``Sandbox.truth``), added up from a business's seeded entries.

Every live ledger entry counts in the fiscal year its date falls in and in the month of that year
(Sage has no booking period apart from the date). The balance at a year's start is the opening
balance journal plus every balance-sheet entry before it, the earlier years' profit and loss
carried to the retained-earnings account, as Sage's trial balance opens a year.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sfsync.models import CompanyDetails
from sfsync.truth import PackageTruth, TruthBuilder

from sfsync_sage.sandbox.books import Business

__all__ = ["business_truth"]


def _period(start: dt.date, day: dt.date) -> int:
    return (day.year - start.year) * 12 + day.month - start.month + 1


def business_truth(business: Business) -> PackageTruth:
    """The trial balance, line places, balances at each year's start and details of a business."""
    books = TruthBuilder()
    for entry in business.live_entries():
        start = next(s for s, e in business.years if s <= entry.date <= e)
        books.add(str(entry.account.nominal_code), start, _period(start, entry.date),
                  entry.debit - entry.credit, line_id=entry.id)
    retained = str(business.role("retained").nominal_code)
    balances: dict[dt.date, dict[str, Decimal]] = {}
    for start, _end in business.years:
        at: dict[str, Decimal] = {str(a.nominal_code): amount for a, amount in business.opening}
        for entry in business.live_entries():
            if entry.date < start:
                code = retained if entry.account.profit_and_loss else str(entry.account.nominal_code)
                at[code] = at.get(code, Decimal(0)) + entry.debit - entry.credit
        balances[start] = at
    street, city, postal = business.address
    details = CompanyDetails(
        name=business.name, vat_number=business.vat_number, street=street, postal_code=postal, city=city,
        country=business.country, phone=business.telephone, fiscal_year_end=business.year_end.strftime("%m-%d"),
        modified=business.created_at,
    )
    return books.build(opening_balances=balances, company_details=details, result_account=retained)
