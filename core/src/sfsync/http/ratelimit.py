"""Rate limiting per credential: declared windows plus what the package's headers say.

A firm-level connection is shared by hundreds of dossiers, so budgets are kept per *credential*
(the limiter key: a connection, or a connection and an Exact division), never per dossier. The
backend holds the state: :class:`InMemoryLimiterBackend` for one process; a shared backend
(Redis, in ``sfsync.celery``) makes the same limits hold across workers and machines.
Times are wall-clock epoch seconds so that every process agrees on them.
"""

from __future__ import annotations

import asyncio
import collections
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import httpx

__all__ = ["InMemoryLimiterBackend", "LimiterBackend", "RateLimitPolicy", "RateWindow", "WindowState"]


@dataclass(frozen=True)
class RateWindow:
    """A limit of ``limit`` calls per ``seconds`` (``minutely``: 60 per 60).

    ``fixed``: the package counts calls per fixed window that turns over all at once (Exact's
    minutely and daily limits), so after the reset its headers announced the whole budget is back.
    Otherwise the window slides: a reset frees only the oldest call.
    """

    name: str
    limit: int
    seconds: float
    fixed: bool = False


@dataclass(frozen=True)
class WindowState:
    """What a response's headers say of one window: calls left, and when it resets."""

    name: str
    remaining: int
    reset_at: float
    limit: int | None = None


HeaderParser = Callable[[httpx.Response, float], Sequence[WindowState]]
KeyFunction = Callable[[httpx.Request], str | None]


@dataclass(frozen=True)
class RateLimitPolicy:
    """A package's limits, as its connector declares them.

    Attributes:
        windows: The documented limits (minutely, daily…) per limiter key.
        parse_headers: Reads the package's remaining/reset headers from a response (at ``now``),
            so the limiter stops *before* a 429 instead of after it.
        key_suffix: Narrows the credential key per request (Exact limits per division).
        max_wait: A wait longer than this is not slept: the run stops with
            :class:`~sfsync.errors.BudgetExhausted` and resumes when the budget is back.
        notes: Human text for the docs (what the limits are, where they come from).
    """

    windows: tuple[RateWindow, ...] = ()
    parse_headers: HeaderParser | None = None
    key_suffix: KeyFunction | None = None
    max_wait: float = 900.0
    notes: str = ""


class LimiterBackend(Protocol):
    """Where limiter state lives. Implementations must be safe for concurrent callers."""

    async def reserve(self, key: str, windows: Sequence[RateWindow], now: float) -> float:
        """Take one call from every window of ``key`` and return 0, or return the seconds to wait
        (taking nothing) when a window is spent or the key is paused. A window the package's
        headers reported on (same name, not yet reset) is governed by that report, not by the
        sliding log of calls."""
        ...

    async def observe(self, key: str, states: Sequence[WindowState], now: float) -> None:
        """Record what the package's headers say about ``key``'s windows."""
        ...

    async def pause(self, key: str, until: float) -> None:
        """Hold every call on ``key`` until ``until`` (a ``Retry-After``)."""
        ...


@dataclass
class _KeyState:
    calls: dict[str, collections.deque[float]] = field(default_factory=dict)
    known: dict[str, WindowState] = field(default_factory=dict)
    paused_until: float = 0.0


def _rolled_over(reported: WindowState, window: RateWindow, now: float) -> WindowState:
    periods = max(1, math.ceil((now - reported.reset_at) / window.seconds)) if window.seconds > 0 else 1
    limit = reported.limit or window.limit
    return WindowState(window.name, limit, reported.reset_at + periods * window.seconds, limit)


class InMemoryLimiterBackend:
    """Limiter state in this process (the embedded default)."""

    def __init__(self) -> None:
        self._keys: dict[str, _KeyState] = collections.defaultdict(_KeyState)
        self._lock = asyncio.Lock()

    async def reserve(self, key: str, windows: Sequence[RateWindow], now: float) -> float:
        async with self._lock:
            state = self._keys[key]
            wait = max(0.0, state.paused_until - now)
            for window in windows:
                calls = state.calls.setdefault(window.name, collections.deque())
                while calls and calls[0] <= now - window.seconds:
                    calls.popleft()
                reported = state.known.get(window.name)
                if reported is not None and reported.reset_at <= now:
                    if window.fixed:
                        # The package's fixed window has turned over since it reported: a new one
                        # starts with its full budget, until the next response says otherwise.
                        state.known[window.name] = reported = _rolled_over(reported, window, now)
                    else:
                        # A sliding window's reset frees only its oldest call: our log governs.
                        del state.known[window.name]
                        reported = None
                if reported is not None:
                    # The package's own count governs this window until it resets (a fixed
                    # window resets before a sliding log of our calls would allow the next one).
                    continue
                if len(calls) >= window.limit:
                    wait = max(wait, calls[0] + window.seconds - now)
            for known in state.known.values():
                if known.remaining <= 0 and known.reset_at > now:
                    wait = max(wait, known.reset_at - now)
            if wait > 0:
                return wait
            for window in windows:
                state.calls[window.name].append(now)
            for name, known in list(state.known.items()):
                if known.reset_at <= now:
                    del state.known[name]
                else:
                    state.known[name] = WindowState(name, known.remaining - 1, known.reset_at, known.limit)
            return 0.0

    async def observe(self, key: str, states: Sequence[WindowState], now: float) -> None:
        async with self._lock:
            known = self._keys[key].known
            for item in states:
                current = known.get(item.name)
                # A late answer must not undo newer knowledge: an older window's report is
                # dropped, and of two reports on one window the lower count of calls left is kept.
                if current is not None and (
                    item.reset_at < current.reset_at
                    or (item.reset_at == current.reset_at and item.remaining > current.remaining)
                ):
                    continue
                known[item.name] = item

    async def pause(self, key: str, until: float) -> None:
        async with self._lock:
            state = self._keys[key]
            state.paused_until = max(state.paused_until, until)
