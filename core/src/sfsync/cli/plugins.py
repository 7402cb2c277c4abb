"""``sfsync plugins``: what is installed."""

from __future__ import annotations

from typing import Any

import click

from sfsync.cli.output import console, emit_json, json_option, table

__all__ = ["plugins"]


@click.command()
@json_option
def plugins(as_json: bool) -> None:
    """Installed plugins: connectors, auth, level, capabilities, and broken plugins."""
    from sfsync.plugins import get_registry

    registry = get_registry()
    rows: list[dict[str, Any]] = [
        {
            "connector": c.name, "title": c.info.title, "distribution": c.distribution, "version": c.version,
            "auth": c.auth.flavour, "level": c.auth.level.value, "capabilities": list(c.capabilities),
            "granularities": [g.value for g in c.info.granularities],
        }
        for c in sorted(registry.connectors.values(), key=lambda c: c.name)
    ]
    broken = [{"name": b.name, "distribution": b.distribution, "error": b.error} for b in registry.broken]
    if as_json:
        emit_json("plugins", connectors=rows, broken=broken)
        return
    shown = table("connector", "package", "version", "auth", "level", "capabilities")
    for row in rows:
        shown.add_row(row["connector"], row["title"], f"{row['distribution']} {row['version']}", row["auth"],
                      row["level"], ", ".join(c for c in row["capabilities"] if c.startswith("fetch_")))
    console().print(shown)
    for item in broken:
        click.echo(f"broken: {item['name']} ({item['distribution']}): {item['error']}", err=True)
