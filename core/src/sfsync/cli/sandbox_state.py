"""``--sandbox`` keeps its sandboxes' OAuth state beside the store, from one command to the next.

Each command starts fresh in-process sandboxes; an OAuth2 login made at one (``sfsync connect
exact --sandbox``) would be unknown to the next command's. So the OAuth server of each sandbox is
restored from ``<store folder>/sandbox-state/<connector>.json`` when the sandboxes start, and
written back when the command ends, failed or not (a refresh that rotated a token must be
remembered). The files hold digests of the sandbox's tokens, never a token or a secret
(:mod:`sfsync.sandbox.oauth_state`); delete the folder to start the sandboxes afresh.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from sfsync.sandbox import Sandbox

__all__ = ["STATE_FOLDER", "keep_oauth_state", "state_file"]

STATE_FOLDER = "sandbox-state"
"""The folder beside the store that holds the sandboxes' OAuth state."""


def state_file(db: Path, sandbox: Sandbox) -> Path:
    """Where ``sandbox``'s OAuth state is kept for the store ``db``."""
    return db.parent / STATE_FOLDER / f"{sandbox.connector}.json"


def keep_oauth_state(sandboxes: list[Sandbox], db: Path, ctx: click.Context | None) -> None:
    """Restore the fresh OAuth sandboxes among ``sandboxes`` from their files now, and save them
    when ``ctx`` (the command's) closes."""
    from sfsync.sandbox.oauth_state import load_oauth_state

    for sandbox in sandboxes:
        if sandbox.oauth_server is None or sandbox.oauth_server.grants:
            continue  # a sandbox that already issued logins (one kept in memory) is its own truth
        path = state_file(db, sandbox)
        try:
            load_oauth_state(sandbox.oauth_server, path)
        except (ValueError, KeyError, TypeError, ImportError, AttributeError) as exc:  # costs the logins, not the command
            click.echo(f"warning: {path} cannot be read ({type(exc).__name__}: {exc}); the {sandbox.connector} "
                       "sandbox starts without its earlier logins", err=True)
    if ctx is not None:
        ctx.find_root().call_on_close(lambda: _save(sandboxes, db))


def _save(sandboxes: list[Sandbox], db: Path) -> None:
    from sfsync.sandbox.oauth_state import save_oauth_state

    for sandbox in sandboxes:
        server, path = sandbox.oauth_server, state_file(db, sandbox)
        if server is None or not (server.grants or path.exists()):  # nothing to remember
            continue
        try:
            save_oauth_state(server, path)
        except (OSError, TypeError) as exc:
            click.echo(f"warning: the {sandbox.connector} sandbox's logins could not be kept in {path} ({exc}); "
                       "the next --sandbox command will not know them", err=True)
