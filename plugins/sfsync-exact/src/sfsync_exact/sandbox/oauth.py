"""Exact's OAuth2 server: the toolkit's :class:`~sfsync.sandbox.oauth.OAuthServer` with Exact's
lifetimes, rules and error bodies as settings (§2).

* codes: 3 minutes, single use, contain ``!`` (arrive URL-encoded as ``%21``);
* access tokens: 600 s from issue, ``expires_in`` sent as the *string* ``"600"``;
* refresh tokens: single use; the previous one answers ``401 unauthorized_client "Old refresh
  token used."``; unused for 30 days it answers ``400 invalid_request "The refresh token expired
  at … and it is now …"``;
* the early-refresh guard: while the grant's access token has more than 30 s left (issued less than
  570 s ago), a refresh answers ``400 access_denied "Rate limit exceeded: access_token not
  expired"`` with the header ``Reason: TooEarlyToRefreshTokens`` (or the legacy 401 form);
* at most 200 token calls per app and user per day;
* the login page asks ``UserName``/``Password`` and which divisions the app may use (all ticked).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sfsync.sandbox.oauth import (
    Grant,
    OAuthClient,
    OAuthServer,
    OAuthSettings,
    OAuthUser,
    TokenError,
    checkboxes,
    ticked,
)
from sfsync.sandbox.responses import json_response
from starlette.requests import Request
from starlette.responses import Response

if TYPE_CHECKING:
    from sfsync.clock import Clock

__all__ = ["ExactOAuth", "Grant", "TokenError", "exact_settings"]

ACCESS_SECONDS = 600
EARLIEST_REFRESH = 570
REFRESH_IDLE_DAYS = 30
TOKEN_CALLS_PER_DAY = 200

_TOO_EARLY = {
    400: (400, "access_denied", "Rate limit exceeded: access_token not expired"),
    401: (401, "access_denied", "Access Token not expired"),  # the legacy form
}


def exact_settings(host: str, *, too_early_status: int = 400) -> OAuthSettings:
    """Exact's authorization server on ``host`` (one region)."""
    used = "The authorization code is invalid or has been used."
    return OAuthSettings(
        issuer=host,
        authorize_url=f"{host}/api/oauth2/auth",
        token_url=f"{host}/api/oauth2/token",
        access_lifetime=ACCESS_SECONDS,
        code_lifetime=180,
        refresh_idle=REFRESH_IDLE_DAYS * 86400,
        refresh_too_early=ACCESS_SECONDS - EARLIEST_REFRESH,
        reuse_revokes_grant=False,
        token_requests_per_day=TOKEN_CALLS_PER_DAY,
        client_auth=("client_secret_post",),
        expires_in_as_string=True,
        token_prefix="AAEAA",
        refresh_prefix="Gcp7!IAAAA",
        code_prefix="XTzM!IAAAA",
        login_fields=("UserName", "Password"),
        page_title="Exact Online",
        refusals={
            "invalid_client": (400, "invalid_client", "The client credentials are invalid."),
            "code_unknown": (400, "invalid_grant", used),
            "code_reused": (400, "invalid_grant", used),
            "code_expired": (400, "invalid_grant", "The authorization code has expired."),
            "refresh_reused": (401, "unauthorized_client", "Old refresh token used."),
            "grant_revoked": (400, "invalid_grant", "The refresh token has been revoked."),
            "refresh_too_early": _TOO_EARLY[too_early_status],
            "token_quota": (429, "access_denied", f"Rate limit exceeded: more than {TOKEN_CALLS_PER_DAY} token requests today."),
        },
        refusal_headers={"refresh_too_early": {"Reason": "TooEarlyToRefreshTokens"}},
    )


def _exact_time(moment: dt.datetime) -> str:
    # The form Exact writes in the error text: "10/11/2022 9:18:20 PM".
    hour = moment.hour % 12 or 12
    return f"{moment.month}/{moment.day}/{moment.year} {hour}:{moment.minute:02d}:{moment.second:02d} {'AM' if moment.hour < 12 else 'PM'}"


class ExactOAuth(OAuthServer):
    """One region's server; a grant's ``extra["divisions"]`` are the divisions ticked at login."""

    def __init__(
        self, settings: OAuthSettings, *, client: OAuthClient, user: OAuthUser, divisions: dict[int, str], clock: Clock,
    ) -> None:
        """Serve ``client`` and ``user``; ``divisions`` (code: description) are offered at login."""
        super().__init__(settings, clients=[client], users=[user], clock=clock)
        self.divisions = divisions
        self.token_faults: list[tuple[int, dict[str, Any], dict[str, str]]] = []
        """Canned token-endpoint answers (status, body, headers), given before any real one."""

    def consent_fields(self, params: dict[str, str]) -> str:
        """The divisions this app may access, every one ticked."""
        options = {str(code): f"{code} {name}" for code, name in self.divisions.items()}
        return checkboxes("Division", "Divisions this app may access", options)

    def record_consent(self, grant: Grant, params: dict[str, str], items: list[tuple[str, str]]) -> str | None:
        """The ticked divisions (none ticked: all of them, as the page starts)."""
        chosen = {int(value) for name, value in items if name == "Division"}
        grant.extra["divisions"] = frozenset(chosen or self.divisions)
        return None

    def refresh_expired(self, expired_at: dt.datetime, now: dt.datetime) -> TokenError:
        """Exact names both moments in its own format."""
        return TokenError(400, "invalid_request",
                          f"The refresh token expired at {_exact_time(expired_at)} and it is now {_exact_time(now)}.")

    async def token_endpoint(self, request: Request) -> Response:
        """A canned answer first, when one is queued."""
        if self.token_faults:
            status, payload, headers = self.token_faults.pop(0)
            return json_response(payload, status, headers, content_type="application/json")
        return await super().token_endpoint(request)


def ticked_divisions(page: str, consent: set[int] | None) -> list[tuple[str, str]]:
    """What a person ticks on the login page: every offered division, or only ``consent``'s."""
    return ticked(page, "Division", None if consent is None else map(str, consent))
