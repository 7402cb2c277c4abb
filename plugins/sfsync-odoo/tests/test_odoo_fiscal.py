"""Fiscal years from the company's fiscal-year end, non-calendar years and lock dates."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools

from sfsync.models import Company
from sfsync_odoo.connector import odoo
from sfsync_odoo.fiscal import fiscal_year_of, fiscal_years
from sfsync_odoo.sandbox import OdooSandbox
from sfsync_odoo.sandbox.testing import make_context


def test_odoo_fiscal_year_of_follows_get_fiscal_year() -> None:
    assert fiscal_year_of(dt.date(2024, 3, 1), 31, 12) == (dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    assert fiscal_year_of(dt.date(2024, 6, 30), 30, 6) == (dt.date(2023, 7, 1), dt.date(2024, 6, 30))
    assert fiscal_year_of(dt.date(2024, 7, 1), 30, 6) == (dt.date(2024, 7, 1), dt.date(2025, 6, 30))
    # 31 February is clamped to the month's last day, leap years included.
    assert fiscal_year_of(dt.date(2024, 3, 1), 31, 2) == (dt.date(2024, 3, 1), dt.date(2025, 2, 28))
    assert fiscal_year_of(dt.date(2024, 2, 29), 31, 2) == (dt.date(2023, 3, 1), dt.date(2024, 2, 29))


def test_odoo_fiscal_years_have_month_periods_and_closed_flags() -> None:
    years = fiscal_years(dt.date(2022, 7, 1), dt.date(2025, 1, 5), 30, 6, dt.date(2024, 6, 30))
    assert [y.label for y in years] == ["2022-2023", "2023-2024", "2024-2025"]
    assert [y.closed for y in years] == [True, True, False]
    assert all(len(y.periods) == 12 for y in years)
    assert years[0].periods[0].start == dt.date(2022, 7, 1) and years[0].periods[-1].end == dt.date(2023, 6, 30)


def test_odoo_connector_reads_the_companys_non_calendar_year() -> None:
    sandbox = OdooSandbox(17, "jsonrpc")
    ctx = make_context(sandbox)
    years = asyncio.run(odoo.sfsync_fetch_fiscal_years(ctx=ctx, company=Company(ref="2")))
    company = sandbox.db.tables["res.company"][2]
    assert company["fiscalyear_last_month"] == "6"
    assert years[0].start == dt.date(2022, 7, 1)
    assert all(y.end.month == 6 and y.end.day == 30 for y in years)
    assert [y.closed for y in years if y.end <= company["fiscalyear_lock_date"]] == [True, True]
    assert not any(y.closed for y in years if y.end > company["fiscalyear_lock_date"])
    for before, after in itertools.pairwise(years):
        assert after.start == before.end + dt.timedelta(days=1)
    calendar = asyncio.run(odoo.sfsync_fetch_fiscal_years(ctx=ctx, company=Company(ref="1")))
    assert calendar[0].start == dt.date(2023, 1, 1) and calendar[0].label == "2023"


def test_odoo_company_details() -> None:
    sandbox = OdooSandbox(19, "json2")
    details = asyncio.run(odoo.sfsync_fetch_company_details(ctx=make_context(sandbox), company=Company(ref="1")))
    assert details.name == "Bakkerij Voorbeeld BV"
    assert details.country == "BE" and details.city == "Gent"
    assert details.vat_number == sandbox.db.tables["res.company"][1]["vat"]
