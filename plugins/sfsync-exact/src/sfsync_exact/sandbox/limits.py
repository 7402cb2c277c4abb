"""Exact's rate limits and error budget, per (app, division) (reference §8).

* minutely: 60 calls in a fixed minute window; an exhausted minute answers 429 with *only* the
  minutely headers (the daily ones are absent until the minute rolls over);
* daily: 5,000 calls, resetting at 00:00 UTC;
* every reset header is a Unix epoch in **milliseconds**;
* error budget: more than 10 error responses (400/401/403/404) per endpoint in an hour blocks the
  app on that endpoint for an hour. Exact does not document how a blocked key is answered; the
  sandbox answers 429 with ``Retry-After`` (an assumption, configurable).
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from dataclasses import dataclass, field

__all__ = ["LimitConfig", "RateLimiter"]


@dataclass
class LimitConfig:
    """Knobs; ``window_seconds`` shortens the "minute" (time-scaled limits)."""

    minutely: int = 60
    daily: int = 5000
    window_seconds: float = 60.0
    error_budget: int = 10
    error_window_seconds: float = 3600.0
    block_seconds: float = 3600.0


@dataclass
class _State:
    window_start: float = -1.0
    window_calls: int = 0
    day: dt.date | None = None
    day_calls: int = 0


@dataclass
class RateLimiter:
    config: LimitConfig = field(default_factory=LimitConfig)
    states: dict[tuple[str, int], _State] = field(default_factory=dict)
    errors: dict[tuple[str, int, str], deque[float]] = field(default_factory=dict)
    blocked: dict[tuple[str, int, str], float] = field(default_factory=dict)
    refused: int = 0

    def take(self, client_id: str, division: int, now: dt.datetime) -> tuple[bool, dict[str, str]]:
        """Count one call; returns (allowed, rate-limit headers)."""
        cfg = self.config
        state = self.states.setdefault((client_id, division), _State())
        ts = now.timestamp()
        window_start = (ts // cfg.window_seconds) * cfg.window_seconds
        if window_start != state.window_start:
            state.window_start, state.window_calls = window_start, 0
        if state.day != now.date():
            state.day, state.day_calls = now.date(), 0
        minute_reset = int((window_start + cfg.window_seconds) * 1000)
        day_reset = int(
            dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), dt.UTC).timestamp()
            * 1000
        )
        if state.window_calls >= cfg.minutely:
            self.refused += 1
            return False, {
                "X-RateLimit-Minutely-Limit": str(cfg.minutely),
                "X-RateLimit-Minutely-Remaining": "0",
                "X-RateLimit-Minutely-Reset": str(minute_reset),
            }
        if state.day_calls >= cfg.daily:
            self.refused += 1
            return False, self._headers(
                cfg, 0, day_reset, cfg.minutely - state.window_calls, minute_reset
            )
        state.window_calls += 1
        state.day_calls += 1
        return True, self._headers(
            cfg,
            cfg.daily - state.day_calls,
            day_reset,
            cfg.minutely - state.window_calls,
            minute_reset,
        )

    @staticmethod
    def _headers(
        cfg: LimitConfig, day_left: int, day_reset: int, minute_left: int, minute_reset: int
    ) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(cfg.daily),
            "X-RateLimit-Remaining": str(day_left),
            "X-RateLimit-Reset": str(day_reset),
            "X-RateLimit-Minutely-Limit": str(cfg.minutely),
            "X-RateLimit-Minutely-Remaining": str(minute_left),
            "X-RateLimit-Minutely-Reset": str(minute_reset),
        }

    def blocked_for(self, client_id: str, division: int, endpoint: str, now: dt.datetime) -> float:
        """Seconds the app is still blocked on this endpoint (0: not blocked)."""
        until = self.blocked.get((client_id, division, endpoint), 0.0)
        return max(0.0, until - now.timestamp())

    def record_error(self, client_id: str, division: int, endpoint: str, now: dt.datetime) -> None:
        key = (client_id, division, endpoint)
        ts = now.timestamp()
        times = self.errors.setdefault(key, deque())
        times.append(ts)
        while times and times[0] <= ts - self.config.error_window_seconds:
            times.popleft()
        if len(times) > self.config.error_budget:
            self.blocked[key] = ts + self.config.block_seconds
