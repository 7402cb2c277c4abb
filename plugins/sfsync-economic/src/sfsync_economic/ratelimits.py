"""e-conomic's limits per agreement and app: the fair-use budget of 50,000 calls in 24 hours
(e-conomic.com/developer/fair-use-policy) and the token bucket rolled out since December 2025
(apideck.com/blog/how-to-integrate-with-the-e-conomic-api; its numbers are UNVERIFIED). Both are
configurable: ``SFSYNC_ECONOMIC_RATE`` (calls a second) and ``SFSYNC_ECONOMIC_BURST`` override the
assumed 20 a second in bursts of 40. e-conomic sends no rate headers that are documented;
``Retry-After`` on a 429 is honoured by the core."""

from __future__ import annotations

import os

from sfsync.http.ratelimit import RateLimitPolicy, RateWindow

FAIR_USE_PER_DAY = 50_000
ASSUMED_RATE = 20.0
ASSUMED_BURST = 40


def rate_limits(rate: float | None = None, burst: int | None = None) -> RateLimitPolicy:
    """The policy: the day's budget, and the bucket as a window of ``burst`` calls per
    ``burst / rate`` seconds (which never lets more through than the bucket would)."""
    rate = rate or float(os.environ.get("SFSYNC_ECONOMIC_RATE", ASSUMED_RATE))
    burst = burst or int(os.environ.get("SFSYNC_ECONOMIC_BURST", ASSUMED_BURST))
    # Two calls of head-room: the approval's /self is counted before the agreement (the key) is
    # known, and e-conomic counts on its side of the network.
    room = max(1, burst - 2)
    return RateLimitPolicy(
        windows=(RateWindow("bucket", room, room / rate), RateWindow("fair-use day", FAIR_USE_PER_DAY, 86400.0, fixed=True)),
        notes=(f"Per agreement and app: fair use of {FAIR_USE_PER_DAY:,} calls in 24 hours; a token bucket assumed at "
               f"{rate:g} calls/second in bursts of {burst} (UNVERIFIED: set SFSYNC_ECONOMIC_RATE and "
               "SFSYNC_ECONOMIC_BURST). A 429's Retry-After is waited out."),
    )


RATE_LIMITS = rate_limits()
