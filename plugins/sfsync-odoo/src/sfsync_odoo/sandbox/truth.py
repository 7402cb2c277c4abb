"""The Odoo sandbox's own figures (``Sandbox.truth``), from a company's posted journal items.

Odoo has no booking periods: an item belongs to the fiscal year of its date, which is an
Enterprise ``account.fiscal.year`` record where one covers it, else the year that
``fiscalyear_last_day``/``fiscalyear_last_month`` give (cut after a record that ends inside it).
The truth is therefore given per year (``period=None``). Balances at a date are not given: account
types differ across the versions the sandbox serves.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from sfsync.models import CompanyDetails
from sfsync.truth import PackageTruth, TruthBuilder


def _end(year: int, month: int, day: int) -> dt.date:
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _year_start(day: dt.date, company: dict[str, Any], records: list[tuple[dt.date, dt.date]]) -> dt.date:
    for start, end in records:
        if start <= day <= end:
            return start
    month, last = int(company["fiscalyear_last_month"]), int(company["fiscalyear_last_day"])
    end = _end(day.year, month, last)
    start = _end(day.year - 1, month, last) + dt.timedelta(days=1) if day <= end else end + dt.timedelta(days=1)
    cuts = [record_end + dt.timedelta(days=1) for _, record_end in records if start <= record_end < day]
    return max([start, *cuts])


def company_truth(db: Any, company_id: int) -> PackageTruth:
    """The yearly trial balance, line places and details of one company."""
    company = db.tables["res.company"][company_id]
    records = sorted((r["date_from"], r["date_to"]) for r in db.tables.get("account.fiscal.year", {}).values()
                     if r["company_id"] == company_id) if db.enterprise else []
    accounts = db.tables["account.account"]
    books = TruthBuilder()
    for move in db.tables["account.move"].values():
        if move["company_id"] != company_id or move["state"] != "posted":
            continue
        start = _year_start(move["date"], company, records)
        for line_id in move["line_ids"]:
            line = db.tables["account.move.line"][line_id]
            code = accounts[line["account_id"]]["code_store"][company_id]
            books.add(code, start, None, line["debit"] - line["credit"], line_id=str(line_id))
    country = db.tables["res.country"].get(company.get("country_id") or 0, {}).get("code")
    details = CompanyDetails(name=company["name"], vat_number=company.get("vat") or None,
                             enterprise_number=company.get("company_registry") or None,
                             fiscal_year_end=f"{int(company['fiscalyear_last_month']):02d}-{int(company['fiscalyear_last_day']):02d}",
                             street=company.get("street") or None, postal_code=company.get("zip") or None,
                             city=company.get("city") or None, country=country, email=company.get("email") or None,
                             phone=company.get("phone") or None)
    return books.build(company_details=details)
