"""Nightly fan-out on real Celery workers, PostgreSQL and Redis.

Workers are ``celery worker --pool=solo`` subprocesses started by the tests, bounded in time and
killed at the end. They sync dossiers of the load-test package (``benchmarks/sfsync_loadtest.py``),
served over HTTP by uvicorn in this process so that every worker talks to the same package: its
refresh tokens are single-use, its access tokens live seconds, and it rate-limits per connection.

Needs ``SFSYNC_TEST_POSTGRES_DSN`` and ``SFSYNC_TEST_REDIS_URL`` (``eval "$(bash .ci/services.sh)"``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest

pytest.importorskip("celery", reason="celery is not installed (pip install 'sfsync[celery]')")
pytest.importorskip("psycopg", reason="psycopg is not installed (pip install 'sfsync[postgres]')")

# --import-mode=importlib puts nothing on sys.path; the load-test package is not shipped.
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from conftest_stores import drop_store, make_store
from sfsync.api import Sfsync
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

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"

DOSSIERS = int(os.environ.get("SFSYNC_TEST_FANOUT_DOSSIERS", "200"))
CONNECTIONS = 3
LIMIT = 6  # calls per second per connection, enforced by the package (low enough to bind)
MARGIN = 1  # the connector declares one call less: a reservation and its arrival are not one instant
WINDOW = 1.0
TOKEN_LIFETIME = 4.0
NIGHT_WINDOW = 4.0  # seconds over which the planner spreads the dossiers
VISIBILITY = 8.0  # seconds before a dead worker's task goes to another
DEADLINE = 300.0  # the whole fan-out must end within this, or the test fails


@pytest.fixture
def services(tmp_path):
    redis_url = os.environ.get("SFSYNC_TEST_REDIS_URL")
    if not redis_url or not os.environ.get("SFSYNC_TEST_POSTGRES_DSN"):
        pytest.skip("SFSYNC_TEST_POSTGRES_DSN and SFSYNC_TEST_REDIS_URL are needed; "
                    "run `eval \"$(bash .ci/services.sh)\"` as root first")
    import redis

    # A Redis database of its own, emptied, so no message of an earlier run is delivered
    # (SFSYNC_TEST_CELERY_REDIS_DB when 14 is another run's).
    parts = urlsplit(redis_url)
    broker = urlunsplit(parts._replace(path=f"/{os.environ.get('SFSYNC_TEST_CELERY_REDIS_DB', '14')}"))
    client = redis.Redis.from_url(broker)
    client.flushdb()
    client.close()
    store = make_store("postgres", tmp_path)
    dsn = os.environ["SFSYNC_TEST_POSTGRES_DSN"]
    sep = "&" if "?" in dsn else "?"
    store_url = f"{dsn}{sep}options={quote(f'-csearch_path={store.schema}')}"
    yield {"broker": broker, "store": store, "store_url": store_url}
    drop_store(store)


class Workers:
    """Celery worker subprocesses; every one is killed at the end."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, queues: str) -> subprocess.Popen[bytes]:
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "sfsync.celery.app", "worker", "--pool=solo", "-Q", queues,
             "-n", f"{name}@%h", "--without-heartbeat", "--without-gossip", "--without-mingle",
             "--prefetch-multiplier=1", "-l", "warning"],
            env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        self.procs[name] = proc
        return proc

    def kill(self, name: str) -> None:
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait(timeout=30)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
        for proc in self.procs.values():
            proc.wait(timeout=30)

    def log_tail(self) -> str:
        out = []
        for name in self.procs:
            text = (self.logs / f"{name}.log").read_text(errors="replace")
            out.append(f"--- {name} ---\n{text[-3000:]}")
        return "\n".join(out)


