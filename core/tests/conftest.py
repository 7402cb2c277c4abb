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

    def __init__(self, store: Any, registry: PluginRegistry, *, firm_name: str = "Firm") -> None:
        self.sandbox = EchoSandbox()
        self.clock = RecordingClock()
        self.app = Sfsync(store, SecretBox(generate_key()), registry=registry, clock=self.clock,
                          transports=self.sandbox.transports(),
                          retry=RetryPolicy(attempts=4, wait_initial=0.01, wait_max=0.02), resume_waits=(0.01,))
        self.firm = self.app.create_firm(firm_name)  # firm names are unique per store
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


class Cli:
    """The ``sfsync`` command in-process on a fresh SQLite file, a firm with an admin and an echo
    connection already made (``ok`` asserts success and returns the output)."""

    def __init__(self, db: str) -> None:
        self.base = ["--db", db, "--sandbox"]

    def invoke(self, *args: str) -> Any:
        from click.testing import CliRunner

        from sfsync.cli import cli

        return CliRunner().invoke(cli, [*self.base, *args])

    def ok(self, *args: str) -> str:
        result = self.invoke(*args)
        assert result.exit_code == 0, result.output
        return str(result.output)


@pytest.fixture
def echo_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, registry: PluginRegistry) -> Cli:
    from sfsync import plugins as plugins_module

    monkeypatch.setattr(plugins_module, "_registry", registry)
    monkeypatch.delenv("SFSYNC_SECRET_KEY", raising=False)
    made = Cli(str(tmp_path / "cli.sqlite3"))
    made.ok("firm", "create", "Dupont", "--admin", "anne@dupont.be")
    made.ok("connect", "echo", "--field", "api_key=echo-key-123")
    return made
