"""What every command shares: the global options, the opened :class:`~sfsync.Sfsync` and the
acting user. The API is imported and opened on first use, never at start-up."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from pathlib import Path

    from sfsync.api import Sfsync
    from sfsync.store.base import Firm, User

__all__ = ["State", "pass_state"]


class State:
    """The global options of one ``sfsync`` invocation, and the app they open."""

    def __init__(
        self, db: Path, as_user: str | None, firm: str | None, sandbox: bool, sandbox_url: str | None, debug: bool
    ) -> None:
        self.db, self.as_user, self.firm, self.debug = db, as_user, firm, debug
        self.use_sandbox, self.sandbox_url = sandbox, sandbox_url
        self._app: Sfsync | None = None
        self.sandboxes: dict[str, Any] = {}

    @property
    def app(self) -> Sfsync:
        """The API over ``--db``, with the sandboxes mounted when ``--sandbox``/``--sandbox-url``."""
        if self._app is None:
            from sfsync.api import Sfsync

            self._app = Sfsync.open(self.db)
            if self.use_sandbox or self.sandbox_url:
                self._mount_sandboxes(self._app)
        return self._app

    def _mount_sandboxes(self, app: Sfsync) -> None:
        from sfsync.demo import start_sandboxes
        from sfsync.sandbox_server import forwarding_mounts

        sandboxes, _ = start_sandboxes(app.registry)
        distinct = list({id(s): s for s in sandboxes.values()}.values())
        if self.sandbox_url:
            # The sandboxes' state lives in the `sfsync sandbox serve` process; these local
            # instances only say which URLs to forward and how to log in.
            app.mount(forwarding_mounts(distinct, self.sandbox_url))
        else:
            from sfsync.cli.sandbox_state import keep_oauth_state

            keep_oauth_state(distinct, self.db, click.get_current_context(silent=True))
            for box in distinct:
                app.mount(box.transports())
        self.sandboxes = sandboxes

    def firms(self) -> list[Firm]:
        """The firms ``--firm`` names (every firm without it)."""
        firms = self.app.store.list_firms()
        if self.firm:
            firms = [f for f in firms if self.firm in (f.id, f.name)]
            if not firms:
                from sfsync.errors import NotFound

                raise NotFound(f"no firm {self.firm!r}; `sfsync firm list` lists them")
        return firms

    def user(self) -> User:
        """The acting user: ``--as`` in the chosen firm, else that firm's admin (the first by email)."""
        from sfsync.errors import ConfigurationError, NotFound

        firms = self.firms()
        if not firms:
            raise NotFound("no firm yet: create one with `sfsync firm create NAME --admin EMAIL`")
        if len(firms) > 1 and self.as_user:
            # An email names its firm when only one firm has that user.
            firms = [f for f in firms if self.app.store.find_user(f.id, self.as_user) is not None] or firms
        if len(firms) > 1:
            names = ", ".join(f.name for f in firms)
            raise ConfigurationError(f"several firms here ({names}): say which with --firm NAME (or SFSYNC_FIRM)")
        chosen = firms[0]
        if self.as_user:
            found = self.app.store.find_user(chosen.id, self.as_user)
            if found is None:
                raise NotFound(f"no user {self.as_user} in firm {chosen.name}; add one with "
                               f"`sfsync user add {self.as_user}`")
            return found
        admins = [u for u in self.app.store.list_users(chosen.id) if u.role == "admin"]
        if not admins:
            raise NotFound(f"firm {chosen.name} has no admin; pass --as EMAIL")
        return admins[0]


pass_state = click.make_pass_decorator(State)
