"""Exact Online's OAuth2 quirks (reference §2), mapped onto the core's OAuth2 flow.

* No PKCE, no scopes (app scopes live on the app registration), client credentials in the body.
* Access tokens live 600 s; ``expires_in`` arrives as the string ``"600"`` (parsed strictly).
* Refresh tokens are single use: the core saves the rotated token before using it.
* The early-refresh guard: Exact refuses a refresh while the access token has more than 30 s left
  (issued less than 570 s ago). ``refresh_margin`` is 25 s, so a proactive refresh never comes
  early; a forced one that does (after an unexpected 401) gets :class:`TooEarlyToRefresh`, a
  :class:`~sfsync.errors.RateLimited` the client waits out.
* Error bodies of §2.3: ``Old refresh token used.`` and an expired refresh token mean the grant is
  dead (:class:`~sfsync.errors.NeedsReconsent`); a refused client secret is an
  :class:`~sfsync.errors.AuthError`; the 200-calls-a-day cap is a
  :class:`~sfsync.errors.BudgetExhausted`.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import SecretStr
from sfsync.auth import ConnectionLevel, OAuth2Spec, TokenSet
from sfsync.errors import (
    AuthError,
    BudgetExhausted,
    MalformedResponse,
    NeedsReconsent,
    RateLimited,
    RetriableError,
    SfsyncError,
)

__all__ = ["ExactOAuth2Spec", "TooEarlyToRefresh", "exact_oauth_spec"]

ACCESS_TOKEN_SECONDS = 600
EARLIEST_REFRESH_SECONDS = 570
REFRESH_MARGIN_SECONDS = 25.0


class TooEarlyToRefresh(RateLimited):
    """Exact refused a refresh because the access token has not yet lived 570 s."""


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = json.loads(response.content or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


@dataclass(frozen=True)
class ExactOAuth2Spec(OAuth2Spec):
    """The core's OAuth2 spec with Exact's token responses and error bodies."""

    def parse_token_response(
        self, response: httpx.Response, *, now: dt.datetime, previous: TokenSet | None = None
    ) -> TokenSet:
        body = _body(response)
        access, refresh, expires = (
            body.get("access_token"),
            body.get("refresh_token"),
            body.get("expires_in"),
        )
        # Exact sends expires_in as a string of digits; accept an int too, refuse anything else.
        if isinstance(expires, str) and expires.strip().isdigit():
            seconds = int(expires.strip())
        elif isinstance(expires, int) and not isinstance(expires, bool):
            seconds = expires
        else:
            seconds = -1
        if not access or not refresh or seconds <= 0:
            raise MalformedResponse(
                "Exact's token endpoint answered without access_token, refresh_token and a numeric "
                "expires_in",
                response=response,
            )
        return TokenSet(
            access_token=SecretStr(str(access)),
            refresh_token=SecretStr(str(refresh)),
            expires_at=now + dt.timedelta(seconds=seconds),
            extra={"issued_at": now.isoformat()},
        )

    def classify_token_error(self, response: httpx.Response) -> SfsyncError:
        body = _body(response)
        code = str(body.get("error", ""))
        text = str(body.get("error_description", ""))
        reason = response.headers.get("Reason", "")
        status = response.status_code
        if reason == "TooEarlyToRefreshTokens" or "not expired" in text.lower():
            return TooEarlyToRefresh(
                "Exact refuses to refresh an access token younger than 570 seconds; waiting",
                retry_after=float(ACCESS_TOKEN_SECONDS - EARLIEST_REFRESH_SECONDS),
                response=response,
            )
        if status == 429 or "rate limit exceeded" in text.lower():
            # No clock here: the runner knows when "tomorrow" is; resume_at stays unknown.
            return BudgetExhausted(
                "Exact's token endpoint allows 200 calls a day per app and user and they are spent; "
                "the sync resumes tomorrow",
                response=response,
            )
        if status >= 500:
            return RetriableError(
                f"Exact's token endpoint is unavailable ({status})", response=response
            )
        if "old refresh token" in text.lower():
            return NeedsReconsent(
                "Exact says this connection's refresh token was already used (Exact's refresh tokens "
                "are single use; another process may have refreshed it); an admin must connect "
                "Exact again",
                response=response,
            )
        if "refresh token expired" in text.lower() or code == "invalid_grant":
            what = (
                "expired (unused for 30 days)" if "expired" in text.lower() else "no longer valid"
            )
            return NeedsReconsent(
                f"Exact's refresh token for this connection is {what}; an admin must connect Exact "
                "again",
                response=response,
            )
        if code in ("invalid_client", "unauthorized_client"):
            return AuthError(
                f"Exact refused the app's credentials ({code}); check the client id and secret of "
                "the app registration in Exact's App Center (they are bound to one country)",
                response=response,
            )
        return AuthError(
            f"Exact's token endpoint refused the request ({status} {code}: {text[:120]})",
            response=response,
        )


def exact_oauth_spec(base_url: str) -> ExactOAuth2Spec:
    """The spec for one region's host (``https://start.exactonline.be``)."""
    return ExactOAuth2Spec(
        authorize_url=f"{base_url}/api/oauth2/auth",
        token_url=f"{base_url}/api/oauth2/token",
        level=ConnectionLevel.FIRM,
        pkce=False,
        refresh_margin=REFRESH_MARGIN_SECONDS,
        rotates_refresh_token=True,
        client_auth="body",
        extra_authorize_params={"force_login": "0"},
    )
