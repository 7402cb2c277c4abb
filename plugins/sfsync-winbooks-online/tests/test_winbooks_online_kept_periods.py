"""Book periods are kept between nights: an unchanged night reads the BookYears and not their
periods; a year added in WinBooks (with its periods) still reaches the dossier the next night,
and kept periods are read again after a week."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sfsync.testing.harness import ContractHarness
from sfsync_winbooks_online.kept_periods import REFRESH
from sfsync_winbooks_online.sandbox import WinbooksSandbox
from sfsync_winbooks_online.sandbox.books import Year, guid


def _paths(sandbox: WinbooksSandbox) -> list[str]:
    seen: list[str] = []
    sandbox.observers.append(lambda method, path, status, body: seen.append(path))
    return seen


def _synced(harness: ContractHarness):  # type: ignore[no-untyped-def]
    dossier = harness.new_dossier()
    run = harness.sync(dossier)
    assert run.status in ("ok", "warning"), run.error
    return dossier


def test_an_unchanged_night_keeps_the_periods(harness: ContractHarness, sandbox: WinbooksSandbox) -> None:
    dossier = _synced(harness)
    seen = _paths(sandbox)
    night = harness.sync(dossier)
    assert night.status in ("ok", "warning"), night.error
    assert any("/BookYears/" in p for p in seen)
    assert not any("/BookPeriods/" in p for p in seen)


def test_a_new_year_reaches_the_next_night(harness: ContractHarness, sandbox: WinbooksSandbox) -> None:
    dossier = _synced(harness)
    ref = sandbox.company_refs()[0]
    folder = sandbox.folders[ref]
    last = folder.years[-1]
    start = last.end + dt.timedelta(days=1)
    folder.years.append(Year(guid(ref, start), str(start.year), start, False))
    ids = sandbox.books.book(folder, start + dt.timedelta(days=5), "OD", "Eerste boeking",
                             [("604000", Decimal("10.00")), ("440000", Decimal("-10.00"))])
    night = harness.sync(dossier)
    assert night.status in ("ok", "warning"), night.error
    assert start in {y.start for y in harness.app.store.fiscal_years(dossier.id)}
    stored = {line.id for line in harness.app.store.ledger_lines(dossier.id)}
    assert set(ids) <= stored, "the new year's booking is missing"


def test_kept_periods_are_read_again_after_a_week(harness: ContractHarness, sandbox: WinbooksSandbox, clock) -> None:  # type: ignore[no-untyped-def]
    dossier = _synced(harness)
    clock.advance((REFRESH + dt.timedelta(hours=1)).total_seconds())
    seen = _paths(sandbox)
    night = harness.sync(dossier)
    assert night.status in ("ok", "warning"), night.error
    assert any("/BookPeriods/" in p for p in seen)
