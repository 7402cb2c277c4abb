"""Syncing divisions end to end against the sandbox: companies, fiscal years (non-calendar and
13-period), accounts, the ledger (first sync, since, incremental, deletions, resume, division
move), faults met mid-way, rate limits respected, and trial balances."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from sfsync.clock import FakeClock
from sfsync.context import ConnectorContext
from sfsync.errors import AuthError, BudgetExhausted, FatalError, FullResyncRequired
from sfsync.models import AccountKind, Company
from sfsync_exact.client import ERROR_BUDGET, ExactClient
from sfsync_exact.sandbox import SERVER_ERROR, ExactSandbox, LimitConfig, odata_error
from sfsync_exact.sandbox.harness import MiniStore, connect, connector_for, sandbox_view, store_view


def _setup(region: str = "be", **knobs: Any) -> tuple[ExactSandbox, ConnectorContext, Any, Company]:
    sandbox = ExactSandbox(region, clock=FakeClock(), **knobs)
    ctx = asyncio.run(connect(sandbox))
    connector = connector_for(region)
    companies = asyncio.run(connector.sfsync_list_companies(ctx=ctx))
    company = next(c for c in companies if c.ref == sandbox.company_refs()[0])
    return sandbox, ctx, connector, company


def _sync(
    connector: Any,
    ctx: ConnectorContext,
    company: Company,
    store: MiniStore,
    *,
    since: dt.date | None = None,
    stop_after: int | None = None,
) -> int:
    return asyncio.run(
        store.sync(
            connector.sfsync_fetch_ledger(
                ctx=ctx, company=company, since=since, cursor=store.cursor
            ),
            stop_after=stop_after,
        )
    )


def test_exact_companies_are_the_consented_divisions() -> None:
    sandbox, ctx, connector, _ = _setup("nl")
    companies = asyncio.run(connector.sfsync_list_companies(ctx=ctx))
    assert sorted(c.ref for c in companies) == sorted(sandbox.company_refs())
    for company in companies:
        division = sandbox.division(company.ref)
        assert (company.code, company.name, company.country) == (
            str(division.code),
            division.description,
            division.chart.country.strip(),
        )
    assert ctx.state["current_division"] == int(sandbox.company_refs()[0])
    details = asyncio.run(connector.sfsync_fetch_company_details(ctx=ctx, company=companies[0]))
    assert details.vat_number == sandbox.division(companies[0].ref).row["VATNumber"]


@pytest.mark.parametrize("region", ["be", "nl", "fr"])
def test_exact_fiscal_years_cover_every_division_and_line(region: str) -> None:
    sandbox, ctx, connector, _ = _setup(region)
    for ref in sandbox.company_refs():
        company = Company(ref=ref)
        years = asyncio.run(connector.sfsync_fetch_fiscal_years(ctx=ctx, company=company))
        division = sandbox.division(ref)
        assert len(years) == len({p["FinYear"] for p in division.periods})
        for before, after in itertools.pairwise(years):
            assert before.end + dt.timedelta(days=1) == after.start
        for year in years:
            assert [p.number for p in year.periods] == list(range(1, len(year.periods) + 1))
            assert year.periods[0].start == year.start and year.periods[-1].end == year.end
        kinds = {len(y.periods) for y in years}
        if division.chart.name and any(p["FinPeriod"] == 13 for p in division.periods):
            assert kinds == {13}
        first_day = years[0].start
        if first_day.month == 7:  # the July-June division: a non-calendar year
            assert years[0].end == dt.date(first_day.year + 1, 6, 30) and years[0].label == str(
                first_day.year + 1
            )
        for line in division.lines.values():
            assert any(y.contains(line["Date"]) for y in years)


def test_exact_accounts_come_in_one_call_with_their_kind() -> None:
    sandbox, ctx, connector, company = _setup("be")
    before = ctx.stats.requests
    accounts = asyncio.run(connector.sfsync_fetch_accounts(ctx=ctx, company=company))
    assert ctx.stats.requests - before == 1
    chart = sandbox.division(company.ref).glaccounts
    assert {a.code for a in accounts} == set(chart)
    for account in accounts:
        expected = (
            AccountKind.BALANCE_SHEET
            if chart[account.code]["BalanceType"] == "B"
            else AccountKind.PROFIT_LOSS
        )
        assert account.kind is expected and account.ref == chart[account.code]["ID"]


def test_exact_first_sync_brings_exactly_the_sandbox_data() -> None:
    sandbox, ctx, connector, company = _setup("be")
    store = MiniStore()
    _sync(connector, ctx, company, store)
    assert store_view(store) == sandbox_view(sandbox, company.ref)
    assert len(store.lines) > 1000  # more than one 1,000-line page
    assert any("/sync/Financial/TransactionLines" in r for r in sandbox.requests)
    assert not any("/bulk/" in r for r in sandbox.requests)


def test_exact_foreign_currency_lines_keep_their_amount() -> None:
    sandbox, ctx, connector, company = _setup("be")
    store = MiniStore()
    _sync(connector, ctx, company, store)
    seeded = sandbox.division(company.ref).lines
    foreign = [line for line in store.lines.values() if line.currency]
    assert foreign and {line.currency for line in foreign} <= {"USD", "GBP"}
    for line in foreign:
        assert line.foreign_amount == seeded[line.id]["AmountFC"]
    assert sum(1 for row in seeded.values() if row["Currency"] != "EUR") == len(foreign)


def test_exact_since_sync_reads_bulk_from_that_date() -> None:
    sandbox, ctx, connector, company = _setup("be")
    years = asyncio.run(connector.sfsync_fetch_fiscal_years(ctx=ctx, company=company))
    since = years[-2].start
    store = MiniStore()
    _sync(connector, ctx, company, store, since=since)
    assert store_view(store) == sandbox_view(sandbox, company.ref, since)
    bulk = [r for r in sandbox.requests if "/bulk/Financial/TransactionLines" in r]
    assert bulk and "Date+ge+datetime%27" + since.isoformat() in bulk[0]
    # Later changes still honour the date: an edit of an older line does not come in.
    old = min(
        (r for r in sandbox.division(company.ref).lines.values() if r["Date"] < since),
        key=lambda r: r["Timestamp"],
    )
    sandbox.store.edit_line(
        sandbox.division(company.ref), old["ID"], sandbox.clock.now(), "edited long ago"
    )
    added = sandbox.add_entry(company.ref)
    _sync(connector, ctx, company, store)
    assert old["ID"] not in store.lines and set(added) <= set(store.lines)
    assert store_view(store) == sandbox_view(sandbox, company.ref, since)


@pytest.mark.parametrize("since_year", [None, -2])
@pytest.mark.parametrize("kill_after", [1, 2, 3])
def test_exact_killed_sync_resumes_to_the_same_result(
    since_year: int | None, kill_after: int
) -> None:
    sandbox, ctx, connector, company = _setup("be")
    years = asyncio.run(connector.sfsync_fetch_fiscal_years(ctx=ctx, company=company))
    since = years[since_year].start if since_year is not None else None
    store = MiniStore()
    _sync(connector, ctx, company, store, since=since, stop_after=kill_after)
    assert store.cursor is not None
    _sync(connector, ctx, company, store, since=since)
    assert store_view(store) == sandbox_view(sandbox, company.ref, since)


def test_exact_incremental_sync_brings_additions_edits_and_deletions() -> None:
    sandbox, ctx, connector, company = _setup("nl")
    store = MiniStore()
    _sync(connector, ctx, company, store)
    added = sandbox.add_entry(company.ref)
    edited = sandbox.edit_line(company.ref)
    deleted = sandbox.delete_entry(company.ref)
    assert set(deleted) <= set(store.lines)
    before = ctx.stats.requests
    _sync(connector, ctx, company, store)
    assert ctx.stats.requests - before == 3  # division marks, sync lines, sync deleted
    assert set(added) <= set(store.lines) and not set(deleted) & set(store.lines)
    assert store.lines[edited].description.endswith("(aangepast)")
    assert store_view(store) == sandbox_view(sandbox, company.ref)


def test_exact_nightly_sync_of_an_unchanged_division_is_one_request_per_stream() -> None:
    sandbox, ctx, connector, company = _setup("fr")
    store = MiniStore()
    _sync(connector, ctx, company, store)
    cursor = store.cursor
    mark, before = len(sandbox.requests), ctx.stats.requests
    asyncio.run(connector.sfsync_fetch_fiscal_years(ctx=ctx, company=company))
    asyncio.run(connector.sfsync_fetch_accounts(ctx=ctx, company=company))
    batches = _sync(connector, ctx, company, store)
    assert batches == 0 and store.cursor == cursor
    paths = [r.split("?")[0].split(f"/{company.ref}/")[-1] for r in sandbox.requests[mark:]]
    assert paths == [
        "financial/FinancialPeriods",
        "bulk/Financial/GLAccounts",
        "system/Divisions",
        "sync/Financial/TransactionLines",
        "sync/Deleted",
    ]
    assert ctx.stats.requests - before == len(paths)


def test_exact_hr_link_change_requires_a_full_resync() -> None:
    sandbox, ctx, connector, company = _setup("nl")
    store = MiniStore()
    _sync(connector, ctx, company, store)
    sandbox.move_division(company.ref, hr_link=True)
    with pytest.raises(FullResyncRequired):
        _sync(connector, ctx, company, store)


def test_exact_division_move_requires_a_full_resync() -> None:
    sandbox, ctx, connector, company = _setup("be")
    store = MiniStore()
    _sync(connector, ctx, company, store)
    sandbox.add_entry(company.ref)
    sandbox.move_division(company.ref)
    with pytest.raises(FullResyncRequired, match="moved division"):
        _sync(connector, ctx, company, store)
    fresh = MiniStore()  # the runner's fresh generation: no cursor
    _sync(connector, ctx, company, fresh)
    assert store_view(fresh) == sandbox_view(sandbox, company.ref)
    sandbox.delete_entry(company.ref)
    _sync(connector, ctx, company, fresh)  # and incremental works again on the new Timestamps
    assert store_view(fresh) == sandbox_view(sandbox, company.ref)


def test_exact_sync_meets_a_429_a_500_and_an_expired_token_and_still_ends_right() -> None:
    sandbox, ctx, connector, company = _setup("be")
    store = MiniStore()
    _sync(connector, ctx, company, store)
    for _ in range(3):
        sandbox.add_entry(company.ref)
    sandbox.edit_line(company.ref)
    sandbox.delete_entry(company.ref)
    fresh = MiniStore()
    minute_reset = int((sandbox.clock.now().timestamp() // 60 + 1) * 60_000)
    sandbox.faults.add(
        429,
        headers={
            "X-RateLimit-Minutely-Limit": "60",
            "X-RateLimit-Minutely-Remaining": "0",
            "X-RateLimit-Minutely-Reset": str(minute_reset),
        },
        path_contains="sync/Financial/TransactionLines",
        after=1,
    )
    sandbox.faults.add(500, body=odata_error(SERVER_ERROR), path_contains="sync/Deleted")

    async def run() -> None:
        async for batch in connector.sfsync_fetch_ledger(
            ctx=ctx, company=company, since=None, cursor=None
        ):
            fresh.apply(batch)
            if fresh.batches == 1:
                sandbox.expire_tokens()  # the access token dies between two pages

    refreshes_before = len(ctx.vault.saved)  # type: ignore[union-attr]
    asyncio.run(run())
    assert [f.status for f in sandbox.faults.served] == [429, 500]
    assert len(ctx.vault.saved) == refreshes_before + 1  # type: ignore[union-attr]
    assert ctx.stats.status_counts[401] >= 1 and ctx.stats.retries >= 2
    assert any(s >= 1 for s in sandbox.clock.slept)  # type: ignore[attr-defined]  # waited for the minute to roll over
    assert store_view(fresh) == sandbox_view(sandbox, company.ref)


def test_exact_rate_limit_headers_are_respected_before_a_429() -> None:
    sandbox, ctx, connector, company = _setup("be", limits=LimitConfig(minutely=4))
    years = asyncio.run(connector.sfsync_fetch_fiscal_years(ctx=ctx, company=company))
    tb = _collect(
        connector.sfsync_fetch_trial_balance(ctx=ctx, company=company, fiscal_years=years, cursor=None)
    )
    assert tb and ctx.stats.requests > 8
    assert sandbox.limiter.refusals == 0, "the client went past the minutely limit"
    assert ctx.stats.rate_limit_waits >= 1


def test_exact_rate_limits_are_kept_per_division() -> None:
    sandbox, ctx, connector, _ = _setup("be", limits=LimitConfig(minutely=3))
    for ref in sandbox.company_refs():
        asyncio.run(connector.sfsync_fetch_fiscal_years(ctx=ctx, company=Company(ref=ref)))
        asyncio.run(connector.sfsync_fetch_accounts(ctx=ctx, company=Company(ref=ref)))
    # Two calls per division stay within each division's 3 a minute: nobody waited.
    assert ctx.stats.rate_limit_waits == 0 and sandbox.limiter.refusals == 0


def test_exact_spent_daily_limit_stops_the_run_cleanly() -> None:
    sandbox, ctx, connector, company = _setup("be", limits=LimitConfig(daily=3))
    store = MiniStore()
    with pytest.raises(BudgetExhausted) as caught:
        _sync(connector, ctx, company, store)
    assert (
        caught.value.resume_at is not None
        and caught.value.resume_at.date() > sandbox.clock.now().date() - dt.timedelta(days=1)
    )
    assert sandbox.limiter.refusals == 0


def test_exact_client_keeps_within_the_error_budget() -> None:
    sandbox, ctx, _, company = _setup("be")
    sandbox.scope_violations.add("financial")
    client = ExactClient(ctx, sandbox.base_urls[0])
    for _ in range(ERROR_BUDGET):
        with pytest.raises(AuthError, match="Application Scope Violated"):
            asyncio.run(client.get(f"{company.ref}/financial/GLAccounts", {"$select": "Code"}))
    sent = len(sandbox.requests)
    with pytest.raises(FatalError, match="blocks an app"):
        asyncio.run(client.get(f"{company.ref}/financial/GLAccounts", {"$select": "Code"}))
    assert len(sandbox.requests) == sent


def test_exact_trial_balance_matches_the_lines() -> None:
    sandbox, ctx, connector, company = _setup("nl")
    years = asyncio.run(connector.sfsync_fetch_fiscal_years(ctx=ctx, company=company))
    batches = _collect(
        connector.sfsync_fetch_trial_balance(ctx=ctx, company=company, fiscal_years=years, cursor=None)
    )
    assert json.loads(batches[-1].cursor or "{}")["pending"] == []  # the last year ends the read
    assert [b.clear for b in batches] == [(y.start, y.end) for y in years]
    moves: dict[tuple[str, str, int], Decimal] = defaultdict(Decimal)
    for row in sandbox.division(company.ref).lines.values():
        moves[(row["GLAccountCode"], str(row["FinancialYear"]), row["FinancialPeriod"])] += row[
            "AmountDC"
        ]
    got: dict[tuple[str, str, int], Decimal] = defaultdict(Decimal)
    for batch in batches:
        for line in batch.lines:
            got[(line.account, line.fiscal_year or "", line.period or 0)] += (
                line.debit - line.credit
            )
    assert {k: v for k, v in got.items() if v} == {k: v for k, v in moves.items() if v}
    closing: dict[dt.date, Decimal] = defaultdict(Decimal)
    for batch in batches:
        assert not batch.warnings
        for line in batch.lines:
            closing[line.period_end] += line.closing
    assert len(closing) == sum(len(y.periods) for y in years)
    assert all(total == 0 for total in closing.values())  # every period balances
    # Last year's profit-and-loss result moved into the retained-earnings account (type 52).
    retained = min(
        code for code, row in sandbox.division(company.ref).glaccounts.items() if row["Type"] == 52
    )
    opening = next(l for l in batches[1].lines if l.account == retained and l.period == 1).opening
    result_first_year = sum(
        v
        for (code, year, _), v in moves.items()
        if year == years[0].label
        and sandbox.division(company.ref).glaccounts[code]["BalanceType"] == "W"
    )
    assert opening == result_first_year != 0


def _collect(iterator: Any) -> list[Any]:
    async def collect() -> list[Any]:
        return [item async for item in iterator]

    return asyncio.run(collect())


def test_exact_opening_balances_at_a_since_date() -> None:
    sandbox, ctx, connector, company = _setup("be")
    years = asyncio.run(connector.sfsync_fetch_fiscal_years(ctx=ctx, company=company))
    at = years[-1].start
    balances = asyncio.run(connector.sfsync_fetch_opening_balances(ctx=ctx, company=company, at=at))
    division = sandbox.division(company.ref)
    retained = min(code for code, row in division.glaccounts.items() if row["Type"] == 52)
    expected: dict[str, Decimal] = defaultdict(Decimal)
    for row in division.lines.values():
        if row["Date"] < at:
            kind = division.glaccounts[row["GLAccountCode"]]["BalanceType"]
            expected[row["GLAccountCode"] if kind == "B" else retained] += row["AmountDC"]
    assert {b.account: b.amount for b in balances} == {k: v for k, v in expected.items() if v}
    assert sum(b.amount for b in balances) == 0 and all(b.date == at for b in balances)
    none = asyncio.run(
        connector.sfsync_fetch_opening_balances(ctx=ctx, company=company, at=years[0].start)
    )
    assert none == []


def test_exact_only_consented_divisions_are_companies() -> None:
    sandbox = ExactSandbox("be", clock=FakeClock())
    first, *others = sandbox.company_refs()
    sandbox.consent = {int(ref) for ref in others}
    ctx = asyncio.run(connect(sandbox))
    connector = connector_for("be")
    # current/Me still names the first division, which the person did not tick (picqer#470).
    assert ctx.state["current_division"] == int(first)
    companies = asyncio.run(connector.sfsync_list_companies(ctx=ctx))
    assert sorted(c.ref for c in companies) == sorted(others)
    with pytest.raises(AuthError, match="not selected"):
        asyncio.run(connector.sfsync_fetch_fiscal_years(ctx=ctx, company=Company(ref=first)))
