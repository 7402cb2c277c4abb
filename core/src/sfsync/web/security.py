"""What keeps the pages safe: security headers on every answer, and the CSRF token every form
carries (a POST without the session's token is refused with 403 before its handler runs)."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Awaitable, Callable, Iterable

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["SecurityHeaders", "checked_form", "csrf_token", "posted"]

Handler = Callable[[Request], Awaitable[Response]]


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use); every form sends it back as ``csrf``."""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


async def checked_form(request: Request) -> FormData:
    """The posted form, once its ``csrf`` field is the session's token; else 403."""
    form = await request.form()
    sent = form.get("csrf")
    expected = request.session.get("csrf")
    if not isinstance(sent, str) or not expected or not secrets.compare_digest(sent, str(expected)):
        raise HTTPException(403, "The form's security token is missing or stale; reload the page and try again.")
    return form


def posted(handler: Callable[[Request, FormData], Awaitable[Response]]) -> Handler:
    """Wrap a POST handler so it receives the CSRF-checked form."""

    @functools.wraps(handler)
    async def run(request: Request) -> Response:
        return await handler(request, await checked_form(request))

    run.__sfsync_posted__ = True  # type: ignore[attr-defined]
    return run


class SecurityHeaders:
    """Adds the security headers to every answer: a strict CSP (scripts and styles from the host
    only; forms may post to the host and to the packages' login pages, whose origins are given),
    no framing, no MIME sniffing, no referrer beyond the origin."""

    def __init__(self, app: ASGIApp, *, form_origins: Iterable[str] = ()) -> None:
        self.app = app
        targets = " ".join(["'self'", *sorted(set(form_origins))])
        policy = (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src 'self'; form-action {targets}; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
        )
        self.headers = [
            (b"content-security-policy", policy.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(h for h in self.headers if h[0] not in names)]
                if (b"cache-control") not in names:
                    message["headers"].append((b"cache-control", b"no-store"))
            await send(message)

        await self.app(scope, receive, with_headers)
