"""The app's request URL (``/secure/api1/requestaccess.aspx``): a user of an agreement signs in,
sees what the app asks for, and approves; e-conomic then sends the browser to the app's
``redirectUrl`` with the agreement grant token (e-conomic.com/developer/connect; the parameter
names and the ``token`` query parameter are UNVERIFIED, see :mod:`.facts`)."""

from __future__ import annotations

import html
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sfsync.sandbox.responses import exact, text_response
from sfsync.sandbox.routing import form, query
from starlette.requests import Request
from starlette.responses import Response

if TYPE_CHECKING:
    from sfsync_economic.sandbox import EconomicSandbox


@dataclass
class Grant:
    token: str
    agreement: int
    app_public_token: str
    revoked: bool = False


def _page(title: str, body: str, status: int = 200) -> Response:
    return text_response(f"<!doctype html><html><head><title>{html.escape(title)}</title></head><body>{body}</body></html>",
                         status, content_type="text/html; charset=utf-8")


class RequestAccessPage:
    """The approval page and the grants it issued."""

    def __init__(self, sandbox: EconomicSandbox) -> None:
        self.sandbox = sandbox
        self.grants: dict[str, Grant] = {}

    def issue(self, agreement: int) -> str:
        token = secrets.token_urlsafe(32)
        self.grants[token] = Grant(token, agreement, self.sandbox.app_public_token)
        return token

    def live(self, token: str | None) -> Grant | None:
        grant = self.grants.get(token or "")
        return grant if grant is not None and not grant.revoked else None

    async def __call__(self, request: Request) -> Response:
        params = query(request) if request.method == "GET" else await form(request)
        app_token = params.get("appPublicToken", "")
        redirect = params.get("redirectUrl", "")
        if app_token != self.sandbox.app_public_token:
            return _page("Unknown app", "<p>The app you were sent from is not known to e-conomic.</p>", 400)
        if urlsplit(redirect).scheme not in ("http", "https"):
            return _page("No way back", "<p>The app gave no redirectUrl to return to.</p>", 400)
        if request.method == "GET":
            hidden = "".join(f'<input type="hidden" name="{k}" value="{html.escape(v)}">'
                             for k, v in (("appPublicToken", app_token), ("redirectUrl", redirect)))
            options = "".join(f'<option value="{c.agreement}">{html.escape(c.name)}</option>' for c in self.sandbox.companies)
            return _page("Grant access", (
                f'<form method="post">{hidden}<p>The app <b>sfsync</b> asks for access to your bookkeeping.</p>'
                '<input name="username"><input name="password" type="password">'
                f'<select name="agreement">{options}</select><button name="approve" value="yes">Grant access</button></form>'))
        if (params.get("username"), params.get("password")) != (self.sandbox.user_email, self.sandbox.user_password):
            return _page("Sign in", "<p>Wrong user name or password.</p>", 401)
        try:
            agreement = int(params.get("agreement", ""))
        except ValueError:
            agreement = 0
        if self.sandbox.company(agreement) is None:
            return _page("Grant access", "<p>Pick the agreement to grant access to.</p>", 400)
        token = self.issue(agreement)
        joiner = "&" if "?" in redirect else "?"
        return exact(b"", 302, {"Location": f"{redirect}{joiner}token={token}"})
