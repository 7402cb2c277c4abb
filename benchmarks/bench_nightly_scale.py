"""A nightly fan-out at scale through the production path: planner, Celery workers, Redis, PostgreSQL.

    python benchmarks/bench_nightly_scale.py [--dossiers 10000] [--connections 50] [--workers 6]
        [--per connection] [--limit 60] [--window 60] [--factor 2] [--volume 1] [--page-size 40]
        [--night 1] [--postgres DSN] [--redis redis://host:6379/12]

N dossiers are linked over M firm-level connections of the load-test package
(``benchmarks/sfsync_loadtest.py``), served over HTTP from this process so that every worker talks
to the same package. The package enforces its limit in sliding windows and sends remaining/reset
headers on every answer, with 429 and ``Retry-After`` past it. ``sfsync.plan_night`` is sent once,
to a worker of its own (the planner's queue only, as in production beside ``celery beat``);
W ``celery worker --pool=solo`` processes take the dossiers, share the limiter and the refresh
locks in Redis and write into a fresh PostgreSQL schema (dropped afterwards). The wall time runs
from the planner's message to the last dossier stored.

It also prints the CPU each kind of process used over the night, in ms per dossier
(``cpu_share.py``): the sync workers, the planner, the workers' PostgreSQL backends (found by
their application name), the server's own processes, redis-server and this process (the served
package), and how busy the machine's cores were, so that a figure says whether the night waited
on the limit, on its own CPU or on other work.

The limit (``--per``): ``connection`` (the default) counts every call of a firm's connection,
whichever company it reads, as Twinfield counts per organisation, Yuki per domain and Business
Central per user: with N/M dossiers of a few calls each on a connection, the night fills that
budget many times, and the limit is what the night waits for. ``company`` counts per connection
and company (Exact Online's 60 calls a minute per division, Xero's per tenant): one dossier per
company then needs more than one window only when its sync takes more calls than the limit (large
``--volume``, small ``--page-size``); otherwise the bound is 0 and the workers' own speed is the
figure.

The scaled clock: package time runs ``factor`` times faster than wall time, on both sides: every
window (the package's and the one the connector declares) is ``window / factor`` wall seconds, and
token lifetimes likewise, so a night that takes an hour of package time is measured in
``3600 / factor`` seconds with exactly the limits the package has.

The lower bound: a budget key (a connection, or a company) that takes R calls cannot see its last
one before ``floor((R - 1) / limit)`` windows have passed, whatever the client does; the slowest
key's time is the bound. Per company, with W workers each taking one dossier at a time, the night
also cannot end before the sum of the companies' times divided by W; the larger of the two is
then the bound. Goal: wall <= 1.1 x the bound, with no 429.

Needs Redis and PostgreSQL (``SFSYNC_TEST_REDIS_URL`` and ``SFSYNC_TEST_POSTGRES_DSN``, or the
flags). The Redis database given is emptied first: give one of its own.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from cpu_share import CpuShare, postgres_server_processes
from sfsync.api import Sfsync
from sfsync.plugins import PluginRegistry
from sfsync.secrets import SecretBox, generate_key
from sfsync.store.postgres import PostgresStore
from sfsync_loadtest import LoadtestConnector, LoadtestSandbox, free_port, seed, serve

HERE = Path(__file__).resolve().parent
MARGIN = 1  # the connector declares one call less: a reservation and its arrival are not one instant


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dossiers", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, default=6, help="celery sync worker processes (pool solo)")
    parser.add_argument("--per", choices=("connection", "company"), default="connection",
                        help="what the package's limit counts calls of")
    parser.add_argument("--limit", type=int, default=60, help="calls per window per connection (or company)")
    parser.add_argument("--window", type=float, default=60.0, help="seconds of package time")
    parser.add_argument("--factor", type=float, default=2.0, help="package time runs this much faster")
    parser.add_argument("--volume", type=int, default=1, help="multiplies the entries of each company")
    parser.add_argument("--page-size", type=int, default=40, help="ledger lines per page")
    parser.add_argument("--night", type=float, default=1.0, help="seconds the planner spreads the dossiers over")
    parser.add_argument("--timeout", type=float, default=3600.0, help="give up after this many seconds")
    parser.add_argument("--postgres", default=os.environ.get("SFSYNC_TEST_POSTGRES_DSN"))
    parser.add_argument("--redis", default=None, help="broker and limiter (default: database 12 of "
                        "SFSYNC_TEST_REDIS_URL); emptied first")
    args = parser.parse_args()
    if not args.postgres:
        parser.error("--postgres (or SFSYNC_TEST_POSTGRES_DSN) is needed")
    if args.redis is None:
        base = os.environ.get("SFSYNC_TEST_REDIS_URL")
        if not base:
            parser.error("--redis (or SFSYNC_TEST_REDIS_URL) is needed")
        args.redis = urlunsplit(urlsplit(base)._replace(path="/12"))
    return args


class Workers:
    """Celery worker subprocesses started here; each one is killed at the end."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs = env, logs
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, count: int) -> None:
        """``count`` sync workers (the load-test package's queue), then one planner (the planner's
        queue only, as beat's worker is in production), so that each one's CPU is its own."""
        for n in range(count + 1):
            queues, name = ("sfsync.loadtest", f"bench{n}") if n < count else ("sfsync", "planner")
            with open(self.logs / f"w{n}.log", "wb") as log:
                self.procs.append(subprocess.Popen(
                    [sys.executable, "-m", "celery", "-A", "sfsync.celery.app", "worker", "--pool=solo",
                     "-Q", queues, "-n", f"{name}@%h", "--without-heartbeat",
                     "--without-gossip", "--without-mingle", "--prefetch-multiplier=1", "-l", "warning"],
                    env=self.env, stdout=log, stderr=subprocess.STDOUT,
                ))

    def pids(self, *, planner: bool) -> list[int]:
        """The sync workers' pids, or the planner's."""
        return [p.pid for p in (self.procs[-1:] if planner else self.procs[:-1]) if p.poll() is None]

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
        for proc in self.procs:
            proc.wait(timeout=30)

    def tail(self) -> str:
        return "\n".join(f"--- w{n} ---\n{(self.logs / f'w{n}.log').read_text(errors='replace')[-2000:]}"
                         for n in range(len(self.procs)))


