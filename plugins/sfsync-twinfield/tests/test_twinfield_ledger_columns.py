"""Browse ``030_3`` pages become one ``LedgerColumns`` each: the same lines as the per-line
``LedgerLine`` mapping, and the same errors for a malformed row."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal

import pytest
from pydantic import ValidationError
from sfsync.errors import MalformedResponse
from sfsync.ledger_columns import FIELDS
from sfsync.models import LedgerColumns
from sfsync_twinfield import connector
from sfsync_twinfield.browse import Row
from sfsync_twinfield.connector import _ledger_page, _line, _stamp, twinfield


async def _collect(iterator):
    return [item async for item in iterator]


def test_twinfield_batches_equal_the_line_by_line_mapping_of_the_seeded_data(connected, monkeypatch):
    pages: list[list[Row]] = []
    real_browse = connector.browse

    async def recording_browse(ctx, office, code, columns):
        rows = await real_browse(ctx, office, code, columns)
        if code == "030_3":
            pages.append(rows)
        return rows

    monkeypatch.setattr(connector, "browse", recording_browse)
    ctx, company = connected.ctx, connected.company("001")

    async def first_sync():
        years = await twinfield.sfsync_fetch_fiscal_years(ctx=ctx, company=company)
        return await _collect(
            twinfield.sfsync_fetch_ledger(ctx=ctx, company=company, since=None, cursor=None, fiscal_years=years)
        )

    batches = asyncio.run(first_sync())
    assert len(batches) == len(pages)  # one batch per browse
    office = connected.sandbox.books.offices["001"]
    seeded = {
        f"{t.code}/{t.number}/{line.line}": (t, line) for t in office.transactions.values() for line in t.lines
    }
    checked = foreign = 0
    for batch, rows in zip(batches, pages, strict=True):
        assert isinstance(batch.lines, LedgerColumns)
        expected = [_line(row) for row in rows]
        assert len(batch.lines) == len(expected)
        for name in FIELDS:  # field by field, with the exact Decimal (sign and exponent) kept
            got, want = batch.lines.column(name), tuple(getattr(line, name) for line in expected)
            assert got == want, name
            if name in ("debit", "credit", "foreign_amount"):
                assert [str(v) for v in got] == [str(v) for v in want], name
        for line in batch.lines:  # and what the sandbox seeded
            txn, source = seeded[line.id]
            assert line.entry == f"{txn.code}/{txn.number}" and line.journal == txn.code
            assert (line.date, line.period, line.fiscal_year) == (txn.date, txn.period, str(txn.year))
            assert (line.account, line.description) == (source.dim1, source.description)
            assert line.debit - line.credit == source.base and min(line.debit, line.credit) == 0
            assert (line.counterparty, line.vat_code) == (source.dim2 or None, source.vatcode or None)
            assert line.modified is not None and line.modified.strftime("%Y%m%d%H%M%S") == txn.modified.strftime(
                "%Y%m%d%H%M%S"
            )
            if txn.currency != "EUR":
                assert (line.currency, line.foreign_amount) == (txn.currency, source.value)
                foreign += 1
            else:
                assert (line.currency, line.foreign_amount) == (None, None)
            checked += 1
    assert checked == len(seeded)
    assert foreign > 0


GOOD = {
    "fin.trs.head.year": "2025",
    "fin.trs.head.period": "3",
    "fin.trs.head.date": "20250304",
    "fin.trs.head.curcode": "EUR",
    "fin.trs.head.modified": "20250305101112",
    "fin.trs.line.dim1": "1100",
    "fin.trs.line.basevaluesigned": "-12.50",
    "fin.trs.line.valuesigned": "-12.50",
    "fin.trs.line.description": "Huur maart",
}


def _row(line: int, **cells: str) -> Row:
    return Row({**GOOD, **cells}, {"office": "001", "code": "MEMO", "number": "202500001", "line": str(line)})


def test_twinfield_page_keeps_sign_currency_and_newest_stamp():
    lines, newest = _ledger_page([
        _row(1),
        _row(2, **{"fin.trs.line.basevaluesigned": "12.50", "fin.trs.head.curcode": "USD",
                   "fin.trs.line.valuesigned": "13.60", "fin.trs.head.modified": "20250306000000"}),
    ])
    assert lines.column("id") == ("MEMO/202500001/1", "MEMO/202500001/2")
    assert [str(v) for v in lines.column("debit")] == ["0", "12.50"]
    assert [str(v) for v in lines.column("credit")] == ["12.50", "0"]
    assert lines.column("currency") == (None, "USD")
    assert lines.column("foreign_amount") == (None, Decimal("13.60"))
    assert newest == "20250306000000"
    assert _ledger_page([]) == (LedgerColumns.empty(), None)


def test_twinfield_row_without_account_names_the_field():
    with pytest.raises(ValidationError) as caught:
        _ledger_page([_row(1), _row(2, **{"fin.trs.line.dim1": ""})])
    assert [e["loc"] for e in caught.value.errors()] == [(1, "account")]
    assert "'MEMO/202500001/2'" in str(caught.value)  # the line's id


@pytest.mark.parametrize(
    ("cell", "value", "message"),
    [
        ("fin.trs.line.basevaluesigned", "12,5x", "amount that is not a number: '12,5x'"),
        ("fin.trs.head.date", "2025-13-45", "date that cannot be read: '2025-13-45'"),
        ("fin.trs.head.modified", "yesterday", "modified stamp that cannot be read: 'yesterday'"),
        ("fin.trs.head.period", "n/a", "period number on line MEMO/202500001/2 .*'n/a'"),
    ],
)
def test_twinfield_malformed_cells_are_malformed_responses(cell, value, message):
    with pytest.raises(MalformedResponse, match=message):
        _ledger_page([_row(1), _row(2, **{cell: value})])


@pytest.mark.parametrize(
    "value",
    ["20250305101112", " 20241231235959 ", "20240229000000", "20250229000000", "20251305101112",
     "20250305241112", "20250305106012", "20250305101160", "2025030510111", "202503051011123", "2025-03-05"],
)
def test_twinfield_stamp_reads_as_strptime_does(value):
    try:
        expected = dt.datetime.strptime(value.strip(), "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)
    except ValueError:
        with pytest.raises(MalformedResponse, match="modified stamp that cannot be read"):
            _stamp(value)
    else:
        assert _stamp(value) == expected
