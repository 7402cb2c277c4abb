"""Intuit's OAuth 2.0 server in the sandbox: the discovery document, the authorize page's grants,
the token endpoint's codes and tokens, revocation.

Facts (see ``shared/reference/providers/quickbooks-online.md``): access tokens live one hour
(``expires_in: 3600``); every refresh returns a new refresh token whose life is a rolling 100
days (``x_refresh_token_expires_in``), under a hard maximum of five years from the consent
(``x_refresh_token_hard_expires_in``, as Intuit's Java and .NET SDKs expose it since 2025). One
token is bound to the one company (realm) picked at consent.

UNVERIFIED, kept here to be easy to correct: that a rotated-away refresh token keeps answering
with its successor for 24 hours (reported by third parties, not by Intuit), and the exact
name of the hard-maximum field.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass

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


@dataclass
class App:
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]


@dataclass
class Grant:
    app: App
    realm: str
    scopes: frozenset[str]
    consented: dt.datetime
    revoked: bool = False


@dataclass
class Code:
    grant: Grant
    redirect_uri: str
    expires: dt.datetime
    used: bool = False


@dataclass
class Refresh:
    grant: Grant
    expires: dt.datetime
    rotated: dt.datetime | None = None
    successor: str | None = None


@dataclass
class Access:
    grant: Grant
    expires: dt.datetime


class TokenError(Exception):
    def __init__(self, error: str, status: int = 400) -> None:
        super().__init__(error)
        self.error = error
        self.status = status


class OAuthServer:
    """Apps, grants, codes and tokens; every time from the sandbox clock."""

    def __init__(self, now: Callable[[], dt.datetime]) -> None:
        self.now = now
        self.apps: dict[str, App] = {}
        self.codes: dict[str, Code] = {}
        self.refresh: dict[str, Refresh] = {}
        self.access: dict[str, Access] = {}
        self.grants: list[Grant] = []

    def consent(self, app: App, realm: str, scope: str, redirect_uri: str) -> str:
        grant = Grant(app, realm, frozenset(scope.split()), self.now())
        self.grants.append(grant)
        code = "AB11" + secrets.token_urlsafe(30)
        self.codes[code] = Code(grant, redirect_uri, self.now() + CODE_LIFETIME)
        return code

    def client(self, client_id: str | None, client_secret: str | None) -> App:
        app = self.apps.get(client_id or "")
        if app is None or not secrets.compare_digest(app.client_secret, client_secret or ""):
            raise TokenError("invalid_client", 401)
        return app

    def exchange_code(self, app: App, code: str, redirect_uri: str) -> dict[str, object]:
        entry = self.codes.get(code)
        if entry is None or entry.used or entry.expires < self.now() or entry.grant.app is not app:
            raise TokenError("invalid_grant")
        entry.used = True
        if entry.redirect_uri != redirect_uri:
            raise TokenError("invalid_grant")
        return self.issue(entry.grant)

    def issue(self, grant: Grant) -> dict[str, object]:
        now = self.now()
        access = "eyJlbmMiOiJBMTI4Q0JDLUhTMjU2" + secrets.token_urlsafe(40)
        self.access[access] = Access(grant, now + dt.timedelta(seconds=ACCESS_LIFETIME))
        hard_end = grant.consented + REFRESH_HARD_MAX
        expires = min(now + REFRESH_ROLLING, hard_end)
        refresh = "AB11" + secrets.token_urlsafe(36)
        self.refresh[refresh] = Refresh(grant, expires)
        return {
            "token_type": "bearer",
            "access_token": access,
            "expires_in": ACCESS_LIFETIME,
            "refresh_token": refresh,
            "x_refresh_token_expires_in": int((expires - now).total_seconds()),
            "x_refresh_token_hard_expires_in": int((hard_end - now).total_seconds()),
        }

    def use_refresh(self, app: App, token: str) -> dict[str, object]:
        now = self.now()
        entry = self.refresh.get(token)
        if entry is None or entry.grant.app is not app or entry.grant.revoked or entry.expires <= now:
            raise TokenError("invalid_grant")
        if entry.rotated is not None:
            # A lost answer: the old token still gives tokens for a while (UNVERIFIED, see above).
            successor = self.refresh.get(entry.successor or "")
            if now - entry.rotated > ROTATED_GRACE or successor is None:
                raise TokenError("invalid_grant")
        body = self.issue(entry.grant)
        entry.rotated = now
        entry.successor = str(body["refresh_token"])
        return body

    def revoke(self, token: str) -> bool:
        entry = self.refresh.get(token) or self.access.get(token)
        if entry is None:
            return False
        entry.grant.revoked = True
        return True

    def bearer(self, header: str | None) -> tuple[Access | None, str]:
        """The access token of an ``Authorization`` header, or why it is refused."""
        if not header or not header.startswith("Bearer "):
            return None, "Authorization header missing or not a Bearer token"
        entry = self.access.get(header[7:].strip())
        if entry is None or entry.grant.revoked:
            return None, "Token revoked or unknown"
        if entry.expires <= self.now():
            return None, "Token expired"
        return entry, ""

    def expire_all(self) -> None:
        now = self.now()
        for entry in self.access.values():
            entry.expires = min(entry.expires, now)

    def revoke_all(self) -> None:
        for grant in self.grants:
            grant.revoked = True
