"""Sage's limits per business, declared (Sage sends no remaining-calls headers) and configurable.

Calls are counted per app and business: the connector keys its client by the app's client id and
:func:`business_of` narrows the key to the ``X-Business`` of each request, so every connection and
worker of one app shares one budget per business. The defaults are the reported 100 a minute and
2,500 a day (UNVERIFIED, :mod:`sfsync_sage.facts`); set ``SFSYNC_SAGE_PER_MINUTE`` and
``SFSYNC_SAGE_PER_DAY`` (or pass them to :class:`~sfsync_sage.connector.SageConnector`) when Sage
gives an app other figures. A 429's ``Retry-After`` pauses the whole business.
"""

from __future__ import annotations

import os

import httpx
from sfsync.errors import ConfigurationError
from sfsync.http.ratelimit import RateLimitPolicy, RateWindow

from sfsync_sage.facts import DAILY_LIMIT, MINUTE_LIMIT

__all__ = ["business_of", "configured_limits", "sage_rate_limits"]


def business_of(request: httpx.Request) -> str | None:
    """The business a request is counted against (``None`` for ``/businesses`` and OAuth)."""
    business = request.headers.get("X-Business")
    return f"business-{business}" if business else None


def _positive(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise ConfigurationError(f"{name} must be a positive whole number of calls, not {raw!r}")
    return value


def configured_limits() -> tuple[int, int]:
    """(per minute, per day) from the environment, else the defaults."""
    return _positive("SFSYNC_SAGE_PER_MINUTE", MINUTE_LIMIT), _positive("SFSYNC_SAGE_PER_DAY", DAILY_LIMIT)


def sage_rate_limits(per_minute: int, per_day: int, *, window_seconds: float = 60.0) -> RateLimitPolicy:
    """The policy for these limits (``window_seconds`` shortens the minute, for tests)."""
    return RateLimitPolicy(
        windows=(
            RateWindow("minute", per_minute, window_seconds, fixed=True),
            RateWindow("day", per_day, 86_400.0, fixed=True),
        ),
        key_suffix=business_of,
        max_wait=900.0,
        notes=(
            f"{per_minute} calls a minute and {per_day:,} a day per business (Sage's figures are "
            "not published for v3.1; set SFSYNC_SAGE_PER_MINUTE / SFSYNC_SAGE_PER_DAY); "
            "a 429's Retry-After is honoured."
        ),
    )
