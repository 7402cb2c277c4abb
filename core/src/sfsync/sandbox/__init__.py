"""The sandbox toolkit: what every plugin's offline stand-in of its package is declared with.

- :mod:`sfsync.sandbox.base`: :class:`Sandbox`, the base class a plugin's sandbox subclasses;
- :mod:`sfsync.sandbox.connect`: :func:`connect_sandbox`, which connects a connector to one through
  its real flow (it drives the API, so it is loaded on first use: the hookspecs import this
  package, and the API the hookspecs);
- :mod:`sfsync.sandbox.faults`: one fault vocabulary for every package (429 with ``Retry-After``,
  5xx, timeouts, truncated bodies, HTML pages, wrong field types, token expiry, revoked consent)
  and the :class:`FaultInjector` in front of every sandbox's app;
- :mod:`sfsync.sandbox.asgi`: the ASGI types.

The toolkit proper needs the ``sandbox`` extra (``pip install "sfsync[sandbox]"``, Starlette), and
is imported from its modules, so that ``sfsync.sandbox`` itself stays importable without it:

- :mod:`sfsync.sandbox.routing`: route tables and request parsing;
- :mod:`sfsync.sandbox.responses`: JSON, XML/SOAP, OData v2/v4, problem-JSON and text answers,
  byte-exact;
- :mod:`sfsync.sandbox.oauth`: an OAuth2/OpenID authorization server a sandbox configures, and
  :mod:`sfsync.sandbox.oauth_state`: its state kept in a file from one process to the next;
- :mod:`sfsync.sandbox.limits`: rate limits and quotas on the sandbox's clock;
- :mod:`sfsync.sandbox.paging`: offset/limit, page numbers, ``$skiptoken`` links and cursors;
- :mod:`sfsync.sandbox.jwt`: the RS256 key that signs ``id_token`` and its JWKS.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sfsync.sandbox.asgi import ASGIApp, Receive, Scope, Send
from sfsync.sandbox.base import Sandbox
from sfsync.sandbox.faults import (
    FAULT_KINDS,
    Fault,
    FaultInjector,
    HtmlPage,
    InProcessTransport,
    RateLimited,
    Reply,
    RevokedConsent,
    ServerError,
    Timeout,
    TokenExpiry,
    Truncated,
    WrongTypes,
    parse_fault,
)

if TYPE_CHECKING:
    from sfsync.sandbox.connect import REDIRECT_URI, connect_sandbox

__all__ = [
    "FAULT_KINDS",
    "REDIRECT_URI",
    "ASGIApp",
    "Fault",
    "FaultInjector",
    "HtmlPage",
    "InProcessTransport",
    "RateLimited",
    "Receive",
    "Reply",
    "RevokedConsent",
    "Sandbox",
    "Scope",
    "Send",
    "ServerError",
    "Timeout",
    "TokenExpiry",
    "Truncated",
    "WrongTypes",
    "connect_sandbox",
    "parse_fault",
]


def __getattr__(name: str) -> Any:
    # connect_sandbox stands above the API; importing it here eagerly would put this package,
    # which the hookspecs use, above the API too (an import cycle).
    if name in ("REDIRECT_URI", "connect_sandbox"):
        from sfsync.sandbox import connect

        return getattr(connect, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
