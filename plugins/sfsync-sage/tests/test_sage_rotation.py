"""Single-use refresh tokens over a simulated night: 200 dossiers, two workers, 5-minute tokens.

Two workers (two ``Sfsync`` hosts on one store, each with its own Redis lock factory and a shared
Redis limiter, as two machines would have) sync 200 dossiers of one firm-level Sage connection at
once. The sandbox and both workers share a fake clock that every request moves on by a few
seconds, so the night lasts well over an hour and the 5-minute access token expires again and
again while both workers are busy. The sandbox refuses a refresh token presented twice and revokes
the family: one double spend would fail the rest of the night. The control without the lock shows
the night does make both workers race for the refresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import uuid
from collections.abc import AsyncIterator

import pytest
from sfsync.api import Sfsync
from sfsync.auth import TokenSet
from sfsync.clock import FakeClock
from sfsync.models import Granularity, SyncMode
from sfsync.plugins import PluginRegistry
from sfsync.sandbox import connect_sandbox
from sfsync.secrets import SecretBox, generate_key
from sfsync.store.sqlite import SQLiteStore
from sfsync_sage.connector import SageConnector
from sfsync_sage.sandbox import SageSandbox

pytestmark = [pytest.mark.redis, pytest.mark.slow]

DOSSIERS = 200
NIGHT = dt.datetime(2026, 3, 10, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("SFSYNC_TEST_REDIS_URL")
    if not url:
        pytest.skip("SFSYNC_TEST_REDIS_URL is not set; run `eval \"$(bash .ci/services.sh)\"` as root first")
    pytest.importorskip("redis", reason="the shared lock and limiter need sfsync[celery]")
    return url


class _NoLock:
    """A lock factory that excludes nothing: what a host without a shared lock would have."""

    def __call__(self, connection_id: str) -> contextlib.AbstractAsyncContextManager[None]:
        return self._held()

    @contextlib.asynccontextmanager
    async def _held(self) -> AsyncIterator[None]:
        await asyncio.sleep(0)
        yield

    async def aclose(self) -> None:
        pass


def _night(tmp_path, redis_url: str, *, locked: bool):  # type: ignore[no-untyped-def]
    from sfsync.celery.locks import RedisLockFactory
    from sfsync.celery.ratelimit import RedisLimiterBackend

    clock = FakeClock(NIGHT)
    sandbox = SageSandbox(clock=clock, main_entries=1, latency=4.0)
    registry = PluginRegistry()
    registry.register(SageConnector(), "sage-accounting")
    key, path, prefix = generate_key(), tmp_path / "shared.sqlite3", f"t:{uuid.uuid4().hex}"

    def worker() -> Sfsync:
        return Sfsync(
            SQLiteStore(path), SecretBox(key), registry=registry, clock=clock, transports=sandbox.transports(),
            limiter=RedisLimiterBackend(redis_url, prefix=f"{prefix}:limits"),
            lock_factory=RedisLockFactory(redis_url, prefix=f"{prefix}:locks") if locked else _NoLock(),
            concurrency=8,
        )

    one, two = worker(), worker()
    firm = one.create_firm("Fiduciaire de nuit")
    admin = one.add_user(firm.id, "admin@nuit.test", "admin")

    async def night() -> tuple[list, list]:  # type: ignore[type-arg]
        connection = await connect_sandbox(one, admin, "sage-accounting", sandbox)
        refs = sandbox.company_refs()
        ids = []
        for n in range(DOSSIERS):
            dossier = one.create_dossier(admin, f"dossier-{n:03d}")
            ref = refs[n % len(refs)]
            years = await one.fiscal_years(admin, connection.id, ref)
            await one.link(admin, dossier.id, connection.id, ref, mode=SyncMode.SINCE, since=years[-1].start,
                           granularity=Granularity.TRANSACTIONS)
            ids.append(dossier.id)
        first, second = await asyncio.gather(one.sync_many(ids[0::2]), two.sync_many(ids[1::2]))
        for sf in (one, two):
            await sf.runner.lock_factory.aclose()
            await sf.runner.limiter.aclose()
        return first + second, [connection.id]

    runs, (connection_id,) = asyncio.run(night())
    saved = TokenSet.model_validate(one.box.open(one.store.get_connection(connection_id).sealed)["tokens"])
    one.store.close()
    two.store.close()
    return sandbox, clock, runs, saved


def test_two_workers_never_spend_a_refresh_token_twice_over_a_night(tmp_path, redis_url):
    sandbox, clock, runs, saved = _night(tmp_path, redis_url, locked=True)
    failed = [r.error for r in runs if r.status not in ("ok", "warning")]
    assert not failed, failed[:3]
    assert len(runs) == DOSSIERS
    server = sandbox.oauth_server
    (family,) = server.grants
    assert server.reuses == 0 and not family.revoked
    # The night was long enough for the 5-minute token to die many times while both worked.
    assert clock.now() - NIGHT > dt.timedelta(hours=1), clock.now()
    assert server.refreshes >= 12, server.refreshes
    # What the store holds is the live token of the family: the next night starts from it.
    assert saved.refresh_token is not None
    assert saved.refresh_token.get_secret_value() == server.live_refresh_token(family)


def test_without_the_shared_lock_the_workers_do_spend_one_twice(tmp_path, redis_url):
    sandbox, _clock, runs, _saved = _night(tmp_path, redis_url, locked=False)
    assert sandbox.oauth_server.reuses >= 1
    assert sandbox.oauth_server.grants[0].revoked
    assert any(r.error_kind == "NeedsReconsent" for r in runs)
