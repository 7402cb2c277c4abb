"""The packages' offline sandboxes (``sandbox serve``), the ``demo`` and ``secret-key``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from sfsync.cli.coroutines import run_coroutine
from sfsync.cli.output import console, say, table

if TYPE_CHECKING:
    from rich.text import Text

__all__ = ["demo", "sandbox", "secret_key"]


@click.group()
def sandbox() -> None:
    """The packages' offline sandboxes."""


@sandbox.command("serve")
@click.argument("connectors", nargs=-1)
@click.option("--port", default=8800, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--fault", "faults", multiple=True, metavar="KIND[:OPTION=VALUE,...]",
              help="Inject a fault into every served sandbox (repeatable), e.g. 'rate-limit:retry-after=30', "
                   "'503:times=3', 'timeout:times=3,path=/lines', 'truncate:fraction=0.6', 'html', "
                   "'wrong-types:fields=Amount', 'token-expiry:after=5', 'revoked-consent:after=5'.")
def sandbox_serve(connectors: tuple[str, ...], port: int, host: str, faults: tuple[str, ...]) -> None:
    """Serve sandboxes over real HTTP (uvicorn): the named connectors', or every installed one.

    Other commands reach them with --sandbox-url http://HOST:PORT, so their state (tokens, data
    changes) lasts across commands. Needs the `serve` extra: pip install 'sfsync[serve]'.
    """
    from sfsync.demo import start_sandboxes
    from sfsync.errors import ConfigurationError
    from sfsync.plugins import get_registry
    from sfsync.sandbox.faults import parse_fault
    from sfsync.sandbox_server import dispatcher

    try:
        import uvicorn
    except ImportError:
        raise ConfigurationError("serving sandboxes needs uvicorn: pip install 'sfsync[serve]'") from None
    for fault in faults:
        try:
            parse_fault(fault)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--fault") from None

    registry = get_registry()
    for name in connectors:
        registry.connector(name)
        if not registry.supports(name, "sfsync_sandbox"):
            raise ConfigurationError(f"connector {name} ships no sandbox")
    sandboxes, failures = start_sandboxes(registry)
    chosen = {n: s for n, s in sandboxes.items() if not connectors or n in connectors}
    for name, error in failures.items():
        click.echo(f"{name}: its sandbox failed to start: {error}", err=True)
    distinct = list({id(s): s for s in chosen.values()}.values())
    for box in distinct:
        for fault in faults:
            box.faults.inject(parse_fault(fault))  # one fault object per sandbox: each counts its own
    for name, box in chosen.items():
        say(name)
        for label, value in box.credentials().items():
            say(f"  {label}: {value}")
    for fault in faults:
        say(f"fault injected: {fault}")
    say(f"serving on http://{host}:{port}; use --sandbox-url http://{host}:{port} in other commands")
    uvicorn.run(dispatcher(distinct), host=host, port=port, log_level="warning")


@click.command()
@click.option("--folder", type=click.Path(path_type=Path), default="sfsync-demo", show_default=True,
              help="Where the demo's store goes (emptied first).")
@click.option("--web", "with_web", is_flag=True, help="Then serve the demo's data in sfsync web (pip install 'sfsync[web]').")
@click.option("--port", default=8000, show_default=True, help="With --web: the port to serve on.")
def demo(folder: Path, with_web: bool, port: int) -> None:
    """Run every installed connector against its sandbox, offline, and print a summary."""
    from sfsync.cli.syncing import observer
    from sfsync.demo import run_demo

    if with_web:
        from sfsync.web.cli import demo_web

        demo_web(folder, "127.0.0.1", port)
        return

    say("sfsync demo: every installed package, offline, through its sandbox")
    progress, watcher = observer()
    with progress:
        rows = run_coroutine(run_demo(folder, observer=watcher, say=lambda text: progress.console.print(text)))
    shown = table("dossier", "package", "mode", "fiscal years", "accounts", "lines", "balanced",
                  "requests", "2nd run", "seconds", "outcome", title="sfsync demo: summary")
    for row in rows:
        balanced = {True: "[green]yes[/green]", False: "[red]no[/red]", None: ""}[row.balanced]
        colour = "green" if row.status in ("ok", "warning") else "red"
        shown.add_row(row.dossier, row.connector, row.mode, str(row.fiscal_years), str(row.accounts), str(row.lines),
                      _markup(balanced), str(row.requests_first),
                      f"{row.requests_second} req, {row.fetched_second} fetched", f"{row.seconds:.1f}",
                      _markup(f"[{colour}]{row.status}[/{colour}]"))
    console().print(shown)
    for row in rows:
        if row.error:
            click.echo(f"{row.dossier}: {row.error}", err=True)
    if any(row.status not in ("ok", "warning") for row in rows):
        sys.exit(1)


def _markup(text: str) -> Text:
    from rich.text import Text

    return Text.from_markup(text)


@click.command("secret-key")
def secret_key() -> None:
    """Print a new key for SFSYNC_SECRET_KEY."""
    from sfsync.secrets import generate_key

    click.echo(generate_key())
