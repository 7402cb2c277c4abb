"""A line counts in its booking period when the package gives one, by its date otherwise: in the
since filter, the store's period queries, generations kept before a date and ``sfsync show``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sfsync.fiscal_years import monthly_periods
from sfsync.models import FiscalYear
from sfsync.placement import Placer

D = dt.date
LATE = {"C1-E99999-0", "C1-E99999-1"}  # echo: dated 2025-01-03, booked in period 12 of FY2024


def _year(y: int, label: str = "") -> FiscalYear:
    return FiscalYear(start=D(y, 1, 1), end=D(y, 12, 31), label=label or f"FY{y}",
                      periods=monthly_periods(D(y, 1, 1), D(y, 12, 31)))


def test_a_line_is_placed_in_its_booking_period():
    placer = Placer([_year(2024), _year(2025)])
    assert placer.place(D(2025, 1, 3), 12) == D(2024, 12, 31)  # the nearest period 12: December before
    assert placer.place(D(2024, 12, 30), 1, "FY2025") == D(2025, 1, 1)  # the year named by its label
    assert placer.place(D(2024, 3, 5), 3) is None  # in its period: its date
    assert placer.place(D(2024, 3, 5), None) is None
    assert placer.place(D(2024, 3, 5), 13) == D(2024, 12, 31)  # a closing period after the last
    assert placer.place(D(2024, 3, 5), 0) == D(2024, 1, 1)  # the opening period
    assert Placer([FiscalYear(start=D(2024, 1, 1), end=D(2024, 12, 31))]).place(D(2024, 3, 5), 7) is None


def _ids(env, dossier, start, end):
    return {line.id for line in env.app.store.ledger_lines(dossier.id, start=start, end=end)}


def test_the_store_places_lines_by_booking_period(env):
    dossier = env.dossier("d1", mode="replace")
    assert env.sync(dossier).status == "ok"
    assert _ids(env, dossier, D(2024, 1, 1), D(2024, 12, 31)) >= LATE
    assert _ids(env, dossier, D(2024, 12, 1), D(2024, 12, 31)) >= LATE  # period 12 of 2024
    assert not LATE & _ids(env, dossier, D(2025, 1, 1), D(2025, 12, 31))
    late = {line.id: line for line in env.app.store.ledger_lines(dossier.id) if line.id in LATE}
    assert {line.date for line in late.values()} == {D(2025, 1, 3)}  # the line itself keeps its date


def test_a_since_link_leaves_lines_booked_before_its_date_with_the_history(env):
    since = D(2025, 1, 1)
    fresh = env.dossier("fresh", mode="since", since=since)
    run = env.sync(fresh)
    assert run.counts["lines_before_since_ignored"] == 2  # dated after the date, booked before it
    assert not LATE & set(env.lines(fresh))
    # A dossier that had them keeps them when re-linked from the date: they are history.
    dossier = env.dossier("d1", mode="replace")
    assert env.sync(dossier).status == "ok"
    env.run(env.app.link(env.admin, dossier.id, env.connection.id, "C1", mode="since", since=since))
    assert env.sync(dossier).status == "ok"
    assert set(env.lines(dossier)) >= LATE
    assert _ids(env, dossier, D(2024, 1, 1), D(2024, 12, 31)) >= LATE


def test_show_year_and_period_follow_the_booking_period(tmp_path, echo_cli):
    ok = echo_cli.ok
    ok("link", "Jansen", "--connection", "echo", "--company", "C1", "--replace")
    december = ok("show", "Jansen", "--year", "2024", "--period", "12", "--ledger", "--limit", "500")
    assert "C1-E99999" in december and "2025-01-03" in december and "balanced" in december
    assert "C1-E99999" not in ok("show", "Jansen", "--year", "2025", "--period", "1", "--ledger", "--limit", "500")
    assert "C1-E99999" not in ok("show", "Jansen", "--year", "2025", "--ledger", "--limit", "500")
    result = echo_cli.invoke("show", "Jansen", "--period", "3")
    assert result.exit_code != 0 and "--period needs --year" in result.output


def test_a_trial_balance_from_lines_counts_a_line_in_its_booking_period(env):
    dossier = env.app.create_dossier(env.admin, "tb")
    env.run(env.app.link(env.admin, dossier.id, env.connection.id, "C1", mode="replace", granularity="trial_balance"))
    assert env.sync(dossier).status == "ok"
    services = {t.period_end: t.debit - t.credit for t in env.app.store.trial_balance(dossier.id) if t.account == "613000"}
    company = env.sandbox.companies["C1"]
    assert services[D(2024, 12, 31)] == Decimal("120.00")  # only the entry booked in the year before uses 613000
    for end in (D(2024, 12, 31), D(2025, 12, 31)):
        booked = sum(ln.amount for ln in company.lines
                     if ln.account == "613000" and env.sandbox._booked_in(company, ln).year == end.year)
        assert services.get(end, 0) == booked, end


def test_period_numbers_refer_to_the_packages_years_when_the_firm_overrides_them(env):
    override = [
        FiscalYear(start=D(2024, 1, 1), end=D(2024, 6, 30), label="Y1"),
        FiscalYear(start=D(2024, 7, 1), end=D(2026, 12, 31), label="Y2"),
    ]
    dossier = env.app.create_dossier(env.admin, "own years")
    env.run(env.app.link(env.admin, dossier.id, env.connection.id, "C1", mode="replace", fiscal_years=override))
    assert env.sync(dossier).status == "ok"
    # Echo's period 8 is August in echo's calendar years, not the 8th period of the firm's Y2.
    first_half = _ids(env, dossier, D(2024, 1, 1), D(2024, 6, 30))
    dated = {ln.id for ln in env.sandbox.companies["C1"].lines if ln.date <= D(2024, 6, 30)}
    assert first_half == dated
    assert _ids(env, dossier, D(2024, 12, 31), D(2024, 12, 31)) >= LATE  # still period 12 of echo's 2024
