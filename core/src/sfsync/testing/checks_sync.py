"""Checks of syncing over time: incremental nights, *since* links, kills and resumes, changes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sfsync.errors import ConfigurationError
from sfsync.models import AccountKind, Granularity, SyncMode
from sfsync.store.base import DossierRecord, RunRecord
from sfsync.testing.checks import check
from sfsync.testing.figures import (
    fetched,
    ledger_snapshot,
    lookback_allowance,
    place_of,
    snapshot,
    tb_snapshot,
)
from sfsync.testing.harness import ContractHarness

__all__ = ["ResumeOutcome", "SyncChecks", "resume_after_kill"]

_FEW = settings(max_examples=2, deadline=None, suppress_health_check=list(HealthCheck))


def _ok(run: RunRecord | None) -> RunRecord:
    assert run is not None, "the run was killed"
    assert run.status in ("ok", "warning"), run.error
    return run


@dataclass
class ResumeOutcome:
    """A sync killed after ``killed_after`` batches, then resumed."""

    killed_after: int
    committed: int
    """Lines committed before the kill."""
    reread: int
    """Lines the resumed run read from the package."""
    allowed: int
    """What the resumed run may read: what came after the checkpoint, plus the look-back window."""
    equal: bool
    """Whether the resumed dossier equals the uninterrupted one."""


def resume_after_kill(harness: ContractHarness, reference: DossierRecord, reference_run: RunRecord, batches: int) -> ResumeOutcome:
    """Kill a fresh dossier's first sync once ``batches`` batches are committed, resume it, and
    measure the resumed run against the uninterrupted ``reference`` (synced just before)."""
    dossier = harness.new_dossier()
    run, killed = harness.sync_until(dossier, batches)
    assert run is None, f"the sync ended ({run.status if run else ''}) before {batches} batches were committed"
    resumed = _ok(harness.sync(dossier))
    total = fetched(reference_run, harness.granularity)
    return ResumeOutcome(
        killed_after=batches, committed=killed.lines, reread=fetched(resumed, harness.granularity),
        allowed=total - killed.lines + lookback_allowance(harness, reference.id),
        equal=snapshot(harness, dossier.id) == snapshot(harness, reference.id),
    )


class SyncChecks:
    """Incremental nights, *since*, kills, replaces and changes."""

    # --- an unchanged night -------------------------------------------------------------------------

    @check("incremental")
    def test_second_sync_brings_nothing_new(self, contract: ContractHarness) -> None:
        dossier = contract.new_dossier()
        _ok(contract.sync(dossier))
        before = snapshot(contract, dossier.id)
        second = _ok(contract.sync(dossier))
        assert snapshot(contract, dossier.id) == before, "a second sync of unchanged data changed the dossier"
        allowed = lookback_allowance(contract, dossier.id)
        reread = fetched(second, contract.granularity)
        assert reread <= allowed, (
            f"an unchanged second sync re-read {reread} lines; the declared look-back window allows {allowed} "
            "(ConnectorInfo.lookback_days): the cursor is not used"
        )
        info = contract.app.registry.connector(contract.connector).info
        promised = info.unchanged_night_requests.get(contract.granularity)
        assert promised is not None, (
            f"ConnectorInfo.unchanged_night_requests declares nothing for {contract.granularity.value}: "
            f"say how many requests an unchanged night costs (this one made {second.requests})"
        )
        assert second.requests <= promised, (
            f"an unchanged night made {second.requests} requests; the connector declares {promised}"
        )

    # --- since --------------------------------------------------------------------------------------

    @check("since_start")
    def test_since_must_start_a_fiscal_year(self, contract: ContractHarness) -> None:
        assert contract.connection is not None
        years = contract.run(contract.app.fiscal_years(contract.admin, contract.connection.id, contract.sandbox.company_refs()[0]))
        not_a_start = years[-1].start + dt.timedelta(days=1)
        dossier = contract.app.create_dossier(contract.admin, "since-refused")
        connection = contract.connect(dossier=dossier) if contract.is_dossier_level else contract.connection
        with pytest.raises(ConfigurationError, match=years[-1].start.isoformat()):
            contract.run(contract.app.link(contract.admin, dossier.id, connection.id, contract.sandbox.company_refs()[0],
                                           mode=SyncMode.SINCE, since=not_a_start, granularity=contract.granularity))

    def _years(self, contract: ContractHarness) -> list:  # type: ignore[type-arg]
        assert contract.connection is not None
        return contract.run(contract.app.fiscal_years(contract.admin, contract.connection.id, contract.sandbox.company_refs()[0]))  # type: ignore[no-any-return]

    @check("since")
    @_FEW
    @given(data=st.data())
    def test_since_is_honoured(self, contract: ContractHarness, data: st.DataObject) -> None:
        years = self._years(contract)
        year = data.draw(st.sampled_from(years[1:] or years), label="since year")
        # Dated before the date: what the dossier held stays, unchanged.
        dossier = contract.new_dossier()
        _ok(contract.sync(dossier))
        lines_before, totals_before = snapshot(contract, dossier.id)
        contract.relink(dossier, mode=SyncMode.SINCE, since=year.start)
        _ok(contract.sync(dossier))
        lines_after, totals_after = snapshot(contract, dossier.id)
        kept = {k: v for k, v in lines_before.items() if v[1] < year.start}
        assert {k: v for k, v in lines_after.items() if v[1] < year.start} == kept, (
            f"lines dated before {year.start} that the dossier held were changed or deleted by a since sync"
        )
        kept_totals = {k: v for k, v in totals_before.items() if k[1] < year.start}
        assert {k: v for k, v in totals_after.items() if k[1] < year.start} == kept_totals, (
            f"totals of periods before {year.start} that the dossier held were changed or deleted by a since sync"
        )
        # A fresh since dossier: nothing dated before the date arrives.
        fresh = contract.new_dossier(mode=SyncMode.SINCE, since=year.start)
        _ok(contract.sync(fresh))
        dates = [v[1] for v in ledger_snapshot(contract, fresh.id).values()] + [k[1] for k in tb_snapshot(contract, fresh.id)]
        assert all(d >= year.start for d in dates), f"data before {year.start} was synced"

    @check("opening_balances")
    def test_opening_balances_are_the_package_s_at_the_since_date(self, contract: ContractHarness) -> None:
        years = self._years(contract)
        year = years[1] if len(years) > 1 else years[0]
        try:
            truth = contract.sandbox.truth(contract.sandbox.company_refs()[0])
        except NotImplementedError as exc:
            pytest.fail(f"the sandbox reports no truth to hold opening balances against ({exc}); implement Sandbox.truth()")
        assert year.start in truth.opening_balances, f"the sandbox's truth has no opening balances at {year.start}"
        dossier = contract.new_dossier(mode=SyncMode.SINCE, since=year.start)
        _ok(contract.sync(dossier))
        store = contract.app.store
        stored = {b.account: b.amount for b in store.opening_balances(dossier.id) if b.date == year.start}
        expected = {a: v for a, v in truth.opening_balances[year.start].items() if v != 0}
        assert {a: v for a, v in stored.items() if v != 0} == expected, (
            f"opening balances at {year.start}: stored {stored}, package {expected}"
        )
        # Opening balances plus the movements booked since reach the package's next balances, with
        # the profit or loss of those years carried to the package's result account (if it has one).
        balance_sheet = {a.code for a in store.accounts(dossier.id) if a.kind is AccountKind.BALANCE_SHEET}
        stored_years = store.fiscal_years(dossier.id)
        for later in (y for y in years if y.start > year.start and y.start in truth.opening_balances):
            running, result = dict(stored), Decimal(0)
            for line in store.ledger_lines(dossier.id):
                place = place_of(line, stored_years)
                if place is None or not year.start <= place[0] < later.start:
                    continue
                if line.account in balance_sheet:
                    running[line.account] = running.get(line.account, Decimal(0)) + line.debit - line.credit
                else:
                    result += line.debit - line.credit
            if truth.result_account is not None:
                running[truth.result_account] = running.get(truth.result_account, Decimal(0)) + result
            want = {a: v for a, v in truth.opening_balances[later.start].items() if v != 0}
            assert {a: v for a, v in running.items() if v != 0} == want, (
                f"opening balances at {year.start} plus the movements booked since do not reach the package's "
                f"balances at {later.start}: {running} against {want}"
            )

    # --- kill and resume ------------------------------------------------------------------------------

    @check("resume")
    @_FEW
    @given(data=st.data())
    def test_killed_sync_resumes_to_the_same_result(self, contract: ContractHarness, data: st.DataObject) -> None:
        reference = contract.new_dossier()
        reference_run = _ok(contract.sync(reference))
        batches = int(reference_run.counts.get("batches", 1))
        kill_after = data.draw(st.integers(min_value=1, max_value=max(1, batches)), label="kill after batch")
        outcome = resume_after_kill(contract, reference, reference_run, kill_after)
        assert outcome.reread <= outcome.allowed, (
            f"killed after {kill_after} of {batches} batches ({outcome.committed} lines committed), the resumed "
            f"run re-read {outcome.reread} lines where {outcome.allowed} came after the checkpoint: it did not resume"
        )
        assert outcome.equal, "the resumed sync does not end with what an uninterrupted sync stores"

    @check("replace_atomic")
    def test_failed_replace_leaves_the_old_data_untouched(self, contract: ContractHarness) -> None:
        dossier = contract.new_dossier()
        _ok(contract.sync(dossier))
        old = snapshot(contract, dossier.id)
        added = contract.sandbox.add_entry(contract.sandbox.company_refs()[0])
        contract.relink(dossier, mode=SyncMode.REPLACE)
        run, killed = contract.sync_until(dossier, 1)
        assert run is None, "the replace ended before its first batch was committed"
        assert snapshot(contract, dossier.id) == old, (
            f"a replace killed after {killed.batches} batch(es) shows a half-built generation instead of the old data"
        )
        _ok(contract.sync(dossier))
        if contract.granularity is Granularity.TRANSACTIONS:
            assert set(added) <= set(ledger_snapshot(contract, dossier.id)), "the completed replace lacks the new entry"
        else:
            assert snapshot(contract, dossier.id) != old, "the completed replace did not bring the new entry"

    # --- changes between syncs -----------------------------------------------------------------------

    @check("changes")
    def test_changes_and_deletions_arrive(self, contract: ContractHarness) -> None:
        dossier = contract.new_dossier()
        _ok(contract.sync(dossier))
        ref = contract.sandbox.company_refs()[0]
        added = contract.sandbox.add_entry(ref)
        edited = contract.sandbox.edit_line(ref)
        deleted = contract.sandbox.delete_entry(ref)
        before = ledger_snapshot(contract, dossier.id)
        _ok(contract.sync(dossier))
        after = ledger_snapshot(contract, dossier.id)
        assert set(added) <= set(after), "an added entry did not arrive"
        assert edited in after and after[edited] != before.get(edited), "an edited line did not change"
        assert not set(deleted) & set(after), "a deleted entry is still there"

    @check("trial_balance_changes")
    def test_trial_balance_follows_changes(self, contract: ContractHarness) -> None:
        dossier = contract.new_dossier()
        _ok(contract.sync(dossier))
        before = tb_snapshot(contract, dossier.id)
        contract.sandbox.add_entry(contract.sandbox.company_refs()[0])
        _ok(contract.sync(dossier))
        assert tb_snapshot(contract, dossier.id) != before, "a new entry did not change the trial balance"
