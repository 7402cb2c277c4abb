"""The incremental ledger: overlap window, deletions, reset to draft, and company isolation."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from sfsync.clock import FakeClock
from sfsync.errors import FatalError
from sfsync.models import Company
from sfsync_odoo.connector import odoo
from sfsync_odoo.sandbox import OdooSandbox
from sfsync_odoo.sandbox.testing import LedgerMirror, make_context

T0 = dt.datetime(2026, 1, 15, 2, 0, tzinfo=dt.UTC)
SCAN_ORDER = "write_date asc, id asc"


def posted_lines(sandbox: OdooSandbox, company: int) -> dict[str, dict[str, Any]]:
    """The sandbox's own truth: posted journal items of a company, by id."""
    moves = sandbox.db.tables["account.move"]
    return {
        str(line_id): line
        for line_id, line in sandbox.db.tables["account.move.line"].items()
        if moves[line["move_id"]]["company_id"] == company and moves[line["move_id"]]["state"] == "posted"
    }


def _domain(args: list[Any], kwargs: dict[str, Any]) -> list[Any]:
    return list(args[0]) if args else list(kwargs.get("domain") or [])


def _write_date_bounds(domain: list[Any]) -> list[str]:
    return [t[2] for t in domain if isinstance(t, list | tuple) and t[0] == "write_date" and t[1] == ">="]


@pytest.mark.parametrize(("version", "transport"), [(17, "jsonrpc"), (14, "xmlrpc"), (19, "json2")])
def test_odoo_first_sync_brings_every_posted_line_exactly(version: int, transport: str) -> None:
    sandbox = OdooSandbox(version, transport)
    ctx = make_context(sandbox, config={"page_size": 500})
    mirror = LedgerMirror()
    asyncio.run(mirror.sync(ctx, "1"))
    truth = posted_lines(sandbox, 1)
    assert set(mirror.lines) == set(truth)
    for line_id, line in truth.items():
        got = mirror.lines[line_id]
        assert (got.debit, got.credit) == (line["debit"], line["credit"])
        assert got.entry == str(line["move_id"])
    assert all(isinstance(line.debit, Decimal) for line in mirror.lines.values())


