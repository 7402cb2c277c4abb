"""Intuit's OAuth 2.0 for QuickBooks Online: authorization code with HTTP Basic client auth
(intuit-oauth ``intuitlib/client.py``), scope ``com.intuit.quickbooks.accounting``, one-hour
access tokens, refresh tokens that rotate on every refresh with a rolling 100-day life under a
five-year hard maximum. The callback names the company the token is bound to (``realmId``).

The endpoints are those of Intuit's OpenID discovery document
(``https://developer.api.intuit.com/.well-known/openid_configuration``); the sandbox serves the
same document, and a test holds the two equal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import httpx
from sfsync.auth import ConnectionLevel, OAuth2Spec, TokenSet
from sfsync.errors import AuthError, NeedsReconsent, RetriableError, SfsyncError

DISCOVERY_URL = "https://developer.api.intuit.com/.well-known/openid_configuration"
AUTHORIZE_URL = "https://appcenter.intuit.com/connect/oauth2"
TOKEN_URL = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
REVOKE_URL = "https://developer.api.intuit.com/v2/oauth2/tokens/revoke"
ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"


def _error_code(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    # Only the error code: never echo the request, which held the refresh token.
    return str(body.get("error", ""))[:60] if isinstance(body, dict) else ""


@dataclass(frozen=True)
class QuickbooksOAuth2Spec(OAuth2Spec):
    """Intuit answers ``400 {"error": "invalid_grant"}`` for a refresh token that expired (100
    days unused, or the five-year maximum), was revoked, or was rotated away; ``401
    invalid_client`` for a wrong client id or secret."""

    def parse_token_response(
        self, response: httpx.Response, *, now: dt.datetime, previous: TokenSet | None = None
    ) -> TokenSet:
        tokens = super().parse_token_response(response, now=now, previous=previous)
        body = response.json()
        extra = {}
        # When the refresh token dies, so a person can be asked to log in again in time.
        for name, key in (("x_refresh_token_expires_in", "refresh_expires_at"),
                          ("x_refresh_token_hard_expires_in", "refresh_hard_expires_at")):
            if isinstance(body.get(name), int):
                extra[key] = (now + dt.timedelta(seconds=body[name])).isoformat()
        return tokens.model_copy(update={"extra": {**tokens.extra, **extra}})

    def classify_token_error(self, response: httpx.Response) -> SfsyncError:
        code = _error_code(response)
        if response.status_code == 429 or response.status_code >= 500:
            return RetriableError(
                f"Intuit's token endpoint is unavailable ({response.status_code})", response=response
            )
        if code == "invalid_grant":
            return NeedsReconsent(
                "QuickBooks no longer accepts this dossier's login (the refresh token expired after "
                "100 days unused or its five-year maximum, was revoked, or the app was disconnected "
                "from the company); log in to QuickBooks again from the dossier's link",
                response=response,
            )
        return AuthError(
            f"Intuit refused the app's credentials ({code or response.status_code}); check the "
            "client id and secret of the QuickBooks app",
            response=response,
        )


def quickbooks_auth_spec() -> QuickbooksOAuth2Spec:
    return QuickbooksOAuth2Spec(
        authorize_url=AUTHORIZE_URL,
        token_url=TOKEN_URL,
        level=ConnectionLevel.DOSSIER,
        scopes=(ACCOUNTING_SCOPE,),
        # Intuit documents no PKCE for confidential web apps; the client secret authenticates.
        pkce=False,
        refresh_margin=120.0,
        rotates_refresh_token=True,
        client_auth="basic",
        callback_params=("realmId",),
    )
