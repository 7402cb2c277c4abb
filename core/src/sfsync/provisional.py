"""Create nothing until the step succeeds: a dossier made for a ``link`` or an ``import`` that
then fails is removed again, with any login made for it, so a failed attempt leaves no empty
dossier and no orphan dossier-level connection behind."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sfsync.errors import NotFound

if TYPE_CHECKING:
    from sfsync.api import Sfsync
    from sfsync.store.base import DossierRecord, User

__all__ = ["provisional_dossier"]


@contextmanager
def provisional_dossier(app: Sfsync, user: User, name: str) -> Iterator[DossierRecord]:
    """The dossier ``name``: the existing one, or a new one that is deleted again (with its own
    logins) when the block raises."""
    try:
        existing = app.dossier(user, name)
    except NotFound:
        existing = None
    if existing is not None:
        yield existing
        return
    created = app.create_dossier(user, name)
    try:
        yield created
    except BaseException:
        for record in app.store.list_connections(created.firm_id):
            if record.owner_dossier_id == created.id:
                app.store.delete_connection(record.id)
        app.store.delete_dossier(created.id)
        raise
