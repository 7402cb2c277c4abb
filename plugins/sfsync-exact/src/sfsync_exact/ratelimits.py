"""Exact Online's rate limits (reference §8), as a core :class:`RateLimitPolicy`.

Limits hold per (app, division): the connector keys its clients by the app's client id
(``limit_key``) and :func:`division_of` narrows the key to the division in the URL path, so every
connection of one app shares one budget per division, as Exact counts it. Exact's headers say
what is left and when it resets (epoch milliseconds); the limiter takes one call off per request
and holds back when nothing is left, so it stops *before* a 429. When the
minute is spent Exact sends only the minutely headers; when the day is spent, the wait is longer
than the policy's ``max_wait`` and the run stops with ``BudgetExhausted`` until the reset.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import httpx
from sfsync.http.ratelimit import RateLimitPolicy, RateWindow, WindowState

__all__ = ["DOCUMENTED_WINDOWS", "EXACT_RATE_LIMITS", "division_of", "parse_rate_headers"]

DOCUMENTED_WINDOWS = (RateWindow("minutely", 60, 60.0), RateWindow("daily", 5000, 86_400.0))

_DIVISION = re.compile(r"^/api/v1/(\d+)/")


def division_of(request: httpx.Request) -> str | None:
    """The division a request is counted against (``None`` for ``current/Me`` and OAuth)."""
    match = _DIVISION.match(request.url.path)
    return f"division-{match.group(1)}" if match else None


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def parse_rate_headers(response: httpx.Response, now: float) -> Sequence[WindowState]:
    """``X-RateLimit-*`` (daily) and ``X-RateLimit-Minutely-*`` → window states (resets in ms)."""
    states = []
    for name, prefix in (
        ("exact-daily", "X-RateLimit-"),
        ("exact-minutely", "X-RateLimit-Minutely-"),
    ):
        remaining = _int(response.headers.get(f"{prefix}Remaining"))
        reset_ms = _int(response.headers.get(f"{prefix}Reset"))
        if remaining is None or reset_ms is None:
            continue  # minutely-only headers after a spent minute: the daily state stays as known
        states.append(
            WindowState(
                name, remaining, reset_ms / 1000.0, _int(response.headers.get(f"{prefix}Limit"))
            )
        )
    return states


EXACT_RATE_LIMITS = RateLimitPolicy(
    # No declared windows: Exact's figures differ per plan (60 or 100 a minute circulate) and its
    # headers say what holds, so the limiter follows them (reference §8: "read the limit from the
    # headers instead of hard-coding"). DOCUMENTED_WINDOWS records the usual values.
    windows=(),
    parse_headers=parse_rate_headers,
    key_suffix=division_of,
    max_wait=900.0,
    notes=(
        "60 calls a minute and 5,000 a day per app and division, read from Exact's X-RateLimit-* "
        "headers; at most 10 error answers per endpoint an hour."
    ),
)
