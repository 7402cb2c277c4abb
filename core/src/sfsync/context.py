"""The connector context: everything a hook needs to talk to its package for one connection.

A hook never builds its own HTTP client: ``ctx.http(base_url)`` returns an ``httpx.AsyncClient``
that is authenticated (OAuth2 connectors), rate-limited per credential, retried on transient
faults, counted for the run's record, and routed to a sandbox when one is mounted.
"""

from __future__ import annotations

import dataclasses
import logging
import ssl
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx

from sfsync.auth import AuthSpec, OAuth2Spec
from sfsync.clock import Clock
from sfsync.errors import ConfigurationError
from sfsync.http.network import default_ssl_context
from sfsync.http.oauth2 import OAuth2Auth, TokenVault
from sfsync.http.ratelimit import InMemoryLimiterBackend, LimiterBackend, RateLimitPolicy
from sfsync.http.transport import ManagedTransport, RequestStats, RetryPolicy
from sfsync.models import Granularity, SyncMode

__all__ = ["ConnectorContext", "LinkSettings", "RoutingTransport", "Secrets"]

log = logging.getLogger("sfsync")


class _RedactQueryStrings(logging.Filter):
    """httpx logs every request's full URL at INFO; query strings can carry tokens (Twinfield's
    token validation, some packages' keys), so only the path is kept in that log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(
                value.copy_with(query=None) if isinstance(value, httpx.URL) and value.query else value
                for value in record.args
            )
        return True


logging.getLogger("httpx").addFilter(_RedactQueryStrings())


class Secrets(Mapping[str, str]):
    """A connection's secrets in memory: readable by the connector, masked everywhere else."""

    def __init__(self, values: Mapping[str, str | None] | None = None) -> None:
        self._values = {k: v for k, v in (values or {}).items() if v is not None}

    def __getitem__(self, key: str) -> str:
        try:
            return self._values[key]
        except KeyError:
            raise ConfigurationError(f"the connection has no secret {key!r}") from None

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Secrets({', '.join(f'{k}=***' for k in self._values)})"

    __str__ = __repr__


@dataclasses.dataclass(frozen=True)
class LinkSettings:
    """A dossier's sync settings, as the connector may need them."""

    mode: SyncMode
    granularity: Granularity
    since: Any = None  # datetime.date | None


