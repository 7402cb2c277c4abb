"""Octopus's limits: a daily quota per endpoint and dossier, and too many connections as its own error."""

from __future__ import annotations

import json

from sfsync.clock import FakeClock
from sfsync.sandbox.faults import Reply
from sfsync.testing.checks_books import assert_matches_truth
from sfsync.testing.harness import ContractHarness
from sfsync_octopus.quotas import quota_key
from sfsync_octopus.sandbox import OctopusSandbox

from .conftest import NOW, linked

TOO_MANY = json.dumps({"errorCode": -51, "errorMessage": "ERR_TO_MANY_CONNECTIONS"}).encode()


def _too_many(times: int) -> Reply:
    return Reply(status=503, headers={"Content-Type": "application/json"}, body=TOO_MANY,
                 path_contains="/bookings/modified", times=times)


def test_too_many_connections_is_waited_out(harness, sandbox):
    ref = sandbox.company_refs()[0]
    dossier = linked(harness, ref)
    sandbox.faults.inject(_too_many(2))
    run = harness.sync(dossier)
    assert run.status == "ok", run.error
    assert_matches_truth(harness, dossier.id, sandbox.truth(ref))


def test_too_many_connections_that_last_are_reported_as_such(harness, sandbox):
    dossier = linked(harness, sandbox.company_refs()[0])
    sandbox.faults.inject(_too_many(50))
    run = harness.sync(dossier)
    assert run.status in ("failed", "waiting")
    assert "ERR_TO_MANY_CONNECTIONS" in (run.error or ""), run.error
    assert "another program is using the same Octopus user" in (run.error or "")


def test_a_spent_daily_quota_stops_the_run_and_the_next_day_resumes(tmp_path):
    """With 8 calls a day per endpoint, a sync of the day is refused until midnight: the run
    stops cleanly (waiting, not failed), and resumes after it."""
    clock = FakeClock(NOW)
    sandbox = OctopusSandbox(clock=clock, daily_calls=8)
    harness = ContractHarness.create("octopus", tmp_path, sandbox=sandbox)
    try:
        harness.connect()
        ref = sandbox.company_refs()[2]
        dossier = linked(harness, ref)
        runs = [harness.sync(dossier)]
        while runs[-1].status == "ok" and len(runs) < 10:
            runs.append(harness.sync(dossier))
        stopped = runs[-1]
        assert len(runs) > 1 and {r.status for r in runs[:-1]} == {"ok"}, [r.error for r in runs]
        assert (stopped.status, stopped.error_kind) == ("waiting", "BudgetExhausted"), (stopped.status, stopped.error)
        assert stopped.resume_at is not None and stopped.resume_at.date() > NOW.date()
        clock.advance(86400)
        sandbox.add_entry(ref)
        again = harness.sync(dossier)
        assert again.status == "ok", again.error
        assert_matches_truth(harness, dossier.id, sandbox.truth(ref))
    finally:
        harness.close()


def test_quotas_are_counted_per_endpoint_and_dossier():
    assert quota_key("GET", "/octopus-rest-api/v1/dossiers/1001/bookyears/3/bookings/modified") == \
        "1001:GET /dossiers/{id}/bookyears/{id}/bookings/modified"
    assert quota_key("POST", "/octopus-rest-api/v1/dossiers") == "-:POST /dossiers"
    assert quota_key("GET", "/octopus-rest-api/v1/dossiers/1002/bookyears") != quota_key(
        "GET", "/octopus-rest-api/v1/dossiers/1001/bookyears")
