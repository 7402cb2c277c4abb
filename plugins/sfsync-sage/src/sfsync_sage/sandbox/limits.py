"""The sandbox's rate limits: calls per business per fixed minute and per day.

Sage's own v3.1 numbers are UNVERIFIED (see :mod:`sfsync_sage.facts`); the defaults are the
reported 100 a minute and 2,500 a day per business. A refused call answers 429 with Sage's error
array and a ``Retry-After`` of the seconds left in the window (whether Sage sends Retry-After is
UNVERIFIED; the connector waits a minute when it does not). Sage documents no remaining-calls
headers, so none are sent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sfsync_sage.facts import DAILY_LIMIT, MINUTE_LIMIT

__all__ = ["LimitConfig", "RateLimiter"]


@dataclass
class LimitConfig:
    """Knobs; ``window_seconds`` shortens the "minute" (time-scaled limits)."""

    per_minute: int = MINUTE_LIMIT
    per_day: int = DAILY_LIMIT
    window_seconds: float = 60.0


@dataclass
class _Count:
    window: float = -1.0
    in_window: int = 0
    day: dt.date | None = None
    in_day: int = 0


@dataclass
class RateLimiter:
    config: LimitConfig = field(default_factory=LimitConfig)
    counts: dict[str, _Count] = field(default_factory=dict)
    refused: int = 0

    def take(self, business: str, now: dt.datetime) -> float:
        """Count one call on ``business``: 0 when allowed, else the seconds until it would be."""
        cfg = self.config
        count = self.counts.setdefault(business, _Count())
        ts = now.timestamp()
        window = (ts // cfg.window_seconds) * cfg.window_seconds
        if window != count.window:
            count.window, count.in_window = window, 0
        if count.day != now.date():
            count.day, count.in_day = now.date(), 0
        if count.in_day >= cfg.per_day:
            self.refused += 1
            midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), dt.UTC)
            return max(1.0, (midnight - now).total_seconds())
        if count.in_window >= cfg.per_minute:
            self.refused += 1
            return max(1.0, window + cfg.window_seconds - ts)
        count.in_window += 1
        count.in_day += 1
        return 0.0
