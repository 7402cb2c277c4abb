"""Xero Identity in the sandbox: the toolkit's OAuth/OpenID server (:mod:`sfsync.sandbox.oauth`)
with Xero's settings, and the consent step that connects organisations (tenants).

Xero's rules: access tokens live 30 minutes; a refresh token only with ``offline_access``, single
use, the rotated one still answering its successor for 30 minutes (a lost response), idle for 60
days it dies; codes live 5 minutes; PKCE for apps without a secret (a code without it is refused at the token
endpoint); the retired broad scopes are
refused (the sandbox's apps are created after 2 March 2026); ``openid`` brings a signed
``id_token``. The login page asks the e-mail address and password, then which organisations the
app may use: each ticked one becomes a *connection* of the grant, listed by ``/connections``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sfsync.sandbox.oauth import (
    AccessToken,
    Grant,
    OAuthClient,
    OAuthServer,
    OAuthSettings,
    OAuthUser,
    checkboxes,
)

from sfsync_xero.auth import RETIRED_SCOPES

if TYPE_CHECKING:
    from sfsync.clock import Clock

ACCESS_LIFETIME = 1800
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

SETTINGS = OAuthSettings(
    issuer="https://identity.xero.com",
    authorize_url="https://login.xero.com/identity/connect/authorize",
    token_url="https://identity.xero.com/connect/token",
    revoke_url="https://identity.xero.com/connect/revocation",
    userinfo_url="https://identity.xero.com/connect/userinfo",
    jwks_url="https://identity.xero.com/.well-known/openid-configuration/jwks",
    openid=True,
    scopes=KNOWN_SCOPES - RETIRED_SCOPES,
    scope_required=True,
    access_lifetime=ACCESS_LIFETIME,
    code_lifetime=300,
    refresh_idle=60 * 86400,
    refresh_grace=1800,
    reuse_revokes_grant=False,
    refresh_needs_scope=True,
    pkce="optional",  # a public app without code_challenge is refused at the token endpoint
    token_prefix="xat_",
    refresh_prefix="xrt_",
    login_fields=("email", "password"),
    page_title="Log in to Xero",
    refusals={"invalid_client": (400, "invalid_client", "The client credentials are invalid.")},
)


@dataclass
class Connection:
    """One organisation a grant may use."""

    id: str
    tenant_id: str
    created: dt.datetime
    updated: dt.datetime


def connections(grant: Grant) -> dict[str, Connection]:
    """The grant's connections, by tenant id."""
    found: dict[str, Connection] = grant.extra.setdefault("connections", {})
    return found


class XeroIdentity(OAuthServer):
    """Xero's identity service: apps (with their tier), one user and the organisations offered."""

    def __init__(self, *, clients: list[OAuthClient], user: OAuthUser, tenants: dict[str, str], tier: str,
                 clock: Clock, token_check: Callable[[dict[str, Any]], None] | None = None) -> None:
        """Serve ``clients`` and ``user``, who may connect ``tenants`` (id: name)."""
        super().__init__(SETTINGS, clients=clients, users=[user], clock=clock)
        self.tenants = tenants
        self.tiers = {client.client_id: tier for client in clients}
        """``advanced`` may call /Journals; ``starter`` may not and has 1,000 calls a day."""
        self.token_check = token_check

    def consent_fields(self, params: dict[str, str]) -> str:
        """Which organisations the app may use, every one ticked."""
        return checkboxes("tenant", "Allow access to", self.tenants)

    def record_consent(self, grant: Grant, params: dict[str, str], items: list[tuple[str, str]]) -> str | None:
        """Connect the ticked organisations; at least one."""
        ticked = [value for name, value in items if name == "tenant" and value in self.tenants]
        if not ticked:
            return "Choose at least one organisation"
        now = self.clock.now()
        grant.extra["auth_event_id"] = str(uuid.uuid4())
        for tenant in ticked:
            connections(grant)[tenant] = Connection(str(uuid.uuid4()), tenant, now, now)
        return None

    def token_fields(self, grant: Grant, body: dict[str, Any]) -> dict[str, Any]:
        """The answer as issued, checked against Xero's ``AccessToken`` schema when asked."""
        if self.token_check is not None:
            self.token_check(body)
        return body

    def bearer(self, header: str | None) -> tuple[AccessToken | None, str]:
        """The live access token of an ``Authorization`` header, or why not (Xero's detail)."""
        if not header or not header.startswith("Bearer "):
            return None, "AuthenticationUnsuccessful"
        found = self.access_tokens.get(header[7:].strip())
        if found is None or found.grant.revoked:
            return None, "AuthenticationUnsuccessful"
        if found.expires <= self.clock.now():
            return None, f"TokenExpired: token expired at {found.expires.strftime('%m/%d/%Y %H:%M:%S')}"
        return found, ""

    def revoke_all(self) -> None:
        """Every grant revoked, its connections gone."""
        super().revoke_all()
        for grant in self.grants:
            connections(grant).clear()
