"""Rate limits and quotas as packages apply them, on the sandbox's (shared, scalable) clock.

A sandbox declares its package's limits as data::

    limits = RateLimits(
        [Quota("minute", 60, 60), Quota("day", 5000, 86400), Concurrent("concurrent", 5)],
        clock=self.clock,
        scopes={"company": lambda request: request.path_params.get("division")},
        headers=exact_headers,        # the package's own X-RateLimit-… headers
        refused=exact_429,            # and its 429 body
    )

Each :class:`Quota` counts calls per key in a window: ``fixed`` windows are aligned to the epoch
(a day's window turns at 00:00 UTC, a minute's on the minute) as most packages count;
``sliding`` ones count the last ``seconds``. A :class:`Concurrent` limit counts requests in
flight. The key is a *scope*: ``credential`` (the request's ``Authorization`` or API-key header,
hashed) by default, or any scope the sandbox names with a function of the request (``company``,
``app``…); a request a scope gives no key for is not counted by that limit. A refused request is
not counted, unless the quota says ``count_refused`` (Yuki counts every call). A quota with a
``timezone`` counts calendar days there (Yuki's day turns at midnight in Amsterdam).

A sandbox that knows the key only after reading the body (a SOAP session, an RPC's database) calls
:meth:`RateLimits.take_keys` with the keys instead of a request; :meth:`RateLimits.set_limit`
changes a limit (for every key, or one) and :meth:`RateLimits.used` reads what was counted.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import math
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response

from sfsync.sandbox.asgi import ASGIApp, Receive, Scope, Send
from sfsync.sandbox.responses import json_response

if TYPE_CHECKING:
    from sfsync.clock import Clock

__all__ = ["Concurrent", "LimitState", "Quota", "RateLimits", "Verdict", "by_credential"]


@dataclass(frozen=True)
class Quota:
    """At most ``limit`` calls per ``seconds`` per key of ``scope``."""

    name: str
    limit: int
    seconds: float
    scope: str = "credential"
    window: str = "fixed"
    """``fixed`` (aligned to the epoch: days turn at 00:00 UTC) or ``sliding``."""
    timezone: str | None = None
    """With a ``fixed`` window of 86400 seconds: days turn at midnight in this zone (DST kept)."""
    count_refused: bool = False
    """A refused call counts too (the package counts every call it answers)."""


@dataclass(frozen=True)
class Concurrent:
    """At most ``limit`` requests in flight per key of ``scope``."""

    name: str
    limit: int
    scope: str = "credential"


@dataclass(frozen=True)
class LimitState:
    """Where one limit stands for one request's key, after the request was counted."""

    limit: Quota | Concurrent
    key: str
    used: int
    remaining: int
    reset_at: float | None
    """Epoch seconds when the window turns (``None`` for a concurrency limit)."""

    def reset_in(self, now: float) -> float:
        """Seconds until the window turns (0 for a concurrency limit)."""
        return 0.0 if self.reset_at is None else max(0.0, self.reset_at - now)


@dataclass(frozen=True)
class Verdict:
    """Whether a request may pass, with every limit's state for the package's headers."""

    allowed: bool
    states: tuple[LimitState, ...]
    breached: LimitState | None
    now: float

    @property
    def retry_after(self) -> int:
        """Whole seconds until the breached limit frees up (at least 1)."""
        if self.breached is None:
            return 0
        return max(1, math.ceil(self.breached.reset_in(self.now)))

    def state(self, name: str) -> LimitState | None:
        """The state of the limit called ``name``, if it applied."""
        return next((s for s in self.states if s.limit.name == name), None)


def by_credential(request: Request) -> str | None:
    """The request's credential (``Authorization``, ``X-Api-Key`` or ``Api-Key`` header) as a key;
    hashed, so no secret is kept in the limiter."""
    for header in ("authorization", "x-api-key", "api-key"):
        value = request.headers.get(header)
        if value:
            return hashlib.sha256(value.encode()).hexdigest()[:16]
    return None


