"""One event loop per worker thread, kept from task to task.

A task body that called ``asyncio.run`` got a new event loop each time, and with it a new Redis
connection for the limiter and the refresh locks and a new HTTP connection pool (and TLS
handshake) per run, closed again at its end: on a night of short incremental runs that set-up was
most of a run's cost. The worker's loop lives as long as its thread (one per process with
``--pool=solo`` or prefork, one per thread with ``--pool=threads``), so the per-loop clients of
:class:`~sfsync.celery.ratelimit.RedisLimiterBackend`, :class:`~sfsync.celery.locks.RedisLockFactory`
and :class:`~sfsync.http.network.SharedNetwork` are opened once and reused.

Nothing a run committed depends on the loop: a killed worker loses only open connections.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["close_worker_loop", "run_in_worker_loop", "worker_loop"]

log = logging.getLogger("sfsync.celery")

T = TypeVar("T")

_local = threading.local()


def worker_loop() -> asyncio.Runner:
    """This thread's loop runner (a new one after a fork: a parent's loop is not the child's)."""
    current: tuple[int, asyncio.Runner] | None = getattr(_local, "runner", None)
    if current is None or current[0] != os.getpid():
        current = (os.getpid(), asyncio.Runner())
        _local.runner = current
    return current[1]


def run_in_worker_loop(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to its end in this thread's kept loop (as ``asyncio.run`` would, without
    closing the loop afterwards)."""
    return worker_loop().run(coro)


def close_worker_loop(closers: list[Callable[[], Awaitable[object]]]) -> None:
    """At a worker's shutdown: await each ``closer`` (the clients' ``aclose``) in this thread's
    loop, then close the loop. Does nothing when this thread never ran a task."""
    current: tuple[int, asyncio.Runner] | None = getattr(_local, "runner", None)
    _local.runner = None
    if current is None or current[0] != os.getpid():
        return
    runner = current[1]

    async def _close_all() -> None:
        for close in closers:
            try:
                await close()
            except Exception:  # a broken connection at shutdown must not hide the next closer
                log.warning("a client did not close cleanly at worker shutdown", exc_info=True)

    try:
        runner.run(_close_all())
    finally:
        runner.close()
