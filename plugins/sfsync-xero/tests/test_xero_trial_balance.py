"""xerotb: Xero's Trial Balance report parsed into per-period totals, checked against the
journals (for organisations without revaluations) and against the spec's own example."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal

import pytest
from sfsync.clock import FakeClock
from sfsync.models import AccountKind
from sfsync_xero.connector import xero, xerotb
from sfsync_xero.fiscal import fiscal_years_between, periods
from sfsync_xero.reports import parse_trial_balance
from sfsync_xero.sandbox import XeroSandbox
from sfsync_xero.sandbox.data import revaluations
from sfsync_xero.sandbox.harness import connect, next_run
from sfsync_xero.sandbox.spec import load

START = dt.datetime(2026, 1, 15, 2, 0, tzinfo=dt.UTC)


def test_parses_the_spec_example_report():
    example = load("xero_accounting.yaml")["paths"]["/Reports/TrialBalance"]["get"]["responses"]["200"]
    report = example["content"]["application/json"]["example"]["Reports"][0]
    parsed = parse_trial_balance(report)
    assert parsed.rows and all(isinstance(r.ytd, Decimal) for r in parsed.rows)
    assert {r.section for r in parsed.rows} >= {"Revenue", "Assets", "Equity"}
    first = parsed.rows[0]
    cells = report["Rows"][1]["Rows"][0]["Cells"]
    assert first.account_id == cells[0]["Attributes"][0]["Value"]
    assert first.label == cells[0]["Value"] and first.code == cells[0]["Value"].rsplit("(", 1)[1].rstrip(")")
    debit, credit, ytd_debit, ytd_credit = (Decimal(c["Value"] or 0) for c in cells[1:5])
    assert first.month == debit - credit and first.ytd == ytd_debit - ytd_credit
    assert parsed.totals is not None and parsed.totals[0] == parsed.totals[1]
    assert parsed.warnings(dt.date(2019, 4, 24)) == []


def test_fiscal_years_from_the_year_end_day_and_month():
    years = fiscal_years_between(dt.date(2023, 6, 30), dt.date(2026, 1, 15), 30, 6)
    assert [(y.start, y.end) for y in years] == [
        (dt.date(2022, 7, 1), dt.date(2023, 6, 30)), (dt.date(2023, 7, 1), dt.date(2024, 6, 30)),
        (dt.date(2024, 7, 1), dt.date(2025, 6, 30)), (dt.date(2025, 7, 1), dt.date(2026, 6, 30))]
    assert all(len(y.periods) == 12 for y in years)
    feb = fiscal_years_between(dt.date(2024, 1, 1), dt.date(2024, 1, 1), 28, 2)[0]
    assert feb.end == dt.date(2024, 2, 29) and feb.start == dt.date(2023, 3, 1)
    odd = periods(dt.date(2025, 3, 16), dt.date(2026, 3, 15))
    assert len(odd) == 12 and odd[0].end == dt.date(2025, 4, 15) and odd[-1].start == dt.date(2026, 2, 16)


async def _both(sandbox: XeroSandbox, clock: FakeClock, index: int):
    out = {}
    for name, plugin in (("xero", xero), ("xerotb", xerotb)):
        ctx = await connect(sandbox, name, clock=clock)
        company = (await plugin.sfsync_list_companies(ctx=ctx))[index]
        years = await plugin.sfsync_fetch_fiscal_years(ctx=ctx, company=company)
        accounts = await plugin.sfsync_fetch_accounts(ctx=ctx, company=company)
        if name == "xero":
            batches = [b async for b in plugin.sfsync_fetch_ledger(ctx=ctx, company=company, since=None, cursor=None, fiscal_years=years)]
        else:
            batches = [b async for b in plugin.sfsync_fetch_trial_balance(ctx=ctx, company=company, fiscal_years=years, cursor=None)]
        out[name] = (company, years, accounts, batches, ctx)
        await ctx.aclose()
    return out


def _compare(result) -> tuple[dict, dict, dict]:
    _, years, accounts, ledger_batches, _ = result["xero"]
    _, tb_years, _, tb_batches, _ = result["xerotb"]
    assert [(y.start, y.end) for y in years] == [(y.start, y.end) for y in tb_years]
    kinds = {a.code: a.kind for a in accounts}
    lines = [ln for b in ledger_batches for ln in b.lines]
    totals = {(t.account, t.period_end): t for b in tb_batches for t in b.lines}
    movement: dict[tuple[str, dt.date], Decimal] = defaultdict(Decimal)
    closing: dict[tuple[str, dt.date], Decimal] = defaultdict(Decimal)
    for year in years:
        for period in year.periods:
            for ln in lines:
                amount = ln.debit - ln.credit
                if period.start <= ln.date <= period.end:
                    movement[(ln.account, period.end)] += amount
                in_scope = ln.date <= period.end and (kinds[ln.account] is AccountKind.BALANCE_SHEET or ln.date >= year.start)
                if in_scope:
                    closing[(ln.account, period.end)] += amount
    return totals, movement, {"closing": closing, "kinds": kinds}


def test_ledger_summed_per_account_and_period_equals_the_trial_balance():
    clock = FakeClock(START)
    sandbox = XeroSandbox(clock=clock)
    result = asyncio.run(_both(sandbox, clock, 0))
    totals, movement, extra = _compare(result)
    org = sandbox.orgs[0]
    retained = org.system("RETAINEDEARNINGS").code
    assert len(totals) > 100
    for (account, end), total in totals.items():
        assert total.debit - total.credit == movement.get((account, end), Decimal(0)), (account, end)
        if account != retained:  # Xero moves earlier years' profit into retained earnings
            assert total.closing == extra["closing"].get((account, end), Decimal(0)), (account, end)
    for key, amount in movement.items():
        if amount and key[1] <= START.date().replace(day=28) and key[1] >= min(k[1] for k in totals):
            assert key in totals, key


def test_non_calendar_periods_use_the_previous_report():
    clock = FakeClock(START)
    sandbox = XeroSandbox(clock=clock)
    sandbox.orgs[2].fy_day, sandbox.orgs[2].fy_month = 15, 3
    result = asyncio.run(_both(sandbox, clock, 2))
    totals, movement, _extra = _compare(result)
    assert any(end.day == 15 for _, end in totals)
    for (account, end), total in totals.items():
        assert total.debit - total.credit == movement.get((account, end), Decimal(0)), (account, end)


def test_foreign_currency_trial_balance_carries_revaluations_the_journals_lack():
    clock = FakeClock(START)
    sandbox = XeroSandbox(clock=clock)
    result = asyncio.run(_both(sandbox, clock, 1))
    totals, _movement, extra = _compare(result)
    org = sandbox.orgs[1]
    bank = next(a for a in org.accounts if a.currency == "USD")
    differences = {end: total.closing - extra["closing"].get((bank.code, end), Decimal(0))
                   for (account, end), total in totals.items() if account == bank.code}
    assert any(differences.values())
    for end, difference in differences.items():
        reval = {day: amount for day, account, amount in revaluations(org, end) if account is bank and day == end}
        assert difference == reval.get(end, Decimal(0)), end


def test_open_periods_are_read_again_closed_ones_not():
    clock = FakeClock(START)
    sandbox = XeroSandbox(clock=clock)

    async def scenario():
        ctx = await connect(sandbox, "xerotb", clock=clock)
        company = (await xerotb.sfsync_list_companies(ctx=ctx))[0]
        years = await xerotb.sfsync_fetch_fiscal_years(ctx=ctx, company=company)
        first = [b async for b in xerotb.sfsync_fetch_trial_balance(ctx=ctx, company=company, fiscal_years=years, cursor=None)]
        await ctx.aclose()
        sandbox.requests.clear()
        ctx = next_run(ctx)
        again = [b async for b in xerotb.sfsync_fetch_trial_balance(ctx=ctx, company=company, fiscal_years=years, cursor=first[-1].cursor)]
        await ctx.aclose()
        return years, first, again

    years, first, again = asyncio.run(scenario())
    lock = sandbox.orgs[0].period_lock
    closed = json.loads(first[-1].cursor)["closed"]
    assert closed and max(closed) == lock.isoformat()
    dates = [r[2]["date"] for r in sandbox.api_requests("/Reports/TrialBalance")]
    expected = [p.end.isoformat() for y in years for p in y.periods if lock < p.end and p.start <= START.date()]
    assert dates == expected
    assert all(b.clear == (b.lines[0].period_start, b.lines[0].period_end) for b in again if b.lines)


def test_trial_balance_lines_add_up_and_balance_per_period():
    clock = FakeClock(START)
    sandbox = XeroSandbox(clock=clock)
    result = asyncio.run(_both(sandbox, clock, 0))
    per_period: dict[dt.date, Decimal] = defaultdict(Decimal)
    for batch in result["xerotb"][3]:
        assert batch.warnings == []
        for total in batch.lines:
            per_period[total.period_end] += total.closing
    assert per_period and set(per_period.values()) == {Decimal(0)}


@pytest.mark.parametrize("value", ["12.5", "", "1,234.50"])
def test_report_amount_cells(value: str):
    report = {"Rows": [
        {"RowType": "Header", "Cells": [{"Value": v} for v in ("Account", "Debit", "Credit", "YTD Debit", "YTD Credit")]},
        {"RowType": "Section", "Title": "Assets", "Rows": [{"RowType": "Row", "Cells": [
            {"Value": "Bank (550000)"}, {"Value": value}, {"Value": ""}, {"Value": value}, {"Value": ""}]}]}]}
    row = parse_trial_balance(report).rows[0]
    expected = Decimal(value.replace(",", "") or 0)
    assert row.month == expected and row.ytd == expected and row.code == "550000" and row.account_id is None


def test_opening_balances_of_a_since_link_plus_its_lines_give_the_trial_balance():
    clock = FakeClock(START)
    sandbox = XeroSandbox(clock=clock)

    async def scenario():
        ctx = await connect(sandbox, "xero", clock=clock)
        company = (await xero.sfsync_list_companies(ctx=ctx))[0]
        years = await xero.sfsync_fetch_fiscal_years(ctx=ctx, company=company)
        accounts = await xero.sfsync_fetch_accounts(ctx=ctx, company=company)
        since = years[-1].start
        openings = await xero.sfsync_fetch_opening_balances(ctx=ctx, company=company, at=since)
        lines = [ln async for b in xero.sfsync_fetch_ledger(ctx=ctx, company=company, since=since, cursor=None, fiscal_years=years)
                 for ln in b.lines]
        report = await __import__("sfsync_xero.client", fromlist=["XeroClient"]).XeroClient(ctx, company.ref).trial_balance(
            years[-1].periods[5].end)
        await ctx.aclose()
        return since, accounts, openings, lines, parse_trial_balance(report), years[-1].periods[5].end

    since, accounts, openings, lines, report, end = asyncio.run(scenario())
    assert openings and all(o.date == since for o in openings)
    assert sum((o.amount for o in openings), Decimal(0)) == 0
    kinds = {a.code: a.kind for a in accounts}
    assert all(kinds[o.account] is AccountKind.BALANCE_SHEET for o in openings)
    assert min(ln.date for ln in lines) >= since
    balance: dict[str, Decimal] = defaultdict(Decimal)
    for o in openings:
        balance[o.account] += o.amount
    for ln in lines:
        if ln.date <= end:
            balance[ln.account] += ln.debit - ln.credit
    codes = {a.ref: a.code for a in accounts}
    for row in report.rows:
        assert balance[codes[row.account_id]] == row.ytd, row.label


def test_an_older_login_without_the_trial_balance_scope_gets_a_warning_not_a_failure():
    clock = FakeClock(START)
    sandbox = XeroSandbox(clock=clock)

    async def scenario():
        ctx = await connect(sandbox, "xero", clock=clock,
                            scopes=("offline_access", "accounting.settings.read", "accounting.journals.read"))
        company = (await xero.sfsync_list_companies(ctx=ctx))[0]
        years = await xero.sfsync_fetch_fiscal_years(ctx=ctx, company=company)
        openings = await xero.sfsync_fetch_opening_balances(ctx=ctx, company=company, at=years[-1].start)
        await ctx.aclose()
        return openings, ctx.warnings

    openings, warnings = asyncio.run(scenario())
    assert openings == [] and any("trial-balance scope" in w for w in warnings)


def test_months_booked_before_the_organisation_moved_to_xero_are_read():
    clock = FakeClock(START)
    sandbox = XeroSandbox(clock=clock)
    org = sandbox.orgs[2]
    org.journals = [j for j in org.journals if j.reference != "Conversion balances"]
    org.created += dt.timedelta(days=120)  # the first four months were entered afterwards

    async def scenario():
        ctx = await connect(sandbox, "xerotb", clock=clock)
        company = next(c for c in await xerotb.sfsync_list_companies(ctx=ctx) if c.ref == org.id)
        years = await xerotb.sfsync_fetch_fiscal_years(ctx=ctx, company=company)
        batches = [b async for b in xerotb.sfsync_fetch_trial_balance(ctx=ctx, company=company, fiscal_years=years, cursor=None)]
        await ctx.aclose()
        return years, batches

    years, batches = asyncio.run(scenario())
    first_booking = min(j.date for j in org.journals)
    assert years[0].start <= first_booking < org.created.date()
    ends = {t.period_end for b in batches for t in b.lines}
    assert min(ends) == next(p.end for y in years for p in y.periods if p.start <= first_booking <= p.end)
