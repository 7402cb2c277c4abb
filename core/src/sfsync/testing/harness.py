"""A ready-made host around one connector and its sandbox, for the contract suite and tests."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sfsync.api import Sfsync
from sfsync.auth import ConnectionLevel
from sfsync.clock import Clock
from sfsync.http.transport import RetryPolicy
from sfsync.models import Granularity, SyncMode
from sfsync.plugins import PluginRegistry, get_registry
from sfsync.sandbox import Sandbox
from sfsync.sandbox.connect import connect_sandbox
from sfsync.secrets import SecretBox, generate_key
from sfsync.store.base import ConnectionRecord, DossierRecord, Firm, RunRecord, Store, User
from sfsync.store.sqlite import SQLiteStore

__all__ = ["ContractHarness", "KilledRun", "RecordingClock", "SimulatedKill", "connect_sandbox"]


class SimulatedKill(BaseException):
    """Stops a run dead after a committed batch, as a killed process would.

    A ``BaseException``, so the runner's own error handling (which turns an ``Exception`` into a
    failed run) does not see it: what was committed stays, nothing after it happens."""


@dataclass
class KilledRun:
    """What a run killed at a batch boundary had committed."""

    batches: int
    lines: int
    """Lines (or trial-balance lines) committed before the kill."""


class _AtBatch:
    """An observer that acts once ``batches`` batches are committed: kills the run, or calls
    ``action`` (revoking a grant…) and lets the run go on."""

    def __init__(self, batches: int, action: Any = None) -> None:
        self.batches = batches
        self.action = action
        self.lines = 0
        self.committed = 0
        self.done = False

    def stage(self, dossier: str, stage: str) -> None:
        pass

    def progress(self, dossier: str, what: str, count: int) -> None:
        if what == "lines":
            self.lines = count

    def batch_committed(self, dossier: str, batches: int) -> None:
        self.committed = batches
        if batches >= self.batches and not self.done:
            self.done = True
            if self.action is None:
                raise SimulatedKill(f"killed after {batches} committed batches")
            self.action()


class RecordingClock(Clock):
    """A clock (real time by default) that records every sleep, to check that a Retry-After was
    waited out. Given the sandbox's clock, host and sandbox agree on time even when it is scaled."""

    def __init__(self, inner: Clock | None = None) -> None:
        self.inner = inner or Clock()
        self.slept: list[float] = []

    def now(self) -> dt.datetime:
        return self.inner.now()

    def monotonic(self) -> float:
        return self.inner.monotonic()

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.slept.append(seconds)
        await self.inner.sleep(seconds)


