"""Sfsync.import_file: a reader's lines and whole LedgerColumns batches are stored; a file that
breaks half-way leaves the dossier as it was."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sfsync.api import Sfsync
from sfsync.errors import ConfigurationError
from sfsync.hookspecs import hookimpl
from sfsync.models import Account, AccountKind, FiscalYear, LedgerColumns, LedgerLine
from sfsync.plugins import PluginRegistry
from sfsync.readers import ReadResult
from sfsync.secrets import SecretBox, generate_key
from sfsync.store.sqlite import SQLiteStore

YEAR = FiscalYear(start=dt.date(2024, 1, 1), end=dt.date(2024, 12, 31), label="2024")


def _pair(entry: int) -> list[dict[str, object]]:
    day = dt.date(2024, 1 + entry % 12, 1)
    return [
        {"id": f"L{entry}a", "entry": f"E{entry}", "date": day, "account": "400000", "amount": Decimal(entry)},
        {"id": f"L{entry}b", "entry": f"E{entry}", "date": day, "account": "700000", "amount": -Decimal(entry)},
    ]


class Reader:
    """Reads ``*.fake`` files: two lines as models, then a batch of columns, then two more lines;
    a file named ``broken.fake`` stops with an error after the batch."""

    @hookimpl
    def sfsync_read_export(self, path: Path) -> ReadResult | None:
        if path.suffix != ".fake":
            return None
        return ReadResult(
            format="fake", fiscal_years=[YEAR], ledger=self._ledger(broken=path.stem == "broken"),
            accounts=[Account(code=c, kind=AccountKind.BALANCE_SHEET) for c in ("400000", "700000")],
        )

    def _ledger(self, *, broken: bool) -> Iterator[LedgerLine | LedgerColumns]:
        for record in _pair(1):
            yield _signed(record)
        yield LedgerColumns.from_records([r for entry in range(2, 102) for r in _pair(entry)])
        if broken:
            raise ValueError("the file ends in the middle of an entry")
        for record in _pair(102):
            yield _signed(record)


def _signed(record: dict[str, object]) -> LedgerLine:
    fields = dict(record)
    return LedgerLine.from_signed(fields.pop("amount"), **fields)  # type: ignore[arg-type]


@pytest.fixture
def app(tmp_path: Path) -> Sfsync:
    registry = PluginRegistry()
    registry.register(Reader(), "fake-reader")
    return Sfsync(SQLiteStore(tmp_path / "s.sqlite3"), SecretBox(generate_key()), registry=registry)


def test_lines_and_column_batches_of_a_reader_are_all_stored(app: Sfsync, tmp_path: Path):
    admin = app.add_user(app.create_firm("F").id, "a@b.c", "admin")
    dossier = app.create_dossier(admin, "D")
    (tmp_path / "books.fake").write_text("x")
    run = app.import_file(admin, dossier.id, tmp_path / "books.fake")
    assert run.status == "ok", run.error
    assert run.counts["lines"] == app.store.count_ledger_lines(dossier.id) == 2 * 102
    stored = {line.id: line for line in app.store.ledger_lines(dossier.id)}
    assert stored["L50b"].credit == Decimal(50) and stored["L102a"].debit == Decimal(102)


def test_a_file_broken_after_a_batch_leaves_the_dossier_as_it_was(app: Sfsync, tmp_path: Path):
    admin = app.add_user(app.create_firm("F").id, "a@b.c", "admin")
    dossier = app.create_dossier(admin, "D")
    (tmp_path / "books.fake").write_text("x")
    app.import_file(admin, dossier.id, tmp_path / "books.fake")
    (tmp_path / "broken.fake").write_text("x")
    with pytest.raises(ConfigurationError, match="broken.fake could not be imported: the file ends"):
        app.import_file(admin, dossier.id, tmp_path / "broken.fake")
    assert app.store.count_ledger_lines(dossier.id) == 2 * 102  # the earlier import, untouched
