"""What is particular to WinBooks on Web: the 900-second access token refreshed mid-sync, Get All
chunks followed through ContinuePath, criteria pages followed through FirstResult."""

from __future__ import annotations

from sfsync.models import Granularity
from sfsync.testing.checks_books import assert_matches_truth
from sfsync.testing.figures import fetched
from sfsync.testing.harness import ContractHarness
from sfsync_winbooks_online.sandbox import WinbooksSandbox

from .conftest import NOW


def test_an_access_token_that_expires_mid_sync_is_refreshed_without_losing_the_place(harness, sandbox, clock):
    ref = sandbox.company_refs()[0]
    reference = harness.new_dossier(company_ref=ref)
    total = fetched(harness.sync(reference), Granularity.TRANSACTIONS)
    dossier = harness.new_dossier(company_ref=ref)
    before = sandbox.refreshes
    run, _ = harness.sync_until(dossier, 1, action=lambda: clock.advance(901))
    assert run is not None and run.status == "ok", run and run.error
    assert sandbox.refreshes > before
    assert fetched(run, Granularity.TRANSACTIONS) == total
    assert_matches_truth(harness, dossier.id, sandbox.truth(ref))


def test_a_token_winbooks_drops_is_refreshed_on_its_401(harness, sandbox):
    ref = sandbox.company_refs()[1]
    dossier = harness.new_dossier(company_ref=ref)
    before = sandbox.refreshes
    run, _ = harness.sync_until(dossier, 1, action=sandbox.expire_tokens)
    assert run is not None and run.status == "ok", run and run.error
    assert sandbox.refreshes == before + 1
    assert_matches_truth(harness, dossier.id, sandbox.truth(ref))


def test_get_all_chunks_are_followed_through_continue_path(harness, sandbox):
    sandbox.chunk = 4  # the chart has 10 accounts, each folder 39 book periods
    ref = sandbox.company_refs()[2]
    dossier = harness.new_dossier(company_ref=ref)
    assert harness.sync(dossier).status == "ok"
    assert len(harness.app.store.accounts(dossier.id)) == 10
    assert len(harness.app.store.fiscal_years(dossier.id)) == 3
    assert_matches_truth(harness, dossier.id, sandbox.truth(ref))


def test_criteria_pages_are_followed_and_edits_deletions_arrive(tmp_path, clock):
    sandbox = WinbooksSandbox(clock=clock, per_month=3)  # well over a page of 100 bookings per folder
    harness = ContractHarness.create("winbooks-online", tmp_path, sandbox=sandbox)
    try:
        harness.connect()
        ref = sandbox.company_refs()[0]
        assert len(sandbox.folders[ref].headers) > 200
        dossier = harness.new_dossier(company_ref=ref)
        assert harness.sync(dossier).status == "ok"
        assert_matches_truth(harness, dossier.id, sandbox.truth(ref))
        deleted = sandbox.delete_entry(ref)
        sandbox.add_entry(ref)
        clock.advance(3600)
        run = harness.sync(dossier)
        assert run.status == "ok", run.error
        stored = {line.id for line in harness.app.store.ledger_lines(dossier.id)}
        assert not set(deleted) & stored
        assert_matches_truth(harness, dossier.id, sandbox.truth(ref))
        assert clock.now() > NOW
    finally:
        harness.close()
