"""A run's lock and record in one transaction at each end (sfsync.store.run_housekeeping), on both
stores, and the four separate calls for a store that offers only the Store protocol."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib puts nothing on sys.path
from conftest_stores import STORE_KINDS, drop_store, make_store, postgres_dsn
from sfsync.store.base import RunRecord
from sfsync.store.run_housekeeping import begin_run, end_run

T0 = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)


@pytest.fixture(params=STORE_KINDS)
def store(request, tmp_path):
    made = make_store(request.param, tmp_path)
    yield made
    drop_store(made)


def _dossier(store, name="Dossier"):
    return store.add_dossier(store.create_firm("Fiduciaire Dupont").id, name)


def _run(dossier_id, run_id):
    return RunRecord(id=run_id, dossier_id=dossier_id, started_at=T0)


def test_begin_run_takes_the_lock_and_records_the_run_or_does_neither(store):
    dossier = _dossier(store)
    first = _run(dossier.id, "run_a")
    assert store.begin_run(first, ttl=3600)
    assert [(r.id, r.status) for r in store.list_runs(dossier.id)] == [("run_a", "running")]
    assert not store.try_lock(dossier.id, "run_x", ttl=3600)  # the lock is held

    assert not store.begin_run(_run(dossier.id, "run_b"), ttl=3600)
    assert [r.id for r in store.list_runs(dossier.id)] == ["run_a"]  # the refused run left no record
    assert store.begin_run(first, ttl=3600)  # the holder may renew


def test_end_run_records_the_outcome_and_frees_the_dossier(store):
    dossier = _dossier(store)
    run = _run(dossier.id, "run_a")
    assert store.begin_run(run, ttl=3600)
    run.status, run.finished_at, run.counts = "ok", T0 + dt.timedelta(seconds=3), {"batches": 2}
    store.end_run(run)
    (kept,) = store.list_runs(dossier.id)
    assert (kept.status, kept.finished_at, kept.counts) == ("ok", run.finished_at, {"batches": 2})
    assert store.begin_run(_run(dossier.id, "run_b"), ttl=3600)


def test_end_run_of_a_run_that_lost_its_lock_leaves_the_new_holder_alone(store):
    dossier = _dossier(store)
    stale = _run(dossier.id, "run_a")
    assert store.begin_run(stale, ttl=0)  # expired as soon as taken
    assert store.begin_run(_run(dossier.id, "run_b"), ttl=3600)
    stale.status = "failed"
    store.end_run(stale)
    assert not store.begin_run(_run(dossier.id, "run_c"), ttl=3600)  # run_b still holds it
    assert {r.id: r.status for r in store.list_runs(dossier.id)} == {"run_a": "failed", "run_b": "running"}


def test_end_run_swaps_in_the_built_generation_and_saves_the_link_with_the_outcome(store):
    from sfsync.models import Granularity, SyncMode
    from sfsync.store.base import ConnectionRecord, LinkRecord

    dossier = _dossier(store)
    store.add_connection(ConnectionRecord(id="conn_1", firm_id=dossier.firm_id, connector="echo", label="Echo",
                                          level="firm", config={}, sealed=b"x"))
    link = LinkRecord(dossier.id, "conn_1", "C1", "Company", SyncMode.REPLACE, Granularity.TRANSACTIONS)
    store.save_link(link)
    old = store.begin_generation(dossier.id, keep_before=None)
    store.swap_generation(dossier.id, old)
    run = _run(dossier.id, "run_a")
    assert store.begin_run(run, ttl=3600)
    built = store.begin_generation(dossier.id, keep_before=None)
    link.needs_full_sync = False
    run.status = "ok"
    store.end_run(run, swap=built, link=link)
    assert (store.active_generation(dossier.id), store.building_generation(dossier.id)) == (built, None)
    assert store.get_link(dossier.id).needs_full_sync is False
    assert store.last_run(dossier.id).status == "ok"
    assert store.begin_run(_run(dossier.id, "run_b"), ttl=3600)


class _ProtocolOnly:
    """A store with the Store protocol's run and lock methods only (a third-party store)."""

    def __init__(self, inner):
        self._inner = inner
        self.calls = []

    def __getattr__(self, name):
        if name in ("begin_run", "end_run"):
            raise AttributeError(name)
        method = getattr(self._inner, name)

        def recorded(*args, **kwargs):
            self.calls.append(name)
            return method(*args, **kwargs)

        return recorded


