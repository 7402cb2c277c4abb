"""The xero connector on the sandbox: paging by offset, If-Modified-Since, voids, edits and
reversals, foreign currency, the tier refusal, and Xero's rate limits."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sfsync.clock import FakeClock
from sfsync.errors import BudgetExhausted, MalformedResponse
from sfsync_xero.client import JournalsNotAvailable, decode
from sfsync_xero.connector import xero, xerotb
from sfsync_xero.sandbox import XeroSandbox
from sfsync_xero.sandbox.harness import connect, next_run

START = dt.datetime(2026, 1, 15, 2, 0, tzinfo=dt.UTC)


def _sandbox(**knobs: Any) -> tuple[XeroSandbox, FakeClock]:
    clock = FakeClock(START)
    return XeroSandbox(clock=clock, **knobs), clock


async def _sync(ctx, company_index: int = 0, cursor: str | None = None, since=None, company=None):
    if company is None:
        company = (await xero.sfsync_list_companies(ctx=ctx))[company_index]
    years = await xero.sfsync_fetch_fiscal_years(ctx=ctx, company=company)
    await xero.sfsync_fetch_accounts(ctx=ctx, company=company)
    batches = [b async for b in xero.sfsync_fetch_ledger(ctx=ctx, company=company, since=since, cursor=cursor, fiscal_years=years)]
    return company, years, batches


def _live_journals(org) -> list:
    """The sandbox's journals minus same-day reversal pairs (what the dossier should hold)."""
    by_source = defaultdict(list)
    for j in org.journals:
        by_source[(j.source_id, j.date)].append(j)
    live = []
    for journals in by_source.values():
        remaining = list(journals)
        for j in journals:
            mirror = next((o for o in remaining if o is not j and sorted((ln.account.id, -ln.net) for ln in o.lines)
                           == sorted((ln.account.id, ln.net) for ln in j.lines)), None)
            if mirror is not None and j in remaining:
                remaining.remove(j)
                remaining.remove(mirror)
        live += remaining
    return live


