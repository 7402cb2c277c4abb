"""One token refresher per connection across every worker: a lock in Redis.

Give :class:`RedisLockFactory` to :class:`~sfsync.api.Sfsync` as ``lock_factory``. The OAuth2 flow
takes the connection's lock before it refreshes, then re-reads the tokens from the store: the
worker that got the lock first spends the (single-use) refresh token and saves the new tokens;
the others, once they get the lock, find fresh tokens and use them without refreshing.

The lock is redis-py's (``SET NX PX`` with a random token, released by a compare-and-delete
script), so it expires on its own if its holder dies.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from redis.exceptions import LockError

from sfsync.celery._redis import LoopClients
from sfsync.errors import RetriableError

__all__ = ["RedisLockFactory"]

log = logging.getLogger("sfsync.celery")


class RedisLockFactory:
    """``lock_factory(connection_id)`` → an async context manager holding that connection's lock.

    Args:
        url: The Redis URL.
        timeout: Seconds after which a lock whose holder died frees itself (a refresh takes far
            less).
        wait: Seconds to wait for the lock before giving up with a retriable error.
        prefix: Namespace of the keys.
    """

    def __init__(self, url: str, *, timeout: float = 60.0, wait: float = 120.0, prefix: str = "sfsync:refresh") -> None:
        self._clients = LoopClients(url)
        self.timeout = timeout
        self.wait = wait
        self.prefix = prefix

    def __repr__(self) -> str:
        return f"RedisLockFactory(prefix={self.prefix!r}, timeout={self.timeout})"

    def key(self, connection_id: str) -> str:
        """The lock's Redis key."""
        return f"{self.prefix}:{{{connection_id}}}"

    def __call__(self, connection_id: str) -> contextlib.AbstractAsyncContextManager[None]:
        return self._held(connection_id)

    @contextlib.asynccontextmanager
    async def _held(self, connection_id: str) -> AsyncIterator[None]:
        lock = self._clients.get().lock(
            self.key(connection_id), timeout=self.timeout, sleep=0.02, blocking_timeout=self.wait
        )
        if not await lock.acquire():
            raise RetriableError(
                f"another worker has held the token refresh of connection {connection_id} for over "
                f"{self.wait:.0f} seconds; retrying later"
            )
        try:
            yield
        finally:
            try:
                await lock.release()
            except LockError:  # it outlived its timeout and expired: nothing left to release
                log.warning("the refresh lock of connection %s expired before it was released", connection_id)

    async def aclose(self) -> None:
        """Close this event loop's Redis connection (before ``asyncio.run`` returns)."""
        await self._clients.aclose()
