"""The root ``sfsync`` group: global options, lazily loaded commands, errors and exit codes.

Nothing heavy is imported here: a command's module (and with it the API, rich, httpx) is imported
only when that command runs or its own help page is asked for; ``sfsync --help`` and the completion
of a command name list them by their summaries (:mod:`sfsync.cli.summaries`), and the plugins' own
commands are loaded only when a command name is not one of sfsync's (so ``sfsync --help`` imports
no plugin).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

from sfsync import __version__
from sfsync.cli.exit_codes import AUTH_REFUSED, exit_code_for
from sfsync.cli.state import State
from sfsync.cli.summaries import SUMMARIES

__all__ = ["COMMANDS", "cli", "main"]

COMMANDS: dict[str, str] = {
    "check": "sfsync.cli.connections:check",
    "companies": "sfsync.cli.connections:companies",
    "connect": "sfsync.cli.connections:connect",
    "connections": "sfsync.cli.connections:connections",
    "demo": "sfsync.cli.sandboxes:demo",
    "disconnect": "sfsync.cli.connections:disconnect",
    "dossier": "sfsync.cli.dossiers:dossier",
    "firm": "sfsync.cli.firms:firm",
    "import": "sfsync.cli.importing:import_",
    "link": "sfsync.cli.dossiers:link",
    "plugins": "sfsync.cli.plugins:plugins",
    "reconnect": "sfsync.cli.connections:reconnect",
    "runs": "sfsync.cli.syncing:runs",
    "sandbox": "sfsync.cli.sandboxes:sandbox",
    "secret-key": "sfsync.cli.sandboxes:secret_key",
    "show": "sfsync.cli.show:show",
    "spec": "sfsync.cli.spec:spec",
    "status": "sfsync.cli.syncing:status",
    "support": "sfsync.cli.support:support",
    "sync": "sfsync.cli.syncing:sync",
    "unlink": "sfsync.cli.dossiers:unlink",
    "user": "sfsync.cli.firms:user",
    "web": "sfsync.web.cli:web",
}
"""Every built-in command and the ``module:attribute`` that holds it."""

SANDBOX_OAUTH_HINT = (
    "hint: --sandbox keeps the in-process sandboxes' OAuth2 logins in sandbox-state/ beside the store; a login "
    "made beside another store, or before that folder was removed, is unknown to them: "
    "`sfsync --sandbox reconnect CONNECTION` logs in again"
)

ENVIRONMENT_HELP = """\b
Environment variables:
  SFSYNC_DB            the store (--db)
  SFSYNC_USER          act as this user (--as)
  SFSYNC_FIRM          the firm (--firm)
  SFSYNC_SANDBOX       1: every package to its in-process sandbox (--sandbox)
  SFSYNC_SANDBOX_URL   the sandboxes of `sfsync sandbox serve` (--sandbox-url)
  SFSYNC_SECRET_KEY    the key that encrypts credentials (default: a key file beside the store)
  SFSYNC_FIELD_<NAME>  a connection form's field (secrets best given this way)
  SFSYNC_CLIENT_ID, SFSYNC_CLIENT_SECRET, SFSYNC_AGENT_TOKEN
  SFSYNC_LOAD_PLUGINS  load only these plugins (comma-separated)
  SFSYNC_LOG_FORMAT    text or json (--log-format)

