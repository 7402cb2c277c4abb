"""The Twinfield sandbox's login host: authorize page, token endpoint, token validation.

OpenID Connect as ``login.twinfield.com`` serves it: the authorize request must carry a ``nonce``
and the ``openid`` and ``twf.organisationUser`` scopes; the client authenticates with HTTP Basic
at the token endpoint; access tokens live 3600 seconds; ``offline_access`` gives a long-lived
refresh token; the code exchange answers a signed ``id_token`` (with the authorize request's
``nonce``); ``accesstokenvalidation`` answers the token's claims (``twf.clusterUrl`` with
``twf.organisation``) or 400.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import json
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx
from lxml import etree  # type: ignore[import-untyped,unused-ignore]  # no stubs
from sfsync.clock import Clock

from sfsync_twinfield.client import AUTH_PATH
from sfsync_twinfield.sandbox_openid import OpenIdProvider

Response = tuple[int, dict[str, str], bytes]
SUBJECT = "8f1c2b7e-0000-4000-8000-000000000001"  # the sandbox user's id at Twinfield


@dataclass
class Grant:
    client_id: str
    scope: str
    refresh_token: str | None


@dataclass
class IssuedToken:
    grant: Grant
    expires_at: dt.datetime
    logon_valid: bool = True


class LoginHost(OpenIdProvider):
    """The login host's part of the sandbox (a mixin of :class:`TwinfieldSandbox`)."""

    clock: Clock
    client_id: str
    client_secret: str
    organisation: str
    username: str
    password: str
    access_lifetime: int
    login_url: str
    cluster_url: str
    codes: dict[str, dict[str, str]]
    tokens: dict[str, IssuedToken]
    grants: dict[str, Grant]

    def expire_tokens(self) -> None:
        past = self.clock.now() - dt.timedelta(seconds=1)
        for token in self.tokens.values():
            token.expires_at = past

    def revoke(self) -> None:
        self.grants.clear()
        self.tokens.clear()

    def invalidate_logons(self) -> None:
        """Every issued access token now gets fault 103 on the cluster (a logon replaced)."""
        for token in self.tokens.values():
            token.logon_valid = False

    async def authorize(self, client: httpx.AsyncClient, authorize_url: str) -> str:
        """Log in at the authorize page as a person would: read the form, fill it, post it."""
        page = await client.get(authorize_url, follow_redirects=False)
        if page.status_code != 200:
            raise RuntimeError(
                f"Twinfield's sandbox login page answered {page.status_code}: {page.text[:200]}"
            )
        form = etree.fromstring(page.content, etree.HTMLParser()).find(".//form")
        fields = {i.get("name"): i.get("value", "") for i in form.iter("input") if i.get("name")}
        fields.update(
            organisation=self.organisation, username=self.username, password=self.password
        )
        action = form.get("action")
        answer = await client.post(f"{self.login_url}{action}", data=fields, follow_redirects=False)
        if answer.status_code != 302:
            raise RuntimeError(f"Twinfield's sandbox login answered {answer.status_code}")
        return answer.headers["location"]

    def _authorize(self, method: str, query: dict[str, str], body: bytes) -> Response:
        if method == "GET":
            problem = None
            scopes = set(query.get("scope", "").split())
            if query.get("client_id") != self.client_id:
                problem = "unknown client"
            elif query.get("response_type") != "code":
                problem = "unsupported response_type"
            elif not query.get("redirect_uri", "").startswith(("https://", "http://")):
                problem = "invalid redirect_uri"
            elif not query.get("nonce"):
                problem = "nonce is required"
            elif not {"openid", "twf.organisationUser"} <= scopes:
                problem = "scope must include openid and twf.organisationUser"
            if problem:
                return (
                    400,
                    {"content-type": "text/html"},
                    f"<html><body><p>{problem}</p></body></html>".encode(),
                )
            hidden = "".join(
                f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}"/>'
                for k, v in query.items()
            )
            page = (
                "<html><body><h1>Twinfield</h1>"
                f'<form method="post" action="{AUTH_PATH}/authorize">{hidden}'
                '<input name="organisation"/><input name="username"/>'
                '<input name="password" type="password"/><button>Inloggen</button>'
                "</form></body></html>"
            )
            return 200, {"content-type": "text/html; charset=utf-8"}, page.encode()
        form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
        given = (form.get("organisation"), form.get("username"), form.get("password"))
        if given != (self.organisation, self.username, self.password):
            return (
                200,
                {"content-type": "text/html"},
                b"<html><body><p>Ongeldige inloggegevens</p></body></html>",
            )
        code = secrets.token_urlsafe(24)
        self.codes[code] = form
        target = (
            form["redirect_uri"] + "?" + urlencode({"code": code, "state": form.get("state", "")})
        )
        return 302, {"location": target}, b""

    def _client_of(self, headers: dict[str, str]) -> str | None:
        scheme, _, raw = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            client_id, _, secret = base64.b64decode(raw).decode().partition(":")
        except ValueError:
            return None
        if client_id == self.client_id and secrets.compare_digest(secret, self.client_secret):
            return client_id
        return None

    def _token(self, headers: dict[str, str], body: bytes) -> Response:
        form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
        client_id = self._client_of(headers)
        if client_id is None:
            return json_answer(400, {"error": "invalid_client"})
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            pending = self.codes.pop(form.get("code", ""), None)
            if pending is None or pending.get("redirect_uri") != form.get("redirect_uri"):
                return json_answer(400, {"error": "invalid_grant"})
            challenge = pending.get("code_challenge")
            if challenge:
                digest = (
                    base64.urlsafe_b64encode(
                        hashlib.sha256(form.get("code_verifier", "").encode()).digest()
                    )
                    .rstrip(b"=")
                    .decode()
                )
                if not secrets.compare_digest(digest, challenge):
                    return json_answer(400, {"error": "invalid_grant"})
            scope = pending.get("scope", "")
            nonce = pending.get("nonce")
            refresh = secrets.token_urlsafe(32) if "offline_access" in scope.split() else None
            grant = Grant(client_id, scope, refresh)
            if refresh:
                self.grants[refresh] = grant
        elif grant_type == "refresh_token":
            found = self.grants.get(form.get("refresh_token", ""))
            if found is None:
                return json_answer(400, {"error": "invalid_grant"})
            grant = found
            nonce = None
        else:
            return json_answer(400, {"error": "unsupported_grant_type"})
        access = secrets.token_urlsafe(40)
        self.tokens[access] = IssuedToken(
            grant, self.clock.now() + dt.timedelta(seconds=self.access_lifetime)
        )
        answer: dict[str, Any] = {
            "access_token": access,
            "expires_in": self.access_lifetime,
            "token_type": "Bearer",
        }
        if grant.refresh_token:
            answer["refresh_token"] = grant.refresh_token
        if "openid" in grant.scope.split():
            answer["id_token"] = self.id_token(
                client_id=client_id, subject=SUBJECT, nonce=nonce, access_token=access,
                issued_at=int(self.clock.now().timestamp()),
            )
        return json_answer(200, answer)

    def _live(self, token: str | None) -> IssuedToken | None:
        issued = self.tokens.get(token or "")
        if issued is None or issued.expires_at <= self.clock.now():
            return None
        return issued

    def _validate(self, query: dict[str, str]) -> Response:
        issued = self._live(query.get("token"))
        if issued is None or not issued.logon_valid:
            return json_answer(400, {"Message": "invalid token"})
        scopes = issued.grant.scope.split()
        claims: dict[str, Any] = {
            "iss": f"{self.login_url}/auth",
            "aud": f"{self.login_url}/auth/resources",
            "exp": int(issued.expires_at.timestamp()),
            "nbf": int(
                (issued.expires_at - dt.timedelta(seconds=self.access_lifetime)).timestamp()
            ),
            "client_id": issued.grant.client_id,
            "scope": scopes,
            "sub": SUBJECT,
            "twf.organisationUserCode": self.username.upper(),
            "twf.organisationCode": self.organisation,
            "twf.organisationId": "5a0c9e1e-0000-4000-8000-000000000002",
        }
        if "twf.organisation" in scopes:
            claims["twf.clusterUrl"] = self.cluster_url
        return json_answer(200, claims)


def json_answer(status: int, body: Any) -> Response:
    """A JSON answer of the login host (and of the sandbox's discovery routes)."""
    return status, {"content-type": "application/json"}, json.dumps(body).encode()
