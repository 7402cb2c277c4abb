"""The transport every connector's client goes through: limits, retries, counting.

It wraps the real transport (the network, or a sandbox mounted in-process) and, for each request:
waits for the credential's rate budget; sends; reads the package's rate headers; turns a 429 into
a pause of the whole credential for ``Retry-After`` seconds (so other dossiers on the same
connection hold back too) and a retry; retries 5xx and timeouts with stamina's backoff; and counts
requests, retries and waits for the run's record.
"""

from __future__ import annotations

import email.utils
import ssl
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import stamina

from sfsync.clock import Clock
from sfsync.errors import AuthError, BudgetExhausted, RateLimited, RetriableError
from sfsync.http.ratelimit import LimiterBackend, RateLimitPolicy

__all__ = ["ManagedTransport", "RequestStats", "RetryPolicy", "parse_retry_after", "soap_envelope"]


@dataclass
class RequestStats:
    """What a run cost: requests sent, retries, rate-limit waits and the time spent waiting."""

    requests: int = 0
    retries: int = 0
    rate_limit_waits: int = 0
    waited_seconds: float = 0.0
    status_counts: Counter[int] = field(default_factory=Counter)


@dataclass(frozen=True)
class RetryPolicy:
    """How transient faults are retried (stamina's exponential backoff with jitter)."""

    attempts: int = 6
    wait_initial: float = 0.2
    wait_max: float = 10.0
    wait_jitter: float = 1.0
    retry_statuses: frozenset[int] = frozenset({500, 502, 503, 504})


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


class ManagedTransport(httpx.AsyncBaseTransport):
    """Rate-limited, retrying, counting transport around ``inner``.

    Args:
        inner: The transport that actually sends (network or a mounted sandbox).
        key: The credential's limiter key (usually the connection id).
        policy: The connector's limits; ``None`` means no declared limits (429s still honoured).
        backend: Where limiter state lives.
        clock: Time source (scaled or fake in tests).
        stats: Where counts are added up.
        retry: The retry policy.
        keeps: For a response whose status is retried: whether it is the package's own answer
            after all, returned instead of retried (a SOAP fault riding on HTTP 500, see
            :func:`soap_envelope`). Anything else with that status — a gateway's page, an empty
            body — is retried, whatever the connector would make of its body.
    """

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        *,
        key: str,
        policy: RateLimitPolicy | None,
        backend: LimiterBackend,
        clock: Clock,
        stats: RequestStats,
        retry: RetryPolicy | None = None,
        keeps: Callable[[httpx.Response], bool] | None = None,
    ) -> None:
        self.inner = inner
        self.keeps = keeps
        self.key = key
        self.policy = policy or RateLimitPolicy()
        self.backend = backend
        self.clock = clock
        self.stats = stats
        self.retry = retry or RetryPolicy()

    def _key_for(self, request: httpx.Request) -> str:
        suffix = self.policy.key_suffix(request) if self.policy.key_suffix else None
        return f"{self.key}/{suffix}" if suffix else self.key

    async def _wait_for_budget(self, key: str, request: httpx.Request) -> None:
        while True:
            now = self.clock.now().timestamp()
            wait = await self.backend.reserve(key, self.policy.windows, now)
            if wait <= 0:
                return
            if wait > self.policy.max_wait:
                resume = self.clock.now().timestamp() + wait
                import datetime as dt

                raise BudgetExhausted(
                    f"the package's rate budget for this connection is spent; it is back in "
                    f"{wait / 60:.0f} minutes, and the sync resumes from its checkpoint then",
                    retry_after=wait,
                    resume_at=dt.datetime.fromtimestamp(resume, dt.UTC),
                    request=request,
                )
            self.stats.rate_limit_waits += 1
            self.stats.waited_seconds += wait
            await self.clock.sleep(wait)

    async def _send_once(self, request: httpx.Request) -> httpx.Response:
        key = self._key_for(request)
        await self._wait_for_budget(key, request)
        self.stats.requests += 1
        try:
            response = await self.inner.handle_async_request(request)
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            refusal = _certificate_refusal(exc)
            if refusal is not None:
                # Not transient: retrying would meet the same certificate. A person must act.
                raise AuthError(
                    f"the server's TLS certificate was refused ({refusal}); trust its CA or pin its "
                    "certificate, then connect again",
                    request=request,
                ) from exc
            # RemoteProtocolError: the connection dropped mid-answer ("peer closed connection
            # without sending complete message body") — as transient as a timeout.
            raise RetriableError(f"the package did not answer ({type(exc).__name__})", request=request) from exc
        self.stats.status_counts[response.status_code] += 1
        now = self.clock.now().timestamp()
        if self.policy.parse_headers is not None:
            states = self.policy.parse_headers(response, now)
            if states:
                await self.backend.observe(key, states, now)
        if response.status_code == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"), now)
            await response.aread()
            await response.aclose()
            if retry_after is not None and retry_after > self.policy.max_wait:
                import datetime as dt

                raise BudgetExhausted(
                    f"the package asks to wait {retry_after / 3600:.1f} hours (Retry-After); "
                    "the sync resumes from its checkpoint then",
                    retry_after=retry_after,
                    resume_at=dt.datetime.fromtimestamp(now + retry_after, dt.UTC),
                    request=request,
                    response=response,
                )
            # A pause on the whole credential: every dossier on this connection holds back.
            await self.backend.pause(key, now + (retry_after if retry_after is not None else 1.0))
            raise RateLimited(
                "the package answered 429 Too Many Requests",
                retry_after=retry_after,
                request=request,
                response=response,
            )
        if response.status_code in self.retry.retry_statuses:
            await response.aread()
            if self.keeps is not None and self.keeps(response):
                return response
            await response.aclose()
            raise RetriableError(
                f"the package answered {response.status_code}", request=request, response=response
            )
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        first = True
        async for attempt in stamina.retry_context(
            on=_is_retriable,
            attempts=self.retry.attempts,
            timeout=None,
            wait_initial=self.retry.wait_initial,
            wait_max=self.retry.wait_max,
            wait_jitter=self.retry.wait_jitter,
        ):
            with attempt:
                if not first:
                    self.stats.retries += 1
                first = False
                return await self._send_once(request)
        raise AssertionError("unreachable: stamina re-raises the last error")  # pragma: no cover

    async def aclose(self) -> None:
        await self.inner.aclose()


def _certificate_refusal(exc: BaseException) -> str | None:
    """Why the server's certificate was refused, when that is what failed the connection."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return str(seen.verify_message or seen.reason or "not trusted")
        seen = seen.__cause__ or seen.__context__
    text = str(exc)
    return text.split("certificate verify failed:", 1)[1].strip(" )") if "certificate verify failed:" in text else None


def soap_envelope(response: httpx.Response) -> bool:
    """Whether ``response``'s body is a SOAP envelope (a fault the connector reads), judged by the
    start of the body: a proxy's HTML page or a plain-text 500 is not one."""
    head = response.content[:2048].lstrip()
    return head.startswith(b"<") and (b":Envelope" in head or b"<Envelope" in head)


def _is_retriable(exc: Exception) -> bool:
    return isinstance(exc, RetriableError) and not isinstance(exc, BudgetExhausted)
