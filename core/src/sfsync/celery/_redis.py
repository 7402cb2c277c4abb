"""One ``redis.asyncio`` client per event loop.

A Celery task runs its sync in ``asyncio.run``, a new event loop each time, and an asyncio client's
connections belong to the loop that opened them; so the backends keep a client per loop and close
it with :meth:`LoopClients.aclose` before the loop ends.
"""

from __future__ import annotations

import asyncio
import weakref

import redis.asyncio as aioredis

__all__ = ["LoopClients"]


class LoopClients:
    """Lazily opened ``redis.asyncio.Redis`` clients for ``url``, one per running loop."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aioredis.Redis] = (
            weakref.WeakKeyDictionary()
        )

    def get(self) -> aioredis.Redis:
        """The client of the running loop."""
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = aioredis.Redis.from_url(self.url)
            self._clients[loop] = client
        return client

    async def aclose(self) -> None:
        """Close the running loop's client (call it before the loop ends)."""
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()

    def __repr__(self) -> str:
        # The URL may carry a password.
        return "LoopClients(redis)"
