"""Checks of administrative (``details``) links: a package's master data, kept in versions.

They run for a contract class whose links are administrative (an administrative-only connector
such as AdminPulse, or ``granularity = Granularity.DETAILS``). The runner checks the details at
most every :attr:`~sfsync.runner.Runner.details_interval`; these checks set it to zero, so every
sync is a night on which they are due.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

import pytest

from sfsync.models import CompanyDetails, Granularity
from sfsync.store.base import DossierRecord, RunRecord
from sfsync.testing.checks import check
from sfsync.testing.harness import ContractHarness

__all__ = ["DetailsChecks"]


@contextlib.contextmanager
def _always_due(contract: ContractHarness) -> Iterator[None]:
    runner = contract.app.runner
    interval, runner.details_interval = runner.details_interval, dt.timedelta(0)
    try:
        yield
    finally:
        runner.details_interval = interval


def _ok(run: RunRecord) -> RunRecord:
    assert run.status in ("ok", "warning"), run.error
    return run


def _stored(contract: ContractHarness, dossier: DossierRecord) -> CompanyDetails:
    record = contract.app.store.company_details(dossier.id)
    assert record is not None, f"dossier {dossier.name}: no company details stored"
    return record.details


def _history(contract: ContractHarness, dossier: DossierRecord) -> list[CompanyDetails]:
    return [r.details for r in contract.app.store.company_details_history(dossier.id)]


def _package(contract: ContractHarness, ref: str) -> CompanyDetails:
    try:
        details = contract.sandbox.truth(ref).company_details
    except NotImplementedError:
        pytest.fail(f"the {contract.connector} sandbox reports no truth (Sandbox.truth) to hold the details against")
    assert details is not None, "the sandbox's truth has no company details to compare"
    return details


class DetailsChecks:
    """The administrative stream: first sync, unchanged nights, edits and failures."""

    @check("details_first_sync")
    def test_the_first_sync_stores_the_package_s_details(self, contract: ContractHarness) -> None:
        dossier, run = contract.first_dossier, contract.first_run  # type: ignore[attr-defined]
        _ok(run)
        assert contract.app.store.get_admin_link(dossier.id) is not None, "the dossier has no administrative link"
        truth = contract.first_truth  # type: ignore[attr-defined]
        assert not isinstance(truth, Exception), f"the sandbox reports no truth: {truth}"
        assert _stored(contract, dossier) == truth.company_details, "the stored details differ from the package's"
        assert run.counts.get("details_changed") == 1, f"the first sync did not store the details: {run.counts}"
        assert not any(True for _ in contract.app.store.ledger_lines(dossier.id)), "a details link stored ledger lines"
        assert run.requests > 0, "no request made through ctx.http: the sandbox was not asked"

    @check("details_unchanged")
    def test_an_unchanged_night_keeps_one_version(self, contract: ContractHarness) -> None:
        dossier = contract.new_dossier()
        with _always_due(contract):
            _ok(contract.sync(dossier))
            before = _history(contract, dossier)
            second = _ok(contract.sync(dossier))
        assert "details_changed" in second.counts, "the second sync did not check the details although they were due"
        assert second.counts["details_changed"] == 0, "unchanged details were stored again"
        assert _history(contract, dossier) == before, "an unchanged night changed the history"
        promised = contract.app.registry.connector(contract.connector).info.unchanged_night_requests.get(Granularity.DETAILS)
        assert promised is not None, (
            f"ConnectorInfo.unchanged_night_requests declares nothing for details: say how many requests "
            f"an unchanged night costs (this one made {second.requests})"
        )
        assert second.requests <= promised, f"an unchanged night made {second.requests} requests; declared {promised}"

    @check("details_changes")
    def test_an_edit_is_a_new_version(self, contract: ContractHarness) -> None:
        # The last company, so that the first one's truth (taken before any check) stays true.
        ref = contract.sandbox.company_refs()[-1]
        dossier = contract.new_dossier(company_ref=ref)
        with _always_due(contract):
            _ok(contract.sync(dossier))
            first = _stored(contract, dossier)
            try:
                contract.sandbox.edit_company_details(ref)
            except NotImplementedError:
                pytest.fail(f"the {contract.connector} sandbox cannot edit master data (Sandbox.edit_company_details)")
            run = _ok(contract.sync(dossier))
        assert run.counts.get("details_changed") == 1, "the edit was not stored as a new version"
        assert _stored(contract, dossier) == _package(contract, ref), "the new version differs from the edited data"
        history = _history(contract, dossier)
        assert len(history) == 2 and history[1] == first, "the earlier version is not kept in the history"

    @check("details_failure")
    def test_a_failure_names_the_dossier_and_keeps_the_details(self, contract: ContractHarness) -> None:
        dossier = contract.new_dossier()
        with _always_due(contract):
            _ok(contract.sync(dossier))
            kept = _history(contract, dossier)
            contract.sandbox.faults.add(500, times=1_000)
            try:
                run = contract.sync(dossier)
            finally:
                contract.sandbox.faults.clear()
        assert run.status == "failed", f"a package failing on every call gave a {run.status} run"
        error = run.error or ""
        assert dossier.name in error and contract.connector in error, f"the error does not name dossier and connector: {error}"
        assert "500" in error or "server" in error.lower(), f"the error does not say the cause: {error}"
        assert _history(contract, dossier) == kept, "a failed sync changed the stored details"
