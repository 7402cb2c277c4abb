"""Sage's OAuth2 (authorization code, firm level), mapped onto the core's flow.

* No PKCE; client id and secret in the form body; scope ``full_access``.
* Access tokens live 300 s: the core refreshes 60 s before expiry, under the connection's lock.
* Refresh tokens are single use and rotate; the core saves the new one before using it. Sage
  revokes the whole token family when one is presented twice, so a double spend is not a retry
  case: it means the connection must be made again (:class:`~sfsync.errors.NeedsReconsent`).
* ``refresh_token_expires_in`` is kept with the tokens, so a connection's remaining life is known.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import httpx
from sfsync.auth import ConnectionLevel, OAuth2Spec, TokenSet
from sfsync.errors import AuthError, NeedsReconsent, RetriableError, SfsyncError

from sfsync_sage.facts import AUTHORIZE_URL, SCOPES, TOKEN_URL

__all__ = ["SageOAuth2Spec", "sage_oauth_spec"]


def _error_code(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("error", "")) if isinstance(body, dict) else ""


@dataclass(frozen=True)
class SageOAuth2Spec(OAuth2Spec):
    """The core's OAuth2 spec with Sage's token responses and refusals."""

    def parse_token_response(
        self, response: httpx.Response, *, now: dt.datetime, previous: TokenSet | None = None
    ) -> TokenSet:
        tokens = super().parse_token_response(response, now=now, previous=previous)
        try:
            lifetime = int(response.json().get("refresh_token_expires_in", 0))
        except (ValueError, TypeError, AttributeError):
            lifetime = 0
        if lifetime <= 0:
            return tokens
        expires = now + dt.timedelta(seconds=lifetime)
        return tokens.model_copy(update={"extra": {**tokens.extra, "refresh_expires_at": expires.isoformat()}})

    def classify_token_error(self, response: httpx.Response) -> SfsyncError:
        code = _error_code(response)
        status = response.status_code
        if status == 429 or status >= 500:
            return RetriableError(f"Sage's token endpoint is unavailable ({status})", response=response)
        if code == "invalid_grant":
            return NeedsReconsent(
                "Sage no longer accepts this connection's refresh token (it expired after 31 days, "
                "was revoked, or was used twice, in which case Sage revokes the whole connection); "
                "an admin must connect Sage Accounting again",
                response=response,
            )
        if code in ("invalid_client", "unauthorized_client"):
            return AuthError(
                f"Sage refused the app's credentials ({code}); check the client id and secret of "
                "the app registered in Sage's developer portal",
                response=response,
            )
        return AuthError(f"Sage's token endpoint refused the request ({status} {code})", response=response)


def sage_oauth_spec() -> SageOAuth2Spec:
    """The spec of Sage's central login."""
    return SageOAuth2Spec(
        authorize_url=AUTHORIZE_URL,
        token_url=TOKEN_URL,
        level=ConnectionLevel.FIRM,
        scopes=SCOPES,
        pkce=False,
        refresh_margin=60.0,
        rotates_refresh_token=True,
        client_auth="body",
    )
