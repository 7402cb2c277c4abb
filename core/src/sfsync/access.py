"""Who may touch what: every id a caller passes to :class:`~sfsync.api.Sfsync` is resolved here.

The public API has two kinds of methods:

* **firm-scoped** ones take the acting :class:`~sfsync.store.base.User` first and are wrapped by
  :func:`scoped`. The user is resolved from the store (so a forged or stale ``User`` object, with
  another firm's id or a role it no longer has, counts for nothing), and every connection, dossier
  and pending login they name is resolved *within that user's firm and role* by :class:`Access`.
  Another firm's id is refused exactly like an id that does not exist (:class:`NotFound`, same
  message), so a caller cannot even learn that it exists.
* **operator** ones (:data:`OPERATOR_METHODS`) are the host's own trusted calls: setting up a firm
  and its first admin, the nightly scheduler and the worker that runs a queued sync. They take no
  user; never hand them an id that came from a person's request — use the scoped method instead
  (``sync_now`` rather than ``sync``).

Roles: an ``admin`` manages the firm's connections and users; a ``member`` works on dossiers and
may (re-)consent only a dossier-level connection of a dossier of the firm. ``support`` staff of
the host belong to no firm: they reach the support-level connections of every firm (the only
role that creates or changes them, see :mod:`sfsync.levels`) and no firm's dossiers.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

from sfsync.errors import AuthError, ConfigurationError, NotFound, PermissionDenied
from sfsync.levels import require_may_manage
from sfsync.store.base import ConnectionRecord, DossierRecord, Store, User

__all__ = ["OPERATOR_METHODS", "Access", "is_scoped", "scoped"]

OPERATOR_METHODS = frozenset({
    "open", "mount", "create_firm", "add_user", "add_support_user", "sync", "sync_many", "due_dossiers",
    "due_rows", "sync_due",
})
"""Public :class:`~sfsync.api.Sfsync` methods that act as the host itself, with no user."""

UNKNOWN_STATE = "the login came back with an unknown or reused state; start the connection again"

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S")


class Access:
    """Resolves ids within the acting user's firm and role, or refuses them as not found.

    Args:
        store: Where users, connections and dossiers are kept.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    @staticmethod
    def sees(actor: User, firm_id: str) -> bool:
        """Whether ``actor`` may see what belongs to the firm ``firm_id`` (today: their own firm)."""
        return actor.firm_id == firm_id

    def actor(self, user: User) -> User:
        """The acting user as the store knows them; a user the store does not know, or knows in
        another firm, is refused."""
        try:
            stored = self.store.get_user(user.id)
        except NotFound:
            stored = None
        if stored is None or stored.firm_id != user.firm_id:
            raise NotFound(f"no user {user.id!r} in this firm")
        return stored

    @staticmethod
    def require_admin(actor: User, action: str) -> None:
        """Refuse ``action`` unless ``actor`` is an admin of their firm."""
        if actor.role != "admin":
            raise PermissionDenied(f"{actor.email} is a member of the firm; only an admin may {action}")

    def connection(self, actor: User, connection_id: str) -> ConnectionRecord:
        """The firm's connection ``connection_id``."""
        try:
            record = self.store.get_connection(connection_id)
        except NotFound:
            record = None
        if record is None or not (self.sees(actor, record.firm_id) or self._support_reaches(actor, record)):
            raise NotFound(f"no connection {connection_id!r} in this firm")
        return record

    @staticmethod
    def _support_reaches(actor: User, record: ConnectionRecord) -> bool:
        return actor.role == "support" and record.level == "support"

    def dossier(self, actor: User, name_or_id: str) -> DossierRecord:
        """The firm's dossier named ``name_or_id``, or with that id."""
        found = self.store.find_dossier(actor.firm_id, name_or_id)
        if found is None:
            try:
                found = self.store.get_dossier(name_or_id)
            except NotFound:
                found = None
        if found is None or not self.sees(actor, found.firm_id):
            raise NotFound(
                f"no dossier {name_or_id!r} in this firm; `sfsync dossier list` lists them, and `sfsync link` or "
                "`sfsync import` with a new name creates one (Sfsync.create_dossier in Python)"
            )
        return found

    def consent_target(
        self, actor: User, connector: str, level: str, *, connection_id: str | None, dossier_id: str | None
    ) -> tuple[ConnectionRecord | None, DossierRecord | None]:
        """What an OAuth2 login of ``actor`` may (re-)consent: checked when it starts and again
        when it finishes, so a removed connection or a changed role is noticed.

        Firm-level connections are an admin's; a member may log in only for a dossier of the firm
        with a dossier-level package, and re-consent only the connection that dossier is linked
        to. The connection re-consented must be of the same connector.
        """
        dossier = self.dossier(actor, dossier_id) if dossier_id is not None else None
        record = self.connection(actor, connection_id) if connection_id is not None else None
        if record is not None and record.connector != connector:
            raise ConfigurationError(
                f"connection {record.id} is a {record.connector} connection; it cannot be re-consented with {connector}"
            )
        if level == "support" or actor.role == "support":
            # Support-level connections are support staff's alone, and they set up nothing else.
            require_may_manage(actor, level, connector, "add a connection" if record is None else "change this connection")
            return record, dossier
        if actor.role == "admin":
            return record, dossier
        if dossier is None or level != "dossier":
            self.require_admin(actor, "add a connection")
        if record is not None:
            link = self.store.get_link(dossier.id) if dossier is not None else None
            if record.level != "dossier" or link is None or link.connection_id != record.id:
                self.require_admin(actor, f"re-consent connection {record.id}")
        return record, dossier

    @staticmethod
    def pending(actor: User, pending: dict[str, S], state: str, owner: Callable[[S], str]) -> S:
        """Take the pending login ``state`` of ``actor`` out of ``pending``. Another user's state
        is refused like an unknown one and stays where it is, so it cannot be spoilt."""
        found = pending.get(state)
        if found is None or owner(found) != actor.id:
            raise AuthError(UNKNOWN_STATE)
        return pending.pop(state)


def scoped(method: Callable[Concatenate[S, User, P], R]) -> Callable[Concatenate[S, User, P], R]:
    """Mark a firm-scoped :class:`~sfsync.api.Sfsync` method: its first argument, the acting user,
    is replaced by the user as the store knows them before the method runs (see :class:`Access`)."""
    if inspect.iscoroutinefunction(method):

        @functools.wraps(method)
        async def run_async(self: Any, user: User, *args: Any, **kwargs: Any) -> Any:
            return await method(self, self.access.actor(user), *args, **kwargs)

        wrapper: Any = run_async
    else:

        @functools.wraps(method)
        def run(self: Any, user: User, *args: Any, **kwargs: Any) -> Any:
            return method(self, self.access.actor(user), *args, **kwargs)

        wrapper = run
    wrapper.__sfsync_scoped__ = True
    return cast(Callable[Concatenate[S, User, P], R], wrapper)


def is_scoped(method: object) -> bool:
    """Whether ``method`` was marked with :func:`scoped`."""
    return bool(getattr(method, "__sfsync_scoped__", False))
