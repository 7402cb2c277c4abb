"""QuickBooks' throttles, declared on the toolkit's :class:`~sfsync.sandbox.limits.RateLimits`:
per realm and app, 500 requests a minute, 10 a second, 10 at once (developer.intuit.com,
limits-and-throttles; the concurrency cap from Intuit's 2016 blog). Over a limit: HTTP 429 with
a ``ThrottleExceeded`` Fault (code 3001).

UNVERIFIED: whether Intuit sends ``Retry-After`` (its docs say to wait 60 seconds). The sandbox
sends it only when :attr:`QuickbooksLimits.send_retry_after` is set, so the connector is tested
both ways.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sfsync.sandbox.limits import Concurrent, Quota, RateLimits, Verdict
from sfsync.sandbox.responses import json_response
from starlette.requests import Request
from starlette.responses import Response

from sfsync_quickbooks.sandbox import wire

if TYPE_CHECKING:
    from sfsync.clock import Clock

MINUTE_LIMIT = 500
SECOND_LIMIT = 10
CONCURRENT_LIMIT = 10


def _app_and_realm(request: Request) -> str | None:
    # Set by the API's gate once the token is known: Intuit counts per app and company.
    key = getattr(request.state, "limit_key", None)
    return str(key) if key else None


class QuickbooksLimits(RateLimits):
    """The throttles of one sandbox; ``send_retry_after`` adds ``Retry-After`` to a 429."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(
            [
                Quota("minute", MINUTE_LIMIT, 60, scope="app_realm", window="sliding"),
                Quota("second", SECOND_LIMIT, 1, scope="app_realm", window="sliding"),
                Concurrent("concurrent", CONCURRENT_LIMIT, scope="app_realm"),
            ],
            clock=clock,
            scopes={"app_realm": _app_and_realm},
        )
        self.refused = self._throttled
        self.send_retry_after = False
        self.breaches: list[str] = []

    def _throttled(self, verdict: Verdict) -> Response:
        assert verdict.breached is not None
        self.breaches.append(verdict.breached.limit.name)
        body = wire.fault("ThrottlingFault", "3001", "message=ThrottleExceeded; errorCode=003001; statusCode=429",
                          f"The request limit was reached ({verdict.breached.limit.name}).", self.clock.now())
        headers = {"Retry-After": str(verdict.retry_after)} if self.send_retry_after else {}
        return json_response(body, 429, headers, content_type="application/json;charset=UTF-8")
