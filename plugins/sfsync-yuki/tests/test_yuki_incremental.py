"""Yuki has no "modified since" on lines: a sync asks GetFinancialYearModifiedDate per fiscal year
and re-reads only the years that changed, replacing their lines."""

from __future__ import annotations

import datetime as dt
import json


def _reads(sandbox, start: int = 0) -> list[tuple[str, str]]:
    return [(p["StartDate"].date().isoformat(), p["EndDate"].date().isoformat())
            for op, p in sandbox.log[start:] if op == "GetTransactionDetails"]


def _ops(sandbox, start: int = 0) -> list[str]:
    return [op for op, _ in sandbox.log[start:]]


def test_a_change_in_one_fiscal_year_rereads_only_that_year(sandbox, company, store, sync_ledger, clock):
    sync_ledger(store)
    assert len(_reads(sandbox)) == 4
    admin = sandbox.admins[company.ref]
    untouched = {k: v for k, v in store.lines.items() if v.date.year != 2024}

    clock.advance(3600)
    added = sandbox.add_entry(company.ref, day=dt.date(2024, 5, 17))
    deleted = sandbox.delete_entry(company.ref)  # the middle entry of the books: a 2024 one
    assert {store.lines[line_id].date.year for line_id in deleted} == {2024}
    mark = len(sandbox.log)
    sync_ledger(store)

    assert _reads(sandbox, mark) == [("2024-01-01", "2024-12-31")]
    assert _ops(sandbox, mark).count("GetFinancialYearModifiedDate") == 4
    assert set(added) <= set(store.lines)
    assert not set(deleted) & set(store.lines)
    assert {line.id for line in admin.lines()} == set(store.lines)
    assert {k: v for k, v in store.lines.items() if v.date.year != 2024} == untouched


def test_deleted_entry_year_is_found_by_its_modified_stamp(sandbox, company, store, sync_ledger, clock):
    sync_ledger(store)
    before = json.loads(store.cursor)["years"]
    clock.advance(60)
    deleted = sandbox.delete_entry(company.ref)
    year = sandbox.admins[company.ref].year_id_of(store.lines[deleted[0]].date)
    sync_ledger(store)
    after = json.loads(store.cursor)["years"]
    changed = [key for key in after if after[key] != before[key]]
    assert changed == [f"{year}-01-01"]
    assert not set(deleted) & set(store.lines)


def test_nightly_sync_of_an_unchanged_administration_costs_a_handful_of_calls(host, sandbox, clock, company):
    dossier = host.dossier(company.ref)
    assert host.sync(dossier).status == "ok"
    clock.advance(24 * 3600)
    mark = len(sandbox.log)
    run = host.sync(dossier)
    assert run.status == "ok" and run.counts["lines_fetched"] == 0
    ops = _ops(sandbox, mark)
    assert "GetTransactionDetails" not in ops and "GetPeriodDateTable" not in ops
    # A new session (the old one is a day old), the chart (the account kinds are kept), the
    # modified stamp of each of the four fiscal years, and the administration's details (the
    # administrative stream, checked once a night).
    assert sorted(ops) == sorted(["Authenticate", "GetGLAccountScheme", "Administrations"]
                                 + ["GetFinancialYearModifiedDate"] * 4)
    assert run.requests == len(ops) == 7


def test_since_checks_and_reads_only_years_from_that_date(sandbox, company, store, sync_ledger):
    sync_ledger(store, since=dt.date(2025, 1, 1))
    assert _reads(sandbox) == [("2026-01-01", "2026-12-31"), ("2025-01-01", "2025-12-31")]
    assert _ops(sandbox).count("GetFinancialYearModifiedDate") == 2
    assert min(line.date for line in store.lines.values()) >= dt.date(2025, 1, 1)


def test_non_calendar_years_are_read_by_their_own_bounds(sandbox, connection, store, sync_ledger):
    from sfsync.models import Company

    ref = sandbox.company_refs()[1]  # Van Dijk: July to June
    company = Company(ref=ref)

    async def body(ctx):
        from sfsync_yuki.connector import yuki

        batches = []
        async for batch in yuki.sfsync_fetch_ledger(ctx=ctx, company=company, since=None, cursor=None):
            batches.append(batch)
        return batches

    batches = connection.run(body)
    assert [b.clear for b in batches] == [
        (dt.date(y, 7, 1), dt.date(y + 1, 6, 30)) for y in (2025, 2024, 2023, 2022)
    ]
    lines = [line for b in batches for line in b.lines]
    assert {line.id for line in lines} == {line.id for line in sandbox.admins[ref].lines()}
    assert {line.fiscal_year for line in lines} == {"2022/2023", "2023/2024", "2024/2025", "2025/2026"}
    foreign = [line for line in lines if line.currency]
    assert foreign and all(line.currency == "USD" and line.foreign_amount for line in foreign)


def test_yuki_opening_balances_follow_a_change_to_the_year_before_the_since_date(host, sandbox, clock, company):
    import datetime as dt
    from decimal import Decimal

    since = dt.date(2025, 1, 1)
    dossier = host.dossier(company.ref, mode="since", since=since)
    first = host.sync(dossier)
    assert first.status in ("ok", "warning"), first.error
    assert "opening_balances_refreshed" not in host.sync(dossier).counts  # nothing changed: one stamp call
    admin = sandbox.admins[company.ref]
    entry = next(e for e in admin.entries.values() if e.date.year == 2024 and len(e.lines) >= 2)
    entry.lines[0].amount += Decimal("10.00")  # a late correction of last year, kept in balance
    entry.lines[1].amount -= Decimal("10.00")
    admin.year_modified[admin.year_id_of(entry.date)] = clock.now() + dt.timedelta(minutes=5)
    run = host.sync(dossier)
    assert run.counts.get("opening_balances_refreshed") == 1, run.counts