def _overlap_scenario(overlap: int) -> tuple[str, str, LedgerMirror]:
    """An edit is committed while the scan of the second sync pages, stamped with its
    transaction's start (before the scan's position); returns (line id, new label, mirror)."""
    clock = FakeClock(T0)
    sandbox = OdooSandbox(17, "jsonrpc", clock=clock)
    ctx = make_context(sandbox, config={"overlap_seconds": overlap}, clock=clock)
    mirror = LedgerMirror()
    asyncio.run(mirror.sync(ctx, "1"))

    clock.advance(3600)
    t1 = sandbox.db.now()
    for _ in range(3):
        sandbox.add_entry("1")
        clock.advance(1)
    victim = sorted(posted_lines(sandbox, 1), key=int)[5]
    edited: dict[str, str] = {}

    def edit_while_paging(model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> None:
        if model != "account.move.line" or kwargs.get("order") != SCAN_ORDER or edited:
            return
        position = min(_write_date_bounds(_domain(args, kwargs)))
        if position > t1.strftime("%Y-%m-%d %H:%M:%S"):  # the scan is past t1's second
            sandbox.db.write("account.move.line", [int(victim)], {"name": "Gewijzigd tijdens sync"}, when=t1)
            edited["label"] = "Gewijzigd tijdens sync"

    sandbox.before_call = edit_while_paging
    asyncio.run(mirror.sync(make_context(sandbox, config={"page_size": 2, "overlap_seconds": overlap}, clock=clock,
                                         state=ctx.state), "1"))
    sandbox.before_call = None
    assert edited, "the edit was never committed during the scan"
    assert mirror.lines[victim].description != edited["label"], "the scan saw an edit behind its position"
    clock.advance(60)
    asyncio.run(mirror.sync(make_context(sandbox, config={"page_size": 2, "overlap_seconds": overlap}, clock=clock,
                                         state=ctx.state), "1"))
    return victim, edited["label"], mirror


def test_odoo_overlap_window_picks_up_an_edit_committed_during_a_sync() -> None:
    victim, label, mirror = _overlap_scenario(overlap=600)
    assert mirror.lines[victim].description == label


def test_odoo_without_overlap_the_same_edit_is_missed() -> None:
    # The counter-proof: with a one-second window the late commit is lost, as section 5 warns.
    victim, label, mirror = _overlap_scenario(overlap=1)
    assert mirror.lines[victim].description != label


def test_odoo_unchanged_company_brings_nothing_and_costs_two_calls() -> None:
    sandbox = OdooSandbox(17, "xmlrpc")
    ctx = make_context(sandbox)
    mirror = LedgerMirror()
    asyncio.run(mirror.sync(ctx, "1"))
    years = asyncio.run(odoo.sfsync_fetch_fiscal_years(ctx=ctx, company=Company(ref="1")))
    before = len(sandbox.calls)
    batches = asyncio.run(mirror.sync(make_context(sandbox, state=ctx.state), "1", years=years))
    assert [b.lines for b in batches if b.lines] == []
    assert [b.deleted for b in batches if b.deleted] == []
    assert len(sandbox.calls) - before == 2, sandbox.calls[before:]


@pytest.mark.parametrize(("version", "transport"), [(17, "jsonrpc"), (18, "xmlrpc"), (19, "json2")])
def test_odoo_deletion_and_reset_to_draft_are_removed(version: int, transport: str) -> None:
    sandbox = OdooSandbox(version, transport)
    ctx = make_context(sandbox)
    mirror = LedgerMirror()
    asyncio.run(mirror.sync(ctx, "1"))
    drafted = sandbox.reset_to_draft("1")
    deleted = sandbox.delete_entry("1")
    assert set(drafted) <= set(mirror.lines) and set(deleted) <= set(mirror.lines)

    batches = asyncio.run(mirror.sync(make_context(sandbox, state=ctx.state), "1"))
    assert not (set(drafted) | set(deleted)) & set(mirror.lines)
    assert set(mirror.lines) == set(posted_lines(sandbox, 1))
    # The reset is seen through write_date and reported as deletions; the hard delete left no
    # tombstone and is repaired by re-reading its month.
    assert set(drafted) <= {i for b in batches for i in b.deleted}
    cleared = [b.clear for b in batches if b.clear]
    deleted_day = sandbox_date_of(deleted, mirror, batches)
    assert any(start <= deleted_day <= end for start, end in cleared)

    # Posting the draft again brings its lines back.
    move = int(sandbox.db.tables["account.move.line"][int(drafted[0])]["move_id"])
    sandbox.post(move)
    asyncio.run(mirror.sync(make_context(sandbox, state=ctx.state), "1"))
    assert set(drafted) <= set(mirror.lines)
    assert set(mirror.lines) == set(posted_lines(sandbox, 1))


def sandbox_date_of(line_ids: list[str], mirror: LedgerMirror, batches: list[Any]) -> dt.date:
    for batch in mirror.batches:
        for line in batch.lines:
            if line.id == line_ids[0]:
                return line.date
    raise AssertionError("the deleted line was never synced")


def test_odoo_killed_sync_resumes_from_its_cursor() -> None:
    sandbox = OdooSandbox(17, "jsonrpc")
    ctx = make_context(sandbox, config={"page_size": 300})
    crashed = LedgerMirror()
    asyncio.run(crashed.sync(ctx, "1", stop_after=2))
    assert json.loads(crashed.cursor or "{}")["phase"] == "full"
    asyncio.run(crashed.sync(make_context(sandbox, config={"page_size": 300}, state=ctx.state), "1"))
    assert set(crashed.lines) == set(posted_lines(sandbox, 1))


def test_odoo_companies_are_isolated() -> None:
    sandbox = OdooSandbox(18, "jsonrpc")
    ctx = make_context(sandbox)
    companies = asyncio.run(odoo.sfsync_list_companies(ctx=ctx))
    assert [c.ref for c in companies] == ["1", "2"]  # company 3 is not the user's
    assert companies[0].country == "BE" and companies[0].vat_number

    mirror = LedgerMirror()
    asyncio.run(mirror.sync(ctx, "2"))
    assert set(mirror.lines) == set(posted_lines(sandbox, 2))
    accounts = {a.code for a in asyncio.run(odoo.sfsync_fetch_accounts(ctx=ctx, company=Company(ref="2")))}
    # 18+: one shared chart, but the code is company-dependent (sales: 700100 in company 2).
    assert "700100" in accounts and "700000" not in accounts
    assert {line.account for line in mirror.lines.values()} <= accounts
    assert any(line.currency == "USD" and line.foreign_amount for line in mirror.lines.values())

    # The context is what isolates: without allowed_company_ids Odoo answers for all the
    # user's companies.
    everything = sandbox.db.execute(3, "account.move.line", "search_count", [[["parent_state", "=", "posted"]]], {})
    assert everything == len(posted_lines(sandbox, 1)) + len(posted_lines(sandbox, 2))

    with pytest.raises(FatalError, match="unauthorized or invalid companies"):
        asyncio.run(odoo.sfsync_fetch_accounts(ctx=ctx, company=Company(ref="3")))


def test_odoo_trial_balance_matches_the_ledger() -> None:
    sandbox = OdooSandbox(17, "xmlrpc")
    ctx = make_context(sandbox)
    company = Company(ref="2")
    years = asyncio.run(odoo.sfsync_fetch_fiscal_years(ctx=ctx, company=company))

    async def collect() -> list[Any]:
        return [b async for b in odoo.sfsync_fetch_trial_balance(ctx=ctx, company=company, fiscal_years=years, cursor=None)]

    batches = asyncio.run(collect())
    assert len(batches) == len(years)
    truth = posted_lines(sandbox, 2)
    year = years[1]
    in_year = [line for line in truth.values()
               if year.start <= sandbox.db.tables["account.move"][line["move_id"]]["date"] <= year.end]
    lines = batches[1].lines
    assert sum(t.debit for t in lines) == sum(line["debit"] for line in in_year)
    for period in year.periods:
        assert sum(t.closing for t in lines if t.period_end == period.end) == 0


def _stamp(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


def test_odoo_a_second_with_more_rows_than_a_page_is_read_whole() -> None:
    # PostgreSQL keeps microseconds in write_date and read() sends whole seconds: a keyset on
    # ('write_date', '>', second) would read the same page forever, one on '=' matches nothing,
    # and rows of one second come ordered by microsecond, not by id.
    clock = FakeClock(T0)
    sandbox = OdooSandbox(17, "jsonrpc", clock=clock)
    ctx = make_context(sandbox, config={"overlap_seconds": 1}, clock=clock)
    mirror = LedgerMirror()
    asyncio.run(mirror.sync(ctx, "1"))

    clock.advance(3600)
    big = sandbox.book("1", [("bank", Decimal("10.00"), None), ("other_income", None, Decimal("10.00"))] * 13)
    clock.advance(10)
    second = sandbox.db.now().replace(microsecond=0)
    # Five entries in one second, stamped with microseconds that fall as ids rise.
    crossed: set[str] = set()
    for n in range(5):
        move = sandbox.book("1", [("cash", Decimal("1.00"), None), ("other_income", None, Decimal("1.00"))])
        line_ids = sandbox.db.tables["account.move"][move]["line_ids"]
        sandbox.db.write("account.move.line", line_ids, {}, when=second + dt.timedelta(microseconds=900_000 - n * 100_000))
        crossed |= {str(i) for i in line_ids}
    # A page that ends just after the first row of that second.
    start = _stamp(dt.datetime.strptime(json.loads(mirror.cursor or "{}")["wm"], "%Y-%m-%d %H:%M:%S") - dt.timedelta(seconds=1))
    moves = sandbox.db.tables["account.move"]
    before = sum(1 for line in sandbox.db.tables["account.move.line"].values()
                 if moves[line["move_id"]]["company_id"] == 1 and start <= _stamp(line["write_date"]) < _stamp(second))
    calls = len(sandbox.calls)
    nightly = make_context(sandbox, config={"page_size": before + 1, "overlap_seconds": 1}, state=ctx.state, clock=clock)
    batches = asyncio.run(mirror.sync(nightly, "1"))
    assert len(sandbox.calls) - calls < 40, "the scan did not advance"
    scanned = {line.id for b in batches if b.clear is None for line in b.lines}
    big_ids = {str(i) for i in moves[big]["line_ids"]}
    assert big_ids | crossed <= scanned, "the write_date scan missed lines (a month re-read would hide it)"
    assert set(mirror.lines) == set(posted_lines(sandbox, 1))
