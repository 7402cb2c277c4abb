"""``sfsync agent serve``: the sync service as one command (registered by its own entry point)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from sfsync.hookspecs import hookimpl


@click.group("agent")
def agent_group() -> None:
    """The on-premise sync service (reads dossier folders on this server)."""


@agent_group.command("serve")
@click.option("--root", type=click.Path(exists=True, file_okay=False, path_type=Path), required=True,
              help="The folder holding one folder per dossier.")
@click.option("--token", envvar="SFSYNC_AGENT_TOKEN", prompt="Token clients must send", hide_input=True,
              help="The token clients must send: best from SFSYNC_AGENT_TOKEN, - for stdin, or asked for "
                   "without echo (on the command line, other users see it in ps).")
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", default=8765, show_default=True, type=int)
@click.option("--package", default="", help="The package the folders come from, for messages.")
@click.option("--closed-years/--open-years-only", default=False,
              help="Winbooks: read closed book years too (open years only by default).")
def serve(root: Path, token: str, host: str, port: int, package: str, closed_years: bool) -> None:
    """Serve the dossier folders under ROOT to sfsync connections (read-only)."""
    import uvicorn

    from sfsync_onprem.agent import AgentApp

    if token == "-":
        token = sys.stdin.readline().rstrip("\r\n")
    if len(token) < 8:
        raise click.BadParameter("use a token of at least 8 characters", param_hint="--token")
    app = AgentApp(root, token, include_closed=closed_years, package=package)
    click.echo(f"sfsync agent: serving {root} on http://{host}:{port} (pid {os.getpid()})")
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=False)


class AgentCommands:
    """A cross-cutting plugin: adds ``sfsync agent`` to the command line."""

    @hookimpl
    def sfsync_register_commands(self, cli: click.Group) -> None:
        if "agent" not in cli.commands:
            cli.add_command(agent_group)


plugin = AgentCommands()
