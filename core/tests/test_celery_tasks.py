
"""The Celery tasks run in this process (``task.apply``), on PostgreSQL and Redis: the soft time
limit and the resume, the skip of a dossier already running, the planner and its spread."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from urllib.parse import quote

import pytest

pytest.importorskip("celery", reason="celery is not installed (pip install 'sfsync[celery]')")
pytest.importorskip("psycopg", reason="psycopg is not installed (pip install 'sfsync[postgres]')")

# --import-mode=importlib puts nothing on sys.path; the load-test package is not shipped.
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from conftest_stores import drop_store, make_store
from sfsync import plugins
from sfsync.api import Sfsync
from sfsync.celery import tasks
from sfsync.celery.app import create_app, queue_for
from sfsync.celery.planner import plan
from sfsync.plugins import PluginRegistry
from sfsync.secrets import SecretBox, generate_key
from sfsync_loadtest import (
    LoadtestConnector,
    LoadtestSandbox,
    expected_lines,
    free_port,
    seed,
    serve,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def deployment(tmp_path, monkeypatch):
    redis_url = os.environ.get("SFSYNC_TEST_REDIS_URL")
    if not redis_url or not os.environ.get("SFSYNC_TEST_POSTGRES_DSN"):
        pytest.skip("SFSYNC_TEST_POSTGRES_DSN and SFSYNC_TEST_REDIS_URL are needed; "
                    "run `eval \"$(bash .ci/services.sh)\"` as root first")
    store = make_store("postgres", tmp_path)
    dsn = os.environ["SFSYNC_TEST_POSTGRES_DSN"]
    store_url = f"{dsn}{'&' if '?' in dsn else '?'}options={quote(f'-csearch_path={store.schema}')}"
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    refs = [f"co-{n}" for n in (8, 17, 3, 4)]  # co-8 and co-17: two pages each
    sandbox = LoadtestSandbox({"acct": refs}, limit=1000, token_lifetime=600, base_url=base_url)
    served = serve(sandbox, port=port)
    key = generate_key()
    registry = PluginRegistry()
    registry.register(LoadtestConnector(base_url, limit=1000, window=1.0, token_lifetime=600), "loadtest")
    linked = seed(Sfsync(store, SecretBox(key), registry=registry), sandbox)
    for name, value in {
        "SFSYNC_STORE_URL": store_url, "SFSYNC_REDIS_URL": redis_url, "SFSYNC_SECRET_KEY": key,
        "SFSYNC_CELERY_BROKER": "memory://", "SFSYNC_CELERY_SOFT_TIME_LIMIT": "1.5",
        "SFSYNC_CELERY_CONFIGURE": "sfsync_loadtest:configure", "SFSYNC_LOADTEST_URL": base_url,
        "SFSYNC_LOADTEST_LIMIT": "1000", "SFSYNC_LOADTEST_TOKEN_LIFETIME": "600", "SFSYNC_NIGHT_WINDOW": "3600",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(tasks, "_worker", None)
    # A fresh registry per test: the worker's configure hook registers the connector of *this*
    # test's sandbox (its port), not the one an earlier test left in the process-wide registry.
    monkeypatch.setattr(plugins, "_registry", None)
    monkeypatch.setenv("SFSYNC_LOAD_PLUGINS", "")
    app = create_app()
    yield app, store, sandbox, linked
    if tasks._worker is not None:
        tasks.close_worker()
        tasks._worker[1].store.close()
    served.stop()
    drop_store(store)


def test_soft_time_limit_stops_the_run_and_the_next_task_resumes_it(deployment):
    app, store, sandbox, linked = deployment
    dossier, ref = next((d, r) for d, r in linked.items() if r == "co-8")
    trap = sandbox.trap(ref, page=1)
    result = app.tasks["sfsync.sync_dossier"].apply(args=(dossier,)).get()
    assert result == {"dossier": dossier, "status": "continued"}
    assert trap.caught.is_set()
    stopped = store.last_run(dossier)
    assert (stopped.status, stopped.error_kind, stopped.counts["lines_fetched"]) == ("waiting", "SoftTimeLimit", 40)
    assert store.try_lock(dossier, "probe", ttl=1)  # the stopped run let go of the dossier
    store.release_lock(dossier, "probe")
    trap.release()
    result = app.tasks["sfsync.sync_dossier"].apply(args=(dossier,)).get()
    assert result["status"] == "ok"
    assert result["counts"]["lines_fetched"] == len(expected_lines(ref)) - 40  # from the checkpoint
    assert sorted(store.ledger_lines(dossier), key=lambda ln: ln.id) == sorted(expected_lines(ref), key=lambda ln: ln.id)


def test_a_dossier_already_running_is_skipped(deployment):
    app, store, _sandbox, linked = deployment
    dossier = next(iter(linked))
    assert store.try_lock(dossier, "run_elsewhere", ttl=3600)
    result = app.tasks["sfsync.sync_dossier"].apply(args=(dossier,)).get()
    assert result == {"dossier": dossier, "status": "skipped"}
    assert store.last_run(dossier) is None
    store.release_lock(dossier, "run_elsewhere")


def test_planner_spreads_due_dossiers_per_connector_and_plans_once(deployment):
    app, _store, _sandbox, linked = deployment
    first = app.tasks["sfsync.plan_night"].apply(kwargs={"window": 600}).get()
    assert first == {"planned": len(linked), "queues": {queue_for("loadtest"): len(linked)}}
    again = app.tasks["sfsync.plan_night"].apply(kwargs={"window": 600}).get()
    assert again == {"planned": 0, "queues": {}}  # the planner ran twice: nothing doubled


def test_plan_spreads_each_connector_over_the_window(deployment):
    _app, store, _sandbox, linked = deployment
    planned = plan(store, list(linked), window=600)
    assert [p.countdown for p in planned] == [0.0, 150.0, 300.0, 450.0]
    assert {p.queue for p in planned} == {"sfsync.loadtest"}
    assert plan(store, ["dos_not_linked"], window=600) == []


def test_worker_builds_one_sfsync_per_process(deployment):
    app, _store, _sandbox, _linked = deployment
    seen = []
    first = tasks.worker_sfsync(app)
    thread = threading.Thread(target=lambda: seen.append(tasks.worker_sfsync(app)))
    thread.start()
    thread.join()
    assert seen == [first]
    assert type(first.runner.limiter).__name__ == "RedisLimiterBackend"
    assert type(first.runner.lock_factory).__name__ == "RedisLockFactory"
    assert "loadtest" in first.registry.connectors


def test_worker_default_queues_route_each_connector_apart(monkeypatch):
    from celery.signals import celeryd_init

    monkeypatch.setenv("SFSYNC_CELERY_QUEUES", "sfsync,sfsync.echo,sfsync.yuki")
    app = create_app(broker="memory://")
    celeryd_init.send(sender="w@test", instance=None, conf=app.conf, options={})
    assert [(q.name, q.exchange.name, q.routing_key) for q in app.conf.task_queues] == [
        ("sfsync", "sfsync", "sfsync"),
        ("sfsync.echo", "sfsync.echo", "sfsync.echo"),
        ("sfsync.yuki", "sfsync.yuki", "sfsync.yuki"),
    ]


def test_a_workers_tasks_share_one_loop_one_http_connection_and_one_redis_client(deployment):
    app, store, sandbox, linked = deployment
    dossiers = list(linked)[2:]  # co-3 and co-4: one page each
    for dossier in dossiers:
        assert app.tasks["sfsync.sync_dossier"].apply(args=(dossier,)).get()["status"] == "ok"
    sf = tasks.worker_sfsync(app)
    # Both runs' requests (fiscal years, chart, ledger each) went over one kept-alive connection…
    assert sum(sandbox.peers.values()) >= 2 * 3
    assert len(sandbox.peers) == 1
    # …and the limiter's Redis client of the worker's loop is still open for the next task.
    loop_clients = sf.runner.limiter._clients._clients
    assert len(loop_clients) == 1
    tasks.close_worker()  # what a worker's shutdown signal runs
    assert len(loop_clients) == 0
    assert len(sf.runner.network._pools) == 0
    for dossier in dossiers:
        assert sorted(store.ledger_lines(dossier), key=lambda ln: ln.id) == sorted(
            expected_lines(linked[dossier]), key=lambda ln: ln.id
        )


def test_a_worker_builds_its_sfsync_when_it_starts_not_in_its_first_task(deployment):
    app, _store, _sandbox, linked = deployment
    assert tasks._worker is None

    class Prefork:  # a prefork parent's consumer: its children build their own, after the fork
        pool = __import__("celery.concurrency.prefork", fromlist=["TaskPool"]).TaskPool(limit=1)
        app = None

    tasks.warm_worker(sender=Prefork())
    assert tasks._worker is None
    tasks.warm_worker(sender=type("Consumer", (), {"app": app, "pool": None})())  # a solo worker's start
    built = tasks._worker[1]
    dossier = next(iter(linked))
    assert app.tasks["sfsync.sync_dossier"].apply(args=(dossier,)).get()["status"] == "ok"
    assert tasks._worker[1] is built  # the task used the one built at start


def test_a_worker_that_cannot_build_its_sfsync_at_start_says_so_and_keeps_going(deployment, caplog):
    app, *_ = deployment
    app.conf.sfsync = {**app.conf.sfsync, "store_url": None}
    tasks.warm_worker(sender=type("Consumer", (), {"app": app, "pool": None})())
    assert tasks._worker is None
    assert "could not be prepared" in caplog.text and "SFSYNC_STORE_URL" in caplog.text
