"""How commands print: rich tables for people, versioned JSON (``--json``) for programs.

Every ``--json`` document is one object with ``"schema_version"`` (see :data:`SCHEMA_VERSION`) and
the command's own keys; their shapes are the JSON Schema ``sfsync/cli/output.schema.json``,
documented in ``docs/reference/cli-json.md``. Rich is imported only when a table is printed.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

__all__ = ["SCHEMA_VERSION", "console", "emit_json", "json_option", "say", "table", "warn"]

SCHEMA_VERSION = 1
"""The version of every ``--json`` shape; raised when a key is removed or changes meaning (a new
key is not a new version)."""

_console: Console | None = None


def console() -> Console:
    """The console tables and progress go to (made on first use)."""
    global _console
    if _console is None or _console.file is not sys.stdout:  # click's test runner swaps stdout
        from rich.console import Console

        _console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    return _console


def table(*columns: str, **kwargs: Any) -> Table:
    """A table whose text cells are shown as they are: names come from people and packages, and
    a dossier named ``[/]`` is a name, not rich markup (styled cells are given as ``Text``)."""
    from rich.table import Table
    from rich.text import Text

    class PlainTable(Table):
        def add_row(self, *renderables: Any, **options: Any) -> None:
            super().add_row(*(Text(c) if isinstance(c, str) else c for c in renderables), **options)

    return PlainTable(*columns, **kwargs)


def say(text: str) -> None:
    """Print a line for a person, as it is (no markup)."""
    from rich.text import Text

    console().print(Text(text), soft_wrap=True)


def warn(text: str) -> None:
    """A warning on stderr."""
    click.echo(f"warning: {text}", err=True)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)  # exact: a float would round money
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def emit_json(kind: str, **data: Any) -> None:
    """Print one versioned JSON document of ``kind`` (its shape: ``output.schema.json``)."""
    click.echo(json.dumps({"schema_version": SCHEMA_VERSION, "kind": kind, **data}, indent=2, default=_plain))


json_option = click.option("--json", "as_json", is_flag=True,
                           help="Print JSON (a versioned shape: docs/reference/cli-json.md).")