def _default_refused(verdict: Verdict) -> Response:
    assert verdict.breached is not None
    name = verdict.breached.limit.name
    return json_response(
        {"error": "rate_limited", "message": f"The {name} limit is reached; retry in {verdict.retry_after} s."},
        429, {"Retry-After": str(verdict.retry_after)},
    )


@dataclass
class _Window:
    start: float = -1.0
    count: int = 0
    times: deque[float] = field(default_factory=deque)


class RateLimits:
    """The limits of one sandbox, as ASGI middleware (:meth:`wrap`) or called per request."""

    def __init__(
        self,
        limits: Sequence[Quota | Concurrent],
        *,
        clock: Clock,
        scopes: dict[str, Callable[[Request], str | None]] | None = None,
        headers: Callable[[Verdict], dict[str, str]] | None = None,
        refused: Callable[[Verdict], Response] | None = None,
    ) -> None:
        """Apply ``limits`` on ``clock``.

        Args:
            limits: The quotas and concurrency limits, checked in order.
            clock: The sandbox's clock.
            scopes: Key functions by scope name, beside ``credential``.
            headers: The package's rate-limit headers for a verdict (added to every answer that
                passed, and to refusals built by the default ``refused``).
            refused: The package's answer to a breach (default: 429 JSON with ``Retry-After``).
        """
        self.limits = list(limits)
        self.clock = clock
        self.scopes: dict[str, Callable[[Request], str | None]] = {"credential": by_credential, **(scopes or {})}
        self.headers = headers
        self.refused = refused or _default_refused
        self.refusals = 0
        self._windows: dict[tuple[str, str], _Window] = {}
        self._in_flight: dict[tuple[str, str], int] = {}
        self._limit_for: dict[tuple[str, str], int] = {}

    def set_limit(self, name: str, limit: int, key: str | None = None) -> None:
        """Change the limit called ``name``: for every key, or for ``key`` only (counts are kept)."""
        if key is not None:
            self._limit_for[(name, key)] = limit
            return
        self.limits = [dataclasses.replace(lim, limit=limit) if lim.name == name else lim for lim in self.limits]

    def _limit(self, limit: Quota | Concurrent, key: str) -> int:
        return self._limit_for.get((limit.name, key), limit.limit)

    def limit_of(self, name: str, key: str) -> int:
        """The limit called ``name`` as it stands for ``key``."""
        return self._limit(next(lim for lim in self.limits if lim.name == name), key)

    def used(self, name: str, key: str | None = None) -> int:
        """What the quota ``name`` counted in its current window, for ``key`` or for all keys."""
        quota = next(lim for lim in self.limits if lim.name == name and isinstance(lim, Quota))
        now = self.clock.now().timestamp()
        keys = [k for (n, k) in self._windows if n == name and (key is None or k == key)]
        return sum(self._quota_state(quota, k, now, count=False).used for k in keys)
    def reset(self) -> None:
        """Forget every count (a new day for the tests)."""
        self._windows.clear()
        self._in_flight.clear()

    def _quota_state(self, quota: Quota, key: str, now: float, *, count: bool, cost: int = 1) -> LimitState:
        window = self._windows.setdefault((quota.name, key), _Window())
        if quota.window == "sliding":
            while window.times and window.times[0] <= now - quota.seconds:
                window.times.popleft()
            if count:
                window.times.extend([now] * cost)
            used = len(window.times)
            reset_at = (window.times[0] if window.times else now) + quota.seconds
        else:
            start, reset_at = _fixed_window(quota, now)
            if start != window.start:
                window.start, window.count = start, 0
            if count:
                window.count += cost
            used = window.count
        return LimitState(quota, key, used, max(0, self._limit(quota, key) - used), reset_at)

    def take(self, request: Request) -> Verdict:
        """Count ``request`` against every limit that has a key for it, unless one refuses it
        (then nothing is counted). A passed request holds its concurrency slots until
        :meth:`release`."""
        return self.take_keys({scope: key(request) for scope, key in self.scopes.items()})

    def take_keys(self, keys: Mapping[str, str | None], *, cost: int = 1) -> Verdict:
        """:meth:`take` with each scope's key given (``None`` or absent: not counted by it); a call
        may cost more than one (Twinfield's credits: a write costs 3), on the quotas only."""
        now = self.clock.now().timestamp()
        keyed = [(limit, keys.get(limit.scope)) for limit in self.limits]
        keyed = [(limit, key) for limit, key in keyed if key is not None]
        for limit, key in keyed:
            assert key is not None
            if isinstance(limit, Concurrent):
                held = self._in_flight.get((limit.name, key), 0)
                if held >= self._limit(limit, key):
                    state = LimitState(limit, key, held, 0, None)
                    return self._refuse(state, keyed, now)
            else:
                state = self._quota_state(limit, key, now, count=False)
                if state.used + cost > self._limit(limit, key):
                    if limit.count_refused:
                        self._quota_state(limit, key, now, count=True, cost=cost)
                    return self._refuse(state, keyed, now)
        states = []
        for limit, key in keyed:
            assert key is not None
            if isinstance(limit, Concurrent):
                held = self._in_flight.get((limit.name, key), 0) + 1
                self._in_flight[(limit.name, key)] = held
                states.append(LimitState(limit, key, held, self._limit(limit, key) - held, None))
            else:
                states.append(self._quota_state(limit, key, now, count=True, cost=cost))
        return Verdict(True, tuple(states), None, now)

    def _refuse(self, breached: LimitState, keyed: list[tuple[Quota | Concurrent, str | None]], now: float) -> Verdict:
        self.refusals += 1
        states = []
        for limit, key in keyed:
            assert key is not None
            if isinstance(limit, Concurrent):
                held = self._in_flight.get((limit.name, key), 0)
                states.append(LimitState(limit, key, held, max(0, self._limit(limit, key) - held), None))
            else:
                states.append(self._quota_state(limit, key, now, count=False))
        return Verdict(False, tuple(states), breached, now)

    def release(self, verdict: Verdict) -> None:
        """Give back the concurrency slots a passed request held."""
        for state in verdict.states:
            if isinstance(state.limit, Concurrent):
                slot = (state.limit.name, state.key)
                self._in_flight[slot] = max(0, self._in_flight.get(slot, 0) - 1)

    def refusal(self, verdict: Verdict) -> Response:
        """The package's answer to a refused request."""
        response = self.refused(verdict)
        if self.headers is not None and self.refused is _default_refused:
            for name, value in self.headers(verdict).items():
                response.headers[name] = value
        return response

    def wrap(self, app: ASGIApp) -> ASGIApp:
        """``app`` behind these limits, with the package's headers on every answer that passed."""

        async def limited(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            verdict = self.take(Request(scope))
            if not verdict.allowed:
                await self.refusal(verdict)(scope, receive, send)
                return
            extra = (
                [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in self.headers(verdict).items()]
                if self.headers is not None and verdict.states else []
            )

            async def with_headers(message: dict[str, object] | object) -> None:
                if extra and isinstance(message, dict) and message.get("type") == "http.response.start":
                    message = {**message, "headers": [*message.get("headers", []), *extra]}  # type: ignore[misc]
                await send(message)  # type: ignore[arg-type]

            try:
                await app(scope, receive, with_headers)
            finally:
                self.release(verdict)

        return limited



def _fixed_window(quota: Quota, now: float) -> tuple[float, float]:
    # (start, end) of the window ``now`` falls in: epoch-aligned, or a calendar day in a zone.
    if quota.timezone is None:
        start = math.floor(now / quota.seconds) * quota.seconds
        return start, start + quota.seconds
    zone = ZoneInfo(quota.timezone)
    day = dt.datetime.fromtimestamp(now, zone).date()
    midnight = dt.datetime.combine(day, dt.time(), zone)
    return midnight.timestamp(), dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone).timestamp()
