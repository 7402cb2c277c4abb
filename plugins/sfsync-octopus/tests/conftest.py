"""Shared fixtures: a sandbox on a fake clock and a harness whose host shares that clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sfsync.clock import FakeClock
from sfsync.models import Granularity, SyncMode
from sfsync.store.base import DossierRecord
from sfsync.testing.harness import ContractHarness
from sfsync_octopus.sandbox import OctopusSandbox

NOW = dt.datetime(2026, 3, 10, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def sandbox(clock: FakeClock) -> OctopusSandbox:
    return OctopusSandbox(clock=clock)


@pytest.fixture
def harness(tmp_path, sandbox: OctopusSandbox) -> Iterator[ContractHarness]:  # type: ignore[no-untyped-def]
    made = ContractHarness.create("octopus", tmp_path, sandbox=sandbox)
    made.connect()
    yield made
    made.close()


def linked(harness: ContractHarness, ref: str, granularity: Granularity = Granularity.TRANSACTIONS) -> DossierRecord:
    """A dossier linked (replace) to the dossier ``ref`` of the sandbox."""
    return harness.new_dossier(mode=SyncMode.REPLACE, company_ref=ref, granularity=granularity)
