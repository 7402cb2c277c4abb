"""``sfsync spec CONNECTOR``: the connection fields as JSON Schema, secrets marked."""

from __future__ import annotations

import json

import click

__all__ = ["spec"]


@click.command()
@click.argument("connector")
def spec(connector: str) -> None:
    """Print what connecting CONNECTOR asks for, as JSON Schema: each field, its type and
    description, required ones, and secrets marked ``writeOnly``/``airbyte_secret``."""
    from sfsync.connection_spec import connection_schema
    from sfsync.plugins import get_registry

    click.echo(json.dumps(connection_schema(get_registry().connector(connector)), indent=2))
