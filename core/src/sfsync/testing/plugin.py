"""The pytest plugin of ``sfsync.testing`` (registered through the ``pytest11`` entry point).

It gives every test the ``sfsync_harness`` fixture: a factory for a :class:`ContractHarness` on a
temporary SQLite store, with a given sandbox mounted in-process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sfsync.testing.harness import ContractHarness


@pytest.fixture
def sfsync_harness(tmp_path: Path) -> Iterator[Callable[..., ContractHarness]]:
    """Build ``ContractHarness(connector, sandbox)`` objects on a temporary store."""
    made: list[ContractHarness] = []

    def make(connector: str, sandbox: Any = None) -> ContractHarness:
        harness = ContractHarness.create(connector, tmp_path / f"h{len(made)}", sandbox=sandbox)
        made.append(harness)
        return harness

    yield make
    for harness in made:
        harness.close()
