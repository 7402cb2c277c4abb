"""How a firm connects: Microsoft Entra ID for Business Central, Basic web-service credentials
for BoCount, and Entra's client credentials for a service-to-service app.

* **Authorization code** (:func:`entra_oauth_spec`): an admin of the firm signs in with a work
  account at Entra's multi-tenant (``organizations``) endpoint, with PKCE and the app's secret.
  The token is for the user's own tenant: the ``tid`` claim of the ``id_token`` names it, and it
  is kept with the tokens (``extra["tenant"]``) so every call goes to that tenant's environments.
  The ``id_token`` comes straight from the token endpoint over TLS, so its claims are read
  without checking the signature (OpenID Connect Core 1.0 §3.1.3.7, item 6). Refresh tokens
  rotate; the new one is saved before use. ``invalid_grant`` (AADSTS70008 expired, AADSTS50173
  revoked…) means a person must sign in again.
* **BoCount** (:class:`BoCountFields`): the firm's base URL, its web-service user name and the
  user's web-service access key (Basic), as Billtobox's BoCount connector asks for them.
* **Client credentials** (:class:`ClientCredentialsAuth`): an app registered in the client's
  tenant with the ``API.ReadWrite.All`` application permission gets tokens for that tenant only,
  at ``https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token`` with scope
  ``https://api.businesscentral.dynamics.com/.default`` (automation-apis-using-s2s-authentication.md).
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import BaseModel, Field, SecretStr
from sfsync.auth import ConnectionLevel, FormSpec, OAuth2Spec, TokenSet
from sfsync.clock import Clock
from sfsync.errors import AuthError, MalformedResponse, NeedsReconsent, RetriableError, SfsyncError

from sfsync_businesscentral.facts import AUTHORIZE_URL, SCOPES, TOKEN_URL, tenant_token_url

__all__ = ["AppFields", "BoCountFields", "ClientCredentialsAuth", "EntraOAuth2Spec", "app_form_spec",
           "bocount_form_spec", "entra_oauth_spec", "id_token_claims"]

APP_SCOPE = "https://api.businesscentral.dynamics.com/.default"


def id_token_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT's payload (not verified: see the module docstring)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError) as exc:
        raise MalformedResponse("Entra's id_token is not a JWT") from exc
    if not isinstance(claims, dict):
        raise MalformedResponse("Entra's id_token has no claims")
    return claims


def _error(response: httpx.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    return str(body.get("error") or ""), str(body.get("error_description") or "").split("\r\n")[0][:200]


@dataclass(frozen=True)
class EntraOAuth2Spec(OAuth2Spec):
    """The core's OAuth2 spec with Entra's tenant claim and refusals."""

    def parse_token_response(
        self, response: httpx.Response, *, now: dt.datetime, previous: TokenSet | None = None
    ) -> TokenSet:
        tokens = super().parse_token_response(response, now=now, previous=previous)
        extra = dict(previous.extra) if previous is not None else {}
        try:
            id_token = response.json().get("id_token")
        except (ValueError, AttributeError):
            id_token = None
        if id_token:
            claims = id_token_claims(str(id_token))
            if claims.get("tid"):
                extra["tenant"] = str(claims["tid"])
            if claims.get("preferred_username"):
                extra["user"] = str(claims["preferred_username"])
        return tokens.model_copy(update={"extra": {**tokens.extra, **extra}})

    def classify_token_error(self, response: httpx.Response) -> SfsyncError:
        code, description = _error(response)
        status = response.status_code
        if status == 429 or status >= 500:
            return RetriableError(f"Entra's token endpoint is unavailable ({status})", response=response)
        if code in ("invalid_grant", "interaction_required"):
            return NeedsReconsent(
                f"Entra no longer accepts this connection's refresh token ({description or code}: it expired "
                "after 90 days unused, or the user's password or the app's consent changed); an admin must "
                "connect Business Central again", response=response)
        if code in ("invalid_client", "unauthorized_client"):
            return AuthError(f"Entra refused the app's credentials ({description or code}); check the client id "
                             "and secret of the app registration", response=response)
        return AuthError(f"Entra's token endpoint refused the request ({status} {code})", response=response)


def entra_oauth_spec() -> EntraOAuth2Spec:
    """A firm user's sign-in at Entra, for Business Central."""
    return EntraOAuth2Spec(
        authorize_url=AUTHORIZE_URL, token_url=TOKEN_URL, level=ConnectionLevel.FIRM, scopes=SCOPES, pkce=True,
        refresh_margin=300.0, rotates_refresh_token=True, client_auth="body",
    )


