"""An OAuth2 / OpenID Connect authorization server that a sandbox configures rather than writes.

It serves, on the paths of the URLs in its :class:`OAuthSettings`:

- the authorize page: an HTML login form (``GET``) and its post (``POST``), checking the client,
  ``redirect_uri``, ``response_type``, scopes, ``state`` (passed back) and PKCE (``S256``;
  ``plain`` only when allowed), then redirecting with a single-use ``code``;
- the token endpoint: ``authorization_code`` (code single use and short-lived, ``redirect_uri`` and
  ``code_verifier`` checked; a reused code revokes what it issued) and ``refresh_token`` (single-use
  rotation; a rotated token presented again is *reuse*: the whole family of tokens from that
  consent is revoked, unless it comes within the configured grace);
- revocation (RFC 7009), the discovery document (``/.well-known/openid-configuration``), the JWKS
  and userinfo; with OpenID, a real RS256 ``id_token`` (``iss``, ``sub``, ``aud``, ``exp``,
  ``iat``, ``auth_time``, ``nonce``, ``at_hash``).

Every time is the sandbox's clock, so lifetimes pass in no time on a fake or scaled clock. A
package's own answers are data: :attr:`OAuthSettings.refusals` maps each reason to the status,
``error`` and description the package sends (:attr:`OAuthSettings.refusal_headers` any headers
with it), and the package's rules are settings too: a refresh refused while the access token is
young (``refresh_too_early``), refresh tokens that do not rotate (``rotate_refresh``), a daily
token-request quota, the login form's field names. What is the package's own beyond that, a
subclass overrides: :meth:`OAuthServer.consent_fields` and :meth:`OAuthServer.record_consent`
(a consent step: Xero's tenants, Exact's divisions), :meth:`OAuthServer.check_refresh`,
:meth:`OAuthServer.refresh_expired` (a message naming the moments) or
:meth:`OAuthServer.token_fields`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sfsync.sandbox.jwt import b64url, signing_key
from sfsync.sandbox.responses import exact, json_response, text_response
from sfsync.sandbox.routing import basic_credentials, bearer_token, form, form_items

if TYPE_CHECKING:
    import httpx

    from sfsync.clock import Clock

__all__ = [
    "AccessToken",
    "Grant",
    "OAuthClient",
    "OAuthServer",
    "OAuthSettings",
    "OAuthUser",
    "TokenError",
    "checkboxes",
    "login_at",
    "s256",
    "ticked",
]

DEFAULT_REFUSALS: dict[str, tuple[int, str, str]] = {
    "invalid_client": (401, "invalid_client", "The client credentials are invalid."),
    "invalid_request": (400, "invalid_request", "The request is missing a parameter or has one twice."),
    "unsupported_grant_type": (400, "unsupported_grant_type", "The grant type is not supported."),
    "code_unknown": (400, "invalid_grant", "The authorization code is invalid."),
    "code_expired": (400, "invalid_grant", "The authorization code expired."),
    "code_reused": (400, "invalid_grant", "The authorization code was already used."),
    "redirect_mismatch": (400, "invalid_grant", "The redirect_uri does not match the authorization request."),
    "pkce_failed": (400, "invalid_grant", "The code_verifier does not match the code_challenge."),
    "pkce_missing": (400, "invalid_request", "This client must send a code_verifier."),
    "refresh_unknown": (400, "invalid_grant", "The refresh token is invalid."),
    "refresh_expired": (400, "invalid_grant", "The refresh token expired."),
    "refresh_reused": (400, "invalid_grant", "The refresh token was already used; the grant is revoked."),
    "grant_revoked": (400, "invalid_grant", "The grant was revoked."),
    "refresh_too_early": (400, "invalid_grant", "The access token has not expired yet."),
    "token_quota": (429, "access_denied", "Too many token requests today."),
}
"""Each refusal reason with the status, ``error`` and description it answers by default."""


def s256(verifier: str) -> str:
    """The PKCE ``S256`` challenge of ``verifier``."""
    return b64url(hashlib.sha256(verifier.encode("ascii")).digest())


@dataclass(frozen=True)
class OAuthClient:
    """A registered app: ``client_secret`` ``None`` for a public (PKCE-only) client; no
    ``redirect_uris`` = any redirect URI is accepted (a sandbox that registers none)."""

    client_id: str
    client_secret: str | None
    redirect_uris: tuple[str, ...] = ()
    name: str = "Sandbox app"


@dataclass(frozen=True)
class OAuthUser:
    """A person who can log in at the authorize page."""

    username: str
    password: str
    subject: str = ""
    email: str = ""
    name: str = ""


@dataclass
class OAuthSettings:
    """What a package's authorization server looks like: its URLs, lifetimes and rules.

    Attributes:
        issuer: The ``iss`` of its tokens and the base of its discovery document.
        authorize_url, token_url: The endpoints (their paths are routed).
        revoke_url, userinfo_url: Optional endpoints (``None``: not served).
        jwks_url: Where the signing keys are published (with OpenID).
        openid: Whether ``openid`` in the scope brings an ``id_token`` (and discovery is served).
        scopes: The scopes a client may ask (``None``: any); unknown ones are ``invalid_scope``.
        default_scope: The scope when the authorize request names none.
        access_lifetime: Seconds an access token lives.
        code_lifetime: Seconds a code lives.
        refresh_lifetime: Seconds a refresh token lives from its consent (``None``: for ever).
        refresh_idle: Seconds a refresh token may lie unused (``None``: no limit).
        refresh_grace: Seconds a rotated refresh token still answers (with its successor), for a
            client that lost the response; after that it is reuse.
        refresh_needs_scope: Issue a refresh token only when the scope has ``offline_access``.
        pkce: ``"optional"``, ``"required"`` (every client) or ``"public"`` (public clients only).
        allow_plain_pkce: Accept ``code_challenge_method=plain``.
        client_auth: How clients authenticate at the token endpoint (``client_secret_post``,
            ``client_secret_basic``).
        expires_in_as_string: Send ``expires_in`` as a string (Exact does).
        token_prefix: Prepended to every issued token (``xat_``…), to tell them apart in logs.
        refusals: Overrides of :data:`DEFAULT_REFUSALS`, by reason.
        refusal_headers: Headers sent with a refusal, by reason (Exact's ``Reason:
            TooEarlyToRefreshTokens``).
        code_prefix: Prepended to every code (Exact's contain ``!``, which arrives URL-encoded).
        refresh_prefix: Prepended to refresh tokens (``None``: ``token_prefix``).
        login_fields: The names of the login form's user and password inputs.
        page_title: The title of the authorize page.
        refresh_too_early: Refuse a refresh (reason ``refresh_too_early``) while the grant's latest
            access token has more than this many seconds to live (``None``: never; Exact: 30).
        rotate_refresh: Issue a new refresh token on each refresh (single use); ``False``: the
            refresh token stays the same and keeps working (Twinfield's).
        reuse_revokes_grant: Whether presenting a rotated refresh token again revokes the grant
            (RFC 9700) or is only refused.
        token_requests_per_day: At most this many tokens issued per client and user per UTC day
            (reason ``token_quota``; ``None``: no quota).
        id_token_lifetime: Seconds an ``id_token`` is valid (``None``: as the access token).
        scope_required: An authorize request without a scope (and no ``default_scope``) is
            ``invalid_scope``.
    """

    issuer: str
    authorize_url: str
    token_url: str
    revoke_url: str | None = None
    userinfo_url: str | None = None
    jwks_url: str | None = None
    openid: bool = False
    scopes: frozenset[str] | None = None
    default_scope: str = ""
    access_lifetime: int = 3600
    code_lifetime: int = 600
    refresh_lifetime: int | None = None
    refresh_idle: int | None = None
    refresh_grace: int = 0
    refresh_needs_scope: bool = False
    pkce: str = "optional"
    allow_plain_pkce: bool = False
    client_auth: tuple[str, ...] = ("client_secret_post", "client_secret_basic")
    expires_in_as_string: bool = False
    token_prefix: str = ""
    refusals: dict[str, tuple[int, str, str]] = field(default_factory=dict)
    refusal_headers: dict[str, dict[str, str]] = field(default_factory=dict)
    code_prefix: str = ""
    refresh_prefix: str | None = None
    login_fields: tuple[str, str] = ("username", "password")
    page_title: str = "Log in"
    refresh_too_early: int | None = None
    rotate_refresh: bool = True
    reuse_revokes_grant: bool = True
    token_requests_per_day: int | None = None
    id_token_lifetime: int | None = None
    scope_required: bool = False


class TokenError(Exception):
    """A refusal at the token or revocation endpoint, answered as the package answers it."""

    def __init__(self, status: int, error: str, description: str, headers: dict[str, str] | None = None) -> None:
        """Keep the status, the OAuth ``error`` and its description, and any extra headers."""
        super().__init__(description)
        self.status, self.error, self.description = status, error, description
        self.headers = dict(headers or {})


@dataclass(eq=False)
class Grant:
    """One consent: a user, a client and the scopes agreed; every token it begot is its family."""

    id: str
    client: OAuthClient
    user: OAuthUser
    scopes: frozenset[str]
    consented_at: dt.datetime
    nonce: str | None = None
    revoked: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    """What the package's consent step recorded (chosen tenants, divisions…)."""
    access_expires: dt.datetime | None = None
    """When the latest access token issued on this grant expires."""


@dataclass(eq=False)
class AccessToken:
    """An issued access token; :meth:`OAuthServer.access` finds a live one."""

    token: str
    grant: Grant
    expires: dt.datetime


@dataclass(eq=False)
class _Code:
    grant: Grant
    redirect_uri: str
    challenge: str | None
    method: str
    expires: dt.datetime
    used: bool = False
    issued: list[str] = field(default_factory=list)


@dataclass(eq=False)
class _Refresh:
    grant: Grant
    issued: dt.datetime
    last_used: dt.datetime
    rotated_at: dt.datetime | None = None
    successor: str | None = None


class OAuthServer:
    """The authorization server of one sandbox: clients, users, grants, codes and tokens."""

    def __init__(
        self,
        settings: OAuthSettings,
        *,
        clients: list[OAuthClient],
        users: list[OAuthUser],
        clock: Clock,
        on_consent: Callable[[Grant, dict[str, str]], None] | None = None,
    ) -> None:
        """Serve ``clients`` and ``users`` on ``settings``, timed by ``clock``.

        ``on_consent(grant, posted_form)`` records what the package's consent step chose (tenants,
        divisions) into :attr:`Grant.extra`.
        """
        self.settings = settings
        self.clients = {c.client_id: c for c in clients}
        self.users = {u.username: u for u in users}
        self.clock = clock
        self.on_consent = on_consent
        self.grants: list[Grant] = []
        self.codes: dict[str, _Code] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.refresh_tokens: dict[str, _Refresh] = {}
        self.token_requests = 0
        self.token_calls: dict[tuple[str, str, dt.date], int] = {}
        """Tokens issued per (client id, user name, UTC day), for ``token_requests_per_day``."""

    # --- what a sandbox's API handlers use --------------------------------------------------------

    def access(self, request_or_token: Request | str | None) -> AccessToken | None:
        """The live access token of a request (``Authorization: Bearer``) or a token; ``None`` when
        missing, unknown, expired or revoked."""
        token = bearer_token(request_or_token) if isinstance(request_or_token, Request) else request_or_token
        found = self.access_tokens.get(token or "")
        if found is None or found.grant.revoked or found.expires <= self.clock.now():
            return None
        return found

    def expire_all(self) -> None:
        """Make every access token expire now (refresh tokens keep working)."""
        now = self.clock.now()
        for token in self.access_tokens.values():
            token.expires = min(token.expires, now)
        for grant in self.grants:
            if grant.access_expires is not None:
                grant.access_expires = min(grant.access_expires, now)

    def revoke_all(self) -> None:
        """Revoke every grant: as when each user withdraws the app's consent."""
        for grant in self.grants:
            grant.revoked = True

    def routes(self) -> list[Route]:
        """The server's routes, on the paths of its URLs."""
        s = self.settings
        routes = [
            Route(_path(s.authorize_url), self.authorize_endpoint, methods=["GET", "POST"]),
            Route(_path(s.token_url), self.token_endpoint, methods=["POST"]),
        ]
        if s.revoke_url:
            routes.append(Route(_path(s.revoke_url), self.revoke_endpoint, methods=["POST"]))
        if s.openid:
            routes.append(Route(_path(s.issuer.rstrip("/") + "/.well-known/openid-configuration"), self.discovery))
            if s.jwks_url:
                routes.append(Route(_path(s.jwks_url), self.jwks))
        if s.userinfo_url:
            routes.append(Route(_path(s.userinfo_url), self.userinfo))
        return routes

    def credentials(self) -> dict[str, str]:
        """What a client needs to use this server (for ``sfsync sandbox serve`` and the docs)."""
        out = {"authorize URL": self.settings.authorize_url, "token URL": self.settings.token_url}
        for number, client in enumerate(self.clients.values(), start=1):
            suffix = "" if number == 1 else f" ({client.name or number})"
            out[f"client_id{suffix}"] = client.client_id
            out[f"client_secret{suffix}"] = client.client_secret or "(public client: PKCE, no secret)"
        for number, user in enumerate(self.users.values(), start=1):
            out["login" if number == 1 else f"login {number}"] = f"{user.username} / {user.password}"
        return out

    # --- the authorize page -----------------------------------------------------------------------

    def _page(self, params: dict[str, str], error: str = "", status: int = 200) -> Response:
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in params.items() if k not in self.settings.login_fields
        )
        client = self.clients.get(params.get("client_id", ""))
        notice = f'<p class="error">{html.escape(error)}</p>' if error else ""
        user_field, password_field = (html.escape(name) for name in self.settings.login_fields)
        page = (
            f"<!DOCTYPE html><html><head><title>{html.escape(self.settings.page_title)}</title></head><body>"
            f"<h1>Log in to allow {html.escape(client.name if client else 'the app')}</h1>{notice}"
            f'<form method="post" action="{html.escape(_path(self.settings.authorize_url))}">{hidden}'
            f'<label>User <input name="{user_field}" autocomplete="username"></label>'
            f'<label>Password <input name="{password_field}" type="password"></label>'
            f"{self.consent_fields(params)}<button>Allow access</button></form></body></html>"
        )
        return text_response(page, status, {"Cache-Control": "no-store"}, content_type="text/html; charset=utf-8")

    def _redirect_error(self, redirect_uri: str, error: str, description: str, state: str | None) -> Response:
        params = {"error": error, "error_description": description}
        if state is not None:
            params["state"] = state
        separator = "&" if "?" in redirect_uri else "?"
        return exact(b"", 302, {"Location": f"{redirect_uri}{separator}{urlencode(params)}"})

    def _check_authorize(self, params: dict[str, str]) -> Response | tuple[OAuthClient, str, frozenset[str]]:
        client = self.clients.get(params.get("client_id", ""))
        redirect_uri = params.get("redirect_uri", "")
        if client is None:
            return self._page_error("The client_id is unknown.")
        if not redirect_uri or (client.redirect_uris and redirect_uri not in client.redirect_uris):
            return self._page_error("The redirect_uri is not registered for this client.")
        state = params.get("state")
        if params.get("response_type") != "code":
            return self._redirect_error(redirect_uri, "unsupported_response_type", "Only response_type=code is served.", state)
        scopes = frozenset((params.get("scope") or self.settings.default_scope).split())
        known = self.settings.scopes
        if self.settings.scope_required and not scopes:
            return self._redirect_error(redirect_uri, "invalid_scope", "A scope is required.", state)
        if known is not None and (not scopes <= known):
            unknown = " ".join(sorted(scopes - known))
            return self._redirect_error(redirect_uri, "invalid_scope", f"Unknown scope: {unknown}.", state)
        method = params.get("code_challenge_method", "plain" if params.get("code_challenge") else "")
        if params.get("code_challenge"):
            if method not in ("S256", "plain") or (method == "plain" and not self.settings.allow_plain_pkce):
                return self._redirect_error(redirect_uri, "invalid_request", "code_challenge_method must be S256.", state)
        elif self.settings.pkce == "required" or (self.settings.pkce == "public" and client.client_secret is None):
            return self._redirect_error(redirect_uri, "invalid_request", "code_challenge is required.", state)
        problem = self.check_authorize(params, scopes)
        if problem is not None:
            return self._page_error(problem)
        return client, redirect_uri, scopes

    def check_authorize(self, params: dict[str, str], scopes: frozenset[str]) -> str | None:
        """What the package refuses in an authorize request beyond the standard checks (a scope it
        requires, a ``nonce``), shown as its error page; ``None`` (accepted) by default."""
        return None

    def accept_login(self, user: OAuthUser, params: dict[str, str]) -> bool:
        """Whether the login form's other fields are right for ``user`` (Twinfield's organisation);
        the user name and password are already checked. ``True`` by default."""
        return True

    def _page_error(self, message: str) -> Response:
        # Before the redirect URI is trusted, an error is shown, never redirected (RFC 6749 §4.1.2.1).
        return text_response(f"<!DOCTYPE html><html><body><h1>Error</h1><p>{html.escape(message)}</p></body></html>",
                             400, content_type="text/html; charset=utf-8")

    def consent_fields(self, params: dict[str, str]) -> str:
        """HTML inside the authorize form after the login fields: the package's consent step
        (Xero's tenants, Exact's divisions to tick); none by default."""
        return ""

    def record_consent(self, grant: Grant, params: dict[str, str], items: list[tuple[str, str]]) -> str | None:
        """Record what the consent step chose into :attr:`Grant.extra`; ``items`` is the posted
        form with repeated fields kept (checkboxes). A message refuses the choice (the page is
        shown again with it: "choose at least one organisation"). Calls ``on_consent`` by default."""
        if self.on_consent is not None:
            self.on_consent(grant, params)
        return None

    async def authorize_endpoint(self, request: Request) -> Response:
        """``GET``: the login page for a checked authorize request; ``POST``: log in and redirect."""
        items = list(request.query_params.multi_items()) if request.method == "GET" else await form_items(request)
        params = dict(items)
        checked = self._check_authorize(params)
        if isinstance(checked, Response):
            return checked
        client, redirect_uri, scopes = checked
        if request.method == "GET":
            return self._page(params)
        user_field, password_field = self.settings.login_fields
        user = self.users.get(params.get(user_field, ""))
        if (
            user is None
            or not secrets.compare_digest(user.password.encode(), params.get(password_field, "").encode())
            or not self.accept_login(user, params)
        ):
            return self._page(params, "The user name or password is wrong.")
        now = self.clock.now()
        grant = Grant(secrets.token_hex(8), client, user, scopes, now, nonce=params.get("nonce"))
        refused = self.record_consent(grant, params, items)
        if refused is not None:
            return self._page(params, refused)
        self.grants.append(grant)
        code = self.settings.code_prefix + secrets.token_urlsafe(24)
        self.codes[code] = _Code(
            grant, redirect_uri, params.get("code_challenge"), params.get("code_challenge_method", "plain"),
            now + dt.timedelta(seconds=self.settings.code_lifetime),
        )
        answer = {"code": code}
        if "state" in params:
            answer["state"] = params["state"]
        separator = "&" if "?" in redirect_uri else "?"
        return exact(b"", 302, {"Location": f"{redirect_uri}{separator}{urlencode(answer)}"})

    # --- the token endpoint -----------------------------------------------------------------------

    def refusal(self, reason: str, **headers: str) -> TokenError:
        """The package's refusal for ``reason`` (see :data:`DEFAULT_REFUSALS`)."""
        status, error, description = self.settings.refusals.get(reason) or DEFAULT_REFUSALS[reason]
        return TokenError(status, error, description, {**self.settings.refusal_headers.get(reason, {}), **headers})

    def _client(self, request: Request, posted: dict[str, str]) -> OAuthClient:
        basic = basic_credentials(request)
        allowed = self.settings.client_auth
        secret: str | None
        if basic is not None and "client_secret_basic" in allowed:
            client_id, secret = basic
        elif "client_secret_post" in allowed or "client_id" in posted:
            client_id, secret = posted.get("client_id", ""), posted.get("client_secret")
            if secret is not None and "client_secret_post" not in allowed:
                raise self.refusal("invalid_client")
        else:
            raise self.refusal("invalid_client")
        client = self.clients.get(client_id)
        if client is None:
            raise self.refusal("invalid_client")
        if client.client_secret is not None and not secrets.compare_digest(
            client.client_secret.encode(), (secret or "").encode()
        ):
            raise self.refusal("invalid_client")
        return client

    def _token_response(self, body: dict[str, Any] | None, error: TokenError | None = None) -> Response:
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        if error is not None:
            return json_response({"error": error.error, "error_description": error.description},
                                 error.status, {**headers, **error.headers})
        return json_response(body, 200, headers)

    async def token_endpoint(self, request: Request) -> Response:
        """Exchange a code or a refresh token for tokens."""
        self.token_requests += 1
        posted = await form(request)
        try:
            client = self._client(request, posted)
            grant_type = posted.get("grant_type")
            if grant_type == "authorization_code":
                body = self._exchange(client, posted)
            elif grant_type == "refresh_token":
                body = self._refresh(client, posted.get("refresh_token", ""))
            else:
                raise self.refusal("unsupported_grant_type")
        except TokenError as error:
            return self._token_response(None, error)
        return self._token_response(body)

    def _exchange(self, client: OAuthClient, posted: dict[str, str]) -> dict[str, Any]:
        code = self.codes.get(posted.get("code", ""))
        if code is None or code.grant.client is not client:
            raise self.refusal("code_unknown")
        if code.used:
            # RFC 6749 §4.1.2: a code used twice revokes what it issued.
            code.grant.revoked = True
            raise self.refusal("code_reused")
        code.used = True
        if code.expires <= self.clock.now():
            raise self.refusal("code_expired")
        if posted.get("redirect_uri", "") != code.redirect_uri:
            raise self.refusal("redirect_mismatch")
        verifier = posted.get("code_verifier")
        if code.challenge is not None:
            expected = s256(verifier) if verifier and code.method == "S256" else verifier
            if not verifier or not secrets.compare_digest((expected or "").encode(), code.challenge.encode()):
                raise self.refusal("pkce_failed")
        elif verifier is None and (self.settings.pkce == "required" or client.client_secret is None):
            raise self.refusal("pkce_missing")
        return self.issue(code.grant)

    def check_refresh(self, grant: Grant) -> None:
        """Refuse a refresh the package refuses although the token is good (raise
        :class:`TokenError`); nothing by default."""

    def refresh_expired(self, expired_at: dt.datetime, now: dt.datetime) -> TokenError:
        """The refusal of a refresh token that expired at ``expired_at`` (reason
        ``refresh_expired``); a package whose message names the moments overrides it."""
        return self.refusal("refresh_expired")

    def _refresh(self, client: OAuthClient, token: str) -> dict[str, Any]:
        entry = self.refresh_tokens.get(token)
        if entry is None or entry.grant.client is not client:
            raise self.refusal("refresh_unknown")
        grant, now = entry.grant, self.clock.now()
        if grant.revoked:
            raise self.refusal("grant_revoked")
        s = self.settings
        ends = [grant.consented_at + dt.timedelta(seconds=s.refresh_lifetime)] if s.refresh_lifetime is not None else []
        if s.refresh_idle is not None:
            ends.append(entry.last_used + dt.timedelta(seconds=s.refresh_idle))
        if ends and now > min(ends):
            raise self.refresh_expired(min(ends), now)
        if entry.rotated_at is not None:
            if entry.successor is not None and s.refresh_grace > 0 and now - entry.rotated_at <= dt.timedelta(seconds=s.refresh_grace):
                return self.issue(grant, refresh_token=entry.successor)
            # Reuse of a rotated token: someone holds a copy. The whole family dies (RFC 9700 §4.14.2).
            if s.reuse_revokes_grant:
                grant.revoked = True
            raise self.refusal("refresh_reused")
        if s.refresh_too_early is not None and grant.access_expires is not None and (
            grant.access_expires - now > dt.timedelta(seconds=s.refresh_too_early)
        ):
            raise self.refusal("refresh_too_early")
        self.check_refresh(grant)
        if not s.rotate_refresh:
            # The same refresh token answers again and again; only its idle time restarts.
            entry.last_used = now
            return self.issue(grant, refresh_token=token)
        body = self.issue(grant)
        entry.rotated_at, entry.last_used = now, now
        entry.successor = body.get("refresh_token")
        return body

    def token_fields(self, grant: Grant, body: dict[str, Any]) -> dict[str, Any]:
        """The token answer as the package sends it (add or rename fields); ``body`` unchanged by
        default."""
        return body

    def issue(self, grant: Grant, *, refresh_token: str | None = None) -> dict[str, Any]:
        """Issue an access token (and a refresh token, and an ``id_token`` with OpenID) for ``grant``;
        with ``refresh_token``, hand that one back instead of a new one (the grace answer)."""
        s, now = self.settings, self.clock.now()
        if s.token_requests_per_day is not None:
            day = (grant.client.client_id, grant.user.username, now.astimezone(dt.UTC).date())
            self.token_calls[day] = self.token_calls.get(day, 0) + 1
            if self.token_calls[day] > s.token_requests_per_day:
                raise self.refusal("token_quota")
        access = s.token_prefix + secrets.token_urlsafe(32)
        grant.access_expires = now + dt.timedelta(seconds=s.access_lifetime)
        self.access_tokens[access] = AccessToken(access, grant, grant.access_expires)
        body: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": str(s.access_lifetime) if s.expires_in_as_string else s.access_lifetime,
        }
        if grant.scopes:
            body["scope"] = " ".join(sorted(grant.scopes))
        if not s.refresh_needs_scope or "offline_access" in grant.scopes:
            if refresh_token is None:
                prefix = s.token_prefix if s.refresh_prefix is None else s.refresh_prefix
                refresh_token = prefix + secrets.token_urlsafe(32)
                self.refresh_tokens[refresh_token] = _Refresh(grant, now, now)
            body["refresh_token"] = refresh_token
        if s.openid and "openid" in grant.scopes:
            body["id_token"] = self.id_token(grant, access)
        return self.token_fields(grant, body)

    def id_token(self, grant: Grant, access_token: str) -> str:
        """A signed OpenID ``id_token`` for ``grant``."""
        now = self.clock.now()
        claims: dict[str, Any] = {
            "iss": self.settings.issuer,
            "sub": grant.user.subject or grant.user.username,
            "aud": grant.client.client_id,
            "iat": int(now.timestamp()),
            "exp": int(now.timestamp()) + (self.settings.id_token_lifetime or self.settings.access_lifetime),
            "auth_time": int(grant.consented_at.timestamp()),
            "at_hash": b64url(hashlib.sha256(access_token.encode("ascii")).digest()[:16]),
        }
        if grant.nonce:
            claims["nonce"] = grant.nonce
        if "email" in grant.scopes and grant.user.email:
            claims["email"] = grant.user.email
        if "profile" in grant.scopes and grant.user.name:
            claims["name"] = grant.user.name
        return signing_key().sign(claims)

    # --- revocation, discovery, keys, userinfo ----------------------------------------------------

    async def revoke_endpoint(self, request: Request) -> Response:
        """RFC 7009: a refresh token revokes its whole grant; an access token only itself."""
        posted = await form(request)
        try:
            client = self._client(request, posted)
        except TokenError as error:
            return self._token_response(None, error)
        token = posted.get("token", "")
        refresh = self.refresh_tokens.get(token)
        if refresh is not None and refresh.grant.client is client:
            refresh.grant.revoked = True
        access = self.access_tokens.get(token)
        if access is not None and access.grant.client is client:
            del self.access_tokens[token]
        return exact(b"", 200)

    async def discovery(self, request: Request) -> Response:
        """The OpenID discovery document."""
        s = self.settings
        document: dict[str, Any] = {
            "issuer": s.issuer,
            "authorization_endpoint": s.authorize_url,
            "token_endpoint": s.token_url,
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256", "plain"] if s.allow_plain_pkce else ["S256"],
            "token_endpoint_auth_methods_supported": list(s.client_auth),
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "email", "name"],
        }
        if s.jwks_url:
            document["jwks_uri"] = s.jwks_url
        if s.revoke_url:
            document["revocation_endpoint"] = s.revoke_url
        if s.userinfo_url:
            document["userinfo_endpoint"] = s.userinfo_url
        if s.scopes is not None:
            document["scopes_supported"] = sorted(s.scopes)
        return json_response(document)

    async def jwks(self, request: Request) -> Response:
        """The keys ``id_token`` signatures are checked with."""
        return json_response(signing_key().jwks())

    async def userinfo(self, request: Request) -> Response:
        """The logged-in user's claims, for a live access token."""
        token = self.access(request)
        if token is None:
            return exact(b"", 401, {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        user = token.grant.user
        return json_response({"sub": user.subject or user.username, "email": user.email, "name": user.name})


def checkboxes(name: str, legend: str, options: dict[str, str]) -> str:
    """A consent step's choice (for :meth:`OAuthServer.consent_fields`): one checkbox per option
    (value: label), every one ticked, as packages offer their companies or tenants."""
    boxes = "".join(
        f'<label><input type="checkbox" name="{html.escape(name)}" value="{html.escape(value)}" checked> '
        f"{html.escape(label)}</label><br>"
        for value, label in options.items()
    )
    return f"<fieldset><legend>{html.escape(legend)}</legend>{boxes}</fieldset>"


def ticked(page: str, name: str, only: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """The (name, value) pairs a person posts for the ticked checkboxes ``name`` of a page made
    with :func:`checkboxes`: all of them, or only those in ``only`` (for :func:`login_at`)."""
    wanted = None if only is None else {str(value) for value in only}
    found = [html.unescape(v) for v in re.findall(rf'name="{re.escape(html.escape(name))}" value="([^"]*)" checked', page)]
    return [(name, value) for value in found if wanted is None or value in wanted]


def _path(url: str) -> str:
    return urlsplit(url).path or "/"


def _hidden_fields(page: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for chunk in page.split('<input type="hidden" ')[1:]:
        name = chunk.split('name="', 1)[1].split('"', 1)[0]
        value = chunk.split('value="', 1)[1].split('"', 1)[0]
        fields[html.unescape(name)] = html.unescape(value)
    return fields


async def login_at(
    client: httpx.AsyncClient, authorize_url: str, username: str, password: str, *,
    fields: tuple[str, str] = ("username", "password"),
    choose: Callable[[str], Iterable[tuple[str, str]]] | None = None,
) -> str:
    """Log in at an :class:`OAuthServer` authorize page as a person would (read the form, fill it
    in, post it); return the redirect's ``Location`` (with ``code`` and ``state``).

    ``fields`` names the login inputs (:attr:`OAuthSettings.login_fields`); ``choose(page)`` gives
    what the person picks in the consent step (repeated names allowed: ticked checkboxes).
    """
    page = await client.get(authorize_url, follow_redirects=False)
    if page.status_code != 200:
        raise RuntimeError(f"the sandbox's authorize page answered {page.status_code}: {page.text[:200]}")
    posted: dict[str, Any] = {**_hidden_fields(page.text), fields[0]: username, fields[1]: password}
    for name, value in choose(page.text) if choose is not None else ():
        previous = posted.get(name)
        posted[name] = value if previous is None else [*(previous if isinstance(previous, list) else [previous]), value]
    answer = await client.post(authorize_url.split("?", 1)[0], data=posted, follow_redirects=False)
    if answer.status_code != 302:
        raise RuntimeError(f"the sandbox's login answered {answer.status_code}, not a redirect")
    return answer.headers["location"]

