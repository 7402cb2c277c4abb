"""A batch holding two lines under one package id is refused, not merged (issue 17).

A line id re-sent in a later batch is an edit and stays an upsert.
"""

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
from sfsync.hookspecs import hookimpl
from sfsync.ledger_columns import LedgerColumns
from sfsync.metadata import ConnectorInfo
from sfsync.models import Company, LedgerBatch, LedgerLine
from sfsync.plugins import PluginRegistry
from sfsync.sandbox import connect_sandbox
from sfsync.secrets import SecretBox, generate_key
from sfsync.testing.harness import RecordingClock


def _entry(n: int, amount: str = "10.00") -> list[LedgerLine]:
    day = dt.date(2025, 1, 1) + dt.timedelta(days=n % 360)
    return [LedgerLine(id=f"L{n}d", entry=f"E{n}", date=day, account="600000", debit=Decimal(amount)),
            LedgerLine(id=f"L{n}c", entry=f"E{n}", date=day, account="440000", credit=Decimal(amount))]


class BatchesConnector(EchoConnector):
    """Echo's companies, years and accounts; a ledger of batches set by the test, resumed by index."""

    def __init__(self) -> None:
        self.batches: list[LedgerBatch] = []

    @hookimpl
    def sfsync_connector_info(self) -> ConnectorInfo:
        return ConnectorInfo(name="batches", title="Batches")

    @hookimpl
    def sfsync_fetch_ledger(  # type: ignore[override]
        self, ctx: ConnectorContext, company: Company, since: dt.date | None, cursor: str | None
    ) -> AsyncIterator[LedgerBatch]:
        return self._from(int(cursor or 0))

    async def _from(self, start: int) -> AsyncIterator[LedgerBatch]:
        for index in range(start, len(self.batches)):
            yield self.batches[index].model_copy(update={"cursor": str(index + 1)})


@pytest.fixture
def linked(store: Any) -> Any:
    connector = BatchesConnector()
    registry = PluginRegistry()
    registry.register(connector, "batches")
    sandbox = EchoSandbox()
    app = Sfsync(store, SecretBox(generate_key()), registry=registry, clock=RecordingClock(),
                 transports=sandbox.transports(), resume_waits=())
    firm = app.create_firm("F")
    admin = app.add_user(firm.id, "a@f.test", "admin")
    connection = asyncio.run(connect_sandbox(app, admin, "batches", sandbox, secrets={"api_key": "echo-key-123"}))
    dossier = app.create_dossier(admin, "Bakkerij")
    asyncio.run(app.link(admin, dossier.id, connection.id, "C1", mode="replace"))
    return app, admin, dossier, connector


def _stored(app: Sfsync, dossier_id: str) -> list[LedgerLine]:
    return sorted(app.store.ledger_lines(dossier_id), key=lambda line: line.id)


def test_a_batch_with_two_lines_under_one_id_is_refused_and_nothing_changes(linked: Any) -> None:
    app, admin, dossier, connector = linked
    connector.batches = [LedgerBatch(lines=[x for n in range(3) for x in _entry(n)])]
    assert asyncio.run(app.sync_now(admin, dossier.id)).status == "ok"
    before = _stored(app, dossier.id)
    # The next night: an edit of a stored line, and two new lines the connector gave one id.
    clash = _entry(7)
    clash[1] = clash[1].model_copy(update={"id": clash[0].id})
    connector.batches.append(LedgerBatch(lines=[*_entry(0, "99.00"), *clash]))
    failed = asyncio.run(app.sync_now(admin, dossier.id))
    assert failed.status == "failed" and failed.error_kind == "MalformedResponse", failed.error
    error = failed.error or ""
    assert "dossier Bakkerij" in error and "connector batches" in error and "'L7d'" in error, error
    assert "same id" in error
    assert _stored(app, dossier.id) == before  # not even the edit of the refused batch is kept


def test_a_first_sync_with_a_repeated_id_stores_nothing(linked: Any) -> None:
    app, admin, dossier, connector = linked
    lines = _entry(1)
    connector.batches = [LedgerBatch(lines=[*lines, lines[0]])]
    failed = asyncio.run(app.sync_now(admin, dossier.id))
    assert failed.status == "failed" and "'L1d'" in (failed.error or ""), failed.error
    assert list(app.store.ledger_lines(dossier.id)) == []


def test_a_line_re_sent_in_a_later_batch_is_an_edit(linked: Any) -> None:
    app, admin, dossier, connector = linked
    connector.batches = [LedgerBatch(lines=_entry(1)), LedgerBatch(lines=_entry(1, "25.00"))]
    run = asyncio.run(app.sync_now(admin, dossier.id))
    assert run.status == "ok", run.error
    assert [(line.id, line.debit + line.credit) for line in _stored(app, dossier.id)] == [
        ("L1c", Decimal("25.00")), ("L1d", Decimal("25.00"))]


def test_repeated_ids_names_each_repeated_id_once_in_the_order_it_repeats() -> None:
    lines = [*_entry(1), *_entry(2)]
    columns = LedgerColumns.from_lines([lines[3], *lines, lines[3], lines[1]])
    assert columns.repeated_ids() == ["L2c", "L1c"]
    assert LedgerColumns.from_lines(lines).repeated_ids() == []
