"""The e-conomic sandbox's own figures (``Sandbox.truth``), added up from an agreement's live
vouchers: each entry counts in the period its date falls in. The balance at a year's start is
every status account's entries of earlier years, with the earlier years' profit and loss carried
to the result account."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sfsync.models import CompanyDetails
from sfsync.truth import PackageTruth, TruthBuilder

from sfsync_economic.sandbox.books import SCompany


def company_truth(company: SCompany) -> PackageTruth:
    kinds = {a.number: a.kind for a in company.accounts}
    books = TruthBuilder()
    for voucher in company.live():
        year = company.year(voucher.year)
        assert year is not None
        period = year.period_of(voucher.date)
        for e in voucher.entries:
            books.add(str(e.account), year.start, period.number, e.amount_base, line_id=str(e.number))
    balances: dict[dt.date, dict[str, Decimal]] = {}
    for year in company.years:
        at: dict[str, Decimal] = {}
        for voucher in company.live():
            if voucher.date >= year.start:
                continue
            for e in voucher.entries:
                code = str(e.account) if kinds[e.account] == "status" else str(company.result_account)
                at[code] = at.get(code, Decimal(0)) + e.amount_base
        balances[year.start] = {code: amount for code, amount in at.items() if amount}
    details = CompanyDetails(
        name=company.name, vat_number=company.vat_number, enterprise_number=company.enterprise_number,
        street=company.street, postal_code=company.postal_code, city=company.city,
        country={"Belgium": "BE", "Netherlands": "NL"}[company.country], email=company.email, phone=company.phone,
    )
    return books.build(opening_balances=balances, company_details=details, result_account=str(company.result_account))
