"""A page of journals becomes one LedgerColumns: the same lines, field for field and to the last
Decimal digit, as the former mapping of one ``LedgerLine.from_signed`` per journal line, and the
same errors for bad lines."""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError
from sfsync.clock import FakeClock
from sfsync.errors import MalformedResponse
from sfsync.ledger_columns import FIELDS, LedgerColumns
from sfsync.models import FiscalYear, LedgerLine
from sfsync_xero.client import JOURNALS_PAGE, XeroClient
from sfsync_xero.connector import xero
from sfsync_xero.dates import parse_msdate, parse_msdate_day
from sfsync_xero.fiscal import place
from sfsync_xero.journals import account_code, signature, signatures, to_ledger_lines, to_records
from sfsync_xero.sandbox import XeroSandbox
from sfsync_xero.sandbox.harness import connect, next_run

START = dt.datetime(2026, 1, 15, 2, 0, tzinfo=dt.UTC)


def _per_line(journal: dict[str, Any], years: list[FiscalYear]) -> list[LedgerLine]:
    """The mapping as it was before the column path: one validated model per journal line."""
    journal_id = str(journal["JournalID"])
    day = parse_msdate_day(str(journal["JournalDate"]))
    created = parse_msdate(str(journal["CreatedDateUTC"])) if journal.get("CreatedDateUTC") else None
    year, period = place(day, years)
    reference = str(journal.get("Reference") or "")
    return [
        LedgerLine.from_signed(
            Decimal(line.get("NetAmount", 0) or 0),
            id=str(line["JournalLineID"]),
            entry=journal_id,
            journal=str(journal.get("SourceType") or "") or None,
            date=day,
            period=period.number if period else None,
            fiscal_year=year.label if year else None,
            account=account_code(line),
            description=str(line.get("Description") or reference)[:500],
            vat_code=str(line.get("TaxType")) if line.get("TaxType") else None,
            modified=created,
        )
        for line in journal.get("JournalLines") or []
    ]


def _same(new: LedgerLine, old: LedgerLine) -> None:
    for name in FIELDS:
        a, b = getattr(new, name), getattr(old, name)
        # Equal, of the same type, and written the same (Decimal('1.50') is not Decimal('1.5')).
        assert (type(a), a, str(a)) == (type(b), b, str(b)), (new.id, name)


async def _wire_journals(ctx, company) -> list[dict[str, Any]]:
    client = XeroClient(ctx, company.ref)
    journals: list[dict[str, Any]] = []
    offset = 0
    while True:
        page = await client.journals(offset)
        journals += page
        if len(page) < JOURNALS_PAGE:
            return journals
        offset = max(int(j["JournalNumber"]) for j in page)


@pytest.mark.parametrize("company_index", [0, 1, 2])
def test_synced_lines_equal_the_per_line_mapping_of_the_seeded_journals(company_index: int):
    clock = FakeClock(START)
    sandbox = XeroSandbox(clock=clock, years=2)

    async def scenario():
        ctx = await connect(sandbox, "xero", clock=clock)
        company = (await xero.sfsync_list_companies(ctx=ctx))[company_index]
        years = await xero.sfsync_fetch_fiscal_years(ctx=ctx, company=company)
        await xero.sfsync_fetch_accounts(ctx=ctx, company=company)
        batches = [
            b async for b in xero.sfsync_fetch_ledger(ctx=ctx, company=company, since=None, cursor=None, fiscal_years=years)
        ]
        await ctx.aclose()
        ctx = next_run(ctx)
        wire = await _wire_journals(ctx, company)
        await ctx.aclose()
        return years, batches, wire

    years, batches, wire = asyncio.run(scenario())
    assert all(isinstance(b.lines, LedgerColumns) for b in batches)
    old = {line.id: line for journal in wire for line in _per_line(journal, years)}
    synced = [line for b in batches for line in b.lines]
    assert len(synced) > 100
    for line in synced:
        _same(line, old[line.id])
    assert len({s.id for s in synced}) == len(synced)
    # The mapping of one journal and of a whole page agree with the old one too.
    page = wire[:JOURNALS_PAGE]
    columns = LedgerColumns.from_records([r for j in page for r in to_records(j, years)])
    expected = [line for j in page for line in _per_line(j, years)]
    assert len(columns) == len(expected)
    for new, was in zip(columns, expected, strict=True):
        _same(new, was)
    for journal in page[:10]:
        for new, was in zip(to_ledger_lines(journal, years), _per_line(journal, years), strict=True):
            _same(new, was)