class RoutingTransport(httpx.AsyncBaseTransport):
    """Sends each request to the transport mounted for its URL prefix, else to the network."""

    def __init__(
        self,
        mounts: Mapping[str, httpx.AsyncBaseTransport],
        *,
        verify: ssl.SSLContext | bool = True,
        network: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """``network``: a transport for what no mount takes that someone else owns and closes (a
        :class:`~sfsync.http.network.SharedNetwork`); without it, one is opened on first use and
        closed with this one."""
        # Longest prefix first, so "https://api.x.com/v2" wins over "https://api.x.com".
        self._mounts = sorted(mounts.items(), key=lambda item: -len(item[0]))
        self._verify = verify
        self._shared = network
        self._network: httpx.AsyncBaseTransport | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        for prefix, transport in self._mounts:
            if url.startswith(prefix):
                return await transport.handle_async_request(request)
        if self._shared is not None:
            return await self._shared.handle_async_request(request)
        if self._network is None:
            # The process's one TLS context: loading the authorities costs more than most requests.
            verify = default_ssl_context() if self._verify is True else self._verify
            self._network = httpx.AsyncHTTPTransport(verify=verify)
        return await self._network.handle_async_request(request)

    async def aclose(self) -> None:
        if self._network is not None:  # a shared network is its owner's to close
            await self._network.aclose()


@dataclasses.dataclass(eq=False)
class ConnectorContext:
    """What a connector's hooks receive.

    Attributes:
        connector: The connector name.
        connection_id: The connection's id; the default rate-limit key.
        config: The connection's non-secret settings (region, server URL, database…).
        secrets: The connection's secrets (form secrets, OAuth client secret).
        state: Connection-level state the connector keeps between runs (a session id, a cluster
            URL, a call counter); persist changes with :meth:`save_state`.
        dossier: The dossier being synced, when there is one.
        link: The dossier's sync settings, when there is one.
        stats: Requests, retries and waits of this run.
        warnings: What a person should know about this run; add with :meth:`warn`.
    """

    connector: str
    connection_id: str
    auth_spec: AuthSpec | None = None
    config: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    secrets: Secrets = dataclasses.field(default_factory=Secrets, repr=False)
    # Not in the repr: connectors keep session ids and similar secrets in their state.
    state: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False)
    vault: TokenVault | None = None
    dossier: str | None = None
    link: LinkSettings | None = None
    rate_limits: RateLimitPolicy | None = None
    clock: Clock = dataclasses.field(default_factory=Clock)
    limiter: LimiterBackend = dataclasses.field(default_factory=InMemoryLimiterBackend)
    retry: RetryPolicy = dataclasses.field(default_factory=RetryPolicy)
    transports: Mapping[str, httpx.AsyncBaseTransport] = dataclasses.field(default_factory=dict)
    stats: RequestStats = dataclasses.field(default_factory=RequestStats)
    warnings: list[str] = dataclasses.field(default_factory=list)
    state_saver: Callable[[dict[str, Any]], Awaitable[None]] | None = None
    state_updater: Callable[[Callable[[dict[str, Any]], None]], Awaitable[dict[str, Any]]] | None = None
    progress_callback: Callable[[str, int], None] | None = None
    network: httpx.AsyncBaseTransport | None = dataclasses.field(default=None, repr=False)
    """Where requests no mounted sandbox takes go, when the process shares one pool between runs
    (:class:`~sfsync.http.network.SharedNetwork`); by default each context opens its own."""
    _clients: dict[tuple[Any, ...], httpx.AsyncClient] = dataclasses.field(
        default_factory=dict, repr=False
    )
    _router: RoutingTransport | None = dataclasses.field(default=None, repr=False)

    @property
    def log(self) -> logging.LoggerAdapter[logging.Logger]:
        """A logger that names the connector and dossier (never give it secrets)."""
        return logging.LoggerAdapter(
            log.getChild(self.connector), {"connector": self.connector, "dossier": self.dossier}
        )

    def router(self) -> RoutingTransport:
        """The transport that routes to mounted sandboxes or to the network."""
        if self._router is None:
            self._router = RoutingTransport(self.transports, network=self.network)
        return self._router

    def oauth2_auth(self) -> OAuth2Auth:
        """The OAuth2 flow of this connection (for connectors that build requests themselves)."""
        if not isinstance(self.auth_spec, OAuth2Spec) or self.vault is None:
            raise ConfigurationError(f"connector {self.connector} does not connect with OAuth2")
        return OAuth2Auth(
            self.auth_spec,
            self.vault,
            client_id=str(self.config.get("client_id", "")),
            client_secret=self.secrets.get("client_secret"),
            clock=self.clock,
        )

    def http(
        self,
        base_url: str,
        *,
        authenticated: bool = True,
        limit_key: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 60.0,
        retry_statuses: frozenset[int] | None = None,
        keeps: Callable[[httpx.Response], bool] | None = None,
        verify: ssl.SSLContext | None = None,
    ) -> httpx.AsyncClient:
        """An ``httpx.AsyncClient`` for ``base_url``, owned by the context (closed after the run).

        Args:
            base_url: The API's base URL.
            authenticated: Attach the OAuth2 flow (OAuth2 connectors only; others set their own
                headers).
            limit_key: The rate-limit key, when it is not the connection (a per-domain budget).
            headers: Default headers for every request.
            timeout: Seconds before a request is abandoned (then retried).
            retry_statuses: The statuses to retry, when not the default 500, 502, 503 and 504.
            keeps: Which responses of those statuses are the package's own answer and returned, not
                retried: SOAP APIs send faults as HTTP 500 (``keeps=soap_envelope`` from
                :mod:`sfsync.http.transport`), while a gateway's page with the same status is still
                retried. The status is looked at first, the body only for this.
            verify: How the server's TLS certificate is checked, when not against the usual
                authorities (a firm's own CA, a pinned self-signed certificate).
        """
        cache_key = (base_url, authenticated, limit_key, retry_statuses, keeps, id(verify) if verify else None)
        client = self._clients.get(cache_key)
        if client is None:
            transport = ManagedTransport(
                self.router() if verify is None else RoutingTransport(self.transports, verify=verify),
                key=limit_key or self.connection_id,
                policy=self.rate_limits,
                backend=self.limiter,
                clock=self.clock,
                stats=self.stats,
                retry=self.retry
                if retry_statuses is None
                else dataclasses.replace(self.retry, retry_statuses=frozenset(retry_statuses)),
                keeps=keeps,
            )
            auth = self.oauth2_auth() if authenticated and isinstance(self.auth_spec, OAuth2Spec) else None
            client = httpx.AsyncClient(
                base_url=base_url,
                transport=transport,
                auth=auth,
                headers=dict(headers or {}),
                timeout=timeout,
            )
            self._clients[cache_key] = client
        return client

    async def save_state(self) -> None:
        """Persist :attr:`state` now (before using what it records, for rotating secrets)."""
        if self.state_saver is not None:
            await self.state_saver(dict(self.state))

    async def update_state(self, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        """Apply ``change`` to the *latest stored* state under the connection's lock, persist it,
        and return it: for counters that several dossiers on one connection share (a per-domain
        call budget), where :meth:`save_state` would let the last writer win."""
        if self.state_updater is None:
            change(self.state)
            return self.state
        latest = await self.state_updater(change)
        self.state.clear()
        self.state.update(latest)
        return self.state

    def warn(self, message: str) -> None:
        """Record a warning for the run (shown in its result, not raised)."""
        self.warnings.append(message)
        self.log.warning(message)

    def progress(self, what: str, count: int) -> None:
        """Report progress on long work inside the connector (``what``: ``lines`` read so far from
        a large file, ``pages``…), as a running total. Observers see it as ``reading:<what>``; the
        runner reports committed lines, requests and waits itself."""
        if self.progress_callback is not None:
            self.progress_callback(what, count)

    async def aclose(self) -> None:
        """Close every client this context opened."""
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
        if self._router is not None:
            await self._router.aclose()
            self._router = None
