"""Shared fixtures: a sandbox on a fake clock and a harness whose host shares that clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sfsync.clock import FakeClock
from sfsync.testing.harness import ContractHarness
from sfsync_winbooks_online.sandbox import WinbooksSandbox

NOW = dt.datetime(2026, 3, 10, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def sandbox(clock: FakeClock) -> WinbooksSandbox:
    return WinbooksSandbox(clock=clock)


@pytest.fixture
def harness(tmp_path, sandbox: WinbooksSandbox) -> Iterator[ContractHarness]:  # type: ignore[no-untyped-def]
    made = ContractHarness.create("winbooks-online", tmp_path, sandbox=sandbox)
    made.connect()
    yield made
    made.close()
