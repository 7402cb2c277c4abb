"""Octopus's limits as the shared limiter applies them: a daily quota per endpoint and dossier.

The figure is assumed (:data:`sfsync_octopus.assumed.DAILY_CALLS_PER_ENDPOINT`); the key is the
same as the sandbox's (:func:`sfsync_octopus.quotas.quota_key`), so every worker of a firm shares
one count per endpoint and dossier. A spent quota ends the run cleanly (``BudgetExhausted``) and
the dossier resumes from its checkpoint the next day.
"""

from __future__ import annotations

import httpx
from sfsync.http import RateLimitPolicy, RateWindow

from sfsync_octopus.assumed import CONCURRENT_CONNECTIONS, DAILY_CALLS_PER_ENDPOINT
from sfsync_octopus.quotas import quota_key

__all__ = ["octopus_rate_limits"]


def _per_endpoint(request: httpx.Request) -> str:
    return quota_key(request.method, request.url.path)


def octopus_rate_limits(daily: int = DAILY_CALLS_PER_ENDPOINT) -> RateLimitPolicy:
    """The policy: ``daily`` calls a day per endpoint and dossier, counted in UTC days."""
    return RateLimitPolicy(
        windows=(RateWindow("daily per endpoint", daily, 86400.0, fixed=True),),
        key_suffix=_per_endpoint,
        notes=(
            f"Octopus counts calls per endpoint and day; sfsync keeps to {daily:,} a day per endpoint and "
            f"dossier (assumed: the figures are not published). At most {CONCURRENT_CONNECTIONS} calls of one "
            "user may be in flight (assumed); more are refused as ERR_TO_MANY_CONNECTIONS and retried."
        ),
    )
