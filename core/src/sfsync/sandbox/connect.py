"""Connecting a connector to a sandbox through its real flow: what tests, the demo and the CLI do.

It drives the public :class:`~sfsync.api.Sfsync` API, so it stands above it (and above the
sandbox base class, which the hookspecs use): nothing the API imports imports this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from sfsync.sandbox.base import Sandbox

if TYPE_CHECKING:
    from sfsync.api import Sfsync
    from sfsync.store.base import ConnectionRecord, DossierRecord, User

__all__ = ["REDIRECT_URI", "connect_sandbox"]

REDIRECT_URI = "http://127.0.0.1:8765/callback"


async def connect_sandbox(
    app: Sfsync,
    user: User,
    connector: str,
    sandbox: Sandbox,
    *,
    secrets: dict[str, str] | None = None,
    dossier: DossierRecord | None = None,
    connection_id: str | None = None,
    firm_id: str | None = None,
) -> ConnectionRecord:
    """Connect ``connector`` to ``sandbox`` through its real flow (form, agent or OAuth2 login);
    with ``connection_id``, re-consent that connection instead of adding one. Support staff
    connecting a support-level package name the firm with ``firm_id``."""
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
            connection_id=connection_id, firm_id=firm_id,
        )
        async with httpx.AsyncClient(transport=RoutingTransport(sandbox.transports())) as client:
            callback = await sandbox.authorize(client, pending.authorize_url)
        return await app.finish_oauth(user, callback)
    return await app.connect_form(user, connector, {**config, **given}, connection_id=connection_id, firm_id=firm_id)
