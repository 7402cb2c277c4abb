"""Shared rate budgets and refresh locks in a real Redis (``SFSYNC_TEST_REDIS_URL``)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import httpx
import pytest

pytest.importorskip("redis", reason="redis is not installed (pip install 'sfsync[celery]')")

from sfsync.auth import TokenSet
from sfsync.clock import FakeClock
from sfsync.errors import RateLimited, RetriableError
from sfsync.http.ratelimit import (
    InMemoryLimiterBackend,
    RateLimitPolicy,
    RateWindow,
    WindowState,
)
from sfsync.http.transport import ManagedTransport, RequestStats, RetryPolicy

pytestmark = pytest.mark.redis

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"  # the load-test package lives there

MINUTE = RateWindow("minutely", 5, 60.0)
DAY = RateWindow("daily", 12, 86400.0)


@pytest.fixture
def redis_url():
    url = os.environ.get("SFSYNC_TEST_REDIS_URL")
    if not url:
        pytest.skip("SFSYNC_TEST_REDIS_URL is not set; run `eval \"$(bash .ci/services.sh)\"` as root first")
    return url


def _backend(url, prefix):
    from sfsync.celery.ratelimit import RedisLimiterBackend

    return RedisLimiterBackend(url, prefix=prefix)


def test_redis_backend_behaves_like_the_in_memory_one(redis_url):
    """The same random sequence of reserve/observe/pause gives the same answers, daily windows
    included."""
    rng = random.Random(11)
    ops = []
    now = 1_800_000_000.0
    for _ in range(400):
        now += rng.choice([0.0, 0.5, 3.0, 13.0, 61.0, 900.0, 4000.0])
        kind = rng.choices(["reserve", "observe", "pause"], weights=[8, 1, 1])[0]
        key = rng.choice(["conn_a", "conn_a/div-1", "conn_b"])
        if kind == "observe":
            state = WindowState("package", rng.randint(0, 3), now + rng.choice([5.0, 30.0, 120.0]))
            ops.append((kind, key, now, state))
        elif kind == "pause":
            ops.append((kind, key, now, now + rng.choice([1.0, 10.0, 45.0])))
        else:
            ops.append((kind, key, now, None))

    async def play(backend):
        answers = []
        for kind, key, at, extra in ops:
            if kind == "reserve":
                answers.append(round(await backend.reserve(key, (MINUTE, DAY), at), 3))
            elif kind == "observe":
                await backend.observe(key, [extra], at)
            else:
                await backend.pause(key, extra)
        if hasattr(backend, "aclose"):
            await backend.aclose()
        return answers

    expected = asyncio.run(play(InMemoryLimiterBackend()))
    got = asyncio.run(play(_backend(redis_url, f"t:{uuid.uuid4().hex}")))
    assert got == expected
    assert sum(1 for a in expected if a == 0) >= 30  # the sequence exercised both outcomes
    assert sum(1 for a in expected if a > 3600) >= 1  # and the daily window


def test_limits_hold_across_processes(redis_url):
    """Four processes race for one credential's budget: exactly the limit is granted."""
    prefix = f"t:{uuid.uuid4().hex}"
    script = textwrap.dedent("""
        import asyncio, sys
        from sfsync.celery.ratelimit import RedisLimiterBackend
        from sfsync.http.ratelimit import RateWindow

        async def main():
            backend = RedisLimiterBackend(sys.argv[1], prefix=sys.argv[2])
            granted = 0
            for _ in range(40):
                if await backend.reserve("conn_shared", (RateWindow("daily", 50, 86400.0),), 1_800_000_000.0) == 0:
                    granted += 1
            await backend.aclose()
            print(granted)

        asyncio.run(main())
    """)
    children = [
        subprocess.Popen([sys.executable, "-c", script, redis_url, prefix], stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    granted = []
    for child in children:
        out, _ = child.communicate(timeout=120)
        assert child.returncode == 0
        granted.append(int(out.strip()))
    assert sum(granted) == 50
    assert len([g for g in granted if g > 0]) >= 2  # they really competed


def test_pause_and_headers_seen_by_one_worker_hold_the_others(redis_url):
    prefix = f"t:{uuid.uuid4().hex}"
    now = 1_800_000_000.0

    async def scenario():
        one, other = _backend(redis_url, prefix), _backend(redis_url, prefix)
        assert await other.reserve("conn_x", (MINUTE,), now) == 0
        await one.pause("conn_x", now + 30)
        waits = [await other.reserve("conn_x", (MINUTE,), now), await other.reserve("conn_y", (MINUTE,), now)]
        await one.observe("conn_y", [WindowState("package", 0, now + 12)], now)
        waits.append(await other.reserve("conn_y", (MINUTE,), now + 1))
        waits.append(await other.reserve("conn_y", (MINUTE,), now + 12))
        await one.aclose()
        await other.aclose()
        return waits

    assert asyncio.run(scenario()) == [30.0, 0.0, 11.0, 0.0]


def test_a_429_seen_by_one_worker_pauses_the_other(redis_url):
    """Through the real transport: worker A gets a 429 with Retry-After 20; worker B, with its
    own backend object, waits those 20 seconds before its first call."""
    prefix = f"t:{uuid.uuid4().hex}"
    seen: list[float] = []
    clock = FakeClock(dt.datetime(2027, 1, 4, 2, 0, tzinfo=dt.UTC))

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(clock.now().timestamp())
        if len(seen) == 1:
            return httpx.Response(429, headers={"Retry-After": "20"})
        return httpx.Response(200, json={"ok": True})

    async def scenario():
        a, b = _backend(redis_url, prefix), _backend(redis_url, prefix)
        policy = RateLimitPolicy(windows=(MINUTE,))
        no_retry = RetryPolicy(attempts=1)

        def transport(backend):
            return ManagedTransport(httpx.MockTransport(handler), key="conn_shared", policy=policy, backend=backend,
                                    clock=clock, stats=RequestStats(), retry=no_retry)

        with pytest.raises(RateLimited):
            await transport(a).handle_async_request(httpx.Request("GET", "https://pkg.test/x"))
        response = await transport(b).handle_async_request(httpx.Request("GET", "https://pkg.test/y"))
        await a.aclose()
        await b.aclose()
        return response.status_code

    start = clock.now().timestamp()
    assert asyncio.run(scenario()) == 200
    assert seen[1] - start >= 20


# --- refresh locks ----------------------------------------------------------------------------------


def test_refresh_lock_excludes_across_factories(redis_url):
    from sfsync.celery.locks import RedisLockFactory

    prefix = f"t:{uuid.uuid4().hex}"

    async def scenario():
        first = RedisLockFactory(redis_url, prefix=prefix)
        second = RedisLockFactory(redis_url, prefix=prefix, wait=30)
        impatient = RedisLockFactory(redis_url, prefix=prefix, wait=0.2)
        order = []
        async with first("conn_1"):
            order.append("first in")
            waiting = asyncio.create_task(_enter(second, "conn_1", order))
            with pytest.raises(RetriableError):
                async with impatient("conn_1"):
                    order.append("impatient in")
            async with impatient("conn_2"):  # another connection is not held up
                order.append("other connection")
            order.append("first out")
        await waiting
        for factory in (first, second, impatient):
            await factory.aclose()
        return order

    assert asyncio.run(scenario()) == ["first in", "other connection", "first out", "second in"]


async def _enter(factory, connection_id, order):
    async with factory(connection_id):
        order.append("second in")


_WORKER = textwrap.dedent("""
    import asyncio, os, sys, time
    from pathlib import Path
    from sfsync.api import Sfsync
    from sfsync_loadtest import connector_from_environment  # benchmarks/, on PYTHONPATH
    from sfsync.celery.locks import RedisLockFactory
    from sfsync.plugins import PluginRegistry
    from sfsync.secrets import SecretBox
    from sfsync.store.sqlite import SQLiteStore

    path, key, connection_id, go, redis_url, prefix = sys.argv[1:7]
    registry = PluginRegistry()
    registry.register(connector_from_environment(), "loadtest")
    locks = RedisLockFactory(redis_url, prefix=prefix) if redis_url else None
    sf = Sfsync(SQLiteStore(path), SecretBox(key), registry=registry, lock_factory=locks)

    async def call():
        ctx = sf.runner.context_for(sf.store.get_connection(connection_id))
        try:
            response = await ctx.http(os.environ["SFSYNC_LOADTEST_URL"]).get("/api/companies")
            return str(response.status_code)
        except Exception as exc:
            return type(exc).__name__
        finally:
            await ctx.aclose()
            if locks is not None:
                await locks.aclose()

    while not Path(go).exists():
        time.sleep(0.005)
    print(asyncio.run(call()), flush=True)
""")


def _refresh_race(tmp_path, redis_url: str) -> tuple[list[str], int, int]:
    """Two worker *processes* (their own stores, vaults, event loops and in-process locks) find
    the access token expired at the same moment and call the package, served over real HTTP with
    a slow token endpoint so their refreshes overlap. Returns their outcomes and the sandbox's
    (refreshes, refresh tokens presented twice)."""
    sys.path.insert(0, str(BENCHMARKS))  # the load-test package is not shipped
    from sfsync.api import Sfsync
    from sfsync.secrets import SecretBox, generate_key
    from sfsync.store.sqlite import SQLiteStore
    from sfsync_loadtest import LoadtestSandbox, free_port, seed, serve

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    sandbox = LoadtestSandbox({"acct": ["co-1"]}, limit=1000, token_lifetime=600, base_url=url)
    inner = sandbox.faults.app

    async def slow_token(scope, receive, send):
        if scope["type"] == "http" and scope["path"].endswith("/oauth/token"):
            await asyncio.sleep(0.3)  # the package takes its time: both workers are in a refresh
        await inner(scope, receive, send)

    sandbox.faults.app = slow_token
    served = serve(sandbox, port=port)
    try:
        key = generate_key()
        path = tmp_path / "shared.sqlite3"
        sf = Sfsync(SQLiteStore(path), SecretBox(key))
        seed(sf, sandbox)
        connection = sf.store.list_connections(sf.store.list_firms()[0].id)[0]
        sealed = sf.box.open(connection.sealed)
        tokens = TokenSet.model_validate(sealed["tokens"])
        stale = tokens.model_copy(update={"expires_at": dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)})
        sealed["tokens"] = stale.reveal()
        sf.store.update_connection(connection.id, sealed=sf.box.seal(sealed))
        sf.store.close()
        go = tmp_path / "go"
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(BENCHMARKS), os.environ.get("PYTHONPATH")])),
               "SFSYNC_LOADTEST_URL": url, "SFSYNC_LOADTEST_LIMIT": "1000",
               "SFSYNC_LOADTEST_TOKEN_LIFETIME": "600", "SFSYNC_LOAD_PLUGINS": ""}
        args = [sys.executable, "-c", _WORKER, str(path), key, connection.id, str(go), redis_url, f"t:{uuid.uuid4().hex}"]
        workers = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
                   for _ in range(2)]
        go.touch()
        outcomes = []
        for worker in workers:
            out, err = worker.communicate(timeout=60)
            outcomes.append(out.strip() or err[-500:])
        return outcomes, sandbox.refreshes, sandbox.double_spent
    finally:
        served.stop()


def test_two_workers_refresh_a_rotating_token_once(redis_url, tmp_path):
    """With the shared Redis lock, one worker spends the single-use refresh token and the other
    re-reads and uses the new tokens: the package never sees a refresh token twice."""
    outcomes, refreshes, double_spent = _refresh_race(tmp_path / "locked", redis_url)
    assert outcomes == ["200", "200"]
    assert (refreshes, double_spent) == (1, 0)


@pytest.mark.xfail(strict=False, reason="a control of the race: both processes must refresh in the same instant, which a busy machine does not always give")
def test_without_the_shared_lock_two_workers_spend_one_refresh_token_twice(redis_url, tmp_path):
    """The race above is real: with only their own in-process locks, the two processes both
    refresh, and the package sees the spent token a second time (what the Redis lock prevents)."""
    outcomes, _, double_spent = _refresh_race(tmp_path / "unlocked", "")
    assert double_spent == 1
    assert sorted(outcomes) == ["200", "NeedsReconsent"]
