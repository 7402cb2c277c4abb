"""What is particular to Sage in the connector: nightly cost, X-Business, rotation failures,
Sage's error array in messages, fiscal years from the financial settings, opening balances,
details and configurable limits."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from decimal import Decimal

import pytest
from sfsync.clock import FakeClock
from sfsync.errors import ConfigurationError, MalformedResponse
from sfsync.models import AccountKind, Company, Granularity, SyncMode
from sfsync.testing.harness import ContractHarness
from sfsync_sage.connector import SageConnector, sage_accounting
from sfsync_sage.ledger import _record
from sfsync_sage.mapping import to_fiscal_years
from sfsync_sage.sandbox import SageSandbox
from sfsync_sage.sandbox.harness import post_token


@pytest.fixture
def harness(tmp_path):
    sandbox = SageSandbox(clock=FakeClock())
    made = ContractHarness.create("sage-accounting", tmp_path, sandbox=sandbox)
    made.connect()
    yield made
    made.close()


def _link(harness, ref=None, *, granularity=Granularity.TRANSACTIONS, mode=SyncMode.REPLACE, since=None):
    dossier = harness.app.create_dossier(harness.admin, f"d{len(harness.dossiers)}-{granularity.value}")
    harness.dossiers.append(dossier)
    harness.run(harness.app.link(harness.admin, dossier.id, harness.connection.id, ref or harness.sandbox.company_refs()[0],
                                 mode=mode, since=since, granularity=granularity))
    return dossier


@pytest.mark.parametrize("granularity", [Granularity.TRANSACTIONS, Granularity.TRIAL_BALANCE])
def test_an_unchanged_night_costs_one_request_per_stream(harness, granularity):
    dossier = _link(harness, granularity=granularity)
    first = harness.sync(dossier)
    assert first.status == "ok", first.error
    harness.sandbox.requests.clear()
    second = harness.sync(dossier)
    paths = [path for path, _q, _b in harness.sandbox.requests]
    # fiscal years, chart, and one look at the ledger (changes since the last pass: none)
    assert paths == ["/v3.1/financial_settings", "/v3.1/ledger_accounts", "/v3.1/ledger_entries"], paths
    assert second.requests == 3 and first.requests > 5


def test_every_call_names_its_business(harness):
    ref = harness.sandbox.company_refs()[2]
    assert harness.sync(_link(harness, ref)).status == "ok"
    calls = [(path, business) for path, _q, business in harness.sandbox.requests if path != "/v3.1/businesses"]
    assert calls and {business for _p, business in calls} == {ref}


def test_lines_keep_sage_ids_transactions_periods_and_decimal_amounts(harness):
    ref = harness.sandbox.company_refs()[1]  # July-June years
    dossier = _link(harness, ref)
    assert harness.sync(dossier).status == "ok"
    business = harness.sandbox.business(ref)
    lines = {line.id: line for line in harness.app.store.ledger_lines(dossier.id)}
    live = business.live_entries()
    assert set(lines) == {e.id for e in live}
    entry = max(live, key=lambda e: e.debit)
    line = lines[entry.id]
    assert (line.entry, line.debit, line.date) == (entry.transaction_id, entry.debit, entry.date)
    assert isinstance(line.debit, Decimal) and line.journal in ("VT", "AC", "BQ")
    assert line.account == str(entry.account.nominal_code)
    # July is period 1 of a July-June year
    july = next(line for line in lines.values() if line.date.month == 7)
    assert july.period == 1 and july.fiscal_year == f"{july.date.year}-{july.date.year + 1}"


def test_a_refresh_token_spent_elsewhere_asks_an_admin_to_connect_again(harness):
    dossier = _link(harness)
    sealed = harness.app.box.open(harness.app.store.get_connection(harness.connection.id).sealed)
    stolen = sealed["tokens"]["refresh_token"]
    sandbox = harness.sandbox
    # Another copy of the connection (a restored backup) spends the refresh token first.
    assert post_token(sandbox, {"grant_type": "refresh_token", "refresh_token": stolen}).status_code == 200
    sandbox.clock.advance(301)
    run = harness.sync(dossier)
    assert run.status == "failed" and run.error_kind == "NeedsReconsent"
    assert "used twice" in run.error and "connect Sage Accounting again" in run.error
    assert "sage-accounting" in run.error and dossier.name in run.error
    assert stolen not in run.error
    assert sandbox.oauth_server.grants[0].revoked
    assert harness.app.store.get_connection(harness.connection.id).status == "needs_reconsent"


def test_sage_error_array_is_in_the_message(harness):
    dossier = _link(harness)
    body = json.dumps([{"$severity": "error", "$dataCode": "RecordInvalid", "$message": "Invalid date", "$source": "from_date"}])
    harness.sandbox.faults.add(422, body=body, headers={"Content-Type": "application/json"}, path_contains="/ledger_entries")
    run = harness.sync(dossier)
    assert run.status == "failed"
    assert "RecordInvalid: Invalid date (from_date)" in run.error and "sage-accounting" in run.error


def test_a_malformed_amount_names_the_entry():
    chart = {"acc": {"id": "acc", "nominal_code": 411000}}
    item = {"id": "e-1", "date": "2026-01-02", "debit": "12,50", "credit": 0, "ledger_account": {"id": "acc"},
            "transaction": {"id": "t-1"}}
    with pytest.raises(MalformedResponse, match=r"debit of ledger entry e-1 '12,50'"):
        _record(item, chart, [])
    with pytest.raises(MalformedResponse, match="e-2 books on ledger account other"):
        _record({**item, "id": "e-2", "debit": 1, "ledger_account": {"id": "other"}}, chart, [])


def test_fiscal_years_follow_the_financial_settings():
    settings = {"accounts_start_date": "2024-03-15", "year_end_date": "2026-06-30", "year_end_lockdown_date": "2024-06-30"}
    years = to_fiscal_years(settings, dt.date(2026, 1, 10))
    assert [(y.start, y.end, y.closed) for y in years] == [
        (dt.date(2024, 3, 15), dt.date(2024, 6, 30), True),  # a short first year
        (dt.date(2024, 7, 1), dt.date(2025, 6, 30), False),
        (dt.date(2025, 7, 1), dt.date(2026, 6, 30), False),
    ]
    assert years[2].label == "2025-2026" and len(years[2].periods) == 12 and years[2].periods[0].start == dt.date(2025, 7, 1)
    # Booking on past the year end before the year end is run: the next year is there too.
    later = to_fiscal_years(settings, dt.date(2026, 8, 3))
    assert later[-1].start == dt.date(2026, 7, 1) and later[-1].end == dt.date(2027, 6, 30)
    with pytest.raises(MalformedResponse, match="year_end_date"):
        to_fiscal_years({**settings, "year_end_date": "30/06/2026"}, dt.date(2026, 1, 10))


def test_opening_balances_at_the_start_come_from_the_journal_and_later_from_the_trial_balance(harness):
    sandbox = harness.sandbox
    ref = sandbox.company_refs()[0]
    business = sandbox.business(ref)
    ctx = harness.app.runner.context_for(harness.app.store.get_connection(harness.connection.id))
    company = Company(ref=ref)

    async def balances(at):
        return {b.account: b.amount for b in await sage_accounting.sfsync_fetch_opening_balances(ctx=ctx, company=company, at=at)}

    at_start = harness.run(balances(business.years[0][0]))
    assert at_start == {str(a.nominal_code): v for a, v in business.opening}
    later_day = business.years[2][0]
    later = harness.run(balances(later_day))
    expected = {str(a.nominal_code): v for a, v in business.opening}
    retained = str(business.role("retained").nominal_code)
    for entry in business.live_entries():
        if entry.date < later_day:
            # Earlier years' results sit in retained earnings at a year start.
            code = retained if entry.account.profit_and_loss else str(entry.account.nominal_code)
            expected[code] = expected.get(code, Decimal(0)) + entry.debit - entry.credit
    assert later == {k: v for k, v in expected.items() if v}
    accounts = harness.run(sage_accounting.sfsync_fetch_accounts(ctx=ctx, company=company))
    kinds = {a.code: a.kind for a in accounts}
    assert all(kinds[code] is AccountKind.BALANCE_SHEET for code in later)
    asyncio.run(ctx.aclose())


def test_company_details_come_from_the_business_and_its_settings(harness):
    ref = harness.sandbox.company_refs()[2]
    ctx = harness.app.runner.context_for(harness.app.store.get_connection(harness.connection.id))
    details = harness.run(sage_accounting.sfsync_fetch_company_details(ctx=ctx, company=Company(ref=ref)))
    assert (details.name, details.vat_number, details.city, details.country, details.fiscal_year_end) == (
        "Peeters Trading Ltd", "IE6388047V", "Dublin 18", "IE", "03-31")


def test_limits_are_declared_per_business_and_configurable(monkeypatch):
    policy = SageConnector().sfsync_connector_info().rate_limits
    assert [(w.name, w.limit, w.seconds) for w in policy.windows] == [("minute", 100, 60.0), ("day", 2500, 86_400.0)]
    monkeypatch.setenv("SFSYNC_SAGE_PER_MINUTE", "200")
    info = SageConnector().sfsync_connector_info()
    assert info.rate_limits.windows[0].limit == 200 and "200 calls a minute" in info.known_limits[0]
    assert SageConnector(per_day=900).sfsync_connector_info().rate_limits.windows[1].limit == 900
    monkeypatch.setenv("SFSYNC_SAGE_PER_MINUTE", "lots")
    with pytest.raises(ConfigurationError, match="SFSYNC_SAGE_PER_MINUTE"):
        SageConnector()


def test_the_limiter_keeps_a_busy_business_within_its_minute(tmp_path):
    clock = FakeClock()
    sandbox = SageSandbox(clock=clock)
    made = ContractHarness.create("sage-accounting", tmp_path, sandbox=sandbox)
    made.connect()
    dossiers = [_link(made) for _ in range(12)]  # ~120 calls on one business in no time
    runs = [made.sync(dossier) for dossier in dossiers]
    assert all(run.status == "ok" for run in runs)
    assert sum(run.requests for run in runs) > 100
    assert sum(run.rate_limit_waits for run in runs) >= 1  # the declared minute was binding
    assert sandbox.limits.refusals == 0  # and held every call back before Sage would refuse it
    made.close()


def _ledger_pass(harness, ref, cursor):
    ctx = harness.app.runner.context_for(harness.app.store.get_connection(harness.connection.id))
    company = Company(ref=ref)

    async def run():
        years = await sage_accounting.sfsync_fetch_fiscal_years(ctx=ctx, company=company)
        batches = [b async for b in sage_accounting.sfsync_fetch_ledger(
            ctx=ctx, company=company, since=None, cursor=cursor, fiscal_years=years)]
        await ctx.aclose()
        return batches

    return harness.run(run())


def test_entries_seen_in_the_look_back_are_not_read_again_but_a_change_is(harness):
    sandbox, ref = harness.sandbox, harness.sandbox.company_refs()[0]
    first = _ledger_pass(harness, ref, None)
    sandbox.clock.advance(120)
    edited = sandbox.edit_line(ref)  # changed two minutes after the pass: inside the 10-minute window
    second = _ledger_pass(harness, ref, first[-1].cursor)
    assert [line.id for b in second for line in b.lines] == [edited]
    sandbox.clock.advance(120)
    third = _ledger_pass(harness, ref, second[-1].cursor)
    assert [line.id for b in third for line in b.lines] == []  # the edit, still in the window, is known


def test_a_pass_whose_total_moved_while_paging_reads_its_window_again(harness):
    sandbox, ref = harness.sandbox, harness.sandbox.company_refs()[0]
    first = _ledger_pass(harness, ref, None)
    moved = {"done": False}

    def change_after_the_first_page(path, query, status, body):
        if path.endswith("/ledger_entries") and not moved["done"]:
            moved["done"] = True
            sandbox.add_entry(ref)  # $total grows under the pass

    sandbox.observers.append(change_after_the_first_page)
    sandbox.clock.advance(3600)
    # A window of changes wide enough to need several pages: every line edited an hour on.
    for entry in list(sandbox.business(ref).live_entries())[:450]:
        entry.updated_at = sandbox.clock.now().replace(microsecond=0)
    sandbox.business(ref).revision += 1
    second = _ledger_pass(harness, ref, first[-1].cursor)
    assert len(second) >= 3
    before, after = json.loads(first[-1].cursor), json.loads(second[-1].cursor)
    assert after["since"] == before["since"] and after["pass"] is None  # the same window next time
    sandbox.observers.clear()
    third = _ledger_pass(harness, ref, second[-1].cursor)
    assert json.loads(third[-1].cursor)["since"] > before["since"]  # a steady pass moves on
