"""OAuth2 as an ``httpx.Auth`` flow: bearer token, refresh before expiry or on 401, rotation.

Refresh tokens that rotate (Exact's are single-use, Xero's rotate with a grace period) are saved
through the :class:`TokenVault` *before* the new access token is used, under a per-connection lock
so that two workers never spend the same refresh token.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator
from typing import Protocol

import httpx

from sfsync.auth import OAuth2Spec, TokenSet
from sfsync.clock import Clock
from sfsync.errors import NeedsReconsent

__all__ = ["OAuth2Auth", "TokenVault"]


class TokenVault(Protocol):
    """Where a connection's tokens are kept (encrypted by the store)."""

    async def load(self) -> TokenSet | None:
        """The current tokens, re-read from the store (another worker may have refreshed)."""
        ...

    async def save(self, tokens: TokenSet) -> None:
        """Persist rotated tokens durably before they are used."""
        ...

    def lock(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Exclusive access for one refresh at a time per connection."""
        ...


class OAuth2Auth(httpx.Auth):
    """Bearer auth that refreshes (and rotates) tokens as the package's spec says."""

    requires_response_body = True

    def __init__(
        self,
        spec: OAuth2Spec,
        vault: TokenVault,
        *,
        client_id: str,
        client_secret: str | None,
        clock: Clock,
    ) -> None:
        self.spec = spec
        self.vault = vault
        self.client_id = client_id
        self.client_secret = client_secret
        self.clock = clock
        self.refreshes = 0

    def _refresh_request(self, tokens: TokenSet) -> httpx.Request:
        if tokens.refresh_token is None:
            raise NeedsReconsent("the connection has no refresh token; an admin must connect again")
        return self.spec.token_request(
            {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token.get_secret_value()},
            client_id=self.client_id,
            client_secret=self.client_secret,
        )

    async def _after_refresh(self, response: httpx.Response, previous: TokenSet) -> TokenSet:
        await response.aread()
        if response.status_code != 200:
            raise self.spec.classify_token_error(response)
        tokens = self.spec.parse_token_response(response, now=self.clock.now(), previous=previous)
        await self.vault.save(tokens)  # before use: the old refresh token is already spent
        self.refreshes += 1
        return tokens

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        tokens = await self.vault.load()
        if tokens is None:
            raise NeedsReconsent("the connection has no tokens; an admin must connect it")
        for attempt in range(2):
            forced = attempt == 1
            if forced or tokens.expires_within(self.spec.refresh_margin, self.clock.now()):
                used = tokens.access_token.get_secret_value()
                async with self.vault.lock():
                    current = await self.vault.load()
                    tokens = current or tokens
                    stale = tokens.access_token.get_secret_value() == used if forced else (
                        tokens.expires_within(self.spec.refresh_margin, self.clock.now())
                    )
                    if stale:
                        response = yield self._refresh_request(tokens)
                        tokens = await self._after_refresh(response, tokens)
            request.headers["Authorization"] = f"Bearer {tokens.access_token.get_secret_value()}"
            response = yield request
            if response.status_code != 401:
                return

    def sync_auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def]
        raise RuntimeError("sfsync's OAuth2Auth works with httpx.AsyncClient only")
