"""Business Central's per-user limits, declared for the core's shared limiter.

6,000 requests in any 5-minute window per user (``operational-limits-online.md``): the client
keys its limiter by the user (the Entra user who connected, or BoCount's web-service user), so
every dossier and worker on one connection shares one budget. Business Central sends no
remaining-requests headers; a 429's ``Retry-After``, when there is one, pauses the user, and a
429 without one is retried with backoff. The five requests in flight per user are kept by the
client (:mod:`sfsync_businesscentral.client`).
"""

from __future__ import annotations

from sfsync.http.ratelimit import RateLimitPolicy, RateWindow

from sfsync_businesscentral.facts import CONCURRENT, WINDOW_REQUESTS, WINDOW_SECONDS

__all__ = ["bc_rate_limits"]


def bc_rate_limits(per_window: int = WINDOW_REQUESTS, window_seconds: float = WINDOW_SECONDS) -> RateLimitPolicy:
    """The policy (``window_seconds`` shortens the window, for tests)."""
    return RateLimitPolicy(
        windows=(RateWindow("five_minutes", per_window, window_seconds),),
        max_wait=900.0,
        notes=(f"{per_window:,} requests in any {window_seconds / 60:g} minutes and {CONCURRENT} at a time per user "
               "(Business Central's per-user OData limits); a 429's Retry-After is honoured, a 429 without one "
               "is retried with backoff, and 408 and 503 are retried."),
    )
