"""Checks of faults and secrets: rate limits, leaked credentials, revoked grants."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

import pytest

from sfsync.testing.checks import check
from sfsync.testing.figures import fetched, lookback_allowance, snapshot
from sfsync.testing.harness import ContractHarness

__all__ = ["RETRY_AFTER_SECONDS", "FaultChecks"]

RETRY_AFTER_SECONDS = 5.0
"""The Retry-After the suite sends: five times the transport's own fallback pause after a 429
(1 s) and far above any retry backoff, so only a transport that reads the header waits it out.
On a sandbox with a scaled clock it costs a fraction of that in wall time."""


class FaultChecks:
    """Rate limits, secrets and re-consent."""

    @check("retry_after")
    def test_429_with_retry_after_is_waited_out(self, contract: ContractHarness) -> None:
        dossier = contract.new_dossier()
        contract.sandbox.faults.clock = contract.clock
        fault = contract.sandbox.faults.add(429, headers={"Retry-After": f"{RETRY_AFTER_SECONDS:g}"}, times=1)
        run = contract.sync(dossier)
        assert run.status in ("ok", "warning"), run.error
        assert contract.sandbox.faults.served, "the 429 was never served"
        assert run.rate_limit_waits >= 1, "the 429 was not counted as a rate-limit wait"
        # Measured on the sandbox's side, on the shared clock: the package saw no request inside
        # the Retry-After (sleeps alone can add up to less on a busy machine with a scaled clock).
        assert fault.served_at is not None and fault.next_request_at is not None, "no request after the 429"
        gap = fault.next_request_at - fault.served_at
        assert gap >= RETRY_AFTER_SECONDS, (
            f"a request came {gap:.2f} s after a 429 asking for {RETRY_AFTER_SECONDS:g} s: Retry-After was not honoured"
        )

    @check("no_secrets")
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
            if database and Path(str(database) + suffix).exists():
                store_bytes += Path(str(database) + suffix).read_bytes()
        for secret in secrets:
            assert secret not in text, "a secret appears in the logs or a repr"
            assert secret.encode() not in store_bytes, "a secret is stored in clear"

    @check("reconsent")
    def test_revoked_grant_marks_the_connection_and_reconsent_resumes(self, contract: ContractHarness) -> None:
        reference = contract.new_dossier()
        reference_run = contract.sync(reference)
        assert reference_run.status in ("ok", "warning"), reference_run.error
        dossier = contract.app.create_dossier(contract.admin, "reconsent")
        connection = contract.connect(dossier=dossier)
        contract.relink(dossier, connection=connection)

        # Killed half-way first, so the dossier has a checkpoint that must survive the re-consent.
        interrupted, killed = contract.sync_until(dossier, 1)
        assert interrupted is None, "the sync ended before its first batch was committed"
        try:
            contract.sandbox.revoke()
        except NotImplementedError:
            pytest.fail(f"the {contract.connector} sandbox cannot revoke a grant (Sandbox.revoke); implement it or opt out")
        with contextlib.suppress(NotImplementedError):  # a grant without tokens (a key) has none to expire
            contract.sandbox.expire_tokens()
        try:
            run = contract.sync(dossier)
            assert run.status == "failed", "a sync with a revoked grant did not fail"
            # A refused key (AuthError) and a dead grant (NeedsReconsent) stop the connection alike.
            assert run.error_kind in ("NeedsReconsent", "AuthError"), (
                f"a revoked grant failed as {run.error_kind}: {run.error}"
            )
            assert contract.app.store.get_connection(connection.id).status == "needs_reconsent", (
                "the connection of a revoked grant is not marked needs_reconsent"
            )
            contract.reconsent(connection, dossier=dossier)
            assert contract.app.store.get_connection(connection.id).status == "ok"
            resumed = contract.sync(dossier)
            assert resumed.status in ("ok", "warning"), resumed.error
        finally:
            # The suite's own connection may have died with the grant: log it in again (for a
            # dossier-level package, through the dossier it belongs to), so later checks can use it.
            if contract.connection is not None and contract.connection.id != connection.id:
                first = getattr(contract, "first_dossier", None) if contract.is_dossier_level else None
                with contextlib.suppress(Exception):
                    contract.reconsent(contract.connection, dossier=first)
        committed = killed.lines
        allowed = fetched(reference_run, contract.granularity) - committed + lookback_allowance(contract, reference.id)
        assert fetched(resumed, contract.granularity) <= allowed, (
            f"after re-consent the dossier re-read {fetched(resumed, contract.granularity)} lines where {allowed} came "
            "after its checkpoint: it restarted instead of resuming"
        )
        assert snapshot(contract, dossier.id) == snapshot(contract, reference.id)
