"""Business Central's per-user limits on OData requests, as ``operational-limits-online.md`` and
``dynamics-rate-limits.md`` give them (current per-user table):

* 6,000 requests in any 5-minute (sliding) window → 429 ``Application_TooManyRequests`` with
  ``Retry-After`` (whether Business Central sends the header is UNVERIFIED: the sandbox sends it
  here and leaves it off the queue refusal below, so a connector must cope with both);
* 5 requests processed at a time; the others wait in a queue (up to 95) — a request that finds
  the queue full gets 429 without ``Retry-After``, one that waits longer than the queue timeout
  (8 minutes, on the sandbox's clock) gets 503;
* the token endpoints and ``$metadata`` are not counted (UNVERIFIED for ``$metadata``).

A user is the access token's grant (for BoCount: the web-service user). The window is the
toolkit's sliding quota; the queue is this module's, as the toolkit's ``Concurrent`` refuses at
once where Business Central makes a request wait.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from sfsync.clock import Clock
from sfsync.sandbox.asgi import ASGIApp, Receive, Scope, Send
from sfsync.sandbox.limits import Quota, RateLimits, Verdict
from sfsync.sandbox.odata import odata_error_response
from starlette.requests import Request
from starlette.responses import Response

from sfsync_businesscentral.facts import (
    CONCURRENT,
    QUEUE_LENGTH,
    QUEUE_SECONDS,
    WINDOW_REQUESTS,
    WINDOW_SECONDS,
)

__all__ = ["LimitConfig", "UserQueue", "bc_limits"]


@dataclass
class LimitConfig:
    """Knobs (a shorter window, a smaller queue) for tests."""

    window_requests: int = WINDOW_REQUESTS
    window_seconds: float = WINDOW_SECONDS
    concurrent: int = CONCURRENT
    queue_length: int = QUEUE_LENGTH
    queue_seconds: float = QUEUE_SECONDS


def _too_many(verdict: Verdict) -> Response:
    used = verdict.breached.used if verdict.breached else 0
    return odata_error_response(429, "Application_TooManyRequests",
                                f"Too many requests reached. Actual ({used + 1}). Maximum ({used}).",
                                {"Retry-After": str(verdict.retry_after)})


def bc_limits(config: LimitConfig, clock: Clock, user: Callable[[Request], str | None]) -> RateLimits:
    """The 5-minute window per user."""
    return RateLimits([Quota("window", config.window_requests, config.window_seconds, scope="user", window="sliding")],
                      clock=clock, scopes={"user": user}, refused=_too_many)


class UserQueue:
    """At most ``concurrent`` requests of a user in flight; the rest wait in a queue of at most
    ``queue_length``, each for at most ``queue_seconds`` of the clock."""

    def __init__(self, config: LimitConfig, clock: Clock, user: Callable[[Request], str | None]) -> None:
        """Queue per user as ``user(request)`` names them (``None``: not limited)."""
        self.config, self.clock, self.user = config, clock, user
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._waiting: dict[str, int] = {}
        self.peak_in_flight = 0
        self._in_flight: dict[str, int] = {}
        self.refused_full = 0
        self.timed_out = 0

    async def _wait(self, slot: asyncio.Semaphore) -> bool:
        speed = float(getattr(self.clock, "factor", 1.0) or 1.0)  # a ScaledClock runs faster
        try:
            await asyncio.wait_for(slot.acquire(), timeout=self.config.queue_seconds / speed)
        except TimeoutError:
            return False
        return True

    def wrap(self, app: ASGIApp) -> ASGIApp:
        """``app`` behind the queue."""

        async def queued(scope: Scope, receive: Receive, send: Send) -> None:
            key = self.user(Request(scope)) if scope["type"] == "http" else None
            if key is None:
                await app(scope, receive, send)
                return
            slot = self._slots.setdefault(key, asyncio.Semaphore(self.config.concurrent))
            if slot.locked():
                if self._waiting.get(key, 0) >= self.config.queue_length:
                    self.refused_full += 1
                    await odata_error_response(429, "Application_TooManyRequests",
                                               "Too many requests are queued for this user.")(scope, receive, send)
                    return
                self._waiting[key] = self._waiting.get(key, 0) + 1
                try:
                    acquired = await self._wait(slot)
                finally:
                    self._waiting[key] -= 1
                if not acquired:
                    self.timed_out += 1
                    await odata_error_response(503, "Internal_ServiceUnavailable",
                                               "The request waited too long in the queue.")(scope, receive, send)
                    return
            else:
                await slot.acquire()
            self._in_flight[key] = self._in_flight.get(key, 0) + 1
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight[key])
            try:
                await app(scope, receive, send)
            finally:
                self._in_flight[key] -= 1
                slot.release()

        return queued
