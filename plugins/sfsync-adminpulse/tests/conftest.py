"""A host around the AdminPulse connector and a fresh sandbox per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sfsync.plugins import PluginRegistry
from sfsync.testing.harness import ContractHarness
from sfsync_adminpulse.connector import AdminPulseConnector
from sfsync_adminpulse.sandbox import AdminPulseSandbox


@pytest.fixture
def sandbox() -> AdminPulseSandbox:
    return AdminPulseSandbox()


@pytest.fixture
def make_host(tmp_path: Path) -> Iterator[Callable[..., ContractHarness]]:
    """``make_host(sandbox, connector=None)``: a connected host (firm, admin, one connection)."""
    made: list[ContractHarness] = []

    def make(sandbox: AdminPulseSandbox, connector: AdminPulseConnector | None = None) -> ContractHarness:
        registry = PluginRegistry()
        registry.register(connector or AdminPulseConnector(), "adminpulse")
        assert not registry.broken, registry.broken
        host = ContractHarness.create("adminpulse", tmp_path / f"host{len(made)}", sandbox=sandbox, registry=registry)
        host.connect()
        made.append(host)
        return host

    yield make
    for host in made:
        host.close()


@pytest.fixture
def host(make_host: Callable[..., ContractHarness], sandbox: AdminPulseSandbox) -> ContractHarness:
    return make_host(sandbox)
