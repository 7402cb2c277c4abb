"""``echo``: the built-in fake connector and its sandbox (cf. llm's ``llm-echo``).

It connects with a form (an API key), pages a tiny JSON API, reports deletions and trial-balance
totals, so the core's tests, the docs' samples and the contract suite have a real connector to
run against without any package installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sfsync.echo.connector import EchoConnector, connector

if TYPE_CHECKING:
    from sfsync.echo.sandbox import EchoSandbox

__all__ = ["EchoConnector", "EchoSandbox", "connector"]


def __getattr__(name: str) -> Any:
    # The sandbox is loaded on first use: it needs sfsync[sandbox] (Starlette), the plugin does not.
    if name == "EchoSandbox":
        from sfsync.echo.sandbox import EchoSandbox

        return EchoSandbox
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
