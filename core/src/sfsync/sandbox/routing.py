"""Routes and request parsing for sandboxes, on Starlette.

A sandbox's wire contract reads as its route table::

    def routes(self) -> list[Route]:
        return [
            Route("/api/companies", self.companies),
            Route("/api/companies/{ref}/lines", self.lines),
        ]

with each handler an ``async def handler(request: Request) -> Response`` answering through
:mod:`sfsync.sandbox.responses`. :func:`starlette_app` turns the table into the ASGI app, with the
package's own answer to an unknown path or method instead of Starlette's plain text.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import parse_qsl, unquote

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from sfsync.sandbox.asgi import ASGIApp

__all__ = [
    "BaseRoute",
    "Mount",
    "Request",
    "Response",
    "Route",
    "basic_credentials",
    "bearer_token",
    "form",
    "form_items",
    "query",
    "starlette_app",
]

Handler = Callable[[Request], Awaitable[Response]]
Refusal = Callable[[Request, int], Awaitable[Response] | Response]


def query(request: Request) -> dict[str, str]:
    """The query string as a dict; a repeated parameter keeps its last value."""
    return dict(request.query_params.multi_items())


async def form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body as a dict (last value wins).

    Read without python-multipart: sandboxes only get URL-encoded forms (OAuth token and
    login posts), and a body that is not valid UTF-8 is read as Latin-1 rather than refused.
    """
    return dict(await form_items(request))


async def form_items(request: Request) -> list[tuple[str, str]]:
    """An URL-encoded form body as its (name, value) pairs in order, repeats kept (checkboxes)."""
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return parse_qsl(text, keep_blank_values=True)


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, or ``None``."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """The (user, password) of an ``Authorization: Basic …`` header, URL-decoded as RFC 6749
    §2.3.1 asks for client credentials; ``None`` when absent or malformed."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (unquote(user), unquote(password)) if sep else None


async def _plain_refusal(request: Request, status: int) -> Response:
    text = "Not Found" if status == 404 else "Method Not Allowed"
    return Response(text, status_code=status, media_type="text/plain")


def starlette_app(routes: Sequence[BaseRoute], *, refusal: Refusal | None = None) -> ASGIApp:
    """The ASGI app of a route table.

    Args:
        routes: Starlette routes (``Route``, ``Mount``), tried in order.
        refusal: ``refusal(request, status)`` gives the package's answer to an unknown path (404)
            or a known path with another method (405); Starlette's plain text when not given.
    """
    answer: Refusal = refusal or _plain_refusal

    async def refused(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        made = answer(request, status)
        return made if isinstance(made, Response) else await made

    return Starlette(routes=list(routes), exception_handlers={404: refused, 405: refused})
