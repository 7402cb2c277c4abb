"""The sandbox's OAuth2 server, with Exact's lifetimes, rotation rules and error bodies (§2).

* codes: 3 minutes, single use, contain ``!`` (arrive URL-encoded as ``%21``);
* access tokens: 600 s from issue, ``expires_in`` sent as the *string* ``"600"``;
* refresh tokens: single use; the previous one answers ``401 unauthorized_client "Old refresh
  token used."``; unused for 30 days it answers ``400 invalid_request "The refresh token expired
  at … and it is now …"``;
* the early-refresh guard: while the grant's access token has more than 30 s left (issued less than
  570 s ago), a refresh answers ``400 access_denied "Rate limit exceeded: access_token not
  expired"`` with the header ``Reason: TooEarlyToRefreshTokens`` (or the legacy 401 form);
* at most 200 token calls per app and user per day.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Grant", "OAuthServer", "TokenError"]

CODE_SECONDS = 180
ACCESS_SECONDS = 600
EARLIEST_REFRESH = 570
REFRESH_IDLE_DAYS = 30
TOKEN_CALLS_PER_DAY = 200


class TokenError(Exception):
    """A token-endpoint refusal: status, OAuth body and extra headers."""

    def __init__(
        self, status: int, error: str, description: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.body = {"error": error, "error_description": description}
        self.headers = headers or {}


@dataclass
class Grant:
    """One user consent for one app: the divisions it covers and its current tokens."""

    client_id: str
    user: str
    divisions: frozenset[int]
    access_token: str = ""
    access_issued: dt.datetime | None = None
    access_expires: dt.datetime | None = None
    refresh_token: str = ""
    refresh_issued: dt.datetime | None = None
    old_refresh_tokens: set[str] = field(default_factory=set)
    revoked: bool = False


@dataclass
class _Code:
    code: str
    client_id: str
    redirect_uri: str
    user: str
    divisions: frozenset[int]
    issued: dt.datetime
    used: bool = False


def _exact_time(moment: dt.datetime) -> str:
    # The form Exact writes in the error text: "10/11/2022 9:18:20 PM".
    hour = moment.hour % 12 or 12
    return f"{moment.month}/{moment.day}/{moment.year} {hour}:{moment.minute:02d}:{moment.second:02d} {'AM' if moment.hour < 12 else 'PM'}"


class OAuthServer:
    """Codes, grants and tokens of one region's sandbox."""

    def __init__(self, *, client_id: str, client_secret: str, too_early_status: int = 400) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.too_early_status = too_early_status
        self.codes: dict[str, _Code] = {}
        self.grants: list[Grant] = []
        self.by_access: dict[str, Grant] = {}
        self.by_refresh: dict[str, Grant] = {}
        self.token_calls: dict[tuple[str, str, dt.date], int] = {}

    # --- authorize ------------------------------------------------------------------------------

    def issue_code(
        self,
        *,
        client_id: str,
        redirect_uri: str,
        user: str,
        divisions: frozenset[int],
        now: dt.datetime,
    ) -> str:
        code = "XTzM!IAAAA" + secrets.token_urlsafe(24)
        self.codes[code] = _Code(code, client_id, redirect_uri, user, divisions, now)
        return code

    # --- token endpoint -------------------------------------------------------------------------

    def token(self, form: dict[str, str], now: dt.datetime) -> dict[str, Any]:
        client_id = form.get("client_id", "")
        if client_id != self.client_id or form.get("client_secret") != self.client_secret:
            raise TokenError(400, "invalid_client", "The client credentials are invalid.")
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return self._exchange(form, now)
        if grant_type == "refresh_token":
            return self._refresh(form, now)
        raise TokenError(
            400, "unsupported_grant_type", f"The grant type {grant_type!r} is not supported."
        )

    def _count_call(self, grant_user: str, now: dt.datetime) -> None:
        key = (self.client_id, grant_user, now.date())
        self.token_calls[key] = self.token_calls.get(key, 0) + 1
        if self.token_calls[key] > TOKEN_CALLS_PER_DAY:
            raise TokenError(
                429, "access_denied", "Rate limit exceeded: more than 200 token requests today."
            )

    def _exchange(self, form: dict[str, str], now: dt.datetime) -> dict[str, Any]:
        code = self.codes.get(form.get("code", ""))
        if code is None or code.used:
            raise TokenError(
                400, "invalid_grant", "The authorization code is invalid or has been used."
            )
        if (now - code.issued).total_seconds() > CODE_SECONDS:
            raise TokenError(400, "invalid_grant", "The authorization code has expired.")
        if form.get("redirect_uri") != code.redirect_uri:
            raise TokenError(
                400, "invalid_grant", "The redirect_uri does not match the authorization request."
            )
        code.used = True
        self._count_call(code.user, now)
        grant = Grant(client_id=code.client_id, user=code.user, divisions=code.divisions)
        self.grants.append(grant)
        return self._issue(grant, now)

    def _refresh(self, form: dict[str, str], now: dt.datetime) -> dict[str, Any]:
        token = form.get("refresh_token", "")
        grant = self.by_refresh.get(token)
        if grant is None:
            for candidate in self.grants:
                if token in candidate.old_refresh_tokens:
                    raise TokenError(401, "unauthorized_client", "Old refresh token used.")
            raise TokenError(400, "invalid_grant", "The refresh token is invalid.")
        if grant.revoked:
            raise TokenError(400, "invalid_grant", "The refresh token has been revoked.")
        assert grant.refresh_issued is not None and grant.access_expires is not None
        expiry = grant.refresh_issued + dt.timedelta(days=REFRESH_IDLE_DAYS)
        if now > expiry:
            raise TokenError(
                400,
                "invalid_request",
                f"The refresh token expired at {_exact_time(expiry)} and it is now {_exact_time(now)}.",
            )
        if (grant.access_expires - now).total_seconds() > ACCESS_SECONDS - EARLIEST_REFRESH:
            if self.too_early_status == 401:
                raise TokenError(
                    401,
                    "access_denied",
                    "Access Token not expired",
                    {"Reason": "TooEarlyToRefreshTokens"},
                )
            raise TokenError(
                400,
                "access_denied",
                "Rate limit exceeded: access_token not expired",
                {"Reason": "TooEarlyToRefreshTokens"},
            )
        self._count_call(grant.user, now)
        return self._issue(grant, now)

    def _issue(self, grant: Grant, now: dt.datetime) -> dict[str, Any]:
        if grant.access_token:
            self.by_access.pop(grant.access_token, None)
        if grant.refresh_token:
            self.by_refresh.pop(grant.refresh_token, None)
            grant.old_refresh_tokens.add(grant.refresh_token)
        grant.access_token = "AAEAA" + secrets.token_urlsafe(48)
        grant.refresh_token = "Gcp7!IAAAA" + secrets.token_urlsafe(48)
        grant.access_issued = now
        grant.access_expires = now + dt.timedelta(seconds=ACCESS_SECONDS)
        grant.refresh_issued = now
        self.by_access[grant.access_token] = grant
        self.by_refresh[grant.refresh_token] = grant
        return {
            "access_token": grant.access_token,
            "token_type": "Bearer",
            "expires_in": str(ACCESS_SECONDS),
            "refresh_token": grant.refresh_token,
        }

    # --- API calls --------------------------------------------------------------------------------

    def grant_for(self, bearer: str, now: dt.datetime) -> Grant | None:
        grant = self.by_access.get(bearer)
        if (
            grant is None
            or grant.revoked
            or grant.access_expires is None
            or now >= grant.access_expires
        ):
            return None
        return grant

    def expire_all(self, now: dt.datetime) -> None:
        for grant in self.grants:
            if grant.access_expires is not None:
                grant.access_expires = now

    def revoke_all(self) -> None:
        for grant in self.grants:
            grant.revoked = True
