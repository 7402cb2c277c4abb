"""A token vault in memory, for driving a connector against a sandbox without the host (a
plugin's own tests and benchmarks): it keeps the tokens and records every save, so a test can
check that rotated tokens were saved before they were used."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from sfsync.auth import TokenSet

__all__ = ["MemoryVault"]


class MemoryVault:
    """Holds one connection's tokens; :attr:`saved` lists every save, in order."""

    def __init__(self, tokens: TokenSet | None = None) -> None:
        """Start with ``tokens`` (none: a connection not yet made)."""
        self.tokens = tokens
        self.saved: list[TokenSet] = []
        self._lock = asyncio.Lock()

    @property
    def saves(self) -> int:
        """How many times tokens were saved."""
        return len(self.saved)

    async def load(self) -> TokenSet | None:
        """The tokens held."""
        return self.tokens

    async def save(self, tokens: TokenSet) -> None:
        """Hold ``tokens`` and record the save."""
        self.tokens = tokens
        self.saved.append(tokens)

    @contextlib.asynccontextmanager
    async def lock(self) -> AsyncIterator[None]:
        """The connection's refresh lock."""
        async with self._lock:
            yield
