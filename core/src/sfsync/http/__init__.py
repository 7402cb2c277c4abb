"""httpx building blocks for connectors: a managed transport (rate limits, retries, counting),
an OAuth2 auth flow with rotating refresh tokens, and paginators with loop detection."""

from sfsync.http.oauth2 import OAuth2Auth, TokenVault
from sfsync.http.pagination import PageLoopError, check_next_token
from sfsync.http.ratelimit import (
    InMemoryLimiterBackend,
    LimiterBackend,
    RateLimitPolicy,
    RateWindow,
    WindowState,
)
from sfsync.http.transport import ManagedTransport, RequestStats, RetryPolicy, soap_envelope

__all__ = [
    "InMemoryLimiterBackend",
    "LimiterBackend",
    "ManagedTransport",
    "OAuth2Auth",
    "PageLoopError",
    "RateLimitPolicy",
    "RateWindow",
    "RequestStats",
    "RetryPolicy",
    "TokenVault",
    "WindowState",
    "check_next_token",
    "soap_envelope",
]