def _setup(services, tmp_path, *, accounts, limit=LIMIT):
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    sandbox = LoadtestSandbox(accounts, limit=limit, window=WINDOW, token_lifetime=TOKEN_LIFETIME, base_url=base_url)
    served = serve(sandbox, port=port)
    key = generate_key()
    registry = PluginRegistry()
    registry.register(LoadtestConnector(base_url, limit=limit, window=WINDOW, token_lifetime=TOKEN_LIFETIME, fixed_windows=True),
                      "loadtest")
    sf = Sfsync(services["store"], SecretBox(key), registry=registry)
    linked = seed(sf, sandbox)
    env = {
        **os.environ,
        "SFSYNC_CELERY_BROKER": services["broker"],
        "SFSYNC_REDIS_URL": services["broker"],
        "SFSYNC_STORE_URL": services["store_url"],
        "SFSYNC_SECRET_KEY": key,
        "SFSYNC_LOAD_PLUGINS": "",
        "SFSYNC_CELERY_CONFIGURE": "sfsync_loadtest:configure",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(BENCHMARKS), os.environ.get("PYTHONPATH")])),
        "SFSYNC_LOADTEST_URL": base_url,
        "SFSYNC_LOADTEST_LIMIT": str(limit - MARGIN),
        "SFSYNC_LOADTEST_WINDOW": str(WINDOW),
        "SFSYNC_LOADTEST_TOKEN_LIFETIME": str(TOKEN_LIFETIME),
        "SFSYNC_CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY),
        "SFSYNC_NIGHT_WINDOW": str(NIGHT_WINDOW),
        "SFSYNC_CELERY_SOFT_TIME_LIMIT": "120",
    }
    from celery import Celery

    client = Celery("sfsync-test", broker=services["broker"])
    client.conf.broker_transport_options = {"priority_steps": list(range(10)), "sep": ":",
                                            "queue_order_strategy": "priority"}
    return sandbox, served, sf, linked, env, client


def _wait_all_done(store, dossiers, deadline, workers):
    # One query per poll: the package is served from this process, so keep its GIL free.
    wanted = set(dossiers)
    while True:
        rows = store._all("SELECT DISTINCT dossier_id FROM runs WHERE status IN ('ok', 'warning')")
        done = {r[0] for r in rows} & wanted
        if len(done) == len(wanted):
            return
        if time.monotonic() > deadline:
            pytest.fail(f"{len(wanted - done)} dossiers not synced in time\n{workers.log_tail()}")
        time.sleep(1.0)


