"""A trial-balance link's nights: nothing read when nothing moved, every year read again when a
line of any year changed or went (sfsync_exact.trial_balance_gate)."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sfsync.clock import FakeClock
from sfsync.models import Company
from sfsync_exact.sandbox import ExactSandbox
from sfsync_exact.sandbox.harness import connect, connector_for


def _setup(*, quiet_hours: float = 2) -> tuple[ExactSandbox, Any, Any, Company, list[Any]]:
    """A division whose last booking is ``quiet_hours`` old when the first read starts."""
    sandbox = ExactSandbox("nl", clock=FakeClock())
    sandbox.clock.advance(quiet_hours * 3600)
    ctx = asyncio.run(connect(sandbox))
    connector = connector_for("nl")
    company = next(c for c in asyncio.run(connector.sfsync_list_companies(ctx=ctx)) if c.ref == sandbox.company_refs()[0])
    years = asyncio.run(connector.sfsync_fetch_fiscal_years(ctx=ctx, company=company))
    return sandbox, ctx, connector, company, years


def _night(connector: Any, ctx: Any, company: Company, years: list[Any], cursor: str | None) -> list[Any]:
    async def collect() -> list[Any]:
        return [b async for b in connector.sfsync_fetch_trial_balance(ctx=ctx, company=company, fiscal_years=years,
                                                                      cursor=cursor)]

    return asyncio.run(collect())


def _moves(batches: list[Any]) -> dict[tuple[str, str], Decimal]:
    got: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for batch in batches:
        for line in batch.lines:
            got[(line.account, line.fiscal_year or "")] += line.debit - line.credit
    return {k: v for k, v in got.items() if v}


def _package_moves(sandbox: ExactSandbox, ref: str) -> dict[tuple[str, str], Decimal]:
    moves: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in sandbox.division(ref).lines.values():
        moves[(row["GLAccountCode"], str(row["FinancialYear"]))] += row["AmountDC"]
    return {k: v for k, v in moves.items() if v}


def test_an_unchanged_night_reads_no_year_and_costs_two_probes() -> None:
    sandbox, ctx, connector, company, years = _setup()
    first = _night(connector, ctx, company, years, None)
    assert len([b for b in first if b.lines]) == len(years)
    assert json.loads(first[-1].cursor)["pending"] == []  # the read is complete
    before, mark = ctx.stats.requests, len(sandbox.requests)
    assert _night(connector, ctx, company, years, first[-1].cursor) == []
    paths = [r.split("?")[0].split(f"/{company.ref}/")[-1] for r in sandbox.requests[mark:]]
    assert paths == ["sync/Financial/TransactionLines", "sync/Deleted"]
    assert ctx.stats.requests - before == 2


def test_an_entry_deleted_in_the_first_year_reaches_the_totals_the_next_night() -> None:
    sandbox, ctx, connector, company, years = _setup()
    cursor = _night(connector, ctx, company, years, None)[-1].cursor
    division = sandbox.division(company.ref)
    oldest = min(years, key=lambda y: y.start).label
    entry = next(line["EntryID"] for line in division.lines.values() if str(line["FinancialYear"]) == oldest)
    sandbox.store.delete_entry(division, entry, sandbox.clock.now())
    again = _night(connector, ctx, company, years, cursor)
    assert len([b for b in again if b.lines]) == len(years)  # every year: later openings carry it
    assert _moves(again) == _package_moves(sandbox, company.ref)
    assert _night(connector, ctx, company, years, again[-1].cursor) == []  # and then quiet again


def test_a_changed_line_and_an_added_entry_are_read_the_next_night() -> None:
    sandbox, ctx, connector, company, years = _setup()
    cursor = _night(connector, ctx, company, years, None)[-1].cursor
    sandbox.add_entry(company.ref)
    again = _night(connector, ctx, company, years, cursor)
    assert again and _moves(again) == _package_moves(sandbox, company.ref)


def test_a_read_cut_off_before_its_end_reads_every_year_again() -> None:
    _sandbox, ctx, connector, company, years = _setup()
    first = _night(connector, ctx, company, years, None)
    unfinished = first[0].cursor
    assert json.loads(unfinished)["pending"]
    assert len([b for b in _night(connector, ctx, company, years, unfinished) if b.lines]) == len(years)
    # The first version's cursor (a bare year label) too.
    assert len([b for b in _night(connector, ctx, company, years, years[-1].label) if b.lines]) == len(years)


def test_a_booking_in_the_hour_before_the_first_read_is_read_again_the_next_night() -> None:
    # The first read's timestamps lie an hour back, so what changed while it ran is not missed:
    # a booking just before it costs one more read, never a change left out.
    sandbox, ctx, connector, company, years = _setup(quiet_hours=0)
    sandbox.add_entry(company.ref)
    cursor = _night(connector, ctx, company, years, None)[-1].cursor
    assert len([b for b in _night(connector, ctx, company, years, cursor) if b.lines]) == len(years)


def _before_the_gate(cursor: str, *, complete: bool) -> str:
    """The same read's cursor as Exact wrote it before sfsync.trial_balance_gate."""
    state = json.loads(cursor)
    return json.dumps({"v": 2, "complete": complete, "years": sorted(state["years"]), **state["marks"]})


def test_a_cursor_from_before_the_gate_still_gives_an_unchanged_night() -> None:
    sandbox, ctx, connector, company, years = _setup()
    old = _before_the_gate(_night(connector, ctx, company, years, None)[-1].cursor, complete=True)
    mark = len(sandbox.requests)
    night = _night(connector, ctx, company, years, old)
    assert [b for b in night if b.lines or b.clear] == []  # the totals stand: nothing read
    assert len(sandbox.requests) - mark == 2
    # The cursor in the gate's shape is stored once, and the night after is quiet.
    assert [json.loads(b.cursor)["gate"] for b in night] == [1]
    assert _night(connector, ctx, company, years, night[-1].cursor) == []


def test_a_change_after_a_cursor_from_before_the_gate_still_arrives() -> None:
    sandbox, ctx, connector, company, years = _setup()
    old = _before_the_gate(_night(connector, ctx, company, years, None)[-1].cursor, complete=True)
    sandbox.add_entry(company.ref)
    again = _night(connector, ctx, company, years, old)
    assert len([b for b in again if b.lines]) == len(years)
    assert _moves(again) == _package_moves(sandbox, company.ref)


def test_an_unfinished_cursor_from_before_the_gate_reads_every_year_again() -> None:
    _sandbox, ctx, connector, company, years = _setup()
    first = _night(connector, ctx, company, years, None)
    old = _before_the_gate(first[0].cursor, complete=False)
    again = _night(connector, ctx, company, years, old)
    assert len([b for b in again if b.lines]) == len(years)
    assert json.loads(again[-1].cursor)["pending"] == []


def test_a_garbled_cursor_gives_a_full_read() -> None:
    _sandbox, ctx, connector, company, years = _setup()
    for garbled in ("{", "[]", '{"gate": 1, "years": "2024"}', '{"v": 2, "complete": true, "lines_ts": "x"}'):
        again = _night(connector, ctx, company, years, garbled)
        assert len([b for b in again if b.lines]) == len(years), garbled
