"""Sage's rate limits, declared on the toolkit's (:mod:`sfsync.sandbox.limits`): calls per
business per fixed minute and per day.

Sage's own v3.1 numbers are UNVERIFIED (see :mod:`sfsync_sage.facts`); the defaults are the
reported 100 a minute and 2,500 a day per business. A refused call answers 429 with Sage's error
array and a ``Retry-After`` of the seconds left in the window (whether Sage sends Retry-After is
UNVERIFIED). Sage documents no remaining-calls headers, so none are sent. The OAuth host and
``/businesses`` (the user's, not a business's) are not counted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sfsync.clock import Clock
from sfsync.sandbox.limits import Quota, RateLimits, Verdict
from starlette.requests import Request
from starlette.responses import Response

from sfsync_sage.facts import DAILY_LIMIT, MINUTE_LIMIT
from sfsync_sage.sandbox.wire import error_response

__all__ = ["LimitConfig", "sage_limits"]


@dataclass
class LimitConfig:
    """Knobs; ``window_seconds`` shortens the "minute" (time-scaled limits)."""

    per_minute: int = MINUTE_LIMIT
    per_day: int = DAILY_LIMIT
    window_seconds: float = 60.0


def _too_many(verdict: Verdict) -> Response:
    return error_response(429, "TooManyRequests", "Too many requests, please slow down.",
                          headers={"Retry-After": str(verdict.retry_after)})


def sage_limits(config: LimitConfig, clock: Clock, lead: Callable[[], str]) -> RateLimits:
    """The limits, keyed by the request's ``X-Business`` (absent: the lead business)."""

    def business(request: Request) -> str | None:
        path = request.url.path
        if not path.startswith("/v3.1/") or path.startswith("/v3.1/businesses"):
            return None
        return request.headers.get("x-business") or lead()

    return RateLimits(
        [Quota("minute", config.per_minute, config.window_seconds, scope="business"),
         Quota("day", config.per_day, 86_400, scope="business")],
        clock=clock, scopes={"business": business}, refused=_too_many,
    )
