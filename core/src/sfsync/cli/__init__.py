"""The ``sfsync`` command: connect, link, sync, status, runs, show, import, and an offline demo.

Every command acts as a user of a firm (``--as EMAIL``, or ``SFSYNC_USER``; the firm's first admin
by default). Errors a person meets print one line on stderr that says what to do and exit with a
documented code (``docs/reference/cli.md``); pass ``--debug`` for the traceback. The commands hold
no logic of their own: they call :class:`sfsync.Sfsync`.

The package is split by subject (``firms``, ``connections``, ``dossiers``, ``syncing``, ``show``…)
and each command module is imported only when its command runs or ``--help`` lists it: start-up
imports click and nothing heavy (``benchmarks/bench_cli_startup.py``).
"""

from sfsync.cli.app import cli, main, register_plugin_commands

__all__ = ["cli", "main"]

_registered = False
"""Whether the plugins' commands were added (the docs build adds them to list every command)."""


def _register_plugin_commands() -> None:
    """Add every installed plugin's commands now (the command itself adds them only when a name
    is not one of sfsync's, so that ``--help`` imports no plugin)."""
    global _registered
    cli._plugins_loaded = True
    register_plugin_commands(cli)
    _registered = True
