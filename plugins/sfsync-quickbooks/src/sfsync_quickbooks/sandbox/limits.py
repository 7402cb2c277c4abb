"""QuickBooks' throttles as the sandbox applies them, per realm and app: 500 requests a minute,
10 a second, 10 at once (developer.intuit.com, limits-and-throttles; the concurrency cap from
Intuit's 2016 blog). Over a limit: HTTP 429 with a ``ThrottleExceeded`` Fault (code 3001).

UNVERIFIED: whether Intuit sends ``Retry-After`` (its docs say to wait 60 seconds). The sandbox
sends ``Retry-After`` only when :attr:`Throttle.retry_after` is set, so the connector is tested
both ways.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

MINUTE_LIMIT = 500
SECOND_LIMIT = 10
CONCURRENT_LIMIT = 10


@dataclass
class Throttle:
    minute_limit: int = MINUTE_LIMIT
    second_limit: int = SECOND_LIMIT
    concurrent_limit: int = CONCURRENT_LIMIT
    retry_after: bool = False
    calls: dict[tuple[str, str], deque[float]] = field(default_factory=dict)
    in_flight: dict[tuple[str, str], int] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)

    def take(self, app: str, realm: str, now: float) -> tuple[str | None, int]:
        """Count a call; returns which limit it broke (or ``None``) and the seconds to wait."""
        key = (app, realm)
        calls = self.calls.setdefault(key, deque())
        while calls and calls[0] <= now - 60:
            calls.popleft()
        second = [t for t in calls if t > now - 1]
        if self.in_flight.get(key, 0) >= self.concurrent_limit:
            problem, wait = "concurrent", 1.0
        elif len(calls) >= self.minute_limit:
            problem, wait = "minute", calls[0] + 60 - now
        elif len(second) >= self.second_limit:
            problem, wait = "second", second[0] + 1 - now
        else:
            calls.append(now)
            return None, 0
        self.refused.append(problem)
        return problem, max(1, math.ceil(wait))
