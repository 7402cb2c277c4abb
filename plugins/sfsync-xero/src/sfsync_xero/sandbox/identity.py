"""Xero Identity in the sandbox: apps, users, consents (grants), codes, tokens and connections."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from sfsync_xero.auth import RETIRED_SCOPES

ACCESS_LIFETIME = 1800
REFRESH_GRACE = dt.timedelta(minutes=30)
REFRESH_IDLE = dt.timedelta(days=60)
CODE_LIFETIME = dt.timedelta(minutes=5)
KNOWN_SCOPES = frozenset({
    "openid", "profile", "email", "offline_access",
    "accounting.settings", "accounting.settings.read", "accounting.journals.read",
    "accounting.reports.trialbalance.read", "accounting.reports.read",
    "accounting.transactions", "accounting.transactions.read", "accounting.contacts.read",
})
SCOPE_FOR = {
    "/Organisation": ("accounting.settings.read", "accounting.settings"),
    "/Accounts": ("accounting.settings.read", "accounting.settings"),
    "/Journals": ("accounting.journals.read",),
    "/Reports/TrialBalance": ("accounting.reports.trialbalance.read", "accounting.reports.read"),
}


@dataclass
class App:
    client_id: str
    client_secret: str | None
    tier: str = "advanced"
    """``advanced`` may call /Journals; ``starter`` may not and has 1,000 calls a day."""
    granular: bool = True
    """Created on or after 2 March 2026: the retired broad scopes are refused."""


@dataclass
class Connection:
    id: str
    tenant_id: str
    created: dt.datetime
    updated: dt.datetime


@dataclass
class Grant:
    id: str
    app: App
    user: str
    scopes: frozenset[str]
    auth_event_id: str
    connections: dict[str, Connection] = field(default_factory=dict)
    revoked: bool = False


@dataclass
class Code:
    grant: Grant
    redirect_uri: str
    challenge: str | None
    expires: dt.datetime
    used: bool = False


@dataclass
class Refresh:
    grant: Grant
    last_used: dt.datetime
    superseded: dt.datetime | None = None
    successor: str | None = None


@dataclass
class Access:
    grant: Grant
    expires: dt.datetime


class TokenError(Exception):
    def __init__(self, error: str, status: int = 400, description: str = "") -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.description = description


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class Identity:
    """The identity service's state; every time comes from the sandbox clock."""

    def __init__(self, now: Callable[[], dt.datetime]) -> None:
        self.now = now
        self.apps: dict[str, App] = {}
        self.users: dict[str, tuple[str, list[str]]] = {}
        self.codes: dict[str, Code] = {}
        self.refresh: dict[str, Refresh] = {}
        self.access: dict[str, Access] = {}
        self.grants: list[Grant] = []
        self.pending_code_verifications = 0

    # --- authorize -----------------------------------------------------------------------------

    def check_scopes(self, app: App, scope: str) -> str | None:
        scopes = scope.split()
        unknown = [s for s in scopes if s not in KNOWN_SCOPES]
        if unknown or not scopes:
            return "invalid_scope"
        if app.granular and RETIRED_SCOPES.intersection(scopes):
            return "invalid_scope"
        return None

    def consent(self, app: App, user: str, scope: str, tenants: list[str], redirect_uri: str,
                challenge: str | None) -> str:
        now = self.now()
        grant = Grant(str(uuid.uuid4()), app, user, frozenset(scope.split()), str(uuid.uuid4()))
        for tenant in tenants:
            grant.connections[tenant] = Connection(str(uuid.uuid4()), tenant, now, now)
        self.grants.append(grant)
        code = secrets.token_urlsafe(24)
        self.codes[code] = Code(grant, redirect_uri, challenge, now + CODE_LIFETIME)
        return code

    # --- token endpoint ------------------------------------------------------------------------

    def client(self, client_id: str | None, client_secret: str | None) -> App:
        app = self.apps.get(client_id or "")
        if app is None:
            raise TokenError("invalid_client", 400)
        if app.client_secret is not None and not secrets.compare_digest(
            app.client_secret, client_secret or ""
        ):
            raise TokenError("invalid_client", 400)
        return app

    def exchange_code(self, app: App, code: str, redirect_uri: str, verifier: str | None) -> dict[str, object]:
        entry = self.codes.get(code)
        if entry is None or entry.used or entry.expires < self.now() or entry.grant.app is not app:
            raise TokenError("invalid_grant")
        entry.used = True  # single use, even when the rest is wrong
        if entry.redirect_uri != redirect_uri:
            raise TokenError("invalid_grant", description="redirect_uri does not match")
        if entry.challenge is not None:
            if not verifier or s256(verifier) != entry.challenge:
                raise TokenError("invalid_grant", description="code_verifier does not match")
        elif app.client_secret is None:
            raise TokenError("invalid_request", description="a PKCE app must send code_challenge")
        return self.issue(entry.grant)

    def issue(self, grant: Grant, refresh_token: str | None = None) -> dict[str, object]:
        now = self.now()
        access = "xat_" + secrets.token_urlsafe(32)
        self.access[access] = Access(grant, now + dt.timedelta(seconds=ACCESS_LIFETIME))
        body: dict[str, object] = {
            "access_token": access,
            "expires_in": ACCESS_LIFETIME,
            "token_type": "Bearer",
            "scope": " ".join(sorted(grant.scopes)),
        }
        if "offline_access" in grant.scopes:
            if refresh_token is None:
                refresh_token = "xrt_" + secrets.token_urlsafe(32)
                self.refresh[refresh_token] = Refresh(grant, now)
            body["refresh_token"] = refresh_token
        if "openid" in grant.scopes:
            body["id_token"] = "xid_" + secrets.token_urlsafe(16)
        return body

    def use_refresh(self, app: App, token: str) -> dict[str, object]:
        now = self.now()
        entry = self.refresh.get(token)
        if entry is None or entry.grant.app is not app or entry.grant.revoked:
            raise TokenError("invalid_grant")
        if now - entry.last_used > REFRESH_IDLE:
            raise TokenError("invalid_grant", description="refresh token expired")
        if entry.superseded is not None:
            # Rotated already: the previous token still works for 30 minutes (a lost response).
            if now - entry.superseded > REFRESH_GRACE or entry.successor is None:
                raise TokenError("invalid_grant")
            return self.issue(entry.grant, refresh_token=entry.successor)
        body = self.issue(entry.grant)
        entry.superseded = now
        entry.successor = str(body["refresh_token"])
        return body

    def revoke_refresh(self, token: str) -> None:
        entry = self.refresh.get(token)
        if entry is not None:
            self.revoke_grant(entry.grant)

    def revoke_grant(self, grant: Grant) -> None:
        grant.revoked = True
        grant.connections.clear()

    # --- bearer tokens -------------------------------------------------------------------------

    def bearer(self, header: str | None) -> tuple[Access | None, str]:
        if not header or not header.startswith("Bearer "):
            return None, "AuthenticationUnsuccessful"
        entry = self.access.get(header[7:].strip())
        if entry is None or entry.grant.revoked:
            return None, "AuthenticationUnsuccessful"
        if entry.expires <= self.now():
            stamp = entry.expires.strftime("%m/%d/%Y %H:%M:%S")
            return None, f"TokenExpired: token expired at {stamp}"
        return entry, ""

    def expire_all(self) -> None:
        now = self.now()
        for entry in self.access.values():
            entry.expires = min(entry.expires, now)
