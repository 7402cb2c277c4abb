"""Fiscal years from the company's fiscal-year end, non-calendar years and lock dates."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from decimal import Decimal

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


def test_odoo_enterprise_fiscal_year_records_win_over_the_settings() -> None:
    sandbox = OdooSandbox(17, "jsonrpc", enterprise=True)
    ctx = make_context(sandbox)
    years = asyncio.run(odoo.sfsync_fetch_fiscal_years(ctx=ctx, company=Company(ref="2")))
    assert (years[0].start, years[0].end, years[0].label) == (
        dt.date(2022, 7, 1), dt.date(2023, 12, 31), "Boekjaar 2022-2023 (verlengd)"
    )
    assert len(years[0].periods) == 18
    assert (years[1].start, years[1].end) == (dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    # After the records, the settings (now 31 December) take over.
    assert (years[2].start, years[2].end, years[2].label) == (dt.date(2025, 1, 1), dt.date(2025, 12, 31), "2025")
    for before, after in itertools.pairwise(years):
        assert after.start == before.end + dt.timedelta(days=1)


def test_odoo_community_has_no_fiscal_year_model_and_it_is_asked_once() -> None:
    sandbox = OdooSandbox(17, "xmlrpc")
    ctx = make_context(sandbox)
    asyncio.run(odoo.sfsync_fetch_fiscal_years(ctx=ctx, company=Company(ref="1")))
    assert ctx.state["odoo_fiscal_year_model"] is False
    mark = len(sandbox.calls)
    asyncio.run(odoo.sfsync_fetch_fiscal_years(ctx=make_context(sandbox, state=ctx.state), company=Company(ref="1")))
    assert "account.fiscal.year" not in {model for _, model, _ in sandbox.calls[mark:]}


def test_odoo_merge_cuts_computed_years_around_records() -> None:
    from sfsync_odoo.fiscal import custom_year, merge_custom_years

    computed = fiscal_years(dt.date(2023, 1, 1), dt.date(2025, 12, 31), 31, 12)
    custom = [custom_year("Verlengd", dt.date(2023, 1, 1), dt.date(2024, 6, 30), None)]
    merged = merge_custom_years(custom, computed)
    assert [(y.start, y.end) for y in merged] == [
        (dt.date(2023, 1, 1), dt.date(2024, 6, 30)),
        (dt.date(2024, 7, 1), dt.date(2024, 12, 31)),
        (dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
    ]


def test_odoo_fiscal_years_cost_two_calls_once_the_model_is_known() -> None:
    # The company's year end and lock date, then the first and the last posted line's date in one
    # read_group: the first line's date and the last one's used to cost a search_read each.
    sandbox = OdooSandbox(17, "jsonrpc")
    ctx = make_context(sandbox)
    asyncio.run(odoo.sfsync_fetch_fiscal_years(ctx=ctx, company=Company(ref="1")))
    mark = len(sandbox.calls)
    asyncio.run(odoo.sfsync_fetch_fiscal_years(ctx=make_context(sandbox, state=ctx.state), company=Company(ref="1")))
    assert [(model, method) for _, model, method in sandbox.calls[mark:]] == [
        ("res.company", "read"), ("account.move.line", "read_group"),
    ]


def test_odoo_an_entry_booked_before_the_first_year_and_after_the_last_extends_the_years() -> None:
    sandbox = OdooSandbox(17, "jsonrpc")
    ctx = make_context(sandbox)
    before = asyncio.run(odoo.sfsync_fetch_fiscal_years(ctx=ctx, company=Company(ref="1")))
    first, last = before[0].start, before[-1].end
    for day in (first - dt.timedelta(days=40), last + dt.timedelta(days=40)):
        sandbox.book("1", [("bank", Decimal("10.00"), None), ("other_income", None, Decimal("10.00"))], date=day)
    sandbox.book("1", [("bank", Decimal("99.00"), None), ("other_income", None, Decimal("99.00"))],
                 date=first - dt.timedelta(days=800), state="draft")  # a draft counts for nothing
    after = asyncio.run(odoo.sfsync_fetch_fiscal_years(ctx=make_context(sandbox, state=ctx.state),
                                                       company=Company(ref="1")))
    assert after[0].end == first - dt.timedelta(days=1) and after[0].start == dt.date(first.year - 1, 1, 1)
    assert after[-1].start == last + dt.timedelta(days=1)
    assert len(after) == len(before) + 2
