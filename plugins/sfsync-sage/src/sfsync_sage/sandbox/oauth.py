"""Sage's authorization server, declared on the toolkit's (:mod:`sfsync.sandbox.oauth`).

* Authorization codes live 60 s and are single use (frequently_raised_errors).
* Access tokens live 300 s (``expires_in: 300``).
* Refresh tokens are single use and rotate on every refresh; each dies 31 days after it was issued
  (``refresh_token_expires_in``, see below). One presented a second time is reuse: the toolkit
  revokes the whole family (every token from the same login, the live access token too), which
  issue 22 states Sage does; the body Sage answers then is UNVERIFIED (``invalid_grant``).
* Client credentials go in the form body; scopes ``full_access`` or ``readonly``; no PKCE.
* The token answer is Sage's: ``access_token``, ``scope``, ``token_type: "bearer"``,
  ``expires_in: 300``, ``refresh_token``, ``refresh_token_expires_in: 2678400`` (31 days) and
  ``requested_by_id``, as sample answers quoted in several Sage clients' code show (code search:
  a Node.js router's and a Scala client's comments, a v3.1 integration write-up).
"""

from __future__ import annotations

from typing import Any

from sfsync.sandbox.oauth import Grant, OAuthServer, OAuthSettings, TokenError

from sfsync_sage.facts import (
    ACCESS_TOKEN_SECONDS,
    AUTHORIZE_URL,
    CODE_SECONDS,
    REFRESH_TOKEN_SECONDS,
    TOKEN_HOST,
    TOKEN_URL,
)

__all__ = ["SETTINGS", "SageOAuthServer"]

SETTINGS = OAuthSettings(
    issuer=TOKEN_HOST,
    authorize_url=AUTHORIZE_URL,
    token_url=TOKEN_URL,
    scopes=frozenset({"full_access", "readonly"}),
    default_scope="full_access",
    access_lifetime=ACCESS_TOKEN_SECONDS,
    code_lifetime=CODE_SECONDS,
    refresh_idle=REFRESH_TOKEN_SECONDS,
    refresh_grace=0,
    client_auth=("client_secret_post",),
)


class SageOAuthServer(OAuthServer):
    """The toolkit's server with Sage's token answer, counting refreshes and reuses for tests."""

    refreshes = 0
    """Refresh tokens exchanged (each one rotated)."""
    reuses = 0
    """Refresh tokens presented again after rotation (each one revoked its family)."""

    def refusal(self, reason: str, **headers: str) -> TokenError:
        if reason == "refresh_reused":
            self.reuses += 1
        return super().refusal(reason, **headers)

    def check_refresh(self, grant: Grant) -> None:
        self.refreshes += 1

    def token_fields(self, grant: Grant, body: dict[str, Any]) -> dict[str, Any]:
        return {
            **body,
            "token_type": "bearer",
            "refresh_token_expires_in": REFRESH_TOKEN_SECONDS,
            "requested_by_id": grant.user.subject,
        }

    def live_refresh_token(self, grant: Grant) -> str | None:
        """The family's refresh token that has not been rotated yet."""
        return next(
            (token for token, entry in self.refresh_tokens.items() if entry.grant is grant and entry.rotated_at is None),
            None,
        )
