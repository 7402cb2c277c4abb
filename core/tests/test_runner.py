"""The runner's semantics: checkpoints, crash and resume, generations, since, deletions, errors."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal

import pytest

from sfsync.errors import AlreadyRunning, ConfigurationError, FullResyncRequired
from sfsync.hookspecs import hookimpl
from sfsync.models import LedgerBatch, LedgerLine


class Crash(Exception):
    pass


class CrashAfter:
    def __init__(self, batches: int) -> None:
        self.batches = batches

    def stage(self, dossier: str, stage: str) -> None:
        pass

    def progress(self, dossier: str, what: str, count: int) -> None:
        pass

    def batch_committed(self, dossier: str, batches: int) -> None:
        if batches >= self.batches:
            raise Crash("power cut")


def test_first_sync_stores_everything_exactly(env):
    dossier = env.dossier("d1")
    run = env.sync(dossier)
    assert run.status == "ok", run.error
    stored = env.lines(dossier)
    seeded = env.sandbox.companies["C1"].lines
    assert len(stored) == len(seeded)
    for line in seeded:
        got = stored[line.id]
        assert got.debit - got.credit == line.amount
        assert isinstance(got.debit, Decimal)
    assert run.counts["batches"] >= 2
    assert env.app.store.last_run(dossier.id).status == "ok"


def test_crash_resumes_from_the_last_checkpoint_without_doubles(env):
    dossier = env.dossier("d1")
    crashed = env.sync(dossier, observer=CrashAfter(2))
    assert crashed.status == "failed" and "power cut" in crashed.error
    # The replace generation is not swapped in yet: the dossier shows nothing half-done.
    assert env.app.store.count_ledger_lines(dossier.id) == 0
    requests_before = env.sandbox.requests
    resumed = env.sync(dossier)
    assert resumed.status == "ok", resumed.error
    assert set(env.lines(dossier)) == {line.id for line in env.sandbox.companies["C1"].lines}
    # It resumed: it fetched fewer lines than a full sync would.
    assert resumed.counts["lines_fetched"] < len(env.sandbox.companies["C1"].lines)
    assert env.sandbox.requests > requests_before


def test_failed_replace_leaves_the_old_data_untouched(env):
    dossier = env.dossier("d1")
    assert env.sync(dossier).status == "ok"
    before = env.lines(dossier)
    # Re-link in replace mode (a new generation), then fail mid-way with a persistent 500.
    env.run(env.app.link(env.admin, dossier.id, env.connection.id, "C1", mode="replace"))
    env.sandbox.faults.add(500, times=100, path_contains="/lines", after=1)
    failed = env.sync(dossier)
    assert failed.status == "failed" and "500" in failed.error
    assert env.lines(dossier) == before
    env.sandbox.faults.clear()
    assert env.sync(dossier).status == "ok"
    assert set(env.lines(dossier)) == set(before)


def test_since_keeps_data_before_the_date_and_replaces_the_rest(env):
    dossier = env.dossier("d1")
    assert env.sync(dossier).status == "ok"
    old = env.lines(dossier)
    since = dt.date(2025, 1, 1)
    kept_before = {i for i, line in old.items() if line.date < since}
    assert kept_before
    env.run(env.app.link(env.admin, dossier.id, env.connection.id, "C1", mode="since", since=since))
    run = env.sync(dossier)
    assert run.status == "ok", run.error
    now = env.lines(dossier)
    assert kept_before <= set(now)
    expected_after = {ln.id for ln in env.sandbox.companies["C1"].lines if ln.date >= since}
    assert {i for i, line in now.items() if line.date >= since} == expected_after


def test_since_must_be_the_first_day_of_a_fiscal_year(env):
    dossier = env.app.create_dossier(env.admin, "d1")
    with pytest.raises(ConfigurationError) as caught:
        env.run(env.app.link(env.admin, dossier.id, env.connection.id, "C2", mode="since", since=dt.date(2025, 1, 1)))
    assert "2025-07-01" in str(caught.value)  # C2's years start in July: the valid choices are listed


def test_deletions_and_edits_are_applied_incrementally(env):
    dossier = env.dossier("d1")
    assert env.sync(dossier).status == "ok"
    deleted = env.sandbox.delete_entry("C1")
    edited = env.sandbox.edit_line("C1")
    run = env.sync(dossier)
    assert run.status == "ok"
    lines = env.lines(dossier)
    assert not set(deleted) & set(lines)
    assert lines[edited].description.endswith("(edited)")
    assert run.counts["deletions"] == len(deleted)
    assert run.counts["lines_fetched"] == 1


def test_unchanged_dossier_costs_almost_nothing(env):
    dossier = env.dossier("d1")
    first = env.sync(dossier)
    second = env.sync(dossier)
    assert second.counts["lines_fetched"] == 0
    assert second.requests <= 4 < first.requests


def test_one_run_per_dossier_at_a_time(env):
    dossier = env.dossier("d1")
    assert env.app.store.try_lock(dossier.id, "someone-else", ttl=60)
    with pytest.raises(AlreadyRunning):
        env.sync(dossier)
    runs = env.run(env.app.sync_many([dossier.id]))
    assert runs[0].status == "skipped"
    env.app.store.release_lock(dossier.id, "someone-else")
    assert env.sync(dossier).status == "ok"


def test_a_fatal_error_stops_that_dossier_only(env):
    good = env.dossier("good", ref="C1")
    bad = env.dossier("bad", ref="C2")
    env.sandbox.faults.add(500, times=100, path_contains="/companies/C2/lines")
    runs = {r.dossier_id: r for r in env.run(env.app.sync_many([good.id, bad.id]))}
    assert runs[good.id].status == "ok"
    assert runs[bad.id].status == "failed"
    assert "dossier bad" in runs[bad.id].error and "connector echo" in runs[bad.id].error


def test_refused_credentials_fail_the_run_and_ask_for_reconsent(env):
    # A refused key is the firm's to fix (enter the current key), not an outage to retry.
    dossier = env.dossier("d1")
    assert env.sync(dossier).status == "ok"
    env.sandbox.faults.add(401, times=1, body={"error": "invalid_api_key"})
    failed = env.sync(dossier)
    assert failed.status == "failed" and failed.error_kind == "NeedsReconsent"
    assert "enter the current key" in (failed.error or "")


def test_unbalanced_entries_are_reported(env):
    env.sandbox.companies["C1"].lines[0].amount += Decimal("0.01")
    dossier = env.dossier("d1")
    run = env.sync(dossier)
    assert run.status == "warning"
    assert any("does not balance" in w and "0.01" in w for w in run.warnings)


def test_due_dossiers_and_nightly(env):
    a = env.dossier("a")
    b = env.dossier("b", ref="C2")
    assert set(env.app.due_dossiers()) == {a.id, b.id}
    runs = env.run(env.app.sync_due())
    assert {r.status for r in runs} == {"ok"}
    assert env.app.due_dossiers() == []
    later = env.clock.now() + dt.timedelta(hours=21)
    assert set(env.app.due_dossiers(now=later)) == {a.id, b.id}


def test_full_resync_required_rebuilds_a_generation(env, registry):
    calls = {"n": 0}

    class Moving:
        @hookimpl(wrapper=True)
        def sfsync_fetch_ledger(self, cursor):
            result = yield
            calls["n"] += 1
            if cursor is not None and calls["n"] == 2:

                async def moved():
                    raise FullResyncRequired("the division moved")
                    yield  # pragma: no cover

                return moved()
            return result

    registry.register(Moving(), "moving")
    dossier = env.dossier("d1")
    assert env.sync(dossier).status == "ok"
    run = env.sync(dossier)
    assert run.status == "warning" and any("full resync" in w for w in run.warnings)
    assert set(env.lines(dossier)) == {line.id for line in env.sandbox.companies["C1"].lines}


def test_trial_balance_granularity(env):
    dossier = env.app.create_dossier(env.admin, "tb")
    env.run(env.app.link(env.admin, dossier.id, env.connection.id, "C1", mode="replace", granularity="trial_balance"))
    run = env.sync(dossier)
    assert run.status == "ok", run.error
    totals = env.app.store.trial_balance(dossier.id)
    assert totals and sum((t.closing for t in totals), Decimal(0)) == 0


def test_many_dossiers_run_concurrently(env):
    dossiers = [env.dossier(f"d{i}", ref="C1" if i % 2 else "C2") for i in range(6)]
    runs = env.run(env.app.sync_many([d.id for d in dossiers]))
    assert [r.status for r in runs] == ["ok"] * 6


def test_lines_before_since_are_not_written(env):
    dossier = env.dossier("d1", mode="since", since=dt.date(2025, 1, 1))
    run = env.sync(dossier)
    assert run.status == "ok"
    assert all(line.date >= dt.date(2025, 1, 1) for line in env.app.store.ledger_lines(dossier.id))
    _ = asyncio, LedgerBatch, LedgerLine


def test_opening_balances_are_fetched_once_at_the_since_date(env):
    since = dt.date(2025, 1, 1)
    dossier = env.dossier("d1", mode="since", since=since)
    first = env.sync(dossier)
    assert first.counts["opening_balances"] > 0
    balances = {b.account: b.amount for b in env.app.store.opening_balances(dossier.id)}
    # The package's own balances at the day: a line is placed by the year it is booked in.
    expected = {a: v for a, v in env.sandbox.truth("C1").opening_balances[since].items() if v}
    assert {a: v for a, v in balances.items() if v} == expected and expected
    second = env.sync(dossier)
    assert "opening_balances" not in second.counts


def test_switching_connection_keeps_what_was_synced_before_the_date(env):
    dossier = env.dossier("d1")
    assert env.sync(dossier).status == "ok"
    before = env.lines(dossier)
    second = env.run(env.app.connect_form(env.admin, "echo", {**env.sandbox.connection_config(), **env.sandbox.connection_secrets()}, label="other"))
    since = dt.date(2026, 1, 1)
    env.run(env.app.link(env.admin, dossier.id, second.id, "C1", mode="since", since=since, switch=True))
    assert env.sync(dossier).status == "ok"
    after = env.lines(dossier)
    old_part = {i for i, line in before.items() if line.date < since}
    assert old_part and old_part <= set(after)
    env.app.unlink(env.admin, dossier.id)
    assert set(env.lines(dossier)) == set(after)  # back to manual: nothing is lost


def test_a_member_cannot_add_a_connection_or_link_another_firms(env):
    from sfsync.errors import NotFound, PermissionDenied

    with pytest.raises(PermissionDenied, match="only an admin"):
        env.run(env.app.connect_form(env.member, "echo", {**env.sandbox.connection_config(), **env.sandbox.connection_secrets()}))
    other_firm = env.app.create_firm("Other")
    stranger = env.app.add_user(other_firm.id, "x@other.test", "admin")
    mine = env.app.create_dossier(stranger, "theirs")
    with pytest.raises(NotFound):
        env.run(env.app.link(stranger, mine.id, env.connection.id, "C1", mode="replace"))


def test_update_state_is_atomic_across_contexts_of_one_connection(env):
    record = env.app.store.get_connection(env.connection.id)
    contexts = [env.app.runner.context_for(record) for _ in range(5)]

    async def bump(ctx):
        for _ in range(10):
            await ctx.update_state(lambda s: s.__setitem__("calls", s.get("calls", 0) + 1))

    async def main():
        await asyncio.gather(*(bump(c) for c in contexts))

    env.run(main())
    fresh = env.app.runner.context_for(env.app.store.get_connection(env.connection.id))
    assert fresh.state["calls"] == 50
    env.run(fresh.update_state(lambda s: s.__setitem__("session", "sess-0123456789")))
    assert "sess-0123456789" not in repr(fresh)


def test_a_killed_process_frees_the_dossier_and_its_run_is_closed(env, tmp_path):
    import subprocess
    import sys

    if "SQLiteStore" not in type(env.app.store).__name__:
        pytest.skip("the SQLite lock knows its holder's process; PostgreSQL's is a session lock")
    dossier = env.dossier("d1")
    code = (
        "import sys, os; from sfsync.store.sqlite import SQLiteStore; "
        "s = SQLiteStore(sys.argv[1]); assert s.try_lock(sys.argv[2], 'run_dead', ttl=3600); os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", code, env.app.store.path, dossier.id], check=True)
    from sfsync.store.base import RunRecord

    env.app.store.start_run(RunRecord(id="run_dead", dossier_id=dossier.id, started_at=env.clock.now()))
    run = env.sync(dossier)
    assert run.status == "ok", run.error
    dead = next(r for r in env.app.store.list_runs(dossier.id) if r.id == "run_dead")
    assert dead.status == "failed" and dead.error_kind == "Interrupted"


def test_a_cancelled_run_is_recorded_as_waiting_and_resumes(env):
    dossier = env.dossier("d1")

    class Slow:
        def stage(self, dossier, stage):
            pass

        def progress(self, dossier, what, count):
            pass

        def batch_committed(self, dossier, batches):
            if batches == 2:
                raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        env.sync(dossier, observer=Slow())
    last = env.app.store.last_run(dossier.id)
    assert last.status == "waiting" and "resumes" in last.error
    assert env.sync(dossier).status == "ok"
    assert set(env.lines(dossier)) == {line.id for line in env.sandbox.companies["C1"].lines}


def test_progress_reports_the_committed_total(env):
    seen: list[tuple[str, int]] = []

    class Watch:
        def stage(self, dossier, stage):
            pass

        def progress(self, dossier, what, count):
            seen.append((what, count))

        def batch_committed(self, dossier, batches):
            pass

    dossier = env.dossier("d1")
    run = env.sync(dossier, observer=Watch())
    lines = [count for what, count in seen if what == "lines"]
    assert lines == sorted(lines) and lines[-1] == run.counts["lines_fetched"]


def test_a_fault_outlasting_the_http_retries_is_waited_out_and_the_run_resumes(env):
    clean = env.dossier("clean")
    assert env.sync(clean).status == "ok"
    dossier = env.dossier("d1")
    # Six 500s in a row: more than the four HTTP attempts, fewer than two rounds of them.
    env.sandbox.faults.add(500, times=6, path_contains="/lines", after=1)
    run = env.sync(dossier)
    assert run.status == "warning", run.error
    assert any("resumed from the last checkpoint after waiting 0.01 s" in w for w in run.warnings), run.warnings
    assert 0.01 in env.clock.slept
    assert env.lines(dossier).keys() == env.lines(clean).keys()
    assert run.counts["lines_fetched"] == len(env.lines(clean))  # counted across the resume, once each


def test_a_fault_that_lasts_fails_the_run_after_the_resumes(env):
    dossier = env.dossier("d1")
    env.sandbox.faults.add(500, times=100, path_contains="/lines", after=1)
    run = env.sync(dossier)
    assert run.status == "failed" and "still failing after 2 attempts" in run.error, run.error
    assert env.app.store.count_ledger_lines(dossier.id) == 0


def test_an_unchanged_dossier_keeps_its_findings_without_reading_every_line_again(env, monkeypatch):
    env.sandbox.companies["C1"].lines[0].amount += Decimal("0.01")
    dossier = env.dossier("d1")
    first = env.sync(dossier)
    found = [w for w in first.warnings if "does not balance" in w]
    assert found
    checks = []
    real_check = env.app.store.unbalanced_entries
    monkeypatch.setattr(env.app.store, "unbalanced_entries", lambda *a, **k: checks.append(a) or real_check(*a, **k))
    again = env.sync(dossier)  # nothing changed in the package
    assert again.status == "warning" and [w for w in again.warnings if "does not balance" in w] == found
    assert checks == []
    env.sandbox.add_entry("C1")  # a change: the lines are checked again
    assert env.sync(dossier).status == "warning" and len(checks) == 1


def test_after_a_failed_run_the_lines_are_checked_again(env, monkeypatch):
    dossier = env.dossier("d1")
    assert env.sync(dossier).status == "ok"
    # A fatal fault (not a refused credential, which would stop the connection until re-consent).
    env.sandbox.faults.add(400, times=1, body={"error": "bad_request"})
    assert env.sync(dossier).status == "failed"
    checks = []
    real_check = env.app.store.unbalanced_entries
    monkeypatch.setattr(env.app.store, "unbalanced_entries", lambda *a, **k: checks.append(a) or real_check(*a, **k))
    assert env.sync(dossier).status == "ok" and len(checks) == 1
