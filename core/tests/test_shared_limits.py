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


def test_two_workers_refresh_a_rotating_token_once(redis_url, tmp_path):
    """Two workers (separate stores, vaults and lock factories) find the access token expired at
    the same moment: one spends the single-use refresh token, the other re-reads and uses the new
    tokens; the package never sees a refresh token twice."""
    from sfsync.api import Sfsync
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))  # not shipped
    from sfsync.celery.locks import RedisLockFactory
    from sfsync.plugins import PluginRegistry
    from sfsync.secrets import SecretBox, generate_key
    from sfsync.store.sqlite import SQLiteStore
    from sfsync_loadtest import LoadtestConnector, LoadtestSandbox, seed

    sandbox = LoadtestSandbox({"acct": ["co-1"]}, limit=1000, token_lifetime=600)
    registry = PluginRegistry()
    registry.register(LoadtestConnector(sandbox.base_url, limit=1000, window=1.0, token_lifetime=600), "loadtest")
    key = generate_key()
    path = tmp_path / "shared.sqlite3"
    prefix = f"t:{uuid.uuid4().hex}"

    def worker():
        return Sfsync(SQLiteStore(path), SecretBox(key), registry=registry, transports=sandbox.transports(),
                      lock_factory=RedisLockFactory(redis_url, prefix=prefix))

    one, two = worker(), worker()
    seed(one, sandbox)
    connection = one.store.list_connections(one.store.list_firms()[0].id)[0]
    sealed = one.box.open(connection.sealed)
    tokens = TokenSet.model_validate(sealed["tokens"])
    stale = tokens.model_copy(update={"expires_at": dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)})
    sealed["tokens"] = stale.reveal()
    one.store.update_connection(connection.id, sealed=one.box.seal(sealed))

    async def call(sf):
        ctx = sf.runner.context_for(sf.store.get_connection(connection.id))
        try:
            client = ctx.http(sandbox.base_url)
            response = await client.get("/api/companies")
            return response.status_code
        finally:
            await ctx.aclose()

    async def both():
        codes = await asyncio.gather(call(one), call(two))
        for sf in (one, two):
            await sf.runner.lock_factory.aclose()
        return codes

    assert asyncio.run(both()) == [200, 200]
    assert (sandbox.refreshes, sandbox.double_spent) == (1, 0)
    saved = TokenSet.model_validate(two.box.open(two.store.get_connection(connection.id).sealed)["tokens"])
    assert saved.refresh_token.get_secret_value() != tokens.refresh_token.get_secret_value()
    one.store.close()
    two.store.close()
