"""The sandbox's OAuth2 server, with Sage's lifetimes and its refresh-token rotation.

* Authorization codes live 60 s and are single use; a bad, reused or late code answers
  ``400 {"error": "invalid_grant"}`` (frequently_raised_errors).
* Access tokens live 300 s (``expires_in: 300``).
* Refresh tokens are single use and rotate on every refresh; they die after 31 days
  (``refresh_token_expires_in``, UNVERIFIED). A refresh token presented a *second* time is taken
  as stolen, the way OAuth 2.0 Security BCP §4.14 describes reuse detection: the whole family
  (every token descended from the same login) is revoked, and the live access token with it.
  That Sage revokes the family is what issue 22 states; the body it answers is UNVERIFIED
  (``invalid_grant``, as for any dead grant).
* Client credentials go in the form body; a wrong client answers ``401 {"error":
  "invalid_client"}`` (RFC 6749 §5.2; Sage's exact status UNVERIFIED).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

from sfsync_sage.facts import ACCESS_TOKEN_SECONDS, CODE_SECONDS, REFRESH_TOKEN_SECONDS

__all__ = ["Family", "OAuthServer", "TokenRefused"]


class TokenRefused(Exception):
    """A token-endpoint refusal: its status and OAuth body."""

    def __init__(self, status: int, error: str, description: str = "") -> None:
        super().__init__(description or error)
        self.status = status
        self.body = {"error": error, **({"error_description": description} if description else {})}


@dataclass
class Family:
    """Every token descended from one login (one connection)."""

    user: str
    scope: str
    access_token: str = ""
    access_expires: dt.datetime | None = None
    refresh_token: str = ""
    refresh_expires: dt.datetime | None = None
    spent: set[str] = field(default_factory=set)
    revoked: bool = False
    refreshes: int = 0


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    user: str
    scope: str
    issued: dt.datetime
    used: bool = False


class OAuthServer:
    """Codes and token families of one sandbox."""

    def __init__(self, *, client_id: str, client_secret: str) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.codes: dict[str, _Code] = {}
        self.families: list[Family] = []
        self.by_access: dict[str, Family] = {}
        self.by_refresh: dict[str, Family] = {}
        self.reuses = 0
        """Refresh tokens presented twice (each one revoked a family)."""

    def issue_code(
        self, *, client_id: str, redirect_uri: str, user: str, scope: str, now: dt.datetime
    ) -> str:
        code = secrets.token_hex(20)
        self.codes[code] = _Code(client_id, redirect_uri, user, scope, now)
        return code

    def token(self, form: dict[str, str], now: dt.datetime) -> dict[str, Any]:
        """Answer a token request, or raise :class:`TokenRefused`."""
        if form.get("client_id") != self.client_id or not secrets.compare_digest(
            form.get("client_secret", ""), self.client_secret
        ):
            raise TokenRefused(401, "invalid_client")
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return self._exchange(form, now)
        if grant_type == "refresh_token":
            return self._refresh(form.get("refresh_token", ""), now)
        raise TokenRefused(400, "unsupported_grant_type")

    def _exchange(self, form: dict[str, str], now: dt.datetime) -> dict[str, Any]:
        code = self.codes.get(form.get("code", ""))
        if (
            code is None
            or code.used
            or (now - code.issued).total_seconds() > CODE_SECONDS
            or form.get("redirect_uri") != code.redirect_uri
        ):
            raise TokenRefused(400, "invalid_grant")
        code.used = True
        family = Family(user=code.user, scope=code.scope)
        self.families.append(family)
        return self._issue(family, now)

    def _refresh(self, token: str, now: dt.datetime) -> dict[str, Any]:
        family = self.by_refresh.get(token)
        if family is None:
            for candidate in self.families:
                if token in candidate.spent:
                    # Reuse: someone holds an old token of this family. Kill all of it.
                    self.reuses += 1
                    self._revoke(candidate)
                    break
            raise TokenRefused(400, "invalid_grant")
        if family.revoked or family.refresh_expires is None or now >= family.refresh_expires:
            raise TokenRefused(400, "invalid_grant")
        family.refreshes += 1
        return self._issue(family, now)

    def _issue(self, family: Family, now: dt.datetime) -> dict[str, Any]:
        self.by_access.pop(family.access_token, None)
        if family.refresh_token:
            self.by_refresh.pop(family.refresh_token, None)
            family.spent.add(family.refresh_token)
        family.access_token = secrets.token_urlsafe(40)
        family.refresh_token = secrets.token_urlsafe(40)
        family.access_expires = now + dt.timedelta(seconds=ACCESS_TOKEN_SECONDS)
        family.refresh_expires = now + dt.timedelta(seconds=REFRESH_TOKEN_SECONDS)
        self.by_access[family.access_token] = family
        self.by_refresh[family.refresh_token] = family
        return {
            "access_token": family.access_token,
            "expires_in": ACCESS_TOKEN_SECONDS,
            "token_type": "bearer",
            "refresh_token": family.refresh_token,
            "refresh_token_expires_in": REFRESH_TOKEN_SECONDS,
            "scope": family.scope,
            "requested_by_id": family.user,
        }

    def _revoke(self, family: Family) -> None:
        family.revoked = True
        self.by_access.pop(family.access_token, None)
        self.by_refresh.pop(family.refresh_token, None)

    def valid(self, bearer: str, now: dt.datetime) -> bool:
        """Whether an access token is live."""
        family = self.by_access.get(bearer)
        return (
            family is not None
            and not family.revoked
            and family.access_expires is not None
            and now < family.access_expires
        )

    def expire_all(self, now: dt.datetime) -> None:
        for family in self.families:
            family.access_expires = now

    def revoke_all(self) -> None:
        for family in self.families:
            self._revoke(family)
