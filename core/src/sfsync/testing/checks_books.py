"""Checks of what the first sync stored: the books, held against the package's own figures."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pytest

from sfsync.errors import AuthError
from sfsync.models import Company, Granularity
from sfsync.testing.checks import check
from sfsync.testing.figures import place_of, stored_movements, yearly
from sfsync.testing.harness import ContractHarness
from sfsync.truth import PackageTruth

__all__ = ["BooksChecks"]


def _truth(harness: ContractHarness, truth: PackageTruth | Exception | None) -> PackageTruth:
    if isinstance(truth, PackageTruth):
        return truth
    pytest.fail(
        f"the {harness.connector} sandbox does not report its package's own figures ({truth}); implement "
        "Sandbox.truth() so the stored figures can be held against them, or opt out naming why"
    )


def _diff(label: str, stored: Mapping[Any, Decimal], truth: Mapping[Any, Decimal]) -> str:
    keys = sorted(set(stored) | set(truth), key=str)
    wrong = [f"{key}: stored {stored.get(key, Decimal(0))}, package {truth.get(key, Decimal(0))}"
             for key in keys if stored.get(key, Decimal(0)) != truth.get(key, Decimal(0))]
    return f"{len(wrong)} {label} differ from the package's own figures, e.g. " + "; ".join(wrong[:4])


def assert_matches_truth(harness: ContractHarness, dossier_id: str, truth: PackageTruth) -> None:
    """The dossier's stored movements equal the truth per account and year, and per period
    where both sides have periods."""
    zero = any(key[2] == 0 and value != 0 for key, value in truth.movements.items())
    stored = stored_movements(harness, dossier_id, opening_is_period_zero=zero)
    assert stored, "nothing stored to hold against the package's figures"
    for amount in stored.values():
        assert isinstance(amount, Decimal), f"a stored amount is {type(amount).__name__}, not Decimal"
    stored_years, truth_years = yearly(stored), truth.yearly()
    assert stored_years == truth_years, _diff("totals per account and fiscal year", stored_years, truth_years)
    periods_known = all(key[2] is not None for key in stored) and all(key[2] is not None for key in truth.movements)
    if periods_known:
        truth_periods = {key: value for key, value in truth.movements.items() if value != 0}
        assert stored == truth_periods, _diff("totals per account and period", stored, truth_periods)


class BooksChecks:
    """Companies, credentials and the books of the first sync."""

    @staticmethod
    def _first(contract: ContractHarness) -> tuple[object, object]:
        return contract.first_dossier, contract.first_run  # type: ignore[attr-defined]

    @staticmethod
    def _transactions(contract: ContractHarness) -> bool:
        return contract.granularity is Granularity.TRANSACTIONS

    # --- connecting -------------------------------------------------------------------------------

    @check("companies")
    def test_companies_have_unique_refs(self, contract: ContractHarness) -> None:
        assert contract.connection is not None
        companies = contract.run(contract.app.list_companies(contract.admin, contract.connection.id))
        refs = [c.ref for c in companies]
        assert refs, "the connection sees no company"
        assert len(refs) == len(set(refs)), f"duplicate company refs: {refs}"
        assert set(contract.sandbox.company_refs()) <= set(refs)

    @check("bad_credentials")
    def test_bad_credentials_raise_auth_error(self, contract: ContractHarness) -> None:
        with pytest.raises(AuthError) as caught:
            contract.connect(secrets=contract.sandbox.bad_connection_secrets())
        for secret in contract.sandbox.bad_connection_secrets().values():
            if len(secret) >= 6:
                assert secret not in str(caught.value)

    # --- the first sync ---------------------------------------------------------------------------

    @check("first_sync")
    def test_first_sync_succeeds(self, contract: ContractHarness) -> None:
        dossier, run = contract.first_dossier, contract.first_run  # type: ignore[attr-defined]
        assert run.status in ("ok", "warning"), run.error
        if self._transactions(contract):
            assert contract.app.store.count_ledger_lines(dossier.id) > 0
        else:
            assert contract.app.store.trial_balance(dossier.id)
        assert run.requests > 0

    @check("fiscal_years")
    def test_fiscal_years_do_not_overlap_and_cover_ledger_dates(self, contract: ContractHarness) -> None:
        dossier = contract.first_dossier  # type: ignore[attr-defined]
        years = contract.app.store.fiscal_years(dossier.id)
        assert years, "no fiscal years"
        for before, after in itertools.pairwise(years):
            assert before.end < after.start, f"fiscal years overlap: {before} and {after}"
        if self._transactions(contract):
            for line in contract.app.store.ledger_lines(dossier.id):
                assert any(y.contains(line.date) for y in years), f"line {line.id} dated {line.date} is in no fiscal year"
        else:
            for total in contract.app.store.trial_balance(dossier.id):
                assert any(y.contains(total.period_end) for y in years), f"{total.period_end} is in no fiscal year"

    @check("entries_balance")
    def test_every_entry_balances(self, contract: ContractHarness) -> None:
        dossier = contract.first_dossier  # type: ignore[attr-defined]
        if self._transactions(contract):
            sums: dict[str, Decimal] = defaultdict(Decimal)
            for line in contract.app.store.ledger_lines(dossier.id):
                sums[line.entry] += line.debit - line.credit
            off = {entry: s for entry, s in sums.items() if s != 0}
            assert not off, f"{len(off)} entries do not balance, e.g. {list(off.items())[:3]}"
        else:
            per_period: dict[dt.date, Decimal] = defaultdict(Decimal)
            for total in contract.app.store.trial_balance(dossier.id):
                per_period[total.period_end] += total.closing
            off_periods = {str(end): s for end, s in per_period.items() if s != 0}
            assert not off_periods, f"trial balance does not balance in periods {off_periods}"

    @check("accounts_in_chart")
    def test_every_line_account_is_in_the_chart(self, contract: ContractHarness) -> None:
        dossier = contract.first_dossier  # type: ignore[attr-defined]
        chart = {a.code for a in contract.app.store.accounts(dossier.id)}
        assert chart, "empty chart of accounts"
        if self._transactions(contract):
            used = {line.account for line in contract.app.store.ledger_lines(dossier.id)}
        else:
            used = {t.account for t in contract.app.store.trial_balance(dossier.id)}
        assert used <= chart, f"accounts used but not in the chart: {sorted(used - chart)[:10]}"

    # --- held against the package's own figures ---------------------------------------------------

    @check("package_truth")
    def test_stored_figures_equal_the_package_s_own(self, contract: ContractHarness) -> None:
        truth = _truth(contract, contract.first_truth)  # type: ignore[attr-defined]
        assert_matches_truth(contract, contract.first_dossier.id, truth)  # type: ignore[attr-defined]

    @check("unique_ids")
    def test_every_package_line_is_stored_once(self, contract: ContractHarness) -> None:
        truth = _truth(contract, contract.first_truth)  # type: ignore[attr-defined]
        assert truth.line_places, "the sandbox's truth lists no lines (line_places) to count"
        dossier, run = contract.first_dossier, contract.first_run  # type: ignore[attr-defined]
        # Two lines under one id in a batch: the core refuses the batch (sfsync.unique_ids).
        refused = run.error_kind == "MalformedResponse" and "with the same id in one batch" in (run.error or "")
        assert not refused, f"the connector gives two lines of the package one id, and the sync was refused: {run.error}"
        assert run.status in ("ok", "warning"), run.error
        ids = [line.id for line in contract.app.store.ledger_lines(dossier.id)]
        assert len(ids) == len(set(ids)), "two stored lines share an id"
        assert len(ids) == len(truth.line_places), (
            f"the package holds {len(truth.line_places)} lines, the dossier {len(ids)}: lines whose ids "
            "collide were merged (or lines were lost)"
        )

    @check("booking_period")
    def test_a_line_booked_in_another_year_is_stored_in_its_period(self, contract: ContractHarness) -> None:
        truth = _truth(contract, contract.first_truth)  # type: ignore[attr-defined]
        dossier = contract.first_dossier  # type: ignore[attr-defined]
        years = contract.app.store.fiscal_years(dossier.id)
        lines = [line for line in contract.app.store.ledger_lines(dossier.id) if line.id in truth.line_places]
        assert lines, "no stored line id is among the package's (truth.line_places): ids must be the package's own"
        across = [line for line in lines
                  if not any(y.start == truth.line_places[line.id][0] and y.contains(line.date) for y in years)]
        assert across, (
            f"the {contract.connector} sandbox seeds no line booked in another fiscal year than its date; "
            "seed one (a closing entry dated in January, booked in the year before)"
        )
        wrong = [f"{line.id} dated {line.date}: stored in {place_of(line, years)}, booked in {truth.line_places[line.id]}"
                 for line in lines if place_of(line, years) != truth.line_places[line.id]]
        assert not wrong, f"{len(wrong)} lines are stored in another period than they are booked in: {wrong[:4]}"

    @check("trial_balance_granularity")
    def test_a_trial_balance_link_equals_the_package_s_trial_balance(self, contract: ContractHarness) -> None:
        dossier = contract.new_dossier(granularity=Granularity.TRIAL_BALANCE)
        run = contract.sync(dossier)
        assert run.status in ("ok", "warning"), run.error
        try:
            truth: PackageTruth | Exception = contract.sandbox.truth(contract.sandbox.company_refs()[0])
        except NotImplementedError as exc:
            truth = exc
        assert contract.app.store.trial_balance(dossier.id), "the trial-balance link stored no totals"
        assert_matches_truth(contract, dossier.id, _truth(contract, truth))

    @check("company_details")
    def test_company_details_equal_the_package_s(self, contract: ContractHarness) -> None:
        truth = _truth(contract, contract.first_truth)  # type: ignore[attr-defined]
        assert truth.company_details is not None, "the sandbox's truth has no company details to compare"
        assert contract.connection is not None
        ref = contract.sandbox.company_refs()[0]
        companies = contract.run(contract.app.list_companies(contract.admin, contract.connection.id))
        company = next((c for c in companies if c.ref == ref), Company(ref=ref))
        details = contract.call_hook("sfsync_fetch_company_details", company=company, previous=None)
        assert details == truth.company_details, f"stored {details!r}, package {truth.company_details!r}"
