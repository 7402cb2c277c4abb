"""Octopus's limits in the sandbox: a daily quota per endpoint and dossier, and at most a few
requests in flight per user (more is ERR_TO_MANY_CONNECTIONS, −51, its own error).

Both the numbers and the answers are assumed (:mod:`sfsync_octopus.assumed`); the endpoints
counted are :func:`sfsync_octopus.quotas.quota_key`'s.
"""

from __future__ import annotations

import datetime as dt
import math

from sfsync.clock import Clock
from sfsync.sandbox.limits import Concurrent, Quota, RateLimits, Verdict
from sfsync.sandbox.responses import json_response
from sfsync.sandbox.routing import Request, Response

from sfsync_octopus.assumed import (
    CONCURRENT_CONNECTIONS,
    DAILY_CALLS_PER_ENDPOINT,
    ERROR_DAILY_QUOTA,
    STATUS_TOO_MANY_CONNECTIONS,
)
from sfsync_octopus.facts import AUTH_TOKEN_HEADER, DOSSIER_TOKEN_HEADER
from sfsync_octopus.quotas import quota_key
from sfsync_octopus.sandbox import wire

__all__ = ["octopus_limits"]


def _user(request: Request) -> str | None:
    # One user behind every token of the sandbox: its connections are counted together.
    has_token = request.headers.get(AUTH_TOKEN_HEADER) or request.headers.get(DOSSIER_TOKEN_HEADER)
    return "user" if has_token else None


def _endpoint(request: Request) -> str | None:
    return quota_key(request.method, request.url.path)


def _refused(verdict: Verdict) -> Response:
    assert verdict.breached is not None
    if verdict.breached.limit.name == "connections":
        return json_response(wire.error(-51, "ERR_TO_MANY_CONNECTIONS: too many simultaneous connections"),
                             STATUS_TOO_MANY_CONNECTIONS)
    endpoint = verdict.breached.key.split(":", 1)[-1]
    now = dt.datetime.fromtimestamp(verdict.now, dt.UTC)
    midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), dt.UTC)
    wait = max(1, math.ceil((midnight - now).total_seconds()))
    return json_response(wire.error(ERROR_DAILY_QUOTA, f"Daily quota of {endpoint} exceeded"), 429,
                         {"Retry-After": str(wait)})


def octopus_limits(clock: Clock, *, daily_calls: int | None = None) -> RateLimits:
    """The sandbox's limits; ``daily_calls`` overrides the assumed daily quota per endpoint."""
    return RateLimits(
        [Concurrent("connections", CONCURRENT_CONNECTIONS, scope="user"),
         Quota("daily", daily_calls or DAILY_CALLS_PER_ENDPOINT, 86400, scope="endpoint")],
        clock=clock, scopes={"user": _user, "endpoint": _endpoint}, refused=_refused,
    )
