"""Xero's OAuth2: authorization code with PKCE, 30-minute access tokens, rotating refresh tokens
with a 30-minute grace period, granular scopes for apps created on or after 2 March 2026."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from sfsync.auth import ConnectionLevel, OAuth2Spec
from sfsync.errors import AuthError, NeedsReconsent, RetriableError, SfsyncError

AUTHORIZE_URL = "https://login.xero.com/identity/connect/authorize"
TOKEN_URL = "https://identity.xero.com/connect/token"
REVOKE_URL = "https://identity.xero.com/connect/revocation"

SCOPE_OFFLINE = "offline_access"
SCOPE_SETTINGS = "accounting.settings.read"
SCOPE_JOURNALS = "accounting.journals.read"
SCOPE_TRIAL_BALANCE = "accounting.reports.trialbalance.read"
"""The granular trial-balance scope that replaced ``accounting.reports.read`` (2 March 2026)."""

RETIRED_SCOPES = frozenset({"accounting.transactions", "accounting.transactions.read",
                            "accounting.reports.read"})
"""Broad scopes that apps created on or after 2 March 2026 may no longer ask for."""

LEDGER_SCOPES = (SCOPE_OFFLINE, SCOPE_SETTINGS, SCOPE_JOURNALS, SCOPE_TRIAL_BALANCE)
"""The trial balance gives a *since* link its opening balances."""
TRIAL_BALANCE_SCOPES = (SCOPE_OFFLINE, SCOPE_SETTINGS, SCOPE_TRIAL_BALANCE)


def _error_text(response: httpx.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    # Only the error code and Xero's description: never echo the request (it held the token).
    return str(body.get("error", "")), str(body.get("error_description", ""))[:200]


@dataclass(frozen=True)
class XeroOAuth2Spec(OAuth2Spec):
    """Xero's token endpoint answers ``400 {"error": "invalid_grant"}`` for a refresh token that is
    expired (60 days unused), rotated elsewhere, revoked, or whose organisation was disconnected."""

    def classify_token_error(self, response: httpx.Response) -> SfsyncError:
        code, description = _error_text(response)
        if response.status_code == 429 or response.status_code >= 500:
            return RetriableError(
                f"Xero's token endpoint is unavailable ({response.status_code})", response=response
            )
        if code == "invalid_grant":
            return NeedsReconsent(
                "Xero no longer accepts this dossier's login (the refresh token expired after 60 "
                "days unused, was used elsewhere, or the organisation was disconnected from the "
                "app); log in to Xero again from the dossier's link",
                response=response,
            )
        if code in ("invalid_scope", "unauthorized_client"):
            return AuthError(
                f"Xero refused the scopes this app asks for ({code}: {description}); apps created "
                "since 2 March 2026 must use the granular scopes",
                response=response,
            )
        return AuthError(
            f"Xero refused the app's credentials ({code or response.status_code}: {description}); "
            "check the client id and secret",
            response=response,
        )


def xero_auth_spec(scopes: tuple[str, ...]) -> XeroOAuth2Spec:
    """The auth spec of a Xero connector asking for ``scopes``."""
    return XeroOAuth2Spec(
        authorize_url=AUTHORIZE_URL,
        token_url=TOKEN_URL,
        level=ConnectionLevel.DOSSIER,
        scopes=scopes,
        pkce=True,
        # xero-python refreshes 60 s before expiry; the access token lives 1800 s.
        refresh_margin=60.0,
        rotates_refresh_token=True,
        client_auth="basic",
    )
