"""A Twinfield answer with wrongly typed fields is refused, never skipped (issue 15's fault matrix)."""

from __future__ import annotations

import asyncio

import pytest
from sfsync.errors import MalformedResponse
from sfsync.sandbox.faults import WrongTypes
from sfsync_twinfield.connector import twinfield


def _fiscal_years(connected):
    return asyncio.run(
        twinfield.sfsync_fetch_fiscal_years(ctx=connected.ctx, company=connected.company("001"))
    )


def test_twinfield_refuses_a_book_year_that_is_not_a_number(connected):
    # Skipped, the year and every line booked in it were silently missing from the dossier.
    fault = WrongTypes(fields=("Year",), times=1)
    with connected.sandbox.faults.injected(fault), pytest.raises(MalformedResponse, match=r"book year .*'n/a'"):
        _fiscal_years(connected)


def test_twinfield_refuses_a_period_number_that_is_not_a_number(connected):
    # Every period of the year skipped meant the year (and its lines) was dropped.
    fault = WrongTypes(fields=("Number",), path_contains="Period", after=1, times=1)
    refused = r"period number of book year \d+ .*'n/a'"
    with connected.sandbox.faults.injected(fault), pytest.raises(MalformedResponse, match=refused):
        _fiscal_years(connected)


def test_twinfield_reads_the_same_years_once_the_answers_are_right(connected):
    assert [year.label for year in _fiscal_years(connected)]
