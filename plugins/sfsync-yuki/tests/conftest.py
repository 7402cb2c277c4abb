"""Fixtures for the yuki tests: a sandbox on a fake clock, contexts wired to it, a tiny store."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sfsync.clock import FakeClock
from sfsync.context import ConnectorContext, Secrets
from sfsync.models import Company, LedgerBatch, LedgerLine
from sfsync_yuki.connector import YukiConnector, yuki
from sfsync_yuki.sandbox import YukiSandbox


@pytest.fixture
def clock() -> FakeClock:
    # 02:00 UTC on 15 January 2026: a nightly run.
    return FakeClock(dt.datetime(2026, 1, 15, 2, 0, tzinfo=dt.UTC))


@pytest.fixture
def sandbox(clock: FakeClock) -> YukiSandbox:
    return YukiSandbox(clock)


@pytest.fixture
def connector() -> YukiConnector:
    return yuki


class Connection:
    """A connection's persisted state across runs, and a context per run."""

    def __init__(self, sandbox: YukiSandbox, clock: FakeClock, secrets: dict[str, str] | None = None,
                 config: dict[str, Any] | None = None) -> None:
        self.sandbox = sandbox
        self.clock = clock
        self.secrets = secrets if secrets is not None else sandbox.connection_secrets()
        self.config = {**sandbox.connection_config(), **(config or {})}
        self.state: dict[str, Any] = {}
        self.saved = 0

    async def _save(self, state: dict[str, Any]) -> None:
        self.saved += 1
        self.state = dict(state)

    def context(self) -> ConnectorContext:
        return ConnectorContext(
            connector="yuki", connection_id="c1", auth_spec=yuki.sfsync_auth(), config=self.config,
            secrets=Secrets(self.secrets), state=self.state, clock=self.clock,
            transports=self.sandbox.transports(), state_saver=self._save,
        )

    def run(self, fn: Callable[[ConnectorContext], Any]) -> Any:
        async def main() -> Any:
            ctx = self.context()
            try:
                return await fn(ctx)
            finally:
                await ctx.aclose()
                self.state = ctx.state
        return asyncio.run(main())


class Store:
    """What the runner does with batches: clear the range, upsert lines, keep the cursor."""

    def __init__(self) -> None:
        self.lines: dict[str, LedgerLine] = {}
        self.cursor: str | None = None
        self.batches = 0

    def apply(self, batch: LedgerBatch) -> None:
        if batch.clear:
            start, end = batch.clear
            self.lines = {k: v for k, v in self.lines.items() if not (start <= v.date <= end)}
        for line in batch.lines:
            self.lines[line.id] = line
        for line_id in batch.deleted:
            self.lines.pop(line_id, None)
        if batch.cursor is not None:
            self.cursor = batch.cursor
        self.batches += 1


@pytest.fixture
def connection(sandbox: YukiSandbox, clock: FakeClock) -> Connection:
    return Connection(sandbox, clock)


@pytest.fixture
def company(sandbox: YukiSandbox) -> Company:
    return Company(ref=sandbox.company_refs()[0])


@pytest.fixture
def sync_ledger(connection: Connection, company: Company) -> Callable[..., Any]:
    """Sync the ledger into ``store`` like the runner would; returns the context's stats."""

    def run(store: Store, since: dt.date | None = None, conn: Connection | None = None) -> ConnectorContext:
        conn = conn or connection

        async def body(ctx: ConnectorContext) -> ConnectorContext:
            async for batch in yuki.sfsync_fetch_ledger(ctx=ctx, company=company, since=since, cursor=store.cursor):
                store.apply(batch)
            return ctx

        return conn.run(body)

    return run


@pytest.fixture
def store() -> Store:
    return Store()


class Host:
    """The real host API (runner, SQLite store) on the fake clock, with the sandbox mounted."""

    def __init__(self, sandbox: YukiSandbox, clock: FakeClock, folder: Any) -> None:
        from sfsync.api import Sfsync
        from sfsync.http.transport import RetryPolicy
        from sfsync.secrets import SecretBox, generate_key
        from sfsync.store.sqlite import SQLiteStore

        self.sandbox = sandbox
        self.app = Sfsync(SQLiteStore(folder / "sfsync.sqlite3"), SecretBox(generate_key()), clock=clock,
                          transports=sandbox.transports(), retry=RetryPolicy(attempts=3, wait_initial=0.01, wait_max=0.02))
        self.firm = self.app.create_firm("Kantoor")
        self.admin = self.app.add_user(self.firm.id, "admin@kantoor.test", "admin")
        self.connection: Any = None

    def connect(self, config: dict[str, Any] | None = None) -> Any:
        values = {**self.sandbox.connection_config(), **self.sandbox.connection_secrets(), **(config or {})}
        self.connection = asyncio.run(self.app.connect_form(self.admin, "yuki", values))
        return self.connection

    def dossier(self, company_ref: str, *, granularity: str = "transactions", mode: str = "replace",
                since: dt.date | None = None) -> Any:
        if self.connection is None:
            self.connect()
        dossier = self.app.create_dossier(self.admin, f"d{company_ref[:8]}-{granularity}")
        asyncio.run(self.app.link(self.admin, dossier.id, self.connection.id, company_ref, mode=mode, since=since,
                                  granularity=granularity))
        return dossier

    def sync(self, dossier: Any) -> Any:
        return asyncio.run(self.app.sync(dossier.id))

    def close(self) -> None:
        self.app.store.close()


@pytest.fixture
def host(sandbox: YukiSandbox, clock: FakeClock, tmp_path: Any) -> Any:
    h = Host(sandbox, clock, tmp_path)
    yield h
    h.close()
