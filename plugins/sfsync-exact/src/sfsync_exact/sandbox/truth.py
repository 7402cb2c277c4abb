"""The Exact sandbox's own figures (``Sandbox.truth``), added up from a division's seeded rows.

Every transaction line counts in its ``FinancialYear`` and ``FinancialPeriod`` at ``AmountDC``.
The balance at a year's start is Exact's: every balance-sheet account's lines of the earlier years,
with their profit and loss carried to the retained-earnings account (``Type`` 52, the lowest code).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from sfsync.models import CompanyDetails
from sfsync.truth import PackageTruth, TruthBuilder

if TYPE_CHECKING:
    from sfsync_exact.sandbox.data import DivisionData


def _clean(value: object) -> str | None:
    return str(value).strip() or None if value is not None else None


def division_truth(division: DivisionData) -> PackageTruth:
    """The trial balance, line places, balances at each year's start and details of a division."""
    starts: dict[int, dt.date] = {}
    for period in division.periods:
        year = int(period["FinYear"])
        starts[year] = min(starts.get(year, period["StartDate"]), period["StartDate"])
    books = TruthBuilder()
    for line in division.lines.values():
        books.add(line["GLAccountCode"], starts[int(line["FinancialYear"])], line["FinancialPeriod"],
                  Decimal(line["AmountDC"]), line_id=str(line["ID"]))
    kinds = {code: account["BalanceType"] for code, account in division.glaccounts.items()}
    retained = min((code for code, account in division.glaccounts.items() if account.get("Type") == 52), default=None)
    balances: dict[dt.date, dict[str, Decimal]] = {}
    for year, start in starts.items():
        at: dict[str, Decimal] = {}
        for line in division.lines.values():
            if int(line["FinancialYear"]) >= year:
                continue
            code = line["GLAccountCode"] if kinds.get(line["GLAccountCode"]) == "B" else retained
            if code is not None:
                at[code] = at.get(code, Decimal(0)) + Decimal(line["AmountDC"])
        balances[start] = at
    row = division.row
    details = CompanyDetails(name=_clean(row.get("Description")) or str(row["Code"]),
                             vat_number=_clean(row.get("VATNumber")), country=_clean(row.get("Country")))
    return books.build(opening_balances=balances, company_details=details, result_account=retained)
