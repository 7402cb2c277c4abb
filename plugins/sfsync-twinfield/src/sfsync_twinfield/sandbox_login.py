"""The Twinfield sandbox's login host: the toolkit's OAuth/OpenID server (:mod:`sfsync.sandbox.oauth`)
configured as ``login.twinfield.com`` serves it, plus ``accesstokenvalidation``.

``login.twinfield.com`` is an IdentityServer: the authorize request must carry a ``nonce`` and the
``openid`` and ``twf.organisationUser`` scopes; the login form asks the organisation beside the
user and password; the client authenticates with HTTP Basic at the token endpoint; access tokens
live 3600 seconds; ``offline_access`` gives a long-lived refresh token that does not rotate; the
code exchange answers an RS256 ``id_token`` (the authorize request's ``nonce``, IdentityServer's
300-second identity-token lifetime) checked against the discovery document's JWKS
(``/auth/authentication/.well-known/openid-configuration/jwks``); ``accesstokenvalidation``
answers the token's claims (``twf.clusterUrl`` with ``twf.organisation``) or 400.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import TYPE_CHECKING, Any

from sfsync.sandbox.oauth import OAuthClient, OAuthServer, OAuthSettings, OAuthUser, login_at
from sfsync.sandbox.responses import json_response
from starlette.requests import Request
from starlette.responses import Response

from sfsync_twinfield.client import AUTH_PATH

if TYPE_CHECKING:
    import httpx
    from sfsync.clock import Clock

SUBJECT = "8f1c2b7e-0000-4000-8000-000000000001"  # the sandbox user's id at Twinfield
ISSUER_PATH = AUTH_PATH.rsplit("/connect", 1)[0]  # /auth/authentication
VALIDATION_PATH = f"{AUTH_PATH}/accesstokenvalidation"
REQUIRED_SCOPES = frozenset({"openid", "twf.organisationUser"})


def twinfield_settings(login_url: str, access_lifetime: int) -> OAuthSettings:
    """``login.twinfield.com`` (or wherever the sandbox's login host is served)."""
    connect = f"{login_url}{AUTH_PATH}"
    return OAuthSettings(
        issuer=f"{login_url}{ISSUER_PATH}",
        authorize_url=f"{connect}/authorize",
        token_url=f"{connect}/token",
        userinfo_url=f"{connect}/userinfo",
        jwks_url=f"{login_url}{ISSUER_PATH}/.well-known/openid-configuration/jwks",
        openid=True,
        scopes=frozenset({"openid", "twf.user", "twf.organisation", "twf.organisationUser", "offline_access"}),
        access_lifetime=access_lifetime,
        id_token_lifetime=300,
        refresh_needs_scope=True,
        rotate_refresh=False,
        client_auth=("client_secret_basic",),
        page_title="Twinfield",
        refusals={"invalid_client": (400, "invalid_client", "The client is unknown or its secret is wrong.")},
    )


class TwinfieldLogin(OAuthServer):
    """The login host: one app, one user of one organisation."""

    def __init__(self, settings: OAuthSettings, *, client: OAuthClient, user: OAuthUser, organisation: str,
                 cluster_url: str, clock: Clock) -> None:
        """Serve ``client`` and ``user`` of ``organisation``, whose cluster is at ``cluster_url``."""
        super().__init__(settings, clients=[client], users=[user], clock=clock)
        self.organisation = organisation
        self.cluster_url = cluster_url
        self.replaced_logons: set[str] = set()
        """Access tokens whose logon was replaced: the cluster answers fault 103."""

    def check_authorize(self, params: dict[str, str], scopes: frozenset[str]) -> str | None:
        """IdentityServer's refusals of Twinfield's authorize request: no nonce, missing scopes."""
        if not params.get("nonce"):
            return "nonce is required"
        if not scopes >= REQUIRED_SCOPES:
            return "scope must include openid and twf.organisationUser"
        return None

    def consent_fields(self, params: dict[str, str]) -> str:
        """The organisation, asked beside the user and password."""
        value = html.escape(params.get("organisation", ""))
        return f'<label>Organisation <input name="organisation" value="{value}"></label>'

    def accept_login(self, user: OAuthUser, params: dict[str, str]) -> bool:
        """The user logs in to their own organisation only."""
        return params.get("organisation") == self.organisation

    def invalidate_logons(self) -> None:
        """Every issued access token now gets fault 103 on the cluster (a logon replaced)."""
        self.replaced_logons.update(self.access_tokens)

    async def validation(self, request: Request) -> Response:
        """``accesstokenvalidation``: the live token's claims, or 400."""
        token = self.access(request.query_params.get("token"))
        if token is None or token.token in self.replaced_logons:
            return json_response({"Message": "invalid token"}, 400, content_type="application/json")
        scopes = sorted(token.grant.scopes)
        auth = self.settings.issuer.rsplit("/", 1)[0]  # https://login.twinfield.com/auth
        claims: dict[str, Any] = {
            "iss": auth,
            "aud": f"{auth}/resources",
            "exp": int(token.expires.timestamp()),
            "nbf": int((token.expires - dt.timedelta(seconds=self.settings.access_lifetime)).timestamp()),
            "client_id": token.grant.client.client_id,
            "scope": scopes,
            "sub": SUBJECT,
            "twf.organisationUserCode": token.grant.user.username.upper(),
            "twf.organisationCode": self.organisation,
            "twf.organisationId": "5a0c9e1e-0000-4000-8000-000000000002",
        }
        if "twf.organisation" in scopes:
            claims["twf.clusterUrl"] = self.cluster_url
        return json_response(claims, content_type="application/json")

    async def log_in(self, client: httpx.AsyncClient, authorize_url: str) -> str:
        """Log in at the authorize page as a person would; return the redirect URL."""
        user = next(iter(self.users.values()))
        return await login_at(client, authorize_url, user.username, user.password,
                              choose=lambda page: [("organisation", self.organisation)])
