"""What an unchanged night costs on Twinfield, and that the checks behind it miss no change."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

from sfsync_twinfield.connector import twinfield
from sfsync_twinfield.sandbox_data import Deletion


def run(coroutine):
    return asyncio.run(coroutine)


async def collect(iterator):
    return [item async for item in iterator]


def _years(connected, ctx=None):
    ctx = ctx or connected.ctx
    return run(twinfield.sfsync_fetch_fiscal_years(ctx=ctx, company=connected.company()))


def _totals(connected, ctx, years, cursor):
    return run(
        collect(
            twinfield.sfsync_fetch_trial_balance(
                ctx=ctx, company=connected.company(), fiscal_years=years, cursor=cursor
            )
        )
    )


def _by_key(batches, label):
    return {
        (line.account, line.period): (line.debit, line.credit, line.closing)
        for batch in batches
        for line in batch.lines
        if line.fiscal_year == label
    }


def test_fiscal_years_cost_one_query_while_the_years_stay_the_same(connected):
    first = _years(connected)
    ctx = connected.new_context()
    connected.sandbox.log.clear()
    assert _years(connected, ctx) == first
    assert ctx.stats.requests == 1  # GetYears only: the period tables are kept

    # A week on, the tables are read again (a period closed or an end date moved shows).
    connected.clock.advance(8 * 24 * 3600)
    connected.sandbox.log.clear()
    assert _years(connected, connected.new_context()) == first
    assert len(connected.calls(request="Query", type="GetPeriods")) == len(first)


def test_fiscal_years_are_read_again_when_a_year_is_added(connected):
    _years(connected)
    connected.sandbox.log.clear()
    books = connected.sandbox.books.offices["001"]
    dropped = books.years.pop(0)  # the package's years changed (here: one fewer)
    ctx = connected.new_context()
    years = _years(connected, ctx)
    assert [y.label for y in years] == [str(y.number) for y in books.years]
    assert str(dropped.number) not in {y.label for y in years}
    assert ctx.stats.requests == 1 + len(books.years)
    assert len(connected.calls(request="Query", type="GetPeriods")) == len(books.years)


def test_an_unchanged_trial_balance_night_reads_no_line(connected):
    years = _years(connected)
    first = _totals(connected, connected.ctx, years, None)
    ctx = connected.new_context()
    connected.sandbox.log.clear()
    night = _totals(connected, ctx, years, first[-1].cursor)
    assert [b for b in night if b.lines or b.clear] == []
    assert connected.calls(type="040_1") == []
    assert ctx.stats.requests == 2  # one modified-window browse, one deletions query


def test_an_edit_and_a_deletion_in_an_earlier_open_year_reach_the_totals(connected):
    books = connected.sandbox.books.offices["001"]
    earlier = books.years[-2]
    earlier.periods = [(number, end, True) for number, end, _ in earlier.periods]  # reopened
    years = _years(connected)
    assert not next(y for y in years if y.label == str(earlier.number)).closed
    first = _totals(connected, connected.ctx, years, None)

    in_year = [t for _, t in sorted(books.transactions.items())
               if t.year == earlier.number and t.code != "BEGIN" and t.currency == "EUR"]
    edited, gone = in_year[0], in_year[-1]
    edited.lines[0].base += Decimal("10.00")
    edited.lines[0].value += Decimal("10.00")
    edited.lines[1].base -= Decimal("10.00")
    edited.lines[1].value -= Decimal("10.00")
    edited.modified = connected.sandbox._stamp()
    del books.transactions[(gone.code, gone.number)]
    books.deletions.append(
        Deletion(gone.code, gone.number, gone.date, connected.sandbox._stamp(), "BOEKHOUDER", "Dubbel")
    )
    connected.clock.advance(3600)

    ctx = connected.new_context()
    connected.sandbox.log.clear()
    night = _totals(connected, ctx, years, first[-1].cursor)
    label = str(earlier.number)
    # The edit names its book year; the deletion only its date (that year and its neighbours).
    assert label in {y.label for y in years for b in night if b.clear == (y.start, y.end)}
    fresh = _totals(connected, connected.new_context(), years, None)
    assert _by_key(night, label) == _by_key(fresh, label) != _by_key(first, label)

    # The night after brings nothing again, and reads no line.
    connected.sandbox.log.clear()
    after = _totals(connected, connected.new_context(), years, night[-1].cursor)
    assert [b for b in after if b.lines or b.clear] == []
    assert connected.calls(type="040_1") == []


def test_a_trial_balance_read_cut_off_resumes_with_the_years_left(connected):
    years = _years(connected)
    first = _totals(connected, connected.ctx, years, None)
    assert len(first) == len(years) > 1
    connected.sandbox.log.clear()
    resumed = _totals(connected, connected.new_context(), years, first[0].cursor)
    assert [b.clear for b in resumed] == [(y.start, y.end) for y in years[1:]]


def test_a_first_version_cursor_still_skips_closed_years(connected):
    years = _years(connected)
    closed = [y.label for y in years if y.closed]
    assert closed
    totals = _totals(connected, connected.new_context(), years, json.dumps({"done": closed}))
    assert {b.clear for b in totals} == {(y.start, y.end) for y in years if not y.closed}


def test_an_edit_reads_only_its_book_year_again(connected):
    years = _years(connected)
    first = _totals(connected, connected.ctx, years, None)
    latest = _edit_the_latest_year(connected)
    night = _totals(connected, connected.new_context(), years, first[-1].cursor)
    assert [b.clear for b in night if b.clear] == [(y.start, y.end) for y in years if y.label == latest]


def _before_the_gate(cursor):
    """The same read's cursor as Twinfield wrote it before sfsync.trial_balance_gate."""
    state = json.loads(cursor)
    return json.dumps({"v": 2, "years": state["years"], "pending": state["pending"], "done": state["done"],
                       **state["marks"]})