def _wait_ready(celery: object, count: int, workers: Workers, timeout: float = 300.0) -> None:
    """Until ``count`` workers answer a ping."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answers = celery.control.ping(timeout=1.0)  # type: ignore[attr-defined]
        if len(answers) >= count:
            return
    raise SystemExit(f"the workers did not start\n{workers.tail()}")


def lower_bound(calls_per_key: list[int], *, limit: int, window: float, workers: int) -> tuple[float, float]:
    """The rate-limit lower bound in wall seconds (``window`` already scaled): the slowest budget
    key alone, and the keys' times shared over ``workers`` one-dossier-at-a-time slots (which
    binds only when a key is one dossier's company)."""
    each = [math.floor((calls - 1) / limit) * window for calls in calls_per_key if calls > 0]
    return max(each, default=0.0), sum(each) / workers


def _cpu_share(store: PostgresStore, workers: Workers, schema: str, redis_client: object) -> CpuShare:
    """The night's processes by kind: the PostgreSQL backends are found by the workers'
    application name, the server's own processes by their backend type."""
    def backends(where: str, *params: object) -> list[int]:
        return [row[0] for row in store._all(f"SELECT pid FROM pg_stat_activity WHERE {where}", params)]

    return CpuShare({
        "celery workers (sfsync.sync_dossier)": lambda: workers.pids(planner=False),
        "celery planner worker (sfsync.plan_night, send_task)": lambda: workers.pids(planner=True),
        "PostgreSQL backends of the workers": lambda: backends("application_name = %s", schema),
        "PostgreSQL backend of this benchmark (its polling)": lambda: [store._db.info.backend_pid],
        "PostgreSQL server processes (WAL writer, checkpointer; shared)": postgres_server_processes,
    }, redis=redis_client, own="this benchmark (served package, polling)")


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f} (1 min) / {five:.1f} (5 min)"