def test_two_workers_and_a_planner_sync_every_dossier_within_limits(services, tmp_path):
    refs = [f"co-{n}" for n in range(DOSSIERS)]
    accounts = {f"firm-account-{i}": refs[i::CONNECTIONS] for i in range(CONNECTIONS)}
    sandbox, served, _sf, linked, env, client = _setup(services, tmp_path, accounts=accounts)
    store = services["store"]
    # A company with two pages (n % 9 == 8: 60 lines): its second page hangs until we kill the
    # worker that asked for it.
    trapped_ref = next(r for r in refs[len(refs) // 5:] if int(r.split("-")[1]) % 9 == 8)
    trapped = next(d for d, ref in linked.items() if ref == trapped_ref)
    trap = sandbox.trap(trapped_ref, page=1)
    workers = Workers(env, tmp_path)
    started = time.monotonic()
    try:
        workers.start("w1", "sfsync,sfsync.loadtest")
        workers.start("w2", "sfsync,sfsync.loadtest")
        client.send_task("sfsync.plan_night", kwargs={"window": NIGHT_WINDOW}, queue="sfsync")

        assert trap.caught.wait(timeout=DEADLINE), workers.log_tail()
        victim = next(name for name, proc in workers.procs.items() if proc.pid == trap.worker_pid)
        workers.kill(victim)  # in the middle of the trapped dossier's run
        trap.release()
        workers.start("w3", "sfsync,sfsync.loadtest")  # the supervisor's replacement
        _wait_all_done(store, list(linked), started + DEADLINE, workers)
        elapsed = time.monotonic() - started
    finally:
        workers.stop_all()
        served.stop()

    # every dossier holds exactly its company's data
    for dossier_id, ref in linked.items():
        got = sorted(store.ledger_lines(dossier_id), key=lambda ln: ln.id)
        assert got == sorted(expected_lines(ref), key=lambda ln: ln.id), ref
        assert len(store.accounts(dossier_id)) == 8
        assert len(store.fiscal_years(dossier_id)) == 2
    # no limit was exceeded on any credential, and no refresh token was spent twice
    assert sandbox.too_many == 0
    assert max(sandbox.max_calls_in_any_window().values()) <= LIMIT
    waits = sum(r.rate_limit_waits for d in linked for r in store.list_runs(d))
    assert waits > 0  # the shared budget did hold workers back: the limit was binding
    assert len(sandbox.calls) == CONNECTIONS
    assert sandbox.double_spent == 0
    assert sandbox.refreshes >= CONNECTIONS  # tokens expired during the night and were rotated
    assert len([pid for pid, n in sandbox.pids.items() if n > 0]) >= 2  # the work was shared
    # the killed run was resumed from its checkpoint by another worker
    runs = store.list_runs(trapped)
    lost = runs[-1]  # the killed one, closed by the run that took over
    assert (lost.status, lost.error_kind) == ("failed", "Interrupted")
    resumed = next(r for r in reversed(runs) if r.status == "ok")  # the first after the lost one
    assert resumed.counts["lines_fetched"] == len(expected_lines(trapped_ref)) - 40  # only page 2
    every = [r for d in linked for r in store.list_runs(d)]
    durations = [r.duration for r in every if r.duration is not None]
    first = min(r.started_at for r in every)
    last = max(r.finished_at for r in every if r.finished_at)
    print(f"\nruns: {len(durations)}, mean {sum(durations) / len(durations):.3f} s, max {max(durations):.2f} s, "
          f"first start to last end {(last - first).total_seconds():.1f} s")
    print(f"\n{DOSSIERS} dossiers, {CONNECTIONS} connections, {sum(sandbox.pids.values())} calls, {waits} waits, "
          f"{sandbox.refreshes} refreshes, in {elapsed:.1f} s (one worker killed)")


def test_sync_now_overtakes_the_nightly_queue(services, tmp_path):
    refs = [f"co-{n}" for n in range(7)]
    _sandbox, served, _sf, linked, env, client = _setup(
        services, tmp_path, accounts={"acct": refs}, limit=1000
    )
    store = services["store"]
    from sfsync.celery.app import NIGHTLY_PRIORITY, SYNC_NOW_PRIORITY, queue_for

    dossiers = list(linked)
    urgent = dossiers[-1]
    for dossier_id in dossiers[:-1]:
        client.send_task("sfsync.sync_dossier", args=(dossier_id,), queue=queue_for("loadtest"),
                         priority=NIGHTLY_PRIORITY)
    client.send_task("sfsync.sync_dossier", args=(urgent,), kwargs={"reason": "now"}, queue=queue_for("loadtest"),
                     priority=SYNC_NOW_PRIORITY)
    # the same dossier twice: the second delivery is a cheap incremental run or a skip, never a double
    client.send_task("sfsync.sync_dossier", args=(dossiers[0],), queue=queue_for("loadtest"), priority=NIGHTLY_PRIORITY)
    workers = Workers(env, tmp_path)
    try:
        workers.start("w1", "sfsync.loadtest")
        _wait_all_done(store, dossiers, time.monotonic() + 120, workers)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            runs = store.list_runs(dossiers[0])
            if len(runs) == 2 and all(r.finished_at is not None for r in runs):
                break
            time.sleep(0.2)
    finally:
        workers.stop_all()
        served.stop()
    first_runs = {d: min(r.started_at for r in store.list_runs(d)) for d in dossiers}
    assert min(first_runs, key=first_runs.get) == urgent
    assert [r.status for r in store.list_runs(dossiers[0])] == ["ok", "ok"], [r.warnings for r in store.list_runs(dossiers[0])]
    assert sorted(store.ledger_lines(dossiers[0]), key=lambda ln: ln.id) == \
        sorted(expected_lines(linked[dossiers[0]]), key=lambda ln: ln.id)
