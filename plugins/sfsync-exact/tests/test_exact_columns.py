"""The ledger's hot path: a page of ``TransactionLines`` rows → one ``LedgerColumns``.

The batch path builds plain records and validates a page a column at a time; these tests hold it
to what the per-line mapping (``LedgerLine.from_signed`` per row, kept below verbatim as the
reference) gave, field by field and type by type, on every seeded line of the sandbox, and check
that bad rows still fail with an error naming the field and the value.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from typing import Any

import pydantic
import pytest
from sfsync.clock import FakeClock
from sfsync.errors import MalformedResponse
from sfsync.ledger_columns import FIELDS, LedgerColumns
from sfsync.models import LedgerBatch, LedgerLine
from sfsync_exact.ledger import _lines
from sfsync_exact.mapping import LINE_FIELDS, to_columns, to_line, to_records
from sfsync_exact.sandbox import ExactSandbox
from sfsync_exact.sandbox.harness import connect, connector_for
from sfsync_exact.wire import parse_date, parse_decimal, parse_stamp, text


def _reference_line(row: dict[str, Any], base_currency: str | None) -> LedgerLine:
    """The per-line mapping as it was before the column path (one model per row)."""
    account = text(row.get("GLAccountCode"))
    day = parse_date(row.get("Date"))
    amount = parse_decimal(row.get("AmountDC"))
    if (
        not row.get("ID")
        or not row.get("EntryID")
        or account is None
        or day is None
        or amount is None
    ):
        raise MalformedResponse(
            f"Exact sent a transaction line without ID, EntryID, GLAccountCode, Date or AmountDC "
            f"({row.get('ID')!r})"
        )
    currency = text(row.get("Currency"))
    foreign = currency is not None and base_currency is not None and currency != base_currency
    year = row.get("FinancialYear")
    return LedgerLine.from_signed(
        amount,
        id=str(row["ID"]),
        entry=str(row["EntryID"]),
        journal=text(row.get("JournalCode")),
        date=day,
        period=row.get("FinancialPeriod"),
        fiscal_year=str(year) if year is not None else None,
        account=account,
        description=text(row.get("Description")) or "",
        currency=currency if foreign else None,
        foreign_amount=parse_decimal(row.get("AmountFC")) if foreign else None,
        counterparty=text(row.get("AccountName")) or text(row.get("AccountCode")),
        vat_code=text(row.get("VATCode")),
        modified=parse_stamp(row.get("Modified")),
    )


def _exact(line: LedgerLine) -> tuple[tuple[str, type, str], ...]:
    # ``Decimal("1.50") == Decimal("1.5")``: compare the text too, so exponents must match.
    return tuple((name, type(getattr(line, name)), repr(getattr(line, name))) for name in FIELDS)


def _wire_pages(region: str) -> tuple[list[list[dict[str, Any]]], str]:
    """Every seeded line of the first division, as the sandbox sends the sync endpoint's pages."""
    sandbox = ExactSandbox(region, clock=FakeClock())
    ref = sandbox.company_refs()[0]

    async def read() -> list[list[dict[str, Any]]]:
        ctx = await connect(sandbox)
        client = connector_for(region).client(ctx)
        return [
            rows
            async for rows, _ in client.pages(
                f"{ref}/sync/Financial/TransactionLines",
                {"$select": LINE_FIELDS + ",Timestamp", "$filter": "Timestamp gt 1L"},
            )
        ]

    pages = asyncio.run(read())
    assert sum(map(len, pages)) == len(sandbox.division(ref).lines)
    return pages, sandbox.division(ref).currency


@pytest.mark.parametrize("region", ["be", "nl"])
def test_exact_page_columns_equal_the_per_line_models(region: str) -> None:
    pages, currency = _wire_pages(region)
    assert len(pages) > 1
    seen: list[LedgerLine] = []
    for rows in pages:
        batch = LedgerBatch(lines=to_columns(rows, currency), cursor="c")
        assert isinstance(batch.lines, LedgerColumns) and len(batch.lines) == len(rows)
        wanted = [_reference_line(row, currency) for row in rows]
        assert [_exact(line) for line in batch.lines] == [_exact(line) for line in wanted]
        assert batch.lines == wanted
        seen.extend(wanted)
    # The data exercises every branch: foreign lines, debits and credits, padded and empty codes.
    assert any(line.currency for line in seen) and any(line.currency is None for line in seen)
    assert any(line.debit for line in seen) and any(line.credit for line in seen)
    assert any(line.vat_code for line in seen) and any(line.vat_code is None for line in seen)
    assert all(line.modified is not None and line.modified.tzinfo for line in seen)


