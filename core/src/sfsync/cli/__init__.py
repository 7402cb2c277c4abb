"""The ``sfsync`` command: connect, link, sync, status, runs, show, import, and an offline demo.

Every command acts as a user of a firm (``--as EMAIL``, or ``SFSYNC_USER``; the firm's first admin
by default). Errors a person meets print one line on stderr that says what to do and exit with a
documented code (``docs/reference/cli.md``); pass ``--debug`` for the traceback. The commands hold
no logic of their own: they call :class:`sfsync.Sfsync`.

The package is split by subject (``firms``, ``connections``, ``dossiers``, ``syncing``, ``show``…)
and each command module is imported only when its command runs or its own ``--help`` is asked for:
``sfsync --version`` answers before click is imported, and ``sfsync --help`` imports click and the
root group only, the one-line summaries coming from :mod:`sfsync.cli.summaries`
(``benchmarks/bench_cli_startup.py``). The click group itself, :data:`cli`, is imported on first
access.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (``sfsync --version``)
if TYPE_CHECKING:
    from typing import Any

    import click

__all__ = ["cli", "main"]

_registered = False
"""Whether the plugins' commands were added (the docs build adds them to list every command)."""


def main(argv: list[str] | None = None) -> Any:
    """Entry point of the ``sfsync`` command.

    ``sfsync --version`` alone is answered here, in click's words, without importing click (a
    shell prompt or a packaging check asks it often); every other command line goes to click.
    """
    args = sys.argv[1:] if argv is None else argv
    if args == ["--version"]:
        from sfsync import __version__

        print(f"sfsync, version {__version__}")
        sys.exit(0)
    from sfsync.cli.app import main as click_main

    return click_main(argv)


def __getattr__(name: str) -> click.Group:
    """The root click group, :data:`cli`, imported on first access (PEP 562)."""
    if name == "cli":
        from sfsync.cli.app import cli

        return cli
    raise AttributeError(f"module 'sfsync.cli' has no attribute {name!r}")


def _register_plugin_commands() -> None:
    """Add every installed plugin's commands now (the command itself adds them only when a name
    is not one of sfsync's, so that ``--help`` imports no plugin)."""
    global _registered
    from sfsync.cli.app import cli, register_plugin_commands

    cli._plugins_loaded = True
    register_plugin_commands(cli)
    _registered = True
