"""Fiscal years, accounts, trial balance, opening balances and company details from the sandbox."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest
from lxml import etree
from sfsync.errors import FatalError
from sfsync.models import AccountKind, Company
from sfsync_yuki.books import _period_bounds
from sfsync_yuki.connector import yuki


def _run(connection, hook, **kwargs):
    async def body(ctx):
        return await getattr(yuki, hook)(ctx=ctx, **kwargs)

    return connection.run(body)


def test_fiscal_years_come_from_the_period_table_and_are_cached(connection, sandbox):
    ref = sandbox.company_refs()[3]  # Peeters: April to March, since 2023-04-01
    years = _run(connection, "sfsync_fetch_fiscal_years", company=Company(ref=ref))
    admin = sandbox.admins[ref]
    assert [(y.start, y.end) for y in years] == [admin.year_bounds(y) for y in (2023, 2024, 2025)]
    assert [y.label for y in years] == ["2023/2024", "2024/2025", "2025/2026"]
    assert [y.closed for y in years] == [True, True, False]
    assert len(years[0].periods) == 12 and years[0].periods[0].start == dt.date(2023, 4, 1)
    assert years[0].periods[-1].end == dt.date(2024, 3, 31)
    tables = sandbox.operation_counts["GetPeriodDateTable"]
    _run(connection, "sfsync_fetch_fiscal_years", company=Company(ref=ref))
    assert sandbox.operation_counts["GetPeriodDateTable"] == tables  # past years are not asked again


def test_accounts_read_the_misspelt_description_and_balance_types(connection, sandbox):
    ref = sandbox.company_refs()[2]  # Lemaire: a French-speaking Belgian administration
    accounts = {a.code: a for a in _run(connection, "sfsync_fetch_accounts", company=Company(ref=ref))}
    chart = sandbox.admins[ref].chart
    assert set(accounts) == set(chart)
    assert accounts["550000"].name == chart["550000"].fr == "Banque KBC"  # from <descripton>
    for code, account in chart.items():
        expected = AccountKind.BALANCE_SHEET if account.balance_sheet else AccountKind.PROFIT_LOSS
        assert accounts[code].kind is expected, code


def test_trial_balance_adds_up_to_the_ledger(connection, sandbox):
    ref = sandbox.company_refs()[0]
    company = Company(ref=ref)
    years = _run(connection, "sfsync_fetch_fiscal_years", company=company)

    async def body(ctx):
        return [batch async for batch in yuki.sfsync_fetch_trial_balance(ctx=ctx, company=company,
                                                                          fiscal_years=years[-2:], cursor=None)]

    batches = connection.run(body)
    assert [b.clear for b in batches] == [(y.start, y.end) for y in reversed(years[-2:])]
    admin = sandbox.admins[ref]
    movements: dict[tuple[str, dt.date], Decimal] = defaultdict(Decimal)
    for line in admin.lines():
        movements[(line.account, dt.date(line.date.year, line.date.month, 1))] += line.amount
    checked = 0
    for batch in batches:
        per_period: dict[dt.date, Decimal] = defaultdict(Decimal)
        for tb in batch.lines:
            assert tb.debit - tb.credit == movements.get((tb.account, tb.period_start), Decimal(0)), tb
            per_period[tb.period_end] += tb.closing
            checked += 1
        assert all(total == 0 for total in per_period.values())  # every period balances
    assert checked > 100
    # The 2025 opening of the bank account is Yuki's start balance for 2025.
    bank_2025 = next(tb for b in batches for tb in b.lines if tb.account == "110000" and tb.period_start == dt.date(2025, 1, 1))
    assert bank_2025.opening == sandbox.start_balances(admin, dt.date(2025, 1, 1))["110000"]


def test_unchanged_trial_balance_years_are_skipped(connection, sandbox, clock):
    company = Company(ref=sandbox.company_refs()[0])

    async def body(ctx, cursor=None):
        out = [b async for b in yuki.sfsync_fetch_trial_balance(ctx=ctx, company=company, fiscal_years=[], cursor=cursor)]
        return out

    first = connection.run(body)
    clock.advance(60)
    sandbox.add_entry(company.ref, day=dt.date(2025, 3, 3))
    second = connection.run(lambda ctx: body(ctx, first[-1].cursor))
    assert [b.clear for b in second] == [(dt.date(2025, 1, 1), dt.date(2025, 12, 31))]


def test_opening_balances_at_a_year_start_and_mid_year(connection, sandbox):
    ref = sandbox.company_refs()[1]
    admin = sandbox.admins[ref]
    company = Company(ref=ref)
    at = dt.date(2024, 7, 1)
    opening = {o.account: o.amount for o in _run(connection, "sfsync_fetch_opening_balances", company=company, at=at)}
    assert opening == {k: v for k, v in sandbox.start_balances(admin, at).items() if v}
    assert sum(opening.values()) == 0
    mid = dt.date(2024, 10, 1)
    later = {o.account: o.amount for o in _run(connection, "sfsync_fetch_opening_balances", company=company, at=mid)}
    expected = sandbox.balances_at(admin, mid - dt.timedelta(days=1))
    assert later == {k: v for k, v in expected.items() if v and admin.chart[k].balance_sheet}


def test_companies_carry_domain_and_details(connection, sandbox):
    companies = _run(connection, "sfsync_list_companies")
    by_ref = {c.ref: c for c in companies}
    peeters = sandbox.admins[sandbox.company_refs()[3]]
    company = by_ref[peeters.id]
    assert (company.name, company.country, company.vat_number) == (peeters.name, "BE", peeters.vat_number)
    assert company.extra["domain"] == peeters.domain_id
    details = _run(connection, "sfsync_fetch_company_details", company=company)
    assert (details.street, details.postal_code, details.city) == (peeters.address, peeters.postcode, peeters.city)


def _period_result(whole: str):
    tns = "http://www.theyukicompany.com/"
    result = etree.Element(f"{{{tns}}}GetPeriodDateTableResult")
    etree.SubElement(result, f"{{{tns}}}period").text = whole.split()[0]
    etree.SubElement(result, f"{{{tns}}}wholePeriod").text = whole
    return result


def test_whole_period_with_an_exclusive_end_is_read_as_inclusive():
    inclusive = _period_result("2023-07-01T00:00:00 2024-06-30T00:00:00")
    assert _period_bounds(inclusive, 2023) == (dt.date(2023, 7, 1), dt.date(2024, 6, 30))
    # The Postman example: "2021-01-02 2022-01-01" is one year, inclusive; "… 2022-01-02" is exclusive.
    assert _period_bounds(_period_result("2021-01-02T00:00:00 2022-01-01T00:00:00"), 2020) == (
        dt.date(2021, 1, 2), dt.date(2022, 1, 1))
    assert _period_bounds(_period_result("2021-01-02T00:00:00 2022-01-02T00:00:00"), 2020) == (
        dt.date(2021, 1, 2), dt.date(2022, 1, 1))


def test_a_refused_period_table_before_the_start_is_skipped(connection, sandbox):
    ref = sandbox.company_refs()[0]  # starts 2023-01-01: yearID 2022 is asked for safety
    sandbox.inject_fault("Server was unable to process request. ---> Invalid year.", operation="GetPeriodDateTable")
    years = _run(connection, "sfsync_fetch_fiscal_years", company=Company(ref=ref))
    assert [y.start.year for y in years] == [2023, 2024, 2025, 2026]
    sandbox.inject_fault("Server was unable to process request. ---> Invalid year.", operation="GetPeriodDateTable")
    connection.state["periods"] = {ref: {"2022": ["2022-01-01", "2022-12-31"]}}  # 2023 is asked first now

    with pytest.raises(FatalError, match="Invalid year"):
        _run(connection, "sfsync_fetch_fiscal_years", company=Company(ref=ref))
