"""What is particular to Business Central's books: companies per environment, fiscal years from
accounting periods, the additional reporting currency, and deletions found by entry count and
per-period totals, re-reading only the periods that moved."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from sfsync.models import Company, SyncMode
from sfsync.testing.figures import ledger_snapshot
from sfsync_businesscentral import ledger


def _sums(store, dossier_id):  # type: ignore[no-untyped-def]
    totals: Counter[str] = Counter()
    for line in store.ledger_lines(dossier_id):
        totals[line.account] += line.debit - line.credit
    return {k: v for k, v in totals.items() if v}


def _truth_sums(truth):  # type: ignore[no-untyped-def]
    totals: Counter[str] = Counter()
    for (account, _year, _period), amount in truth.movements.items():
        totals[account] += amount
    return {k: v for k, v in totals.items() if v}


def test_companies_of_every_environment_carry_it_in_name_and_ref(bc):
    sandbox, harness = bc
    companies = harness.run(harness.app.list_companies(harness.admin, harness.connection.id))
    assert {c.ref for c in companies} == set(sandbox.company_refs())
    holding = next(c for c in companies if c.name.startswith("Brasserie"))
    assert holding.name == "Brasserie Lambert SRL (BE-Holding)"
    assert holding.ref.startswith("BE-Holding/") and holding.extra == {"environment": "BE-Holding"}
    assert sum(c.ref.startswith("Production/") for c in companies) == 2


def test_fiscal_years_follow_the_new_fiscal_year_markers(bc):
    sandbox, harness = bc
    van_dijk = next(c for c in sandbox.tenant.companies if c.country == "NL")
    years = harness.run(harness.app.fiscal_years(harness.admin, harness.connection.id, sandbox.company_ref(van_dijk)))
    assert [(y.start, y.end) for y in years] == van_dijk.years
    assert [y.closed for y in years] == [True, False, False]
    assert years[0].label == f"{years[0].start.year}-{years[0].end.year}" and years[0].start.month == 7
    assert [len(y.periods) for y in years] == [12, 12, 12]


def test_lines_carry_the_additional_reporting_currency(bc):
    sandbox, harness = bc
    van_dijk = next(c for c in sandbox.tenant.companies if c.acy == "USD")
    dossier = harness.new_dossier(company_ref=sandbox.company_ref(van_dijk))
    assert harness.sync(dossier).status == "ok"
    lines = list(harness.app.store.ledger_lines(dossier.id))
    assert lines and all(line.currency == "USD" for line in lines)
    entry = van_dijk.entries[lines[0].id]
    assert lines[0].foreign_amount == entry.acy_debit - entry.acy_credit != 0
    # A company without one has no foreign amounts, and its setup is never read.
    peeters = harness.new_dossier()
    harness.sync(peeters)
    assert all(line.currency is None for line in harness.app.store.ledger_lines(peeters.id))


def test_a_deleted_and_a_reversed_entry_re_read_only_the_moved_period(bc):
    sandbox, harness = bc
    ref = sandbox.company_refs()[0]
    dossier = harness.new_dossier()
    assert harness.sync(dossier).status == "ok"
    deleted = sandbox.delete_entry(ref)
    originals, reversal = sandbox.reverse_entry(ref)
    company = sandbox.company(ref)
    sandbox.requests.clear()
    run = harness.sync(dossier)
    assert run.status == "ok", run.error
    stored = ledger_snapshot(harness, dossier.id)
    assert not set(deleted) & set(stored), "the deleted entry is still in the dossier"
    assert set(reversal) <= set(stored) and set(originals) <= set(stored), "the reversal and its original are both kept"
    assert _sums(harness.app.store, dossier.id) == _truth_sums(sandbox.truth(ref))
    # The reversal came through the change filter; only the deletion's period was read again.
    entry_reads = [q for p, q in sandbox.requests if p.endswith("/generalLedgerEntries")]
    rereads = [q for q in entry_reads if "postingDate le" in q.get("$filter", "")]
    assert len(rereads) == 1, rereads
    years = len(company.years)
    assert sum(p.endswith("/trialBalances") for p, _ in sandbox.requests) == years + 12
    # And the night after is quiet again: the entry count agrees.
    sandbox.requests.clear()
    assert harness.sync(dossier).requests == 4


def test_without_the_count_check_a_deletion_is_missed(bc, monkeypatch):
    """The totals reconciliation is what finds a deletion: skip it and the deleted lines stay."""
    sandbox, harness = bc
    dossier = harness.new_dossier()
    harness.sync(dossier)
    deleted = sandbox.delete_entry(sandbox.company_refs()[0])

    async def nothing_moved(*_args):  # type: ignore[no-untyped-def]
        return []

    monkeypatch.setattr(ledger, "_moved_periods", nothing_moved)
    harness.sync(dossier)
    assert set(deleted) <= set(ledger_snapshot(harness, dossier.id))


def test_a_since_link_reads_nothing_before_its_date_and_reconciles_after_it(bc):
    sandbox, harness = bc
    ref = sandbox.company_refs()[0]
    start = sandbox.company(ref).years[-1][0]
    dossier = harness.new_dossier(since=start, mode=SyncMode.SINCE)
    assert harness.sync(dossier).status == "ok"
    assert all(line.date >= start for line in harness.app.store.ledger_lines(dossier.id))
    deleted = sandbox.delete_entry(ref)
    assert harness.sync(dossier).status == "ok"
    assert not set(deleted) & set(ledger_snapshot(harness, dossier.id))


def test_company_details_come_from_company_information(bc):
    sandbox, harness = bc
    ref = sandbox.company_refs()[1]
    details = harness.call_hook("sfsync_fetch_company_details", company=Company(ref=ref), previous=None)
    assert details.vat_number == "NL812345678B01" and details.fiscal_year_end == "06-30"
    assert details.city == "Utrecht"


def test_bocount_lists_the_firm_s_companies_by_vat_number(bocount):
    sandbox, harness = bocount
    companies = harness.run(harness.app.list_companies(harness.admin, harness.connection.id))
    assert sorted(c.ref for c in companies) == sorted(c.vat_number for c in sandbox.tenant.companies)
    assert all(c.code == c.ref == c.vat_number for c in companies)
    dossier = harness.new_dossier(company_ref="BE0765432198")
    assert harness.sync(dossier).status == "ok"
    lambert = sandbox.company("BE0765432198")
    assert {line.id for line in harness.app.store.ledger_lines(dossier.id)} == set(lambert.entries)
    assert sum((line.debit for line in harness.app.store.ledger_lines(dossier.id)), Decimal(0)) == sum(
        (e.debit for e in lambert.entries.values()), Decimal(0))