def test_exact_records_hold_only_plain_values() -> None:
    # What keeps LedgerColumns on its fast path: no float, no raw /Date()/ text, no subclass.
    pages, currency = _wire_pages("be")
    plain = {str, int, Decimal, dt.date, dt.datetime, type(None)}
    for record in to_records(pages[0], currency):
        assert set(record) == (set(FIELDS) - {"debit", "credit"}) | {"amount"}
        assert {type(value) for value in record.values()} <= plain, record


def test_exact_to_line_and_since_filter_match_the_reference() -> None:
    pages, currency = _wire_pages("be")
    rows = pages[0]
    assert [_exact(to_line(row, currency)) for row in rows] == [
        _exact(_reference_line(row, currency)) for row in rows
    ]
    days = sorted({_reference_line(row, currency).date for row in rows})
    since = days[len(days) // 2]
    kept = _lines(rows, currency, since)
    wanted = [line for row in rows if (line := _reference_line(row, currency)).date >= since]
    assert 0 < len(kept) < len(rows)
    assert [_exact(line) for line in kept] == [_exact(line) for line in wanted]


def _bad_page(**change: Any) -> tuple[list[dict[str, Any]], str]:
    pages, currency = _wire_pages("be")
    rows = [dict(row) for row in pages[0][:5]]
    rows[3].update(change)
    for name, value in change.items():
        if value is _DROP:
            del rows[3][name]
    return rows, currency


_DROP = object()


@pytest.mark.parametrize("field", ["ID", "EntryID", "GLAccountCode", "Date", "AmountDC"])
def test_exact_row_without_a_required_field_is_malformed(field: str) -> None:
    rows, currency = _bad_page(**{field: _DROP})
    with pytest.raises(MalformedResponse, match="without ID, EntryID") as batch_error:
        to_columns(rows, currency)
    with pytest.raises(MalformedResponse) as line_error:
        _reference_line(rows[3], currency)
    assert str(batch_error.value) == str(line_error.value)
    if field != "ID":
        assert repr(rows[3]["ID"]) in str(batch_error.value)


@pytest.mark.parametrize(
    ("change", "error", "words"),
    [
        ({"FinancialPeriod": "eight"}, pydantic.ValidationError, ["period", "eight"]),
        ({"ID": "   "}, pydantic.ValidationError, ["id", "at least 1 character"]),
        ({"Date": "2024-08-12"}, ValueError, ["/Date(ms)/", "2024-08-12"]),
        ({"Modified": "yesterday"}, ValueError, ["/Date(ms)/", "yesterday"]),
        ({"AmountDC": "12,50"}, ValueError, ["amount", "12,50"]),
        ({"AmountDC": 12.5}, TypeError, ["AmountDC", "12.5"]),
        ({"Date": 1723420800000}, ValueError, ["Date", "1723420800000"]),
    ],
)
def test_exact_bad_values_fail_naming_field_and_value(
    change: dict[str, Any], error: type[Exception], words: list[str]
) -> None:
    """A wrongly typed field is a MalformedResponse naming the line, the field and the value (issue
    15: it was a bare ValueError/TypeError, an internal error without context)."""
    rows, currency = _bad_page(**change)
    with pytest.raises(MalformedResponse) as batch_error:
        _lines(rows, currency, None)
    with pytest.raises(error):
        _reference_line(rows[3], currency)
    for word in words:
        assert word in str(batch_error.value)
    assert repr(rows[3]["ID"]) in str(batch_error.value)


def test_exact_bad_line_dated_before_since_still_fails() -> None:
    # The since filter drops lines after they are validated, as the per-line path did.
    rows, currency = _bad_page(FinancialPeriod="eight")
    after_all = max(parse_date(row["Date"]) or dt.date.min for row in rows) + dt.timedelta(days=1)
    good = [row for i, row in enumerate(rows) if i != 3]
    assert len(_lines(good, currency, after_all)) == 0
    with pytest.raises(MalformedResponse, match="period"):
        _lines(rows, currency, after_all)
