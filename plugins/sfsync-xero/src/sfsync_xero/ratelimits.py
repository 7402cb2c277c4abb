"""Xero's limits per organisation and app: 60 calls a minute, 5,000 a day (1,000 on the Starter
tier), 5 at once, 10,000 a minute across the app. Every response says what is left in
``X-MinLimit-Remaining``, ``X-DayLimit-Remaining`` and ``X-AppMinLimit-Remaining``; a 429 says
which limit with ``X-Rate-Limit-Problem`` and how long to wait with ``Retry-After``."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Sequence

import httpx
from sfsync.http.ratelimit import RateLimitPolicy, RateWindow, WindowState

MINUTE_LIMIT = 60
DAY_LIMIT = 5000
STARTER_DAY_LIMIT = 1000
CONCURRENT_LIMIT = 5
APP_MINUTE_LIMIT = 10_000

_HEADERS = (
    ("minute", "X-MinLimit-Remaining", 60.0),
    ("day", "X-DayLimit-Remaining", 86_400.0),
    ("appminute", "X-AppMinLimit-Remaining", 60.0),
)


def parse_rate_headers(response: httpx.Response, now: float) -> Sequence[WindowState]:
    """What is left of each window. Xero sends no reset time: a spent minute window is assumed
    back within the minute, a spent day window within the rolling day (the limiter then stops the
    run with BudgetExhausted rather than sleeping)."""
    states = []
    for name, header, seconds in _HEADERS:
        raw = response.headers.get(header)
        if raw is None:
            continue
        try:
            remaining = int(raw)
        except ValueError:
            continue
        states.append(WindowState(name=name, remaining=remaining, reset_at=now + seconds))
    return states


RATE_LIMITS = RateLimitPolicy(
    windows=(
        RateWindow("minute", MINUTE_LIMIT, 60.0),
        RateWindow("day", DAY_LIMIT, 86_400.0),
    ),
    parse_headers=parse_rate_headers,
    notes=(
        "Per organisation and app: 60 calls/minute, 5,000/day (1,000 on the Starter tier, read "
        "from X-DayLimit-Remaining), 5 concurrent; 10,000/minute across the app."
    ),
)

_semaphores: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Semaphore]] = (
    weakref.WeakKeyDictionary()
)


def concurrency_gate(tenant_id: str) -> asyncio.Semaphore:
    """At most five calls in flight per organisation in this process (Xero's concurrent limit)."""
    loop = asyncio.get_running_loop()
    gates = _semaphores.setdefault(loop, {})
    gate = gates.get(tenant_id)
    if gate is None:
        gate = gates[tenant_id] = asyncio.Semaphore(CONCURRENT_LIMIT)
    return gate
