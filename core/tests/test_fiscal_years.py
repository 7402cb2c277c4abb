"""Fiscal-year overrides: a short or long first year, a full list of years, and what uses them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sfsync.errors import ConfigurationError
from sfsync.fiscal_years import effective_years, monthly_periods, read_fiscal_years_file
from sfsync.models import FiscalYear

D = dt.date


def _calendar(year: int, *, periods: bool = True) -> FiscalYear:
    start, end = D(year, 1, 1), D(year, 12, 31)
    return FiscalYear(start=start, end=end, label=f"FY{year}", periods=monthly_periods(start, end) if periods else ())


PACKAGE = [_calendar(2023), _calendar(2024), _calendar(2025)]


def _days_covered_once(years):
    day, end = years[0].start, years[-1].end
    while day <= end:
        assert sum(y.contains(day) for y in years) == 1, day
        day += dt.timedelta(days=1)


def _periods_tile(year):
    assert year.periods, year
    assert year.periods[0].start == year.start and year.periods[-1].end == year.end
    for number, (before, after) in enumerate(zip(year.periods, year.periods[1:], strict=False), start=2):
        assert after.start == before.end + dt.timedelta(days=1) and after.number == number


def test_a_short_first_year_keeps_every_day_and_every_period():
    years = effective_years(PACKAGE, first_year_end=D(2023, 6, 30))
    assert [(y.start, y.end) for y in years] == [
        (D(2023, 1, 1), D(2023, 6, 30)), (D(2023, 7, 1), D(2023, 12, 31)),
        (D(2024, 1, 1), D(2024, 12, 31)), (D(2025, 1, 1), D(2025, 12, 31)),
    ]
    _days_covered_once(years)
    for year in years:
        _periods_tile(year)
    assert [len(y.periods) for y in years] == [6, 6, 12, 12]
    assert years[2] == PACKAGE[1]  # a year the override does not touch stays as the package says
    assert len({y.label for y in years}) == 4  # the two halves of 2023 are told apart


def test_a_long_first_year_absorbs_the_years_it_covers():
    years = effective_years(PACKAGE, first_year_end=D(2024, 12, 31))
    assert [(y.start, y.end) for y in years] == [(D(2023, 1, 1), D(2024, 12, 31)), (D(2025, 1, 1), D(2025, 12, 31))]
    _periods_tile(years[0])
    assert len(years[0].periods) == 24  # the package's own months, renumbered 1..24
    # A package without periods gets monthly ones, starting mid-month where the year does.
    bare = effective_years([_calendar(2023, periods=False), _calendar(2024, periods=False)],
                           first_year_end=D(2024, 3, 15))
    assert [(y.start, y.end) for y in bare] == [(D(2023, 1, 1), D(2024, 3, 15)), (D(2024, 3, 16), D(2024, 12, 31))]
    for year in bare:
        _periods_tile(year)
    assert bare[1].periods[0].start == D(2024, 3, 16) and bare[1].periods[0].end == D(2024, 3, 31)


def test_a_full_override_gets_periods_and_a_file_is_checked(tmp_path):
    path = tmp_path / "years.csv"
    path.write_text("# start,end,label\n2023-01-01,2023-06-30,first\n2023-07-01,2024-06-30,second\n")
    given = read_fiscal_years_file(path)
    years = effective_years(PACKAGE, override=given)
    assert [y.label for y in years] == ["first", "second"]
    for year in years:
        _periods_tile(year)
    assert len(years[1].periods) == 12
    path.write_text("2023-01-01,2023-06-30\n2023-08-01,2024-06-30\n")
    with pytest.raises(ConfigurationError, match=r"nothing covers 2023-07-01\.\.2023-07-31"):
        read_fiscal_years_file(path)
    path.write_text('[{"start": "2023-01-01", "end": "2023-12-31"}, {"start": "2023-06-01", "end": "2024-05-31"}]')
    with pytest.raises(ConfigurationError, match="overlap"):
        read_fiscal_years_file(path)


OVERRIDE = [
    FiscalYear(start=D(2024, 1, 1), end=D(2024, 6, 30), label="Y1"),
    FiscalYear(start=D(2024, 7, 1), end=D(2025, 6, 30), label="Y2"),
    FiscalYear(start=D(2025, 7, 1), end=D(2026, 12, 31), label="Y3"),
]


def test_a_link_checks_its_since_date_against_the_overridden_years(env):
    dossier = env.app.create_dossier(env.admin, "d1")
    link = env.run(env.app.link(env.admin, dossier.id, env.connection.id, "C1", mode="since",
                                since=D(2024, 7, 1), fiscal_years=OVERRIDE))
    assert link.fiscal_years_override == OVERRIDE
    with pytest.raises(ConfigurationError, match="2024-07-01, 2025-07-01"):
        env.run(env.app.link(env.admin, dossier.id, env.connection.id, "C1", mode="since",
                             since=D(2025, 1, 1), fiscal_years=OVERRIDE))  # a package year, not an effective one
    with pytest.raises(ConfigurationError, match=r"choose one of: 2024-01-01, 2026-01-01$"):
        env.run(env.app.link(env.admin, dossier.id, env.connection.id, "C1", mode="since",
                             since=D(2025, 1, 1), first_year_end=D(2025, 12, 31)))  # inside a long first year
    run = env.sync(dossier)
    assert run.status == "ok", run.error
    stored = env.app.store.fiscal_years(dossier.id)
    assert [y.label for y in stored] == ["Y1", "Y2", "Y3"] and all(y.periods for y in stored)


def test_a_trial_balance_link_over_an_overridden_year_is_right(env):
    dossier = env.app.create_dossier(env.admin, "tb")
    env.run(env.app.link(env.admin, dossier.id, env.connection.id, "C1", mode="replace",
                         granularity="trial_balance", fiscal_years=OVERRIDE))
    assert env.sync(dossier).status == "ok"
    totals = env.app.store.trial_balance(dossier.id)
    assert {t.period_end for t in totals} == {y.end for y in OVERRIDE}
    lines = env.sandbox.companies["C1"].lines
    for year in OVERRIDE:
        expected: dict[str, Decimal] = {}
        for line in lines:
            if year.contains(line.date):
                expected[line.account] = expected.get(line.account, Decimal(0)) + line.amount
        got = {t.account: t.debit - t.credit for t in totals if t.period_end == year.end}
        assert got == {a: v for a, v in expected.items()}, year.label


def test_the_cli_links_with_a_first_year_end_and_a_fiscal_years_file(tmp_path, echo_cli):
    ok = echo_cli.ok
    out = ok("link", "Long", "--connection", "echo", "--company", "C1", "--replace", "--first-year-end", "2025-12-31",
             "--no-sync")
    assert "first fiscal year ends 2025-12-31" in out and "2026-01-01" in out and "2025-01-01" not in out
    years = tmp_path / "years.txt"
    years.write_text("2024-01-01,2024-06-30,Y1\n2024-07-01,2025-06-30,Y2\n2025-07-01,2026-12-31,Y3\n")
    out = ok("link", "Own", "--connection", "echo", "--company", "C1", "--since", "2024-07-01",
             "--fiscal-years", str(years))
    assert "Y2" in out and "ok" in out
