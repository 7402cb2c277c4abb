"""httpx building blocks for connectors: a managed transport (rate limits, retries, counting),
an OAuth2 auth flow with rotating refresh tokens, paginators with loop detection, and the shared
network side (one TLS context per process, one kept-alive pool per loop) a host gives its runner."""

from sfsync.http.network import SharedNetwork, default_ssl_context
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
    "SharedNetwork",
    "TokenVault",
    "WindowState",
    "check_next_token",
    "default_ssl_context",
    "soap_envelope",
]
