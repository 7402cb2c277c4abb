"""The base of every plugin's sandbox: an offline stand-in of a package's API.

A sandbox is an ASGI app plus what tests, the demo and ``sfsync sandbox serve`` need to drive it:
which URLs it answers, how to make a valid (and an invalid) connection, how to log in at its
authorize page, and how to change its data between syncs (add, edit, delete) so the contract suite
can check that a re-sync brings exactly the changes. Faults are injected generically by the
:class:`~sfsync.sandbox.faults.FaultInjector` that wraps the app.
"""

from __future__ import annotations

import abc
import contextlib
from typing import TYPE_CHECKING, Any

import httpx

from sfsync.sandbox.asgi import ASGIApp
from sfsync.sandbox.faults import FaultInjector, InProcessTransport

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import BaseRoute

    from sfsync.sandbox.limits import RateLimits
    from sfsync.sandbox.oauth import OAuthServer
    from sfsync.truth import PackageTruth

__all__ = ["Sandbox"]

class Sandbox(abc.ABC):
    """A package's API, offline. Subclasses declare it and seed deterministic data.

    A sandbox on the toolkit (``sfsync[sandbox]``, Starlette) declares :meth:`routes`, and sets
    :attr:`oauth_server` (an :class:`~sfsync.sandbox.oauth.OAuthServer`) and :attr:`limits` (a
    :class:`~sfsync.sandbox.limits.RateLimits`) in its ``__init__`` before calling
    ``super().__init__()``; the default :meth:`build_app` serves them. A sandbox may instead
    override :meth:`build_app` with any ASGI app.

    Attributes:
        connector: The connector this sandbox serves.
        base_urls: The URL prefixes it answers (mounted in-process, or served by uvicorn).
        faults: The fault injector wrapping the app.
        oauth_server: The authorization server, for OAuth2 packages (its routes come first).
        limits: The package's rate limits, in front of every route.
    """

    connector: str
    base_urls: tuple[str, ...]
    oauth_server: OAuthServer | None = None
    limits: RateLimits | None = None

    def __init__(self) -> None:
        self.faults = FaultInjector(self.build_app(), sandbox=self)

    def routes(self) -> list[BaseRoute]:
        """The package's routes (Starlette ``Route``/``Mount``), for the default :meth:`build_app`."""
        raise NotImplementedError(f"{type(self).__name__} declares no routes and builds no app")

    def refusal(self, request: Request, status: int) -> Response:
        """The package's answer to an unknown path (404) or method (405); plain text by default."""
        from sfsync.sandbox.responses import text_response

        return text_response("Not Found" if status == 404 else "Method Not Allowed", status)

    def build_app(self) -> ASGIApp:
        """The package's API as an ASGI app: the OAuth server's routes and :meth:`routes`, behind
        :attr:`limits`."""
        from sfsync.sandbox.routing import starlette_app

        oauth = self.oauth_server
        routes = [*(oauth.routes() if oauth is not None else []), *self.routes()]
        app = starlette_app(routes, refusal=self.refusal)
        return self.limits.wrap(app) if self.limits is not None else app

    def credentials(self) -> dict[str, str]:
        """Everything a client needs to use the sandbox (URLs, client id and secret, login, keys,
        tenants or company codes): ``sfsync sandbox serve`` prints it and the docs show it."""
        out = {"base URL": ", ".join(self.base_urls)}
        oauth = self.oauth_server
        if oauth is not None:
            out.update(oauth.credentials())
        out.update({k: str(v) for k, v in self.connection_config().items()})
        out.update(self.connection_secrets())
        with contextlib.suppress(NotImplementedError):
            out["companies"] = ", ".join(self.company_refs())
        return out

    @property
    def app(self) -> ASGIApp:
        """The ASGI app, behind the fault injector."""
        return self.faults

    def transports(self) -> dict[str, httpx.AsyncBaseTransport]:
        """Transports that route the package's URLs to this sandbox, in-process."""
        transport = InProcessTransport(app=self.app)
        return {url: transport for url in self.base_urls}

    # --- making connections ---------------------------------------------------------------------

    @abc.abstractmethod
    def connection_config(self) -> dict[str, Any]:
        """Non-secret settings of a valid connection (for forms: the non-secret fields; for
        OAuth2: ``client_id`` and any region)."""

    @abc.abstractmethod
    def connection_secrets(self) -> dict[str, str]:
        """Secrets of a valid connection (form secrets, or the OAuth2 ``client_secret``)."""

    @abc.abstractmethod
    def bad_connection_secrets(self) -> dict[str, str]:
        """Secrets the package refuses (a wrong password, key or client secret)."""

    async def authorize(self, client: httpx.AsyncClient, authorize_url: str) -> str:
        """Log in at the sandbox's authorize page as a person would; return the redirect URL
        (with ``code`` and ``state``). OAuth2 sandboxes only; with :attr:`oauth_server`, its first user
        logs in."""
        oauth = self.oauth_server
        if oauth is None or not oauth.users:
            raise NotImplementedError(f"{type(self).__name__} has no authorize page")
        from sfsync.sandbox.oauth import login_at

        user = next(iter(oauth.users.values()))
        return await login_at(client, authorize_url, user.username, user.password)

    def company_refs(self) -> list[str]:
        """Refs of the seeded companies, the richest first (the contract suite links it)."""
        raise NotImplementedError

    # --- changing data between syncs (contract suite) -------------------------------------------

    def add_entry(self, company_ref: str) -> list[str]:
        """Book a new balanced entry dated today in the latest fiscal year; return its line ids."""
        raise NotImplementedError

    def edit_line(self, company_ref: str) -> str:
        """Change the description of one existing line (bumping its modified stamp); return its id."""
        raise NotImplementedError

    def delete_entry(self, company_ref: str) -> list[str]:
        """Delete one *seeded* entry (never one made by :meth:`add_entry`) as the package would
        report it; return its line ids."""
        raise NotImplementedError

    def edit_company_details(self, company_ref: str) -> None:
        """Change a company's master data in the package (a new address…), bumping whatever
        change stamp the package keeps, as its users would after a first sync (optional; the
        contract suite's administrative checks need it)."""
        raise NotImplementedError

    def expire_tokens(self) -> None:
        """Make every issued access token expire now (OAuth2 sandboxes)."""
        oauth = self.oauth_server
        if oauth is None:
            raise NotImplementedError
        oauth.expire_all()

    def revoke(self) -> None:
        """Revoke the grant: refresh tokens die, as when a user disconnects the app."""
        oauth = self.oauth_server
        if oauth is None:
            raise NotImplementedError
        oauth.revoke_all()

    # --- the package's own figures (contract suite) ---------------------------------------------

    def truth(self, company_ref: str) -> PackageTruth:
        """The package's own figures for a company, computed from the seeded data (optional).

        Return a :class:`~sfsync.truth.PackageTruth`: the trial balance per account and booking
        period, where each line is booked, the opening balances at each fiscal-year start and the
        company details. The contract suite compares what the connector stored against it, to the
        cent. Compute it from the sandbox's own records, never through the connector.
        """
        raise NotImplementedError(f"{type(self).__name__} does not report its package's own figures (truth)")
