"""The history stamp of a *since* link follows the opening booking of its year: unchanged, the same
digest; when WinBooks re-books the opening (an earlier year changed and was closed again), another."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sfsync.models import Company


def test_the_history_stamp_changes_when_the_opening_booking_does(harness, sandbox):
    ref = sandbox.company_refs()[0]
    folder = sandbox.folders[ref]
    year = folder.years[-1]
    stamp = harness.call_hook("sfsync_history_stamp", company=Company(ref=ref), before=year.start)
    assert stamp == harness.call_hook("sfsync_history_stamp", company=Company(ref=ref), before=year.start)
    opening = next(h for h in folder.headers.values() if h.year is year and h.period == 0)
    opening.lines[0].amount += Decimal("10.00")
    opening.lines[-1].amount -= Decimal("10.00")
    opening.modified = sandbox.books.stamp() + dt.timedelta(seconds=1)
    assert harness.call_hook("sfsync_history_stamp", company=Company(ref=ref), before=year.start) != stamp
