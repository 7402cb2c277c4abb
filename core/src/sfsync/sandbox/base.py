"""The base of every plugin's sandbox: an offline stand-in of a package's API.

A sandbox is an ASGI app plus what tests, the demo and ``sfsync sandbox serve`` need to drive it:
which URLs it answers, how to make a valid (and an invalid) connection, how to log in at its
authorize page, and how to change its data between syncs (add, edit, delete) so the contract suite
can check that a re-sync brings exactly the changes. Faults are injected generically by the
:class:`~sfsync.sandbox.faults.FaultInjector` that wraps the app.
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Any

import httpx

from sfsync.sandbox.asgi import ASGIApp
from sfsync.sandbox.faults import FaultInjector, InProcessTransport

if TYPE_CHECKING:
    from sfsync.api import Sfsync
    from sfsync.store.base import ConnectionRecord, DossierRecord, User

__all__ = ["REDIRECT_URI", "Sandbox", "connect_sandbox"]

REDIRECT_URI = "http://127.0.0.1:8765/callback"


class Sandbox(abc.ABC):
    """A package's API, offline. Subclasses build :attr:`app` and seed deterministic data.

    Attributes:
        connector: The connector this sandbox serves.
        base_urls: The URL prefixes it answers (mounted in-process, or served by uvicorn).
        faults: The fault injector wrapping the app.
    """

    connector: str
    base_urls: tuple[str, ...]

    def __init__(self) -> None:
        self.faults = FaultInjector(self.build_app(), sandbox=self)

    @abc.abstractmethod
    def build_app(self) -> ASGIApp:
        """Build the package's API as an ASGI app."""

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
        (with ``code`` and ``state``). OAuth2 sandboxes only."""
        raise NotImplementedError(f"{type(self).__name__} has no authorize page")

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

    def expire_tokens(self) -> None:
        """Make every issued access token expire now (OAuth2 sandboxes)."""
        raise NotImplementedError

    def revoke(self) -> None:
        """Revoke the grant: refresh tokens die, as when a user disconnects the app."""
        raise NotImplementedError


async def connect_sandbox(
    app: Sfsync,
    user: User,
    connector: str,
    sandbox: Sandbox,
    *,
    secrets: dict[str, str] | None = None,
    dossier: DossierRecord | None = None,
) -> ConnectionRecord:
    """Connect ``connector`` to ``sandbox`` through its real flow (form, agent or OAuth2 login)."""
    from sfsync.auth import ConnectionLevel, OAuth2Spec
    from sfsync.context import RoutingTransport

    loaded = app.registry.connector(connector)
    config = dict(sandbox.connection_config())
    given = dict(sandbox.connection_secrets() if secrets is None else secrets)
    if isinstance(loaded.auth, OAuth2Spec):
        client_id = str(config.pop("client_id"))
        pending = app.start_oauth(
            user, connector, redirect_uri=REDIRECT_URI, client_id=client_id,
            client_secret=given.get("client_secret"), config=config,
            dossier_id=dossier.id if dossier is not None and loaded.auth.level is ConnectionLevel.DOSSIER else None,
        )
        async with httpx.AsyncClient(transport=RoutingTransport(sandbox.transports())) as client:
            callback = await sandbox.authorize(client, pending.authorize_url)
        return await app.finish_oauth(user, callback)
    return await app.connect_form(user, connector, {**config, **given})
