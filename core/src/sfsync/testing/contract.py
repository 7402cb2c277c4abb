"""The checks every connector must pass, as a base test class (see :mod:`sfsync.testing`)."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sfsync.errors import AuthError, ConfigurationError
from sfsync.models import Granularity, SyncMode
from sfsync.plugins import get_registry
from sfsync.sandbox import Sandbox
from sfsync.store.base import RunRecord
from sfsync.testing.harness import ContractHarness

__all__ = ["ConnectorContract", "SimulatedCrash"]


class SimulatedCrash(Exception):
    """Raised by the crash observer to kill a run after a given number of committed batches."""


class _CrashAfter:
    def __init__(self, batches: int) -> None:
        self.batches = batches

    def stage(self, dossier: str, stage: str) -> None:
        pass

    def progress(self, dossier: str, what: str, count: int) -> None:
        pass

    def batch_committed(self, dossier: str, batches: int) -> None:
        if batches >= self.batches:
            raise SimulatedCrash(f"killed after {batches} batches")


def _snapshot(harness: ContractHarness, dossier_id: str) -> dict[str, tuple[Any, ...]]:
    return {
        line.id: (line.entry, line.date, line.account, line.debit, line.credit, line.description)
        for line in harness.app.store.ledger_lines(dossier_id)
    }


def _tb_snapshot(harness: ContractHarness, dossier_id: str) -> dict[tuple[str, dt.date], tuple[Decimal, ...]]:
    return {
        (t.account, t.period_end): (t.opening, t.debit, t.credit, t.closing)
        for t in harness.app.store.trial_balance(dossier_id)
    }


class ConnectorContract:
    """Subclass with ``connector = "<name>"``; every ``test_*`` here runs against its sandbox."""

    connector: str = ""
    granularity: Granularity | None = None
    """Link with this granularity instead of the connector's default (run the suite twice, once
    per granularity, by subclassing twice)."""

    # --- fixtures -------------------------------------------------------------------------------

    @pytest.fixture(scope="class")
    @classmethod
    def contract_sandbox(cls) -> Sandbox:
        """A fresh sandbox from the connector's ``sfsync_sandbox`` hook.

        Override it (as a class-scoped classmethod fixture, optionally with ``params``) to run the
        suite against several sandboxes, e.g. one per API version."""
        return get_registry().call(cls.connector, "sfsync_sandbox")  # type: ignore[no-any-return]

    @pytest.fixture(scope="class")
    @classmethod
    def contract(cls, contract_sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ContractHarness]:
        """The harness, connected, with one dossier linked in *replace* mode and synced once."""
        if not cls.connector:
            pytest.fail("set `connector = \"<name>\"` on the contract class")
        harness = ContractHarness.create(cls.connector, tmp_path_factory.mktemp(cls.connector), sandbox=contract_sandbox)
        harness.granularity_override = cls.granularity
        harness.first_dossier = harness.new_dossier()  # type: ignore[attr-defined]
        harness.first_run = harness.sync(harness.first_dossier)  # type: ignore[attr-defined]
        yield harness
        harness.close()

    @staticmethod
    def _first(contract: ContractHarness) -> tuple[Any, RunRecord]:
        return contract.first_dossier, contract.first_run  # type: ignore[attr-defined]

    @staticmethod
    def _transactions(contract: ContractHarness) -> bool:
        return contract.granularity is Granularity.TRANSACTIONS

    # --- connecting -------------------------------------------------------------------------------

    def test_companies_have_unique_refs(self, contract: ContractHarness) -> None:
        assert contract.connection is not None
        companies = contract.run(contract.app.list_companies(contract.admin, contract.connection.id))
        refs = [c.ref for c in companies]
        assert refs, "the connection sees no company"
        assert len(refs) == len(set(refs)), f"duplicate company refs: {refs}"
        assert set(contract.sandbox.company_refs()) <= set(refs)

    def test_bad_credentials_raise_auth_error(self, contract: ContractHarness) -> None:
        with pytest.raises(AuthError) as caught:
            contract.connect(secrets=contract.sandbox.bad_connection_secrets())
        for secret in contract.sandbox.bad_connection_secrets().values():
            if len(secret) >= 6:
                assert secret not in str(caught.value)

    # --- the first sync ---------------------------------------------------------------------------

    def test_first_sync_succeeds(self, contract: ContractHarness) -> None:
        dossier, run = self._first(contract)
        assert run.status in ("ok", "warning"), run.error
        if self._transactions(contract):
            assert contract.app.store.count_ledger_lines(dossier.id) > 0
        else:
            assert contract.app.store.trial_balance(dossier.id)
        assert run.requests > 0

    def test_fiscal_years_do_not_overlap_and_cover_ledger_dates(self, contract: ContractHarness) -> None:
        dossier, _ = self._first(contract)
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

    def test_every_entry_balances(self, contract: ContractHarness) -> None:
        dossier, _ = self._first(contract)
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
            off = {str(end): s for end, s in per_period.items() if s != 0}
            assert not off, f"trial balance does not balance in periods {off}"

    def test_every_line_account_is_in_the_chart(self, contract: ContractHarness) -> None:
        dossier, _ = self._first(contract)
        chart = {a.code for a in contract.app.store.accounts(dossier.id)}
        assert chart, "empty chart of accounts"
        if self._transactions(contract):
            used = {line.account for line in contract.app.store.ledger_lines(dossier.id)}
        else:
            used = {t.account for t in contract.app.store.trial_balance(dossier.id)}
        assert used <= chart, f"accounts used but not in the chart: {sorted(used - chart)[:10]}"

    def test_amounts_are_decimal(self, contract: ContractHarness) -> None:
        dossier, _ = self._first(contract)
        if self._transactions(contract):
            for line in contract.app.store.ledger_lines(dossier.id):
                assert isinstance(line.debit, Decimal) and isinstance(line.credit, Decimal)
                break
        else:
            for total in contract.app.store.trial_balance(dossier.id):
                assert isinstance(total.closing, Decimal)
                break

    def test_second_sync_brings_nothing_new(self, contract: ContractHarness) -> None:
        dossier = contract.new_dossier()
        first = contract.sync(dossier)
        assert first.status in ("ok", "warning"), first.error
        before = _snapshot(contract, dossier.id), _tb_snapshot(contract, dossier.id)
        second = contract.sync(dossier)
        assert second.status in ("ok", "warning"), second.error
        after = _snapshot(contract, dossier.id), _tb_snapshot(contract, dossier.id)
        assert after == before, "a second sync of unchanged data changed the dossier"
        assert second.requests <= first.requests, (second.requests, first.requests)

    # --- since ------------------------------------------------------------------------------------

    def test_since_must_start_a_fiscal_year(self, contract: ContractHarness) -> None:
        assert contract.connection is not None
        years = contract.run(contract.app.fiscal_years(contract.admin, contract.connection.id, contract.sandbox.company_refs()[0]))
        not_a_start = years[-1].start + dt.timedelta(days=1)
        dossier = contract.app.create_dossier(contract.admin, "since-refused")
        connection = contract.connect(dossier=dossier) if contract.is_dossier_level else contract.connection
        with pytest.raises(ConfigurationError, match=years[-1].start.isoformat()):
            contract.run(contract.app.link(contract.admin, dossier.id, connection.id, contract.sandbox.company_refs()[0],
                                           mode=SyncMode.SINCE, since=not_a_start, granularity=contract.granularity))

    @settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def test_since_is_honoured(self, contract: ContractHarness, data: st.DataObject) -> None:
        assert contract.connection is not None
        years = contract.run(contract.app.fiscal_years(contract.admin, contract.connection.id, contract.sandbox.company_refs()[0]))
        year = data.draw(st.sampled_from(years), label="since year")
        dossier = contract.new_dossier(mode=SyncMode.SINCE, since=year.start)
        run = contract.sync(dossier)
        assert run.status in ("ok", "warning"), run.error
        if self._transactions(contract):
            dates = [line.date for line in contract.app.store.ledger_lines(dossier.id)]
        else:
            dates = [t.period_end for t in contract.app.store.trial_balance(dossier.id)]
        assert all(d >= year.start for d in dates), f"data before {year.start} was synced"

    # --- crash and resume -----------------------------------------------------------------------------

    @settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def test_killed_sync_resumes_to_the_same_result(self, contract: ContractHarness, data: st.DataObject) -> None:
        reference = contract.new_dossier()
        assert contract.sync(reference).status in ("ok", "warning")
        batches = contract.app.store.last_run(reference.id).counts.get("batches", 1)  # type: ignore[union-attr]
        kill_after = data.draw(st.integers(min_value=1, max_value=max(1, batches)), label="kill after batch")
        dossier = contract.new_dossier()
        crashed = contract.sync(dossier, observer=_CrashAfter(kill_after))
        assert crashed.status == "failed" and "killed after" in (crashed.error or "")
        resumed = contract.sync(dossier)
        assert resumed.status in ("ok", "warning"), resumed.error
        assert _snapshot(contract, dossier.id) == _snapshot(contract, reference.id)
        assert _tb_snapshot(contract, dossier.id) == _tb_snapshot(contract, reference.id)

    # --- changes between syncs -----------------------------------------------------------------------

    def test_changes_and_deletions_arrive(self, contract: ContractHarness) -> None:
        if not self._transactions(contract):
            pytest.skip("trial-balance connectors are checked by test_trial_balance_follows_changes")
        dossier = contract.new_dossier()
        assert contract.sync(dossier).status in ("ok", "warning")
        ref = contract.sandbox.company_refs()[0]
        added = contract.sandbox.add_entry(ref)
        edited = contract.sandbox.edit_line(ref)
        deleted = contract.sandbox.delete_entry(ref)
        before = _snapshot(contract, dossier.id)
        run = contract.sync(dossier)
        assert run.status in ("ok", "warning"), run.error
        after = _snapshot(contract, dossier.id)
        assert set(added) <= set(after), "an added entry did not arrive"
        assert edited in after and after[edited] != before.get(edited), "an edited line did not change"
        assert not set(deleted) & set(after), "a deleted entry is still there"

    def test_trial_balance_follows_changes(self, contract: ContractHarness) -> None:
        if self._transactions(contract):
            pytest.skip("transaction connectors are checked by test_changes_and_deletions_arrive")
        dossier = contract.new_dossier()
        assert contract.sync(dossier).status in ("ok", "warning")
        before = _tb_snapshot(contract, dossier.id)
        contract.sandbox.add_entry(contract.sandbox.company_refs()[0])
        run = contract.sync(dossier)
        assert run.status in ("ok", "warning"), run.error
        assert _tb_snapshot(contract, dossier.id) != before, "a new entry did not change the trial balance"

    # --- faults -----------------------------------------------------------------------------------

    def test_429_with_retry_after_is_waited_out(self, contract: ContractHarness) -> None:
        dossier = contract.new_dossier()
        contract.sandbox.faults.clock = contract.clock
        fault = contract.sandbox.faults.add(429, headers={"Retry-After": "1"}, times=1)
        run = contract.sync(dossier)
        assert run.status in ("ok", "warning"), run.error
        assert contract.sandbox.faults.served, "the 429 was never served"
        assert run.rate_limit_waits >= 1 and contract.clock.slept, "the 429 was not waited out"
        # Measured on the sandbox's side, on the shared clock: the package saw no request for the
        # Retry-After's second. (Sleeps alone can add up to less on a busy machine with a scaled
        # clock, where the time spent working counts too.)
        assert fault.served_at is not None and fault.next_request_at is not None, "no request after the 429"
        assert fault.next_request_at - fault.served_at >= 1.0, (fault.served_at, fault.next_request_at)

    def test_no_secret_in_logs_or_store(self, contract: ContractHarness, caplog: pytest.LogCaptureFixture) -> None:
        caplog.set_level(logging.DEBUG)
        dossier = contract.new_dossier()
        run = contract.sync(dossier)
        secrets = [s for s in contract.sandbox.connection_secrets().values() if len(s) >= 6]
        assert contract.connection is not None
        opened = contract.app.box.open(contract.app.store.get_connection(contract.connection.id).sealed)
        for token in (opened.get("tokens") or {}).values():
            if isinstance(token, str) and len(token) >= 12:
                secrets.append(token)
        text = caplog.text + repr(run) + repr(contract.app.store.get_connection(contract.connection.id))
        store_bytes = b""
        database = getattr(contract.app.store, "path", None)
        for suffix in ("", "-wal"):
            if database and Path(database + suffix).exists():
                store_bytes += Path(database + suffix).read_bytes()
        for secret in secrets:
            assert secret not in text, "a secret appears in the logs or a repr"
            assert secret.encode() not in store_bytes, "a secret is stored in clear"


