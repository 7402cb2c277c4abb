"""sfsync.trial_balance_gate: what a trial-balance night reads again, from its cursor and a probe."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sfsync.models import FiscalYear
from sfsync.trial_balance_gate import TrialBalanceGate, TrialBalancePlan

MARKS = {"seen": int}
LABELS = [str(year) for year in range(2019, 2027)]


def _years(closed: Collection[str] = ()) -> list[FiscalYear]:
    return [FiscalYear(start=dt.date(int(label), 1, 1), end=dt.date(int(label), 12, 31), label=label,
                       closed=label in closed) for label in LABELS]


def _complete(years: list[FiscalYear], seen: int = 7) -> str:
    """The cursor after a full read of ``years`` with ``{"seen": seen}`` taken before it."""
    gate = TrialBalanceGate.load(None, years, marks=MARKS)
    gate.marks = {"seen": seen}
    cursor = gate.dump()
    for year in gate.to_read(years):
        cursor = gate.read(year)
    return cursor


def test_no_cursor_is_a_full_read_of_every_year() -> None:
    years = _years({"2019"})
    gate = TrialBalanceGate.load(None, years, marks=MARKS)
    assert gate.plan is TrialBalancePlan.FULL
    assert gate.to_read(years) == years


def test_a_complete_read_is_probed_and_nothing_moved_reads_nothing() -> None:
    years = _years()
    cursor = _complete(years)
    gate = TrialBalanceGate.load(cursor, years, marks=MARKS)
    assert gate.plan is TrialBalancePlan.PROBE
    assert gate.to_read(years) == []  # until the probe says what moved
    gate.moved((), {"seen": 7})
    assert gate.to_read(years) == []
    assert gate.idle_cursor(cursor) is None  # the stored cursor still says it all


def test_moved_marks_without_a_moved_year_are_stored_in_an_idle_cursor() -> None:
    years = _years()
    cursor = _complete(years)
    gate = TrialBalanceGate.load(cursor, years, marks=MARKS)
    gate.moved(["1999"], {"seen": 9})  # a change outside the years
    assert gate.to_read(years) == []
    idle = gate.idle_cursor(cursor)
    assert idle is not None and json.loads(idle)["marks"] == {"seen": 9}


def test_a_probe_names_the_years_read_again() -> None:
    years = _years({"2019", "2020"})
    gate = TrialBalanceGate.load(_complete(years), years, marks=MARKS)
    gate.moved(["2020", "2025"], {"seen": 8})
    assert [year.label for year in gate.to_read(years)] == ["2020", "2025"]  # a named closed year too


def test_a_probe_that_cannot_say_where_reads_what_a_full_read_reads() -> None:
    years = _years({"2019", "2020"})
    cursor = _complete(years)
    gate = TrialBalanceGate.load(cursor, years, marks=MARKS)
    gate.moved(None, {"seen": 8})
    assert [year.label for year in gate.to_read(years)] == LABELS[2:]  # closed years done stay
    # When closed years are not final, every year is read, and none is recorded as done.
    gate = TrialBalanceGate.load(cursor, years, marks=MARKS, closed_final=False)
    gate.moved(None)
    assert gate.to_read(years) == years and gate.done == []


def test_a_read_cut_off_resumes_with_its_years_left_and_its_old_marks() -> None:
    years = _years()
    gate = TrialBalanceGate.load(None, years, marks=MARKS)
    gate.marks = {"seen": 3}
    cut = [gate.read(year) for year in years[:3]][-1]
    resumed = TrialBalanceGate.load(cut, years, marks=MARKS)
    assert resumed.plan is TrialBalancePlan.RESUME
    assert resumed.to_read(years) == years[3:]
    assert resumed.marks == {"seen": 3}


def test_changed_years_are_a_full_read_that_keeps_the_closed_years_done() -> None:
    years = _years({"2019"})
    cursor = _complete(years)
    more = [*years, FiscalYear(start=dt.date(2027, 1, 1), end=dt.date(2027, 12, 31), label="2027")]
    gate = TrialBalanceGate.load(cursor, more, marks=MARKS)
    assert gate.plan is TrialBalancePlan.FULL
    assert [year.label for year in gate.to_read(more)] == [*LABELS[1:], "2027"]


def test_a_cursor_without_the_marks_is_a_full_read() -> None:
    years = _years()
    state = json.loads(_complete(years))
    for marks in ({}, {"seen": "7"}, {"seen": True}, {"other": 7}):
        gate = TrialBalanceGate.load(json.dumps({**state, "marks": marks}), years, marks=MARKS)
        assert gate.plan is TrialBalancePlan.FULL, marks
        assert gate.to_read(years) == years


def test_a_cursor_pending_a_year_it_does_not_cover_is_a_full_read() -> None:
    years = _years()
    state = json.loads(_complete(years))
    gate = TrialBalanceGate.load(json.dumps({**state, "pending": ["1999"]}), years, marks=MARKS)
    assert gate.plan is TrialBalancePlan.FULL and gate.to_read(years) == years


def test_an_old_cursor_goes_through_the_connectors_upgrade() -> None:
    years = _years()

    def upgrade(raw: Any, labels: list[str]) -> dict[str, Any] | None:
        assert labels == LABELS
        return {"years": labels, "pending": [], "done": [], "marks": {"seen": raw["sequence"]}} if isinstance(
            raw, dict) else None

    gate = TrialBalanceGate.load('{"sequence": 11}', years, marks=MARKS, upgrade=upgrade)
    assert gate.plan is TrialBalancePlan.PROBE and gate.marks == {"seen": 11}
    assert TrialBalanceGate.load("2024", years, marks=MARKS, upgrade=upgrade).plan is TrialBalancePlan.FULL
    assert TrialBalanceGate.load('{"sequence": 11}', years, marks=MARKS).plan is TrialBalancePlan.FULL


@settings(max_examples=200, deadline=None)
@given(
    closed=st.sets(st.sampled_from(LABELS)),
    moved=st.one_of(st.none(), st.sets(st.sampled_from([*LABELS, "1999"]))),
    read_first=st.integers(min_value=0, max_value=len(LABELS)),
)
def test_the_years_read_again_hold_every_year_that_moved(closed: set[str], moved: set[str] | None,
                                                        read_first: int) -> None:
    years = _years(closed)
    gate = TrialBalanceGate.load(_complete(years), years, marks=MARKS)
    gate.moved(moved, {"seen": 8})
    read = {year.label for year in gate.to_read(years)}
    if moved is None:
        assert read == set(LABELS) - closed  # every year not closed and done
    else:
        assert read >= moved & set(LABELS)
    # Cut off after some of them, the next night reads the rest (never fewer).
    cursor = gate.dump()
    for year in gate.to_read(years)[:read_first]:
        cursor = gate.read(year)
    left = {year.label for year in TrialBalanceGate.load(cursor, years, marks=MARKS).to_read(years)}
    assert left == {year.label for year in gate.to_read(years)}


@settings(max_examples=300, deadline=None)
@given(
    cursor=st.one_of(
        st.text(max_size=40),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=6) | st.sampled_from(LABELS),
            lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                st.sampled_from(["gate", "years", "pending", "done", "marks"]), inner, max_size=6),
            max_leaves=12,
        ).map(json.dumps),
    )
)
def test_a_garbled_cursor_is_a_full_read_never_a_crash(cursor: str) -> None:
    years = _years()
    gate = TrialBalanceGate.load(cursor, years, marks=MARKS)
    assert gate.plan is TrialBalancePlan.FULL  # no key "seen" is drawn: never a usable {"seen": int}
    assert gate.to_read(years) == years