def test_journals_are_paged_by_offset_of_100_and_all_arrive():
    sandbox, clock = _sandbox()

    async def scenario():
        ctx = await connect(sandbox, "xero", clock=clock)
        sandbox.requests.clear()
        company, _, batches = await _sync(ctx)
        await ctx.aclose()
        return company, batches

    company, batches = asyncio.run(scenario())
    org = sandbox.org(company.ref)
    calls = [r for r in sandbox.api_requests("/Journals")]
    offsets = [int(r[2]["offset"]) for r in calls]
    numbers = sorted(j.number for j in org.journals)
    assert offsets[0] == 0 and offsets[1] == 0  # the fiscal-year probe, then the sync itself
    expected = [0] + [numbers[i * 100 - 1] for i in range(1, len(numbers) // 100 + 1)]
    assert offsets[1:] == expected
    assert "page" not in calls[0][2]
    assert all(r[3].get("accept") == "application/json" and r[3].get("xero-tenant-id") == company.ref for r in calls)
    lines = [ln for b in batches for ln in b.lines]
    want = {ln.id for j in _live_journals(org) for ln in j.lines}
    assert {ln.id for ln in lines} == want
    assert len(lines) == len(want)


def test_lines_keep_xero_ids_signs_and_periods():
    sandbox, clock = _sandbox()

    async def scenario():
        ctx = await connect(sandbox, "xero", clock=clock)
        result = await _sync(ctx, 2)
        await ctx.aclose()
        return result

    company, years, batches = asyncio.run(scenario())
    org = sandbox.org(company.ref)
    by_id = {ln.id: (j, ln) for j in org.journals for ln in j.lines}
    entries = defaultdict(Decimal)
    for line in (ln for b in batches for ln in b.lines):
        journal, source = by_id[line.id]
        assert line.entry == journal.id and line.date == journal.date
        assert line.account == source.account.code
        assert line.debit - line.credit == source.net and isinstance(line.debit, Decimal)
        year = next(y for y in years if y.contains(line.date))
        assert line.fiscal_year == year.label
        period = next(p for p in year.periods if p.start <= line.date <= p.end)
        assert line.period == period.number
        entries[line.entry] += line.debit - line.credit
    assert set(entries.values()) == {Decimal(0)}
    # Bakkerij De Smet's year runs April to March.
    assert all(y.start.month == 4 and y.start.day == 1 and y.end.month == 3 and y.end.day == 31 for y in years)


def test_nightly_sync_sends_if_modified_since_and_makes_one_journals_call():
    sandbox, clock = _sandbox()

    async def scenario():
        ctx = await connect(sandbox, "xero", clock=clock)
        company, _, batches = await _sync(ctx)
        cursor = batches[-1].cursor
        clock.advance(86400)
        sandbox.requests.clear()
        await ctx.aclose()
        ctx = next_run(ctx)
        _, _, again = await _sync(ctx, cursor=cursor, company=company)
        await ctx.aclose()
        return cursor, again

    cursor, again = asyncio.run(scenario())
    calls = sandbox.api_requests("/Journals")
    assert len(calls) == 1
    assert calls[0][2]["offset"] == str(__import__("json").loads(cursor)["offset"])
    stamp = calls[0][3]["if-modified-since"]
    assert dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).tzinfo is not None
    assert [ln for b in again for ln in b.lines] == []
    assert len(sandbox.api_requests()) == 3  # Organisation, Accounts, Journals


def test_void_edit_and_auto_reversal():
    sandbox, clock = _sandbox()

    async def scenario():
        ctx = await connect(sandbox, "xero", clock=clock)
        company, _, batches = await _sync(ctx)
        org = sandbox.org(company.ref)
        first = {ln.id: ln for b in batches for ln in b.lines}
        # Seeded voids: an invoice and its same-day reversal: neither is in the dossier.
        voided = [j for j in org.journals if j.source_type == "ACCREC" and j.reference.startswith("INV-")]
        sources = defaultdict(list)
        for j in voided:
            sources[j.source_id].append(j)
        pairs = [js for js in sources.values() if len(js) == 2]
        assert pairs, "the sandbox seeds voided invoices"
        for js in pairs:
            assert not {ln.id for j in js for ln in j.lines} & set(first)
        # Auto-reversing accruals are dated the next day: both stay.
        accruals = [j for j in org.journals if j.reference.endswith("toe te rekenen energie") or j.reference == "Toe te rekenen energie"]
        assert len(accruals) >= 4 and all(ln.id in first for j in accruals for ln in j.lines)
        # Now void one invoice and edit another.
        deleted = sandbox.delete_entry(company.ref)
        edited = sandbox.edit_line(company.ref)
        clock.advance(60)
        await ctx.aclose()
        ctx = next_run(ctx)
        _, _, again = await _sync(ctx, cursor=batches[-1].cursor)
        await ctx.aclose()
        return org, deleted, edited, first, again

    org, deleted, edited, _first, again = asyncio.run(scenario())
    owner = {ln.id: j.id for j in org.journals for ln in j.lines}
    gone = {e for b in again for e in b.deleted_entries}
    assert owner[deleted[0]] in gone
    new_lines = {ln.id: ln for b in again for ln in b.lines}
    assert set(new_lines) == {ln.id for j in org.journals if j.id == owner[edited] for ln in j.lines}
    assert new_lines[edited].description.endswith("(gewijzigd)")
    assert len(gone) == 2  # the voided invoice and the edited invoice's old version


def test_foreign_currency_lines_are_in_base_currency_with_a_warning():
    sandbox, clock = _sandbox()

    async def scenario():
        ctx = await connect(sandbox, "xero", clock=clock)
        result = await _sync(ctx, 1)
        details = await xero.sfsync_fetch_company_details(ctx=ctx, company=result[0])
        warnings = list(ctx.warnings)
        await ctx.aclose()
        return result, warnings, details

    (company, _, batches), warnings, details = asyncio.run(scenario())
    assert details.name == "Van Dijk Import B.V." and details.country == "NL" and details.city == "Amsterdam"
    assert any("USD" in w and "xerotb" in w for w in warnings)
    lines = [ln for b in batches for ln in b.lines]
    org = sandbox.org(company.ref)
    usd_bank = next(a.code for a in org.accounts if a.currency == "USD")
    realised = org.system("REALISEDCURRENCYGAIN").code
    assert any(ln.account == usd_bank for ln in lines)
    assert any(ln.account == realised for ln in lines)
    assert all(ln.currency is None and ln.debit.as_tuple().exponent >= -2 for ln in lines)
    entries = defaultdict(Decimal)
    for ln in lines:
        entries[ln.entry] += ln.debit - ln.credit
    assert set(entries.values()) == {Decimal(0)}


def test_xero_link_on_a_tier_without_journals_points_to_xerotb():
    sandbox, clock = _sandbox(tier="starter")
    with pytest.raises(JournalsNotAvailable) as caught:
        asyncio.run(connect(sandbox, "xero", clock=clock))
    assert "Advanced" in str(caught.value) and "xerotb" in str(caught.value)

    async def tb():
        ctx = await connect(sandbox, "xerotb", clock=clock)
        company = (await xerotb.sfsync_list_companies(ctx=ctx))[0]
        years = await xerotb.sfsync_fetch_fiscal_years(ctx=ctx, company=company)
        batches = [b async for b in xerotb.sfsync_fetch_trial_balance(ctx=ctx, company=company, fiscal_years=years[-1:], cursor=None)]
        await ctx.aclose()
        return batches

    assert any(b.lines for b in asyncio.run(tb()))


def test_tenant_header_required_and_json_only_on_request():
    sandbox, clock = _sandbox()

    async def scenario():
        ctx = await connect(sandbox, "xero", clock=clock)
        token = (await ctx.vault.load()).access_token.get_secret_value()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.app)) as client:
            url = "https://api.xero.com/api.xro/2.0/Organisation"
            no_tenant = await client.get(url, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
            xml = await client.get(url, headers={"Authorization": f"Bearer {token}", "xero-tenant-id": sandbox.orgs[0].id})
        await ctx.aclose()
        return no_tenant, xml

    no_tenant, xml = asyncio.run(scenario())
    assert no_tenant.status_code == 403 and no_tenant.json()["Detail"] == "AuthenticationUnsuccessful"
    assert xml.status_code == 200 and xml.text.startswith("<Response")
    assert xml.headers["X-MinLimit-Remaining"].isdigit() and xml.headers["X-DayLimit-Remaining"].isdigit()
    with pytest.raises(MalformedResponse):
        decode(xml)


def test_minute_limit_headers_are_respected_before_any_429():
    sandbox, clock = _sandbox()
    sandbox.minute_limit = 7

    async def scenario():
        ctx = await connect(sandbox, "xero", clock=clock)
        result = await _sync(ctx)
        await ctx.aclose()
        return result, ctx.stats

    (_, _, batches), stats = asyncio.run(scenario())
    assert [ln for b in batches for ln in b.lines]
    assert sandbox.rate_limited == []  # X-MinLimit-Remaining stopped us in time
    assert stats.rate_limit_waits >= 1 and clock.slept


@pytest.mark.parametrize("problem", ["minute", "concurrent", "appminute"])
def test_429_with_retry_after_and_problem_is_waited_out(problem: str):
    sandbox, clock = _sandbox()

    async def scenario():
        ctx = await connect(sandbox, "xero", clock=clock)
        sandbox.faults.add(429, headers={"Retry-After": "7", "X-Rate-Limit-Problem": problem},
                           path_contains="/Journals", times=2)
        result = await _sync(ctx)
        await ctx.aclose()
        return result

    _, _, batches = asyncio.run(scenario())
    assert len(sandbox.faults.served) == 2
    assert [ln for b in batches for ln in b.lines]
    assert sum(1 for s in clock.slept if s >= 7) >= 2


def test_day_limit_stops_the_run_with_budget_exhausted():
    sandbox, clock = _sandbox()

    async def scenario():
        ctx = await connect(sandbox, "xero", clock=clock)
        sandbox.day_limit = len(sandbox.api_requests()) + 4
        try:
            await _sync(ctx)
        finally:
            await ctx.aclose()

    with pytest.raises(BudgetExhausted) as caught:
        asyncio.run(scenario())
    assert caught.value.resume_at is not None and caught.value.resume_at > START


def test_at_most_five_calls_in_flight_per_organisation():
    sandbox, clock = _sandbox(latency=0.005)

    async def scenario():
        ctx = await connect(sandbox, "xero", clock=clock)
        company = (await xero.sfsync_list_companies(ctx=ctx))[0]
        from sfsync_xero.client import XeroClient

        client = XeroClient(ctx, company.ref)
        results = await asyncio.gather(*(client.journals(i * 100) for i in range(12)))
        await ctx.aclose()
        return results

    results = asyncio.run(scenario())
    assert all(results[:5])
    assert "concurrent" not in sandbox.rate_limited


def test_429_for_the_day_limit_stops_the_run_until_the_budget_is_back():
    sandbox, clock = _sandbox()

    async def scenario():
        ctx = await connect(sandbox, "xero", clock=clock)
        sandbox.faults.add(429, headers={"Retry-After": "66975", "X-Rate-Limit-Problem": "day"},
                           path_contains="/Journals")
        try:
            await _sync(ctx)
        finally:
            await ctx.aclose()

    with pytest.raises(BudgetExhausted) as caught:
        asyncio.run(scenario())
    assert caught.value.retry_after == 66975
    assert not any(s >= 900 for s in clock.slept)  # not slept: the run stops and resumes later


def test_reading_the_same_journals_again_after_a_crash_gives_the_same_batch():
    sandbox, clock = _sandbox()

    async def scenario():
        ctx = await connect(sandbox, "xero", clock=clock)
        company, _, batches = await _sync(ctx)
        cursor = batches[-1].cursor
        sandbox.edit_line(company.ref)  # a reversal and the new version, after the cursor
        clock.advance(60)
        runs = []
        for _ in range(2):  # the second run replays from the same cursor, as after a crash
            await ctx.aclose()
            ctx = next_run(ctx)
            _, _, again = await _sync(ctx, cursor=cursor, company=company)
            runs.append(([e for b in again for e in b.deleted_entries], sorted(ln.id for b in again for ln in b.lines)))
        await ctx.aclose()
        return runs

    first, replay = asyncio.run(scenario())
    assert first == replay
    assert len(first[0]) == 1 and len(first[1]) == 3


def test_a_500_is_retried_and_accounts_where_and_order_work():
    sandbox, clock = _sandbox()

    async def scenario():
        ctx = await connect(sandbox, "xero", clock=clock)
        sandbox.faults.add(500, path_contains="/Journals", times=1, after=1)
        result = await _sync(ctx)
        await ctx.aclose()
        return result, ctx.stats

    (_, _, batches), stats = asyncio.run(scenario())
    assert len(sandbox.faults.served) == 1 and stats.retries >= 1
    assert [ln for b in batches for ln in b.lines]
    from sfsync_xero.sandbox.app import XeroApp

    app = XeroApp(sandbox)
    banks = app.accounts(sandbox.orgs[1], None, {"where": ['Type=="BANK" AND Status=="ACTIVE"'], "order": ["Code DESC"]})
    assert [a["Code"] for a in banks] == ["1110", "1100"]
    later = app.accounts(sandbox.orgs[1], dt.datetime(2100, 1, 1, tzinfo=dt.UTC), {})
    assert later == []
