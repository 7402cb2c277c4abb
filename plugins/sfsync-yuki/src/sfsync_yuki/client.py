"""One connection's way into Yuki: envelopes, the session, the daily budget and fault mapping.

Every call goes through :meth:`YukiClient.call`, which (1) makes sure there is a live session,
(2) switches the session's domain when the administration lives in another one, (3) counts the
call against that domain's daily budget, (4) posts the envelope and (5) maps a SOAP fault to the
core's errors, renewing the session once when Yuki says it expired.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any

import httpx
from lxml import etree
from sfsync.context import ConnectorContext
from sfsync.errors import AuthError, BudgetExhausted, ConfigurationError, SfsyncError
from sfsync.http.transport import soap_envelope

from sfsync_yuki.budget import Budget
from sfsync_yuki.session import SessionStore
from sfsync_yuki.soap import (
    SessionExpired,
    SoapFault,
    build_envelope,
    fault_to_error,
    inner_document,
    parse_response,
)

__all__ = ["HOSTS", "YukiClient", "base_url_of"]

HOSTS = {"nl": "https://api.yukiworks.nl", "be": "https://api.yukiworks.be"}
GENERAL_SERVICE = "AccountingInfo"
"""General operations (Authenticate, Administrations, Domains…) exist on every service."""


def base_url_of(config: Mapping[str, Any]) -> str:
    """The Yuki host of a connection: ``base_url`` (a sandbox), else the region host."""
    explicit = config.get("base_url")
    if explicit:
        return str(explicit).rstrip("/")
    host = str(config.get("host") or "api.yukiworks.nl").strip().rstrip("/")
    if host in HOSTS:
        return HOSTS[host]
    if "://" not in host:
        host = f"https://{host}"
    return host


_clients: weakref.WeakKeyDictionary[ConnectorContext, YukiClient] = weakref.WeakKeyDictionary()


class YukiClient:
    """Calls to Yuki for one connector context (one run, or one connection check)."""

    def __init__(self, ctx: ConnectorContext) -> None:
        self.ctx = ctx
        self.base_url = base_url_of(ctx.config)
        self.budget = Budget(ctx)
        self.session = SessionStore(ctx.state)
        self.calls: dict[str, int] = {}
        self.run_cache: dict[Any, Any] = {}

    @classmethod
    def of(cls, ctx: ConnectorContext) -> YukiClient:
        client = _clients.get(ctx)
        if client is None:
            client = _clients[ctx] = cls(ctx)
        return client

    # --- transport --------------------------------------------------------------------------------

    def _http(self) -> httpx.AsyncClient:
        # SOAP faults arrive as HTTP 500: retried as server errors they would cost six counted
        # Yuki calls each. The transport keeps a 5xx whose body is a SOAP envelope (a fault, read
        # below) and retries any other 5xx (a bare or a gateway's 500), status first.
        return self.ctx.http(self.base_url, authenticated=False, timeout=120.0, keeps=soap_envelope)

    def _scrub(self, error: SfsyncError) -> SfsyncError:
        secrets = [self.ctx.secrets.get("access_key"), self.session.valid_id(self.ctx.clock.now())]
        text = error.message
        for secret in secrets:
            if secret and secret in text:
                text = text.replace(secret, "***")
        if text != error.message:
            error.message = text
            error.args = (text,)
        return error

    async def _post(self, service: str, operation: str, params: Mapping[str, Any], domain: str | None) -> etree._Element | None:
        op, body = build_envelope(service, operation, params)
        self.calls[operation] = self.calls.get(operation, 0) + 1
        response = await self._http().post(
            f"/ws/{service}.asmx",
            content=body,
            headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{op.action}"'},
        )
        try:
            return parse_response(op, response)
        except SoapFault as fault:
            error = fault_to_error(
                fault, operation=operation, now=self.ctx.clock.now(), response=response, domain=domain
            )
            if isinstance(error, BudgetExhausted):
                self.budget.spent(domain)
                await self.ctx.save_state()
            raise self._scrub(error) from fault

    # --- session ----------------------------------------------------------------------------------

    def _access_key(self) -> str:
        try:
            key = self.ctx.secrets["access_key"]
        except ConfigurationError as exc:
            raise AuthError("the connection has no Yuki web-service access key; add it to the connection") from exc
        if not key.strip():
            raise AuthError("the connection's Yuki web-service access key is empty; add it to the connection")
        return key.strip()

    async def authenticate(self) -> str:
        """A fresh session (``Authenticate``), and the key's home domain the first time."""
        self.budget.charge(self.session.home_domain, what="Authenticate")
        result = await self._post(GENERAL_SERVICE, "Authenticate", {"accessKey": self._access_key()}, self.session.home_domain)
        session_id = (result.text or "").strip() if result is not None else ""
        if not session_id:
            raise AuthError("Yuki answered Authenticate without a session id; check the web-service access key")
        now = self.ctx.clock.now()
        self.session.store(session_id, now, self.session.home_domain)
        if self.session.home_domain is None:
            self.budget.charge(None, what="GetCurrentDomain")
            domain = inner_document(await self._post(GENERAL_SERVICE, "GetCurrentDomain", {"sessionID": session_id}, None))
            home = None
            if domain is not None:
                node = domain if domain.get("ID") else domain.find(".//*[@ID]")
                home = node.get("ID") if node is not None else None
            if home:
                self.session.home_domain = home
                self.session.domain = home
                self.budget.reassign(home)
        await self.ctx.save_state()
        return session_id

    async def session_id(self) -> str:
        session_id = self.session.valid_id(self.ctx.clock.now())
        if session_id is None:
            session_id = await self.authenticate()
        return session_id

    # --- calls ------------------------------------------------------------------------------------

    async def call(
        self,
        service: str,
        operation: str,
        params: Mapping[str, Any] | None = None,
        *,
        domain: str | None = None,
    ) -> etree._Element | None:
        """Call ``operation`` with a session; ``domain`` is the administration's domain."""
        for attempt in (1, 2):
            session_id = await self.session_id()
            try:
                # Inside the renewal: a session that died (a revoked key) is as expired for
                # SetCurrentDomain as for the call itself; the renewal then says the key is refused.
                if domain and self.session.domain != domain:
                    self.budget.charge(domain, what="SetCurrentDomain")
                    await self._post(GENERAL_SERVICE, "SetCurrentDomain", {"sessionID": session_id, "domainID": domain},
                                     domain)
                    self.session.domain = domain
                charged = domain or self.session.domain
                self.budget.charge(charged, what=operation)
                result = await self._post(service, operation, {"sessionID": session_id, **(params or {})}, charged)
            except SessionExpired:
                self.session.forget()
                await self.ctx.save_state()
                if attempt == 2:
                    raise
                continue
            finally:
                await self.ctx.save_state()
            return result
        raise AssertionError("unreachable")  # pragma: no cover