def test_signatures_are_the_single_signatures_in_one_pass():
    clock = FakeClock(START)
    sandbox = XeroSandbox(clock=clock, years=1)

    async def scenario():
        ctx = await connect(sandbox, "xero", clock=clock)
        company = (await xero.sfsync_list_companies(ctx=ctx))[0]
        wire = await _wire_journals(ctx, company)
        await ctx.aclose()
        return wire

    wire = asyncio.run(scenario())
    assert wire
    for journal in wire:
        assert signatures(journal) == (signature(journal), signature(journal, negate=True))
    # A same-day reversal's own signature is its original's mirror.
    original = next(j for j in wire if j.get("SourceID") and j.get("JournalLines"))
    reversal = copy.deepcopy(original)
    for line in reversal["JournalLines"]:
        line["NetAmount"] = -Decimal(str(line.get("NetAmount") or 0))
    assert signatures(reversal)[0] == signatures(original)[1]
    assert signatures(reversal)[1] == signatures(original)[0]


def _journal(**line: Any) -> dict[str, Any]:
    return {
        "JournalID": "j-1",
        "JournalNumber": 1,
        "JournalDate": "/Date(1767225600000+0000)/",
        "CreatedDateUTC": "/Date(1767225600000+0000)/",
        "SourceType": "ACCREC",
        "Reference": "INV-1",
        "JournalLines": [
            {"JournalLineID": "l-1", "AccountCode": "200", "AccountID": "a-1", "NetAmount": Decimal("-12.50")},
            {"JournalLineID": "l-2", "AccountCode": "610", "AccountID": "a-2", "NetAmount": Decimal("12.50")} | line,
        ],
    }


@pytest.mark.parametrize(
    ("bad", "field"),
    [({"JournalLineID": "  "}, "id"), ({"AccountCode": "", "AccountID": " "}, "account")],
)
def test_a_bad_line_fails_the_page_naming_the_field_as_before(bad: dict[str, Any], field: str):
    journal = _journal(**bad)
    with pytest.raises(ValidationError) as before:
        _per_line(journal, [])
    with pytest.raises(ValidationError) as now:
        LedgerColumns.from_records(to_records(journal, []))
    assert [e["loc"][-1] for e in before.value.errors()] == [field]
    # The column path also says which line of the page it was.
    assert [(e["loc"], e["input"]) for e in now.value.errors()] == [((1, field), e["input"]) for e in before.value.errors()]
    assert field in str(now.value)


def test_a_journal_without_an_id_or_with_a_float_is_malformed():
    journal = _journal()
    del journal["JournalID"]
    with pytest.raises(MalformedResponse, match="JournalID"):
        to_records(journal, [])
    with pytest.raises(MalformedResponse, match="float"):
        to_records(_journal(NetAmount=12.5), [])


def test_a_line_without_an_id_or_with_a_non_numeric_amount_is_malformed_naming_it():
    journal = _journal()
    del journal["JournalLines"][1]["JournalLineID"]
    with pytest.raises(MalformedResponse, match="lacks JournalLineID"):
        to_records(journal, [])
    with pytest.raises(MalformedResponse, match=r"line l-2: NetAmount '12,50' is not a number"):
        to_records(_journal(NetAmount="12,50"), [])


def test_a_good_page_keeps_signs_and_exact_amounts():
    lines = list(LedgerColumns.from_records(to_records(_journal(), [])))
    assert [(ln.id, ln.debit, ln.credit) for ln in lines] == [
        ("l-1", Decimal(0), Decimal("12.50")),
        ("l-2", Decimal("12.50"), Decimal(0)),
    ]
    assert str(lines[0].credit) == "12.50" and lines[0].period is None and lines[0].description == "INV-1"
    assert lines[0].date == dt.date(2026, 1, 1) and lines[0].modified == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
