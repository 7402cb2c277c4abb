"""Exact's rate limits and error budget, per (app, division) (reference §8), on the toolkit's
:class:`~sfsync.sandbox.limits.RateLimits`.

* minutely: 60 calls in a fixed minute window; an exhausted minute answers 429 with *only* the
  minutely headers (the daily ones are absent until the minute rolls over);
* daily: 5,000 calls, resetting at 00:00 UTC;
* every reset header is a Unix epoch in **milliseconds**;
* error budget: more than 10 error responses (400/401/403/404) per endpoint in an hour blocks the
  app on that endpoint for an hour. Exact does not document how a blocked key is answered; the
  sandbox answers 429 with ``Retry-After`` (an assumption, configurable).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sfsync.sandbox.limits import Quota, RateLimits, Verdict
from sfsync.sandbox.responses import exact
from starlette.requests import Request
from starlette.responses import Response

if TYPE_CHECKING:
    from sfsync.clock import Clock

__all__ = ["ErrorBudget", "LimitConfig", "exact_limits"]


@dataclass
class LimitConfig:
    """Knobs; ``window_seconds`` shortens the "minute" (time-scaled limits)."""

    minutely: int = 60
    daily: int = 5000
    window_seconds: float = 60.0
    error_budget: int = 10
    error_window_seconds: float = 3600.0
    block_seconds: float = 3600.0


def _headers(verdict: Verdict) -> dict[str, str]:
    out: dict[str, str] = {}
    minute_only = verdict.breached is not None and verdict.breached.limit.name == "Minutely"
    for state in verdict.states:
        if minute_only and state.limit.name != "Minutely":
            continue
        prefix = "X-RateLimit-Minutely" if state.limit.name == "Minutely" else "X-RateLimit"
        out[f"{prefix}-Limit"] = str(state.limit.limit)
        out[f"{prefix}-Remaining"] = str(state.remaining)
        out[f"{prefix}-Reset"] = str(int((state.reset_at or 0) * 1000))
    return dict(sorted(out.items(), key=lambda item: "Minutely" in item[0]))


def _refused(verdict: Verdict) -> Response:
    return exact(b"", 429, _headers(verdict))


def exact_limits(config: LimitConfig, clock: Clock, key: Callable[[Request], str | None]) -> RateLimits:
    """Exact's minutely and daily limits, counted per ``key(request)`` (app and division)."""
    return RateLimits(
        [
            Quota("Minutely", config.minutely, config.window_seconds, scope="division"),
            Quota("Daily", config.daily, 86400, scope="division"),
        ],
        clock=clock, scopes={"division": key}, headers=_headers, refused=_refused,
    )


@dataclass
class ErrorBudget:
    """The error budget per (app, division, endpoint): too many errors block the endpoint."""

    config: LimitConfig
    errors: dict[tuple[str, int, str], deque[float]] = field(default_factory=dict)
    blocked: dict[tuple[str, int, str], float] = field(default_factory=dict)

    def blocked_for(self, key: tuple[str, int, str], now: float) -> float:
        """Seconds the app is still blocked on this endpoint (0: not blocked)."""
        return max(0.0, self.blocked.get(key, 0.0) - now)

    def record_error(self, key: tuple[str, int, str], now: float) -> None:
        """Count an error answer; past the budget, block the endpoint."""
        times = self.errors.setdefault(key, deque())
        times.append(now)
        while times and times[0] <= now - self.config.error_window_seconds:
            times.popleft()
        if len(times) > self.config.error_budget:
            self.blocked[key] = now + self.config.block_seconds
