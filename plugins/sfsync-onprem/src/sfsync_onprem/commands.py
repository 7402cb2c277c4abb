"""``sfsync agent serve``: the sync service as one command (registered by its own entry point)."""

from __future__ import annotations

import ipaddress
import logging
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
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on: this machine only by default; 0.0.0.0 for the network.")
@click.option("--port", default=8766, show_default=True, type=int,
              help="The port (8765 is the OAuth2 login callback of the sfsync command).")
@click.option("--certfile", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Serve HTTPS with this PEM certificate (with --keyfile).")
@click.option("--keyfile", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The certificate's PEM private key.")
@click.option("--package", default="", help="The package the folders come from, for messages.")
@click.option("--closed-years/--open-years-only", default=False,
              help="Winbooks: read closed book years too (open years only by default).")
def serve(root: Path, token: str, host: str, port: int, certfile: Path | None, keyfile: Path | None,
          package: str, closed_years: bool) -> None:
    """Serve the dossier folders under ROOT to sfsync connections (read-only).

    With --certfile and --keyfile it serves HTTPS and prints the certificate's SHA-256
    fingerprint: give it to the connection (fingerprint=…) to pin a self-signed certificate.
    """
    import uvicorn

    from sfsync_onprem.agent import AgentApp
    from sfsync_onprem.tls import certificate_fingerprint

    if token == "-":
        token = sys.stdin.readline().rstrip("\r\n")
    if len(token) < 8:
        raise click.BadParameter("use a token of at least 8 characters", param_hint="--token")
    if (certfile is None) != (keyfile is None):
        raise click.BadParameter("give both --certfile and --keyfile, or neither", param_hint="--certfile")
    app = AgentApp(root, token, include_closed=closed_years, package=package)
    scheme = "https" if certfile else "http"
    click.echo(f"sfsync agent: serving {root} on {scheme}://{host}:{port} (pid {os.getpid()})")
    if certfile is not None:
        click.echo(f"certificate SHA-256 fingerprint: {certificate_fingerprint(certfile)}")
    elif not _loopback(host):
        click.echo("warning: plain HTTP on the network: the token and the books travel unencrypted; "
                   "serve HTTPS with --certfile and --keyfile", err=True)
    # Requests are logged by the app itself (method, path, status), without headers or secrets.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False,
                ssl_certfile=str(certfile) if certfile else None, ssl_keyfile=str(keyfile) if keyfile else None)


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


class AgentCommands:
    """A cross-cutting plugin: adds ``sfsync agent`` to the command line."""

    @hookimpl
    def sfsync_register_commands(self, cli: click.Group) -> None:
        if "agent" not in cli.commands:
            cli.add_command(agent_group)


plugin = AgentCommands()
