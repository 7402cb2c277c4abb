"""The pytest plugin of ``sfsync.testing`` (registered through the ``pytest11`` entry point).

It gives every test the ``sfsync_harness`` fixture: a factory for a :class:`ContractHarness` on a
temporary SQLite store, with a given sandbox mounted in-process. It registers the
``sfsync_check`` marker of the contract checks and the contract report: checks not taken are
listed at the end of every run, and ``pytest --sfsync-report`` prints every check's outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sfsync.testing.checks import MARKER
from sfsync.testing.harness import ContractHarness
from sfsync.testing.report import ContractReport


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--sfsync-report``."""
    parser.getgroup("sfsync").addoption(
        "--sfsync-report", action="store_true", default=False,
        help="print a table of every contract check: passed, failed, or not taken and why",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the check marker and the contract report."""
    config.addinivalue_line("markers", f"{MARKER}(name): the contract check a test is (sfsync.testing.checks)")
    config.pluginmanager.register(ContractReport(full=bool(config.getoption("--sfsync-report"))), "sfsync-contract-report")


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