def _edit_the_latest_year(connected):
    books = connected.sandbox.books.offices["001"]
    latest = books.years[-1]
    edited = next(t for _, t in sorted(books.transactions.items())
                  if t.year == latest.number and t.code != "BEGIN" and t.currency == "EUR")
    edited.lines[0].base += Decimal("1.00")
    edited.lines[0].value += Decimal("1.00")
    edited.lines[1].base -= Decimal("1.00")
    edited.lines[1].value -= Decimal("1.00")
    edited.modified = connected.sandbox._stamp()
    connected.clock.advance(3600)
    return str(latest.number)


def test_a_cursor_from_before_the_gate_still_gives_an_unchanged_night(connected):
    years = _years(connected)
    old = _before_the_gate(_totals(connected, connected.ctx, years, None)[-1].cursor)
    ctx = connected.new_context()
    connected.sandbox.log.clear()
    night = _totals(connected, ctx, years, old)
    assert [b for b in night if b.lines or b.clear] == []
    assert connected.calls(type="040_1") == []
    assert ctx.stats.requests == 2


def test_a_change_after_a_cursor_from_before_the_gate_still_arrives(connected):
    years = _years(connected)
    old = _before_the_gate(_totals(connected, connected.ctx, years, None)[-1].cursor)
    label = _edit_the_latest_year(connected)
    night = _totals(connected, connected.new_context(), years, old)
    assert [b.clear for b in night if b.clear] == [(y.start, y.end) for y in years if y.label == label]
    fresh = _totals(connected, connected.new_context(), years, None)
    assert _by_key(night, label) == _by_key(fresh, label)


def test_an_unfinished_cursor_from_before_the_gate_resumes_with_the_years_left(connected):
    years = _years(connected)
    first = _totals(connected, connected.ctx, years, None)
    resumed = _totals(connected, connected.new_context(), years, _before_the_gate(first[0].cursor))
    assert [b.clear for b in resumed] == [(y.start, y.end) for y in years[1:]]


def test_a_garbled_cursor_gives_a_full_read(connected):
    years = _years(connected)
    for garbled in ("{", "null", '{"gate": 1, "years": [], "pending": 3}', '{"v": 2, "years": []}'):
        totals = _totals(connected, connected.new_context(), years, garbled)
        assert {b.clear for b in totals} == {(y.start, y.end) for y in years}, garbled


def test_unreadable_marks_read_every_year_and_take_fresh_ones(connected):
    years = _years(connected)
    state = json.loads(_totals(connected, connected.ctx, years, None)[-1].cursor)
    state["marks"]["modified"] = "yesterday"
    night = _totals(connected, connected.new_context(), years, json.dumps(state))
    assert {b.clear for b in night} == {(y.start, y.end) for y in years if not y.closed}
    assert json.loads(night[-1].cursor)["marks"]["modified"].isdigit()
