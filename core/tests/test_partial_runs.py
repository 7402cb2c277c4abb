"""A run that fails after saving batches never looks finished (issue 15, finding 2)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from sfsync.api import Sfsync
from sfsync.context import ConnectorContext
from sfsync.echo import EchoSandbox
from sfsync.echo.connector import EchoConnector
from sfsync.errors import MalformedResponse
from sfsync.hookspecs import hookimpl
from sfsync.http.transport import RetryPolicy
from sfsync.metadata import ConnectorInfo
from sfsync.models import Company, LedgerBatch, LedgerLine
from sfsync.partial_runs import PARTIAL
from sfsync.plugins import PluginRegistry
from sfsync.sandbox import connect_sandbox
from sfsync.secrets import SecretBox, generate_key
from sfsync.testing.harness import RecordingClock

YEAR = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))


def _entry(n: int) -> list[LedgerLine]:
    day = dt.date(2025, 1, 1) + dt.timedelta(days=n % 360)
    return [LedgerLine(id=f"L{n}d", entry=f"E{n}", date=day, account="600000", debit=Decimal("10.00")),
            LedgerLine(id=f"L{n}c", entry=f"E{n}", date=day, account="440000", credit=Decimal("10.00"))]


class PagedConnector(EchoConnector):
    """Echo's companies, years and accounts; a ledger of pages set by the test, resumed by index.
    ``fail_at`` makes the page of that index fail instead (``error`` says how)."""

    def __init__(self) -> None:
        self.pages: list[LedgerBatch] = []
        self.fail_at: int | None = None
        self.error: Exception = MalformedResponse("page 2 of the ledger is not JSON")

    @hookimpl
    def sfsync_connector_info(self) -> ConnectorInfo:
        return ConnectorInfo(name="paged", title="Paged")

    @hookimpl
    def sfsync_fetch_ledger(  # type: ignore[override]
        self, ctx: ConnectorContext, company: Company, since: dt.date | None, cursor: str | None
    ) -> AsyncIterator[LedgerBatch]:
        return self._pages(int(cursor or 0))

    async def _pages(self, start: int) -> AsyncIterator[LedgerBatch]:
        for index in range(start, len(self.pages)):
            if index == self.fail_at:
                raise self.error
            yield self.pages[index].model_copy(update={"cursor": str(index + 1)})


@pytest.fixture
def paged(store: Any) -> Any:
    connector = PagedConnector()
    registry = PluginRegistry()
    registry.register(connector, "paged")
    sandbox = EchoSandbox()
    app = Sfsync(store, SecretBox(generate_key()), registry=registry, clock=RecordingClock(),
                 transports=sandbox.transports(), retry=RetryPolicy(attempts=2, wait_initial=0.01, wait_max=0.02),
                 resume_waits=())
    firm = app.create_firm("F")
    admin = app.add_user(firm.id, "a@f.test", "admin")
    connection = asyncio.run(connect_sandbox(app, admin, "paged", sandbox, secrets={"api_key": "echo-key-123"}))
    dossier = app.create_dossier(admin, "Bakkerij")
    asyncio.run(app.link(admin, dossier.id, connection.id, "C1", mode="replace"))
    return app, admin, dossier, connector


def test_a_run_failing_after_a_cleared_year_says_the_dossier_is_partly_updated(paged: Any) -> None:
    app, admin, dossier, connector = paged
    connector.pages = [LedgerBatch(lines=[x for n in range(60) for x in _entry(n)] + _entry(999)[:1]
                                   + [LedgerLine(id="L999c", entry="E999", date=dt.date(2025, 5, 5),
                                                 account="440000", credit=Decimal("10.00"))])]
    first = asyncio.run(app.sync_now(admin, dossier.id))
    assert first.status == "ok" and app.store.count_ledger_lines(dossier.id) == 122
    # the package re-reads the year: a clear, then the year in two batches; the second fails
    year = [x for n in range(61) for x in _entry(1000 + n)]
    connector.pages += [LedgerBatch(lines=year[:3], clear=YEAR), LedgerBatch(lines=year[3:])]
    connector.fail_at = 2
    failed = asyncio.run(app.sync_now(admin, dossier.id))
    assert failed.status == "failed"
    assert app.store.count_ledger_lines(dossier.id) == 3  # half applied: what the issue saw
    assert "dossier Bakkerij" in (failed.error or "") and "connector paged" in (failed.error or "")
    assert "not JSON" in (failed.error or "") and "partly updated" in (failed.error or "")
    assert failed.counts[PARTIAL] == 1
    assert app.status(admin)[0].incomplete
    # a later run that fails before saving anything does not make it look whole again
    connector.fail_at, connector.error = 2, MalformedResponse("still broken")
    again = asyncio.run(app.sync_now(admin, dossier.id))
    assert again.status == "failed" and PARTIAL not in again.counts and app.status(admin)[0].incomplete
    # the next run resumes from the checkpoint and the dossier is whole again
    connector.fail_at = None
    done = asyncio.run(app.sync_now(admin, dossier.id))
    assert done.status == "ok" and not app.status(admin)[0].incomplete
    assert sorted(line.id for line in app.store.ledger_lines(dossier.id)) == sorted(line.id for line in year)


def test_a_failed_replace_is_not_partial(paged: Any) -> None:
    """A replace run builds a new generation: its saved batches are not in the live data."""
    app, admin, dossier, connector = paged
    connector.pages = [LedgerBatch(lines=_entry(1)), LedgerBatch(lines=_entry(2))]
    connector.fail_at = 1
    failed = asyncio.run(app.sync_now(admin, dossier.id))
    assert failed.status == "failed" and PARTIAL not in failed.counts
    assert "partly updated" not in (failed.error or "") and not app.status(admin)[0].incomplete


def test_an_unexpected_error_names_dossier_connector_and_stage(paged: Any) -> None:
    app, admin, dossier, connector = paged
    connector.pages, connector.fail_at, connector.error = [LedgerBatch(lines=_entry(1))], 0, ZeroDivisionError("boom")
    failed = asyncio.run(app.sync_now(admin, dossier.id))
    assert failed.error_kind == "InternalError"
    assert (failed.error or "").startswith("dossier Bakkerij, connector paged: unexpected error in stage ledger")
