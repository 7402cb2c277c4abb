"""The AFAS sandbox's own figures (``Sandbox.truth``), added up from an administration's lines.

Every line counts in the fiscal year and period AFAS books it in (its Year and Period, not its
date). The balance at a year's start is every balance-sheet line of the earlier years, with the
earlier years' profit and loss carried to the result account (0610 Onverdeelde winst).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sfsync.models import CompanyDetails
from sfsync.truth import PackageTruth, TruthBuilder

from sfsync_afas.facts import BALANCE_SHEET_TYPES
from sfsync_afas.sandbox.books import CHART, RESULT_ACCOUNT, Administration

__all__ = ["administration_truth"]


def administration_truth(admin: Administration) -> PackageTruth:
    """The trial balance, line places, balances at each year's start and details of ``admin``."""
    books = TruthBuilder()
    for line in admin.lines.values():
        books.add(line.account, admin.year(line.year).start, line.period, line.debit - line.credit, line_id=line.id)
    balances: dict[dt.date, dict[str, Decimal]] = {}
    for year in admin.years:
        at: dict[str, Decimal] = {}
        for line in admin.lines.values():
            if line.year < year.number:
                code = line.account if CHART[line.account][1] in BALANCE_SHEET_TYPES else RESULT_ACCOUNT
                at[code] = at.get(code, Decimal(0)) + line.debit - line.credit
        balances[year.start] = at
    details = CompanyDetails(name=admin.name, fiscal_year_end=admin.years[-1].end.strftime("%m-%d"))
    return books.build(opening_balances=balances, company_details=details, result_account=RESULT_ACCOUNT)
