"""e-conomic's token authentication as a dossier-level login (e-conomic.com/developer/connect):
no OAuth, but the same shape. The app's *request URL* is where a user of the dossier's agreement
approves the app; e-conomic then sends the browser back to the redirect URL with the agreement
grant token, which is the whole credential of that agreement beside the app's secret token.

So the core's OAuth2 machinery runs it unchanged: ``start`` builds the request URL (the app public
token is the "client id", the app secret token the "client secret"), ``state`` travels inside the
redirect URL, and :meth:`EconomicGrantSpec.tokens_from_callback` takes the grant from the callback
instead of exchanging a code. Grants do not expire (UNVERIFIED); a revoked one answers 401.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from pydantic import BaseModel, Field, SecretStr
from sfsync.auth import ConnectionLevel, OAuth2Spec, PendingAuthorization, TokenSet
from sfsync.errors import AuthError

REQUEST_ACCESS_URL = "https://secure.e-conomic.com/secure/api1/requestaccess.aspx"
GRANT_LIFETIME = dt.timedelta(days=365 * 100)
"""A grant lives until it is revoked: stored as expiring in a century, so nothing refreshes it."""


class EconomicAppFields(BaseModel):
    """The e-conomic app the firm created in its developer agreement."""

    client_id: str = Field(description="The app's public token (in its request URL)")
    client_secret: SecretStr | None = Field(default=None, description="The app secret token (X-AppSecretToken)")


@dataclass(frozen=True)
class EconomicGrantSpec(OAuth2Spec):
    """The approval at the app's request URL, handing back the agreement grant token."""

    def start(self, *, client_id: str, redirect_uri: str) -> PendingAuthorization:
        state = secrets.token_urlsafe(24)
        # e-conomic sends back no state of its own: it rides in the redirect URL's query.
        back = f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{urlencode({'state': state})}"
        params = {"appPublicToken": client_id, "redirectUrl": back, **self.extra_authorize_params}
        return PendingAuthorization(
            authorize_url=f"{self.authorize_url}?{urlencode(params)}", state=state, code_verifier=None,
            redirect_uri=redirect_uri,
        )

    def tokens_from_callback(self, query: Mapping[str, list[str]], *, now: dt.datetime) -> TokenSet:
        token = (query.get("token") or [""])[0]
        if not token:
            raise AuthError("e-conomic sent the approval back without an agreement grant token; "
                            "approve the app again from the dossier's link")
        return TokenSet(access_token=SecretStr(token), expires_at=now + GRANT_LIFETIME)


def economic_auth_spec() -> EconomicGrantSpec:
    return EconomicGrantSpec(
        authorize_url=REQUEST_ACCESS_URL,
        # No token endpoint: the grant comes with the callback.
        token_url=REQUEST_ACCESS_URL,
        level=ConnectionLevel.DOSSIER,
        pkce=False,
        rotates_refresh_token=False,
        fields=EconomicAppFields,
    )