\b
Exit codes: 0 done; 1 a sync or the package failed; 2 a usage or configuration
error; 3 the package refused the credentials (re-consent needed).
Shell completion: eval "$(_SFSYNC_COMPLETE=bash_source sfsync)" (zsh_source, fish_source).
Plugins may add commands (sfsync-onprem adds `agent`): they answer --help too."""


class LazyGroup(click.Group):
    """A group whose commands are imported on first use from ``module:attribute`` names."""

    def __init__(
        self, *args: Any, lazy: dict[str, str] | None = None, summaries: dict[str, str] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})
        self.summaries = dict(summaries or {})
        self._plugins_loaded = False
        self._listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The built-in commands and any already added (plugins'), sorted."""
        return sorted({*self.lazy, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command, importing its module on first use; an unknown name loads the plugins'
        commands once before it is refused. While a list of commands is written (help, shell
        completion), a command not yet imported stands in as a summary only."""
        if self._listing and cmd_name not in self.commands and cmd_name in self.summaries:
            return click.Command(cmd_name, help=self.summaries[cmd_name])
        if cmd_name not in self.commands and cmd_name in self.lazy:
            module_name, attribute = self.lazy[cmd_name].split(":")
            self.add_command(getattr(importlib.import_module(module_name), attribute), cmd_name)
        if cmd_name not in self.commands and not self._plugins_loaded:
            self._plugins_loaded = True
            register_plugin_commands(self)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The help page's list of commands, from the summaries of those not yet imported."""
        with self._summaries_only():
            super().format_commands(ctx, formatter)

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        """Complete a command name (with its summary, for zsh and fish) without importing it."""
        with self._summaries_only():
            return super().shell_complete(ctx, incomplete)

    @contextmanager
    def _summaries_only(self) -> Iterator[None]:
        self._listing = True
        try:
            yield
        finally:
            self._listing = False

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; sfsync's errors become one line on stderr and a documented exit code
        (``--debug``: the traceback)."""
        try:
            return super().invoke(ctx)
        except Exception as exc:
            code = exit_code_for(exc)
            state = ctx.find_object(State)
            if code is None or (state is not None and state.debug):
                raise
            click.echo(f"error: {exc}", err=True)
            if code == AUTH_REFUSED and state is not None and state.use_sandbox and _is_oauth(exc):
                click.echo(SANDBOX_OAUTH_HINT, err=True)
            sys.exit(code)


def _is_oauth(exc: Exception) -> bool:
    """Whether the refused credential was an OAuth2 connector's (the only ones --sandbox loses)."""
    from sfsync.auth import OAuth2Spec
    from sfsync.plugins import get_registry

    connector = getattr(exc, "connector", None)
    loaded = get_registry().connectors.get(connector) if connector else None
    return loaded is not None and isinstance(loaded.auth, OAuth2Spec)


def register_plugin_commands(group: click.Group) -> None:
    """Let installed plugins add their commands (``sfsync_register_commands``)."""
    from sfsync.plugins import get_registry

    try:
        get_registry().pm.hook.sfsync_register_commands(cli=group)
    except Exception as exc:  # a plugin's broken command must not break the others
        click.echo(f"a plugin failed to add its commands: {exc}", err=True)


@click.group(cls=LazyGroup, lazy=COMMANDS, summaries=SUMMARIES, epilog=ENVIRONMENT_HELP)
@click.option("--db", type=click.Path(), default="sfsync.sqlite3", envvar="SFSYNC_DB",
              show_default=True, help="The embedded store (a SQLite file).")
@click.option("--as", "as_user", envvar="SFSYNC_USER", help="Act as this user (email); default: the firm's admin.")
@click.option("--firm", envvar="SFSYNC_FIRM", help="The firm (name or id) when the store holds several.")
@click.option("--sandbox", is_flag=True, envvar="SFSYNC_SANDBOX",
              help="Route every package to an in-process offline sandbox (its OAuth2 logins are kept for the next "
                   "command in sandbox-state/ beside the store).")
@click.option("--sandbox-url", envvar="SFSYNC_SANDBOX_URL",
              help="Route every package to the sandboxes of a running `sfsync sandbox serve`.")
@click.option("-v", "--verbose", count=True, help="Log more: -v retries and waits, -vv everything.")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", envvar="SFSYNC_LOG_FORMAT",
              show_default=True, help="How log records are written to stderr.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.version_option(__version__, prog_name="sfsync")  # the words sfsync.cli.main answers --version with
@click.pass_context
def cli(
    ctx: click.Context, db: str, as_user: str | None, firm: str | None, sandbox: bool, sandbox_url: str | None,
    verbose: int, log_format: str, debug: bool,
) -> None:
    """Keep accounting dossiers filled with the figures of accounting packages."""
    if ctx.invoked_subcommand in COMMANDS:  # a plugin's command (agent serve) logs its own way
        from sfsync.cli.logs import configure_logging

        configure_logging(verbose, log_format)
    from pathlib import Path  # not at the top: `sfsync --help` does without it

    ctx.obj = State(Path(db), as_user, firm, sandbox, sandbox_url, debug)


def main(argv: list[str] | None = None) -> Any:
    """Entry point of the ``sfsync`` command."""
    return cli.main(args=argv, prog_name="sfsync")


if __name__ == "__main__":
    main()
