"""Fixtures for core tests: an app on each store kind (SQLite always; PostgreSQL when
SFSYNC_TEST_POSTGRES_DSN is set), with the echo sandbox mounted."""

from __future__ import annotations

import asyncio
import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sfsync.api import Sfsync
from sfsync.echo import EchoSandbox
from sfsync.http.transport import RetryPolicy
from sfsync.plugins import PluginRegistry
from sfsync.sandbox.connect import connect_sandbox
from sfsync.secrets import SecretBox, generate_key
from sfsync.store.sqlite import SQLiteStore
from sfsync.testing.harness import RecordingClock

_stores_module = Path(__file__).with_name("conftest_stores.py")


def _make_store(kind: str, tmp_path: Path) -> Any:
    if kind == "sqlite":
        return SQLiteStore(tmp_path / "core.sqlite3")
    spec = importlib.util.spec_from_file_location("conftest_stores", _stores_module)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_store(kind, tmp_path)


STORE_KINDS = ["sqlite"]
if os.environ.get("SFSYNC_TEST_POSTGRES_DSN") and _stores_module.exists():
    STORE_KINDS.append("postgres")


@pytest.fixture
def registry() -> PluginRegistry:
    """A fresh registry with only the echo connector (no entry points)."""
    from sfsync.echo import connector

    reg = PluginRegistry()
    reg.register(connector, "echo")
    return reg


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    made = _make_store(request.param, tmp_path)
    yield made
    made.close()


class Env:
    """An app on a store, with a firm, an admin, the echo sandbox and a connection."""

    def __init__(self, store: Any, registry: PluginRegistry) -> None:
        self.sandbox = EchoSandbox()
        self.clock = RecordingClock()
        self.app = Sfsync(store, SecretBox(generate_key()), registry=registry, clock=self.clock,
                          transports=self.sandbox.transports(),
                          retry=RetryPolicy(attempts=4, wait_initial=0.01, wait_max=0.02), resume_waits=(0.01,))
        self.firm = self.app.create_firm("Firm")
        self.admin = self.app.add_user(self.firm.id, "admin@firm.test", "admin")
        self.member = self.app.add_user(self.firm.id, "member@firm.test", "member")
        self.connection = self.run(connect_sandbox(self.app, self.admin, "echo", self.sandbox))

    def run(self, coroutine: Any) -> Any:
        return asyncio.run(coroutine)

    def dossier(self, name: str, *, mode: str = "replace", since: Any = None, ref: str = "C1") -> Any:
        dossier = self.app.create_dossier(self.admin, name)
        self.run(self.app.link(self.admin, dossier.id, self.connection.id, ref, mode=mode, since=since))
        return dossier

    def sync(self, dossier: Any, observer: Any = None) -> Any:
        return self.run(self.app.sync(dossier.id, observer=observer))

    def lines(self, dossier: Any) -> dict[str, Any]:
        return {line.id: line for line in self.app.store.ledger_lines(dossier.id)}


@pytest.fixture
def env(store: Any, registry: PluginRegistry) -> Env:
    return Env(store, registry)