class BoCountFields(BaseModel):
    """What a firm types to connect BoCount."""

    base_url: str = Field(description="The BoCount base URL your BoCount partner gave the firm "
                                      "(https://…/BC), without the API path")
    username: str = Field(description="The Business Central web-service user name")
    password: SecretStr = Field(description="That user's web-service access key")


def bocount_form_spec() -> FormSpec:
    """BoCount's form (firm level)."""
    return FormSpec(fields=BoCountFields, level=ConnectionLevel.FIRM)


class AppFields(BaseModel):
    """What a firm types to connect a client's tenant service to service."""

    tenant: str = Field(description="The client's Microsoft Entra tenant (its id or domain, contoso.onmicrosoft.com)")
    client_id: str = Field(description="The application (client) id of the app registered in that tenant")
    client_secret: SecretStr = Field(description="The app's client secret")


def app_form_spec() -> FormSpec:
    """The service-to-service form (firm level: the firm holds the app's secret)."""
    return FormSpec(fields=AppFields, level=ConnectionLevel.FIRM)


class ClientCredentialsAuth(httpx.Auth):
    """Bearer tokens of Entra's client-credentials grant for one tenant, fetched when missing or
    within five minutes of expiry, and again once on a 401."""

    requires_response_body = True

    def __init__(
        self, tenant: str, client_id: str, client_secret: str, *, clock: Clock | None = None,
        token: tuple[str, dt.datetime] | None = None,
        on_token: Callable[[str, dt.datetime], Awaitable[None]] | None = None,
    ) -> None:
        """For the app ``client_id`` in ``tenant`` (its id or domain). ``token`` is one fetched
        before (by an earlier run), used while fresh; ``on_token`` is told each new one, to keep."""
        self.tenant, self.client_id = tenant, client_id
        self._secret = client_secret
        self.clock = clock or Clock()
        self._token: tuple[str, dt.datetime] | None = token
        self._on_token = on_token
        self._lock = asyncio.Lock()
        self.fetched = 0

    def __repr__(self) -> str:
        return f"ClientCredentialsAuth(tenant={self.tenant!r}, client_id={self.client_id!r})"

    def _request(self) -> httpx.Request:
        return httpx.Request("POST", tenant_token_url(self.tenant), data={
            "grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self._secret,
            "scope": APP_SCOPE}, headers={"Accept": "application/json"})

    def _read(self, response: httpx.Response) -> None:
        if response.status_code != 200:
            code, description = _error(response)
            if response.status_code == 429 or response.status_code >= 500:
                raise RetriableError(f"Entra's token endpoint is unavailable ({response.status_code})", response=response)
            if code in ("invalid_client", "unauthorized_client"):
                # A removed secret or consent: only a person with a new secret can mend it.
                raise NeedsReconsent(f"Entra refused the app's client credentials for tenant {self.tenant} "
                                     f"({description or code}); an admin must enter a current client secret",
                                     response=response)
            raise AuthError(f"Entra refused the app's client credentials for tenant {self.tenant} "
                            f"({description or code or response.status_code})", response=response)
        try:
            body = response.json()
            token, lifetime = str(body["access_token"]), int(body.get("expires_in", 3599))
        except (ValueError, KeyError, TypeError) as exc:
            raise MalformedResponse("Entra's token answer has no access_token", response=response) from exc
        self._token = (token, self.clock.now() + dt.timedelta(seconds=lifetime))
        self.fetched += 1

    def _fresh(self) -> bool:
        return self._token is not None and self._token[1] - self.clock.now() > dt.timedelta(minutes=5)

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        for attempt in range(2):
            if attempt or not self._fresh():
                async with self._lock:
                    if attempt or not self._fresh():
                        response = yield self._request()
                        await response.aread()
                        self._read(response)
                        if self._on_token is not None and self._token is not None:
                            await self._on_token(*self._token)
            assert self._token is not None
            request.headers["Authorization"] = f"Bearer {self._token[0]}"
            response = yield request
            if response.status_code != 401:
                return
