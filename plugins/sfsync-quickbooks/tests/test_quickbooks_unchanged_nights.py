"""An unchanged QuickBooks night costs one request a stream: Preferences for the fiscal years
(CompanyInfo only when Preferences' first month of the fiscal year moved), the chart, one CDC call."""

from __future__ import annotations

import datetime as dt

import pytest
from sfsync.clock import FakeClock
from sfsync.testing.harness import ContractHarness
from sfsync_quickbooks.sandbox import QuickbooksSandbox

START = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def booked(tmp_path):
    clock = FakeClock(START)
    sandbox = QuickbooksSandbox(clock=clock)
    harness = ContractHarness.create("quickbooks", tmp_path, sandbox=sandbox)
    yield harness, sandbox, clock
    harness.close()


def _api_calls(sandbox: QuickbooksSandbox) -> list[str]:
    return [path.rsplit("/", 1)[-1] if "/companyinfo/" not in path else "companyinfo"
            for _, path, _ in sandbox.requests if path.startswith("/v3/")]


def test_an_unchanged_night_asks_preferences_but_not_companyinfo(booked):
    harness, sandbox, clock = booked
    dossier = harness.new_dossier()
    assert harness.sync(dossier).status in ("ok", "warning")
    clock.advance(600)
    sandbox.requests.clear()
    run = harness.sync(dossier)
    assert run.status == "ok", run.error
    assert sorted(_api_calls(sandbox)) == ["cdc", "preferences", "query"]


def test_a_new_fiscal_year_start_month_reaches_the_years_the_next_night(booked):
    harness, sandbox, clock = booked
    dossier = harness.new_dossier()
    assert harness.sync(dossier).status in ("ok", "warning")
    realm = sandbox.company_refs()[0]
    company = sandbox.company(realm)
    assert company is not None and company.fiscal_start_month == 1
    company.fiscal_start_month = 4  # set in QuickBooks: both CompanyInfo and Preferences follow
    clock.advance(24 * 3600)
    sandbox.requests.clear()
    assert harness.connection is not None
    years = harness.run(harness.app.fiscal_years(harness.admin, harness.connection.id, realm))
    assert "companyinfo" in _api_calls(sandbox)
    assert years and all(y.start.month == 4 and y.start.day == 1 for y in years[1:])
