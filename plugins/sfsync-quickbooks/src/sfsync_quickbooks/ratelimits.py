"""QuickBooks' limits per company (realm) and app: 500 requests a minute, 10 a second, 10 at
once; a 429 asks to wait 60 seconds (Intuit sends no rate headers; ``Retry-After`` is honoured
when present). Reports and CDC count like any other call."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Sequence

import httpx
from sfsync.http.ratelimit import RateLimitPolicy, RateWindow, WindowState

MINUTE_LIMIT = 500
SECOND_LIMIT = 10
CONCURRENT_LIMIT = 10

THROTTLE_WAIT = 60.0


def parse_rate_headers(response: httpx.Response, now: float) -> Sequence[WindowState]:
    """Intuit sends no rate headers; a 429 without ``Retry-After`` closes the budget for the
    60 seconds Intuit asks to wait (with one, the core waits what it says)."""
    if response.status_code == 429 and "retry-after" not in response.headers:
        return [WindowState(name="throttled", remaining=0, reset_at=now + THROTTLE_WAIT)]
    return []


RATE_LIMITS = RateLimitPolicy(
    windows=(
        # 10 per 1.2 s: Intuit counts on its side, after the network; a window of exactly one
        # second lets the eleventh call land inside Intuit's second and cost a 60-second wait.
        RateWindow("second", SECOND_LIMIT, 1.2),
        RateWindow("minute", MINUTE_LIMIT, 60.0),
    ),
    parse_headers=parse_rate_headers,
    notes=(
        "Per company and app: 500 requests/minute, 10/second, 10 concurrent; 40 batch "
        "requests/minute. A 429 without Retry-After is waited out for 60 seconds."
    ),
)

_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Semaphore]] = (
    weakref.WeakKeyDictionary()
)


def concurrency_gate(key: str) -> asyncio.Semaphore:
    """At most ten calls in flight per company and app in this process."""
    gates = _gates.setdefault(asyncio.get_running_loop(), {})
    gate = gates.get(key)
    if gate is None:
        gate = gates[key] = asyncio.Semaphore(CONCURRENT_LIMIT)
    return gate
