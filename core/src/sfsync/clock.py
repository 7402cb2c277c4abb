"""Time as the runner and sandboxes see it: real, or scaled for tests and demos."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

__all__ = ["Clock", "FakeClock", "ScaledClock", "stamped_within"]


class Clock:
    """Wall-clock time and sleeping; the default is real time."""

    def now(self) -> dt.datetime:
        """The current time, timezone-aware (UTC)."""
        return dt.datetime.now(dt.UTC)

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin, never going back."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds``."""
        if seconds > 0:
            await asyncio.sleep(seconds)


class ScaledClock(Clock):
    """Real time sped up: ``factor=60`` makes a minutely limit pass in a second."""

    def __init__(self, factor: float) -> None:
        self.factor = factor
        self._origin_wall = dt.datetime.now(dt.UTC)
        self._origin = time.monotonic()

    def monotonic(self) -> float:
        return (time.monotonic() - self._origin) * self.factor

    def now(self) -> dt.datetime:
        return self._origin_wall + dt.timedelta(seconds=self.monotonic())

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            await asyncio.sleep(seconds / self.factor)


class FakeClock(Clock):
    """A clock that only moves when told to or when slept on (tests): sleeping costs no time."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self._now = start or dt.datetime(2026, 1, 15, 2, 0, tzinfo=dt.UTC)
        self._mono = 0.0
        self.slept: list[float] = []

    def now(self) -> dt.datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        """Move time forward without sleeping."""
        self._now += dt.timedelta(seconds=seconds)
        self._mono += seconds

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.slept.append(seconds)
            # At least a microsecond: datetimes hold no less, and a shorter sleep would leave a
            # waiter (the rate limiter) looking at the same instant for ever.
            self.advance(max(seconds, 1e-6))
        await asyncio.sleep(0)


def stamped_within(stamp: object, now: dt.datetime, age: dt.timedelta) -> bool:
    """Whether ``stamp`` (an ISO time a connector kept in its connection state) is at most ``age``
    before ``now``.

    A stamp that is not an ISO time, or lies in the future (a clock put back), counts as stale, so
    what it dates is read again rather than trusted.
    """
    try:
        when = dt.datetime.fromisoformat(str(stamp))
    except ValueError:
        return False
    return dt.timedelta(0) <= now - when < age
