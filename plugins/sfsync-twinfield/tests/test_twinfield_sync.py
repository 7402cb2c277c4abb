"""What the Twinfield connector reads, and what a nightly sync of an unchanged office costs."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
from collections import defaultdict
from decimal import Decimal

from sfsync.models import AccountKind, LedgerBatch
from sfsync_twinfield.connector import twinfield


def run(coroutine):
    return asyncio.run(coroutine)


async def collect(iterator):
    return [item async for item in iterator]


def _sandbox_lines(connected, office: str = "001") -> dict[str, Decimal]:
    books = connected.sandbox.books.offices[office]
    return {
        f"{t.code}/{t.number}/{line.line}": line.base
        for t in books.transactions.values()
        for line in t.lines
    }


def _first_sync(connected, office: str = "001", since: dt.date | None = None):
    ctx, company = connected.ctx, connected.company(office)

    async def go():
        years = await twinfield.sfsync_fetch_fiscal_years(ctx=ctx, company=company)
        batches = await collect(
            twinfield.sfsync_fetch_ledger(
                ctx=ctx, company=company, since=since, cursor=None, fiscal_years=years
            )
        )
        return years, batches

    return run(go())


def test_twinfield_offices_are_the_companies(connected):
    companies = run(twinfield.sfsync_list_companies(ctx=connected.ctx))
    offices = connected.sandbox.books.offices
    assert [(c.ref, c.name) for c in companies] == [(o.code, o.name) for o in offices.values()]
    listing = connected.calls(request="list")
    assert listing[0]["office"] is None  # listing offices needs no CompanyCode


def test_twinfield_fiscal_years_follow_the_period_tables(connected):
    broken = connected.sandbox.books.offices["010"]
    years = run(
        twinfield.sfsync_fetch_fiscal_years(ctx=connected.ctx, company=connected.company("010"))
    )
    assert [y.label for y in years] == [str(y.number) for y in broken.years]
    for fiscal, book in zip(years, broken.years, strict=True):
        assert (fiscal.start, fiscal.end) == (book.start, book.end)
        assert fiscal.start.month == 7
        assert [p.end for p in fiscal.periods] == [end for _, end, _ in book.periods]
        assert fiscal.closed == (not any(is_open for *_, is_open in book.periods))
    for before, after in itertools.pairwise(years):
        assert after.start == before.end + dt.timedelta(days=1)
    queries = [c["type"] for c in connected.calls(request="Query")]
    assert queries == ["GetYears"] + ["GetPeriods"] * len(years)


def test_twinfield_first_sync_reads_each_book_year_then_changes(connected):
    years, batches = _first_sync(connected)
    browses = connected.calls(type="030_3")
    assert [b["filters"]["fin.trs.head.yearperiod"] for b in browses[: len(years)]] == [
        ("between", f"{y.label}/00", f"{y.label}/55") for y in years
    ]
    assert all(b["filters"]["fin.trs.head.status"][:2] == ("equal", "normal") for b in browses)
    assert all(b["office"] == "001" for b in browses)
    # After the book years, one read by modified stamp (year left open) and one of deletions.
    assert "fin.trs.head.modified" in browses[-1]["filters"]
    assert "fin.trs.head.yearperiod" not in browses[-1]["filters"]
    assert connected.calls(type="GetDeletedTransactions")
    lines = {line.id: line for batch in batches for line in batch.lines}
    expected = _sandbox_lines(connected)
    assert {k: v.debit - v.credit for k, v in lines.items()} == expected
    entries: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines.values():
        entries[line.entry] += line.debit - line.credit
    assert set(entries.values()) == {Decimal(0)}


def test_twinfield_foreign_currency_and_opening_period(connected):
    _, batches = _first_sync(connected)
    lines = [line for batch in batches for line in batch.lines]
    usd = [line for line in lines if line.currency == "USD"]
    assert {(line.foreign_amount, line.debit - line.credit) for line in usd} == {
        (Decimal("920.50"), Decimal("848.39")),
        (Decimal("-920.50"), Decimal("-848.39")),
    }
    assert all(isinstance(line.foreign_amount, Decimal) for line in usd)
    opening = [line for line in lines if line.period == 0]
    assert opening
    assert {line.journal for line in opening} == {"BEGIN"}


def test_twinfield_since_is_a_date_filter(connected):
    years = run(twinfield.sfsync_fetch_fiscal_years(ctx=connected.ctx, company=connected.company()))
    since = years[-1].start
    _, batches = _first_sync(connected, since=since)
    lines = [line for batch in batches for line in batch.lines]
    assert lines
    assert min(line.date for line in lines) >= since
    browses = connected.calls(type="030_3")
    assert all(
        b["filters"]["fin.trs.head.date"] == ("between", since.strftime("%Y%m%d"), "99991231")
        for b in browses
    )
    assert len([b for b in browses if "fin.trs.head.yearperiod" in b["filters"]]) == 1


def test_twinfield_nightly_sync_of_an_unchanged_office_is_cheap(connected):
    years, batches = _first_sync(connected)
    cursor = batches[-1].cursor
    ctx = connected.new_context()
    company = connected.company()

    async def nightly():
        await twinfield.sfsync_fetch_fiscal_years(ctx=ctx, company=company)
        await twinfield.sfsync_fetch_accounts(ctx=ctx, company=company)
        return await collect(
            twinfield.sfsync_fetch_ledger(
                ctx=ctx, company=company, since=None, cursor=cursor, fiscal_years=years
            )
        )

    connected.sandbox.log.clear()
    nightly_batches = run(nightly())
    assert [b for b in nightly_batches if b.lines or b.deleted or b.deleted_entries] == []
    # GetYears (the period tables are kept), DIM for BAS and PNL, one browse, one deletions query.
    assert ctx.stats.requests == 1 + 2 + 1 + 1
    assert connected.calls(request="Query", type="GetPeriods") == []
    assert len(connected.calls(type="030_3")) == 1


def test_twinfield_changes_and_deletions_arrive_whole(connected):
    years, batches = _first_sync(connected)
    cursor = batches[-1].cursor
    added = connected.sandbox.add_entry("001")
    edited = connected.sandbox.edit_line("001")
    deleted = connected.sandbox.delete_entry("001")
    connected.clock.advance(3600)
    changes: list[LedgerBatch] = run(
        collect(
            twinfield.sfsync_fetch_ledger(
                ctx=connected.ctx,
                company=connected.company(),
                since=None,
                cursor=cursor,
                fiscal_years=years,
            )
        )
    )
    lines = {line.id: line for batch in changes for line in batch.lines}
    dropped = {entry for batch in changes for entry in batch.deleted_entries}
    assert set(added) <= set(lines)
    assert lines[edited].description.endswith("(gewijzigd)")
    edited_entry = edited.rsplit("/", 1)[0]
    # The edited transaction arrives whole and replaces its old lines.
    assert {i for i in lines if i.startswith(edited_entry + "/")} == {
        i for i in _sandbox_lines(connected) if i.startswith(edited_entry + "/")
    }
    assert deleted[0].rsplit("/", 1)[0] in dropped
    assert edited_entry in dropped
    last = json.loads(changes[-1].cursor)
    assert last["modified"] >= max(
        t.modified.strftime("%Y%m%d%H%M%S")
        for t in connected.sandbox.books.offices["001"].transactions.values()
    )
    # Asking again brings nothing.
    again = run(
        collect(
            twinfield.sfsync_fetch_ledger(
                ctx=connected.ctx,
                company=connected.company(),
                since=None,
                cursor=changes[-1].cursor,
                fiscal_years=years,
            )
        )
    )
    assert not any(b.lines or b.deleted_entries for b in again)


def test_twinfield_accounts_from_the_finder_with_modifiedsince(connected):
    company = connected.company()
    accounts = run(twinfield.sfsync_fetch_accounts(ctx=connected.ctx, company=company))
    books = connected.sandbox.books.offices["001"]
    expected = {
        (d.code, d.name, d.type) for (k, _), d in books.dimensions.items() if k in ("BAS", "PNL")
    }
    kinds = {AccountKind.BALANCE_SHEET: "BAS", AccountKind.PROFIT_LOSS: "PNL"}
    assert {(a.code, a.name, kinds[a.kind]) for a in accounts} == expected
    searches = connected.calls(request="Search")
    assert [s["options"]["dimtype"] for s in searches] == ["BAS", "PNL"]
    assert all("modifiedsince" not in s["options"] for s in searches)

    renamed = books.dimensions[("PNL", "4900")]
    renamed.name = "Overige algemene kosten"
    renamed.modified = connected.sandbox._stamp()
    connected.sandbox.log.clear()
    again = run(twinfield.sfsync_fetch_accounts(ctx=connected.ctx, company=company))
    searches = connected.calls(request="Search")
    assert all(len(s["options"]["modifiedsince"]) == 14 for s in searches)
    assert {a.code: a.name for a in again}["4900"] == "Overige algemene kosten"
    assert len(again) == len(accounts)


def test_twinfield_trial_balance_is_the_040_1_totals(connected):
    company = connected.company()
    years, batches = _first_sync(connected)
    lines = [line for batch in batches for line in batch.lines]
    totals = run(
        collect(
            twinfield.sfsync_fetch_trial_balance(
                ctx=connected.ctx, company=company, fiscal_years=years, cursor=None
            )
        )
    )
    assert len(totals) == len(years)
    assert connected.calls(type="040_1")
    for year, batch in zip(years, totals, strict=True):
        assert batch.clear == (year.start, year.end)
        for total in batch.lines:
            moves = [
                line.debit - line.credit
                for line in lines
                if line.account == total.account
                and line.fiscal_year == year.label
                and line.period == total.period
            ]
            assert total.debit - total.credit == sum(moves, Decimal(0))
        by_end: dict[dt.date, Decimal] = defaultdict(Decimal)
        for total in batch.lines:
            by_end[total.period_end] += total.closing
        assert set(by_end.values()) == {Decimal(0)}


def test_twinfield_overridden_fiscal_years_are_read_by_date(connected):
    from sfsync.models import FiscalYear

    company = connected.company("010")
    years = run(twinfield.sfsync_fetch_fiscal_years(ctx=connected.ctx, company=company))
    # A firm overrode the years on the link: labels are no longer Twinfield's year numbers.
    override = [FiscalYear(start=y.start, end=y.end, label=f"FY{i}") for i, y in enumerate(years)]
    batches = run(
        collect(
            twinfield.sfsync_fetch_ledger(
                ctx=connected.ctx, company=company, since=None, cursor=None, fiscal_years=override
            )
        )
    )
    browses = connected.calls(type="030_3")
    assert [b["filters"]["fin.trs.head.date"] for b in browses[: len(years)]] == [
        ("between", f"{y.start:%Y%m%d}", f"{y.end:%Y%m%d}") for y in years
    ]
    lines = {line.id for batch in batches for line in batch.lines}
    assert lines == set(_sandbox_lines(connected, "010"))


def test_twinfield_a_late_invoice_counts_in_the_period_it_is_booked_in(connected):
    from sfsync.placement import Placer

    years, batches = _first_sync(connected)
    late = [line for batch in batches for line in batch.lines if "(laat)" in line.description]
    assert late, "the sandbox books a December invoice dated in January"
    placer = Placer(years)
    for line in late:
        dated = next(y for y in years if y.contains(line.date))
        booked = next(y for y in years if y.contains(placer.place(line.date, line.period, line.fiscal_year) or line.date))
        assert line.period == 12 and booked.end == dated.start - dt.timedelta(days=1)  # the year before its date