def main() -> None:
    args = _arguments()
    import redis

    client = redis.Redis.from_url(args.redis)
    client.flushdb()  # no message or limiter state of an earlier run
    client.close()

    wall_window = args.window / args.factor
    token_lifetime = 600.0 / args.factor  # ten minutes of package time: tokens rotate during the night
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    refs = [f"co-{n}" for n in range(args.dossiers)]
    accounts = {f"firm-account-{i}": refs[i::args.connections] for i in range(args.connections)}
    per_company = args.per == "company"
    sandbox = LoadtestSandbox(accounts, limit=args.limit, window=wall_window, per_company=per_company, sliding=True,
                              token_lifetime=token_lifetime, base_url=base_url, page_size=args.page_size,
                              volume=args.volume)
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    store = PostgresStore(args.postgres, schema=schema)
    key = generate_key()
    registry = PluginRegistry()
    registry.register(LoadtestConnector(base_url, limit=args.limit, window=wall_window, per_company=per_company,
                                        token_lifetime=token_lifetime), "loadtest")
    linked = seed(Sfsync(store, SecretBox(key), registry=registry), sandbox)
    sep = "&" if "?" in args.postgres else "?"
    env = {
        **os.environ,
        "SFSYNC_CELERY_BROKER": args.redis,
        "SFSYNC_REDIS_URL": args.redis,
        # The application name finds the workers' PostgreSQL backends (their CPU is counted).
        "SFSYNC_STORE_URL": f"{args.postgres}{sep}options={quote(f'-csearch_path={schema}')}"
                            f"&application_name={schema}",
        "SFSYNC_SECRET_KEY": key,
        "SFSYNC_LOAD_PLUGINS": "",
        "SFSYNC_CELERY_CONFIGURE": "sfsync_loadtest:configure",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])),
        "SFSYNC_LOADTEST_URL": base_url,
        "SFSYNC_LOADTEST_LIMIT": str(args.limit - MARGIN),
        "SFSYNC_LOADTEST_WINDOW": str(wall_window),
        "SFSYNC_LOADTEST_PER_COMPANY": "1" if per_company else "",
        "SFSYNC_LOADTEST_TOKEN_LIFETIME": str(token_lifetime),
        "SFSYNC_NIGHT_WINDOW": str(args.night),
    }
    from celery import Celery

    celery = Celery("sfsync-bench", broker=args.redis)
    celery.conf.broker_transport_options = {"priority_steps": list(range(10)), "sep": ":",
                                            "queue_order_strategy": "priority"}
    served = serve(sandbox, port=port)
    workers = Workers(env, Path(tempfile.mkdtemp(prefix="bench-nightly-")))
    load_before = _load()
    try:
        workers.start(args.workers)
        _wait_ready(celery, args.workers + 1, workers)  # worker start-up is not part of the night
        cpu = _cpu_share(store, workers, schema, redis.Redis.from_url(args.redis))
        cpu.start()
        started, sent_at = time.monotonic(), time.time()
        celery.send_task("sfsync.plan_night", kwargs={"window": args.night}, queue="sfsync")
        polls = 0
        while True:
            (done,) = store._all("SELECT count(DISTINCT dossier_id) FROM runs WHERE status IN ('ok', 'warning')")[0]
            if done >= len(linked):
                break
            if time.monotonic() - started > args.timeout:
                raise SystemExit(f"{len(linked) - done} dossiers not synced in time\n{workers.tail()}")
            polls += 1
            if polls % 10 == 0:
                cpu.sample()
            time.sleep(0.2)
        wall = time.monotonic() - started
        cpu.stop()
        load_after = _load()
    finally:
        workers.stop()
        served.stop()

    calls_per_key = [len(times) for times in sandbox.calls.values()]
    alone, shared = lower_bound(calls_per_key, limit=args.limit, window=wall_window, workers=args.workers)
    bound = max(alone, shared) if per_company else alone
    calls = sum(calls_per_key)
    runs = store._all("SELECT started_at, finished_at, status, COALESCE((data->>'rate_limit_waits')::int, 0) FROM runs")
    records = [store.list_runs(d, limit=1)[0] for d in list(linked)[:: max(1, len(linked) // 500)]]
    waits = sum(r[3] for r in runs)
    failed = sum(1 for r in runs if r[2] not in ("ok", "warning"))
    most = max(sandbox.max_calls_in_any_window().values(), default=0)
    first_start = min(r[0] for r in runs).timestamp() - sent_at
    span = (max(r[1] for r in runs if r[1]) - min(r[0] for r in runs)).total_seconds()
    durations = [r.duration for r in records if r.duration is not None]
    print(f"{args.dossiers} dossiers over {args.connections} connections, {args.workers} workers (celery, "
          f"pool solo), PostgreSQL, Redis broker and limiter; limit {args.limit} calls per {args.window:g} s "
          f"per {args.per} (sliding), time x{args.factor:g} (a window is {wall_window:g} s of wall time); "
          f"volume {args.volume}, page size {args.page_size}")
    print(f"wall {wall:.1f} s; {args.dossiers / wall:.1f} dossiers/s ({args.dossiers / wall / args.workers:.2f} "
          f"per worker), {calls / wall:.0f} requests/s; load average before {load_before}, at the end {load_after}")
    ratio = f"{wall / bound:.2f}" if bound else f"n/a (no {args.per} needs a second window: worker-bound)"
    shared_note = f", shared over the workers {shared:.1f} s" if per_company else ""
    print(f"rate-limit lower bound {bound:.1f} s (slowest {args.per} {alone:.1f} s{shared_note}); "
          f"ratio {ratio} (goal <= 1.1)")
    print(f"requests per dossier {calls / args.dossiers:.2f} (per {args.per} {min(calls_per_key)}.."
          f"{max(calls_per_key)}, {calls / max(1, len(calls_per_key)) / args.limit:.1f} windows' worth); "
          f"most calls in one window on one {args.per} {most} (limit {args.limit})")
    print(f"runs: mean {sum(durations) / max(1, len(durations)):.3f} s, max {max(durations, default=0):.2f} s "
          f"(of {len(durations)} sampled); first run started {first_start:.1f} s after the planner's message; "
          f"first start to last end {span:.1f} s")
    print(f"429 received {sandbox.too_many} (goal 0); limiter waits {waits}; refreshes {sandbox.refreshes}, "
          f"double-spent {sandbox.double_spent}; runs {len(runs)}, failed {failed} (an interrupted run is retried)")
    print(cpu.table(args.dossiers, wall))
    store._db.execute(f'DROP SCHEMA "{schema}" CASCADE')
    store.close()


if __name__ == "__main__":
    main()
