"""Making a host from its settings: the store (SQLite, or PostgreSQL when configured), the secret
box, the plugins and, in sandbox mode, every installed package's sandbox mounted in-process."""

from __future__ import annotations

from sfsync.api import Sfsync
from sfsync.plugins import PluginRegistry
from sfsync.sandbox import Sandbox
from sfsync.secrets import SecretBox
from sfsync.web.host import Host
from sfsync.web.passwords import PasswordBook
from sfsync.web.settings import WebSettings

__all__ = ["create_host"]


def create_host(
    settings: WebSettings,
    *,
    app: Sfsync | None = None,
    registry: PluginRegistry | None = None,
    sandboxes: dict[str, Sandbox] | None = None,
) -> Host:
    """A host for ``settings``; pass ``app`` to embed an :class:`Sfsync` made elsewhere, and in
    sandbox mode ``sandboxes`` already started (tests share them)."""
    if app is None:
        if settings.postgres_dsn:
            from sfsync.store.postgres import PostgresStore

            store = PostgresStore(settings.postgres_dsn)
            box = SecretBox.from_environment(settings.db.with_name(settings.db.name + ".key"))
            app = Sfsync(store, box, registry=registry)
        else:
            app = Sfsync.open(settings.db, registry=registry)
    passwords = (PasswordBook(dsn=settings.postgres_dsn) if settings.postgres_dsn
                 else PasswordBook(path=settings.db))
    if not settings.sandbox:
        sandboxes = {}
    elif sandboxes is None:
        from sfsync.demo import start_sandboxes

        sandboxes, _ = start_sandboxes(app.registry)
    if sandboxes:
        for sandbox in {id(s): s for s in sandboxes.values()}.values():
            app.mount(sandbox.transports())
    return Host(app=app, settings=settings, passwords=passwords, sandboxes=sandboxes)