@dataclass
class ContractHarness:
    """A firm with an admin, on a temporary SQLite store, with one sandbox mounted."""

    connector: str
    sandbox: Sandbox
    app: Sfsync
    firm: Firm
    admin: User
    clock: RecordingClock
    connection: ConnectionRecord | None = None
    dossiers: list[DossierRecord] = field(default_factory=list)

    @classmethod
    def create(
        cls, connector: str, folder: Path, *, sandbox: Sandbox | None = None, registry: PluginRegistry | None = None,
        secret_key: str | None = None, store: Store | None = None,
    ) -> ContractHarness:
        """Build the harness; the sandbox defaults to a fresh one from the connector's hook, the
        store's secret key to a new one (give one to open the store from another process), the
        store to a new SQLite file in ``folder`` (give an empty one to run on another store,
        e.g. PostgreSQL; the harness closes it)."""
        registry = registry or get_registry()
        sandbox = sandbox or registry.call(connector, "sfsync_sandbox")
        folder.mkdir(parents=True, exist_ok=True)
        # A sandbox with a ScaledClock makes its package's real limits pass quickly in tests.
        sandbox_clock = getattr(sandbox, "clock", None)
        clock = RecordingClock(sandbox_clock if isinstance(sandbox_clock, Clock) else None)
        app = Sfsync(
            store or SQLiteStore(folder / "sfsync.sqlite3"), SecretBox(secret_key or generate_key()), registry=registry, clock=clock,
            transports=sandbox.transports(), retry=RetryPolicy(attempts=6, wait_initial=0.01, wait_max=0.05, wait_jitter=0.0),
            resume_waits=(0.05,),  # a resume after a transient fault is checked, not sat through
        )
        firm = app.create_firm("Contract Firm")
        admin = app.add_user(firm.id, "admin@contract.test", "admin")
        return cls(connector, sandbox, app, firm, admin, clock)

    def run(self, coroutine: Any) -> Any:
        """Run a coroutine to completion (tests are synchronous)."""
        return asyncio.run(coroutine)

    def connect(self, *, secrets: dict[str, str] | None = None, dossier: DossierRecord | None = None) -> ConnectionRecord:
        """Connect through the real flow; the first connection is kept as :attr:`connection`.

        A dossier-level package logs in for a dossier: one is created when none is given."""
        if dossier is None and self.is_dossier_level:
            dossier = self.app.create_dossier(self.admin, f"login-{len(self.app.store.list_dossiers()) + 1}")
        user, firm_id = self._connecting_user()
        record: ConnectionRecord = self.run(connect_sandbox(self.app, user, self.connector, self.sandbox, secrets=secrets,
                                                            dossier=dossier, firm_id=firm_id))
        if self.connection is None:
            self.connection = record
        return record

    def reconsent(self, connection: ConnectionRecord, *, dossier: DossierRecord | None = None) -> ConnectionRecord:
        """Give an existing connection fresh credentials through the real flow (a person logging
        in again); it keeps its id, so its dossiers keep their links and checkpoints."""
        if dossier is None and connection.owner_dossier_id is not None:  # a dossier's own login
            dossier = self.app.store.get_dossier(connection.owner_dossier_id)
        user, firm_id = self._connecting_user()
        record: ConnectionRecord = self.run(connect_sandbox(
            self.app, user, self.connector, self.sandbox, dossier=dossier, connection_id=connection.id, firm_id=firm_id))
        return record

    def _connecting_user(self) -> tuple[User, str | None]:
        """Who connects the package: the firm's admin, or for a support-level package (Octopus,
        AFAS…) the host's support staff, who name the firm."""
        if self.app.registry.connector(self.connector).auth.level is not ConnectionLevel.SUPPORT:
            return self.admin, None
        support = self.app.store.find_support_user("support@contract.test") or self.app.add_support_user("support@contract.test")
        return support, self.firm.id

    def call_hook(self, hook: str, connection: ConnectionRecord | None = None, **kwargs: Any) -> Any:
        """Call one of the connector's hooks directly, with a context of a stored connection."""
        record = self.app.store.get_connection((connection or self.connection or self.connect()).id)

        async def call() -> Any:
            ctx = self.app.runner.context_for(record)
            try:
                return await self.app.runner._call(self.connector, hook, ctx=ctx, **kwargs)
            finally:
                await ctx.aclose()

        return self.run(call())

    @property
    def is_dossier_level(self) -> bool:
        return self.app.registry.connector(self.connector).auth.level is ConnectionLevel.DOSSIER

    granularity_override: Granularity | None = None

    @property
    def granularity(self) -> Granularity:
        """The granularity links are made with: the contract class's, else the connector's default."""
        if self.granularity_override is not None:
            return self.granularity_override
        return self.app.registry.connector(self.connector).info.default_granularity

    def new_dossier(
        self,
        *,
        mode: SyncMode = SyncMode.REPLACE,
        since: dt.date | None = None,
        company_ref: str | None = None,
        granularity: Granularity | None = None,
        connection: ConnectionRecord | None = None,
    ) -> DossierRecord:
        """Create a dossier and link it (for dossier-level packages, through its own login)."""
        dossier = self.app.create_dossier(self.admin, f"dossier-{len(self.dossiers) + 1}")
        self.dossiers.append(dossier)
        if connection is None:
            connection = self.connect(dossier=dossier) if self.is_dossier_level or self.connection is None else self.connection
        self.relink(dossier, mode=mode, since=since, company_ref=company_ref, granularity=granularity, connection=connection)
        return dossier

    def relink(
        self,
        dossier: DossierRecord,
        *,
        mode: SyncMode = SyncMode.REPLACE,
        since: dt.date | None = None,
        company_ref: str | None = None,
        granularity: Granularity | None = None,
        connection: ConnectionRecord | None = None,
    ) -> None:
        """Link a dossier again (to change its mode or date); the next sync is a full one. An
        administrative (``details``) link takes no mode or date: they are left out for it."""
        granularity = granularity or self.granularity
        administrative = granularity is Granularity.DETAILS
        if connection is None:
            link = self.app.store.get_admin_link(dossier.id) if administrative else self.app.store.get_link(dossier.id)
            assert link is not None, f"dossier {dossier.name} has no link to keep the connection of"
            connection = self.app.store.get_connection(link.connection_id)
        ref = company_ref or self.sandbox.company_refs()[0]
        self.run(self.app.link(self.admin, dossier.id, connection.id, ref, mode=None if administrative else mode,
                               since=since, granularity=granularity))

    def sync(self, dossier: DossierRecord, observer: Any = None) -> RunRecord:
        """Sync a dossier now."""
        run: RunRecord = self.run(self.app.sync(dossier.id, observer=observer))
        return run

    def sync_until(self, dossier: DossierRecord, batches: int, action: Any = None) -> tuple[RunRecord | None, KilledRun]:
        """Sync and, once ``batches`` batches are committed, kill the run (:class:`SimulatedKill`)
        or, given ``action``, call it and let the run go on. Returns the run (``None`` when
        killed: a killed process records nothing) and what was committed by then."""
        watcher = _AtBatch(batches, action)
        try:
            run = self.sync(dossier, observer=watcher)
        except SimulatedKill:
            return None, KilledRun(watcher.committed, watcher.lines)
        return run, KilledRun(watcher.committed, watcher.lines)

    def close(self) -> None:
        self.app.store.close()