def test_a_store_without_the_combined_calls_gets_the_four_separate_ones(tmp_path):
    inner = make_store("sqlite", tmp_path)
    store = _ProtocolOnly(inner)
    dossier = _dossier(inner)
    run = _run(dossier.id, "run_a")
    assert begin_run(store, run, ttl=3600)
    assert not begin_run(store, _run(dossier.id, "run_b"), ttl=3600)
    run.status = "ok"
    built = inner.begin_generation(dossier.id, keep_before=None)
    end_run(store, run, swap=built)
    assert store.calls == ["try_lock", "start_run", "try_lock", "swap_generation", "finish_run", "release_lock"]
    assert inner.active_generation(dossier.id) == built
    assert [(r.id, r.status) for r in inner.list_runs(dossier.id)] == [("run_a", "ok")]
    assert inner.try_lock(dossier.id, "run_c", ttl=3600)


def test_a_run_opens_and_closes_with_one_store_call_each(env, monkeypatch):
    dossier = env.dossier("d1")
    store = env.app.store
    calls = []
    watched = ("try_lock", "start_run", "finish_run", "release_lock", "swap_generation", "save_link", "begin_run",
               "end_run")
    for name in watched:
        method = getattr(store, name)

        def recorded(*args, _name=name, _method=method, **kwargs):
            calls.append(_name)
            return _method(*args, **kwargs)

        monkeypatch.setattr(store, name, recorded)
    run = env.sync(dossier)  # a first sync: it builds a generation, swaps it in and clears needs_full_sync
    assert run.status == "ok", run.error
    assert calls == ["begin_run", "end_run"]
    assert store.last_run(dossier.id).status == "ok"
    assert store.active_generation(dossier.id) is not None and store.building_generation(dossier.id) is None
    assert not store.get_link(dossier.id).needs_full_sync
    assert run.counts["lines_stored"] == store.count_ledger_lines(dossier.id) > 0
    assert store.try_lock(dossier.id, "probe", ttl=60)  # the run let go of the dossier


@pytest.mark.postgres
def test_postgres_begin_run_takes_over_from_a_holder_whose_session_died(tmp_path):
    from sfsync.store.postgres import PostgresStore

    store = make_store("postgres", tmp_path)
    try:
        dossier = _dossier(store)
        other = PostgresStore(postgres_dsn(), schema=store.schema)
        assert other.begin_run(_run(dossier.id, "run_dead"), ttl=3600)
        assert not store.begin_run(_run(dossier.id, "run_b"), ttl=3600)
        other.close()  # as when a worker is killed: its sessions end, and its advisory lock
        for attempt in range(400):  # the server notices the closed socket within a moment
            if store.begin_run(_run(dossier.id, f"run_{attempt}"), ttl=3600):
                break
        else:
            pytest.fail("the lock of a closed session was not taken over")
        assert {r.id for r in store.list_runs(dossier.id)} == {"run_dead", f"run_{attempt}"}
    finally:
        drop_store(store)


def test_a_batch_that_fails_after_its_call_stops_the_swap_and_the_run_says_so(env, monkeypatch):
    dossier = env.dossier("d1")
    store = env.app.store
    flushes = []

    def flush(dossier_id=None):
        flushes.append(dossier_id)
        if len(flushes) == 2:  # the finish stage's: as a batch committed after its call that failed
            raise RuntimeError("the last batch did not commit")

    monkeypatch.setattr(store, "flush", flush)
    run = env.sync(dossier)
    assert run.status == "failed" and "the last batch did not commit" in run.error
    assert store.active_generation(dossier.id) is None  # nothing half-built was swapped in
    assert store.get_link(dossier.id).needs_full_sync
    assert store.last_run(dossier.id).status == "failed"
    assert store.try_lock(dossier.id, "probe", ttl=60)  # the failed run let go of the dossier
