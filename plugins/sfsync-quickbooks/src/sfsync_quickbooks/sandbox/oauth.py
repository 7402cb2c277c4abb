"""Intuit's OAuth 2.0 server in the sandbox, on the toolkit's :class:`~sfsync.sandbox.oauth.OAuthServer`:
the discovery document (Intuit's own path and fields), the sign-in page with the company picked,
the token endpoint's codes and tokens, revocation.

Facts (see ``shared/reference/providers/quickbooks-online.md``): access tokens live one hour
(``expires_in: 3600``); every refresh returns a new refresh token whose life is a rolling 100
days (``x_refresh_token_expires_in``), under a hard maximum of five years from the consent
(``x_refresh_token_hard_expires_in``, as Intuit's Java and .NET SDKs expose it since 2025). One
token is bound to the one company (realm) picked at consent.

UNVERIFIED, kept here to be easy to correct: that a rotated-away refresh token keeps answering
with its successor for 24 hours (reported by third parties, not by Intuit) and that reusing it
later ends the whole grant (the toolkit's RFC 9700 rule); the exact name of the hard-maximum
field; that the company picker is a plain ``realmId`` field of the sign-in form (the toolkit's
page shows no picker: the sandbox's ``authorize`` helper posts it).
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

from sfsync.sandbox.oauth import Grant, OAuthClient, OAuthServer, OAuthSettings, OAuthUser
from sfsync.sandbox.responses import exact
from starlette.requests import Request
from starlette.responses import Response

if TYPE_CHECKING:
    from sfsync.clock import Clock

ACCESS_LIFETIME = 3600
REFRESH_ROLLING = dt.timedelta(days=100)
REFRESH_HARD_MAX = dt.timedelta(days=5 * 365)
ROTATED_GRACE = dt.timedelta(hours=24)
CODE_LIFETIME = dt.timedelta(minutes=5)
ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"
KNOWN_SCOPES = frozenset({ACCOUNTING_SCOPE, "com.intuit.quickbooks.payment", "openid", "profile",
                          "email", "phone", "address"})

AUTHORIZE_URL = "https://appcenter.intuit.com/connect/oauth2"
TOKEN_URL = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
REVOKE_URL = "https://developer.api.intuit.com/v2/oauth2/tokens/revoke"
USERINFO_URL = "https://sandbox-accounts.platform.intuit.com/v1/openid_connect/userinfo"
ISSUER = "https://oauth.platform.intuit.com/op/v1"
JWKS_URL = "https://oauth.platform.intuit.com/op/v1/jwks"
DISCOVERY_PATH = "/.well-known/openid_sandbox_configuration"
"""Intuit serves it on developer.api.intuit.com (production: ``openid_configuration``)."""


def discovery_document(base: str | None = None) -> dict[str, object]:
    """The OpenID discovery document; with ``base`` (a served sandbox) every endpoint points there."""

    def at(url: str) -> str:
        if base is None:
            return url
        path = url.split("://", 1)[1].split("/", 1)[1]
        return f"{base.rstrip('/')}/{path}"

    return {
        "issuer": ISSUER,
        "authorization_endpoint": at(AUTHORIZE_URL),
        "token_endpoint": at(TOKEN_URL),
        "userinfo_endpoint": at(USERINFO_URL),
        "revocation_endpoint": at(REVOKE_URL),
        "jwks_uri": at(JWKS_URL),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": sorted(KNOWN_SCOPES),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"],
    }


SETTINGS = OAuthSettings(
    issuer=ISSUER,
    authorize_url=AUTHORIZE_URL,
    token_url=TOKEN_URL,
    scopes=KNOWN_SCOPES,
    access_lifetime=ACCESS_LIFETIME,
    code_lifetime=int(CODE_LIFETIME.total_seconds()),
    refresh_lifetime=int(REFRESH_HARD_MAX.total_seconds()),
    refresh_idle=int(REFRESH_ROLLING.total_seconds()),
    refresh_grace=int(ROTATED_GRACE.total_seconds()),
    client_auth=("client_secret_basic", "client_secret_post"),
)
"""Intuit's server on the toolkit: the rolling life is the toolkit's idle limit, the hard maximum
its lifetime from the consent, the rotated-token grace its grace."""


def _remember_realm(grant: Grant, posted: dict[str, str]) -> None:
    # The company picked on Intuit's sign-in page: the one company this grant's tokens serve.
    grant.extra["realm"] = posted.get("realmId") or None


class IntuitOAuthServer(OAuthServer):
    """The toolkit's server with what is Intuit's own: the callback names the company picked
    (``realmId``), the token answer carries the refresh token's remaining lives."""

    realms: frozenset[str] = frozenset()

    def __init__(self, *, clients: list[OAuthClient], users: list[OAuthUser], clock: Clock,
                 realms: list[str]) -> None:
        super().__init__(SETTINGS, clients=clients, users=users, clock=clock, on_consent=_remember_realm)
        self.realms = frozenset(realms)

    async def authorize_endpoint(self, request: Request) -> Response:
        response = await super().authorize_endpoint(request)
        location = response.headers.get("location", "")
        code = parse_qs(urlsplit(location).query).get("code")
        if request.method != "POST" or response.status_code != 302 or not code:
            return response
        grant = self.codes[code[0]].grant
        realm = grant.extra.get("realm")
        if realm not in self.realms:
            # No company picked (or one the user cannot see): Intuit sends the user back refused.
            grant.revoked = True
            state = parse_qs(urlsplit(location).query).get("state", [""])[0]
            return exact(b"", 302, {"Location": f"{location.split('?')[0]}?{urlencode({'error': 'access_denied', 'state': state})}"})
        return exact(b"", 302, {"Location": f"{location}&{urlencode({'realmId': realm})}"})

    def token_fields(self, grant: Grant, body: dict[str, Any]) -> dict[str, Any]:
        now = self.clock.now()
        hard_end = grant.consented_at + REFRESH_HARD_MAX
        body = {k: v for k, v in body.items() if k != "scope"}  # Intuit's answer names no scope
        body["token_type"] = "bearer"
        body["x_refresh_token_expires_in"] = int((min(now + REFRESH_ROLLING, hard_end) - now).total_seconds())
        body["x_refresh_token_hard_expires_in"] = int((hard_end - now).total_seconds())
        return body

    def revoke_token(self, token: str) -> bool:
        """Intuit's revocation (a JSON body): a refresh or access token ends its whole grant."""
        entry = self.refresh_tokens.get(token)
        grant = entry.grant if entry is not None else None
        if grant is None and token in self.access_tokens:
            grant = self.access_tokens[token].grant
        if grant is None:
            return False
        grant.revoked = True
        return True

    def issue_for(self, client_id: str, realm: str, *, username: str) -> dict[str, Any]:
        """Tokens of a login done elsewhere (tests that call the API without the sign-in page)."""
        grant = Grant(secrets.token_hex(8), self.clients[client_id], self.users[username],
                      frozenset({ACCOUNTING_SCOPE}), self.clock.now(), extra={"realm": realm})
        self.grants.append(grant)
        return self.issue(grant)
