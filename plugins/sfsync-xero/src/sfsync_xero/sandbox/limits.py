"""Xero's rate limits on the toolkit's :class:`~sfsync.sandbox.limits.RateLimits`: per app and
organisation 5 calls at once, 5,000 a day (1,000 for a starter app) and 60 a minute; per app
10,000 a minute. Rolling windows on the sandbox's clock; every answer says what is left
(``X-DayLimit-Remaining``, ``X-MinLimit-Remaining``, ``X-AppMinLimit-Remaining``), a refusal which
limit it hit (``X-Rate-Limit-Problem``) and when to come back (``Retry-After``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sfsync.sandbox.limits import Concurrent, Quota, RateLimits, Verdict
from sfsync.sandbox.responses import exact
from starlette.requests import Request
from starlette.responses import Response

if TYPE_CHECKING:
    from sfsync_xero.sandbox import XeroSandbox

STARTER_DAY_LIMIT = 1000
_HEADER = {"day": "X-DayLimit-Remaining", "day-starter": "X-DayLimit-Remaining", "minute": "X-MinLimit-Remaining",
           "appminute": "X-AppMinLimit-Remaining"}


def headers(verdict: Verdict) -> dict[str, str]:
    """What is left of each limit that applied."""
    return {_HEADER[s.limit.name]: str(s.remaining) for s in verdict.states if s.limit.name in _HEADER}


def problem_name(verdict: Verdict) -> str:
    """The ``X-Rate-Limit-Problem`` of a refusal: ``concurrent``, ``day``, ``minute`` or ``appminute``."""
    assert verdict.breached is not None
    return verdict.breached.limit.name.removesuffix("-starter")


def _refused(verdict: Verdict) -> Response:
    return exact(b"", 429, {**headers(verdict), "Retry-After": str(verdict.retry_after),
                            "X-Rate-Limit-Problem": problem_name(verdict)})


def limit_list(sandbox: XeroSandbox) -> list[Quota | Concurrent]:
    """The limits as the sandbox's knobs (``minute_limit``…) stand now, checked in Xero's order."""
    return [
        Concurrent("concurrent", sandbox.concurrent_limit, scope="tenant"),
        Quota("day", sandbox.day_limit, 86_400, scope="advanced", window="sliding"),
        Quota("day-starter", min(sandbox.day_limit, STARTER_DAY_LIMIT), 86_400, scope="starter", window="sliding"),
        Quota("minute", sandbox.minute_limit, 60, scope="tenant", window="sliding"),
        Quota("appminute", sandbox.app_minute_limit, 60, scope="app", window="sliding"),
    ]


def xero_limits(sandbox: XeroSandbox) -> RateLimits:
    """The limiter, keyed by the bearer's app and the ``Xero-Tenant-Id`` header."""
    identity = sandbox.identity

    def app(request: Request) -> str | None:
        token, _ = identity.bearer(request.headers.get("authorization"))
        return token.grant.client.client_id if token is not None else None

    def tenant(request: Request) -> str | None:
        client = app(request)
        return f"{client}:{request.headers.get('xero-tenant-id', '')}" if client else None

    def of_tier(tier: str) -> Callable[[Request], str | None]:
        def key(request: Request) -> str | None:
            client = app(request)
            return tenant(request) if client and identity.tiers.get(client) == tier else None

        return key

    scopes = {"tenant": tenant, "app": app, "advanced": of_tier("advanced"), "starter": of_tier("starter")}
    return RateLimits(limit_list(sandbox), clock=sandbox.clock, scopes=scopes, headers=headers, refused=_refused)
