"""e-conomic's limits in the sandbox, per agreement and app: the fair-use budget of 50,000 calls
in 24 hours, and the token bucket that rolled out since December 2025 (rate and burst
UNVERIFIED, see :mod:`.facts`; both configurable). A refusal is 429 with ``Retry-After``."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sfsync.clock import Clock

from sfsync_economic.sandbox.facts import FAIR_USE_PER_DAY, TOKEN_BUCKET_BURST, TOKEN_BUCKET_RATE


@dataclass
class _Bucket:
    tokens: float
    at: float
    day: int = -1
    used_today: int = 0


@dataclass
class EconomicLimits:
    """Counts calls per key (agreement and app) on the sandbox's clock."""

    clock: Clock
    rate: float = TOKEN_BUCKET_RATE
    burst: int = TOKEN_BUCKET_BURST
    per_day: int = FAIR_USE_PER_DAY
    enabled: bool = True
    refusals: int = 0
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    def take(self, key: str) -> tuple[float, str] | None:
        """Count one call; ``None`` when it may pass, else (seconds to wait, which limit)."""
        if not self.enabled:
            return None
        now = self.clock.now().timestamp()
        bucket = self._buckets.setdefault(key, _Bucket(float(self.burst), now))
        day = int(now // 86400)
        if bucket.day != day:  # the fair-use day turns at 00:00 UTC (UNVERIFIED: a rolling 24 h)
            bucket.day, bucket.used_today = day, 0
        if bucket.used_today >= self.per_day:
            self.refusals += 1
            return (day + 1) * 86400 - now, "fair-use"
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now
        if bucket.tokens < 1:
            self.refusals += 1
            return max(1.0, math.ceil((1 - bucket.tokens) / self.rate)), "rate"
        bucket.tokens -= 1
        bucket.used_today += 1
        return None

    def remaining_today(self, key: str) -> int:
        bucket = self._buckets.get(key)
        return self.per_day - (bucket.used_today if bucket else 0)
