"""The incremental strategy e-conomic needs, since its entries have no modified-since filter: one
totals call per accounting year on an unchanged night, new entries by the entry-number high-water
mark, and an edit or deletion in a closed period of an earlier year found from the period totals,
with only the moved periods read again (see sfsync_economic.changes)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sfsync.clock import FakeClock
from sfsync.models import FiscalYear, Granularity, SyncMode
from sfsync.testing.harness import ContractHarness
from sfsync_economic.sandbox import EconomicSandbox
from sfsync_economic.sandbox.books import SAccount

START = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def booked(tmp_path):
    sandbox = EconomicSandbox(clock=FakeClock(START))
    harness = ContractHarness.create("economic", tmp_path, sandbox=sandbox)
    yield harness, sandbox
    harness.close()


def _amounts(sandbox: EconomicSandbox, ref: str) -> dict[str, Decimal]:
    company = sandbox.company(ref)
    assert company is not None
    return {str(e.number): e.amount_base for v in company.live() for e in v.entries}


def _paths(sandbox: EconomicSandbox) -> list[str]:
    return [path for _, path, _ in sandbox.requests]


def test_an_unchanged_night_costs_one_call_per_accounting_year(booked):
    harness, sandbox = booked
    dossier = harness.new_dossier()
    assert harness.sync(dossier).status == "ok"
    company = sandbox.company(sandbox.company_refs()[0])
    assert company is not None
    totals = [f"/accounting-years/{y.label}/totals" for y in company.years]
    for _night in range(3):  # the nights after, each a day later: the company details are weekly
        sandbox.clock.advance(86_400)
        sandbox.requests.clear()
        run = harness.sync(dossier)
        assert run.status == "ok" and run.counts.get("lines_fetched", 0) == 0
        assert sorted(_paths(sandbox)) == sorted(totals)
        assert run.requests == len(company.years)
    # A week on, the years list, the chart and the company details are read again.
    sandbox.clock.advance(7 * 86_400)
    sandbox.requests.clear()
    assert harness.sync(dossier).status == "ok"
    assert sorted(_paths(sandbox)) == sorted(["/self", "/accounting-years", "/accounts", *totals])


def test_a_since_link_checks_the_years_from_its_date_and_the_history_before_it(booked):
    harness, sandbox = booked
    company = sandbox.company(sandbox.company_refs()[0])
    assert company is not None
    since = company.years[2].start
    dossier = harness.new_dossier(mode=SyncMode.SINCE, since=since)
    assert harness.sync(dossier).status == "ok"
    sandbox.requests.clear()
    assert harness.sync(dossier).status == "ok"
    # The year in range, and the earlier years once each for the opening balances' stamp.
    assert sorted(_paths(sandbox)) == sorted(f"/accounting-years/{y.label}/totals" for y in company.years)


def test_a_new_account_and_a_new_year_are_read_when_totals_move_or_the_year_ends(booked):
    harness, sandbox = booked
    ref = sandbox.company_refs()[0]
    company = sandbox.company(ref)
    assert company is not None
    dossier = harness.new_dossier()
    assert harness.sync(dossier).status == "ok"
    company.accounts.append(SAccount(6300, "Kantoorbenodigdheden", "profitAndLoss"))
    sandbox._booker(company).transfer(sandbox.clock.now().date(), 6300, 5500, Decimal("42.00"), "Papier")
    sandbox.requests.clear()
    assert harness.sync(dossier).status == "ok"
    assert "/accounts" in _paths(sandbox) and "/accounting-years" in _paths(sandbox)
    assert "6300" in {a.code for a in harness.app.store.accounts(dossier.id)}
    assert "6300" in {line.account for line in harness.app.store.ledger_lines(dossier.id)}


def test_an_edit_and_a_deletion_in_a_closed_period_of_an_earlier_year_reach_the_dossier(booked):
    harness, sandbox = booked
    ref = sandbox.company_refs()[0]
    dossier = harness.new_dossier()
    assert harness.sync(dossier).status == "ok"
    company = sandbox.company(ref)
    assert company is not None
    first = company.years[0]
    assert first.closed
    edited = sandbox.edit_line(ref)
    deleted = sandbox.delete_entry(ref)
    moved = {first.period_of(v.date).number for v in company.vouchers
             if any(str(e.number) in {edited, *deleted} for e in v.entries)}
    assert all(first.periods[n - 1].closed for n in moved)
    sandbox.requests.clear()
    run = harness.sync(dossier)
    assert run.status == "ok", run.error
    stored = {line.id: line for line in harness.app.store.ledger_lines(dossier.id)}
    assert not set(deleted) & set(stored), "the deleted entry is still in the dossier"
    assert stored[edited].account == "6200" and stored[edited].description.endswith("(gecorrigeerd)")
    assert {k: v.debit - v.credit for k, v in stored.items()} == _amounts(sandbox, ref)
    # The moved year: its new entries by the high-water mark (none), then each period's totals,
    # then only the moved periods' entries. The unchanged years cost their totals call alone.
    reread = [p for p in _paths(sandbox) if p.endswith("/entries")]
    assert sorted(reread) == sorted([f"/accounting-years/{first.label}/entries",
                                     *(f"/accounting-years/{first.label}/periods/{n}/entries" for n in moved)])
    later = [p for p in _paths(sandbox) if p.startswith(tuple(f"/accounting-years/{y.label}/" for y in company.years[1:]))]
    assert sorted(later) == sorted(f"/accounting-years/{y.label}/totals" for y in company.years[1:])


def test_new_entries_come_through_the_high_water_mark_without_reading_any_period(booked):
    harness, sandbox = booked
    ref = sandbox.company_refs()[0]
    dossier = harness.new_dossier()
    assert harness.sync(dossier).status == "ok"
    added = sandbox.add_entry(ref)
    sandbox.requests.clear()
    run = harness.sync(dossier)
    assert run.status == "ok" and run.counts["lines_fetched"] == len(added)
    filters = [q.get("filter") for _, p, q in sandbox.requests if p.endswith("/entries")]
    assert len(filters) == 1 and filters[0] is not None and filters[0].startswith("entryNumber$gt:")
    assert not [p for p in _paths(sandbox) if "/periods/" in p and p.endswith("/entries")]
    assert set(added) <= {line.id for line in harness.app.store.ledger_lines(dossier.id)}
    sandbox.requests.clear()
    assert harness.sync(dossier).requests == 3, "the night after is unchanged again"


def test_a_trial_balance_link_follows_an_edit_in_an_earlier_year_into_every_later_opening(booked):
    harness, sandbox = booked
    ref = sandbox.company_refs()[0]
    dossier = harness.new_dossier(granularity=Granularity.TRIAL_BALANCE)
    assert harness.sync(dossier).status == "ok"
    sandbox.delete_entry(ref)  # a supplier payment: the bank and supplier balances move from then on
    assert harness.sync(dossier).status == "ok"
    truth = sandbox.truth(ref)
    years = harness.app.store.fiscal_years(dossier.id)
    stored: dict[tuple[str, dt.date, int | None], Decimal] = {}
    closing: dict[tuple[str, dt.date], Decimal] = {}
    for line in harness.app.store.trial_balance(dossier.id):
        start = next(y.start for y in years if y.contains(line.period_end))
        stored[line.account, start, line.period] = line.debit - line.credit
        if line.period == 1:
            closing[line.account, start] = line.opening
    assert {k: v for k, v in stored.items() if v} == {k: v for k, v in truth.movements.items() if v}
    for start, balances in truth.opening_balances.items():
        got = {a: v for (a, s), v in closing.items() if s == start and v}
        assert got == dict(balances), f"opening balances at {start}"


def test_a_deletion_before_a_since_date_refreshes_the_opening_balances(booked):
    harness, sandbox = booked
    ref = sandbox.company_refs()[0]
    company = sandbox.company(ref)
    assert company is not None
    since = company.years[2].start
    dossier = harness.new_dossier(mode=SyncMode.SINCE, since=since)
    assert harness.sync(dossier).status == "ok"

    def stored() -> dict[str, Decimal]:
        return {b.account: b.amount for b in harness.app.store.opening_balances(dossier.id) if b.date == since and b.amount}

    assert stored() == dict(sandbox.truth(ref).opening_balances[since])
    sandbox.delete_entry(ref)  # a supplier payment in a closed period of the earliest year
    run = harness.sync(dossier)
    assert run.status == "ok", run.error
    assert stored() == dict(sandbox.truth(ref).opening_balances[since]) != {}
    assert run.counts.get("lines_fetched", 0) == 0, "the years from the since date did not move"


def test_a_firm_s_fiscal_year_override_does_not_change_the_urls(booked):
    harness, sandbox = booked
    ref = sandbox.company_refs()[0]
    company = sandbox.company(ref)
    assert company is not None
    dossier = harness.app.create_dossier(harness.admin, "override")
    connection = harness.connect(dossier=dossier)
    own = [FiscalYear(start=y.start, end=y.end, label=f"FY {y.start.year}") for y in company.years]
    harness.run(harness.app.link(harness.admin, dossier.id, connection.id, ref, mode=SyncMode.REPLACE, fiscal_years=own))
    run = harness.sync(dossier)
    assert run.status == "ok", run.error
    assert {line.id for line in harness.app.store.ledger_lines(dossier.id)} == set(sandbox.truth(ref).line_places)
