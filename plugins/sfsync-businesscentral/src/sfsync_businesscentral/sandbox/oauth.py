"""Microsoft Entra ID as the sandbox plays it, declared on the toolkit's OAuth/OpenID server.

* Authorization code (a firm's user) on the multi-tenant ``organizations`` endpoints, with PKCE
  and a client secret; scopes ``https://api.businesscentral.dynamics.com/.default``,
  ``offline_access``, ``openid``, ``profile``. The ``id_token`` (RS256, keys at the tenant's
  ``discovery/v2.0/keys``) carries ``tid`` (the user's tenant), ``oid`` and
  ``preferred_username``, as Entra's v2.0 tokens do (learn.microsoft.com, id-token-claims-reference,
  found by search); discovery at ``/{tenant}/v2.0/.well-known/openid-configuration``.
* Client credentials (service to service) at the tenant's own ``/{tenant}/oauth2/v2.0/token``
  with scope ``https://api.businesscentral.dynamics.com/.default``
  (automation-apis-using-s2s-authentication.md); no refresh token.
* Tokens are per tenant: an access token opens only its own tenant's environments.
* Lifetimes (UNVERIFIED, Entra's defaults, :mod:`sfsync_businesscentral.facts`): access tokens an
  hour; refresh tokens rotate on use and the replaced one keeps working (Entra does not revoke a
  refresh token for being used twice), 90 days unused.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import secrets
from typing import Any
from urllib.parse import urlsplit

from sfsync.sandbox.jwt import signing_key
from sfsync.sandbox.oauth import (
    Grant,
    OAuthClient,
    OAuthServer,
    OAuthSettings,
    OAuthUser,
    TokenError,
)
from sfsync.sandbox.responses import json_response
from sfsync.sandbox.routing import Request, Response, Route, form

from sfsync_businesscentral.facts import (
    ACCESS_TOKEN_SECONDS,
    AUTHORIZE_URL,
    LOGIN_HOST,
    REFRESH_TOKEN_SECONDS,
    TOKEN_URL,
)

__all__ = ["APP_SCOPE", "EntraServer", "entra_settings"]

APP_SCOPE = "https://api.businesscentral.dynamics.com/.default"


def entra_settings(tenant: str) -> OAuthSettings:
    """The server's settings; ``tenant`` names the issuer of the sandbox's one tenant."""
    return OAuthSettings(
        issuer=f"{LOGIN_HOST}/{tenant}/v2.0",
        authorize_url=AUTHORIZE_URL,
        token_url=TOKEN_URL,
        jwks_url=f"{LOGIN_HOST}/{tenant}/discovery/v2.0/keys",
        openid=True,
        scopes=frozenset({APP_SCOPE, "offline_access", "openid", "profile", "email"}),
        default_scope=APP_SCOPE,
        access_lifetime=ACCESS_TOKEN_SECONDS,
        code_lifetime=600,
        refresh_idle=REFRESH_TOKEN_SECONDS,
        refresh_grace=REFRESH_TOKEN_SECONDS,
        refresh_needs_scope=True,
        pkce="optional",
        client_auth=("client_secret_post", "client_secret_basic"),
        refusals={"invalid_client": (401, "invalid_client",
                                     "AADSTS7000215: Invalid client secret provided.")},
    )


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return decoded


class EntraServer(OAuthServer):
    """The toolkit's server with Entra's tenant claims and the client-credentials grant."""

    def __init__(self, tenant: str, *, clients: list[OAuthClient], users: list[OAuthUser], clock: Any) -> None:
        """Serve one tenant's users and apps."""
        super().__init__(entra_settings(tenant), clients=clients, users=users, clock=clock,
                         on_consent=lambda grant, _form: grant.extra.update({"tenant": tenant}))
        self.tenant = tenant
        self.app_tokens = 0
        """Client-credentials tokens issued."""

    def routes(self) -> list[Route]:
        return [
            *super().routes(),
            Route(f"/{self.tenant}/oauth2/v2.0/authorize", self.authorize_endpoint, methods=["GET", "POST"]),
            Route(f"/{self.tenant}/oauth2/v2.0/token", self.tenant_token, methods=["POST"]),
        ]

    def rebase(self, origin: str) -> None:
        """Announce every endpoint on ``origin`` (``https://127.0.0.1:port``) instead of Entra's
        host, for a client that finds them in the discovery document of a served sandbox."""
        s = self.settings

        def moved(url: str | None) -> str | None:
            return None if url is None else origin + urlsplit(url).path

        self.settings = dataclasses.replace(s, issuer=moved(s.issuer) or s.issuer, authorize_url=moved(s.authorize_url) or "",
                                            token_url=moved(s.token_url) or "", jwks_url=moved(s.jwks_url))

    async def discovery(self, request: Request) -> Response:
        """The tenant's discovery document: its own authorize and token endpoints (where client
        credentials are served), as ``/{tenant}/v2.0/.well-known/openid-configuration`` gives them."""
        document = json.loads(bytes((await super().discovery(request)).body))
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(self.settings.issuer))
        document.update({
            "authorization_endpoint": f"{origin}/{self.tenant}/oauth2/v2.0/authorize",
            "token_endpoint": f"{origin}/{self.tenant}/oauth2/v2.0/token",
            "grant_types_supported": [*document["grant_types_supported"], "client_credentials"],
            "tenant_region_scope": "EU",
        })
        return json_response(document)

    def token_fields(self, grant: Grant, body: dict[str, Any]) -> dict[str, Any]:
        # Entra adds ext_expires_in; its id_token carries the tenant (tid) and the user's object id.
        out = {**body, "ext_expires_in": body["expires_in"]}
        if "id_token" in body:
            claims = _claims(body["id_token"])
            claims.update({"tid": grant.extra.get("tenant", self.tenant), "oid": grant.user.subject,
                           "preferred_username": grant.user.username, "ver": "2.0"})
            out["id_token"] = signing_key().sign(claims)
        return out

    async def tenant_token(self, request: Request) -> Response:
        """``/{tenant}/oauth2/v2.0/token``: client credentials, or the user grants as on
        ``organizations``."""
        posted = await form(request)
        if posted.get("grant_type") != "client_credentials":
            return await self.token_endpoint(request)
        self.token_requests += 1
        try:
            client = self._client(request, posted)
            if client.client_secret is None:
                raise self.refusal("invalid_client")
            if posted.get("scope") != APP_SCOPE:
                raise TokenError(400, "invalid_scope", f"AADSTS70011: The provided value for scope {posted.get('scope')!r} "
                                 f"is not valid. Client credential flows must have a scope value with /.default.")
        except TokenError as error:
            return self._token_response(None, error)
        service = OAuthUser(f"app:{client.client_id}", secrets.token_hex(8), subject=client.client_id)
        grant = Grant(secrets.token_hex(8), client, service, frozenset({APP_SCOPE}), self.clock.now(),
                      extra={"tenant": self.tenant, "app": True})
        self.grants.append(grant)
        self.app_tokens += 1
        return self._token_response(self.issue(grant))
