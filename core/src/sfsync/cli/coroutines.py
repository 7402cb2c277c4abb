"""Run one of the API's coroutines to its end from a command.

The commands call the async API once or twice each; asyncio (tens of milliseconds to import) is
imported here on first use rather than at the top of every command module, so that a command's
``--help`` does not pay for it.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["run_coroutine"]

T = TypeVar("T")


def run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coroutine)``: its result, or its exception."""
    import asyncio

    return asyncio.run(coroutine)
